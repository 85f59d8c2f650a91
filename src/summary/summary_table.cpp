#include "clvkit/summary/summary_table.hpp"

#include <array>
#include <cerrno>
#include <cstring>
#include <cmath>
#include <fast_float/fast_float.h>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <optional>
#include <string_view>

#include "clvkit/error.hpp"
#include "clvkit/io/csv.hpp"
#include "clvkit/util/utf8.hpp"

namespace clvkit {
namespace {

enum Field : std::size_t { kId, kFrequency, kRecency, kT, kMonetary, kCount, kFields };

struct FieldSpec {
  const char* what;  ///< the role, in messages
  bool required;
  std::vector<std::string_view> spellings;
};

const std::array<FieldSpec, kFields>& field_specs() {
  static const std::array<FieldSpec, kFields> specs = {{
      {"id", false, {"customer_id", "id", "ID", "cust", "CustomerID"}},
      {"frequency", true, {"frequency", "x", "frequency_cal"}},
      {"recency", true, {"recency", "t_x", "t.x", "recency_cal"}},
      {"T", true, {"T", "T.cal", "T_cal", "periods", "n", "n.cal"}},
      {"monetary", false, {"monetary_value", "m.x", "monetary", "monetary_value_cal", "zbar"}},
      {"count", false, {"weights", "count", "n_customers", "custs"}},
  }};
  return specs;
}

std::string& column_name(SummaryTableColumns& columns, std::size_t field) {
  switch (field) {
    case kId:
      return columns.id;
    case kFrequency:
      return columns.frequency;
    case kRecency:
      return columns.recency;
    case kT:
      return columns.T;
    case kMonetary:
      return columns.monetary;
    default:
      return columns.count;
  }
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// The header position of every field (npos for an absent optional one), and the names used.
std::array<std::size_t, kFields> locate(const CsvReader& header, const SummaryTableOptions& options,
                                        SummaryTableColumns& names, const std::string& source) {
  std::array<std::size_t, kFields> position;
  position.fill(std::string_view::npos);
  SummaryTableColumns given = options.columns;
  std::string header_names;
  for (std::size_t i = 0; i < header.size(); ++i) {
    header_names += (i == 0 ? "" : ", ") + std::string(trim(header[i]));
  }
  for (std::size_t field = 0; field < kFields; ++field) {
    const FieldSpec& spec = field_specs()[field];
    const std::string& wanted = column_name(given, field);
    std::vector<std::string_view> candidates;
    if (wanted.empty()) {
      candidates = spec.spellings;
    } else {
      candidates = {wanted};
    }
    for (std::string_view candidate : candidates) {
      std::size_t found = std::string_view::npos;
      for (std::size_t i = 0; i < header.size(); ++i) {
        if (trim(header[i]) != candidate) continue;
        if (found != std::string_view::npos) {
          throw InputError(source + ":1: column '" + std::string(candidate) +
                           "' appears twice in the header (fields " + std::to_string(found + 1) +
                           " and " + std::to_string(i + 1) + ")");
        }
        found = i;
      }
      if (found == std::string_view::npos) continue;
      position[field] = found;
      column_name(names, field) = std::string(candidate);
      break;
    }
    if (position[field] != std::string_view::npos) continue;
    if (!wanted.empty()) {
      throw InputError(source + ":1: missing " + spec.what + " column '" + wanted +
                       "' (header has: " + header_names + ")");
    }
    if (spec.required) {
      std::string spellings;
      for (std::string_view s : spec.spellings) {
        spellings += (spellings.empty() ? "" : ", ") + std::string(s);
      }
      throw InputError(source + ":1: no " + spec.what + " column (looked for " + spellings +
                       "; header has: " + header_names + ")");
    }
  }
  return position;
}

std::optional<double> parse_number(std::string_view text) {
  text = trim(text);
  if (text.empty()) return std::nullopt;
  if (text.front() == '+') text.remove_prefix(1);
  double value = 0.0;
  const auto result = fast_float::from_chars(text.data(), text.data() + text.size(), value);
  if (result.ec != std::errc() || result.ptr != text.data() + text.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

struct RowProblem {
  SummaryRejectReason reason;
  std::size_t column;  ///< 1-based field
  std::string message;
};

std::string number_text(double value) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.10g", value);
  return buffer;
}

}  // namespace

const char* summary_reject_reason_key(SummaryRejectReason reason) noexcept {
  switch (reason) {
    case SummaryRejectReason::wrong_field_count:
      return "wrong_field_count";
    case SummaryRejectReason::invalid_utf8:
      return "invalid_utf8";
    case SummaryRejectReason::bad_number:
      return "bad_number";
    case SummaryRejectReason::bad_history:
      return "bad_history";
    case SummaryRejectReason::bad_monetary:
      return "bad_monetary";
    case SummaryRejectReason::bad_count:
      return "bad_count";
    case SummaryRejectReason::count_:
      break;
  }
  return "?";
}

std::int64_t SummaryTable::rows_rejected() const noexcept {
  std::int64_t total = 0;
  for (const std::int64_t n : rejected) total += n;
  return total;
}

double SummaryTable::customers() const noexcept {
  double total = 0.0;
  for (const double c : count) total += c;
  return total;
}

SummaryTable read_summary_table(std::istream& in, const std::string& source,
                                const SummaryTableOptions& options) {
  CsvReader reader(in, source, options.delimiter);
  if (!reader.next()) throw InputError(source + ": empty summary table (no header)");
  SummaryTable table;
  table.source = source;
  const std::array<std::size_t, kFields> position = locate(reader, options, table.columns, source);
  const std::size_t fields = reader.size();

  const auto row_problem = [&]() -> std::optional<RowProblem> {
    if (reader.size() != fields) {
      return RowProblem{SummaryRejectReason::wrong_field_count, std::min(reader.size(), fields) + 1,
                        "expected " + std::to_string(fields) + " fields as in the header, found " +
                            std::to_string(reader.size())};
    }
    // Ids are echoed in the JSON outputs as they are (see ingest_transactions).
    if (position[kId] != std::string_view::npos && !is_valid_utf8(reader[position[kId]])) {
      return RowProblem{SummaryRejectReason::invalid_utf8, position[kId] + 1,
                        "invalid UTF-8 in customer id"};
    }
    std::array<double, kFields> value{};
    for (std::size_t field = kFrequency; field < kFields; ++field) {
      if (position[field] == std::string_view::npos) continue;
      const std::optional<double> parsed = parse_number(reader[position[field]]);
      if (!parsed) {
        return RowProblem{SummaryRejectReason::bad_number, position[field] + 1,
                          std::string("not a finite number in the ") + field_specs()[field].what +
                              " column '" + column_name(table.columns, field) + "': '" +
                              std::string(trim(reader[position[field]])) + "'"};
      }
      value[field] = *parsed;
    }
    const double x = value[kFrequency];
    const double t_x = value[kRecency];
    const double T = value[kT];
    if (x < 0.0) {
      return RowProblem{SummaryRejectReason::bad_history, position[kFrequency] + 1,
                        "negative frequency " + number_text(x)};
    }
    if (T < 0.0) {
      return RowProblem{SummaryRejectReason::bad_history, position[kT] + 1,
                        "negative T " + number_text(T)};
    }
    if (t_x < 0.0 || t_x > T) {
      return RowProblem{SummaryRejectReason::bad_history, position[kRecency] + 1,
                        "recency " + number_text(t_x) + " outside [0, T = " + number_text(T) + "]"};
    }
    if (x == 0.0 && t_x > 0.0) {
      return RowProblem{SummaryRejectReason::bad_history, position[kRecency] + 1,
                        "recency " + number_text(t_x) +
                            " with frequency 0 (a customer without repeat purchases has recency 0)"};
    }
    if (position[kMonetary] != std::string_view::npos && value[kMonetary] < 0.0) {
      return RowProblem{SummaryRejectReason::bad_monetary, position[kMonetary] + 1,
                        "negative mean spend " + number_text(value[kMonetary])};
    }
    if (position[kCount] != std::string_view::npos && !(value[kCount] > 0.0)) {
      return RowProblem{SummaryRejectReason::bad_count, position[kCount] + 1,
                        "count " + number_text(value[kCount]) + " is not positive"};
    }
    table.x.push_back(x);
    table.t_x.push_back(t_x);
    table.T.push_back(T);
    if (position[kMonetary] != std::string_view::npos) table.monetary.push_back(value[kMonetary]);
    table.count.push_back(position[kCount] != std::string_view::npos ? value[kCount] : 1.0);
    if (position[kId] != std::string_view::npos) {
      table.ids.emplace_back(trim(reader[position[kId]]));
    }
    return std::nullopt;
  };

  while (reader.next()) {
    ++table.rows_read;
    const std::int64_t line = reader.line();
    const std::optional<RowProblem> problem = row_problem();
    if (!problem) {
      ++table.rows_used;
      table.lines.push_back(line);
      continue;
    }
    if (options.on_bad_row == BadRowPolicy::fail) {
      throw InputError(source + ":" + std::to_string(line) + ":" + std::to_string(problem->column) +
                       ": " + problem->message);
    }
    ++table.rejected[static_cast<int>(problem->reason)];
  }
  if (table.rows_used == 0) {
    throw InputError(source + ": no usable row in the summary table (" +
                     std::to_string(table.rows_read) + " read)");
  }
  return table;
}

SummaryTable read_summary_table(const std::string& path, const SummaryTableOptions& options) {
  if (path == "-") return read_summary_table(std::cin, path, options);
  // A directory opens as a stream whose first read fails: say what it is instead.
  if (std::error_code ignored; std::filesystem::is_directory(path, ignored)) {
    throw IoError("cannot read '" + path + "': it is a directory");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("cannot open '" + path + "': " + std::strerror(errno));
  return read_summary_table(in, path, options);
}

}  // namespace clvkit

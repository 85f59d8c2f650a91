#include "clvkit/output/summary_table_output.hpp"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string_view>
#include <utility>

#include "clvkit/output/output_file.hpp"
#include "clvkit/util/utf8.hpp"

namespace clvkit {
namespace {

// One record as (name, text) pairs: numbers already formatted, the id quoted as the format
// quotes text.
using Fields = std::vector<std::pair<std::string_view, std::string>>;

std::string number(double value, std::string_view field, const std::string& row) {
  std::string out;
  append_number(out, value, field, row);
  return out;
}

// A JSON string literal, or a CSV field (RFC 4180 quotes when it holds a delimiter, a quote or a
// line break).
std::string quoted_text(std::string_view value, RecordFormat format) {
  std::string out;
  if (format != RecordFormat::csv) {
    append_json_string(out, value);
    return out;
  }
  if (value.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(value);
  out = "\"";
  for (const char c : value) {
    out += c;
    if (c == '"') out += '"';
  }
  return out + "\"";
}

Fields record_fields(const SummaryTable& table, const CustomerPrediction& p, std::size_t i,
                     bool with_value, RecordFormat format) {
  const std::string row =
      table.ids.empty() ? "line " + std::to_string(table.lines[i]) : table.ids[i];
  Fields fields;
  if (table.ids.empty()) {
    fields.emplace_back("line", std::to_string(table.lines[i]));
  } else {
    fields.emplace_back("customer_id", quoted_text(table.ids[i], format));
  }
  fields.emplace_back("frequency", number(table.x[i], "frequency", row));
  fields.emplace_back("recency", number(table.t_x[i], "recency", row));
  fields.emplace_back("T", number(table.T[i], "T", row));
  if (table.has_monetary()) {
    fields.emplace_back("monetary_value", number(table.monetary[i], "monetary_value", row));
  }
  if (!table.columns.count.empty()) {
    fields.emplace_back("count", number(table.count[i], "count", row));
  }
  fields.emplace_back("p_alive", number(p.p_alive, "p_alive", row));
  fields.emplace_back("expected_purchases", number(p.expected_purchases, "expected_purchases", row));
  if (with_value) {
    fields.emplace_back("expected_avg_spend",
                        number(p.expected_avg_spend, "expected_avg_spend", row));
    fields.emplace_back("clv", number(p.clv, "clv", row));
    fields.emplace_back("value_at_risk", number(p.value_at_risk, "value_at_risk", row));
    fields.emplace_back("churn_priority", std::to_string(p.churn_priority));
  }
  return fields;
}

}  // namespace

nlohmann::ordered_json summary_table_metadata(const SummaryTable& table) {
  nlohmann::ordered_json out;
  out["source"] = replace_invalid_utf8(table.source);  // a path need not be UTF-8
  out["kind"] = "summary_table";
  nlohmann::ordered_json columns;
  const std::pair<const char*, const std::string*> roles[] = {
      {"id", &table.columns.id},           {"frequency", &table.columns.frequency},
      {"recency", &table.columns.recency}, {"T", &table.columns.T},
      {"monetary", &table.columns.monetary}, {"count", &table.columns.count}};
  for (const auto& [role, name] : roles) {
    if (!name->empty()) columns[role] = replace_invalid_utf8(*name);
  }
  out["columns"] = columns;
  out["rows_read"] = table.rows_read;
  out["rows_used"] = table.rows_used;
  nlohmann::ordered_json rejected;
  for (int r = 0; r < static_cast<int>(SummaryRejectReason::count_); ++r) {
    rejected[summary_reject_reason_key(static_cast<SummaryRejectReason>(r))] = table.rejected[r];
  }
  out["rows_rejected"] = rejected;
  const double customers = table.customers();
  if (customers == std::floor(customers) && customers < 9e15) {
    out["customers"] = static_cast<std::int64_t>(customers);
  } else {
    out["customers"] = customers;  // fractional counts (weights)
  }
  return out;
}

void write_summary_table_predictions(const std::string& path, RecordFormat format,
                                     const SummaryTable& table,
                                     const std::vector<CustomerPrediction>& predictions,
                                     bool with_value, const nlohmann::ordered_json& metadata) {
  OutputFile out(path);
  if (format == RecordFormat::json) {
    out.write("{\"metadata\":");
    out.write(metadata.dump(2));
    out.write(",\n\"customers\":[");
  }
  for (std::size_t i = 0; i < predictions.size(); ++i) {
    const Fields fields = record_fields(table, predictions[i], i, with_value, format);
    std::string line;
    if (format == RecordFormat::csv) {
      if (i == 0) {
        for (std::size_t f = 0; f < fields.size(); ++f) {
          if (f > 0) line += ',';
          line += fields[f].first;
        }
        line += "\n";
      }
      for (std::size_t f = 0; f < fields.size(); ++f) {
        if (f > 0) line += ',';
        line += fields[f].second;
      }
    } else {
      if (format == RecordFormat::json) line += i == 0 ? "\n" : ",\n";
      line += "{";
      for (std::size_t f = 0; f < fields.size(); ++f) {
        line += f == 0 ? "\"" : ",\"";
        line += fields[f].first;
        line += "\":";
        line += fields[f].second;
      }
      line += "}";
    }
    if (format != RecordFormat::json) line += "\n";
    out.write(line);
  }
  if (format == RecordFormat::json) out.write("\n]}\n");
  commit_records(out, path, format, metadata);
}

}  // namespace clvkit

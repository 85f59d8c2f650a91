#include "clvkit/io/customer_records.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <exception>
#include <thread>

#include "clvkit/error.hpp"
#include "clvkit/io/date.hpp"

namespace clvkit {
namespace {

void append_integer(std::string& out, std::int64_t value) {
  char buffer[24];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  out.append(buffer, result.ptr);
}

void append_day(std::string& out, Day day) { out += format_day(day); }

void append_csv_field(std::string& out, std::string_view value) {
  if (value.find_first_of(",\"\r\n") == std::string_view::npos) {
    out.append(value);
    return;
  }
  out.push_back('"');
  for (char c : value) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
}

std::string rfm_cell(const CustomerRecord& record) {
  std::string cell;
  append_integer(cell, record.r_score);
  append_integer(cell, record.f_score);
  append_integer(cell, record.m_score);
  return cell;
}

// A record is written as a sequence of (key, value) fields; the JSON and CSV writers share the
// field list so the two formats can never disagree on order or content.
template <typename Sink>
void for_each_field(const CustomerRecord& record, Sink&& sink) {
  const CustomerSummary& s = *record.summary;
  sink.text("customer_id", s.id);
  sink.day("first_purchase", s.first_purchase);
  sink.day("last_purchase", s.last_purchase);
  sink.integer("purchase_days", s.purchase_days);
  sink.integer("frequency", s.frequency);
  sink.integer("recency", s.recency);
  sink.integer("T", s.T);
  sink.integer("days_since_last", s.days_since_last);
  sink.number("total_spend", s.total_spend);
  sink.number("monetary", s.monetary);
  sink.number("avg_spend", s.avg_spend);
  sink.integer("r_score", record.r_score);
  sink.integer("f_score", record.f_score);
  sink.integer("m_score", record.m_score);
  sink.text("rfm_cell", rfm_cell(record));
  sink.text("segment", *record.segment);
  if (const CustomerPrediction* p = record.prediction) {
    sink.number("p_alive", p->p_alive);
    sink.number("expected_purchases", p->expected_purchases);
    sink.number("expected_avg_spend", p->expected_avg_spend);
    sink.number("clv", p->clv);
    sink.number("clv_if_alive", p->clv_if_alive);
    sink.number("value_at_risk", p->value_at_risk);
    sink.integer("churn_priority", p->churn_priority);
  }
}

struct JsonSink {
  std::string& out;
  const CustomerSummary& customer;
  bool first = true;
  void key(std::string_view name) {
    out += first ? "{\"" : ",\"";
    first = false;
    out += name;
    out += "\":";
  }
  void text(std::string_view name, std::string_view value) {
    key(name);
    append_json_string(out, value);
  }
  void day(std::string_view name, Day value) {
    key(name);
    out.push_back('"');
    append_day(out, value);
    out.push_back('"');
  }
  void integer(std::string_view name, std::int64_t value) {
    key(name);
    append_integer(out, value);
  }
  void number(std::string_view name, double value) {
    key(name);
    append_number(out, value, name, customer.id);
  }
};

struct CsvSink {
  std::string& out;
  const CustomerSummary& customer;
  bool first = true;
  void separator() {
    if (!first) out.push_back(',');
    first = false;
  }
  void text(std::string_view, std::string_view value) {
    separator();
    append_csv_field(out, value);
  }
  void day(std::string_view, Day value) {
    separator();
    append_day(out, value);
  }
  void integer(std::string_view, std::int64_t value) {
    separator();
    append_integer(out, value);
  }
  void number(std::string_view name, double value) {
    separator();
    append_number(out, value, name, customer.id);
  }
};

struct HeaderSink {
  std::string& out;
  bool first = true;
  void name(std::string_view field) {
    if (!first) out.push_back(',');
    first = false;
    out += field;
  }
  void text(std::string_view field, std::string_view) { name(field); }
  void day(std::string_view field, Day) { name(field); }
  void integer(std::string_view field, std::int64_t) { name(field); }
  void number(std::string_view field, double) { name(field); }
};

}  // namespace

RecordFormat parse_record_format(std::string_view text) {
  if (text == "json") return RecordFormat::json;
  if (text == "ndjson") return RecordFormat::ndjson;
  if (text == "csv") return RecordFormat::csv;
  throw UsageError("unknown format '" + std::string(text) + "' (expected json, ndjson or csv)");
}

void append_json_string(std::string& out, std::string_view value) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (unsigned char c : value) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 15]);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

void append_number(std::string& out, double value, std::string_view field,
                   std::string_view customer) {
  if (!std::isfinite(value)) {
    throw ModelError("non-finite " + std::string(field) + " of customer '" + std::string(customer) +
                     "' (" + std::to_string(value) + ")");
  }
  if (value == 0.0) value = 0.0;  // no "-0"
  char buffer[32];
  const auto result =
      std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::general, 12);
  out.append(buffer, result.ptr);
}

namespace {

// Appends record `index` with the separators its format puts before and after it.
void format_record(std::string& out, RecordFormat format, const CustomerRecord& record,
                   std::size_t index) {
  switch (format) {
    case RecordFormat::json: {
      out += index == 0 ? "\n" : ",\n";
      JsonSink sink{out, *record.summary};
      for_each_field(record, sink);
      out.push_back('}');
      break;
    }
    case RecordFormat::ndjson: {
      JsonSink sink{out, *record.summary};
      for_each_field(record, sink);
      out += "}\n";
      break;
    }
    case RecordFormat::csv: {
      CsvSink sink{out, *record.summary};
      for_each_field(record, sink);
      out.push_back('\n');
      break;
    }
  }
}

// Records are formatted in fixed blocks, several blocks at a time on worker threads, and
// written in block order: the bytes do not depend on the thread count, and memory stays bounded
// by one wave of blocks.
constexpr std::size_t kBlockRecords = 8192;

void write_record_blocks(OutputFile& out, RecordFormat format,
                         const std::vector<CustomerRecord>& records, int threads) {
  const std::size_t blocks = (records.size() + kBlockRecords - 1) / kBlockRecords;
  const std::size_t workers = static_cast<std::size_t>(std::max(1, threads));
  const std::size_t wave = workers * 4;
  std::vector<std::string> text(std::min(wave, std::max<std::size_t>(blocks, 1)));
  std::vector<std::exception_ptr> errors(text.size());
  for (std::size_t first = 0; first < blocks; first += wave) {
    const std::size_t count = std::min(wave, blocks - first);
    const auto format_block = [&](std::size_t slot) {
      try {
        std::string& buffer = text[slot];
        buffer.clear();
        const std::size_t begin = (first + slot) * kBlockRecords;
        const std::size_t end = std::min(records.size(), begin + kBlockRecords);
        for (std::size_t i = begin; i < end; ++i) format_record(buffer, format, records[i], i);
      } catch (...) {
        errors[slot] = std::current_exception();
      }
    };
    if (workers == 1 || count == 1) {
      for (std::size_t slot = 0; slot < count; ++slot) format_block(slot);
    } else {
      std::vector<std::thread> pool;
      for (std::size_t w = 0; w < std::min(workers, count); ++w) {
        pool.emplace_back([&, w] {
          for (std::size_t slot = w; slot < count; slot += workers) format_block(slot);
        });
      }
      for (std::thread& t : pool) t.join();
    }
    for (std::size_t slot = 0; slot < count; ++slot) {
      if (errors[slot]) std::rethrow_exception(errors[slot]);  // the first bad record, in order
      out.write(text[slot]);
    }
  }
}

}  // namespace

void write_customer_records(OutputFile& out, RecordFormat format,
                            const std::vector<CustomerRecord>& records,
                            const nlohmann::ordered_json& metadata, int threads) {
  if (format == RecordFormat::json) {
    out.write("{\"metadata\":");
    out.write(metadata.dump(2));
    out.write(",\n\"customers\":[");
  } else if (format == RecordFormat::csv && !records.empty()) {
    std::string header;
    HeaderSink sink{header};
    for_each_field(records.front(), sink);
    header.push_back('\n');
    out.write(header);
  }
  write_record_blocks(out, format, records, threads);
  if (format == RecordFormat::json) out.write("\n]}\n");
}

}  // namespace clvkit

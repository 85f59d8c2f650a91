#include "clvkit/output/customer_records.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>

#include "clvkit/error.hpp"
#include "clvkit/io/date.hpp"
#include "clvkit/util/parallel.hpp"

namespace clvkit {
namespace {

// Records are written through a raw pointer into space reserved once per record (RoomSink gives
// the worst case), so no field pays for a capacity check or a std::string temporary. Numbers go
// through std::to_chars, the one definition of their text; it is most of the remaining cost.

// Space one value can take: an int64 ("-9223372036854775808"); the window given to
// std::to_chars for a double (12 significant digits need at most 19, "-1.23456789012e-308").
constexpr std::size_t kIntegerRoom = 20;
constexpr std::size_t kNumberRoom = 32;

char* write_text(char* p, std::string_view text) noexcept {
  std::memcpy(p, text.data(), text.size());
  return p + text.size();
}

char* write_integer(char* p, std::int64_t value) noexcept {
  return std::to_chars(p, p + kIntegerRoom, value).ptr;
}

// Bytes a JSON string must escape (control characters, quote, backslash) and bytes that make a
// CSV field need quotes (delimiter, quote, line breaks): one table lookup per byte.
constexpr auto kNeedsJsonEscape = [] {
  std::array<bool, 256> table{};
  for (int c = 0; c < 0x20; ++c) table[c] = true;
  table['"'] = table['\\'] = true;
  return table;
}();
constexpr auto kNeedsCsvQuotes = [] {
  std::array<bool, 256> table{};
  table[','] = table['"'] = table['\r'] = table['\n'] = true;
  return table;
}();

// At most 2 + 6 * value.size() characters ("\u001f" for each control byte).
char* write_json_string(char* p, std::string_view value) noexcept {
  static constexpr char kHex[] = "0123456789abcdef";
  *p++ = '"';
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (!kNeedsJsonEscape[c]) {
      *p++ = ch;
      continue;
    }
    *p++ = '\\';
    switch (c) {
      case '"':
      case '\\':
        *p++ = ch;
        break;
      case '\n':
        *p++ = 'n';
        break;
      case '\r':
        *p++ = 'r';
        break;
      case '\t':
        *p++ = 't';
        break;
      default:
        p = write_text(p, "u00");
        *p++ = kHex[c >> 4];
        *p++ = kHex[c & 15];
    }
  }
  *p++ = '"';
  return p;
}

// RFC 4180: quoted, with doubled quotes, when it holds a delimiter, quote or line break; at most
// 2 + 2 * value.size() characters. Copies while it checks: quoting is the rare case.
char* write_csv_field(char* p, std::string_view value) noexcept {
  char* const start = p;
  for (const char c : value) {
    if (kNeedsCsvQuotes[static_cast<unsigned char>(c)]) {
      p = start;
      *p++ = '"';
      for (const char q : value) {
        if (q == '"') *p++ = '"';
        *p++ = q;
      }
      *p++ = '"';
      return p;
    }
    *p++ = c;
  }
  return p;
}

[[noreturn]] void throw_non_finite(double value, std::string_view field,
                                   std::string_view customer) {
  throw ModelError("non-finite " + std::string(field) + " of customer '" + std::string(customer) +
                   "' (" + std::to_string(value) + ")");
}

// At most kNumberRoom characters.
char* write_number(char* p, double value, std::string_view field, std::string_view customer) {
  if (!std::isfinite(value)) throw_non_finite(value, field, customer);
  if (value == 0.0) value = 0.0;  // no "-0"
  return std::to_chars(p, p + kNumberRoom, value, std::chars_format::general, 12).ptr;
}

// The three scores run together ("342"); a score is one digit unless a scheme has 10+ bins.
struct RfmCell {
  char text[3 * 11];  // three ints, "-2147483648" at worst
  std::size_t size = 0;
  std::string_view view() const noexcept { return {text, size}; }
};

RfmCell rfm_cell(const CustomerRecord& record) noexcept {
  RfmCell cell;
  const auto digit = [](int score) { return static_cast<unsigned>(score) <= 9; };
  if (digit(record.r_score) && digit(record.f_score) && digit(record.m_score)) {
    cell.text[0] = static_cast<char>('0' + record.r_score);
    cell.text[1] = static_cast<char>('0' + record.f_score);
    cell.text[2] = static_cast<char>('0' + record.m_score);
    cell.size = 3;
    return cell;
  }
  char* p = cell.text;
  for (const int score : {record.r_score, record.f_score, record.m_score}) {
    p = std::to_chars(p, cell.text + sizeof cell.text, score).ptr;
  }
  cell.size = static_cast<std::size_t>(p - cell.text);
  return cell;
}

// A record is written as a sequence of (key, value) fields; the JSON and CSV writers, the CSV
// header and the space reservation all share this one field list, so the formats can never
// disagree on order or content. Always inlined, so that a writer's cursor lives in a register
// rather than being stored and reloaded around every field.
template <typename Sink>
[[gnu::always_inline]] inline void for_each_field(const CustomerRecord& record, Sink&& sink) {
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
  sink.text("rfm_cell", rfm_cell(record).view());
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
  // Last, so that the columns of a record without them keep their places.
  if (const NextPurchase* next = record.next) {
    sink.text("next_purchase_segment", *record.next_segment);
    sink.integer("next_r_score", next->score.r);
    sink.integer("next_f_score", next->score.f);
    sink.integer("next_m_score", next->score.m);
    if (next->purchases_to_upgrade >= 0) {
      sink.integer("purchases_to_upgrade", next->purchases_to_upgrade);
    } else {
      sink.null("purchases_to_upgrade");
    }
    if (record.upgrade_segment != nullptr) {
      sink.text("upgrade_segment", *record.upgrade_segment);
    } else {
      sink.null("upgrade_segment");
    }
    if (record.prediction != nullptr) sink.number("upgrade_value", next->upgrade_value);
  }
}

// The most characters a record can take in any format: the JSON form (a key costs its name plus
// `,"":`, a text 6 characters per byte) bounds the CSV one, plus the separators around a record.
struct RoomSink {
  std::size_t room = 8;
  void key(std::string_view name) { room += name.size() + 4; }
  void text(std::string_view name, std::string_view value) {
    key(name);
    room += 2 + 6 * value.size();
  }
  void day(std::string_view name, Day) {
    key(name);
    room += 2 + kMaxDayChars;
  }
  void integer(std::string_view name, std::int64_t) {
    key(name);
    room += kIntegerRoom;
  }
  void number(std::string_view name, double) {
    key(name);
    room += kNumberRoom;
  }
  void null(std::string_view name) {
    key(name);
    room += 4;
  }
};

struct JsonSink {
  char* p;
  const CustomerSummary& customer;
  bool first = true;
  void key(std::string_view name) {
    *p++ = first ? '{' : ',';
    first = false;
    *p++ = '"';
    p = write_text(p, name);
    *p++ = '"';
    *p++ = ':';
  }
  void text(std::string_view name, std::string_view value) {
    key(name);
    p = write_json_string(p, value);
  }
  void day(std::string_view name, Day value) {
    key(name);
    *p++ = '"';
    p = format_day_to(p, value);
    *p++ = '"';
  }
  void integer(std::string_view name, std::int64_t value) {
    key(name);
    p = write_integer(p, value);
  }
  void number(std::string_view name, double value) {
    key(name);
    p = write_number(p, value, name, customer.id);
  }
  void null(std::string_view name) {
    key(name);
    p = write_text(p, "null");
  }
};

struct CsvSink {
  char* p;
  const CustomerSummary& customer;
  bool first = true;
  void separator() {
    if (!first) *p++ = ',';
    first = false;
  }
  void text(std::string_view, std::string_view value) {
    separator();
    p = write_csv_field(p, value);
  }
  void day(std::string_view, Day value) {
    separator();
    p = format_day_to(p, value);
  }
  void integer(std::string_view, std::int64_t value) {
    separator();
    p = write_integer(p, value);
  }
  void number(std::string_view name, double value) {
    separator();
    p = write_number(p, value, name, customer.id);
  }
  void null(std::string_view) { separator(); }  // an empty field
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
  void null(std::string_view field) { name(field); }
};

}  // namespace

RecordFormat parse_record_format(std::string_view text) {
  if (text == "json") return RecordFormat::json;
  if (text == "ndjson") return RecordFormat::ndjson;
  if (text == "csv") return RecordFormat::csv;
  throw UsageError("unknown format '" + std::string(text) + "' (expected json, ndjson or csv)");
}

void append_json_string(std::string& out, std::string_view value) {
  const std::size_t size = out.size();
  out.resize(size + 2 + 6 * value.size());
  out.resize(static_cast<std::size_t>(write_json_string(out.data() + size, value) - out.data()));
}

void append_number(std::string& out, double value, std::string_view field,
                   std::string_view customer) {
  char buffer[kNumberRoom];
  out.append(buffer, write_number(buffer, value, field, customer));
}

namespace {

// Writes record `index` with the separators its format puts before and after it.
template <RecordFormat format>
char* write_record(char* p, const CustomerRecord& record, std::size_t index) {
  if constexpr (format == RecordFormat::csv) {
    CsvSink sink{p, *record.summary};
    for_each_field(record, sink);
    p = sink.p;
    *p++ = '\n';
  } else {
    if constexpr (format == RecordFormat::json) {
      if (index != 0) *p++ = ',';
      *p++ = '\n';
    }
    JsonSink sink{p, *record.summary};
    for_each_field(record, sink);
    p = sink.p;
    *p++ = '}';
    if constexpr (format == RecordFormat::ndjson) *p++ = '\n';
  }
  return p;
}

// One block's text: storage that grows without being zero-filled (every byte is written before
// it is read) and is reused by every wave; `size` counts the bytes in use.
struct BlockText {
  std::unique_ptr<char[]> storage;
  std::size_t capacity = 0;
  std::size_t size = 0;
  char* room(std::size_t bytes) {
    if (capacity - size < bytes) {
      const std::size_t grown = std::max(2 * capacity, size + bytes);
      auto larger = std::make_unique_for_overwrite<char[]>(grown);
      if (size != 0) std::memcpy(larger.get(), storage.get(), size);
      storage = std::move(larger);
      capacity = grown;
    }
    return storage.get() + size;
  }
  void commit(const char* end) { size = static_cast<std::size_t>(end - storage.get()); }
  std::string_view view() const { return {storage.get(), size}; }
};

template <RecordFormat format>
void write_records(BlockText& text, const RecordSource& records, std::size_t begin,
                   std::size_t end) {
  for (std::size_t i = begin; i < end; ++i) {
    const CustomerRecord record = records(i);
    RoomSink room;
    for_each_field(record, room);
    text.commit(write_record<format>(text.room(room.room), record, i));
  }
}

void write_records(BlockText& text, RecordFormat format, const RecordSource& records,
                   std::size_t begin, std::size_t end) {
  switch (format) {
    case RecordFormat::json:
      return write_records<RecordFormat::json>(text, records, begin, end);
    case RecordFormat::ndjson:
      return write_records<RecordFormat::ndjson>(text, records, begin, end);
    case RecordFormat::csv:
      return write_records<RecordFormat::csv>(text, records, begin, end);
  }
}

// Records are formatted in fixed blocks, several blocks at a time on worker threads, and
// written in block order: the bytes do not depend on the thread count, and memory stays bounded
// by one wave of blocks. A block of 2048 records (about 1 MB of JSON) is still in the core's
// cache when it is copied to the output buffer; 8192-record blocks made the one-thread JSON
// write about 20% slower.
constexpr std::size_t kBlockRecords = 2048;

void write_record_blocks(OutputFile& out, RecordFormat format, std::size_t record_count,
                         const RecordSource& records, int threads) {
  const std::size_t blocks = (record_count + kBlockRecords - 1) / kBlockRecords;
  const std::size_t workers = static_cast<std::size_t>(std::max(1, threads));
  const std::size_t wave = workers * 4;
  std::vector<BlockText> text(std::min(wave, std::max<std::size_t>(blocks, 1)));
  std::vector<std::exception_ptr> errors(text.size());
  for (std::size_t first = 0; first < blocks; first += wave) {
    const std::size_t count = std::min(wave, blocks - first);
    const auto format_block = [&](std::size_t slot) {
      try {
        BlockText& block = text[slot];
        block.size = 0;
        const std::size_t begin = (first + slot) * kBlockRecords;
        const std::size_t end = std::min(record_count, begin + kBlockRecords);
        write_records(block, format, records, begin, end);
      } catch (...) {
        errors[slot] = std::current_exception();
      }
    };
    parallel_for(static_cast<int>(workers), count, format_block);
    for (std::size_t slot = 0; slot < count; ++slot) {
      if (errors[slot]) std::rethrow_exception(errors[slot]);  // the first bad record, in order
      out.write(text[slot].view());
    }
  }
}

}  // namespace

void write_customer_records(OutputFile& out, RecordFormat format, std::size_t record_count,
                            const RecordSource& records, const nlohmann::ordered_json& metadata,
                            int threads) {
  if (format == RecordFormat::json) {
    out.write("{\"metadata\":");
    out.write(metadata.dump(2));
    out.write(",\n\"customers\":[");
  } else if (format == RecordFormat::csv && record_count > 0) {
    std::string header;
    HeaderSink sink{header};
    for_each_field(records(0), sink);
    header.push_back('\n');
    out.write(header);
  }
  write_record_blocks(out, format, record_count, records, threads);
  if (format == RecordFormat::json) out.write("\n]}\n");
}

void write_customer_records(OutputFile& out, RecordFormat format,
                            const std::vector<CustomerRecord>& records,
                            const nlohmann::ordered_json& metadata, int threads) {
  write_customer_records(
      out, format, records.size(), [&records](std::size_t i) { return records[i]; }, metadata,
      threads);
}

RecordSource record_source(const CustomerAnalysis& analysis) {
  return [&analysis](std::size_t i) {
    const SegmentedBase& segmented = analysis.segmented;
    CustomerRecord record;
    record.summary = &segmented.base.customers[i];
    record.r_score = segmented.scores[i].r;
    record.f_score = segmented.scores[i].f;
    record.m_score = segmented.scores[i].m;
    record.segment = &analysis.segment_name(i);
    record.prediction = analysis.predictions.empty() ? nullptr : &analysis.predictions[i];
    if (analysis.upgrade && !analysis.upgrade->customers.empty()) {
      const NextPurchase& next = analysis.upgrade->customers[i];
      const std::vector<Segment>& segments = segmented.scheme->segments();
      record.next = &next;
      record.next_segment = &segments[static_cast<std::size_t>(next.segment)].name;
      if (next.upgrade_segment >= 0) {
        record.upgrade_segment = &segments[static_cast<std::size_t>(next.upgrade_segment)].name;
      }
    }
    return record;
  };
}

void write_customer_records(const std::string& path, RecordFormat format,
                            const CustomerAnalysis& analysis,
                            const nlohmann::ordered_json& metadata, int threads) {
  OutputFile out(path);
  write_customer_records(out, format, analysis.size(), record_source(analysis), metadata, threads);
  commit_records(out, path, format, metadata);
}

void commit_records(OutputFile& out, const std::string& path, RecordFormat format,
                    const nlohmann::ordered_json& metadata) {
  if (format == RecordFormat::json) return out.commit();
  if (path == "-") {
    std::fprintf(stderr, "%s\n", metadata.dump().c_str());
    return out.commit();
  }
  // The side file is written to its own temporary first; the records land, then it does. If
  // the records cannot land, its temporary is removed with it; if it cannot land after them,
  // the records are removed again: both or neither, never a side file without its records.
  OutputFile side(path + ".meta.json");
  side.write(metadata.dump(2) + "\n");
  out.commit();
  try {
    side.commit();
  } catch (...) {
    std::remove(path.c_str());
    throw;
  }
}

}  // namespace clvkit

// Output records: the bytes of every format equal a plain reference writer (printf's "%.12g",
// the documented field order, RFC 4180 quoting, JSON escapes) on awkward and random records, for
// any thread count, and the JSON and CSV read back to the values written.

#include "clvkit/output/customer_records.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "../cli/cli_runner.hpp"
#include "../support/matchers.hpp"
#include "clvkit/error.hpp"
#include "clvkit/io/csv.hpp"
#include "clvkit/io/date.hpp"
#include "clvkit/output/output_file.hpp"

namespace {

using clvkit::CustomerPrediction;
using clvkit::CustomerRecord;
using clvkit::CustomerSummary;
using clvkit::Day;
using clvkit::RecordFormat;
using clvkit::test::TempDir;

// Records with the summaries, predictions and segment names they point into.
struct Records {
  std::vector<CustomerSummary> summaries;
  std::vector<CustomerPrediction> predictions;
  std::vector<std::string> segments;
  std::vector<CustomerRecord> records;
  struct Scores {
    int r = 0, f = 0, m = 0;
    std::size_t segment = 0;
    bool predicted = true;
  };
  std::vector<Scores> scores;

  // Points the records at the data; call after the vectors stop growing.
  void link() {
    records.clear();
    for (std::size_t i = 0; i < summaries.size(); ++i) {
      records.push_back({&summaries[i], scores[i].r, scores[i].f, scores[i].m,
                         &segments[scores[i].segment],
                         scores[i].predicted ? &predictions[i] : nullptr});
    }
  }
};

// --- The reference writer: the schema written out field by field, as simply as possible. ---

std::string reference_number(double value) {
  if (value == 0.0) value = 0.0;  // no "-0"
  char text[64];
  const int length = std::snprintf(text, sizeof text, "%.12g", value);
  return std::string(text, static_cast<std::size_t>(length));
}

std::string reference_json_string(const std::string& value) {
  std::string out = "\"";
  for (const char ch : value) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"') {
      out += "\\\"";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20) {
      char escape[8];
      std::snprintf(escape, sizeof escape, "\\u%04x", c);
      out += escape;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

std::string reference_csv_field(const std::string& value) {
  if (value.find_first_of(",\"\r\n") == std::string::npos) return value;
  std::string out = "\"";
  for (const char c : value) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

struct Field {
  std::string name;
  std::string json;  // the value as JSON
  std::string csv;   // the value as a CSV field
};

std::vector<Field> reference_fields(const CustomerRecord& record) {
  const CustomerSummary& s = *record.summary;
  std::vector<Field> fields;
  const auto text = [&](const char* name, const std::string& value) {
    fields.push_back({name, reference_json_string(value), reference_csv_field(value)});
  };
  const auto day = [&](const char* name, Day value) {
    const std::string date = clvkit::format_day(value);
    fields.push_back({name, "\"" + date + "\"", date});
  };
  const auto integer = [&](const char* name, long long value) {
    fields.push_back({name, std::to_string(value), std::to_string(value)});
  };
  const auto number = [&](const char* name, double value) {
    fields.push_back({name, reference_number(value), reference_number(value)});
  };
  text("customer_id", s.id);
  day("first_purchase", s.first_purchase);
  day("last_purchase", s.last_purchase);
  integer("purchase_days", s.purchase_days);
  integer("frequency", s.frequency);
  integer("recency", s.recency);
  integer("T", s.T);
  integer("days_since_last", s.days_since_last);
  number("total_spend", s.total_spend);
  number("monetary", s.monetary);
  number("avg_spend", s.avg_spend);
  integer("r_score", record.r_score);
  integer("f_score", record.f_score);
  integer("m_score", record.m_score);
  text("rfm_cell", std::to_string(record.r_score) + std::to_string(record.f_score) +
                       std::to_string(record.m_score));
  text("segment", *record.segment);
  if (const CustomerPrediction* p = record.prediction) {
    number("p_alive", p->p_alive);
    number("expected_purchases", p->expected_purchases);
    number("expected_avg_spend", p->expected_avg_spend);
    number("clv", p->clv);
    number("clv_if_alive", p->clv_if_alive);
    number("value_at_risk", p->value_at_risk);
    integer("churn_priority", p->churn_priority);
  }
  return fields;
}

std::string reference_output(RecordFormat format, const std::vector<CustomerRecord>& records,
                             const nlohmann::ordered_json& metadata) {
  std::string out;
  if (format == RecordFormat::json) {
    out += "{\"metadata\":" + metadata.dump(2) + ",\n\"customers\":[";
  }
  for (std::size_t i = 0; i < records.size(); ++i) {
    const std::vector<Field> fields = reference_fields(records[i]);
    if (format == RecordFormat::csv) {
      if (i == 0) {
        for (std::size_t k = 0; k < fields.size(); ++k) out += (k ? "," : "") + fields[k].name;
        out += "\n";
      }
      for (std::size_t k = 0; k < fields.size(); ++k) out += (k ? "," : "") + fields[k].csv;
      out += "\n";
      continue;
    }
    if (format == RecordFormat::json) out += i == 0 ? "\n" : ",\n";
    out += "{";
    for (std::size_t k = 0; k < fields.size(); ++k) {
      out += (k ? ",\"" : "\"") + fields[k].name + "\":" + fields[k].json;
    }
    out += format == RecordFormat::ndjson ? "}\n" : "}";
  }
  if (format == RecordFormat::json) out += "\n]}\n";
  return out;
}

std::string written_output(RecordFormat format, const std::vector<CustomerRecord>& records,
                           const nlohmann::ordered_json& metadata, int threads) {
  TempDir dir;
  const std::string path = dir.file("records");
  clvkit::OutputFile out(path);
  clvkit::write_customer_records(out, format, records, metadata, threads);
  out.commit();
  return clvkit::test::read_text(path);
}

// --- Inputs ---

// Doubles of every kind %.12g treats differently: both notations and the switch between them
// (exponent -5/-4 and 11/12), rounding that carries into a new digit, signed zero, subnormals,
// the extremes, and many random magnitudes and bit patterns.
std::vector<double> awkward_doubles(std::mt19937_64& rng, std::size_t random_count) {
  std::vector<double> values = {0.0,
                                -0.0,
                                1.0,
                                -1.0,
                                0.1,
                                85.49,
                                9.30125,
                                0.0001,
                                0.00001,
                                0.000123456789012345,
                                1e-5,
                                99999999999.9,
                                999999999999.0,
                                999999999999.5,
                                1e12,
                                123456789012.0,
                                1234567890123.0,
                                0.999999999999951,
                                9.99999999999951,
                                2.5,
                                1.0 / 3.0,
                                -2.0 / 3.0,
                                std::numeric_limits<double>::min(),
                                std::numeric_limits<double>::denorm_min(),
                                -std::numeric_limits<double>::denorm_min(),
                                1.234567890123456e-310,
                                std::numeric_limits<double>::max(),
                                std::numeric_limits<double>::lowest(),
                                std::numeric_limits<double>::epsilon()};
  std::uniform_real_distribution<double> mantissa(1.0, 10.0);
  std::uniform_int_distribution<int> exponent(-12, 14);
  for (std::size_t i = 0; i < random_count; ++i) {
    values.push_back(mantissa(rng) * std::pow(10.0, exponent(rng)) * (i % 7 == 0 ? -1.0 : 1.0));
    double bits_value = 0.0;
    do {
      const std::uint64_t bits = rng();
      std::memcpy(&bits_value, &bits, sizeof bits_value);
    } while (!std::isfinite(bits_value));
    values.push_back(bits_value);
  }
  return values;
}

std::string random_id(std::mt19937_64& rng, bool valid_utf8_only) {
  static const std::vector<std::string> kPieces = {
      "a",  "Z",  "0",  "7",    "-",    "_",    " ", "é", "€", ",", "\"", "\\",
      "\n", "\r", "\t", "\x01", "\x1f", "\x7f", "/", "'", "{", "}", ":",  "\xff"};
  std::uniform_int_distribution<std::size_t> length(0, 12);
  std::uniform_int_distribution<std::size_t> plain(0, 7);
  std::uniform_int_distribution<std::size_t> any(0, kPieces.size() - (valid_utf8_only ? 2 : 1));
  std::string id;
  const std::size_t n = length(rng);
  for (std::size_t i = 0; i < n; ++i) id += kPieces[rng() % 4 == 0 ? any(rng) : plain(rng)];
  return id;
}

// `count` random records (and the awkward ones first): ids with characters JSON must escape and
// CSV must quote, days from every era, integers up to the type limits, scores of one and of
// several digits, every kind of double.
Records random_records(std::size_t count, std::uint64_t seed, bool valid_utf8_only) {
  std::mt19937_64 rng(seed);
  Records r;
  r.segments = {"Champions",       "Loyal Customers", "At Risk",  "Can't Lose Them",
                "Big, \"quoted\"", "line\nbreak",     "tab\there"};
  const std::vector<double> doubles = awkward_doubles(rng, count);
  const std::vector<Day> edge_days = {std::numeric_limits<Day>::min(),
                                      std::numeric_limits<Day>::max(),
                                      clvkit::days_from_civil(0, 1, 1) - 1,
                                      clvkit::days_from_civil(9999, 12, 31) + 1,
                                      -1,
                                      0};
  const std::vector<std::int64_t> edge_integers = {std::numeric_limits<std::int64_t>::min(),
                                                   std::numeric_limits<std::int64_t>::max(),
                                                   -1,
                                                   0,
                                                   9,
                                                   10,
                                                   99,
                                                   100};
  const std::vector<int> edge_scores = {
      0, 9, 10, 123, -1, std::numeric_limits<int>::min(), std::numeric_limits<int>::max()};
  std::uniform_int_distribution<Day> usual_day(clvkit::days_from_civil(1990, 1, 1),
                                               clvkit::days_from_civil(2030, 12, 31));
  std::uniform_int_distribution<Day> any_day(std::numeric_limits<Day>::min(),
                                             std::numeric_limits<Day>::max());
  std::uniform_int_distribution<int> small(0, 2000);
  std::uniform_int_distribution<int> score(1, 5);
  std::size_t next_double = 0;
  const auto number = [&] { return doubles[next_double++ % doubles.size()]; };
  const auto pick = [&](const auto& values) { return values[rng() % values.size()]; };
  for (std::size_t i = 0; i < count; ++i) {
    const bool edge = rng() % 8 == 0;
    CustomerSummary s;
    s.id = i == 0 ? "" : random_id(rng, valid_utf8_only);
    s.first_purchase = edge ? (rng() % 2 ? pick(edge_days) : any_day(rng)) : usual_day(rng);
    s.last_purchase = usual_day(rng);
    s.purchase_days = edge ? pick(edge_integers) : small(rng);
    s.frequency = edge ? pick(edge_integers) : small(rng);
    s.recency = edge ? std::numeric_limits<std::int32_t>::min() : small(rng);
    s.T = edge ? std::numeric_limits<std::int32_t>::max() : small(rng);
    s.days_since_last = small(rng);
    s.total_spend = number();
    s.monetary = number();
    s.avg_spend = number();
    r.summaries.push_back(s);
    CustomerPrediction p;
    p.p_alive = number();
    p.expected_purchases = number();
    p.expected_avg_spend = number();
    p.clv = number();
    p.clv_if_alive = number();
    p.value_at_risk = number();
    p.churn_priority = edge ? pick(edge_integers) : small(rng);
    r.predictions.push_back(p);
    Records::Scores sc;
    sc.r = edge ? pick(edge_scores) : score(rng);
    sc.f = score(rng);
    sc.m = edge ? pick(edge_scores) : score(rng);
    sc.segment = rng() % r.segments.size();
    r.scores.push_back(sc);
  }
  r.link();
  return r;
}

const nlohmann::ordered_json kMetadata = {{"tool", "clvkit"}, {"schema_version", 1}};

}  // namespace

TEST_CASE("records are byte-identical to the reference writer in every format",
          "[io][records][consistency]") {
  // 5000 records span three 2048-record blocks; every thread count gives the same bytes.
  Records r = random_records(5000, 20240611, false);
  for (const RecordFormat format : {RecordFormat::json, RecordFormat::ndjson, RecordFormat::csv}) {
    CAPTURE(static_cast<int>(format));
    const std::string expected = reference_output(format, r.records, kMetadata);
    for (const int threads : {1, 2, 3}) {
      CAPTURE(threads);
      const std::string written = written_output(format, r.records, kMetadata, threads);
      CHECK(written.size() == expected.size());
      CHECK(written == expected);
    }
  }
}

TEST_CASE("records without predictions end at the segment and no records write no CSV header",
          "[io][records][consistency]") {
  Records r = random_records(300, 7, false);
  for (auto& scores : r.scores) scores.predicted = false;
  r.link();
  for (const RecordFormat format : {RecordFormat::json, RecordFormat::ndjson, RecordFormat::csv}) {
    CAPTURE(static_cast<int>(format));
    CHECK(written_output(format, r.records, kMetadata, 1) ==
          reference_output(format, r.records, kMetadata));
    CHECK(written_output(format, {}, kMetadata, 2) == reference_output(format, {}, kMetadata));
  }
  CHECK(written_output(RecordFormat::csv, {}, kMetadata, 1).empty());
}

TEST_CASE("a known record is written field by field in the documented order", "[io][records]") {
  Records r;
  CustomerSummary s;
  s.id = "1";
  s.first_purchase = clvkit::days_from_civil(1997, 1, 1);
  s.last_purchase = clvkit::days_from_civil(1997, 12, 12);
  s.purchase_days = 4;
  s.frequency = 3;
  s.recency = 345;
  s.T = 545;
  s.days_since_last = 200;
  s.total_spend = 100.5;
  s.monetary = 71.17 / 3.0;
  s.avg_spend = 25.125;
  r.summaries = {s};
  r.predictions = {{0.6611195211427, 1.205629382971, 25.95995790069, 29.78419065921, 45.05114386541,
                    15.26695320619, 564}};
  r.segments = {"Champions"};
  r.scores = {{4, 4, 4, 0, true}};
  r.link();
  CHECK(written_output(RecordFormat::ndjson, r.records, kMetadata, 1) ==
        "{\"customer_id\":\"1\",\"first_purchase\":\"1997-01-01\",\"last_purchase\":"
        "\"1997-12-12\",\"purchase_days\":4,\"frequency\":3,\"recency\":345,\"T\":545,"
        "\"days_since_last\":200,\"total_spend\":100.5,\"monetary\":23.7233333333,"
        "\"avg_spend\":25.125,\"r_score\":4,\"f_score\":4,\"m_score\":4,\"rfm_cell\":\"444\","
        "\"segment\":\"Champions\",\"p_alive\":0.661119521143,\"expected_purchases\":"
        "1.20562938297,\"expected_avg_spend\":25.9599579007,\"clv\":29.7841906592,"
        "\"clv_if_alive\":45.0511438654,\"value_at_risk\":15.2669532062,\"churn_priority\":564}\n");
  CHECK(written_output(RecordFormat::csv, r.records, kMetadata, 1) ==
        "customer_id,first_purchase,last_purchase,purchase_days,frequency,recency,T,"
        "days_since_last,total_spend,monetary,avg_spend,r_score,f_score,m_score,rfm_cell,segment,"
        "p_alive,expected_purchases,expected_avg_spend,clv,clv_if_alive,value_at_risk,"
        "churn_priority\n"
        "1,1997-01-01,1997-12-12,4,3,345,545,200,100.5,23.7233333333,25.125,4,4,4,444,Champions,"
        "0.661119521143,1.20562938297,25.9599579007,29.7841906592,45.0511438654,15.2669532062,"
        "564\n");
}

TEST_CASE("JSON, NDJSON and CSV records read back to the values written",
          "[io][records][property]") {
  Records r = random_records(3000, 99, true);  // nlohmann reads only valid UTF-8
  const auto check_number = [](double written, double read) {
    // 12 significant digits: within 5e-12 relative, plus the spacing of subnormals.
    const double expected = written == 0.0 ? 0.0 : written;
    CHECK(std::abs(read - expected) <= 5.1e-12 * std::abs(expected) + 5e-324);
  };

  const nlohmann::json document =
      nlohmann::json::parse(written_output(RecordFormat::json, r.records, kMetadata, 2));
  CHECK(document["metadata"] == nlohmann::json(kMetadata));
  const nlohmann::json& customers = document["customers"];
  REQUIRE(customers.size() == r.records.size());
  std::istringstream ndjson(written_output(RecordFormat::ndjson, r.records, kMetadata, 2));
  std::string line;
  for (std::size_t i = 0; i < r.records.size(); ++i) {
    REQUIRE(std::getline(ndjson, line));
    const nlohmann::json& c = customers[i];
    CHECK(nlohmann::json::parse(line) == c);
    const CustomerSummary& s = r.summaries[i];
    const CustomerPrediction& p = r.predictions[i];
    CAPTURE(i, s.id);
    CHECK(c["customer_id"] == s.id);
    CHECK(c["first_purchase"] == clvkit::format_day(s.first_purchase));
    CHECK(c["last_purchase"] == clvkit::format_day(s.last_purchase));
    CHECK(c["purchase_days"] == s.purchase_days);
    CHECK(c["frequency"] == s.frequency);
    CHECK(c["recency"] == s.recency);
    CHECK(c["T"] == s.T);
    CHECK(c["days_since_last"] == s.days_since_last);
    check_number(s.total_spend, c["total_spend"].get<double>());
    check_number(s.monetary, c["monetary"].get<double>());
    check_number(s.avg_spend, c["avg_spend"].get<double>());
    CHECK(c["r_score"] == r.records[i].r_score);
    CHECK(c["m_score"] == r.records[i].m_score);
    CHECK(c["rfm_cell"] == std::to_string(r.records[i].r_score) +
                               std::to_string(r.records[i].f_score) +
                               std::to_string(r.records[i].m_score));
    CHECK(c["segment"] == *r.records[i].segment);
    check_number(p.p_alive, c["p_alive"].get<double>());
    check_number(p.clv, c["clv"].get<double>());
    check_number(p.value_at_risk, c["value_at_risk"].get<double>());
    CHECK(c["churn_priority"] == p.churn_priority);
  }
  CHECK_FALSE(std::getline(ndjson, line));

  // CSV through the library's own RFC 4180 reader: quoted ids and segments come back intact.
  std::istringstream csv(written_output(RecordFormat::csv, r.records, kMetadata, 2));
  clvkit::CsvReader reader(csv, "records.csv", ',');
  REQUIRE(reader.next());
  CHECK(reader.size() == 23);
  for (std::size_t i = 0; i < r.records.size(); ++i) {
    REQUIRE(reader.next());
    CAPTURE(i);
    REQUIRE(reader.size() == 23);
    const auto fields = reader.fields();
    CHECK(fields[0] == r.summaries[i].id);
    CHECK(fields[1] == clvkit::format_day(r.summaries[i].first_purchase));
    CHECK(fields[15] == *r.records[i].segment);
    check_number(r.predictions[i].clv, std::strtod(std::string(fields[19]).c_str(), nullptr));
    CHECK(fields[22] == std::to_string(r.predictions[i].churn_priority));
  }
  CHECK_FALSE(reader.next());
}

TEST_CASE("a non-finite number fails naming the field and the first such customer",
          "[io][records][inputcheck]") {
  Records r = random_records(5000, 3, false);
  r.summaries[2500].id = "c-2500";
  r.predictions[2500].clv = std::numeric_limits<double>::quiet_NaN();
  r.summaries[4000].monetary = std::numeric_limits<double>::infinity();
  r.link();
  for (const RecordFormat format : {RecordFormat::json, RecordFormat::csv}) {
    for (const int threads : {1, 2}) {
      TempDir dir;
      clvkit::OutputFile out(dir.file("records"));
      CHECK_THROWS_MATCHES(
          clvkit::write_customer_records(out, format, r.records, kMetadata, threads),
          clvkit::ModelError,
          clvkit::test::What(Catch::Matchers::StartsWith("non-finite clv of customer 'c-2500'")));
    }
  }
}

// Rows in memory (ingest_transactions on a span of Transaction, what the Python module hands
// over) against the CSV ingest of the same rows written as a log: the same base, customer by
// customer and bit by bit, the same accounting and the same first bad row.

#include <catch2/catch.hpp>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "../../src/summary/amount.hpp"
#include "../support/customer_bases.hpp"
#include "../support/reference_data.hpp"
#include "clvkit/error.hpp"
#include "clvkit/io/csv.hpp"
#include "clvkit/io/date.hpp"
#include "clvkit/summary/holdout.hpp"
#include "clvkit/summary/ingest.hpp"

using clvkit::BadRowPolicy;
using clvkit::CalibrationHoldout;
using clvkit::CustomerBase;
using clvkit::Day;
using clvkit::IngestOptions;
using clvkit::InputError;
using clvkit::RejectReason;
using clvkit::ReturnsPolicy;
using clvkit::Transaction;
using clvkit::ZeroAmountPolicy;
using clvkit::test::require_same_base;

namespace {

const std::string kCdnow = "data/cdnow.csv";

// The rows as the CSV log a data frame's to_csv would write: ids quoted where needed, days as
// YYYY-MM-DD (a missing one empty), amounts in the shortest fixed form ("nan", "inf" as such).
std::string csv_of(const std::vector<Transaction>& rows) {
  std::string text = "customer_id,date,amount\n";
  for (const Transaction& row : rows) {
    clvkit::append_csv_field(text, row.customer_id);
    text += ',';
    if (row.day != clvkit::kMissingDay) text += clvkit::format_day(row.day);
    text += ',';
    if (std::isnan(row.amount)) {
      text += "nan";
    } else if (std::isinf(row.amount)) {
      text += row.amount < 0 ? "-inf" : "inf";
    } else {
      char amount[400];
      const auto written =
          std::to_chars(amount, amount + sizeof amount, row.amount, std::chars_format::fixed);
      text.append(amount, written.ptr);
    }
    text += '\n';
  }
  return text;
}

CustomerBase from_csv(const std::vector<Transaction>& rows, const IngestOptions& options) {
  std::istringstream in(csv_of(rows));
  return clvkit::ingest_transactions(in, "rows", options);
}

// The CDNOW log as rows (ids point into `text`).
std::vector<Transaction> cdnow_rows(const std::string& text) {
  std::vector<Transaction> rows;
  std::size_t start = text.find('\n') + 1;
  while (start < text.size()) {
    const std::size_t end = text.find('\n', start);
    const std::string_view line(text.data() + start, end - start);
    const std::size_t c1 = line.find(','), c2 = line.find(',', c1 + 1);
    rows.push_back({line.substr(0, c1),
                    clvkit::parse_iso_date_or_throw(line.substr(c1 + 1, c2 - c1 - 1), "date"),
                    std::stod(std::string(line.substr(c2 + 1)))});
    start = end + 1;
  }
  return rows;
}

// A log with everything a data frame may hold: shuffled rows of a few thousand customers,
// returns (also before the first purchase and on it), zero amounts, amounts with more than six
// decimals and above 1e9, ids with spaces around, CSV specials and multi-byte characters, and
// (when `bad`) every kind of bad row.
std::vector<Transaction> varied_rows(std::vector<std::string>& ids, bool bad, std::uint32_t seed) {
  std::mt19937_64 rng(seed);
  ids.clear();
  for (int i = 0; i < 3000; ++i) ids.push_back(std::to_string(i * 7 % 3001));
  ids.insert(ids.end(), {" 12", "a,\"b\"", "c\nd", "é", "x y", "  "});
  if (bad) ids.insert(ids.end(), {"", std::string("\xff\xfe", 2)});
  std::vector<Transaction> rows;
  std::uniform_int_distribution<std::size_t> who(0, ids.size() - 1);
  std::uniform_int_distribution<Day> day(19000, 19400);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (int i = 0; i < 40000; ++i) {
    double amount = std::round(unit(rng) * 10000.0) / 100.0;
    const double kind = unit(rng);
    if (kind < 0.08) amount = -amount;                                   // a return
    if (kind >= 0.08 && kind < 0.1) amount = 0.0;                        // a zero amount
    if (kind >= 0.1 && kind < 0.12) amount = unit(rng) * 1e3;            // 17 digits
    if (kind >= 0.12 && kind < 0.125) amount = 1e9 + unit(rng) * 1e11;   // above the fast path
    if (kind >= 0.125 && kind < 0.127) amount = 0.5e-6 * (1 + (i % 3));  // half a millionth
    rows.push_back({ids[who(rng)], day(rng), amount});
    if (bad && i % 997 == 5) rows.back().amount = std::numeric_limits<double>::quiet_NaN();
    if (bad && i % 991 == 7) rows.back().amount = -std::numeric_limits<double>::infinity();
    if (bad && i % 983 == 9) rows.back().amount = 2e12;
    if (bad && i % 977 == 11) rows.back().day = clvkit::kMissingDay;
  }
  return rows;
}

// The split of the rows in memory equals the split of the same rows written as CSV: the
// calibration base bit by bit, every holdout figure, the tracking series and the accounting.
void require_same_split(const CalibrationHoldout& memory, const CalibrationHoldout& csv) {
  require_same_base(memory.calibration, csv.calibration);
  REQUIRE(memory.calibration.source == csv.calibration.source);
  REQUIRE(memory.holdout.size() == csv.holdout.size());
  for (std::size_t i = 0; i < csv.holdout.size(); ++i) {
    CAPTURE(i);
    REQUIRE(memory.holdout[i].purchase_days == csv.holdout[i].purchase_days);
    REQUIRE(memory.holdout[i].spend == csv.holdout[i].spend);
  }
  REQUIRE(memory.calibration_end == csv.calibration_end);
  REQUIRE(memory.holdout_end == csv.holdout_end);
  REQUIRE(memory.holdout_customers_new == csv.holdout_customers_new);
  REQUIRE(memory.holdout_rows_new_customers == csv.holdout_rows_new_customers);
  REQUIRE(memory.daily_repeat_purchases == csv.daily_repeat_purchases);
  REQUIRE(memory.cohort_first_day == csv.cohort_first_day);
}

CalibrationHoldout split_csv(const std::vector<Transaction>& rows, const IngestOptions& options,
                             Day calibration_end) {
  std::istringstream in(csv_of(rows));
  return clvkit::ingest_calibration_holdout(in, "rows", options, calibration_end);
}

}  // namespace

TEST_CASE("in-memory rows give the CSV ingest's base of CDNOW under every option set",
          "[ingest][rows][consistency]") {
  std::ifstream in(kCdnow, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  const std::vector<Transaction> rows = cdnow_rows(text);
  REQUIRE(rows.size() == 6919);
  std::vector<IngestOptions> option_sets(5);
  option_sets[1].as_of = clvkit::parse_iso_date_or_throw("1997-09-30", "as_of");
  option_sets[2].period = clvkit::Period::month;
  option_sets[3].zero_amounts = ZeroAmountPolicy::drop;
  option_sets[3].threads = 3;
  option_sets[4].period = clvkit::Period::week;
  option_sets[4].as_of = clvkit::parse_iso_date_or_throw("1998-01-15", "as_of");
  for (std::size_t k = 0; k < option_sets.size(); ++k) {
    CAPTURE(k);
    const CustomerBase csv = clvkit::ingest_transactions_file(kCdnow, option_sets[k]);
    const CustomerBase memory = clvkit::ingest_transactions(rows, kCdnow, option_sets[k]);
    require_same_base(memory, csv);
    CHECK(memory.source == kCdnow);
  }
}

TEST_CASE("in-memory rows give the base, the split and the accounting of the same rows as CSV",
          "[ingest][rows][holdout][consistency]") {
  for (const bool bad : {false, true}) {
    for (const int threads : {1, 2, 5}) {
      for (const ReturnsPolicy returns : {ReturnsPolicy::net, ReturnsPolicy::drop}) {
        CAPTURE(bad, threads, static_cast<int>(returns));
        std::vector<std::string> ids;
        const std::vector<Transaction> rows = varied_rows(ids, bad, 7 + threads);
        IngestOptions options;
        options.threads = threads;
        options.returns = returns;
        options.on_bad_row = BadRowPolicy::skip;
        options.as_of = 19350;
        const CustomerBase memory = clvkit::ingest_transactions(rows, "rows", options);
        require_same_base(memory, from_csv(rows, options));
        REQUIRE(memory.stats.reconciles());
        for (const Day calibration_end : {19100, 19300}) {
          CAPTURE(calibration_end);
          const CalibrationHoldout split =
              clvkit::ingest_calibration_holdout(rows, "rows", options, calibration_end);
          require_same_split(split, split_csv(rows, options, calibration_end));
          REQUIRE(split.calibration.stats.reconciles());
        }
        if (bad) {
          CHECK(memory.stats.rejected[static_cast<int>(RejectReason::empty_id)] > 0);
          CHECK(memory.stats.rejected[static_cast<int>(RejectReason::invalid_utf8)] > 0);
          CHECK(memory.stats.rejected[static_cast<int>(RejectReason::bad_date)] > 0);
          CHECK(memory.stats.rejected[static_cast<int>(RejectReason::bad_amount)] > 0);
        }
      }
    }
  }
}

TEST_CASE("in-memory rows name their first bad row by line and column, whatever the threads",
          "[ingest][rows][inputcheck]") {
  // 200,000 rows span four chunks; the bad rows are in the second and the fourth.
  std::vector<Transaction> rows(200000, Transaction{"7", 19000, 1.0});
  rows[70000].amount = std::numeric_limits<double>::quiet_NaN();
  rows[150000].customer_id = "";
  for (const int threads : {1, 2, 4}) {
    IngestOptions options;
    options.threads = threads;
    CHECK_THAT(clvkit::test::error_message<InputError>(
                   [&] { clvkit::ingest_transactions(rows, "frame", options); }),
               Catch::Equals("frame:70002:3: missing amount (NaN) in column 'amount'"));
  }
  rows[70000].amount = 1.0;
  CHECK_THAT(clvkit::test::error_message<InputError>(
                 [&] { clvkit::ingest_transactions(rows, "frame", {}); }),
             Catch::Equals("frame:150002:1: empty customer id in column 'customer_id'"));
  rows[150000] = Transaction{"7", clvkit::kMissingDay, 1.0};
  CHECK_THAT(clvkit::test::error_message<InputError>(
                 [&] { clvkit::ingest_transactions(rows, "frame", {}); }),
             Catch::Equals("frame:150002:2: missing date in column 'date'"));
  rows[150000] = Transaction{"7", 19000, -std::numeric_limits<double>::infinity()};
  CHECK_THAT(clvkit::test::error_message<InputError>(
                 [&] { clvkit::ingest_transactions(rows, "frame", {}); }),
             Catch::Equals("frame:150002:3: amount '-inf' is not a finite number"));
  rows[150000] = Transaction{"7", 19000, -2.5};
  IngestOptions fail_returns;
  fail_returns.returns = ReturnsPolicy::fail;
  fail_returns.on_bad_row = BadRowPolicy::skip;  // the returns policy fails regardless
  CHECK_THAT(clvkit::test::error_message<InputError>(
                 [&] { clvkit::ingest_transactions(rows, "frame", fail_returns); }),
             Catch::Equals("frame:150002:3: negative amount '-2.5' (returns=fail)"));
  CHECK_THAT(clvkit::test::error_message<InputError>(
                 [&] { clvkit::ingest_transactions(std::span<const Transaction>(), "frame", {}); }),
             Catch::Equals("frame: empty log: there are no rows"));
}

TEST_CASE("in-memory rows report a spend overflow at the row that causes it",
          "[ingest][rows][inputcheck]") {
  std::vector<Transaction> rows(100000, Transaction{"1", 19000, 1.0});
  for (std::size_t i = 90000; i < 90020; ++i) rows[i] = {"big", 19001, 9.9e11};
  IngestOptions options;
  options.threads = 2;
  const std::string expected =
      "frame:90011:3: customer 'big': total spend exceeds the representable range "
      "(|total| < 9.2e12)";
  CHECK_THAT(clvkit::test::error_message<InputError>(
                 [&] { clvkit::ingest_transactions(rows, "frame", options); }),
             Catch::Equals(expected));
  std::istringstream csv(csv_of(rows));
  CHECK_THAT(clvkit::test::error_message<InputError>(
                 [&] { clvkit::ingest_transactions(csv, "frame", options); }),
             Catch::Equals(expected));
}

TEST_CASE("amount_from_double reads what parse_amount reads from the shortest fixed text",
          "[ingest][rows][property]") {
  // Exact agreement (millionths and both flags) over every scale the amounts can have, and at
  // the 1e9 edge of the fast path.
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> mantissa(-1.0, 1.0);
  std::vector<double> values{0.0,
                             -0.0,
                             5e-7,
                             -5e-7,
                             1.5e-6,
                             0.1,
                             0.29,
                             1e9,
                             -1e9,
                             std::nextafter(1e9, 0.0),
                             999999999999.99,
                             1e12,
                             1e-300};
  for (int scale = -8; scale <= 12; ++scale) {
    for (int i = 0; i < 20000; ++i) {
      const double value = mantissa(rng) * std::pow(10.0, scale);
      values.push_back(value);
      values.push_back(std::round(value * 100.0) / 100.0);  // cents, as exports write them
    }
  }
  for (const double value : values) {
    CAPTURE(value);
    char text[400];
    const auto written = std::to_chars(text, text + sizeof text, value, std::chars_format::fixed);
    clvkit::detail::Amount from_text, from_double;
    const bool parsed = clvkit::detail::parse_amount(
        {text, static_cast<std::size_t>(written.ptr - text)}, from_text);
    REQUIRE(clvkit::detail::amount_from_double(value, from_double) == parsed);
    if (!parsed) continue;
    REQUIRE(from_double.units == from_text.units);
    REQUIRE(from_double.negative == from_text.negative);
    REQUIRE(from_double.zero == from_text.zero);
  }
}

TEST_CASE("in-memory rows give the CSV split of CDNOW at its calibration end, on any threads",
          "[ingest][rows][holdout][consistency]") {
  std::ifstream in(kCdnow, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  const std::string text = buffer.str();
  const std::vector<Transaction> rows = cdnow_rows(text);
  const Day calibration_end = clvkit::parse_iso_date_or_throw("1997-09-30", "calibration end");
  std::vector<IngestOptions> option_sets(4);
  option_sets[1].threads = 3;
  option_sets[1].as_of = clvkit::parse_iso_date_or_throw("1998-03-31", "as_of");
  option_sets[2].period = clvkit::Period::month;
  option_sets[2].threads = 2;
  option_sets[3].zero_amounts = ZeroAmountPolicy::drop;
  option_sets[3].threads = 4;
  for (std::size_t k = 0; k < option_sets.size(); ++k) {
    CAPTURE(k);
    const CalibrationHoldout csv =
        clvkit::ingest_calibration_holdout(kCdnow, option_sets[k], calibration_end);
    const CalibrationHoldout memory =
        clvkit::ingest_calibration_holdout(rows, kCdnow, option_sets[k], calibration_end);
    require_same_split(memory, csv);
    REQUIRE(memory.calibration.stats.reconciles());
  }
  // FHL 2005's cohort: 2357 customers, 1882 repeat purchases in the 39-week holdout.
  const CalibrationHoldout fhl =
      clvkit::ingest_calibration_holdout(rows, "rows", {}, calibration_end);
  CHECK(fhl.calibration.customers.size() == 2357);
  std::int64_t repeat = 0;
  for (const clvkit::HoldoutActivity& h : fhl.holdout) repeat += h.purchase_days;
  CHECK(repeat == 1882);
}

TEST_CASE("in-memory rows split name the CSV split's first bad row and refuse what it refuses",
          "[ingest][rows][holdout][inputcheck]") {
  // 200,000 rows span four chunks; the bad rows are in the second and the fourth.
  std::vector<Transaction> rows(200000, Transaction{"7", 19000, 1.0});
  for (std::size_t i = 0; i < rows.size(); i += 3) rows[i] = Transaction{"8", 19010, 2.0};
  rows[70000].amount = std::numeric_limits<double>::quiet_NaN();
  rows[150000].customer_id = "";
  for (const int threads : {1, 2, 4}) {
    CAPTURE(threads);
    IngestOptions options;
    options.threads = threads;
    CHECK_THAT(clvkit::test::error_message<InputError>(
                   [&] { clvkit::ingest_calibration_holdout(rows, "rows", options, 19005); }),
               Catch::Equals("rows:70002:3: missing amount (NaN) in column 'amount'"));
    // The CSV text of a NaN is "nan", an unparsable amount at the same line and column.
    CHECK_THAT(clvkit::test::error_message<InputError>([&] { split_csv(rows, options, 19005); }),
               Catch::StartsWith("rows:70002:3: unparsable amount 'nan'"));
  }
  rows[70000].amount = 1.0;
  const std::string csv_error =
      clvkit::test::error_message<InputError>([&] { split_csv(rows, {}, 19005); });
  CHECK(csv_error == "rows:150002:1: empty customer id in column 'customer_id'");
  CHECK_THAT(clvkit::test::error_message<InputError>(
                 [&] { clvkit::ingest_calibration_holdout(rows, "rows", {}, 19005); }),
             Catch::Equals(csv_error));
  rows[150000].customer_id = "9";
  // An empty holdout and a calibration end before every purchase: the CSV split's UsageErrors.
  for (const Day calibration_end : {19010, 18990}) {
    CAPTURE(calibration_end);
    const std::string expected = clvkit::test::error_message<clvkit::UsageError>(
        [&] { split_csv(rows, {}, calibration_end); });
    CHECK_THAT(clvkit::test::error_message<clvkit::UsageError>(
                   [&] { clvkit::ingest_calibration_holdout(rows, "rows", {}, calibration_end); }),
               Catch::Equals(expected));
  }
  CHECK_THAT(clvkit::test::error_message<InputError>([&] {
               clvkit::ingest_calibration_holdout(std::span<const Transaction>(), "rows", {},
                                                  19005);
             }),
             Catch::Equals("rows: empty log: there are no rows"));
}

TEST_CASE("in-memory rows split report a spend overflow at the row that causes it",
          "[ingest][rows][holdout][inputcheck]") {
  // 'big' buys 9.9e11 a row on both sides of the split: its whole total overflows at the 10th
  // row (90009), but the split sums the sides apart: the 10th row before the split (90018).
  std::vector<Transaction> rows(100000, Transaction{"1", 19000, 1.0});
  for (std::size_t i = 90000; i < 90030; ++i) rows[i] = {"big", i % 2 == 0 ? 19001 : 19020, 9.9e11};
  const std::string expected =
      "rows:90020:3: customer 'big': total spend exceeds the representable range "
      "(|total| < 9.2e12)";
  for (const int threads : {1, 3}) {
    CAPTURE(threads);
    IngestOptions options;
    options.threads = threads;
    CHECK_THAT(clvkit::test::error_message<InputError>(
                   [&] { clvkit::ingest_calibration_holdout(rows, "rows", options, 19010); }),
               Catch::Equals(expected));
  }
  IngestOptions one_thread;  // the CSV split names the same row on one thread
  CHECK_THAT(clvkit::test::error_message<InputError>([&] { split_csv(rows, one_thread, 19010); }),
             Catch::Equals(expected));
}

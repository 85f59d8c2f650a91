#include "clvkit/summary/ingest.hpp"

#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "../../src/summary/log_scan.hpp"
#include "../support/customer_bases.hpp"
#include "../support/matchers.hpp"
#include "../support/pipe_buffer.hpp"
#include "clvkit/error.hpp"
#include "clvkit/io/date.hpp"

using Catch::Matchers::Contains;
using Catch::Matchers::Equals;
using clvkit::BadRowPolicy;
using clvkit::CustomerBase;
using clvkit::CustomerSummary;
using clvkit::Day;
using clvkit::IngestOptions;
using clvkit::RejectReason;
using clvkit::ReturnsPolicy;
using clvkit::ZeroAmountPolicy;

namespace {

using clvkit::test::require_same_base;

using clvkit::test::What;

using clvkit::test::PipeBuffer;

enum class Source { file, pipe, mapped };

// The log of a test written to a file of its own, for ingest_transactions_file, which maps a
// regular file into memory and parses it in place (MappedFile).
class LogFile {
 public:
  explicit LogFile(const std::string& text) {
    static int count = 0;
    path_ = (std::filesystem::temp_directory_path() /
             ("clvkit-ingest-test-" + std::to_string(::getpid()) + "-" + std::to_string(++count) +
              ".csv"))
                .string();
    std::ofstream(path_, std::ios::binary) << text;
  }
  LogFile(const LogFile&) = delete;
  LogFile& operator=(const LogFile&) = delete;
  ~LogFile() { std::filesystem::remove(path_); }
  const std::string& path() const noexcept { return path_; }

 private:
  std::string path_;
};

CustomerBase ingest_once(const std::string& text, const IngestOptions& options,
                         Source source = Source::file) {
  if (source == Source::mapped) {
    // Messages name the file as given: "log.csv" stands for it, as for the streams.
    const LogFile file(text);
    try {
      return clvkit::ingest_transactions_file(file.path(), options);
    } catch (const clvkit::InputError& error) {
      std::string message = error.what();
      for (std::size_t at; (at = message.find(file.path())) != std::string::npos;) {
        message.replace(at, file.path().size(), "log.csv");
      }
      throw clvkit::InputError(message);
    }
  }
  if (source == Source::pipe) {
    PipeBuffer buffer(text, std::ios_base::in);
    std::istream in(&buffer);
    return clvkit::ingest_transactions(in, "log.csv", options);
  }
  std::istringstream in(text);
  return clvkit::ingest_transactions(in, "log.csv", options);
}

// Every ingest in this file runs single-threaded with one block from a pipe (every day list
// kept), then from a seekable stream (days counted in order, out-of-order customers recounted
// by a second pass) with several threads and with blocks of a few bytes (so that records, quoted
// line ends, runs of rows and errors fall across block boundaries), again from a pipe with
// several threads, and from a file mapped into memory: the results, or the errors, must be
// identical.
CustomerBase ingest(const std::string& text, const IngestOptions& options = {}) {
  IngestOptions reference_options = options;
  reference_options.threads = 1;
  reference_options.block_bytes = 0;
  std::optional<CustomerBase> reference;
  std::string reference_error;
  try {
    reference = ingest_once(text, reference_options, Source::pipe);
  } catch (const clvkit::Error& error) {
    reference_error = error.what();
  }
  const auto check = [&](int threads, std::size_t block_bytes, Source source) {
    CAPTURE(threads, block_bytes, static_cast<int>(source));
    IngestOptions variant = options;
    variant.threads = threads;
    variant.block_bytes = block_bytes;
    if (reference) {
      require_same_base(*reference, ingest_once(text, variant, source));
    } else {
      REQUIRE_THROWS_WITH(ingest_once(text, variant, source), Equals(reference_error));
    }
  };
  for (const int threads : {1, 3}) {
    for (const std::size_t block_bytes :
         {std::size_t{0}, std::size_t{1}, std::size_t{7}, std::size_t{64}}) {
      check(threads, block_bytes, Source::file);
    }
  }
  check(3, 7, Source::pipe);
  for (const std::size_t block_bytes : {std::size_t{0}, std::size_t{1}, std::size_t{7}}) {
    check(3, block_bytes, Source::mapped);
  }
  if (!reference) return ingest_once(text, reference_options);  // throws the reference error
  return *reference;
}

IngestOptions skip_bad_rows() {
  IngestOptions options;
  options.on_bad_row = BadRowPolicy::skip;
  return options;
}

std::int64_t rejected(const CustomerBase& base, RejectReason reason) {
  return base.stats.rejected[static_cast<int>(reason)];
}

std::vector<std::string> ids(const CustomerBase& base) {
  std::vector<std::string> result;
  for (const auto& customer : base.customers) result.push_back(customer.id);
  return result;
}

const CustomerSummary& customer(const CustomerBase& base, const std::string& id) {
  for (const auto& c : base.customers) {
    if (c.id == id) return c;
  }
  FAIL("no customer " << id);
  throw;
}

Day day(int y, unsigned m, unsigned d) { return clvkit::days_from_civil(y, m, d); }

void check_same(const CustomerSummary& a, const CustomerSummary& b) {
  CAPTURE(a.id, b.id);
  CHECK(a.id == b.id);
  CHECK(a.first_purchase == b.first_purchase);
  CHECK(a.last_purchase == b.last_purchase);
  CHECK(a.purchase_days == b.purchase_days);
  CHECK(a.frequency == b.frequency);
  CHECK(a.recency == b.recency);
  CHECK(a.T == b.T);
  CHECK(a.days_since_last == b.days_since_last);
  CHECK(a.total_spend == b.total_spend);  // exact: amounts are summed as integers
  CHECK(a.monetary == b.monetary);
  CHECK(a.avg_spend == b.avg_spend);
}

}  // namespace

TEST_CASE("ingest reads a clean log and counts every row as used", "[ingest]") {
  const auto base = ingest(
      "customer_id,date,amount\n"
      "a,2024-01-01,10\n"
      "b,2024-01-02,20.5\n"
      "a,2024-01-05,5\n");
  CHECK(base.source == "log.csv");
  CHECK(base.delimiter == ',');
  CHECK(base.stats.rows_read == 3);
  CHECK(base.stats.rows_used == 3);
  CHECK(base.stats.rows_rejected() == 0);
  CHECK(base.stats.reconciles());
  CHECK(ids(base) == std::vector<std::string>{"a", "b"});
  CHECK(base.first_day == day(2024, 1, 1));
  CHECK(base.last_day == day(2024, 1, 5));
  CHECK(base.as_of == day(2024, 1, 5));
  CHECK(customer(base, "a").purchase_days == 2);
  CHECK(customer(base, "b").total_spend == 20.5);
}

TEST_CASE("ingest finds named columns anywhere in the header and ignores the others",
          "[ingest][csv]") {
  IngestOptions options;
  options.customer_col = "CustomerID";
  options.date_col = "InvoiceDate";
  options.amount_col = "Revenue";
  options.date_format = "%m/%d/%Y %H:%M";
  const auto base = ingest(
      "InvoiceNo, Revenue ,Description,InvoiceDate,CustomerID\n"
      "536365,15.30,\"WHITE HANGING HEART T-LIGHT HOLDER, LARGE\",12/1/2010 8:26,17850\n"
      "536366,11.10,\"HAND WARMER \"\"UNION JACK\"\"\",12/1/2010 8:28,17850\n"
      "536367,54.08,ASSORTED COLOUR BIRD ORNAMENT,12/2/2010 8:34,13047\n",
      options);
  REQUIRE(ids(base) == std::vector<std::string>{"13047", "17850"});
  CHECK(customer(base, "17850").purchase_days == 1);
  CHECK(customer(base, "17850").total_spend == 26.4);  // exact: 15.30 + 11.10 summed in integers
  CHECK(customer(base, "13047").first_purchase == day(2010, 12, 2));
}

TEST_CASE("ingest reads a semicolon log with BOM, CRLF and quoted ids from a stream like stdin",
          "[ingest][csv]") {
  std::istringstream in(
      "\xEF\xBB\xBF"
      "customer_id;date;amount\r\n"
      "\"Smith; J\";2024-01-01;10\r\n"
      "\r\n"
      "\"O\"\"Brien\";\"2024-01-02\";\"3.5\"\r\n");
  const auto base = clvkit::ingest_transactions(in, "-", IngestOptions{});
  CHECK(base.delimiter == ';');
  CHECK(base.source == "-");
  CHECK(base.stats.rows_read == 2);  // the blank line is not a row
  CHECK(ids(base) == std::vector<std::string>{"O\"Brien", "Smith; J"});
  CHECK(customer(base, "O\"Brien").total_spend == 3.5);
}

TEST_CASE("ingest reads tab-separated logs and honours a given delimiter", "[ingest][csv]") {
  CHECK(ingest("customer_id\tdate\tamount\nx\t2024-01-01\t1\n").delimiter == '\t');
  IngestOptions options;
  options.delimiter = '|';
  const auto base = ingest("customer_id|date|amount\nx,1|2024-01-01|1\n", options);
  CHECK(base.delimiter == '|');
  CHECK(ids(base) == std::vector<std::string>{"x,1"});
}

// Found by tests/fuzz/fuzz_ingest (a stray quote in a header name): the delimiter was detected
// from as much of the log as the first block held, so a tab-separated reading failed with 1 MiB
// blocks and a comma-separated one succeeded with tiny blocks. ingest() checks every block size.
TEST_CASE("ingest detects the same delimiter whatever the block size", "[ingest][csv][fuzz]") {
  const auto base = ingest("customer_id,date,amount,note\"x\n1,2024-01-01,5,a\"\t\t\t\t\n");
  CHECK(base.delimiter == ',');
  CHECK(ids(base) == std::vector<std::string>{"1"});
}

TEST_CASE("ingest_transactions_file reads '-' from standard input", "[ingest][csv]") {
  std::istringstream fake_stdin("customer_id,date,amount\n7,2024-03-01,2\n");
  std::streambuf* const saved = std::cin.rdbuf(fake_stdin.rdbuf());
  CustomerBase base;
  try {
    base = clvkit::ingest_transactions_file("-", IngestOptions{});
  } catch (...) {
    std::cin.rdbuf(saved);
    throw;
  }
  std::cin.rdbuf(saved);
  CHECK(base.source == "-");
  CHECK(ids(base) == std::vector<std::string>{"7"});
}

TEST_CASE("ingest_transactions_file reads fixture files and reports unopenable paths",
          "[ingest][csv][inputcheck]") {
  const std::string dir = CLVKIT_TEST_DATA_DIR "/ingest/";
  const auto semicolon = clvkit::ingest_transactions_file(dir + "semicolon_bom_crlf.csv", {});
  CHECK(semicolon.delimiter == ';');
  CHECK(semicolon.stats.rows_read == 4);
  CHECK(ids(semicolon) == std::vector<std::string>{"A; 1", "B"});
  CHECK(customer(semicolon, "A; 1").total_spend == 15.0);

  IngestOptions cdnow;
  cdnow.date_format = "%Y%m%d";
  const auto base = clvkit::ingest_transactions_file(dir + "cdnow_style.csv", cdnow);
  CHECK(ids(base) == std::vector<std::string>{"00001", "00002", "00003"});
  // 00001 buys on 1997-01-01 and 1997-01-12; 1997-01-12 also has a zero-amount row.
  CHECK(customer(base, "00001").purchase_days == 2);
  CHECK(customer(base, "00003").purchase_days == 1);  // a zero-amount day is a purchase day
  CHECK(base.as_of == day(1997, 3, 30));

  CHECK_THROWS_MATCHES(clvkit::ingest_transactions_file(dir + "no_such_file.csv", {}),
                       clvkit::IoError, What(Contains("no_such_file.csv")));
}

TEST_CASE("a missing or repeated column is an input error naming file and column",
          "[ingest][inputcheck]") {
  CHECK_THROWS_MATCHES(
      ingest("customer_id,date,value\na,2024-01-01,1\n"), clvkit::InputError,
      What(Equals("log.csv:1:0: missing column 'amount' (header has: customer_id, date, value)")));
  CHECK_THROWS_MATCHES(ingest("customer_id,date,amount,date\na,2024-01-01,1,x\n"),
                       clvkit::InputError,
                       What(Equals("log.csv:1:0: column 'date' appears twice in the header "
                                   "(fields 2 and 4)")));
}

TEST_CASE("a log with CR-only line ends is refused with a message that says so",
          "[ingest][inputcheck]") {
  CHECK_THROWS_MATCHES(
      ingest("customer_id,date,amount\r1,2024-01-01,1\r2,2024-01-02,1\r"), clvkit::InputError,
      What(Equals("log.csv:1:0: missing column 'amount': the header line runs on into the data, "
                  "whose lines end with a lone CR (old Mac line ends); convert them to LF or "
                  "CRLF")));
}

TEST_CASE("an empty log is an input error", "[ingest][inputcheck]") {
  CHECK_THROWS_MATCHES(ingest(""), clvkit::InputError, What(Contains("log.csv:1:0: empty log")));
  CHECK_THROWS_MATCHES(ingest("\n\r\n"), clvkit::InputError, What(Contains("empty log")));
  CHECK_THROWS_MATCHES(ingest("customer_id,date,amount\n"), clvkit::InputError,
                       What(Contains("not followed by any data row")));
  // Rows exist but none survives: the message explains where they went.
  CHECK_THROWS_MATCHES(
      ingest("customer_id,date,amount\na,2024-02-30,1\n", skip_bad_rows()), clvkit::InputError,
      What(Equals("log.csv: no customer has a purchase day: 1 rows read, 0 used, 0 "
                  "after the as-of day, 1 rejected (bad_date 1)")));
}

TEST_CASE("each bad row stops the ingest with source:line:column under on_bad_row=fail",
          "[ingest][inputcheck]") {
  const std::string header = "customer_id,date,amount\na,2024-01-01,10\n";
  const auto fails_with = [&](const std::string& row, const std::string& message,
                              const IngestOptions& options = {}) {
    CAPTURE(row);
    CHECK_THROWS_MATCHES(ingest(header + row, options), clvkit::InputError, What(Equals(message)));
  };
  fails_with("b,2024-01-02\n", "log.csv:3:3: expected 3 fields, found 2");
  fails_with("b\n", "log.csv:3:2: expected 3 fields, found 1");
  fails_with("b,2024-01-02,1,extra\n", "log.csv:3:4: expected 3 fields, found 4");
  fails_with("  ,2024-01-02,1\n", "log.csv:3:1: empty customer id in column 'customer_id'");
  fails_with("b,2023-13-01,1\n",
             "log.csv:3:2: unparsable date '2023-13-01' (expected YYYY-MM-DD, optionally with a "
             "time)");
  fails_with("b,2024-01-02,12.5.1\n",
             "log.csv:3:3: unparsable amount '12.5.1' (expected a decimal number such as 12.50)");
  fails_with("b,2024-01-02,1e99\n",
             "log.csv:3:3: unparsable amount '1e99' (expected a decimal number such as 12.50)");
  fails_with("b,2024-01-02,5000000000000\n",
             "log.csv:3:3: amount '5000000000000' out of range (|amount| < 1e12)");
  // 20 and 40 integer digits: the exact parser's integer wraps (unsigned, defined) and the value
  // is refused by its digit count, not by luck of a signed overflow (issue 13).
  fails_with("b,2024-01-02,12345678901234567890\n",
             "log.csv:3:3: amount '12345678901234567890' out of range (|amount| < 1e12)");
  fails_with("b,2024-01-02,-9999999999999999999999999999999999999999.5\n",
             "log.csv:3:3: amount '-9999999999999999999999999999999999999999.5' out of range "
             "(|amount| < 1e12)");
  IngestOptions cdnow;
  cdnow.date_format = "%Y%m%d";
  CHECK_THROWS_MATCHES(
      ingest("customer_id,date,amount\nb,19971301,1\n", cdnow), clvkit::InputError,
      What(Equals("log.csv:2:2: unparsable date '19971301' (expected format %Y%m%d)")));
}

TEST_CASE("line numbers in errors are physical lines, after quoted line ends and blank lines",
          "[ingest][inputcheck]") {
  CHECK_THROWS_MATCHES(ingest("customer_id,note,date,amount\n"
                              "a,\"two\nlines\",2024-01-01,1\n"
                              "\n"
                              "b,x,2024-01-0x,1\n"),
                       clvkit::InputError,
                       What(Contains("log.csv:5:3: unparsable date '2024-01-0x'")));
}

TEST_CASE("bad rows are counted by reason under on_bad_row=skip", "[ingest][inputcheck]") {
  const auto base = ingest(
      "customer_id,date,amount\n"
      "a,2024-01-01,10\n"
      "b,2024-01-02\n"        // wrong_field_count
      "b,2024-01-02,1,2\n"    // wrong_field_count
      ",2024-01-02,1\n"       // empty_id
      "   ,2024-01-02,1\n"    // empty_id
      "b,2024-02-30,1\n"      // bad_date
      "b,,1\n"                // bad_date
      "b,2024-01-02,abc\n"    // bad_amount
      "b,2024-01-02,\n"       // bad_amount
      "b,2024-01-02,nan\n"    // bad_amount
      "b,2024-01-02,inf\n"    // bad_amount
      "b,2024-01-02,+-3\n"    // bad_amount
      "b,2024-01-02,1 000\n"  // bad_amount
      "b,2024-01-03,4\n",
      skip_bad_rows());
  CHECK(base.stats.rows_read == 14);
  CHECK(base.stats.rows_used == 2);
  CHECK(rejected(base, RejectReason::wrong_field_count) == 2);
  CHECK(rejected(base, RejectReason::empty_id) == 2);
  CHECK(rejected(base, RejectReason::bad_date) == 2);
  CHECK(rejected(base, RejectReason::bad_amount) == 6);
  CHECK(base.stats.rows_rejected() == 12);
  CHECK(base.stats.reconciles());
  CHECK(ids(base) == std::vector<std::string>{"a", "b"});  // b exists only through its good row
  CHECK(customer(base, "b").first_purchase == day(2024, 1, 3));
}

TEST_CASE("a customer id that is not UTF-8 stops the ingest with its location under fail",
          "[ingest][inputcheck][utf8]") {
  CHECK_THROWS_MATCHES(ingest("customer_id,date,amount\n"
                              "a,2024-01-01,10\n"
                              "x\xFFy,2024-01-02,1\n"),
                       clvkit::InputError,
                       What(Equals("log.csv:3:1: invalid UTF-8 in customer id")));
  // In the second column, quoted, and a surrogate rather than a byte never used.
  CHECK_THROWS_MATCHES(ingest("date,customer_id,amount\n"
                              "2024-01-01,\"\xED\xA0\x80\",1\n"),
                       clvkit::InputError,
                       What(Equals("log.csv:2:2: invalid UTF-8 in customer id")));
}

TEST_CASE("ids that are not UTF-8 are counted as invalid_utf8 under skip; valid ones are kept",
          "[ingest][inputcheck][utf8]") {
  const auto base = ingest(
      "customer_id,date,amount\n"
      "M\xC3\xBCller,2024-01-01,10\n"     // valid, 2-byte
      "\xF0\x9F\x98\x80,2024-01-02,5\n"   // valid, 4-byte
      "\xFF,2024-01-02,1\n"               // never used
      "\xC0\xAF,2024-01-02,1\n"           // overlong
      "ab\xE2\x82,2024-01-02,1\n"         // truncated
      "\"a\xED\xBF\xBF\",2024-01-02,1\n"  // a surrogate, quoted
      "M\xC3\xBCller,2024-01-03,4\n",
      skip_bad_rows());
  CHECK(base.stats.rows_read == 7);
  CHECK(base.stats.rows_used == 3);
  CHECK(rejected(base, RejectReason::invalid_utf8) == 4);
  CHECK(base.stats.rows_rejected() == 4);
  CHECK(base.stats.reconciles());
  CHECK(ids(base) == std::vector<std::string>{"M\xC3\xBCller", "\xF0\x9F\x98\x80"});
  CHECK(customer(base, "M\xC3\xBCller").purchase_days == 2);
  CHECK(std::string(clvkit::reject_reason_key(RejectReason::invalid_utf8)) == "invalid_utf8");
}

TEST_CASE("a customer's spend overflow names the customer and the row where it overflowed",
          "[ingest][inputcheck]") {
  // Nine rows of 999,999,999,999 fit in int64 millionths (9.2e12 currency units), the tenth does
  // not: line 12 whatever the threads, blocks and runs of rows (the log is replayed row by row).
  std::string log = "customer_id,date,amount\n1,2024-01-01,5\n";
  for (int i = 0; i < 10; ++i) log += "7,2024-01-0" + std::to_string(2 + i % 3) + ",999999999999\n";
  CHECK_THROWS_MATCHES(
      ingest(log), clvkit::InputError,
      What(Equals("log.csv:12:3: customer '7': total spend exceeds the representable range "
                  "(|total| < 9.2e12)")));
  // Returns overflow the other way; another customer's rows in between change nothing.
  std::string returns = "customer_id,date,amount\n7,2024-01-01,1\n";
  for (int i = 0; i < 10; ++i) returns += "7,2024-01-02,-999999999999\n8,2024-01-02,1\n";
  CHECK_THROWS_MATCHES(ingest(returns), clvkit::InputError,
                       What(Contains("log.csv:21:3: customer '7': total spend exceeds")));
}

TEST_CASE("amounts accept a sign, surrounding spaces and bare decimal points", "[ingest]") {
  const auto base = ingest(
      "customer_id,date,amount\n"
      "a,2024-01-01, 12.5 \n"
      "a,2024-01-02,+3\n"
      "a,2024-01-03,.25\n"
      "a,2024-01-04,5.\n"
      "a,2024-01-05,0007\n");
  CHECK(customer(base, "a").total_spend == 12.5 + 3 + 0.25 + 5 + 7);
  CHECK(customer(base, "a").purchase_days == 5);
}

TEST_CASE("ids keep inner spaces and case but lose surrounding spaces", "[ingest]") {
  const auto base = ingest(
      "customer_id,date,amount\n"
      "  ab c ,2024-01-01,1\n"
      "ab c,2024-01-02,1\n"
      "AB C,2024-01-02,1\n");
  CHECK(ids(base) == std::vector<std::string>{"AB C", "ab c"});
  CHECK(customer(base, "ab c").purchase_days == 2);
}

TEST_CASE("returns=net subtracts returns from spend without creating purchase days",
          "[ingest][returns]") {
  const auto base = ingest(
      "customer_id,date,amount\n"
      "a,2024-01-01,10\n"
      "a,2024-01-05,-4\n"  // a return on a day without purchase
      "a,2024-01-08,6\n");
  const auto& a = customer(base, "a");
  CHECK(a.purchase_days == 2);
  CHECK(a.last_purchase == day(2024, 1, 8));
  CHECK(a.total_spend == 12.0);  // 10 - 4 + 6
  CHECK(a.monetary == 2.0);      // (12 - 10) / 1
  CHECK(base.stats.returns_netted == 1);
  CHECK(base.stats.rows_used == 3);
  CHECK(base.stats.reconciles());
}

TEST_CASE("returns=drop rejects negative rows as negative_amount", "[ingest][returns]") {
  IngestOptions options;
  options.returns = ReturnsPolicy::drop;
  const auto base = ingest(
      "customer_id,date,amount\n"
      "a,2024-01-01,10\n"
      "a,2024-01-05,-4\n"
      "a,2024-01-08,6\n",
      options);
  CHECK(customer(base, "a").total_spend == 16.0);
  CHECK(rejected(base, RejectReason::negative_amount) == 1);
  CHECK(base.stats.returns_netted == 0);
  CHECK(base.stats.rows_used == 2);
  CHECK(base.stats.reconciles());
}

TEST_CASE("returns=fail stops at the first negative amount with its position",
          "[ingest][returns][inputcheck]") {
  IngestOptions options;
  options.returns = ReturnsPolicy::fail;
  options.on_bad_row = BadRowPolicy::skip;  // the returns policy decides, not the bad-row one
  CHECK_THROWS_MATCHES(ingest("customer_id,date,amount\n"
                              "a,2024-01-01,10\n"
                              "a,2024-01-02,-3.50\n",
                              options),
                       clvkit::InputError,
                       What(Equals("log.csv:3:3: negative amount '-3.50' (returns=fail)")));
}

TEST_CASE("zero amounts: keep makes a purchase day, drop rejects, fail stops",
          "[ingest][returns]") {
  const std::string log =
      "customer_id,date,amount\n"
      "a,2024-01-01,10\n"
      "a,2024-01-04,0.00\n"
      "a,2024-01-09,-0\n";  // negative zero is a zero amount, not a return
  const auto kept = ingest(log);
  CHECK(customer(kept, "a").purchase_days == 3);
  CHECK(customer(kept, "a").last_purchase == day(2024, 1, 9));
  CHECK(kept.stats.zero_amount_rows == 2);
  CHECK(kept.stats.returns_netted == 0);
  CHECK(kept.stats.reconciles());

  IngestOptions drop;
  drop.zero_amounts = ZeroAmountPolicy::drop;
  const auto dropped = ingest(log, drop);
  CHECK(customer(dropped, "a").purchase_days == 1);
  CHECK(rejected(dropped, RejectReason::zero_amount) == 2);
  CHECK(dropped.stats.zero_amount_rows == 0);
  CHECK(dropped.stats.reconciles());

  IngestOptions fail;
  fail.zero_amounts = ZeroAmountPolicy::fail;
  CHECK_THROWS_MATCHES(ingest(log, fail), clvkit::InputError,
                       What(Equals("log.csv:3:3: zero amount '0.00' (zero-amounts=fail)")));
}

TEST_CASE("a customer with only returns is dropped and counted, its rows still used",
          "[ingest][returns]") {
  const auto base = ingest(
      "customer_id,date,amount\n"
      "a,2024-01-01,10\n"
      "r,2024-01-02,-5\n"
      "r,2024-01-03,-1\n");
  CHECK(ids(base) == std::vector<std::string>{"a"});
  CHECK(base.stats.customers_without_purchase == 1);
  CHECK(base.stats.rows_used == 3);
  CHECK(base.stats.returns_netted == 2);
  CHECK(base.last_day == day(2024, 1, 3));  // used days include return days
  CHECK(base.as_of == day(2024, 1, 3));
  CHECK(base.stats.reconciles());
}

TEST_CASE("rows after as_of are counted, not used, and escape the amount policies",
          "[ingest][asof]") {
  IngestOptions options = skip_bad_rows();
  options.as_of = day(2024, 1, 31);
  options.returns = ReturnsPolicy::fail;
  const auto base = ingest(
      "customer_id,date,amount\n"
      "a,2024-01-01,10\n"
      "a,2024-01-31,5\n"   // on the as-of day: used
      "a,2024-02-01,7\n"   // after
      "b,2024-02-10,-3\n"  // after: a return after as-of does not trigger returns=fail
      "c,2024-02-30,1\n"   // bad date: bad_date, not after-as-of
      "c,2024-03-01,xx\n"  // bad amount after as-of: still bad_amount
      "d,2024-01-15,2\n",
      options);
  CHECK(base.stats.rows_read == 7);
  CHECK(base.stats.rows_used == 3);
  CHECK(base.stats.rows_after_as_of == 2);
  CHECK(rejected(base, RejectReason::bad_date) == 1);
  CHECK(rejected(base, RejectReason::bad_amount) == 1);
  CHECK(base.stats.reconciles());
  CHECK(ids(base) == std::vector<std::string>{"a", "d"});
  CHECK(base.as_of == day(2024, 1, 31));
  CHECK(base.last_day == day(2024, 1, 31));
  CHECK(customer(base, "a").total_spend == 15.0);
  CHECK(customer(base, "d").T == 16);
}

TEST_CASE("rows_read = used + rejected + after as-of under every policy combination",
          "[ingest][property]") {
  for (const auto returns : {ReturnsPolicy::net, ReturnsPolicy::drop, ReturnsPolicy::fail}) {
    for (const auto zeros :
         {ZeroAmountPolicy::keep, ZeroAmountPolicy::drop, ZeroAmountPolicy::fail}) {
      for (const auto bad : {BadRowPolicy::fail, BadRowPolicy::skip}) {
        for (const bool with_as_of : {false, true}) {
          IngestOptions options;
          options.returns = returns;
          options.zero_amounts = zeros;
          options.on_bad_row = bad;
          if (with_as_of) options.as_of = day(2024, 1, 31);
          // Only the rows this combination does not stop on.
          std::string log = "customer_id,date,amount\na,2024-01-01,10\nb,2024-01-04,5\n";
          std::int64_t rows = 2, used = 2, rejects = 0, after = 0;
          if (returns != ReturnsPolicy::fail) {
            log += "a,2024-01-02,-3\n";
            ++rows;
            (returns == ReturnsPolicy::net ? used : rejects) += 1;
          }
          if (zeros != ZeroAmountPolicy::fail) {
            log += "b,2024-01-03,0\n";
            ++rows;
            (zeros == ZeroAmountPolicy::keep ? used : rejects) += 1;
          }
          if (bad == BadRowPolicy::skip) {
            log += ",2024-01-04,5\nc,2024-02-30,5\nc,2024-01-05,x\nc,2024-01-05\n";
            rows += 4;
            rejects += 4;
          }
          log += "c,2024-03-01,5\n";
          ++rows;
          (with_as_of ? after : used) += 1;
          CAPTURE(static_cast<int>(returns), static_cast<int>(zeros), static_cast<int>(bad),
                  with_as_of, log);
          const auto base = ingest(log, options);
          CHECK(base.stats.reconciles());
          CHECK(base.stats.rows_read == rows);
          CHECK(base.stats.rows_used == used);
          CHECK(base.stats.rows_rejected() == rejects);
          CHECK(base.stats.rows_after_as_of == after);
        }
      }
    }
  }
}

TEST_CASE("numeric ids sort numerically, other ids bytewise", "[ingest][order]") {
  const auto numeric = ingest(
      "customer_id,date,amount\n"
      "10,2024-01-01,1\n100,2024-01-01,1\n9,2024-01-01,1\n7,2024-01-01,1\n"
      "007,2024-01-01,1\n0,2024-01-01,1\n");
  // Significant digits decide ("007" and "7" are both seven); ties go by the full string.
  CHECK(ids(numeric) == std::vector<std::string>{"0", "007", "7", "9", "10", "100"});
  const auto mixed = ingest(
      "customer_id,date,amount\n"
      "10,2024-01-01,1\n9,2024-01-01,1\nA10,2024-01-01,1\nA9,2024-01-01,1\nb,2024-01-01,1\n");
  CHECK(ids(mixed) == std::vector<std::string>{"10", "9", "A10", "A9", "b"});
}

namespace {

std::string one_row_per_id(const std::vector<std::string>& ids) {
  std::string text = "customer_id,date,amount\n";
  for (const std::string& id : ids) text += id + ",2024-01-01,1\n";
  return text;
}

}  // namespace

TEST_CASE("ids that tie on their leading digits or bytes are ordered by the full id",
          "[ingest][order]") {
  // ingest() checks threads 1 and 3 (three tables) against each other. The sort keys hold 19
  // significant digits or 16 bytes: ties beyond them, and ids differing only in leading zeros,
  // are decided by the full comparison.
  const auto order = [](const std::vector<std::string>& log_ids) {
    return ids(ingest(one_row_per_id(log_ids)));
  };
  // "0" and "00" have no significant digit; "007", "07" and "7" are all seven.
  CHECK(order({"007", "7", "07", "10", "9", "0", "00"}) ==
        std::vector<std::string>{"0", "00", "007", "07", "7", "9", "10"});
  // Ids of 19 characters.
  CHECK(order({"0000000000000000007", "1000000000000000000", "7", "07", "0000000000000000000"}) ==
        std::vector<std::string>{"0000000000000000000", "0000000000000000007", "07", "7",
                                 "1000000000000000000"});
  // More than 19 significant digits: the last three share their first 19.
  CHECK(order({"12345678901234567890123", "12345678901234567891", "0012345678901234567890123",
               "12345678901234567890122", "7", "00000000000000000000007", "99"}) ==
        std::vector<std::string>{"00000000000000000000007", "7", "99", "12345678901234567891",
                                 "12345678901234567890122", "0012345678901234567890123",
                                 "12345678901234567890123"});
  // Bytewise: the five ids from "customer-prefix-" on share 16 bytes.
  CHECK(order({"customer-prefix-b", "customer-prefix-a", "customer-prefix-", "customer-prefix",
               "customer-prefix-ab", "customer-prefix-0", "Customer-prefix-a", "9",
               "customer-prefiy"}) ==
        std::vector<std::string>{"9", "Customer-prefix-a", "customer-prefix", "customer-prefix-",
                                 "customer-prefix-0", "customer-prefix-a", "customer-prefix-ab",
                                 "customer-prefix-b", "customer-prefiy"});
  // Ids of 8 bytes or fewer.
  CHECK(order({"abcdefgh", "abcdefgA", "abcdefg", "b", "ABCDEFGH"}) ==
        std::vector<std::string>{"ABCDEFGH", "abcdefg", "abcdefgA", "abcdefgh", "b"});
}

TEST_CASE("the order of many customers follows the full comparison of their ids",
          "[ingest][order][property]") {
  // More customers than a block of the sort's parallel passes, in random order, with many ids
  // whose sort keys tie; each kind of id below gets a different layout of the sort's items.
  std::mt19937 rng(20240607);
  const auto random_text = [&rng](const std::string& alphabet, std::size_t min_length,
                                  std::size_t max_length) {
    std::uniform_int_distribution<std::size_t> length(min_length, max_length);
    std::uniform_int_distribution<std::size_t> letter(0, alphabet.size() - 1);
    std::string text(length(rng), ' ');
    for (char& c : text) c = alphabet[letter(rng)];
    return text;
  };
  const auto numeric_less = [](const std::string& a, const std::string& b) {
    const auto significant = [](const std::string& id) {
      const std::size_t start = id.find_first_not_of('0');
      return start == std::string::npos ? std::string() : id.substr(start);
    };
    const std::string sa = significant(a), sb = significant(b);
    if (sa.size() != sb.size()) return sa.size() < sb.size();
    return sa != sb ? sa < sb : a < b;
  };
  struct Kind {
    const char* name;
    std::function<std::string()> id;
    bool numeric;
  };
  // The numeric kinds get, in turn, sort keys of one word packed with the ref, of one word and of
  // two words, and so do the others. Numeric ids differing only in leading zeros, and ids sharing
  // their first 16 bytes, tie on their keys.
  const std::string digits = "0123456789";
  const std::vector<Kind> kinds = {
      {"short numeric ids with leading zeros",
       [&] { return random_text("0", 0, 2) + random_text(digits, 1, 5); }, true},
      {"numeric ids of up to 19 characters",
       [&] { return random_text("0", 0, 14) + random_text(digits, 1, 5); }, true},
      {"numeric ids of more than 19 digits",
       [&] { return random_text("0", 0, 2) + "1234567890123456789" + random_text(digits, 0, 6); },
       true},
      {"ids of up to 5 bytes", [&] { return random_text("abcdefghijXYZ09", 1, 5); }, false},
      {"ids of up to 8 bytes", [&] { return random_text("abcXYZ", 1, 8); }, false},
      {"ids sharing 16 bytes",
       [&] { return random_text("ab", 0, 3) + "customer-prefix-" + random_text("ab9XYZ", 0, 5); },
       false},
  };
  for (const Kind& kind : kinds) {
    CAPTURE(kind.name);
    std::set<std::string> distinct;
    while (distinct.size() < 70000) distinct.insert(kind.id());
    std::vector<std::string> expected(distinct.begin(), distinct.end());
    std::shuffle(expected.begin(), expected.end(), rng);
    const std::string text = one_row_per_id(expected);
    if (kind.numeric) {
      std::sort(expected.begin(), expected.end(), numeric_less);
    } else {
      std::sort(expected.begin(), expected.end());
    }
    for (const int threads : {1, 3}) {
      CAPTURE(threads);
      IngestOptions options;
      options.threads = threads;
      REQUIRE(ids(ingest_once(text, options)) == expected);
    }
  }
}

TEST_CASE("an invalid date format is a usage error before any row is read",
          "[ingest][inputcheck]") {
  IngestOptions options;
  options.date_format = "%Y-%b-%d";
  CHECK_THROWS_AS(ingest("customer_id,date,amount\na,2024-01-01,1\n", options), clvkit::UsageError);
}

namespace {

// A naive reference: all rows in memory, summaries straight from the definitions
// (returns=net, zero-amounts=keep), amounts in cents.
struct Row {
  std::string id;
  Day day;
  long long cents;
};

std::vector<CustomerSummary> reference_summaries(const std::vector<Row>& rows, Day as_of) {
  std::map<std::string, std::vector<const Row*>> by_customer;  // bytewise id order
  for (const Row& row : rows) {
    if (row.day <= as_of) by_customer[row.id].push_back(&row);
  }
  std::vector<CustomerSummary> result;
  for (const auto& [id, history] : by_customer) {
    std::set<Day> purchase_days;
    std::map<Day, long long> spend_of_day;
    long long total = 0;
    for (const Row* row : history) {
      if (row->cents >= 0) purchase_days.insert(row->day);
      spend_of_day[row->day] += row->cents;
      total += row->cents;
    }
    if (purchase_days.empty()) continue;
    CustomerSummary s;
    s.id = id;
    s.first_purchase = *purchase_days.begin();
    s.last_purchase = *purchase_days.rbegin();
    s.purchase_days = static_cast<std::int64_t>(purchase_days.size());
    s.frequency = s.purchase_days - 1;
    s.recency = s.last_purchase - s.first_purchase;
    s.T = as_of - s.first_purchase;
    s.days_since_last = as_of - s.last_purchase;
    s.total_spend = static_cast<double>(total) / 100.0;
    s.monetary = s.frequency == 0 ? 0.0
                                  : static_cast<double>(total - spend_of_day[s.first_purchase]) /
                                        (100.0 * static_cast<double>(s.frequency));
    s.avg_spend = static_cast<double>(total) / (100.0 * static_cast<double>(s.purchase_days));
    result.push_back(s);
  }
  return result;
}

std::string cents_text(long long cents) {
  const long long magnitude = cents < 0 ? -cents : cents;
  std::string text = cents < 0 ? "-" : "";
  text += std::to_string(magnitude / 100);
  text += '.';
  text += static_cast<char>('0' + magnitude % 100 / 10);
  text += static_cast<char>('0' + magnitude % 10);
  return text;
}

std::string to_csv(const std::vector<Row>& rows) {
  std::string text = "customer_id,date,amount\n";
  for (const Row& row : rows) {
    text += row.id + "," + clvkit::format_day(row.day) + "," + cents_text(row.cents) + "\n";
  }
  return text;
}

// Random logs whose customers have many distinct days, returns on and before their first
// purchase day, zero amounts, repeated days, and amounts like 0.10 whose floating-point sums
// would depend on the order of the rows.
std::vector<Row> random_log(std::mt19937& rng, int customers, int rows, Day from, int span) {
  std::uniform_int_distribution<int> pick_customer(0, customers - 1);
  std::uniform_int_distribution<int> pick_day(0, span - 1);
  std::uniform_int_distribution<int> pick_kind(0, 9);
  std::uniform_int_distribution<long long> pick_cents(1, 99999);
  std::vector<Row> log;
  for (int i = 0; i < rows; ++i) {
    const int kind = pick_kind(rng);
    long long cents = pick_cents(rng);
    if (kind == 0) cents = -cents % 5000;  // a return (or, rarely, zero)
    if (kind == 1) cents = 0;
    if (kind == 2) cents = 10;  // 0.10
    std::string id = "c";
    id += std::to_string(pick_customer(rng));
    log.push_back(Row{std::move(id), from + pick_day(rng), cents});
  }
  return log;
}

}  // namespace

TEST_CASE("ingest matches a naive reference on random logs, sorted or shuffled",
          "[ingest][property][consistency]") {
  std::mt19937 rng(20240131);
  const Day from = day(2023, 1, 1);
  struct Shape {
    int customers, rows, span;
  };
  for (const Shape shape : {Shape{5, 40, 10}, Shape{40, 3000, 200}, Shape{300, 2000, 900}}) {
    for (int repeat = 0; repeat < 5; ++repeat) {
      std::vector<Row> log = random_log(rng, shape.customers, shape.rows, from, shape.span);
      CAPTURE(shape.customers, shape.rows, shape.span, repeat);
      std::vector<Row> sorted = log;
      std::stable_sort(sorted.begin(), sorted.end(),
                       [](const Row& a, const Row& b) { return a.day < b.day; });
      std::vector<Row> reversed(sorted.rbegin(), sorted.rend());
      // Grouped by customer, days in order within a customer (runs of rows), and grouped with
      // the days of a customer in random order (runs cut short, customers recounted).
      const auto by_id = [](const Row& a, const Row& b) { return a.id < b.id; };
      std::vector<Row> grouped = sorted, grouped_shuffled = log;
      std::stable_sort(grouped.begin(), grouped.end(), by_id);
      std::stable_sort(grouped_shuffled.begin(), grouped_shuffled.end(), by_id);
      // Sorted for its first rows, shuffled after: read in small blocks, the first batch looks
      // sorted, so runs are merged and the customers whose later days come out of order are
      // recounted by the second pass.
      std::vector<Row> sorted_then_shuffled = sorted;
      std::shuffle(sorted_then_shuffled.begin() + std::ssize(sorted) / 4,
                   sorted_then_shuffled.end(), rng);
      const auto base = ingest(to_csv(sorted));
      const Day as_of = base.as_of;
      const auto expected = reference_summaries(log, as_of);
      for (const auto& variant : {log, reversed, grouped, grouped_shuffled, sorted_then_shuffled}) {
        const auto other = ingest(to_csv(variant));
        REQUIRE(other.customers.size() == base.customers.size());
        for (std::size_t i = 0; i < base.customers.size(); ++i) {
          check_same(other.customers[i], base.customers[i]);
        }
        CHECK(other.as_of == base.as_of);
        CHECK(other.first_day == base.first_day);
        CHECK(other.stats.customers_without_purchase == base.stats.customers_without_purchase);
      }
      REQUIRE(base.customers.size() == expected.size());
      for (std::size_t i = 0; i < expected.size(); ++i) check_same(base.customers[i], expected[i]);
      CHECK(base.stats.rows_used == static_cast<std::int64_t>(log.size()));
      CHECK(base.stats.reconciles());

      // An as-of inside the log: the reference drops the later rows itself.
      IngestOptions cut;
      cut.as_of = from + shape.span / 2;
      const auto early = ingest(to_csv(log), cut);
      const auto expected_early = reference_summaries(log, *cut.as_of);
      REQUIRE(early.customers.size() == expected_early.size());
      for (std::size_t i = 0; i < expected_early.size(); ++i) {
        check_same(early.customers[i], expected_early[i]);
      }
      CHECK(early.stats.reconciles());
    }
  }
}

TEST_CASE("hash_id tells apart every short id of the same length", "[ingest]") {
  // Ids of 0 to 7 bytes take the overlapping-load tail path: every byte must count.
  std::set<std::uint64_t> hashes;
  std::size_t ids = 0;
  const std::string alphabet = "0a9";
  for (std::size_t length = 0; length <= 7; ++length) {
    std::string id(length, '0');
    std::size_t combinations = 1;
    for (std::size_t i = 0; i < length; ++i) combinations *= alphabet.size();
    for (std::size_t code = 0; code < combinations; ++code) {
      std::size_t rest = code;
      for (std::size_t i = 0; i < length; ++i, rest /= alphabet.size()) {
        id[i] = alphabet[rest % alphabet.size()];
      }
      hashes.insert(clvkit::detail::hash_id(id));
      ++ids;
    }
  }
  REQUIRE(ids == 3280);
  REQUIRE(hashes.size() == ids);
  // Longer ids: the same 12 bytes with the last one changed.
  REQUIRE(clvkit::detail::hash_id("customer-0001") != clvkit::detail::hash_id("customer-0002"));
}

TEST_CASE("a second pass is announced with the number of customers it recounts",
          "[ingest][progress]") {
  // Sorted by date for the first rows, then customers 1 and 2 buy on days inside their spans.
  const std::string sorted_start =
      "customer_id,date,amount\n"
      "1,2024-01-01,1\n2,2024-01-02,1\n3,2024-01-03,1\n1,2024-01-10,1\n2,2024-01-11,1\n"
      "3,2024-01-12,1\n1,2024-01-20,1\n2,2024-01-21,1\n3,2024-01-22,1\n";
  const std::string out_of_order = sorted_start + "1,2024-01-05,2\n2,2024-01-11,2\n";
  std::vector<std::int64_t> announced;
  std::vector<std::int64_t> progress;
  IngestOptions options;
  options.threads = 1;
  options.block_bytes = 16;  // the probe sees the sorted first rows only
  options.second_pass = [&](std::int64_t customers) { announced.push_back(customers); };
  options.progress = [&](std::int64_t rows) { progress.push_back(rows); };
  const CustomerBase base = ingest_once(out_of_order, options);
  REQUIRE(announced == std::vector<std::int64_t>{2});
  CHECK(customer(base, "1").purchase_days == 4);  // 1, 5, 10, 20 January
  CHECK(customer(base, "2").purchase_days == 3);  // the 11th again: no new day
  // The second pass counts its rows from 0 again.
  REQUIRE(progress.size() >= 2);
  CHECK(progress.back() <= 11);
  CHECK(std::is_sorted(progress.begin(), progress.end()) == false);

  announced.clear();
  ingest_once(sorted_start, options);  // in order throughout: no second pass
  CHECK(announced.empty());
  ingest_once(out_of_order, options, Source::pipe);  // a pipe keeps day lists: no second pass
  CHECK(announced.empty());
}

TEST_CASE("same_id_bytes sees a difference in any byte of ids of any length", "[ingest]") {
  // Lengths 0 to 20 cover the byte, 4-byte, 8-byte and memcmp comparisons.
  for (std::size_t length = 0; length <= 20; ++length) {
    CAPTURE(length);
    std::string a(length, 'k');
    for (std::size_t i = 0; i < length; ++i) a[i] = static_cast<char>('a' + i);
    const std::string b = a;
    CHECK(clvkit::detail::same_id_bytes(a.data(), b.data(), length));
    for (std::size_t i = 0; i < length; ++i) {
      std::string c = a;
      c[i] = static_cast<char>(c[i] ^ 0x20);
      CAPTURE(i);
      CHECK_FALSE(clvkit::detail::same_id_bytes(a.data(), c.data(), length));
    }
  }
}

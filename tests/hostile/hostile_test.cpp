// The hostile-input suite (ctest label `hostile`): one table of cases, each a command line run
// through the CLI on inputs the case writes into a fresh temporary directory, the exit code the
// README's "Exit codes" table gives for it and a fragment of the message on standard error. On
// failure nothing may be left in the output directory (no output, no side file, no hidden
// temporary file); on success every output is well-formed UTF-8 in its format with only finite
// numbers (output_checks.hpp). Every case is its own Catch2 test case, so ctest lists each.

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "../cli/cli_runner.hpp"
#include "output_checks.hpp"

namespace {

using clvkit::test::Format;
using clvkit::test::TempDir;

struct InputFile {
  std::string name;
  std::string content;
};

/// Anything besides files a case needs before it runs.
enum class Setup { none, read_only_output, output_is_directory, model_directory };

struct HostileCase {
  std::string name;
  std::vector<InputFile> inputs;  ///< written into IN
  std::string arguments;          ///< "{in}" and "{out}" stand for the two directories
  int exit_code;
  std::string message;  ///< a fragment of standard error (any when empty)
  /// On success, the files in OUT (nothing else may be there) and their formats.
  std::vector<std::pair<std::string, Format>> outputs = {};
  /// On success, the format of standard output, when the command writes there.
  std::optional<Format> stdout_format = std::nullopt;
  Setup setup = Setup::none;
};

// --- inputs ------------------------------------------------------------------------------------

const std::string& cdnow() {
  static const std::string text = clvkit::test::read_text(CLVKIT_TEST_SOURCE_DIR "/data/cdnow.csv");
  return text;
}

std::string log_of(const std::string& rows) { return "customer_id,date,amount\n" + rows; }

// CDNOW with rows appended: the model still fits, and the appended row decides the outcome.
InputFile cdnow_with(const std::string& rows) { return {"log.csv", cdnow() + rows}; }
InputFile log_file(const std::string& rows) { return {"log.csv", log_of(rows)}; }
InputFile raw_file(std::string content) { return {"log.csv", std::move(content)}; }

std::string repeated(const std::string& row, int times) {
  std::string text;
  for (int i = 0; i < times; ++i) text += row;
  return text;
}

// A small base that fits: 40 customers with 1 to 5 purchase days in 1997.
std::string small_base() {
  std::string rows;
  for (int c = 1; c <= 40; ++c) {
    for (int d = 0; d <= c % 5; ++d) {
      rows += std::to_string(c) + ",1997-0" + std::to_string(1 + (c * 7 + d * 2) % 9) + "-" +
              std::to_string(10 + d) + "," + std::to_string(5 + c % 13) + ".50\n";
    }
  }
  return rows;
}

std::string model_file() {
  static const std::string text =
      clvkit::test::read_text(CLVKIT_TEST_SOURCE_DIR "/models/cdnow-calibration-1997-09-30.json");
  return text;
}

std::string with_replaced(std::string text, const std::string& from, const std::string& to) {
  const std::size_t at = text.find(from);
  if (at == std::string::npos) throw std::logic_error("hostile case input: no '" + from + "'");
  return text.replace(at, from.size(), to);
}

std::string scheme_file() {
  static const std::string text =
      clvkit::test::read_text(CLVKIT_TEST_SOURCE_DIR "/models/segments/rfm11.json");
  return text;
}

constexpr const char* kRun = "run {in}/log.csv -q -o {out}/o.json";
const std::vector<std::pair<std::string, Format>> kJsonOut = {{"o.json", Format::json}};

// --- the cases ---------------------------------------------------------------------------------

std::vector<HostileCase> make_cases() {
  std::vector<HostileCase> cases = {
      // The shape of the file.
      {"empty file", {raw_file("")}, kRun, 2, "empty log: no header line"},
      {"header only",
       {raw_file("customer_id,date,amount\n")},
       kRun,
       2,
       "the header is not followed by any data row"},
      {"header only with BOM and CRLF",
       {raw_file("\xEF\xBB\xBF"
                 "customer_id,date,amount\r\n")},
       kRun,
       2,
       "the header is not followed by any data row"},
      {"blank lines only after the header",
       {raw_file("customer_id,date,amount\n\n\r\n\n")},
       kRun,
       2,
       "not followed by any data row"},
      {"wrong delimiter given",
       {cdnow_with("")},
       std::string(kRun) + " --delimiter ';'",
       2,
       "missing column 'customer_id'"},
      {"pipe-separated log",
       {raw_file("customer_id|date|amount\n1|1997-01-01|1\n")},
       kRun,
       2,
       "missing column 'customer_id'"},
      {"CR-only line ends",
       {raw_file("customer_id,date,amount\r1,1997-01-01,1\r2,1997-01-02,1\r")},
       kRun,
       2,
       "lines end with a lone CR"},
      {"unbalanced quote in a data row",
       {cdnow_with("\"99999,1997-01-01,1\n")},
       kRun,
       2,
       "unterminated quoted field"},
      {"unbalanced quote under --on-bad-row skip",
       {cdnow_with("\"99999,1997-01-01,1\n")},
       std::string(kRun) + " --on-bad-row skip",
       2,
       "unterminated quoted field"},
      {"unbalanced quote in the header",
       {raw_file("\"customer_id,date,amount\n1,1997-01-01,1\n")},
       kRun,
       2,
       "unterminated quoted field"},
      {"NUL bytes in a customer id",
       {cdnow_with(std::string("a\0b,1997-03-01,1\n", 17))},
       kRun,
       0,
       "",
       kJsonOut},
      {"NUL byte in an amount",
       {cdnow_with(std::string("7,1997-03-01,1\0"
                               "2\n",
                               16))},
       kRun,
       2,
       "unparsable amount"},
      {"a file of NUL bytes", {raw_file(std::string(4096, '\0'))}, kRun, 2, "missing column"},
      {"binary junk after the header",
       {raw_file("customer_id,date,amount\n\x01\x02\x03\xfe\n")},
       kRun,
       2,
       ":2:"},
      // Encodings of the customer id.
      {"invalid UTF-8 in a customer id",
       {cdnow_with("x\xFFy,1997-03-01,1\n")},
       kRun,
       2,
       "log.csv:6921:1: invalid UTF-8 in customer id"},
      {"invalid UTF-8 in a customer id under skip",
       {cdnow_with("x\xFFy,1997-03-01,1\n")},
       std::string(kRun) + " --on-bad-row skip",
       0,
       "",
       kJsonOut},
      {"overlong UTF-8 in a customer id",
       {cdnow_with("\xC0\xAF,1997-03-01,1\n")},
       kRun,
       2,
       "invalid UTF-8 in customer id"},
      {"a surrogate in a customer id",
       {cdnow_with("\xED\xA0\x80,1997-03-01,1\n")},
       kRun,
       2,
       "invalid UTF-8 in customer id"},
      {"truncated UTF-8 in a quoted customer id",
       {cdnow_with("\"ab\xE2\x82\",1997-03-01,1\n")},
       kRun,
       2,
       "invalid UTF-8 in customer id"},
      {"invalid UTF-8 in an ignored column",
       {raw_file("customer_id,note,date,amount\n1,\xFF\xFE,1997-01-01,1\n1,x,1997-02-01,2\n"
                 "2,y,1997-01-05,3\n")},
       std::string(kRun) + " --no-model",
       0,
       "",
       kJsonOut},
      {"multi-byte UTF-8 ids",
       {log_file("M\xC3\xBCller,1997-01-01,1\n\xF0\x9F\x98\x80,1997-01-02,2\n"
                 "\xE5\x90\x8D,1997-01-03,3\nM\xC3\xBCller,1997-02-01,4\n")},
       std::string(kRun) + " --no-model",
       0,
       "",
       kJsonOut},
      {"a log path that is not UTF-8",
       {{"log\xFF.csv", cdnow()}},
       "run {in}/log\xFF.csv -q -o {out}/o.json",
       0,
       "",
       kJsonOut},
      {"invalid UTF-8 in a summary table's id",
       {{"table.csv", "customer_id,frequency,recency,T\na,1,10,20\n\xFF,0,0,20\nb,2,15,20\n"}},
       "fit --summary {in}/table.csv -q -o {out}/m.json",
       2,
       "table.csv:3:1: invalid UTF-8 in customer id"},
      {"invalid UTF-8 in a summary table's id under skip",
       {{"table.csv", "customer_id,frequency,recency,T\na,1,10,20\n\xFF,0,0,20\nb,2,15,20\n"},
        {"m.json", model_file()}},
       "predict {in}/table.csv --summary --model {in}/m.json --on-bad-row skip -o {out}/p.json",
       0,
       "",
       {{"p.json", Format::json}}},
      {"invalid UTF-8 in a summary table's id for predict",
       {{"table.csv", "customer_id,frequency,recency,T\na,1,10,20\nb\xC0\x80,0,0,20\n"},
        {"m.json", model_file()}},
       "predict {in}/table.csv --summary --model {in}/m.json -o {out}/p.json",
       2,
       "table.csv:3:1: invalid UTF-8 in customer id"},
      // Sizes.
      {"a customer id of 1 MB",
       {cdnow_with(std::string(1 << 20, 'k') + ",1997-03-01,1\n")},
       kRun,
       0,
       "",
       kJsonOut},
      {"a row of 8 MB in an extra column",
       {raw_file("customer_id,date,amount,note\n1,1997-01-01,1," + std::string(8 << 20, 'n') +
                 "\n1,1997-02-01,2,x\n2,1997-01-03,3,y\n")},
       std::string(kRun) + " --no-model",
       0,
       "",
       kJsonOut},
      {"a header of 20,000 columns",
       {raw_file("customer_id,date,amount" + repeated(",c", 20000) + "\n1,1997-01-01,1" +
                 repeated(",", 20000) + "\n2,1997-01-02,2" + repeated(",", 20000) + "\n")},
       std::string(kRun) + " --no-model",
       0,
       "",
       kJsonOut},
      {"a row with 20,000 extra fields",
       {cdnow_with("1,1997-03-01,1" + repeated(",", 20000) + "\n")},
       kRun,
       2,
       "log.csv:6921:4: expected 3 fields, found 20003"},
      // Dates.
      {"an impossible date",
       {cdnow_with("1,1997-02-30,1\n")},
       kRun,
       2,
       "log.csv:6921:2: unparsable date '1997-02-30'"},
      {"month 13", {cdnow_with("1,1997-13-01,1\n")}, kRun, 2, "unparsable date '1997-13-01'"},
      {"year 0 is a proleptic Gregorian date",
       {cdnow_with("1,0000-01-01,1\n")},
       kRun,
       0,
       "",
       kJsonOut},
      {"a five-digit year", {cdnow_with("1,10000-01-01,1\n")}, kRun, 2, "unparsable date"},
      {"a date in 9999 makes the base span 8,000 years",
       {cdnow_with("1,9999-12-31,1\n")},
       std::string(kRun),
       0,
       "",
       kJsonOut},
      {"dates before 1970",
       {log_file(repeated("1,1901-01-01,1\n2,1901-02-01,2\n", 1) + "1,1901-03-01,3\n")},
       std::string(kRun) + " --no-model",
       0,
       "",
       kJsonOut},
      {"dates with times, zones and fractions",
       {log_file(
           "1,1997-01-01T10:00:00.123+05:00,1\n1,1997-02-01 23:59,2\n2,1997-01-03T00:00:00Z,3\n")},
       std::string(kRun) + " --no-model",
       0,
       "",
       kJsonOut},
      {"a date that does not match --date-format",
       {cdnow_with("")},
       std::string(kRun) + " --date-format %d/%m/%Y",
       2,
       "unparsable date"},
      // Amounts.
      {"a negative amount is a return, netted",
       {cdnow_with("1,1997-03-01,-5\n")},
       kRun,
       0,
       "",
       kJsonOut},
      {"a negative amount under --returns fail",
       {cdnow_with("1,1997-03-01,-5\n")},
       std::string(kRun) + " --returns fail",
       2,
       "negative amount '-5' (returns=fail)"},
      {"an amount with an exponent",
       {cdnow_with("1,1997-03-01,1e3\n")},
       kRun,
       2,
       "unparsable amount '1e3'"},
      {"an amount with a thousands separator",
       {cdnow_with("1,1997-03-01,\"1,000.00\"\n")},
       kRun,
       2,
       "unparsable amount '1,000.00'"},
      {"an amount of 20 digits",
       {cdnow_with("1,1997-03-01,12345678901234567890\n")},
       kRun,
       2,
       "out of range (|amount| < 1e12)"},
      {"an amount of 40 digits",
       {cdnow_with("1,1997-03-01," + std::string(40, '9') + "\n")},
       kRun,
       2,
       "out of range"},
      {"NaN as an amount", {cdnow_with("1,1997-03-01,NaN\n")}, kRun, 2, "unparsable amount 'NaN'"},
      {"inf as an amount",
       {cdnow_with("1,1997-03-01,-inf\n")},
       kRun,
       2,
       "unparsable amount '-inf'"},
      {"an empty amount", {cdnow_with("1,1997-03-01,\n")}, kRun, 2, "unparsable amount ''"},
      {"a decimal comma", {cdnow_with("1,1997-03-01,12,50\n")}, kRun, 2, "expected 3 fields"},
      {"a zero amount under --zero-amounts fail",
       {log_file("1,1997-03-01,3\n1,1997-03-02,-0.00\n")},
       std::string(kRun) + " --zero-amounts fail",
       2,
       "zero amount '-0.00' (zero-amounts=fail)"},
      {"a customer's spend overflows",
       {log_file("1,1997-01-01,5\n" + repeated("7,1997-01-02,999999999999\n", 10))},
       std::string(kRun) + " --no-model",
       2,
       "log.csv:12:3: customer '7': total spend exceeds the representable range"},
      {"a customer's returns overflow",
       {log_file("7,1997-01-01,5\n" + repeated("7,1997-01-02,-999999999999\n", 10))},
       std::string(kRun) + " --no-model",
       2,
       "customer '7': total spend exceeds"},
      // Degenerate bases.
      {"one customer with one row", {log_file("1,1997-01-01,10\n")}, kRun, 3, "fit"},
      {"one customer with one row, no model",
       {log_file("1,1997-01-01,10\n")},
       std::string(kRun) + " --no-model",
       0,
       "",
       kJsonOut},
      {"nobody repeats",
       {log_file(repeated("", 0) + "1,1997-01-01,1\n2,1997-01-02,2\n3,1997-01-03,3\n"
                                   "4,1997-02-01,4\n5,1997-03-01,5\n")},
       kRun,
       3,
       "fit"},
      {"everyone on the same day",
       {log_file("1,1997-01-01,1\n2,1997-01-01,2\n3,1997-01-01,3\n1,1997-01-01,4\n")},
       kRun,
       3,
       "fit"},
      {"every row rejected under skip",
       {log_file("1,1997-02-30,1\n,1997-01-01,1\n")},
       std::string(kRun) + " --on-bad-row skip",
       2,
       "no customer has a purchase day"},
      {"only returns",
       {log_file("1,1997-01-01,-1\n2,1997-01-02,-2\n")},
       kRun,
       2,
       "no customer has a purchase day"},
      // Options at and past their bounds.
      {"option --horizon of 100 years",
       {cdnow_with("")},
       std::string(kRun) + " --horizon 1200m",
       0,
       "",
       kJsonOut},
      {"option --horizon past 100 years",
       {cdnow_with("")},
       std::string(kRun) + " --horizon 1201m",
       1,
       "longer than 100 years"},
      {"option --horizon negative",
       {cdnow_with("")},
       std::string(kRun) + " --horizon -3m",
       1,
       "--horizon"},
      {"option --horizon lifetime",
       {cdnow_with("")},
       std::string(kRun) + " --horizon lifetime",
       0,
       "",
       kJsonOut},
      {"option --monthly-discount-rate just above -1",
       {cdnow_with("")},
       std::string(kRun) + " --monthly-discount-rate -0.5",
       0,
       "",
       kJsonOut},
      {"option --monthly-discount-rate -1",
       {cdnow_with("")},
       std::string(kRun) + " --monthly-discount-rate -1",
       1,
       "--monthly-discount-rate"},
      {"option --monthly-discount-rate 1e308",
       {cdnow_with("")},
       std::string(kRun) + " --monthly-discount-rate 1e308",
       0,
       "",
       kJsonOut},
      {"option --bins 5 as the scheme has it",
       {cdnow_with("")},
       std::string(kRun) + " --bins 5 --no-model",
       0,
       "",
       kJsonOut},
      {"option --bins 2 is in range but not the scheme's",
       {cdnow_with("")},
       std::string(kRun) + " --bins 2",
       1,
       "is defined for 5 bins, but --bins 2 was requested"},
      {"option --bins 1", {cdnow_with("")}, std::string(kRun) + " --bins 1", 1, "--bins"},
      {"option --bins 10", {cdnow_with("")}, std::string(kRun) + " --bins 10", 1, "--bins"},
      {"option --seed 0 and the largest seed",
       {cdnow_with("")},
       "segments {in}/log.csv -q --forecast --draws 20 --seed 18446744073709551615",
       0,
       "",
       {},
       Format::text},
      {"option --seed past 2^64",
       {cdnow_with("")},
       "segments {in}/log.csv -q --forecast --seed 18446744073709551616",
       1,
       "--seed: must be at most 2^64 - 1"},
      {"option --threads 0 means one per hardware thread",
       {cdnow_with("")},
       std::string(kRun) + " --threads 0",
       0,
       "",
       kJsonOut},
      {"option --threads -1",
       {cdnow_with("")},
       std::string(kRun) + " --threads -1",
       1,
       "--threads"},
      {"option --threads 1025",
       {cdnow_with("")},
       std::string(kRun) + " --threads 1025",
       1,
       "--threads"},
      {"option --threads 1024",
       {cdnow_with("")},
       std::string(kRun) + " --threads 1024",
       0,
       "",
       kJsonOut},
      {"option --threads past int",
       {cdnow_with("")},
       std::string(kRun) + " --threads 99999999999",
       1,
       "--threads"},
      {"option --as-of the first day of the log",
       {cdnow_with("")},
       std::string(kRun) + " --as-of 1997-01-01 --no-model",
       0,
       "",
       kJsonOut},
      {"option --as-of before every row",
       {cdnow_with("")},
       std::string(kRun) + " --as-of 1996-12-31",
       2,
       "no customer has a purchase day"},
      {"option --as-of an impossible date",
       {cdnow_with("")},
       std::string(kRun) + " --as-of 1997-02-30",
       1,
       "--as-of"},
      {"option --as-of in year 99999",
       {cdnow_with("")},
       std::string(kRun) + " --as-of 99999-01-01",
       1,
       "--as-of"},
      // Model files.
      {"a model file that is not JSON",
       {cdnow_with(""), {"m.json", "{\"format\": "}},
       "predict {in}/log.csv --model {in}/m.json -o {out}/o.json",
       2,
       "m.json"},
      {"an empty model file",
       {cdnow_with(""), {"m.json", ""}},
       "predict {in}/log.csv --model {in}/m.json -o {out}/o.json",
       2,
       "m.json"},
      {"a model file with 1e999",
       {cdnow_with(""),
        {"m.json", with_replaced(model_file(), "\"value\": ", "\"value\": 1e999, \"x\": ")}},
       "predict {in}/log.csv --model {in}/m.json -o {out}/o.json",
       2,
       "m.json"},
      {"a model file with a string for a number",
       {cdnow_with(""),
        {"m.json", with_replaced(model_file(), "\"value\": ", "\"value\": \"1\", \"x\": ")}},
       "predict {in}/log.csv --model {in}/m.json -o {out}/o.json",
       2,
       "m.json"},
      {"a model file without its format",
       {cdnow_with(""), {"m.json", with_replaced(model_file(), "\"format\"", "\"formats\"")}},
       "predict {in}/log.csv --model {in}/m.json -o {out}/o.json",
       2,
       "m.json"},
      {"a model file that is an array",
       {cdnow_with(""), {"m.json", "[1, 2, 3]"}},
       "predict {in}/log.csv --model {in}/m.json -o {out}/o.json",
       2,
       "m.json"},
      {"a directory as the model file",
       {cdnow_with("")},
       "predict {in}/log.csv --model {in}/model.d -o {out}/o.json",
       4,
       "it is a directory",
       {},
       std::nullopt,
       Setup::model_directory},
      {"a missing model file",
       {cdnow_with("")},
       "predict {in}/log.csv --model {in}/none.json -o {out}/o.json",
       4,
       "none.json"},
      // Segment schemes.
      {"a scheme that is not JSON",
       {cdnow_with(""), {"s.json", "{\"name\": \"x\", "}},
       std::string(kRun) + " --segments {in}/s.json",
       2,
       "s.json"},
      {"a scheme with 1e999",
       {cdnow_with(""), {"s.json", with_replaced(scheme_file(), "{", "{\"big\": 1e999, ")}},
       std::string(kRun) + " --segments {in}/s.json",
       2,
       "s.json"},
      {"a scheme with a number for its name",
       {cdnow_with(""),
        {"s.json", with_replaced(scheme_file(), "\"name\": ", "\"name\": 7, \"x\": ")}},
       std::string(kRun) + " --segments {in}/s.json",
       2,
       "s.json"},
      {"a scheme without segments",
       {cdnow_with(""), {"s.json", "{\"name\": \"empty\"}"}},
       std::string(kRun) + " --segments {in}/s.json",
       2,
       "s.json"},
      {"a directory as the scheme",
       {cdnow_with("")},
       std::string(kRun) + " --segments {in}/model.d",
       4,
       "it is a directory",
       {},
       std::nullopt,
       Setup::model_directory},
      // Outputs that cannot be written.
      {"an output in a missing directory",
       {cdnow_with("")},
       "run {in}/log.csv -q -o {out}/missing/o.json",
       4,
       "missing/o.json"},
      {"an output in a read-only directory",
       {cdnow_with("")},
       "run {in}/log.csv -q -o {out}/ro/o.json",
       4,
       "ro/o.json",
       {},
       std::nullopt,
       Setup::read_only_output},
      {"an output that is a directory",
       {cdnow_with("")},
       "run {in}/log.csv -q -o {out}/o.json",
       4,
       "it is a directory",
       {{"o.json", Format::json}},
       std::nullopt,
       Setup::output_is_directory},
      {"an NDJSON side file that cannot be written",
       {cdnow_with("")},
       "run {in}/log.csv -q --format ndjson -o {out}/o.json",
       4,
       "o.json.meta.json",
       {{"o.json.meta.json", Format::json}},
       std::nullopt,
       Setup::output_is_directory},
      {"a missing log", {}, kRun, 4, "log.csv"},
      {"a directory as the log", {}, "run {in} -q -o {out}/o.json", 4, "it is a directory"},
      // Simulate.
      {"simulate with rates that cannot fit in memory",
       {},
       "simulate --customers 1000000000 --r 1000000 --alpha 1 --a 0.000001 --b 1000000 --quiet "
       "-o {out}/log.csv",
       1,
       "more than the limit of 10000000 per customer"},
      {"simulate --customers 0",
       {},
       "simulate --customers 0 --quiet -o {out}/log.csv",
       1,
       "--customers is 0"},
      {"simulate ending before its cohort",
       {},
       "simulate --start 2024-01-01 --end 2023-12-31 --quiet -o {out}/log.csv",
       1,
       "--end"},
      {"simulate a small log",
       {},
       "simulate --customers 50 --quiet -o {out}/log.csv",
       0,
       "",
       {{"log.csv", Format::csv}}},
      // Formats of the successful outputs.
      {"CSV records with hostile ids",
       {log_file("\"a,b\",1997-01-01,1\n\"q\"\"uote\",1997-01-02,2\n"
                 "\"line\nbreak\",1997-01-03,3\n")},
       "run {in}/log.csv -q --no-model --format csv -o {out}/o.csv",
       0,
       "",
       {{"o.csv", Format::csv}, {"o.csv.meta.json", Format::json}}},
      {"NDJSON records of a small base",
       {log_file(small_base())},
       "run {in}/log.csv -q --no-model --format ndjson -o {out}/o.ndjson",
       0,
       "",
       {{"o.ndjson", Format::ndjson}, {"o.ndjson.meta.json", Format::json}}},
      {"a report on a small base",
       {log_file(small_base())},
       "report {in}/log.csv -q -o {out}/r.html",
       0,
       "",
       {{"r.html", Format::html}}},
      // Segments over time.
      {"migrate with both --as-of and --every",
       {cdnow_with("")},
       "migrate {in}/log.csv -q --every month --as-of 1997-06-30 -o {out}/m.json",
       1,
       "either --as-of"},
      {"migrate with snapshot days out of order",
       {cdnow_with("")},
       "migrate {in}/log.csv -q --as-of 1997-06-30,1997-03-31 -o {out}/m.json",
       1,
       "ascending and distinct"},
      {"migrate with a snapshot before every purchase",
       {cdnow_with("")},
       "migrate {in}/log.csv -q --as-of 1990-01-01,1997-06-30 -o {out}/m.json",
       2,
       "as of 1990-01-01: no customer has a purchase day yet"},
      {"migrate moves into a segment the scheme lacks",
       {cdnow_with("")},
       "migrate {in}/log.csv -q --every quarter --to-segment Nowhere -o {out}/m.json",
       1,
       "has no segment 'Nowhere'"},
      {"migrate with an invalid UTF-8 id",
       {log_file("a,2024-01-01,5\n\xff,2024-01-02,5\n")},
       "migrate {in}/log.csv -q --no-model --every month -o {out}/m.json",
       2,
       "invalid UTF-8 in customer id"},
      {"migrate of a small base as JSON",
       {log_file(small_base())},
       "migrate {in}/log.csv -q --no-model --every week --format json -o {out}/m.json",
       0,
       "",
       {{"m.json", Format::json}}},
      {"migrate moves of a small base as CSV",
       {log_file(small_base())},
       "migrate {in}/log.csv -q --no-model --every day --edges first --format csv -o {out}/m.csv",
       0,
       "",
       {{"m.csv", Format::csv}}},
  };
  return cases;
}

const std::vector<HostileCase>& hostile_cases() {
  static const std::vector<HostileCase> cases = make_cases();
  return cases;
}

std::string substitute(std::string text, const std::string& key, const std::string& value) {
  for (std::size_t at = text.find(key); at != std::string::npos; at = text.find(key, at)) {
    text.replace(at, key.size(), value);
    at += value.size();
  }
  return text;
}

void run_case(const HostileCase& c) {
  TempDir dir;
  const std::filesystem::path in = dir.path() / "in";
  const std::filesystem::path out = dir.path() / "out";
  std::filesystem::create_directories(in);
  std::filesystem::create_directories(out);
  for (const InputFile& file : c.inputs)
    clvkit::test::write_text((in / file.name).string(), file.content);
  std::optional<clvkit::test::ReadOnlyDirectory> read_only;
  switch (c.setup) {
    case Setup::none:
      break;
    case Setup::read_only_output:
      read_only.emplace(out / "ro");
      if (!read_only->read_only()) {
        WARN("cannot make a read-only directory here (root without mount): case skipped");
        return;
      }
      break;
    case Setup::output_is_directory:
      for (const auto& [name, format] : c.outputs) std::filesystem::create_directory(out / name);
      break;
    case Setup::model_directory:
      std::filesystem::create_directory(in / "model.d");
      break;
  }
  const std::string arguments =
      substitute(substitute(c.arguments, "{in}", in.string()), "{out}", out.string());
  const clvkit::test::CliResult result = clvkit::test::run_cli(arguments, dir);
  CAPTURE(arguments, result.err);
  CHECK(result.exit_code == c.exit_code);
  if (!c.message.empty()) CHECK(result.err.find(c.message) != std::string::npos);
  if (c.exit_code != 0) {
    CHECK(result.err.rfind("clvkit: error: ", 0) == 0);
    // What the case put there itself (a directory in the way, a read-only mount) may stay.
    std::vector<std::string> expected_entries;
    if (c.setup == Setup::output_is_directory) {
      for (const auto& [name, format] : c.outputs) expected_entries.push_back(name);
    }
    if (c.setup == Setup::read_only_output) expected_entries.push_back("ro");
    for (const std::string& name : clvkit::test::entries_of(out)) {
      CAPTURE(name);
      CHECK(std::find(expected_entries.begin(), expected_entries.end(), name) !=
            expected_entries.end());
    }
    return;
  }
  std::vector<std::string> produced = clvkit::test::entries_of(out);
  CHECK(produced.size() == c.outputs.size());
  for (const auto& [name, format] : c.outputs) {
    CAPTURE(name);
    REQUIRE(std::filesystem::is_regular_file(out / name));
    clvkit::test::check_output_text(clvkit::test::read_text((out / name).string()), format, name);
  }
  if (c.stdout_format) clvkit::test::check_output_text(result.out, *c.stdout_format, "stdout");
}

/// Registers every case of the table as its own test case, tagged [hostile].
const bool registered = clvkit::test::register_case_table(&hostile_cases, &run_case, "[hostile]");

}  // namespace

TEST_CASE("the hostile table has at least 60 cases with distinct names", "[hostile]") {
  const std::vector<HostileCase>& cases = hostile_cases();
  CHECK(cases.size() >= 60);
  for (std::size_t i = 0; i < cases.size(); ++i) {
    for (std::size_t j = i + 1; j < cases.size(); ++j) CHECK(cases[i].name != cases[j].name);
  }
}

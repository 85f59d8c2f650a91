#include "clvkit/io/csv.hpp"

#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "../support/matchers.hpp"
#include "clvkit/error.hpp"

namespace {

using clvkit::test::What;

struct Record {
  std::int64_t line;
  std::vector<std::string> fields;
  bool operator==(const Record&) const = default;
};

std::ostream& operator<<(std::ostream& out, const Record& record) {
  out << "line " << record.line << ":";
  for (const auto& field : record.fields) out << " [" << field << "]";
  return out;
}

std::vector<Record> read_all(const std::string& text, char delimiter = '\0',
                             std::size_t block_size = clvkit::CsvReader::default_block_size,
                             char* detected = nullptr) {
  std::istringstream in(text);
  clvkit::CsvReader reader(in, "t.csv", delimiter, block_size);
  std::vector<Record> records;
  while (reader.next()) {
    Record record{reader.line(), {}};
    for (const std::string_view field : reader.fields()) record.fields.emplace_back(field);
    records.push_back(std::move(record));
  }
  if (detected) *detected = reader.delimiter();
  return records;
}

using Fields = std::vector<std::string>;

}  // namespace

TEST_CASE("csv reader splits LF records into fields with physical line numbers", "[csv]") {
  const auto records = read_all("a,b,c\n1,2,3\n4,,6\n");
  REQUIRE(records.size() == 3);
  CHECK(records[0] == Record{1, {"a", "b", "c"}});
  CHECK(records[1] == Record{2, {"1", "2", "3"}});
  CHECK(records[2] == Record{3, {"4", "", "6"}});
}

TEST_CASE("csv reader strips the CR of CRLF line ends but keeps spaces", "[csv]") {
  const auto records = read_all("a,b\r\n 1 ,2\r\n3,\"4\"\r\n");
  REQUIRE(records.size() == 3);
  CHECK(records[1].fields == Fields{" 1 ", "2"});
  CHECK(records[2].fields == Fields{"3", "4"});
}

TEST_CASE("csv reader keeps delimiters inside quoted fields", "[csv]") {
  const auto records = read_all("id,name\n1,\"Smith, John\"\n\"2,3\",x\n");
  REQUIRE(records.size() == 3);
  CHECK(records[1].fields == Fields{"1", "Smith, John"});
  CHECK(records[2].fields == Fields{"2,3", "x"});
}

TEST_CASE("csv reader turns doubled quotes into one quote", "[csv]") {
  const auto records = read_all("a,b\n\"say \"\"hi\"\"\",\"\"\"\"\n\"\",z\n");
  REQUIRE(records.size() == 3);
  CHECK(records[1].fields == Fields{"say \"hi\"", "\""});
  CHECK(records[2].fields == Fields{"", "z"});
}

TEST_CASE("csv reader keeps quoted line ends and numbers lines physically", "[csv]") {
  const std::string text =
      "a,b\n"
      "1,\"line one\nline two\"\n"  // starts on line 2, ends on line 3
      "2,\"x\r\ny\r\nz\"\r\n"       // starts on line 4, ends on line 6
      "3,plain\n";                  // line 7
  const auto records = read_all(text);
  REQUIRE(records.size() == 4);
  CHECK(records[1] == Record{2, {"1", "line one\nline two"}});
  CHECK(records[2] == Record{4, {"2", "x\r\ny\r\nz"}});
  CHECK(records[3] == Record{7, {"3", "plain"}});
}

TEST_CASE("csv reader skips blank lines without counting them as records", "[csv]") {
  const auto records = read_all("\n\r\na,b\n\n1,2\r\n\r\n\n3,4\n\n");
  REQUIRE(records.size() == 3);
  CHECK(records[0] == Record{3, {"a", "b"}});
  CHECK(records[1] == Record{5, {"1", "2"}});
  CHECK(records[2] == Record{8, {"3", "4"}});  // lines: "", "\r", a,b, "", 1,2, "\r", "", 3,4
  // A line of delimiters is not blank: it is a record of empty fields.
  const auto commas = read_all("a,b\n,\n");
  REQUIRE(commas.size() == 2);
  CHECK(commas[1].fields == Fields{"", ""});
}

TEST_CASE("csv reader skips a UTF-8 byte order mark at the start", "[csv]") {
  char detected = 0;
  const auto records = read_all(
      "\xEF\xBB\xBF"
      "customer_id;date\n1;2\n",
      '\0', clvkit::CsvReader::default_block_size, &detected);
  CHECK(detected == ';');
  REQUIRE(records.size() == 2);
  CHECK(records[0].fields == Fields{"customer_id", "date"});
  // Only at the very start: later the same bytes are data.
  CHECK(read_all("a\n\xEF\xBB\xBFx\n")[1].fields == Fields{"\xEF\xBB\xBFx"});
}

TEST_CASE("csv reader detects the delimiter that occurs most outside quotes", "[csv]") {
  char detected = 0;
  read_all("a,b,c\n", '\0', 64, &detected);
  CHECK(detected == ',');
  read_all("a;b;c\n1;2,5;3\n", '\0', 64, &detected);
  CHECK(detected == ';');
  read_all("a\tb\tc\n", '\0', 64, &detected);
  CHECK(detected == '\t');
  // Two semicolons inside quotes lose to one comma outside them.
  read_all("\"a;b;c\",d\n", '\0', 64, &detected);
  CHECK(detected == ',');
  // No candidate at all: a single column, read with ','.
  const auto single = read_all("amount\n12.5\n", '\0', 64, &detected);
  CHECK(detected == ',');
  CHECK(single[1].fields == Fields{"12.5"});
  // Blank lines before the header do not hide it.
  read_all("\n\r\na;b\n", '\0', 64, &detected);
  CHECK(detected == ';');
}

// Found by tests/fuzz/fuzz_ingest: detection toggled quotes at every '"', while the parser takes a
// '"' inside an unquoted field as data, so a stray quote in a header name made detection count
// the lines after the header too, as far as the block reached: the delimiter depended on the
// block size.
TEST_CASE("csv reader's delimiter detection takes quotes as the parser does", "[csv][fuzz]") {
  const std::string text = "id,date,amount,note\"x\n1,2,3,a\"\t\t\t\t\n";
  for (const std::size_t block_size : {std::size_t{1}, std::size_t{7}, std::size_t{64}}) {
    CAPTURE(block_size);
    char detected = 0;
    const auto records = read_all(text, '\0', block_size, &detected);
    CHECK(detected == ',');
    REQUIRE(records.size() == 2);
    CHECK(records[0].fields == Fields{"id", "date", "amount", "note\"x"});
  }
  // A quoted field still hides its delimiters, doubled quotes included.
  char detected = 0;
  read_all("\"a;\"\"b;c\",d\n", '\0', 64, &detected);
  CHECK(detected == ',');
}

TEST_CASE("csv reader over a piece of input waits for the whole first line to detect",
          "[csv][fuzz]") {
  std::string text = "a,b,c;x\"y;z;w\n1,2,3\n";
  // The piece ends inside the first line: the delimiter cannot be known yet.
  std::string piece = text.substr(0, 9);
  clvkit::CsvReader partial(std::span<char>(piece.data(), piece.size()), "t.csv", '\0', false);
  CHECK_FALSE(partial.next());
  CHECK(partial.consumed() == 0);
  clvkit::CsvReader whole(std::span<char>(text.data(), text.size()), "t.csv", '\0', true);
  REQUIRE(whole.next());
  CHECK(whole.delimiter() == ';');
}

TEST_CASE("csv reader uses a given delimiter as is", "[csv]") {
  CHECK(read_all("a;b,c\n", ';')[0].fields == Fields{"a", "b,c"});
  CHECK(read_all("a;b,c\n", ',')[0].fields == Fields{"a;b", "c"});
  CHECK(read_all("a\tb c\n", '\t')[0].fields == Fields{"a", "b c"});
  CHECK(read_all("a|\"b|c\"\n", '|')[0].fields == Fields{"a", "b|c"});
  CHECK_THROWS_AS(read_all("a\n", '"'), clvkit::UsageError);
}

TEST_CASE("csv reader handles the end of input without a line end", "[csv]") {
  CHECK(read_all("a,b\n1,2").back() == Record{2, {"1", "2"}});
  CHECK(read_all("a,b\n1,").back().fields == Fields{"1", ""});
  CHECK(read_all("a,b\n1,\"2\"").back().fields == Fields{"1", "2"});
  CHECK(read_all("a,b\n1,2\r").back().fields == Fields{"1", "2"});
  CHECK(read_all("").empty());
  CHECK(read_all("\n\n").empty());
}

TEST_CASE("csv reader keeps stray quotes: inside unquoted fields and after a closing quote",
          "[csv]") {
  CHECK(read_all("a,b\n5\" disk,x\n")[1].fields == Fields{"5\" disk", "x"});
  CHECK(read_all("a,b\n\"ab\"c,x\n")[1].fields == Fields{"abc", "x"});
}

TEST_CASE("csv reader names the line and field of an unterminated quote", "[csv][inputcheck]") {
  CHECK_THROWS_MATCHES(read_all("a,b\n1,2\n3,\"open\n4,5\n"), clvkit::InputError,
                       What(Catch::Matchers::StartsWith("t.csv:3:2: unterminated quoted field")));
}

TEST_CASE("csv reader gives the same records for every block size", "[csv][property]") {
  // Every feature at once, so that block boundaries fall inside quotes, on doubled quotes,
  // between CR and LF, inside the BOM's record and inside blank lines.
  const std::string text =
      "\xEF\xBB\xBF"
      "id,note,amount\r\n"
      "1,\"a, \"\"quoted\"\"\nnote\",10.5\r\n"
      "\r\n"
      "2,,\"\"\r\n"
      "\n"
      "\"3\",\"x\"\"\",-1\n"
      "4,\"multi\r\nline\r\n\",7\n"
      "5,last,\"9\"";
  const auto expected = read_all(text);
  REQUIRE(expected.size() == 6);
  CHECK(expected[1] == Record{2, {"1", "a, \"quoted\"\nnote", "10.5"}});
  CHECK(expected[2] == Record{5, {"2", "", ""}});
  CHECK(expected[3] == Record{7, {"3", "x\"", "-1"}});
  CHECK(expected[4] == Record{8, {"4", "multi\r\nline\r\n", "7"}});
  CHECK(expected[5] == Record{11, {"5", "last", "9"}});
  for (std::size_t block = 1; block <= 64; ++block) {
    CAPTURE(block);
    CHECK(read_all(text, '\0', block) == expected);
  }
}

TEST_CASE("append_csv_field quotes exactly the fields that need it, and reads back as given",
          "[csv]") {
  const auto field = [](std::string_view text) {
    std::string out;
    clvkit::append_csv_field(out, text);
    return out;
  };
  CHECK(field("plain id") == "plain id");
  CHECK(field("a,b") == "\"a,b\"");
  CHECK(field("say \"hi\"") == "\"say \"\"hi\"\"\"");
  CHECK(field("two\nlines") == "\"two\nlines\"");
  CHECK(field("cr\r") == "\"cr\r\"");
  CHECK(field("") == "");
  // Written as a record and read back: the fields as they were.
  const std::vector<std::string> values = {"a,b", "say \"hi\"", "two\nlines", "x", ""};
  std::string line;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) line += ',';
    clvkit::append_csv_field(line, values[i]);
  }
  const std::vector<Record> back = read_all("h1,h2,h3,h4,h5\n" + line + "\n", ',');
  REQUIRE(back.size() == 2);
  CHECK(back[1].fields == values);
}

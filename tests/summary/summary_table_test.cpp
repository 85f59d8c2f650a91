// Reading summary tables: column spellings of lifetimes and BTYD, counts, and the row checks.

#include "clvkit/summary/summary_table.hpp"

#include "clvkit/error.hpp"

#include <catch2/catch.hpp>
#include <sstream>

#include "../support/reference_data.hpp"

namespace {

using namespace clvkit;
using clvkit::test::error_message;

SummaryTable read(const std::string& text, const SummaryTableOptions& options = {}) {
  std::istringstream in(text);
  return read_summary_table(in, "t.csv", options);
}

}  // namespace

TEST_CASE("summary tables are read under lifetimes' and BTYD's column names", "[summary-table]") {
  const SummaryTable lifetimes = read("ID,frequency,recency,T,monetary_value\n7,2,3.5,10,20.5\n");
  CHECK(lifetimes.columns.id == "ID");
  CHECK(lifetimes.columns.T == "T");
  CHECK(lifetimes.ids == std::vector<std::string>{"7"});
  CHECK(lifetimes.x == std::vector<double>{2.0});
  CHECK(lifetimes.t_x == std::vector<double>{3.5});
  CHECK(lifetimes.monetary == std::vector<double>{20.5});
  CHECK(lifetimes.count == std::vector<double>{1.0});

  const SummaryTable btyd = read("cust;x;t.x;T.cal;m.x\nA;0;0;12;0\n");
  CHECK(btyd.columns.frequency == "x");
  CHECK(btyd.columns.recency == "t.x");
  CHECK(btyd.columns.T == "T.cal");
  CHECK(btyd.columns.monetary == "m.x");

  // The BG/BB donations table: one row per pattern with a weight.
  const SummaryTable donations = read("frequency,recency,periods,weights\n0,0,6,3464\n1,1,6,1091\n");
  CHECK(donations.ids.empty());
  CHECK(donations.columns.count == "weights");
  CHECK(donations.customers() == 4555.0);
  CHECK(donations.lines == std::vector<std::int64_t>{2, 3});

  // Explicit names win over the usual ones.
  SummaryTableOptions options;
  options.columns.T = "age";
  const SummaryTable named = read("frequency,recency,T,age\n1,2,3,4\n", options);
  CHECK(named.T == std::vector<double>{4.0});
}

TEST_CASE("a summary table without a required column or with a bad row is refused",
          "[summary-table][errors]") {
  CHECK(error_message<InputError>([] { read("id,frequency,T\n1,2,3\n"); }) ==
        "t.csv:1: no recency column (looked for recency, t_x, t.x, recency_cal; header has: id, "
        "frequency, T)");
  CHECK(error_message<InputError>([] { read("frequency,recency,T,T\n1,2,3,3\n"); }) ==
        "t.csv:1: column 'T' appears twice in the header (fields 3 and 4)");
  CHECK(error_message<InputError>([] { read("frequency,recency,T\n1,2,3\n-1,0,3\n"); }) ==
        "t.csv:3:1: negative frequency -1");
  CHECK(error_message<InputError>([] { read("frequency,recency,T,weights\n1,2,3,0\n"); }) ==
        "t.csv:2:4: count 0 is not positive");
  CHECK(error_message<InputError>([] { read("frequency,recency,T,monetary\n1,2,3,-4\n"); }) ==
        "t.csv:2:4: negative mean spend -4");
  CHECK(error_message<InputError>([] { read("frequency,recency,T\n1,2,inf\n"); }) ==
        "t.csv:2:3: not a finite number in the T column 'T': 'inf'");
  CHECK(error_message<InputError>([] { read("frequency,recency,T\n"); }) ==
        "t.csv: no usable row in the summary table (0 read)");

  SummaryTableOptions skip;
  skip.on_bad_row = BadRowPolicy::skip;
  const SummaryTable table = read("frequency,recency,T\n1,2,3\n0,1,3\n2,1\n1,1,1\n", skip);
  CHECK(table.rows_read == 4);
  CHECK(table.rows_used == 2);
  CHECK(table.rows_rejected() == 2);
  CHECK(table.rows_read == table.rows_used + table.rows_rejected());
  CHECK(table.rejected[static_cast<int>(SummaryRejectReason::bad_history)] == 1);
  CHECK(table.rejected[static_cast<int>(SummaryRejectReason::wrong_field_count)] == 1);
}

TEST_CASE("a summary-table id that is not UTF-8 is a bad row, counted as invalid_utf8 under skip",
          "[summary-table][errors][utf8]") {
  const std::string text = "customer_id,frequency,recency,T\na,1,2,3\n\xC3\x28,0,0,3\nb,2,1,3\n";
  CHECK(error_message<InputError>([&] { read(text); }) ==
        "t.csv:3:1: invalid UTF-8 in customer id");
  SummaryTableOptions skip;
  skip.on_bad_row = BadRowPolicy::skip;
  const SummaryTable table = read(text, skip);
  CHECK(table.rows_read == 3);
  CHECK(table.rows_used == 2);
  CHECK(table.rejected[static_cast<int>(SummaryRejectReason::invalid_utf8)] == 1);
  CHECK(table.ids == std::vector<std::string>{"a", "b"});
  CHECK(std::string(summary_reject_reason_key(SummaryRejectReason::invalid_utf8)) ==
        "invalid_utf8");
  // A valid multi-byte id is kept as it is.
  CHECK(read("customer_id,frequency,recency,T\nM\xC3\xBCller,1,2,3\n").ids.front() ==
        "M\xC3\xBCller");
}

#pragma once
// Test helpers for logs and customer bases: a log written from rows held in memory, and the
// check that two bases are the same customer by customer, field by field, with the same row
// accounting (ingest, holdout and snapshot tests compare the ways of reading one log).

#include <catch2/catch.hpp>
#include <cstdio>
#include <string>
#include <vector>

#include "clvkit/io/date.hpp"
#include "clvkit/summary/ingest.hpp"

namespace clvkit::test {

/// One row of a test log: id, day and amount in cents (negative: a return).
struct LogRow {
  std::string id;
  Day day;
  long long cents;
};

/// The rows as a CSV log with the default header.
inline std::string log_csv(const std::vector<LogRow>& rows) {
  std::string text = "customer_id,date,amount\n";
  for (const LogRow& row : rows) {
    const long long magnitude = row.cents < 0 ? -row.cents : row.cents;
    char amount[32];
    std::snprintf(amount, sizeof amount, "%s%lld.%02lld", row.cents < 0 ? "-" : "",
                  magnitude / 100, magnitude % 100);
    text += row.id + "," + format_day(row.day) + "," + amount + "\n";
  }
  return text;
}

/// Every count of the row accounting of `a` equals `b`'s.
inline void require_same_stats(const IngestStats& a, const IngestStats& b) {
  REQUIRE(a.rows_read == b.rows_read);
  REQUIRE(a.rows_used == b.rows_used);
  REQUIRE(a.rows_after_as_of == b.rows_after_as_of);
  for (int r = 0; r < static_cast<int>(RejectReason::count_); ++r) {
    CAPTURE(r);
    REQUIRE(a.rejected[r] == b.rejected[r]);
  }
  REQUIRE(a.returns_netted == b.returns_netted);
  REQUIRE(a.zero_amount_rows == b.zero_amount_rows);
  REQUIRE(a.customers_without_purchase == b.customers_without_purchase);
}

/// Every summary field, the days and the row accounting of `a` equal `b`'s.
inline void require_same_base(const CustomerBase& a, const CustomerBase& b) {
  REQUIRE(a.customers.size() == b.customers.size());
  for (std::size_t i = 0; i < a.customers.size(); ++i) {
    const CustomerSummary &x = a.customers[i], &y = b.customers[i];
    CAPTURE(i, y.id);
    REQUIRE(x.id == y.id);
    REQUIRE(x.first_purchase == y.first_purchase);
    REQUIRE(x.last_purchase == y.last_purchase);
    REQUIRE(x.purchase_days == y.purchase_days);
    REQUIRE(x.frequency == y.frequency);
    REQUIRE(x.recency == y.recency);
    REQUIRE(x.T == y.T);
    REQUIRE(x.days_since_last == y.days_since_last);
    REQUIRE(x.total_spend == y.total_spend);
    REQUIRE(x.monetary == y.monetary);
    REQUIRE(x.avg_spend == y.avg_spend);
  }
  require_same_stats(a.stats, b.stats);
  REQUIRE(a.as_of == b.as_of);
  REQUIRE(a.first_day == b.first_day);
  REQUIRE(a.last_day == b.last_day);
  REQUIRE(a.delimiter == b.delimiter);
}

}  // namespace clvkit::test

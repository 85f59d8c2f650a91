#pragma once
// Internal to src/summary: ingest's streaming pass cut in two at a day, for the calibration /
// holdout split (holdout.cpp). Not installed, not part of the public API.

#include <cstddef>
#include <cstdint>
#include <istream>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "clvkit/summary/ingest.hpp"
#include "log_scan.hpp"

namespace clvkit::detail {

/// One log read once and cut after day `split`: every row goes through ingest's checks and
/// policies (options.as_of is the last day read), then into the history before or after the cut.
struct SplitHistory {
  /// The customers with a purchase day on or before `split`, summarised as of `split`: the
  /// customers and their summaries are those of ingest_transactions with as_of = split. The other
  /// fields describe the whole pass: stats accounts for every row (rows after options.as_of are
  /// the only ones in rows_after_as_of; customers_without_purchase counts the customers with no
  /// purchase day on either side), first_day and last_day span all used rows, as_of = split.
  /// `customers` may be empty.
  CustomerBase before;
  /// When before.customers is not empty: the earliest first purchase day among them, and for
  /// each day from it to before.last_day, how many of them repeat-purchased on it (every
  /// purchase day but a customer's first, on either side of `split`).
  Day cohort_first_day = 0;
  std::vector<std::int64_t> daily_repeat_purchases;
  /// Per before.customers[i]: its purchase days after `split`, and the net spend of all its used
  /// rows after it.
  std::vector<std::int64_t> after_purchase_days;
  std::vector<double> after_spend;
  /// Customers whose first purchase day is after `split`, and all their used rows (returns on
  /// or before `split` included).
  std::int64_t after_only_customers = 0;
  std::int64_t after_only_rows = 0;
};

/// One customer's summary as of `as_of` from its accumulated figures (amounts in millionths):
/// the conventions of customer_summary.hpp, shared by every way of building a base.
inline void summarize_customer(std::string_view id, Day first, Day last, std::int64_t days,
                               std::int64_t total, std::int64_t first_day_spend, Day as_of,
                               CustomerSummary& to) {
  to.id = id;
  to.first_purchase = first;
  to.last_purchase = last;
  to.purchase_days = days;
  to.frequency = days - 1;
  to.recency = last - first;
  to.T = as_of - first;
  to.days_since_last = as_of - last;
  // One rounding each: the integer numerator over an exactly representable denominator.
  to.total_spend = static_cast<double>(total) / kUnitsPerCurrency;
  to.monetary = to.frequency == 0 ? 0.0
                                  : static_cast<double>(total - first_day_spend) /
                                        (kUnitsPerCurrency * static_cast<double>(to.frequency));
  to.avg_spend = static_cast<double>(total) / (kUnitsPerCurrency * static_cast<double>(days));
}

struct CustomerRef;
class CustomerTable;

/// Appends the header line of a comma-separated log with the columns of `options`, for logs
/// that are written to be ingested (rows in memory, a database's rows).
void append_csv_header(std::string& out, const IngestOptions& options);

/// The summaries of the customers `order` names (output_order of `tables`), as of `as_of`, in
/// blocks filled on up to `threads` threads.
void fill_summaries(const std::vector<CustomerTable>& tables, const std::vector<CustomerRef>& order,
                    Day as_of, std::vector<CustomerSummary>& customers, int threads);

/// Reads a CSV log as ingest_transactions does (same format, checks, errors and row policies)
/// and splits every customer's history after day `split`. Unlike ingest_transactions it does
/// not throw when no customer has a purchase day on or before `split` (before.customers is
/// then empty); it still throws InputError when no customer has a purchase day at all.
SplitHistory ingest_split(const LogInput& input, const std::string& source,
                          const IngestOptions& options, Day split);

/// The same for rows in memory, checked as ingest_transactions checks them (scan_rows): the
/// SplitHistory of the same rows written as a CSV log.
SplitHistory ingest_split(std::span<const Transaction> rows, const std::string& source,
                          const IngestOptions& options, Day split);

/// scan_log for rows in memory: checks `rows` as ingest_transactions on rows documents (in
/// chunks on `threads` threads; options.as_of is used as given, a period's already moved),
/// fills `stats` and gives every used row to apply(partition_of(hash, partitions), ids, rows),
/// one ParsedRow per row (no runs), ids indexed from `ids`. Throws InputError for the first bad
/// row in `rows` under a fail policy, and "source: empty log: there are no rows". When `apply`
/// throws SpendOverflow the rows are applied again in order on one thread (a customer's rows
/// after `split` summed apart from those on or before it, as ingest_split sums them) to throw
/// the InputError naming the first row that takes a total out of range.
LogScan scan_rows(std::span<const Transaction> rows, const std::string& source,
                  const IngestOptions& options, int threads, std::size_t partitions,
                  std::optional<Day> split, IngestStats& stats, const ApplyRows& apply);

}  // namespace clvkit::detail

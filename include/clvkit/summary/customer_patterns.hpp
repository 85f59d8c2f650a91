#pragma once
// A customer base reduced to what the model fits need, in whole days: the distinct
// (frequency, recency, T) patterns with their counts and the distinct (frequency, repeat spend)
// pairs with theirs. A database computes them (database_patterns in database_ingest.hpp), so that
// one row per pattern, not per customer, is transferred; models/patterns.hpp turns them into the
// fits' inputs.

#include <cstdint>
#include <string>
#include <vector>

#include "clvkit/summary/ingest.hpp"

namespace clvkit {

/// Customers sharing one (frequency, recency, T), all in whole days as in CustomerSummary.
struct SummaryPattern {
  std::int64_t frequency = 0;
  std::int32_t recency = 0;
  std::int32_t T = 0;
  std::int64_t customers = 0;
};

/// Repeat buyers (frequency >= 1) sharing one frequency and one net spend of their repeat
/// purchase days (total spend less the first purchase day's, in millionths of the currency
/// unit): CustomerSummary::monetary is repeat_spend / (1e6 * frequency).
struct SpendPair {
  std::int64_t frequency = 0;
  std::int64_t repeat_spend = 0;
  std::int64_t customers = 0;
  /// Their CustomerSummary::monetary, with the same one rounding (summarize_customer's).
  double monetary() const noexcept {
    return static_cast<double>(repeat_spend) / (1e6 * static_cast<double>(frequency));
  }
};

/// Customers sharing one number of purchase days and one net spend (in millionths of the
/// currency unit): CustomerSummary::total_spend is total / 1e6 and avg_spend total / (1e6 *
/// purchase_days), with summarize_customer's roundings.
struct TotalSpend {
  std::int64_t purchase_days = 0;
  std::int64_t total = 0;
  std::int64_t customers = 0;
  double total_spend() const noexcept { return static_cast<double>(total) / 1e6; }
  double avg_spend() const noexcept {
    return static_cast<double>(total) / (1e6 * static_cast<double>(purchase_days));
  }
};

/// The patterns of a customer base and the facts of its reading.
struct CustomerPatterns {
  /// Sorted by (frequency, recency, T), each triple once; only customers with a purchase day.
  std::vector<SummaryPattern> patterns;
  /// Sorted by (frequency, repeat_spend), each pair once; only repeat buyers. Empty when not
  /// asked for (PatternParts::spend).
  std::vector<SpendPair> spend;
  /// Sorted by (purchase_days, total), each pair once; every customer with a purchase day. Only
  /// when asked for (database_patterns' PatternParts::totals: the RFM scores' monetary values), else
  /// empty.
  std::vector<TotalSpend> totals;
  std::int64_t customers = 0;  ///< the customers the patterns stand for (sum of their counts)
  IngestStats stats;           ///< row accounting, as CustomerBase's
  Day as_of = 0;
  Day first_day = 0;
  Day last_day = 0;
  std::string source;  ///< where they come from (a URL without its password)
  /// What was transferred to get them: result rows (patterns, spend pairs, one row of
  /// accounting) and bytes of values.
  std::int64_t rows_transferred = 0;
  std::int64_t bytes_transferred = 0;
};

}  // namespace clvkit

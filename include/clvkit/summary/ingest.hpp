#pragma once
// Streaming ingest: a CSV transaction log in, one CustomerSummary per customer out.

#include <cstdint>
#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "clvkit/summary/customer_summary.hpp"

namespace clvkit {

/// What to do with rows whose amount is negative (returns) or zero.
enum class ReturnsPolicy { net, drop, fail };
enum class ZeroAmountPolicy { keep, drop, fail };
/// What to do with a malformed row: stop with file:line:column, or skip and count it by reason.
enum class BadRowPolicy { fail, skip };

struct IngestOptions {
  std::string customer_col = "customer_id";
  std::string date_col = "date";
  std::string amount_col = "amount";
  char delimiter = '\0';     ///< '\0' = detect from the header line among ',' ';' '\t'
  std::string date_format;   ///< empty = automatic ISO forms (see DateParser)
  ReturnsPolicy returns = ReturnsPolicy::net;
  ZeroAmountPolicy zero_amounts = ZeroAmountPolicy::keep;
  BadRowPolicy on_bad_row = BadRowPolicy::fail;
  std::optional<Day> as_of;  ///< last observed day, inclusive; default = last transaction day
};

/// Why a row was not used. The order is the order of the metadata keys.
enum class RejectReason : int {
  wrong_field_count = 0,
  empty_id,
  bad_date,
  bad_amount,
  negative_amount,  ///< returns=drop
  zero_amount,      ///< zero-amounts=drop
  count_
};
/// Stable snake_case key of a reason, as written in the output metadata.
const char* reject_reason_key(RejectReason reason) noexcept;

/// Row accounting. Invariant: rows_read = rows_used + sum(rejected) + rows_after_as_of.
struct IngestStats {
  std::int64_t rows_read = 0;  ///< data rows (header and blank lines excluded)
  std::int64_t rows_used = 0;
  std::int64_t rows_after_as_of = 0;
  std::int64_t rejected[static_cast<int>(RejectReason::count_)] = {};
  std::int64_t returns_netted = 0;  ///< negative rows subtracted from their day's spend (net)
  std::int64_t zero_amount_rows = 0;  ///< zero-amount rows used (keep)
  std::int64_t rows_rejected() const noexcept;
  bool reconciles() const noexcept { return rows_read == rows_used + rows_rejected() + rows_after_as_of; }
};

/// The result of ingesting one log: customers in a deterministic order (see README) and the
/// accounting that explains every row.
struct CustomerBase {
  std::vector<CustomerSummary> customers;
  IngestStats stats;
  Day as_of = 0;
  Day first_day = 0;        ///< earliest transaction day used
  Day last_day = 0;         ///< latest transaction day used
  std::string source;       ///< file name used in messages ("-" = stdin)
  char delimiter = ',';     ///< the delimiter used (detected or given)
};

/// Reads a CSV log from `in` (named `source` in error messages) in one streaming pass.
/// Throws InputError("source:line:column: reason") on the first bad row under BadRowPolicy::fail,
/// on a missing column in the header, or on an empty log.
CustomerBase ingest_transactions(std::istream& in, const std::string& source,
                                 const IngestOptions& options);

/// Opens `path` ("-" = stdin) and ingests it; throws IoError when it cannot be opened.
CustomerBase ingest_transactions_file(const std::string& path, const IngestOptions& options);

}  // namespace clvkit

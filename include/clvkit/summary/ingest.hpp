#pragma once
// Streaming ingest: a CSV transaction log in, one CustomerSummary per customer out.

#include <cstdint>
#include <functional>
#include <istream>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "clvkit/io/date.hpp"
#include "clvkit/summary/customer_summary.hpp"

namespace clvkit {

/// What to do with rows whose amount is negative (returns) or zero.
///  - ReturnsPolicy::net: the amount is added (so subtracted) to that day's spend and to the
///    total; a return is not a purchase occasion, so it never creates a purchase day.
///  - drop: the row is rejected (RejectReason::negative_amount / zero_amount).
///  - fail: InputError "source:line:column: negative amount '-3.50' (returns=fail)".
///  - ZeroAmountPolicy::keep: a zero-amount row is a purchase occasion (CDNOW has such rows and
///    Fader, Hardie and Lee count them).
enum class ReturnsPolicy { net, drop, fail };
enum class ZeroAmountPolicy { keep, drop, fail };
/// What to do with a malformed row: stop with file:line:column, or skip and count it by reason.
enum class BadRowPolicy { fail, skip };

/// The policies' names, as the CLI's --returns, --zero-amounts and --on-bad-row and the state
/// file spell them: net/drop/fail, keep/drop/fail, fail/skip.
const char* returns_policy_key(ReturnsPolicy policy) noexcept;
const char* zero_amount_policy_key(ZeroAmountPolicy policy) noexcept;
const char* bad_row_policy_key(BadRowPolicy policy) noexcept;
/// Parse those names; throw UsageError "WHAT: expected net, drop or fail, got 'TEXT'".
ReturnsPolicy parse_returns_policy(std::string_view text, std::string_view what);
ZeroAmountPolicy parse_zero_amount_policy(std::string_view text, std::string_view what);
BadRowPolicy parse_bad_row_policy(std::string_view text, std::string_view what);

struct IngestOptions {
  std::string customer_col = "customer_id";
  std::string date_col = "date";
  std::string amount_col = "amount";
  char delimiter = '\0';    ///< '\0' = detect from the header line among ',' ';' '\t'
  std::string date_format;  ///< empty = automatic ISO forms (see DateParser)
  ReturnsPolicy returns = ReturnsPolicy::net;
  ZeroAmountPolicy zero_amounts = ZeroAmountPolicy::keep;
  BadRowPolicy on_bad_row = BadRowPolicy::fail;
  std::optional<Day> as_of;  ///< last observed day, inclusive; default = last transaction day
  /// Read the log at a period's grain (`--period`, for models of discrete opportunities such as
  /// BG/BB): every used row's date stands for the first day of its period, so a customer's
  /// purchase days are the periods with a purchase. Only periods that have ended count: with
  /// as_of, rows after the end of the last period complete on as_of are after the as-of day,
  /// and the base's as_of is that period's first day; without it, the last period with a row is
  /// taken as complete. first_day and last_day are period starts too.
  std::optional<Period> period;
  /// Threads that parse blocks of the log and fill the customer tables (one hash partition of
  /// the ids each); the result does not depend on it. Values below 1 mean 1.
  int threads = 1;
  /// Bytes per parse block (0 = 1 MiB); the result does not depend on it. Tiny values exist for
  /// tests, which use them to put record and line boundaries across blocks.
  std::size_t block_bytes = 0;
  /// Called from the calling thread with the number of rows read so far, after each batch of
  /// blocks (a few million rows; e.g. a progress line on a terminal); must not throw. Empty =
  /// no progress reports.
  std::function<void(std::int64_t rows_read)> progress;
  /// Called from the calling thread once, when a second pass over the log starts, with the
  /// number of customers it recounts: a log that began sorted by date or grouped by customer
  /// but has customers whose days came out of order later (see the README, "Customer
  /// summary"). `progress` then counts that pass's rows from 0. Empty = no report.
  std::function<void(std::int64_t customers)> second_pass;
};

/// Why a row was not used. The order is the order of the metadata keys.
enum class RejectReason : int {
  wrong_field_count = 0,  ///< the record's field count differs from the header's
  empty_id,               ///< the customer id is empty after trimming spaces
  invalid_utf8,           ///< the customer id is not well-formed UTF-8 (see is_valid_utf8)
  bad_date,               ///< the date does not match the format or is not a real date
  bad_amount,             ///< not a finite decimal number, or |amount| >= 1e12
  negative_amount,        ///< returns=drop
  zero_amount,            ///< zero-amounts=drop
  count_
};
/// Stable snake_case key of a reason, as written in the output metadata.
const char* reject_reason_key(RejectReason reason) noexcept;

/// Row accounting. Invariant: rows_read = rows_used + sum(rejected) + rows_after_as_of.
struct IngestStats {
  std::int64_t rows_read = 0;  ///< data rows (header and blank lines excluded)
  std::int64_t rows_used = 0;  ///< rows that entered a customer's history (netted returns too)
  std::int64_t rows_after_as_of = 0;  ///< well-formed rows dated after the as-of day
  std::int64_t rejected[static_cast<int>(RejectReason::count_)] = {};
  std::int64_t returns_netted = 0;    ///< negative rows subtracted from their day's spend (net)
  std::int64_t zero_amount_rows = 0;  ///< zero-amount rows used (keep)
  /// Customers whose used rows are all returns: with no purchase day they cannot be summarised,
  /// so they are not in CustomerBase::customers, but their rows still count in rows_used.
  std::int64_t customers_without_purchase = 0;
  std::int64_t rows_rejected() const noexcept;
  bool reconciles() const noexcept {
    return rows_read == rows_used + rows_rejected() + rows_after_as_of;
  }
};

/// The result of ingesting one log: customers in a deterministic order and the accounting that
/// explains every row.
///
/// Order: by id. When every id consists only of ASCII digits the order is numeric (shorter
/// after stripping leading zeros first, then bytewise, ties such as "7" and "007" by the full
/// string); otherwise bytewise (std::string comparison).
struct CustomerBase {
  std::vector<CustomerSummary> customers;
  IngestStats stats;
  Day as_of = 0;         ///< the as-of day given, or the latest used day
  Day first_day = 0;     ///< earliest transaction day used (returns included)
  Day last_day = 0;      ///< latest transaction day used (returns included)
  std::string source;    ///< file name used in messages ("-" = stdin)
  char delimiter = ',';  ///< the delimiter used (detected or given)
};

/// Reads a CSV log from `in` (named `source` in error messages) in one streaming pass; the rows
/// may come in any order.
///
/// Input: a header line naming the columns of `options` (names compared after trimming
/// surrounding spaces and tabs; other columns are ignored), then one transaction per record (CSV
/// dialect: see CsvReader). Ids are kept as written except for surrounding ASCII spaces; dates
/// and amounts are trimmed of surrounding spaces and tabs. Amounts are decimals with '.' and an
/// optional sign (no exponent, no thousands separator). They are summed exactly in millionths of
/// the currency unit, so the result does not depend on row order; digits beyond the sixth decimal
/// are rounded.
///
/// Each data row is checked in this order; the first failing check decides its fate:
///  1. field count equal to the header's (wrong_field_count; the column reported is the first
///     missing field, found + 1, or the first extra one, header count + 1);
///  2. non-empty id that is well-formed UTF-8 (the message is "invalid UTF-8 in customer
///     id"), parsable date, parsable amount (empty_id, invalid_utf8, bad_date, bad_amount; the
///     column is that field's 1-based position);
///  3. day <= as_of, else counted in rows_after_as_of (so a row after the as-of day is never
///     subject to the amount policies);
///  4. the returns and zero-amount policies.
/// Under BadRowPolicy::fail, steps 1-2 throw InputError("source:line:column: reason") where
/// line is the physical line on which the record starts (the header is line 1 unless blank
/// lines precede it). The returns and zero-amount `fail` policies throw the same way whatever
/// BadRowPolicy says.
///
/// Summaries follow customer_summary.hpp: purchase days are the distinct days with a positive
/// (or, under keep, zero) amount; the spend of a day is the sum of all of that customer's used
/// rows on it, returns included; monetary = (total_spend - spend of the first purchase day) /
/// frequency, 0 when frequency = 0; avg_spend = total_spend / purchase_days.
///
/// Throws InputError when the header lacks a column ("source:1:0: missing column 'amount'
/// (header has: ...)") or names one twice, when a quoted field is never closed, on the first
/// bad row under BadRowPolicy::fail, and when the log is empty: no header, no data rows, or no
/// customer with a purchase day (the message then gives the row accounting). Throws UsageError
/// for an invalid date format or delimiter, IoError when the stream fails.
CustomerBase ingest_transactions(std::istream& in, const std::string& source,
                                 const IngestOptions& options);

/// One transaction held in memory: a customer id, the day and the amount (negative: a return).
struct Transaction {
  std::string_view customer_id;
  Day day = 0;
  double amount = 0.0;
};

/// Transaction::day of a row whose date is missing (a NaT in a data frame): a bad row.
inline constexpr Day kMissingDay = std::numeric_limits<Day>::min();

/// Ingests transactions held in memory: the CustomerBase of ingest_transactions on the same rows
/// written as a CSV log (ids as they are, days as YYYY-MM-DD, amounts in the shortest
/// fixed-notation form that reads back as the same double): the same customers in the same
/// order, the same summaries to the bit, the same row accounting, without writing or parsing
/// any text. The rows go straight into the ingest's customer tables, in chunks checked on
/// options.threads threads.
///
/// The checks are the log's, in its order: the id trimmed of surrounding ASCII spaces, empty
/// (empty_id) or not well-formed UTF-8 (invalid_utf8); a day outside 0000-01-01..9999-12-31 or
/// kMissingDay (bad_date); an amount that is not finite or not below 1e12 in size (bad_amount);
/// then the as-of day, the period and the returns and zero-amount policies. An amount is read
/// in millionths as the CSV text of it would be (llround(amount * 1e6) below 1e9). Under
/// BadRowPolicy::fail the first bad row in `rows` throws InputError "source:line:column:
/// reason", with line = its 0-based position + 2 (the line it has in the CSV text, under a
/// header) and column 1 (id), 2 (date) or 3 (amount); e.g. "frame:4:3: missing amount (NaN) in
/// column 'amount'". The options' column names appear in messages; their delimiter and date
/// format are not used. `source` names the rows in messages and metadata. Throws InputError
/// "source: empty log: there are no rows" for no rows, and as ingest_transactions when no
/// customer has a purchase day or a customer's total spend overflows (naming the first row in
/// `rows` that takes it out of range).
CustomerBase ingest_transactions(std::span<const Transaction> rows, const std::string& source,
                                 const IngestOptions& options);

/// Opens `path` ("-" = stdin) and ingests it; throws IoError when it cannot be opened.
CustomerBase ingest_transactions_file(const std::string& path, const IngestOptions& options);

}  // namespace clvkit

#pragma once
// A summary table as users of lifetimes and BTYD keep them: one row per customer, or one per
// pattern with a count column, holding frequency x (repeat purchases, or repeat opportunities
// with a transaction for BG/BB), recency t_x (time of the last repeat purchase since the first),
// T (observation since the first purchase; n, the number of opportunities, for BG/BB) and
// optionally the mean repeat spend, all already in the model's time unit. `clvkit fit` and
// `clvkit predict` read it in place of a transaction log (README, "Summary tables").

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

#include "clvkit/summary/ingest.hpp"

namespace clvkit {

/// Column names; an empty name is found among the usual spellings of lifetimes and BTYD (first
/// match in the header, in this order):
///   id        customer_id, id, ID, cust, CustomerID         (optional: rows are then numbered)
///   frequency frequency, x, frequency_cal
///   recency   recency, t_x, t.x, recency_cal
///   T         T, T.cal, T_cal, periods, n, n.cal
///   monetary  monetary_value, m.x, monetary, monetary_value_cal, zbar   (optional)
///   count     weights, count, n_customers, custs               (optional: 1 per row)
struct SummaryTableColumns {
  std::string id;
  std::string frequency;
  std::string recency;
  std::string T;
  std::string monetary;
  std::string count;
};

struct SummaryTableOptions {
  SummaryTableColumns columns;
  char delimiter = '\0';  ///< '\0' = detect from the header line among ',' ';' '\t'
  BadRowPolicy on_bad_row = BadRowPolicy::fail;
};

/// Why a summary-table row was not used. The order is the order of the metadata keys.
enum class SummaryRejectReason : int {
  wrong_field_count = 0,  ///< the record's field count differs from the header's
  invalid_utf8,           ///< the customer id is not well-formed UTF-8 (see is_valid_utf8)
  bad_number,             ///< a field is not a finite decimal number
  bad_history,            ///< x < 0, T < 0, t_x outside [0, T], or t_x > 0 with x = 0
  bad_monetary,           ///< a negative mean spend
  bad_count,              ///< a count that is not positive
  count_
};
/// Stable snake_case key of a reason, as written in the output metadata.
const char* summary_reject_reason_key(SummaryRejectReason reason) noexcept;

/// The rows used, column by column (ids empty when the table has none), and their accounting.
struct SummaryTable {
  std::string source;
  /// The header names of the columns read (empty for an optional column that is absent).
  SummaryTableColumns columns;
  std::vector<std::string> ids;  ///< one per row used, or empty when there is no id column
  std::vector<std::int64_t> lines;  ///< the 1-based line of each row used
  std::vector<double> x;
  std::vector<double> t_x;
  std::vector<double> T;
  std::vector<double> monetary;  ///< one per row used when columns.monetary is set, else empty
  std::vector<double> count;     ///< one per row used (1 without a count column)
  std::int64_t rows_read = 0;    ///< data rows (header and blank lines excluded)
  std::int64_t rows_used = 0;
  std::int64_t rejected[static_cast<int>(SummaryRejectReason::count_)] = {};

  std::int64_t rows_rejected() const noexcept;
  /// The number of customers the table stands for: the sum of the counts.
  double customers() const noexcept;
  bool has_monetary() const noexcept { return !columns.monetary.empty(); }
};

/// Reads a summary table (CSV with a header, the dialect of CsvReader). Under
/// BadRowPolicy::fail a bad row throws InputError("source:line:column: reason"); under skip it
/// is counted in `rejected` and left out. Throws InputError naming the source when a required
/// column is missing or named twice, or when no row is left.
SummaryTable read_summary_table(std::istream& in, const std::string& source,
                                const SummaryTableOptions& options = {});
/// The same from a file; throws IoError when it cannot be opened.
SummaryTable read_summary_table(const std::string& path, const SummaryTableOptions& options = {});

}  // namespace clvkit

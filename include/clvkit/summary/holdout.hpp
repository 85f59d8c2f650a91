#pragma once
// Calibration/holdout split of one transaction log, for validating a model against what
// happened after the calibration period (FHL 2005, section 4).

#include <cstdint>
#include <istream>
#include <span>
#include <string>
#include <vector>

#include "clvkit/summary/ingest.hpp"

namespace clvkit {

/// What a calibration customer did in the holdout period (calibration_end, holdout_end].
struct HoldoutActivity {
  std::int64_t purchase_days = 0;  ///< distinct purchase days in the holdout: repeat purchases
  double spend = 0.0;              ///< net spend in the holdout
};

struct CalibrationHoldout {
  /// Summaries as of calibration_end for the customers whose first purchase is on or before it
  /// (calibration.as_of == calibration_end). calibration.stats accounts for every row of the
  /// file: rows_after_as_of counts rows after holdout_end only; holdout rows are "used".
  CustomerBase calibration;
  std::vector<HoldoutActivity> holdout;  ///< parallel to calibration.customers
  Day calibration_end = 0;
  Day holdout_end = 0;
  std::int64_t holdout_customers_new = 0;  ///< customers first seen in the holdout (not validated)
  std::int64_t holdout_rows_new_customers = 0;  ///< their rows (counted as used)
  /// Repeat purchase occasions of calibration customers per day, index = day - first_day of the
  /// calibration cohort, through holdout_end: the tracking series' actual side.
  std::vector<std::int64_t> daily_repeat_purchases;
  /// The calibration cohort's first purchase day (the earliest first_purchase of
  /// calibration.customers): day 0 of daily_repeat_purchases and of the tracking series.
  /// calibration.first_day can be earlier (a return, or a customer first seen in the holdout).
  Day cohort_first_day = 0;
};

/// Reads `path` ("-" = stdin) once and splits it at `calibration_end` (inclusive). The holdout
/// ends at options.as_of when given, else at the last transaction day. Throws UsageError when
/// calibration_end is not before the holdout end, InputError as ingest_transactions does.
///
/// Both periods follow ingest's conventions (ingest.hpp): rows are bucketed to calendar days, a
/// purchase day is a day with a positive (or, under ZeroAmountPolicy::keep, zero) amount, returns
/// follow options.returns and only ever change spend. So calibration.customers are exactly the
/// customers of ingest_transactions with as_of = calibration_end, and a customer's holdout
/// purchase_days are their distinct purchase days in (calibration_end, holdout_end]. Throws
/// UsageError also when no customer has a purchase day on or before calibration_end.
CalibrationHoldout ingest_calibration_holdout(const std::string& path, const IngestOptions& options,
                                              Day calibration_end);

/// The same for a log already open as a stream (named `source` in messages).
CalibrationHoldout ingest_calibration_holdout(std::istream& in, const std::string& source,
                                              const IngestOptions& options, Day calibration_end);

/// The same for transactions held in memory (named `source` in messages): the split of the same
/// rows written as a CSV log (see ingest_transactions on rows: the same checks, first bad row
/// "source:line:column: reason" with line = position + 2), i.e. the same calibration customers
/// in the same order, summaries to the bit, holdout activity, daily repeat purchases and row
/// accounting, without any text; `calibration.delimiter` is ','. Throws what the log's split
/// throws, and InputError "source: empty log: there are no rows" for no rows. A customer's
/// spend that overflows names the first row in `rows` that takes its calibration or holdout
/// total out of range (for a log, which one is found first may depend on the threads).
CalibrationHoldout ingest_calibration_holdout(std::span<const Transaction> rows,
                                              const std::string& source,
                                              const IngestOptions& options, Day calibration_end);

}  // namespace clvkit

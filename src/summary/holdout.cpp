#include "clvkit/summary/holdout.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "clvkit/error.hpp"
#include "clvkit/io/date.hpp"
#include "clvkit/io/mapped_file.hpp"
#include "ingest_internal.hpp"

namespace clvkit {
namespace {

[[noreturn, gnu::cold]] void throw_empty_holdout(Day calibration_end, Day holdout_end,
                                                 const char* holdout_source) {
  throw UsageError("calibration end " + format_day(calibration_end) +
                   " is not before the holdout end " + format_day(holdout_end) + " (" +
                   holdout_source + "): the holdout period would be empty");
}

// ingest_calibration_holdout on the rows that split(options, day) reads split after day (a
// stream's, a mapped file's or rows in memory: detail::ingest_split).
template <class Split>
CalibrationHoldout calibration_holdout(const Split& split_rows, const IngestOptions& given,
                                       Day calibration_end) {
  // Under a period, both ends move back to the end of the last period complete on them; rows
  // are read to the holdout's, and the calibration's summaries are as of its last period's
  // first day (the days the rows stand for).
  IngestOptions options = given;
  if (options.period) {
    const Period period = *options.period;
    calibration_end = period_start(last_complete_period_end(calibration_end, period), period);
    if (options.as_of) options.as_of = last_complete_period_end(*options.as_of, period);
  }
  // A given holdout end can be checked before the pass over the log.
  if (options.as_of) {
    const Day holdout_end =
        options.period ? period_start(*options.as_of, *options.period) : *options.as_of;
    if (holdout_end <= calibration_end) {
      throw_empty_holdout(calibration_end, holdout_end, "the as-of day given");
    }
  }
  detail::SplitHistory split = split_rows(options, calibration_end);

  CalibrationHoldout out;
  out.calibration = std::move(split.before);
  out.calibration_end = calibration_end;
  out.holdout_end = options.as_of.value_or(out.calibration.last_day);
  if (options.period) out.holdout_end = period_start(out.holdout_end, *options.period);
  if (out.holdout_end <= calibration_end) {
    throw_empty_holdout(calibration_end, out.holdout_end, "the last transaction day");
  }
  const std::vector<CustomerSummary>& customers = out.calibration.customers;
  if (customers.empty()) {
    throw UsageError("calibration end " + format_day(calibration_end) +
                     " is before every customer's first purchase (the log starts on " +
                     format_day(out.calibration.first_day) + "): nothing to calibrate on");
  }
  out.holdout_customers_new = split.after_only_customers;
  out.holdout_rows_new_customers = split.after_only_rows;

  out.cohort_first_day = split.cohort_first_day;
  // The split counted days up to the last used one; the series runs to the holdout end.
  out.daily_repeat_purchases = std::move(split.daily_repeat_purchases);
  out.daily_repeat_purchases.resize(
      static_cast<std::size_t>(out.holdout_end - out.cohort_first_day) + 1, 0);
  out.holdout.resize(customers.size());
  for (std::size_t i = 0; i < customers.size(); ++i) {
    out.holdout[i].purchase_days = split.after_purchase_days[i];
    out.holdout[i].spend = split.after_spend[i];
  }
  return out;
}

}  // namespace

CalibrationHoldout ingest_calibration_holdout(std::istream& in, const std::string& source,
                                              const IngestOptions& options, Day calibration_end) {
  return calibration_holdout(
      [&](const IngestOptions& split_options, Day split) {
        return detail::ingest_split(detail::LogInput{&in, {}}, source, split_options, split);
      },
      options, calibration_end);
}

CalibrationHoldout ingest_calibration_holdout(const std::string& path, const IngestOptions& options,
                                              Day calibration_end) {
  return detail::read_log_file(path, [&](const detail::LogInput& input) {
    return calibration_holdout(
        [&](const IngestOptions& split_options, Day split) {
          return detail::ingest_split(input, path, split_options, split);
        },
        options, calibration_end);
  });
}

CalibrationHoldout ingest_calibration_holdout(std::span<const Transaction> rows,
                                              const std::string& source,
                                              const IngestOptions& options, Day calibration_end) {
  return calibration_holdout(
      [&](const IngestOptions& split_options, Day split) {
        return detail::ingest_split(rows, source, split_options, split);
      },
      options, calibration_end);
}

}  // namespace clvkit

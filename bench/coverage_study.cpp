// Coverage study of the per-segment 90% forecast intervals (forecast.hpp), per purchase model.
//
// For each registered purchase model with study parameters below, `--bases` bases are simulated
// from known parameters (simulate.hpp, Gamma-Gamma spend at its CDNOW values), split into a
// calibration and a holdout period, refitted on the calibration period, and the holdout's repeat
// purchases are forecast per segment with parameter draws (what `clvkit segments --forecast` and
// the report do). A segment is a calibration-frequency bucket: x = 0, 1, 2-3, 4-7, 8+. The
// realised holdout totals (distinct purchase days, as ingest counts them) are then checked
// against each interval; the table gives the share covered with its binomial standard error,
// and z = (actual - mean) / sd, whose mean shows a bias and whose spread a width error (for a
// well-calibrated normal-ish interval, mean 0 and sd 1).
//
// The setting (CDNOW-like, FHL 2005): customers acquired over 12 weeks from 2024-01-01,
// calibration through 2024-09-29 (39 weeks after the first possible acquisition), holdout the
// following 39 weeks (through 2025-06-29), time unit the week, `--customers` customers per base
// (default 2,500, about CDNOW's 2,357).
//
// Modes, on the same simulated bases:
//   truth   the true parameters, held fixed: checks the process (and the day bucketing of the
//           simulated log) without any estimation;
//   plugin  the refitted parameters, held fixed: the interval without parameter uncertainty;
//   refit   the refitted parameters with their uncertainty, each group's draws centred on its
//           point forecast (what the library does);
//   refit-uncentred  as refit, the draws as simulated (the library before the centring);
//   truth+1d  as truth with T one day longer and t_x half a day later (the continuous-time
//           exposure of the simulated customers; ingest's T counts whole days from the first).
//
// Deterministic: base b of model k uses seed 1000 k + b; bases run on `--threads` threads and are
// reported in order.
//
// Rerun (about 4 minutes for BG/NBD and MBG/NBD and 12 for Pareto/NBD, whose P(alive) per
// customer and parameter draw is costly, on 2 threads with the default modes):
//   cmake --build build --target clvkit_coverage_study -j2
//   build/bench/clvkit_coverage_study --bases 200 --threads 2 --modes truth,truth+1d,plugin,refit
// Options: --bases N, --customers N, --draws N, --threads N, --unit day|week|month,
// --models bgnbd,pnbd, --modes truth,truth+1d,plugin,refit (default truth,plugin,refit). The
// results are in bench/RESULTS.md.

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "clvkit/io/date.hpp"
#include "clvkit/models/customer_value.hpp"
#include "clvkit/models/forecast.hpp"
#include "clvkit/models/purchase_model.hpp"
#include "clvkit/models/simulate.hpp"
#include "clvkit/summary/holdout.hpp"

namespace {

using namespace clvkit;

// Known parameters per model key, in the family's order, weekly. Models without a row are
// listed as skipped (add a row to include them).
const std::map<std::string, std::vector<double>>& study_parameters() {
  static const std::map<std::string, std::vector<double>> table{
      {"bgnbd", {0.243, 4.414, 0.793, 2.426}},   // FHL 2005, CDNOW
      {"mbgnbd", {0.243, 4.414, 0.793, 2.426}},  // the same values in MBG/NBD
      {"pnbd", {0.553, 10.578, 0.606, 11.669}},  // FHL 2005 (Pareto/NBD on CDNOW)
  };
  return table;
}

constexpr int kSegments = 5;
const char* const kSegmentNames[kSegments] = {"x=0", "x=1", "x=2-3", "x=4-7", "x=8+"};

int segment_of(double x) {
  if (x < 1) return 0;
  if (x < 2) return 1;
  if (x < 4) return 2;
  if (x < 8) return 3;
  return 4;
}

struct Options {
  int bases = 200;
  std::int64_t customers = 2500;
  int draws = 1000;
  int threads = 1;
  TimeUnit unit = TimeUnit::week;
  std::vector<std::string> models;
  std::vector<std::string> modes{"truth", "plugin", "refit"};
};

// One forecast interval against its realised value.
struct Check {
  double actual = 0.0;
  Interval interval;
  bool covered() const { return actual >= interval.low && actual <= interval.high; }
  double z() const { return interval.sd > 0 ? (actual - interval.mean) / interval.sd : 0.0; }
};

struct BaseResult {
  bool ok = false;
  std::string error;
  // [mode] -> total purchases, total revenue, per-segment purchases
  std::vector<Check> total;
  std::vector<Check> revenue;
  std::vector<std::vector<Check>> segments;
  std::vector<std::int64_t> segment_customers;
  // Truth mode against the holdout's rows (every simulated purchase, none merged by day): the
  // process check without the day bucketing of the log.
  Check total_rows;
};

BaseResult run_base(const std::string& key, const std::vector<double>& truth, std::uint64_t seed,
                    const Options& opt) {
  BaseResult out;
  const PurchaseModelFamily& family = purchase_model_family(key);
  SimulationOptions simulation;
  simulation.customers = opt.customers;
  simulation.seed = seed;
  simulation.time_unit = opt.unit;
  simulation.start = days_from_civil(2024, 1, 1);
  simulation.cohort_days = 84;
  simulation.end = simulation.start + 2 * 273 - 1;
  simulation.purchase = family.make(truth);
  std::string log;
  write_simulated_transactions(simulation, [&](std::string_view text) { log.append(text); });
  std::istringstream in(log);
  IngestOptions ingest;
  ingest.as_of = simulation.end;
  const Day calibration_end = simulation.start + 273 - 1;
  const CalibrationHoldout split =
      ingest_calibration_holdout(in, "simulated.csv", ingest, calibration_end);
  const double days = unit_days(opt.unit);
  const double horizon = static_cast<double>(split.holdout_end - split.calibration_end) / days;

  ModelChoice choice;
  choice.purchase = key;
  const FittedModels fitted =
      fit_customer_models(split.calibration.customers, opt.unit, {}, choice);
  if (!fitted.purchase.summary.is_usable()) {
    out.error = "fit not usable: " + fitted.purchase.summary.message;
    return out;
  }

  std::vector<ForecastCustomer> customers;
  std::vector<double> actual_segment(kSegments, 0.0);
  std::vector<double> actual_revenue_segment(kSegments, 0.0);
  out.segment_customers.assign(kSegments, 0);
  double actual_total = 0.0;
  double actual_revenue = 0.0;
  for (std::size_t i = 0; i < split.calibration.customers.size(); ++i) {
    const CustomerSummary& c = split.calibration.customers[i];
    const double x = static_cast<double>(c.frequency);
    const int g = segment_of(x);
    customers.push_back({x, c.recency / days, c.T / days, c.monetary > 0 ? c.monetary : 0.0, g});
    const double n = static_cast<double>(split.holdout[i].purchase_days);
    actual_segment[static_cast<std::size_t>(g)] += n;
    actual_total += n;
    actual_revenue += split.holdout[i].spend;
    ++out.segment_customers[static_cast<std::size_t>(g)];
  }

  const std::shared_ptr<const PurchaseModel> true_model = family.make(truth);
  for (const std::string& mode : opt.modes) {
    ForecastOptions options;
    options.horizon = horizon;
    options.draws = opt.draws;
    options.seed = seed * 7919 + 17;
    const PurchaseModel* model = fitted.purchase.model.get();
    std::vector<ForecastCustomer> shifted;
    const std::vector<ForecastCustomer>* forecast_customers = &customers;
    if (mode == "truth") {
      model = true_model.get();
    } else if (mode == "truth+1d") {
      // The simulated customer was observed from the start of their first day to the end of the
      // calibration's last: T + 1 day; the last purchase fell on average half a day after the
      // start of its day.
      model = true_model.get();
      shifted = customers;
      for (ForecastCustomer& c : shifted) {
        c.T += 1.0 / days;
        if (c.x > 0) c.t_x += 0.5 / days;
      }
      forecast_customers = &shifted;
    } else if (mode == "refit" || mode == "refit-uncentred") {
      options.purchase_log_covariance = fitted.purchase.summary.log_parameter_covariance;
      options.spend_log_covariance = fitted.spend.summary.log_parameter_covariance;
      options.centre = mode == "refit";
    }
    const ForecastResult f =
        forecast_groups(*forecast_customers, kSegments, *model, *fitted.spend.model, options);
    out.total.push_back({actual_total, f.total.purchases});
    out.revenue.push_back({actual_revenue, f.total.revenue});
    std::vector<Check> segs;
    for (int g = 0; g < kSegments; ++g) {
      segs.push_back({actual_segment[static_cast<std::size_t>(g)],
                      f.groups[static_cast<std::size_t>(g)].purchases});
    }
    out.segments.push_back(segs);
    if (mode == "truth") {
      // Rows dated in the holdout: every repeat purchase of the holdout (first purchases all
      // fall in the calibration period), same-day purchases counted separately.
      const std::string first_holdout_day = format_day(split.calibration_end + 1);
      double rows = 0.0;
      for (std::size_t at = log.find('\n'); at != std::string::npos && at + 1 < log.size();
           at = log.find('\n', at + 1)) {
        const std::size_t comma = log.find(',', at + 1);
        if (log.compare(comma + 1, first_holdout_day.size(), first_holdout_day) >= 0) rows += 1.0;
      }
      out.total_rows = {rows, f.total.purchases};
    }
  }
  out.ok = true;
  return out;
}

struct Tally {
  int n = 0;
  int covered = 0;
  double z_sum = 0.0;
  double z_squares = 0.0;
  void add(const Check& c) {
    ++n;
    covered += c.covered() ? 1 : 0;
    const double z = c.z();
    z_sum += z;
    z_squares += z * z;
  }
  std::string coverage() const {
    if (n == 0) return "-";
    const double p = static_cast<double>(covered) / n;
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%.1f ± %.1f", 100 * p, 100 * std::sqrt(p * (1 - p) / n));
    return buffer;
  }
  std::string z_summary() const {
    if (n < 2) return "-";
    const double mean = z_sum / n;
    const double sd = std::sqrt(std::max(0.0, (z_squares - n * mean * mean) / (n - 1)));
    char buffer[64];
    std::snprintf(buffer, sizeof buffer, "%+.2f / %.2f", mean, sd);
    return buffer;
  }
};

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string name = argv[i];
    const std::string value = argv[i + 1];
    if (name == "--bases") {
      opt.bases = std::stoi(value);
    } else if (name == "--customers") {
      opt.customers = std::stoll(value);
    } else if (name == "--draws") {
      opt.draws = std::stoi(value);
    } else if (name == "--threads") {
      opt.threads = std::stoi(value);
    } else if (name == "--unit") {
      opt.unit = parse_time_unit(value, "--unit");
    } else if (name == "--models") {
      opt.models = split_list(value);
    } else if (name == "--modes") {
      opt.modes = split_list(value);
    } else {
      std::fprintf(stderr, "coverage_study: unknown option %s\n", name.c_str());
      return 2;
    }
  }
  if (opt.models.empty()) {
    for (const PurchaseModelFamily& family : purchase_model_families()) {
      opt.models.emplace_back(family.key);
    }
  }
  std::printf(
      "Setting: %d bases per model, %lld customers, %d draws, 12-week cohort, "
      "39 + 39 weeks (time unit %s); segments by calibration frequency.\n\n",
      opt.bases, static_cast<long long>(opt.customers), opt.draws, time_unit_key(opt.unit));
  std::printf(
      "| model | mode | bases | total | z total (mean / sd) | revenue total | all segments "
      "| z segments |");
  for (const char* name : kSegmentNames) std::printf(" %s |", name);
  std::printf("\n|---|---|---|---|---|---|---|---|");
  for (int g = 0; g < kSegments; ++g) std::printf("---|");
  std::printf("\n");
  std::fflush(stdout);

  int model_index = 0;
  for (const std::string& key : opt.models) {
    ++model_index;
    const auto found = study_parameters().find(key);
    if (found == study_parameters().end()) {
      std::printf("| %s | skipped: no study parameters (add a row to study_parameters()) |\n",
                  key.c_str());
      continue;
    }
    std::vector<BaseResult> results(static_cast<std::size_t>(opt.bases));
    std::atomic<int> next{0};
    const auto work = [&] {
      for (;;) {
        const int b = next.fetch_add(1);
        if (b >= opt.bases) return;
        try {
          results[static_cast<std::size_t>(b)] =
              run_base(key, found->second, static_cast<std::uint64_t>(1000 * model_index + b), opt);
        } catch (const std::exception& e) {
          results[static_cast<std::size_t>(b)].error = e.what();
        }
      }
    };
    std::vector<std::thread> pool;
    for (int t = 0; t < std::max(1, opt.threads); ++t) pool.emplace_back(work);
    for (std::thread& t : pool) t.join();

    for (std::size_t m = 0; m < opt.modes.size(); ++m) {
      Tally total;
      Tally revenue;
      Tally all_segments;
      std::vector<Tally> segments(kSegments);
      int failed = 0;
      for (const BaseResult& r : results) {
        if (!r.ok) {
          ++failed;
          continue;
        }
        total.add(r.total[m]);
        revenue.add(r.revenue[m]);
        for (int g = 0; g < kSegments; ++g) {
          if (r.segment_customers[static_cast<std::size_t>(g)] == 0) continue;
          const Check& c = r.segments[m][static_cast<std::size_t>(g)];
          segments[static_cast<std::size_t>(g)].add(c);
          all_segments.add(c);
        }
      }
      std::printf("| %s | %s | %d%s | %s | %s | %s | %s | %s |", key.c_str(), opt.modes[m].c_str(),
                  total.n, failed ? (" (" + std::to_string(failed) + " failed)").c_str() : "",
                  total.coverage().c_str(), total.z_summary().c_str(), revenue.coverage().c_str(),
                  all_segments.coverage().c_str(), all_segments.z_summary().c_str());
      for (const Tally& t : segments) std::printf(" %s |", t.coverage().c_str());
      std::printf("\n");
      std::fprintf(stderr, "%s %s z by segment:", key.c_str(), opt.modes[m].c_str());
      for (const Tally& t : segments) std::fprintf(stderr, " %s", t.z_summary().c_str());
      std::fprintf(stderr, "\n");
      std::fflush(stdout);
    }
    if (std::find(opt.modes.begin(), opt.modes.end(), "truth") != opt.modes.end()) {
      Tally rows;
      for (const BaseResult& r : results) {
        if (r.ok) rows.add(r.total_rows);
      }
      std::printf("| %s | truth, actual = rows | %d | %s | %s | | | | | | | | |\n", key.c_str(),
                  rows.n, rows.coverage().c_str(), rows.z_summary().c_str());
    }
    for (std::size_t b = 0; b < results.size(); ++b) {
      if (!results[b].ok) {
        std::fprintf(stderr, "%s base %zu: %s\n", key.c_str(), b, results[b].error.c_str());
      }
    }
  }
  return 0;
}

// clvkit simulate: draws a synthetic transaction log from BG/NBD purchasing with Gamma-Gamma
// spend (the process is documented in include/clvkit/models/simulate.hpp and the README). The
// options --r --alpha --a --b and --p --q --gamma are those two models' parameters; the models are
// made through the registry and the library simulates through their interfaces.

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <iterator>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "clvkit/error.hpp"
#include "clvkit/io/date.hpp"
#include "clvkit/models/purchase_model.hpp"
#include "clvkit/models/simulate.hpp"
#include "clvkit/models/spend_model.hpp"
#include "clvkit/models/time_unit.hpp"
#include "clvkit/output/output_file.hpp"
#include "commands.hpp"
#include "common_options.hpp"

namespace clvkit::cli {
namespace {

// Days from --start to the default --end: 2024-01-01 + 730 = 2025-12-31, two years of data.
constexpr std::int32_t kDefaultObservedDays = 730;

struct SimulateOptions {
  std::int64_t customers = 1000;
  std::string start = "2024-01-01";
  std::int32_t cohort_days = 90;
  std::string end;  // empty: start + 730 days
  std::string time_unit = "week";
  std::string model = "bgnbd";  ///< a purchase model whose parameters are r, alpha, a, b
  // BG/NBD's (r, alpha, a, b) and Gamma-Gamma's (p, q, gamma), defaulting to the library's.
  std::vector<double> bgnbd = cdnow_purchase_model()->parameters();
  // Pareto/NBD's dropout-rate parameters (s, beta; r and alpha are the options above), defaulting
  // to its CDNOW estimates (Fader, Hardie & Lee's note; lifetimes: 0.606, 11.67).
  double s = 0.606;
  double beta = 11.67;
  std::vector<double> gamma_gamma = cdnow_spend_model()->parameters();
  /// --purchase-parameters: name=value pairs for the purchase model's parameters, over the
  /// options above; BG/BB's (alpha, beta, gamma, delta) default to the donations estimates of
  /// Fader, Hardie & Shang (2010).
  std::string purchase_parameters;
  std::uint64_t seed = 1;
  int threads = 1;
  std::string output = "-";
  bool quiet = false;
};

void check_parameter(double value, const char* option) {
  if (!(std::isfinite(value) && value > 0.0)) {
    char text[32];
    std::snprintf(text, sizeof text, "%g", value);
    throw UsageError(std::string("simulate: ") + option + " is " + text +
                     ", but must be positive and finite");
  }
}

void check_at_least_one(std::int64_t value, const char* option) {
  if (value < 1) {
    throw UsageError(std::string("simulate: ") + option + " is " + std::to_string(value) +
                     ", but must be at least 1");
  }
}

// --purchase-parameters "name=value,...": each name one of `family`'s parameters, each value
// positive and finite, set in `given` (added when absent).
void apply_named_parameters(std::string_view text, const PurchaseModelFamily& family,
                            std::vector<std::pair<std::string, double>>& given) {
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    const std::size_t equals = item.find('=');
    const auto bad = [&] {
      throw UsageError("simulate: --purchase-parameters: expected name=value pairs separated by "
                       "commas (e.g. alpha=1.2,beta=0.75), got '" + std::string(item) + "'");
    };
    if (equals == std::string_view::npos) bad();
    const std::string name(item.substr(0, equals));
    const std::string_view number = item.substr(equals + 1);
    double value = 0.0;
    const auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
    if (ec != std::errc() || end != number.data() + number.size()) bad();
    if (std::find(family.parameter_names.begin(), family.parameter_names.end(), name) ==
        family.parameter_names.end()) {
      throw UsageError("simulate: --purchase-parameters: " + std::string(family.label) +
                       " has no parameter '" + name + "'");
    }
    check_parameter(value, ("--purchase-parameters " + name).c_str());
    const auto found = std::find_if(given.begin(), given.end(),
                                    [&name](const auto& g) { return g.first == name; });
    if (found != given.end()) {
      found->second = value;
    } else {
      given.emplace_back(name, value);
    }
  }
}

// Validates with the option names the user typed, then builds the library's options.
SimulationOptions simulation_options(const SimulateOptions& cli) {
  check_parameter(cli.bgnbd[0], "--r");
  check_parameter(cli.bgnbd[1], "--alpha");
  check_parameter(cli.bgnbd[2], "--a");
  check_parameter(cli.bgnbd[3], "--b");
  check_parameter(cli.s, "--s");
  check_parameter(cli.beta, "--beta");
  check_parameter(cli.gamma_gamma[0], "--p");
  check_parameter(cli.gamma_gamma[1], "--q");
  check_parameter(cli.gamma_gamma[2], "--gamma");
  check_at_least_one(cli.customers, "--customers");
  check_at_least_one(cli.cohort_days, "--cohort-days");
  check_at_least_one(cli.threads, "--threads");

  SimulationOptions options;
  options.customers = cli.customers;
  options.start = parse_iso_date_or_throw(cli.start, "simulate: --start");
  options.cohort_days = cli.cohort_days;
  options.end = cli.end.empty() ? options.start + kDefaultObservedDays
                                : parse_iso_date_or_throw(cli.end, "simulate: --end");
  const std::int64_t cohort_last =
      static_cast<std::int64_t>(options.start) + options.cohort_days - 1;
  if (cohort_last > options.end) {
    throw UsageError("simulate: --end " + format_day(options.end) +
                     " is before the last day of the cohort window, " +
                     format_day(static_cast<Day>(cohort_last)) + " (--start + --cohort-days - 1)");
  }
  options.time_unit = parse_time_unit(cli.time_unit, "simulate: --time-unit");
  // The chosen model's parameters, taken by name from --purchase-parameters, else the options.
  const PurchaseModelFamily& family = purchase_model_family(cli.model);
  std::vector<std::pair<std::string, double>> given;
  if (family.discrete) {
    // BG/BB's alpha and beta are not the continuous models' (and gamma is Gamma-Gamma's option).
    given = {{"alpha", 1.2035}, {"beta", 0.7497}, {"gamma", 0.6567}, {"delta", 2.7834}};
  } else {
    given = {{"r", cli.bgnbd[0]}, {"alpha", cli.bgnbd[1]}, {"a", cli.bgnbd[2]},
             {"b", cli.bgnbd[3]}, {"s", cli.s},         {"beta", cli.beta}};
  }
  apply_named_parameters(cli.purchase_parameters, family, given);
  std::vector<double> parameters;
  for (const std::string_view name : family.parameter_names) {
    const auto found = std::find_if(given.begin(), given.end(),
                                    [name](const auto& g) { return g.first == name; });
    if (found == given.end()) {
      throw UsageError("simulate: --model " + cli.model + " has a parameter '" + std::string(name) +
                       "' that no option sets");
    }
    parameters.push_back(found->second);
  }
  options.purchase = family.make(parameters);
  options.spend = spend_model_family("gamma_gamma").make(cli.gamma_gamma);
  options.seed = cli.seed;
  options.threads = cli.threads;
  return options;
}

void run_simulate(const SimulateOptions& cli) {
  const SimulationOptions options = simulation_options(cli);
  OutputFile out(cli.output);
  const SimulationSummary summary =
      write_simulated_transactions(options, [&out](std::string_view text) { out.write(text); });
  out.commit();
  if (!cli.quiet) {
    std::fprintf(stderr,
                 "simulate: %lld customers, %lld rows, purchases from %s to %s (observed %s to "
                 "%s, seed %llu)\n",
                 static_cast<long long>(summary.customers), static_cast<long long>(summary.rows),
                 format_day(summary.first_day).c_str(), format_day(summary.last_day).c_str(),
                 format_day(options.start).c_str(), format_day(options.end).c_str(),
                 static_cast<unsigned long long>(options.seed));
  }
}

}  // namespace

void setup_simulate(CLI::App& app) {
  auto options = std::make_shared<SimulateOptions>();
  CLI::App* command = app.add_subcommand(
      "simulate",
      "Draw a transaction log (customer_id,date,amount) from a purchase model (--model, BG/NBD "
      "by default) with Gamma-Gamma spend; the same options and seed give the same bytes for "
      "any --threads");
  command->add_option("--customers", options->customers, "Number of customers, ids 1..N")
      ->capture_default_str();
  command->add_option("--start", options->start, "First day of the cohort window (YYYY-MM-DD)")
      ->capture_default_str();
  command
      ->add_option("--cohort-days", options->cohort_days,
                   "First purchases are uniform over --start .. --start + N - 1")
      ->capture_default_str();
  command->add_option("--end", options->end,
                      "Last observed day, inclusive (YYYY-MM-DD) [default: --start + 730 days]");
  command
      ->add_option("--time-unit", options->time_unit,
                   "Unit of the purchase rate: day, week, month (365.25/12 days), quarter or year")
      ->capture_default_str();
  command
      ->add_option("--model", options->model,
                   "Purchase model drawing the customers: bgnbd, mbgnbd (BG/NBD with dropout "
                   "possible right after the first purchase), both with --r --alpha --a --b, or "
                   "pnbd (Pareto/NBD) with --r --alpha --s --beta, or bgbb (BG/BB: one chance to "
                   "buy per --time-unit, its parameters by --purchase-parameters)")
      ->capture_default_str();
  command->add_option("--purchase-parameters", options->purchase_parameters,
                      "The purchase model's parameters as name=value,... (e.g. BG/BB "
                      "alpha=1.2,beta=0.75,gamma=0.66,delta=2.78, its default the donations "
                      "estimates); over --r --alpha --a --b --s --beta");
  command->add_option("--r", options->bgnbd[0], "BG/NBD r: shape of the purchase rate lambda")
      ->capture_default_str();
  command
      ->add_option("--alpha", options->bgnbd[1],
                   "BG/NBD alpha: rate of lambda ~ Gamma(r, alpha), in time units")
      ->capture_default_str();
  command->add_option("--a", options->bgnbd[2], "BG/NBD a: dropout p ~ Beta(a, b)")
      ->capture_default_str();
  command->add_option("--b", options->bgnbd[3], "BG/NBD b: dropout p ~ Beta(a, b)")
      ->capture_default_str();
  command->add_option("--s", options->s, "Pareto/NBD s: shape of the dropout rate mu")
      ->capture_default_str();
  command->add_option("--beta", options->beta, "Pareto/NBD beta: rate of mu ~ Gamma(s, beta)")
      ->capture_default_str();
  command->add_option("--p", options->gamma_gamma[0], "Gamma-Gamma p: amount z ~ Gamma(p, nu)")
      ->capture_default_str();
  command->add_option("--q", options->gamma_gamma[1], "Gamma-Gamma q: nu ~ Gamma(q, gamma)")
      ->capture_default_str();
  command->add_option("--gamma", options->gamma_gamma[2], "Gamma-Gamma gamma: rate of nu")
      ->capture_default_str();
  command->add_option("--seed", options->seed, "Random seed, 0 .. 2^64 - 1")
      ->check(check_seed_text)
      ->capture_default_str();
  command
      ->add_option("--threads", options->threads,
                   "Worker threads (capped at the hardware's); does not change the output")
      ->capture_default_str();
  command->add_option("-o,--output", options->output, "Output CSV file, '-' for standard output")
      ->capture_default_str();
  command->add_flag("--quiet", options->quiet, "Do not print the summary line to standard error");
  command->callback([options] { run_simulate(*options); });
}

}  // namespace clvkit::cli

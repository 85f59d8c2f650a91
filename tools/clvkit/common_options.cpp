#include "common_options.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "clvkit/error.hpp"
#include "clvkit/io/database_url.hpp"
#include "clvkit/io/date.hpp"
#include "clvkit/util/parallel.hpp"

namespace clvkit::cli {

IngestOptions InputOptions::to_ingest_options() const {
  IngestOptions out;
  out.customer_col = customer_col;
  out.date_col = date_col;
  out.amount_col = amount_col;
  out.threads = threads;
  if (delimiter.empty() || delimiter == "auto") {
    out.delimiter = '\0';
  } else if (delimiter == "\\t" || delimiter == "tab" || delimiter == "\t") {
    out.delimiter = '\t';
  } else if (delimiter.size() == 1 && delimiter != "\"" && delimiter != "\n") {
    out.delimiter = delimiter[0];
  } else {
    throw UsageError("--delimiter: expected one character, 'tab' or 'auto', got '" + delimiter +
                     "'");
  }
  out.date_format = date_format;
  out.returns = parse_returns_policy(returns, "--returns");
  out.zero_amounts = parse_zero_amount_policy(zero_amounts, "--zero-amounts");
  out.on_bad_row = parse_bad_row_policy(on_bad_row, "--on-bad-row");
  if (!as_of.empty()) out.as_of = parse_iso_date_or_throw(as_of, "--as-of");
  if (!period.empty()) {
    out.period = parse_period(period);
    if (!out.period) {
      throw UsageError("--period: expected week, month, quarter or year, got '" + period + "'");
    }
  }
  out.progress = progress;
  out.second_pass = second_pass;
  return out;
}

std::optional<DatabaseSource> InputOptions::database() const {
  if (!database_kind(path)) {
    const char* given = !table.empty()           ? "--table"
                        : !query.empty()         ? "--query"
                        : !password_file.empty() ? "--password-file"
                        : no_pushdown            ? "--no-pushdown"
                                                 : nullptr;
    if (given != nullptr) {
      throw UsageError(std::string(given) + " applies to a database URL (postgresql://..., " +
                       "clickhouse://...), not to '" + path + "'");
    }
    return std::nullopt;
  }
  DatabaseSource source;
  source.url = path;
  source.table = table;
  source.query = query;
  if (!password_file.empty()) source.password = read_password_file(password_file);
  source.pushdown = !no_pushdown;
  return source;
}

std::string check_seed_text(const std::string& text) {
  std::uint64_t seed = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), seed);
  if (error == std::errc::result_out_of_range) return "must be at most 2^64 - 1";
  if (error != std::errc() || end != text.data() + text.size()) {
    return text.find('-') != std::string::npos ? "must be 0 or more"
                                               : "must be a whole number 0 .. 2^64 - 1";
  }
  return {};
}

void add_timings_flag(CLI::App& command, bool& timings) {
  command
      .add_flag("--timings", timings,
                "Print the wall time of each stage on stderr as one JSON line")
      ->group("Output");
}

void add_quiet_flag(CLI::App& command, bool& quiet) {
  command
      .add_flag("-q,--quiet", quiet,
                "No progress line on stderr (it is only shown when stderr is a terminal)")
      ->group("Output");
}

void report_reading(InputOptions& input, ProgressLine& line) {
  input.progress = [&line](std::int64_t rows) { line.rows(rows); };
  input.second_pass = [&line](std::int64_t customers) {
    line.activity("reading again for the days of " + format_count(static_cast<double>(customers)) +
                  " customers");
  };
}

std::function<void(std::int64_t)> forecast_progress(ProgressLine& line, std::size_t customers,
                                                    int draws) {
  if (!line.enabled()) return {};
  const std::string of = "% of " + format_count(static_cast<double>(customers)) + " customers x " +
                         std::to_string(draws) + " draws";
  return [&line, customers, of](std::int64_t done) {
    const auto percent = static_cast<int>(100.0 * static_cast<double>(done) /
                                          static_cast<double>(std::max<std::size_t>(customers, 1)));
    line.stage("forecasting: " + std::to_string(percent) + of);
  };
}

SummaryTableOptions SummaryCliOptions::to_summary_table_options(const InputOptions& input) const {
  const IngestOptions ingest = input.to_ingest_options();
  SummaryTableOptions out;
  out.delimiter = ingest.delimiter;
  out.on_bad_row = ingest.on_bad_row;
  out.columns = {id_col, frequency_col, recency_col, T_col, monetary_col, count_col};
  return out;
}

void add_summary_table_options(CLI::App& command, SummaryCliOptions& options) {
  const char* group = "Summary table (--summary)";
  command
      .add_flag("--summary", options.summary,
                "LOG is a summary table (one row per customer, or per pattern with a count "
                "column: frequency, recency, T[, monetary value]) already in --time-unit, as "
                "lifetimes and BTYD keep them")
      ->group(group);
  const auto column = [&](const char* name, std::string& target, const char* help) {
    command.add_option(name, target, help)->group(group);
  };
  column("--id-column", options.id_col,
         "Customer id column (default: customer_id, id, cust or CustomerID; optional)");
  column("--frequency-column", options.frequency_col,
         "Repeat purchases x (default: frequency, x or frequency_cal)");
  column("--recency-column", options.recency_col,
         "Time of the last repeat purchase t_x (default: recency, t_x, t.x or recency_cal)");
  column("--T-column", options.T_col,
         "Observation length T, or opportunities n for BG/BB (default: T, T.cal, T_cal, periods, "
         "n or n.cal)");
  column("--monetary-column", options.monetary_col,
         "Mean repeat spend (default: monetary_value, m.x, monetary, monetary_value_cal or zbar; "
         "optional: without it no spend model)");
  column("--count-column", options.count_col,
         "Customers per row (default: weights, count, n_customers or custs; optional: 1)");
}

void add_input_options(CLI::App& command, InputOptions& options) {
  command
      .add_option("LOG", options.path,
                  "Transaction log CSV with a header ('-' = stdin), or a database URL "
                  "postgresql://[user@]host[:port]/dbname or clickhouse://[user@]host[:port]/db "
                  "with --table or --query")
      ->required();
  const char* database = "Database (LOG is a postgresql:// or clickhouse:// URL)";
  command.add_option("--table", options.table, "Table or view holding the transactions")
      ->group(database);
  command
      .add_option("--query", options.query,
                  "A SELECT whose result holds the transactions (instead of --table)")
      ->group(database);
  command
      .add_option("--password-file", options.password_file,
                  "Read the password from the first line of this file (else the URL's, or for "
                  "PostgreSQL libpq's PGPASSWORD, PGSERVICE, ~/.pgpass)")
      ->group(database);
  command
      .add_flag("--no-pushdown", options.no_pushdown,
                "Transfer every row and summarise it here, instead of one summary row per "
                "customer computed by the database (for checking; needed for --date-format)")
      ->group(database);
  command.add_option("--customer-col", options.customer_col, "Customer id column")
      ->capture_default_str()
      ->group("Input");
  command.add_option("--date-col", options.date_col, "Transaction date column")
      ->capture_default_str()
      ->group("Input");
  command.add_option("--amount-col", options.amount_col, "Transaction amount column")
      ->capture_default_str()
      ->group("Input");
  command
      .add_option("--delimiter", options.delimiter,
                  "Field delimiter: one character or 'tab' (default: detect , ; or tab)")
      ->group("Input");
  command
      .add_option("--date-format", options.date_format,
                  "strftime-style date format, e.g. %Y%m%d or '%m/%d/%Y %H:%M' "
                  "(default: YYYY-MM-DD with optional time)")
      ->group("Input");
  command
      .add_option("--returns", options.returns,
                  "Negative amounts: net (subtract from that day's spend), drop, fail")
      ->capture_default_str()
      ->group("Input");
  command
      .add_option("--zero-amounts", options.zero_amounts,
                  "Zero amounts: keep (a purchase occasion), drop, fail")
      ->capture_default_str()
      ->group("Input");
  command
      .add_option("--on-bad-row", options.on_bad_row,
                  "Malformed rows: fail (exit 2 with file:line:column) or skip (counted by reason)")
      ->capture_default_str()
      ->group("Input");
  command
      .add_option("--as-of", options.as_of,
                  "Last observed day, inclusive (YYYY-MM-DD); later rows are excluded and "
                  "counted (default: the last transaction day)")
      ->group("Input");
  command
      .add_option("--period", options.period,
                  "Read the log by calendar periods (week, month, quarter, year): every date "
                  "stands for its period, only periods complete on the as-of day count, and the "
                  "model counts in periods (opportunities; BG/BB needs it)")
      ->group("Input");
}

// Horizons beyond this are refused: their value is --horizon lifetime's, and the monthly
// discount schedule would grow with them.
constexpr double kMaxHorizonDays = 100.0 * kDaysPerYear;

TimeUnit model_time_unit(const std::string& time_unit, const std::string& period) {
  if (period.empty()) return parse_time_unit(time_unit.empty() ? "week" : time_unit);
  const std::optional<Period> p = parse_period(period);
  if (!p) {
    throw UsageError("--period: expected week, month, quarter or year, got '" + period + "'");
  }
  if (time_unit.empty()) return time_unit_of(*p);
  const TimeUnit unit = parse_time_unit(time_unit);
  if (unit != time_unit_of(*p)) {
    throw UsageError("--time-unit " + time_unit + " differs from --period " + period +
                     ": a log read by periods is modelled in periods (its opportunities)");
  }
  return unit;
}

TimeUnit ValueCliOptions::unit(const std::string& period) const {
  return model_time_unit(time_unit, period);
}

ValueOptions ValueCliOptions::to_value_options() const {
  ValueOptions out;
  if (horizon == "lifetime") {
    out.lifetime = true;
  } else {
    out.horizon_days = parse_horizon_days(horizon);
    if (out.horizon_days > kMaxHorizonDays) {
      throw UsageError("--horizon " + horizon +
                       " is longer than 100 years; for the value of the "
                       "whole remaining lifetime use --horizon lifetime");
    }
  }
  if (!std::isfinite(margin) || margin < 0.0) {
    throw UsageError("--margin: must be a finite number >= 0, got " + std::to_string(margin));
  }
  out.margin = margin;
  if (!std::isfinite(discount_rate) || discount_rate <= -1.0) {
    throw UsageError("--discount-rate: must be finite and > -1, got " +
                     std::to_string(discount_rate));
  }
  out.annual_discount_rate = discount_rate;
  if (monthly_discount_rate) {
    if (!std::isfinite(*monthly_discount_rate) || *monthly_discount_rate <= -1.0) {
      throw UsageError("--monthly-discount-rate: must be finite and > -1, got " +
                       std::to_string(*monthly_discount_rate));
    }
    out.period_discount_rate = *monthly_discount_rate;
  }
  return out;
}

void print_dropout_warning(const DropoutIdentification& check, const Language& language) {
  if (const std::string warning = dropout_warning(check, language); !warning.empty()) {
    std::fprintf(stderr, "clvkit: warning: %s\n", warning.c_str());
  }
}

void add_language_option(CLI::App& command, std::string& language) {
  const std::vector<std::string> languages = available_languages();
  std::string known;
  for (const std::string& code : languages) known += (known.empty() ? "" : ", ") + code;
  command
      .add_option("--lang", language,
                  "Language of the tables, the report and the warnings: " + known +
                      " (headings, column names, numbers, dates and segment labels; JSON, NDJSON "
                      "and CSV outputs stay English)")
      ->capture_default_str()
      ->check([languages](const std::string& code) {
        if (std::find(languages.begin(), languages.end(), code) != languages.end())
          return std::string();
        std::string known;
        for (const std::string& l : languages) known += (known.empty() ? "" : ", ") + l;
        return "unknown language '" + code + "'; available: " + known;
      })
      ->group("Output");
}

SegmentLabels shown_segments(const SegmentScheme& scheme, const Language& language) {
  SegmentLabels labels = segment_labels(scheme, language.code());
  if (!labels.unlabelled.empty()) {
    std::string names;
    for (const std::string& name : labels.unlabelled) names += (names.empty() ? "" : ", ") + name;
    const std::string warning =
        language.format("warning.unlabelled", {{"scheme", scheme.name()}, {"segments", names}});
    std::fprintf(stderr, "clvkit: warning: %s\n", warning.c_str());
  }
  return labels;
}

void add_model_option(CLI::App& command, std::string& model) {
  std::string known;
  for (const PurchaseModelFamily& family : purchase_model_families()) {
    known += (known.empty() ? "" : ", ") + std::string(family.key) + " (" +
             std::string(family.label) + ")";
  }
  command.add_option("--model", model, "Purchase model to fit: " + known)
      ->capture_default_str()
      ->group("Model");
}

void add_value_options(CLI::App& command, ValueCliOptions& options, bool with_time_unit) {
  if (with_time_unit) {
    add_model_option(command, options.model);
    command
        .add_option("--time-unit", options.time_unit,
                    "Unit the model parameters are estimated in: day, week, month, quarter, year "
                    "(default: week, or the --period)")
        ->group("Model");
    command
        .add_flag("--allow-unconverged", options.allow_unconverged,
                  "Predict even from a fit that did not converge (refused by default; the "
                  "metadata says converged: false)")
        ->group("Model");
  }
  command
      .add_option(
          "--horizon", options.horizon,
          "Prediction horizon: Nd, Nw, Nm, Nq or Ny (a month is 365.25/12 days), or 'lifetime': "
          "expected_purchases is then DERT, the purchases of the whole remaining lifetime "
          "discounted continuously at the discount rate, and clv its value")
      ->capture_default_str()
      ->group("Model");
  command.add_option("--margin", options.margin, "Share of spend that is profit, for CLV")
      ->capture_default_str()
      ->group("Model");
  command
      .add_option("--discount-rate", options.discount_rate,
                  "Annual discount rate for CLV, applied monthly as (1+d)^(1/12)-1")
      ->capture_default_str()
      ->group("Model");
  command
      .add_option("--monthly-discount-rate", options.monthly_discount_rate,
                  "Discount rate per month (overrides --discount-rate; lifetimes' convention)")
      ->group("Model");
}

int resolve_threads(int requested) { return resolve_thread_count(requested); }

void add_threads_option(CLI::App& command, int& threads, const std::string& work,
                        const std::string& group) {
  command
      .add_option("--threads", threads,
                  "Worker threads for " + work +
                      " (0 = one per hardware thread); the results do not depend on it")
      ->capture_default_str()
      ->check(CLI::Range(0, 1024))
      ->group(group);
}

CustomerBase read_customer_base(const InputOptions& options, IngestOptions* used) {
  const IngestOptions ingest = options.to_ingest_options();
  if (used != nullptr) *used = ingest;
  if (const std::optional<DatabaseSource> database = options.database()) {
    return ingest_database(*database, ingest);
  }
  return ingest_transactions_file(options.path, ingest);
}

void require_log_file(const InputOptions& input, const std::string& what) {
  if (database_kind(input.path)) {
    throw UsageError(what + " reads a log file, not a database (" +
                     redact_database_url(input.path) + ")");
  }
}

CustomerAnalysis analyze_input(const InputOptions& input, const AnalysisOptions& options) {
  if (const std::optional<DatabaseSource> database = input.database()) {
    return analyze(*database, options);
  }
  return analyze(input.path, options);
}

HoldoutAnalysis validate_input(const InputOptions& input, const HoldoutOptions& options) {
  if (const std::optional<DatabaseSource> database = input.database()) {
    return validate_holdout(*database, options);
  }
  return validate_holdout(input.path, options);
}

ModelComparisonResult compare_input(const InputOptions& input, const HoldoutOptions& options) {
  if (const std::optional<DatabaseSource> database = input.database()) {
    return compare_models(*database, options);
  }
  return compare_models(input.path, options);
}

void add_segment_options(CLI::App& command, SegmentationOptions& options) {
  command
      .add_option(
          "--segments", options.scheme,
          "Segment scheme: a built-in name (rfm11, rfm8, rfm11-thresholds) or a JSON file path")
      ->capture_default_str()
      ->group("Segments");
  command
      .add_option("--bins", options.bins,
                  "Scores per dimension (default: the scheme's, 5 for rfm11 and rfm8)")
      ->check(CLI::Range(2, 9))
      ->group("Segments");
  command
      .add_option("--monetary", options.monetary,
                  "M score from total spend (total) or mean spend per purchase day (average) "
                  "(default: the scheme's, total)")
      ->group("Segments");
}

std::optional<NextPurchaseOptions> UpgradeCliOptions::to_options() const {
  if (!upgrade) return std::nullopt;
  NextPurchaseOptions out;
  out.max_purchases = max_purchases;
  return out;
}

void add_upgrade_options(CLI::App& command, UpgradeCliOptions& options,
                         const std::string& description) {
  CLI::Option* flag =
      command.add_flag("--upgrade", options.upgrade, description)->group("Segments");
  command
      .add_option("--upgrade-cap", options.max_purchases,
                  "Most purchases tried for purchases_to_upgrade (1..1000)")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000))
      ->needs(flag)
      ->group("Segments");
}

AnalysisOptions analysis_options(const InputOptions& input, const SegmentationOptions& segments,
                                 const ValueCliOptions& value, int threads) {
  AnalysisOptions options;
  options.input = input.to_ingest_options();
  options.segmentation = segments;
  options.model.choice.purchase = purchase_model_family(value.model).key;  // checked before reading
  options.model.time_unit = value.unit(input.period);
  options.model.value = value.to_value_options();
  options.model.allow_unconverged = value.allow_unconverged;
  options.threads = resolve_threads(threads);
  return options;
}

HoldoutOptions SplitCliOptions::to_holdout_options(ProgressLine& progress) const {
  HoldoutOptions holdout;
  holdout.validation.time_unit = model_time_unit(time_unit, input.period);
  holdout.calibration_end = parse_iso_date_or_throw(calibration_end, "--calibration-end");
  InputOptions hooked = input;
  report_reading(hooked, progress);
  holdout.input = hooked.to_ingest_options();
  if (!holdout_end.empty()) {
    holdout.input.as_of = parse_iso_date_or_throw(holdout_end, "--holdout-end");
  }
  holdout.threads = resolve_threads(threads);
  return holdout;
}

void add_split_options(CLI::App& command, SplitCliOptions& options) {
  add_input_options(command, options.input);
  // The holdout end is these commands' as-of day (the last day observed): one option, named for
  // what it means here, with --as-of kept as an alias so the spelling of the other commands works.
  command.remove_option(command.get_option("--as-of"));
  command
      .add_option("--calibration-end", options.calibration_end,
                  "Last day of the calibration period, inclusive (YYYY-MM-DD)")
      ->required()
      ->group("Validation");
  command
      .add_option("--holdout-end,--as-of", options.holdout_end,
                  "Last day of the holdout period, inclusive (YYYY-MM-DD); later rows are "
                  "excluded and counted (default: the last transaction day)")
      ->group("Validation");
  command
      .add_option("--time-unit", options.time_unit,
                  "Unit the model parameters are estimated in: day, week, month, quarter, year "
                  "(default: week, or the --period)")
      ->group("Model");
}

void add_document_output_options(CLI::App& command, std::string& format, std::string& out) {
  command.add_option("--format", format, "table (for people) or json (for machines)")
      ->capture_default_str()
      ->group("Output");
  command.add_option("-o,--output", out, "Output file ('-' = stdout)")
      ->capture_default_str()
      ->group("Output");
}

void check_document_format(const std::string& format) {
  if (format != "table" && format != "json") {
    throw UsageError("--format: expected table or json, got '" + format + "'");
  }
}

SnapshotSchedule every_schedule(const std::string& every, const std::string& from,
                                const std::string& to) {
  SnapshotSchedule schedule;
  if (every == "day") {
    schedule.daily = true;
  } else if (const std::optional<Period> period = parse_period(every)) {
    schedule.every = period;
  } else {
    throw UsageError("--every: expected day, week, month, quarter or year, got '" + every + "'");
  }
  if (!from.empty()) schedule.from = parse_iso_date_or_throw(from, "--from");
  if (!to.empty()) schedule.to = parse_iso_date_or_throw(to, "--to");
  if (schedule.from && schedule.to) snapshot_days(schedule, 0, 0);  // from <= to
  return schedule;
}

SnapshotEdges parse_snapshot_edges(const std::string& text) {
  if (text == "each") return SnapshotEdges::each;
  if (text == "first") return SnapshotEdges::first;
  throw UsageError("--edges: expected each or first, got '" + text + "'");
}

}  // namespace clvkit::cli

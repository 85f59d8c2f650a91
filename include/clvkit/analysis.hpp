#pragma once
// The public entry point: from a transaction log (a file, a stream or rows in memory) to one
// record per customer: summary, RFM scores and segment, fitted models and their predictions, with
// the row accounting. One call, one options struct (Ceres' Solve(options, problem, &summary) is
// the model):
//
//   clvkit::AnalysisOptions options;               // rfm11, BG/NBD + Gamma-Gamma, 12 months
//   options.threads = 0;                           // every hardware thread
//   const clvkit::CustomerAnalysis a = clvkit::analyze("orders.csv", options);
//   a.customers()[i], a.scores()[i], a.segment_name(i), a.predictions[i].p_alive, ...
//
// The stages are public too, each taking one options struct: plan_segments and segment_base
// (RFM), fit_and_predict (models), forecast_segments (per-segment intervals), validate_holdout
// (calibration/holdout validation). The command-line tool is one caller of these functions; what
// it writes (records, metadata, JSON, the report) is built from their results by output/ and
// report/.
//
// Threads are set in one place, AnalysisOptions::threads (HoldoutOptions::threads for the
// validation); no result depends on their number.

#include <cstdint>
#include <functional>
#include <istream>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "clvkit/analysis/segment_summary.hpp"
#include "clvkit/models/customer_value.hpp"
#include "clvkit/models/forecast.hpp"
#include "clvkit/models/identification.hpp"
#include "clvkit/models/validation.hpp"
#include "clvkit/rfm/next_purchase.hpp"
#include "clvkit/rfm/segments.hpp"
#include "clvkit/summary/database_ingest.hpp"
#include "clvkit/summary/holdout.hpp"
#include "clvkit/summary/ingest.hpp"
#include "clvkit/util/language.hpp"

namespace clvkit {

/// Which segment scheme scores and names the customers.
struct SegmentationOptions {
  std::string scheme = "rfm11";  ///< a built-in scheme's name (rfm11, rfm8, ...) or a JSON path
  int bins = 0;                  ///< 0 = the scheme's; anything else must equal it
  std::string monetary;          ///< "" = the scheme's basis; "total" or "average" overrides it
};

/// A scheme ready to segment: the scheme and its scoring with the options' overrides.
struct SegmentPlan {
  SegmentScheme scheme;
  ScoringSpec spec;
};

/// Loads the scheme and applies the overrides. Throws UsageError for an unknown scheme name, a
/// bad --monetary value or bins that differ from the scheme's, InputError for a bad scheme file.
/// Cheap: call it before reading a large log so that a typo costs nothing.
SegmentPlan plan_segments(const SegmentationOptions& options);

/// The same for a scheme loaded already (options.scheme is not read; its overrides apply).
SegmentPlan plan_segments(SegmentScheme scheme, const SegmentationOptions& options);

/// A customer base with its RFM scores and segments (customer i everywhere).
struct SegmentedBase {
  CustomerBase base;
  IngestOptions ingest;                 ///< the options the base was read with
  std::optional<SegmentScheme> scheme;  ///< always set by segment_base
  ScoringSpec spec;                     ///< the scheme's scoring with the overrides applied
  std::vector<RfmScore> scores;
  std::vector<int> segment;  ///< index into scheme->segments()
};

/// Scores and segments the customers of `base` with `plan` on `threads` threads (0 = every
/// hardware thread; the result does not depend on it).
SegmentedBase segment_base(CustomerBase base, const IngestOptions& ingest, const SegmentPlan& plan,
                           int threads);

/// What the model stage fits and how value is computed.
struct ModelOptions {
  ModelChoice choice;                   ///< purchase and spend model keys
  TimeUnit time_unit = TimeUnit::week;  ///< unit the parameters are estimated in
  FitOptions fit;                       ///< its `threads` is replaced by the caller's threads
  ValueOptions value;                   ///< horizon, margin, discounting
  /// Predict from a fit that did not converge (its metadata says converged: false). Off: such a
  /// fit throws ModelError naming the model and why, rather than silently feeding predictions.
  bool allow_unconverged = false;
};

/// Throws ModelError when a fit of `models` did not converge and `allow` is false: the message
/// names the model, its fit's account and the way out (--allow-unconverged).
void check_fits_converged(const FittedModels& models, bool allow);

/// Fitted models and the predictions they give for every customer.
struct ModelRun {
  FittedModels models;
  std::vector<CustomerPrediction> predictions;  ///< one per customer, in base order
};

/// Fits the chosen models on `segmented`'s customers and predicts every customer, on `threads`
/// threads. Throws ModelError when a model cannot be fitted.
ModelRun fit_and_predict(const SegmentedBase& segmented, const ModelOptions& options, int threads);

/// The predictions of given (e.g. saved) models for every customer of `segmented`.
ModelRun predict_with(const SegmentedBase& segmented, const FittedModels& models,
                      const ValueOptions& value, int threads);

/// Options of analyze().
struct AnalysisOptions {
  IngestOptions input;  ///< columns, formats, policies, as-of; its `threads` is replaced
  SegmentationOptions segmentation;
  bool fit_models = true;  ///< false: RFM only (no models, no predictions)
  ModelOptions model;
  /// Predict with these models instead of fitting (e.g. read_model_file); fit_models is ignored.
  std::optional<FittedModels> given_models;
  /// Set: every customer's next purchase and way to a better segment (next_purchases) is
  /// computed after the predictions, into CustomerAnalysis::upgrade. Needs a scheme with a
  /// value order (UsageError otherwise, before the log is read).
  std::optional<NextPurchaseOptions> next_purchase;
  /// Threads of every stage: ingest, scoring, fits, predictions (0 = one per hardware thread).
  int threads = 1;
  /// Called on the calling thread when a stage ends: "ingest", "segment", with models "fit" (not
  /// when given) and "predict", and with next_purchase "upgrade", with the number of customers
  /// read. For timers and progress lines; must not throw.
  std::function<void(std::string_view stage, std::size_t customers)> stage_done;
};

/// Everything known about every customer, in the base's deterministic order (by id).
struct CustomerAnalysis {
  SegmentedBase segmented;
  std::optional<FittedModels> models;           ///< fitted or given; empty for RFM only
  std::vector<CustomerPrediction> predictions;  ///< one per customer when models is set
  /// Whether P(alive) and value at risk are informative on this data (with the predictions).
  std::optional<DropoutIdentification> dropout;
  ValueOptions value;  ///< how the predictions' value was computed
  int threads = 1;     ///< the resolved thread count, reused by later stages (forecast)
  /// Each customer's next purchase (AnalysisOptions::next_purchase), one per customer.
  std::optional<UpgradePaths> upgrade;

  std::size_t size() const noexcept { return segmented.base.customers.size(); }
  const std::vector<CustomerSummary>& customers() const noexcept {
    return segmented.base.customers;
  }
  const std::vector<RfmScore>& scores() const noexcept { return segmented.scores; }
  const std::string& segment_name(std::size_t i) const {
    return segmented.scheme->segments()[static_cast<std::size_t>(segmented.segment[i])].name;
  }
  /// Row accounting of the ingest: read = used + rejected + after as-of.
  const IngestStats& rows() const noexcept { return segmented.base.stats; }
};

/// Reads the log at `path` ("-" = standard input) and runs every stage. Throws what the stages
/// throw: UsageError (options), InputError (the log: file:line:column and reason), IoError,
/// ModelError (a model that cannot be fitted).
CustomerAnalysis analyze(const std::string& path, const AnalysisOptions& options);

/// The same for a log already open as a stream, named `source` in messages and metadata.
CustomerAnalysis analyze(std::istream& in, const std::string& source,
                         const AnalysisOptions& options);

/// The same for transactions in memory (ingest_transactions on Transaction rows: the base of
/// the same rows written as CSV, without the text), named `source` in messages and metadata.
CustomerAnalysis analyze(std::span<const Transaction> rows, const AnalysisOptions& options,
                         const std::string& source = "rows");

/// The same for the rows of a database table or query (ingest_database: the summary computed
/// by the database unless source.pushdown is false). Throws what ingest_database throws too.
CustomerAnalysis analyze(const DatabaseSource& source, const AnalysisOptions& options);

/// The stages after ingest, for a base read another way (a database, a test).
CustomerAnalysis analyze(CustomerBase base, const AnalysisOptions& options);

/// The same with a segment plan made already (plan_segments, or one whose scoring was changed:
/// `clvkit migrate --edges first` scores later snapshots with the first one's boundaries).
CustomerAnalysis analyze(CustomerBase base, const SegmentPlan& plan,
                         const AnalysisOptions& options);

/// Every customer's next purchase (next_purchase in rfm/next_purchase.hpp) with the analysis's
/// score edges held (held_scoring_spec) and, as the purchase's spend, the spend model's E[M]
/// (expected_avg_spend) when the analysis has predictions, else the customer's avg_spend. With
/// predictions, upgrade_value is the CLV the models give the customer after that one purchase
/// (summary_after_purchases with k = 1: the as-of day one day later, the same parameters and
/// value options) minus today's clv. On the analysis's threads; the result does not depend on
/// them. Throws UsageError when the scheme has no value order or the cap is outside 1..1000,
/// ModelError when a value is not finite.
UpgradePaths next_purchases(const CustomerAnalysis& analysis,
                            const NextPurchaseOptions& options = {});

/// The same against given held edges (a threshold spec): for an analysis whose customers are a
/// selection of a larger base, the edges held are that base's (held_scoring_spec over all of
/// its customers), not the selection's (`clvkit update --changed-only`). Each customer's result
/// depends only on the customer, its prediction, `held` and the scheme, so a selection's are
/// those the whole base's analysis gives the same customers. Throws as next_purchases does, and
/// UsageError when `held` is not a threshold spec.
UpgradePaths next_purchases(const CustomerAnalysis& analysis, const ScoringSpec& held,
                            const NextPurchaseOptions& options);

/// Segment counts and means, with model aggregates when the analysis has predictions and the
/// next-purchase counts when it has upgrade paths (AnalysisOptions::next_purchase).
SegmentSummary summarize_segments(const CustomerAnalysis& analysis);

/// How per-segment forecasts are simulated.
struct SegmentForecastOptions {
  int draws = 2000;
  std::uint64_t seed = 1;
  bool fixed_parameters = false;               ///< leave out the fits' parameter uncertainty
  std::function<void(std::int64_t)> progress;  ///< ForecastOptions::progress
};

/// Simulates every customer's future over the value horizon with the segments as groups
/// (forecast_groups), on the analysis's threads; each draw carries its own parameters from the
/// fits' covariance unless `fixed_parameters` (or a fit has no standard errors). Throws
/// UsageError when the analysis has no models.
ForecastResult forecast_segments(const CustomerAnalysis& analysis,
                                 const SegmentForecastOptions& options);

/// Whether forecast_segments with `options` draws parameters (a covariance is available).
bool forecast_draws_parameters(const CustomerAnalysis& analysis,
                               const SegmentForecastOptions& options) noexcept;

/// Options of validate_holdout.
struct HoldoutOptions {
  IngestOptions input;  ///< as-of = the holdout end (default: the last transaction day)
  Day calibration_end = 0;
  SegmentationOptions segmentation;
  ValidationOptions validation;  ///< its fit.threads is replaced
  int threads = 1;               ///< 0 = one per hardware thread
  /// Called with "ingest" and the number of calibration customers once the log is read.
  std::function<void(std::string_view stage, std::size_t customers)> stage_done;
};

/// A calibration/holdout validation: the split log, the calibration customers' segments and
/// the comparison of the models fitted on the calibration period with the holdout.
struct HoldoutAnalysis {
  CalibrationHoldout data;
  SegmentedBase calibration;  ///< calibration customers scored on their calibration histories
  ValidationResult result;
};

/// Reads the log at `path` once, split at options.calibration_end, segments the calibration
/// customers, fits on the calibration period and compares with the holdout (validate_models).
/// Throws UsageError when the calibration end is not before the as-of day, and what the stages
/// throw.
HoldoutAnalysis validate_holdout(const std::string& path, const HoldoutOptions& options);

/// The same for the rows of a database table or query, streamed (the split is not pushed down:
/// ingest_database_calibration_holdout).
HoldoutAnalysis validate_holdout(const DatabaseSource& source, const HoldoutOptions& options);

/// The same for transactions in memory (ingest_calibration_holdout on Transaction rows: the
/// split of the same rows written as CSV, without the text), named `source` in messages.
HoldoutAnalysis validate_holdout(std::span<const Transaction> rows, const HoldoutOptions& options,
                                 const std::string& source = "rows");

/// The options that validate `analysis` (with models) on its log split at `calibration_end`, as
/// `clvkit report --calibration-end` does: the analysis's input options (so the holdout ends
/// where its observation period ends), `segmentation` (the options it was segmented with), its
/// models' keys and time unit, and its threads. Throws UsageError when it has no models.
HoldoutOptions holdout_options(const CustomerAnalysis& analysis,
                               const SegmentationOptions& segmentation, Day calibration_end);

/// One model's line of a comparison.
struct ModelComparison {
  std::string key;    ///< the registry key, e.g. "bgnbd"
  std::string label;  ///< "BG/NBD"
  bool fitted = false;
  std::string error;        ///< why the model could not be fitted, when !fitted
  ValidationResult result;  ///< calibration fit and holdout comparison, when fitted
  /// Calibration customers with P(alive) < 0.5 at the calibration end.
  std::int64_t likely_lost = 0;
};

/// Throws UsageError when purchase model `key` is a discrete-time family (BG/BB) and `ingest`
/// reads the log by days: its data are opportunities, so the log must be read by periods
/// (IngestOptions::period). analyze, validate_holdout and the CLI's fit check it.
void check_model_fits_log(std::string_view key, const IngestOptions& ingest);

/// Every registered purchase model on one calibration/holdout split.
struct ModelComparisonResult {
  HoldoutAnalysis split;  ///< the split log and its calibration segments (split.result unused)
  std::vector<ModelComparison> models;  ///< in registry order
  std::size_t recommended = 0;          ///< index into models
  std::string ground;                   ///< why that one, in one sentence
};

/// Reads the log once, split at options.calibration_end, and validates every registered purchase
/// model that applies on it (the discrete-time ones only when the log is read by periods;
/// options.validation.models.purchase is ignored; the spend model is the one it names). A model
/// whose fit fails is listed with its error. Recommends, among the models whose fits are usable
/// (FitSummary::is_usable), the one with the lowest per-customer RMSE of the holdout purchases
/// (what a ranking of customers depends on), and says so in `ground`. Throws ModelError when no
/// model can be fitted, and what validate_holdout throws.
ModelComparisonResult compare_models(const std::string& path, const HoldoutOptions& options);

/// The same for the rows of a database table or query (streamed, as validate_holdout does).
ModelComparisonResult compare_models(const DatabaseSource& source, const HoldoutOptions& options);

/// The same for transactions in memory, named `source` in messages (as validate_holdout).
ModelComparisonResult compare_models(std::span<const Transaction> rows,
                                     const HoldoutOptions& options,
                                     const std::string& source = "rows");

/// Why compare_models recommends models[recommended], in one sentence of `language` (keys
/// "compare.ground.*"); ModelComparisonResult::ground is this sentence in English.
std::string recommendation_ground(const std::vector<ModelComparison>& models,
                                  std::size_t recommended, const Language& language);

}  // namespace clvkit

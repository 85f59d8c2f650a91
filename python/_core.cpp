// clvkit._core: the library's analysis for Python (pybind11). The Python package (clvkit/) turns
// pandas objects into the plain arrays this module takes and its results back into DataFrames;
// everything here is a thin call into the library, with the GIL released while it works.

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <charconv>
#include <functional>
#include <initializer_list>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "clvkit/analysis.hpp"
#include "clvkit/analysis/model_fit.hpp"
#include "clvkit/error.hpp"
#include "clvkit/models/customer_value.hpp"
#include "clvkit/models/identification.hpp"
#include "clvkit/models/patterns.hpp"
#include "clvkit/models/purchase_model.hpp"
#include "clvkit/models/spend_model.hpp"
#include "clvkit/models/time_unit.hpp"
#include "clvkit/output/metadata.hpp"
#include "clvkit/output/model_file.hpp"
#include "clvkit/output/output_file.hpp"
#include "clvkit/output/segments_json.hpp"
#include "clvkit/output/validation_json.hpp"
#include "clvkit/report/html_report.hpp"
#include "clvkit/util/parallel.hpp"

namespace py = pybind11;

namespace {

using clvkit::Day;

// The options a Python call may set, by the names of the CLI's options (see clvkit/__init__.py).
clvkit::AnalysisOptions analysis_options(const py::dict& given) {
  clvkit::AnalysisOptions options;
  options.threads = 0;
  bool upgrade = false;
  std::optional<int> upgrade_cap;
  for (const auto& [key_object, value] : given) {
    const std::string key = py::str(key_object);
    if (value.is_none()) continue;
    if (key == "customer_col") {
      options.input.customer_col = value.cast<std::string>();
    } else if (key == "date_col") {
      options.input.date_col = value.cast<std::string>();
    } else if (key == "amount_col") {
      options.input.amount_col = value.cast<std::string>();
    } else if (key == "as_of") {
      options.input.as_of = static_cast<Day>(value.cast<std::int64_t>());
    } else if (key == "returns") {
      options.input.returns = clvkit::parse_returns_policy(value.cast<std::string>(), "returns");
    } else if (key == "zero_amounts") {
      options.input.zero_amounts =
          clvkit::parse_zero_amount_policy(value.cast<std::string>(), "zero_amounts");
    } else if (key == "on_bad_row") {
      options.input.on_bad_row =
          clvkit::parse_bad_row_policy(value.cast<std::string>(), "on_bad_row");
    } else if (key == "segments") {
      options.segmentation.scheme = value.cast<std::string>();
    } else if (key == "monetary") {
      options.segmentation.monetary = value.cast<std::string>();
    } else if (key == "model") {
      options.model.choice.purchase = value.cast<std::string>();
    } else if (key == "fit_models") {
      options.fit_models = value.cast<bool>();
    } else if (key == "time_unit") {
      options.model.time_unit = clvkit::parse_time_unit(value.cast<std::string>(), "time_unit");
    } else if (key == "horizon_days") {
      options.model.value.horizon_days = value.cast<double>();
    } else if (key == "lifetime") {
      options.model.value.lifetime = value.cast<bool>();
    } else if (key == "margin") {
      options.model.value.margin = value.cast<double>();
    } else if (key == "discount_rate") {
      options.model.value.annual_discount_rate = value.cast<double>();
    } else if (key == "monthly_discount_rate") {
      options.model.value.period_discount_rate = value.cast<double>();
    } else if (key == "allow_unconverged") {
      options.model.allow_unconverged = value.cast<bool>();
    } else if (key == "threads") {
      options.threads = value.cast<int>();
    } else if (key == "upgrade") {
      upgrade = value.cast<bool>();
    } else if (key == "upgrade_cap") {
      upgrade_cap = value.cast<int>();
    } else {
      throw clvkit::UsageError("unknown option '" + key + "'");
    }
  }
  // As the CLI's --upgrade [--upgrade-cap N]: the cap alone is refused (CLI11's `needs`); its
  // range is the library's to check.
  if (upgrade_cap && !upgrade) throw clvkit::UsageError("upgrade_cap needs upgrade=True");
  if (upgrade) {
    options.next_purchase.emplace();
    if (upgrade_cap) options.next_purchase->max_purchases = *upgrade_cap;
  }
  return options;
}

template <class T, class Get>
py::array_t<T> column(std::size_t n, Get get) {
  py::array_t<T> values(static_cast<py::ssize_t>(n));
  auto view = values.template mutable_unchecked<1>();
  for (std::size_t i = 0; i < n; ++i) view(static_cast<py::ssize_t>(i)) = get(i);
  return values;
}

// The summary columns of customers (the `run` record's first fields) into `out`: ids as str or
// int64, days as int64 days since 1970-01-01.
void summary_columns(const std::vector<clvkit::CustomerSummary>& c, bool integer_ids,
                     py::dict& out) {
  const std::size_t n = c.size();
  if (integer_ids) {
    out["customer_id"] = column<std::int64_t>(n, [&](std::size_t i) {
      std::int64_t value = 0;
      std::from_chars(c[i].id.data(), c[i].id.data() + c[i].id.size(), value);
      return value;
    });
  } else {
    py::list ids(n);
    for (std::size_t i = 0; i < n; ++i) {
      ids[i] = py::reinterpret_steal<py::object>(PyUnicode_DecodeUTF8(
          c[i].id.data(), static_cast<py::ssize_t>(c[i].id.size()), "replace"));
    }
    out["customer_id"] = ids;
  }
  out["first_purchase"] =
      column<std::int64_t>(n, [&](std::size_t i) { return std::int64_t{c[i].first_purchase}; });
  out["last_purchase"] =
      column<std::int64_t>(n, [&](std::size_t i) { return std::int64_t{c[i].last_purchase}; });
  out["purchase_days"] = column<std::int64_t>(n, [&](std::size_t i) { return c[i].purchase_days; });
  out["frequency"] = column<std::int64_t>(n, [&](std::size_t i) { return c[i].frequency; });
  out["recency"] =
      column<std::int64_t>(n, [&](std::size_t i) { return std::int64_t{c[i].recency}; });
  out["T"] = column<std::int64_t>(n, [&](std::size_t i) { return std::int64_t{c[i].T}; });
  out["days_since_last"] =
      column<std::int64_t>(n, [&](std::size_t i) { return std::int64_t{c[i].days_since_last}; });
  out["total_spend"] = column<double>(n, [&](std::size_t i) { return c[i].total_spend; });
  out["monetary"] = column<double>(n, [&](std::size_t i) { return c[i].monetary; });
  out["avg_spend"] = column<double>(n, [&](std::size_t i) { return c[i].avg_spend; });
}

// The records of an analysis as columns: the summary columns, the scores, segments as codes
// into `segment_names`, and the predictions when there are models.
py::dict result_columns(const clvkit::CustomerAnalysis& a, bool integer_ids) {
  const std::size_t n = a.size();
  py::dict out;
  summary_columns(a.customers(), integer_ids, out);
  const auto& s = a.scores();
  out["r_score"] = column<std::int64_t>(n, [&](std::size_t i) { return std::int64_t{s[i].r}; });
  out["f_score"] = column<std::int64_t>(n, [&](std::size_t i) { return std::int64_t{s[i].f}; });
  out["m_score"] = column<std::int64_t>(n, [&](std::size_t i) { return std::int64_t{s[i].m}; });
  out["segment_code"] =
      column<std::int64_t>(n, [&](std::size_t i) { return std::int64_t{a.segmented.segment[i]}; });
  py::list names;
  for (const clvkit::Segment& segment : a.segmented.scheme->segments()) names.append(segment.name);
  out["segment_names"] = names;
  if (!a.predictions.empty()) {
    const auto& p = a.predictions;
    out["p_alive"] = column<double>(n, [&](std::size_t i) { return p[i].p_alive; });
    out["expected_purchases"] =
        column<double>(n, [&](std::size_t i) { return p[i].expected_purchases; });
    out["expected_avg_spend"] =
        column<double>(n, [&](std::size_t i) { return p[i].expected_avg_spend; });
    out["clv"] = column<double>(n, [&](std::size_t i) { return p[i].clv; });
    out["clv_if_alive"] = column<double>(n, [&](std::size_t i) { return p[i].clv_if_alive; });
    out["value_at_risk"] = column<double>(n, [&](std::size_t i) { return p[i].value_at_risk; });
    out["churn_priority"] =
        column<std::int64_t>(n, [&](std::size_t i) { return p[i].churn_priority; });
  }
  // The next purchases (upgrade=True), last as on the CLI's records: segments as codes into
  // `segment_names`, and -1 where the CLI writes null (purchases_to_upgrade beyond the cap, no
  // upgrade_segment); upgrade_value only with predictions.
  if (a.upgrade && a.upgrade->customers.size() == n) {
    const auto& u = a.upgrade->customers;
    out["next_purchase_segment"] =
        column<std::int64_t>(n, [&](std::size_t i) { return std::int64_t{u[i].segment}; });
    out["next_r_score"] =
        column<std::int64_t>(n, [&](std::size_t i) { return std::int64_t{u[i].score.r}; });
    out["next_f_score"] =
        column<std::int64_t>(n, [&](std::size_t i) { return std::int64_t{u[i].score.f}; });
    out["next_m_score"] =
        column<std::int64_t>(n, [&](std::size_t i) { return std::int64_t{u[i].score.m}; });
    out["purchases_to_upgrade"] = column<std::int64_t>(
        n, [&](std::size_t i) { return std::int64_t{u[i].purchases_to_upgrade}; });
    out["upgrade_segment"] =
        column<std::int64_t>(n, [&](std::size_t i) { return std::int64_t{u[i].upgrade_segment}; });
    if (!a.predictions.empty()) {
      out["upgrade_value"] = column<double>(n, [&](std::size_t i) { return u[i].upgrade_value; });
    }
  }
  return out;
}

// The customer ids of a frame's rows as text, without a Python object per row: `values` is an
// int64 array (written in decimal into `text`) or an object array of str (their UTF-8, which the
// str objects cache and the caller's array keeps alive); `codes`, when not None, indexes
// `values` per row (a categorical column; -1 = missing), else row i is values[i]. A missing or
// non-str id is empty (the ingest's empty_id bad row, as the frame's CSV would have it).
std::vector<std::string_view> id_views(const py::object& values, const py::object& codes,
                                       std::size_t rows, std::string& text) {
  std::vector<std::string_view> dictionary;
  if (py::isinstance<py::array_t<std::int64_t>>(values)) {
    const auto numbers = values.cast<py::array_t<std::int64_t, py::array::c_style>>();
    const auto view = numbers.unchecked<1>();
    std::vector<std::size_t> ends(static_cast<std::size_t>(view.shape(0)));
    text.reserve(ends.size() * 8);
    char digits[24];
    for (py::ssize_t i = 0; i < view.shape(0); ++i) {
      const auto written = std::to_chars(digits, digits + sizeof digits, view(i));
      text.append(digits, written.ptr);
      ends[static_cast<std::size_t>(i)] = text.size();
    }
    dictionary.resize(ends.size());
    for (std::size_t i = 0; i < ends.size(); ++i) {
      const std::size_t begin = i == 0 ? 0 : ends[i - 1];
      dictionary[i] = std::string_view(text).substr(begin, ends[i] - begin);
    }
  } else {
    const auto objects = values.cast<py::array>();
    if (objects.dtype().kind() != 'O' || objects.ndim() != 1) {
      throw clvkit::UsageError("customer ids must be integers, str or a categorical of those");
    }
    dictionary.resize(static_cast<std::size_t>(objects.shape(0)));
    PyObject* const* items = static_cast<PyObject* const*>(objects.data());
    const py::ssize_t stride = objects.strides(0) / static_cast<py::ssize_t>(sizeof(PyObject*));
    for (std::size_t i = 0; i < dictionary.size(); ++i) {
      PyObject* item = items[static_cast<py::ssize_t>(i) * stride];
      if (!PyUnicode_Check(item)) continue;  // None, NaN: a missing id
      py::ssize_t size = 0;
      const char* utf8 = PyUnicode_AsUTF8AndSize(item, &size);
      if (utf8 == nullptr) {
        PyErr_Clear();  // lone surrogates: not UTF-8, the ingest's invalid_utf8 bad row
        dictionary[i] = std::string_view("\xff", 1);
        continue;
      }
      dictionary[i] = std::string_view(utf8, static_cast<std::size_t>(size));
    }
  }
  if (codes.is_none()) {
    if (dictionary.size() != rows) {
      throw clvkit::UsageError("the id and date columns differ in length");
    }
    return dictionary;
  }
  const auto code_array = codes.cast<py::array_t<std::int64_t, py::array::c_style>>();
  if (static_cast<std::size_t>(code_array.size()) != rows) {
    throw clvkit::UsageError("the id and date columns differ in length");
  }
  const auto code_view = code_array.unchecked<1>();
  std::vector<std::string_view> ids(rows);
  for (std::size_t i = 0; i < rows; ++i) {
    const std::int64_t code = code_view(static_cast<py::ssize_t>(i));
    if (code >= 0 && static_cast<std::size_t>(code) < dictionary.size()) {
      ids[i] = dictionary[static_cast<std::size_t>(code)];
    }
  }
  return ids;
}

// A frame's transactions for the library's in-memory ingest: ids (see id_views), days since
// 1970-01-01 as int64 (NaT, the int64 minimum, is clvkit::kMissingDay) and float64 amounts.
struct FrameRows {
  std::string id_text;
  std::vector<clvkit::Transaction> rows;
  bool integer_ids = false;
};

FrameRows frame_rows(const py::object& id_values, const py::object& id_codes,
                     const py::array_t<std::int64_t, py::array::c_style>& days,
                     const py::array_t<double, py::array::c_style>& amounts) {
  FrameRows out;
  const auto n = static_cast<std::size_t>(days.size());
  if (static_cast<std::size_t>(amounts.size()) != n) {
    throw clvkit::UsageError("the date and amount columns differ in length");
  }
  out.integer_ids = py::isinstance<py::array_t<std::int64_t>>(id_values);
  const std::vector<std::string_view> ids = id_views(id_values, id_codes, n, out.id_text);
  out.rows.resize(n);
  const auto day_view = days.unchecked<1>();
  const auto amount_view = amounts.unchecked<1>();
  constexpr std::int64_t kLow = std::numeric_limits<Day>::min() + 1;
  constexpr std::int64_t kHigh = std::numeric_limits<Day>::max();
  for (std::size_t i = 0; i < n; ++i) {
    const std::int64_t day = day_view(static_cast<py::ssize_t>(i));
    out.rows[i] = clvkit::Transaction{
        ids[i],
        day == std::numeric_limits<std::int64_t>::min()
            ? clvkit::kMissingDay
            : static_cast<Day>(std::clamp(day, kLow, kHigh)),  // beyond: out of range anyway
        amount_view(static_cast<py::ssize_t>(i))};
  }
  return out;
}

// A customer base read from a frame or a log, with the options it was read with (the stages
// after it need them: segment_base, the model file's calibration block).
struct Base {
  clvkit::CustomerBase base;
  clvkit::IngestOptions ingest;
  bool integer_ids = false;
};

// An analysis (analyze, or the stages score and predict), kept for forecast_segments and report
// (with the segmentation options it was made with: a report's holdout is segmented so).
struct Analysis {
  clvkit::CustomerAnalysis analysis;
  bool integer_ids = false;
  clvkit::SegmentationOptions segmentation;
};

// Fitted (or loaded) models and their model file, as `clvkit fit -o` writes it.
struct Model {
  clvkit::FittedModels models;
  nlohmann::ordered_json document;
};

// The ingest options of `given` with the analysis's thread count (as analyze sets them).
clvkit::IngestOptions ingest_options(const clvkit::AnalysisOptions& options) {
  clvkit::IngestOptions ingest = options.input;
  ingest.threads = clvkit::resolve_thread_count(options.threads);
  return ingest;
}

std::shared_ptr<Base> read_columns(const py::object& id_values, const py::object& id_codes,
                                   const py::array_t<std::int64_t, py::array::c_style>& days,
                                   const py::array_t<double, py::array::c_style>& amounts,
                                   const py::dict& given) {
  const clvkit::AnalysisOptions options = analysis_options(given);
  const FrameRows frame = frame_rows(id_values, id_codes, days, amounts);
  auto out = std::make_shared<Base>();
  out->ingest = ingest_options(options);
  out->integer_ids = frame.integer_ids;
  py::gil_scoped_release release;
  out->base = clvkit::ingest_transactions(frame.rows, "DataFrame", out->ingest);
  return out;
}

std::shared_ptr<Base> read_path(const std::string& path, const py::dict& given) {
  const clvkit::AnalysisOptions options = analysis_options(given);
  auto out = std::make_shared<Base>();
  out->ingest = ingest_options(options);
  py::gil_scoped_release release;
  out->base = clvkit::ingest_transactions_file(path, out->ingest);
  return out;
}

// The summary columns of a base and its ingest metadata (row accounting) as JSON text.
py::tuple base_columns(const Base& b) {
  py::dict out;
  summary_columns(b.base.customers, b.integer_ids, out);
  return py::make_tuple(out, clvkit::ingest_metadata(b.base, b.ingest).dump());
}

std::shared_ptr<Analysis> run_analysis(const std::function<clvkit::CustomerAnalysis()>& run,
                                       bool integer_ids,
                                       const clvkit::SegmentationOptions& segmentation) {
  auto out = std::make_shared<Analysis>();
  out->integer_ids = integer_ids;
  out->segmentation = segmentation;
  py::gil_scoped_release release;
  out->analysis = run();
  return out;
}

// analyze() on a frame's columns (see frame_rows): the library's analyze on rows in memory.
std::shared_ptr<Analysis> analyze_columns(const py::object& id_values, const py::object& id_codes,
                                          const py::array_t<std::int64_t, py::array::c_style>& days,
                                          const py::array_t<double, py::array::c_style>& amounts,
                                          const py::dict& given) {
  const clvkit::AnalysisOptions options = analysis_options(given);
  const FrameRows frame = frame_rows(id_values, id_codes, days, amounts);
  return run_analysis([&] { return clvkit::analyze(frame.rows, options, "DataFrame"); },
                      frame.integer_ids, options.segmentation);
}

std::shared_ptr<Analysis> analyze_path(const std::string& path, const py::dict& given) {
  const clvkit::AnalysisOptions options = analysis_options(given);
  return run_analysis([&] { return clvkit::analyze(path, options); }, false, options.segmentation);
}

// The stages after a base: score (no models), predict (given models) or everything.
std::shared_ptr<Analysis> analyze_base(const Base& b, const py::dict& given, const Model* model) {
  clvkit::AnalysisOptions options = analysis_options(given);
  options.input = b.ingest;
  if (model != nullptr) options.given_models = model->models;
  return run_analysis([&] { return clvkit::analyze(b.base, options); }, b.integer_ids,
                      options.segmentation);
}

py::tuple analysis_columns(const Analysis& a, const std::string& command) {
  return py::make_tuple(result_columns(a.analysis, a.integer_ids),
                        clvkit::analysis_metadata(a.analysis, command).dump());
}

// `clvkit fit` on a base: the chosen models, the dropout check and the model file.
std::shared_ptr<Model> fit_base(const Base& b, const py::dict& given) {
  const clvkit::AnalysisOptions options = analysis_options(given);
  auto out = std::make_shared<Model>();
  py::gil_scoped_release release;
  clvkit::BaseModelFit fit =
      clvkit::fit_base_models(b.base, b.ingest, options.model, options.threads);
  out->models = std::move(fit.models);
  out->document = clvkit::model_file_json(out->models, b.base, b.ingest, fit.dropout);
  return out;
}

std::shared_ptr<Model> load_model(const std::string& path) {
  const clvkit::SavedModel saved = clvkit::read_model_file(path);
  auto out = std::make_shared<Model>();
  out->models = clvkit::saved_models(saved);
  out->document = saved.document;
  return out;
}

std::string brief_report(const Model& model) {
  std::string text = model.models.purchase.summary.brief_report();
  if (model.models.spend.model) text += model.models.spend.summary.brief_report();
  return text;
}

// `clvkit segments --format json`'s document: per-segment statistics, cross tables and, with
// `draws` > 0, the per-segment forecast intervals (forecast_segments).
std::string segments(const Analysis& a, int draws, std::uint64_t seed, bool fixed_parameters) {
  py::gil_scoped_release release;
  std::optional<clvkit::ForecastResult> result;
  if (draws > 0) {
    clvkit::SegmentForecastOptions options;
    options.draws = draws;
    options.seed = seed;
    options.fixed_parameters = fixed_parameters;
    result = clvkit::forecast_segments(a.analysis, options);
  }
  const clvkit::SegmentSummary summary = clvkit::summarize_segments(a.analysis);
  return clvkit::segments_json(clvkit::analysis_metadata(a.analysis, "segments"), summary,
                               result ? &*result : nullptr)
      .dump();
}

// The split of a log for validate, compare and report: `log` is the path of a CSV log (str) or
// a frame's columns (the tuple clvkit._frame_columns returns: id values, id codes, days,
// amounts), read as rows in memory named "DataFrame". `run(holdout_log)` runs with the GIL
// released on a HoldoutLog, which validate_holdout_of and compare_models_of take.
struct HoldoutLog {
  const std::string* path = nullptr;
  std::span<const clvkit::Transaction> rows;
};

template <class Run>
auto on_log(const py::object& log, const Run& run) {
  if (py::isinstance<py::str>(log)) {
    const std::string path = log.cast<std::string>();
    py::gil_scoped_release release;
    return run(HoldoutLog{&path, {}});
  }
  const auto columns = log.cast<py::tuple>();
  if (columns.size() != 4) throw clvkit::UsageError("a log is a CSV path or a frame's columns");
  const FrameRows frame = frame_rows(
      columns[0], columns[1], columns[2].cast<py::array_t<std::int64_t, py::array::c_style>>(),
      columns[3].cast<py::array_t<double, py::array::c_style>>());
  py::gil_scoped_release release;
  return run(HoldoutLog{nullptr, frame.rows});
}

clvkit::HoldoutAnalysis validate_holdout_of(const HoldoutLog& log,
                                            const clvkit::HoldoutOptions& options) {
  return log.path != nullptr ? clvkit::validate_holdout(*log.path, options)
                             : clvkit::validate_holdout(log.rows, options, "DataFrame");
}

clvkit::ModelComparisonResult compare_models_of(const HoldoutLog& log,
                                                const clvkit::HoldoutOptions& options) {
  return log.path != nullptr ? clvkit::compare_models(*log.path, options)
                             : clvkit::compare_models(log.rows, options, "DataFrame");
}

// `clvkit report`'s HTML page of an analysis; with a calibration end, also its holdout
// validation on `log` (see on_log: the log the analysis was made from), as `clvkit report
// --calibration-end` does.
void report(const Analysis& a, const std::string& path, const std::string& title,
            const std::string& currency, int top, int draws, std::uint64_t seed,
            const py::object& log, std::optional<std::int64_t> calibration_end) {
  clvkit::report::ReportSettings settings;
  settings.title = title;
  settings.currency = currency;
  settings.top_customers = top;
  settings.forecast_draws = draws;
  settings.forecast_seed = seed;
  std::optional<clvkit::ModelComparisonResult> comparison;
  if (calibration_end) {
    const clvkit::HoldoutOptions holdout =
        clvkit::holdout_options(a.analysis, a.segmentation, static_cast<Day>(*calibration_end));
    comparison =
        on_log(log, [&](const HoldoutLog& split) { return compare_models_of(split, holdout); });
  }
  py::gil_scoped_release release;
  const clvkit::report::ReportData data =
      comparison ? clvkit::report::report_data(a.analysis, settings, *comparison)
                 : clvkit::report::report_data(a.analysis, settings);
  clvkit::write_file_atomically(path, clvkit::report::render_html_report(data));
}

// The holdout options of validate and compare: `clvkit validate`'s on a log.
clvkit::HoldoutOptions holdout_options(const py::dict& given, std::int64_t calibration_end,
                                       double tracking_step_days) {
  const clvkit::AnalysisOptions options = analysis_options(given);
  clvkit::HoldoutOptions holdout;
  holdout.input = options.input;
  holdout.calibration_end = static_cast<Day>(calibration_end);
  holdout.segmentation = options.segmentation;
  holdout.validation.time_unit = options.model.time_unit;
  holdout.validation.models = options.model.choice;
  holdout.validation.tracking_step_days = tracking_step_days;
  holdout.threads = options.threads;
  return holdout;
}

std::string validate(const py::object& log, const py::dict& given, std::int64_t calibration_end,
                     const std::string& tracking_step) {
  double step_days = 0.0;
  if (tracking_step == "week") {
    step_days = 7.0;
  } else if (tracking_step == "day") {
    step_days = 1.0;
  } else {
    throw clvkit::UsageError("tracking_step: expected week or day, got '" + tracking_step + "'");
  }
  const clvkit::HoldoutOptions holdout = holdout_options(given, calibration_end, step_days);
  return on_log(log, [&](const HoldoutLog& split) {
    return clvkit::validation_json(validate_holdout_of(split, holdout), tracking_step, step_days)
        .dump();
  });
}

std::string compare(const py::object& log, const py::dict& given, std::int64_t calibration_end) {
  const clvkit::HoldoutOptions holdout = holdout_options(given, calibration_end, 7.0);
  return on_log(log, [&](const HoldoutLog& split) {
    return clvkit::comparison_json(compare_models_of(split, holdout)).dump();
  });
}

// lifetimes_compat: the registered models on (x, t_x, T) arrays in any one time unit.

using Doubles = py::array_t<double, py::array::c_style | py::array::forcecast>;

std::vector<double> to_vector(const Doubles& values) {
  return std::vector<double>(values.data(), values.data() + values.size());
}

void check_lengths(std::initializer_list<const Doubles*> arrays, const char* what) {
  for (const Doubles* a : arrays) {
    if (a->size() != (*arrays.begin())->size()) {
      throw clvkit::UsageError(std::string(what) + ": the columns differ in length");
    }
  }
}

// A fit's parameters (family order) and its summary (fit_metadata) as JSON text.
py::tuple fit_result(const std::vector<double>& parameters, const clvkit::FitSummary& summary) {
  return py::make_tuple(parameters, clvkit::fit_metadata(summary).dump());
}

// Fits purchase model `key` on customers (x, t_x, T), each counted `weights` times (empty: once).
py::tuple fit_purchase(const std::string& key, const Doubles& x, const Doubles& t_x,
                       const Doubles& T, const Doubles& weights, double gradient_tolerance) {
  check_lengths({&x, &t_x, &T}, key.c_str());
  const clvkit::PurchaseModelFamily& family = clvkit::purchase_model_family(key);
  clvkit::FitOptions options;
  options.gradient_tolerance = gradient_tolerance;
  clvkit::FittedPurchaseModel fit;
  {
    py::gil_scoped_release release;
    std::vector<clvkit::FrequencyRecencyPattern> patterns;
    if (weights.size() == 0) {
      patterns = clvkit::compress_patterns(to_vector(x), to_vector(t_x), to_vector(T));
    } else {
      if (weights.size() != x.size()) throw clvkit::UsageError(key + ": weights differ in length");
      for (py::ssize_t i = 0; i < x.size(); ++i) {
        patterns.push_back({x.data()[i], t_x.data()[i], T.data()[i], weights.data()[i]});
      }
    }
    fit = family.fit(patterns, options);
  }
  return fit_result(fit.model->parameters(), fit.summary);
}

py::tuple fit_spend(const std::string& key, const Doubles& x, const Doubles& m,
                    double gradient_tolerance) {
  check_lengths({&x, &m}, key.c_str());
  std::vector<clvkit::SpendObservation> data;
  for (py::ssize_t i = 0; i < x.size(); ++i) {
    if (x.data()[i] > 0) data.push_back({x.data()[i], m.data()[i]});
  }
  clvkit::FitOptions options;
  options.gradient_tolerance = gradient_tolerance;
  clvkit::FittedSpendModel fit;
  {
    py::gil_scoped_release release;
    fit = clvkit::spend_model_family(key).fit(data, options);
  }
  return fit_result(fit.model->parameters(), fit.summary);
}

// Per customer of (x, t_x, T): P(alive) (t < 0) or E[X(t) | x, t_x, T] of purchase model `key`
// at `params`; `t` is one value or one per customer.
py::array_t<double> purchase_per_customer(const std::string& key, const std::vector<double>& params,
                                          const Doubles& t, const Doubles& x, const Doubles& t_x,
                                          const Doubles& T, bool alive) {
  check_lengths({&x, &t_x, &T}, key.c_str());
  if (!alive && t.size() != 1 && t.size() != x.size()) {
    throw clvkit::UsageError(key + ": t must be one number or one per customer");
  }
  const std::unique_ptr<clvkit::PurchaseModel> model =
      clvkit::purchase_model_family(key).make(params);
  py::array_t<double> out(x.size());
  double* values = out.mutable_data();
  py::gil_scoped_release release;
  for (py::ssize_t i = 0; i < x.size(); ++i) {
    const clvkit::PurchaseHistory history{x.data()[i], t_x.data()[i], T.data()[i]};
    values[i] = alive ? model->p_alive(history)
                      : model->expected_purchases(history, t.data()[t.size() == 1 ? 0 : i]);
  }
  return out;
}

py::array_t<double> purchase_new_customer(const std::string& key, const std::vector<double>& params,
                                          const Doubles& t) {
  const std::unique_ptr<clvkit::PurchaseModel> model =
      clvkit::purchase_model_family(key).make(params);
  py::array_t<double> out(t.size());
  for (py::ssize_t i = 0; i < t.size(); ++i) {
    out.mutable_data()[i] = model->expected_purchases_new_customer(t.data()[i]);
  }
  return out;
}

py::array_t<double> spend_expected(const std::string& key, const std::vector<double>& params,
                                   const Doubles& x, const Doubles& m) {
  check_lengths({&x, &m}, key.c_str());
  const std::unique_ptr<clvkit::SpendModel> model = clvkit::spend_model_family(key).make(params);
  py::array_t<double> out(x.size());
  for (py::ssize_t i = 0; i < x.size(); ++i) {
    out.mutable_data()[i] = model->expected_spend(x.data()[i], m.data()[i]);
  }
  return out;
}

// Discounted CLV (predict_value) of customers (x, t_x, T, m) in a unit of `unit_days` days over
// `periods` discount periods of `period_days` days at `rate` per period, with margin 1.
py::array_t<double> customer_value(const std::string& purchase_key,
                                   const std::vector<double>& purchase_params,
                                   const std::string& spend_key,
                                   const std::vector<double>& spend_params, const Doubles& x,
                                   const Doubles& t_x, const Doubles& T, const Doubles& m,
                                   double unit_days, int periods, double period_days, double rate) {
  check_lengths({&x, &t_x, &T, &m}, "customer_lifetime_value");
  const auto purchase = clvkit::purchase_model_family(purchase_key).make(purchase_params);
  const auto spend = clvkit::spend_model_family(spend_key).make(spend_params);
  clvkit::ValueOptions options;
  options.horizon_days = periods * period_days;
  options.period_days = period_days;
  options.period_discount_rate = rate;
  options.rank_churn = false;
  std::vector<clvkit::ModelInput> customers(static_cast<std::size_t>(x.size()));
  for (py::ssize_t i = 0; i < x.size(); ++i) {
    customers[static_cast<std::size_t>(i)] = {x.data()[i], t_x.data()[i], T.data()[i], m.data()[i]};
  }
  std::vector<clvkit::CustomerPrediction> predictions;
  {
    py::gil_scoped_release release;
    predictions = clvkit::predict_value(customers, unit_days, *purchase, *spend, options);
  }
  return column<double>(predictions.size(), [&](std::size_t i) { return predictions[i].clv; });
}

}  // namespace

PYBIND11_MODULE(_core, m) {
  m.doc() = "clvkit's C++ core; use the clvkit package, not this module";
  // Errors carry the CLI's messages; the classes mirror its exit codes.
  static py::exception<clvkit::Error> error(m, "Error");
  static py::exception<clvkit::UsageError> usage(m, "UsageError", error.ptr());
  static py::exception<clvkit::InputError> input(m, "InputError", error.ptr());
  static py::exception<clvkit::ModelError> model(m, "ModelError", error.ptr());
  static py::exception<clvkit::IoError> io(m, "IoError", error.ptr());
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const clvkit::UsageError& e) {
      usage(e.what());
    } catch (const clvkit::InputError& e) {
      input(e.what());
    } catch (const clvkit::ModelError& e) {
      model(e.what());
    } catch (const clvkit::IoError& e) {
      io(e.what());
    } catch (const clvkit::Error& e) {
      error(e.what());
    }
  });
  py::class_<Base, std::shared_ptr<Base>>(m, "Base").def_property_readonly(
      "customers", [](const Base& b) { return b.base.customers.size(); });
  py::class_<Analysis, std::shared_ptr<Analysis>>(m, "Analysis")
      .def_property_readonly("customers", [](const Analysis& a) { return a.analysis.size(); });
  py::class_<Model, std::shared_ptr<Model>>(m, "Model")
      .def("brief_report", &brief_report)
      .def("models_metadata",
           [](const Model& model) { return clvkit::models_metadata(model.models).dump(); })
      .def("document", [](const Model& model) { return model.document.dump(2) + "\n"; });
  m.def("read_columns", &read_columns);
  m.def("read_path", &read_path);
  m.def("base_columns", &base_columns);
  m.def("analyze_columns", &analyze_columns);
  m.def("analyze_path", &analyze_path);
  m.def("analyze_base", &analyze_base, py::arg("base"), py::arg("options"),
        py::arg("model").none(true) = py::none());
  m.def("analysis_columns", &analysis_columns);
  m.def("fit_base", &fit_base);
  m.def("load_model", &load_model);
  m.def("segments", &segments);
  m.def("report", &report);
  m.def("validate", &validate);
  m.def("compare", &compare);
  m.def("fit_purchase", &fit_purchase);
  m.def("fit_spend", &fit_spend);
  m.def("purchase_per_customer", &purchase_per_customer);
  m.def("purchase_new_customer", &purchase_new_customer);
  m.def("spend_expected", &spend_expected);
  m.def("customer_value", &customer_value);
}

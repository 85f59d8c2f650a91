// clvkit._core: the library's analysis for Python (pybind11). The Python package (clvkit/) turns
// pandas objects into the plain arrays this module takes and its results back into DataFrames;
// everything here is a thin call into the library, with the GIL released while it works.

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "clvkit/analysis.hpp"
#include "clvkit/error.hpp"
#include "clvkit/models/bgnbd.hpp"
#include "clvkit/models/bgnbd_fit.hpp"
#include "clvkit/models/gamma_gamma.hpp"
#include "clvkit/models/gamma_gamma_fit.hpp"
#include "clvkit/models/patterns.hpp"
#include "clvkit/models/time_unit.hpp"
#include "clvkit/output/metadata.hpp"

namespace py = pybind11;

namespace {

using clvkit::Day;

// The options a Python call may set, by the names of the CLI's options (see clvkit/__init__.py).
clvkit::AnalysisOptions analysis_options(const py::dict& given) {
  clvkit::AnalysisOptions options;
  options.threads = 0;
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
    } else {
      throw clvkit::UsageError("unknown option '" + key + "'");
    }
  }
  return options;
}

// The records of an analysis as columns: NumPy arrays (ids as str or int64, days as int64 days
// since 1970-01-01, segments as codes into `segment_names`), and the metadata as JSON text.
py::dict result_columns(const clvkit::CustomerAnalysis& a, bool integer_ids) {
  const std::size_t n = a.size();
  py::dict out;
  if (integer_ids) {
    py::array_t<std::int64_t> ids(static_cast<py::ssize_t>(n));
    auto view = ids.mutable_unchecked<1>();
    for (std::size_t i = 0; i < n; ++i) {
      const std::string& id = a.customers()[i].id;
      std::int64_t value = 0;
      std::from_chars(id.data(), id.data() + id.size(), value);
      view(static_cast<py::ssize_t>(i)) = value;
    }
    out["customer_id"] = ids;
  } else {
    py::list ids(n);
    for (std::size_t i = 0; i < n; ++i) {
      const std::string& id = a.customers()[i].id;
      ids[i] = py::reinterpret_steal<py::object>(
          PyUnicode_DecodeUTF8(id.data(), static_cast<py::ssize_t>(id.size()), "replace"));
    }
    out["customer_id"] = ids;
  }
  const auto column = [n](auto get, auto type_tag) {
    using T = decltype(type_tag);
    py::array_t<T> values(static_cast<py::ssize_t>(n));
    auto view = values.template mutable_unchecked<1>();
    for (std::size_t i = 0; i < n; ++i) view(static_cast<py::ssize_t>(i)) = get(i);
    return values;
  };
  const auto& c = a.customers();
  out["first_purchase"] =
      column([&](std::size_t i) { return std::int64_t{c[i].first_purchase}; }, std::int64_t{});
  out["last_purchase"] =
      column([&](std::size_t i) { return std::int64_t{c[i].last_purchase}; }, std::int64_t{});
  out["purchase_days"] = column([&](std::size_t i) { return c[i].purchase_days; }, std::int64_t{});
  out["frequency"] = column([&](std::size_t i) { return c[i].frequency; }, std::int64_t{});
  out["recency"] =
      column([&](std::size_t i) { return std::int64_t{c[i].recency}; }, std::int64_t{});
  out["T"] = column([&](std::size_t i) { return std::int64_t{c[i].T}; }, std::int64_t{});
  out["days_since_last"] =
      column([&](std::size_t i) { return std::int64_t{c[i].days_since_last}; }, std::int64_t{});
  out["total_spend"] = column([&](std::size_t i) { return c[i].total_spend; }, double{});
  out["monetary"] = column([&](std::size_t i) { return c[i].monetary; }, double{});
  out["avg_spend"] = column([&](std::size_t i) { return c[i].avg_spend; }, double{});
  const auto& s = a.scores();
  out["r_score"] = column([&](std::size_t i) { return std::int64_t{s[i].r}; }, std::int64_t{});
  out["f_score"] = column([&](std::size_t i) { return std::int64_t{s[i].f}; }, std::int64_t{});
  out["m_score"] = column([&](std::size_t i) { return std::int64_t{s[i].m}; }, std::int64_t{});
  out["segment_code"] =
      column([&](std::size_t i) { return std::int64_t{a.segmented.segment[i]}; }, std::int64_t{});
  py::list names;
  for (const clvkit::Segment& segment : a.segmented.scheme->segments()) names.append(segment.name);
  out["segment_names"] = names;
  if (!a.predictions.empty()) {
    const auto& p = a.predictions;
    out["p_alive"] = column([&](std::size_t i) { return p[i].p_alive; }, double{});
    out["expected_purchases"] =
        column([&](std::size_t i) { return p[i].expected_purchases; }, double{});
    out["expected_avg_spend"] =
        column([&](std::size_t i) { return p[i].expected_avg_spend; }, double{});
    out["clv"] = column([&](std::size_t i) { return p[i].clv; }, double{});
    out["clv_if_alive"] = column([&](std::size_t i) { return p[i].clv_if_alive; }, double{});
    out["value_at_risk"] = column([&](std::size_t i) { return p[i].value_at_risk; }, double{});
    out["churn_priority"] =
        column([&](std::size_t i) { return p[i].churn_priority; }, std::int64_t{});
  }
  return out;
}

py::tuple finish(const clvkit::CustomerAnalysis& analysis, bool integer_ids) {
  const std::string metadata = clvkit::analysis_metadata(analysis, "analyze").dump();
  return py::make_tuple(result_columns(analysis, integer_ids), metadata);
}

// analyze() on a CSV log.
py::tuple analyze_path(const std::string& path, const py::dict& given) {
  const clvkit::AnalysisOptions options = analysis_options(given);
  std::optional<clvkit::CustomerAnalysis> analysis;
  {
    py::gil_scoped_release release;
    analysis.emplace(clvkit::analyze(path, options));
  }
  return finish(*analysis, false);
}

// analyze() on columns: ids as an int64 array or a sequence of str, days since 1970-01-01 as an
// int64 array, amounts as a float64 array, all of one length.
py::tuple analyze_columns(const py::object& ids,
                          const py::array_t<std::int64_t, py::array::c_style>& days,
                          const py::array_t<double, py::array::c_style>& amounts,
                          const py::dict& given) {
  const clvkit::AnalysisOptions options = analysis_options(given);
  const auto n = static_cast<std::size_t>(days.size());
  if (static_cast<std::size_t>(amounts.size()) != n) {
    throw clvkit::UsageError("the date and amount columns differ in length");
  }
  // The ids as text: integers written once into one buffer; strings pointed at in place (their
  // UTF-8 is cached by the str objects, which the caller's sequence keeps alive).
  std::vector<std::string_view> id_views(n);
  std::string integer_text;
  const bool integer_ids = py::isinstance<py::array_t<std::int64_t>>(ids);
  if (integer_ids) {
    const auto values = ids.cast<py::array_t<std::int64_t, py::array::c_style>>();
    if (static_cast<std::size_t>(values.size()) != n) {
      throw clvkit::UsageError("the id and date columns differ in length");
    }
    std::vector<std::size_t> ends(n);
    integer_text.reserve(n * 8);
    char digits[24];
    for (std::size_t i = 0; i < n; ++i) {
      const auto written =
          std::to_chars(digits, digits + sizeof digits, values.at(static_cast<py::ssize_t>(i)));
      integer_text.append(digits, written.ptr);
      ends[i] = integer_text.size();
    }
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t begin = i == 0 ? 0 : ends[i - 1];
      id_views[i] = std::string_view(integer_text).substr(begin, ends[i] - begin);
    }
  } else {
    const py::sequence sequence = ids.cast<py::sequence>();
    if (static_cast<std::size_t>(py::len(sequence)) != n) {
      throw clvkit::UsageError("the id and date columns differ in length");
    }
    for (std::size_t i = 0; i < n; ++i) {
      PyObject* item = PySequence_Fast_GET_ITEM(sequence.ptr(), static_cast<py::ssize_t>(i));
      if (!PyUnicode_Check(item)) {
        throw clvkit::InputError("row " + std::to_string(i + 1) + ": the customer id is not a str");
      }
      py::ssize_t size = 0;
      const char* text = PyUnicode_AsUTF8AndSize(item, &size);
      if (text == nullptr) throw py::error_already_set();
      id_views[i] = std::string_view(text, static_cast<std::size_t>(size));
    }
  }
  std::vector<clvkit::Transaction> rows(n);
  const auto day_view = days.unchecked<1>();
  const auto amount_view = amounts.unchecked<1>();
  for (std::size_t i = 0; i < n; ++i) {
    rows[i] =
        clvkit::Transaction{id_views[i], static_cast<Day>(day_view(static_cast<py::ssize_t>(i))),
                            amount_view(static_cast<py::ssize_t>(i))};
  }
  std::optional<clvkit::CustomerAnalysis> analysis;
  {
    py::gil_scoped_release release;
    analysis.emplace(clvkit::analyze(rows, options));
  }
  return finish(*analysis, integer_ids);
}

// The BG/NBD fit of lifetimes' BetaGeoFitter: (x, t_x, T) per customer, in any one time unit.
py::dict fit_bgnbd(const std::vector<double>& x, const std::vector<double>& t_x,
                   const std::vector<double>& T) {
  clvkit::BgNbdFit fit;
  {
    py::gil_scoped_release release;
    fit = clvkit::fit_bgnbd(clvkit::compress_patterns(x, t_x, T));
  }
  py::dict out;
  out["r"] = fit.params.r;
  out["alpha"] = fit.params.alpha;
  out["a"] = fit.params.a;
  out["b"] = fit.params.b;
  out["summary"] = clvkit::fit_metadata(fit.summary).dump();
  return out;
}

py::dict fit_gamma_gamma(const std::vector<double>& x, const std::vector<double>& m) {
  if (x.size() != m.size())
    throw clvkit::UsageError("frequency and monetary_value differ in length");
  std::vector<clvkit::SpendObservation> data;
  for (std::size_t i = 0; i < x.size(); ++i) {
    if (x[i] > 0) data.push_back({x[i], m[i]});
  }
  clvkit::GammaGammaFit fit;
  {
    py::gil_scoped_release release;
    fit = clvkit::fit_gamma_gamma(data);
  }
  py::dict out;
  out["p"] = fit.params.p;
  out["q"] = fit.params.q;
  out["v"] = fit.params.gamma;
  out["summary"] = clvkit::fit_metadata(fit.summary).dump();
  return out;
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
  m.def("analyze_path", &analyze_path);
  m.def("analyze_columns", &analyze_columns);
  m.def("fit_bgnbd", &fit_bgnbd);
  m.def("fit_gamma_gamma", &fit_gamma_gamma);
  m.def("bgnbd_p_alive", py::vectorize([](double r, double alpha, double a, double b, double x,
                                          double t_x, double T) {
          return clvkit::bgnbd_p_alive(clvkit::BgNbdParams{r, alpha, a, b}, x, t_x, T);
        }));
  m.def("bgnbd_conditional_expected_purchases",
        py::vectorize([](double r, double alpha, double a, double b, double t, double x, double t_x,
                         double T) {
          return clvkit::bgnbd_conditional_expected_purchases(clvkit::BgNbdParams{r, alpha, a, b},
                                                              x, t_x, T, t);
        }));
  m.def("gamma_gamma_expected_spend",
        py::vectorize([](double p, double q, double v, double x, double m) {
          return clvkit::gamma_gamma_conditional_expected_spend(clvkit::GammaGammaParams{p, q, v},
                                                                x, m);
        }));
}

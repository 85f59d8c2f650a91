"""clvkit for Python: customer-base analysis (RFM segments, purchase and spend models, CLV).

    import clvkit
    customers = clvkit.analyze(orders)            # a pandas DataFrame, or a CSV path
    customers[["segment", "p_alive", "clv"]]
    customers.metadata["input"]["rows"]           # the row accounting

    summary = clvkit.summarize(orders)            # or stage by stage
    model = clvkit.fit(summary, model="pnbd")
    model.save("model.json")                      # the file of `clvkit fit -o`
    clvkit.predict(model, summary, horizon="39w")

The work runs in clvkit's C++ library (the same code as the `clvkit` command) with the GIL
released; a DataFrame's columns go to it as NumPy arrays, not as text. Errors raise
clvkit.Error subclasses carrying the command's messages.
"""
import json
import os
import re

import numpy as np
import pandas as pd

from . import _core
from ._core import Error, InputError, IoError, ModelError, UsageError

__all__ = ["analyze", "summarize", "score", "fit", "load_model", "predict", "validate", "compare",
           "segments", "forecast_segments", "report", "AnalysisFrame", "SummaryFrame", "Model",
           "Error", "UsageError", "InputError", "ModelError", "IoError"]

_EPOCH = np.datetime64("1970-01-01", "D")
_HORIZON = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*([dwmy])\s*$")
_UNIT_DAYS = {"d": 1.0, "w": 7.0, "m": 365.25 / 12.0, "y": 365.25}


class AnalysisFrame(pd.DataFrame):
    """A DataFrame of customer records with the analysis's metadata (row accounting, models,
    value settings) in `.metadata`, as the `run` command writes it."""

    # The C++ analysis (for segments, forecast_segments, report) is set on the returned frame
    # only: a filtered or modified copy must not stand for the whole analysis.
    _metadata = ["metadata"]

    @property
    def _constructor(self):
        return AnalysisFrame


class SummaryFrame(pd.DataFrame):
    """A DataFrame of customer summaries (frequency, recency, T in days, spend) with the row
    accounting in `.metadata`; the stages (score, fit, predict) take it without re-reading."""

    # The C++ customer base is set on the returned frame only (see AnalysisFrame).
    _metadata = ["metadata"]

    @property
    def _constructor(self):
        return SummaryFrame


class Model:
    """Fitted purchase and spend models (`fit`) or a model file's (`load_model`).

    parameters, standard_errors: pandas Series by "<model>.<parameter>" (standard errors are
    NaN where the fit refused them); intervals: a DataFrame of 95% bounds; log_likelihood,
    converged: of the purchase model's fit; metadata: the `models` block of the metadata;
    brief_report(): what `clvkit fit` prints; save(path): the model file of `clvkit fit -o`.
    """

    def __init__(self, handle, loaded=False):
        self._handle = handle
        self._loaded = loaded
        self.document = json.loads(handle.document())
        self.time_unit = self.document["time_unit"]
        self._blocks = {k: v for k, v in self.document.items()
                        if isinstance(v, dict) and "parameters" in v}
        rows = []
        for key, block in self._blocks.items():
            for name, estimate in block["parameters"].items():
                lower, upper = estimate.get("ci95", [np.nan, np.nan])
                rows.append((f"{key}.{name}", estimate["value"],
                             estimate.get("standard_error", np.nan), lower, upper))
        table = pd.DataFrame(rows, columns=["parameter", "value", "se", "lower", "upper"])
        table = table.set_index("parameter").astype(float)
        self.parameters = table["value"].rename(None)
        self.standard_errors = table["se"].rename(None)
        self.intervals = table[["lower", "upper"]]
        purchase = self._blocks[self.purchase_model]
        self.log_likelihood = purchase["log_likelihood"]
        self.converged = purchase["converged"]

    @property
    def purchase_model(self):
        """The purchase model's key ("bgnbd", "pnbd", ...)."""
        return next(k for k in self._blocks if k != "gamma_gamma")

    @property
    def metadata(self):
        """The `models` block of the metadata, as the fit's records would carry it."""
        return {"time_unit": self.time_unit, **self._blocks}

    def brief_report(self):
        """What `clvkit fit` prints of the fits (FitSummary::brief_report). A loaded model's
        file keeps the fits' figures but not the fits: its report says so and lists them."""
        if not self._loaded:
            return self._handle.brief_report()
        lines = []
        for key, block in self._blocks.items():
            lines.append(f"{key} (from a model file): converged {block['converged']}, "
                         f"log-likelihood {block['log_likelihood']:.4f}")
            for name, estimate in block["parameters"].items():
                lines.append(f"  {name} = {estimate['value']:.6g}")
        return "\n".join(lines) + "\n"

    def save(self, path):
        """Writes the model file (`clvkit fit -o`'s bytes for the same fit)."""
        with open(path, "w", encoding="utf-8") as f:
            f.write(self._handle.document())

    def __repr__(self):
        return f"clvkit.Model({self.purchase_model}, {self.parameters.to_dict()})"


def load_model(path):
    """The models of a model file (`clvkit fit -o`, or Model.save)."""
    return Model(_core.load_model(os.fspath(path)), loaded=True)


def _day_number(value):
    day = np.datetime64(pd.Timestamp(value).date(), "D")
    return int((day - _EPOCH).astype(np.int64))


def _options(options, what=None):
    """The keyword options, spelled as the CLI's long options with '_'. `what` names a function
    without next purchases, which refuses upgrade and upgrade_cap rather than ignore them."""
    given = dict(options)
    if what is not None and ("upgrade" in given or "upgrade_cap" in given):
        raise UsageError(f"{what}: upgrade and upgrade_cap are options of analyze and predict "
                         f"(whose segments() and report() then show them)")
    out = {}
    if "as_of" in given:
        value = given.pop("as_of")
        out["as_of"] = None if value is None else _day_number(value)
    if "horizon" in given:
        horizon = given.pop("horizon")
        if isinstance(horizon, str) and horizon.strip() == "lifetime":
            out["lifetime"] = True
        elif isinstance(horizon, (int, float)):
            out["horizon_days"] = float(horizon)
        else:
            match = _HORIZON.match(str(horizon))
            if not match:
                raise UsageError(f"horizon: expected a length such as 12m, 39w or 365d, or "
                                 f"'lifetime', got {horizon!r}")
            out["horizon_days"] = float(match.group(1)) * _UNIT_DAYS[match.group(2)]
    if "no_model" in given:
        out["fit_models"] = not given.pop("no_model")
    out.update(given)
    return out


def _analysis_frame(handle, command):
    columns, metadata_text = _core.analysis_columns(handle, command)
    names = columns.pop("segment_names")
    codes = columns.pop("segment_code")
    data = {}
    for key, values in columns.items():
        if key in ("first_purchase", "last_purchase"):
            values = _EPOCH + np.asarray(values).astype("timedelta64[D]")
        if key in ("next_purchase_segment", "upgrade_segment"):
            values = pd.Categorical.from_codes(values, categories=names)  # -1: missing
        elif key == "purchases_to_upgrade":
            values = pd.arrays.IntegerArray(values, values < 0)  # -1: null in the CLI's records
        data[key] = values
        if key == "m_score":
            r, f, m = data["r_score"], data["f_score"], data["m_score"]
            cells = r * 100 + f * 10 + m
            data["rfm_cell"] = pd.Categorical(cells.astype(str))
            data["segment"] = pd.Categorical.from_codes(codes, categories=names)
    frame = AnalysisFrame(data)
    frame.metadata = json.loads(metadata_text)
    frame._analysis = handle
    return frame


def _frame_columns(data, customer, date, amount):
    """The DataFrame's columns as the module takes them (see _id_columns, _day_numbers)."""
    if not isinstance(data, pd.DataFrame):
        raise UsageError("data must be a pandas DataFrame or the path of a CSV log")
    for name in (customer, date, amount):
        if name not in data.columns:
            raise UsageError(f"missing column {name!r} (the frame has: "
                             f"{', '.join(map(str, data.columns))})")
    id_values, id_codes = _id_columns(data[customer])
    day_numbers = _day_numbers(data[date])
    amounts = data[amount]
    if not pd.api.types.is_numeric_dtype(amounts) or pd.api.types.is_bool_dtype(amounts):
        raise InputError(f"column {amount!r}: amounts must be numbers, not {amounts.dtype}")
    amount_values = np.ascontiguousarray(amounts.to_numpy(dtype=np.float64, na_value=np.nan))
    return id_values, id_codes, day_numbers, amount_values


def _id_columns(ids):
    """The ids as the module takes them: (int64 array or object array of str, None), or for a
    categorical (its categories so, its codes as int64). No Python object is made per row
    except for ids of other types (floats, mixed objects), which are written as str."""
    if isinstance(ids.dtype, pd.CategoricalDtype):
        values, _ = _id_columns(pd.Series(ids.cat.categories))
        return values, np.ascontiguousarray(ids.cat.codes.to_numpy(dtype=np.int64))
    if pd.api.types.is_integer_dtype(ids) and not pd.api.types.is_extension_array_dtype(ids):
        return np.ascontiguousarray(ids.to_numpy(dtype=np.int64)), None
    if ids.dtype == object or pd.api.types.is_string_dtype(ids):
        values = ids.to_numpy(dtype=object)
        if pd.api.types.infer_dtype(values, skipna=True) in ("string", "empty"):
            return values, None  # missing ids (None, NaN) are the ingest's empty ids
    return np.array([None if pd.isna(v) else str(v) for v in ids], dtype=object), None


def _day_numbers(dates):
    """Days since 1970-01-01 as int64 (NaT stays the int64 minimum, a missing date). Text is
    read as the CLI reads it by default, ISO dates with an optional time (YYYY-MM-DD...): any
    other layout is ambiguous (1/5/2011), so it is pandas.to_datetime(format=...)'s to parse."""
    if not pd.api.types.is_datetime64_any_dtype(dates):
        try:
            dates = pd.to_datetime(dates, format="%Y-%m-%d", exact=False)
        except (ValueError, TypeError) as error:
            raise UsageError(f"column {dates.name!r}: dates must be datetime64 or ISO text "
                             f"(YYYY-MM-DD, optionally with a time); parse other layouts with "
                             f"pandas.to_datetime(format=...) first ({error})") from None
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    days = dates.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    return np.ascontiguousarray(days.view(np.int64))


def analyze(data, customer="customer_id", date="date", amount="amount", **options):
    """One record per customer: summary, RFM scores and segment and, unless no_model=True,
    the fitted models' predictions (P(alive), expected purchases, CLV, value at risk).

    data: a pandas DataFrame with one row per transaction, or the path of a CSV log.
    customer, date, amount: the column names (for a DataFrame: ids as str, int or categorical;
    dates as datetime64 or ISO text; amounts as numbers, negative for returns). A missing id, date (NaT) or amount (NaN) is a bad row: an InputError naming it
    ("DataFrame:LINE:COLUMN: ...", LINE = position + 2 as in the frame's to_csv), or counted
    with on_bad_row="skip".
    options: as the CLI's `run` options: as_of, segments ("rfm11", "rfm8", a JSON path),
    monetary, model ("bgnbd", "mbgnbd", "pnbd"), no_model, time_unit, horizon ("12m", "39w",
    a number of days or "lifetime"), margin, discount_rate, monthly_discount_rate, returns,
    zero_amounts, on_bad_row, allow_unconverged, threads (0 = every core, the default),
    upgrade, upgrade_cap (see below).

    upgrade=True (`run --upgrade`) adds, last, each customer's next purchase, as the CLI's
    records have it: next_purchase_segment and next_r_score, next_f_score, next_m_score (after
    one more purchase of the expected spend on the day after the as-of day, against the current
    score edges held), purchases_to_upgrade (nullable Int64: the fewest purchases, one a day, to
    a segment higher in the scheme's value_order; 0 in the top segment, <NA> when none up to
    upgrade_cap, default 10, gets there), upgrade_segment (that segment; NaN when none) and,
    with a model, upgrade_value (the CLV after that one purchase minus clv). The metadata gets
    the "upgrade" block. A scheme without value_order raises UsageError.

    Returns an AnalysisFrame (a DataFrame with .metadata).
    """
    given = _options(options)
    given.update(customer_col=customer, date_col=date, amount_col=amount)
    if isinstance(data, (str, os.PathLike)):
        return _analysis_frame(_core.analyze_path(os.fspath(data), given), "analyze")
    columns = _frame_columns(data, customer, date, amount)
    return _analysis_frame(_core.analyze_columns(*columns, given), "analyze")


def summarize(data, customer="customer_id", date="date", amount="amount", **options):
    """The customer summaries of a log (a DataFrame or a CSV path), as `run` computes them:
    first and last purchase, purchase days, frequency, recency and T in days, total and
    average spend, monetary (mean repeat-day spend). Options: as_of, returns, zero_amounts,
    on_bad_row, threads. Returns a SummaryFrame (.metadata: the row accounting)."""
    given = _options(options, "summarize")
    given.update(customer_col=customer, date_col=date, amount_col=amount)
    if isinstance(data, (str, os.PathLike)):
        base = _core.read_path(os.fspath(data), given)
    else:
        base = _core.read_columns(*_frame_columns(data, customer, date, amount), given)
    columns, metadata_text = _core.base_columns(base)
    for key in ("first_purchase", "last_purchase"):
        columns[key] = _EPOCH + np.asarray(columns[key]).astype("timedelta64[D]")
    frame = SummaryFrame(dict(columns))
    frame.metadata = {"input": json.loads(metadata_text)}
    frame._base = base
    return frame


def _base_of(summary, what):
    base = getattr(summary, "_base", None)
    if base is None:
        raise UsageError(f"{what}: expected the result of clvkit.summarize() itself (a filtered "
                         f"or modified copy stands for no base: summarize the rows you want), "
                         f"a DataFrame of transactions or a CSV path")
    return base


def _summary(data, what):
    return data if isinstance(data, SummaryFrame) else summarize(data)


def score(summary, segments="rfm11", monetary=None, threads=0):
    """RFM scores and segments of every customer of `summary` (a SummaryFrame, or a log as
    summarize takes it) with a built-in scheme's name or a scheme file. Returns an
    AnalysisFrame without model columns."""
    base = _base_of(_summary(summary, "score"), "score")
    options = {"segments": segments, "monetary": monetary, "threads": threads,
               "fit_models": False}
    return _analysis_frame(_core.analyze_base(base, options), "score")


def fit(summary, model="bgnbd", time_unit="week", threads=0, allow_unconverged=False):
    """Fits a purchase model (bgnbd, mbgnbd, pnbd) and Gamma-Gamma on `summary`'s customers,
    as `clvkit fit` does. Returns a Model."""
    base = _base_of(_summary(summary, "fit"), "fit")
    options = {"model": model, "time_unit": time_unit, "threads": threads}
    return Model(_core.fit_base(base, options))


def predict(model, summary, horizon="12m", segments="rfm11", threads=0, **options):
    """The records of `summary`'s customers scored with `model` (no refit), as `clvkit
    predict`: summary, segment and predictions over `horizon`. Options: margin,
    discount_rate, monthly_discount_rate, monetary, and upgrade=True with upgrade_cap (`clvkit
    predict --upgrade`: the next-purchase columns of analyze, upgrade_value from `model`).
    Returns an AnalysisFrame."""
    if not isinstance(model, Model):
        raise UsageError("predict: model must be a clvkit.Model (fit or load_model)")
    base = _base_of(_summary(summary, "predict"), "predict")
    given = _options(dict(options, horizon=horizon, segments=segments, threads=threads))
    return _analysis_frame(_core.analyze_base(base, given, model._handle), "predict")


def _log(data, customer, date, amount):
    """A log as the calibration/holdout split takes it: the path of a CSV log (str), or a
    DataFrame's columns as analyze hands them over (_frame_columns)."""
    if isinstance(data, (str, os.PathLike)):
        return os.fspath(data)
    return _frame_columns(data, customer, date, amount)


def validate(data, calibration_end, model="bgnbd", tracking_step="week", customer="customer_id",
             date="date", amount="amount", **options):
    """`clvkit validate --format json` as a dict: fit on the log up to calibration_end,
    compare the predictions with the holdout (totals, per customer, by frequency and segment,
    tracking). data: a DataFrame of transactions or a CSV path, with the columns and options
    of analyze (as_of = the holdout's end)."""
    given = _options(dict(options, model=model), "validate")
    given.update(customer_col=customer, date_col=date, amount_col=amount)
    return json.loads(_core.validate(_log(data, customer, date, amount), given,
                                     _day_number(calibration_end), tracking_step))


def compare(data, calibration_end, customer="customer_id", date="date", amount="amount",
            **options):
    """`clvkit compare --format json` as a dict: every purchase model on one
    calibration/holdout split, and the recommended one. data: a DataFrame of transactions or a
    CSV path, with the columns and options of analyze."""
    given = _options(options, "compare")
    given.update(customer_col=customer, date_col=date, amount_col=amount)
    return json.loads(_core.compare(_log(data, customer, date, amount), given,
                                    _day_number(calibration_end)))


def _analysis_of(frame, what):
    handle = getattr(frame, "_analysis", None)
    if handle is None:
        raise UsageError(f"{what}: expected the result of clvkit.analyze() or predict() itself "
                         f"(a filtered or modified copy stands for no analysis)")
    return handle


def segments(analysis):
    """`clvkit segments --format json` as a dict: per-segment statistics (with the models'
    aggregates when the analysis has them, and `segments --upgrade`'s next-purchase counts when
    it was made with upgrade=True) and the R-by-F, F-by-M and R-by-M cross tables."""
    return json.loads(_core.segments(_analysis_of(analysis, "segments"), 0, 1, False))


def forecast_segments(analysis, draws=2000, seed=1, fixed_parameters=False):
    """`clvkit segments --forecast --format json` as a dict: segments() with simulated
    intervals of each segment's purchases and revenue over the analysis's horizon."""
    if draws < 1:
        raise UsageError(f"forecast_segments: draws must be at least 1, got {draws}")
    return json.loads(_core.segments(_analysis_of(analysis, "forecast_segments"), draws, seed,
                                     fixed_parameters))


def report(analysis, path, title="Customer base report", currency="", top=25, draws=1000,
           seed=1, calibration_end=None, data=None):
    """Writes `clvkit report`'s self-contained HTML page of an analysis (with models) to
    `path`; an analysis made with upgrade=True adds `report --upgrade`'s section "One purchase
    away". With calibration_end, also the holdout validation of `clvkit report
    --calibration-end`: every purchase model refitted on `data` up to that day and compared
    with the rest. data: the log the analysis was made from (the DataFrame or CSV path given to
    analyze); it is split with the analysis's columns, input options and segments."""
    handle = _analysis_of(analysis, "report")
    log = None
    if calibration_end is not None:
        if data is None:
            raise UsageError("report: calibration_end needs data, the log the analysis was made "
                             "from (a DataFrame or a CSV path)")
        columns = analysis.metadata["input"]["columns"]
        log = _log(data, columns["customer"], columns["date"], columns["amount"])
        calibration_end = _day_number(calibration_end)
    _core.report(handle, os.fspath(path), title, currency, top, draws, seed, log,
                 calibration_end)

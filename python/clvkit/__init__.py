"""clvkit for Python: customer-base analysis (RFM segments, purchase and spend models, CLV).

    import clvkit
    customers = clvkit.analyze(orders)            # a pandas DataFrame, or a CSV path
    customers[["segment", "p_alive", "clv"]]
    customers.metadata["input"]["rows"]           # the row accounting

The work runs in clvkit's C++ library (the same code as the `clvkit` command) with the GIL
released; errors raise clvkit.Error subclasses carrying the command's messages.
"""
import json
import os
import re

import numpy as np
import pandas as pd

from . import _core
from ._core import Error, InputError, IoError, ModelError, UsageError

__all__ = ["analyze", "AnalysisFrame", "Error", "UsageError", "InputError", "ModelError",
           "IoError"]

_EPOCH = np.datetime64("1970-01-01", "D")
_HORIZON = re.compile(r"^\s*([0-9]*\.?[0-9]+)\s*([dwmy])\s*$")
_UNIT_DAYS = {"d": 1.0, "w": 7.0, "m": 365.25 / 12.0, "y": 365.25}


class AnalysisFrame(pd.DataFrame):
    """A DataFrame of customer records with the analysis's metadata (row accounting, models,
    value settings) in `.metadata`, as the `run` command writes it."""

    _metadata = ["metadata"]

    @property
    def _constructor(self):
        return AnalysisFrame


def _day_number(value, what):
    day = np.datetime64(pd.Timestamp(value).date(), "D")
    return int((day - _EPOCH).astype(np.int64))


def _options(options):
    """The keyword options of analyze(), spelled as the CLI's long options with '_'."""
    given = dict(options)
    out = {}
    if "as_of" in given:
        value = given.pop("as_of")
        out["as_of"] = None if value is None else _day_number(value, "as_of")
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


def _frame(columns, metadata_text):
    metadata = json.loads(metadata_text)
    names = columns.pop("segment_names")
    codes = columns.pop("segment_code")
    data = {}
    for key, values in columns.items():
        if key in ("first_purchase", "last_purchase"):
            values = _EPOCH + np.asarray(values).astype("timedelta64[D]")
        data[key] = values
        if key == "m_score":
            r, f, m = data["r_score"], data["f_score"], data["m_score"]
            cells = r * 100 + f * 10 + m
            data["rfm_cell"] = pd.Categorical(cells.astype(str))
            data["segment"] = pd.Categorical.from_codes(codes, categories=names)
    frame = AnalysisFrame(data)
    frame.metadata = metadata
    return frame


def analyze(data, customer="customer_id", date="date", amount="amount", **options):
    """One record per customer: summary, RFM scores and segment and, unless no_model=True,
    the fitted models' predictions (P(alive), expected purchases, CLV, value at risk).

    data: a pandas DataFrame with one row per transaction, or the path of a CSV log.
    customer, date, amount: the column names (for a DataFrame: ids as str, int or categorical;
    dates as datetime64 or anything pandas.to_datetime reads; amounts as numbers, negative for
    returns; NaN and NaT are refused).
    options: as the CLI's `run` options: as_of, segments ("rfm11", "rfm8", a JSON path),
    monetary, model ("bgnbd", "mbgnbd", "pnbd"), no_model, time_unit, horizon ("12m", "39w",
    a number of days or "lifetime"), margin, discount_rate, monthly_discount_rate, returns,
    zero_amounts, on_bad_row, allow_unconverged, threads (0 = every core).

    Returns an AnalysisFrame (a DataFrame with .metadata).
    """
    given = _options(options)
    if isinstance(data, (str, os.PathLike)):
        given.update(customer_col=customer, date_col=date, amount_col=amount)
        return _frame(*_core.analyze_path(os.fspath(data), given))
    if not isinstance(data, pd.DataFrame):
        raise UsageError("analyze: data must be a pandas DataFrame or the path of a CSV log")
    for name in (customer, date, amount):
        if name not in data.columns:
            raise UsageError(f"analyze: missing column {name!r} (the frame has: "
                             f"{', '.join(map(str, data.columns))})")
    ids = data[customer]
    dates = data[date]
    amounts = data[amount]
    if not pd.api.types.is_numeric_dtype(amounts):
        raise InputError(f"column {amount!r}: amounts must be numbers, not {amounts.dtype}")
    amount_values = np.ascontiguousarray(amounts.to_numpy(dtype=np.float64))
    missing = np.flatnonzero(~np.isfinite(amount_values))
    if missing.size:
        row = int(missing[0])
        raise InputError(f"column {amount!r}, row {row + 1}: amount is {amount_values[row]} "
                         f"({missing.size} rows have a missing or infinite amount)")
    if not pd.api.types.is_datetime64_any_dtype(dates):
        dates = pd.to_datetime(dates)
    if getattr(dates.dt, "tz", None) is not None:
        dates = dates.dt.tz_localize(None)
    day_values = dates.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]")
    missing = np.flatnonzero(np.isnat(day_values))
    if missing.size:
        raise InputError(f"column {date!r}, row {int(missing[0]) + 1}: the date is missing "
                         f"({missing.size} rows have no date)")
    day_numbers = np.ascontiguousarray((day_values - _EPOCH).astype(np.int64))
    if isinstance(ids.dtype, pd.CategoricalDtype):
        ids = ids.astype(str) if ids.cat.categories.dtype == object else ids.astype(
            ids.cat.categories.dtype)
    if pd.api.types.is_integer_dtype(ids):
        id_values = np.ascontiguousarray(ids.to_numpy(dtype=np.int64))
        if (id_values < 0).any():
            id_values = [str(v) for v in id_values]
    else:
        if ids.isna().any():
            row = int(np.flatnonzero(ids.isna().to_numpy())[0])
            raise InputError(f"column {customer!r}, row {row + 1}: the customer id is missing")
        id_values = [v if isinstance(v, str) else str(v) for v in ids.tolist()]
    given.update(customer_col=customer, date_col=date, amount_col=amount)
    return _frame(*_core.analyze_columns(id_values, day_numbers, amount_values, given))

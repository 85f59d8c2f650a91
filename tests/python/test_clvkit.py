"""pytest suite of the Python module (ctest "python: pytest", label python).

Run by ctest with PYTHONPATH=build/python and CLVKIT_CLI=build/clvkit, from the source tree.
"""
import csv
import json
import math
import os
import pathlib
import subprocess

import numpy as np
import pandas as pd
import pytest

import clvkit
from clvkit.lifetimes_compat import BetaGeoFitter, GammaGammaFitter

ROOT = pathlib.Path(__file__).resolve().parents[2]
CDNOW = ROOT / "data" / "cdnow.csv"
REFERENCE = ROOT / "tests" / "data" / "reference"
CLI = os.environ.get("CLVKIT_CLI", str(ROOT / "build" / "clvkit"))


@pytest.fixture(scope="module")
def cli_records(tmp_path_factory):
    out = tmp_path_factory.mktemp("cli") / "run.json"
    subprocess.run([CLI, "run", str(CDNOW), "-q", "-o", str(out)], check=True)
    return json.loads(out.read_text())


def test_analyze_a_frame_equals_the_cli_record_by_record(cli_records):
    frame = clvkit.analyze(pd.read_csv(CDNOW))
    records = cli_records["customers"]
    assert len(frame) == len(records) == 2357
    assert list(frame.columns) == list(records[0].keys())
    for row, record in zip(frame.itertuples(index=False), records):
        for name, value in zip(frame.columns, row):
            expected = record[name]
            if isinstance(expected, (int, float)) and isinstance(value, float):
                # The CLI writes 12 significant digits.
                assert math.isclose(value, expected, rel_tol=1e-11, abs_tol=1e-300), name
            elif name in ("first_purchase", "last_purchase"):
                assert str(value.date()) == expected
            else:
                assert str(value) == str(expected), name
    meta = frame.metadata
    assert meta["input"]["rows"]["read"] == 6919
    assert meta["models"]["bgnbd"]["parameters"] == cli_records["metadata"]["models"]["bgnbd"]["parameters"]


def test_analyze_a_path_equals_analyze_a_frame():
    from_path = clvkit.analyze(str(CDNOW), no_model=True, segments="rfm8")
    from_frame = clvkit.analyze(pd.read_csv(CDNOW), no_model=True, segments="rfm8")
    pd.testing.assert_frame_equal(from_path.drop(columns="customer_id"),
                                  from_frame.drop(columns="customer_id"))
    assert "p_alive" not in from_path.columns


def test_ids_as_str_int_and_categorical_give_one_order():
    frame = pd.read_csv(CDNOW)
    by_int = clvkit.analyze(frame, no_model=True)
    by_str = clvkit.analyze(frame.assign(customer_id=frame.customer_id.astype(str)), no_model=True)
    by_cat = clvkit.analyze(frame.assign(customer_id=frame.customer_id.astype("category")),
                            no_model=True)
    assert by_int.customer_id.dtype == np.int64
    assert list(by_int.customer_id.astype(str)) == list(by_str.customer_id)
    assert list(by_cat.customer_id) == list(by_int.customer_id)
    assert (by_str.total_spend.to_numpy() == by_int.total_spend.to_numpy()).all()


def test_options_as_of_and_horizon():
    weekly = clvkit.analyze(pd.read_csv(CDNOW), as_of="1997-09-30", horizon="39w")
    assert weekly.metadata["input"]["as_of"] == "1997-09-30"
    assert math.isclose(weekly.expected_purchases.sum(), 1653.0, rel_tol=0.01)


def test_bad_input_raises_with_the_cli_messages():
    frame = pd.read_csv(CDNOW)
    with pytest.raises(clvkit.InputError, match=r"column 'amount', row 3: amount is nan"):
        clvkit.analyze(frame.assign(amount=frame.amount.where(frame.index != 2)))
    with pytest.raises(clvkit.InputError, match=r"row 2: the date is missing"):
        clvkit.analyze(frame.assign(date=pd.to_datetime(frame.date).where(frame.index != 1)))
    with pytest.raises(clvkit.UsageError, match="missing column 'spend'"):
        clvkit.analyze(frame, amount="spend")
    with pytest.raises(clvkit.UsageError, match="unknown option 'colour'"):
        clvkit.analyze(frame, colour="red")
    with pytest.raises(clvkit.InputError, match="empty log"):
        clvkit.analyze(frame.iloc[0:0])
    with pytest.raises(clvkit.IoError, match="cannot open"):
        clvkit.analyze("/nonexistent/log.csv")
    assert issubclass(clvkit.InputError, clvkit.Error)


def read_reference(name):
    with open(REFERENCE / name, newline="") as f:
        return pd.DataFrame(list(csv.DictReader(f))).apply(pd.to_numeric)


def test_lifetimes_beta_geo_fitter_matches_the_reference():
    data = read_reference("bgnbd_cdnow2357_customers.csv")
    bgf = BetaGeoFitter().fit(data.frequency, data.recency, data["T"])
    expected = {"r": 0.24259292827982198, "alpha": 4.413532265271817, "a": 0.7928859664406002,
                "b": 2.4257523826255123}
    for name, value in expected.items():
        assert math.isclose(bgf.params_[name], value, rel_tol=2e-5), name
    # Per customer at the lifetimes parameters would be exact; at ours they agree to 1e-5.
    e39 = bgf.conditional_expected_number_of_purchases_up_to_time(39, data.frequency,
                                                                   data.recency, data["T"])
    assert isinstance(e39, pd.Series)
    assert np.allclose(e39, data.exp_purchases_39w, rtol=1e-4)
    alive = bgf.conditional_probability_alive(data.frequency, data.recency, data["T"])
    assert np.allclose(alive, data.p_alive, rtol=1e-4)


def test_lifetimes_gamma_gamma_fitter_matches_the_reference():
    data = read_reference("gammagamma_clv_cdnow2357_customers.csv")
    repeat = data[data.frequency > 0]
    ggf = GammaGammaFitter().fit(repeat.frequency, repeat.zbar)
    assert math.isclose(ggf.params_["p"], 6.248802496077898, rel_tol=1e-5)
    assert math.isclose(ggf.params_["q"], 3.744588460922642, rel_tol=1e-5)
    assert math.isclose(ggf.params_["v"], 15.447748064920148, rel_tol=1e-5)
    profit = ggf.conditional_expected_average_profit(data.frequency, data.zbar)
    assert np.allclose(profit, data.cond_exp_avg_profit, rtol=1e-5)

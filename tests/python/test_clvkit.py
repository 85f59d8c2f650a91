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
from clvkit import lifetimes_compat as lt

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


def write_csv(frame, path):
    """The frame as `clvkit run` reads it: ids as written, ISO days, amounts in full."""
    out = frame.copy()
    out["date"] = pd.to_datetime(out["date"]).dt.strftime("%Y-%m-%d")
    out.to_csv(path, index=False, float_format=None)


def cli_error(path, *args):
    done = subprocess.run([CLI, "run", str(path), "-q", "-o", "/dev/null", *args],
                          capture_output=True, text=True)
    assert done.returncode == 2, done.stderr
    return done.stderr.strip()


def test_bad_rows_raise_the_cli_message_with_their_line_and_column(tmp_path):
    frame = pd.read_csv(CDNOW)
    cases = [
        (frame.assign(customer_id=frame.customer_id.astype(str).where(frame.index != 4, "")),
         "DataFrame:6:1: empty customer id in column 'customer_id'"),
        (frame.assign(amount=frame.amount.where(frame.index != 2, 2e12)),
         "DataFrame:4:3: amount '2000000000000' out of range (|amount| < 1e12)"),
    ]
    for bad, message in cases:
        with pytest.raises(clvkit.InputError) as raised:
            clvkit.analyze(bad)
        assert str(raised.value) == message
        write_csv(bad, tmp_path / "bad.csv")
        # The CLI names the same line and column of the same rows written as CSV.
        cli = cli_error(tmp_path / "bad.csv")
        assert message.split(":", 1)[1].split(": ", 1)[0] in cli, cli


def test_nan_amounts_and_missing_dates_are_refused_clearly_or_counted():
    frame = pd.read_csv(CDNOW)
    with pytest.raises(clvkit.InputError,
                       match=r"^DataFrame:4:3: missing amount \(NaN\) in column 'amount'$"):
        clvkit.analyze(frame.assign(amount=frame.amount.where(frame.index != 2)))
    with pytest.raises(clvkit.InputError,
                       match=r"^DataFrame:3:2: missing date in column 'date'$"):
        clvkit.analyze(frame.assign(date=pd.to_datetime(frame.date).where(frame.index != 1)))
    skipped = clvkit.analyze(frame.assign(amount=frame.amount.where(frame.index % 100 != 0)),
                             on_bad_row="skip", no_model=True)
    rows = skipped.metadata["input"]["rows"]
    assert rows["rejected"]["bad_amount"] == 70
    assert rows["read"] == 6919 and rows["used"] == 6919 - 70


def test_options_and_paths_raise_the_cli_errors():
    frame = pd.read_csv(CDNOW)
    with pytest.raises(clvkit.UsageError, match="missing column 'spend'"):
        clvkit.analyze(frame, amount="spend")
    with pytest.raises(clvkit.UsageError, match="unknown option 'colour'"):
        clvkit.analyze(frame, colour="red")
    with pytest.raises(clvkit.UsageError, match="returns: expected net, drop or fail, got 'keep'"):
        clvkit.analyze(frame, returns="keep")
    us_dates = frame.assign(date=pd.to_datetime(frame.date).dt.strftime("%m/%d/%Y"))
    with pytest.raises(clvkit.UsageError, match=r"column 'date': dates must be datetime64 or ISO"):
        clvkit.analyze(us_dates)
    parsed = us_dates.assign(date=pd.to_datetime(us_dates.date, format="%m/%d/%Y"))
    pd.testing.assert_frame_equal(clvkit.analyze(parsed, no_model=True),
                                  clvkit.analyze(frame, no_model=True))
    with pytest.raises(clvkit.IoError, match="cannot open"):
        clvkit.analyze("/nonexistent/log.csv")
    assert issubclass(clvkit.InputError, clvkit.Error)


def test_empty_frames_raise_empty_log():
    frame = pd.read_csv(CDNOW)
    with pytest.raises(clvkit.InputError, match=r"^DataFrame: empty log: there are no rows$"):
        clvkit.analyze(frame.iloc[0:0])
    with pytest.raises(clvkit.InputError, match=r"^DataFrame: empty log"):
        clvkit.summarize(frame.iloc[0:0].assign(customer_id=pd.Series([], dtype=object)))


def test_ids_with_missing_values_and_other_types():
    frame = pd.read_csv(CDNOW).head(50)
    with_missing = frame.assign(customer_id=frame.customer_id.astype(str).where(frame.index != 3))
    summary = clvkit.summarize(with_missing, on_bad_row="skip")
    assert summary.metadata["input"]["rows"]["rejected"]["empty_id"] == 1
    as_float = clvkit.summarize(frame.assign(customer_id=frame.customer_id + 0.5))
    assert as_float.customer_id.iloc[0] == "1.5"


def test_summarize_equals_the_analysis_summary_columns(cli_records):
    frame = pd.read_csv(CDNOW)
    summary = clvkit.summarize(frame)
    assert isinstance(summary, clvkit.SummaryFrame)
    analysis = clvkit.analyze(frame, no_model=True)
    pd.testing.assert_frame_equal(pd.DataFrame(summary), pd.DataFrame(analysis[summary.columns]))
    assert summary.metadata["input"]["rows"] == cli_records["metadata"]["input"]["rows"]


def test_stages_give_the_one_call_analysis():
    frame = pd.read_csv(CDNOW)
    whole = clvkit.analyze(frame, segments="rfm8")
    summary = clvkit.summarize(frame)
    scores = clvkit.score(summary, segments="rfm8")
    assert (scores.segment == whole.segment).all()
    model = clvkit.fit(summary)
    predicted = clvkit.predict(model, summary, segments="rfm8")
    for name in ("p_alive", "expected_purchases", "clv", "value_at_risk", "churn_priority"):
        assert (predicted[name].to_numpy() == whole[name].to_numpy()).all(), name
    assert model.converged
    assert model.parameters["bgnbd.r"] == whole.metadata["models"]["bgnbd"]["parameters"]["r"]["value"]
    assert model.standard_errors.notna().all()
    assert (model.intervals["lower"] < model.parameters).all()
    assert model.brief_report().startswith("bgnbd: converged")
    assert math.isclose(model.log_likelihood,
                        whole.metadata["models"]["bgnbd"]["log_likelihood"], rel_tol=0)


def test_a_filtered_copy_stands_for_no_base_or_analysis():
    summary = clvkit.summarize(str(CDNOW))
    with pytest.raises(clvkit.UsageError, match="filtered or modified copy"):
        clvkit.fit(summary[summary.frequency > 0])
    analysis = clvkit.analyze(str(CDNOW))
    assert analysis.head().metadata == analysis.metadata
    with pytest.raises(clvkit.UsageError, match="filtered or modified copy"):
        clvkit.segments(analysis.head())


def test_a_saved_model_is_the_cli_model_file_and_loads_back(tmp_path):
    frame = pd.read_csv(CDNOW)
    model = clvkit.fit(clvkit.summarize(str(CDNOW), as_of="1997-09-30"), model="pnbd")
    model.save(tmp_path / "py.json")
    subprocess.run([CLI, "fit", str(CDNOW), "--as-of", "1997-09-30", "--model", "pnbd", "-q",
                    "-o", str(tmp_path / "cli.json")], check=True)
    saved = json.loads((tmp_path / "py.json").read_text())
    cli = json.loads((tmp_path / "cli.json").read_text())
    saved.pop("tool"), cli.pop("tool")
    assert saved == cli
    loaded = clvkit.load_model(tmp_path / "py.json")
    pd.testing.assert_series_equal(loaded.parameters, model.parameters)
    summary = clvkit.summarize(frame)
    a = clvkit.predict(model, summary, horizon="39w")
    b = clvkit.predict(loaded, summary, horizon="39w")
    assert (a.clv.to_numpy() == b.clv.to_numpy()).all()
    # and the CLI's predict with the saved file gives the same values
    out = tmp_path / "pred.json"
    subprocess.run([CLI, "predict", str(CDNOW), "--model", str(tmp_path / "py.json"),
                    "--horizon", "39w", "-o", str(out)], check=True)
    records = json.loads(out.read_text())["customers"]
    assert np.allclose(a.clv, [r["clv"] for r in records], rtol=1e-11, atol=0)
    with pytest.raises(clvkit.InputError):
        clvkit.load_model(CDNOW)


UPGRADE_COLUMNS = ["next_purchase_segment", "next_r_score", "next_f_score", "next_m_score",
                   "purchases_to_upgrade", "upgrade_segment", "upgrade_value"]


def cli_csv(tmp_path, *args):
    """The records of a CLI command written with --format csv, as (header, rows of str)."""
    out = tmp_path / "records.csv"
    quiet = ["-q"] if args[0] == "run" else []  # predict prints nothing to be quiet about
    subprocess.run([CLI, *map(str, args), *quiet, "--format", "csv", "-o", str(out)], check=True,
                   capture_output=True)
    with open(out, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def assert_frame_equals_cli_csv(frame, header, rows):
    """Column by column: the same names in the same order; ids and text exact, ints exact, an
    empty CSV field (null) missing in the frame, floats to 1e-9 (the CLI writes 12 significant
    digits)."""
    assert list(frame.columns) == header
    assert len(frame) == len(rows)
    for c, name in enumerate(header):
        cli = [row[c] for row in rows]
        values = frame[name]
        if name in ("first_purchase", "last_purchase"):
            assert [str(v.date()) for v in values] == cli, name
        elif pd.api.types.is_float_dtype(values):
            for value, text in zip(values, cli):
                assert math.isclose(value, float(text), rel_tol=1e-9, abs_tol=1e-9), name
        elif pd.api.types.is_integer_dtype(values) and name != "customer_id":
            assert [("" if pd.isna(v) else str(int(v))) for v in values] == cli, name
        else:
            assert [("" if pd.isna(v) else str(v)) for v in values] == cli, name


def test_analyze_upgrade_equals_run_upgrade_column_by_column(tmp_path):
    frame = clvkit.analyze(pd.read_csv(CDNOW), upgrade=True, upgrade_cap=10)
    header, rows = cli_csv(tmp_path, "run", CDNOW, "--upgrade", "--upgrade-cap", 10)
    assert header[-7:] == UPGRADE_COLUMNS
    assert_frame_equals_cli_csv(frame, header, rows)
    # Nullable as the CLI's empty fields (none beyond this cap; see the thresholds below).
    assert frame.purchases_to_upgrade.dtype == "Int64"
    assert frame.purchases_to_upgrade.isna().sum() == frame.metadata["upgrade"]["not_reachable"]
    assert frame.upgrade_segment.isna().sum() >= frame.purchases_to_upgrade.isna().sum()
    meta = json.loads((tmp_path / "records.csv.meta.json").read_text())
    mine, cli = dict(frame.metadata["upgrade"]), dict(meta["upgrade"])
    mine_edges, cli_edges = mine.pop("held_edges"), cli.pop("held_edges")
    assert mine == cli
    for key, edges in cli_edges.items():
        assert np.allclose(mine_edges[key], edges, rtol=1e-11, atol=0), key
    # RFM only, a smaller cap, a threshold scheme: no upgrade_value, and the same as the CLI.
    plain = clvkit.analyze(str(CDNOW), no_model=True, segments="rfm11-thresholds", upgrade=True,
                           upgrade_cap=3)
    header, rows = cli_csv(tmp_path, "run", CDNOW, "--no-model", "--segments",
                           "rfm11-thresholds", "--upgrade", "--upgrade-cap", 3)
    assert "upgrade_value" not in plain.columns
    assert plain.purchases_to_upgrade.isna().any()  # the null case is exercised
    assert_frame_equals_cli_csv(plain, header, rows)


def test_predict_upgrade_equals_cli_predict_upgrade(tmp_path):
    summary = clvkit.summarize(pd.read_csv(CDNOW))
    model = clvkit.fit(summary)
    model.save(tmp_path / "model.json")
    frame = clvkit.predict(model, summary, upgrade=True, upgrade_cap=10)
    header, rows = cli_csv(tmp_path, "predict", CDNOW, "--model", tmp_path / "model.json",
                           "--upgrade", "--upgrade-cap", 10)
    assert header[-7:] == UPGRADE_COLUMNS
    assert_frame_equals_cli_csv(frame, header, rows)
    assert frame.metadata["upgrade"]["spend"] == "expected_avg_spend"


def test_upgrade_needs_a_value_order_and_is_off_by_default(tmp_path):
    scheme = tmp_path / "plain.json"
    scheme.write_text(json.dumps({
        "name": "plain", "bins": 2, "scoring": {"method": "quantile"},
        "segments": [{"name": "All", "description": "Everyone.", "rules": [{}]}]}))
    done = subprocess.run([CLI, "run", str(CDNOW), "--upgrade", "--segments", str(scheme),
                           "-q", "-o", "/dev/null"], capture_output=True, text=True)
    assert done.returncode == 1
    with pytest.raises(clvkit.UsageError) as raised:
        clvkit.analyze(pd.read_csv(CDNOW), segments=str(scheme), upgrade=True)
    assert "no value_order" in str(raised.value) and str(raised.value) in done.stderr
    summary = clvkit.summarize(str(CDNOW))
    with pytest.raises(clvkit.UsageError, match="no value_order"):
        clvkit.predict(clvkit.fit(summary), summary, segments=str(scheme), upgrade=True)
    with pytest.raises(clvkit.UsageError, match="upgrade_cap needs upgrade=True"):
        clvkit.analyze(str(CDNOW), upgrade_cap=3)
    with pytest.raises(clvkit.UsageError, match="1..1000"):
        clvkit.analyze(str(CDNOW), no_model=True, upgrade=True, upgrade_cap=0)
    # Refused, not ignored, where there are no records to add them to.
    for call in (lambda: clvkit.summarize(str(CDNOW), upgrade=True),
                 lambda: clvkit.validate(str(CDNOW), "1997-09-30", upgrade=True),
                 lambda: clvkit.compare(str(CDNOW), "1997-09-30", upgrade_cap=3)):
        with pytest.raises(clvkit.UsageError, match="options of analyze and predict"):
            call()
    for frame in (clvkit.analyze(str(CDNOW)), clvkit.analyze(str(CDNOW), upgrade=False)):
        assert not set(UPGRADE_COLUMNS) & set(frame.columns)
        assert "upgrade" not in frame.metadata


def test_segments_and_report_of_an_upgrade_analysis_are_the_clis(tmp_path):
    analysis = clvkit.analyze(pd.read_csv(CDNOW), upgrade=True)
    cli = subprocess.run([CLI, "segments", str(CDNOW), "--upgrade", "--format", "json", "-q"],
                         capture_output=True, text=True, check=True)
    expected = json.loads(cli.stdout)
    python = clvkit.segments(analysis)
    assert python.keys() == expected.keys()
    assert python["top_segment"] == "Champions"
    for key in python:
        if key != "metadata":
            assert python[key] == expected[key], key
    assert python["segments"][1]["one_purchase_to_better"] > 0
    # The report's section "One purchase away" follows the analysis; the CLI's is the same page
    # but for the log's name.
    clvkit.report(analysis, tmp_path / "report.html", draws=100)
    subprocess.run([CLI, "report", str(CDNOW), "--upgrade", "--forecast-draws", "100", "-q",
                    "-o", str(tmp_path / "cli.html")], check=True)
    page = (tmp_path / "report.html").read_text()
    assert '<section id="upgrade"' in page
    assert page.replace("DataFrame", str(CDNOW)) == (tmp_path / "cli.html").read_text()


def test_validate_compare_forecast_and_report(tmp_path):
    # The same comparison as the command's (its metadata names the command and the tool).
    assert_cli_json(clvkit.validate(str(CDNOW), "1997-09-30"), "validate")
    comparison = clvkit.compare(str(CDNOW), "1997-09-30")
    assert comparison["recommended"] in {m["model"] for m in comparison["models"]}
    analysis = clvkit.analyze(pd.read_csv(CDNOW))
    for python, args in ((clvkit.segments(analysis), []),
                         (clvkit.forecast_segments(analysis, draws=200, seed=3),
                          ["--forecast", "--draws", "200", "--seed", "3"])):
        cli = subprocess.run([CLI, "segments", str(CDNOW), "--format", "json", "-q", *args],
                             capture_output=True, text=True, check=True)
        expected = json.loads(cli.stdout)
        assert python.keys() == expected.keys()
        for key in python:
            if key != "metadata":
                assert python[key] == expected[key], key
    assert "forecast_total" in python
    clvkit.report(analysis, tmp_path / "report.html", draws=100)
    assert (tmp_path / "report.html").read_text().startswith("<!DOCTYPE html>")


def without_source(document):
    """A result without the name of its log (a path, or "DataFrame") and its column names, in
    the metadata only."""
    document = json.loads(json.dumps(document))
    document["metadata"]["input"].pop("source")
    document["metadata"]["input"].pop("columns")
    return document


def assert_cli_json(result, command):
    """`result` is `clvkit COMMAND data/cdnow.csv --calibration-end 1997-09-30`'s JSON but for
    the metadata (which names the command and the tool)."""
    cli = subprocess.run([CLI, command, str(CDNOW), "--calibration-end", "1997-09-30",
                          "--format", "json", "-q"], capture_output=True, text=True, check=True)
    expected = json.loads(cli.stdout)
    assert result.keys() == expected.keys()
    for key in expected:
        if key != "metadata":
            assert result[key] == expected[key], key


def test_validate_compare_and_report_on_a_frame_equal_them_on_its_path(tmp_path):
    frame = pd.read_csv(CDNOW)
    for threads in (1, 2):
        from_frame = clvkit.validate(frame, "1997-09-30", threads=threads)
        assert from_frame["metadata"]["input"]["source"] == "DataFrame"
        assert without_source(from_frame) == without_source(
            clvkit.validate(str(CDNOW), "1997-09-30", threads=threads))
    assert_cli_json(from_frame, "validate")
    # Other columns, categorical ids, text dates and options: the same split as the path's.
    renamed = frame.rename(columns={"customer_id": "who", "date": "day", "amount": "paid"})
    renamed["who"] = renamed["who"].astype("category")
    options = dict(as_of="1998-03-31", model="pnbd", tracking_step="day")
    assert without_source(clvkit.validate(renamed, "1997-09-30", customer="who", date="day",
                                          amount="paid", **options)) == \
        without_source(clvkit.validate(CDNOW, "1997-09-30", **options))
    compared = clvkit.compare(frame, "1997-09-30")
    assert without_source(compared) == without_source(clvkit.compare(str(CDNOW), "1997-09-30"))
    assert_cli_json(compared, "compare")
    # The report's holdout section on the frame: the page of `clvkit report --calibration-end`
    # on the path, but for the log's name.
    analysis = clvkit.analyze(frame)
    clvkit.report(analysis, tmp_path / "frame.html", draws=100, calibration_end="1997-09-30",
                  data=frame)
    subprocess.run([CLI, "report", str(CDNOW), "--calibration-end", "1997-09-30",
                    "--forecast-draws", "100", "-q", "-o", str(tmp_path / "cli.html")], check=True)
    page = (tmp_path / "frame.html").read_text()
    assert 'data-figure="tracking-cumulative"' in page
    assert page == (tmp_path / "cli.html").read_text().replace(str(CDNOW), "DataFrame")
    with pytest.raises(clvkit.UsageError, match="calibration_end needs data"):
        clvkit.report(analysis, tmp_path / "x.html", calibration_end="1997-09-30")


def test_validate_on_a_frame_raises_the_split_errors():
    frame = pd.read_csv(CDNOW)
    bad = frame.assign(customer_id=frame.customer_id.astype(str).where(frame.index != 4, ""))
    with pytest.raises(clvkit.InputError) as raised:
        clvkit.validate(bad, "1997-09-30")
    assert str(raised.value) == "DataFrame:6:1: empty customer id in column 'customer_id'"
    with pytest.raises(clvkit.InputError) as raised:
        clvkit.compare(frame.assign(amount=np.nan), "1997-09-30")
    assert str(raised.value) == "DataFrame:2:3: missing amount (NaN) in column 'amount'"
    with pytest.raises(clvkit.UsageError, match="before every customer's first purchase"):
        clvkit.validate(frame, "1990-01-01")
    with pytest.raises(clvkit.UsageError, match="missing column 'who'"):
        clvkit.validate(frame, "1997-09-30", customer="who")


def read_reference(name):
    with open(REFERENCE / name, newline="") as f:
        return pd.DataFrame(list(csv.DictReader(f))).apply(pd.to_numeric)


BGNBD = {"r": 0.24259292827982198, "alpha": 4.413532265271817, "a": 0.7928859664406002,
         "b": 2.4257523826255123}
GG = {"p": 6.248802496077898, "q": 3.744588460922642, "v": 15.447748064920148}
# lifetimes' estimates at full precision (reference.json of ../shared/reference).
MBGNBD = {"r": 0.5248377255676664, "alpha": 6.1829884791339715, "a": 0.8913562809311414,
          "b": 1.6140000256721279}
PNBD = {"r": 0.5532815861528053, "alpha": 10.577753122778805, "s": 0.6061714462872277,
        "beta": 11.666906530603386}


def at(fitter, params):
    fitter.params_ = pd.Series(params, dtype=float)
    return fitter


def test_lifetimes_fitters_at_the_reference_parameters_give_the_reference_values():
    # The formulas alone: lifetimes' own parameters in, its per-customer values out (the CSVs
    # hold 10 significant digits: 1e-9 relative).
    data = read_reference("bgnbd_cdnow2357_customers.csv")
    data.index = data.ID
    f, r, T = data.frequency, data.recency, data["T"]
    bgf = at(lt.BetaGeoFitter(), BGNBD)
    e39 = bgf.conditional_expected_number_of_purchases_up_to_time(39, f, r, T)
    assert isinstance(e39, pd.Series) and (e39.index == data.index).all()
    assert np.allclose(e39, data.exp_purchases_39w, rtol=1e-9, atol=0)
    assert np.allclose(bgf.predict(52, f, r, T), data.exp_purchases_52w, rtol=1e-9, atol=0)
    assert np.allclose(bgf.conditional_probability_alive(f, r, T), data.p_alive, rtol=1e-9,
                       atol=0)
    gg = read_reference("gammagamma_clv_cdnow2357_customers.csv")
    ggf = at(lt.GammaGammaFitter(), GG)
    profit = ggf.conditional_expected_average_profit(gg.frequency, gg.zbar)
    assert np.allclose(profit, gg.cond_exp_avg_profit, rtol=1e-9, atol=0)
    clv = ggf.customer_lifetime_value(bgf, gg.frequency, gg.recency, gg["T"], gg.zbar, time=12,
                                      discount_rate=0.01, freq="W")
    assert np.allclose(clv, gg["clv_12m_monthly_disc_0.01_freqW"], rtol=1e-9, atol=0)


def test_lifetimes_other_fitters_at_the_reference_parameters_give_the_reference_values():
    data = read_reference("bgnbd_cdnow2357_customers.csv")
    f, r, T = data.frequency, data.recency, data["T"]
    for fitter, params, name in ((lt.ModifiedBetaGeoFitter, MBGNBD, "mbgnbd"),
                                 (lt.ParetoNBDFitter, PNBD, "paretonbd")):
        expected = read_reference(f"{name}_cdnow2357_customers.csv")
        model = at(fitter(), params)
        assert np.allclose(model.predict(39, f, r, T), expected.exp_purchases_39w, rtol=1e-9,
                           atol=0), name
        assert np.allclose(model.conditional_probability_alive(f, r, T), expected.p_alive,
                           rtol=1e-9, atol=0), name


def test_lifetimes_fits_reproduce_the_reference_values():
    # clvkit's fits stop at the maximum (|dLL/dlog theta| < 1e-9 |LL|; the log-likelihood equals
    # lifetimes' to 1e-14), lifetimes' BFGS where its gradient is below ~3e-5: the estimates
    # differ by up to 1.3e-6 relative (BG/NBD's a and b), which moves the most sensitive
    # customers' predictions by up to 1.4e-6 (MBG/NBD 4.8e-6). At lifetimes' own parameters the
    # values agree to 1e-9 (the tests above): the difference is the optimisers' stopping
    # points, not the formulas. Measured: BG/NBD E[X(39)] 1.38e-6, P(alive) 1.34e-6, Gamma-Gamma
    # 2.5e-9, CLV 1.39e-6; Pareto/NBD 1.4e-4 (lifetimes' Nelder-Mead stops on the flat s/beta
    # ridge: its own seeds spread 1e-4 in beta).
    data = read_reference("bgnbd_cdnow2357_customers.csv")
    f, r, T = data.frequency, data.recency, data["T"]
    bgf = lt.BetaGeoFitter().fit(f, r, T)
    for name, value in BGNBD.items():
        assert math.isclose(bgf.params_[name], value, rel_tol=1e-6), name
    assert math.isclose(bgf.log_likelihood_, -9582.425560567366, rel_tol=1e-12)
    assert np.allclose(bgf.conditional_expected_number_of_purchases_up_to_time(39, f, r, T),
                       data.exp_purchases_39w, rtol=2e-6, atol=0)
    assert np.allclose(bgf.conditional_probability_alive(f, r, T), data.p_alive, rtol=2e-6,
                       atol=0)
    assert list(bgf.summary.columns) == ["coef", "se(coef)", "lower 95% bound",
                                         "upper 95% bound"]
    assert math.isclose(bgf.summary.loc["r", "se(coef)"], 0.012557320698193205, rel_tol=1e-4)
    gg = read_reference("gammagamma_clv_cdnow2357_customers.csv")
    repeat = gg[gg.frequency > 0]
    ggf = lt.GammaGammaFitter().fit(repeat.frequency, repeat.zbar)
    for name, value in GG.items():
        assert math.isclose(ggf.params_[name], value, rel_tol=1e-6), name
    assert np.allclose(ggf.conditional_expected_average_profit(gg.frequency, gg.zbar),
                       gg.cond_exp_avg_profit, rtol=1e-8, atol=0)
    clv = ggf.customer_lifetime_value(bgf, gg.frequency, gg.recency, gg["T"], gg.zbar, time=12,
                                      discount_rate=0.01, freq="W")
    assert np.allclose(clv, gg["clv_12m_monthly_disc_0.01_freqW"], rtol=2e-6, atol=0)
    for fitter, name, tolerance in ((lt.ModifiedBetaGeoFitter, "mbgnbd", 6e-6),
                                    (lt.ParetoNBDFitter, "paretonbd", 2e-4)):
        expected = read_reference(f"{name}_cdnow2357_customers.csv")
        model = fitter().fit(f, r, T)
        e39 = model.conditional_expected_number_of_purchases_up_to_time(39, f, r, T)
        alive = model.conditional_probability_alive(f, r, T)
        assert np.allclose(e39, expected.exp_purchases_39w, rtol=tolerance, atol=0), name
        assert np.allclose(alive, expected.p_alive, rtol=tolerance, atol=0), name


def test_lifetimes_bgbb_on_the_donation_patterns():
    data = read_reference("bgbb_donations_patterns.csv")
    bgbb = lt.BetaGeoBetaBinomFitter().fit(data.frequency, data.recency, data.periods,
                                           weights=data.weights)
    expected = {"alpha": 1.203522393608002, "beta": 0.7497163581757513,
                "gamma": 0.6567181695499895, "delta": 2.783441982887859}
    for name, value in expected.items():
        assert math.isclose(bgbb.params_[name], value, rel_tol=1e-6), name
    e5 = bgbb.conditional_expected_number_of_purchases_up_to_time(5, data.frequency,
                                                                  data.recency, data.periods)
    # measured 3e-8 (the CSV's 10 digits and the fits' stopping points)
    assert np.allclose(e5, data["exp_transactions_opportunities_n+1..n+5"], rtol=1e-6, atol=0)


def test_lifetimes_unsupported_arguments_are_refused():
    with pytest.raises(clvkit.UsageError, match="penalizer_coef"):
        lt.BetaGeoFitter(penalizer_coef=0.1)
    with pytest.raises(clvkit.UsageError, match="unsupported arguments"):
        lt.BetaGeoFitter().fit([1], [1], [2], fit_method="Nelder-Mead")
    with pytest.raises(clvkit.UsageError, match="freq"):
        at(lt.GammaGammaFitter(), GG).customer_lifetime_value(
            at(lt.BetaGeoFitter(), BGNBD), [1], [1], [2], [3], freq="Q")


def test_summary_data_from_transaction_data_in_weeks():
    log = pd.read_csv(CDNOW)
    log["date"] = pd.to_datetime(log.date)
    summary = lt.summary_data_from_transaction_data(log, "customer_id", "date", "amount",
                                                    observation_period_end="1997-09-30",
                                                    freq_multiplier=7)
    reference = read_reference("bgnbd_cdnow2357_customers.csv")
    reference.index = reference.ID
    assert list(summary.columns) == ["frequency", "recency", "T", "monetary_value"]
    assert (summary.frequency.to_numpy() == reference.frequency.to_numpy()).all()
    assert np.allclose(summary.recency, reference.elog_recency, rtol=1e-9, atol=1e-9)
    assert np.allclose(summary["T"], reference.elog_T, rtol=1e-9)

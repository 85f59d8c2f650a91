#!/usr/bin/env python3
"""ctest "schema: real outputs validate against schema/*.json".

Runs the built CLI on data/cdnow.csv (and on logs derived from it) in every output variant, in a
temporary directory that is removed afterwards, and validates what it writes against the JSON
Schemas (draft 2020-12) in schema/: each JSON document, every NDJSON line, every CSV row (typed
by the schema's field types) and the CSV header, every OUT.meta.json, the model files. It then
checks what the schemas cannot say (row accounting, scores within the bins, churn_priority a
permutation, fields in the documented order), and that deliberately broken documents are
rejected, so the test cannot pass with schemas that accept anything.

    tests/schema/validate_outputs.py CLVKIT

Needs Debian's python3-jsonschema (tools/setup installs it); fails, rather than skips, without.
"""

import copy
import csv
import importlib.metadata
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile

try:
    import jsonschema
except ImportError:
    sys.exit("schema: python module jsonschema missing; install python3-jsonschema "
             "(tools/setup does)")

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCHEMA_DIR = ROOT / "schema"
BASE_URI = "https://clvkit.dev/schema/"
Validator = jsonschema.Draft202012Validator

failures = []
validated = []


def load_schemas():
    schemas = {}
    for path in sorted(SCHEMA_DIR.glob("*.schema.json")):
        schema = json.loads(path.read_text())
        Validator.check_schema(schema)
        if schema.get("$id") != BASE_URI + path.name:
            failures.append(f"{path.name}: $id is {schema.get('$id')!r}, expected "
                            f"{BASE_URI + path.name!r}")
        schemas[schema["$id"]] = schema
    return schemas


SCHEMAS = load_schemas()


def validator(name, pointer=""):
    """A validator for schema/NAME, or for the subschema at the JSON pointer in it."""
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
              "$ref": BASE_URI + name + ("#" + pointer if pointer else "")}
    formats = jsonschema.FormatChecker()
    try:  # jsonschema >= 4.18 resolves references through a registry
        import referencing
        registry = referencing.Registry().with_resources(
            (uri, referencing.Resource.from_contents(s)) for uri, s in SCHEMAS.items())
        return Validator(schema, registry=registry, format_checker=formats)
    except ImportError:  # Debian 12's 4.10
        resolver = jsonschema.RefResolver(BASE_URI, schema, store=dict(SCHEMAS))
        return Validator(schema, resolver=resolver, format_checker=formats)


DOCUMENT = validator("customer-records.schema.json")
RECORD = validator("customer-records.schema.json", "/$defs/customer_record")
RECORD_WITH_MODEL = validator("customer-records.schema.json", "/$defs/customer_record_with_model")
RECORD_WITHOUT_MODEL = validator("customer-records.schema.json",
                                 "/$defs/customer_record_without_model")
METADATA = validator("metadata.schema.json")
MODEL_FILE = validator("model-file.schema.json")
SUMMARY_DOCUMENT = validator("summary-table-predictions.schema.json")
SUMMARY_RECORD = validator("summary-table-predictions.schema.json", "/$defs/record")
SUMMARY_METADATA = validator("summary-table-predictions.schema.json", "/$defs/metadata")
MIGRATION = validator("migration.schema.json")
SEGMENTS = validator("segments.schema.json")

RECORD_DEF = SCHEMAS[BASE_URI + "customer-records.schema.json"]["$defs"]["customer_record"]
FIELDS = list(RECORD_DEF["properties"])  # in the order they are written
UPGRADE_FIELDS = FIELDS[FIELDS.index("next_purchase_segment"):]  # --upgrade, last
MODEL_FIELDS = FIELDS[FIELDS.index("p_alive"):FIELDS.index("next_purchase_segment")]
BASE_FIELDS = FIELDS[:FIELDS.index("p_alive")]


def expected_fields(meta):
    """The record fields an output with this metadata writes, in order."""
    fields = BASE_FIELDS + (MODEL_FIELDS if "models" in meta else [])
    if "upgrade" in meta:
        fields += [f for f in UPGRADE_FIELDS if f != "upgrade_value" or "models" in meta]
    return fields


def fail(what, message):
    failures.append(f"{what}: {message}")


def check(what, validator_, instance):
    errors = sorted(validator_.iter_errors(instance), key=lambda e: list(e.absolute_path))
    for error in errors[:5]:
        where = "/".join(str(p) for p in error.absolute_path)
        fail(what, f"at /{where}: {error.message[:300]}")
    if len(errors) > 5:
        fail(what, f"{len(errors) - 5} more errors")
    return not errors


# ---------------------------------------------------------------------------------------------
# Checks the schemas cannot express.

def check_metadata_semantics(what, meta, records):
    rows = meta["input"]["rows"]
    if rows["read"] != rows["used"] + rows["rejected_total"] + rows["after_as_of"]:
        fail(what, f"rows do not reconcile: {rows}")
    if rows["rejected_total"] != sum(rows["rejected"].values()):
        fail(what, "rows.rejected_total is not the sum of rows.rejected")
    if meta["input"]["customers"] != len(records):
        fail(what, f"input.customers {meta['input']['customers']} != {len(records)} records")
    counts = meta["segmentation"]["counts"]
    if sum(counts.values()) != len(records):
        fail(what, "segmentation.counts do not sum to the number of records")
    if not meta["input"]["first_day"] <= meta["input"]["last_day"] <= meta["input"]["as_of"]:
        fail(what, "input days out of order (first_day <= last_day <= as_of)")
    bins = meta["segmentation"]["bins"]
    has_model = "models" in meta
    seen = {}
    for i, r in enumerate(records):
        fields = list(r)
        if fields != expected_fields(meta):
            fail(what, f"record {i}: fields {fields} not in the schema's order")
            return
        if not all(1 <= r[k] <= bins for k in ("r_score", "f_score", "m_score")):
            fail(what, f"record {i}: a score outside 1..{bins}")
        if r["rfm_cell"] != f"{r['r_score']}{r['f_score']}{r['m_score']}":
            fail(what, f"record {i}: rfm_cell {r['rfm_cell']} does not match the scores")
        if r["segment"] not in counts:
            fail(what, f"record {i}: segment {r['segment']!r} not in segmentation.counts")
        seen[r["segment"]] = seen.get(r["segment"], 0) + 1
        if not (r["frequency"] == r["purchase_days"] - 1 and r["recency"] <= r["T"]
                and r["days_since_last"] == r["T"] - r["recency"]
                and r["first_purchase"] <= r["last_purchase"] <= meta["input"]["as_of"]):
            fail(what, f"record {i}: inconsistent summary {r}")
    if "upgrade" in meta:
        check_upgrade_semantics(what, meta, records)
    if any(seen.get(name, 0) != n for name, n in counts.items()):
        fail(what, "segmentation.counts differ from the records' segments")
    if has_model:
        ranks = sorted(r["churn_priority"] for r in records)
        if ranks != list(range(1, len(records) + 1)):
            fail(what, "churn_priority is not a permutation of 1..N")


def check_upgrade_semantics(what, meta, records):
    """--upgrade: purchases_to_upgrade 0 exactly in the top segment, null as often as the metadata
    says, and an upgrade_segment ranked above the segment; the next cell within the bins."""
    upgrade = meta["upgrade"]
    order = upgrade["value_order"]
    if sorted(order) != sorted(meta["segmentation"]["counts"]):
        fail(what, "upgrade.value_order is not the scheme's segments")
        return
    rank = {name: i for i, name in enumerate(order)}
    bins = meta["segmentation"]["bins"]
    for i, r in enumerate(records):
        k, target = r["purchases_to_upgrade"], r["upgrade_segment"]
        if (k == 0) != (r["segment"] == order[0]):
            fail(what, f"record {i}: purchases_to_upgrade {k} in segment {r['segment']!r}")
            return
        if (target is None) != (k is None or k == 0):
            fail(what, f"record {i}: upgrade_segment {target!r} with purchases_to_upgrade {k}")
            return
        if target is not None and not (rank[target] < rank[r["segment"]]
                                       and 1 <= k <= upgrade["max_purchases"]):
            fail(what, f"record {i}: {target!r} after {k} is no upgrade of {r['segment']!r}")
            return
        if k == 1 and r["next_purchase_segment"] != target:
            fail(what, f"record {i}: one purchase upgrades, but not to next_purchase_segment")
            return
        if not all(1 <= r[f] <= bins for f in ("next_r_score", "next_f_score", "next_m_score")):
            fail(what, f"record {i}: a next score outside 1..{bins}")
            return
        if r["next_f_score"] < r["f_score"]:
            fail(what, f"record {i}: one more purchase lowered the F score")
            return
    nulls = sum(r["purchases_to_upgrade"] is None for r in records)
    if nulls != upgrade["not_reachable"]:
        fail(what, f"{nulls} records without purchases_to_upgrade, metadata says "
                   f"{upgrade['not_reachable']}")


def check_records_document(what, path):
    document = json.loads(path.read_text())
    check(what, DOCUMENT, document)
    check_metadata_semantics(what, document["metadata"], document["customers"])
    validated.append(what)
    return document


def check_meta_file(what, path):
    meta = json.loads(path.read_text())
    check(what + " (.meta.json)", METADATA, meta)
    return meta


def check_ndjson(what, path, meta):
    record_validator = RECORD_WITH_MODEL if "models" in meta else RECORD_WITHOUT_MODEL
    records = []
    for n, line in enumerate(path.read_text().splitlines(), 1):
        record = json.loads(line)
        if not check(f"{what} line {n}", record_validator, record):
            break
        records.append(record)
    check_metadata_semantics(what, meta, records)
    validated.append(what)
    return records


def field_type(field):
    """The JSON type of a record field, following references within customer-records; for a
    nullable field (["integer", "null"]) the type besides null."""
    schema = RECORD_DEF["properties"][field]
    while "type" not in schema and schema.get("$ref", "").startswith("#/$defs/"):
        schema = SCHEMAS[BASE_URI + "customer-records.schema.json"]["$defs"][
            schema["$ref"][len("#/$defs/"):]]
    kind = schema.get("type")
    return [k for k in kind if k != "null"][0] if isinstance(kind, list) else kind


def nullable(field):
    kind = RECORD_DEF["properties"][field].get("type")
    return isinstance(kind, list) and "null" in kind


def typed(field, text):
    if text == "" and nullable(field):
        return None  # CSV writes null as an empty field
    kind = field_type(field)
    if kind == "integer":
        return int(text)
    if kind == "number":
        return float(text)
    return text


def check_csv(what, path, meta):
    with path.open(newline="") as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    expected = expected_fields(meta)
    if header != expected:
        fail(what, f"CSV header {header} is not the record's properties {expected}")
        return []
    record_validator = RECORD_WITH_MODEL if "models" in meta else RECORD_WITHOUT_MODEL
    records = []
    for n, row in enumerate(rows, 2):
        record = {field: typed(field, value) for field, value in zip(header, row)}
        if len(row) != len(header):
            fail(what, f"line {n} has {len(row)} fields, the header {len(header)}")
            break
        if not check(f"{what} line {n}", record_validator, record):
            break
        records.append(record)
    check_metadata_semantics(what, meta, records)
    validated.append(what)
    return records


def check_model_file(what, path):
    model = json.loads(path.read_text())
    check(what, MODEL_FILE, model)
    validated.append(what)
    return model


# ---------------------------------------------------------------------------------------------
# Running the CLI.

def run(cli, *args):
    result = subprocess.run([cli, *map(str, args)], cwd=ROOT, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"schema: clvkit {' '.join(map(str, args))} failed ({result.returncode}):\n"
                 f"{result.stderr}")
    return result


def write_bad_log(path):
    """CDNOW plus a row of every rejection reason, a customer with only returns, a return and a
    zero amount, and an id that needs CSV quoting and JSON escaping."""
    lines = (ROOT / "data/cdnow.csv").read_text().splitlines()
    lines += [
        "1,1997-02-01",                    # wrong_field_count
        "1,1997-02-01,3.00,extra",         # wrong_field_count
        " ,1997-02-01,3.00",               # empty_id
        "1,1997-02-30,3.00",               # bad_date
        "1,01/02/1997,3.00",               # bad_date
        "1,1997-02-01,abc",                # bad_amount
        "1,1997-02-01,1e13",               # bad_amount
        "1,1997-03-01,-5.00",              # a return, netted
        "2,1997-03-01,0",                  # a zero amount, kept
        "only-returns,1997-03-01,-10.00",  # a customer without a purchase day
        '"Smith, J ""VIP""",1997-03-02,12.50',
        '"Smith, J ""VIP""",1997-04-02,7.25',
    ]
    path.write_text("\n".join(lines) + "\n")


def produce_and_validate(cli, work):
    cdnow = "data/cdnow.csv"
    documents = {}

    # run: json, ndjson, csv; with and without the models.
    for model_args, tag in (((), "run"), (("--no-model",), "run --no-model")):
        out = work / f"{tag.replace(' ', '')}.json"
        run(cli, "run", cdnow, *model_args, "-q", "-o", out)
        documents[tag] = check_records_document(f"{tag} --format json", out)
        for fmt in ("ndjson", "csv"):
            out = work / f"{tag.replace(' ', '')}.{fmt}"
            run(cli, "run", cdnow, *model_args, "-q", "--format", fmt, "-o", out)
            meta = check_meta_file(f"{tag} --format {fmt}", pathlib.Path(f"{out}.meta.json"))
            if meta != documents[tag]["metadata"]:
                fail(f"{tag} --format {fmt}", ".meta.json differs from the JSON output's metadata")
            (check_ndjson if fmt == "ndjson" else check_csv)(f"{tag} --format {fmt}", out, meta)

    # --upgrade: the next-purchase fields, in every format, with and without the models.
    for args, tag in ((("--upgrade",), "run --upgrade"),
                      (("--no-model", "--upgrade", "--segments", "rfm11-thresholds",
                        "--upgrade-cap", "3"), "run --no-model --upgrade thresholds")):
        stem = work / f"upgrade{len(args)}"
        run(cli, "run", cdnow, *args, "-q", "-o", f"{stem}.json")
        documents[tag] = check_records_document(f"{tag} --format json", pathlib.Path(f"{stem}.json"))
        if "upgrade" not in documents[tag]["metadata"]:
            fail(tag, "no upgrade metadata")
        for fmt in ("ndjson", "csv"):
            out = pathlib.Path(f"{stem}.{fmt}")
            run(cli, "run", cdnow, *args, "-q", "--format", fmt, "-o", out)
            meta = check_meta_file(f"{tag} --format {fmt}", pathlib.Path(f"{out}.meta.json"))
            if meta != documents[tag]["metadata"]:
                fail(f"{tag} --format {fmt}", ".meta.json differs from the JSON output's metadata")
            (check_ndjson if fmt == "ndjson" else check_csv)(f"{tag} --format {fmt}", out, meta)
    thresholds = documents["run --no-model --upgrade thresholds"]
    if not any(r["purchases_to_upgrade"] is None for r in thresholds["customers"]):
        fail("run --no-model --upgrade thresholds", "no customer beyond a cap of 3: the null "
             "case is not exercised")

    # ndjson to standard output: the metadata is one JSON line on standard error.
    result = run(cli, "run", cdnow, "-q", "--format", "ndjson", "-o", "-")
    (work / "stdout.ndjson").write_text(result.stdout)
    meta = json.loads(result.stderr.strip().splitlines()[-1])
    check("run --format ndjson -o - (stderr metadata)", METADATA, meta)
    check_ndjson("run --format ndjson -o -", work / "stdout.ndjson", meta)

    # Segment schemes, time units, discounting, horizon, margin, as-of.
    variants = {
        "run --segments rfm8": ("--segments", "rfm8"),
        "run --segments rfm11-thresholds --monetary average":
            ("--segments", "rfm11-thresholds", "--monetary", "average"),
        "run --time-unit day --monthly-discount-rate 0.01 --horizon 39w --margin 0.3":
            ("--time-unit", "day", "--monthly-discount-rate", "0.01", "--horizon", "39w",
             "--margin", "0.3"),
        "run --time-unit month --discount-rate 0": ("--time-unit", "month", "--discount-rate", "0"),
        "run --as-of 1997-09-30": ("--as-of", "1997-09-30"),
        "run --model mbgnbd": ("--model", "mbgnbd"),
        "run --model pnbd": ("--model", "pnbd"),
        "run --no-model --segments rfm8 --as-of 1997-06-30":
            ("--no-model", "--segments", "rfm8", "--as-of", "1997-06-30"),
    }
    for n, (tag, args) in enumerate(variants.items()):
        out = work / f"variant{n}.json"
        run(cli, "run", cdnow, *args, "-q", "-o", out)
        documents[tag] = check_records_document(tag, out)
    if documents["run --as-of 1997-09-30"]["metadata"]["input"]["rows"]["after_as_of"] == 0:
        fail("run --as-of 1997-09-30", "excluded no rows; the variant tests nothing")
    thresholds = documents["run --segments rfm11-thresholds --monetary average"]["metadata"]
    if thresholds["segmentation"]["method"] != "threshold":
        fail("run --segments rfm11-thresholds", "method is not threshold")

    # A log with bad rows, skipped and counted by reason; returns and zero amounts dropped.
    bad = work / "bad rows.csv"
    write_bad_log(bad)
    out = work / "bad-skip.json"
    run(cli, "run", bad, "--on-bad-row", "skip", "-q", "-o", out)
    document = check_records_document("run --on-bad-row skip (bad rows)", out)
    rows = document["metadata"]["input"]["rows"]
    for reason in ("wrong_field_count", "empty_id", "bad_date", "bad_amount"):
        if rows["rejected"][reason] != 2 - (reason == "empty_id"):
            fail("run --on-bad-row skip", f"rejected.{reason} = {rows['rejected'][reason]}")
    if not (rows["returns_netted"] >= 2 and rows["zero_amount_rows"] >= 1
            and document["metadata"]["input"]["customers_without_purchase"] == 1):
        fail("run --on-bad-row skip", f"returns or zero amounts not counted: {rows}")
    for fmt in ("csv", "ndjson"):
        out = work / f"bad-drop.{fmt}"
        run(cli, "run", bad, "--on-bad-row", "skip", "--returns", "drop", "--zero-amounts", "drop",
            "--format", fmt, "-q", "-o", out)
        tag = f"run --on-bad-row skip --returns drop --zero-amounts drop --format {fmt}"
        meta = check_meta_file(tag, pathlib.Path(f"{out}.meta.json"))
        (check_ndjson if fmt == "ndjson" else check_csv)(tag, out, meta)
        rejected = meta["input"]["rows"]["rejected"]
        if rejected["negative_amount"] == 0 or rejected["zero_amount"] == 0:
            fail(tag, f"nothing dropped: {rejected}")

    # A tab-separated log: the delimiter is written as the two characters \t.
    tsv = work / "cdnow.tsv"
    tsv.write_text((ROOT / cdnow).read_text().replace(",", "\t"))
    out = work / "tsv.json"
    run(cli, "run", tsv, "--no-model", "-q", "-o", out)
    document = check_records_document("run on a tab-separated log", out)
    if document["metadata"]["input"]["delimiter"] != "\\t":
        fail("run on a tab-separated log", "delimiter is not written as \\t")

    # Model files, and predict with them in every format.
    model = work / "model.json"
    run(cli, "fit", cdnow, "--as-of", "1997-09-30", "-q", "-o", model)
    documents["model"] = check_model_file("fit -o model.json", model)
    run(cli, "fit", cdnow, "--time-unit", "month", "-q", "-o", work / "model-month.json")
    check_model_file("fit --time-unit month -o model.json", work / "model-month.json")
    run(cli, "fit", cdnow, "--model", "mbgnbd", "-q", "-o", work / "model-mbgnbd.json")
    check_model_file("fit --model mbgnbd -o model.json", work / "model-mbgnbd.json")
    out = work / "predict-mbgnbd.json"
    run(cli, "predict", cdnow, "--model", work / "model-mbgnbd.json", "-o", out)
    documents["predict mbgnbd"] = check_records_document("predict with an MBG/NBD model", out)
    # A model fitted on a database's patterns (fit --patterns-from URL, which needs a server: the
    # db tests) has this calibration block besides the log's fields.
    on_patterns = copy.deepcopy(documents["model"])
    on_patterns["calibration"]["fitted_on_patterns"] = {
        "patterns": 1218, "spend_pairs": 1002, "rows_transferred": 2221, "bytes_transferred": 40511}
    check("fit --patterns-from URL -o model.json", MODEL_FILE, on_patterns)
    check_model_file("models/cdnow-calibration-1997-09-30.json",
                     ROOT / "models/cdnow-calibration-1997-09-30.json")
    out = work / "predict.json"
    run(cli, "predict", cdnow, "--model", model, "-o", out)
    documents["predict"] = check_records_document("predict --format json", out)
    for fmt in ("ndjson", "csv"):
        out = work / f"predict.{fmt}"
        run(cli, "predict", cdnow, "--model", work / "model-month.json", "--segments", "rfm8",
            "--horizon", "90d", "--format", fmt, "-o", out)
        tag = f"predict --format {fmt} (month model, rfm8, 90d)"
        meta = check_meta_file(tag, pathlib.Path(f"{out}.meta.json"))
        (check_ndjson if fmt == "ndjson" else check_csv)(tag, out, meta)

    bgbb_log = work / "bgbb.csv"
    run(cli, "simulate", "--model", "bgbb", "--time-unit", "year", "--customers", "2000",
        "--end", "2031-12-31", "--quiet", "-o", bgbb_log)
    out = work / "bgbb.json"
    run(cli, "run", bgbb_log, "--period", "year", "--model", "bgbb", "-q", "-o", out)
    documents["bgbb"] = check_records_document("run --period year --model bgbb", out)
    run(cli, "fit", bgbb_log, "--period", "year", "--model", "bgbb", "-q", "-o",
        work / "model-bgbb.json")
    check_model_file("fit --period year --model bgbb", work / "model-bgbb.json")
    run(cli, "fit", "--summary", ROOT / "data/donations.csv", "--time-unit", "year", "--model",
        "bgbb", "-q", "-o", work / "model-donations.json")
    check_model_file("fit --summary data/donations.csv --model bgbb", work / "model-donations.json")

    out = work / "lifetime.json"
    run(cli, "run", cdnow, "--model", "pnbd", "--horizon", "lifetime", "-q", "-o", out)
    documents["lifetime"] = check_records_document("run --horizon lifetime", out)

    documents["summary"] = check_summary_tables(cli, work)
    documents["migrate"] = check_migrations(cli, work)
    documents["segments"] = check_segments(cli, work)
    documents["update"] = check_updates(cli, work)
    return documents


def check_migration_semantics(what, doc):
    """What migration.schema.json cannot say: the accounting adds up across the document."""
    snapshots, transitions = doc["snapshots"], doc["transitions"]
    segments = len(doc["segments"])
    if len(transitions) != len(snapshots) - 1:
        fail(what, f"{len(transitions)} transitions for {len(snapshots)} snapshots")
    for k, snapshot in enumerate(snapshots):
        rows = snapshot["rows"]
        if rows["read"] != rows["used"] + rows["rejected_total"] + rows["after_as_of"]:
            fail(what, f"snapshot {k}: rows do not reconcile")
        if len(snapshot["segments"]) != segments:
            fail(what, f"snapshot {k}: {len(snapshot['segments'])} segments")
        if sum(s["customers"] for s in snapshot["segments"]) != snapshot["customers"]:
            fail(what, f"snapshot {k}: segment sizes do not add up to the customers")
        if sum(s["entries"] for s in snapshot["segments"]) != snapshot["entries"]:
            fail(what, f"snapshot {k}: entries do not add up")
        if k > 0 and snapshot["as_of"] <= snapshots[k - 1]["as_of"]:
            fail(what, f"snapshot {k}: days not ascending")
    for k, t in enumerate(transitions):
        before, after = snapshots[k], snapshots[k + 1]
        if (t["from_as_of"], t["to_as_of"]) != (before["as_of"], after["as_of"]):
            fail(what, f"transition {k}: days differ from its snapshots'")
        if t["origins"] != ["new"] + doc["segments"] or len(t["counts"]) != segments + 1:
            fail(what, f"transition {k}: origins")
        columns = [sum(row[s] for row in t["counts"]) for s in range(segments)]
        if columns != [s["customers"] for s in after["segments"]]:
            fail(what, f"transition {k}: column sums are not the later snapshot's sizes")
        rows = [sum(row) for row in t["counts"][1:]]
        if rows != [s["customers"] for s in before["segments"]]:
            fail(what, f"transition {k}: row sums are not the earlier snapshot's sizes")
        if sum(t["counts"][0]) != after["entries"]:
            fail(what, f"transition {k}: the 'new' row is not the later snapshot's entries")
        moved = sum(t["counts"][o + 1][s] for o in range(segments) for s in range(segments)
                    if o != s)
        if moved != t["moved"]:
            fail(what, f"transition {k}: moved {t['moved']}, off-diagonal {moved}")
        flow = [columns[s] - rows[s] for s in range(segments)]
        if flow != t["net_flow"]:
            fail(what, f"transition {k}: net_flow")


def check_migrations(cli, work):
    documents = {}
    for tag, args in (
            ("migrate --every quarter", ("--every", "quarter")),
            ("migrate --every month --edges first --no-model --segments rfm8",
             ("--every", "month", "--edges", "first", "--no-model", "--segments", "rfm8")),
            ("migrate --as-of (3 days) --to-segment Lost,Hibernating",
             ("--as-of", "1997-03-31,1997-09-30,1998-06-30", "--to-segment", "Lost,Hibernating"))):
        out = work / "migrate.json"
        run(cli, "migrate", "data/cdnow.csv", *args, "--format", "json", "-q", "-o", out)
        doc = json.loads(out.read_text())
        if check(tag, MIGRATION, doc):
            validated.append(tag)
        check_migration_semantics(tag, doc)
        documents[tag] = doc
    return documents


def check_segments_semantics(what, doc):
    """What segments.schema.json cannot say: the aggregates add up to the metadata's customers,
    the rows follow the scheme, and the next-purchase counts are consistent."""
    meta, segments = doc["metadata"], doc["segments"]
    customers = meta["input"]["customers"]
    counts = meta["segmentation"]["counts"]
    bins = meta["segmentation"]["bins"]
    if [s["segment"] for s in segments] != list(counts):
        fail(what, "segments are not the scheme's, in its order")
    if [s["customers"] for s in segments] != list(counts.values()):
        fail(what, "segment sizes differ from metadata.segmentation.counts")
    if sum(s["customers"] for s in segments) != customers:
        fail(what, "segment sizes do not add up to metadata.input.customers")
    if abs(sum(s["share"] for s in segments) - 1) > 1e-9:
        fail(what, f"shares sum to {sum(s['share'] for s in segments)!r}")
    if abs(sum(s["revenue_share"] for s in segments) - 1) > 1e-9:
        fail(what, f"revenue shares sum to {sum(s['revenue_share'] for s in segments)!r}")
    for s in segments:
        name = s["segment"]
        if abs(s["share"] - s["customers"] / customers) > 1e-12:
            fail(what, f"{name}: share is not customers / metadata.input.customers")
        scores = [s["mean_r_score"], s["mean_f_score"], s["mean_m_score"]]
        if s["customers"] == 0:
            if any(s[k] != 0 for k in ("share", "mean_days_since_last", "mean_purchase_days",
                                       "mean_total_spend", "revenue", "revenue_share")
                   ) or any(scores):
                fail(what, f"{name}: empty, but with non-zero aggregates")
        elif not all(1 <= v <= bins for v in scores) or s["mean_purchase_days"] < 1:
            fail(what, f"{name}: mean scores outside 1..{bins} or mean_purchase_days < 1")
    for name, table in doc["cross_tables"].items():
        rows = table["counts"]
        if len(rows) != bins or any(len(row) != bins for row in rows):
            fail(what, f"cross table {name} is not {bins}x{bins}")
        if sum(map(sum, rows)) != customers:
            fail(what, f"cross table {name} does not add up to the customers")
    # Every customer in R score r is in row r of r_by_f and of r_by_m, and so on.
    tables = doc["cross_tables"]
    margins = {
        "r": ([sum(row) for row in tables["r_by_f"]["counts"]],
              [sum(row) for row in tables["r_by_m"]["counts"]]),
        "f": ([sum(col) for col in zip(*tables["r_by_f"]["counts"])],
              [sum(row) for row in tables["f_by_m"]["counts"]]),
        "m": ([sum(col) for col in zip(*tables["f_by_m"]["counts"])],
              [sum(col) for col in zip(*tables["r_by_m"]["counts"])])}
    for score, (one, other) in margins.items():
        if one != other:
            fail(what, f"cross tables disagree on the customers per {score} score")
    if "upgrade" in meta:
        top = doc["top_segment"]
        if top != meta["upgrade"]["value_order"][0]:
            fail(what, f"top_segment {top!r} is not the first of metadata.upgrade.value_order")
        if top not in counts:
            fail(what, f"top_segment {top!r} names no segment")
        for s in segments:
            name = s["segment"]
            # one_purchase_to_top counts customers outside the top whose next purchase lands in
            # it; the top ranks above every other segment, so each has purchases_to_upgrade 1.
            if not s["one_purchase_to_top"] <= s["one_purchase_to_better"] <= s["customers"]:
                fail(what, f"{name}: not one_purchase_to_top <= one_purchase_to_better "
                           "<= customers")
            if name == top and (s["one_purchase_to_better"] or s["one_purchase_to_top"]
                                or s.get("upgrade_value_one_purchase", 0)):
                fail(what, f"{name}: the top segment has customers one purchase from it")
            if s["one_purchase_to_better"] == 0 and s.get("upgrade_value_one_purchase", 0):
                fail(what, f"{name}: upgrade_value_one_purchase without customers one away")
            if ("upgrade_value" in s and s["one_purchase_to_better"] == s["customers"]
                    and abs(s["upgrade_value"] - s["upgrade_value_one_purchase"])
                    > 1e-9 * max(1.0, abs(s["upgrade_value"]))):
                fail(what, f"{name}: every customer one purchase away, but upgrade_value "
                           "differs from upgrade_value_one_purchase")
    if "forecast" in meta:
        groups = [s["forecast"] for s in segments] + [doc["forecast_total"]]
        for k, f in enumerate(groups):
            for kind in ("purchases", "revenue"):
                i = f[kind]
                if not i["low"] <= i["high"]:
                    fail(what, f"forecast {k}: {kind} low > high")
        for kind in ("expected_purchases_analytic", "expected_revenue_analytic"):
            total = sum(s["forecast"][kind] for s in segments)
            if abs(total - doc["forecast_total"][kind]) > 1e-9 * max(1.0, total):
                fail(what, f"forecast_total.{kind} is not the segments' sum")
        for s in segments:
            if abs(s["forecast"]["expected_purchases_analytic"] - s["expected_purchases"]) > \
                    1e-9 * max(1.0, s["expected_purchases"]):
                fail(what, f"{s['segment']}: expected_purchases_analytic differs from "
                           "expected_purchases")


def check_segments(cli, work):
    documents = {}
    for tag, args in (
            ("segments", ()),
            ("segments --no-model", ("--no-model",)),
            ("segments --upgrade", ("--upgrade",)),
            ("segments --upgrade --no-model", ("--upgrade", "--no-model")),
            ("segments --forecast --draws 50", ("--forecast", "--draws", "50")),
            ("segments --segments rfm8 --upgrade", ("--segments", "rfm8", "--upgrade")),
            ("segments --segments rfm11-thresholds --monetary average --upgrade --forecast "
             "--draws 20 --fixed-parameters",
             ("--segments", "rfm11-thresholds", "--monetary", "average", "--upgrade",
              "--forecast", "--draws", "20", "--fixed-parameters"))):
        out = work / "segments.json"
        run(cli, "segments", "data/cdnow.csv", *args, "--format", "json", "-q", "-o", out)
        doc = json.loads(out.read_text())
        if check(tag, SEGMENTS, doc):
            validated.append(tag)
        check_segments_semantics(tag, doc)
        documents[tag] = doc
    if not any(s["customers"] == 0 for s in documents["segments"]["segments"]):
        fail("segments", "no empty segment: the empty case is not exercised")
    return documents


def check_update_semantics(what, meta, records):
    update = meta["update"]
    rows = update["rows"]
    if rows["read"] != rows["used"] + rows["rejected_total"] + rows["after_as_of"]:
        fail(what, f"update.rows do not reconcile: {rows}")
    if rows["late"] > rows["used"]:
        fail(what, "more late rows than used rows")
    customers = update["customers"]
    transition = update["transition"]
    if sum(map(sum, transition["counts"])) != customers["total"]:
        fail(what, "the transition counts do not sum to update.customers.total")
    if transition["moved"] != customers["moved"]:
        fail(what, "transition.moved differs from update.customers.moved")
    if customers["written"] != len(records):
        fail(what, f"update.customers.written {customers['written']} != {len(records)} records")
    expected = customers["changed"] if update["changed_only"] else customers["total"]
    if len(records) != expected:
        fail(what, f"{len(records)} records written, expected {expected}")
    if not update["previous_as_of"] <= update["as_of"] == meta["input"]["as_of"]:
        fail(what, "update days out of order")


def check_updates(cli, work):
    """run --state on CDNOW to 1998-05-31, then updates with the next week's rows."""
    lines = (ROOT / "data/cdnow.csv").read_text().splitlines(keepends=True)
    early = [line for line in lines[1:] if line.split(",")[1] < "1998-06-01"]
    week = [line for line in lines[1:] if "1998-06-01" <= line.split(",")[1] < "1998-06-08"]
    (work / "early.csv").write_text(lines[0] + "".join(early))
    (work / "week.csv").write_text(lines[0] + "".join(week))
    documents = {}
    for model in ((), ("--no-model",)):
        state = work / f"state{len(model)}.bin"
        run(cli, "run", work / "early.csv", *model, "--state", state, "-q", "-o", work / "r.json")
        for tag, args in (("update", ("--format", "json")),
                          ("update --changed-only --format ndjson",
                           ("--changed-only", "--format", "ndjson")),
                          ("update --format csv --refit", ("--format", "csv", "--refit")),
                          ("update --upgrade --changed-only --format ndjson",
                           ("--upgrade", "--changed-only", "--format", "ndjson"))):
            if model and "--refit" in args:
                continue
            tag = f"{tag} (state {'--no-model' if model else 'with models'})"
            fmt = args[args.index("--format") + 1]
            out = work / f"update.{fmt}"
            run(cli, "update", state, work / "week.csv", *args, "--state-out", work / "next.bin",
                "--moves", work / "moves.csv", "-q", "-o", out)
            if fmt == "json":
                doc = check_records_document(tag, out)
                meta, records = doc["metadata"], doc["customers"]
            else:
                meta = check_meta_file(tag, pathlib.Path(f"{out}.meta.json"))
                (check_ndjson if fmt == "ndjson" else check_csv)(tag, out, meta)
                if fmt == "ndjson":
                    records = [json.loads(line) for line in out.read_text().splitlines()]
                else:
                    records = list(csv.DictReader(out.open()))
            check_update_semantics(tag, meta, records)
            if ("--upgrade" in args) != ("upgrade" in meta):
                fail(tag, "the upgrade metadata is not there exactly with --upgrade")
            documents[tag] = meta
    return documents


def check_summary_tables(cli, work):
    """fit and predict on summary tables: with spend (CDNOW with zbar), without (CDNOW), and a
    pattern table with counts (donations), in every format."""
    reference = ROOT / "tests/data/reference"
    with_spend = reference / "cdnow_customers_summary_with_transactions.csv"
    without_spend = reference / "cdnow_customers_summary.csv"
    model = work / "summary-model.json"
    run(cli, "fit", "--summary", with_spend, "-q", "-o", model)
    check_model_file("fit --summary (with spend)", model)
    model_no_spend = work / "summary-model-no-spend.json"
    run(cli, "fit", "--summary", without_spend, "--model", "pnbd", "-q", "-o", model_no_spend)
    model_doc = check_model_file("fit --summary (without spend)", model_no_spend)
    if "gamma_gamma" in model_doc:
        fail("fit --summary (without spend)", "has a gamma_gamma member")
    document = None
    for table, fitted, tag in ((with_spend, model, "with spend"),
                               (without_spend, model_no_spend, "without spend"),
                               (ROOT / "data/donations.csv", model_no_spend, "pattern counts")):
        out = work / "summary.json"
        run(cli, "predict", "--summary", table, "--model", fitted, "-o", out)
        what = f"predict --summary ({tag})"
        doc = json.loads(out.read_text())
        check(what, SUMMARY_DOCUMENT, doc)
        meta = doc["metadata"]["input"]
        if meta["rows_read"] != meta["rows_used"] + sum(meta["rows_rejected"].values()):
            fail(what, "rows_read != rows_used + rows_rejected")
        if len(doc["customers"]) != meta["rows_used"]:
            fail(what, "not one record per row used")
        validated.append(what)
        document = document or doc
        for fmt in ("ndjson", "csv"):
            out = work / f"summary.{fmt}"
            run(cli, "predict", "--summary", table, "--model", fitted, "--format", fmt, "-o", out)
            what_fmt = f"{what} --format {fmt}"
            check(what_fmt, SUMMARY_METADATA,
                  json.loads(pathlib.Path(f"{out}.meta.json").read_text()))
            if fmt == "ndjson":
                rows = [json.loads(line) for line in out.read_text().splitlines()]
            else:
                with out.open(newline="") as f:
                    rows = [{k: (v if k == "customer_id" else json.loads(v)) for k, v in r.items()}
                            for r in csv.DictReader(f)]
            if rows != doc["customers"]:
                fail(what_fmt, "records differ from the JSON document's")
            for row in rows[:50]:
                check(what_fmt, SUMMARY_RECORD, row)
            validated.append(what_fmt)
    return document


# ---------------------------------------------------------------------------------------------
# Broken documents must be rejected.

def rejects(what, validator_, instance, mutate):
    broken = copy.deepcopy(instance)
    mutate(broken)
    if validator_.is_valid(broken):
        fail("negative case", f"{what}: accepted, but must be rejected")
    return 1


def set_path(*path_and_value):
    *path, value = path_and_value

    def mutate(doc):
        for key in path[:-1]:
            doc = doc[key]
        doc[path[-1]] = value
    return mutate


def delete_path(*path):
    def mutate(doc):
        for key in path[:-1]:
            doc = doc[key]
        del doc[path[-1]]
    return mutate


def check_negative_cases(documents):
    lifetime = documents["lifetime"]["metadata"]
    rejects("lifetime value with horizon_days too", METADATA, lifetime,
            set_path("value", "horizon_days", 365.25))
    rejects("lifetime value with period timing", METADATA, lifetime,
            set_path("value", "discount", "timing", "end of each period"))
    rejects("lifetime value without its horizon", METADATA, lifetime,
            delete_path("value", "horizon"))
    rejects("horizon value with a continuous rate", METADATA,
            documents["run --as-of 1997-09-30"]["metadata"],
            set_path("value", "discount", "continuous_rate_per_day", 0.0003))
    summary = documents["summary"]
    rejects("summary record with a negative p_alive", SUMMARY_DOCUMENT, summary,
            lambda d: d["customers"][0].__setitem__("p_alive", -0.1))
    rejects("summary record with clv but no expected_avg_spend", SUMMARY_DOCUMENT, summary,
            lambda d: d["customers"][0].pop("expected_avg_spend"))
    rejects("summary metadata without rows_rejected", SUMMARY_DOCUMENT, summary,
            lambda d: d["metadata"]["input"].pop("rows_rejected"))
    run_doc = documents["run"]
    no_model = documents["run --no-model"]
    predict = documents["predict"]
    model = documents["model"]
    record = run_doc["customers"][0]
    plain = no_model["customers"][0]
    meta = run_doc["metadata"]
    for what, v, doc in (("record", RECORD_WITH_MODEL, record),
                         ("record without model", RECORD_WITHOUT_MODEL, plain),
                         ("metadata", METADATA, meta), ("model file", MODEL_FILE, model)):
        if not v.is_valid(doc):
            fail("negative case", f"the unbroken {what} does not validate")

    # A variant CDNOW does not produce: a fit whose standard errors were refused.
    refused = copy.deepcopy(model)
    refused["bgnbd"].update(standard_errors_available=False,
                            standard_errors_message="standard errors not computed: ill-conditioned")
    for estimate in refused["bgnbd"]["parameters"].values():
        del estimate["standard_error"], estimate["ci95"]
    check("model file whose BG/NBD standard errors were refused", MODEL_FILE, refused)

    cases = 0
    for what, mutate in (
            ("p_alive 1.5", set_path("p_alive", 1.5)),
            ("p_alive -0.1", set_path("p_alive", -0.1)),
            ("missing segment", delete_path("segment")),
            ("unknown key", set_path("loyalty", 1)),
            ("r_score 0", set_path("r_score", 0)),
            ("f_score 10", set_path("f_score", 10)),
            ("frequency -1", set_path("frequency", -1)),
            ("purchase_days 1.5", set_path("purchase_days", 1.5)),
            ("rfm_cell of two digits", set_path("rfm_cell", "51")),
            ("date 1997-13-01", set_path("first_purchase", "1997-13-01")),
            ("date 1997/01/01", set_path("last_purchase", "1997/01/01")),
            ("date 1997-02-30 (format)", set_path("last_purchase", "1997-02-30")),
            ("customer_id a number", set_path("customer_id", 1)),
            ("empty customer_id", set_path("customer_id", "")),
            ("clv negative", set_path("clv", -1.0)),
            ("churn_priority 0", set_path("churn_priority", 0)),
            ("a model field missing", delete_path("value_at_risk")),
            ("total_spend a string", set_path("total_spend", "12.5"))):
        cases += rejects(f"record with {what}", RECORD, record, mutate)
    cases += rejects("record of a model run without p_alive", RECORD_WITH_MODEL, record,
                     lambda r: [r.pop(k) for k in MODEL_FIELDS])
    cases += rejects("record of --no-model with p_alive", RECORD_WITHOUT_MODEL, plain,
                     set_path("p_alive", 0.5))
    cases += rejects("record with p_alive only", RECORD, plain, set_path("p_alive", 0.5))

    small = {"metadata": meta, "customers": run_doc["customers"][:3]}
    small_plain = {"metadata": no_model["metadata"], "customers": no_model["customers"][:3]}
    for what, doc, mutate in (
            ("model metadata, records without model fields", small,
             set_path("customers", small_plain["customers"])),
            ("no-model metadata, records with model fields", small_plain,
             set_path("customers", small["customers"])),
            ("missing customers", small, delete_path("customers")),
            ("customers not an array", small, set_path("customers", {})),
            ("extra top-level key", small, set_path("summary", {}))):
        cases += rejects(f"document with {what}", DOCUMENT, doc, mutate)

    for what, doc, mutate in (
            ("reconciles false", meta, set_path("input", "rows", "reconciles", False)),
            ("dropout not informative without reasons", meta,
             set_path("dropout", "informative", False)),
            ("dropout share above 1", meta, set_path("dropout", "share_p_alive_at_least_0_99", 1.5)),
            ("models without dropout", meta, delete_path("dropout")),
            ("a reject reason missing", meta, delete_path("input", "rows", "rejected", "bad_date")),
            ("an unknown reject reason", meta, set_path("input", "rows", "rejected", "other", 0)),
            ("negative rows.read", meta, set_path("input", "rows", "read", -1)),
            ("as_of not a date", meta, set_path("input", "as_of", "30/09/1997")),
            ("delimiter of two characters", meta, set_path("input", "delimiter", ";;")),
            ("command fit", meta, set_path("command", "fit")),
            ("schema_version 2", meta, set_path("schema_version", 2)),
            ("bins 10", meta, set_path("segmentation", "bins", 10)),
            ("method kmeans", meta, set_path("segmentation", "method", "kmeans")),
            ("a negative segment count", meta,
             set_path("segmentation", "counts", next(iter(meta["segmentation"]["counts"])), -1)),
            ("models without value", meta, delete_path("value")),
            ("value without models", no_model["metadata"], set_path("value", meta["value"])),
            ("time_unit fortnight", meta, set_path("models", "time_unit", "fortnight")),
            ("bgnbd without b", meta, delete_path("models", "bgnbd", "parameters", "b")),
            ("an extra bgnbd parameter", meta,
             set_path("models", "bgnbd", "parameters", "c", {"value": 1.0})),
            ("an extra key in a fit", meta, set_path("models", "bgnbd", "note", "x")),
            ("gamma_gamma without population_mean_spend", meta,
             delete_path("models", "gamma_gamma", "population_mean_spend")),
            ("correlation 1.2", meta,
             set_path("models", "gamma_gamma", "frequency_spend_correlation", 1.2)),
            ("standard errors available but missing", meta,
             delete_path("models", "bgnbd", "parameters", "r", "standard_error")),
            ("standard errors unavailable but present", meta,
             lambda m: m["models"]["bgnbd"].update(standard_errors_available=False,
                                                   standard_errors_message="refused")),
            ("standard errors unavailable without a reason", meta,
             lambda m: [m["models"]["bgnbd"].update(standard_errors_available=False)]
             + [e.pop(k) for e in m["models"]["bgnbd"]["parameters"].values()
                for k in ("standard_error", "ci95")]),
            ("a ci95 of three numbers", meta,
             set_path("models", "bgnbd", "parameters", "r", "ci95", [0.1, 0.2, 0.3])),
            ("termination unknown", meta, set_path("models", "bgnbd", "termination", "done")),
            ("both discount rates", meta, set_path("value", "discount", "rate_per_period", 0.01)),
            ("no discount rate", meta, delete_path("value", "discount", "annual_rate")),
            ("horizon 0", meta, set_path("value", "horizon_days", 0)),
            ("negative margin", meta, set_path("value", "margin", -0.5)),
            ("predict with run's models", predict["metadata"],
             delete_path("models", "model_file")),
            ("run with predict's models", meta,
             set_path("models", "model_file", "model.json")),
            ("predict without models", predict["metadata"], delete_path("models"))):
        cases += rejects(f"metadata with {what}", METADATA, doc, mutate)

    migration = documents["migrate"]["migrate --every quarter"]
    for what, mutate in (
            ("command run", set_path("metadata", "command", "run")),
            ("no transitions", delete_path("transitions")),
            ("a date that is not one", set_path("snapshots", 0, "as_of", "1997-13-01")),
            ("a share above 1", set_path("transitions", 0, "shares", 1, 0, 1.5)),
            ("a negative count", set_path("transitions", 0, "counts", 1, 0, -1)),
            ("a score of 0", set_path("transitions", 0, "moves", 0, "scores_after", [0, 1, 1])),
            ("an unknown key in a snapshot", set_path("snapshots", 0, "extra", 1)),
            ("edges 'last'", set_path("metadata", "migration", "edges", "last"))):
        cases += rejects(f"migration with {what}", MIGRATION, migration, mutate)

    segs = documents["segments"]
    plain, upgrade = segs["segments"], segs["segments --upgrade"]
    upgrade_no_model = segs["segments --upgrade --no-model"]
    forecast, no_model = segs["segments --forecast --draws 50"], segs["segments --no-model"]
    for what, doc, mutate in (
            ("a segment without customers", plain, delete_path("segments", 0, "customers")),
            ("a string count", plain, set_path("segments", 0, "customers", "499")),
            ("a fractional count", plain, set_path("segments", 0, "customers", 499.5)),
            ("a share above 1", plain, set_path("segments", 0, "share", 1.5)),
            ("mean_p_alive above 1", plain, set_path("segments", 0, "mean_p_alive", 1.2)),
            ("a mean score of 10", plain, set_path("segments", 0, "mean_r_score", 10)),
            ("an unknown key in a segment", plain, set_path("segments", 0, "rank", 1)),
            ("no segments", plain, set_path("segments", [])),
            ("a model field missing", plain, delete_path("segments", 0, "value_at_risk")),
            ("model fields without models", no_model,
             set_path("segments", 0, "clv", 1.0)),
            ("no model fields with models", plain,
             lambda d: [s.pop(k) for s in d["segments"]
                        for k in ("expected_purchases", "mean_p_alive", "clv", "value_at_risk")]),
            ("command run", plain, set_path("metadata", "command", "run")),
            ("top_segment without --upgrade", plain, set_path("top_segment", "Champions")),
            ("--upgrade without top_segment", upgrade, delete_path("top_segment")),
            ("--upgrade without one_purchase_to_top", upgrade,
             delete_path("segments", 1, "one_purchase_to_top")),
            ("upgrade_value without one_purchase_to_better", plain,
             lambda d: d["segments"][1].update(upgrade_value=1.0, upgrade_value_one_purchase=1.0)),
            ("upgrade_value without a model", upgrade_no_model,
             lambda d: d["segments"][1].update(upgrade_value=1.0, upgrade_value_one_purchase=1.0)),
            ("--upgrade with a model but no upgrade_value", upgrade,
             lambda d: [d["segments"][1].pop(k)
                        for k in ("upgrade_value", "upgrade_value_one_purchase")]),
            ("one_purchase_to_better without the upgrade metadata", upgrade,
             delete_path("metadata", "upgrade")),
            ("a negative one_purchase_to_top", upgrade,
             set_path("segments", 1, "one_purchase_to_top", -1)),
            ("--forecast without forecast_total", forecast, delete_path("forecast_total")),
            ("a segment without its forecast", forecast, delete_path("segments", 0, "forecast")),
            ("a forecast without low", forecast,
             delete_path("segments", 0, "forecast", "purchases", "low")),
            ("a negative forecast sd", forecast,
             set_path("forecast_total", "revenue", "sd", -1.0)),
            ("forecast metadata without models", forecast, delete_path("metadata", "models")),
            ("a forecast without the forecast metadata", forecast,
             delete_path("metadata", "forecast")),
            ("a cross table without counts", plain,
             delete_path("cross_tables", "r_by_m", "counts")),
            ("a cross table's rows f_score", plain,
             set_path("cross_tables", "r_by_f", "rows", "f_score")),
            ("a negative cross-table count", plain,
             set_path("cross_tables", "f_by_m", "counts", 0, 0, -1)),
            ("a fourth cross table", plain,
             set_path("cross_tables", "r_by_r", plain["cross_tables"]["r_by_f"])),
            ("an unknown top-level key", plain, set_path("summary", {}))):
        cases += rejects(f"segments with {what}", SEGMENTS, doc, mutate)

    for what, mutate in (
            ("negative alpha", set_path("bgnbd", "parameters", "alpha", "value", -1.0)),
            ("zero r", set_path("bgnbd", "parameters", "r", "value", 0)),
            ("q <= 1", set_path("gamma_gamma", "parameters", "q", "value", 0.9)),
            ("a negative interval end", set_path("gamma_gamma", "parameters", "p", "ci95",
                                                 [-1.0, 2.0])),
            ("format clvkit-mode", set_path("format", "clvkit-mode")),
            ("format_version 2", set_path("format_version", 2)),
            ("no calibration", delete_path("calibration")),
            ("calibration as_of not a date", set_path("calibration", "as_of", "1997-09")),
            ("an unknown top-level key", set_path("segments", {})),
            ("an extra key in gamma_gamma", set_path("gamma_gamma", "extra", 1)),
            ("time_unit missing", delete_path("time_unit"))):
        cases += rejects(f"model file with {what}", MODEL_FILE, model, mutate)
    return cases


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: validate_outputs.py CLVKIT")
    cli = str(pathlib.Path(sys.argv[1]).resolve())
    work = pathlib.Path(tempfile.mkdtemp(prefix="clvkit-schema-"))
    try:
        documents = produce_and_validate(cli, work)
        cases = check_negative_cases(documents)
    finally:
        shutil.rmtree(work)
    for failure in failures:
        print("schema: FAIL " + failure, file=sys.stderr)
    if failures:
        return 1
    print(f"schema: {len(validated)} outputs validate (jsonschema "
          f"{importlib.metadata.version('jsonschema')}, {jsonschema.__file__}):")
    for what in validated:
        print("  " + what)
    print(f"schema: {cases} broken documents rejected")
    return 0


if __name__ == "__main__":
    sys.exit(main())

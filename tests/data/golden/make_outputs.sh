#!/usr/bin/env bash
# Writes every output a refactor must leave unchanged into DIR, from the CDNOW sample and a
# simulated 100,000-customer log, and prints "sha256  file" for each (sorted by file name).
#
#   tests/data/golden/make_outputs.sh CLVKIT DIR
#
# The one difference allowed (issue 11): the metadata's and the report's segment-scheme source was
# a path into the source tree (".../models/segments/rfm11.json") and is now the built-in scheme's
# name ("built-in:rfm11"); the old form is rewritten to the new before hashing, so hashes recorded
# from an old build (hashes.sha256) compare with a new one. Commands run inside DIR on copies of
# the logs so that the input paths in the metadata do not depend on where the repository is.
set -euo pipefail
clvkit=$(realpath "$1")
dir=$2
root=$(cd "$(dirname "$0")/../../.." && pwd)
mkdir -p "$dir"
cd "$dir"
cp "$root/data/cdnow.csv" cdnow.csv

"$clvkit" simulate --customers 100000 --seed 7 -o sim.csv 2> simulate.err

# CDNOW: every command and format.
"$clvkit" run cdnow.csv -q -o run.json
"$clvkit" run cdnow.csv -q --format ndjson -o run.ndjson
"$clvkit" run cdnow.csv -q --format csv -o run.csv
"$clvkit" run cdnow.csv -q --no-model -o run-no-model.json
"$clvkit" run cdnow.csv -q --segments rfm8 --time-unit day --horizon 26w --margin 0.3 -o run-rfm8.json
"$clvkit" run cdnow.csv -q --segments rfm11-thresholds --monthly-discount-rate 0.01 -o run-thresholds.json
"$clvkit" segments cdnow.csv -q -o segments.txt
"$clvkit" segments cdnow.csv -q --format json -o segments.json
"$clvkit" segments cdnow.csv -q --forecast --draws 300 -o segments-forecast.txt
"$clvkit" segments cdnow.csv -q --forecast --draws 300 --fixed-parameters --format json -o segments-forecast.json
"$clvkit" fit cdnow.csv -o model.json 2> fit.txt
"$clvkit" fit cdnow.csv --time-unit day -q -o model-day.json
"$clvkit" predict cdnow.csv --model model.json -o predict.json
"$clvkit" predict cdnow.csv --model model-day.json --format csv -o predict.csv
"$clvkit" validate cdnow.csv -q --calibration-end 1997-09-30 -o validate.txt
"$clvkit" validate cdnow.csv -q --calibration-end 1997-09-30 --format json -o validate.json
"$clvkit" validate cdnow.csv -q --calibration-end 1997-09-30 --tracking-step day --time-unit day --format json -o validate-day.json
"$clvkit" report cdnow.csv -q -o report.html
"$clvkit" report cdnow.csv -q --calibration-end 1997-09-30 --currency USD -o report-holdout.html

# The simulated log: a larger base.
"$clvkit" run sim.csv -q --format ndjson -o sim-run.ndjson
"$clvkit" segments sim.csv -q --format json -o sim-segments.json
"$clvkit" fit sim.csv -o sim-model.json 2> sim-fit.txt
"$clvkit" predict sim.csv --model sim-model.json --format csv -o sim-predict.csv
"$clvkit" validate sim.csv -q --calibration-end 2025-03-31 --format json -o sim-validate.json
"$clvkit" report sim.csv -q --forecast-draws 50 --calibration-end 2025-03-31 -o sim-report.html

rm cdnow.csv
for file in *; do
  sed -i -E 's#[^"( ]*models/segments/([A-Za-z0-9_-]+)\.json#built-in:\1#g' "$file"
done
sha256sum -- * | sort -k2

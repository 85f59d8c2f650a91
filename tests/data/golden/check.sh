#!/usr/bin/env bash
# ctest "golden: outputs byte-identical to hashes.sha256": runs make_outputs.sh with the built CLI
# in a temporary directory (removed afterwards) and compares every file's hash with the recorded one.
#   tests/data/golden/check.sh CLVKIT
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$here/make_outputs.sh" "$1" "$work/out" > "$work/hashes"
if ! diff -u "$here/hashes.sha256" "$work/hashes"; then
  echo "golden: outputs differ from tests/data/golden/hashes.sha256 (lines marked - and +)" >&2
  exit 1
fi
echo "golden: $(wc -l < "$work/hashes") outputs byte-identical"

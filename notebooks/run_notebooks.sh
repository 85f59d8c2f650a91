#!/usr/bin/env bash
# Executes every notebook in notebooks/ top to bottom against a clvkit binary, as CI does:
#
#   notebooks/run_notebooks.sh [path/to/clvkit]        (default: build/clvkit)
#
# Uses Debian's Python (/usr/bin/python3 with python3-nbconvert, python3-ipykernel,
# python3-pandas, python3-matplotlib; tools/setup installs them) whatever python3 comes first on
# PATH, and runs the kernel from a kernelspec of our own in a temporary JUPYTER_PATH, so a
# user's or a virtualenv's "python3" kernel cannot shadow it. Executed copies go to a temporary
# directory; the committed notebooks are not modified. Fails (exit 1) when a committed notebook
# carries outputs or execution counts, when a cell raises, or when the kernel was not
# /usr/bin/python3.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(dirname "$here")"
python=/usr/bin/python3

clvkit="${1:-$repo/build/clvkit}"
if [ ! -x "$clvkit" ]; then
  echo "run_notebooks: no clvkit executable at '$clvkit' (build it with tools/setup)" >&2
  exit 1
fi
clvkit="$(cd "$(dirname "$clvkit")" && pwd)/$(basename "$clvkit")"

if ! "$python" -c 'import nbconvert, nbclient, ipykernel, pandas, matplotlib' 2>/dev/null; then
  echo "run_notebooks: $python lacks nbconvert, ipykernel, pandas or matplotlib; install" \
       "python3-nbconvert python3-ipykernel python3-pandas python3-matplotlib (tools/setup does)" >&2
  exit 1
fi

shopt -s nullglob
notebooks=("$here"/*.ipynb)
if [ ${#notebooks[@]} -eq 0 ]; then
  echo "run_notebooks: no notebooks in $here" >&2
  exit 1
fi

# Committed notebooks must be clean: no outputs, execution counts or execution timestamps.
"$python" - "${notebooks[@]}" <<'EOF'
import json
import sys

dirty = []
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        cells = json.load(f)["cells"]
    for number, cell in enumerate(cells, start=1):
        if cell["cell_type"] != "code":
            continue
        if cell.get("outputs") or cell.get("execution_count") is not None:
            dirty.append(f"{path}: cell {number} has outputs or an execution count")
        elif "execution" in cell.get("metadata", {}):
            dirty.append(f"{path}: cell {number} has execution timestamps in its metadata")
if dirty:
    print("\n".join(dirty), file=sys.stderr)
    print("run_notebooks: clear them before committing: /usr/bin/jupyter-nbconvert --clear-output "
          "--ClearMetadataPreprocessor.enabled=True "
          "--ClearMetadataPreprocessor.clear_notebook_metadata=False --inplace notebooks/*.ipynb",
          file=sys.stderr)
    sys.exit(1)
EOF

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# A private Jupyter environment: our own "python3" kernelspec first on JUPYTER_PATH, no user
# data, config or IPython profile, a non-interactive matplotlib backend, scratch files in $tmp.
mkdir -p "$tmp/jupyter/kernels/python3" "$tmp/out" "$tmp/scratch"
cat >"$tmp/jupyter/kernels/python3/kernel.json" <<EOF
{
  "argv": ["$python", "-m", "ipykernel_launcher", "-f", "{connection_file}"],
  "display_name": "Python 3 (Debian)",
  "language": "python"
}
EOF
export JUPYTER_PATH="$tmp/jupyter"
export JUPYTER_DATA_DIR="$tmp/data"
export JUPYTER_CONFIG_DIR="$tmp/config"
export JUPYTER_RUNTIME_DIR="$tmp/runtime"
export IPYTHONDIR="$tmp/ipython"
export MPLBACKEND=Agg
export MPLCONFIGDIR="$tmp/matplotlib"
export PYTHONNOUSERSITE=1
export TMPDIR="$tmp/scratch"  # the notebooks' scratch directories, removed with $tmp
export PYDEVD_DISABLE_FILE_VALIDATION=1
unset PYTHONPATH PYTHONHOME
export CLVKIT="$clvkit"

kernel_python="$("$python" -c '
from jupyter_client.kernelspec import KernelSpecManager
print(KernelSpecManager().get_kernel_spec("python3").argv[0])')"
if [ "$kernel_python" != "$python" ]; then
  echo "run_notebooks: kernel python3 resolves to '$kernel_python', not $python" >&2
  exit 1
fi

echo "run_notebooks: clvkit $clvkit, kernel $kernel_python" >&2
failed=()
for notebook in "${notebooks[@]}"; do
  name="$(basename "$notebook")"
  start=$SECONDS
  # nbconvert runs the kernel in the notebook's directory (notebooks/), as Jupyter does.
  if "$python" -m nbconvert --to notebook --execute \
       --ExecutePreprocessor.kernel_name=python3 --ExecutePreprocessor.timeout=300 \
       --output-dir "$tmp/out" "$notebook" 2>"$tmp/$name.log" &&
     "$python" - "$tmp/out/$name" "$python" <<'EOF'
import json
import sys

# The setup cell prints "python: <sys.executable>": check the kernel really was Debian's python.
path, expected = sys.argv[1], sys.argv[2]
with open(path, encoding="utf-8") as f:
    cells = json.load(f)["cells"]
printed = "".join("".join(output.get("text", "")) for cell in cells if cell["cell_type"] == "code"
                  for output in cell["outputs"] if output["output_type"] == "stream")
if f"python: {expected}\n" not in printed:
    sys.exit(f"{path}: the kernel did not report 'python: {expected}'")
EOF
  then
    echo "run_notebooks: $name ok ($((SECONDS - start)) s)" >&2
  else
    cat "$tmp/$name.log" >&2
    echo "run_notebooks: $name FAILED ($((SECONDS - start)) s)" >&2
    failed+=("$name")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  echo "run_notebooks: ${#failed[@]} of ${#notebooks[@]} notebooks failed: ${failed[*]}" >&2
  exit 1
fi
echo "run_notebooks: all ${#notebooks[@]} notebooks ran top to bottom" >&2

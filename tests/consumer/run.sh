#!/usr/bin/env bash
# ctest "install: consumer project builds against the installed package and runs on CDNOW".
#   tests/consumer/run.sh BUILD_DIR [CMAKE [CXX_COMPILER]]
# Installs the already built tree BUILD_DIR (cmake --install: nothing is rebuilt, so it is safe
# beside other tests) into a fresh temporary prefix, checks what is installed, builds this
# directory's project against it with find_package(clvkit), runs it on data/cdnow.csv, runs the
# installed CLI from a directory outside the source tree, and removes the temporary directories.
set -euo pipefail
build=$(cd "$1" && pwd)
cmake=${2:-cmake}
cxx=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
prefix=$work/prefix

fail() {
  echo "install: $*" >&2
  exit 1
}

"$cmake" --install "$build" --prefix "$prefix" > "$work/install.log" ||
  { cat "$work/install.log" >&2; fail "cmake --install failed"; }

# What is installed: the library, the CLI, the headers and the CMake package, nothing pointing
# back into the source or build tree, and no scheme or language files (they are compiled in).
for file in lib/libclvkit.a bin/clvkit include/clvkit/rfm/segments.hpp \
            lib/cmake/clvkit/clvkitConfig.cmake lib/cmake/clvkit/clvkitConfigVersion.cmake \
            lib/cmake/clvkit/clvkitTargets.cmake; do
  [[ -e $prefix/$file ]] || fail "$file is not installed"
done
if grep -rlF -e "$root" -e "$build" "$prefix/lib/cmake"; then
  fail "the installed CMake package names the source or build tree (files above)"
fi
[[ -z $(find "$prefix" -name '*.json') ]] || fail "scheme files were installed: they are built in"
# Every header an installed header includes with quotes is installed too.
missing=0
while IFS= read -r line; do
  header=${line%%:*}
  included=$(sed -E 's/.*#include "([^"]+)".*/\1/' <<< "${line#*:}")
  if [[ ! -f $prefix/include/$included ]]; then
    echo "install: ${header#"$prefix/"} includes $included, which is not installed" >&2
    missing=1
  fi
done < <(grep -rH '^#include "' "$prefix/include")
((missing == 0)) || fail "installed headers include headers that are not installed"

# A project of its own, built against the prefix only.
"$cmake" -S "$here" -B "$work/build" -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_BUILD_TYPE=Release \
  ${cxx:+-DCMAKE_CXX_COMPILER="$cxx"} > "$work/configure.log" 2>&1 ||
  { cat "$work/configure.log" >&2; fail "configuring tests/consumer against the prefix failed"; }
"$cmake" --build "$work/build" > "$work/build.log" 2>&1 ||
  { cat "$work/build.log" >&2; fail "building tests/consumer against the prefix failed"; }

cd "$work"
"$work/build/clvkit_consumer" "$root/data/cdnow.csv" > consumer.txt ||
  { cat consumer.txt >&2; fail "clvkit_consumer failed"; }
cat consumer.txt
# CDNOW as of its last day (1998-06-30): 2357 customers from 6919 rows, and the first customers'
# segments and values exactly as `clvkit run data/cdnow.csv` writes them (README, first record:
# customer 1, Champions, p_alive 0.661119521143, clv 29.7841906592, value_at_risk 15.2669532061).
grep -qx '2357 customers, 6919 rows read; BG/NBD fit: converged' consumer.txt ||
  fail "unexpected first line"
grep -qx '1 Champions            p_alive 0.661  CLV 29.78  at risk 15.27' consumer.txt ||
  fail "unexpected record of customer 1 (clvkit run: Champions, p_alive 0.6611, clv 29.784)"
[[ $(wc -l < consumer.txt) == 4 ]] || fail "expected a summary line and three customers"

# The installed CLI, run outside the source tree, uses the compiled-in scheme.
"$prefix/bin/clvkit" segments "$root/data/cdnow.csv" -q --format json -o segments.json ||
  fail "the installed clvkit segments failed"
grep -qF '"source": "built-in:rfm11"' segments.json ||
  fail "the installed clvkit did not use the built-in rfm11"
# ... and the compiled-in language catalogues (issue 17): the Chinese table and report.
"$prefix/bin/clvkit" segments "$root/data/cdnow.csv" -q --lang zh -o segments-zh.txt ||
  fail "the installed clvkit segments --lang zh failed"
grep -qF '冠军客户' segments-zh.txt || fail "the installed clvkit did not write the Chinese labels"
"$prefix/bin/clvkit" report "$root/data/cdnow.csv" -q --lang es -o report-es.html ||
  fail "the installed clvkit report --lang es failed"
grep -qF 'Informe de la base de clientes' report-es.html ||
  fail "the installed clvkit did not write the Spanish report"
echo "install: consumer and installed CLI OK"

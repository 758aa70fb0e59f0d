#!/usr/bin/env bash
# `mfdd compare` and `mfdd study` on bad input: one line on stderr naming the
# parameter, exit status 2, nothing written; a folder holding a different
# study is refused and left as it was.
set -u
mfdd="$MFDD_BINARY"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
cp "$MFDD_SOURCE_DIR/params/study_quick.prm" study.prm
sed -i 's|^\( *set Folder *=\).*|\1 out|' study.prm
cp "$MFDD_SOURCE_DIR/params/compare_isotropic.prm" compare.prm
sed -i 's|^\( *set Folder *=\).*|\1 out|' compare.prm
source "$MFDD_SOURCE_DIR/tests/cli_expect_error.sh"

expect_error "Study/Widths N" study study.prm --set "Study/Widths N="
expect_error "Study/Widths N" study study.prm --set "Study/Widths N=100, 0"
expect_error "Study/Widths N" study study.prm --set "Study/Widths N=-5"
expect_error "Widths N" study study.prm --set "Study/Widths N=100.5"
expect_error "Study/Step sizes epsilon" study study.prm --set "Study/Step sizes epsilon="
expect_error "Study/Step sizes epsilon" study study.prm --set "Study/Step sizes epsilon=1e-3, 0"
expect_error "Study/Step sizes epsilon" study study.prm --set "Study/Step sizes epsilon=-1e-3"
expect_error "Study/Dimensions d" study study.prm --set "Study/Dimensions d="
expect_error "Study/Dimensions d" study study.prm --set "Study/Dimensions d=0, 10"
expect_error "Study/Dimensions d" study study.prm --set "Problem/Data model=anisotropic" \
  --set "Problem/Signal block size s0=5" --set "Comparison/Test functions=exp(-r1^2)" --set "Study/Dimensions d=5, 20"
expect_error "Study/Seeds" study study.prm --set "Study/Seeds="
expect_error "Study/Dimension check N" study study.prm --set "Study/Dimension check N=7"
expect_error "Comparison/Test functions" study study.prm --set "Comparison/Test functions=exp(-q)"
expect_error "Comparison/Seeds" compare compare.prm --set "Comparison/Seeds="
expect_error "Comparison/Seeds" compare compare.prm --set "Comparison/Seeds=1, -2"
expect_error "Comparison/Test functions" compare compare.prm --set "Comparison/Test functions=min(r, 1); r +"

# A folder that holds another study: refused, files untouched.
mkdir out
echo "subsection Study
  set Widths N = 1
end" > out/study_definition.prm
echo "N,epsilon,d,seed" > out/study.csv
cp out/study.csv before.csv
"$mfdd" study study.prm >stdout.txt 2>stderr.txt
status=$?
if [ "$status" -ne 2 ] || ! grep -qF "start fresh" stderr.txt || ! cmp -s out/study.csv before.csv || [ -e out/parameters.prm ]; then
  echo "FAIL: a folder holding a different study: status $status"; cat stderr.txt
  failures=$((failures + 1))
else
  echo "ok: $(cat stderr.txt)"
fi
rm -rf out

echo "$failures failed"
[ "$failures" -eq 0 ]

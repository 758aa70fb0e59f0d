#!/usr/bin/env bash
# `mfdd compare` and `mfdd study` on a tiny problem: the files and columns it
# documents; a study gives the same numbers on one and two MPI ranks; a rerun
# after an interruption computes only the missing runs.
set -eu
mfdd="$MFDD_BINARY"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
tiny=(--set "Problem/Final time=0.2" --set "Output/Output interval=0.1" --set "SGD/Exact risk every=1")

"$mfdd" compare "$MFDD_SOURCE_DIR/params/compare_isotropic.prm" "${tiny[@]}" --set "Output/Folder=c" \
  --set "SGD/Number of neurons N=200" --set "SGD/Step size epsilon=1e-3" --set "Comparison/Seeds=1, 2" > compare.log
head -1 c/compare.csv | grep -qx "t,risk_pde,risk_sgd_mean,risk_sgd_std,self_interaction_mean,risk_gap,risk_gap_no_self,w1,test_gap_1,test_gap_2,test_gap_3"
[ "$(wc -l < c/compare.csv)" -eq 4 ]
grep -q '^w1,.*,2,$' c/compare_summary.csv
grep -q '^test_gap_1,.*,2,"exp(-r^2)"$' c/compare_summary.csv

study=(study "$MFDD_SOURCE_DIR/params/study_quick.prm" "${tiny[@]}" --set "Study/Widths N=20, 40"
       --set "Study/Step sizes epsilon=1e-2, 2e-2" --set "Study/Dimensions d=40" --set "Study/Seeds=1, 2"
       --set "Study/Plots=false")
"$mfdd" "${study[@]}" --set "Output/Folder=one" > one.log
mpirun -np 2 "$mfdd" "${study[@]}" --set "Output/Folder=two" > two.log
# same rows (without the wall time) in any order
strip() { cut -d, -f1-$(($(head -1 "$1" | tr ',' '\n' | wc -l) - 1)) "$1" | sort; }
diff <(strip one/study.csv) <(strip two/study.csv)
[ "$(wc -l < one/study.csv)" -eq 7 ]   # header + 3 configurations x 2 seeds
for f in study_summary.csv rates.csv report.md pde_error.csv study_definition.prm; do [ -s one/$f ]; done

# interrupt: keep the header and two runs, rerun: four runs computed
head -3 one/study.csv > cut.csv && cp cut.csv one/study.csv
"$mfdd" "${study[@]}" --set "Output/Folder=one" > resume.log
grep -q "6 runs, 4 to do" resume.log
diff <(strip one/study.csv) <(strip two/study.csv)
# a different study in the same folder is refused
if "$mfdd" "${study[@]}" --set "Output/Folder=one" --set "Study/Seeds=1, 2, 3" 2> refused.txt; then
  echo "FAIL: a different study was accepted"; exit 1
fi
grep -q "start fresh" refused.txt
echo "1 passed, 0 failed"

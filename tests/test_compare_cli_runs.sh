#!/usr/bin/env bash
# `mfdd compare` and `mfdd study` on a tiny problem: the files and columns it
# documents; a study (params/study_quick.prm shortened) gives the same numbers
# on one and two MPI ranks, at the sup over t and at its error times; a rerun
# after an interruption computes only the missing runs; an error time that is
# not an output time is refused.
set -eu
mfdd="$MFDD_BINARY"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
tiny=(--set "Problem/Final time=0.2" --set "Output/Output interval=0.1" --set "SGD/Exact risk every=1")

"$mfdd" compare "$MFDD_SOURCE_DIR/params/compare_isotropic.prm" "${tiny[@]}" --set "Output/Folder=c" \
  --set "SGD/Number of neurons N=200" --set "SGD/Step size epsilon=1e-3" --set "Comparison/Seeds=1, 2" > compare.log
head -1 c/compare.csv | grep -qx "t,risk_pde,risk_error_estimate,risk_sgd_mean,risk_sgd_std,self_interaction_mean,risk_gap,risk_gap_no_self,w1,test_gap_1,test_gap_2,test_gap_3"
[ "$(wc -l < c/compare.csv)" -eq 4 ]
grep -q '^w1,.*,2,nan,unknown,$' c/compare_summary.csv
grep -q '^test_gap_1,.*,2,nan,unknown,"exp(-r^2)"$' c/compare_summary.csv
# the 1D PDE's risk error (about 1e-8) is far below the gaps at N = 200
grep -q '^risk_gap,.*,2,[0-9.e-]*,yes,$' c/compare_summary.csv
# without the estimate the risk gaps are not claimed resolved
"$mfdd" compare "$MFDD_SOURCE_DIR/params/compare_isotropic.prm" "${tiny[@]}" --set "Output/Folder=c0" \
  --set "SGD/Number of neurons N=200" --set "SGD/Step size epsilon=1e-3" --set "Comparison/Seeds=1" \
  --set "PDE/Risk error estimate=false" > compare0.log
grep -q '^risk_gap,.*,1,nan,unknown,$' c0/compare_summary.csv
# a PDE coarse enough that its risk error is not 10x below the gap is flagged
"$mfdd" compare "$MFDD_SOURCE_DIR/params/compare_isotropic.prm" "${tiny[@]}" --set "Output/Folder=c1" \
  --set "SGD/Number of neurons N=20000" --set "SGD/Step size epsilon=1e-4" --set "Comparison/Seeds=1" \
  --set "PDE/Subdivisions=4" --set "PDE/Degree=1" > compare1.log
grep -q '^risk_gap,.*,1,[0-9.e-]*,no,$' c1/compare_summary.csv
grep -q 'risk_gap = .*NOT RESOLVED' compare1.log

study=(study "$MFDD_SOURCE_DIR/params/study_quick.prm" "${tiny[@]}" --set "Study/Widths N=20, 40"
       --set "Study/Step sizes epsilon=1e-2, 2e-2" --set "Study/Dimensions d=40" --set "Study/Seeds=1, 2"
       --set "Study/Error times=0.1, 0.2" --set "Study/Plots=false")
"$mfdd" "${study[@]}" --set "Output/Folder=one" > one.log
mpirun -np 2 "$mfdd" "${study[@]}" --set "Output/Folder=two" > two.log
# same rows (without the wall time) in any order
strip() { cut -d, -f1-$(($(head -1 "$1" | tr ',' '\n' | wc -l) - 1)) "$1" | sort; }
diff <(strip one/study.csv) <(strip two/study.csv)
[ "$(wc -l < one/study.csv)" -eq 7 ]   # header + 3 configurations x 2 seeds
for f in study_summary.csv study_summary_by_time.csv rates.csv report.md pde_error.csv study_definition.prm \
         bias_fluctuation.csv bias_fluctuation_rates.csv; do
  [ -s one/$f ]
done
head -1 one/study.csv | grep -q ",test_gap_2,risk_gap@0.1,.*,test_gap_2@0.2,risk_difference_no_self@0.1,test_difference_1@0.1,.*,test_difference_2@0.2,risk_standard_error,seconds$"
# bias and fluctuation: 3 quantities x 2 times x 3 configurations, the N-exponents in the report
[ "$(wc -l < one/bias_fluctuation.csv)" -eq 19 ]
grep -q "## Bias and fluctuation of the signed differences" one/report.md
[ "$(wc -l < one/study_summary_by_time.csv)" -eq 7 ]   # header + 2 times x 3 configurations
head -1 one/rates.csv | grep -q "^metric,t,sweep,"
[ "$(grep -c '^w1,sup,N,' one/rates.csv)" -eq 1 ] && [ "$(grep -c '^w1,0.2,N,' one/rates.csv)" -eq 1 ]
grep -q "## The risk gap: N^(-1/2) fluctuations or a 1/N law" one/report.md
if "$mfdd" "${study[@]}" --set "Output/Folder=times" --set "Study/Error times=0.15" 2> times.txt; then
  echo "FAIL: an error time between output times was accepted"; exit 1
fi
grep -q "Study/Error times" times.txt

# interrupt: keep the header and two runs, rerun: four runs computed
head -3 one/study.csv > cut.csv && cp cut.csv one/study.csv
"$mfdd" "${study[@]}" --set "Output/Folder=one" > resume.log
grep -q "6 runs, 4 to do" resume.log
diff <(strip one/study.csv) <(strip two/study.csv)
# a different study in the same folder is refused
if "$mfdd" "${study[@]}" --set "Output/Folder=one" --set "Problem/Delta=0.4" 2> refused.txt; then
  echo "FAIL: a different study was accepted"; exit 1
fi
grep -q "start fresh" refused.txt
# another run list (one more seed) resumes: only the new seed's three runs are computed
"$mfdd" "${study[@]}" --set "Output/Folder=one" --set "Study/Seeds=1, 2, 3" > extended.log
grep -q "9 runs, 3 to do" extended.log
test "$(tail -n +2 one/study.csv | wc -l)" -eq 9
# the 2D settings: (a, r) with a trainable second layer and (r1, r2), per metric and time
two_d=(--set "Problem/Final time=0.2" --set "Output/Output interval=0.1" --set "Study/Widths N=20, 40"
       --set "Study/Step sizes epsilon=1e-2, 2e-2" --set "Study/Dimensions d=40" --set "Study/Seeds=1, 2"
       --set "Study/Error times=0.1, 0.2" --set "Study/Plots=false" --set "SGD/Exact risk every=1"
       --set "Study/Width sweep epsilon=0")
"$mfdd" study "$MFDD_SOURCE_DIR/params/study_full_amplitude_radius.prm" "${two_d[@]}" \
  --set "PDE/Subdivisions=12" --set "PDE/Potential nodes=24" --set "Output/Folder=amplitude" > amplitude.log
"$mfdd" study "$MFDD_SOURCE_DIR/params/compare_two_radii.prm" "${two_d[@]}" \
  --set "PDE/Potential nodes=12" --set "Output/Folder=radii" > radii.log
for coordinates in "amplitude w1_a w1_r" "radii w1_r1 w1_r2"; do
  set -- $coordinates
  head -1 $1/study.csv | grep -q ",$2,$3,sliced_w1,.*,sliced_w1@0.2,"
  [ "$(wc -l < $1/study.csv)" -eq 7 ]
  for metric in $2 $3 sliced_w1; do grep -q "^$metric,0.2,N,40," $1/rates.csv; done
done
# the 3D setting (a, r1, r2), a short horizon on a coarse mesh
"$mfdd" study "$MFDD_SOURCE_DIR/params/compare_amplitude_two_radii.prm" "${two_d[@]}" \
  --set "Problem/Final time=0.02" --set "Output/Output interval=0.01" --set "Study/Error times=0.01, 0.02" \
  --set "Study/Step sizes epsilon=1e-3, 2e-3" \
  --set "PDE/Potential nodes=12" --set "PDE/Sample cells=16" --set "PDE/Subdivisions=6" \
  --set "Output/Folder=three" > three.log
head -1 three/study.csv | grep -q ",w1_a,w1_r1,w1_r2,sliced_w1,.*,sliced_w1@0.02,"
[ "$(wc -l < three/study.csv)" -eq 7 ]
for metric in w1_a w1_r1 w1_r2 sliced_w1 test_gap_3; do grep -q "^$metric,0.02,N,40," three/rates.csv; done
echo "1 passed, 0 failed"

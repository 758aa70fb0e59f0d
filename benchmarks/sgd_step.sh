#!/bin/bash
# SGD step benchmark: bash benchmarks/sgd_step.sh <build folder> [repeats, default 3]
# The C++ step against a plain NumPy step of the same algorithm, both timed in
# this run, repeated: the summary gives the best run and the spread (min-max)
# and says for each speed goal whether it is met.
set -e
build=${1:?usage: sgd_step.sh <build folder> [repeats]}
repeats=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "uptime: $(uptime)"
for run in $(seq 1 "$repeats"); do
  echo "=== run $run of $repeats"
  # The first run also measures the exact-risk share; the others only the table.
  if [ "$run" = 1 ]; then mode=""; else mode=table; fi
  "$build/benchmarks/sgd_step" $mode | sed 's/^/cpp: /' | tee -a "$log"
  /usr/bin/python3 "$here/sgd_step.py" | sed 's/^/numpy: /' | tee -a "$log"
  mpirun -np 1 "$build/benchmarks/sgd_step" scaling 100000 100 | tee -a "$log"
  mpirun -np 2 "$build/benchmarks/sgd_step" scaling 100000 100 | tee -a "$log"
done
# A load average above ~1 means other processes shared the cores: the 2-rank
# speedup (wall time) then says little.
echo "uptime: $(uptime)"
/usr/bin/python3 - "$log" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
runs = {}  # (N,d) -> list of (steps/s, fraction of AVX2 peak, fraction of bandwidth bound)
numpy, ceiling, scaling = {}, {}, {1: [], 2: []}
risk_share = None
for line in lines:
    m = re.match(r"cpp: (\d+),(\d+),([\d.]+),[\d.]+,([\d.]+),[\d.]+,[\d.]+,([\d.]+)$", line)
    if m:
        runs.setdefault((int(m[1]), int(m[2])), []).append(tuple(map(float, m.group(3, 4, 5))))
    m = re.match(r"cpp: weight pass (\d+),(\d+): ([\d.]+) passes/s", line)
    if m:
        ceiling.setdefault((int(m[1]), int(m[2])), []).append(float(m[3]))
    m = re.match(r"numpy: (\d+),(\d+),([\d.]+),", line)
    if m:
        numpy.setdefault((int(m[1]), int(m[2])), []).append(float(m[3]))
    m = re.search(r"automatic period \d+: [\d.]+ s \(R_N share ([\d.]+)%\)", line)
    if m:
        risk_share = float(m[1])
    m = re.match(r"scaling .* ranks=(\d) steps/s=([\d.]+)", line)
    if m:
        scaling[int(m[1])].append(float(m[2]))

def spread(values, fmt="{:.0f}"):
    return f"best {fmt.format(max(values))} (min {fmt.format(min(values))}, {len(values)} runs)"

def verdict(ok):
    return "met" if ok else "NOT met"

print("--- summary: best of the runs and spread")
goals = []
for (N, d), rows in sorted(runs.items()):
    rate = [r[0] for r in rows]
    print(f"C++   {N},{d}: steps/s {spread(rate)}; fraction of AVX2 peak {spread([r[1] for r in rows], '{:.3f}')}; "
          f"x bandwidth bound {spread([r[2] for r in rows], '{:.2f}')}")
    print(f"NumPy {N},{d}: steps/s {spread(numpy[(N, d)])}")
    ratio = max(rate) / max(numpy[(N, d)])
    pairs = [c / p for c, p in zip(rate, numpy[(N, d)])]
    print(f"ratio {N},{d}: {ratio:.1f}x (best / best; per run {min(pairs):.1f}x-{max(pairs):.1f}x)")
    # No step can beat one read-and-write pass over the weights.
    cap = max(ceiling[(N, d)]) / max(numpy[(N, d)])
    print(f"ceiling {N},{d}: weight pass {spread(ceiling[(N, d)])} passes/s = {cap:.1f}x NumPy")
    goals.append((f"C++ / NumPy >= 30x at ({N}, {d})", f"{ratio:.1f}x (ceiling of any step: {cap:.1f}x)", ratio >= 30))
    if (N, d) == (1000, 40):
        best = max(r[1] for r in rows)
        goals.append(("fraction of one core's AVX2 FMA peak >= 0.25 at (1000, 40)", f"{best:.3f}", best >= 0.25))
    if (N, d) == (10000, 100):
        best = max(r[2] for r in rows)
        goals.append(("steps/s >= 0.5 x bandwidth-bound steps/s at (10000, 100)", f"{best:.2f} x bound", best >= 0.5))
speedups = [two / one for one, two in zip(scaling[1], scaling[2])]
speedup = max(scaling[2]) / max(scaling[1])
print(f"1 rank  N=1e5,d=100: steps/s {spread(scaling[1])}")
print(f"2 ranks N=1e5,d=100: steps/s {spread(scaling[2])}")
print(f"2-rank speedup: {speedup:.2f} (best / best; per run {min(speedups):.2f}-{max(speedups):.2f})")
goals.append(("2-rank speedup >= 1.7 at N = 1e5, d = 100", f"{speedup:.2f}", speedup >= 1.7))
if risk_share is not None:
    goals.append(("exact-risk recording (automatic period) does not dominate a run with 200 output times (share < 50%)",
                  f"{risk_share:.1f}%", risk_share < 50))
print("--- speed goals")
for name, value, ok in goals:
    print(f"{name}: {value}: {verdict(ok)}")
PY

#!/bin/bash
# SGD step benchmark: bash benchmarks/sgd_step.sh <build folder> [repeats, default 3]
# Measured in each run, on one core: the FMA peak, the step by step update
# (SGD/Block length = 1) and the blocked one (the default block length) at
# (N, d) = (1000, 40), (10000, 100), (100000, 100); whole `mfdd sgd` processes
# (start-up and output included) with both updates; a plain NumPy step of the
# same algorithm; the 2-rank speedup at N = 1e5. The summary gives the best
# run and the spread (min-max) and says for each speed goal whether it is met.
set -e
build=${1:?usage: sgd_step.sh <build folder> [repeats]}
repeats=${2:-3}
here=$(cd "$(dirname "$0")" && pwd)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
log=$(mktemp)
work=$(mktemp -d)
trap 'rm -rf "$log" "$work"' EXIT

# steps/s of a whole `mfdd sgd` process: T = 2 in <steps> steps, no R_N, one output time.
process_rate() {
  local N=$1 d=$2 steps=$3 length=$4
  local start end
  start=$(date +%s.%N)
  "$build/mfdd" sgd "$here/../params/sgd_radius.prm" --set "Problem/Dimension d=$d" \
    --set "SGD/Number of neurons N=$N" --set "SGD/Step size epsilon=$(python3 -c "print(2/$steps)")" \
    --set "SGD/Record exact risk=false" --set "SGD/Block length=$length" \
    --set "Output/Output interval=2" --set "Output/Write vtu=false" --set "Output/Folder=$work/sgd" > /dev/null
  end=$(date +%s.%N)
  python3 -c "print(f'{$steps / ($end - $start):.1f}')"
}

default_length=$("$build/mfdd" parameters | sed -n 's/^ *set Block length *= *//p')
echo "uptime: $(uptime)"
for run in $(seq 1 "$repeats"); do
  echo "=== run $run of $repeats"
  # The first run also measures the exact-risk share; the others only the table.
  if [ "$run" = 1 ]; then mode=""; else mode=table; fi
  "$build/benchmarks/sgd_step" $mode | sed 's/^/cpp: /' | tee -a "$log"
  for size in "1000 40 400000" "10000 100 20000" "100000 100 2000"; do
    set -- $size
    for length in 1 "$default_length"; do
      update=blocked
      [ "$length" = 1 ] && update=step
      echo "process: $1,$2,$update,$(process_rate "$1" "$2" "$3" "$length")" | tee -a "$log"
    done
  done
  /usr/bin/python3 "$here/sgd_step.py" | sed 's/^/numpy: /' | tee -a "$log"
  mpirun -np 1 "$build/benchmarks/sgd_step" scaling 100000 100 | tee -a "$log"
  mpirun -np 2 "$build/benchmarks/sgd_step" scaling 100000 100 | tee -a "$log"
done
# A load average above ~1 means other processes shared the cores: the 2-rank
# speedup (wall time) then says little.
echo "uptime: $(uptime)"
/usr/bin/python3 - "$log" "$default_length" <<'PY'
import re, sys
lines = open(sys.argv[1]).read().splitlines()
default = sys.argv[2]
kernel, process, numpy, scaling, lengths = {}, {}, {}, {1: [], 2: []}, {}
risk_share = None
for line in lines:
    m = re.match(r"cpp: (\d+),(\d+),(step|blocked),(\d+),([\d.]+),([\d.]+),([\d.]+),([\d.]+)$", line)
    if m:
        kernel.setdefault((int(m[1]), int(m[2]), m[3]), []).append((float(m[5]), float(m[6]), float(m[7])))
        if m[3] == "blocked":
            lengths[(int(m[1]), int(m[2]))] = int(m[4])
    m = re.match(r"process: (\d+),(\d+),(step|blocked),([\d.]+)$", line)
    if m:
        process.setdefault((int(m[1]), int(m[2]), m[3]), []).append(float(m[4]))
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

print(f"--- summary: best of the runs and spread (blocked: SGD/Block length = {default})")
goals = []
process_goal = {(1000, 40): 10, (10000, 100): 15, (100000, 100): 30}
for (N, d) in sorted({(N, d) for (N, d, _) in kernel}):
    for update in ("step", "blocked"):
        rows = kernel[(N, d, update)]
        name = "step by step" if update == "step" else f"blocked m={lengths[(N, d)]:<3}"
        print(f"kernel  {N},{d} {name}: steps/s {spread([r[0] for r in rows])}; GFLOP/s "
              f"{spread([r[1] for r in rows], '{:.1f}')}; fraction of AVX2 FMA peak {spread([r[2] for r in rows], '{:.3f}')}")
    old, new = max(r[0] for r in kernel[(N, d, "step")]), max(r[0] for r in kernel[(N, d, "blocked")])
    print(f"kernel  {N},{d}: blocked / step by step = {new / old:.2f}")
    ratios = {}
    for update in ("step", "blocked"):
        rate = process.get((N, d, update), [])
        if rate and (N, d) in numpy:
            ratios[update] = max(rate) / max(numpy[(N, d)])
            print(f"process {N},{d} {update}: steps/s {spread(rate)} = {ratios[update]:.1f}x NumPy "
                  f"(NumPy {spread(numpy[(N, d)], '{:.1f}')})")
    best = max(r[2] for r in kernel[(N, d, "blocked")])
    goals.append((f"blocked step >= 0.6 of one core's AVX2 FMA peak at ({N}, {d})", f"{best:.3f}", best >= 0.6))
    if "blocked" in ratios:
        goal = process_goal[(N, d)]
        goals.append((f"mfdd sgd process >= {goal}x NumPy at ({N}, {d})", f"{ratios['blocked']:.1f}x",
                      ratios["blocked"] >= goal))
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
    print(f"{name}: {value}: {'met' if ok else 'NOT met'}")
PY

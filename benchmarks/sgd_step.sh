#!/bin/bash
# Issue 4 benchmark: bash benchmarks/sgd_step.sh <build folder>
# The C++ step against a plain NumPy step of the same algorithm, both timed in this run.
set -e
build=${1:?usage: sgd_step.sh <build folder>}
here=$(cd "$(dirname "$0")" && pwd)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cpp=$("$build/benchmarks/sgd_step")
echo "$cpp"
echo "--- NumPy step (same algorithm, B = 1)"
numpy=$(/usr/bin/python3 "$here/sgd_step.py")
echo "$numpy"
echo "--- ratio C++ / NumPy (steps per second)"
for nd in "1000,40" "10000,100"; do
  c=$(echo "$cpp" | grep "^$nd," | cut -d, -f3)
  p=$(echo "$numpy" | grep "^$nd," | cut -d, -f3)
  echo "$nd: $(/usr/bin/python3 -c "print(round($c / $p, 1))")x"
done
echo "--- 2-rank speedup at N = 1e5, d = 100"
one=$(mpirun -np 1 "$build/benchmarks/sgd_step" scaling 100000 100)
two=$(mpirun -np 2 "$build/benchmarks/sgd_step" scaling 100000 100)
echo "$one"; echo "$two"
r1=$(echo "$one" | sed 's/.*steps\/s=\([0-9.]*\).*/\1/'); r2=$(echo "$two" | sed 's/.*steps\/s=\([0-9.]*\).*/\1/')
echo "speedup: $(/usr/bin/python3 -c "print(round($r2 / $r1, 2))")"

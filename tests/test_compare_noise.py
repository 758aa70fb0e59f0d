#!/usr/bin/env python3
"""Noisy SGD follows the noisy PDE (doc/theory.md §2, §3):
params/compare_noise.prm, shortened (N = 1000, T = 1, epsilon = 2e-4, two
seeds), must give a sup-in-time W1 between the neurons' radii and the PDE
below 0.02, and the noise must matter much more than that: the PDE's mean
radius at T moves by more than 5 times that bound between tau = 0 and the
file's tau (so a noise coefficient off by a factor 2 would fail the test)."""
import os
import sys
import tempfile

from shipped_file_runs import finish, rows, runner

work = tempfile.mkdtemp(prefix="test_compare_noise_")
run = runner("compare_noise.prm", ["--set", "Problem/Final time=1", "--set", "SGD/Step size epsilon=2e-4",
                   "--set", "Comparison/Seeds=1, 2", "--set", "Output/Output interval=0.25"])

bound = 0.02
run("compare", os.path.join(work, "noisy"))
summary = {row["metric"]: float(row["sup_mean"]) for row in rows(os.path.join(work, "noisy", "compare_summary.csv"))}
print("sup W1 =", summary["w1"])

run("pde", os.path.join(work, "pde_noisy"))
run("pde", os.path.join(work, "pde_noiseless"), ["--set", "Problem/Temperature tau=0"])
shift = abs(float(rows(os.path.join(work, "pde_noisy", "pde_diagnostics.csv"))[-1]["mean_r"]) -
            float(rows(os.path.join(work, "pde_noiseless", "pde_diagnostics.csv"))[-1]["mean_r"]))
print("mean radius shift by the noise =", shift)

failures = []
if not summary["w1"] < bound:
    failures.append(f"sup W1 {summary['w1']} >= {bound}")
if not shift > 5 * bound:
    failures.append(f"the noise moves the mean radius by only {shift}")
for f in failures:
    print("FAIL:", f)
finish(work, failures)

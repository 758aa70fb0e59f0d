#!/usr/bin/env python3
"""SGD in full dimension follows the (r1, r2) PDE with the exact two-block
kernel (doc/theory.md §4):
params/compare_two_radii.prm, shortened (N = 1000, T = 1, two seeds), must give
a sup-in-time risk gap (without the 1/N self-interaction) and sliced W1 below
0.02, while the large-d kernel moves the PDE's risk at T by more than 4 times
that bound (0.10 measured; so the test fails if the exact kernel were replaced
by it)."""
import os
import sys
import tempfile

from shipped_file_runs import finish, rows, runner

work = tempfile.mkdtemp(prefix="test_compare_two_radii_")
run = runner("compare_two_radii.prm", ["--set", "Problem/Final time=1", "--set", "SGD/Number of neurons N=1000",
                   "--set", "Comparison/Seeds=1, 2", "--set", "PDE/Potential nodes=24"])

bound = 0.02
run("compare", os.path.join(work, "exact"))
summary = {row["metric"]: float(row["sup_mean"]) for row in rows(os.path.join(work, "exact", "compare_summary.csv"))}
print("sup risk gap without self-interaction =", summary["risk_gap_no_self"], ", sup sliced W1 =", summary["sliced_w1"])

run("pde", os.path.join(work, "pde_exact"))
run("pde", os.path.join(work, "pde_large_d"), ["--set", "Problem/Kernel=large d"])
risk = {kernel: float(rows(os.path.join(work, "pde_" + kernel, "pde_diagnostics.csv"))[-1]["risk"])
        for kernel in ("exact", "large_d")}
print("PDE risk at T: exact kernel", risk["exact"], ", large-d kernel", risk["large_d"])

failures = []
for metric in ("risk_gap_no_self", "sliced_w1"):
    if not summary[metric] < bound:
        failures.append(f"sup {metric} {summary[metric]} >= {bound}")
if not abs(risk["exact"] - risk["large_d"]) > 4 * bound:
    failures.append(f"the large-d kernel moves the risk at T by only {abs(risk['exact'] - risk['large_d'])}")
for f in failures:
    print("FAIL:", f)
finish(work, failures)

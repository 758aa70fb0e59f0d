#!/usr/bin/env python3
"""Noisy SGD and the noisy PDE against the Gibbs state (doc/theory.md §8):
params/compare_gibbs.prm shortened to T = 4 with two seeds. By T = 4 the PDE
sits at the Gibbs state solved on its mesh (W1 below 1e-5, risk within 1e-6),
and the SGD neurons are within their N^(-1/2) fluctuation of it (W1 below
0.03). Without weight decay there is no Gibbs state and no compare_gibbs.csv."""
import os
import sys
import tempfile

from shipped_file_runs import finish, rows, runner

work = tempfile.mkdtemp(prefix="test_compare_gibbs_")
run = runner("compare_gibbs.prm", ["--set", "Problem/Final time=4", "--set", "Comparison/Seeds=1, 2"])

run("compare", os.path.join(work, "gibbs"))
gaps = {row["metric"]: row for row in rows(os.path.join(work, "gibbs", "compare_gibbs.csv"))}
print({m: (r["pde_final"], r["sgd_final_mean"]) for m, r in gaps.items()})

failures = []
if not float(gaps["w1"]["pde_final"]) < 1e-5:
    failures.append("PDE at T = 4 is not at the Gibbs state: W1 " + gaps["w1"]["pde_final"])
if not float(gaps["risk_gap"]["pde_final"]) < 1e-6:
    failures.append("PDE risk at T = 4 differs from the Gibbs risk by " + gaps["risk_gap"]["pde_final"])
if not float(gaps["w1"]["sgd_final_mean"]) < 0.03:
    failures.append("SGD neurons at T = 4 are W1 " + gaps["w1"]["sgd_final_mean"] + " from the Gibbs state")
if not float(gaps["w1"]["sgd_final_mean"]) > 10 * float(gaps["w1"]["pde_final"]):
    failures.append("the SGD gap is not a fluctuation above the PDE's")
if not os.path.exists(os.path.join(work, "gibbs", "gibbs.csv")):
    failures.append("gibbs.csv not written")

run("compare", os.path.join(work, "no_decay"), ["--set", "Problem/Weight decay lambda=0", "--set",
                                                "Problem/Final time=0.2"])
if os.path.exists(os.path.join(work, "no_decay", "compare_gibbs.csv")):
    failures.append("compare_gibbs.csv written without weight decay")
for f in failures:
    print("FAIL:", f)
finish(work, failures)

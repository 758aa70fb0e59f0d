#!/usr/bin/python3
"""Slow test: params/study_quick.prm on two MPI ranks meets the checks of
the width and step-size laws (doc/theory.md §5), checked here from the CSV files (not from report.md):

* exponent in N of W1, the test-function gaps and the risk gap without the
  self-interaction within [-0.65, -0.35] for every d;
* at the dimension-check N and the smallest epsilon, error at the largest d
  at most 1.5x the error at the smallest d;
* exponent in epsilon >= 0.35, reported with a finite 95% interval;
* the PDE's self-convergence error at least 10x below the smallest gap.
"""
import csv
import math
import os
import subprocess
import sys
import tempfile

mfdd = os.environ["MFDD_BINARY"]
source = os.environ["MFDD_SOURCE_DIR"]
work = tempfile.mkdtemp(prefix="mfdd_study_quick_")
folder = os.path.join(work, "quick")
command = ["mpirun", "-np", "2", mfdd, "study", os.path.join(source, "params", "study_quick.prm"),
           "--set", "Output/Folder=" + folder]
print(" ".join(command), flush=True)
subprocess.run(command, check=True)


def rows(name):
    with open(os.path.join(folder, name)) as f:
        return list(csv.DictReader(f))


def clean(metric):
    return metric.startswith("w1") or metric == "sliced_w1" or metric.startswith("test_gap") \
        or metric == "risk_gap_no_self"


failures = []


def check(ok, what):
    print(("ok:   " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)


rates = rows("rates.csv")
metrics = sorted({r["metric"] for r in rates})
dims = sorted({int(r["d"]) for r in rates if r["sweep"] == "N"})
check(len(dims) >= 2, "at least two dimensions d: %s" % dims)
check(any(m.startswith("test_gap") for m in metrics), "test functions are compared")

for r in rates:
    if not clean(r["metric"]):
        continue
    exponent, half = float(r["exponent"]), float(r["ci95_half_width"])
    where = "%s %s d=%s N=%s" % (r["metric"], r["sweep"], r["d"], r["N"])
    if r["sweep"] == "N":
        check(-0.65 <= exponent <= -0.35, "%s: exponent in N %.3f +- %.3f in [-0.65, -0.35]" % (where, exponent, half))
    elif r["sweep"] == "epsilon":
        check(exponent >= 0.35 and math.isfinite(half),
              "%s: exponent in epsilon %.3f +- %.3f >= 0.35" % (where, exponent, half))

summary = rows("study_summary.csv")
n_check = min(int(float(r["N"])) for r in summary)
eps_min = min(float(r["epsilon"]) for r in summary)
for m in metrics:
    if not clean(m):
        continue
    at = {int(r["d"]): float(r[m + "_mean"]) for r in summary
          if int(float(r["N"])) == n_check and math.isclose(float(r["epsilon"]), eps_min, rel_tol=1e-12)}
    ratio = at[max(at)] / at[min(at)]
    check(ratio <= 1.5, "%s: error at d=%d / error at d=%d = %.3f <= 1.5 (N=%d)" % (m, max(at), min(at), ratio, n_check))

for p in rows("pde_error.csv"):
    d = int(float(p["d"]))
    for m in metrics:
        if m == "risk_gap_no_self":
            continue
        smallest = min(float(r[m + "_mean"]) for r in summary if int(r["d"]) == d)
        check(10 * float(p[m]) <= smallest,
              "%s d=%d: PDE error %.3g at least 10x below the smallest gap %.3g" % (m, d, float(p[m]), smallest))

for png in ("error_vs_N.png", "error_vs_epsilon.png", "error_vs_D_epsilon.png"):
    check(os.path.getsize(os.path.join(folder, png)) > 1000, png + " written")
with open(os.path.join(folder, "report.md")) as f:
    report = f.read()
check("FAIL" not in report and "PASS" in report, "report.md states every acceptance check as passed")

print("%d failed" % len(failures))
sys.exit(1 if failures else 0)

#!/usr/bin/env python3
"""`PDE/Convergence study` (h, p, dt) of `mfdd pde`: the shipped
params/pde_convergence.prm (h) writes convergence.csv with decreasing errors
against the finest level; the dt study shows SSP-RK3's third order; the p
study gains orders of magnitude per degree on a resolved mesh; bad input
(too many p levels, a CFL number above the limiter's bound) exits with 2."""
import csv
import os
import subprocess
import sys
import tempfile
from shipped_file_runs import finish

mfdd = os.environ["MFDD_BINARY"]
prm = os.path.join(os.environ["MFDD_SOURCE_DIR"], "params", "pde_convergence.prm")
work = tempfile.mkdtemp(prefix="test_pde_convergence_study_")
failures = []
passed = 0


def check(condition, message):
    global passed
    print(("ok: " if condition else "FAIL: ") + message)
    if condition:
        passed += 1
    else:
        failures.append(message)


def study(name, settings):
    folder = os.path.join(work, name)
    command = [mfdd, "pde", prm, "--set", "Output/Folder=" + folder]
    for s in settings:
        command += ["--set", s]
    result = subprocess.run(command, capture_output=True, text=True)
    check(result.returncode == 0, f"{name}: exit {result.returncode} {result.stderr.strip()}")
    with open(os.path.join(folder, "convergence.csv")) as f:
        return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]


rows = study("h", [])
check(len(rows) == 3, f"h: 4 levels give 3 error rows (got {len(rows)})")
errors = [r["risk_error"] for r in rows]
check(all(a > b for a, b in zip(errors, errors[1:])), f"h: risk errors decrease {errors}")
check(rows[-1]["risk_order"] > 2, f"h: last observed risk order {rows[-1]['risk_order']:.2f} > 2")
check(errors[-1] < 1e-6, f"h: level 2 within 1e-6 of the finest in risk ({errors[-1]:.2e})")

rows = study("dt", ["PDE/Convergence study=dt", "PDE/Subdivisions=100"])
for r in rows[1:]:
    check(2.5 < r["risk_order"] < 3.6, f"dt: risk order {r['risk_order']:.2f} near 3 (SSP-RK3)")
check([r["dt_factor"] for r in rows] == [1, 0.5, 0.25], "dt: factors 1, 1/2, 1/4")

rows = study("p", ["PDE/Convergence study=p", "PDE/Degree=1", "PDE/CFL number=0.08", "PDE/Subdivisions=100"])
check([r["degree"] for r in rows] == [1, 2, 3], "p: degrees 1, 2 and 3 against 4")
check(rows[1]["risk_error"] < 1e-3 * rows[0]["risk_error"], "p: degree 2 is 1000x closer than degree 1")

for name, settings, needle in [
    ("p levels", ["PDE/Convergence study=p", "PDE/Degree=4"], "PDE/Convergence levels"),
    ("CFL bound", ["PDE/Degree=4"], "PDE/CFL number"),
    ("p CFL bound", ["PDE/Convergence study=p", "PDE/Degree=2"], "PDE/CFL number"),
]:
    folder = os.path.join(work, "bad")
    command = [mfdd, "pde", prm, "--set", "Output/Folder=" + folder]
    for s in settings:
        command += ["--set", s]
    result = subprocess.run(command, capture_output=True, text=True)
    lines = result.stderr.strip().splitlines()
    check(result.returncode == 2 and len(lines) == 1 and needle in lines[0] and not os.path.exists(folder),
          f"{name}: exit 2, one line naming {needle} ({result.returncode}: {result.stderr.strip()})")

print(f"{passed} passed, {len(failures)} failed")
finish(work, failures)

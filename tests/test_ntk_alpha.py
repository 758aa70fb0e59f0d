#!/usr/bin/python3
"""`mfdd kernel` checks of the kernel limit, doc/theory.md §6 (runs the PDE for several alpha: 38 s).

alpha-convergence (params/kernel_limit.prm): fitted slope of sup_t |risk_PDE - risk_kernel|
against alpha <= -0.8 over alpha in [4, 32], slope of the distance of rho-bar_t from
rho-bar_0 in [-1.2, -0.8], both fitted (the PDE's own error below the smallest value),
and the kernel curve inside the tangent model's 95% band at every time.

alpha = 1 consistency: `mfdd kernel` with Alphas = 1 and Time units = section 6 solves
doc/theory.md §6's (Rescaled-DD) d_t6 rho = div(rho grad Psi) (xi = 1/2 in mfdd's form) to
t6 = 2T; `mfdd pde` solves the plain (DD) d_t rho = 2 div(rho grad Psi) to T. After the
time change t6 = 2t the risk curves must agree to the PDE's accuracy.
"""
import os
import sys
import tempfile

from shipped_file_runs import float_rows, run_mfdd

prm = os.path.join(os.environ["MFDD_SOURCE_DIR"], "params", "kernel_limit.prm")
failures = []


with tempfile.TemporaryDirectory() as work:
    # 1. alpha -> infinity
    out = os.path.join(work, "alpha")
    run_mfdd("kernel", prm, "--set", f"Output/Folder={out}", "--set", "Kernel limit/Plots=false")
    rates = {int(r["quantity"]): r for r in float_rows(os.path.join(out, "kernel_rates.csv"))}
    gap, distance = rates[0], rates[1]
    print(f"PDE risk gap slope {gap['slope']:.4f} +- {gap['half_width']:.4f} (fitted {gap['fitted']:.0f})")
    print(f"PDE distance slope {distance['slope']:.4f} +- {distance['half_width']:.4f} (fitted {distance['fitted']:.0f})")
    if gap["fitted"] != 1 or not gap["slope"] <= -0.8:
        failures.append("risk gap slope")
    if distance["fitted"] != 1 or not -1.2 <= distance["slope"] <= -0.8:
        failures.append("distance slope")
    rows = float_rows(os.path.join(out, "kernel.csv"))
    for r in rows:
        if abs(r["risk_tangent_mean"] - r["risk_kernel"]) > r["risk_tangent_ci"] and r["t"] > 0:
            failures.append(f"tangent model outside its band at t = {r['t']}")
    print("tangent model: largest |mean - kernel| / band =",
          max(abs(r["risk_tangent_mean"] - r["risk_kernel"]) / r["risk_tangent_ci"] for r in rows if r["t"] > 0))

    # 2. alpha = 1: §6 time against (DD) time
    common = ["--set", "Problem/Final time=0.25", "--set", "Problem/Scaling alpha=1"]
    out6 = os.path.join(work, "section6")
    run_mfdd("kernel", prm, *common, "--set", f"Output/Folder={out6}", "--set", "Kernel limit/Alphas=1",
        "--set", "Kernel limit/Time units=section 6", "--set", "Kernel limit/Run SGD=false",
        "--set", "Kernel limit/Run tangent model=false", "--set", "Kernel limit/PDE error estimate=false",
        "--set", "Kernel limit/Plots=false")
    outdd = os.path.join(work, "dd")
    run_mfdd("pde", prm, *common, "--set", f"Output/Folder={outdd}", "--set", "Output/Write vtu=false")
    section6 = float_rows(os.path.join(out6, "kernel.csv"))
    dd = float_rows(os.path.join(outdd, "pde_diagnostics.csv"))
    if len(section6) != len(dd):
        failures.append(f"alpha = 1: {len(section6)} section-6 rows against {len(dd)} (DD) rows")
    largest = 0.0
    for a, b in zip(section6, dd):
        if abs(a["t6"] - 2 * b["t"]) > 1e-12:
            failures.append(f"alpha = 1: times t6 = {a['t6']} and t = {b['t']} do not match t6 = 2t")
        largest = max(largest, abs(a["risk_pde"] - b["risk"]))
    print(f"alpha = 1: sup |risk_section6(2t) - risk_DD(t)| = {largest:.3e} over {len(dd)} times")
    # The two runs take the same discrete steps up to the CFL rounding; the PDE's own
    # error on this problem is ~1e-5 (kernel_summary.csv), so 1e-6 is a strict bound.
    if largest > 1e-6:
        failures.append(f"alpha = 1 risk curves differ by {largest}")

print("FAILURES: " + "; ".join(failures) if failures else "all checks passed")
sys.exit(1 if failures else 0)

#!/usr/bin/env python3
"""`mfdd gibbs` in 2D against the noisy PDE run to equilibrium, on 2 ranks:
params/gibbs_amplitude_radius.prm ((a, r), d = 20, tau = 2, lambda = 0.5) on
48 x 48 cells, where the stationary state is resolved and the positivity
limiter is inactive at equilibrium: risk, free energy and means of the
discrete Gibbs state against the PDE at T = 12 (1e-9, 1e-9, 1e-8). The
Gibbs solve on 1 and 2 ranks agrees to 1e-12. Labelled slow: the PDE takes
about 6 minutes on 2 ranks."""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(__file__))
from shipped_file_runs import Checks, mfdd_command, rows  # noqa: E402

prm = os.path.join(os.environ["MFDD_SOURCE_DIR"], "params", "gibbs_amplitude_radius.prm")
work = tempfile.mkdtemp(prefix="test_pde_gibbs_2d_")
check = Checks()
mesh = ["PDE/Subdivisions=48", "Output/Write vtu=false", "PDE/Risk error estimate=false"]


def run(command, folder, ranks, settings=()):
    arguments = mfdd_command(command, prm, os.path.join(work, folder), mesh + list(settings), ranks)
    result = subprocess.run(arguments, capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"mfdd {command} on {ranks} rank(s) failed:\n{result.stdout}\n{result.stderr}")


run("gibbs", "gibbs_2", 2)
run("gibbs", "gibbs_1", 1)
run("pde", "pde", 2, ["Problem/Final time=12"])
gibbs = rows(os.path.join(work, "gibbs_2", "gibbs_summary.csv"))[0]
serial = rows(os.path.join(work, "gibbs_1", "gibbs_summary.csv"))[0]
pde = rows(os.path.join(work, "pde", "pde_diagnostics.csv"))[-1]
check(gibbs["converged"] == "1", f"converged in {gibbs['iterations']} iterations")
for column, tolerance in (("risk", 1e-9), ("free_energy", 1e-9), ("mean_a", 1e-8), ("mean_r", 1e-8)):
    difference = abs(float(gibbs[column]) - float(pde[column]))
    print(f"{column}: Gibbs {gibbs[column]}, PDE at T = 12 {pde[column]}, difference {difference:.2e}")
    check(difference < tolerance, f"{column}: Gibbs against the PDE at T = 12 differ by {difference:.2e} "
                                  f"(>= {tolerance:g})")
    ranks = abs(float(gibbs[column]) - float(serial[column]))
    check(ranks < 1e-12, f"{column}: 1 and 2 ranks differ by {ranks:.2e} (>= 1e-12)")
shutil.rmtree(work)
print(f"{len(check.failures)} failure(s)")
sys.exit(1 if check.failures else 0)

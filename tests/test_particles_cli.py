"""`mfdd sgd` from the command line: bad input (exit 2, one line on
stderr, nothing written), NaN blow-up (exit 3, rows so far kept), the files of
a run (diagnostics, reduced coordinates, VTU/PVD) and the same trajectory on 1
and 2 MPI ranks (uneven N, mini-batch, noise and weight decay)."""
import csv
import math
import os
import shutil
import subprocess
import sys
import tempfile

import vtk
from vtk.util.numpy_support import vtk_to_numpy

from shipped_file_runs import Checks

BINARY = os.environ["MFDD_BINARY"]
SOURCE = os.environ["MFDD_SOURCE_DIR"]
PRM = os.path.join(SOURCE, "params", "sgd_radius.prm")
WORK = tempfile.mkdtemp(prefix="mfdd_sgd_cli_")
check = Checks()


def run(folder, settings, ranks=1, prm=PRM):
    command = [BINARY, "sgd", prm, "--set", "Output/Folder=" + folder]
    for s in settings:
        command += ["--set", s]
    if ranks > 1:
        command = ["mpirun", "-np", str(ranks)] + command
    return subprocess.run(command, capture_output=True, text=True)


def read_csv(path):
    with open(path) as f:
        rows = list(csv.reader(f))
    return rows[0], [[float(v) for v in row] for row in rows[1:]]


# --- bad input ---------------------------------------------------------------
bad = {
    "epsilon zero": ["SGD/Step size epsilon=0"],
    "epsilon negative": ["SGD/Step size epsilon=-1e-3"],
    "B zero": ["SGD/Batch size B=0"],
    "N zero": ["SGD/Number of neurons N=0"],
    "T/epsilon not an integer": ["SGD/Step size epsilon=3e-3"],
    "noise with alpha != 1": ["Problem/Temperature tau=0.1", "Problem/Scaling alpha=2"],
    "weight decay with alpha != 1": ["Problem/Weight decay lambda=0.1", "Problem/Scaling alpha=0.5"],
    "symmetric start, fixed a": ["SGD/Symmetric initialisation=true"],
    "symmetric start, odd N": ["SGD/Symmetric initialisation=true", "Problem/Second layer=trainable",
                               "SGD/Number of neurons N=7"],
    "seed negative": ["SGD/Seed=-1"],
    "share zero": ["SGD/Exact risk share=0"],
}
for name, settings in bad.items():
    folder = os.path.join(WORK, "bad")
    result = run(folder, settings)
    lines = [l for l in result.stderr.splitlines() if l.strip()]
    check(result.returncode == 2, f"{name}: exit status {result.returncode}, expected 2 ({result.stderr.strip()})")
    check(len(lines) == 1, f"{name}: {len(lines)} lines on stderr, expected 1: {result.stderr!r}")
    check(not os.path.exists(folder), f"{name}: the output folder was created")

# --- NaN blow-up: exit 3, the rows written so far stay -----------------------
folder = os.path.join(WORK, "blowup")
result = run(folder, ["Problem/Activation=relu", "Problem/Second layer=trainable", "Problem/Initial kappa=3",
                      "SGD/Step size epsilon=1", "Problem/Final time=100", "SGD/Number of neurons N=10",
                      "Output/Output interval=10"])
check(result.returncode == 3, f"blow-up: exit status {result.returncode}, expected 3")
check(len([l for l in result.stderr.splitlines() if l.strip()]) == 1, "blow-up: not one line on stderr")
if os.path.exists(os.path.join(folder, "sgd_diagnostics.csv")):
    _, rows = read_csv(os.path.join(folder, "sgd_diagnostics.csv"))
    check(len(rows) >= 1 and rows[0][0] == 0, "blow-up: the t = 0 row is missing")
else:
    check(False, "blow-up: sgd_diagnostics.csv missing")

# --- a run on 1 and on 2 ranks -------------------------------------------------
N, T, interval = 101, 1.0, 0.25
settings = ["Problem/Second layer=trainable", "Problem/Dimension d=12", "Problem/Final time=1",
            "Problem/Temperature tau=0.01", "Problem/Weight decay lambda=0.05", f"SGD/Number of neurons N={N}",
            "SGD/Step size epsilon=0.01", "SGD/Batch size B=2", "SGD/Seed=17", "SGD/Exact risk every=1",
            f"Output/Output interval={interval}"]
serial, parallel = os.path.join(WORK, "serial"), os.path.join(WORK, "parallel")
r1 = run(serial, settings)
r2 = run(parallel, settings, ranks=2)
check(r1.returncode == 0 and r2.returncode == 0, f"runs failed: {r1.stderr} {r2.stderr}")

columns, diag1 = read_csv(os.path.join(serial, "sgd_diagnostics.csv"))
_, diag2 = read_csv(os.path.join(parallel, "sgd_diagnostics.csv"))
check(columns == ["k", "t", "risk_exact", "risk_online", "self_interaction", "risk_standard_error", "mean_a", "mean_r"],
      f"diagnostics columns {columns}")
check([row[1] for row in diag1] == [0, 0.25, 0.5, 0.75, 1.0], f"output times {[row[1] for row in diag1]}")
check([row[0] for row in diag1] == [0, 25, 50, 75, 100], "output steps")
check(math.isnan(diag1[0][3]) and all(math.isfinite(row[3]) for row in diag1[1:]), "risk_online: NaN only at t = 0")
check(all(math.isfinite(row[2]) and row[4] > 0 for row in diag1), "risk_exact and self_interaction at every output")


def same(x, y, tolerance=1e-10):
    return (math.isnan(x) and math.isnan(y)) or abs(x - y) <= tolerance * max(1.0, abs(x))


for row1, row2 in zip(diag1, diag2):
    check(all(same(x, y) for x, y in zip(row1, row2)), f"1 vs 2 ranks, diagnostics differ: {row1} vs {row2}")

for n in range(len(diag1)):
    names, z1 = read_csv(os.path.join(serial, f"sgd_reduced_{n:04d}.csv"))
    _, z2 = read_csv(os.path.join(parallel, f"sgd_reduced_{n:04d}.csv"))
    check(names == ["a", "r"] and len(z1) == N, f"sgd_reduced_{n:04d}.csv: columns {names}, {len(z1)} rows")
    check(all(same(x, y) for p, q in zip(z1, z2) for x, y in zip(p, q)),
          f"1 vs 2 ranks: reduced coordinates differ at output {n}")
    for c in range(2):
        check(same(sum(p[c] for p in z1) / N, diag1[n][6 + c], 1e-9), f"mean of coordinate {c} at output {n}")

    reader = vtk.vtkXMLUnstructuredGridReader()
    reader.SetFileName(os.path.join(serial, f"sgd_{n:04d}.vtu"))
    reader.Update()
    grid = reader.GetOutput()
    points = vtk_to_numpy(grid.GetPoints().GetData())
    check(grid.GetNumberOfPoints() == N and grid.GetNumberOfCells() == N, f"sgd_{n:04d}.vtu: {grid.GetNumberOfPoints()} points")
    check(all(same(points[i][0], z1[i][0], 1e-9) and same(points[i][1], z1[i][1], 1e-9) and points[i][2] == 0
              for i in range(N)), f"sgd_{n:04d}.vtu: points are not (a, r, 0)")
    check(grid.GetPointData().GetArray("r") is not None, f"sgd_{n:04d}.vtu: no point data 'r'")

with open(os.path.join(serial, "sgd.pvd")) as f:
    pvd = f.read()
check(pvd.count("<DataSet") == len(diag1), "sgd.pvd does not list every output time")
# The trajectory moved (the comparison is not between two initial states).
check(abs(diag1[-1][6] - diag1[0][6]) > 1e-3, "mean radius did not move")

# --- (a, r1, r2): anisotropic data with a trainable second layer -------------
# Reduced coordinates (a, r1 = |w_{1:s0}|, r2 = |w_{s0+1:d}|) in the CSV and as
# 3D points of the VTU, the same on 1 and 2 ranks; at t = 0 the radii follow
# kappa chi_m / sqrt(d) with m = s0 and d - s0.
N, d, s0, kappa = 2000, 30, 5, 0.8
settings = ["Problem/Data model=anisotropic", "Problem/Second layer=trainable", f"Problem/Dimension d={d}",
            f"Problem/Signal block size s0={s0}", f"Problem/Initial kappa={kappa}", "Problem/Final time=0.5",
            f"SGD/Number of neurons N={N}", "SGD/Step size epsilon=0.01", "SGD/Exact risk every=1",
            "Output/Output interval=0.25"]
serial, parallel = os.path.join(WORK, "three_serial"), os.path.join(WORK, "three_parallel")
r1 = run(serial, settings)
r2 = run(parallel, settings, ranks=2)
check(r1.returncode == 0 and r2.returncode == 0, f"(a, r1, r2) runs failed: {r1.stderr} {r2.stderr}")
columns, diag1 = read_csv(os.path.join(serial, "sgd_diagnostics.csv"))
_, diag2 = read_csv(os.path.join(parallel, "sgd_diagnostics.csv"))
check(columns[-3:] == ["mean_a", "mean_r1", "mean_r2"], f"(a, r1, r2) diagnostics columns {columns}")
check(all(math.isfinite(row[2]) for row in diag1), "(a, r1, r2): risk_exact not finite")
for row1, row2 in zip(diag1, diag2):
    check(all(same(x, y) for x, y in zip(row1, row2)), f"(a, r1, r2) 1 vs 2 ranks: {row1} vs {row2}")


def chi_mean(m):
    return kappa * math.sqrt(2.0 / d) * math.exp(math.lgamma((m + 1) / 2) - math.lgamma(m / 2))


names, z0 = read_csv(os.path.join(serial, "sgd_reduced_0000.csv"))
check(names == ["a", "r1", "r2"] and len(z0) == N, f"(a, r1, r2) reduced columns {names}, {len(z0)} rows")
for c, m in ((1, s0), (2, d - s0)):
    mean = sum(p[c] for p in z0) / N
    check(abs(mean / chi_mean(m) - 1) < 0.03, f"(a, r1, r2): mean of {names[c]} at t = 0 is {mean}, "
          f"the law's {chi_mean(m)}")
names, z1 = read_csv(os.path.join(serial, "sgd_reduced_0002.csv"))
reader = vtk.vtkXMLUnstructuredGridReader()
reader.SetFileName(os.path.join(serial, "sgd_0002.vtu"))
reader.Update()
points = vtk_to_numpy(reader.GetOutput().GetPoints().GetData())
check(len(points) == N and all(same(points[i][c], z1[i][c], 1e-9) for i in range(N) for c in range(3)),
      "(a, r1, r2): the VTU points are not (a, r1, r2)")
check(abs(diag1[-1][-3] - diag1[0][-3]) > 1e-4, "(a, r1, r2): mean a did not move")

shutil.rmtree(WORK, ignore_errors=True)
print("test_particles_cli:", "FAILED" if check.failures else "passed", f"({len(check.failures)} failures)")
sys.exit(1 if check.failures else 0)

#!/usr/bin/env python3
"""`mfdd pde` from the command line (runs, ranks and bad input):
every shipped params/pde_*.prm runs (reduced: short final time, coarse mesh);
VTK (Debian's python3-vtk9) opens pde.pvd and its last file (1D on one rank, 3D
through the .pvtu record of two ranks), and the integral
of rho over the mesh equals the `mass` column (degree 1: the VTK cells carry
the DG polynomial exactly); the risk error estimate is written (NaN, with a
message, for a mesh file without global refinements), a warning when it is above
PDE/Risk tolerance, and its sup closes the
run; the 2D (a, r) and 3D (a, r1, r2) diagnostics agree to 1e-12 between 1 and
2 MPI ranks (2D also with noise, uniform and adaptive); a generated box that grows reports each
growth once; bad input exits with status 2 and writes nothing."""
import csv
import math
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

import vtk

from shipped_file_runs import Checks

mfdd = os.environ["MFDD_BINARY"]
source = os.environ["MFDD_SOURCE_DIR"]
work = tempfile.mkdtemp(prefix="test_pde_cli_")
check = Checks()


def run(prm, folder, settings, ranks=1):
    command = [mfdd, "pde", os.path.join(source, "params", prm), "--set", "Output/Folder=" + folder]
    for s in settings:
        command += ["--set", s]
    if ranks > 1:
        command = [shutil.which("mpirun") or "mpirun", "-np", str(ranks)] + command
    return subprocess.run(command, capture_output=True, text=True)


def diagnostics(folder):
    with open(os.path.join(folder, "pde_diagnostics.csv")) as f:
        return list(csv.DictReader(f))


# Every shipped parameter file runs.
reduced = {
    "pde_radius.prm": ["Problem/Final time=0.3"],
    "pde_amplitude_radius.prm": ["Problem/Final time=0.2", "PDE/Subdivisions=16", "PDE/Potential nodes=32",
                                 "PDE/Sample cells=50"],
    "pde_two_radii.prm": ["Problem/Final time=0.2", "PDE/Potential nodes=16", "PDE/Sample cells=50"],
    "pde_adaptive.prm": ["Problem/Final time=0.2", "PDE/Potential nodes=32", "PDE/Sample cells=50"],
    "pde_amplitude_two_radii.prm": ["Problem/Final time=0.1", "PDE/Subdivisions=8", "PDE/Potential nodes=16",
                                    "PDE/Sample cells=20"],
}
for prm, settings in reduced.items():
    folder = os.path.join(work, prm[:-4])
    result = run(prm, folder, settings)
    check(result.returncode == 0, f"{prm}: exit {result.returncode}: {result.stderr}")
    if result.returncode != 0:
        continue
    rows = diagnostics(folder)
    names = {"pde_radius.prm": ["r"], "pde_two_radii.prm": ["r1", "r2"],
             "pde_amplitude_two_radii.prm": ["a", "r1", "r2"]}.get(prm, ["a", "r"])
    for column in ["t", "mass", "mass_out", "risk", "risk_error_estimate", "min_rho", "n_cells", "dt"] + \
            ["mean_" + n for n in names]:
        check(column in rows[0], f"{prm}: column {column} missing")
    # The risk error estimate: finite and its sup in the closing line, or NaN
    # and said why (a mesh file without global refinements cannot be coarsened).
    estimates = [float(r["risk_error_estimate"]) for r in rows]
    if prm == "pde_two_radii.prm":
        check(all(math.isnan(e) for e in estimates), f"{prm}: estimates {estimates}, expected NaN")
        check("risk error estimate: not available for a mesh file" in result.stdout,
              f"{prm}: no 'not available' message: {result.stdout}")
    else:
        check(all(e >= 0 for e in estimates), f"{prm}: risk error estimates {estimates}")
        check(f"risk error estimate (sup over t) {max(estimates):.3g}," in result.stdout,
              f"{prm}: sup {max(estimates):.3g} not in the closing line: {result.stdout}")
        # PDE/Risk tolerance (default 1e-5): warned about exactly when missed.
        warned = "WARNING: risk error estimate" in result.stdout
        check(warned == (max(estimates) > 1e-5), f"{prm}: warning {warned} for sup {max(estimates):.3g}")
    for row in rows:
        check(abs(float(row["mass"]) + float(row["mass_out"]) - 1) < 1e-12, f"{prm}: mass at t = {row['t']}")
        check(float(row["min_rho"]) >= 0, f"{prm}: negative rho at t = {row['t']}")
    risks = [float(r["risk"]) for r in rows]
    check(all(b <= a + 1e-10 for a, b in zip(risks, risks[1:])), f"{prm}: risk increases: {risks}")
    with open(os.path.join(folder, "pde_final.csv")) as f:
        header = f.readline().strip().split(",")
    check(header == names + ["rho"], f"{prm}: pde_final.csv header {header}")

# VTK: the integral of rho over the last file equals the mass column, in 1D
# on one rank and in 3D on two (a .pvtu record over the ranks' .vtu files).
def check_vtk_mass(label, folder, n_files):
    datasets = ET.parse(os.path.join(folder, "pde.pvd")).getroot().findall(".//DataSet")
    check(len(datasets) == n_files, f"{label}: pde.pvd lists {len(datasets)} files, expected {n_files}")
    last = datasets[-1].get("file")
    reader = vtk.vtkXMLPUnstructuredGridReader() if last.endswith(".pvtu") else vtk.vtkXMLUnstructuredGridReader()
    reader.SetFileName(os.path.join(folder, last))
    reader.Update()
    grid = reader.GetOutput()
    for field in ["rho", "psi", "velocity"]:
        check(grid.GetPointData().GetArray(field) is not None, f"{label}: field {field} missing in {last}")
    # Each cell is an axis-parallel box carrying a multilinear rho (degree 1),
    # whose integral is the box's volume times the mean of its vertex values
    # (exact; vtkIntegrateAttributes splits hexahedra into linear tetrahedra).
    rho = grid.GetPointData().GetArray("rho")
    integral = 0.0
    for c in range(grid.GetNumberOfCells()):
        cell = grid.GetCell(c)
        ids = cell.GetPointIds()
        values = [rho.GetValue(ids.GetId(i)) for i in range(ids.GetNumberOfIds())]
        bounds = cell.GetBounds()
        volume = 1.0
        for k in range(3):
            if bounds[2 * k + 1] > bounds[2 * k]:
                volume *= bounds[2 * k + 1] - bounds[2 * k]
        integral += volume * sum(values) / len(values)
    mass = float(diagnostics(folder)[-1]["mass"])
    print(f"{label}: VTK integral of rho {integral:.15g}, mass column {mass:.15g}")
    # deal.II 9.4 stores VTU data as Float32: 1e-6 relative covers its rounding.
    check(abs(integral - mass) < 1e-6 * mass, f"{label}: VTK integral {integral} != mass {mass}")


for label, prm, settings, ranks, n_files in (
        ("vtk", "pde_radius.prm", ["Problem/Final time=0.2", "PDE/Degree=1"], 1, 3),
        ("vtk_3d", "pde_amplitude_two_radii.prm",
         reduced["pde_amplitude_two_radii.prm"] + ["PDE/Degree=1", "Output/Output interval=0.05"], 2, 3)):
    folder = os.path.join(work, label)
    result = run(prm, folder, settings, ranks)
    check(result.returncode == 0, f"{label} run: {result.stderr}")
    if result.returncode == 0:
        check_vtk_mass(label, folder, n_files)

# 1 vs 2 MPI ranks (2D (a, r)): uniform without and with noise, adaptive with
# noise (to T = 0.5 its remeshings once drifted apart by 2e-10 on 2 ranks);
# 3D (a, r1, r2) uniform.
uniform = ["Problem/Final time=0.2", "PDE/Subdivisions=16", "PDE/Potential nodes=32", "PDE/Sample cells=50"]
for label, prm, settings in (("", "pde_amplitude_radius.prm", uniform),
                             ("_noise", "pde_amplitude_radius.prm", uniform + ["Problem/Temperature tau=0.5"]),
                             ("_noise_adaptive", "pde_adaptive.prm",
                              ["Problem/Final time=0.5", "Problem/Temperature tau=0.3", "PDE/Sample cells=50"]),
                             ("_3d", "pde_amplitude_two_radii.prm", reduced["pde_amplitude_two_radii.prm"])):
    one, two = os.path.join(work, "np1" + label), os.path.join(work, "np2" + label)
    r1 = run(prm, one, settings)
    r2 = run(prm, two, settings, ranks=2)
    check(r1.returncode == 0 and r2.returncode == 0, f"MPI runs{label}: {r1.stderr} {r2.stderr}")
    if r1.returncode == 0 and r2.returncode == 0:
        check(os.path.exists(os.path.join(two, "pde_0002.pvtu")), f"2 ranks{label}: no .pvtu record")
        for a, b in zip(diagnostics(one), diagnostics(two)):
            for key in a:
                x, y = float(a[key]), float(b[key])
                check(abs(x - y) <= 1e-12 * max(1.0, abs(x)) or (math.isnan(x) and math.isnan(y)),
                      f"1 vs 2 ranks{label}: {key} at t = {a['t']}: {x} vs {y}")

# Bad input: exit 2, nothing written.
bad = {
    "CFL 0": ("pde_radius.prm", ["PDE/CFL number=0"]),
    "T 0": ("pde_radius.prm", ["Problem/Final time=0"]),
    "missing mesh": ("pde_two_radii.prm", ["PDE/Mesh file=no_such_mesh.msh"]),
    "box too small": ("pde_radius.prm", ["PDE/Box upper=1"]),
    "bad expression": ("pde_radius.prm", ["PDE/Initial density=exp(-(r-1)^2"]),
    "negative expression": ("pde_radius.prm", ["PDE/Initial density=r-1"]),
    "noise with alpha": ("pde_radius.prm", ["Problem/Temperature tau=0.1", "Problem/Scaling alpha=2"]),
    "adaptive levels": ("pde_adaptive.prm", ["PDE/Adaptive mesh/Minimum level=3"]),
    "adaptive below global": ("pde_adaptive.prm", ["PDE/Global refinements=3"]),
    "adaptive fractions": ("pde_adaptive.prm", ["PDE/Adaptive mesh/Coarsen fraction=0.2"]),
    "tolerance without estimate": ("pde_radius.prm", ["PDE/Refinements for tolerance=1",
                                                      "PDE/Risk error estimate=false"]),
    "too many refinements": ("pde_radius.prm", ["PDE/Refinements for tolerance=4", "PDE/Global refinements=7"]),
}
for name, (prm, settings) in bad.items():
    folder = os.path.join(work, "bad_" + name.replace(" ", "_"))
    result = run(prm, folder, settings)
    check(result.returncode == 2, f"bad input '{name}': exit {result.returncode} ({result.stderr.strip()})")
    check(not os.path.exists(folder), f"bad input '{name}': output folder written")
    print(f"{name}: {result.stderr.strip()}")

# The generated box grows where mass leaves it: each solve that is repeated says
# so on stdout, once, and its own loss is no warning; the last solve's is.
folder = os.path.join(work, "growing_box")
result = run("pde_amplitude_radius.prm", folder,
             ["Problem/Initial a law=uniform", "PDE/Box lower=", "PDE/Box upper=", "PDE/Subdivisions=8",
              "PDE/Degree=1", "PDE/CFL number=0.3", "PDE/Risk error estimate=false", "PDE/Potential nodes=24",
              "PDE/Sample cells=20", "Output/Output interval=0.5", "Output/Write vtu=false"])
check(result.returncode == 0, f"growing box: exit {result.returncode}: {result.stderr}")
check(result.stdout.count("of the mass left the box through its sides by t = ") == 3,
      f"growing box: three growths expected: {result.stdout}")
check("through its sides" not in result.stderr, f"growing box: a repeated solve warned: {result.stderr}")
check("through r = 0" in result.stderr, f"growing box: the last solve's loss through r = 0 not warned: {result.stderr}")

# An unreadable mesh file.
broken = os.path.join(work, "broken.msh")
with open(broken, "w") as f:
    f.write("not a mesh\n")
result = run("pde_two_radii.prm", os.path.join(work, "bad_broken"), ["PDE/Mesh file=" + broken])
check(result.returncode == 2, f"unreadable mesh: exit {result.returncode} ({result.stderr.strip()})")

if check.failures:
    print(f"{len(check.failures)} failures; output kept in {work}")
    sys.exit(1)
shutil.rmtree(work)
print("all checks passed")

#!/usr/bin/env python3
"""Writes graded_square.msh: a quadrilateral mesh (Gmsh format 2.2, ASCII) of
[0, L]^2 for two radii (r1, r2), graded towards r = 0 where, for small blocks,
the law of a radius is steep (density ~ r^(m-1)). Node coordinates along each
axis: L * (i/n)^p with grading exponent p (p > 1 refines near 0), except that
cells never get wider than 2 L / n. Regenerate with
    python3 scripts/make_graded_square.py [L n p]   (writes meshes/graded_square.msh)"""
import sys

L = float(sys.argv[1]) if len(sys.argv) > 1 else 2.5
n = int(sys.argv[2]) if len(sys.argv) > 2 else 24
p = float(sys.argv[3]) if len(sys.argv) > 3 else 1.5

x = [L * (i / n) ** p for i in range(n + 1)]
nodes = [(xi, yj) for yj in x for xi in x]
cells = []
for j in range(n):
    for i in range(n):
        a = j * (n + 1) + i + 1
        cells.append((a, a + 1, a + n + 2, a + n + 1))
import os
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "meshes", "graded_square.msh"), "w") as out:
    out.write("$MeshFormat\n2.2 0 8\n$EndMeshFormat\n$Nodes\n%d\n" % len(nodes))
    for k, (xi, yj) in enumerate(nodes):
        out.write("%d %.17g %.17g 0\n" % (k + 1, xi, yj))
    out.write("$EndNodes\n$Elements\n%d\n" % len(cells))
    for k, c in enumerate(cells):
        out.write("%d 3 2 0 1 %d %d %d %d\n" % (k + 1, *c))
    out.write("$EndElements\n")

#!/usr/bin/python3
"""Plots of an `mfdd study` folder (plotting only: every number comes from
study_summary.csv, written by mfdd).

    /usr/bin/python3 scripts/plot_study.py <study folder>

writes error_vs_N.png (log-log, with a reference slope -1/2), error_vs_epsilon.png
and error_vs_D_epsilon.png (every d on one axis: the collapse the theorem predicts).
"""
import csv
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read_summary(folder):
    with open(os.path.join(folder, "study_summary.csv")) as f:
        rows = [{k: float(v) for k, v in row.items()} for row in csv.DictReader(f)]
    metrics = [c[: -len("_mean")] for c in rows[0] if c.endswith("_mean")] if rows else []
    return rows, metrics


def finite(v):
    return not math.isnan(v) and v > 0


def errorbar(ax, rows, x_key, metric, label, marker):
    def x_of(r):
        return r["D"] * r["epsilon"] if x_key == "Deps" else r[x_key]

    rows = sorted((r for r in rows if finite(r[metric + "_mean"])), key=x_of)
    if not rows:
        return
    x = [x_of(r) for r in rows]
    y = [r[metric + "_mean"] for r in rows]
    ci = [0.0 if math.isnan(r[metric + "_ci95"]) else r[metric + "_ci95"] for r in rows]
    lower = [min(c, v * 0.999) for c, v in zip(ci, y)]  # keep the bars on a log axis
    ax.errorbar(x, y, yerr=[lower, ci], marker=marker, capsize=3, label=label)


def panel_grid(metrics):
    n = len(metrics)
    cols = min(n, 3)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 3.8 * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:n])


def main(folder):
    rows, metrics = read_summary(folder)
    if not rows:
        print("plot_study.py: study_summary.csv holds no configuration yet", file=sys.stderr)
        return 1
    dims = sorted({int(r["d"]) for r in rows})
    eps_min = min(r["epsilon"] for r in rows)
    n_max = max(r["N"] for r in rows)
    markers = "osd^v<>ph*"

    fig, axes = panel_grid(metrics)
    for ax, metric in zip(axes, metrics):
        for k, d in enumerate(dims):
            sel = [r for r in rows if int(r["d"]) == d and math.isclose(r["epsilon"], eps_min, rel_tol=1e-12)]
            errorbar(ax, sel, "N", metric, "d = %d" % d, markers[k % len(markers)])
            if k == 0 and len(sel) > 1:
                sel = sorted((r for r in sel if finite(r[metric + "_mean"])), key=lambda r: r["N"])
                if sel:
                    n0, y0 = sel[0]["N"], sel[0][metric + "_mean"]
                    xs = [r["N"] for r in sel]
                    ax.plot(xs, [y0 * (x / n0) ** -0.5 for x in xs], "k--", lw=1, label="slope -1/2")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("width N")
        ax.set_ylabel("sup_t error")
        ax.set_title("%s, epsilon = %g" % (metric, eps_min))
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(folder, "error_vs_N.png"), dpi=120)
    plt.close(fig)

    fig, axes = panel_grid(metrics)
    for ax, metric in zip(axes, metrics):
        for k, d in enumerate(dims):
            sel = [r for r in rows if int(r["d"]) == d and r["N"] == n_max]
            errorbar(ax, sel, "epsilon", metric, "d = %d" % d, markers[k % len(markers)])
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("step size epsilon")
        ax.set_ylabel("sup_t error")
        ax.set_title("%s, N = %d" % (metric, n_max))
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(folder, "error_vs_epsilon.png"), dpi=120)
    plt.close(fig)

    fig, axes = panel_grid(metrics)
    for ax, metric in zip(axes, metrics):
        for k, d in enumerate(dims):
            sel = [r for r in rows if int(r["d"]) == d and r["N"] == n_max]
            errorbar(ax, sel, "Deps", metric, "d = %d" % d, markers[k % len(markers)])
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("D epsilon")
        ax.set_ylabel("sup_t error")
        ax.set_title("%s, N = %d" % (metric, n_max))
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(folder, "error_vs_D_epsilon.png"), dpi=120)
    plt.close(fig)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))

#!/usr/bin/python3
"""Plots of `mfdd kernel` (plotting only; every number comes from the CSV files).

usage: /usr/bin/python3 scripts/plot_kernel.py <output folder>

kernel_risk.png  risk against time for every alpha (PDE solid, SGD mean dashed
                 with its 95% band), the kernel-limit curve and the tangent model.
kernel_gap.png   sup_t |risk_alpha - risk_kernel| and sup_t distance of rho-bar_t
                 from rho-bar_0 against alpha, log-log, with the slopes fitted by
                 mfdd (kernel_rates.csv) and a 1/alpha reference line.
"""
import csv
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def read(path):
    with open(path) as f:
        rows = list(csv.DictReader(f))
    return [{k: float(v) for k, v in row.items()} for row in rows]


def finite(values):
    return [v for v in values if math.isfinite(v)]


def main(folder):
    rows = read(os.path.join(folder, "kernel.csv"))
    time = "t6" if "t6" in rows[0] else "t"
    alphas = sorted({r["alpha"] for r in rows if math.isfinite(r["alpha"])})

    fig, ax = plt.subplots(figsize=(7, 4.5))
    first = [r for r in rows if r["alpha"] == rows[0]["alpha"] or not math.isfinite(r["alpha"])]
    t = [r[time] for r in first]
    ax.plot(t, [r["risk_kernel"] for r in first], "k-", lw=2.5, label="kernel limit")
    if finite([r["risk_tangent_mean"] for r in first]):
        mean = [r["risk_tangent_mean"] for r in first]
        ci = [r["risk_tangent_ci"] for r in first]
        ax.errorbar(t, mean, yerr=ci, fmt="k:", capsize=2, label="tangent model (95% band)")
    colours = plt.cm.viridis([i / max(1, len(alphas) - 1) for i in range(len(alphas))])
    for alpha, colour in zip(alphas, colours):
        sub = [r for r in rows if r["alpha"] == alpha]
        ts = [r[time] for r in sub]
        if finite([r["risk_pde"] for r in sub]):
            ax.plot(ts, [r["risk_pde"] for r in sub], "-", color=colour, label=f"PDE, alpha = {alpha:g}")
        if finite([r["risk_sgd_mean"] for r in sub]):
            mean = [r["risk_sgd_mean"] for r in sub]
            ci = [r["risk_sgd_ci"] if math.isfinite(r["risk_sgd_ci"]) else 0.0 for r in sub]
            ax.plot(ts, mean, "--", color=colour, label=f"SGD mean, alpha = {alpha:g}")
            ax.fill_between(ts, [m - c for m, c in zip(mean, ci)], [m + c for m, c in zip(mean, ci)],
                            color=colour, alpha=0.15)
    ax.set_xlabel("time " + ("t_6 (doc/theory.md §6 units)" if time == "t6" else "t (mfdd units)"))
    ax.set_ylabel("risk")
    ax.set_yscale("log")
    ax.set_title("alpha-scaled dynamics and the kernel limit")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(folder, "kernel_risk.png"), dpi=130)
    plt.close(fig)

    summary = read(os.path.join(folder, "kernel_summary.csv"))
    rates = {int(r["quantity"]): r for r in read(os.path.join(folder, "kernel_rates.csv"))}
    series = [("sup_gap_pde", 0, "sup_t |risk_PDE - risk_kernel|", "o-"),
              ("sup_distance_pde", 1, "sup_t sliced W1(rho_t, rho_0), PDE", "s-"),
              ("sup_gap_sgd", 2, "sup_t |risk_SGD - risk_kernel|", "o--"),
              ("sup_distance_sgd", 3, "sup_t sliced W1, SGD", "s--")]
    fig, ax = plt.subplots(figsize=(7, 4.5))
    plotted = False
    for column, qid, label, style in series:
        pts = [(r["alpha"], r[column]) for r in summary if math.isfinite(r[column]) and r[column] > 0]
        if not pts:
            continue
        rate = rates.get(qid)
        if rate is not None and rate["fitted"] == 1.0:
            label += f" (slope {rate['slope']:.2f} ± {rate['half_width']:.2f})"
        elif rate is not None:
            label += " (not fitted: PDE error too large)"
        ax.plot([p[0] for p in pts], [p[1] for p in pts], style, label=label)
        plotted = True
    for column, label in (("pde_error_risk", "PDE own error (risk)"), ("pde_error_distance", "PDE own error (distance)")):
        pts = [(r["alpha"], r[column]) for r in summary if math.isfinite(r[column]) and r[column] > 0]
        if pts:
            ax.plot([p[0] for p in pts], [p[1] for p in pts], "x:", color="grey", label=label)
    if plotted:
        a0, a1 = min(alphas), max(alphas)
        ref = [r["sup_gap_pde"] for r in summary if math.isfinite(r["sup_gap_pde"])] or \
              [r["sup_gap_sgd"] for r in summary if math.isfinite(r["sup_gap_sgd"])]
        if ref:
            c = ref[0] * a0
            ax.plot([a0, a1], [c / a0, c / a1], "k:", lw=1, label="reference slope -1")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("alpha")
    ax.set_title("approach to the kernel limit")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(os.path.join(folder, "kernel_gap.png"), dpi=130)
    plt.close(fig)


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])

#!/usr/bin/python3
"""Plots of an `mfdd compare` folder (plotting only: the numbers are mfdd's).

    /usr/bin/python3 scripts/plot_compare.py <compare folder>

writes compare_risk.png (R(rho_t) of the PDE and the seed mean +- std of R_N)
and compare_gaps.png (the seed mean of every gap against t, log scale).
"""
import csv
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def main(folder):
    with open(os.path.join(folder, "compare.csv")) as f:
        rows = [{k: float(v) for k, v in r.items()} for r in csv.DictReader(f)]
    t = [r["t"] for r in rows]

    fig, ax = plt.subplots(figsize=(5.5, 4))
    ax.plot(t, [r["risk_pde"] for r in rows], "k-", label="PDE R(rho_t)")
    sgd = [(r["t"], r["risk_sgd_mean"], r["risk_sgd_std"]) for r in rows if not math.isnan(r["risk_sgd_mean"])]
    if sgd:
        std = [0.0 if math.isnan(s) else s for _, _, s in sgd]
        ax.errorbar([x for x, _, _ in sgd], [m for _, m, _ in sgd], yerr=std, fmt="o", capsize=3,
                    label="SGD R_N (mean +- std over seeds)")
    ax.set_xlabel("t")
    ax.set_ylabel("risk")
    ax.set_yscale("log")
    ax.legend()
    fig.tight_layout()
    fig.savefig(os.path.join(folder, "compare_risk.png"), dpi=120)
    plt.close(fig)

    gaps = [c for c in rows[0] if c not in ("t", "risk_pde", "risk_error_estimate", "risk_sgd_mean", "risk_sgd_std", "self_interaction_mean")]
    fig, ax = plt.subplots(figsize=(5.5, 4))
    for g in gaps:
        points = [(r["t"], r[g]) for r in rows if not math.isnan(r[g]) and r[g] > 0]
        if points:
            ax.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=g)
    ax.set_xlabel("t")
    ax.set_ylabel("gap (mean over seeds)")
    ax.set_yscale("log")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(os.path.join(folder, "compare_gaps.png"), dpi=120)
    plt.close(fig)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))

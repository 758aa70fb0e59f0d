#!/usr/bin/python3
"""Plots of an `mfdd study` folder (plotting only: every number comes from
study_summary.csv, written by mfdd).

    /usr/bin/python3 scripts/plot_study.py <study folder>

writes error_vs_N.png (log-log, with a reference slope -1/2), error_vs_epsilon.png
and error_vs_D_epsilon.png (every d on one axis: the collapse the theorem predicts)
from the sup over t. A study with error times (study_summary_by_time.csv) also gets
exponent_vs_t.png (the N- and epsilon-exponents against t with their 95% bands, from
rates.csv), error_vs_t.png (error against t at the smallest epsilon, one line per N)
and N_risk_gap_vs_t.png (N x risk_gap_no_self against t: a collapse onto one curve
b(t) is the 1/N regime), and with bias_fluctuation.csv bias_fluctuation_vs_N.png
(per signed difference, |seed mean| and seed standard deviation against N at the
smallest epsilon, one line per error time, with reference slopes -1 and -1/2).
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
    """Draws the seed means with their 95% intervals; returns the rows drawn."""
    def x_of(r):
        return r["D"] * r["epsilon"] if x_key == "Deps" else r[x_key]

    rows = sorted((r for r in rows if finite(r[metric + "_mean"])), key=x_of)
    if not rows:
        return rows
    x = [x_of(r) for r in rows]
    y = [r[metric + "_mean"] for r in rows]
    ci = [0.0 if math.isnan(r[metric + "_ci95"]) else r[metric + "_ci95"] for r in rows]
    lower = [min(c, v * 0.999) for c, v in zip(ci, y)]  # keep the bars on a log axis
    ax.errorbar(x, y, yerr=[lower, ci], marker=marker, capsize=3, label=label)
    return rows


def save(fig, path):
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def panel_grid(metrics):
    n = len(metrics)
    cols = min(n, 3)
    rows = (n + cols - 1) // cols
    fig, axes = plt.subplots(rows, cols, figsize=(4.6 * cols, 3.8 * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:n])


def sweep_figure(path, rows, metrics, dims, select, x_key, x_label, title, reference_slope=None):
    """One panel per metric, one line per d over the rows select(row, d) keeps."""
    markers = "osd^v<>ph*"
    fig, axes = panel_grid(metrics)
    for ax, metric in zip(axes, metrics):
        drawn = False
        for k, d in enumerate(dims):
            line = errorbar(ax, [r for r in rows if select(r, d)], x_key, metric, "d = %d" % d,
                            markers[k % len(markers)])
            if k == 0 and reference_slope is not None and len(line) > 1:
                x0, y0 = line[0][x_key], line[0][metric + "_mean"]
                xs = [r[x_key] for r in line]
                ax.plot(xs, [y0 * (x / x0) ** reference_slope for x in xs], "k--", lw=1,
                        label="slope %g" % reference_slope)
            drawn = drawn or bool(line)
        ax.set_title("%s, %s" % (metric, title))
        ax.set_xlabel(x_label)
        ax.set_ylabel("sup_t error")
        if not drawn:
            # e.g. the risk gaps where R_N was too costly to record
            ax.text(0.5, 0.5, "no finite values", ha="center", va="center", transform=ax.transAxes)
            ax.set_xticks([])
            ax.set_yticks([])
            continue
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.legend(fontsize=8)
    save(fig, path)


def read_csv(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def clean(metric):
    return metric.startswith("w1") or metric == "sliced_w1" or metric.startswith("test_gap") \
        or metric == "risk_gap_no_self"


def exponent_figure(path, rates, metrics):
    """Exponent against t per metric: N-sweep and epsilon-sweep, one line per d, 95% band."""
    fig, axes = panel_grid(metrics)
    for ax, metric in zip(axes, metrics):
        for sweep, reference in (("N", -0.5), ("epsilon", 0.5)):
            for d in sorted({int(r["d"]) for r in rates if r["sweep"] == sweep}):
                line = sorted(((float(r["t"]), float(r["exponent"]), float(r["ci95_half_width"]))
                               for r in rates if r["metric"] == metric and r["sweep"] == sweep
                               and r["t"] != "sup" and int(r["d"]) == d and r["fitted"] == "1"
                               and math.isfinite(float(r["exponent"]))))
                if not line:
                    continue
                t, e, h = zip(*line)
                h = [0.0 if math.isnan(x) else x for x in h]
                drawn, = ax.plot(t, e, marker="o", label="%s, d = %d" % (sweep, d))
                ax.fill_between(t, [a - b for a, b in zip(e, h)], [a + b for a, b in zip(e, h)], alpha=0.2,
                                color=drawn.get_color())
            ax.axhline(reference, color="k", ls="--", lw=1)
        ax.set_title(metric)
        ax.set_xlabel("t")
        ax.set_ylabel("exponent (95% band)")
        ax.legend(fontsize=7)
    save(fig, path)


def time_figure(path, rows, metrics, scale_by_n, ylabel):
    """Seed means against t at the smallest epsilon, one line per N (and d), log y unless scaled."""
    eps_min = min(float(r["epsilon"]) for r in rows)
    fig, axes = panel_grid(metrics)
    for ax, metric in zip(axes, metrics):
        for d in sorted({int(float(r["d"])) for r in rows}):
            for N in sorted({int(float(r["N"])) for r in rows}):
                line = sorted((float(r["t"]), float(r[metric + "_mean"]), float(r[metric + "_ci95"]))
                              for r in rows if int(float(r["d"])) == d and int(float(r["N"])) == N
                              and math.isclose(float(r["epsilon"]), eps_min, rel_tol=1e-12))
                line = [p for p in line if math.isfinite(p[1])]
                if not line:
                    continue
                t, y, ci = zip(*line)
                factor = N if scale_by_n else 1.0
                ci = [0.0 if math.isnan(c) else c * factor for c in ci]
                ax.errorbar(t, [v * factor for v in y], yerr=ci, marker="o", capsize=2,
                            label="N = %d, d = %d" % (N, d))
        ax.set_title("%s, epsilon = %g" % (metric, eps_min))
        ax.set_xlabel("t")
        ax.set_ylabel(ylabel)
        if not scale_by_n:
            ax.set_yscale("log")
        ax.legend(fontsize=7)
    save(fig, path)


def bias_fluctuation_figure(path, parts):
    """Per signed quantity (rows) and d (columns): |bias| (filled) and fluctuation (open) against N."""
    eps_min = min(float(r["epsilon"]) for r in parts)
    parts = [r for r in parts if math.isclose(float(r["epsilon"]), eps_min, rel_tol=1e-12)]
    quantities = list(dict.fromkeys(r["quantity"] for r in parts))
    dims = sorted({int(r["d"]) for r in parts})
    fig, axes = plt.subplots(len(quantities), len(dims), figsize=(4.8 * len(dims), 3.6 * len(quantities)),
                             squeeze=False)
    for row, quantity in enumerate(quantities):
        for col, d in enumerate(dims):
            ax = axes[row][col]
            for t in sorted({float(r["t"]) for r in parts}):
                line = sorted((int(r["N"]), abs(float(r["bias"])), float(r["bias_ci95"]), float(r["fluctuation"]))
                              for r in parts if r["quantity"] == quantity and int(r["d"]) == d
                              and float(r["t"]) == t and math.isfinite(float(r["fluctuation"])))
                if len(line) < 2:
                    continue
                N, bias, ci, fluctuation = zip(*line)
                drawn, = ax.plot(N, fluctuation, marker="o", mfc="none", ls="--", label="fluct., t = %g" % t)
                lower = [min(c, b * 0.999) if math.isfinite(c) else 0.0 for c, b in zip(ci, bias)]
                upper = [c if math.isfinite(c) else 0.0 for c in ci]
                ax.errorbar(N, bias, yerr=[lower, upper], marker="o", capsize=2, color=drawn.get_color(),
                            label="|bias|, t = %g" % t)
            n = sorted({int(r["N"]) for r in parts})
            for slope, style in ((-1.0, ":"), (-0.5, "-.")):
                ax.plot([n[0], n[-1]], [1e-3 * (x / n[0]) ** slope for x in (n[0], n[-1])], "k" + style, lw=1,
                        label="N^%g" % slope)
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_title("%s, d = %d, epsilon = %g" % (quantity, d, eps_min), fontsize=9)
            ax.set_xlabel("width N")
            ax.legend(fontsize=6, ncol=2)
    save(fig, path)


def main(folder):
    rows, metrics = read_summary(folder)
    if not rows:
        print("plot_study.py: study_summary.csv holds no configuration yet", file=sys.stderr)
        return 1
    dims = sorted({int(r["d"]) for r in rows})
    eps_min = min(r["epsilon"] for r in rows)
    n_max = max(r["N"] for r in rows)
    at_eps_min = lambda r, d: int(r["d"]) == d and math.isclose(r["epsilon"], eps_min, rel_tol=1e-12)
    at_n_max = lambda r, d: int(r["d"]) == d and r["N"] == n_max
    sweep_figure(os.path.join(folder, "error_vs_N.png"), rows, metrics, dims, at_eps_min, "N", "width N",
                 "epsilon = %g" % eps_min, reference_slope=-0.5)
    sweep_figure(os.path.join(folder, "error_vs_epsilon.png"), rows, metrics, dims, at_n_max, "epsilon",
                 "step size epsilon", "N = %d" % n_max)
    sweep_figure(os.path.join(folder, "error_vs_D_epsilon.png"), rows, metrics, dims, at_n_max, "Deps",
                 "D epsilon", "N = %d" % n_max)
    by_time = os.path.join(folder, "study_summary_by_time.csv")
    if os.path.exists(by_time):
        rows_t = read_csv(by_time)
        rates = read_csv(os.path.join(folder, "rates.csv"))
        exponent_figure(os.path.join(folder, "exponent_vs_t.png"), rates, [m for m in metrics if clean(m)])
        time_figure(os.path.join(folder, "error_vs_t.png"), rows_t, [m for m in metrics if clean(m)], False,
                    "error at t")
        if "risk_gap_no_self" in metrics:
            time_figure(os.path.join(folder, "N_risk_gap_vs_t.png"), rows_t, ["risk_gap_no_self"], True,
                        "N x risk_gap_no_self")
    parts = os.path.join(folder, "bias_fluctuation.csv")
    if os.path.exists(parts):
        bias_fluctuation_figure(os.path.join(folder, "bias_fluctuation_vs_N.png"), read_csv(parts))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))

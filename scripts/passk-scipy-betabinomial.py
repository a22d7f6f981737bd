#!/usr/bin/env python3
"""Baseline for `t2 passk`'s speed: a maximum-likelihood beta-binomial fitted per model with scipy.

Reads a counts CSV (model,problem,samples,correct, as `t2 passk` does), fits p ~ Beta(a, b) per model
by L-BFGS-B on the negative log-likelihood sum(scipy.stats.betabinom.logpmf(c, n, a, b)) over
(ln a, ln b) from a method-of-moments start, and prints a, b and the forecast pass@k = 1 - B(a, b+k)/B(a, b)
per model. Models with no correct sample are skipped (their MLE does not exist). This is the
"scipy script that point-fits a beta-binomial per model" of issue 11: no intervals, no pooling, no
choice of family — the least a user would run.

Usage: scripts/passk-scipy-betabinomial.py COUNTS.csv [--forecast 1000,10000] [--likelihood betabinom|betaln]
Needs python3 with numpy and scipy.
"""
import argparse, collections, csv, math, sys

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln
from scipy.stats import betabinom

ap = argparse.ArgumentParser()
ap.add_argument("counts")
ap.add_argument("--forecast", default="1000,10000")
ap.add_argument("--likelihood", choices=["betabinom", "betaln"], default="betabinom",
                help="betabinom: scipy.stats.betabinom.logpmf (default); betaln: the same likelihood written with\n                scipy.special.betaln, without the constant binomial term (a faster, stricter reference)")
args = ap.parse_args()
ks = [int(k) for k in args.forecast.split(",")]

groups = collections.OrderedDict()
with open(args.counts, newline="") as f:
    for row in csv.DictReader(f):
        groups.setdefault(row.get("model", "all"), []).append((int(row["samples"]), int(row["correct"])))

print("model,a,b," + ",".join(f"pass@{k}" for k in ks))
for model, rows in groups.items():
    n = np.array([r[0] for r in rows], dtype=float)
    c = np.array([r[1] for r in rows], dtype=float)
    if c.sum() == 0:
        print(f"{model},,," + ",".join("" for _ in ks))
        continue
    m = min(max(c.sum() / n.sum(), 1e-7), 0.9)

    def nll(x):
        a, b = np.exp(x)
        if args.likelihood == "betaln":
            return -(betaln(c + a, n - c + b) - betaln(a, b)).sum()
        return -betabinom.logpmf(c, n, a, b).sum()

    best = None
    for a0 in (0.1, 0.3, 1.0, 3.0):
        r = minimize(nll, [math.log(a0), math.log(a0 * (1 - m) / m)], method="L-BFGS-B")
        if np.isfinite(r.fun) and (best is None or r.fun < best.fun):
            best = r
    a, b = np.exp(best.x)
    forecasts = [-math.expm1(betaln(a, b + k) - betaln(a, b)) for k in ks]
    print(f"{model},{a:.6g},{b:.6g}," + ",".join(f"{p:.6f}" for p in forecasts))

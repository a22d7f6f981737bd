#!/usr/bin/env python3
"""Synthetic repeated-sampling counts with known truth, for `t2 sample simulate`.

Each group has 60 problems: a third never solved (p = 0), a third hard (p ~ Beta(0.3, 4)), a third
easy (p uniform in 0.4-0.95); 400 recorded samples each, c ~ Binomial(400, p). The truth a
simulated run estimates is the pass@k of all 400 samples (t2 sample simulate computes it).

    scripts/adaptive-synthetic-counts.py > synthetic.csv
    t2 sample simulate synthetic.csv --target-k 50 --precision 0.08 --seeds 4
"""
import random
import sys

groups = int(sys.argv[1]) if len(sys.argv) > 1 else 3
print("model,problem,samples,correct")
for g in range(groups):
    rng = random.Random(100 + g)
    for i in range(60):
        kind = i % 3
        if kind == 0:
            p = 0.0
        elif kind == 1:
            p = rng.betavariate(0.3, 4)
        else:
            p = 0.4 + 0.55 * rng.random()
        c = sum(1 for _ in range(400) if rng.random() < p)
        print(f"synthetic-{g},p{i},400,{c}")

"""A plain NumPy SGD step (doc/theory.md §2, fixed second layer, truncated ReLU,
B = 1), the baseline of benchmarks/sgd_step.sh: the same work as mfdd's step
(sample, W x, activation, prediction, rank-one update)."""
import os
import time

# One core, as the C++ side; CPU time of this process, as the C++ side (the
# machine may be shared).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np  # noqa: E402

s1, s2, t1, t2 = -2.5, 7.5, 0.5, 1.5
slope = (s2 - s1) / (t2 - t1)
print("N,d,steps_per_s,GFLOP_per_s")
for N, d in [(1000, 40), (10000, 100), (100000, 100)]:
    rng = np.random.default_rng(1)
    W0 = rng.normal(0.0, 0.8 / np.sqrt(d), size=(N, d))
    W = W0
    eps = 1e-6

    def step(W=W):
        y = 1.0 if rng.random() < 0.5 else -1.0
        x = rng.normal(0.0, 1.5 if y > 0 else 0.5, size=d)
        h = W @ x
        sigma = np.clip(s1 + slope * (h - t1), s1, s2)
        dsigma = np.where((h >= t1) & (h < t2), slope, 0.0)
        f = sigma.mean()
        W += np.outer(2 * eps * (y - f) * dsigma, x)

    for _ in range(10):
        step()
    steps, start = 0, time.process_time()
    while time.process_time() - start < 3.0:
        for _ in range(20):
            step()
        steps += 20
    rate = steps / (time.process_time() - start)
    print(f"{N},{d},{rate:.1f},{4 * N * d * rate / 1e9:.3f}")

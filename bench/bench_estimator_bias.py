"""Bias and spread of the sample estimators in 10-D at the sizes the toolkit uses, against the
Gaussian closed forms (gaussian_exact), over seeds (issue 10 case 8). Prints a Markdown table.

    python bench/bench_estimator_bias.py [--reps 20] [--only classifier,knn,w2,frechet,eta]

Pairs (d = 10, q = N(0, I)): "same" p = q; "mean" p = N(m, I) with |m|^2 = 0.5;
"wide" p = N(0, diag(1.3, 1.3, 1, ..., 1)); "narrow" diag(0.5, 0.5, 1, ..., 1). eta: target N(0, 0.36 I), score error W = 0.3 S + 0.04 I
(S a random skew-symmetric matrix: an almost invisible error), K = 100 steps, 300 paths.
"""
from __future__ import annotations

import argparse
import math
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import torch  # noqa: E402

import gaussian_exact as ge  # noqa: E402
from neural.error_injection import ErrorInjectedScore, random_direction_matrix  # noqa: E402
from neural.estimators import (classifier_divergences, frechet_distance, knn_kl,  # noqa: E402
                               w2_to_data)
from neural.observability import observability_mc  # noqa: E402
from neural.sde import VPSDE  # noqa: E402

D = 10
Q = ge.Gaussian(np.zeros(D), np.ones(D))
PAIRS = {
    "same": Q,
    "mean": ge.Gaussian(np.full(D, math.sqrt(0.05)), np.ones(D)),
    "wide": ge.Gaussian(np.zeros(D), np.array([1.3, 1.3] + [1.0] * (D - 2))),
    "narrow": ge.Gaussian(np.zeros(D), np.array([0.5, 0.5] + [1.0] * (D - 2))),
}


def truths(p):
    return {"kl": ge.kl(p, Q), "chi2": ge.chi2(p, Q), "w2": ge.w2(p, Q), "w2sq": ge.w2(p, Q) ** 2}


def _draw(law, n, seed):
    return law.sample(n, np.random.default_rng(seed))


def run_classifier(reps, n=2000, **kw):
    rows = []
    for name, p in PAIRS.items():
        t = truths(p)
        for kind in ("chi2", "kl"):
            vals, ses = [], []
            for s in range(reps):
                out = classifier_divergences(_draw(p, n, 2 * s), _draw(Q, n, 2 * s + 1), seed=s, **kw)
                vals.append(out[kind])
                ses.append(out[f"{kind}_se"])
            rows.append((f"classifier {kind}", name, n, t[kind], vals, ses))
    return rows


def run_knn(reps, n=2000, **kw):
    rows = []
    for name, p in PAIRS.items():
        t = truths(p)
        vals = [knn_kl(_draw(p, n, 2 * s), _draw(Q, n, 2 * s + 1), **kw) for s in range(reps)]
        rows.append(("kNN KL", name, n, t["kl"], vals, None))
    return rows


def run_w2(reps, n=1000, **kw):
    rows = []
    for name, p in PAIRS.items():
        t = truths(p)
        vals = [w2_to_data(_draw(p, n, 2 * s), _draw(Q, n, 2 * s + 1), max_points=n, **kw)[0] for s in range(reps)]
        rows.append(("w2_to_data (W2)", name, n, t["w2"], vals, None))
    return rows


def run_frechet(reps, n=2000, **kw):
    rows = []
    for name, p in PAIRS.items():
        t = truths(p)
        vals = [frechet_distance(_draw(p, n, 2 * s), _draw(Q, n, 2 * s + 1), **kw) for s in range(reps)]
        rows.append(("Frechet (W2^2)", name, n, t["w2sq"], vals, None))
    return rows


def eta_setting(steps=100):
    G = random_direction_matrix(D, seed=3).numpy()
    W = 0.3 * (G - G.T) / 2 + 0.04 * np.eye(D)
    target = ge.Gaussian(np.zeros(D), np.full(D, 0.36))
    truth = ge.observability(target, ge.AffineError(W=W), steps=steps)

    def exact(x, t):
        a, s2 = math.exp(-t / 2), -math.expm1(-t)
        return -x / (a * a * 0.36 + s2)

    return exact, ErrorInjectedScore(exact, W=torch.as_tensor(W)), truth


def run_eta(reps, n_paths=300, steps=100, **kw):
    exact, learned, truth = eta_setting(steps)
    vals, raw, ses = [], [], []
    for s in range(reps):
        x_T = torch.randn(n_paths, D, generator=torch.Generator().manual_seed(s), dtype=torch.float64)
        out = observability_mc(learned, exact, x_T, VPSDE(), steps, generator=torch.Generator().manual_seed(10_000 + s),
                               **kw)
        vals.append(out["eta"].value)
        raw.append(out["eta_unclipped"].value if "eta_unclipped" in out else math.nan)
        ses.append(out["eta"].se)
    rows = [("eta regression (eta, clipped)", "W = 0.3 skew + 0.04 I", n_paths, truth, vals, ses)]
    if not np.all(np.isnan(raw)):
        rows.append(("eta regression (eta_unclipped)", "W = 0.3 skew + 0.04 I", n_paths, truth, raw, ses))
    return rows


RUNNERS = {"classifier": run_classifier, "knn": run_knn, "w2": run_w2, "frechet": run_frechet, "eta": run_eta}


def table(rows) -> str:
    out = ["| estimator | pair | n | truth | mean | bias | spread (sd) | mean stated se |", "|---|---|---|---|---|---|---|---|"]
    for est, pair, n, truth, vals, ses in rows:
        v = np.asarray(vals, dtype=float)
        se = "" if ses is None else f"{np.mean(ses):.3g}"
        out.append(f"| {est} | {pair} | {n} | {truth:.4g} | {v.mean():.4g} | {v.mean() - truth:+.3g} | {v.std(ddof=1):.3g} | {se} |")
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=20)
    ap.add_argument("--only", default=",".join(RUNNERS))
    args = ap.parse_args()
    torch.set_num_threads(1)
    rows = []
    for key in args.only.split(","):
        start = time.perf_counter()
        rows += RUNNERS[key](args.reps)
        print(f"{key}: {time.perf_counter() - start:.1f} s", flush=True)
    print(table(rows))


if __name__ == "__main__":
    main()

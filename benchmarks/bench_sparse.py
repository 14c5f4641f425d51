"""Sparse X: a LogisticRegression over 200,000 TF-IDF-like features, fastscore against scikit-learn, side by side.

    python benchmarks/bench_sparse.py [--features N] [--rounds N] [--threads N] [--classes K]

X is CSR float64 (int32 indices) of density about 1e-4 (20 entries per row,
columns drawn from a Zipf-like law, each row scaled to unit l2 norm, as
TfidfVectorizer gives), of 1,000 and of 100,000 rows. Contenders, each giving
predict_proba's (n, k) result from the same matrix: scikit-learn's
predict_proba; fastscore's on the CSR (the kernel over its structure, on the
threads it picks), and its score() (p alone) on --threads threads (1 by
default: on a machine that other jobs share, a second thread can cost more
than it brings); fastscore's predict_proba on the
CSC form of X (scored directly, on one thread) and on that CSC converted by
tocsr() first (a copy, then the threaded CSR kernel), to show which of the
two a caller holding CSC should use. Peak memory of one call above the
inputs (tracemalloc, which sees numpy's and scipy's allocations) is printed
beside the result's own size. Densifying (X.toarray()) is not a contender:
100,000 x 200,000 float64 is 160 GB.

Contenders take turns, each round timing every one once, each keeping its
best round (fastscore.timing.best_time). Prints a table and the target's
ratio (fastscore no slower than scikit-learn on the same CSR); asserts
nothing but agreement with scikit-learn (1e-12) before timing.
"""
import argparse
import time
import tracemalloc

import numpy as np
from scipy import sparse as sp
from sklearn.linear_model import LogisticRegression

import fastscore
from fastscore.timing import PAUSE_BETWEEN_CONTENDERS, best_time


def tfidf_like(n_rows, n_features, per_row, rng):
    """CSR of n_rows rows, about per_row entries each, Zipf-like columns, rows of unit l2 norm, sorted indices."""
    counts = rng.poisson(per_row, n_rows)
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int32)
    ranks = np.minimum(rng.zipf(1.3, indptr[-1]), n_features) - 1
    columns = rng.permutation(n_features)[ranks].astype(np.int32)
    X = sp.csr_matrix((rng.random(indptr[-1]) + 0.1, columns, indptr), shape=(n_rows, n_features))
    X.sum_duplicates()  # a vectorizer's output: each term once, indices sorted
    norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sp.csr_matrix(sp.diags(1.0 / norms) @ X)


def peak_bytes(fn):
    """Peak bytes that tracemalloc sees one call of fn() allocate."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--features", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--threads", type=int, default=0, help="the kernel's n_threads (0: its own choice)")
    parser.add_argument("--classes", type=int, default=2)
    args = parser.parse_args()
    d = args.features
    rng = np.random.default_rng(0)

    train = tfidf_like(5_000, d, 20, rng)
    y = rng.integers(0, args.classes, train.shape[0])
    est = LogisticRegression(max_iter=200).fit(train, y)
    model = fastscore.from_sklearn(est)
    print(f"LogisticRegression, {args.classes} classes, {d} features; fastscore backend {model.backend}")
    print(f"{'rows':>8} {'contender':<34} {'time':>12} {'per row':>10} {'peak memory':>14} {'result':>10}")
    for n in (1_000, 100_000):
        X = tfidf_like(n, d, 20, rng)
        C = X.tocsc()
        want = est.predict_proba(X)
        contenders = {
            "scikit-learn predict_proba (CSR)": lambda: est.predict_proba(X),
            "fastscore predict_proba (CSR)": lambda: model.predict_proba(X),  # threads: the kernel's choice
            "fastscore predict_proba (CSC)": lambda: model.predict_proba(C),
            "fastscore on CSC.tocsr()": lambda: model.predict_proba(C.tocsr()),
        }
        threads = args.threads or 1
        contenders[f"fastscore score (CSR, {threads} thread{'s' if threads > 1 else ''})"] = (
            lambda: model.score(X, n_threads=threads))
        for name, fn in contenders.items():
            if "score (" not in name:
                got = fn()
                assert np.abs(got - want).max() <= 1e-12, name
        best = {name: float("inf") for name in contenders}
        for _ in range(args.rounds):
            for name, fn in contenders.items():
                best[name] = min(best[name], best_time(fn, rounds=1))
                time.sleep(PAUSE_BETWEEN_CONTENDERS)
        for name, fn in contenders.items():
            peak = peak_bytes(fn)
            print(f"{n:>8} {name:<34} {best[name] * 1e3:>10.3f}ms {best[name] / n * 1e9:>8.1f}ns "
                  f"{peak / 1e6:>12.2f}MB {want.nbytes / 1e6:>8.2f}MB")
        ratio = best["scikit-learn predict_proba (CSR)"] / best["fastscore predict_proba (CSR)"]
        print(f"{n:>8} target: fastscore no slower than scikit-learn on CSR: {ratio:.2f}x "
              f"{'PASS' if ratio >= 1.0 else 'FAIL'}")


if __name__ == "__main__":
    main()

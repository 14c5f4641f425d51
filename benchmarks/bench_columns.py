"""Scoring columns where they lie: Kernel.score_columns against score() and scikit-learn, side by side.

    python benchmarks/bench_columns.py [--rows N] [--rounds N] [--threads N] [--cpu]

A LogisticRegression on N x 3 float64 data (1,000,000 rows by default), held
as a pandas DataFrame (one float64 block: each column a contiguous view) and
as a C-ordered array. Contenders, each giving predict_proba's (n, 2) pairs:
scikit-learn's predict_proba on the DataFrame; the kernel's score() on the
C-ordered array (the row-major path, which a DataFrame reaches only through a
copy); score_columns on the DataFrame's column views (df[c].to_numpy(), no
copy), on separately allocated columns, on the strided column views of the
C-ordered array, on float32 columns, and with 5 code tables of 10 codes. The
p-only layout (n,) is timed too, and the model's predict_proba on the
DataFrame, which today copies it to a row-major array first.

The contenders take turns: each round times every contender once (a
fastscore.timing.best_time of one round), and each keeps its best round, so
that a burst of load on a shared machine slows every contender alike
instead of one. --cpu times the process's CPU time instead of the wall
clock: on a machine that other jobs share, time spent waiting for a core
then does not count (run it with --threads 1 and OPENBLAS_NUM_THREADS=1,
since CPU time adds up every thread's). Prints a table and the two
targets' ratios; it asserts nothing. Needs pandas and scikit-learn.
"""
import argparse
import time

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

import fastscore
from fastscore import _backend, links
from fastscore._backend import BINARY_PROBA, FLAT
from fastscore.timing import PAUSE_BETWEEN_CONTENDERS, best_time

LOGISTIC = links.BY_NAME["logistic"].code


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--threads", type=int, default=0, help="the kernel's n_threads (0: its own choice)")
    parser.add_argument("--cpu", action="store_true", help="time CPU time, not the wall clock")
    args = parser.parse_args()
    n, rounds, threads = args.rows, args.rounds, args.threads

    rng = np.random.default_rng(0)
    names = ["age", "income", "tenure"]
    X = rng.standard_normal((n, 3)) * [10.0, 3.0, 1.0] + [40.0, 50.0, 5.0]
    df = pd.DataFrame(X, columns=names)
    z = X @ [0.05, -0.2, 0.7]
    y = (z + rng.standard_normal(n) > np.median(z)).astype(int)
    est = LogisticRegression().fit(df.iloc[:50_000], y[:50_000])

    views = [df[c].to_numpy() for c in names]
    assert all(v.flags.c_contiguous and np.shares_memory(v, df[c].to_numpy()) for v, c in zip(views, names))
    assert all(np.shares_memory(v, df.values) for v in views), "the DataFrame's columns are not one block"
    C = np.ascontiguousarray(X)
    separate = [np.array(X[:, i]) for i in range(3)]
    strided = [C[:, i] for i in range(3)]
    f32 = [v.astype(np.float32) for v in views]
    C32 = C.astype(np.float32)
    tables = [rng.standard_normal((10, 1)) * 0.1 for _ in range(5)]
    codes = [rng.integers(0, 10, n).astype(np.int32) for _ in tables]

    Kernel = _backend.kernel_class("compiled")
    kernel = Kernel(est.coef_, est.intercept_)
    with_tables = Kernel(est.coef_, est.intercept_, tables=tables)
    pure = _backend.kernel_class("pure")(est.coef_, est.intercept_)

    want = est.predict_proba(df)
    got = kernel.score_columns(views, LOGISTIC, layout=BINARY_PROBA)
    assert np.abs(got - want).max() < 1e-12, np.abs(got - want).max()

    model = fastscore.from_sklearn(est)
    contenders = [
        ("scikit-learn predict_proba(DataFrame)", lambda: est.predict_proba(df)),
        ("fastscore model.predict_proba(DataFrame)", lambda: model.predict_proba(df)),
        ("score(C-ordered X)", lambda: kernel.score(C, LOGISTIC, layout=BINARY_PROBA, n_threads=threads)),
        ("score(np.ascontiguousarray(df)): the copy included",
         lambda: kernel.score(np.ascontiguousarray(df.to_numpy()), LOGISTIC, layout=BINARY_PROBA, n_threads=threads)),
        ("score_columns(DataFrame column views)",
         lambda: kernel.score_columns(views, LOGISTIC, layout=BINARY_PROBA, n_threads=threads)),
        ("score_columns(separate arrays)",
         lambda: kernel.score_columns(separate, LOGISTIC, layout=BINARY_PROBA, n_threads=threads)),
        ("score_columns(strided views of C-ordered X)",
         lambda: kernel.score_columns(strided, LOGISTIC, layout=BINARY_PROBA, n_threads=threads)),
        ("score_columns(views) + 5 tables of 10 codes",
         lambda: with_tables.score_columns(views, LOGISTIC, layout=BINARY_PROBA, n_threads=threads, codes=codes)),
        ("score(C-ordered X), p only", lambda: kernel.score(C, LOGISTIC, layout=FLAT, n_threads=threads)),
        ("score_columns(views), p only",
         lambda: kernel.score_columns(views, LOGISTIC, layout=FLAT, n_threads=threads)),
        ("score(C-ordered float32 X), p only", lambda: kernel.score(C32, LOGISTIC, layout=FLAT, n_threads=threads)),
        ("score_columns(float32 columns), p only",
         lambda: kernel.score_columns(f32, LOGISTIC, layout=FLAT, n_threads=threads)),
        ("pure score_columns(views)", lambda: pure.score_columns(views, LOGISTIC, layout=BINARY_PROBA)),
    ]
    times = {name: float("inf") for name, _ in contenders}
    for _ in range(rounds):
        for name, fn in contenders:
            time.sleep(PAUSE_BETWEEN_CONTENDERS)
            times[name] = min(times[name], _cpu_time(fn) if args.cpu else best_time(fn, rounds=1))
    print(f"{n:,} rows x 3 float64 columns, LogisticRegression, kernel n_threads={threads}, best of {rounds} rounds"
          f"{' of CPU time' if args.cpu else ''}")
    print(f"{'contender':<55} {'ms':>9}")
    for name, _ in contenders:
        print(f"{name:<55} {times[name] * 1e3:9.3f}")
    sk = times["scikit-learn predict_proba(DataFrame)"]
    cols = times["score_columns(DataFrame column views)"]
    rows = times["score(C-ordered X)"]
    print()
    print(f"scikit-learn / score_columns(views): {sk / cols:.1f}x faster (target: at least 5x)")
    print(f"score_columns(views) / score(C-ordered X): {cols / rows:.2f} (target: at most 1.0)")


def _cpu_time(fn):
    """The process's CPU seconds per call of fn(), over calls lasting at least 20 ms of it."""
    calls, spent = 0, 0.0
    while spent < 0.02:
        start = time.process_time()
        fn()
        spent += time.process_time() - start
        calls += 1
    return spent / calls


if __name__ == "__main__":
    main()

"""Time fastscore against scikit-learn on DataFrames, Arrow tables and JSON requests, side by side.

    python benchmarks/bench_frames.py [--rows 1000000] [--rounds 5] [--quick]

A LogisticRegression fitted on a pandas DataFrame of three float64 columns
(age, income, tenure) scores the same rows held as: a pandas DataFrame of
float64 columns, of nullable Float64 columns and of pyarrow-backed
columns, a polars DataFrame, a pyarrow Table and a dict of numpy arrays,
each with its columns in another order than the model's. fastscore reads
each column where it lies (the kernel's score_columns), so no row-major copy
of the frame is made. Then one request: a list (by position), a dict (a JSON
request, by name) and a pandas Series (by label).

Contenders take their rounds in turn (see interleaved). Printed: milliseconds per call
(the median round), scikit-learn's time on the same frame where
it takes it, the time of the frame made a row-major array first (the
compiled backend), the speed-up over scikit-learn, and each kind's time over
plain float64 columns (nullable and pyarrow-backed columns should stay
within 1.5x of it). Every result is checked against scikit-learn (1e-12)
before it is timed; nothing else asserts. Ratios, not absolute times, carry
over between machines.
"""
import argparse
import time

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression

import fastscore
from fastscore import _backend
from fastscore.timing import PAUSE_BETWEEN_CONTENDERS, best_time

NAMES = ["age", "income", "tenure"]
#: what interleaved reads: the wall clock, or (bench_targets --cpu) the process's CPU time
CLOCK = time.perf_counter


def timed(fn, rounds):
    """best_time after a pause: the last contender's thread pool would otherwise steal the cores."""
    time.sleep(PAUSE_BETWEEN_CONTENDERS)
    return best_time(fn, rounds)


def interleaved(fns, rounds, min_round_seconds=0.05):
    """{key: [seconds per call in each round]} of each fn in fns, `rounds` rounds taken in turn.

    One round of each contender after another, so that a busy spell of a
    shared machine falls on all of them alike and the ratios stay fair. A
    round repeats its call for at least min_round_seconds: the first call
    after another contender pays for the memory that contender's results
    left the allocator in (fresh pages for its own result), the next ones
    do not, as in a service that scores batch after batch.
    """
    calls = {}
    for key, fn in fns.items():
        n = 1
        while True:
            start = CLOCK()
            for _ in range(n):
                fn()
            if CLOCK() - start >= min_round_seconds:
                break
            n *= 4
        calls[key] = n
    times = {key: [] for key in fns}
    for _ in range(rounds):
        for key, fn in fns.items():
            time.sleep(PAUSE_BETWEEN_CONTENDERS)  # the last one's thread pool stops spinning
            start = CLOCK()
            for _ in range(calls[key]):
                fn()
            times[key].append((CLOCK() - start) / calls[key])
    return times


def median(values):
    """The median of a list of seconds: what a round typically took, less flattering than the best."""
    return float(np.median(values))


def paired_ratio(ours, theirs):
    """The median over rounds of ours / theirs in the same round: a ratio of two contenders that took
    their turns side by side, so that a busy spell that slows both cancels out."""
    return float(np.median(np.asarray(ours) / np.asarray(theirs)))


def backends():
    """The backends this install has: compiled (where built) and pure."""
    return [b for b in _backend.MODULES if b == "pure" or _backend.name == "compiled"]


def data(n):
    """The fitting frame and the model's frame of n rows (float64 columns, model order)."""
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"age": rng.normal(40, 12, n), "income": rng.normal(50, 15, n),
                       "tenure": rng.uniform(0, 20, n)})
    z = (df.age - 40) / 12 - (df.income - 50) / 15 + (df.tenure - 10) / 6
    fit = df.iloc[:5000]
    est = LogisticRegression().fit(fit, (z.iloc[:5000] + rng.normal(size=len(fit))) > 0)
    return est, df


def frames(df):
    """name -> (X for fastscore, X for scikit-learn in the model's column order, or None where
    scikit-learn does not take that kind)."""
    import polars as pl
    import pyarrow as pa

    shuffled = df[["tenure", "income", "age"]]  # another order than the model's: read by name
    nullable = shuffled.astype("Float64")
    arrow_backed = shuffled.astype("float64[pyarrow]")
    return {
        "pandas float64": (shuffled, df),
        "pandas Float64 (nullable)": (nullable, nullable[NAMES]),
        "pandas float64[pyarrow]": (arrow_backed, arrow_backed[NAMES]),
        "polars Float64": (pl.from_pandas(shuffled), pl.from_pandas(df)),
        "pyarrow Table": (pa.Table.from_pandas(shuffled, preserve_index=False), None),
        "dict of numpy arrays": ({k: shuffled[k].to_numpy() for k in shuffled}, None),
    }


def measure(rows, rounds, extras=True):
    """Seconds per call in each round of each contender, {(frame, contender): [seconds]}; prints the
    tables (extras: the frame made an ndarray first, and one request; not timed when False)."""
    est, df = data(rows)
    models = {b: fastscore.from_sklearn(est, backend=b) for b in backends()}
    print(f"fastscore {fastscore.__version__} ({', '.join(models)}), pandas {pd.__version__}, "
          f"{rows:,} rows x 3 columns, median of {rounds} rounds, milliseconds per call")

    # "via ndarray": the same frame made a row-major array first (np.asarray, then the array
    # path), which is how a frame was scored before columns were read by name: a nullable
    # frame becomes an array of objects, converted value by value (one round: it is slow).
    head = f"{'X':28} {'scikit-learn':>13} {'via ndarray':>12}"
    for b in models:
        head += f" {b:>10} {'speed-up':>9} {'/ float64':>10}"
    print(head)
    compiled = next(iter(models.values()))
    cases = frames(df)
    fns = {}
    for name, (X, X_sk) in cases.items():
        if X_sk is not None:
            fns[name, "scikit-learn"] = lambda X_sk=X_sk: est.predict_proba(X_sk)
        for b, model in models.items():
            np.testing.assert_allclose(model.predict_proba(X), est.predict_proba(df), rtol=0, atol=1e-12)
            fns[name, b] = lambda model=model, X=X: model.predict_proba(X)
    rounds_t = interleaved(fns, rounds)
    t = {k: median(v) for k, v in rounds_t.items()}
    for name, (X, X_sk) in cases.items():
        sk = t.get((name, "scikit-learn"))
        before = "" if X_sk is None or not name.startswith("pandas") or not extras else \
            format(timed(lambda: compiled.predict_proba(np.asarray(X_sk)), 1) * 1e3, "12.2f")
        line = f"{name:28} {'' if sk is None else format(sk * 1e3, '13.2f'):>13} {before:>12}"
        for b in models:
            mine, plain = t[name, b], t["pandas float64", b]
            speedup = "" if sk is None else f"{sk / mine:8.1f}x"
            line += f" {mine * 1e3:10.2f} {speedup:>9} {mine / plain:9.2f}x"
        print(line)
    if not extras:
        return rounds_t

    print("\none request (microseconds per call)")
    row = df.iloc[0]
    request = {"tenure": float(row.tenure), "age": float(row.age), "income": float(row.income)}
    series = row[["tenure", "age", "income"]]
    one_row = df.iloc[[0]]
    fns = {"scikit-learn": lambda: est.predict_proba(one_row)}
    for b, model in models.items():
        for name, given in (("list", row[NAMES].tolist()), ("dict (JSON request)", request),
                            ("pandas Series", series)):
            assert abs(model.score_one(given) - est.predict_proba(one_row)[0, 1]) <= 1e-12
            fns[f"{b} score_one, {name}"] = lambda model=model, given=given: model.score_one(given)
    ones = {k: median(v) for k, v in interleaved(fns, rounds).items()}
    sk = ones.pop("scikit-learn")
    print(f"{'scikit-learn, 1-row DataFrame':40} {sk * 1e6:10.2f}")
    for key, seconds in ones.items():
        print(f"{key:40} {seconds * 1e6:10.3f}  ({sk / seconds:,.0f}x scikit-learn)")
    return rounds_t


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="3 rounds")
    args = parser.parse_args()
    measure(args.rows, 3 if args.quick else args.rounds)


if __name__ == "__main__":
    main()

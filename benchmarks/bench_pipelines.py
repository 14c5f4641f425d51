"""A ColumnTransformer pipeline scored by fastscore and by scikit-learn, side by side.

    python benchmarks/bench_pipelines.py [--rows N]

The pipeline most deployed linear models sit in: imputed and standardised
numbers, one-hot encoded strings (with missing values) and a LogisticRegression,
fitted on a pandas DataFrame. Times a batch of N rows (default 1M) in a
DataFrame, and one request (a dict against a one-row DataFrame), for
scikit-learn and fastscore's two backends. Every time is the best of
several rounds (fastscore.timing.best_time). Nothing here asserts: it reports.
"""
import argparse
import warnings

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import fastscore
from fastscore.timing import best_time

NUMBERS = ["age", "income", "tenure"]
CATEGORIES = ["city", "plan"]


def frame(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """n rows: three numbers (10% of ages missing), a city of 20 (5% missing) and a plan of 3."""
    df = pd.DataFrame({"age": rng.normal(40, 10, n), "income": rng.normal(50, 20, n),
                       "tenure": rng.normal(5, 2, n), "city": rng.choice([f"c{i}" for i in range(20)], n),
                       "plan": rng.choice(["basic", "plus", "pro"], n)})
    df.loc[rng.random(n) < 0.1, "age"] = np.nan
    df.loc[rng.random(n) < 0.05, "city"] = np.nan
    return df


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    train = frame(5000, rng)
    pre = ColumnTransformer([("num", make_pipeline(SimpleImputer(), StandardScaler()), NUMBERS),
                             ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORIES)])
    est = make_pipeline(pre, LogisticRegression()).fit(train, rng.random(5000) < 0.5)
    batch = frame(args.rows, rng)
    one = batch.iloc[:1]
    request = {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in one.iloc[0].to_dict().items()}
    rows = [("scikit-learn", lambda: est.predict_proba(batch), lambda: est.predict_proba(one))]
    for backend in ("compiled", "pure"):
        try:
            model = fastscore.from_sklearn(est, backend=backend)
        except ValueError as exc:
            print(f"fastscore {backend}: not available ({exc})")
            continue
        rows.append((f"fastscore {backend}", lambda m=model: m.predict_proba(batch),
                     lambda m=model: m.score_one(request)))
    print(f"{'':20} {args.rows:>9,} rows   one request")
    base_batch = base_one = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, run_batch, run_one in rows:
            t_batch, t_one = best_time(run_batch, rounds=3), best_time(run_one, rounds=10)
            base_batch, base_one = base_batch or t_batch, base_one or t_one
            print(f"{name:20} {t_batch * 1e3:9.1f} ms {base_batch / t_batch:5.1f}x  {t_one * 1e6:9.1f} us "
                  f"{base_one / t_one:7.0f}x")


if __name__ == "__main__":
    main()

"""A ColumnTransformer pipeline scored by fastscore, scikit-learn and onnxruntime, side by side.

    python benchmarks/bench_pipelines.py [--rows N] [--rounds N]

The pipeline most deployed linear models sit in: imputed and standardised
numbers, one-hot encoded strings (with missing values, unknown categories
ignored) and a LogisticRegression, fitted on a pandas DataFrame. Contenders:
scikit-learn's predict_proba, onnxruntime on skl2onnx's conversion of the
same fitted pipeline, and fastscore's two backends.

- One request: fastscore's score_one on a dict (a JSON request); scikit-learn
  on a one-row DataFrame; onnxruntime on one-row inputs, one per column, made
  once beforehand (its best case: the request's conversion to arrays is not
  timed), one session built once with intra_op_num_threads=1.
- A batch of N rows (default 1M) in a pandas DataFrame: fastscore and
  scikit-learn take the frame; onnxruntime takes its columns as numpy arrays
  made beforehand (not timed), with its default threads; fastscore uses the
  same number of threads (stated).
- The same batch with nullable (Float64 numbers, Categorical strings) and pyarrow-backed columns,
  as a ratio of fastscore's time on the plain frame.

skl2onnx converts this pipeline with float inputs only (onnxruntime has no
float64 kernel for the ai.onnx.ml Imputer), so onnxruntime computes in
float32 and differs from scikit-learn by about 1e-7; the script prints the
largest difference. fastscore is checked against scikit-learn to 1e-12
before it is timed. Contenders take their rounds in turn
(bench_frames.interleaved); printed is the median round. Needs the bench extra
(pip install '.[bench]'). Nothing here asserts but the agreement checks: it reports.
"""
import argparse
import os
import warnings

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import fastscore
from bench_frames import backends, interleaved, median  # this directory: run as a script

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


def fitted(rng: np.random.Generator):
    """The pipeline, fitted on 5,000 rows."""
    train = frame(5000, rng)
    pre = ColumnTransformer([("num", make_pipeline(SimpleImputer(), StandardScaler()), NUMBERS),
                             ("cat", OneHotEncoder(handle_unknown="ignore"), CATEGORIES)])
    return make_pipeline(pre, LogisticRegression()).fit(train, rng.random(5000) < 0.5)


def onnx_session(est, threads: int = 0):
    """onnxruntime on skl2onnx's conversion (float inputs): the session, built once."""
    import onnxruntime as ort
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    types = [(c, FloatTensorType([None, 1])) for c in NUMBERS] + \
        [(c, StringTensorType([None, 1])) for c in CATEGORIES]
    onx = to_onnx(est, initial_types=types, options={id(est[-1]): {"zipmap": False}})
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    return ort.InferenceSession(onx.SerializeToString(), options, providers=["CPUExecutionProvider"])


def onnx_feeds(df: pd.DataFrame) -> dict:
    """The frame's columns as onnxruntime's inputs: (n, 1) float32 numbers and (n, 1) strings
    (a missing category as "nan", the string skl2onnx gives scikit-learn's NaN category)."""
    feeds = {c: df[c].to_numpy(np.float32).reshape(-1, 1) for c in NUMBERS}
    feeds.update({c: df[c].astype(object).fillna("nan").to_numpy(object).reshape(-1, 1) for c in CATEGORIES})
    return feeds


def kinds(df: pd.DataFrame) -> dict:
    """The frame as plain (float64, pandas' default strings), nullable and pyarrow-backed columns.

    The strings keep pandas' default dtype ("str": pyarrow-backed, NaN for missing) or become a
    Categorical: pandas.NA in a "string" column is not a missing value to scikit-learn's encoders
    (they take it as an unknown category) and fastscore refuses it, so it has no place here.
    """
    return {"plain float64": df,
            "nullable Float64, Categorical": df.astype({**dict.fromkeys(NUMBERS, "Float64"),
                                           **dict.fromkeys(CATEGORIES, "category")}),
            "pyarrow-backed": df.astype(dict.fromkeys(NUMBERS, "float64[pyarrow]"))}


def measure(rows: int, rounds: int, threads: int = 0) -> dict:
    """Seconds per call in each round of every contender, {(part, contender): [seconds]}; prints the
    medians. threads: onnxruntime's batch session's (0: its default)."""
    import onnxruntime as ort

    rng = np.random.default_rng(0)
    est = fitted(rng)
    batch = frame(rows, rng)
    one = batch.iloc[:1]
    request = {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in one.iloc[0].to_dict().items()}
    models = {b: fastscore.from_sklearn(est, backend=b) for b in backends()}
    first = next(iter(models))  # compiled where built: the one timed on every kind of column
    single, many = onnx_session(est, threads=1), onnx_session(est, threads)
    threads = threads or os.cpu_count()  # onnxruntime's default: one per core
    feeds, feeds_one = onnx_feeds(batch), onnx_feeds(one)
    frames = kinds(batch)
    expected = est.predict_proba(batch)
    ort_diff = np.abs(many.run(["probabilities"], feeds)[0] - expected).max()
    for model in models.values():
        np.testing.assert_allclose(model.predict_proba(batch), expected, rtol=0, atol=1e-12)
        assert abs(model.score_one(request) - expected[0, 1]) <= 1e-12
    print(f"fastscore {fastscore.__version__}, onnxruntime {ort.__version__} (float32 inputs), pandas "
          f"{pd.__version__}; onnxruntime vs scikit-learn: max |difference| {ort_diff:.1e} (float32)")

    fns = {("one", "scikit-learn"): lambda: est.predict_proba(one),
           ("one", "onnxruntime"): lambda: single.run(["probabilities"], feeds_one)}
    for b, model in models.items():
        fns["one", f"fastscore {b}"] = lambda m=model: m.score_one(request)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rounds_t = interleaved(fns, rounds * 3)
        fns = {("batch", "scikit-learn"): lambda: est.predict_proba(batch),
               ("batch", "onnxruntime"): lambda: many.run(["probabilities"], feeds)}
        for kind, X in frames.items():
            for b, model in models.items():
                np.testing.assert_allclose(model.predict_proba(X), expected, rtol=0, atol=1e-12)
                if kind == "plain float64" or b == first:
                    fns[kind, f"fastscore {b}"] = lambda m=model, X=X: m.predict_proba(X)
        rounds_t.update(interleaved(fns, rounds))
    t = {k: median(v) for k, v in rounds_t.items()}

    print("\none request (a dict; onnxruntime: one-row arrays, 1 thread), microseconds per call")
    for name in ("scikit-learn", "onnxruntime", *(f"fastscore {b}" for b in models)):
        s = t["one", name]
        print(f"  {name:22} {s * 1e6:10.2f}   scikit-learn / this {t['one', 'scikit-learn'] / s:8.0f}x"
              f"   onnxruntime / this {t['one', 'onnxruntime'] / s:6.2f}x")
    fs_threads = fastscore._kernel.max_threads() if "compiled" in models else 1
    print(f"\n{rows:,} rows (threads: onnxruntime {threads}, fastscore {fs_threads}), milliseconds per call")
    for name in ("scikit-learn", "onnxruntime"):
        print(f"  {name:22} {t['batch', name] * 1e3:10.2f}")
    for kind in frames:
        for b in models:
            s = t.get((kind, f"fastscore {b}"))
            if s is not None:
                print(f"  {f'fastscore {b}, {kind}':40} {s * 1e3:10.2f}   scikit-learn / this "
                      f"{t['batch', 'scikit-learn'] / s:6.1f}x   onnxruntime / this {t['batch', 'onnxruntime'] / s:5.2f}x"
                      f"   this / plain {s / t['plain float64', f'fastscore {b}']:5.2f}x")
    return rounds_t


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    measure(args.rows, args.rounds)


if __name__ == "__main__":
    main()

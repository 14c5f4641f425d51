"""The worked example, end to end: fit, convert, save, load, and compare with scikit-learn."""
import os
import tempfile

import numpy as np

import fastscore
from fastscore.timing import best_time

TRUE_INTERCEPT, TRUE_COEF = 0.75, (1.5, -0.5)


def worked_example_data(seed: int = 66, n: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """The worked example's data: p = 1/(1+exp(-(0.75 + 1.5 x1 - 0.5 x2))), y ~ binomial(1, p)."""
    np.random.seed(seed)
    x1 = np.random.uniform(-2, 2, n)
    x2 = np.random.uniform(-2, 2, n)
    p = 1 / (1 + np.exp(-(TRUE_INTERCEPT + TRUE_COEF[0] * x1 + TRUE_COEF[1] * x2)))
    y = np.random.binomial(1, p)
    return np.column_stack([x1, x2]), y


def _us(seconds: float) -> str:
    return f"{seconds * 1e6:9.3f} us"


def main(rows: int = 8) -> float:
    """Run the demo and print the comparison; returns the max |difference| in probabilities."""
    from sklearn.linear_model import LogisticRegression

    X, y = worked_example_data()
    est = LogisticRegression().fit(X, y)
    model = fastscore.from_sklearn(est)
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "model.json")
        model.save(path)
        size = os.path.getsize(path)
        loaded = fastscore.load(path)
    assert isinstance(loaded, fastscore.Classifier), type(loaded)
    model = loaded

    print("fastscore demo: the worked example")
    print(f"  data      1000 rows, p = 1/(1+exp(-({TRUE_INTERCEPT} + {TRUE_COEF[0]} x1 "
          f"- {-TRUE_COEF[1]} x2))), np.random.seed(66)")
    print(f"  fitted    LogisticRegression: intercept {est.intercept_[0]:.6f}, "
          f"coef [{est.coef_[0, 0]:.6f}, {est.coef_[0, 1]:.6f}]")
    print(f"  fastscore intercept {model.intercept_[0]:.6f}, "
          f"coef [{model.coef_[0, 0]:.6f}, {model.coef_[0, 1]:.6f}] "
          f"(saved as {size} bytes of JSON, loaded back; backend {fastscore.backend})")
    print()

    theirs = est.predict_proba(X)[:, 1]
    ours = model.predict_proba(X)[:, 1]
    print(f"  {'row':>3} {'x1':>8} {'x2':>8}   {'scikit-learn P(y=1)':>20} {'fastscore P(y=1)':>20} {'|diff|':>8}")
    for i in range(rows):
        print(f"  {i:>3} {X[i, 0]:8.4f} {X[i, 1]:8.4f}   {theirs[i]:20.17f} {ours[i]:20.17f} "
              f"{abs(theirs[i] - ours[i]):8.1e}")
    worst = float(np.abs(theirs - ours).max())
    same_labels = bool((est.predict(X) == model.predict(X)).all())
    print(f"  max |diff| over all {len(X)} rows: {worst:.1e}; identical predicted labels: {same_labels}")
    print()

    one = X[:1]
    row = X[0].tolist()
    timings = [
        ("predict_proba, one row (1, 2) array",
         best_time(lambda: est.predict_proba(one)), best_time(lambda: model.predict_proba(one))),
        ("score_one(list) vs predict_proba, one row",
         best_time(lambda: est.predict_proba([row])), best_time(lambda: model.score_one(row))),
        (f"predict_proba, {len(X)} rows, per row",
         best_time(lambda: est.predict_proba(X)) / len(X), best_time(lambda: model.predict_proba(X)) / len(X)),
    ]
    print(f"  {'time per row':44} {'scikit-learn':>12} {'fastscore':>12} {'speed-up':>9}")
    for label, sk, fs in timings:
        print(f"  {label:44} {_us(sk)} {_us(fs)} {sk / fs:8.0f}x")
    return worst

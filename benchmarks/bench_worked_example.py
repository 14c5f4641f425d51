"""Time fastscore against scikit-learn on the worked example's LogisticRegression.

    python benchmarks/bench_worked_example.py [--rounds 5]

Prints seconds per call and the speed-up for single rows and batches, for
both backends, measured in one run (ratios, not absolute times, are what
carries over between machines). Not a test: nothing here asserts.
"""
import argparse
import time

import numpy as np
from sklearn.linear_model import LogisticRegression

import fastscore
from fastscore import _backend
from fastscore.demo import worked_example_data
from fastscore.timing import PAUSE_BETWEEN_CONTENDERS, best_time

PAUSE = PAUSE_BETWEEN_CONTENDERS


def timed(fn, rounds):
    """best_time after a pause: OpenBLAS's spinning threads would otherwise steal the kernel's cores."""
    time.sleep(PAUSE)
    return best_time(fn, rounds)


def models_by_backend(est):
    """{backend name: est converted for that backend}, for every backend available here."""
    out = {}
    for name in _backend.MODULES:
        try:
            _backend.kernel_class(name)
        except ValueError:  # not available here (the extension was not built)
            continue
        out[name] = fastscore.from_sklearn(est, backend=name)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    X, y = worked_example_data()
    est = LogisticRegression().fit(X, y)
    models = models_by_backend(est)
    rng = np.random.default_rng(0)
    cases = [(n, rng.uniform(-2, 2, (n, 2))) for n in (1, 1_000, 1_000_000)]

    print(f"{'case':36} {'scikit-learn':>14} " + " ".join(f"{n:>14} {'speed-up':>9}" for n in models))
    for n, data in cases:
        sk = timed(lambda: est.predict_proba(data), args.rounds)
        cells = []
        for model in models.values():
            t = timed(lambda: model.predict_proba(data), args.rounds)
            cells.append(f"{t * 1e6:11.2f} us {sk / t:8.1f}x")
        print(f"{'predict_proba, ' + format(n, ',') + ' rows':36} {sk * 1e6:11.2f} us " + " ".join(cells))
    row = X[0].tolist()
    sk = timed(lambda: est.predict_proba([row]), args.rounds)
    cells = []
    for model in models.values():
        t = timed(lambda: model.score_one(row), args.rounds)
        cells.append(f"{t * 1e6:11.2f} us {sk / t:8.1f}x")
    print(f"{'score_one(list) vs predict_proba':36} {sk * 1e6:11.2f} us " + " ".join(cells))


if __name__ == "__main__":
    main()

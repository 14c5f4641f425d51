"""Every supported estimator on scikit-learn's bundled datasets: the same numbers, on both backends, after save/load."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fastscore
from estimator_cases import CLASSIFIERS, REGRESSORS, compare, fitted
from helpers import assert_close

CASES = sorted(CLASSIFIERS) + sorted(REGRESSORS)


@pytest.mark.parametrize("case", CASES)
def test_matches_sklearn_and_survives_save_load(case, backend, tmp_path):
    est, X = fitted(case)
    model = fastscore.from_sklearn(est, backend=backend)
    assert model.backend == backend
    compare(model, est, X)
    path = tmp_path / "model.json"
    model.save(path)
    loaded = fastscore.load(path, backend=backend)
    assert (loaded.estimator, loaded.link, loaded.backend) == (model.estimator, model.link, backend)
    # The loaded model is the same model: identical numbers, hence the same agreement with sklearn.
    for name in ("score", "predict", "decision_function", "predict_proba", "predict_log_proba"):
        if hasattr(model, name) and (name not in ("predict_proba", "predict_log_proba") or model.has_proba):
            ours, again = getattr(model, name)(X), getattr(loaded, name)(X)
            assert ours.dtype == again.dtype and ours.tobytes() == again.tobytes(), name
    if model.center is None:
        assert loaded.center is None
    else:
        assert loaded.center.tobytes() == model.center.tobytes()


@settings(max_examples=150)
@given(case=st.sampled_from(CASES), n=st.integers(1, 30), log_scale=st.floats(-3, 4),
       seed=st.integers(0, 2**32 - 1))
def test_every_estimator_on_generated_rows(backend, case, n, log_scale, seed):
    """Rows near and far from the training data, at scales from 1e-3 to 1e4 of its spread."""
    est, X = fitted(case)
    rng = np.random.default_rng(seed)
    rows = X[rng.integers(len(X), size=n)] + rng.standard_normal((n, X.shape[1])) * X.std(axis=0) * 10.0**log_scale
    compare(fastscore.from_sklearn(est, backend=backend), est, rows, min_clear=0.0)


@pytest.mark.parametrize("case", ["logreg-multinomial", "sgd-huber-multi", "linear-multi", "tweedie-log",
                                  "pipe-chain", "logreg-binary", "ridge-column"])
def test_score_one_matches_score(case, backend):
    est, X = fitted(case)
    model = fastscore.from_sklearn(est, backend=backend)
    batch = model.score(X[:10])
    for row, want in zip(X[:10], batch):
        got = model.score_one(row.tolist())
        assert_close(np.asarray(got, dtype=np.float64).reshape(np.shape(want)), want, tol=1e-12)


def test_output_shapes_follow_sklearn(backend):
    for case in CASES:
        est, X = fitted(case)
        model = fastscore.from_sklearn(est, backend=backend)
        method = "decision_function" if case in CLASSIFIERS else "predict"
        assert getattr(model, method)(X[:3]).shape == np.shape(getattr(est, method)(X[:3])), case


def test_plain_estimators_keep_sklearn_coefficients_bit_for_bit():
    for case in CASES:
        est, _ = fitted(case)
        if not hasattr(est, "coef_"):
            continue
        model = fastscore.from_sklearn(est)
        assert model.coef_.tobytes() == np.asarray(est.coef_, dtype=np.float64).tobytes(), case
        assert model.center is None

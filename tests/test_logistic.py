"""Binary LogisticRegression, the core promise: the same numbers as scikit-learn on both backends."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.linear_model import LogisticRegression

import fastscore
from fastscore.demo import worked_example_data
from helpers import assert_close, dot_bound, model_on


@pytest.fixture(scope="module")
def worked():
    X, y = worked_example_data()
    return X, y, LogisticRegression().fit(X, y)


def test_worked_example_reproduces_coefficients_and_predictions(worked, backend):
    X, y, est = worked
    model = fastscore.from_sklearn(est, backend=backend)
    assert model.backend == backend
    # The coefficients are sklearn's, bit for bit, and near the generating process.
    assert model.coef_.tobytes() == est.coef_.tobytes()
    assert model.intercept_.tobytes() == est.intercept_.tobytes()
    assert np.allclose([*model.intercept_, *model.coef_[0]], [0.75, 1.5, -0.5], atol=0.2)
    assert_close(model.predict_proba(X), est.predict_proba(X))
    assert_close(model.decision_function(X), est.decision_function(X))
    assert_close(model.score(X), est.predict_proba(X)[:, 1])
    assert np.array_equal(model.predict(X), est.predict(X))
    for row in X[:20]:
        assert abs(model.score_one(row.tolist()) - est.predict_proba(row[None])[0, 1]) <= 1e-12
    assert model.n_features_in_ == 2
    assert np.array_equal(model.classes_, [0, 1])


def _random_model(d, scale, seed, labels=(0, 1)):
    rng = np.random.default_rng(seed)
    est = LogisticRegression()
    est.coef_ = rng.standard_normal((1, d)) * scale
    est.intercept_ = rng.standard_normal(1) * scale
    est.classes_ = np.array(labels)
    est.n_features_in_ = d
    return est


@given(d=st.integers(1, 300), log_scale=st.floats(-3, 3), seed=st.integers(0, 2**32 - 1),
       n=st.integers(1, 40), x_log_scale=st.floats(-2, 6))
def test_random_coefficients_match_sklearn(backend, d, log_scale, seed, n, x_log_scale):
    est = _random_model(d, 10.0**log_scale, seed)
    rng = np.random.default_rng(seed + 1)
    X = rng.standard_normal((n, d)) * 10.0**x_log_scale
    model = fastscore.from_sklearn(est, backend=backend)
    bound = dot_bound(X, est.coef_, est.intercept_)
    assert_close(model.decision_function(X), est.decision_function(X), bound[:, 0])
    assert_close(model.predict_proba(X), est.predict_proba(X), bound)
    assert_close(model.score(X), est.predict_proba(X)[:, 1], bound[:, 0])
    # Labels can only differ where z is within its rounding of 0.
    z = est.decision_function(X)
    clear = np.abs(z) > bound[:, 0] + 1e-12
    assert np.array_equal(model.predict(X)[clear], est.predict(X)[clear])
    # float32 input: both read the same float32 values and compute in float64.
    X32 = X.astype(np.float32)
    assert_close(model.predict_proba(X32), est.predict_proba(X32), dot_bound(X32, est.coef_, est.intercept_), tol=1e-6)


@given(seed=st.integers(0, 2**32 - 1), d=st.integers(1, 12), log_c=st.floats(-3, 3),
       shift=st.floats(-3, 3))
def test_random_fitted_models_match_sklearn(backend, seed, d, log_c, shift):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((60, d)) * rng.uniform(0.1, 100, d) + shift
    y = (X @ rng.standard_normal(d) + rng.standard_normal(60) > 0).astype(int)
    if len(set(y)) < 2:
        y[:2] = [0, 1]
    est = LogisticRegression(C=10.0**log_c, max_iter=200).fit(X, y)
    model = fastscore.from_sklearn(est, backend=backend)
    bound = dot_bound(X, est.coef_, est.intercept_)
    assert_close(model.predict_proba(X), est.predict_proba(X), bound)
    assert_close(model.decision_function(X), est.decision_function(X), bound[:, 0])


@given(X=hnp.arrays(np.float64, hnp.array_shapes(min_dims=2, max_dims=2, min_side=1, max_side=20),
                    elements=st.floats(-1e6, 1e6)),
       seed=st.integers(0, 2**32 - 1))
def test_backends_agree_with_each_other(both_backends, X, seed):
    est = _random_model(X.shape[1], 1.0, seed)
    compiled, pure = model_on("compiled", est), model_on("pure", est)
    assert (compiled.backend, pure.backend) == ("compiled", "pure")
    bound = dot_bound(X, est.coef_, est.intercept_)
    assert_close(compiled.predict_proba(X), pure.predict_proba(X), bound)
    for row in X[:3].tolist():
        # Single rows sum in the same order on both: identical to the bit.
        assert compiled.score_one(row) == pure.score_one(row)


@pytest.mark.parametrize("labels", [(0, 1), (-1, 1), ("no", "yes"), (False, True), (2.5, 7.0)])
def test_predict_returns_original_labels(backend, labels):
    est = _random_model(3, 1.0, 7, labels)
    X = np.random.default_rng(0).standard_normal((50, 3))
    model = fastscore.from_sklearn(est, backend=backend)
    got, want = model.predict(X), est.predict(X)
    assert got.dtype.kind == want.dtype.kind or (got.dtype.kind in "OU" and want.dtype.kind in "OU")
    assert np.array_equal(got, want)
    assert set(got.tolist()) <= set(labels)


def test_extreme_z_saturates_without_warnings(backend, recwarn):
    est = _random_model(2, 1.0, 0)
    est.coef_ = np.array([[1.0, -1.0]])
    est.intercept_ = np.array([0.0])
    model = fastscore.from_sklearn(est, backend=backend)
    X = np.array([[1000.0, 0.0], [-1000.0, 0.0], [1e300, 0.0], [-1e300, 0.0]])
    p = model.score(X)
    assert np.array_equal(p, [1.0, 0.0, 1.0, 0.0])
    assert model.score_one([-1000.0, 0.0]) == 0.0 and model.score_one([1000.0, 0.0]) == 1.0
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]

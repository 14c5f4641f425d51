"""Every link, at every scale of z: random models against scikit-learn, and extreme inputs without a warning."""
import copy
import functools
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn import linear_model as lm, svm

import fastscore
from estimator_cases import compare, reference_log_proba
from helpers import TOL

LABELS = {"int": [3, 1, 4, 15, 9, 2], "str": ["a", "b", "c", "d", "e", "f"], "bool": [False, True]}


@functools.lru_cache(maxsize=None)
def _fitted_glm():
    """A PoissonRegressor with its fitted loss; tests give it their own coefficients."""
    return lm.PoissonRegressor().fit(np.arange(6.0)[:, None], [1, 2, 2, 3, 5, 8])


def _made(kind, coef, intercept, classes=None):
    """A scikit-learn estimator of `kind` carrying the given coefficients, as if fitted."""
    if kind == "poisson":
        est = copy.deepcopy(_fitted_glm())
    else:
        est = {"logreg": lambda: lm.LogisticRegression(),
               "sgd-log": lambda: lm.SGDClassifier(loss="log_loss"),
               "sgd-huber": lambda: lm.SGDClassifier(loss="modified_huber"),
               "svc": lambda: svm.LinearSVC(),
               "linear": lambda: lm.LinearRegression()}[kind]()
    est.coef_, est.intercept_ = coef, intercept
    est.n_features_in_ = coef.shape[-1]
    if classes is not None:
        est.classes_ = np.array(classes)
    return est


CLASSIFIER_KINDS = ["logreg", "sgd-log", "sgd-huber", "svc"]


@pytest.mark.parametrize("kind", CLASSIFIER_KINDS)
@given(d=st.integers(1, 40), k=st.integers(2, 6), log_scale=st.floats(-3, 3), x_log_scale=st.floats(-2, 4),
       n=st.integers(1, 30), seed=st.integers(0, 2**32 - 1), labels=st.sampled_from(sorted(LABELS)))
def test_random_classifiers_match_sklearn(backend, kind, d, k, log_scale, x_log_scale, n, seed, labels):
    classes = LABELS[labels][:k]
    k = len(classes)
    rows = 1 if k == 2 else k
    rng = np.random.default_rng(seed)
    est = _made(kind, rng.standard_normal((rows, d)) * 10.0**log_scale,
                rng.standard_normal(rows) * 10.0**log_scale, classes)
    X = rng.standard_normal((n, d)) * 10.0**x_log_scale
    model = fastscore.from_sklearn(est, backend=backend)
    compare(model, est, X, min_clear=0.0)
    # float32 input: both read the same float32 values and compute in float64.
    compare(model, est, X.astype(np.float32), min_clear=0.0)


@pytest.mark.parametrize("kind, shape", [("linear", "flat"), ("linear", "column"), ("linear", "multi"),
                                         ("poisson", "flat")])
@given(d=st.integers(1, 40), t=st.integers(2, 5), log_scale=st.floats(-3, 1), x_log_scale=st.floats(-2, 4),
       n=st.integers(1, 30), seed=st.integers(0, 2**32 - 1))
def test_random_regressors_match_sklearn(backend, kind, shape, d, t, log_scale, x_log_scale, n, seed):
    rng = np.random.default_rng(seed)
    rows = {"flat": None, "column": 1, "multi": t}[shape]
    coef = rng.standard_normal(d if rows is None else (rows, d)) * 10.0**log_scale
    intercept = rng.standard_normal() if rows is None else rng.standard_normal(rows)
    X = rng.standard_normal((n, d)) * 10.0**x_log_scale
    if kind == "poisson":  # keep exp(z) finite, as scikit-learn would overflow with a warning
        coef *= 1.0 / max(1.0, np.abs(X @ coef).max() / 700)
    est = _made(kind, coef, intercept)
    model = fastscore.from_sklearn(est, backend=backend)
    compare(model, est, X)
    compare(model, est, X.astype(np.float32))


# Each output gets z = x_j (coef is the identity): these rows put z at every scale.
EXTREME = [0.0, 1e-300, 1.0, 36.0, 40.0, 709.0, 710.0, 745.0, 746.0, 800.0, 1e10, 1e300]


def _extreme_rows(k):
    values = sorted({s * v for v in EXTREME for s in (1, -1)})
    rng = np.random.default_rng(0)
    X = np.array([[v] * k for v in values] + [rng.choice(values, k) for _ in range(300)])
    return X


@pytest.mark.parametrize("kind, k", [("logreg", 1), ("logreg", 3), ("sgd-log", 3), ("sgd-huber", 1),
                                     ("sgd-huber", 4), ("svc", 3), ("linear", 2), ("poisson", 1)])
def test_extreme_z_gives_no_warning_no_nan_and_distributions(backend, kind, k):
    classes = list(range(2 if k == 1 else k)) if kind in CLASSIFIER_KINDS else None
    coef = np.eye(k) if k > 1 or classes else np.ones(1)
    est = _made(kind, coef, np.zeros(k) if coef.ndim == 2 else 0.0, classes)
    model = fastscore.from_sklearn(est, backend=backend)
    X = _extreme_rows(k)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any overflow, underflow-to-NaN or divide warning fails
        score = model.score(X)
        singles = [model.score_one(row) for row in X[:40].tolist()]
        if classes is None:
            pred = model.predict(X)
            assert not np.isnan(pred).any()
            if model.link == "exp":
                assert np.all(pred >= 0) and np.isinf(pred).any() and (pred == 0).any()
            return
        z = model.decision_function(X)
        labels = model.predict(X)
        if not model.has_proba:
            assert not np.isnan(z).any() and set(labels) <= set(classes)
            return
        proba = model.predict_proba(X)
        log = model.predict_log_proba(X)
    assert not np.isnan(score).any() and not np.isnan(np.asarray(singles, dtype=float)).any()
    assert not np.isnan(proba).any() and ((proba >= 0) & (proba <= 1)).all()
    assert np.abs(proba.sum(axis=1) - 1).max() <= TOL
    assert np.array_equal(labels, np.asarray(classes)[(z > 0).astype(int) if z.ndim == 1 else z.argmax(axis=1)])
    # log-probabilities: -inf exactly where the exact probability is 0 (only modified_huber has such)
    reference = reference_log_proba(model.link, z)
    assert np.array_equal(np.isinf(log), np.isinf(reference))
    if not model.link.endswith("modified_huber"):
        assert np.isfinite(log).all()
    finite = np.isfinite(reference)
    assert np.allclose(log[finite], reference[finite], rtol=1e-12, atol=1e-12)
    # Where predict_proba is exact enough (no expit underflows, no rounding near 0), it is exp of that.
    sure = (proba > 1e-3) & (np.abs(z).reshape(len(z), -1).max(axis=1) < 700)[:, None]
    assert np.allclose(np.log(proba[sure]), log[sure], rtol=0, atol=1e-12) and sure.sum() > 20


def test_log_proba_stays_finite_where_proba_rounds_to_zero(backend):
    est = _made("logreg", np.eye(3), np.zeros(3), [0, 1, 2])
    model = fastscore.from_sklearn(est, backend=backend)
    X = np.array([[0.0, -800.0, -1e300], [50.0, 0.0, 0.0]])
    proba, log = model.predict_proba(X), model.predict_log_proba(X)
    assert proba[0, 1] == 0.0 and proba[0, 2] == 0.0 and proba[1, 0] == 1.0
    assert log[0, 1] == -800.0 and log[0, 2] == -1e300 and log[0, 0] == 0.0
    assert log[1, 1] == log[1, 2] and abs(log[1, 1] - (-50.0 - np.log1p(2 * np.exp(-50.0)))) <= 1e-13


def test_binary_log_proba_is_exact_near_certainty(backend):
    est = _made("logreg", np.ones((1, 1)), np.zeros(1), ["no", "yes"])
    model = fastscore.from_sklearn(est, backend=backend)
    log = model.predict_log_proba([[40.0], [-40.0], [1000.0]])
    # 1 - expit(40) rounds to 4.2e-18 in float64 arithmetic but is exactly e^-40 / (1 + e^-40)
    assert np.allclose(log[:2], [[-40.0 - np.log1p(np.exp(-40.0)), -np.log1p(np.exp(-40.0))],
                                 [-np.log1p(np.exp(-40.0)), -40.0 - np.log1p(np.exp(-40.0))]], rtol=1e-15)
    assert log[2, 0] == -1000.0 and log[2, 1] == 0.0


def test_predict_log_proba_only_where_predict_proba_exists(backend):
    est = _made("svc", np.ones((1, 2)), np.zeros(1), [0, 1])
    model = fastscore.from_sklearn(est, backend=backend)
    for name in ("predict_proba", "predict_log_proba"):
        with pytest.raises(AttributeError, match=f"LinearSVC has no {name}"):
            getattr(model, name)([[1.0, 2.0]])


@pytest.mark.parametrize("kind", ["logreg", "sgd-log", "sgd-huber"])
def test_one_vs_rest_at_extreme_z_matches_sklearn_rows_of_zeros(backend, kind):
    # OneVsRestClassifier normalises only rows whose binary probabilities are not
    # all 0; those stay 0 (modified_huber: every z <= -1; expit: every z < -709.78).
    from sklearn.multiclass import OneVsRestClassifier

    k = 3
    inner = _made(kind, np.ones((1, k)), np.zeros(1), [0, 1])
    ovr = OneVsRestClassifier(inner).fit(np.eye(k), np.arange(k))
    for j, est in enumerate(ovr.estimators_):
        est.coef_, est.intercept_ = np.eye(k)[j:j + 1], np.zeros(1)
    model = fastscore.from_sklearn(ovr, backend=backend)
    X = _extreme_rows(k)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        proba = model.predict_proba(X)
    want = ovr.predict_proba(X)
    zero = want.sum(axis=1) == 0
    assert model.link.startswith("onevsrest") and zero.any() and not zero.all()
    assert np.array_equal(proba[zero], want[zero])
    assert np.abs(proba[~zero].sum(axis=1) - 1).max() <= TOL
    assert np.allclose(proba, want, rtol=0, atol=TOL)

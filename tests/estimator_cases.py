"""Every supported estimator, fitted once on a bundled dataset, and how to compare it with scikit-learn.

Cases are fitted lazily and cached for the whole test session, so each test
module that uses them pays for each fit at most once.
"""
import functools
import warnings

import numpy as np
from sklearn import datasets, linear_model as lm, svm
from sklearn.base import is_classifier
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, RobustScaler, StandardScaler

from fastscore.convert import convert_parts
from helpers import TOL, assert_close, dot_bound, pipeline_bound


@functools.lru_cache(maxsize=None)
def dataset(name):
    """(X, y) of a bundled dataset (no network); linnerud's y has 3 targets."""
    loader = getattr(datasets, f"load_{name}")
    X, y = loader(return_X_y=True)
    return np.asarray(X, dtype=np.float64), y


def _labels(y, kind):
    if kind == "str":
        return np.array(["setosa", "versicolor", "virginica", "d", "e", "f", "g", "h", "i", "j"])[y]
    if kind == "bool":
        return y.astype(bool)
    if kind == "neg":
        return 3 - 2 * y
    return y


def _scaled(model):
    return make_pipeline(StandardScaler(), model)


def _deprecated(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return getattr(lm, name)(random_state=0)


SGD = dict(random_state=0, max_iter=50, tol=None)

#: id -> (factory, dataset, label kind or None); label kinds: str, bool, neg (negative ints)
CLASSIFIERS = {
    "logreg-binary": (lambda: _scaled(lm.LogisticRegression()), "breast_cancer", "bool"),
    "logreg-multinomial": (lambda: lm.LogisticRegression(max_iter=1000), "iris", "str"),
    "logreg-digits": (lambda: make_pipeline(MinMaxScaler(), lm.LogisticRegression(max_iter=300)), "digits", None),
    "logregcv-binary": (lambda: _scaled(lm.LogisticRegressionCV(Cs=3, cv=3)), "breast_cancer", "neg"),
    "logregcv-multi": (lambda: _scaled(lm.LogisticRegressionCV(Cs=3, cv=3)), "wine", None),
    "ovr-logreg": (lambda: _scaled(OneVsRestClassifier(lm.LogisticRegression())), "wine", "str"),
    "ovr-logreg-binary": (lambda: _scaled(OneVsRestClassifier(lm.LogisticRegression())), "breast_cancer", "str"),
    "ovr-linearsvc": (lambda: OneVsRestClassifier(svm.LinearSVC()), "iris", None),
    "ovr-sgd-log": (lambda: _scaled(OneVsRestClassifier(lm.SGDClassifier(loss="log_loss", **SGD))), "digits", None),
    "ovr-sgd-huber": (lambda: _scaled(OneVsRestClassifier(lm.SGDClassifier(loss="modified_huber", **SGD))), "iris", "str"),
    "ovr-ridge-binary": (lambda: OneVsRestClassifier(lm.RidgeClassifier()), "breast_cancer", "bool"),
    "sgd-log-binary": (lambda: _scaled(lm.SGDClassifier(loss="log_loss", **SGD)), "breast_cancer", None),
    "sgd-log-multi": (lambda: _scaled(lm.SGDClassifier(loss="log_loss", **SGD)), "wine", "str"),
    "sgd-huber-binary": (lambda: _scaled(lm.SGDClassifier(loss="modified_huber", **SGD)), "breast_cancer", "bool"),
    "sgd-huber-multi": (lambda: _scaled(lm.SGDClassifier(loss="modified_huber", **SGD)), "iris", None),
    **{f"sgd-{loss}": (lambda loss=loss: _scaled(lm.SGDClassifier(loss=loss, **SGD)), "wine", None)
       for loss in ("hinge", "squared_hinge", "perceptron", "squared_error", "huber",
                    "epsilon_insensitive", "squared_epsilon_insensitive")},
    "linearsvc-binary": (lambda: _scaled(svm.LinearSVC()), "breast_cancer", "str"),
    "linearsvc-multi": (lambda: svm.LinearSVC(), "iris", "neg"),
    "linearsvc-crammer": (lambda: _scaled(svm.LinearSVC(multi_class="crammer_singer")), "wine", None),
    "linearsvc-nointercept": (lambda: svm.LinearSVC(fit_intercept=False), "iris", None),
    "ridgeclf": (lambda: lm.RidgeClassifier(), "digits", None),
    "ridgeclf-binary": (lambda: lm.RidgeClassifier(), "breast_cancer", "bool"),
    "ridgeclfcv": (lambda: lm.RidgeClassifierCV(), "iris", "str"),
    "perceptron": (lambda: lm.Perceptron(random_state=0), "digits", "neg"),
    "perceptron-binary": (lambda: _scaled(lm.Perceptron(random_state=0)), "breast_cancer", None),
    # Deprecated in scikit-learn 1.8, gone in 1.10: tested while it exists.
    **({"pa-classifier": (lambda: _scaled(_deprecated("PassiveAggressiveClassifier")), "wine", "str")}
       if hasattr(lm, "PassiveAggressiveClassifier") else {}),
}

_POSITIVE = "diabetes"  # its targets are positive counts: fit for every GLM

REGRESSORS = {
    "linear": (lambda: lm.LinearRegression(), "diabetes"),
    "linear-multi": (lambda: lm.LinearRegression(), "linnerud"),
    "linear-column": (lambda: lm.LinearRegression(), "diabetes-column"),
    "linear-nointercept-multi": (lambda: lm.LinearRegression(fit_intercept=False), "linnerud"),
    "ridge": (lambda: lm.Ridge(), "diabetes"),
    "ridge-multi": (lambda: lm.Ridge(alpha=10.0), "linnerud"),
    "ridge-column": (lambda: lm.Ridge(), "diabetes-column"),
    "ridgecv": (lambda: lm.RidgeCV(), "diabetes"),
    "lasso": (lambda: lm.Lasso(alpha=0.1), "diabetes"),
    "lasso-multi": (lambda: lm.Lasso(alpha=1.0), "linnerud"),
    "lassocv": (lambda: lm.LassoCV(cv=3), "diabetes"),
    "elasticnet": (lambda: lm.ElasticNet(alpha=0.01), "diabetes"),
    "elasticnetcv": (lambda: lm.ElasticNetCV(cv=3, alphas=10), "diabetes"),
    "lars": (lambda: lm.Lars(), "diabetes"),
    "larscv": (lambda: lm.LarsCV(cv=3), "diabetes"),
    "lassolars": (lambda: lm.LassoLars(alpha=0.01), "diabetes"),
    "lassolarscv": (lambda: lm.LassoLarsCV(cv=3), "diabetes"),
    "lassolarsic": (lambda: lm.LassoLarsIC(), "diabetes"),
    "omp": (lambda: lm.OrthogonalMatchingPursuit(n_nonzero_coefs=5), "diabetes"),
    "omp-multi": (lambda: lm.OrthogonalMatchingPursuit(n_nonzero_coefs=2), "linnerud"),
    "ompcv": (lambda: lm.OrthogonalMatchingPursuitCV(cv=3), "diabetes"),
    "bayesianridge": (lambda: lm.BayesianRidge(), "diabetes"),
    "ard": (lambda: lm.ARDRegression(), "diabetes"),
    "huber": (lambda: _scaled(lm.HuberRegressor()), "diabetes"),
    "quantile": (lambda: lm.QuantileRegressor(quantile=0.7, alpha=0.0), "diabetes"),
    "sgd": (lambda: _scaled(lm.SGDRegressor(random_state=0)), "diabetes"),
    **({"pa-regressor": (lambda: _scaled(_deprecated("PassiveAggressiveRegressor")), "diabetes")}
       if hasattr(lm, "PassiveAggressiveRegressor") else {}),
    "linearsvr": (lambda: _scaled(svm.LinearSVR(random_state=0, max_iter=5000)), "diabetes"),
    "theilsen": (lambda: lm.TheilSenRegressor(max_subpopulation=200, random_state=0), "diabetes"),
    "ransac": (lambda: lm.RANSACRegressor(random_state=0), "diabetes"),
    "ransac-multi": (lambda: lm.RANSACRegressor(lm.Ridge(), random_state=0, min_samples=10), "linnerud"),
    "multitask-lasso": (lambda: lm.MultiTaskLasso(alpha=1.0), "linnerud"),
    "multitask-lassocv": (lambda: lm.MultiTaskLassoCV(cv=3, alphas=10), "linnerud"),
    "multitask-elasticnet": (lambda: lm.MultiTaskElasticNet(alpha=1.0), "linnerud"),
    "multitask-elasticnetcv": (lambda: lm.MultiTaskElasticNetCV(cv=3, alphas=10), "linnerud"),
    "poisson": (lambda: _scaled(lm.PoissonRegressor()), _POSITIVE),
    "gamma": (lambda: _scaled(lm.GammaRegressor()), _POSITIVE),
    "tweedie-identity": (lambda: _scaled(lm.TweedieRegressor(power=0)), _POSITIVE),
    "tweedie-log": (lambda: _scaled(lm.TweedieRegressor(power=1.5)), _POSITIVE),
    "tweedie-inverse-gaussian": (lambda: _scaled(lm.TweedieRegressor(power=3, alpha=0.1)), _POSITIVE),
    "tweedie-identity-link": (lambda: lm.TweedieRegressor(power=1.5, link="identity", alpha=0), _POSITIVE),
    # Every scaler, alone, with its options, and in a chain.
    "pipe-standard-nomean": (lambda: make_pipeline(StandardScaler(with_mean=False), lm.Ridge()), "diabetes"),
    "pipe-standard-nostd": (lambda: make_pipeline(StandardScaler(with_std=False), lm.Ridge()), "linnerud"),
    "pipe-minmax": (lambda: make_pipeline(MinMaxScaler((-1, 3)), lm.LinearRegression()), "linnerud"),
    "pipe-maxabs": (lambda: make_pipeline(MaxAbsScaler(), lm.Lasso(alpha=0.1)), "diabetes"),
    "pipe-robust": (lambda: make_pipeline(RobustScaler(), lm.PoissonRegressor()), _POSITIVE),
    "pipe-robust-nocentre": (lambda: make_pipeline(RobustScaler(with_centering=False), lm.Ridge()), "linnerud"),
    "pipe-robust-noscale": (lambda: make_pipeline(RobustScaler(with_scaling=False), lm.Ridge()), "diabetes"),
    "pipe-chain": (lambda: make_pipeline(MaxAbsScaler(), StandardScaler(), MinMaxScaler(), RobustScaler(),
                                         lm.Ridge()), "linnerud"),
    "pipe-chain-minmax-first": (lambda: make_pipeline(MinMaxScaler(), StandardScaler(), lm.GammaRegressor()),
                                _POSITIVE),
}


def data_for(name):
    """(X, y) of a case's data set by name (diabetes-column: y as one column)."""
    if name == "diabetes-column":
        X, y = dataset("diabetes")
        return X, y[:, None]
    return dataset(name)


@functools.lru_cache(maxsize=None)
def fitted(case):
    """(estimator, X) for a case id of CLASSIFIERS or REGRESSORS, fitted once."""
    if case in CLASSIFIERS:
        factory, name, labels = CLASSIFIERS[case]
        X, y = dataset(name)
        y = _labels(y, labels)
    else:
        factory, name = REGRESSORS[case]
        X, y = data_for(name)
    return fit_quietly(factory(), X, y), X


def fit_quietly(est, X, y):
    """est.fit(X, y) on one thread, ignoring its warnings.

    Convergence and deprecation (PassiveAggressive*) warnings say nothing
    about conversion; and BLAS threads fighting over a shared machine's
    cores can make a 30 ms fit take seconds.
    """
    from threadpoolctl import threadpool_limits

    with warnings.catch_warnings(), threadpool_limits(1):
        warnings.simplefilter("ignore")
        return est.fit(X, y)


def z_bound(est, X):
    """Bound on |z_ours - z_sklearn|, shape (n, k), for any supported estimator."""
    if type(est) is Pipeline and len(est.steps) > 1:
        return pipeline_bound(est, X)
    parts = convert_parts(est)
    return dot_bound(X, parts.coef, parts.intercept)


def _proba_bound(link, z, zb):
    """How far probabilities may move when every z moves by up to zb (row max), shape (n, 1)."""
    zb = zb.max(axis=1, keepdims=True)
    if not link.endswith("modified_huber") or z.ndim == 1:
        return 2 * zb  # logistic (slope 1/4), softmax and the normalised logistic (2)
    # Normalising by the sum of (clip(z) + 1) / 2 amplifies by 1 / sum.
    total = ((np.clip(z, -1, 1) + 1) / 2).sum(axis=1, keepdims=True)
    return zb * (1 + z.shape[1]) / np.maximum(total, 1e-300)


def reference_log_proba(link, z):
    """log of the link's probabilities from scikit-learn's z, by scipy's stable log_expit and log_softmax."""
    from scipy.special import log_expit, log_softmax

    z = np.asarray(z, dtype=np.float64)
    with np.errstate(divide="ignore", over="ignore", invalid="ignore"):  # all-zero rows are replaced
        if z.ndim == 1:
            zz = np.stack([-z, z], axis=1)
            return np.log((np.clip(zz, -1, 1) + 1) / 2) if link == "modified_huber" else log_expit(zz)
        if link == "softmax":
            return log_softmax(z, axis=1)
        if link in ("ovr", "onevsrest"):  # exact even where expit underflows and predict_proba cannot be
            return log_softmax(log_expit(z), axis=1)
        p = (np.clip(z, -1, 1) + 1) / 2
        out = np.log(p) - np.log(p.sum(axis=1, keepdims=True))
    # Rows of all zeros: modified_huber falls back to uniform, OneVsRestClassifier keeps the zeros.
    out[p.sum(axis=1) == 0] = -np.log(z.shape[1]) if link == "modified_huber" else -np.inf
    return out


def compare_classifier(model, est, X, min_clear=0.99):
    """Assert decision_function, labels, predict_proba and predict_log_proba agree with est.

    Labels are compared where the scores are clear of a tie by more than their
    rounding; at least min_clear of the rows must be (random data may have none).
    """
    zb = z_bound(est, X)
    z = est.decision_function(X)
    flat_zb = zb[:, 0] if z.ndim == 1 else zb
    assert_close(model.decision_function(X), z, flat_zb)
    # Labels may differ only where the top two scores are within rounding of each other.
    if z.ndim == 1:
        clear = np.abs(z) > 2 * flat_zb + TOL
    else:
        top2 = np.sort(z, axis=1)[:, -2:]
        clear = top2[:, 1] - top2[:, 0] > 2 * zb.max(axis=1) + 2 * TOL
    assert clear.mean() >= min_clear
    got, want = model.predict(X), est.predict(X)
    assert np.array_equal(got[clear], want[clear]) and got.dtype.kind == np.asarray(want).dtype.kind
    assert model.has_proba == hasattr(est, "predict_proba")
    if not model.has_proba:
        return
    want = est.predict_proba(X)
    pb = _proba_bound(model.link, z, zb)
    ours = model.predict_proba(X)
    assert_close(ours, want, pb)
    log = model.predict_log_proba(X)
    reference = reference_log_proba(model.link, z)
    if model.link.endswith("modified_huber"):  # log((c + 1) / 2) is steep where c nears -1
        with np.errstate(over="ignore"):  # rows of zeros: -inf on both sides, any bound will do
            log_bound = pb / np.maximum(np.exp(reference), 1e-300)
    else:  # d log p / dz is at most 1 per z for the logistic, softmax and normalised logistic
        log_bound = 2 * zb.max(axis=1, keepdims=True)
    assert_close(log, reference, np.broadcast_to(log_bound, log.shape))
    # scikit-learn logs its rounded probabilities: as exact as ours while they are not small.
    full = est.predict_proba(X)
    with np.errstate(divide="ignore"):
        sk_log = est.predict_log_proba(X) if hasattr(est, "predict_log_proba") else np.log(full)
    sure = (full > 1e-3) & (np.abs(z).reshape(len(z), -1).max(axis=1) < 700)[:, None]  # no expit underflow
    assert_close(log[sure], sk_log[sure], 1e3 * np.broadcast_to(pb, sure.shape)[sure])


def compare_regressor(model, est, X):
    """Assert predict agrees with est: to 1e-12 relative to the output's magnitude."""
    with np.errstate(over="ignore"):  # a GLM's exp(z) may overflow to inf; fastscore's too, silently
        want = est.predict(X)
    zb = z_bound(est, X)
    zb = zb[:, 0] if np.ndim(want) == 1 else zb
    if model.link == "exp":  # exp turns an absolute error in z into a relative one
        limit = (TOL + zb * 1.01) * np.abs(want)
    else:
        limit = TOL * np.maximum(1.0, np.abs(want)) + zb
    assert_close(model.predict(X), want, limit, tol=0.0)


def compare(model, est, X, min_clear=0.99):
    """compare_classifier or compare_regressor, as est is."""
    if is_classifier(est):
        compare_classifier(model, est, X, min_clear)
    else:
        compare_regressor(model, est, X)

"""Conversion itself: scaler pipelines folded exactly, GLM links, and clear refusals."""
import functools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn import linear_model as lm
from sklearn.compose import TransformedTargetRegressor
from sklearn.decomposition import PCA
from sklearn.multiclass import OneVsOneClassifier, OneVsRestClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, RobustScaler, StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

import fastscore
from estimator_cases import compare, dataset, fit_quietly
from helpers import assert_close, dot_bound, pipeline_bound

SCALERS = [lambda: StandardScaler(), lambda: StandardScaler(with_mean=False), lambda: StandardScaler(with_std=False),
           lambda: MinMaxScaler(), lambda: MinMaxScaler((-2, 5)), lambda: MaxAbsScaler(), lambda: RobustScaler(),
           lambda: RobustScaler(with_centering=False), lambda: RobustScaler(with_scaling=False)]


@given(chain=st.lists(st.integers(0, len(SCALERS) - 1), min_size=1, max_size=3),
       d=st.integers(1, 8), n=st.integers(8, 40), offset_log=st.floats(-1, 8), spread_log=st.floats(-3, 3),
       seed=st.integers(0, 2**32 - 1), classify=st.booleans())
def test_random_scaler_chains_fold_exactly(backend, chain, d, n, offset_log, spread_log, seed, classify):
    rng = np.random.default_rng(seed)
    # Features far from the origin relative to their spread: folding the first centre into the
    # intercept would lose about log10(offset / spread) digits; the kernel keeps them.
    offset = rng.choice([-1, 1], d) * 10.0**offset_log
    X = offset + rng.standard_normal((n, d)) * 10.0**spread_log * rng.uniform(0.5, 2, d)
    signal = (X - X.mean(axis=0)) @ rng.standard_normal(d)
    if classify:
        y = np.digitize(signal, np.quantile(signal, [0.3, 0.6]))
        model = lm.LogisticRegression(C=10.0)
    else:
        y = np.column_stack([signal, -signal + 1])
        model = lm.Ridge(alpha=1e-3)
    pipe = make_pipeline(*[SCALERS[i]() for i in chain], model)
    try:
        fit_quietly(pipe, X, y)
    except ValueError:  # one class left after digitize: nothing to compare
        return
    converted = fastscore.from_sklearn(pipe, backend=backend)
    bound = pipeline_bound(pipe, X)
    if classify:
        assert_close(converted.decision_function(X), pipe.decision_function(X), bound)
        assert_close(converted.predict_proba(X), pipe.predict_proba(X), 2 * bound.max(axis=1, keepdims=True))
    else:
        assert_close(converted.predict(X), pipe.predict(X), bound)


def test_first_centre_is_subtracted_in_the_kernel(backend):
    rng = np.random.default_rng(1)
    X = 1e8 + rng.standard_normal((200, 3)) * 1e-2
    y = X @ [1.0, -2.0, 0.5] - 1e8 * -0.5 + rng.standard_normal(200) * 1e-3
    pipe = fit_quietly(make_pipeline(StandardScaler(), lm.Ridge()), X, y)
    model = fastscore.from_sklearn(pipe, backend=backend)
    assert model.center.tobytes() == pipe[0].mean_.tobytes()
    # Plain 1e-12 relative agreement: x - mean is exact here, as in scikit-learn.
    assert_close(model.predict(X), pipe.predict(X), tol=1e-12 * np.abs(pipe.predict(X)).max())
    # Without the centre, x @ (w / s) alone has terms of 1e10 and rounding errors of 1e-6.
    folded = X @ model.coef_ + (model.intercept_ - model.coef_ @ model.center)
    assert np.abs(folded - pipe.predict(X)).max() > 1e-9


def test_passthrough_and_nested_pipelines_fold_like_flat_ones(backend):
    X, y = dataset("diabetes")
    flat = make_pipeline(StandardScaler(), MinMaxScaler(), lm.Ridge()).fit(X, y)
    variants = [
        Pipeline([("a", StandardScaler()), ("skip", "passthrough"), ("b", MinMaxScaler()), ("none", None),
                  ("m", lm.Ridge())]),
        make_pipeline(make_pipeline(StandardScaler(), MinMaxScaler()), lm.Ridge()),
    ]
    reference = fastscore.from_sklearn(flat, backend=backend)
    for pipe in variants:
        model = fastscore.from_sklearn(pipe.fit(X, y), backend=backend)
        for name in ("coef_", "intercept_", "center"):
            assert getattr(model, name).tobytes() == getattr(reference, name).tobytes()
        assert_close(model.predict(X), pipe.predict(X), pipeline_bound(flat, X)[:, 0])
    assert model.estimator == "Pipeline(StandardScaler, MinMaxScaler, Ridge)"


def test_pipeline_of_a_model_alone_and_feature_names(backend):
    X, y = dataset("iris")
    names = [f"f{i}" for i in range(4)]
    pipe = fit_quietly(make_pipeline(RobustScaler(), lm.LogisticRegression(max_iter=1000)), X, y)
    pipe[0].feature_names_in_ = np.array(names, dtype=object)  # as fitting on a DataFrame records them
    model = fastscore.from_sklearn(pipe, backend=backend)
    assert list(model.feature_names_in_) == names and model.n_features_in_ == 4
    alone = fit_quietly(make_pipeline(lm.LogisticRegression(max_iter=1000)), X, y)
    compare(fastscore.from_sklearn(alone, backend=backend), alone, X)


@functools.lru_cache(maxsize=None)
def _glm_data():
    X, y = dataset("diabetes")
    return StandardScaler().fit_transform(X), y


@functools.lru_cache(maxsize=None)
def _tweedie(power, link):
    X, y = _glm_data()
    return fit_quietly(lm.TweedieRegressor(power=power, link=link, alpha=1.0, solver="newton-cholesky"), X, y)


@pytest.mark.parametrize("power", [0, 1, 1.5, 2, 3])
@pytest.mark.parametrize("link", ["auto", "log", "identity"])
def test_tweedie_links_follow_sklearn(backend, power, link):
    X, _ = _glm_data()
    est = _tweedie(power, link)
    model = fastscore.from_sklearn(est, backend=backend)
    logs = link == "log" or (link == "auto" and power > 0)
    assert model.link == ("exp" if logs else "identity")
    compare(model, est, X)


@pytest.mark.parametrize("multi_class, solver, ovr", [("ovr", "lbfgs", True), ("auto", "liblinear", True),
                                                     ("deprecated", "liblinear", True), ("auto", "lbfgs", False),
                                                     ("multinomial", "saga", False), (None, "lbfgs", False)])
def test_one_vs_rest_logistic_regression_of_older_scikit_learn(backend, multi_class, solver, ovr):
    # scikit-learn 1.2 to 1.7 (which pyproject allows) fit multiclass LogisticRegression
    # one-vs-rest for these settings, and its predict_proba was then _predict_proba_lr's
    # normalised expit, not softmax. 1.9 has no multi_class: the attribute is set by hand.
    X, y = dataset("iris")
    for est in (fit_quietly(lm.LogisticRegression(max_iter=1000), X, y),
                fit_quietly(lm.LogisticRegressionCV(Cs=2, cv=3, max_iter=1000), X, y)):
        if multi_class is not None:
            est.multi_class = multi_class
        est.solver = solver
        model = fastscore.from_sklearn(est, backend=backend)
        assert model.link == ("ovr" if ovr else "softmax")
        want = est._predict_proba_lr(X) if ovr else est.predict_proba(X)
        assert_close(model.predict_proba(X), want)


def test_binary_multinomial_logistic_regression_of_older_scikit_learn_is_refused():
    # scikit-learn 1.2 to 1.7 gave it predict_proba = softmax([-z, z]); 1.9 has no multi_class.
    X, y = dataset("breast_cancer")
    est = fit_quietly(lm.LogisticRegression(max_iter=5000), X, y)
    est.multi_class = "multinomial"
    with pytest.raises(fastscore.ConversionError, match="two classes with multi_class='multinomial'"):
        fastscore.from_sklearn(est)


def test_sgd_log_loss_by_its_name_before_scikit_learn_1_3(backend):
    X, y = dataset("iris")
    est = fit_quietly(lm.SGDClassifier(loss="log_loss", random_state=0), X, y)
    est.loss = "log"  # how scikit-learn 1.2 (which pyproject allows) may record it
    model = fastscore.from_sklearn(est, backend=backend)
    assert model.link == "ovr"
    assert_close(model.predict_proba(X), est._predict_proba_lr(X), 2 * dot_bound(X, est.coef_, est.intercept_))


class MyLogisticRegression(lm.LogisticRegression):
    """A subclass may predict differently: refused."""


@functools.lru_cache(maxsize=None)
def _iris():
    return dataset("iris")


UNSUPPORTED = [
    (lambda X, y: fit_quietly(KNeighborsClassifier(), X, y), "KNeighborsClassifier"),
    (lambda X, y: fit_quietly(MyLogisticRegression(max_iter=500), X, y), "MyLogisticRegression"),
    (lambda X, y: fit_quietly(OneVsOneClassifier(lm.LogisticRegression()), X, y), "OneVsOneClassifier"),
    (lambda X, y: fit_quietly(OneVsRestClassifier(DecisionTreeClassifier()), X, y), "DecisionTreeClassifier"),
    # TransformedTargetRegressor converts (tests/test_wrappers.py), but not over a tree.
    (lambda X, y: fit_quietly(TransformedTargetRegressor(DecisionTreeRegressor(), func=np.log1p, inverse_func=np.expm1),
                       X, y), "DecisionTreeRegressor"),
    (lambda X, y: "a string", "str"),
]


@pytest.mark.parametrize("make, name", UNSUPPORTED)
def test_unsupported_estimators_are_named_and_supported_ones_listed(make, name):
    with pytest.raises(fastscore.ConversionError) as info:
        fastscore.from_sklearn(make(*_iris()))
    message = str(info.value)
    assert f"cannot convert {name}" in message
    for listed in ("LogisticRegression", "Ridge", "PoissonRegressor", "OneVsRestClassifier", "Pipeline",
                   "StandardScaler", "LinearSVC"):
        assert listed in message


REFUSED = [
    (lambda X, y: fit_quietly(make_pipeline(PCA(2), lm.LogisticRegression()), X, y), "cannot fold PCA"),
    (lambda X, y: fit_quietly(make_pipeline(MinMaxScaler(clip=True), lm.LogisticRegression()), X, y),
     "MinMaxScaler(clip=True) is not linear"),
    (lambda X, y: fit_quietly(make_pipeline(StandardScaler(), MaxAbsScaler()), X, y), "does not end in a model"),
    (lambda X, y: fit_quietly(OneVsRestClassifier(lm.LogisticRegression()), X, np.eye(3)[y]), "multilabel"),
    (lambda X, y: fit_quietly(lm.RidgeClassifier(), X, np.eye(3)[y]), "multilabel"),
    (lambda X, y: fit_quietly(OneVsRestClassifier(make_pipeline(StandardScaler(), lm.LogisticRegression())), X, y),
     "binary linear classifiers only"),
]


@pytest.mark.parametrize("make, words", REFUSED)
def test_what_cannot_be_folded_or_is_multilabel_is_refused(make, words):
    with pytest.raises(fastscore.ConversionError) as info:
        fastscore.from_sklearn(make(*_iris()))
    assert words in str(info.value)


@pytest.mark.parametrize("est, name", [
    (lm.LogisticRegression(), "LogisticRegression"), (lm.PoissonRegressor(), "PoissonRegressor"),
    (OneVsRestClassifier(lm.LogisticRegression()), "OneVsRestClassifier"),
    (lm.RANSACRegressor(), "RANSACRegressor"), (make_pipeline(StandardScaler(), lm.Ridge()), "Pipeline"),
])
def test_unfitted_estimators_are_refused(est, name):
    with pytest.raises(fastscore.ConversionError, match=f"{name} is not fitted yet"):
        fastscore.from_sklearn(est)


def test_unfitted_scaler_in_front_of_a_fitted_model_is_refused():
    X, y = _iris()
    pipe = Pipeline([("s", StandardScaler()), ("m", fit_quietly(lm.LogisticRegression(max_iter=500), X, y))])
    with pytest.raises(fastscore.ConversionError, match="StandardScaler is not fitted yet"):
        fastscore.from_sklearn(pipe)


def test_diverged_coefficients_are_refused():
    X, y = _iris()
    est = fit_quietly(lm.Ridge(), X, y)
    est.coef_ = est.coef_.copy()
    est.coef_[0] = np.nan
    with pytest.raises(fastscore.ConversionError, match="Ridge has NaN or infinite coefficients"):
        fastscore.from_sklearn(est)


def test_supported_lists_every_converter():
    names = fastscore.convert.supported()
    for name in ("LogisticRegressionCV", "SGDClassifier", "RidgeClassifierCV", "Perceptron", "LassoLarsIC",
                 "OrthogonalMatchingPursuitCV", "MultiTaskElasticNetCV", "TheilSenRegressor", "TweedieRegressor",
                 "RANSACRegressor", "LinearSVR", "Pipeline", "OneVsRestClassifier"):
        assert name in names

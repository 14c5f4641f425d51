"""Sparse X through every converted kind of pipeline and wrapper: fastscore raises where scikit-learn raises, with
the same exception type, and otherwise gives its numbers (1e-12 plus the rounding bound), on CSR and CSC.

What scikit-learn 1.9 does with sparse X, step by step: MinMaxScaler raises TypeError (dense data is
required); StandardScaler(with_mean=True) raises ValueError (it cannot centre sparse X); RobustScaler
(with_centering=True) skips its centre and only scales; StandardScaler(with_mean=False) and MaxAbsScaler
scale; every linear model and wrapper passes sparse X on. The model file's field "sparse" carries it.
"""
import json
import pickle
import warnings

import numpy as np
import pytest
from scipy import sparse as sp
from sklearn import linear_model as lm, svm
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.frozen import FrozenEstimator
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.model_selection import FixedThresholdClassifier, GridSearchCV, TunedThresholdClassifierCV
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline, make_pipeline, make_union
from sklearn.preprocessing import (FunctionTransformer, KBinsDiscretizer, MaxAbsScaler, MinMaxScaler, OneHotEncoder,
                                   PolynomialFeatures, RobustScaler, StandardScaler)

from sklearn.base import is_classifier

import fastscore
from fastscore import ModelFormatError, modelfile
import estimator_cases
from helpers import EPS, TOL, assert_close

RNG = np.random.default_rng(11)
D = 6
# Far from the origin and skewed, so that every centre and shift matters (a wrong one moves z by units).
X_FIT = RNG.normal(loc=3.0, scale=1.5, size=(150, D)) * np.array([1, 2, 0.5, 4, 1, 3]) + np.array([0, 5, -2, 1, 9, 0])
Y_BIN = (X_FIT[:, 0] - X_FIT[:, 3] / 4 + RNG.normal(size=150) > np.median(X_FIT[:, 0] - X_FIT[:, 3] / 4)).astype(int)
Y_MULTI = np.digitize(X_FIT[:, 1] + RNG.normal(size=150), np.quantile(X_FIT[:, 1], [0.33, 0.66]))
Y_REG = X_FIT @ RNG.normal(size=D) + RNG.normal(size=150)
Y_POS = np.exp((X_FIT[:, 0] - 3) / 3)


def _sparse_x(n=40, density=0.35, seed=5):
    """A CSR matrix at X_FIT's scale (a third of its entries stored), with an empty row."""
    rng = np.random.default_rng(seed)
    dense = X_FIT[rng.integers(0, len(X_FIT), n)] * (rng.random((n, D)) < density)
    dense[3] = 0.0
    return sp.csr_matrix(dense)


def _robust():
    return RobustScaler()


# name -> (factory, y): every pipeline of folded scalers, and every wrapper over one.
CASES = {
    # one scaler before a model
    "standard": (lambda: make_pipeline(StandardScaler(), lm.LogisticRegression()), Y_BIN),
    "standard-no-mean": (lambda: make_pipeline(StandardScaler(with_mean=False), lm.LogisticRegression()), Y_BIN),
    "standard-no-std": (lambda: make_pipeline(StandardScaler(with_std=False), lm.Ridge()), Y_REG),
    "minmax": (lambda: make_pipeline(MinMaxScaler(), lm.LogisticRegression()), Y_BIN),
    "minmax-range": (lambda: make_pipeline(MinMaxScaler((-2, 3)), lm.Ridge()), Y_REG),
    "maxabs": (lambda: make_pipeline(MaxAbsScaler(), lm.LogisticRegression()), Y_MULTI),
    "robust": (lambda: make_pipeline(_robust(), lm.LogisticRegression()), Y_BIN),
    "robust-multi": (lambda: make_pipeline(_robust(), lm.LogisticRegression()), Y_MULTI),
    "robust-no-centering": (lambda: make_pipeline(RobustScaler(with_centering=False), lm.Ridge()), Y_REG),
    "robust-no-scaling": (lambda: make_pipeline(RobustScaler(with_scaling=False), lm.Ridge()), Y_REG),
    "robust-quantiles": (lambda: make_pipeline(RobustScaler(quantile_range=(10, 90)), svm.LinearSVC()), Y_MULTI),
    "robust-sgd-huber": (lambda: make_pipeline(_robust(), lm.SGDClassifier(loss="modified_huber", random_state=0)),
                         Y_MULTI),
    "robust-poisson": (lambda: make_pipeline(_robust(), lm.PoissonRegressor()), Y_POS),
    "robust-multi-output": (lambda: make_pipeline(_robust(), lm.LinearRegression()), np.c_[Y_REG, Y_POS]),
    # several scalers: the first that raises is the error; a RobustScaler anywhere skips its centre
    "maxabs-robust": (lambda: make_pipeline(MaxAbsScaler(), _robust(), lm.LogisticRegression()), Y_BIN),
    "robust-maxabs": (lambda: make_pipeline(_robust(), MaxAbsScaler(), lm.Ridge()), Y_REG),
    "robust-robust": (lambda: make_pipeline(_robust(), RobustScaler(quantile_range=(5, 95)), lm.Ridge()), Y_REG),
    "robust-standard-no-mean": (lambda: make_pipeline(_robust(), StandardScaler(with_mean=False),
                                                      lm.LogisticRegression()), Y_MULTI),
    "maxabs-standard": (lambda: make_pipeline(MaxAbsScaler(), StandardScaler(), lm.LogisticRegression()), Y_BIN),
    "robust-minmax": (lambda: make_pipeline(_robust(), MinMaxScaler(), lm.LogisticRegression()), Y_BIN),
    "robust-standard": (lambda: make_pipeline(_robust(), StandardScaler(), lm.Ridge()), Y_REG),
    "standard-minmax": (lambda: make_pipeline(StandardScaler(), MinMaxScaler(), lm.Ridge()), Y_REG),
    "minmax-standard": (lambda: make_pipeline(MinMaxScaler(), StandardScaler(), lm.Ridge()), Y_REG),
    "nested": (lambda: Pipeline([("outer", MaxAbsScaler()),
                                 ("inner", make_pipeline(_robust(), lm.LogisticRegression()))]), Y_BIN),
    # wrappers over them
    "grid-robust": (lambda: GridSearchCV(make_pipeline(_robust(), lm.LogisticRegression()),
                                         {"logisticregression__C": [0.1, 1.0]}, cv=3), Y_MULTI),
    "grid-minmax": (lambda: GridSearchCV(make_pipeline(MinMaxScaler(), lm.LogisticRegression()),
                                         {"logisticregression__C": [0.1, 1.0]}, cv=3), Y_BIN),
    "robust-grid-maxabs-robust": (lambda: make_pipeline(_robust(), GridSearchCV(
        make_pipeline(MaxAbsScaler(), _robust(), lm.Ridge()), {"ridge__alpha": [0.1, 1.0]}, cv=3)), Y_REG),
    "maxabs-grid-minmax": (lambda: make_pipeline(MaxAbsScaler(), GridSearchCV(
        make_pipeline(MinMaxScaler(), lm.Ridge()), {"ridge__alpha": [0.1, 1.0]}, cv=3)), Y_REG),
    "frozen-robust": (lambda: FrozenEstimator(make_pipeline(_robust(), lm.LogisticRegression()).fit(X_FIT, Y_BIN)),
                      Y_BIN),
    "calibrated-sigmoid-robust": (lambda: CalibratedClassifierCV(make_pipeline(_robust(), svm.LinearSVC()), cv=3),
                                  Y_BIN),
    "calibrated-isotonic-robust-multi": (lambda: CalibratedClassifierCV(
        make_pipeline(_robust(), svm.LinearSVC()), method="isotonic", cv=3), Y_MULTI),
    "calibrated-single-maxabs-robust": (lambda: CalibratedClassifierCV(
        make_pipeline(MaxAbsScaler(), _robust(), lm.LogisticRegression()), ensemble=False, cv=3), Y_MULTI),
    "calibrated-minmax": (lambda: CalibratedClassifierCV(make_pipeline(MinMaxScaler(), svm.LinearSVC()), cv=3),
                          Y_BIN),
    "calibrated-standard": (lambda: CalibratedClassifierCV(make_pipeline(StandardScaler(), svm.LinearSVC()), cv=3),
                            Y_BIN),
    "ovr-maxabs-robust": (lambda: OneVsRestClassifier(make_pipeline(MaxAbsScaler(), _robust(),
                                                                    lm.LogisticRegression())), Y_MULTI),
    "ovr-minmax": (lambda: OneVsRestClassifier(make_pipeline(MinMaxScaler(), lm.LogisticRegression())), Y_MULTI),
    "robust-ovr": (lambda: make_pipeline(_robust(), OneVsRestClassifier(lm.LogisticRegression())), Y_MULTI),
    "fixed-threshold-robust": (lambda: FixedThresholdClassifier(make_pipeline(_robust(), lm.LogisticRegression()),
                                                                threshold=0.3), Y_BIN),
    "tuned-threshold-robust": (lambda: TunedThresholdClassifierCV(make_pipeline(_robust(), lm.LogisticRegression()),
                                                                  cv=3), Y_BIN),
    "fixed-threshold-minmax": (lambda: FixedThresholdClassifier(make_pipeline(MinMaxScaler(), svm.LinearSVC())),
                               Y_BIN),
    "target-scaler-robust": (lambda: TransformedTargetRegressor(make_pipeline(_robust(), lm.Ridge()),
                                                                transformer=StandardScaler()), Y_REG),
    "target-minmax-robust-multi": (lambda: TransformedTargetRegressor(make_pipeline(_robust(), lm.Ridge()),
                                                                      transformer=MinMaxScaler()),
                                   np.c_[Y_REG, Y_POS]),
    "target-log-maxabs-robust": (lambda: TransformedTargetRegressor(make_pipeline(MaxAbsScaler(), _robust(),
                                                                                  lm.Ridge()),
                                                                    func=np.log, inverse_func=np.exp), Y_POS),
    "target-minmax-pipeline": (lambda: TransformedTargetRegressor(make_pipeline(MinMaxScaler(), lm.Ridge()),
                                                                  transformer=StandardScaler()), Y_REG),
    "ransac-robust": (lambda: lm.RANSACRegressor(make_pipeline(_robust(), lm.LinearRegression()),
                                                          min_samples=20, random_state=0),
                      Y_REG),
    "robust-ransac": (lambda: make_pipeline(_robust(), lm.RANSACRegressor(random_state=0)), Y_REG),
}

_FITTED = {}


def fitted(case):
    """The case's estimator, fitted once, quietly (convergence warnings say nothing about sparse X)."""
    if case not in _FITTED:
        factory, y = CASES[case]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = factory()
            _FITTED[case] = est if type(est) is FrozenEstimator else est.fit(X_FIT, y)
    return _FITTED[case]


def _methods(est):
    names = ("decision_function", "predict_proba", "predict_log_proba", "predict")
    return [m for m in names if hasattr(est, m)]


def _z_bound(model, X):
    """Bound (n, k) on |z_ours - z_sklearn| on sparse X: each stored entry scaled by every step (one rounding
    each), its product with coef, the sums in another order; magnitudes from the model's own fields."""
    A = abs(sp.csr_matrix(X, dtype=np.float64))
    coef = np.abs(np.atleast_2d(model.coef_))
    rule = getattr(model, "_sparse", None)
    intercept = model.intercept_ if rule is None or rule.intercept is None else rule.intercept
    magnitude = np.asarray(A @ coef.T) + np.abs(np.atleast_1d(intercept)).reshape(1, -1)
    return 2 * (coef.shape[1] + 8) * EPS * magnitude


def _slope(model):
    """A bound on how much the outputs after z move per unit of z: the link's, times the post stage's."""
    calibration = None if model._post is None else model._post.data.get("calibration")
    if calibration is None:
        return 2.0
    slopes = [1.0]
    for member in calibration["members"]:
        for c in member:
            if "a" in c:
                slopes.append(abs(c["a"]))
            else:
                x, y = np.asarray(c["x"]), np.asarray(c["y"])
                with np.errstate(divide="ignore", invalid="ignore"):
                    steps = np.abs(np.diff(y) / np.diff(x))
                slopes.append(np.nanmax(steps[np.isfinite(steps)], initial=0.0))
    return 2.0 * (len(model.classes_) + 1) * max(slopes)


def _agree(model, est, X):
    """Every method of est on X: fastscore raises the same exception type, or gives the same numbers."""
    zb = _z_bound(model, X)
    for method in _methods(est):
        try:
            with warnings.catch_warnings(), np.errstate(over="ignore"):
                warnings.simplefilter("ignore")
                want = getattr(est, method)(X)
        except (TypeError, ValueError) as exc:
            with pytest.raises(type(exc), match=r"^X is a sparse matrix, but "):
                getattr(model, method)(X)
            continue
        got = getattr(model, method)(X)
        if method == "predict" and is_classifier(est):
            # 40 fixed rows, none within rounding (about 1e-14) of a tie or a threshold: the labels are equal
            assert np.array_equal(got, want) and got.dtype.kind == np.asarray(want).dtype.kind
            continue
        if method == "decision_function":
            assert_close(got, want, zb[:, 0] if np.ndim(want) == 1 else zb)
        elif method in ("predict_proba", "predict_log_proba"):
            bound = _slope(model) * zb.max(axis=1, keepdims=True)
            if method == "predict_log_proba":  # d log p = dp / p; scikit-learn logs its rounded probabilities
                bound = (bound + TOL) / np.maximum(est.predict_proba(X), 1e-3)
            sure = np.isfinite(want) & (np.exp(want) > 1e-3) if method == "predict_log_proba" else \
                np.ones_like(want, dtype=bool)
            assert_close(got[sure], want[sure], np.broadcast_to(bound, want.shape)[sure])
        elif model.link == "exp":  # exp turns an absolute error of z into a relative one
            scale = zb[:, 0] if np.ndim(want) == 1 else zb
            assert_close(got, want, (TOL + 1.01 * scale) * np.abs(want), tol=0.0)
        else:
            scale = zb[:, 0] if np.ndim(want) == 1 else zb
            assert_close(got, want, TOL * np.maximum(1.0, np.abs(want)) + scale, tol=0.0)
    return True


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_sparse_x_is_scored_or_refused_as_scikit_learn_does(case, fmt, backend):
    est = fitted(case)
    X = _sparse_x().asformat(fmt)
    model = fastscore.from_sklearn(est, backend=backend)
    assert _agree(model, est, X)
    assert _agree(fastscore.loads(model.dumps(), backend=backend), est, X)
    # dense X is untouched by the rule: the same numbers as before
    dense = X.toarray()
    for method in _methods(est):
        assert np.array_equal(np.asarray(getattr(model, method)(dense)), np.asarray(getattr(
            fastscore.loads(model.dumps(), backend=backend), method)(dense)))


@pytest.mark.parametrize("fmt", ["csr", "csc"])
@pytest.mark.parametrize("case", sorted(estimator_cases.CLASSIFIERS) + sorted(estimator_cases.REGRESSORS))
def test_every_estimator_case_on_sparse_x(case, fmt, backend):
    """Every linear estimator (and scaler pipeline) of tests/estimator_cases.py, on its own data with half its
    entries zero, as a sparse matrix."""
    est, X = estimator_cases.fitted(case)
    rng = np.random.default_rng(len(case))
    rows = X[rng.integers(0, len(X), 40)]
    Xs = sp.csr_matrix(rows * (rng.random(rows.shape) < 0.5)).asformat(fmt)
    assert _agree(fastscore.from_sklearn(est, backend=backend), est, Xs)


def test_score_one_takes_a_sparse_row_by_the_rule(backend):
    est = fitted("robust")
    model = fastscore.from_sklearn(est, backend=backend)
    X = _sparse_x()
    for i in range(5):
        assert_close(np.asarray(model.score_one(X[i])), est.predict_proba(X[i])[0, 1], _z_bound(model, X[i])[0, 0])
    refusing = fastscore.from_sklearn(fitted("minmax"), backend=backend)
    with pytest.raises(TypeError, match=r"^X is a sparse matrix, but .* MinMaxScaler \(minmaxscaler\)"):
        refusing.score_one(X[0])


# ---- the field "sparse" -----------------------------------------------------------------------

def _doc(model):
    return json.loads(model.dumps())


def test_the_field_records_what_scikit_learn_does():
    assert _doc(fastscore.from_sklearn(fitted("minmax")))["sparse"] == \
        {"error": "dense", "step": "MinMaxScaler", "path": "minmaxscaler"}
    assert _doc(fastscore.from_sklearn(fitted("maxabs-standard")))["sparse"] == \
        {"error": "center", "step": "StandardScaler", "path": "standardscaler"}
    # the first step that raises, in the order scikit-learn runs them, named by its path
    assert _doc(fastscore.from_sklearn(fitted("robust-minmax")))["sparse"]["step"] == "MinMaxScaler"
    assert _doc(fastscore.from_sklearn(fitted("maxabs-grid-minmax")))["sparse"] == \
        {"error": "dense", "step": "MinMaxScaler", "path": "gridsearchcv/estimator/minmaxscaler"}
    assert _doc(fastscore.from_sklearn(fitted("ovr-minmax")))["sparse"]["path"] == \
        "onevsrestclassifier/estimator/minmaxscaler"
    # a RobustScaler's pipeline: the model's own intercept, without the folded shifts
    est = fitted("maxabs-robust")
    doc = _doc(fastscore.from_sklearn(est))
    assert doc["format_version"] == 3
    assert doc["sparse"] == {"intercept": est[-1].intercept_.tolist()} and doc["intercept"] != doc["sparse"]["intercept"]


@pytest.mark.parametrize("case", ["standard", "standard-no-mean", "maxabs", "robust-no-centering",
                                  "calibrated-standard", "standard-minmax"])
def test_models_that_need_no_rule_keep_their_format_version(case):
    """Without the field, a centred model refuses sparse X as a centring scaler does: the file stays older."""
    doc = _doc(fastscore.from_sklearn(fitted(case)))
    assert "sparse" not in doc and doc["format_version"] == (2 if "post" in doc else 1)


@pytest.mark.parametrize("case", ["minmax", "maxabs-standard", "robust", "calibrated-isotonic-robust-multi",
                                  "target-minmax-robust-multi"])
def test_the_field_round_trips_through_files_pickles_and_equality(case, backend, tmp_path):
    model = fastscore.from_sklearn(fitted(case), backend=backend)
    path = tmp_path / "model.json"
    model.save(path)
    X = _sparse_x()
    for twin in (fastscore.load(path, backend=backend), fastscore.loads(model.dumps(), backend=backend),
                 pickle.loads(pickle.dumps(model))):
        assert twin == model and twin.dumps() == model.dumps() and twin._sparse is not None
        try:
            want = model.predict(X)
        except (TypeError, ValueError) as exc:
            with pytest.raises(type(exc), match=str(exc).replace("(", r"\(").replace(")", r"\)")):
                twin.predict(X)
            continue
        assert np.array_equal(twin.predict(X), want)


def test_models_differing_in_the_field_only_differ():
    model = fastscore.from_sklearn(fitted("robust"))
    doc = _doc(model)
    other = dict(doc, sparse={"intercept": [doc["sparse"]["intercept"][0] + 1.0]})
    other.pop("checksum")
    changed = fastscore.Classifier(**{k: v for k, v in other.items() if k not in (
        "format", "format_version", "kind", "fastscore_version")})
    assert changed != model
    unchanged = fastscore.Classifier(**{k: v for k, v in dict(doc).items() if k not in (
        "format", "format_version", "kind", "fastscore_version", "checksum")})
    assert unchanged == model


def _refit_checksum(doc):
    doc = {k: v for k, v in doc.items() if k != "checksum"}
    doc["checksum"] = modelfile._checksum(doc)
    return json.dumps(doc)


@pytest.mark.parametrize("sparse, message", [
    ([1.0], r"^field 'sparse' must be an object, got a list of 1 values$"),
    ({}, r"^field 'sparse' must have the keys 'error', 'step' and 'path', or the key 'intercept' or 'densify' alone, "
         r"got none$"),
    ({"intercept": [0.0], "error": "dense"}, r"^field 'sparse' must have the keys .* got 'error', 'intercept'$"),
    ({"error": "dense", "step": "MinMaxScaler"}, r"^field 'sparse' must have the keys .* got 'error', 'step'$"),
    ({"error": "sparse", "step": "X", "path": "x"}, r"^field 'sparse.error' must be 'dense' or 'center', got the "),
    ({"error": True, "step": "X", "path": "x"}, r"^field 'sparse.error' must be 'dense' or 'center', got true$"),
    ({"error": "dense", "step": 3, "path": "x"}, r"^field 'sparse.step' must be a string, got 3$"),
    ({"error": "dense", "step": "X", "path": None}, r"^field 'sparse.path' must be a string, got null$"),
    ({"intercept": 0.5}, r"^field 'sparse.intercept' must be a list of 1 numbers \(rows of 'coef'\), got 0.5$"),
    ({"intercept": [0.5, 1.0]}, r"^field 'sparse.intercept' must have 1 numbers \(rows of 'coef'\), got 2$"),
    ({"intercept": [True]}, r"^field 'sparse.intercept' must hold finite numbers, got true$"),
    ({"intercept": ["0.5"]}, r"^field 'sparse.intercept' must hold finite numbers, got the string '0.5'$"),
])
def test_the_field_is_validated(sparse, message):
    doc = _doc(fastscore.from_sklearn(fitted("robust")))
    doc["sparse"] = sparse
    with pytest.raises(ModelFormatError, match=message):
        fastscore.loads(_refit_checksum(doc))
    with pytest.raises(ValueError, match=message):
        fastscore.Classifier(estimator="E", link="logistic", n_features=D, coef=[doc["coef"][0]],
                             intercept=doc["intercept"], classes=[0, 1], sparse=sparse)


def test_a_flat_regressor_has_one_number_and_non_finite_numbers_are_refused():
    doc = _doc(fastscore.from_sklearn(fitted("robust-no-scaling")))
    assert isinstance(doc["sparse"]["intercept"], float)
    for bad, message in (([1.0], r"^field 'sparse.intercept' must be one number, as 'coef' is a single list"),
                         ("1e999", r"^field 'sparse.intercept' must hold finite numbers, got Infinity")):
        text = _refit_checksum(dict(doc, sparse={"intercept": bad if bad != "1e999" else 0.0}))
        if bad == "1e999":
            text = text.replace('"intercept": 0.0}', '"intercept": 1e999}')
        with pytest.raises(ModelFormatError, match=message):
            fastscore.loads(text)


def test_the_field_needs_version_3():
    doc = _doc(fastscore.from_sklearn(fitted("robust")))
    with pytest.raises(ModelFormatError, match=r"^unknown field\(s\) 'sparse' \(format version 2 has no such field\)$"):
        fastscore.loads(_refit_checksum(dict(doc, format_version=2)))


def test_files_without_the_field_keep_their_behaviour(backend):
    """A centred model of version 1 or 2 refuses sparse X; one without a centre scores it."""
    est = fitted("robust")
    doc = _doc(fastscore.from_sklearn(est))
    old = {k: v for k, v in doc.items() if k != "sparse"}
    old["format_version"] = 1
    model = fastscore.loads(_refit_checksum(old), backend=backend)
    with pytest.raises(ValueError, match=r"^X is a sparse matrix, but .* centres its features \(x - center"):
        model.predict_proba(_sparse_x())
    new = fastscore.from_sklearn(est, backend=backend)
    assert np.array_equal(model.predict_proba(X_FIT), new.predict_proba(X_FIT))
    uncentred = fastscore.loads(_refit_checksum({k: v for k, v in _doc(fastscore.from_sklearn(fitted("maxabs"))).items()
                                                 if k != "checksum"}), backend=backend)
    assert_close(uncentred.predict_proba(_sparse_x()), fitted("maxabs").predict_proba(_sparse_x()), 1e-15)


# ---- pipelines with an input stage -------------------------------------------------------------

X_GAPS = X_FIT.copy()
X_GAPS[::7, 2] = np.nan


def _gappy_sparse():
    """_sparse_x with stored NaNs in column 2 (missing values, which the imputers fill)."""
    X = _sparse_x().tolil()
    X[1, 2], X[6, 2] = np.nan, np.nan
    return X.tocsr()


def _imputed(*steps, model=None):
    return make_pipeline(SimpleImputer(), *steps, model or lm.LogisticRegression())


FRONTS = {
    # every step takes sparse X and computes what it computes on dense X: scored as X.toarray()
    "imputer": lambda: _imputed(),
    "imputer-indicator": lambda: make_pipeline(SimpleImputer(add_indicator=True), lm.LogisticRegression()),
    "imputer-median-constant": lambda: make_pipeline(SimpleImputer(strategy="median"),
                                                     SimpleImputer(strategy="constant", fill_value=2.5), lm.Ridge()),
    "polynomial": lambda: _imputed(PolynomialFeatures(2)),
    "polynomial-3-interactions": lambda: _imputed(PolynomialFeatures(3, interaction_only=True, include_bias=False)),
    "polynomial-maxabs": lambda: _imputed(PolynomialFeatures(2), MaxAbsScaler(), model=lm.LogisticRegression()),
    "identity-standard-no-mean": lambda: _imputed(FunctionTransformer(), StandardScaler(with_mean=False),
                                                  model=lm.Ridge()),
    "union-indicator": lambda: make_pipeline(make_union(SimpleImputer(), MissingIndicator()), lm.LogisticRegression()),
    "union-dense-indicator-minmax": lambda: make_pipeline(make_union(SimpleImputer(), MissingIndicator(sparse=False)),
                                                          MaxAbsScaler(), lm.LogisticRegression()),
    "calibrated-polynomial": lambda: CalibratedClassifierCV(_imputed(PolynomialFeatures(2), model=svm.LinearSVC()),
                                                            cv=3),
    "grid-polynomial": lambda: GridSearchCV(_imputed(PolynomialFeatures(2)), {"logisticregression__C": [0.5]},
                                            cv=3),
    # a step raises on sparse X: refused on both sides
    "kbins": lambda: _imputed(KBinsDiscretizer(n_bins=3, quantile_method="averaged_inverted_cdf")),
    "onehot": lambda: _imputed(OneHotEncoder(handle_unknown="ignore")),
    "imputer-minmax": lambda: _imputed(MinMaxScaler()),
    "imputer-standard": lambda: _imputed(StandardScaler()),
    "union-minmax": lambda: make_pipeline(make_union(SimpleImputer(), MissingIndicator()), MinMaxScaler(),
                                          lm.LogisticRegression()),
    "validating-identity": lambda: _imputed(FunctionTransformer(validate=True)),
    "validating-identity-sparse": lambda: _imputed(FunctionTransformer(validate=True, accept_sparse=True)),
}
#: scikit-learn scores sparse X through these, but fastscore cannot tell what it computes: refused
UNTOLD = {
    "imputer-robust": lambda: _imputed(RobustScaler()),  # its centre is skipped on sparse X
    "column-transformer": lambda: make_pipeline(ColumnTransformer([("a", SimpleImputer(), [0, 2])],
                                                                  remainder="passthrough"), lm.LogisticRegression()),
}


def _fitted_front(factory):
    """factory's estimator fitted on X_GAPS, once per factory."""
    if factory not in _FITTED:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            est = factory()
            _FITTED[factory] = est.fit(X_GAPS, Y_BIN if is_classifier(est) else Y_REG)
    return _FITTED[factory]


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
@pytest.mark.parametrize("case", sorted(FRONTS))
def test_input_stages_score_sparse_x_where_scikit_learn_does(case, fmt, backend):
    est = _fitted_front(FRONTS[case])
    X = _gappy_sparse().asformat(fmt)
    model = fastscore.loads(fastscore.from_sklearn(est).dumps(), backend=backend)
    dense = fastscore.from_sklearn(est, backend=backend)
    for method in _methods(est):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                want = getattr(est, method)(X)
        except (TypeError, ValueError):
            with pytest.raises(ValueError, match=r"^X is a sparse matrix, but .* has an input stage that does not "):
                getattr(model, method)(X)
            continue
        # the input stage's own numbers on X.toarray(), which tests/test_column_pipelines.py holds to scikit-learn's
        assert _doc(model)["sparse"] == {"densify": True}
        got = getattr(model, method)(X)
        assert np.array_equal(got, getattr(dense, method)(X.toarray()))
        if np.asarray(want).dtype.kind == "f":
            want = np.asarray(want)
            scale = np.maximum(1.0, np.abs(np.nan_to_num(want, neginf=0.0)))
            # scikit-learn logs its rounded probabilities: exact where they are not small
            sure = np.isfinite(want) & (np.exp(want) > 1e-3) if method == "predict_log_proba" else np.isfinite(want)
            assert_close(got[sure], want[sure], 1e-13 * scale[sure])
        else:
            assert np.array_equal(got, want)


@pytest.mark.parametrize("case", sorted(UNTOLD))
def test_input_stages_that_fastscore_cannot_tell_refuse_sparse_x(case, backend):
    est = _fitted_front(UNTOLD[case])
    est.predict_proba(_gappy_sparse())  # scikit-learn scores it
    model = fastscore.from_sklearn(est, backend=backend)
    assert "sparse" not in _doc(model)
    with pytest.raises(ValueError, match=r"^X is a sparse matrix, but .* has an input stage that does not take it"):
        model.predict_proba(_gappy_sparse())


def test_densify_is_validated_with_inputs_only():
    stage = dict(inputs=[{"name": None, "type": "number"}], numeric=[{"input": 0, "fill": 1.5}], tables=[])
    model = fastscore.Classifier(estimator="E", link="logistic", n_features=1, coef=[[0.5]], intercept=[0.25],
                                 classes=[0, 1], sparse={"densify": True}, **stage)
    assert json.loads(model.dumps())["format_version"] == 3 and model == fastscore.loads(model.dumps())
    X = sp.csr_matrix(np.array([[0.0], [np.nan], [2.0]]))
    assert_close(model.decision_function(X), [0.25, 1.0, 1.25])
    assert model.score_one(X[2]) == model.score_one([2.0])  # one sparse row, as score() takes it
    for sparse, message in (({"densify": False}, r"^field 'sparse.densify' must be true, got false$"),
                            ({"densify": 1}, r"^field 'sparse.densify' must be true, got 1$"),
                            ({"intercept": [0.0]}, r"^field 'sparse.intercept' is only allowed without the field "
                                                   r"'inputs'$")):
        with pytest.raises(ValueError, match=message):
            fastscore.Classifier(estimator="E", link="logistic", n_features=1, coef=[[0.5]], intercept=[0.25],
                                 classes=[0, 1], sparse=sparse, **stage)
    with pytest.raises(ValueError, match=r"^field 'sparse.densify' is only allowed with the field 'inputs'$"):
        fastscore.Classifier(estimator="E", link="logistic", n_features=1, coef=[[0.5]], intercept=[0.25],
                             classes=[0, 1], sparse={"densify": True})

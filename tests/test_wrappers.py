"""Wrappers: searches, calibration, thresholds and target transforms, converted exactly; refusals by path.

Each fitted wrapper is compared with scikit-learn on both backends: within
1e-12 plus the rounding bound of z (tests/helpers.py) carried through what
follows z (a calibrator's slope, a normalisation, an inverse link). Where z
is exact (coefficients of an identity matrix), hypothesis checks the post
stage's arithmetic against scikit-learn's own to a few ulps.
"""
import functools
import hashlib
import json
import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn import linear_model as lm, svm
from sklearn.calibration import CalibratedClassifierCV, _CalibratedClassifier, _SigmoidCalibration
from sklearn.compose import TransformedTargetRegressor
from sklearn.decomposition import PCA
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.frozen import FrozenEstimator
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import f1_score, make_scorer
from sklearn.model_selection import (FixedThresholdClassifier, GridSearchCV, HalvingGridSearchCV,
                                     HalvingRandomSearchCV, RandomizedSearchCV, TunedThresholdClassifierCV)
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import (FunctionTransformer, MaxAbsScaler, MinMaxScaler, QuantileTransformer,
                                   RobustScaler, StandardScaler)
from sklearn.tree import DecisionTreeClassifier

import fastscore
from fastscore import ModelFormatError, fields, modelfile
from fastscore.convert import convert_parts
from estimator_cases import compare, data_for as _data, dataset, fit_quietly, z_bound
from helpers import EPS, TOL, assert_close, dot_bound

RNG = np.random.default_rng(0)
X = RNG.normal(size=(120, 4))
Y2 = (X[:, 0] + 0.5 * X[:, 1] + RNG.normal(scale=0.5, size=120) > 0).astype(int)


def _refusal(est):
    """The ConversionError converting est raises."""
    with pytest.raises(fastscore.ConversionError) as info:
        fastscore.from_sklearn(est)
    return info.value


def _labels(y, kind):
    return np.array(["no", "yes", "maybe"])[y] if kind == "str" else y


def _scaled(model):
    return make_pipeline(StandardScaler(), model)


# ---- the wrapped estimators, fitted once ------------------------------------------------------

SEARCHES = {
    "grid-logreg-binary": (lambda: GridSearchCV(_scaled(lm.LogisticRegression()),
                                                {"logisticregression__C": [0.1, 1.0]}, cv=3), "breast_cancer", "str"),
    "randomized-logreg-multi": (lambda: RandomizedSearchCV(lm.LogisticRegression(max_iter=1000), {"C": [0.1, 1, 10]},
                                                           n_iter=2, cv=3, random_state=0), "iris", "str"),
    "halving-grid-linearsvc": (lambda: HalvingGridSearchCV(_scaled(svm.LinearSVC()), {"linearsvc__C": [0.1, 1.0]},
                                                           cv=3, random_state=0), "wine", None),
    "halving-random-sgd": (lambda: HalvingRandomSearchCV(
        _scaled(lm.SGDClassifier(loss="modified_huber", random_state=0)), {"sgdclassifier__alpha": [1e-4, 1e-3]},
        cv=3, random_state=0), "iris", None),
    "grid-ridge": (lambda: GridSearchCV(lm.Ridge(), {"alpha": [0.1, 1.0]}, cv=3), "diabetes", None),
    "randomized-ridge-multi": (lambda: RandomizedSearchCV(lm.Ridge(), {"alpha": [0.1, 1.0, 10.0]}, n_iter=2, cv=3,
                                                          random_state=0), "linnerud", None),
}

_BASES = {
    "linearsvc": lambda: _scaled(svm.LinearSVC()),
    "logreg": lambda: lm.LogisticRegression(max_iter=2000),
    "sgd-log": lambda: _scaled(lm.SGDClassifier(loss="log_loss", random_state=0)),
    "ovr-logreg": lambda: _scaled(OneVsRestClassifier(lm.LogisticRegression())),
    "search": lambda: GridSearchCV(_scaled(lm.LogisticRegression()), {"logisticregression__C": [0.1, 1.0]}, cv=2),
}

CALIBRATED = {
    **{f"{method}-{'ensemble' if ensemble else 'single'}-{base}-{name}": (
        lambda method=method, ensemble=ensemble, base=base: CalibratedClassifierCV(
            _BASES[base](), method=method, ensemble=ensemble, cv=3), data, labels)
       for method in ("sigmoid", "isotonic") for ensemble in (True, False)
       for base in ("linearsvc", "logreg")
       for name, data, labels in (("binary", "breast_cancer", "str"), ("multi", "wine", None))},
    "sigmoid-ensemble-sgd-log-multi": (lambda: CalibratedClassifierCV(_BASES["sgd-log"](), cv=3), "iris", "str"),
    "isotonic-ensemble-ovr-multi": (lambda: CalibratedClassifierCV(_BASES["ovr-logreg"](), method="isotonic", cv=3),
                                    "wine", None),
    "sigmoid-ensemble-search-binary": (lambda: CalibratedClassifierCV(_BASES["search"](), cv=3), "breast_cancer", None),
    "default-linearsvc-binary": (lambda: CalibratedClassifierCV(), "breast_cancer", None),
}

THRESHOLDS = {
    "fixed-logreg-0.3": (lambda: FixedThresholdClassifier(_scaled(lm.LogisticRegression()), threshold=0.3),
                         "breast_cancer", "str"),
    "fixed-linearsvc-auto": (lambda: FixedThresholdClassifier(_scaled(svm.LinearSVC())), "breast_cancer", None),
    "fixed-logreg-decision-first": (lambda: FixedThresholdClassifier(
        _scaled(lm.LogisticRegression()), threshold=-0.5, pos_label="no", response_method="decision_function"),
        "breast_cancer", "str"),
    "fixed-logreg-proba-first": (lambda: FixedThresholdClassifier(
        _scaled(lm.LogisticRegression()), threshold=0.8, pos_label=0), "breast_cancer", None),
    "fixed-calibrated": (lambda: FixedThresholdClassifier(
        CalibratedClassifierCV(_scaled(svm.LinearSVC()), method="isotonic", cv=3), threshold=0.2),
        "breast_cancer", None),
    "tuned-logreg": (lambda: TunedThresholdClassifierCV(_scaled(lm.LogisticRegression()), cv=3),
                     "breast_cancer", "str"),
    "tuned-linearsvc-f1": (lambda: TunedThresholdClassifierCV(_scaled(svm.LinearSVC()), scoring="f1", cv=3),
                           "breast_cancer", None),
    "tuned-logreg-f1-first": (lambda: TunedThresholdClassifierCV(
        _scaled(lm.LogisticRegression()), scoring=make_scorer(f1_score, pos_label="no"), cv=3), "breast_cancer", "str"),
}

_PAIRS = {"log": (np.log, np.exp), "log1p": (np.log1p, np.expm1), "sqrt": (np.sqrt, np.square)}

TARGETS = {
    **{f"{pair}-{reg}-{data}": (lambda pair=pair, reg=reg: TransformedTargetRegressor(
        lm.Ridge() if reg == "ridge" else _scaled(lm.LinearRegression()),
        func=_PAIRS[pair][0], inverse_func=_PAIRS[pair][1]), data, None)
       for pair in _PAIRS for reg in ("ridge", "pipe") for data in ("diabetes", "linnerud")},
    "log-ridge-column": (lambda: TransformedTargetRegressor(lm.Ridge(), func=np.log, inverse_func=np.exp),
                         "diabetes-column", None),
    "log1p-functiontransformer": (lambda: TransformedTargetRegressor(
        lm.Ridge(), transformer=FunctionTransformer(np.log1p, np.expm1)), "diabetes", None),
    "identity-linear-column": (lambda: TransformedTargetRegressor(lm.LinearRegression()), "diabetes-column", None),
    "identity-poisson": (lambda: TransformedTargetRegressor(_scaled(lm.PoissonRegressor())), "diabetes", None),
    **{f"{name}-{reg}-{data}": (lambda scaler=scaler, reg=reg: TransformedTargetRegressor(
        lm.Ridge() if reg == "ridge" else lm.LinearRegression(), transformer=scaler()), data, None)
       for name, scaler in (("standard", StandardScaler), ("minmax", lambda: MinMaxScaler((-1, 2))),
                            ("maxabs", MaxAbsScaler), ("robust", RobustScaler),
                            ("standard-nomean", lambda: StandardScaler(with_mean=False)))
       for reg in ("ridge", "linear") for data in ("diabetes", "linnerud", "diabetes-column")},
    "grid-over-standard": (lambda: GridSearchCV(TransformedTargetRegressor(lm.Ridge(), transformer=StandardScaler()),
                                                {"regressor__alpha": [0.1, 1.0]}, cv=3), "diabetes", None),
}

ALL = {**SEARCHES, **CALIBRATED, **THRESHOLDS, **TARGETS}


@functools.lru_cache(maxsize=None)
def fitted(case):
    """(estimator, X) for a case id of ALL, fitted once."""
    factory, name, labels = ALL[case]
    X, y = _data(name)
    return fit_quietly(factory(), X, _labels(y, labels) if labels else y), X


# ---- bounds carried through the post stage -----------------------------------------------------

def _slope(calibrator):
    """The largest |d p / d z| of a fitted calibrator."""
    if isinstance(calibrator, _SigmoidCalibration):
        return abs(calibrator.a_) / 4
    x, y = calibrator.X_thresholds_, calibrator.y_thresholds_
    return float(np.max(np.abs(np.diff(y) / np.diff(x)))) if len(x) > 1 else 0.0


def calibration_bound(est, X):
    """Bound on |p_ours - p_sklearn| per row, (n, 1), for a CalibratedClassifierCV."""
    k = len(est.classes_)
    total = np.zeros((len(X), 1))
    for member in est.calibrated_classifiers_:
        zb = z_bound(member.estimator, X)
        errors = np.stack([zb[:, j] * _slope(c) for j, c in enumerate(member.calibrators)], axis=1)
        if k == 2:
            bound = errors.max(axis=1, keepdims=True)
        else:  # p_i / S moves by at most (|dp_i| + sum |dp|) / S
            z = member.estimator.decision_function(X).reshape(len(X), -1)
            raw = np.stack([c.predict(z[:, j]) for j, c in enumerate(member.calibrators)], axis=1)
            with np.errstate(divide="ignore"):
                bound = 2 * errors.sum(axis=1, keepdims=True) / raw.sum(axis=1, keepdims=True)
        total += bound
    return 1.01 * total / len(est.calibrated_classifiers_)


def compare_calibrated(model, est, X):
    want = est.predict_proba(X)
    bound = calibration_bound(est, X)
    assert_close(model.predict_proba(X), want, bound)
    binary = len(est.classes_) == 2
    assert_close(model.score(X), want[:, 1] if binary else want, bound[:, 0] if binary else bound)
    # Labels where the top two probabilities are apart by more than their rounding.
    # (Isotonic calibration ties rows on purpose: where the probabilities are the same bits, so are the labels.)
    top2 = np.sort(want, axis=1)[:, -2:]
    clear = (top2[:, 1] - top2[:, 0] > 2 * bound[:, 0] + 2 * TOL) | (model.predict_proba(X) == want).all(axis=1)
    assert clear.mean() > 0.9
    got, expected = model.predict(X), est.predict(X)
    assert np.array_equal(got[clear], expected[clear]) and got.dtype.kind == expected.dtype.kind
    assert model.has_proba
    for method in ("decision_function", "predict_log_proba"):  # CalibratedClassifierCV has neither
        assert not hasattr(est, method)
        with pytest.raises(AttributeError, match=f"has no {method}"):
            getattr(model, method)(X)


def _response(est, X):
    """The response a threshold classifier thresholds, its rounding bound, and the positive class's index."""
    inner = est.estimator_
    methods = est._get_response_method()
    method = next(m for m in ([methods] if isinstance(methods, str) else methods) if hasattr(inner, m))
    pos_label = est.pos_label if isinstance(est, FixedThresholdClassifier) else est._curve_scorer._get_pos_label()
    pos = 1 if pos_label is None else int(np.flatnonzero(inner.classes_ == pos_label)[0])
    if isinstance(inner, CalibratedClassifierCV):
        return inner.predict_proba(X)[:, pos], calibration_bound(inner, X)[:, 0], pos
    zb = z_bound(inner, X)[:, 0]
    if method == "predict_proba":
        return inner.predict_proba(X)[:, pos], zb / 4, pos
    z = inner.decision_function(X)
    return (z if pos == 1 else -z), zb, pos


def compare_threshold(model, est, X):
    """Everything but predict is the wrapped model's, to the bit; predict thresholds its response."""
    inner = fastscore.from_sklearn(est.estimator_, backend=model.backend)
    if isinstance(est.estimator_, CalibratedClassifierCV):
        compare_calibrated(inner, est.estimator_, X)
    else:
        compare(inner, est.estimator_, X)
    for method in ("score", "predict_proba", "decision_function", "predict_log_proba"):
        try:
            want = getattr(inner, method)(X)
        except AttributeError:
            assert not hasattr(est, method) or method == "score"
            with pytest.raises(AttributeError):
                getattr(model, method)(X)
            continue
        assert hasattr(est, method) or method == "score"
        assert getattr(model, method)(X).tobytes() == want.tobytes(), method
    score, bound, pos = _response(est, X)
    threshold = est.best_threshold_ if isinstance(est, TunedThresholdClassifierCV) else est.threshold
    if isinstance(threshold, str):
        threshold = 0.5 if hasattr(est.estimator_, "predict_proba") else 0.0
    clear = np.abs(score - threshold) > bound + TOL
    assert clear.mean() > 0.95
    got, want = model.predict(X), est.predict(X)
    assert np.array_equal(got[clear], want[clear]) and got.dtype == want.dtype


def _inverse_bound(est, X, want):
    """Bound on |y_ours - y_sklearn| for a TransformedTargetRegressor (or a search of one), shaped as y."""
    est = getattr(est, "best_estimator_", est)
    regressor = est.regressor_
    zb = z_bound(regressor, X)                            # on z, in the regressor's units
    pred = regressor.predict(X).reshape(len(X), -1)       # the regressor's output, before the inverse
    y = np.abs(want).reshape(len(X), -1)
    t = est.transformer_
    if isinstance(t, FunctionTransformer):
        if t.inverse_func in (np.exp, np.expm1):  # d exp(z) = exp(z) dz
            moved = np.exp(pred) * np.expm1(1.01 * zb)
        elif t.inverse_func is np.square:
            moved = 2.02 * np.abs(pred) * zb + zb * zb
        elif convert_parts(regressor).link == "exp":  # a GLM's own exp
            moved = 1.01 * zb * np.abs(pred)
        else:
            moved = zb
    else:
        if isinstance(t, MinMaxScaler):  # y = (y' - min_) / scale_
            factor, shift = 1 / t.scale_, t.min_ / t.scale_
        else:  # y = y' * scale_ + (mean_ or center_)
            factor = np.ones(pred.shape[1]) if t.scale_ is None else t.scale_
            shift = getattr(t, "mean_", None) if isinstance(t, StandardScaler) else getattr(t, "center_", None)
            shift = np.zeros(pred.shape[1]) if shift is None else shift
        # scikit-learn's z moves by zb, times the factor; ours rounds the folded terms at their size.
        parts = convert_parts(est)
        folded = dot_bound(X, parts.coef.reshape(-1, X.shape[1]), parts.intercept.reshape(-1))
        moved = zb * np.abs(factor) + folded + 8 * EPS * (y + np.abs(shift))
    return (moved + 8 * EPS * y).reshape(np.shape(want)) + TOL * np.maximum(1.0, np.abs(want))


def compare_target(model, est, X):
    want = est.predict(X)
    got = model.predict(X)
    assert got.shape == want.shape
    assert_close(got, want, _inverse_bound(est, X, want), tol=0.0)
    assert_close(model.score(X), want, _inverse_bound(est, X, want), tol=0.0)


# ---- agreement with scikit-learn ---------------------------------------------------------------

@pytest.mark.parametrize("case", sorted(SEARCHES))
def test_searches_predict_with_their_best_estimator(case, backend):
    est, X = fitted(case)
    model = fastscore.from_sklearn(est, backend=backend)
    assert model.estimator.startswith(type(est).__name__ + "(")
    compare(model, est, X)


@pytest.mark.parametrize("case", sorted(CALIBRATED))
def test_calibrated_classifiers_match_sklearn(case, backend):
    est, X = fitted(case)
    model = fastscore.from_sklearn(est, backend=backend)
    assert model.estimator.startswith("CalibratedClassifierCV(") and model.link == "identity"
    members = est.calibrated_classifiers_
    assert model.coef_.shape[0] == sum(len(m.calibrators) for m in members)
    compare_calibrated(model, est, X)


@pytest.mark.parametrize("case", sorted(THRESHOLDS))
def test_thresholds_predict_as_sklearn(case, backend):
    est, X = fitted(case)
    model = fastscore.from_sklearn(est, backend=backend)
    compare_threshold(model, est, X)


@pytest.mark.parametrize("case", sorted(TARGETS))
def test_target_transforms_match_sklearn(case, backend):
    est, X = fitted(case)
    model = fastscore.from_sklearn(est, backend=backend)
    compare_target(model, est, X)


@pytest.mark.parametrize("case", sorted(ALL))
def test_score_one_is_score(case, backend):
    est, X = fitted(case)
    model = fastscore.from_sklearn(est, backend=backend)
    batch = model.score(X[:12])
    for row, want in zip(X[:12], batch):
        got = model.score_one(row.tolist())
        assert isinstance(got, float if np.size(want) == 1 else tuple)
        assert_close(np.asarray(got, dtype=np.float64).reshape(np.shape(want)), want, 1e-12 * np.abs(want))


@pytest.mark.parametrize("case", sorted(ALL))
def test_files_pickles_and_equality_keep_every_wrapper(case, backend, tmp_path):
    est, X = fitted(case)
    model = fastscore.from_sklearn(est, backend=backend)
    path = tmp_path / "model.json"
    model.save(path)
    doc = json.loads(path.read_text())
    has_post = "post" in doc
    assert doc["format_version"] == (2 if has_post else 1)
    assert has_post == (case in CALIBRATED or case in THRESHOLDS)
    copies = [fastscore.load(path, backend=backend), fastscore.loads(model.dumps(), backend=backend),
              pickle.loads(pickle.dumps(model))]
    for twin in copies:
        assert twin == model and twin.dumps() == model.dumps()
        for method in ("score", "predict", "predict_proba", "decision_function"):
            try:
                want = getattr(model, method)(X)
            except AttributeError:
                with pytest.raises(AttributeError):
                    getattr(twin, method)(X)
                continue
            got = getattr(twin, method)(X)
            if method == "predict" and want.dtype.kind != "f":  # labels: a str array's width may differ
                assert np.array_equal(got, want) and got.dtype.kind == want.dtype.kind
            else:
                assert got.tobytes() == want.tobytes(), method


def test_a_post_stage_is_part_of_equality():
    est, _ = fitted("fixed-logreg-0.3")
    model = fastscore.from_sklearn(est)
    doc = json.loads(model.dumps())
    keys = ("estimator", "link", "n_features", "coef", "intercept", "classes", "center", "sklearn_version", "post")
    assert fastscore.Classifier(**{k: doc.get(k) for k in keys}) == model
    doc["post"]["threshold"]["value"] = 0.4
    assert fastscore.Classifier(**{k: doc.get(k) for k in keys}) != model
    del doc["post"]
    assert fastscore.Classifier(**{k: doc.get(k) for k in keys}) != model


# ---- the post stage's arithmetic, where z is exact ----------------------------------------------

def _exact_member(rng, classes, columns, d):
    """A LogisticRegression whose decision values are the given columns of X, exactly (coef: rows of I)."""
    est = lm.LogisticRegression()
    Xd = rng.normal(size=(4 * len(classes), d))
    fit_quietly(est, Xd, np.repeat(classes, 4))
    coef = np.zeros((len(columns), d))
    coef[np.arange(len(columns)), columns] = 1.0
    est.coef_, est.intercept_ = coef, np.zeros(len(columns))
    return est


@st.composite
def exact_calibrations(draw):
    """A CalibratedClassifierCV (fitted by hand) whose members' z are columns of X, and X."""
    method = draw(st.sampled_from(["sigmoid", "isotonic"]))
    k = draw(st.integers(2, 4))
    classes = np.arange(k) * 10
    n_members = draw(st.integers(1, 4))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    d = 6
    members = []
    for _ in range(n_members):
        seen = classes if k == 2 or draw(st.booleans()) else np.sort(rng.choice(classes, 2, replace=False))
        rows = 1 if len(seen) == 2 else len(seen)
        estimator = _exact_member(rng, seen, rng.choice(d, rows, replace=False), d)
        calibrators = []
        for _ in range(rows):
            if method == "sigmoid":
                c = _SigmoidCalibration()
                c.a_, c.b_ = draw(st.floats(-8, 8)), draw(st.floats(-8, 8))
            else:
                n = draw(st.integers(1, 12))
                y = np.sort(rng.uniform(size=n) * draw(st.sampled_from([0.0, 0.3, 1.0])))
                c = IsotonicRegression(out_of_bounds="clip").fit(rng.normal(size=n) * 3, y)
            calibrators.append(c)
        members.append(_CalibratedClassifier(estimator, calibrators, classes=classes, method=method))
    cal = CalibratedClassifierCV(method=method)
    cal.classes_, cal.calibrated_classifiers_, cal.n_features_in_ = classes, members, d
    X = rng.normal(size=(30, d)) * draw(st.sampled_from([0.1, 1.0, 10.0, 1e3]))
    X[:3] = draw(st.sampled_from([0.0, -1e300, 1e300, 710.0]))  # z at the extremes
    thresholds = [c.X_thresholds_ for m in members for c in m.calibrators if hasattr(c, "X_thresholds_")]
    if thresholds:  # z exactly at the calibrators' points, where interpolation switches segments
        points = np.concatenate(thresholds)
        X[3:9] = rng.choice(points, size=(6, d))
    return cal, X


@settings(max_examples=60)
@given(exact_calibrations())
def test_calibration_arithmetic_is_sklearns(backend, case):
    cal, X = case
    with np.errstate(over="ignore"):  # scikit-learn's expit overflows quietly in scipy, warns in numpy
        want = cal.predict_proba(X)
    model = fastscore.from_sklearn(cal, backend=backend)
    got = model.predict_proba(X)
    # The same operations in the same order: only exp's last bit may differ (numpy's, glibc's).
    assert_close(got, want, tol=4 * EPS)
    if cal.method == "isotonic":
        assert got.tobytes() == want.tobytes()
    assert np.array_equal(model.predict(X), cal.predict(X)) or not np.array_equal(got, want)
    for row, p in zip(X, got):
        one = model.score_one(row.tolist())
        assert_close(np.asarray(one).reshape(-1), p[1:] if len(p) == 2 else p, tol=4 * EPS)


def test_rows_whose_calibrated_values_are_all_zero_are_uniform(backend):
    """Every isotonic calibrator 0 below its points: scikit-learn's uniform fallback, exactly."""
    rng = np.random.default_rng(3)
    classes = np.array([0, 1, 2])
    estimator = _exact_member(rng, classes, [0, 1, 2], 3)
    calibrators = [IsotonicRegression(out_of_bounds="clip").fit([0.0, 1.0, 2.0], [0.0, 0.5, 1.0]) for _ in range(3)]
    cal = CalibratedClassifierCV(method="isotonic")
    cal.classes_, cal.n_features_in_ = classes, 3
    cal.calibrated_classifiers_ = [_CalibratedClassifier(estimator, calibrators, classes=classes, method="isotonic")]
    Xz = np.array([[-1.0, -2.0, 0.0], [0.5, -1.0, -1.0], [2.0, 2.0, 2.0]])
    want = cal.predict_proba(Xz)
    assert np.array_equal(want[0], [1 / 3] * 3)
    model = fastscore.from_sklearn(cal, backend=backend)
    assert model.predict_proba(Xz).tobytes() == want.tobytes()
    assert model.score_one(Xz[0].tolist()) == tuple(want[0])


# ---- refusals, each named with its path ---------------------------------------------------------

@pytest.mark.parametrize("make, path, words", [
    (lambda: make_pipeline(FunctionTransformer(np.tanh), lm.LogisticRegression()), "functiontransformer",
     "it runs Python code (func=tanh)"),
    (lambda: make_pipeline(make_pipeline(StandardScaler(), PCA(2)), lm.LogisticRegression()), "pipeline/pca",
     "cannot fold PCA"),
    (lambda: OneVsRestClassifier(DecisionTreeClassifier()), "onevsrestclassifier/estimator",
     "fastscore converts exactly these"),
    (lambda: make_pipeline(StandardScaler(), OneVsRestClassifier(DecisionTreeClassifier())),
     "onevsrestclassifier/estimator", "fastscore converts exactly these"),
    (lambda: CalibratedClassifierCV(make_pipeline(FunctionTransformer(np.tanh), lm.LogisticRegression()), cv=2),
     "calibratedclassifiercv/estimator/functiontransformer", "it runs Python code (func=tanh)"),
    (lambda: GridSearchCV(make_pipeline(StandardScaler(), DecisionTreeClassifier()), {"standardscaler": [None]},
                          cv=2), "gridsearchcv/estimator/decisiontreeclassifier", "fastscore converts exactly"),
    (lambda: FixedThresholdClassifier(CalibratedClassifierCV(lm.LogisticRegression(), method="temperature", cv=2)),
     "fixedthresholdclassifier/estimator", "CalibratedClassifierCV(method='temperature') is not converted"),
    (lambda: GridSearchCV(TransformedTargetRegressor(lm.Ridge(), func=np.tanh, inverse_func=np.arctanh),
                          {"regressor__alpha": [1.0]}, cv=2),
     "gridsearchcv/estimator", "func=tanh and inverse_func=arctanh"),
    (lambda: TransformedTargetRegressor(lm.Ridge(), transformer=QuantileTransformer(n_quantiles=10)),
     "transformedtargetregressor/transformer", "fastscore inverts the transforms of y by a scaler"),
    (lambda: make_pipeline(StandardScaler(), TransformedTargetRegressor(lm.Ridge(), func=lambda y: y,
                                                                        inverse_func=lambda y: y)),
     "transformedtargetregressor", "func=<lambda> and inverse_func=<lambda>, Python code"),
])
def test_a_refused_part_is_named_with_its_path(make, path, words):
    y = X[:, 0] + 2.0 if "TransformedTarget" in repr(make()) else Y2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        error = _refusal(make().fit(X, y))
    name = str(error).split(" at ")[0].rsplit(" ", 1)[1]
    assert str(error).startswith(f"fastscore cannot convert {name} at {path}: ")
    assert error.path == path and words in str(error), str(error)


def test_an_unfitted_step_is_named_with_its_path():
    pipe = Pipeline([("scale", StandardScaler()), ("model", lm.LogisticRegression().fit(X, Y2))])
    error = _refusal(pipe)
    assert error.path == "scale" and "StandardScaler is not fitted yet" in str(error)


def test_the_estimator_given_is_refused_without_a_path():
    error = _refusal(DecisionTreeClassifier().fit(X, Y2))
    assert error.path is None and str(error).startswith("fastscore cannot convert DecisionTreeClassifier: ")


def test_a_subclass_is_refused_as_one():
    class MyRidge(lm.Ridge):
        pass

    error = _refusal(make_pipeline(StandardScaler(), MyRidge()).fit(X, Y2))
    assert error.path == "myridge" and "a subclass of Ridge, which may predict differently" in str(error)


@pytest.mark.parametrize("search", [GridSearchCV, RandomizedSearchCV, HalvingGridSearchCV, HalvingRandomSearchCV])
def test_a_search_without_refit_is_refused_by_name(search):
    grid = {"C": [0.1, 1.0]}
    est = search(lm.LogisticRegression(), grid, refit=False, cv=2, **({} if search is GridSearchCV else
                                                                       {"random_state": 0}))
    error = _refusal(fit_quietly(est, X, Y2))
    assert str(error) == (f"{search.__name__} was fitted with refit=False, so it has no best_estimator_ to "
                          "predict with: fit it with refit=True to convert it")


@pytest.mark.parametrize("est, words", [
    (lambda: TransformedTargetRegressor(lm.Ridge(), func=np.log, inverse_func=np.expm1),
     "func=log and inverse_func=expm1"),  # a pair must be one of the known pairs
    (lambda: TransformedTargetRegressor(lm.PoissonRegressor(), func=np.log, inverse_func=np.exp),
     "whose link is 'exp': fastscore applies one link only"),
    (lambda: TransformedTargetRegressor(lm.PoissonRegressor(), transformer=MaxAbsScaler()),
     "folds a scaler's inverse into identity links only"),
    (lambda: TransformedTargetRegressor(lm.Ridge(), transformer=FunctionTransformer(np.log, np.exp,
                                                                                     kw_args={"out": None})),
     "kw_args or inv_kw_args"),
    (lambda: FixedThresholdClassifier(lm.LogisticRegression(), pos_label=7), "pos_label=7, which is not one"),
    (lambda: FixedThresholdClassifier(svm.LinearSVC(), response_method="predict_proba"),
     "cannot compute its response 'predict_proba'"),
    (lambda: CalibratedClassifierCV(lm.LogisticRegression(), method="temperature", cv=2),
     "CalibratedClassifierCV(method='temperature') is not converted"),
    (lambda: OneVsRestClassifier(FixedThresholdClassifier(lm.LogisticRegression())),
     "binary linear classifiers only"),
])
def test_what_a_wrapper_cannot_be_is_refused_by_name(est, words):
    y = X[:, 0] ** 2 + 1.0 if "Regressor" in repr(est()) else Y2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        error = _refusal(est().fit(X, y))
    assert words in str(error) and error.path is None, str(error)


def test_prefit_calibration_of_a_frozen_model(backend):
    Xb, y = dataset("breast_cancer")
    base = fit_quietly(_scaled(svm.LinearSVC()), Xb, y)
    for method in ("sigmoid", "isotonic"):
        est = fit_quietly(CalibratedClassifierCV(FrozenEstimator(base), method=method), Xb, y)
        model = fastscore.from_sklearn(est, backend=backend)
        assert model.estimator == "CalibratedClassifierCV(FrozenEstimator(Pipeline(StandardScaler, LinearSVC)))"
        assert model.coef_.shape[0] == 1 and model.center is not None
        compare_calibrated(model, est, Xb)


def test_members_with_their_own_centres_share_one(backend):
    """Each fold's scaler centres x on its own mean: far from the origin the centres still count exactly."""
    rng = np.random.default_rng(7)
    Xf = rng.normal(size=(300, 3)) * 0.01 + 1e6
    y = (Xf[:, 0] - 1e6 > 0).astype(int)
    est = fit_quietly(CalibratedClassifierCV(_scaled(lm.LogisticRegression()), cv=3), Xf, y)
    centres = [m.estimator.steps[0][1].mean_ for m in est.calibrated_classifiers_]
    assert not np.array_equal(centres[0], centres[1])
    model = fastscore.from_sklearn(est, backend=backend)
    assert np.array_equal(model.center, centres[0])
    assert_close(model.predict_proba(Xf), est.predict_proba(Xf), tol=1e-12)


# ---- the field 'post' ------------------------------------------------------------------------------

def _calibrated_fields(**post):
    sigmoid = {"method": "sigmoid", "members": [[{"class": 1, "a": -1.5, "b": 0.25}], [{"class": 1, "a": -2.0, "b": 0}]]}
    return dict(estimator="CalibratedClassifierCV(LinearSVC)", link="identity", n_features=2,
                coef=[[1.0, -1.0], [0.5, 0.5]], intercept=[0.0, 0.1], classes=["a", "b"],
                post={"calibration": sigmoid, **post})


@pytest.mark.parametrize("change, words", [
    (lambda f: f.update(post=[]), "field 'post' must be an object, got a list of 0 values"),
    (lambda f: f.update(post={}), "field 'post' must hold 'calibration', 'threshold' or both"),
    (lambda f: f.update(post={"calibrate": {}}), "field 'post' has unknown key(s) 'calibrate'"),
    (lambda f: f["post"]["calibration"].update(method="platt"), "field 'post.calibration.method' must be one of"),
    (lambda f: f.update(link="logistic"), "field 'link' must be 'identity' with a calibration"),
    (lambda f: f["post"]["calibration"]["members"].pop(), "field 'coef' must have one row per calibrator of field "
                                                          "'post' (1), but coef has 2 row(s)"),
    (lambda f: f["post"]["calibration"]["members"][0][0].update(a=True),
     "field 'post.calibration.members[0][0].a' must be a finite number, got true"),
    (lambda f: f["post"]["calibration"]["members"][0][0].update(b=10**400),
     "field 'post.calibration.members[0][0].b' must be a finite number, got an integer too large"),
    (lambda f: f["post"]["calibration"]["members"][1][0].update({"class": 0}),
     "field 'post.calibration.members[1][0].class' must be an integer from 1 to 1"),
    (lambda f: f["post"]["calibration"]["members"][1].append({"class": 1, "a": 1.0, "b": 1.0}),
     "field 'post.calibration.members[1]' must hold one calibrator (of the positive class) for 2 classes"),
    (lambda f: f["post"]["calibration"]["members"][0][0].pop("b"), "field 'post.calibration.members[0][0]' lacks 'b'"),
    (lambda f: f["post"]["calibration"].update(method="isotonic"), "lacks 'x', 'y'"),
    (lambda f: f["post"]["calibration"].update(method="isotonic", members=[
        [{"class": 1, "x": [0.0, 0.0], "y": [0.0, 1.0]}], [{"class": 1, "x": [1.0], "y": [1.0]}]]),
     "field 'post.calibration.members[0][0].x' must be strictly increasing, but x[1] is 0.0 after 0.0"),
    (lambda f: f["post"]["calibration"].update(method="isotonic", members=[
        [{"class": 1, "x": [0.0, 1.0], "y": [0.0]}], [{"class": 1, "x": [1.0], "y": [1.0]}]]),
     "field 'post.calibration.members[0][0].y' must have as many numbers as"),
    (lambda f: f["post"].update(threshold={"value": 0.5, "response": "decision_function", "pos": 1}),
     "field 'post.threshold.response' is decision_function, but a calibrated model has none"),
    (lambda f: f["post"].update(threshold={"value": 0.5, "response": "predict_proba", "pos": 2}),
     "field 'post.threshold.pos' must be 0 or 1"),
    (lambda f: f["post"].update(threshold={"value": "0.5", "response": "predict_proba", "pos": 1}),
     "field 'post.threshold.value' must be a finite number, got the string '0.5'"),
    (lambda f: f.update(post={"threshold": {"value": 0.5, "response": "predict_proba", "pos": 1}}, link="identity",
                        coef=[[1.0, 2.0]], intercept=[0.0]),
     "field 'post.threshold.response' is predict_proba, but link 'identity' has no probabilities"),
])
def test_bad_post_fields_are_named(change, words):
    f = _calibrated_fields()
    change(f)
    with pytest.raises(fields.FieldError) as info:
        fastscore.Classifier(**f)
    assert words in str(info.value), str(info.value)
    text = json.dumps({"format": modelfile.FORMAT, "format_version": 2, "kind": "classifier", **f})
    doc = json.loads(text)
    doc["checksum"] = "sha256:" + hashlib.sha256(modelfile.canonical_json(doc)).hexdigest()
    with pytest.raises(ModelFormatError) as info:
        fastscore.loads(json.dumps(doc))
    assert words in str(info.value), str(info.value)


def test_a_regressor_has_no_post():
    with pytest.raises(fields.FieldError, match="field 'post' is only allowed for classifiers"):
        fastscore.Regressor(estimator="Ridge", link="identity", n_features=1, coef=[1.0], intercept=0.0,
                            post={"threshold": {"value": 0.5, "response": "predict_proba", "pos": 1}})


def test_a_version_1_file_holds_no_post():
    doc = json.loads(fastscore.Classifier(**_calibrated_fields()).dumps())
    assert doc["format_version"] == 2
    doc["format_version"] = 1
    doc["checksum"] = "sha256:" + hashlib.sha256(modelfile.canonical_json(doc)).hexdigest()
    with pytest.raises(ModelFormatError, match=r"unknown field\(s\) 'post' \(format version 1 has no such field\)"):
        fastscore.loads(json.dumps(doc))


def test_a_model_without_post_is_still_written_as_version_1():
    est, _ = fitted("log-ridge-diabetes")
    assert json.loads(fastscore.from_sklearn(est).dumps())["format_version"] == 1


@pytest.mark.parametrize("response, threshold, pos_label", [("decision_function", 0.25, None),
                                                            ("decision_function", -0.25, 0),
                                                            ("predict_proba", 0.5, None)])
def test_a_response_equal_to_the_threshold_predicts_the_positive_class(backend, response, threshold, pos_label):
    """scikit-learn predicts the positive class where the response is >= the threshold: at it, too."""
    est = FixedThresholdClassifier(lm.LogisticRegression(), threshold=threshold, pos_label=pos_label,
                                   response_method=response).fit(X, Y2)
    est.estimator_.coef_, est.estimator_.intercept_ = np.array([[1.0, 0.0, 0.0, 0.0]]), np.zeros(1)
    rows = np.zeros((6, 4))
    rows[:, 0] = [0.25, -0.25, 0.0, 1e-300, 0.5, -0.5]  # z exactly at each threshold (expit(0) = 0.5)
    want = est.predict(rows)
    assert len(set(want.tolist())) == 2
    assert np.array_equal(fastscore.from_sklearn(est, backend=backend).predict(rows), want)


@pytest.mark.parametrize("case", ["sigmoid-ensemble-linearsvc-binary", "isotonic-single-logreg-multi"])
def test_a_calibrated_score_writes_into_out(case, backend):
    est, X = fitted(case)
    model = fastscore.from_sklearn(est, backend=backend)
    want = model.score(X)
    out = np.empty(want.shape)
    assert model.score(X, out=out, n_threads=2) is out and out.tobytes() == want.tobytes()
    with pytest.raises(ValueError):
        model.score(X, out=np.empty((len(X) + 1,) + want.shape[1:]))
    assert model.score(X[:0]).shape == (0,) + want.shape[1:]


def test_a_pipeline_folds_its_scaler_into_every_member(backend):
    """A scaler in front of CalibratedClassifierCV goes into each member's rows of coef."""
    Xb, y = dataset("breast_cancer")
    pipe = fit_quietly(make_pipeline(StandardScaler(), CalibratedClassifierCV(svm.LinearSVC(), cv=3)), Xb, y)
    model = fastscore.from_sklearn(pipe, backend=backend)
    assert model.estimator == "Pipeline(StandardScaler, CalibratedClassifierCV(LinearSVC))"
    cal = pipe[-1]
    assert model.coef_.shape == (3, Xb.shape[1]) and np.array_equal(model.center, pipe[0].mean_)
    parts = convert_parts(pipe)
    heads = dot_bound(Xb, parts.coef, parts.intercept, parts.center) \
        + np.hstack([z_bound(m.estimator, pipe[0].transform(Xb)) for m in cal.calibrated_classifiers_])
    slopes = np.array([_slope(m.calibrators[0]) for m in cal.calibrated_classifiers_])
    bound = 1.01 * (heads * slopes).max(axis=1, keepdims=True)
    assert_close(model.predict_proba(Xb), pipe.predict_proba(Xb), bound)
    assert np.array_equal(model.predict(Xb), pipe.predict(Xb))


_WRAPPERS = {
    "sigmoid": lambda: CalibratedClassifierCV(lm.LogisticRegression(), cv=3),
    "isotonic-single": lambda: CalibratedClassifierCV(svm.LinearSVC(), method="isotonic", ensemble=False, cv=3),
    "fixed": lambda: FixedThresholdClassifier(lm.LogisticRegression(), threshold=0.35),
    "fixed-decision": lambda: FixedThresholdClassifier(svm.LinearSVC(), threshold=0.2),
    "grid": lambda: GridSearchCV(_scaled(lm.LogisticRegression()), {"logisticregression__C": [0.5, 2.0]}, cv=2),
}


@settings(max_examples=20)
@given(wrapper=st.sampled_from(sorted(_WRAPPERS)), k=st.sampled_from([2, 3]), offset=st.sampled_from([0.0, 50.0]),
       seed=st.integers(0, 2**32 - 1))
def test_random_data_through_random_wrappers(backend, wrapper, k, offset, seed):
    """Random data, labels that depend on it, fitted and compared as the fixed cases are."""
    if wrapper.startswith("fixed") and k != 2:
        k = 2  # thresholds are binary
    rng = np.random.default_rng(seed)
    Xr = rng.normal(size=(150, 3)) + offset
    y = np.digitize(Xr[:, 0] - offset + 0.5 * rng.normal(size=150), np.linspace(-0.5, 0.5, k - 1))
    est = fit_quietly(_WRAPPERS[wrapper](), Xr, y)
    model = fastscore.from_sklearn(est, backend=backend)
    if isinstance(est, CalibratedClassifierCV):
        compare_calibrated(model, est, Xr)
    elif isinstance(est, FixedThresholdClassifier):
        compare_threshold(model, est, Xr)
    else:
        compare(model, est, Xr)

"""The wrappers: converters for the estimators that wrap a model and change what it outputs, or not.

- GridSearchCV, RandomizedSearchCV and the halving searches predict with
  their best_estimator_ (refit=True); FrozenEstimator with its estimator.
- CalibratedClassifierCV calibrates the decision values of each ensemble
  member: the members' rows of coef are stacked into one linear stage
  (link "identity") and the model's post stage (fastscore.post) calibrates
  and averages them, as scikit-learn does.
- FixedThresholdClassifier and TunedThresholdClassifierCV predict by a
  threshold on a response of their estimator (a post stage too).
- TransformedTargetRegressor applies the inverse of its target transform to
  its regressor's predictions: an affine one (a scaler) is folded into coef
  and intercept, and the inverses of the function pairs log/exp, log1p/expm1
  and sqrt/square become the model's link.
"""
from typing import Any, Dict, List, Optional

import numpy as np

from fastscore.convert.parts import (MUL_ADD, ConversionError, Converter, Parts, Registry, Table,
                                     check_fitted, stacked_sparse)
from fastscore.links import BY_NAME
from fastscore.model import class_rows

MS = "sklearn.model_selection"


def _search(search: Any, registry: Registry) -> Parts:
    """A search predicts with its best_estimator_, which exists only when it was refitted."""
    best = getattr(search, "best_estimator_", None)
    if best is None:
        raise ConversionError(f"{type(search).__name__} was fitted with refit={search.refit!r}, so it has no "
                              "best_estimator_ to predict with: fit it with refit=True to convert it")
    parts = registry.convert(best, at="estimator")
    return parts._replace(name=f"{type(search).__name__}({parts.name})")


def _frozen(frozen: Any, registry: Registry) -> Parts:
    parts = registry.convert(frozen.estimator, at="estimator")
    return parts._replace(name=f"FrozenEstimator({parts.name})")


# ---- CalibratedClassifierCV -------------------------------------------------------------------

def _calibrated(cal: Any, registry: Registry) -> Parts:
    """Each member's rows of coef, stacked; its calibrators, in the order of its z columns, in post."""
    from sklearn.preprocessing import LabelEncoder

    if cal.method not in ("sigmoid", "isotonic"):
        raise ConversionError(f"CalibratedClassifierCV(method={cal.method!r}) is not converted: fastscore "
                              "converts the methods 'sigmoid' and 'isotonic'")
    classes = np.asarray(cal.classes_)
    encoder = LabelEncoder().fit(classes)
    heads: List[Parts] = []
    members: List[List[Dict[str, Any]]] = []
    for member in cal.calibrated_classifiers_:
        inner = member.estimator
        parts = _decision_values(registry.convert(inner, at="estimator"), inner, registry)
        rows = parts.coef.shape[0]
        if len(member.calibrators) != rows:
            raise ConversionError(f"CalibratedClassifierCV has {len(member.calibrators)} calibrators for "
                                  f"the {rows} decision values of {parts.name}")
        # scikit-learn pairs the estimator's classes with the columns of its decision values
        # (zip stops at the shorter: one column for two classes), then shifts to class 1 when
        # there are two classes in all.
        pairs = zip(encoder.transform(inner.classes_), range(rows), member.calibrators)
        members.append([_calibrator(int(c) + (1 if len(classes) == 2 else 0), calibrator, registry)
                        for c, _, calibrator in pairs])
        heads.append(parts)
    stacked = _stack(heads)
    return stacked._replace(name=f"CalibratedClassifierCV({heads[0].name})", link="identity", classes=classes,
                            post={"calibration": {"method": cal.method, "members": members}})


def _decision_values(parts: Parts, inner: Any, registry: Registry) -> Parts:
    """The Parts whose z is the decision_function the calibration reads, checked."""
    if parts.kind != "classifier":
        raise ConversionError(f"CalibratedClassifierCV over {parts.name}: fastscore converts it over classifiers")
    if not hasattr(inner, "decision_function") or (parts.post or {}).get("calibration") is not None:
        # scikit-learn then calibrates predict_proba, which these models do not compute as z.
        raise ConversionError(f"CalibratedClassifierCV over {parts.name}, which has no decision_function: "
                              "fastscore converts calibrations of decision values")
    rows = class_rows(len(inner.classes_))
    if parts.coef.ndim != 2 or parts.coef.shape[0] != rows:
        raise ConversionError(f"CalibratedClassifierCV over {parts.name}, whose coef has shape "
                              f"{parts.coef.shape} for {len(inner.classes_)} classes")
    return parts._replace(post=None)  # a threshold changes predict only, not the decision values


def _calibrator(cls: int, calibrator: Any, registry: Registry) -> Dict[str, Any]:
    name = type(calibrator).__name__
    if name == "_SigmoidCalibration":
        return {"class": cls, "a": float(calibrator.a_), "b": float(calibrator.b_)}
    if name == "IsotonicRegression" and calibrator.out_of_bounds == "clip" \
            and calibrator.X_thresholds_.dtype == np.float64 and calibrator.y_thresholds_.dtype == np.float64:
        return {"class": cls, "x": calibrator.X_thresholds_.tolist(), "y": calibrator.y_thresholds_.tolist()}
    raise registry.at("calibrators").refuse(calibrator, "fastscore converts the sigmoid calibration and the "
                                                        "isotonic one of float64 decision values")


#: The fields of Parts that _stack knows how to stack.
_STACKED = {"kind", "name", "link", "coef", "intercept", "classes", "center", "post", "front", "sparse_error",
            "sparse_intercept", "sparse_densify"}


def _stack(heads: List[Parts]) -> Parts:
    """One linear stage computing every head's z: their rows of coef and intercepts, one after another.

    Heads that centre x differently (each fold's scaler has its own mean)
    share the first one's centre; each head's difference from it goes into
    its intercept, (x - c) . w = (x - c0) . w + (c0 - c) . w. The centres
    of one estimator's folds are close, so this keeps scikit-learn's
    rounding where x is far from the origin.
    """
    first = heads[0]
    if any(parts.front is not None for parts in heads):  # pipelines with an input stage
        from fastscore.convert.features import stack_fronts

        if not all(parts.front is not None for parts in heads):
            raise ConversionError("CalibratedClassifierCV's members do not all read named inputs")
        done = stack_fronts([(p.front, p.coef.reshape(p.intercept.size, -1), p.intercept, p.center)
                             for p in heads if p.front is not None])
        error = next((p.sparse_error for p in heads if p.sparse_error is not None), None)
        return first._replace(coef=done.coef, intercept=done.intercept, center=done.center, front=done.front,
                              sparse_error=error, sparse_densify=error is None and all(p.sparse_densify for p in heads))
    d = first.coef.shape[-1]
    for parts in heads:
        if parts.coef.shape[-1] != d:
            raise ConversionError("CalibratedClassifierCV's members read different numbers of features")
        for field in set(Parts._fields) - _STACKED:
            if getattr(parts, field) is not None:
                raise ConversionError(f"CalibratedClassifierCV over {parts.name}: fastscore does not stack "
                                      f"the members' {field}")
    center: Optional[np.ndarray] = next((p.center for p in heads if p.center is not None), None)
    intercepts = []
    for parts in heads:
        intercept = parts.intercept.reshape(-1)
        if center is not None and (parts.center is None or not np.array_equal(parts.center, center)):
            own = np.zeros(d) if parts.center is None else parts.center
            intercept = intercept + parts.coef @ (center - own)
        intercepts.append(intercept)
    error, sparse_intercept = stacked_sparse(heads)
    return first._replace(coef=np.vstack([p.coef for p in heads]), intercept=np.concatenate(intercepts),
                          center=center, sparse_error=error, sparse_intercept=sparse_intercept)



# ---- thresholds -------------------------------------------------------------------------------

def _fixed_threshold(est: Any, registry: Registry) -> Parts:
    return _threshold(est, registry, est.threshold, est.pos_label)


def _tuned_threshold(est: Any, registry: Registry) -> Parts:
    return _threshold(est, registry, est.best_threshold_, est._curve_scorer._get_pos_label())


def _threshold(est: Any, registry: Registry, threshold: Any, pos_label: Any) -> Parts:
    """predict is classes[pos] where the response is at least the threshold, else the other class."""
    inner = est.estimator_
    parts = registry.convert(inner, at="estimator")
    classes = np.asarray(inner.classes_)
    name = type(est).__name__
    if parts.kind != "classifier" or len(classes) != 2:
        raise ConversionError(f"{name} over {parts.name}: fastscore converts it over binary classifiers")
    methods = est._get_response_method()
    methods = [methods] if isinstance(methods, str) else methods
    response = next((m for m in methods if hasattr(inner, m)), None)
    post = dict(parts.post or {})
    post.pop("threshold", None)  # the inner threshold changes the inner predict only
    calibrated = "calibration" in post
    if response == "predict_proba" and not calibrated and BY_NAME[parts.link].log is None:
        response = None
    if response not in ("predict_proba", "decision_function") or (response == "decision_function" and calibrated):
        raise ConversionError(f"{name} over {parts.name}: fastscore cannot compute its response "
                              f"{est.response_method!r}")
    if isinstance(threshold, str) and threshold == "auto":
        threshold = 0.5 if response == "predict_proba" else 0.0
    if isinstance(threshold, (bool, np.bool_)) or not np.isfinite(threshold):
        raise ConversionError(f"{name} has threshold {threshold!r}: fastscore converts finite thresholds")
    if pos_label is None:
        pos = 1
    elif pos_label in classes.tolist():
        pos = int(np.flatnonzero(classes == pos_label)[0])
    else:  # scikit-learn refuses it at every predict
        raise ConversionError(f"{name} has pos_label={pos_label!r}, which is not one of its classes {classes}")
    post["threshold"] = {"value": float(threshold), "response": response, "pos": pos}
    return parts._replace(name=f"{name}({parts.name})", post=post)


# ---- TransformedTargetRegressor ---------------------------------------------------------------

def _function_pairs() -> Dict[tuple, str]:
    """(func, inverse_func) -> the link that is inverse_func; numpy's ufuncs, known by identity."""
    return {(np.log, np.exp): "exp", (np.log1p, np.expm1): "expm1", (np.sqrt, np.square): "square"}


def _target(est: Any, registry: Registry) -> Parts:
    """inverse_transform(regressor_.predict(X)), shaped as scikit-learn shapes it."""
    from sklearn.preprocessing import FunctionTransformer

    parts = registry.convert(est.regressor_, at="regressor")
    if parts.kind != "regressor":
        raise ConversionError(f"TransformedTargetRegressor over {parts.name}: fastscore converts it over regressors")
    transformer = est.transformer_
    coef, intercept, link = parts.coef, parts.intercept, parts.link
    sparse_intercept = parts.sparse_intercept
    if type(transformer) is FunctionTransformer:
        func, inverse = transformer.func, transformer.inverse_func
        if transformer.kw_args or transformer.inv_kw_args:
            raise ConversionError("TransformedTargetRegressor's transformer has kw_args or inv_kw_args: "
                                  "fastscore converts the function pairs without arguments")
        if func is not None or inverse is not None:
            link = _function_pairs().get((func, inverse), "")
            if not link:
                raise ConversionError(
                    f"TransformedTargetRegressor has func={_called(func)} and inverse_func={_called(inverse)}, "
                    "Python code that a model file cannot hold: fastscore converts the pairs np.log and "
                    "np.exp, np.log1p and np.expm1, np.sqrt and np.square")
            if parts.link != "identity":
                raise ConversionError(f"TransformedTargetRegressor over {parts.name}, whose link is "
                                      f"{parts.link!r}: fastscore applies one link only")
    else:
        reader = registry.steps.get(type(transformer))
        if reader is None:
            raise registry.at("transformer").refuse(
                transformer, "fastscore inverts the transforms of y by a scaler "
                             f"({', '.join(registry.step_names())}) or by a pair of numpy functions")
        if parts.link != "identity":
            raise ConversionError(f"TransformedTargetRegressor over {parts.name}, whose link is "
                                  f"{parts.link!r}: fastscore folds a scaler's inverse into identity links only")
        check_fitted(transformer)
        affine = reader(transformer, registry)
        coef, intercept = _inverse_affine(affine, parts.coef, parts.intercept)
        if sparse_intercept is not None:  # y's transform is the same whatever X is
            sparse_intercept = _inverse_affine(affine, parts.coef, sparse_intercept)[1]
    outputs = 1 if coef.ndim == 1 else coef.shape[0]
    if est._training_dim == 1 and outputs == 1:  # scikit-learn squeezes (n, 1) to (n,)
        coef, intercept = coef.reshape(-1), intercept.reshape(())
    elif coef.ndim == 1:  # a flat prediction of a 2-D y comes back as (n, 1)
        coef, intercept = coef.reshape(1, -1), intercept.reshape(1)
    if sparse_intercept is not None:
        sparse_intercept = sparse_intercept.reshape(intercept.shape)
    return parts._replace(name=f"TransformedTargetRegressor({parts.name})", link=link, coef=coef,
                          intercept=intercept, sparse_intercept=sparse_intercept)


def _inverse_affine(affine: Any, coef: np.ndarray, intercept: np.ndarray) -> tuple:
    """coef and intercept of inverse(z) for the scaler's map of y: z * scale + shift, or (z - shift) / scale."""
    op, shift, scale = affine
    rows = coef.reshape(intercept.size, -1)
    b = intercept.reshape(-1)
    if op == MUL_ADD:  # y' = y * scale + shift, so y = (y' - shift) / scale
        if shift is not None:
            b = b - shift
        if scale is not None:
            rows, b = rows / scale[:, None], b / scale
    else:  # y' = (y - shift) / scale, so y = y' * scale + shift
        if scale is not None:
            rows, b = rows * scale[:, None], b * scale
        if shift is not None:
            b = b + shift
    return rows.reshape(coef.shape), b.reshape(intercept.shape)


def _called(func: Any) -> str:
    return "None" if func is None else getattr(func, "__name__", None) or type(func).__name__


#: (module, class name) -> converter
CONVERTERS: Table[Converter] = {
    (MS, "GridSearchCV"): _search,
    (MS, "RandomizedSearchCV"): _search,
    # The halving searches' own module: they need no experimental import to be recognised.
    (f"{MS}._search_successive_halving", "HalvingGridSearchCV"): _search,
    (f"{MS}._search_successive_halving", "HalvingRandomSearchCV"): _search,
    ("sklearn.frozen", "FrozenEstimator"): _frozen,
    ("sklearn.calibration", "CalibratedClassifierCV"): _calibrated,
    (MS, "FixedThresholdClassifier"): _fixed_threshold,
    (MS, "TunedThresholdClassifierCV"): _tuned_threshold,
    ("sklearn.compose", "TransformedTargetRegressor"): _target,
}

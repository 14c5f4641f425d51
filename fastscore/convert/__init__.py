"""Convert fitted scikit-learn estimators into fastscore models.

One registry maps each supported estimator class, exactly, to a converter.
It is built from one table per family, each in its own module:

- linear_classifiers: the linear classifiers and OneVsRestClassifier;
- linear_regressors: the linear regressors, the GLMs and RANSACRegressor;
- scalers: the steps a Pipeline folds in front of its model;
- pipelines: Pipeline itself; a Pipeline with encoders, imputers or a
  ColumnTransformer before its model is walked by columns (structure),
  encoders (the column-wise steps) and features (what each feature is);
- wrappers: the searches, calibration, decision thresholds and target transforms.

parts holds what they share: Parts, Registry, ConversionError and the
helpers that read estimators. A converter is ``converter(est, registry) ->
Parts`` and converts what it wraps with ``registry.convert``, so the family
modules never import this one. scikit-learn is imported only when a
conversion runs: importing fastscore never imports it.
"""
import functools
from typing import Any, List, Optional

import numpy as np

from fastscore.convert.parts import ConversionError, Parts, Registry, resolve
from fastscore.model import Classifier, LinearModel, Regressor

__all__ = ["from_sklearn", "supported", "convert_parts", "registry", "ConversionError", "Parts"]


@functools.lru_cache(maxsize=1)
def registry() -> Registry:
    """The one Registry, built from the families' tables on first use.

    The families are imported here rather than at the top so that importing
    fastscore to score loads none of them; none of them imports this module.
    """
    from fastscore.convert import linear_classifiers, linear_regressors, pipelines, scalers, wrappers

    converters = {}
    for family in (linear_classifiers, linear_regressors, pipelines, wrappers):
        converters.update(resolve(family.CONVERTERS))
    return Registry(converters, resolve(scalers.STEPS))


def supported() -> List[str]:
    """Names of the scikit-learn estimators that from_sklearn converts, sorted."""
    return registry().supported()


def convert_parts(estimator: Any) -> Parts:
    """The Parts of a supported, fitted estimator: the fields its model will have.

    Raises ConversionError as from_sklearn does; the coefficients are not yet
    checked for NaN or infinity.
    """
    return registry().convert(estimator)


def from_sklearn(estimator: Any, *, backend: Optional[str] = None) -> LinearModel:
    """Convert a fitted scikit-learn linear model (or a scaler pipeline ending in one).

    Returns a Classifier or a Regressor that scores as the estimator predicts.
    backend ("compiled" or "pure") is passed to the model; None takes the
    default one. Raises ConversionError, naming the estimator, when it is not
    supported (the message lists what is), not fitted yet, or has NaN or
    infinite coefficients. Subclasses of supported estimators are refused
    too: they may change how predictions are made.
    """
    import sklearn

    parts = convert_parts(estimator)
    arrays = [a for a in (parts.coef, parts.intercept, parts.center, parts.sparse_intercept) if a is not None]
    if not all(np.isfinite(a).all() for a in arrays):
        raise ConversionError(f"{parts.name} has NaN or infinite coefficients (did fitting diverge?)")
    names = getattr(estimator, "feature_names_in_", None)
    if parts.front is not None:
        for table in parts.front["tables"]:
            if not np.isfinite(table["rows"]).all():
                raise ConversionError(f"{parts.name} has NaN or infinite coefficients (did fitting diverge?)")
        names = None
    fields = dict(estimator=parts.name, link=parts.link, coef=parts.coef, intercept=parts.intercept,
                  n_features=parts.coef.shape[-1], center=parts.center,
                  feature_names=None if names is None else [str(n) for n in names],
                  sklearn_version=sklearn.__version__, backend=backend, sparse=_sparse(parts),
                  **(parts.front or {}))
    if parts.kind == "classifier":
        return Classifier(classes=parts.classes, post=parts.post, **fields)
    return Regressor(**fields)


def _sparse(parts: Parts) -> Any:
    """The model's field "sparse" from its Parts: the step that refuses sparse X, its intercept on sparse X, or
    whether its input stage scores X.toarray().

    The field is written only where the model would otherwise treat sparse X
    differently from its estimator, so that the file keeps the oldest format
    version that holds it: a model with a centre or an input stage refuses
    sparse X without it.
    """
    error = parts.sparse_error
    if error is not None:
        if parts.front is not None or (error.why == "center" and parts.center is not None):
            return None
        return {"error": error.why, "step": error.step, "path": error.path}
    if parts.sparse_intercept is not None:
        return {"intercept": parts.sparse_intercept}
    return {"densify": True} if parts.sparse_densify else None

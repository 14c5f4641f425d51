"""Convert fitted scikit-learn estimators into fastscore models.

The only modules that touch scikit-learn (this one and convert_*.py), and
only when from_sklearn is called: importing fastscore never imports it.

One registry maps each supported estimator class, exactly, to a converter:
convert_classifiers.py and convert_regressors.py hold the models,
convert_pipelines.py folds scalers in front of them. A converter reads the
fitted attributes into Parts; wrappers (OneVsRestClassifier, RANSACRegressor,
Pipeline) convert what they wrap through the same registry.
"""
import functools
import importlib
from typing import NamedTuple, Optional

import numpy as np

from fastscore.model import Classifier, Regressor


class ConversionError(ValueError):
    """The estimator cannot be converted: unsupported, unfitted, or not finite."""


class Parts(NamedTuple):
    """What a converter reads from an estimator: the future model's fields."""

    kind: str                 # "classifier" or "regressor"
    name: str                 # what the model file calls it, e.g. "Pipeline(StandardScaler, Ridge)"
    link: str                 # a name in fastscore.links.BY_NAME
    coef: np.ndarray          # (d,) for a flat regressor output, else (k, d)
    intercept: np.ndarray     # () with a 1-D coef, else (k,)
    classes: Optional[np.ndarray] = None
    center: Optional[np.ndarray] = None  # (d,) subtracted from x inside the kernel


def linear_parts(est, kind, link, classes=None):
    """Parts from coef_ and intercept_, shaped as the estimator's own predictions are.

    scikit-learn's outputs are flat exactly when coef_ is 1-D. intercept_ is
    a float, a (1,) array (SGD) or, without fit_intercept, 0.0 for any shape.
    """
    coef = np.array(est.coef_, dtype=np.float64)
    intercept = np.array(est.intercept_, dtype=np.float64).reshape(-1)
    if coef.ndim == 1:
        if intercept.size != 1:
            raise ConversionError(f"{type(est).__name__} has a 1-D coef_ but {intercept.size} intercepts")
        intercept = intercept.reshape(())
    elif coef.ndim == 2 and intercept.size in (1, coef.shape[0]):
        intercept = np.broadcast_to(intercept, coef.shape[:1]).copy()
    else:
        raise ConversionError(f"{type(est).__name__} has coef_ of shape {coef.shape} and "
                              f"intercept_ of shape {np.shape(est.intercept_)}")
    return Parts(kind, type(est).__name__, link, coef, intercept,
                 None if classes is None else np.asarray(classes))


def check_fitted(est):
    """Raise ConversionError naming est when it has not been fitted."""
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(est)
    except NotFittedError:
        raise ConversionError(f"{type(est).__name__} is not fitted yet: call fit(X, y) "
                              "before converting it") from None


def resolve(table):
    """{class: value} from a table keyed by (module, class name).

    Tables name classes rather than import them so that a class a
    scikit-learn version lacks (PassiveAggressive* go in 1.10) is skipped.
    """
    resolved = {}
    for (module, name), value in table.items():
        cls = getattr(importlib.import_module(module), name, None)
        if cls is not None:
            resolved[cls] = value
    return resolved


@functools.lru_cache(maxsize=1)
def _registry():
    """{estimator class: converter(est) -> Parts}, built from the modules' tables."""
    from fastscore import convert_classifiers, convert_pipelines, convert_regressors

    return {**resolve(convert_classifiers.CONVERTERS), **resolve(convert_regressors.CONVERTERS),
            **resolve(convert_pipelines.CONVERTERS)}


def supported():
    """Names of the scikit-learn estimators that from_sklearn converts."""
    return sorted(cls.__name__ for cls in _registry())


def _unsupported(est):
    from fastscore.convert_pipelines import SCALERS

    return ConversionError(
        f"fastscore cannot convert {type(est).__name__}: it converts exactly these scikit-learn "
        f"estimators: {', '.join(supported())} (OneVsRestClassifier over a binary classifier of "
        f"this list; Pipeline of any number of {', '.join(name for _, name in SCALERS)} followed "
        "by one of these)")


def convert_parts(est):
    """The Parts of a supported, fitted estimator; ConversionError otherwise.

    Wrappers call it for what they wrap, so the same checks apply at every level.
    """
    converter = _registry().get(type(est))
    if converter is None:
        raise _unsupported(est)
    check_fitted(est)
    return converter(est)


def from_sklearn(estimator, backend=None):
    """Convert a fitted scikit-learn linear model (or a scaler pipeline ending in one).

    Raises ConversionError, naming the estimator, when it is not supported
    (the message lists what is) or not fitted yet. Subclasses of supported
    estimators are refused too: they may change how predictions are made.
    backend: "compiled" or "pure" (None: fastscore.backend), as for the model classes.
    """
    import sklearn

    parts = convert_parts(estimator)
    arrays = [parts.coef, parts.intercept] + ([] if parts.center is None else [parts.center])
    if not all(np.isfinite(a).all() for a in arrays):
        raise ConversionError(f"{parts.name} has NaN or infinite coefficients (did fitting diverge?)")
    names = getattr(estimator, "feature_names_in_", None)
    fields = dict(estimator=parts.name, link=parts.link, coef=parts.coef, intercept=parts.intercept,
                  n_features=parts.coef.shape[-1], center=parts.center,
                  feature_names=None if names is None else [str(n) for n in names],
                  sklearn_version=sklearn.__version__, backend=backend)
    if parts.kind == "classifier":
        return Classifier(classes=parts.classes, **fields)
    return Regressor(**fields)


def load_trusted_estimator(path):
    """Unpickle a fitted estimator from a joblib or pickle file that the caller trusts.

    Unpickling runs whatever code the file's author chose, so this is for
    files you made yourself; it is the only place fastscore unpickles, and
    a fastscore model file is never read this way (see modelfile.py).
    """
    import joblib

    return joblib.load(path)

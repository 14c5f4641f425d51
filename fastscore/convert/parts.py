"""What every converter shares: Parts, the Registry it is handed, and the helpers that read estimators.

A converter is a function ``converter(est, registry) -> Parts``: it reads a
fitted estimator's attributes into Parts, the fields of the model to be; a
step reader, ``reader(est, registry) -> Affine``, reads a step that a
Pipeline folds in front of its model.
A wrapper (OneVsRestClassifier, RANSACRegressor, Pipeline) converts what it
wraps with ``registry.convert(inner)``, so no family module needs
fastscore.convert itself, and the same checks apply at every level.

This module imports scikit-learn only inside the functions that need it,
and only when a conversion runs: importing fastscore never imports it.
"""
import importlib
from typing import Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Tuple, TypeVar

import numpy as np


class ConversionError(ValueError):
    """The estimator cannot be converted: unsupported, unfitted, or not finite.

    The message names the estimator (and, for an unsupported one, lists
    what is supported).
    """


class Parts(NamedTuple):
    """What a converter reads from an estimator: the future model's fields.

    z = (x - center) @ coef.T + intercept, then the link; a converter that
    wraps another returns the inner Parts with some fields replaced.
    """

    kind: str                 # "classifier" or "regressor"
    name: str                 # what the model file calls it, e.g. "Pipeline(StandardScaler, Ridge)"
    link: str                 # a name in fastscore.links.BY_NAME
    coef: np.ndarray          # (d,) for a flat regressor output, else (k, d)
    intercept: np.ndarray     # () with a 1-D coef, else (k,)
    classes: Optional[np.ndarray] = None
    center: Optional[np.ndarray] = None  # (d,) subtracted from x inside the kernel
    #: the input stage of a pipeline with encoders (fastscore.front): its fields' JSON form, or None
    front: Optional[Dict[str, Any]] = None


#: x' = (x - shift) / scale, per feature; shift or scale may be None (no shift, no scaling)
SUB_DIV = "sub_div"
#: x' = x * scale + shift, per feature
MUL_ADD = "mul_add"


class Affine(NamedTuple):
    """A step in front of the model that maps each feature affinely (op is SUB_DIV or MUL_ADD)."""

    op: str
    shift: Optional[np.ndarray]
    scale: Optional[np.ndarray]


#: Reads a fitted estimator into Parts; wrappers convert what they wrap through the registry.
Converter = Callable[[Any, "Registry"], Parts]
#: Reads a fitted step in front of the model (a scaler) into an Affine map; the registry is
#: there for steps that hold other steps.
StepReader = Callable[[Any, "Registry"], Affine]
_V = TypeVar("_V")
#: A family's table: (module, class name) -> its converter or reader (see resolve).
Table = Mapping[Tuple[str, str], _V]


class Registry:
    """The converters by exact estimator class, and the steps a Pipeline folds in front of a model.

    fastscore.convert builds the one instance from the families' tables and
    hands it to every converter it calls.
    """

    def __init__(self, converters: Mapping[type, Converter], steps: Mapping[type, StepReader]):
        self.converters: Dict[type, Converter] = dict(converters)
        self.steps: Dict[type, StepReader] = dict(steps)

    def convert(self, est: Any) -> Parts:
        """The Parts of a supported, fitted estimator; ConversionError otherwise.

        Subclasses of supported estimators are refused: they may change how
        predictions are made.
        """
        converter = self.converters.get(type(est))
        if converter is None:
            raise self._unsupported(est)
        check_fitted(est)
        return converter(est, self)

    def supported(self) -> List[str]:
        """Names of the estimators that convert, sorted."""
        return sorted(cls.__name__ for cls in self.converters)

    def step_names(self) -> List[str]:
        """Names of the steps a Pipeline folds in front of its model, in their table's order."""
        return [cls.__name__ for cls in self.steps]

    def _unsupported(self, est: Any) -> ConversionError:
        return ConversionError(
            f"fastscore cannot convert {type(est).__name__}: it converts exactly these scikit-learn "
            f"estimators: {', '.join(self.supported())} (OneVsRestClassifier over a binary classifier of "
            f"this list; Pipeline of any number of {', '.join(self.step_names())} followed "
            "by one of these)")


def resolve(table: Table[_V]) -> Dict[type, _V]:
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


def linear_parts(est: Any, kind: str, link: str, classes: Optional[np.ndarray] = None) -> Parts:
    """Parts from coef_ and intercept_, shaped as the estimator's own predictions are.

    scikit-learn's outputs are flat exactly when coef_ is 1-D. intercept_ is
    a float, a (1,) array (SGD) or, without fit_intercept, 0.0 for any shape.
    """
    coef = np.array(est.coef_, dtype=np.float64)
    intercept: np.ndarray = np.array(est.intercept_, dtype=np.float64).reshape(-1)
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


def check_fitted(est: Any) -> None:
    """Raise ConversionError naming est when it has not been fitted."""
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(est)
    except NotFittedError:
        raise ConversionError(f"{type(est).__name__} is not fitted yet: call fit(X, y) "
                              "before converting it") from None

"""What every converter shares: Parts, the Registry it is handed, and the helpers that read estimators.

A converter is a function ``converter(est, registry) -> Parts``: it reads a
fitted estimator's attributes into Parts, the fields of the model to be; a
step reader, ``reader(est, registry) -> Affine``, reads a step that a
Pipeline folds in front of its model.
A wrapper (OneVsRestClassifier, RANSACRegressor, Pipeline, the searches,
CalibratedClassifierCV, ...) converts what it wraps with
``registry.convert(inner, at=name)``, so no family module needs
fastscore.convert itself, the same checks apply at every level, and what is
refused deep inside is named with its path (Registry.refuse).

This module imports scikit-learn only inside the functions that need it,
and only when a conversion runs: importing fastscore never imports it.
"""
import copy
import importlib
from typing import Any, Callable, Dict, List, Mapping, NamedTuple, Optional, Tuple, TypeVar

import numpy as np


class ConversionError(ValueError):
    """The estimator cannot be converted: unsupported, unfitted, or not finite.

    The message names the estimator (and, for an unsupported one, lists
    what is supported). When the part that cannot be converted lies inside
    the estimator given (a Pipeline's step, a wrapper's estimator), the
    message reads ``fastscore cannot convert <Class> at <path>: <why>`` and
    `path` holds that path; it is None for the estimator given itself.
    """

    #: where the part lies, e.g. "calibratedclassifiercv/estimator/functiontransformer"
    path: Optional[str] = None
    #: whether the error already says where it happened (set by Registry.refuse)
    located: bool = False


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
    post: Optional[Dict[str, Any]] = None  # a classifier's post stage: the JSON of fastscore.post
    #: the input stage of a pipeline with encoders (fastscore.front): its fields' JSON form, or None
    front: Optional[Dict[str, Any]] = None
    #: the first step that scikit-learn's predict runs on X and that raises on sparse X, or None
    sparse_error: Optional["SparseError"] = None
    #: the intercept of z on sparse X, where a step skips its centring on sparse X (RobustScaler);
    #: None when sparse X is scored as dense X is
    sparse_intercept: Optional[np.ndarray] = None
    #: a model with an input stage: whether it scores sparse X as X.toarray() (fastscore.convert.on_sparse)
    sparse_densify: bool = False


class SparseError(NamedTuple):
    """A step that raises on sparse X in scikit-learn: its class, where it lies, and why.

    why is "dense" (the step needs dense data: MinMaxScaler, scikit-learn's
    TypeError) or "center" (it would centre sparse X: StandardScaler
    with_mean=True, scikit-learn's ValueError).
    """

    step: str
    path: str
    why: str


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
    hands it to every converter it calls. Each convert() hands its converter
    a view of the registry located at the estimator it converts (the same
    tables, and that estimator's `path`), so that what cannot be converted
    deep inside is refused with the name of the part and where it lies.
    """

    def __init__(self, converters: Mapping[type, Converter], steps: Mapping[type, StepReader]):
        self.converters: Dict[type, Converter] = dict(converters)
        self.steps: Dict[type, StepReader] = dict(steps)
        #: The path of the estimator this view converts: its parts named as scikit-learn's
        #: get_params names them, joined by "/" ("calibratedclassifiercv/estimator/standardscaler").
        #: The estimator given is named by its class in lower case, as make_pipeline names
        #: steps, except a Pipeline, whose steps carry their own names (its path is "").
        #: None for the registry itself, outside any estimator.
        self.path: Optional[str] = None
        #: whether this view is located at the estimator given (not inside it)
        self.top = False

    def convert(self, est: Any, at: Optional[str] = None) -> Parts:
        """The Parts of a supported, fitted estimator; ConversionError otherwise.

        at: the name est has inside the estimator being converted (a
        Pipeline's step name, a wrapper's parameter such as "estimator");
        None for the estimator given, or for a part named by its class.
        Subclasses of supported estimators are refused: they may change how
        predictions are made. An error raised inside est is reported at
        est's path (see refuse), unless it already names a deeper one.
        """
        here = self.at(at, est)
        converter = self.converters.get(type(est))
        if converter is None:
            raise here.refuse(est, self._unsupported(est))
        try:
            check_fitted(est)
            return converter(est, here)
        except ConversionError as exc:
            if exc.located or here.top:
                exc.located = True
                raise
            raise here.refuse(est, str(exc)) from None

    def at(self, name: Optional[str], est: Any = None) -> "Registry":
        """This registry located at the part called `name` of the estimator being converted.

        name None names est by its class in lower case; the estimator given,
        when it is a Pipeline, adds no name of its own (its steps are named).
        """
        if name is None:
            from sklearn.pipeline import Pipeline

            name = "" if self.path is None and type(est) is Pipeline else type(est).__name__.lower()
        view = copy.copy(self)
        view.top = self.path is None
        view.path = name if not self.path else f"{self.path}/{name}" if name else self.path
        return view

    def refuse(self, est: Any, why: str) -> ConversionError:
        """The ConversionError refusing est, the part at this view's path, because of `why`.

        "fastscore cannot convert <Class> at <path>: <why>" inside the
        estimator given, with the error's `path` set; for the estimator given
        itself, "fastscore cannot convert <Class>: <why>".
        """
        name = type(est).__name__
        if self.top or self.path is None:
            error = ConversionError(f"fastscore cannot convert {name}: {why}")
        else:
            error = ConversionError(f"fastscore cannot convert {name} at {self.path}: {why}")
            error.path = self.path
        error.located = True
        return error

    def supported(self) -> List[str]:
        """Names of the estimators that convert, sorted."""
        return sorted(cls.__name__ for cls in self.converters)

    def step_names(self) -> List[str]:
        """Names of the steps a Pipeline folds in front of its model, in their table's order."""
        return [cls.__name__ for cls in self.steps]

    def _unsupported(self, est: Any) -> str:
        """Why est's class does not convert, with the list of what does."""
        parent = next((cls for cls in type(est).__mro__[1:] if cls in self.converters), None)
        why = f"it is a subclass of {parent.__name__}, which may predict differently; " if parent else ""
        return (f"{why}fastscore converts exactly these scikit-learn estimators: {', '.join(self.supported())} "
                f"(OneVsRestClassifier over a binary classifier of this list; Pipeline of any number of "
                f"{', '.join(self.step_names())} followed by one of these, or of ColumnTransformer, FeatureUnion, "
                "encoders, imputers, KBinsDiscretizer and PolynomialFeatures: see docs/ESTIMATORS.md)")


def resolve(table: Table[_V]) -> Dict[type, _V]:
    """{class: value} from a table keyed by (module, class name).

    Tables name classes rather than import them so that a class a
    scikit-learn version lacks (PassiveAggressive* go in 1.10, sklearn.frozen
    came in 1.6) is skipped.
    """
    resolved = {}
    for (module, name), value in table.items():
        try:
            cls = getattr(importlib.import_module(module), name, None)
        except ImportError:
            continue
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


def stacked_sparse(heads: List[Parts]) -> Tuple[Optional[SparseError], Optional[np.ndarray]]:
    """(sparse_error, sparse_intercept) of heads stacked into one linear stage.

    scikit-learn runs the heads in order, so the first one's error is the
    error. On sparse X each head is scored without its centre, by its own
    intercept (not the one that a stack moved its centre into).
    """
    error = next((p.sparse_error for p in heads if p.sparse_error is not None), None)
    if error is not None or all(p.sparse_intercept is None for p in heads):
        return error, None
    return None, np.concatenate([(p.intercept if p.sparse_intercept is None else p.sparse_intercept).reshape(-1)
                                 for p in heads])


def check_fitted(est: Any) -> None:
    """Raise ConversionError naming est when it has not been fitted."""
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(est)
    except NotFittedError:
        raise ConversionError(f"{type(est).__name__} is not fitted yet: call fit(X, y) "
                              "before converting it") from None

"""Fitted linear models, ready to score: z = X @ coef.T + intercept, then a link.

A model holds nothing but numbers (the fields of the model file) and a kernel
of its backend (fastscore._backend.Kernel: the process default, or the one
named by backend=). Converting from scikit-learn lives in fastscore.convert,
reading and writing files in fastscore.modelfile.
"""
from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any, Dict, Optional, Sequence, Tuple, Union

import numpy as np

from fastscore import _backend, _checks
from fastscore._checks import BINARY_PROBA, FLAT, MATRIX
from fastscore.links import BY_NAME, FOR_KIND, LINKS as _LINK_TABLE

if TYPE_CHECKING:
    from numpy.typing import ArrayLike

#: the links each kind of model may have, by name (fastscore.links.FOR_KIND)
LINKS: Dict[str, Tuple[str, ...]] = FOR_KIND


def class_rows(n_classes: int) -> int:
    """Rows of coefficients a classifier of n_classes has: one for two classes, else one per class."""
    return 1 if n_classes == 2 else n_classes


def classifier_link_problem(link: str, n_rows: int) -> Optional[str]:
    """Why a classifier with n_rows rows of coef cannot have the link named `link`, or None if it can."""
    return BY_NAME[link].rows_problem(n_rows)


class LinearModel:
    """Common base of Classifier and Regressor: the parameters, the kernel and score().

    backend: "compiled" or "pure", the backend whose kernel scores this model
    (None: the process default, fastscore.backend); ValueError for an
    unknown name or one that is not available here.
    """

    def __init__(self, *, estimator, link, coef, intercept, n_features, classes=None,
                 feature_names=None, center=None, sklearn_version=None, backend: Optional[str] = None):
        self.estimator = str(estimator)
        kind = "classifier" if isinstance(self, Classifier) else "regressor"
        if link not in LINKS[kind]:
            raise ValueError(f"a {kind} has no link {link!r}: it has one of {', '.join(LINKS[kind])}")
        self.link = link
        self._link_code = BY_NAME[link].code
        self.coef_ = _frozen(np.array(coef, dtype=np.float64))
        self.intercept_ = _frozen(np.array(intercept, dtype=np.float64))
        self.n_features_in_ = int(n_features)
        self._feature_names = None if feature_names is None else _frozen(np.array(feature_names, dtype=object))
        self.center = None if center is None else _frozen(np.array(center, dtype=np.float64))
        self.sklearn_version = sklearn_version
        coef2d = self.coef_.reshape(-1, self.n_features_in_)
        self._kernel: _backend.Kernel = _backend.kernel_class(backend)(coef2d, self.intercept_.reshape(-1),
                                                                        self.center)
        self._n_outputs = coef2d.shape[0]
        if (classes is None) != (kind == "regressor"):
            raise ValueError("a classifier needs classes and a regressor has none")
        if classes is not None:
            self.classes_ = _frozen(np.array(classes))
            if self.classes_.ndim != 1 or len(self.classes_) < 2 or \
                    self._n_outputs != class_rows(len(self.classes_)):
                raise ValueError(f"coef has {self._n_outputs} row(s) for classes of shape {self.classes_.shape}: "
                                 "a classifier has at least 2 classes, and one row for 2 classes, else one per class")
            problem = classifier_link_problem(link, self._n_outputs)
            if problem:
                raise ValueError(problem)
        # What every call would otherwise look up or build again: the kernel's
        # bound score_one, the result layouts, and the input conversion (a
        # partial, not a bound method of self: no reference cycle).
        self._score_one = self._kernel.score_one
        self._layout = FLAT if self._flat() else MATRIX
        self._proba_layout = None
        if classes is not None and _LINK_TABLE[self._link_code].log is not None:
            self._proba_layout = BINARY_PROBA if self._n_outputs == 1 else MATRIX
        self._convert = functools.partial(_as_matrix, self.n_features_in_, self._feature_names)

    @property
    def feature_names_in_(self):
        """Names of the features seen at fit time (only when the estimator had them)."""
        if self._feature_names is None:
            raise AttributeError(f"{self.estimator} was fitted without feature names")
        return self._feature_names

    @property
    def backend(self) -> str:
        """The backend this model scores with: "compiled" or "pure"."""
        return self._kernel.name

    def _flat(self) -> bool:
        raise NotImplementedError

    def score(self, X: ArrayLike, out: Optional[np.ndarray] = None, n_threads: Optional[int] = None) -> np.ndarray:
        """The model's main output for each row of X, on the fast path.

        Classifiers with probabilities give the positive-class probability,
        shape (n,), when binary and the class probabilities, shape (n, k),
        otherwise; regressors give their predictions. The compiled backend
        allocates nothing but the result, and nothing at all when `out`
        (float64, C-contiguous, the result's shape) is given; the pure mirror's
        numpy makes temporaries of X's size for float32 input and centred
        models, and of the result's for multiclass links. n_threads caps the kernel's threads
        (None or 0: its default); results do not depend on it.
        """
        return self._kernel.score(X, self._link_code, out, layout=self._layout,
                                  n_threads=0 if n_threads is None else _checks.thread_count(n_threads),
                                  convert=self._convert)

    def score_one(self, row: Union[Sequence[float], np.ndarray]) -> Union[float, Tuple[float, ...]]:
        """score() for a single row given as a list, a tuple or a 1-D array.

        Returns a float (a tuple of floats for models with several outputs).
        This is the latency path for request handlers: a list or tuple of
        numbers never touches numpy.
        """
        return self._score_one(row, self._link_code)

    def save(self, path: Any) -> None:
        """Write the model to `path` as a fastscore JSON model file (see docs/FORMAT.md)."""
        from fastscore import modelfile

        modelfile.save(self, path)

    def __repr__(self):
        return (f"<fastscore.{type(self).__name__} from {self.estimator}: "
                f"{self.n_features_in_} features, link {self.link}, backend {self.backend}>")


class Classifier(LinearModel):
    """A linear classifier: decision_function, predict, and predict_proba where defined."""

    def _flat(self) -> bool:
        return self._n_outputs == 1

    @property
    def has_proba(self) -> bool:
        """True when the model defines class probabilities (its link has them: it is not identity)."""
        return self._proba_layout is not None

    def decision_function(self, X: ArrayLike) -> np.ndarray:
        """Raw scores z: shape (n,) for binary models, (n, n_classes) otherwise."""
        return self._kernel.score(X, _IDENTITY, layout=self._layout, convert=self._convert)

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities, shape (n, n_classes), columns in the order of classes_."""
        layout = self._proba_layout
        if layout is None:
            raise AttributeError(f"{self.estimator} has no predict_proba")
        return self._kernel.score(X, self._link_code, layout=layout, convert=self._convert)

    def predict_log_proba(self, X: ArrayLike) -> np.ndarray:
        """log(predict_proba(X)), computed from z so that nothing underflows.

        It is finite wherever the exact log-probability is (-inf only for the
        true zeros of modified_huber), and stays exact where predict_proba
        rounds to 0 or 1 (beyond |z| of about 37 for the logistic).
        """
        log = _LINK_TABLE[self._link_code].log
        if log is None or self._proba_layout is None:  # the identity, and regressors' links, have none
            raise AttributeError(f"{self.estimator} has no predict_log_proba")
        return log(self._kernel.score(X, _IDENTITY, layout=MATRIX, convert=self._convert))

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predicted class labels, taken from classes_."""
        z = self.decision_function(X)
        index = (z > 0).astype(np.intp) if z.ndim == 1 else z.argmax(axis=1)
        return self.classes_.take(index)


class Regressor(LinearModel):
    """A linear regressor (or GLM): predict applies the inverse link to z."""

    def _flat(self) -> bool:
        return self.coef_.ndim == 1

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predictions: shape (n,) for one target, (n, n_targets) otherwise."""
        return self.score(X)


_IDENTITY = BY_NAME["identity"].code


def _as_matrix(n_features: int, feature_names: Optional[np.ndarray], X: Any) -> np.ndarray:
    """X as the kernel takes it (fastscore._checks.as_matrix), after checking a DataFrame's column names."""
    columns = getattr(X, "columns", None)
    if columns is not None and feature_names is not None:
        _check_columns([str(c) for c in columns], list(feature_names))
    return _checks.as_matrix(X, n_features)


def _frozen(a):
    a.flags.writeable = False
    return a


def _check_columns(got, expected):
    if got == expected:
        return
    missing = [c for c in expected if c not in got]
    extra = [c for c in got if c not in expected]
    detail = []
    if missing:
        detail.append(f"missing {missing}")
    if extra:
        detail.append(f"unexpected {extra}")
    raise ValueError("X's columns do not match the feature names the model was fitted with: "
                     + ("; ".join(detail) if detail else "same names in a different order"))

"""Fitted linear models, ready to score: z = X @ coef.T + intercept, then a link.

A model holds nothing but its fields (fastscore.fields: numbers, labels and
names) and a kernel from a backend. Models are values: they compare equal
when their fields are, and pickle, copy and deep-copy by their fields (never
by code, never by their kernel). load(), loads(), save() and dumps() read and
write the model file through fastscore.modelfile; converting from
scikit-learn lives in fastscore.convert.
"""
from __future__ import annotations

import functools
import json
import os
from typing import TYPE_CHECKING, Any, Dict, Optional, Sequence, Tuple, Type, Union

import numpy as np

from fastscore import _backend, _checks, fields, modelfile
from fastscore._checks import BINARY_PROBA, FLAT, MATRIX
from fastscore.links import BY_NAME, LINKS as _LINK_TABLE
# Facts about fields that converters and tests import from here too.
from fastscore.fields import LINKS, class_rows, classifier_link_problem  # noqa: F401

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


class LinearModel:
    """Common base of Classifier and Regressor: the parameters, the kernel and score()."""

    _KIND: Optional[str] = None  # "classifier" or "regressor", set by the subclasses

    def __init__(self, *, estimator: str, link: str, coef: ArrayLike, intercept: ArrayLike,
                 n_features: int, classes: Optional[ArrayLike] = None,
                 feature_names: Optional[Sequence[str]] = None, center: Optional[ArrayLike] = None,
                 sklearn_version: Optional[str] = None, backend: Optional[str] = None) -> None:
        """A model from its fields, checked as a model file's are (docs/FORMAT.md).

        coef is (n_features,) for a regressor with one flat output, else
        (k, n_features) (a classifier of 2 classes has one row, of k >= 3
        classes k rows); intercept is one number for a 1-D coef, else k
        numbers. classes are at least 2 distinct labels of one type: str
        (none ending with a NUL character), int in the signed 64-bit range,
        bool, or finite float; a numpy array of labels keeps its dtype.
        feature_names are n_features distinct str; center, n_features numbers
        subtracted from x before the dot product. Arrays are copied.
        backend: "compiled" or "pure" to pick the kernel, None for the
        default (fastscore.backend).

        Raises ValueError (fastscore.fields.FieldError) naming the field for
        anything a model file could not hold, so that every model can be
        saved and loaded back.
        """
        if self._KIND is None:
            raise TypeError("LinearModel is the common base: build a Classifier or a Regressor")
        checked = fields.check(self._KIND, estimator=estimator, link=link, coef=coef,
                               intercept=intercept, n_features=n_features, classes=classes,
                               feature_names=feature_names, center=center,
                               sklearn_version=sklearn_version)
        self._build(checked, backend)

    def _build(self, f: fields.Fields, backend: Optional[str]) -> None:
        """Take validated fields as they are and make the kernel of the named backend."""
        self.estimator = f.estimator
        self.link = f.link
        self._link_code = BY_NAME[f.link].code
        self.coef_ = f.coef
        self.intercept_ = f.intercept
        self.n_features_in_ = f.n_features
        self._feature_names = f.feature_names
        self.center = f.center
        self.sklearn_version = f.sklearn_version
        coef2d = self.coef_.reshape(-1, self.n_features_in_)
        self._kernel: _backend.Kernel = _backend.kernel_class(backend)(coef2d, self.intercept_.reshape(-1),
                                                                        self.center)
        self._n_outputs = coef2d.shape[0]
        if f.classes is not None:
            self.classes_ = f.classes
        # What every call would otherwise look up or build again: the kernel's
        # bound score_one, the result layouts, and the input conversion (a
        # partial, not a bound method of self: no reference cycle).
        self._score_one = self._kernel.score_one
        self._layout = FLAT if self._flat() else MATRIX
        self._proba_layout = None
        if f.classes is not None and _LINK_TABLE[self._link_code].log is not None:
            self._proba_layout = BINARY_PROBA if self._n_outputs == 1 else MATRIX
        self._convert = functools.partial(_as_matrix, self.n_features_in_, self._feature_names)

    def _fields(self) -> fields.Fields:
        """The model's fields (read-only arrays): what its file, its pickle and == are made of."""
        assert self._KIND is not None  # a Classifier or a Regressor: LinearModel is never built
        return fields.Fields(self._KIND, self.estimator, self.link, self.n_features_in_, self.coef_,
                             self.intercept_, getattr(self, "classes_", None), self._feature_names,
                             self.center, self.sklearn_version)

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
        models, and of the result's for multiclass links. `out` is the call's
        working memory until it returns: threads scoring at the same time each
        need their own (or disjoint row slices of one array). n_threads caps the
        kernel's threads (None or 0: its default); results do not depend on it.
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

    def save(self, path: Union[str, os.PathLike]) -> None:
        """Write the model to `path` as a fastscore JSON model file (see docs/FORMAT.md).

        The file is written beside `path` and renamed over it, so a reader
        never sees half a model and a failure leaves `path` as it was.
        """
        modelfile.write(self._fields(), path)

    def dumps(self) -> str:
        """The model file's text, as save() writes it; fastscore.loads() reads it back."""
        return modelfile.dumps(self._fields())

    def __eq__(self, other: object) -> bool:
        """Models are equal when their fields are, whatever their backends.

        The fields: kind, estimator, link, n_features, coef, intercept,
        classes, feature names, center and sklearn_version. Numbers compare
        bit for bit, as their files would (0.0 and -0.0 differ); labels by
        type and value, as their files would (1 and 1.0 differ, an int32
        label equals the same int64 one).
        """
        if not isinstance(other, LinearModel):
            return NotImplemented
        a, b = self._fields(), other._fields()
        return (a.kind == b.kind and a.estimator == b.estimator and a.link == b.link
                and a.n_features == b.n_features and a.sklearn_version == b.sklearn_version
                and all(_same_numbers(x, y) for x, y in ((a.coef, b.coef), (a.intercept, b.intercept),
                                                          (a.center, b.center)))
                and _labels(a.classes) == _labels(b.classes)
                and _labels(a.feature_names) == _labels(b.feature_names))

    # Models compare by value but can be changed (attributes are plain): like lists and
    # numpy arrays, they are not hashable.
    __hash__ = None  # type: ignore[assignment]

    def __reduce__(self):
        """Pickle (and copy, deepcopy, cloudpickle) by the fields as plain data, never the kernel.

        The backend's name is kept: unpickling uses it where it is available
        and the default backend elsewhere (see rebuild).
        """
        f = self._fields()
        state = {"estimator": f.estimator, "link": f.link, "n_features": f.n_features,
                 "coef": _packed(f.coef), "intercept": _packed(f.intercept),
                 "classes": None if f.classes is None else (f.classes.dtype.str, f.classes.tolist()),
                 "feature_names": None if f.feature_names is None else f.feature_names.tolist(),
                 "center": None if f.center is None else _packed(f.center),
                 "sklearn_version": f.sklearn_version, "backend": self.backend}
        return rebuild, (type(self), state)

    def __repr__(self):
        return (f"<fastscore.{type(self).__name__} from {self.estimator}: "
                f"{self.n_features_in_} features, link {self.link}, backend {self.backend}>")


class Classifier(LinearModel):
    """A linear classifier: decision_function, predict, and predict_proba where defined."""

    _KIND = "classifier"

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

    _KIND = "regressor"

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


# ---- building, reading and unpickling models ----------------------------------------------------

def from_fields(f: fields.Fields, *, backend: Optional[str] = None) -> LinearModel:
    """The model of validated fields (from fastscore.fields.check or modelfile.read), taken as they are."""
    cls = Classifier if f.kind == "classifier" else Regressor
    model = cls.__new__(cls)
    model._build(f, backend)
    return model


def load(source: modelfile.PathOrFile, *, backend: Optional[str] = None) -> LinearModel:
    """Read a model file written by save() (or by `fastscore convert`).

    source is a path (str or os.PathLike) or an open file object, binary
    or text. backend: "compiled" or "pure" to pick the kernel, None for the
    default (fastscore.backend). Raises ModelFormatError (a ValueError)
    naming the field for anything that is not a valid model file, and for
    a file too large for the memory available; OSError when the file
    cannot be read; TypeError when source is not a path or a file object.
    """
    return _from_file(modelfile.read(source), backend)


def loads(data: Union[str, bytes, bytearray, memoryview], *, backend: Optional[str] = None) -> LinearModel:
    """The model in a model file's contents (str, or UTF-8 bytes), as model.dumps() gives them.

    Raises ModelFormatError as load() does, TypeError for other types.
    """
    return _from_file(modelfile.parse(data), backend)


def _from_file(file, backend):
    try:
        return from_fields(file.fields, backend=backend)
    except MemoryError:
        where = f"{file.name}: " if file.name else ""
        raise modelfile.ModelFormatError(f"{where}there is not enough memory to load this model "
                                         "file") from None


def rebuild(cls: Type["LinearModel"], state: Dict[str, Any], backend: Optional[str] = None) -> LinearModel:
    """The model of class cls from the plain fields in state: what unpickling a model calls.

    Its name and arguments are part of every pickle of a model. The fields
    are checked as the constructor checks them. backend None means the one
    the model was pickled with where this process can use it (the pure
    mirror always; the compiled kernel where it is fastscore.backend), else
    the default.
    """
    if backend is None:
        recorded = state.get("backend")
        backend = recorded if recorded in ("pure", _backend.name) else None
    classes = state["classes"]
    if classes is not None:
        dtype, labels = classes
        classes = np.array(labels, dtype=dtype)
    assert cls._KIND is not None
    checked = fields.check(cls._KIND, estimator=state["estimator"], link=state["link"],
                           n_features=state["n_features"], coef=_unpacked(state["coef"]),
                           intercept=_unpacked(state["intercept"]), classes=classes,
                           feature_names=state["feature_names"],
                           center=None if state["center"] is None else _unpacked(state["center"]),
                           sklearn_version=state["sklearn_version"], copy=False)
    model = cls.__new__(cls)
    model._build(checked, backend)
    return model


def _packed(a):
    """A float64 array as plain data: its shape and its little-endian bytes."""
    return a.shape, np.ascontiguousarray(a, dtype="<f8").tobytes()


def _unpacked(packed):
    shape, data = packed
    return np.frombuffer(data, dtype="<f8").astype(np.float64, copy=False).reshape(shape)


def _same_numbers(a, b):
    if a is None or b is None:
        return a is b
    return a.shape == b.shape and a.tobytes() == b.tobytes()


def _labels(a):
    """Labels or names as their file holds them: types and values (1, 1.0 and true differ)."""
    return None if a is None else json.dumps(a.tolist())

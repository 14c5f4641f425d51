"""Fitted linear models, ready to score: z = X @ coef.T + intercept, then a link.

A model holds nothing but its fields (fastscore.fields: numbers, labels and
names) and a kernel from a backend. Every method that takes X finds its
columns by fastscore.columns' one rule: by name where the model and X both
have names, else by position. Models are values: they compare equal
when their fields are, and pickle, copy and deep-copy by their fields (never
by code, never by their kernel). load(), loads(), save() and dumps() read and
write the model file through fastscore.modelfile; converting from
scikit-learn lives in fastscore.convert.
"""
from __future__ import annotations

import functools
import json
import operator
import os
import sys
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple, Type, Union

import numpy as np

from fastscore import _backend, _checks, _checks_sparse, columns, fields, modelfile
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
                 sklearn_version: Optional[str] = None, post: Any = None,
                 backend: Optional[str] = None, inputs: Optional[Sequence[Dict[str, Any]]] = None,
                 numeric: Optional[Sequence[Any]] = None,
                 tables: Optional[Sequence[Dict[str, Any]]] = None,
                 texts: Optional[Sequence[Dict[str, Any]]] = None, sparse: Any = None) -> None:
        """A model from its fields, checked as a model file's are (docs/FORMAT.md).

        coef is (n_features,) for a regressor with one flat output, else
        (k, n_features) (a classifier of 2 classes has one row, of k >= 3
        classes k rows); intercept is one number for a 1-D coef, else k
        numbers. classes are at least 2 distinct labels of one type: str
        (none ending with a NUL character), int in the signed 64-bit range,
        bool, or finite float; a numpy array of labels keeps its dtype.
        feature_names are n_features distinct str; center, n_features numbers
        subtracted from x before the dot product. post: a classifier's post
        stage (fastscore.post: calibration, decision threshold), as the JSON
        value of the model file's field "post". Arrays are copied.
        backend: "compiled" or "pure" to pick the kernel, None for the
        default (fastscore.backend). inputs, numeric and tables are the input
        stage of a pipeline with encoders (docs/FORMAT.md, fastscore.front):
        the model then reads X's columns by name and n_features counts its
        numeric columns. sparse: how SciPy sparse X is scored where the
        estimator treats it otherwise than dense X, as the JSON value of the
        model file's field "sparse" (docs/FORMAT.md).

        Raises ValueError (fastscore.fields.FieldError) naming the field for
        anything a model file could not hold, so that every model can be
        saved and loaded back.
        """
        if self._KIND is None:
            raise TypeError("LinearModel is the common base: build a Classifier or a Regressor")
        checked = fields.check(self._KIND, estimator=estimator, link=link, coef=coef,
                               intercept=intercept, n_features=n_features, classes=classes,
                               feature_names=feature_names, center=center,
                               sklearn_version=sklearn_version, post=post, inputs=inputs, numeric=numeric,
                               tables=tables, texts=texts, sparse=sparse)
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
        self._front = f.front
        self._sparse = f.sparse
        self._sparse_kernel: Any = None  # the kernel of a sparse rule's intercept, made at its first use
        coef2d = self.coef_.reshape(1, -1) if self.coef_.ndim == 1 else self.coef_
        self._kernel: Any  # a backend's Kernel, or a FrontKernel over one (the same score and score_one)
        if f.front is not None:
            from fastscore.front import FrontKernel

            self.n_features_in_ = len(f.front.inputs)
            if f.front.inputs[0].name is not None:
                self._feature_names = np.array([x.name for x in f.front.inputs], dtype=object)
            self._kernel = FrontKernel(f.front, coef2d, self.intercept_.reshape(-1), self.center, backend)
        else:
            self._kernel = _backend.kernel_class(backend)(coef2d, self.intercept_.reshape(-1), self.center)
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
        # The post stage (fastscore.post), if any: a calibration replaces the probabilities.
        self._post = f.post
        self._calibration = None if f.post is None else f.post.calibration
        if self._calibration is not None:
            self._proba_layout = MATRIX
        self._convert = functools.partial(_checks.as_matrix, n_features=self.n_features_in_)
        # The names X's columns and score_one's keys are matched by, and score_one's dict path:
        # the values in feature order, in one C call. (A model with an input stage matches its
        # inputs itself: fastscore.front.)
        self._names: Optional[List[str]] = None if f.feature_names is None else f.feature_names.tolist()
        self._pick = None if self._names is None else _picker(self._names)
        self._staged = self._front is not None or self._calibration is not None

    def _fields(self) -> fields.Fields:
        """The model's fields (read-only arrays): what its file, its pickle and == are made of."""
        assert self._KIND is not None  # a Classifier or a Regressor: LinearModel is never built
        if self._front is not None:  # n_features counts the numeric columns; the inputs hold the names
            return fields.Fields(self._KIND, self.estimator, self.link, self.coef_.shape[-1], self.coef_,
                                 self.intercept_, getattr(self, "classes_", None), None, self.center,
                                 self.sklearn_version, self._post, self._front, self._sparse)
        return fields.Fields(self._KIND, self.estimator, self.link, self.n_features_in_, self.coef_,
                             self.intercept_, getattr(self, "classes_", None), self._feature_names,
                             self.center, self.sklearn_version, self._post, None, self._sparse)

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
        threads = 0 if n_threads is None else _checks.thread_count(n_threads)
        if self._calibration is not None:
            return self._calibration.score(_Scorer(self), X, out, threads, None)
        return self._scored(X, self._link_code, self._layout, out, threads)

    def _scored(self, X: Any, link: int, layout: int, out: Optional[np.ndarray] = None,
                n_threads: int = 0) -> np.ndarray:
        """What every method that takes X calls: link(z) in layout, X matched to the features by
        fastscore.columns.match (by name where both the model and X have names); a model with an
        input stage matches its inputs itself (fastscore.front)."""
        if type(X) is not np.ndarray and _checks_sparse.is_sparse(X):
            return self._score_sparse(X, link, layout, out, n_threads)
        if self._front is not None:
            return self._kernel.score(X, link, out, layout=layout, n_threads=n_threads)
        if type(X) is not np.ndarray:
            table = columns.named(X)
            if table is not None:
                return self._score_named(table, link, layout, out, n_threads)
        return self._kernel.score(X, link, out, layout=layout, n_threads=n_threads, convert=self._convert)

    def _score_sparse(self, X: Any, link: int, layout: int, out: Optional[np.ndarray],
                      n_threads: int) -> np.ndarray:
        """A SciPy sparse X scored over its own structure (fastscore._checks_sparse.sparse_parts)."""
        rule, kernel = self._sparse, self._kernel
        if self._front is not None:
            if rule is not None and rule.densify:  # every step of the estimator treats sparse X as dense X
                return kernel.score(X.toarray(), link, out, layout=layout, n_threads=n_threads)
            if rule is not None and rule.error is not None:
                raise _checks_sparse.refusal(rule, self.estimator)
            if self._front.texts:
                raise TypeError(f"X is a sparse matrix, but {self.estimator} reads documents (str or bytes): give "
                                "them, or the table that holds their column")
            raise ValueError(f"X is a sparse matrix, but {self.estimator} has an input stage that does not take it "
                             "(a step of its estimator refuses sparse X, or transforms it otherwise than dense X): "
                             "score X.toarray() or a DataFrame")
        if rule is not None and rule.intercept is not None:  # scored without the centre, by this intercept
            if self._sparse_kernel is None:
                self._sparse_kernel = _backend.kernel_class(kernel.name)(
                    self.coef_.reshape(self._n_outputs, -1), rule.intercept.reshape(-1), None)
            kernel = self._sparse_kernel
        elif (rule is not None and rule.error is not None) or self.center is not None:
            # as scikit-learn's step raises (or, without a rule, as its centring scalers do)
            raise _checks_sparse.refusal(rule, self.estimator)
        parts = _checks_sparse.sparse_parts(X, self.n_features_in_)
        return kernel.score_sparse(parts.data, parts.indices, parts.indptr, parts.n_rows, link, out,
                                   layout=layout, n_threads=n_threads, csc=parts.csc)

    def _score_named(self, X: columns.Named, link: int, layout: int, out: Optional[np.ndarray],
                     n_threads: int) -> np.ndarray:
        picked, labels = columns.match(X, self.n_features_in_, self._names, self.estimator)
        numbers = [columns.as_numbers(c, label) for c, label in zip(picked, labels)]
        try:  # the columns where they lie: no row-major copy
            return self._kernel.score_columns(numbers, link, out, layout=layout, n_threads=n_threads)
        except ValueError:
            error = columns.nonfinite_cell(numbers, labels, self._kernel.fill)
            if error is None:
                raise
            raise error from None

    def score_one(self, row: Union[Sequence[float], np.ndarray, Mapping[str, Any]]) -> Union[float, Tuple[float, ...]]:
        """score() for a single row: a list, a tuple or a 1-D array by position; a dict (a JSON
        request) or a pandas Series by its keys or labels.

        A model with an input stage (a pipeline with encoders) takes a dict
        or a Series by name, a sequence by position. One row of a SciPy
        sparse matrix (shape (1, n_features)) is scored as score() scores it.
        Returns a float (a tuple of floats for models with several outputs).
        This is the latency path for request handlers: a list, a tuple or a
        dict of numbers never touches numpy. A dict or Series is matched by
        name, as score() matches X's columns: keys the model does not use are
        ignored, missing ones are a ValueError naming them, and so is a
        missing value (None, NaN, pd.NA); a model fitted without feature names
        refuses a dict (TypeError) and takes a Series by position.
        """
        if self._staged:
            return self._score_one_staged(row)
        kind = type(row)  # the one test the positional path pays for (the cheapest measured)
        if kind is list or kind is tuple:
            return self._score_one(row, self._link_code)
        if kind is dict and self._pick is not None:  # a JSON request: its values, in one C call
            try:
                return self._score_one(self._pick(row), self._link_code)
            except (KeyError, TypeError, ValueError):
                pass  # _score_one_dict says which key is wrong
        return self._score_one_other(row, self._link_code)

    def _score_one_staged(self, row: Any) -> Union[float, Tuple[float, ...]]:
        """score_one of a model with an input stage (which matches the row itself) or a calibration."""
        link = _IDENTITY if self._calibration is not None else self._link_code
        if self._front is not None and not _checks_sparse.is_sparse(row):
            z = self._kernel.score_one(row, link)
        elif isinstance(row, (list, tuple)):
            z = self._score_one(row, link)
        else:
            z = self._score_one_other(row, link)
        return z if self._calibration is None else self._calibration.one(z)

    def _score_one_other(self, row: Any, link: int) -> Union[float, Tuple[float, ...]]:
        if isinstance(row, Mapping):
            return self._score_one_dict(row, link)
        if _checks_sparse.is_sparse(row):  # one row of a sparse matrix: score()'s path
            if row.ndim != 2 or row.shape[0] != 1:
                raise ValueError(f"row must be one row: a sparse row has shape (1, n_features), got {row.shape}")
            z = self._scored(row, link, MATRIX)[0]
            return float(z[0]) if z.shape[0] == 1 else tuple(z.tolist())
        pd = sys.modules.get("pandas")
        if pd is not None and isinstance(row, pd.Series):
            return self._score_one_series(row, link)
        return self._score_one(row, link)

    def _score_one_dict(self, row: Mapping, link: int) -> Union[float, Tuple[float, ...]]:
        pick, names = self._pick, self._names
        if pick is None or names is None:
            raise TypeError(f"row must be a list, a tuple or a 1-D array of numbers, got "
                            f"{type(row).__name__}: {self.estimator} was fitted without feature names, "
                            "so it cannot match a dict's keys to its features")
        # Asked, not looked up: a dict subclass (defaultdict) would invent a missing key.
        missing = [n for n in names if n not in row]
        if missing:
            raise ValueError(f"row is missing key(s) {columns._listed(missing)} that the model needs")
        values = pick(row)
        try:
            return self._score_one(values, link)
        except (TypeError, ValueError):
            error = columns.row_problem(values, names)
            if error is None:
                raise
            raise error from None

    def _score_one_series(self, row: Any, link: int) -> Union[float, Tuple[float, ...]]:
        labels = columns._string_names(row.index)
        if self._names is None or labels is None:
            if labels is not None:
                warnings.warn(f"row has feature names, but {self.estimator} was fitted without feature "
                              "names: its values are taken by position", UserWarning, stacklevel=4)
            return self._score_one(row, link)
        if not row.index.is_unique:
            repeated = sorted(set(row.index[row.index.duplicated()]) & set(self._names))
            if repeated:
                raise ValueError(f"row has more than one label {columns._listed(repeated)}")
        return self._score_one_dict(dict(zip(labels, row.tolist())), link)

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
        classes, feature names, center, sklearn_version, post, the input stage
        and the sparse rule. Numbers compare
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
                and _labels(a.feature_names) == _labels(b.feature_names)
                and _post_data(a.post) == _post_data(b.post)
                and _front_json(a.front) == _front_json(b.front)
                and _sparse_json(a.sparse) == _sparse_json(b.sparse))

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
        if f.post is not None:  # absent otherwise, as in the pickles of models without one
            state["post"] = f.post.data
        if f.front is not None:
            state["front"] = _front_json(f.front)
        if f.sparse is not None:
            state["sparse"] = f.sparse.to_json()
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
        if self._calibration is not None:  # as CalibratedClassifierCV, which has none
            raise AttributeError(f"{self.estimator} has no decision_function")
        return self._scored(X, _IDENTITY, self._layout)

    def predict_proba(self, X: ArrayLike) -> np.ndarray:
        """Class probabilities, shape (n, n_classes), columns in the order of classes_."""
        layout = self._proba_layout
        if layout is None:
            raise AttributeError(f"{self.estimator} has no predict_proba")
        if self._calibration is not None:
            return self._calibration.proba(self._scored(X, _IDENTITY, MATRIX))
        return self._scored(X, self._link_code, layout)

    def predict_log_proba(self, X: ArrayLike) -> np.ndarray:
        """log(predict_proba(X)), computed from z so that nothing underflows.

        It is finite wherever the exact log-probability is (-inf only for the
        true zeros of modified_huber), and stays exact where predict_proba
        rounds to 0 or 1 (beyond |z| of about 37 for the logistic).
        """
        log = _LINK_TABLE[self._link_code].log
        if log is None or self._proba_layout is None:  # the identity, and regressors' links, have none
            raise AttributeError(f"{self.estimator} has no predict_log_proba")
        return log(self._scored(X, _IDENTITY, MATRIX))

    def predict(self, X: ArrayLike) -> np.ndarray:
        """Predicted class labels, taken from classes_ (by the decision threshold of a post stage that has one)."""
        if self._post is not None:
            return self._post.predict(self, X)
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


class _Scorer:
    """A model's own scoring of X (by name, through its input stage) as a kernel's score(): what a
    calibration's score() calls."""

    def __init__(self, model: LinearModel) -> None:
        self._model = model

    def score(self, X: Any, link: int, out: Optional[np.ndarray] = None, *, layout: int = MATRIX,
              n_threads: int = 0, convert: Any = None) -> np.ndarray:
        return self._model._scored(X, link, layout, out, n_threads)


def _picker(names: Sequence[str]) -> Any:
    """A function from a dict to the tuple of its values at names, in that order (KeyError if one lacks)."""
    if len(names) == 1:
        name = names[0]
        return lambda row: (row[name],)
    return operator.itemgetter(*names)


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
                           sklearn_version=state["sklearn_version"], post=state.get("post"),
                           sparse=state.get("sparse"), copy=False,
                           **json.loads(state.get("front", "{}")))
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


def _front_json(front):
    """The input stage as its file's JSON text (None without one): what == and pickles compare and keep."""
    if front is None:
        return None
    from fastscore.front import to_json

    return json.dumps(to_json(front), sort_keys=True)


def _sparse_json(rule):
    """A sparse rule as its file holds it (canonical JSON; the intercept's floats by repr), or None."""
    return None if rule is None else json.dumps(rule.to_json(), sort_keys=True)


def _post_data(post):
    """A post stage as its file holds it (canonical JSON), or None."""
    return None if post is None else json.dumps(post.data, sort_keys=True)


def _labels(a):
    """Labels or names as their file holds them: types and values (1, 1.0 and true differ)."""
    return None if a is None else json.dumps(a.tolist())

"""Sparse X (SciPy's CSR and CSC matrices and arrays): its checks and errors, shared by both backends.

Two levels, as in fastscore._checks:

* ``sparse_parts`` takes whatever a caller passes and, for a SciPy sparse
  matrix or array, returns its CSR or CSC arrays in the kernels' types. SciPy
  is never imported: a sparse X can only exist once the caller has imported it.
* ``sparse_args`` guards Kernel.score_sparse itself; the structure (indptr
  and indices) is checked by the kernels as they read it, and reported
  through ``bad_indptr`` and ``bad_index``.

A model's SparseRule (its file's field "sparse") says how its scikit-learn
estimator treats sparse X where that differs from dense X; ``refusal`` is
the error of a model that refuses sparse X.
"""
import operator
import sys
from typing import Any, Dict, NamedTuple, Optional, Tuple

import numpy as np

from fastscore import _checks

_INDEX_DTYPES = (np.dtype(np.int32), np.dtype(np.int64))
_DATA_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))


class SparseParts(NamedTuple):
    """A sparse X as the kernels read it (see fastscore._backend.Kernel.score_sparse)."""

    data: np.ndarray
    indices: np.ndarray
    indptr: np.ndarray
    n_rows: int
    csc: bool


#: SparseRule.error: the step needs dense data (scikit-learn's TypeError), or would centre X (its ValueError)
DENSE, CENTER = "dense", "center"


class SparseRule(NamedTuple):
    """How a model scores sparse X: refused as a step of its estimator raises, or by its own intercept.

    error is DENSE or CENTER when scikit-learn's `step` (its class name), at
    `path` in the estimator, raises on sparse X; intercept, when not None, is
    the intercept of z on sparse X, which is then scored without the model's
    centre (a RobustScaler skips its centring on sparse X). densify: a model
    with an input stage scores sparse X as X.toarray(), as every step of its
    estimator treats sparse X as dense X.
    """

    error: Optional[str] = None
    step: Optional[str] = None
    path: Optional[str] = None
    intercept: Optional[np.ndarray] = None
    densify: bool = False

    def to_json(self) -> Dict[str, Any]:
        """The field's JSON value."""
        if self.error is not None:
            return {"error": self.error, "step": self.step, "path": self.path}
        if self.densify:
            return {"densify": True}
        return {"intercept": None if self.intercept is None else self.intercept.tolist()}


def refusal(rule: Optional[SparseRule], estimator: str) -> Exception:
    """The one-line error of a model (named by `estimator`) that refuses sparse X, by its rule.

    The type is scikit-learn's for the same refusal: TypeError where its step
    needs dense data, ValueError where it would centre X. Without a rule the
    refusal is the centre's (a centred model without the field "sparse").
    """
    at = "" if rule is None or not rule.path else f" ({rule.path})"
    if rule is not None and rule.error == DENSE:
        return TypeError(f"X is a sparse matrix, but {estimator} needs dense data: its {rule.step}{at} refuses "
                         "sparse X, as in scikit-learn; score X.toarray()")
    if rule is not None:
        return ValueError(f"X is a sparse matrix, but {estimator} centres its features in its {rule.step}{at}, "
                          "which would make X dense and which scikit-learn refuses too: score X.toarray(), or "
                          "fit the scaler with with_mean=False")
    return ValueError(f"X is a sparse matrix, but {estimator} centres its features (x - center, from a "
                      "StandardScaler with_mean=True or a RobustScaler with_centering=True), which would make "
                      "X dense: score X.toarray(), or fit the scaler without centring")


def is_sparse(X: Any) -> bool:
    """True when X is a SciPy sparse matrix or array (False, without importing SciPy, when it is not loaded)."""
    sp = sys.modules.get("scipy.sparse")
    return sp is not None and sp.issparse(X)


def sparse_parts(X: Any, n_features: int) -> SparseParts:
    """A SciPy sparse X (is_sparse(X)) as CSR or CSC arrays of native float64 or float32 values
    and int32 or int64 indices.

    CSR and CSC are read where they lie; other formats (COO, DOK, LIL, BSR,
    DIA) are converted by X.tocsr(), a copy. Values of other numeric types
    are converted as dense X's are (float16 to float32, integers and bools to
    float64): a copy of the values alone. Raises as dense X would for a shape
    other than (n, n_features) and for values that are not numbers.
    """
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got a {X.ndim}-D sparse array of "
                         f"shape {X.shape}")
    if X.format not in ("csr", "csc"):
        X = X.tocsr()
    n_rows, n_cols = X.shape
    if n_cols != n_features:
        raise ValueError(f"X has {n_cols} features, but the model expects {n_features}")
    data = np.asarray(X.data)
    dtype = _checks._numeric_dtype(data, "X")
    if dtype == np.float64:
        data = _checks._to_float64(data, "X.data", ("C", "A"))
    else:
        data = np.require(data, dtype=dtype, requirements=("C", "A"))
    indices, indptr = np.asarray(X.indices), np.asarray(X.indptr)
    kind = indices.dtype if indices.dtype == indptr.dtype and indices.dtype in _INDEX_DTYPES else np.int64
    indices = np.require(indices, dtype=kind, requirements=("C", "A"))
    indptr = np.require(indptr, dtype=kind, requirements=("C", "A"))
    return SparseParts(data, indices, indptr, int(n_rows), X.format == "csc")


def _vector(a: Any, what: str, dtypes: Tuple[np.dtype, ...]) -> None:
    if not isinstance(a, np.ndarray):
        raise TypeError(f"{what} must be a numpy array, got {type(a).__name__}")
    if a.dtype not in dtypes:
        raise TypeError(f"{what} must have native {' or '.join(map(str, dtypes))} dtype, got {a.dtype}")
    if a.ndim != 1 or not (a.flags.c_contiguous and a.flags.aligned):
        raise ValueError(f"{what} must be a 1-D, contiguous and aligned array")


def sparse_args(data: Any, indices: Any, indptr: Any, n_rows: Any, link: int, out: Optional[np.ndarray],
                layout: int, n_features: int, n_outputs: int, csc: bool) -> Tuple[int, ...]:
    """Guard a score_sparse call: the arrays' types and lengths, link, out and layout.

    Returns the result's shape, whose first item is n_rows as an int.
    """
    _vector(data, "data", _DATA_DTYPES)
    _vector(indices, "indices", _INDEX_DTYPES)
    _vector(indptr, "indptr", _INDEX_DTYPES)
    if indices.dtype != indptr.dtype:
        raise TypeError(f"indices and indptr must have one dtype, got {indices.dtype} and {indptr.dtype}")
    if indices.shape != data.shape:
        raise ValueError(f"data and indices must have one length, got {data.shape[0]} and {indices.shape[0]}")
    try:
        n_rows = operator.index(n_rows)
    except TypeError:
        raise TypeError(f"n_rows must be an integer, got {type(n_rows).__name__}") from None
    if n_rows < 0:
        raise ValueError(f"n_rows must be 0 or more, got {n_rows}")
    major = n_features if csc else n_rows
    if indptr.shape[0] != major + 1:
        raise ValueError(f"indptr must hold {major + 1} offsets ({'n_features' if csc else 'n_rows'} + 1), "
                         f"got {indptr.shape[0]}")
    _checks.check_link(link)
    shape = _checks.result_shape(n_rows, n_outputs, layout)
    if out is not None:
        _checks.check_out(out, shape)
        if any(np.may_share_memory(a, out) for a in (data, indices, indptr)):
            raise ValueError("out must not overlap X's arrays")
    return shape


def check_kernel(center: Optional[np.ndarray], fill: Optional[np.ndarray], n_tables: int) -> None:
    """Raise unless the kernel scores sparse X: no center (x - c is dense), no fill, no tables."""
    if center is not None:
        raise ValueError("this kernel centres X (x - center), which would make sparse X dense: "
                         "score X.toarray()")
    if fill is not None or n_tables:
        raise ValueError("this kernel fills missing values or adds code tables: it scores dense X only")


def bad_indptr(i: int, csc: bool) -> ValueError:
    """The error for a span of indptr that decreases, is negative or passes the end of the data."""
    what, where = ("CSC", f"column {i}") if csc else ("CSR", f"row {i}")
    return ValueError(f"X is not a valid {what} matrix: its indptr is negative, decreasing or past the "
                      f"end of its data at {where}")


def bad_index(value: int, i: int, csc: bool, n_minor: int) -> ValueError:
    """The error for an index out of range: a column index of CSR row i, a row index of CSC column i."""
    if csc:
        return ValueError(f"X is not a valid CSC matrix: row index {value} in column {i} is out of range "
                          f"[0, {n_minor})")
    return ValueError(f"X is not a valid CSR matrix: column index {value} in row {i} is out of range "
                      f"[0, {n_minor})")

"""Input checks shared by both backends, so that they raise the same errors.

Two levels:

* ``as_matrix`` / ``as_row`` turn whatever a user passes (lists, any numeric
  ndarray) into the two layouts the kernels accept, copying only when needed.
* ``kernel_args`` / ``kernel_params`` guard the kernel entry points themselves:
  the compiled wrapper and the pure mirror call them before touching memory.

It also names the layouts of Kernel.score's result (FLAT, MATRIX, BINARY_PROBA),
which both backends and the model share.
"""
import math
import operator

import numpy as np

from fastscore.links import LINKS

_LINK_CODES = frozenset(link.code for link in LINKS)
_KERNEL_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))


def nonfinite_row(row):
    """The error for NaN or infinity in X, naming the first bad row."""
    return ValueError(f"X contains NaN or infinity in row {row}")


def nonfinite_feature(index):
    """The error for NaN or infinity in a single row, naming the feature."""
    return ValueError(f"row contains NaN or infinity at feature {index}")


def to_float(value, where):
    """float(value) for real numbers and bools; a TypeError naming `where` otherwise.

    The rule of CPython's PyFloat_AsDouble, which the compiled backend uses:
    anything with __float__ or __index__, but never a string (float("1.5")
    parses text, which would hide a column of the wrong type). A finite
    number that float64 cannot hold (a longdouble or Decimal of 1e4000, whose
    float is an infinity) is the ValueError of too_large, as in arrays.
    """
    if not isinstance(value, (str, bytes, bytearray)):
        try:
            number = float(value)
        except (TypeError, ValueError, OverflowError):
            pass
        else:
            if number - number != 0.0 and _finite(value):
                raise too_large(where, value)
            return number
    raise TypeError(f"{where} is not a number: {_shown(value)}")


def too_large(where, value):
    """The error for a finite number beyond float64's range (it would become an infinity)."""
    return ValueError(f"{where} is too large for float64: {value!s}")


def _finite(value):
    """True when value, whose float is NaN or infinite, is itself a finite number."""
    try:
        return bool(value == value) and bool(abs(value) != math.inf)
    except Exception:  # no comparison or abs: nothing says it is finite
        return False


def _shown(value):
    """repr(value) for a message, even where repr itself fails (an int of more than 4,300 digits)."""
    try:
        return repr(value)
    except Exception:
        if isinstance(value, int):
            return f"an integer too large for float64 ({value.bit_length()} bits)"
        return f"a {type(value).__name__} object"


def _to_float64(A, what, requirements):
    """np.require(A, float64), refusing finite longdouble values that float64 cannot hold
    (they would become infinities, and then be reported as such)."""
    if A.dtype.kind != "f" or A.dtype.itemsize <= 8:
        return np.require(A, dtype=np.float64, requirements=requirements)
    with np.errstate(over="ignore"):
        B = np.require(A, dtype=np.float64, requirements=requirements)
    overflowed = np.isinf(B) & np.isfinite(A)
    if overflowed.any():
        index = np.unravel_index(int(np.argmax(overflowed)), A.shape)
        raise too_large(f"{what}[{', '.join(map(str, index))}]", A[index])
    return B


def row_floats(row, n_features):
    """A list or tuple row as a list of floats, with to_float's rule per element."""
    check_row_length(len(row), n_features)
    floats = [to_float(x, f"row[{i}]") for i, x in enumerate(row)]
    check_row_length(len(row), n_features)  # an item's __float__ may have shrunk the list
    return floats


def check_row_length(length, n_features):
    """Raise if a single row has the wrong number of features."""
    if length != n_features:
        raise ValueError(f"row has {length} features, but the model expects {n_features}")


def _numeric_dtype(X, what):
    """The float dtype X should be scored in, or a TypeError naming the problem."""
    kind = X.dtype.kind
    if kind == "f":
        # float16 widens to float32 (exact); longdouble narrows to float64,
        # which is what every coefficient is anyway.
        return np.dtype(np.float32) if X.dtype.itemsize <= 4 else np.dtype(np.float64)
    if kind in "biu":
        return np.dtype(np.float64)
    if kind == "c":
        raise TypeError(f"{what} has complex dtype {X.dtype}; fastscore scores real numbers")
    if kind in "US":
        raise TypeError(f"{what} holds strings (dtype {X.dtype}); fastscore needs numbers")
    if kind == "O":
        for index, value in np.ndenumerate(X):
            to_float(value, f"{what}[{', '.join(str(i) for i in index)}]")
        return np.dtype(np.float64)
    raise TypeError(f"{what} has non-numeric dtype {X.dtype}")


_EXPECTED = {"X": "a 2-D array or a list of lists of numbers",
             "row": "a list, a tuple or a 1-D array of numbers"}


def _asarray(X, what):
    """X as a numpy.ndarray: a subclass's data as a plain array (a masked array's values
    whatever its mask, as scikit-learn's check_array reads them), anything else by np.asarray."""
    if isinstance(X, np.ndarray):
        return X if type(X) is np.ndarray else np.asarray(X)
    if hasattr(X, "tocsr") and hasattr(X, "toarray"):
        raise TypeError(f"{what} is a sparse matrix; fastscore scores dense arrays (use {what}.toarray())")
    try:
        A = np.asarray(X)
    except ValueError as exc:  # ragged nested lists
        raise ValueError(f"{what} is not a rectangular array: {exc}") from None
    if A.ndim == 0 and A.dtype.kind == "O":  # None, a dict, a generator...: not an array at all
        raise TypeError(f"{what} must be {_EXPECTED[what]}, got {type(X).__name__}")
    return A


def as_matrix(X, n_features):
    """Return X as a C-contiguous float32 or float64 array of shape (n, n_features).

    float32 stays float32 (the kernels read half the bytes); every other
    numeric type becomes float64. Copies only when X is not already in that
    layout (Fortran order, strided views, big-endian, unaligned).
    """
    X = _asarray(X, "X")
    dtype = _numeric_dtype(X, "X")
    if X.ndim != 2:
        if X.ndim == 1 and X.size == 0:
            X = X.reshape(0, n_features)
        else:
            hint = " (for one row use score_one(row) or X.reshape(1, -1))" if X.ndim == 1 else ""
            raise ValueError(
                f"X must be 2-D (n_samples, n_features), got a {X.ndim}-D array "
                f"of shape {X.shape}{hint}")
    if X.shape[1] != n_features:
        raise ValueError(f"X has {X.shape[1]} features, but the model expects {n_features}")
    if dtype == np.float64:
        return _to_float64(X, "X", ("C", "A"))
    return np.require(X, dtype=dtype, requirements=("C", "A"))


def as_row(row, n_features):
    """Return one row as a C-contiguous float64 array of shape (n_features,)."""
    if isinstance(row, (str, bytes)):
        raise TypeError(f"row must be {_EXPECTED['row']}, got {type(row).__name__}")
    row = _asarray(row, "row")
    _numeric_dtype(row, "row")
    if row.ndim != 1:
        raise ValueError(f"row must be 1-D (n_features,), got a {row.ndim}-D array of shape {row.shape}")
    check_row_length(row.shape[0], n_features)
    return _to_float64(row, "row", ("C", "A"))


def check_finite_row(row):
    """Raise nonfinite_feature for the first NaN or infinity in a 1-D float array."""
    bad = np.flatnonzero(~np.isfinite(row))
    if bad.size:
        raise nonfinite_feature(int(bad[0]))


# The layouts of Kernel.score's result, for n rows of k outputs.
FLAT = 0          # (n,): one output per row (k must be 1)
MATRIX = 1        # (n, k)
BINARY_PROBA = 2  # (n, 2): one output p per row as the pair (1 - p, p), predict_proba's (k must be 1)


def result_shape(n_rows, n_outputs, layout):
    """The shape of Kernel.score's result in `layout`; ValueError for a layout that cannot hold k outputs."""
    if layout == MATRIX:
        return (n_rows, n_outputs)
    if layout != FLAT and layout != BINARY_PROBA:
        raise ValueError(f"unknown result layout {layout!r}")
    if n_outputs != 1:
        raise ValueError(f"result layout {layout!r} holds one output per row, but the kernel has {n_outputs}")
    return (n_rows,) if layout == FLAT else (n_rows, 2)


def check_out(out, shape):
    """Check a caller-supplied output array before the kernel writes to it.

    Any ndarray, subclasses included: both backends write into its own memory
    as a plain array and leave a subclass's own state (a masked array's mask)
    as it is.
    """
    if not isinstance(out, np.ndarray):
        raise TypeError(f"out must be a numpy array, got {type(out).__name__}")
    if out.dtype != np.float64:
        raise TypeError(f"out must have dtype float64, got {out.dtype}")
    if out.shape != shape:
        raise ValueError(f"out has shape {out.shape}, expected {shape}")
    if not (out.flags.c_contiguous and out.flags.aligned):
        raise ValueError("out must be C-contiguous and aligned")
    if not out.flags.writeable:
        raise ValueError("out is read-only")


_MAX_THREADS = 2**31 - 1  # the kernels' C int


def thread_count(n_threads):
    """n_threads as the kernels take it: None becomes 0 (the kernel picks).

    Anything else must be an integer from 0 to 2**31 - 1 (TypeError, ValueError),
    so that both backends refuse the same values.
    """
    if n_threads is None:
        return 0
    try:
        n = operator.index(n_threads)
    except TypeError:
        raise TypeError(f"n_threads must be None or an integer, got {type(n_threads).__name__}") from None
    if not 0 <= n <= _MAX_THREADS:
        raise ValueError(f"n_threads must be from 0 (the kernel picks) to {_MAX_THREADS}, got {n}")
    return n


def check_link(link):
    """Raise unless link is one of the kernel's link codes."""
    if link not in _LINK_CODES:
        raise ValueError(f"unknown link code {link!r}")


def kernel_args(X, link, out, layout, n_features, n_outputs):
    """Guard a kernel call: X, link, out and layout must match the kernel's contract exactly.

    Returns the result's shape (out's, when out is given).
    """
    if not isinstance(X, np.ndarray):
        raise TypeError(f"X must be a numpy array, got {type(X).__name__}")
    if X.dtype not in _KERNEL_DTYPES:
        raise TypeError(f"X must have native float64 or float32 dtype, got {X.dtype}")
    if X.ndim != 2 or X.shape[1] != n_features:
        raise ValueError(f"X must have shape (n, {n_features}), got {X.shape}")
    if not (X.flags.c_contiguous and X.flags.aligned):
        raise ValueError("X must be C-contiguous and aligned")
    check_link(link)
    shape = result_shape(X.shape[0], n_outputs, layout)
    if out is not None:
        check_out(out, shape)
        if np.may_share_memory(X, out):
            raise ValueError("out must not overlap X")
    return shape


def kernel_params(coef, intercept, center, no_features_ok=False):
    """Validate and freeze kernel parameters: coef (k, d), intercept (k,), center (d,) or None.

    d is at least 1, or 0 too with no_features_ok (a kernel whose z comes from code tables alone).
    """
    coef = np.array(coef, dtype=np.float64, order="C", ndmin=2)
    intercept = np.array(intercept, dtype=np.float64, order="C", ndmin=1)
    if coef.ndim != 2 or coef.shape[0] < 1 or coef.shape[1] < (0 if no_features_ok else 1):
        raise ValueError(f"coef must have shape (n_outputs, n_features), got {coef.shape}")
    if intercept.shape != (coef.shape[0],):
        raise ValueError(f"intercept must have shape ({coef.shape[0]},), got {intercept.shape}")
    arrays = [coef, intercept]
    if center is not None:
        center = np.array(center, dtype=np.float64, order="C")
        if center.shape != (coef.shape[1],):
            raise ValueError(f"center must have shape ({coef.shape[1]},), got {center.shape}")
        arrays.append(center)
    for a in arrays:
        if not np.isfinite(a).all():
            raise ValueError("model parameters contain NaN or infinity")
        a.flags.writeable = False  # kernels read them without the GIL
    return coef, intercept, center

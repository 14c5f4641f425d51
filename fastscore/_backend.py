"""The seam between a model and its scoring backend, and the choice of backend.

Two backends implement one contract, the Kernel protocol below: the compiled
extension (fastscore._kernel, "compiled") and its numpy mirror
(fastscore._pure, "pure"). The process default is picked once, at import, the
way msgpack picks its extension: the compiled one when it imports, else the
mirror; FASTSCORE_PURE=1 forces the mirror. A model may name either one
explicitly (``backend=``), which is the one way to choose a backend.
"""
import importlib
import os
from typing import Any, Callable, ClassVar, Dict, Optional, Protocol, Sequence, Tuple, Type, Union

import numpy as np

from fastscore._checks import BINARY_PROBA, FLAT, MATRIX

__all__ = ["Kernel", "FLAT", "MATRIX", "BINARY_PROBA", "MODULES", "TEXT_MODULES", "name", "module",
           "kernel_class", "text_module"]

#: backend name -> its module
MODULES: Dict[str, str] = {"compiled": "fastscore._kernel", "pure": "fastscore._pure"}
#: backend name -> its text module: a Counter class and a weigh function (see fastscore.text)
TEXT_MODULES: Dict[str, str] = {"compiled": "fastscore._text", "pure": "fastscore.text"}


class Kernel(Protocol):
    """What both backends' Kernel classes are: the same constructor, attributes, methods and errors.

    A kernel scores z = (X - center) @ coef.T + intercept, then applies a
    link (a code of fastscore.links) to each row of z. A missing value (NaN)
    of column i counts as fill[i] where that is a number. Code tables add
    one row each to z: those kernels score columns and codes (score_columns)
    only. Its inputs are checked by fastscore._checks and
    fastscore._checks_columns before any memory is touched, so that both
    backends raise the same errors; their results agree to rounding (to the
    bit for score_one on a list of a link with a scalar form).
    """

    #: "compiled" or "pure": the key of MODULES this class belongs to
    name: ClassVar[str]
    #: (k, d) float64, read-only
    coef: np.ndarray
    #: (k,) float64, read-only
    intercept: np.ndarray
    #: (d,) float64, read-only, subtracted from each row first; or None
    center: Optional[np.ndarray]
    #: (d,) float64, read-only: what a NaN of column i counts as (NaN: an error); or None (every NaN an error)
    fill: Optional[np.ndarray]
    #: t read-only float64 arrays, table j (rows_j, k): the rows that codes select and add to z
    tables: Tuple[np.ndarray, ...]
    #: k, the outputs (rows of coef)
    n_outputs: int
    #: d, the features (columns of coef)
    n_features: int

    def __init__(self, coef: Any, intercept: Any, center: Any = None, *, fill: Any = None,
                 tables: Sequence[Any] = ()) -> None:
        """Take coef (k, d), intercept (k,), center (d,) or None, fill (d,) or None, tables: copied and frozen.

        coef, intercept, center and tables hold finite numbers; fill finite
        numbers or NaN. d is at least 1, or 0 when there are tables. Table j
        is a 2-D (rows_j, k) array (a list or tuple of them).
        """

    def score(self, X: Any, link: int, out: Optional[np.ndarray] = None, *, layout: int = MATRIX,
              n_threads: int = 0, convert: Optional[Callable[[Any], np.ndarray]] = None) -> np.ndarray:
        """link(z) for every row of X, in `layout`; returns out, or a new array when out is None.

        X: a numpy array of native float64 or float32, 2-D (n, d), C-contiguous
        and aligned; anything else raises TypeError or ValueError, unless
        `convert` is given: then convert(X) is scored instead (the model passes
        its input conversion). A kernel may skip convert for an X that is
        already exactly such an array. layout: MATRIX gives (n, k), FLAT (n,)
        and BINARY_PROBA (n, 2) with columns 1 - p, p (both for k = 1 only).
        out, when given: float64, C-contiguous, aligned, writeable, of exactly
        that shape, not overlapping X; a subclass (np.matrix, a masked array)
        is written through its own memory, its own state (a mask) left as it
        is, and so is X read. out is the call's working memory until it
        returns (z is computed there, then the link over it): calls that run
        at the same time must not share one out (their own arrays, or disjoint
        row ranges of one, are independent). n_threads: the most threads the kernel
        may use (0: its own choice); results do not depend on it, to the bit.
        NaN (where fill has no number) or infinity in X raises ValueError
        naming the first such row. A kernel with tables raises ValueError.
        """
        ...

    def score_columns(self, columns: Sequence[np.ndarray], link: int, out: Optional[np.ndarray] = None, *,
                      layout: int = MATRIX, n_threads: int = 0, codes: Sequence[np.ndarray] = ()) -> np.ndarray:
        """link(z) for every row, from d columns and t code arrays, in `layout`; returns out or a new array.

        z[r] = intercept + sum_i coef[:, i] * (x_i[r] - center[i]) + sum_j tables[j][codes[j][r]],
        with x_i[r] replaced by fill[i] where it is NaN and fill[i] is a
        number; summed in that order (the intercept, the columns left to
        right, then the tables in order), each step one product at most, so
        the backends differ only where the wider instruction sets fuse a
        step's multiply and add. Then the link, as score().
        columns: a list or tuple of d 1-D numpy arrays of n values, float64
        or float32, any stride: read where they lie (see
        fastscore._checks_columns for the few that are copied). codes: a list
        or tuple of t 1-D integer arrays of n values (int32 is read in place),
        codes[j][r] in [0, rows_j). layout, out (which must overlap no
        column or code array) and n_threads as for score().
        ValueError for the first bad row: "X contains NaN or infinity in row
        R, column C" (C the column's index), or "code V of table J in row R is
        out of range"; within a row, a column's problem is named before a
        table's.
        """
        ...

    def score_sparse(self, data: np.ndarray, indices: np.ndarray, indptr: np.ndarray, n_rows: int, link: int,
                     out: Optional[np.ndarray] = None, *, layout: int = MATRIX, n_threads: int = 0,
                     csc: bool = False) -> np.ndarray:
        """link(z) for every row of a sparse X of n_rows rows, in `layout`; returns out or a new array.

        X is SciPy's CSR (csc False: indptr holds n_rows + 1 offsets into
        data and indices, indices the columns) or CSC (csc True: indptr holds
        n_features + 1 offsets, indices the rows). data: 1-D native float64 or
        float32; indices and indptr: 1-D native int32 or int64, one dtype;
        all contiguous and aligned, read where they lie (fastscore._checks_sparse
        turns a SciPy matrix into them). z[r] = intercept + the sum of
        coef[:, col] * value over row r's entries, summed from 0 in stored
        order (CSC: by column, then stored order), the intercept added last:
        scipy's order for X @ coef.T, so duplicate entries add up and
        unsorted indices are taken as they are. Then the link, as score().
        layout, out (which must overlap none of X's arrays) and n_threads as
        for score(); CSR is threaded, CSC scored on one thread. Nothing is
        densified; the compiled kernel allocates nothing but the result.
        ValueError for a kernel with a center, a fill or tables; for
        NaN or infinity: "X contains NaN or infinity in row R, column C" (the
        first such row, its smallest such column); for structure that SciPy
        itself would refuse: an indptr span that is negative, decreasing or
        past the data, an index out of range (fastscore._checks_sparse's
        errors). CSR reports the first row with any problem (within it: its
        span, then the first index in stored order, then a value); CSC the
        first structural problem by column, else the first bad value's row.
        """
        ...

    def score_one(self, row: Any, link: int) -> Union[float, Tuple[float, ...]]:
        """Score one row (a list, a tuple or a 1-D array): a float for one output, else a tuple of k floats.

        fill applies as in score(); a kernel with tables raises ValueError.
        """
        ...


def module(backend: str) -> Any:
    """The backend module called `backend` ("compiled" or "pure"); ImportError if unavailable."""
    return importlib.import_module(MODULES[backend])


def _pick() -> str:
    if os.environ.get("FASTSCORE_PURE", "") not in ("", "0"):
        return "pure"
    try:
        module("compiled")
    except ImportError:
        return "pure"
    return "compiled"


#: "compiled" or "pure": what models score with unless given a backend.
name: str = _pick()


def kernel_class(backend: Optional[str] = None) -> Type[Kernel]:
    """The Kernel class of the named backend ("compiled" or "pure"; None: the process default, `name`).

    ValueError for an unknown name, or for a backend that cannot be used here
    (the compiled one where the extension was not built).
    """
    if backend is None:
        backend = name
    if backend not in MODULES:
        raise ValueError(f"unknown backend {backend!r}: it is one of {', '.join(map(repr, MODULES))} "
                         "(or None for the default)")
    try:
        return module(backend).Kernel
    except ImportError as exc:
        raise ValueError(f"backend {backend!r} is not available here ({exc}); "
                         f"the available one is {name!r}") from None


def text_module(backend: Optional[str] = None) -> Any:
    """The named backend's text module, holding its Counter and weigh (None: the process default, `name`).

    ValueError as kernel_class raises it: an unknown name, or a backend not available here.
    """
    if backend is None:
        backend = name
    if backend not in TEXT_MODULES:
        raise ValueError(f"unknown backend {backend!r}: it is one of {', '.join(map(repr, TEXT_MODULES))} "
                         "(or None for the default)")
    try:
        return importlib.import_module(TEXT_MODULES[backend])
    except ImportError as exc:
        raise ValueError(f"backend {backend!r} is not available here ({exc}); "
                         f"the available one is {name!r}") from None

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
from typing import Any, Callable, ClassVar, Dict, Optional, Protocol, Tuple, Type, Union

import numpy as np

from fastscore._checks import BINARY_PROBA, FLAT, MATRIX

__all__ = ["Kernel", "FLAT", "MATRIX", "BINARY_PROBA", "MODULES", "name", "module", "kernel_class"]

#: backend name -> its module
MODULES: Dict[str, str] = {"compiled": "fastscore._kernel", "pure": "fastscore._pure"}


class Kernel(Protocol):
    """What both backends' Kernel classes are: the same constructor, attributes, methods and errors.

    A kernel scores z = (X - center) @ coef.T + intercept, then applies a
    link (a code of fastscore.links) to each row of z. Its inputs are checked
    by fastscore._checks before any memory is touched, so that both backends
    raise the same errors; their results agree to rounding (to the bit for
    score_one on a list of a link with a scalar form).
    """

    #: "compiled" or "pure": the key of MODULES this class belongs to
    name: ClassVar[str]
    #: (k, d) float64, read-only
    coef: np.ndarray
    #: (k,) float64, read-only
    intercept: np.ndarray
    #: (d,) float64, read-only, subtracted from each row first; or None
    center: Optional[np.ndarray]
    #: k, the outputs (rows of coef)
    n_outputs: int
    #: d, the features (columns of coef)
    n_features: int

    def __init__(self, coef: Any, intercept: Any, center: Any = None) -> None:
        """Take coef (k, d), intercept (k,) and center (d,) or None: finite numbers, copied and frozen."""

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
        NaN or infinity in X raises ValueError naming the first such row.
        """
        ...

    def score_one(self, row: Any, link: int) -> Union[float, Tuple[float, ...]]:
        """Score one row (a list, a tuple or a 1-D array): a float for one output, else a tuple of k floats."""
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

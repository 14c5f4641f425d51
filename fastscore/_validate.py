"""What every field validator shares: the error, the size bounds, and how a value is named.

fastscore.fields checks the linear fields and calls the validators of the
stages (fastscore.front, fastscore.post); they all raise the same FieldError
with the same wording, and take it from here so that no stage imports back
into fastscore.fields.
"""
import itertools
import math
from typing import Any, Dict, Sequence

import numpy as np

# Sanity bounds: a file claiming more is refused before anything is allocated for it.
MAX_FEATURES = 10**8
MAX_OUTPUTS = 10**6


class FieldError(ValueError):
    """A model field that is not valid; the message names the field and what is wrong with it."""


def what(value: Any) -> str:
    """A short description of a value (a JSON value, mostly) for error messages."""
    if value is None:
        return "null"
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (float, np.floating)):
        if math.isfinite(value):
            return repr(float(value))
        return ("NaN" if value != value else "Infinity" if value > 0 else "-Infinity") + \
            " (not a finite number)"
    if isinstance(value, (int, np.integer)):
        return str(value) if abs(int(value)) < 10**20 else "an integer too large for float64"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    if isinstance(value, (list, tuple)):
        return f"a list of {len(value)} values"
    if isinstance(value, np.ndarray):
        return f"a list of {len(value)} values" if value.ndim == 1 else f"an array of shape {value.shape}"
    return "an object" if isinstance(value, dict) else type(value).__name__


def text(value: Any, where: str) -> str:
    """value as a str, which must be valid Unicode (JSON's \\ud800 escapes can make lone surrogates)."""
    if not isinstance(value, str):
        raise FieldError(f"field {where!r} must be a string, got {what(value)}")
    value = str(value)  # a subclass (numpy.str_) becomes the str it holds
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise FieldError(f"field {where!r} holds a lone surrogate, which is not "
                         "valid Unicode text") from None
    return value


def object_field(value: Any, where: str, required: Sequence[str], optional: Sequence[str]) -> Dict[str, Any]:
    """value as a JSON object with every required key and no key outside required and optional."""
    if not isinstance(value, dict):
        raise FieldError(f"field {where!r} must be an object, got {what(value)}")
    missing = [k for k in required if k not in value]
    if missing:
        raise FieldError(f"field {where!r} lacks {', '.join(map(repr, missing))}")
    unknown = sorted(set(value) - set(required) - set(optional))
    if unknown:
        raise FieldError(f"field {where!r} has unknown key(s) {', '.join(map(repr, unknown))}")
    return value


def index_field(value: Any, where: str, size: int, what_size: str) -> int:
    """value as an integer in [0, size); what_size says what it indexes."""
    if type(value) is not int or not 0 <= value < size:
        raise FieldError(f"field {where!r} must be an integer from 0 to {size - 1} ({what_size}), "
                         f"got {what(value)}")
    return value


def number_field(value: Any, where: str) -> float:
    """value as a finite float: a JSON number, never a boolean."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or \
            not math.isfinite(_float(value, where)):
        raise FieldError(f"field {where!r} must be a finite number, got {what(value)}")
    return float(value)


def _float(value: Any, where: str) -> float:
    try:
        return float(value)
    except OverflowError:
        raise FieldError(f"field {where!r} must be a finite number, got {what(value)}") from None


def rows_field(value: Any, where: str, k: int) -> np.ndarray:
    """value as a read-only (n, k) float64 array of finite numbers: a list of n lists of k numbers."""
    if not isinstance(value, (list, tuple, np.ndarray)) or not 1 <= len(value) <= MAX_FEATURES:
        raise FieldError(f"field {where!r} must be a list of 1 to {MAX_FEATURES} rows, got {what(value)}")
    if isinstance(value, np.ndarray):
        rows = np.array(value, dtype=np.float64)
        if rows.ndim != 2 or rows.shape[1] != k:
            raise FieldError(f"field {where!r} must be rows of {k} numbers, got an array of shape {rows.shape}")
    else:
        # the common case checked at C speed (a 200k-term text block has 200k rows); any doubt goes
        # element by element, which names the bad one
        plain = set(map(type, value)) <= {list} and set(map(len, value)) == {k} and \
            set(map(type, itertools.chain.from_iterable(value))) <= {float, int}
        if not plain:
            for r, row in enumerate(value):
                if not isinstance(row, (list, tuple)) or len(row) != k:
                    raise FieldError(f"field '{where}[{r}]' must be a list of {k} numbers (one per output), "
                                     f"got {what(row)}")
                for x in row:
                    number_field(x, f"{where}[{r}]")
        try:
            rows = np.array(value, dtype=np.float64).reshape(len(value), k)
        except OverflowError:  # an integer beyond float64
            for r, row in enumerate(value):
                for x in row:
                    number_field(x, f"{where}[{r}]")
            raise
    if not np.isfinite(rows).all():
        r = int(np.argmax(~np.isfinite(rows).all(axis=1)))
        raise FieldError(f"field '{where}[{r}]' must hold finite numbers")
    rows.flags.writeable = False
    return rows


def numbers_field(value: Any, where: str, n: int) -> np.ndarray:
    """value as a read-only (n,) float64 array of finite numbers: a list of n JSON numbers."""
    if not isinstance(value, (list, tuple, np.ndarray)) or len(value) != n:
        raise FieldError(f"field {where!r} must be a list of {n} numbers, got {what(value)}")
    if isinstance(value, np.ndarray) or not set(map(type, value)) <= {float, int}:
        out = np.array([number_field(x, f"{where}[{j}]") for j, x in enumerate(value)], dtype=np.float64)
    else:
        try:
            out = np.array(value, dtype=np.float64)
        except OverflowError:
            out = np.array([number_field(x, f"{where}[{j}]") for j, x in enumerate(value)], dtype=np.float64)
        if not np.isfinite(out).all():
            j = int(np.argmax(~np.isfinite(out)))
            number_field(value[j], f"{where}[{j}]")
    out.flags.writeable = False
    return out

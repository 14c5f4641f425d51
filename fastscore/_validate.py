"""What every field validator shares: the error, the size bounds, and how a value is named.

fastscore.fields checks the linear fields and calls the validators of the
stages (fastscore.front, fastscore.post); they all raise the same FieldError
with the same wording, and take it from here so that no stage imports back
into fastscore.fields.
"""
import math
from typing import Any

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

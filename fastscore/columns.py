"""X as named columns: the input layer of models that know their inputs' names.

named(X) gives the columns of anything that carries names (a pandas
DataFrame, a pyarrow Table or RecordBatch, a dict of columns, a list of
dicts), or None for what is positional (arrays, lists of lists).
as_numbers(column, name) gives a column as float64 with NaN for missing
values. Each library is used only when the caller hands over its object.
"""
from typing import Any, Dict, List, Optional, Sequence

import numpy as np


class Named:
    """Columns by name: names (in X's order), n_rows, and column(name)."""

    def __init__(self, names: Sequence[str], n_rows: int, get: Any):
        self.names: List[str] = [str(n) for n in names]
        self.n_rows = n_rows
        self._get = get

    def column(self, name: str) -> Any:
        """The column called name, as X holds it (numpy array, pandas Series, pyarrow array)."""
        return self._get(name)


def named(X: Any) -> Optional[Named]:
    """X's columns by name, or None when X is positional (an array, a list of lists)."""
    module = type(X).__module__
    if module.startswith("pandas") and hasattr(X, "columns") and getattr(X, "ndim", 0) == 2:
        labels = {str(c): c for c in X.columns}
        return Named(list(labels), len(X), lambda n: X[labels[n]])
    if module.startswith("pyarrow") and hasattr(X, "schema"):
        return Named(X.schema.names, X.num_rows, X.column)
    if isinstance(X, dict):
        columns = {str(k): v for k, v in X.items()}
        lengths = {len(v) for v in columns.values() if hasattr(v, "__len__") and not isinstance(v, str)}
        if len(lengths) > 1:
            raise ValueError("the columns of X have different lengths")
        return Named(list(columns), lengths.pop() if lengths else 1, columns.__getitem__)
    if isinstance(X, (list, tuple)) and X and all(isinstance(r, dict) for r in X):
        rows: Sequence[Dict[Any, Any]] = X
        names = list(dict.fromkeys(str(k) for r in rows for k in r))

        def get(name: str) -> np.ndarray:
            out = np.empty(len(rows), dtype=object)
            for i, r in enumerate(rows):
                if name not in r:
                    raise ValueError(f"row {i} lacks the column {name!r}")
                out[i] = r[name]
            return out

        return Named(names, len(rows), get)
    return None


def as_numbers(column: Any, name: str) -> np.ndarray:
    """A column as a 1-D float64 array, NaN where a value is missing; TypeError naming it for text."""
    module = type(column).__module__
    if module.startswith("pandas"):
        import pandas as pd

        if not (pd.api.types.is_numeric_dtype(column.dtype) or pd.api.types.is_bool_dtype(column.dtype)):
            return _from_objects(np.asarray(column, dtype=object), name)
        return np.asarray(column.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)
    if module.startswith("pyarrow"):
        import pyarrow as pa
        import pyarrow.compute as pc

        if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)
                or pa.types.is_boolean(column.type) or pa.types.is_null(column.type)):
            raise TypeError(f"column {name!r} holds {column.type} values, not numbers")
        return np.asarray(pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False), dtype=np.float64)
    a = np.asarray(column)
    if a.ndim != 1:
        raise ValueError(f"column {name!r} must be 1-D, got shape {a.shape}")
    if a.dtype.kind in "biuf":
        return a.astype(np.float64)
    return _from_objects(a.astype(object), name)


def _from_objects(a: np.ndarray, name: str) -> np.ndarray:
    from fastscore.encoders import is_missing

    out = np.empty(a.shape[0], dtype=np.float64)
    for i, v in enumerate(a.tolist()):  # object columns: numbers boxed one by one already
        if isinstance(v, (str, bytes)):
            raise TypeError(f"column {name!r} holds text ({v[:40]!r} in row {i}), not numbers")
        out[i] = np.nan if is_missing(v) else float(v)
    return out

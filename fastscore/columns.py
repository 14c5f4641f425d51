"""X as named columns: DataFrames, Arrow data, dicts of columns and JSON records.

``named(X)`` recognises an X that carries column names and gives its columns
one at a time (``Named``); ``as_numbers(col, name)`` turns one column into a
1-D float array, NaN where a value is missing; ``match`` applies the one rule
by which a model finds its columns in X. The model's input path
(fastscore.model) and the column encoders build on these three.

Nothing here imports a DataFrame library: pandas, polars and pyarrow are
looked up in sys.modules, so an object can only be one of theirs when its
library is already loaded, and an ndarray never touches them. pandas and
polars columns are read through their own vectorised ``to_numpy`` (neither
needs pyarrow for it); pyarrow Tables and RecordBatches, pandas' pyarrow-backed
columns and any other object that offers the Arrow PyCapsule interface
(``__arrow_c_stream__`` / ``__arrow_c_array__``: DuckDB relations, nanoarrow
arrays...) are read as Arrow, through pyarrow. No column is converted by a
Python loop over its rows, except object columns (JSON records, object
dtype) that hold more than plain numbers: their values are Python objects
already.
"""
from __future__ import annotations

import math
import operator
import sys
import warnings
from collections.abc import Mapping
from typing import Any, Callable, Dict, List, Optional, Sequence, Set, Tuple, Union

import numpy as np

from fastscore import _checks

#: A column's name in messages: its name, or its position where X has no names.
Label = Union[str, int]

#: The largest number of names a message lists before saying how many more there are.
_SHOWN = 10


class Named:
    """The columns of an X that carries names, read one at a time.

    names: the column names (str), in X's order, or None when X's labels are
    not names (a pandas DataFrame labelled by integers: scikit-learn then
    matches by position, and so does fastscore). n_rows: the number of rows.
    by_key: True for a dict of columns and a list of dicts, whose order is
    not a column order anyone chose (such an X is only ever matched by name).
    kind: what X is, for messages ("dict", "list of dicts").
    """

    def __init__(self, names: Optional[Sequence[str]], n_rows: int, n_columns: int,
                 get: Callable[[int], Any], by_key: bool = False, kind: str = "") -> None:
        self.names: Optional[Tuple[str, ...]] = None if names is None else tuple(names)
        self.n_rows = n_rows
        self.n_columns = n_columns
        self.by_key = by_key
        self.kind = kind
        self._get = get
        self._where: Optional[Dict[str, int]] = None
        self._twice: Set[str] = set()

    def column_at(self, i: int) -> Any:
        """The i-th column, as column() gives it."""
        return self._get(i)

    def column(self, name: str) -> Any:
        """The column called name: a numpy array, a pyarrow Array or ChunkedArray, a pandas or
        polars Series, as X holds it (as_numbers and the encoders take each of them).

        ValueError naming it when X has no such column, or more than one.
        """
        return self.select([name])[0]

    def select(self, wanted: Sequence[str]) -> List[Any]:
        """The columns called wanted, in that order; X's other columns are ignored.

        ValueError naming every wanted name X lacks (or holds more than once).
        """
        where = self._positions(wanted)
        return [self._get(where[name]) for name in wanted]

    def require(self, wanted: Sequence[str]) -> None:
        """select()'s check alone: ValueError naming every wanted name X lacks (or holds twice)."""
        self._positions(wanted)

    def _positions(self, wanted: Sequence[str]) -> Dict[str, int]:
        if self.names is None:
            raise ValueError("X's columns have no names (its labels are not strings), "
                             f"so it has no column {wanted[0]!r}")
        if self._where is None:  # built once: a wide X is looked up many times
            where: Dict[str, int] = {}
            for i, name in enumerate(self.names):
                if name in where:
                    self._twice.add(name)
                where.setdefault(name, i)
            self._where = where
        missing = [name for name in wanted if name not in self._where]
        if missing:
            raise ValueError(f"X is missing column(s) {_listed(missing)} that the model needs")
        repeated = [name for name in wanted if name in self._twice]
        if repeated:
            raise ValueError(f"X has more than one column called {_listed(repeated)}")
        return self._where


def _listed(names: Sequence[Any]) -> str:
    shown = ", ".join(map(repr, names[:_SHOWN]))
    return shown + (f" and {len(names) - _SHOWN} more" if len(names) > _SHOWN else "")


# ---- recognising X ------------------------------------------------------------------------------

def named(X: Any) -> Optional[Named]:
    """X as named columns when it carries names, else None (arrays, lists of lists: by position).

    Recognised: a pandas DataFrame (any dtypes), a polars DataFrame, a
    pyarrow Table or RecordBatch, any object with ``__arrow_c_stream__`` or
    ``__arrow_c_array__`` (read through pyarrow), a dict of columns (str
    keys; each column a list, a 1-D array, a Series or an Arrow array, all
    of one length), a list of dicts (JSON records: one dict per row), and
    any object with string ``columns`` and ``__array__`` (read through
    numpy). TypeError or ValueError naming the problem for a dict whose keys
    are not strings or whose columns differ in length.
    """
    if type(X) is np.ndarray:
        return None
    if isinstance(X, dict):
        return _from_dict(X)
    if isinstance(X, (list, tuple)):
        return _from_records(X) if X and isinstance(X[0], dict) else None
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(X, (pd.DataFrame, pd.Series, pd.Index)):
        return _from_pandas(X) if isinstance(X, pd.DataFrame) else None  # 1-D: as_matrix says so
    pl = sys.modules.get("polars")
    if pl is not None and isinstance(X, (pl.DataFrame, pl.Series)):
        return Named(X.columns, X.height, X.width, X.to_series) if isinstance(X, pl.DataFrame) else None
    if hasattr(X, "__arrow_c_stream__") or hasattr(X, "__arrow_c_array__"):
        return _from_arrow(X)
    labels = getattr(X, "columns", None)
    if labels is not None and hasattr(X, "__array__") and not isinstance(X, np.ndarray):
        return _from_array_frame(X, labels)
    return None


def _string_names(labels: Sequence[Any]) -> Optional[List[str]]:
    """Column labels as names, scikit-learn's way: all strings are names, no strings none;
    a mixture is a TypeError."""
    labels = list(labels)
    strings = [isinstance(c, str) for c in labels]
    if all(strings):
        return labels
    if any(strings):
        kinds = sorted({type(c).__name__ for c in labels})
        raise TypeError("X's column names must all be strings, or none of them (then columns are "
                        f"matched by position); X has names of types {kinds}")
    return None


def _from_pandas(df: Any) -> Named:
    labels = list(df.columns)  # a list: indexing pandas' own Index costs microseconds
    if df.columns.is_unique:  # a lookup by label costs a third of one by position (iloc)
        return Named(_string_names(labels), len(df), len(labels), lambda i: df[labels[i]])
    return Named(_string_names(labels), len(df), len(labels), lambda i: df.iloc[:, i])


def _from_arrow(X: Any) -> Optional[Named]:
    pa = _pyarrow("Arrow data (an object with __arrow_c_stream__ or __arrow_c_array__)")
    if isinstance(X, (pa.Array, pa.ChunkedArray)):
        return None  # one column: as_matrix says X must be 2-D
    if not isinstance(X, (pa.Table, pa.RecordBatch)):
        try:
            X = pa.table(X) if hasattr(X, "__arrow_c_stream__") else pa.record_batch(X)
        except (TypeError, ValueError, pa.ArrowException) as exc:
            raise TypeError(f"X offers Arrow data that pyarrow cannot read as a table of columns: "
                            f"{exc}") from None
    return Named(X.column_names, X.num_rows, X.num_columns, X.column)


def _pyarrow(what: str) -> Any:
    try:
        import pyarrow
    except ImportError:
        raise TypeError(f"reading {what} needs pyarrow: pip install pyarrow") from None
    return pyarrow


def _from_array_frame(X: Any, labels: Any) -> Named:
    A = np.asarray(X)
    names = _string_names(labels)
    if A.ndim != 2 or A.shape[1] != len(labels):
        raise ValueError(f"X has {len(labels)} column names but an array of shape {A.shape}")
    return Named(names, A.shape[0], A.shape[1], lambda i: A[:, i])


def _from_dict(X: Dict[Any, Any]) -> Named:
    keys = list(X)
    bad = [k for k in keys if not isinstance(k, str)]
    if bad:
        raise TypeError(f"X's keys must be column names (str); X has the key {bad[0]!r}")
    columns = [_dict_column(X[k], k) for k in keys]
    lengths = {len(c) for c in columns}
    if len(lengths) > 1:
        shown = ", ".join(f"{k!r} has {len(c)}" for k, c in zip(keys, columns))
        raise ValueError(f"X's columns must have one length: {shown}")
    return Named(keys, lengths.pop() if lengths else 0, len(keys), columns.__getitem__, by_key=True,
                 kind="dict")


def _dict_column(values: Any, name: str) -> Any:
    """A dict's column as named() gives it: lists and tuples as 1-D object arrays (each value as given)."""
    if isinstance(values, (list, tuple)):
        return np.fromiter(values, dtype=object, count=len(values))
    if isinstance(values, (str, bytes)) or not hasattr(values, "__len__"):
        raise TypeError(f"X's column {name!r} must be a list or a 1-D array of values, got "
                        f"{type(values).__name__} (for one row, use score_one(row))")
    return values


def _from_records(rows: Sequence[Any]) -> Named:
    """A list of dicts, one per row (a JSON batch): the names are the first row's keys."""
    names = list(rows[0])
    bad = [k for k in names if not isinstance(k, str)]
    if bad:
        raise TypeError(f"X's keys must be column names (str); X[0] has the key {bad[0]!r}")
    return _Records(rows, names)


class _Records(Named):
    """JSON records: a column is gathered from every row's dict, and every row must hold it."""

    def __init__(self, rows: Sequence[Any], names: List[str]) -> None:
        super().__init__(names, len(rows), len(names), lambda i: self.select([names[i]])[0], by_key=True,
                         kind="list of dicts")
        self._rows = rows
        self._plain: Optional[bool] = None

    def _gather(self, name: str) -> List[Any]:
        """Every row's value at name; KeyError when a row lacks it (or is not a mapping)."""
        if self._plain is None:
            self._plain = all(type(row) is dict for row in self._rows)
        if self._plain:  # one C loop; a dict subclass could invent a missing key (defaultdict)
            return list(map(operator.itemgetter(name), self._rows))
        if not self._in_every_row(name):
            raise KeyError(name)
        return [row[name] for row in self._rows]

    def require(self, wanted: Sequence[str]) -> None:
        missing = [name for name in wanted if not self._in_every_row(name)]
        if missing:
            raise self._missing(missing)

    def _in_every_row(self, name: str) -> bool:
        return all(isinstance(row, Mapping) and name in row for row in self._rows)

    def select(self, wanted: Sequence[str]) -> List[Any]:
        columns, missing = [], []
        for name in wanted:
            try:
                values = self._gather(name)
            except (KeyError, TypeError, IndexError):
                missing.append(name)
                continue
            columns.append(np.fromiter(values, dtype=object, count=len(values)))
        if missing:
            raise self._missing(missing)
        return columns

    def _missing(self, names: Sequence[str]) -> Exception:
        """The error for keys some row lacks: each named with the first row that lacks it."""
        found = []
        for name in names:
            for r, row in enumerate(self._rows):
                if not isinstance(row, Mapping):
                    return TypeError(f"X is a list of dicts, but X[{r}] is a {type(row).__name__}")
                if name not in row:
                    found.append(f"{name!r} (row {r})")
                    break
        shown = ", ".join(found[:_SHOWN]) + (f" and {len(found) - _SHOWN} more" if len(found) > _SHOWN else "")
        return ValueError(f"X is missing key(s) {shown} that the model needs")


# ---- one column as numbers ----------------------------------------------------------------------

def as_numbers(col: Any, name: Label) -> np.ndarray:
    """One column as a 1-D float64 (or float32) array, NaN where a value is missing.

    col: a numpy array (numbers, bools, or objects: Python numbers, None),
    a list or tuple, a pandas Series (numpy, nullable Float/Int/boolean,
    pyarrow-backed or Categorical-of-numbers dtypes), a polars Series, or a
    pyarrow Array or ChunkedArray (numbers, bools, decimals, dictionaries of
    numbers). Missing values (None, NaN, pd.NA, Arrow and polars nulls)
    become NaN. float32 and float16 columns give float32 (exact), every
    other kind float64; a float64 column is returned without a copy where
    its library allows. Vectorised: only object columns holding more than
    plain numbers are read value by value. TypeError naming the column
    (name: its name or position) for strings and other non-numbers.
    """
    if isinstance(col, np.ndarray):
        return _numpy_numbers(col, name)
    if isinstance(col, (list, tuple)):
        return _numpy_numbers(np.fromiter(col, dtype=object, count=len(col)), name)
    pd = sys.modules.get("pandas")
    if pd is not None and isinstance(col, (pd.Series, pd.Index)):
        return _pandas_numbers(col, name, pd)
    pl = sys.modules.get("polars")
    if pl is not None and isinstance(col, pl.Series):
        return _polars_numbers(col, name, pl)
    pa = sys.modules.get("pyarrow")
    if pa is not None and isinstance(col, (pa.Array, pa.ChunkedArray)):
        return _arrow_numbers(col, name, pa)
    if hasattr(col, "__arrow_c_stream__") or hasattr(col, "__arrow_c_array__"):
        pa = _pyarrow(f"column {name!r} (Arrow data)")
        arrow = pa.chunked_array(col) if hasattr(col, "__arrow_c_stream__") else pa.array(col)
        return _arrow_numbers(arrow, name, pa)
    return _numpy_numbers(np.asarray(col), name)


def _numpy_numbers(a: np.ndarray, name: Label) -> np.ndarray:
    if a.ndim != 1:
        raise ValueError(f"X's column {name!r} must be 1-D, got an array of shape {a.shape}")
    kind = a.dtype.kind
    if kind == "f":
        if a.dtype.itemsize <= 4:
            return a.astype(np.float32, copy=False)
        return _checks._to_float64(a, f"X's column {name!r}", ("A",))
    if kind in "biu":
        return a.astype(np.float64)
    if kind == "O":
        return _objects(a, name)
    if kind in "US":
        raise TypeError(f"X's column {name!r} holds strings (dtype {a.dtype}); fastscore needs numbers")
    raise TypeError(f"X's column {name!r} has non-numeric dtype {a.dtype}")


#: Types an object column may hold that float64 takes exactly as float() does, in one numpy call.
_PLAIN = frozenset([float, int, bool, np.float64, np.float32, np.float16, np.int64, np.int32, np.int16,
                    np.int8, np.uint64, np.uint32, np.uint16, np.uint8, np.bool_])


def _objects(a: np.ndarray, name: Label) -> np.ndarray:
    """An object column (Python values) as float64: None and pd.NA are missing (NaN)."""
    types = set(map(type, a))
    if types <= _PLAIN:
        try:
            return a.astype(np.float64)
        except (TypeError, ValueError, OverflowError):
            pass  # an int beyond float64: the loop below names it
    na = _pandas_na()
    out = np.empty(len(a))
    for i, value in enumerate(a):
        if value is None or value is na:
            out[i] = math.nan
        elif isinstance(value, (str, bytes, bytearray)):
            raise TypeError(f"X's column {name!r} holds strings ({value!r} in row {i}); fastscore "
                            "needs numbers")
        else:
            out[i] = _checks.to_float(value, f"X's column {name!r}, row {i},")
    return out


def _pandas_na() -> Any:
    pd = sys.modules.get("pandas")
    return None if pd is None else pd.NA


def _pandas_numbers(s: Any, name: Label, pd: Any) -> np.ndarray:
    dtype = s.dtype
    if isinstance(dtype, np.dtype):
        return _numpy_numbers(s.to_numpy(), name)
    if isinstance(dtype, pd.CategoricalDtype):
        # The categories' numbers taken by code: code -1 (missing) takes the NaN appended last.
        values = _numpy_numbers_of_categories(dtype.categories, name, pd)
        codes = np.asarray(s.cat.codes if isinstance(s, pd.Series) else s.codes)
        return np.append(values.astype(np.float64), math.nan).take(codes)
    arrow_dtype = getattr(pd, "ArrowDtype", None)
    if arrow_dtype is not None and isinstance(dtype, arrow_dtype):
        return _arrow_numbers(s.array.__arrow_array__(), name, _pyarrow(f"column {name!r}"))
    kinds = pd.api.types
    if kinds.is_bool_dtype(dtype) or kinds.is_numeric_dtype(dtype):
        return s.to_numpy(dtype=np.float64, na_value=math.nan)
    if kinds.is_string_dtype(dtype):
        raise TypeError(f"X's column {name!r} holds strings (dtype {dtype}); fastscore needs numbers")
    raise TypeError(f"X's column {name!r} has non-numeric dtype {dtype}")


def _numpy_numbers_of_categories(categories: Any, name: Label, pd: Any) -> np.ndarray:
    try:
        return _pandas_numbers(categories, name, pd)
    except TypeError:
        raise TypeError(f"X's column {name!r} is categorical with non-numeric categories "
                        f"(dtype {categories.dtype}); fastscore needs numbers") from None


def _polars_numbers(s: Any, name: Label, pl: Any) -> np.ndarray:
    dtype = s.dtype
    if dtype in (pl.Float64, pl.Float32):
        return _numpy_numbers(s.to_numpy(), name)  # nulls become NaN; no copy without them
    if dtype.is_numeric() or dtype == pl.Boolean or dtype == pl.Null:
        return s.cast(pl.Float64).to_numpy()
    if dtype in (pl.String, pl.Categorical, pl.Enum) or isinstance(dtype, (pl.Categorical, pl.Enum)):
        raise TypeError(f"X's column {name!r} holds strings (dtype {dtype}); fastscore needs numbers")
    raise TypeError(f"X's column {name!r} has non-numeric dtype {dtype}")


def _arrow_numbers(a: Any, name: Label, pa: Any) -> np.ndarray:
    if isinstance(a, pa.ChunkedArray) and a.num_chunks == 1:
        a = a.chunk(0)  # one buffer: read where it lies
    t = a.type
    if pa.types.is_dictionary(t):
        t = t.value_type
        if not _arrow_numeric(t, pa):
            raise TypeError(f"X's column {name!r} is dictionary-encoded with {t} values; fastscore "
                            "needs numbers")
        a = a.cast(t)
    if pa.types.is_floating(t):
        values = a.to_numpy(zero_copy_only=False) if isinstance(a, pa.Array) else a.to_numpy()
        return _numpy_numbers(values, name)  # nulls are NaN already
    if _arrow_numeric(t, pa):
        a = a.cast(pa.float64(), safe=False)  # wide ints round as numpy rounds them
        return a.to_numpy(zero_copy_only=False) if isinstance(a, pa.Array) else a.to_numpy()
    if (pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t)
            or pa.types.is_large_binary(t) or getattr(pa.types, "is_string_view", lambda _: False)(t)):
        raise TypeError(f"X's column {name!r} holds strings (type {t}); fastscore needs numbers")
    raise TypeError(f"X's column {name!r} has non-numeric type {t}")


def _arrow_numeric(t: Any, pa: Any) -> bool:
    return (pa.types.is_floating(t) or pa.types.is_integer(t) or pa.types.is_boolean(t)
            or pa.types.is_decimal(t) or pa.types.is_null(t))


# ---- the model's rule, and its errors -------------------------------------------------------------

def match(X: Named, n_features: int, feature_names: Optional[Sequence[str]],
          estimator: str) -> Tuple[List[Any], List[Label]]:
    """The columns a model scores, in its feature order, and their labels for messages.

    The one rule: where the model knows its feature names and X carries
    names, columns are matched by name (X's other columns are ignored, its
    order is free, every missing name is a ValueError). Otherwise they are
    taken by position and their number must be n_features, as scikit-learn
    does: a model with names takes an X without names (an array, a frame
    labelled by integers) by position; a model without names takes a
    DataFrame or Arrow table by position with a UserWarning, as
    scikit-learn warns. A dict of columns or JSON records has no column
    order to go by, so such a model refuses it (TypeError).
    """
    if feature_names is not None and X.names is not None:
        wanted = [str(n) for n in feature_names]
        return X.select(wanted), list(wanted)
    if feature_names is None and X.by_key:
        raise TypeError(f"X must be a 2-D array or a list of lists of numbers, got {X.kind}: {estimator} "
                        "was fitted without feature names, so it cannot match X's keys to its features")
    if feature_names is None and X.names is not None:
        warnings.warn(f"X has feature names, but {estimator} was fitted without feature names: "
                      "X's columns are taken by position", UserWarning, stacklevel=5)
    if X.n_columns != n_features:
        raise ValueError(f"X has {X.n_columns} features, but the model expects {n_features}")
    return [X.column_at(i) for i in range(n_features)], list(range(n_features))


def nonfinite_cell(columns: Sequence[np.ndarray], labels: Sequence[Label],
                   fill: Optional[np.ndarray] = None) -> Optional[ValueError]:
    """The error for the first row holding a missing (NaN) or infinite value, naming its column;
    None when there is none. fill: the kernel's (a NaN of column j is no error where fill[j]
    is a number)."""
    first, label, value = None, None, 0.0
    for j, (c, lab) in enumerate(zip(columns, labels)):
        imputed = fill is not None and not math.isnan(fill[j])
        bad = np.isinf(c[:first]) if imputed else ~np.isfinite(c[:first])
        if bad.any():
            first = int(np.argmax(bad))
            label, value = lab, c[first]
    if first is None:
        return None
    if math.isnan(value):
        return ValueError(f"X has a missing value in row {first}, column {label!r}")
    return ValueError(f"X has an infinite value in row {first}, column {label!r}")


def row_problem(values: Sequence[Any], names: Sequence[str]) -> Optional[Exception]:
    """The error for the first value of a named row (score_one of a dict) that is not a finite
    number, naming its key: a missing value (None, NaN, pd.NA) or infinity is a ValueError, a
    non-number a TypeError. None when every value is a finite number."""
    na = _pandas_na()
    for value, name in zip(values, names):
        if value is None or value is na:
            return ValueError(f"row has a missing value in column {name!r}")
        try:
            x = _checks.to_float(value, f"row[{name!r}]")
        except TypeError as exc:
            return exc
        if math.isnan(x):
            return ValueError(f"row has a missing value in column {name!r}")
        if math.isinf(x):
            return ValueError(f"row has an infinite value in column {name!r}")
    return None

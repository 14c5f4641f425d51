"""How a column's values become integer codes: the runtime of a model's tables.

A table (fastscore.front) reads one input column and turns each value into
a code, the row of contributions it adds to z. Its Encode says how:

- ``categories``: the code of a value is its position in the list, values
  compared as scikit-learn compares them (Python equality: ``1 == 1.0 ==
  True``; strings exactly); a value in no position takes the table's
  ``unknown`` code, a missing one its ``missing`` code (or each is an error);
- ``bins``: the code of a number is ``numpy.searchsorted(bins, x,
  side="right")``, as KBinsDiscretizer finds its bin.

Number inputs may first go through ``ops``, the elementwise steps
scikit-learn applied before the encoder (a scaler's ``x - m`` then
``x / s``), done in the same order so that every value is the same bit
for bit. Missing values (NaN, Arrow nulls, JSON null) are one thing, the
missing value; None in a DataFrame's object column or an object array is a
value (scikit-learn keeps it apart from NaN), and pandas.NA in a nullable
string column an error (scikit-learn does not read it as missing);
infinity in a number input is an error, as scikit-learn makes it.

Batches never loop over rows in Python: a column of category values is
factorised (pandas' factorize or categorical codes, Arrow's
dictionary_encode, numpy's unique), only its distinct values are looked up
in a dict, and the codes are gathered with numpy. ``code_one`` maps one value
through the same dict: the pure reference for the batch path, and score_one's
path. pandas and pyarrow are used only for columns that are theirs.
"""
import importlib
import sys
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

#: the elementwise steps a number may go through, as numpy applies them
OPS = ("sub", "div", "mul", "add")
_UFUNCS = {"sub": np.subtract, "div": np.true_divide, "mul": np.multiply, "add": np.add}
_SCALAR = {"sub": float.__sub__, "div": float.__truediv__, "mul": float.__mul__, "add": float.__add__}

#: the kinds of Encode
CATEGORIES = "categories"
BINS = "bins"


class Encode(NamedTuple):
    """How values become codes: categories (a tuple of values) or bins (a float64 array of edges)."""

    kind: str
    values: Any                            # tuple of categories, or float64 array of bin edges
    ops: Tuple[Tuple[str, float], ...] = ()


def is_missing(value: Any) -> bool:
    """Whether a single value is missing: None, a float NaN, pandas.NA (or anything unequal to itself)."""
    if value is None:
        return True
    try:
        return bool(value != value)
    except TypeError:  # pandas.NA refuses to be a bool
        return True


def apply_ops(x: np.ndarray, ops: Sequence[Tuple[str, float]]) -> np.ndarray:
    """x (float64, a new array) after the steps, each as numpy applies it elementwise."""
    for op, value in ops:
        x = _UFUNCS[op](x, value)
    return x


def apply_ops_one(x: float, ops: Sequence[Tuple[str, float]]) -> float:
    """apply_ops for one float: the same IEEE operations, so the same bits."""
    for op, value in ops:
        x = _SCALAR[op](x, value)
    return x


class Coder:
    """The codes of one table: Encode plus the unknown and missing codes (None: an error)."""

    def __init__(self, encode: Encode, unknown: Optional[int], missing: Optional[int], number: bool,
                 name: str):
        self.encode, self.unknown, self.missing, self.number, self.name = encode, unknown, missing, number, name
        self._strings = False
        if encode.kind == CATEGORIES:
            self._index: Dict[Any, int] = {}
            for i, c in enumerate(encode.values):
                self._index.setdefault(c, i)
            self._strings = bool(encode.values) and all(isinstance(c, str) for c in encode.values)
            if number:  # numbers are matched by value: a sorted array and searchsorted
                cats = np.array(encode.values, dtype=np.float64).reshape(-1)
                self._order = np.argsort(cats, kind="stable")
                self._sorted = cats[self._order]

    # ---- one value ------------------------------------------------------------------------------

    def code_one(self, value: Any, none_is_value: bool = False) -> int:
        """The code of one value (a number already as float for number inputs; NaN is missing).

        none_is_value: a DataFrame's value: None is a category (unknown: see
        codes_of_values), not missing, and pandas.NA is refused (_refuse_pandas_na).
        """
        if none_is_value and self.encode.kind == CATEGORIES and value is None:
            return self._unknown_one(value)
        if none_is_value and not self.number:
            pd = sys.modules.get("pandas")
            if pd is not None and value is pd.NA:
                raise ValueError(f"column {self.name!r} holds pandas.NA, which scikit-learn does not read as a "
                                 "missing value in a column of strings: give missing values as NaN or None")
        if self.number:
            x = value
            if x != x:
                return self._missing_one(value)
            if x - x != 0.0:
                raise ValueError(f"column {self.name!r} holds {x}: infinity is not a number scikit-learn accepts")
            x = apply_ops_one(x, self.encode.ops)
            if self.encode.kind == BINS:
                return int(np.searchsorted(self.encode.values, x, side="right"))
            code = self._index.get(x)
            return self._unknown_one(value) if code is None else code
        if is_missing(value):
            return self._missing_one(value)
        try:
            code = self._index.get(value)
        except TypeError:  # unhashable: not any category
            code = None
        return self._unknown_one(value) if code is None else code

    def _missing_one(self, value: Any) -> int:
        if self.missing is None:
            raise ValueError(f"column {self.name!r} has a missing value, which the model does not accept")
        return self.missing

    def _unknown_one(self, value: Any) -> int:
        if self.unknown is None:
            raise ValueError(f"column {self.name!r} holds the unknown category {_shown(value)}: scikit-learn "
                             "raises for it (handle_unknown='error')")
        return self.unknown

    # ---- a batch --------------------------------------------------------------------------------

    def codes_of_numbers(self, x: np.ndarray, nones: Optional[np.ndarray] = None) -> np.ndarray:
        """int32 codes of a float array (NaN: missing), vectorised.

        nones: where x's column held None as a value (none_in), which an
        encoder of categories takes for a category it does not know.
        """
        x = np.asarray(x, dtype=np.float64)
        missing = np.isnan(x)
        if nones is not None and self.encode.kind == CATEGORIES:
            if self.unknown is None:
                self._unknown_one(None)
            missing &= ~nones
        bad = np.isinf(x)
        if bad.any():
            row = int(np.argmax(bad))
            raise ValueError(f"column {self.name!r} holds {x[row]} in row {row}: infinity is not a number "
                             "scikit-learn accepts")
        with np.errstate(over="ignore", invalid="ignore"):  # as numpy's: inf is then binned or unknown
            v = apply_ops(x, self.encode.ops) if self.encode.ops else x
        if self.encode.kind == BINS:
            with np.errstate(invalid="ignore"):
                codes = np.searchsorted(self.encode.values, v, side="right").astype(np.int32)
        else:
            codes = np.full(x.shape, -1, dtype=np.int32)
            if self._sorted.size:
                pos = np.minimum(np.searchsorted(self._sorted, v), self._sorted.size - 1)
                hit = self._sorted[pos] == v
                codes[hit] = self._order[pos[hit]]
            unknown = (codes < 0) & ~missing
            if nones is not None:
                unknown |= nones
            if unknown.any():
                if self.unknown is None:
                    row = int(np.argmax(unknown))
                    self._unknown_one(float(x[row]))
                else:
                    codes[unknown] = self.unknown
        if missing.any():
            if self.missing is None:
                row = int(np.argmax(missing))
                raise ValueError(f"column {self.name!r} has a missing value in row {row}, which the model "
                                 "does not accept")
            codes[missing] = self.missing
        return codes

    def codes_of_values(self, column: Any, none_is_value: bool = False) -> np.ndarray:
        """int32 codes of a column of category values (any form `factorize` takes), vectorised.

        none_is_value: None in an object column is the value None, not a
        missing value, as scikit-learn reads a DataFrame's object columns and
        object arrays (JSON records and lists hold null for missing instead):
        a category the model does not know, as fastscore converts no encoder
        fitted with None among its categories.
        """
        _refuse_pandas_na(column, self.name)
        if self._strings:
            self._refuse_numbers(column)
        inverse, uniques = factorize(column)
        lut = np.empty(len(uniques) + 2, dtype=np.int32)  # then factorize's missing (-1), then None
        for i, u in enumerate(uniques):
            lut[i] = self._code_or_mark(u)
        lut[-1] = self._code_or_mark(None)
        lut[-2] = self._unknown_or_mark()
        if none_is_value:
            nones = none_in(column, inverse < 0)
            if nones is not None:
                inverse = np.where(nones, len(uniques), inverse)
        codes = lut[inverse]
        if (lut < 0).any():
            bad = codes < 0
            if bad.any():
                row = int(np.argmax(bad))
                if inverse[row] == len(uniques):
                    self._unknown_one(None)
                if inverse[row] < 0 or is_missing(uniques[inverse[row]]):
                    raise ValueError(f"column {self.name!r} has a missing value in row {row}, which the model "
                                     "does not accept")
                self.code_one(uniques[inverse[row]])  # raises, naming the value
                raise AssertionError("unreachable")  # pragma: no cover
        return codes

    def _refuse_numbers(self, column: Any) -> None:
        """The error for a column of numbers or booleans given to categories of strings.

        scikit-learn's encoders raise for it (TypeError for numbers, ValueError
        for booleans), even for a column that is all NaN; after an imputer fitted
        on strings, which makes the column objects, they take its values for
        unknown categories instead. A table does not know which, so it refuses
        both: an error, never a silent difference.
        """
        kind, dtype = _value_kind(column)
        if kind in ("b", "i", "u", "f"):
            what = "booleans" if kind == "b" else "numbers"
            raise (ValueError if kind == "b" else TypeError)(
                f"column {self.name!r} holds {what} (dtype {dtype}), but the model reads it as categories of "
                "strings: give it as strings (or objects), as scikit-learn's encoders need")

    def _unknown_or_mark(self) -> int:
        return -1 if self.unknown is None else self.unknown

    def _code_or_mark(self, value: Any) -> int:
        """code_one, or -1 where code_one would raise: the error is raised only if a row has it."""
        try:
            return self.code_one(value)
        except ValueError:
            return -1


def none_in(column: Any, candidates: Optional[np.ndarray] = None) -> Optional[np.ndarray]:
    """Where an object column (a numpy array or a pandas Series) holds None; None when it holds none.

    candidates: a mask of the rows that may (the missing ones); by default
    pandas' isna finds them, so that only missing values are looked at one by one.
    """
    if isinstance(column, np.ndarray):
        values = column
    elif type(column).__module__.startswith("pandas") and getattr(column, "dtype", None) == np.dtype(object):
        values = column.to_numpy()
    else:
        return None
    if values.dtype != np.dtype(object) or values.ndim != 1:
        return None
    if candidates is None:
        pd = _pandas()
        candidates = np.asarray(pd.isna(values)) if pd is not None else np.ones(len(values), dtype=bool)
    rows = np.flatnonzero(candidates)
    hits = [r for r, v in zip(rows.tolist(), values[rows].tolist()) if v is None]
    if not hits:
        return None
    out = np.zeros(len(values), dtype=bool)
    out[hits] = True
    return out


def _value_kind(column: Any) -> Tuple[str, Any]:
    """(numpy's kind letter, dtype) of a column whose values are typed numbers or booleans, else ("", None).

    numpy arrays and pandas Series of numpy, nullable or pyarrow dtypes; Arrow and polars columns.
    """
    dtype = getattr(column, "dtype", None)
    if isinstance(dtype, np.dtype):
        return dtype.kind, dtype
    module = type(column).__module__
    if module.startswith("pandas"):
        pd = _pandas()
        if isinstance(dtype, pd.CategoricalDtype) or dtype is None:
            return "", None
        if pd.api.types.is_bool_dtype(dtype):
            return "b", dtype
        return ("f", dtype) if pd.api.types.is_numeric_dtype(dtype) else ("", None)
    if module.startswith("polars"):
        column = column.to_arrow()
        module = "pyarrow"
    if module.startswith("pyarrow"):
        import pyarrow as pa

        t = column.type
        if pa.types.is_boolean(t):
            return "b", t
        if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
            return "f", t
    return "", None


def _refuse_pandas_na(column: Any, name: str) -> None:
    """ValueError for pandas.NA in a pandas column of nullable strings, naming its first row.

    scikit-learn does not read that pandas.NA as a missing value: its
    encoders take it for a category they were not fitted on, its imputers
    raise. Every other form of a missing value (NaN, None, Arrow and polars
    nulls) is the missing value.
    """
    if not type(column).__module__.startswith("pandas"):
        return
    pd = _pandas()
    dtype = getattr(column, "dtype", None)
    if isinstance(dtype, pd.StringDtype) and getattr(dtype, "na_value", None) is pd.NA:
        missing = np.asarray(column.isna())
        if missing.any():
            raise ValueError(f"column {name!r} holds pandas.NA in row {int(np.argmax(missing))} (dtype "
                             f"{dtype}), which scikit-learn does not read as a missing value: give missing "
                             "values as NaN or None (dtype 'str' or object)")


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# ---- factorising a column -------------------------------------------------------------------------

def factorize(column: Any) -> Tuple[np.ndarray, List[Any]]:
    """(inverse, uniques): column[r] is uniques[inverse[r]], or missing where inverse[r] is -1.

    Takes a pandas Series, Index or Categorical, a polars Series, a pyarrow
    Array or ChunkedArray, a numpy array or a list. Missing values may also be
    among the uniques (a NaN that a numpy unique keeps): the caller's
    lookup knows them.
    """
    module = type(column).__module__
    if module.startswith("pandas"):
        return _factorize_pandas(column)
    if module.startswith("pyarrow"):
        return _factorize_arrow(column)
    if module.startswith("polars"):  # a polars Series: its Arrow array, where it lies
        return _factorize_arrow(column.to_arrow())
    a = column if isinstance(column, np.ndarray) else np.asarray(column, dtype=object)
    if a.dtype.kind == "O":
        pd = _pandas()
        if pd is not None:
            codes, uniques = pd.factorize(a, use_na_sentinel=True)
            return codes.astype(np.intp, copy=False), list(uniques)
        index: Dict[Any, int] = {}
        uniques = []
        inverse = np.empty(a.shape[0], dtype=np.intp)
        for r, v in enumerate(a.tolist()):  # no pandas: one dict lookup per row, the only way left
            try:
                i = index.get(v)
                if i is None:
                    i = index[v] = len(uniques)
                    uniques.append(v)
            except TypeError:
                i = len(uniques)
                uniques.append(v)
            inverse[r] = i
        return inverse, uniques
    uniques_a, inverse = np.unique(a, return_inverse=True)
    return inverse.reshape(-1).astype(np.intp, copy=False), uniques_a.tolist()


def _factorize_pandas(column: Any) -> Tuple[np.ndarray, List[Any]]:
    pd = _pandas()
    dtype = getattr(column, "dtype", None)
    if isinstance(dtype, pd.CategoricalDtype):
        cat = column.array if isinstance(column, (pd.Series, pd.Index)) else column
        return np.asarray(cat.codes, dtype=np.intp), list(cat.categories)
    arrow = getattr(getattr(column, "array", None), "__arrow_array__", None)
    if arrow is not None:
        # pyarrow-backed strings and ArrowDtype: Arrow's own hash table, on the buffers as they are
        return _factorize_arrow(arrow())
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    return np.asarray(codes, dtype=np.intp), list(uniques)


def _factorize_arrow(column: Any) -> Tuple[np.ndarray, List[Any]]:
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    if not pa.types.is_dictionary(column.type):
        column = pc.dictionary_encode(column)
    # indices may be unsigned (polars' Categorical and Enum): signed before -1 marks the nulls
    indices = pc.fill_null(column.indices.cast(pa.int64()), -1)
    return (np.asarray(indices.to_numpy(zero_copy_only=False), dtype=np.intp),
            column.dictionary.to_pylist())


def _pandas() -> Any:
    import sys

    pd = sys.modules.get("pandas")
    if pd is None:
        try:
            pd = importlib.import_module("pandas")
        except ImportError:
            return None
    return pd

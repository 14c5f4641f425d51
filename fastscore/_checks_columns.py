"""Checks of the kernel's column interface, shared by both backends so that they raise the same errors.

The kernel's optional parameters (``fill``, ``tables``) and its ``score_columns``
call: ``kernel_params`` validates and freezes every constructor argument,
``columns_args`` checks a score_columns call and returns its arrays in the form
the C kernel reads where they lie, and the error constructors name the first bad
row with its column (NaN or infinity) or its table (a code out of range).

How odd arrays are taken (the compiled kernel makes one C call per dtype):

* columns are float64 or float32 of any byte order, alignment and stride. A
  call whose columns are all float32 is scored as float32; when float32 and
  float64 are mixed, the float32 ones are widened to float64 copies (exact).
  A column that is byte-swapped, unaligned, or strided by a number of bytes
  that is not a multiple of its item size is copied; every other column is
  read where it lies, through its stride, negative ones included.
* codes are integers of any width and signedness. int32 (native, aligned,
  strided by whole items) is read where it lies; any other integer array is
  converted to an int32 copy, values beyond int32 clipped to -1 or 2**31 - 1,
  which are out of range of every table, so that the error still fires (and
  names the original value).
"""
from typing import Any, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from fastscore import _checks

_INT32_MAX = 2**31 - 1


def nonfinite_cell(row: int, column: int) -> ValueError:
    """The error for NaN (with no fill) or infinity in a column, naming the first bad row and its column."""
    return ValueError(f"X contains NaN or infinity in row {row}, column {column}")


def bad_code(code: int, table: int, row: int, n_rows: int) -> ValueError:
    """The error for a code outside [0, rows) of its table, naming the first bad row and the table."""
    return ValueError(f"code {code} of table {table} in row {row} is out of range "
                      f"(table {table} has {n_rows} rows)")


def has_tables(n_tables: int) -> ValueError:
    """The error for score() or score_one() on a kernel with tables, which need codes."""
    return ValueError(f"this kernel adds {n_tables} code table{'s' if n_tables != 1 else ''} to z: "
                      "score it with score_columns")


def _sequence(value: Any, what: str) -> Sequence[Any]:
    """A list or tuple as it is; anything else (a 2-D array above all, whose rows would pass for columns) refused."""
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{what} must be a list or tuple of 1-D arrays, got {type(value).__name__}")
    return value


def kernel_params(coef: Any, intercept: Any, center: Any, fill: Any, tables: Any) -> Tuple[
        np.ndarray, np.ndarray, Optional[np.ndarray], Optional[np.ndarray], Tuple[np.ndarray, ...]]:
    """Validate and freeze every Kernel argument: (coef, intercept, center, fill, tables).

    coef (k, d), intercept (k,) and center (d,) or None as _checks.kernel_params
    takes them, except that d may be 0 when there are tables (a model of
    categorical columns only); fill None or (d,) of finite numbers and NaN (NaN:
    a missing value of that column is an error); tables a list or tuple of 2-D
    arrays (rows_j, k) of finite numbers. Each array is a read-only float64
    C-contiguous copy.
    """
    tables = _sequence(tables, "tables")
    coef, intercept, center = _checks.kernel_params(coef, intercept, center, no_features_ok=len(tables) > 0)
    k, d = coef.shape
    if fill is not None:
        fill = np.array(fill, dtype=np.float64, order="C")
        if fill.shape != (d,):
            raise ValueError(f"fill must have shape ({d},), got {fill.shape}")
        if np.isinf(fill).any():
            raise ValueError("fill contains infinity (NaN marks a column whose missing values are an error)")
        fill.flags.writeable = False
    frozen = []
    for j, table in enumerate(tables):
        table = np.array(table, dtype=np.float64, order="C")
        if table.ndim != 2 or table.shape[1] != k:
            raise ValueError(f"tables[{j}] must have shape (rows, {k}), got {table.shape}")
        if not np.isfinite(table).all():
            raise ValueError(f"tables[{j}] contains NaN or infinity")
        table.flags.writeable = False
        frozen.append(table)
    return coef, intercept, center, fill, tuple(frozen)


def active_fill(fill: Optional[np.ndarray]) -> Optional[np.ndarray]:
    """fill when some entry replaces missing values; None when it is None or all NaN (every NaN an error)."""
    return None if fill is None or np.isnan(fill).all() else fill


class ColumnArgs(NamedTuple):
    """A checked score_columns call: what both backends score."""

    #: the rows
    n: int
    #: d 1-D arrays, all float64 or all float32, each native, aligned and strided by whole items
    columns: List[np.ndarray]
    #: True when every column is float32
    f32: bool
    #: t 1-D native int32 arrays, aligned and strided by whole items
    codes: List[np.ndarray]
    #: the codes as given (for the value an error names)
    given_codes: Sequence[np.ndarray]
    #: the result's shape
    shape: Tuple[int, ...]


def _readable(a: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """a itself when the C kernel can read it through its stride as `dtype`; else a contiguous copy."""
    if (a.dtype == dtype and a.dtype.isnative and a.flags.aligned
            and a.strides[0] % a.dtype.itemsize == 0):
        return a
    return np.array(a, dtype=dtype, order="C")  # a new, aligned array (ascontiguousarray keeps unaligned ones)


def _as_int32(c: np.ndarray) -> np.ndarray:
    """Integer codes as int32, read in place when they already are; beyond int32, clipped out of every range."""
    if c.dtype.newbyteorder("=") == np.dtype(np.int32):
        return _readable(c, np.dtype(np.int32))
    info = np.iinfo(c.dtype)
    if info.min >= -_INT32_MAX - 1 and info.max <= _INT32_MAX:
        return c.astype(np.int32)
    return np.clip(c, max(info.min, -1), _INT32_MAX).astype(np.int32)


def columns_args(columns: Any, codes: Any, link: Any, out: Optional[np.ndarray], layout: int, n_features: int,
                 n_outputs: int, n_tables: int) -> ColumnArgs:
    """Guard a score_columns call; returns the arrays to score (see the module's docstring) and the result's shape."""
    columns = _sequence(columns, "columns")
    codes = _sequence(codes, "codes")
    if len(columns) != n_features:
        raise ValueError(f"columns has {len(columns)} arrays, but the kernel has {n_features} numeric columns")
    if len(codes) != n_tables:
        raise ValueError(f"codes has {len(codes)} arrays, but the kernel has {n_tables} tables")
    n: Optional[int] = None
    for what, arrays, kinds, wanted in (("columns", columns, "f", "float64 or float32"),
                                        ("codes", codes, "iu", "an integer dtype (int32 is read in place)")):
        for i, a in enumerate(arrays):
            if not isinstance(a, np.ndarray):
                raise TypeError(f"{what}[{i}] must be a numpy array, got {type(a).__name__}")
            if a.dtype.kind not in kinds or (kinds == "f" and a.dtype.itemsize not in (4, 8)):
                raise TypeError(f"{what}[{i}] must have {wanted}, got {a.dtype}")
            if a.ndim != 1:
                raise ValueError(f"{what}[{i}] must be 1-D, got shape {a.shape}")
            if n is None:
                n = a.shape[0]
            elif a.shape[0] != n:
                raise ValueError(f"{what}[{i}] has {a.shape[0]} rows, but the first array has {n}")
    if n is None:  # not reached: a kernel has columns or tables, and their counts were checked
        raise ValueError("score_columns needs a column or a code array")
    _checks.check_link(link)
    shape = _checks.result_shape(n, n_outputs, layout)
    if out is not None:
        _checks.check_out(out, shape)
        for what, arrays in (("columns", columns), ("codes", codes)):
            for i, a in enumerate(arrays):
                if np.may_share_memory(a, out):
                    raise ValueError(f"out must not overlap {what}[{i}]")
    f32 = all(a.dtype.itemsize == 4 for a in columns) and len(columns) > 0
    dtype = np.dtype(np.float32 if f32 else np.float64)
    return ColumnArgs(n, [_readable(a, dtype) for a in columns], f32, [_as_int32(c) for c in codes],
                      codes, shape)

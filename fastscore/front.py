"""A model's input stage: its named inputs, numeric columns and tables (format version 2).

A model with this stage (a scikit-learn Pipeline of encoders, imputers and
scalers before its linear model) reads the raw columns ``inputs`` of X, by
name, and scores

    U[:, j] = numeric[j]: an input's number (missing: its fill), or a product of such numbers
    z = (U - center) @ coef.T + intercept + sum over tables t of t.rows[code_t(X)]
    output = link(z)

where a table's code is its input's value turned into an integer
(fastscore.encoders: a category's position, a bin). Everything a
preprocessing step does to one column through a finite set of values (one-hot,
ordinal and target encoding, bins, missing indicators, categorical
imputation) is folded into the table's rows, the k contributions of each
code to z; every step that keeps a number a number (imputation, scaling,
polynomial terms) is a numeric column. docs/FORMAT.md specifies the fields;
check() is their one validation; FrontKernel scores them.
"""
import math
import re
from collections.abc import Mapping
from typing import Any, Dict, List, NamedTuple, Optional, Tuple

import numpy as np

from fastscore import _backend, _checks, columns as _columns, texts as _texts
from fastscore.encoders import (BINS, CATEGORIES, OPS, Coder, Encode, apply_ops, apply_ops_one, is_missing,
                                none_in)
from fastscore._validate import (MAX_FEATURES, FieldError, index_field, number_field, object_field, rows_field,
                                 text, what)
from fastscore.links import BY_NAME, LINKS
from fastscore.texts import Text, TextScorer

_IDENTITY = BY_NAME["identity"].code

NUMBER = "number"
CATEGORY = "category"
TEXT = "text"
TYPES = (NUMBER, CATEGORY, TEXT)
ERROR = "error"


class Input(NamedTuple):
    """A raw column the model reads: its name (None when fitted without names) and its type."""

    name: Optional[str]
    type: str  # NUMBER, CATEGORY or TEXT


class Factor(NamedTuple):
    """One factor of a product column: an input's number, NaN -> fill (NaN fill: an error), then ops."""

    input: int
    fill: float
    ops: Tuple[Tuple[str, float], ...]


class Coded(NamedTuple):
    """One factor of a product column: a number for each code of an input's value (a value table)."""

    input: int
    encode: Encode
    unknown: Optional[int]        # the code of an unknown category; None: an error
    missing: Optional[int]        # the code of a missing value; None: an error
    values: np.ndarray            # (codes,) float64, read-only


class Column(NamedTuple):
    """A column of U: an input's number (NaN -> fill; NaN fill: an error), or a product of factors."""

    input: int                    # -1 for a product
    fill: float
    product: Tuple[Any, ...]      # Factor or Coded; empty for an input's number; else computed right to left


class Table(NamedTuple):
    """Contributions to z by the code of one input's value."""

    input: int
    encode: Encode
    unknown: Optional[int]        # the code of an unknown category; None: an error
    missing: Optional[int]        # the code of a missing value; None: an error
    rows: np.ndarray              # (codes, k) float64, read-only


class Front(NamedTuple):
    """The validated input stage: inputs, numeric columns (U), tables, text blocks (fastscore.texts)."""

    inputs: Tuple[Input, ...]
    numeric: Tuple[Column, ...]
    tables: Tuple[Table, ...]
    texts: Tuple[Text, ...] = ()


# ---- validation -------------------------------------------------------------------------------------

def check(inputs: Any, numeric: Any, tables: Any, n_features: int, n_outputs: int, texts: Any = None) -> Front:
    """Validate the four fields (their JSON form, or a Front) against n_features columns of U and k outputs.

    Raises FieldError naming the first bad field, e.g. ``tables[1].rows[3]``.
    """
    if isinstance(inputs, Front):
        d = to_json(inputs)
        inputs, numeric, tables, texts = d["inputs"], d["numeric"], d["tables"], d.get("texts")
    ins = _inputs(inputs)
    if numeric is None:
        numeric = []
    if not isinstance(numeric, (list, tuple)) or len(numeric) != n_features:
        raise FieldError(f"field 'numeric' must be a list of {n_features} columns (n_features), "
                         f"got {what(numeric)}")
    cols = tuple(_column(c, f"numeric[{j}]", ins) for j, c in enumerate(numeric))
    if tables is None:
        tables = []
    if not isinstance(tables, (list, tuple)) or len(tables) > MAX_FEATURES or not (tables or numeric or texts):
        raise FieldError(f"field 'tables' must be a list of tables (at least one when 'numeric' and 'texts' "
                         f"are empty), got {what(tables)}")
    tabs = tuple(_table(t, f"tables[{i}]", ins, n_outputs) for i, t in enumerate(tables))
    return Front(ins, cols, tabs, _texts.check(texts, ins, n_outputs))


def _inputs(value: Any) -> Tuple[Input, ...]:
    if not isinstance(value, (list, tuple)) or not 1 <= len(value) <= MAX_FEATURES:
        raise FieldError(f"field 'inputs' must be a list of 1 to {MAX_FEATURES} inputs, got {what(value)}")
    out = []
    for i, d in enumerate(value):
        where = f"inputs[{i}]"
        d = object_field(d, where, ("name", "type"), ())
        name = d["name"]
        if name is not None:
            name = text(name, f"{where}.name")
        if d["type"] not in TYPES:
            raise FieldError(f"field '{where}.type' must be 'number', 'category' or 'text', got {what(d['type'])}")
        out.append(Input(name, d["type"]))
    named = [x.name is not None for x in out]
    if any(named) and not all(named):
        raise FieldError("field 'inputs' must name every input or none")
    if all(named):
        seen: Dict[str, int] = {}
        for i, x in enumerate(out):
            if x.name in seen:
                raise FieldError(f"field 'inputs' has duplicates: inputs[{i}].name is {what(x.name)}, "
                                 "equal to an earlier name")
            seen[x.name] = i  # type: ignore[index]
    return tuple(out)










def _fill(value: Any, where: str) -> float:
    return math.nan if value is None else number_field(value, where)


def _number_input(value: Any, where: str, ins: Tuple[Input, ...]) -> int:
    i = index_field(value, where, len(ins), "an input")
    if ins[i].type != NUMBER:
        raise FieldError(f"field {where!r} must be a number input, but inputs[{i}] is a {ins[i].type}")
    return i


def _ops(value: Any, where: str) -> Tuple[Tuple[str, float], ...]:
    if not isinstance(value, (list, tuple)):
        raise FieldError(f"field {where!r} must be a list of [op, number] steps, got {what(value)}")
    out = []
    for i, step in enumerate(value):
        if not isinstance(step, (list, tuple)) or len(step) != 2 or step[0] not in OPS:
            raise FieldError(f"field '{where}[{i}]' must be [op, number] with op one of "
                             f"{', '.join(OPS)}, got {what(step)}")
        number = number_field(step[1], f"{where}[{i}][1]")
        if step[0] == "div" and number == 0.0:
            raise FieldError(f"field '{where}[{i}][1]' divides by zero")
        out.append((step[0], number))
    return tuple(out)


def _column(value: Any, where: str, ins: Tuple[Input, ...]) -> Column:
    if isinstance(value, dict) and "product" in value:
        d = object_field(value, where, ("product",), ())
        factors = d["product"]
        if not isinstance(factors, (list, tuple)) or not 1 <= len(factors) <= 64:
            raise FieldError(f"field '{where}.product' must be a list of 1 to 64 factors, got {what(factors)}")
        out: List[Any] = []
        for i, f in enumerate(factors):
            w = f"{where}.product[{i}]"
            if isinstance(f, dict) and "encode" in f:
                d = object_field(f, w, ("input", "encode", "unknown", "missing", "values"), ())
                out.append(Coded(*_coded(d, w, ins, _values(d["values"], f"{w}.values"), "values")))
                continue
            f = object_field(f, w, ("input", "fill"), ("ops",))
            out.append(Factor(_number_input(f["input"], f"{w}.input", ins), _fill(f["fill"], f"{w}.fill"),
                              _ops(f.get("ops", []), f"{w}.ops")))
        return Column(-1, math.nan, tuple(out))
    d = object_field(value, where, ("input", "fill"), ())
    return Column(_number_input(d["input"], f"{where}.input", ins), _fill(d["fill"], f"{where}.fill"), ())


def _table(value: Any, where: str, ins: Tuple[Input, ...], k: int) -> Table:
    d = object_field(value, where, ("input", "encode", "unknown", "missing", "rows"), ())
    return Table(*_coded(d, where, ins, rows_field(d["rows"], f"{where}.rows", k), "rows"))


def _coded(d: Dict[str, Any], where: str, ins: Tuple[Input, ...], rows: np.ndarray,
           key: str) -> Tuple[int, Encode, Optional[int], Optional[int], np.ndarray]:
    """The fields that tables and value factors share: input, encode, unknown, missing, and their rows."""
    i = index_field(d["input"], f"{where}.input", len(ins), "an input")
    if ins[i].type == TEXT:
        raise FieldError(f"field '{where}.input' must be a number or category input, but inputs[{i}] is a text")
    number = ins[i].type == NUMBER
    encode = _encode(d["encode"], f"{where}.encode", number)
    needed = len(encode.values) + (1 if encode.kind == BINS else 0)
    if rows.shape[0] < needed:
        raise FieldError(f"field '{where}.{key}' must have at least {needed} entries (one per "
                         f"{'bin' if encode.kind == BINS else 'category'}), got {rows.shape[0]}")
    codes = []
    for name in ("unknown", "missing"):
        v = d[name]
        codes.append(None if v == ERROR and isinstance(v, str) else
                     index_field(v, f"{where}.{name}", rows.shape[0], f"an entry of {key}, or 'error'"))
    return i, encode, codes[0], codes[1], rows


def _values(value: Any, where: str) -> np.ndarray:
    if not isinstance(value, (list, tuple, np.ndarray)) or not 1 <= len(value) <= MAX_FEATURES:
        raise FieldError(f"field {where!r} must be a list of 1 to {MAX_FEATURES} numbers, got {what(value)}")
    a = np.array([number_field(x, f"{where}") for x in value], dtype=np.float64)
    a.flags.writeable = False
    return a




def _encode(value: Any, where: str, number: bool) -> Encode:
    kinds = [k for k in (CATEGORIES, BINS) if isinstance(value, dict) and k in value]
    if len(kinds) != 1:
        raise FieldError(f"field {where!r} must be an object with one of 'categories' or 'bins', "
                         f"got {what(value)}")
    kind = kinds[0]
    d = object_field(value, where, (kind,), ("ops",))
    ops = _ops(d.get("ops", []), f"{where}.ops")
    if ops and not number:
        raise FieldError(f"field '{where}.ops' applies to number inputs only")
    items = d[kind]
    if not isinstance(items, (list, tuple, np.ndarray)) or len(items) > MAX_FEATURES:
        raise FieldError(f"field '{where}.{kind}' must be a list, got {what(items)}")
    if kind == BINS:
        if not number:
            raise FieldError(f"field '{where}.bins' applies to number inputs only")
        edges = np.array([number_field(x, f"{where}.bins") for x in items], dtype=np.float64)
        if (np.diff(edges) < 0).any():
            raise FieldError(f"field '{where}.bins' must be in increasing order")
        edges.flags.writeable = False
        return Encode(BINS, edges, ops)
    return Encode(CATEGORIES, _categories(list(items), f"{where}.categories", number), ops)


def _categories(items: List[Any], where: str, number: bool) -> Tuple[Any, ...]:
    items = [x.item() if isinstance(x, np.generic) else x for x in items]
    kinds = {"bool" if isinstance(x, bool) else "number" if isinstance(x, (int, float)) else
             "str" if isinstance(x, str) else what(x) for x in items}
    if len(kinds) > 1 or not kinds <= {"bool", "number", "str"}:
        raise FieldError(f"field {where!r} must hold values of one type (strings, numbers or booleans), "
                         f"got {', '.join(sorted(kinds))}")
    if number and kinds - {"number"}:
        raise FieldError(f"field {where!r} of a number input must hold numbers")
    for j, x in enumerate(items):
        if isinstance(x, str):
            text(x, f"{where}[{j}]")
        elif isinstance(x, (int, float)) and not isinstance(x, bool):
            number_field(x, f"{where}[{j}]")
    if len(set(items)) != len(items):
        raise FieldError(f"field {where!r} has duplicates (compared as scikit-learn compares them: "
                         "1, 1.0 and true are equal)")
    return tuple(items)


def read_inputs(front: Front) -> List[int]:
    """The inputs that the model reads, in order: the others (a column that a ColumnTransformer
    drops) may be absent from X."""
    used = {c.input for c in front.numeric if not c.product} | {t.input for t in front.tables} | \
        {f.input for c in front.numeric for f in c.product} | {b.input for b in front.texts}
    return sorted(used)


# ---- the JSON form ----------------------------------------------------------------------------------

def to_json(front: Front) -> Dict[str, Any]:
    """The fields' JSON values (plain lists, dicts, numbers and strings), in the file's form."""
    def ops(o: Tuple[Tuple[str, float], ...]) -> List[List[Any]]:
        return [[op, v] for op, v in o]

    def fill(x: float) -> Optional[float]:
        return None if math.isnan(x) else x

    def coded(t: Any) -> Dict[str, Any]:
        encode: Dict[str, Any] = {t.encode.kind: list(t.encode.values) if t.encode.kind == CATEGORIES
                                  else t.encode.values.tolist()}
        if t.encode.ops:
            encode["ops"] = ops(t.encode.ops)
        return {"input": t.input, "encode": encode, "unknown": ERROR if t.unknown is None else t.unknown,
                "missing": ERROR if t.missing is None else t.missing}

    def factor(f: Any) -> Dict[str, Any]:
        if isinstance(f, Coded):
            return {**coded(f), "values": f.values.tolist()}
        return {"input": f.input, "fill": fill(f.fill), **({"ops": ops(f.ops)} if f.ops else {})}

    numeric: List[Dict[str, Any]] = []
    for c in front.numeric:
        if c.product:
            numeric.append({"product": [factor(f) for f in c.product]})
        else:
            numeric.append({"input": c.input, "fill": fill(c.fill)})
    tables = [{**coded(t), "rows": t.rows.tolist()} for t in front.tables]
    out = {"inputs": [{"name": x.name, "type": x.type} for x in front.inputs], "numeric": numeric,
           "tables": tables}
    if front.texts:
        out["texts"] = [_texts.to_json_block(b) for b in front.texts]
    return out


# ---- scoring -----------------------------------------------------------------------------------------

class FrontKernel:
    """The kernel of a model with an input stage: X by name -> U and codes -> z -> link.

    It has the Kernel protocol's score() and score_one() (fastscore._backend),
    taking what the model takes: a DataFrame, a dict of columns, a list of
    dicts or a 2-D array (by position) for score(); a dict, a pandas Series
    or a sequence (by position) for score_one(). A model whose one input is
    an unnamed text (a Pipeline that starts with a vectorizer) takes the
    documents themselves: a sequence of them, or one for score_one().

    A text block's sum is k more columns of U, each with coefficient 1 for
    its output and 0 for the others, so that one kernel call adds every
    stage's part of z before the link; a model that is one text block and
    nothing else is scored by that block's kernel alone, with the model's
    intercept and link.
    """

    def __init__(self, front: Front, coef: np.ndarray, intercept: np.ndarray, center: Optional[np.ndarray],
                 backend: Optional[str]):
        self.front = front
        self.coef, self.intercept, self.center = coef, intercept, center
        self.n_outputs = coef.shape[0]
        self.n_features = coef.shape[1]
        cls = _backend.kernel_class(backend)
        self.name = cls.name
        self._fill = np.array([c.fill for c in front.numeric], dtype=np.float64)
        self._tables = [t.rows for t in front.tables]
        self._names = [x.name if x.name is not None else f"x{i}" for i, x in enumerate(front.inputs)]
        self._coders = [Coder(t.encode, t.unknown, t.missing, front.inputs[t.input].type == NUMBER,
                              self._names[t.input]) for t in front.tables]
        self._documents = len(front.inputs) == 1 and front.inputs[0].type == TEXT and front.inputs[0].name is None
        self._only: Optional[TextScorer] = None
        self._kernel: Any
        self._texts: List[TextScorer] = []
        if front.texts and not front.numeric and not front.tables and len(front.texts) == 1:
            self._only = TextScorer(front.texts[0], self._text_name(0), backend, intercept)
        else:
            self._texts = [TextScorer(b, self._text_name(i), backend) for i, b in enumerate(front.texts)]
        k = coef.shape[0]
        if self._texts:  # each block's z: k unit columns more (see the class's docstring)
            units = np.tile(np.eye(k), len(self._texts))
            coef = np.hstack([coef, units])
            center = None if center is None else np.concatenate([center, np.zeros(units.shape[1])])
            self._fill = np.concatenate([self._fill, np.full(units.shape[1], math.nan)])
        # a model that is one text block has no other kernel
        self._kernel = None if self._only is not None else cls(coef, intercept, center, fill=self._fill,
                                                                tables=self._tables)
        # score_one's plain-float form of the parameters
        self._w = coef.T.tolist()
        self._b = intercept.tolist()
        self._c = [0.0] * self.n_features if center is None else center.tolist()
        self._rows = [t.rows.tolist() for t in front.tables]
        # score_one's plan for a dict, one output and no products: (name, fill, centre, weight) per
        # numeric column, (name, coder, contribution per code) per table
        self._plan = None
        if self.n_outputs == 1 and front.inputs[0].name is not None and not any(c.product for c in front.numeric) \
                and not front.texts:
            self._plan = ([(self._names[c.input], float(self._fill[j]), self._c[j], self._w[j][0])
                           for j, c in enumerate(front.numeric)],
                          [(self._names[t.input], coder, [r[0] for r in rows])
                           for t, coder, rows in zip(front.tables, self._coders, self._rows)])
        self._factor_coders = {id(f): Coder(f.encode, f.unknown, f.missing, front.inputs[f.input].type == NUMBER,
                                            self._names[f.input])
                               for c in front.numeric for f in c.product if isinstance(f, Coded)}
        self._used = [self._names[i] for i in read_inputs(front)]
        # inputs whose numbers scikit-learn's steps compute on (imputers, scalers, polynomial terms, bins
        # after a scaler): in float32 for a float32 column, which the model does not reproduce
        self._computed = frozenset({c.input for c in front.numeric if not c.product}
                                   | {f.input for c in front.numeric for f in c.product if isinstance(f, Factor)}
                                   | {t.input for t in front.tables if t.encode.ops})

    # ---- a batch --------------------------------------------------------------------------------

    def _text_name(self, i: int) -> str:
        return "X" if self._documents else f"column {self._names[self.front.texts[i].input]!r}"

    def score(self, X: Any, link: int, out: Optional[np.ndarray] = None, *, layout: int = _checks.MATRIX,
              n_threads: int = 0, convert: Any = None) -> np.ndarray:
        """link(z) for every row of X, in `layout` (see fastscore._backend.Kernel.score)."""
        _checks.check_link(link)
        if self._only is not None:
            n, get, _ = self._getter(X)
            return self._only.score(_texts.documents(get(self.front.texts[0].input), self._only.name), link, out,
                                    layout=layout, n_threads=n_threads)
        n, columns, codes = self.prepare(X)
        try:
            return self._kernel.score_columns(columns, link, out, layout=layout, n_threads=n_threads,
                                              codes=codes)
        except ValueError as exc:
            raise self._named_error(exc) from None

    def _float32(self, i: int) -> ValueError:
        return ValueError(f"column {self._names[i]!r} is float32, which scikit-learn's imputers and scalers "
                          "compute in float32; the model computes in float64, so give it as float64")

    def _named_error(self, exc: ValueError) -> ValueError:
        m = re.search(r"row (\d+), column (\d+)", str(exc))
        if m is None:
            return exc
        j = int(m.group(2))
        col = self.front.numeric[j] if j < len(self.front.numeric) else None
        name = self._names[col.input] if col is not None and not col.product else f"product column {j}"
        return ValueError(f"column {name!r} holds a missing value or infinity in row {m.group(1)}, which "
                          "the model does not accept")

    def prepare(self, X: Any) -> Tuple[int, List[np.ndarray], List[np.ndarray]]:
        """(n, U's columns as float64 arrays with NaN where missing, int32 codes per table) of X."""
        n, get, none_is_value = self._getter(X)
        numbers: Dict[int, np.ndarray] = {}

        def number(i: int) -> np.ndarray:
            x = numbers.get(i)
            if x is None:
                x = numbers[i] = _columns.as_numbers(get(i), self._names[i])
                if len(x) != n:
                    raise ValueError(f"column {self._names[i]!r} has {len(x)} values for {n} rows")
                if x.dtype == np.float32 and i in self._computed:
                    raise self._float32(i)
            return x

        cols = []
        for j, c in enumerate(self.front.numeric):
            cols.append(self._product(c.product, number, get, none_is_value) if c.product else number(c.input))
        codes = []
        for t, coder in zip(self.front.tables, self._coders):
            if coder.number:
                nones = none_in(get(t.input)) if none_is_value else None
                codes.append(coder.codes_of_numbers(number(t.input), nones))
            else:
                codes.append(coder.codes_of_values(get(t.input), none_is_value))
        for b, scorer in zip(self.front.texts, self._texts):
            docs = _texts.documents(get(b.input), scorer.name)
            if len(docs) != n:
                raise ValueError(f"{scorer.name} has {len(docs)} values for {n} rows")
            z = scorer.score(docs, _IDENTITY)
            cols.extend(z[:, o] for o in range(self.n_outputs))
        return n, cols, codes

    def _getter(self, X: Any) -> Tuple[int, Any, bool]:
        """(n, get(i): input i's column, whether None is a value) for X, by name where the model and
        X both have names.

        None is a value, not a missing one, where scikit-learn reads it so: in a
        DataFrame or an array (not in JSON records or a dict's lists, whose null is missing).
        """
        if self._documents:
            docs = _texts.documents(X, "X")
            return len(docs), lambda i: docs, False
        named = _columns.named(X)
        if named is not None:
            if self.front.inputs[0].name is None or named.names is None:  # by position
                if named.by_key:
                    raise TypeError(f"X is a {named.kind}, whose columns are known by name only, but the "
                                    "model was fitted without column names: give it a table or an array")
                if named.n_columns != len(self._names):
                    raise ValueError(f"X has {named.n_columns} columns; the model reads {len(self._names)} "
                                     "by position")
                return named.n_rows, named.column_at, not named.by_key
            named.require(self._used)  # an input that nothing reads (a dropped column) may be absent
            return named.n_rows, lambda i: named.column(self._names[i]), not named.by_key
        A = np.asarray(X) if not isinstance(X, (list, tuple)) else np.array(X, dtype=object)
        if A.ndim != 2 or A.shape[1] != len(self._names):
            raise ValueError(f"X must be a table of {len(self._names)} columns (by name: a DataFrame, a dict "
                             f"of columns, a list of dicts; or a 2-D array by position), got "
                             f"{'shape ' + str(A.shape) if A.ndim else type(X).__name__}")
        if A.dtype.kind not in "biufOUS":
            raise TypeError(f"X must hold numbers or categories, got {A.dtype} values")
        return A.shape[0], lambda i: A[:, i], True

    def _product(self, factors: Tuple[Any, ...], number: Any, get: Any, none_is_value: bool) -> np.ndarray:
        """A product column as scikit-learn's PolynomialFeatures computes it: the last factor times the others, right to left."""
        values = [self._coded(f, number, get, none_is_value) if isinstance(f, Coded)
                  else self._factor(f, number(f.input)) for f in factors]
        t = values[-1]
        with np.errstate(over="ignore", invalid="ignore"):
            for v in reversed(values[:-1]):
                t = t * v
        return t

    def _coded(self, f: Coded, number: Any, get: Any, none_is_value: bool) -> np.ndarray:
        coder = self._factor_coders[id(f)]
        if coder.number:
            codes = coder.codes_of_numbers(number(f.input))
        else:
            codes = coder.codes_of_values(get(f.input), none_is_value)
        return f.values[codes]

    def _factor(self, f: Factor, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)  # ops in float64, as in a float64 pipeline
        missing = np.isnan(x)
        if missing.any():
            if math.isnan(f.fill):
                row = int(np.argmax(missing))
                raise ValueError(f"column {self._names[f.input]!r} has a missing value in row {row}, which "
                                 "the model does not accept")
            x = np.where(missing, f.fill, x)
        if np.isinf(x).any():
            row = int(np.argmax(np.isinf(x)))
            raise ValueError(f"column {self._names[f.input]!r} holds infinity in row {row}")
        with np.errstate(over="ignore", invalid="ignore"):  # the kernel names a non-finite result
            return apply_ops(x, f.ops)

    # ---- one row --------------------------------------------------------------------------------

    def score_one(self, row: Any, link: int) -> Any:
        """Score one row: a dict or pandas Series (by name) or a sequence (by position); one document."""
        if self._only is not None:
            return self._only.score_one(row if self._documents else self._row_values(row)[self.front.texts[0].input],
                                        link)
        if self._plan is not None and type(row) is dict:
            scalar = LINKS[link].scalar
            if scalar is not None:
                try:
                    return scalar(self._z_one(row))
                except KeyError:
                    pass  # the general path names what the row lacks
        values = self._row_values(row)
        # a DataFrame's row or a row by position (an array's): None is a value (codes_of_values); a dict's is JSON
        frame = not isinstance(row, Mapping)
        nums: Dict[int, float] = {}

        def number(i: int) -> float:
            x = nums.get(i)
            if x is None:
                v = values[i]
                if frame and isinstance(v, (np.float32, np.float16)) and i in self._computed:
                    raise self._float32(i)
                x = nums[i] = math.nan if is_missing(v) else _checks.to_float(v, f"column {self._names[i]!r}")
            return x

        k = self.n_outputs
        z = list(self._b)
        for j, c in enumerate(self.front.numeric):
            if c.product:
                x = self._product_one(c.product, number, values, frame)
            else:
                x = number(c.input)
                if x != x:
                    x = self._fill[j]
                    if x != x:
                        raise ValueError(f"column {self._names[c.input]!r} has a missing value, which the "
                                         "model does not accept")
            if x - x != 0.0:
                raise ValueError(f"column {self._names[c.input]!r} holds infinity" if not c.product else
                                 f"numeric column {j} (a product) is not finite")
            d = x - self._c[j]
            w = self._w[j]
            for o in range(k):
                z[o] += w[o] * d
        for t, (table, coder) in enumerate(zip(self.front.tables, self._coders)):
            v = values[table.input]
            if coder.number and not (frame and v is None and coder.encode.kind == CATEGORIES):
                v = number(table.input)
            r = self._rows[t][coder.code_one(v, frame)]
            for o in range(k):
                z[o] += r[o]
        for b, scorer in zip(self.front.texts, self._texts):
            r = scorer.score_one(values[b.input], _IDENTITY)
            for o, x in enumerate((r,) if k == 1 else r):
                z[o] += x
        scalar = LINKS[link].scalar
        if k == 1 and scalar is not None:
            return scalar(z[0])
        Z = np.array([z])
        LINKS[link].apply(Z)
        return float(Z[0, 0]) if k == 1 else tuple(Z[0].tolist())

    def _z_one(self, row: Dict[str, Any]) -> float:
        """z of a dict row for one output and no product columns: the request path, plain floats only."""
        numbers, tables = self._plan  # type: ignore[misc]
        z = self._b[0]
        for name, fill, c, w in numbers:
            x = row[name]
            if type(x) is not float:
                x = self._number_one(x, name)
            if x != x:
                x = fill
                if x != x:
                    raise ValueError(f"column {name!r} has a missing value, which the model does not accept")
            elif x - x != 0.0:
                raise ValueError(f"column {name!r} holds infinity")
            z += w * (x - c)
        for name, coder, rows in tables:
            x = row[name]
            if coder.number and type(x) is not float:
                x = self._number_one(x, name)
            z += rows[coder.code_one(x)]
        return z

    @staticmethod
    def _number_one(value: Any, name: str) -> float:
        return math.nan if is_missing(value) else _checks.to_float(value, f"column {name!r}")

    def _product_one(self, factors: Tuple[Any, ...], number: Any, raw: List[Any], frame: bool) -> float:
        values = []
        for f in factors:
            if isinstance(f, Coded):
                coder = self._factor_coders[id(f)]
                v = raw[f.input]
                if coder.number and not (frame and v is None and coder.encode.kind == CATEGORIES):
                    v = number(f.input)
                values.append(float(f.values[coder.code_one(v, frame)]))
                continue
            x = number(f.input)
            if x != x:
                x = f.fill
                if x != x:
                    raise ValueError(f"column {self._names[f.input]!r} has a missing value, which the model "
                                     "does not accept")
            if x - x != 0.0:
                raise ValueError(f"column {self._names[f.input]!r} holds infinity")
            values.append(apply_ops_one(x, f.ops))
        t = values[-1]
        for v in reversed(values[:-1]):
            t = t * v
        return t

    def _row_values(self, row: Any) -> List[Any]:
        """The row's value of each input: a dict or a Series by name, a sequence by position."""
        if self._documents:
            return [row]
        if isinstance(row, Mapping) or type(row).__module__.startswith("pandas"):
            if self.front.inputs[0].name is not None:
                missing = [n for n in self._used if n not in row]
                if missing:
                    raise ValueError(f"row is missing key(s) {', '.join(map(repr, missing))} that the model "
                                     "needs")
                return [row[n] if n in row else None for n in self._names]
            if isinstance(row, Mapping):
                raise TypeError("the model was fitted without column names, so it cannot match a dict's "
                                "keys to its inputs: give the row as a list")
        values = list(row)
        if len(values) != len(self._names):
            raise ValueError(f"the row has {len(values)} values; the model reads {len(self._names)}")
        return values

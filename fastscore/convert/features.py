"""The features a preprocessing pipeline feeds its model, each described by what it is at deploy time.

Converting a Pipeline of encoders, imputers and scalers walks its steps
with a list of symbolic features, one per column of the matrix that step
passes on, starting from the raw input columns (Raw). Every feature is one
of:

- Raw: an input column's values as they are (or with missing values
  replaced by an imputer's fill), before anything decided what they are;
- Num: a number: an input's value, missing replaced by a fill, then the
  elementwise steps scikit-learn applied to it (``ops``), or a product of
  such numbers (a polynomial term) then ops;
- Cat: a function of one input through a finite set of integer codes (a
  Code: categories or bins and the codes of unknown and missing values):
  the feature's value for each code, found by running the fitted step
  itself on those values (probe), so that it is scikit-learn's own answer.
  A Cat without a Code is a constant.

assemble() then folds the model's coefficients in: each Num becomes a
numeric column of the kernel (its scaling folded into coef and centre as
fastscore.convert.pipelines does), each Code a table of contributions to z.
"""
import gc
import math
import warnings
from typing import Any, Dict, FrozenSet, List, NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np

from fastscore.convert.parts import ConversionError
from fastscore.encoders import BINS, CATEGORIES, Coder, Encode, is_missing

Ops = Tuple[Tuple[str, float], ...]


class Raw(NamedTuple):
    """An input column's values, missing ones replaced by fill when an imputer did so (fill None: not)."""

    col: int
    fill: Any = None


class Num(NamedTuple):
    """A number: input col (missing -> fill; None: an error), then ops; or a product of factors, then ops."""

    col: int
    fill: Optional[float]
    ops: Ops = ()
    factors: Tuple[Any, ...] = ()     # a product (col is -1): Num or Cat factors, multiplied right to left


class Code:
    """How one input becomes codes: an Encode, and the unknown and missing codes (None: an error).

    Codes are identified by object: the features of one encoder's column share
    one Code, hence one table.
    """

    def __init__(self, col: int, encode: Encode, n_codes: int, unknown: Optional[int], missing: Optional[int],
                 number: Optional[bool]):
        self.col, self.encode, self.n_codes = col, encode, n_codes
        self.unknown, self.missing, self.number = unknown, missing, number

    def coder(self, name: str = "") -> Coder:
        """The runtime's coder of this Code (the same that scores): used to find codes while converting."""
        return Coder(self.encode, self.unknown, self.missing, bool(self.number), name)


class Cat(NamedTuple):
    """A function of one input through its Code: values[c] for code c; scikit-learn raises for codes in errors."""

    code: Optional[Code]                 # None: a constant, values has one entry
    values: np.ndarray                   # (n_codes,): float64, or objects before an encoder
    errors: FrozenSet[int] = frozenset()


class Block:
    """A text vectorizer's columns, as the model computes them: one text input's documents through an
    analyzer, counted over terms or hashed, then weighed (fastscore.texts' fields, in their JSON form).

    Blocks are identified by object: the Term features of one vectorizer share one Block.
    """

    def __init__(self, col: int, analyzer: Dict[str, Any], terms: Optional[List[str]], n_features: int,
                 alternate_sign: bool, weighing: List[Dict[str, Any]]):
        self.col, self.analyzer, self.terms, self.n_features = col, analyzer, terms, n_features
        self.alternate_sign, self.weighing = alternate_sign, weighing


class Term(NamedTuple):
    """Column `column` of a text Block, then ops (a scaler after the vectorizer)."""

    block: Block
    column: int
    ops: Ops = ()


Feature = Union[Raw, Num, Cat, Term]


def terms(block: Block) -> List[Feature]:
    """The block's columns as features, one per column (made at C speed: there may be 2**20)."""
    new = tuple.__new__
    enabled = gc.isenabled()
    gc.disable()  # a million new tuples would run the cyclic collector over all of them, again and again
    try:
        return [new(Term, (block, j, ())) for j in range(block.n_features)]
    finally:
        if enabled:
            gc.enable()


def const(value: float) -> Cat:
    """A constant feature."""
    return Cat(None, np.array([value], dtype=np.float64))


def refuse(step: Any, path: str, reason: str) -> ConversionError:
    """The error for a step that cannot be converted, naming its class and its path in the pipeline.

    As fastscore.convert.parts.Registry.refuse makes it: located, so that
    the estimators around it pass it on as it is.
    """
    error = ConversionError(f"fastscore cannot convert {type(step).__name__} at {path}: {reason}")
    error.path = path
    error.located = True
    return error


def as_num(f: Feature, step: Any, path: str) -> Num:
    """A feature that a numeric step reads, as a Num (a Raw imputed with text cannot be one)."""
    if isinstance(f, Num):
        return f
    if isinstance(f, Raw):
        if f.fill is None:
            return Num(f.col, None)
        if isinstance(f.fill, (bool, np.bool_)) or not isinstance(f.fill, (int, float, np.integer, np.floating)):
            raise refuse(step, path, f"it reads input {f.col} as numbers, but an imputer before it filled "
                                     f"that column with {f.fill!r}")
        return Num(f.col, float(f.fill))
    if isinstance(f, Term):
        raise refuse(step, path, "it reads the columns of a text vectorizer, which fastscore passes only "
                                 "to TfidfTransformer, scalers that do not centre, and the model")
    raise AssertionError("a Cat is not a Num")


# ---- probing: scikit-learn's own answer for a few values ---------------------------------------------

def probe(step: Any, columns: Sequence[Sequence[Any]], objects: Sequence[bool] = ()) -> np.ndarray:
    """step.transform of a matrix whose column i holds columns[i] (shorter ones repeat their first value), dense float64.

    The matrix is a DataFrame when the step was fitted on one (with its
    column names), else an array; each column is float64 when it holds
    only numbers (and objects[i] is not true), booleans when it holds only
    booleans, else objects.
    """
    n = max(len(c) for c in columns)
    arrays = [_column_array([*c, *[c[0]] * (n - len(c))], bool(objects) and objects[i])
              for i, c in enumerate(columns)]
    names = getattr(step, "feature_names_in_", None)
    if names is not None:
        import pandas as pd

        X: Any = pd.DataFrame({name: a for name, a in zip(names, arrays)})
    elif all(a.dtype == np.float64 for a in arrays) or all(a.dtype == np.float32 for a in arrays):
        X = np.column_stack(arrays)
    else:
        X = np.empty((n, len(arrays)), dtype=object)
        for i, a in enumerate(arrays):
            X[:, i] = a
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = step.transform(X)
    if hasattr(out, "toarray"):
        out = out.toarray()
    out = np.asarray(out)
    # float32 outputs (an encoder's dtype) stay float32: the steps after them compute in float32
    return out.astype(np.float32 if out.dtype == np.float32 else np.float64, copy=False).reshape(n, -1)


def _column_array(values: List[Any], objects: bool = False) -> np.ndarray:
    if objects:
        a = np.empty(len(values), dtype=object)
        a[:] = values
        return a
    if all(isinstance(v, np.float32) for v in values):
        return np.array(values, dtype=np.float32)
    if all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))
           for v in values):
        return np.array(values, dtype=np.float64)
    if all(isinstance(v, (bool, np.bool_)) for v in values):
        return np.array(values, dtype=bool)
    a = np.empty(len(values), dtype=object)
    a[:] = values
    return a


def probe_rows(step: Any, columns: Sequence[Sequence[Any]], varying: int,
               objects: Sequence[bool] = ()) -> Tuple[np.ndarray, FrozenSet[int]]:
    """probe, where only column `varying` varies: the rows, and the rows for which scikit-learn raises (left 0).

    When the batch raises, the values are tried in smaller batches, down to
    single ones, so that a value that scikit-learn refuses (an unknown
    category under handle_unknown="error") marks its own row only.
    """
    values = list(columns[varying])
    rows: List[Optional[np.ndarray]] = [None] * len(values)

    def attempt(start: int, stop: int) -> None:
        part = [list(c[:1]) for c in columns]
        part[varying] = values[start:stop]
        try:
            out = probe(step, part, objects)
        except (ValueError, TypeError):
            if stop - start > 1:
                middle = (start + stop) // 2
                attempt(start, middle)
                attempt(middle, stop)
            return
        rows[start:stop] = list(out[:stop - start])

    attempt(0, len(values))
    good = next((row for row in rows if row is not None), None)
    if good is None:
        raise ConversionError(f"{type(step).__name__} refuses every value of one of its columns")
    errors = frozenset(r for r, row in enumerate(rows) if row is None)
    return np.array([np.zeros_like(good) if row is None else row for row in rows]), errors


# ---- codes from an encoder's categories ---------------------------------------------------------------

def unknown_value(categories: Sequence[Any]) -> Any:
    """A value equal to none of the categories, of their kind (a number for numbers, else text)."""
    known = [c for c in categories if not is_missing(c)]
    if known and all(isinstance(c, (int, float, np.integer, np.floating)) and not isinstance(c, (bool, np.bool_))
                     for c in known):
        top = max(abs(float(c)) for c in known)
        candidate = 2.0 * top + 1.5 if math.isfinite(2.0 * top + 1.5) else -1.5
        while candidate in set(map(float, known)):
            candidate = candidate / 2 + 0.25
        return candidate
    text = "\x00fastscore: no such category"
    strings = {c for c in known if isinstance(c, str)}
    while text in strings:
        text += "\x00"
    return text


def json_categories(categories: Sequence[Any], step: Any, path: str) -> Tuple[Tuple[Any, ...], bool]:
    """The categories that are not missing values, as JSON values of one type, and whether they are numbers."""
    out = []
    for c in categories:
        if is_missing(c):
            continue
        if isinstance(c, np.generic):
            c = c.item()
        out.append(c)
    kinds = {type(c) for c in out}
    if kinds <= {int, float}:
        if any(isinstance(c, int) and abs(c) > 2**53 for c in out):
            raise refuse(step, path, "it has integer categories beyond 2**53, which float64 cannot tell apart")
        return tuple(out), True
    if kinds <= {str} or kinds <= {bool}:
        return tuple(out), False
    raise refuse(step, path, "its categories mix types ("
                 + ", ".join(sorted(k.__name__ for k in kinds)) + "); fastscore converts categories that are "
                 "all strings, all numbers or all booleans")


class Probe(NamedTuple):
    """An encoder's input column read as codes: the Code, and the value each code stands for."""

    code: Code
    values: List[Any]          # one per code: the categories, then the unknown value, then the missing value
    missing_fill: Any          # the value a missing input arrives as after an imputer (None: none did)


def category_probe(f: Feature, categories: Sequence[Any], step: Any, path: str) -> Probe:
    """The Code of an encoder's column fed by Raw or Num f, with categories (categories_[i]).

    Codes 0..m-1 are the categories (missing ones left out), m is an
    unknown value and m+1 a missing one; the caller runs the encoder on
    those values to learn each code's outputs.
    """
    cats, number = json_categories(list(categories), step, path)
    if isinstance(f, Num):
        if not number:
            raise refuse(step, path, f"it encodes input {f.col} as categories {cats[:3]}..., but that input "
                                     "is a number here")
        if f.factors:
            raise refuse(step, path, "it encodes a polynomial term as categories")
        col, ops, fill = f.col, f.ops, f.fill
    elif isinstance(f, Raw):
        col, ops, fill = f.col, (), f.fill
    else:
        raise AssertionError("a Cat has its Code already")
    if any(c is None for c in categories):
        # scikit-learn keeps None apart from NaN (sklearn.utils._encode), and its imputers pass None on
        raise refuse(step, path, "it was fitted on a column holding None, which scikit-learn keeps as a "
                                 "category of its own beside NaN; fastscore reads None as a missing value "
                                 "only: fit on NaN for missing values (a column of dtype 'str' or float)")
    m = len(cats)
    code = Code(col, Encode(CATEGORIES, cats, ops), m + 2, m, m + 1, number)
    values = [*categories_of(categories), unknown_value(categories), math.nan]
    return Probe(code, values, fill)


def categories_of(categories: Sequence[Any]) -> List[Any]:
    """The categories that are not missing values, as the encoder holds them."""
    return [c for c in categories if not is_missing(c)]


def finish_probe(p: Probe, out: np.ndarray, errors: FrozenSet[int]) -> Tuple[Code, np.ndarray, FrozenSet[int]]:
    """The Code and per-code outputs of a probe, the unknown and missing codes set from what raised.

    A missing value that an imputer filled takes the code of its fill.
    """
    code = p.code
    m = code.n_codes - 2
    code.unknown = None if m in errors else m
    if p.missing_fill is not None:
        try:
            fill = p.missing_fill
            code.missing = code.coder().code_one(float(fill) if code.number else fill)
        except ValueError:
            code.missing = None
    else:
        code.missing = None if m + 1 in errors else m + 1
    return code, out, errors - {m, m + 1}


# ---- assembling the model's fields ------------------------------------------------------------------

class Assembled(NamedTuple):
    """What assemble() gives: the model fields of the input stage, and the folded coefficients."""

    front: Dict[str, Any]        # inputs, numeric, tables: their JSON form
    coef: np.ndarray             # (k, d) over the numeric columns
    intercept: np.ndarray        # (k,)
    center: Optional[np.ndarray]


def assemble(features: Sequence[Feature], coef: np.ndarray, intercept: np.ndarray, n_inputs: int,
             names: Optional[Sequence[str]], path: str) -> Assembled:
    """Fold a model's coef (k, m) over m features into numeric columns and tables."""
    k = coef.shape[0]
    intercept = intercept.astype(np.float64).copy()
    types: Dict[int, str] = {}
    numeric: List[Dict[str, Any]] = []
    columns: List[np.ndarray] = []
    centers: List[float] = []
    tables: Dict[int, Tuple[Code, np.ndarray, set]] = {}

    def typed(col: int, kind: str) -> None:
        if types.setdefault(col, kind) != kind:
            read = sorted({types[col], kind}, key=["number", "category", "text"].index)
            raise ConversionError(f"its input {_name(names, col)!r} is read both as "
                                  f"{' and as '.join(_READ_AS[r] for r in read)}")

    # First the type of each input, as its uses decide; a missing indicator reads its input as the
    # other uses do (as categories when it is the only one).
    codes: List[Code] = []
    blocks: Dict[int, Tuple[Block, np.ndarray]] = {}
    # A text column's weight, its scaling folded in and any shift into the intercept: by the
    # thousand (a hashing vectorizer has 2**20 columns), grouped by block and by the steps' kinds.
    groups: Dict[Tuple[int, Tuple[str, ...]], Tuple[Block, List[int], List[int], List[List[float]]]] = {}
    for j, f in enumerate(features):
        if type(f) is Term:
            ops = f.ops
            key = (id(f.block), tuple(op for op, _ in ops) if ops else ())
            group = groups.get(key)
            if group is None:
                if id(f.block) not in blocks:
                    typed(f.block.col, "text")
                    blocks[id(f.block)] = (f.block, np.zeros((f.block.n_features, k)))
                group = groups[key] = (f.block, [], [], [])
            group[1].append(j)
            group[2].append(f.column)
            if ops:
                group[3].append([v for _, v in ops])
            continue
        assert not isinstance(f, Term)  # for mypy: the type test above is the fast one
        for g in (f.factors if isinstance(f, Num) and f.factors else [f]):
            if isinstance(g, (Num, Raw)):
                typed(g.col, "number")
            elif g.code is not None:
                codes.append(g.code)
    for code in codes:
        if code.number is not None:
            typed(code.col, "number" if code.number else "category")
    for code in codes:
        if code.number is None:
            code.number = types.get(code.col, "category") == "number"
            typed(code.col, "number" if code.number else "category")
    for (_, names_), (block, js, cols, op_values) in groups.items():
        V = np.array(op_values, dtype=np.float64).reshape(len(js), len(names_))
        w, center, shift = _fold(coef[:, js].T.astype(np.float64),
                                 tuple((op, V[:, i:i + 1]) for i, op in enumerate(names_)))
        intercept += (shift - w * center).sum(axis=0)
        blocks[id(block)][1][cols] += w
    for j, f in enumerate(features):
        if isinstance(f, Term):
            continue
        w = coef[:, j].astype(np.float64)
        if isinstance(f, Raw):
            if f.fill is not None and not isinstance(f.fill, (int, float, np.integer, np.floating)):
                raise ConversionError(f"its input {_name(names, f.col)!r} reaches the model as text")
            f = as_num(f, "the model", path)
        if isinstance(f, Num):
            w, center, shift = _fold(w, f.ops)
            intercept += shift
            if f.factors:
                numeric.append({"product": [_factor(g, names) for g in f.factors]})
            else:
                numeric.append({"input": f.col, "fill": f.fill})
            columns.append(w)
            centers.append(center)
            continue
        values = np.asarray(f.values, dtype=np.float64)
        if f.code is None:
            intercept += w * values[0]
            continue
        entry = tables.get(id(f.code))
        if entry is None:
            entry = tables[id(f.code)] = (f.code, np.zeros((f.code.n_codes, k)), set())
        _, rows, errors = entry
        bad = ~np.isfinite(values)
        errors.update(f.errors)
        errors.update(np.flatnonzero(bad).tolist())
        rows += np.where(bad, 0.0, values)[:, None] * w[None, :]
    out_tables = []
    for code, rows, errors in tables.values():
        out_tables.append(_table(code, rows, errors, names, path))
    texts = [{"input": b.col, "analyzer": b.analyzer,
              **({"terms": b.terms} if b.terms is not None else
                 {"hashing": {"n_features": b.n_features, "alternate_sign": b.alternate_sign}}),
              "weighing": b.weighing, "coef": rows.T} for b, rows in blocks.values()]
    if not numeric and not out_tables and not texts:
        raise ConversionError("its model reads no input (every feature it sees is a constant)")
    # inputs that the model ignores stay listed: X must have them, as scikit-learn requires
    inputs = [{"name": None if names is None else str(names[i]), "type": types.get(i, "category")}
              for i in range(n_inputs)]
    coef_out = np.column_stack(columns) if columns else np.zeros((k, 0))
    front: Dict[str, Any] = {"inputs": inputs, "numeric": numeric, "tables": out_tables}
    if texts:
        front["texts"] = texts
    return Assembled(front, coef_out, intercept, np.array(centers) if any(c != 0.0 for c in centers) else None)


_READ_AS = {"number": "numbers", "category": "categories", "text": "text (documents)"}


def _name(names: Optional[Sequence[str]], col: int) -> str:
    return f"x{col}" if names is None else str(names[col])


def _factor(g: Union[Num, Cat], names: Optional[Sequence[str]]) -> Dict[str, Any]:
    """A factor of a product column: a number of an input, or a value of each code of one (a Cat)."""
    if isinstance(g, Cat):
        if g.code is None:
            raise ConversionError("a polynomial term multiplies a constant feature, which fastscore does not "
                                  "convert")
        values = np.asarray(g.values, dtype=np.float64)
        bad = ~np.isfinite(values)
        return {**_coded(g.code, set(g.errors) | set(np.flatnonzero(bad).tolist()), names),
                "values": np.where(bad, 0.0, values).tolist()}
    if g.factors:
        raise ConversionError("a polynomial term multiplies polynomial terms, which fastscore does not convert")
    d: Dict[str, Any] = {"input": g.col, "fill": g.fill}
    if g.ops:
        d["ops"] = [[op, v] for op, v in g.ops]
    return d


def _fold(w: np.ndarray, ops: Sequence[Tuple[str, Any]]) -> Tuple[np.ndarray, Any, np.ndarray]:
    """w . ops(x) as (w' . (x - center)) + shift: the first subtraction kept as the centre, the rest folded.

    As fastscore.convert.pipelines explains, the first centre is subtracted
    from the raw value exactly, as scikit-learn does; later shifts act on
    values scikit-learn has already rounded at their own magnitude.
    """
    shift = np.zeros_like(w)
    center = 0.0
    for i in range(len(ops) - 1, -1, -1):
        op, v = ops[i]
        if op == "div":
            w = w / v
        elif op == "mul":
            w = w * v
        elif op == "add":
            shift = shift + w * v
        elif i == 0:
            center = v
        else:
            shift = shift - w * v
    return w, center, shift


def _table(code: Code, rows: np.ndarray, errors: set, names: Optional[Sequence[str]], path: str) -> Dict[str, Any]:
    return {**_coded(code, errors, names), "rows": rows.tolist()}


def _coded(code: Code, errors: set, names: Optional[Sequence[str]]) -> Dict[str, Any]:
    """The JSON of a Code: input, encode, unknown, missing; a code for which scikit-learn raises is an error."""
    encode: Dict[str, Any] = {code.encode.kind: list(code.encode.values) if code.encode.kind == CATEGORIES
                              else [float(e) for e in code.encode.values]}
    if code.encode.ops:
        encode["ops"] = [[op, v] for op, v in code.encode.ops]
    unknown, missing = code.unknown, code.missing
    if unknown is not None and unknown in errors:
        unknown = None
    if missing is not None and missing in errors:
        missing = None
    special = {c for c in (code.unknown, code.missing) if c is not None}
    bad = sorted(c for c in errors if c not in special)
    if bad:
        shown = code.encode.values[bad[0]] if bad[0] < len(code.encode.values) else f"code {bad[0]}"
        raise ConversionError(f"scikit-learn raises for the value {shown!r} of its input "
                              f"{_name(names, code.col)!r}, a category it was fitted on")
    return {"input": code.col, "encode": encode, "unknown": "error" if unknown is None else unknown,
            "missing": "error" if missing is None else missing}


def bins_code(col: int, inner_edges: np.ndarray, ops: Ops, fill: Optional[float]) -> Code:
    """The Code of KBinsDiscretizer's bins (inner edges) on a number, missing values filled first or refused."""
    edges = tuple(float(e) for e in inner_edges)
    code = Code(col, Encode(BINS, np.array(edges, dtype=np.float64), ops), len(edges) + 1, None, None, True)
    if fill is not None:
        code.missing = code.coder().code_one(float(fill))
    return code


def stack_fronts(heads: Sequence[Tuple[Dict[str, Any], np.ndarray, np.ndarray, Optional[np.ndarray]]]) -> Assembled:
    """One input stage computing several heads' z: (front, coef (k_h, d_h), intercept, center) each.

    The heads (a CalibratedClassifierCV's members, each a pipeline fitted on
    its own fold) read the same inputs; their numeric columns are put side
    by side, their coefficients block by block, and each table's rows get
    zeros for the other heads' outputs.
    """
    first = heads[0][0]["inputs"]
    for front, *_ in heads:
        if [x["name"] for x in front["inputs"]] != [x["name"] for x in first]:
            raise ConversionError("its members read different inputs")
    types: Dict[int, str] = {}
    for front, *_ in heads:
        used = {c["input"] for c in front["numeric"] if "input" in c} | {t["input"] for t in front["tables"]} | \
            {f["input"] for c in front["numeric"] for f in c.get("product", [])} | \
            {b["input"] for b in front.get("texts", [])}
        for i in used:
            if types.setdefault(i, front["inputs"][i]["type"]) != front["inputs"][i]["type"]:
                raise ConversionError(f"its members read input {i} both as numbers and as categories")
    total = sum(coef.shape[0] for _, coef, _, _ in heads)
    width = sum(coef.shape[1] for _, coef, _, _ in heads)
    coef_out = np.zeros((total, width))
    numeric: List[Dict[str, Any]] = []
    tables: List[Dict[str, Any]] = []
    texts: List[Dict[str, Any]] = []
    centers: List[float] = []
    row = col = 0
    for front, coef, _, center in heads:
        k, d = coef.shape
        coef_out[row:row + k, col:col + d] = coef
        numeric.extend(front["numeric"])
        centers.extend([0.0] * d if center is None else [float(c) for c in center])
        for t in front["tables"]:
            rows = np.zeros((len(t["rows"]), total))
            rows[:, row:row + k] = np.asarray(t["rows"], dtype=np.float64).reshape(len(t["rows"]), k)
            tables.append({**t, "rows": rows.tolist()})
        for b in front.get("texts", []):
            block_coef = np.asarray(b["coef"], dtype=np.float64).reshape(k, -1)
            wide = np.zeros((total, block_coef.shape[1]))
            wide[row:row + k] = block_coef
            texts.append({**b, "coef": wide})
        row, col = row + k, col + d
    inputs = [{"name": x["name"], "type": types.get(i, x["type"])} for i, x in enumerate(first)]
    stacked: Dict[str, Any] = {"inputs": inputs, "numeric": numeric, "tables": tables}
    if texts:
        stacked["texts"] = texts
    return Assembled(stacked, coef_out,
                     np.concatenate([np.asarray(i, dtype=np.float64).reshape(-1) for _, _, i, _ in heads]),
                     np.array(centers) if any(c != 0.0 for c in centers) else None)

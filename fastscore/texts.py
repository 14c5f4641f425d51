"""A model's text blocks (the field "texts", format version 3): documents -> term columns -> z.

A text block reads one text input, a document (str, or bytes decoded with
its encoding) per row, and does what scikit-learn's vectorizers do with it:
the analyzer's features (fastscore.text.build_analyzer's settings) counted
over a vocabulary (CountVectorizer, TfidfVectorizer: term i is column i) or
hashed into n_features columns (HashingVectorizer), then each weighing in
order (binary, sublinear_tf, idf, norm: a vectorizer's own and a
TfidfTransformer's). The row of values v then adds

    z += sum over the row's columns j, in column order, of v[j] * coef[:, j]

where coef (k, n_columns) are the model's coefficients of those columns (a
scaler after the vectorizer folded in). docs/FORMAT.md specifies the
fields; check() is their one validation; TextScorer scores one block on a
backend, in chunks of documents so that the working memory stays bounded.
"""
import math
import re
from collections.abc import Mapping
from typing import Any, Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from fastscore import _backend, _checks
from fastscore._checks import FLAT, MATRIX
from fastscore._validate import (MAX_FEATURES, FieldError, index_field, numbers_field, object_field, rows_field,
                                 text, what)
from fastscore.links import LINKS
from fastscore.text import DEFAULTS, check_settings

NORMS = ("l1", "l2")
# HashingVectorizer's n_features is a positive 32-bit int; the coefficients are held dense.
MAX_HASHED = 2**31 - 1
# Documents counted and scored at once: the CSR of a chunk is the working memory.
CHUNK = 4096


class Weighing(NamedTuple):
    """One weighing of a row's values: binary, then log(v) + 1, then times idf[column], then a norm."""

    binary: bool
    sublinear_tf: bool
    idf: Optional[np.ndarray]     # (n_columns,) float64, read-only; None: no idf
    norm: Optional[str]           # "l1", "l2" or None


class Text(NamedTuple):
    """A validated text block."""

    input: int
    analyzer: Dict[str, Any]      # fastscore.text.check_settings' dict
    terms: Optional[Tuple[str, ...]]   # the vocabulary in column order; None: hashing
    n_features: int               # the columns: len(terms), or the hashing's n_features
    alternate_sign: bool          # hashing only
    weighing: Tuple[Weighing, ...]
    coef: np.ndarray              # (k, n_features) float64, read-only: each output's coefficient of each column


# ---- validation -------------------------------------------------------------------------------------

def check(value: Any, inputs: Sequence[Any], k: int) -> Tuple[Text, ...]:
    """Validate the field "texts" (its JSON value, or Text blocks) against the inputs and k outputs."""
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)) or len(value) > MAX_FEATURES:
        raise FieldError(f"field 'texts' must be a list of text blocks, got {what(value)}")
    if all(isinstance(b, Text) for b in value):
        value = [to_json_block(b) for b in value]
    return tuple(_block(b, f"texts[{i}]", inputs, k) for i, b in enumerate(value))


def _block(value: Any, where: str, inputs: Sequence[Any], k: int) -> Text:
    d = object_field(value, where, ("input", "analyzer", "weighing", "coef"), ("terms", "hashing", "columns"))
    i = index_field(d["input"], f"{where}.input", len(inputs), "an input")
    if inputs[i].type != "text":
        raise FieldError(f"field '{where}.input' must be a text input, but inputs[{i}] is a {inputs[i].type}")
    analyzer = _analyzer(d["analyzer"], f"{where}.analyzer")
    if ("terms" in d) == ("hashing" in d):
        raise FieldError(f"field {where!r} must have exactly one of 'terms' and 'hashing'")
    terms: Optional[Tuple[str, ...]] = None
    alternate_sign = False
    if "terms" in d:
        terms = _terms(d["terms"], f"{where}.terms")
        n = len(terms)
    else:
        h = object_field(d["hashing"], f"{where}.hashing", ("n_features", "alternate_sign"), ())
        n = h["n_features"]
        if type(n) is not int or not 1 <= n <= min(MAX_HASHED, MAX_FEATURES // max(k, 1)):
            raise FieldError(f"field '{where}.hashing.n_features' must be an integer from 1 to "
                             f"{min(MAX_HASHED, MAX_FEATURES // max(k, 1))}, got {what(n)}")
        alternate_sign = h["alternate_sign"]
        if not isinstance(alternate_sign, bool):
            raise FieldError(f"field '{where}.hashing.alternate_sign' must be true or false, "
                             f"got {what(alternate_sign)}")
    weighing = d["weighing"]
    if not isinstance(weighing, (list, tuple)) or len(weighing) > 8:
        raise FieldError(f"field '{where}.weighing' must be a list of at most 8 weighings, got {what(weighing)}")
    steps = tuple(_weighing(w, f"{where}.weighing[{j}]", n) for j, w in enumerate(weighing))
    if alternate_sign and any(w.sublinear_tf for w in steps):
        raise FieldError(f"field '{where}.weighing' takes the log of hashed counts that may be negative "
                         "or zero (alternate_sign)")
    columns = _columns(d["columns"], f"{where}.columns", n) if "columns" in d else None
    width = n if columns is None else len(columns)
    if not isinstance(d["coef"], (list, tuple, np.ndarray)) or len(d["coef"]) != k:
        raise FieldError(f"field '{where}.coef' must be {k} rows (one per output) of {width} numbers (one per "
                         f"{'column' if columns is None else 'entry of columns'}), got {what(d['coef'])}")
    coef = rows_field(d["coef"], f"{where}.coef", width)
    if columns is not None:
        full = np.zeros((k, n))
        full[:, columns] = coef
        coef = full
        coef.flags.writeable = False
    return Text(i, analyzer, terms, n, alternate_sign, steps, coef)


def _analyzer(value: Any, where: str) -> Dict[str, Any]:
    d = object_field(value, where, tuple(DEFAULTS), ())
    if d["stop_words"] is not None and isinstance(d["stop_words"], list):
        for j, w in enumerate(d["stop_words"]):
            text(w, f"{where}.stop_words[{j}]")
    try:
        return check_settings(d)
    except (TypeError, ValueError) as exc:
        raise FieldError(f"field {where!r}: {exc}") from None


def _terms(value: Any, where: str) -> Tuple[str, ...]:
    if not isinstance(value, (list, tuple)) or not 1 <= len(value) <= MAX_FEATURES:
        raise FieldError(f"field {where!r} must be a list of 1 to {MAX_FEATURES} terms, got {what(value)}")
    try:  # at C speed where every term is a str of valid Unicode; else one by one, naming the bad one
        if not set(map(type, value)) <= {str}:
            raise TypeError
        "".join(value).encode("utf-8")
        terms = tuple(value)
    except (TypeError, UnicodeEncodeError):
        terms = tuple(text(t, f"{where}[{j}]") for j, t in enumerate(value))
    if len(set(terms)) != len(terms):
        seen: Dict[str, int] = {}
        for j, t in enumerate(terms):
            if t in seen:
                raise FieldError(f"field '{where}[{j}]' repeats the term {t[:40]!r} of {where}[{seen[t]}]")
            seen[t] = j
    return terms


def _weighing(value: Any, where: str, n: int) -> Weighing:
    d = object_field(value, where, ("binary", "sublinear_tf", "idf", "norm"), ())
    for key in ("binary", "sublinear_tf"):
        if not isinstance(d[key], bool):
            raise FieldError(f"field '{where}.{key}' must be true or false, got {what(d[key])}")
    idf = d["idf"]
    if idf is not None:
        if not isinstance(idf, (list, tuple, np.ndarray)) or len(idf) != n:
            raise FieldError(f"field '{where}.idf' must be null or a list of {n} numbers (one per column), "
                             f"got {what(idf)}")
        # null: an infinite weight (smooth_idf=False, a term no training document had), which
        # makes scikit-learn raise for any document holding the term
        infinite = [j for j, x in enumerate(idf) if x is None] if not isinstance(idf, np.ndarray) else []
        if infinite:
            idf = [1.0 if x is None else x for x in idf]
        idf = numbers_field(idf, f"{where}.idf", n)
        if infinite:
            idf = idf.copy()
            idf[infinite] = math.inf
            idf.flags.writeable = False
    if d["norm"] is not None and d["norm"] not in NORMS:
        raise FieldError(f"field '{where}.norm' must be 'l1', 'l2' or null, got {what(d['norm'])}")
    return Weighing(d["binary"], d["sublinear_tf"], idf, d["norm"])


def _columns(value: Any, where: str, n: int) -> np.ndarray:
    if not isinstance(value, (list, tuple, np.ndarray)) or not 1 <= len(value) <= n:
        raise FieldError(f"field {where!r} must be a list of 1 to {n} columns, got {what(value)}")
    out = np.array([index_field(c, f"{where}[{j}]", n, "a column") for j, c in enumerate(value)], dtype=np.int64)
    if np.any(np.diff(out) <= 0):
        raise FieldError(f"field {where!r} must be increasing")
    return out


# ---- the JSON form ----------------------------------------------------------------------------------

def to_json_block(b: Text) -> Dict[str, Any]:
    """A block's JSON value; a hashing block lists only the columns whose coefficients are not all zero."""
    analyzer = {**b.analyzer, "ngram_range": list(b.analyzer["ngram_range"])}
    d: Dict[str, Any] = {"input": b.input, "analyzer": analyzer}
    if b.terms is not None:
        d["terms"] = list(b.terms)
    else:
        d["hashing"] = {"n_features": b.n_features, "alternate_sign": b.alternate_sign}
    d["weighing"] = [{"binary": w.binary, "sublinear_tf": w.sublinear_tf,
                      "idf": None if w.idf is None else [None if x == math.inf else x for x in w.idf.tolist()],
                      "norm": w.norm} for w in b.weighing]
    if b.terms is None:
        used = np.flatnonzero(np.any(b.coef != 0.0, axis=0))
        if len(used) == 0:
            used = np.array([0])
        d["columns"] = used.tolist()
        d["coef"] = b.coef[:, used].tolist()
    else:
        d["coef"] = b.coef.tolist()
    return d


# ---- scoring -----------------------------------------------------------------------------------------

def documents(column: Any, name: str) -> List[Any]:
    """A column of documents as a list (str or bytes each; anything else is the counter's error)."""
    if isinstance(column, (str, bytes)):
        raise TypeError(f"{name} must be a sequence of documents, got one {type(column).__name__}: "
                        "give a list of them (score_one scores one)")
    if isinstance(column, list):
        return column
    if hasattr(column, "columns") or isinstance(column, Mapping) or getattr(column, "ndim", 1) != 1:
        # a table's column names, or an array's rows, are not documents (scikit-learn would read them so)
        raise TypeError(f"{name} must be a sequence of documents (str or bytes), got a "
                        f"{type(column).__name__}{' of shape ' + str(column.shape) if hasattr(column, 'shape') else ''}"
                        ": give its text column")
    for method in ("to_pylist", "to_list", "tolist"):  # pyarrow, polars, numpy and pandas
        f = getattr(column, method, None)
        if f is not None:
            docs = f()
            if isinstance(docs, list):
                return docs
    return list(column)


class TextScorer:
    """One text block on one backend: documents -> counts -> weighings -> sums with its coefficients."""

    def __init__(self, block: Text, name: str, backend: Optional[str], intercept: Optional[np.ndarray] = None):
        """intercept: the model's, when this block is the whole model (scored with its link); else zeros."""
        mod = _backend.text_module(backend)
        self.block, self.name = block, name
        if block.terms is not None:
            self._counter = mod.Counter(block.analyzer, block.terms)
        else:
            self._counter = mod.Counter(block.analyzer, n_features=block.n_features,
                                        alternate_sign=block.alternate_sign)
        self._weigh, self._row_z = mod.weigh, mod.row_z
        k = block.coef.shape[0]
        self.n_outputs = k
        self._kernel = _backend.kernel_class(backend)(block.coef, np.zeros(k) if intercept is None else intercept)
        # score_one's: each output's coefficients by column (the kernel's own rows), the intercepts as floats
        self._columns = list(self._kernel.coef)
        self._intercept = [0.0] * k if intercept is None else [float(b) for b in intercept]

    def _weighed(self, indptr: np.ndarray, indices: np.ndarray, data: np.ndarray) -> None:
        for w in self.block.weighing:
            self._weigh(indptr, indices, data, binary=w.binary, sublinear_tf=w.sublinear_tf, idf=w.idf,
                        norm=w.norm)

    def score(self, docs: List[Any], link: int, out: Optional[np.ndarray] = None, *, layout: int = MATRIX,
              n_threads: int = 0) -> np.ndarray:
        """link(z) of each document, z its block's sum (plus the intercept given), in layout."""
        n = len(docs)
        shape = (n,) if layout == FLAT else (n, 2) if layout == _checks.BINARY_PROBA else (n, self.n_outputs)
        if out is None:
            out = np.empty(shape)
        elif out.shape != shape:
            raise ValueError(f"out must have shape {shape}, got {out.shape}")
        for start in range(0, n, CHUNK):
            stop = min(n, start + CHUNK)
            try:
                indptr, indices, data = self._counter.count(docs[start:stop])
            except TypeError as exc:
                raise TypeError(self._located(exc, start)) from None
            self._weighed(indptr, indices, data)
            indptr, indices = _one_dtype(indptr, indices)
            try:
                self._kernel.score_sparse(data, indices, indptr, stop - start, link, out[start:stop], layout=layout,
                                          n_threads=n_threads)
            except ValueError as exc:
                m = re.search(r"row (\d+), column (\d+)", str(exc))
                if m is None:
                    raise
                raise self._infinite(start + int(m.group(1)), int(m.group(2))) from None
        return out

    def _infinite(self, row: int, column: int) -> ValueError:
        """The error for a document whose weighed row is not finite: it holds a term of infinite idf."""
        term = repr(self.block.terms[column]) if self.block.terms is not None else f"hashed column {column}"
        return ValueError(f"{self.name}: document {row} holds the term {term}, whose idf weight is infinite "
                          "(smooth_idf=False, and no training document had it): scikit-learn raises for it")

    def _located(self, exc: Exception, start: int) -> str:
        message = str(exc)
        words = message.split()
        if start and len(words) > 1 and words[0] == "document" and words[1].isdigit():
            message = f"document {int(words[1]) + start} " + " ".join(words[2:])
        return f"{self.name}: {message}"

    def score_one(self, doc: Any, link: int) -> Any:
        """link(z) of one document: a float for one output, else a tuple of k floats.

        z is summed as the sparse kernel sums a row (from 0 in column order, the intercept last),
        here in Python floats, which round the same: score_one equals score's row to the bit.
        """
        if not isinstance(doc, (str, bytes)):
            raise TypeError(f"{self.name} must be a str or bytes document, got {type(doc).__name__}")
        indices, data = self._counter.count_one(doc)
        try:
            if self.n_outputs == 1:
                z = [self._row_z(indices, data, self.block.weighing, self._columns[0], self._intercept[0])]
            else:
                z = [self._row_z(indices, data.copy(), self.block.weighing, w, b)
                     for w, b in zip(self._columns, self._intercept)]
        except ValueError as exc:
            m = re.search(r"not finite in column (\d+)", str(exc))
            if m is None:
                raise
            raise self._infinite(0, int(m.group(1))) from None
        scalar = LINKS[link].scalar
        if self.n_outputs == 1 and scalar is not None:
            return scalar(z[0])
        Z = np.array([z])
        LINKS[link].apply(Z)
        return float(Z[0, 0]) if self.n_outputs == 1 else tuple(Z[0].tolist())


def _one_dtype(indptr: np.ndarray, indices: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """The sparse kernel takes one index dtype: int32 where the offsets fit, else int64."""
    if indptr.dtype == indices.dtype:
        return indptr, indices
    if indptr[-1] < 2**31:
        return indptr.astype(np.int32), indices.astype(np.int32, copy=False)
    return indptr.astype(np.int64, copy=False), indices.astype(np.int64)


__all__ = ["Text", "Weighing", "TextScorer", "check", "to_json_block", "documents", "CHUNK"]

"""Text to features exactly as scikit-learn's vectorizers turn it, with numpy and the standard library only.

build_analyzer(settings) returns what CountVectorizer.build_analyzer() and
HashingVectorizer.build_analyzer() return for the same settings: a callable
taking one document (str, or bytes decoded with the settings' encoding) to
its list of features. Each step is scikit-learn's, transcribed
(sklearn/feature_extraction/text.py): decode, str.lower, strip_accents
("ascii": NFKD then ASCII only; "unicode": NFKD then no combining character),
then either tokens (Python's `re` with token_pattern, findall) less the stop
words, joined into word n-grams; or character n-grams over the text with
runs of white space made one space ("char"), or within the white-space
separated words padded with one space each side ("char_wb"). It runs on the
Unicode database of the running Python, as scikit-learn does.

The hashing is HashingVectorizer's: MurmurHash3 x86 32-bit, seed 0, of each
feature's UTF-8 bytes, signed (scikit-learn's murmurhash3_32, positive=False);
the column is abs(h) % n_features (2**31 % n_features for h = -2**31), the
value +1 (h >= 0) or -1 (h < 0) with alternate_sign, else +1, summed per
column (hashed_counts). count_terms is CountVectorizer's row of a document's
features, and weigh_row the steps after it (binary, sublinear_tf, idf, norm)
that TfidfTransformer and normalize take, in their order and rounding.
fastscore._kernel's murmurhash3_32_many and hash_columns are
the compiled hashing, to the bit.

Counter and weigh are the whole of a vectorizer's transform, a batch at a
time: Counter.count turns documents into the CSR rows of counts (a
vocabulary's, or the hashing's), weigh applies binary, sublinear_tf, idf and
the norm to them in place. fastscore._text has the same two names, compiled,
giving the same numbers to the bit; fastscore._backend.text_module picks one.
"""
import math
import re
import unicodedata
from typing import Any, Callable, Dict, FrozenSet, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np

__all__ = ["DEFAULTS", "ANALYZERS", "check_settings", "build_analyzer", "strip_accents_ascii",
           "strip_accents_unicode", "murmurhash3_32", "murmurhash3_32_many", "hash_columns",
           "hash_signs", "hashed_counts", "count_terms", "weigh_row", "row_z", "Counter", "weigh"]

#: The analyzers scikit-learn's vectorizers name, besides a callable (which a model file cannot hold).
ANALYZERS = ("word", "char", "char_wb")

#: Every setting, with scikit-learn's default. "stop_words" is None or the list itself: the
#: converter freezes "english" into its words, so that the runtime never imports scikit-learn.
DEFAULTS: Dict[str, Any] = {
    "analyzer": "word",
    "lowercase": True,
    "strip_accents": None,
    "token_pattern": r"(?u)\b\w\w+\b",
    "stop_words": None,
    "ngram_range": (1, 1),
    "encoding": "utf-8",
    "decode_error": "strict",
}

_STRIP_ACCENTS = (None, "ascii", "unicode")
_DECODE_ERRORS = ("strict", "ignore", "replace")
# scikit-learn's _VectorizerMixin._white_spaces: runs of two or more (a lone tab stays a tab).
_WHITE_SPACES = re.compile(r"\s\s+")

Analyzer = Callable[[Union[str, bytes]], List[str]]


def strip_accents_unicode(s: str) -> str:
    """s in NFKD without its combining characters; s itself when it is ASCII (scikit-learn's function)."""
    if s.isascii():  # scikit-learn's try of s.encode("ASCII"): the same test
        return s
    return "".join([c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c)])


def strip_accents_ascii(s: str) -> str:
    """The ASCII characters of s in NFKD, every other one dropped (scikit-learn's function)."""
    if s.isascii():  # NFKD leaves ASCII as it is
        return s
    return unicodedata.normalize("NFKD", s).encode("ASCII", "ignore").decode("ASCII")


def check_settings(settings: Mapping[str, Any]) -> Dict[str, Any]:
    """The complete settings (DEFAULTS for those missing), checked; ValueError or TypeError naming a bad one.

    Refused: an unknown key, an analyzer other than ANALYZERS, strip_accents
    other than None/"ascii"/"unicode", a token_pattern that is not a str
    compiling with at most one group, stop_words that are not None or a
    list of str (a string such as "english" included), an ngram_range other
    than two ints 1 <= min_n <= max_n (scikit-learn accepts a min_n of 0 or
    below and makes empty or clipped n-grams of it), an encoding that is not
    a text encoding Python knows, a decode_error other than "strict"/"ignore"/"replace".
    """
    if not isinstance(settings, Mapping):
        raise TypeError(f"text settings must be a dict, not {type(settings).__name__}")
    unknown = sorted(set(settings) - set(DEFAULTS), key=str)
    if unknown:
        raise ValueError(f"unknown text setting {unknown[0]!r}; the settings are {sorted(DEFAULTS)}")
    s = {**DEFAULTS, **settings}
    if s["analyzer"] not in ANALYZERS:
        raise ValueError(f"analyzer must be one of {list(ANALYZERS)}, not {s['analyzer']!r}")
    if not isinstance(s["lowercase"], bool):
        raise TypeError(f"lowercase must be true or false, not {s['lowercase']!r}")
    if s["strip_accents"] not in _STRIP_ACCENTS:
        raise ValueError(f"strip_accents must be None, 'ascii' or 'unicode', not {s['strip_accents']!r}")
    pattern = s["token_pattern"]
    if not isinstance(pattern, str):
        raise TypeError(f"token_pattern must be a str, not {type(pattern).__name__}")
    try:
        groups = re.compile(pattern).groups
    except re.error as exc:
        raise ValueError(f"token_pattern {pattern!r} does not compile: {exc}") from None
    if groups > 1:
        # scikit-learn's own refusal, raised where it builds the tokenizer
        raise ValueError(f"token_pattern {pattern!r} has {groups} capturing groups; at most 1 is allowed")
    stop = s["stop_words"]
    if stop is not None:
        if not isinstance(stop, (list, tuple)) or not all(isinstance(w, str) for w in stop):
            raise TypeError("stop_words must be None or a list of str (a name such as 'english' is "
                            "frozen into its list of words on conversion)")
        s["stop_words"] = list(stop)
    ngram = s["ngram_range"]
    if (not isinstance(ngram, (list, tuple)) or len(ngram) != 2
            or not all(isinstance(n, int) and not isinstance(n, bool) for n in ngram)):
        raise TypeError(f"ngram_range must be two ints (min_n, max_n), not {ngram!r}")
    if not 1 <= ngram[0] <= ngram[1]:
        raise ValueError(f"ngram_range must have 1 <= min_n <= max_n, not {tuple(ngram)}")
    s["ngram_range"] = (ngram[0], ngram[1])
    if not isinstance(s["encoding"], str):
        raise TypeError(f"encoding must be a str, not {type(s['encoding']).__name__}")
    try:
        b"a".decode(s["encoding"], "ignore")  # empty bytes decode with any name
    except LookupError:
        raise ValueError(f"encoding {s['encoding']!r} is not a text encoding Python knows") from None
    if s["decode_error"] not in _DECODE_ERRORS:
        raise ValueError(f"decode_error must be one of {list(_DECODE_ERRORS)}, not {s['decode_error']!r}")
    return s


def build_analyzer(settings: Mapping[str, Any]) -> Analyzer:
    """A callable doc -> list of features (str), as scikit-learn's build_analyzer() for these settings.

    settings: see DEFAULTS and check_settings. The callable takes a str, or
    bytes (decoded with encoding and decode_error, as scikit-learn does with
    input="content"); anything else raises TypeError. Its features are the
    n-grams in scikit-learn's order, repeats kept.
    """
    s = check_settings(settings)
    preprocess = _preprocessor(s["lowercase"], s["strip_accents"])
    min_n, max_n = s["ngram_range"]
    encoding, errors = s["encoding"], s["decode_error"]
    if s["analyzer"] == "word":
        findall = re.compile(s["token_pattern"]).findall
        stop: Optional[FrozenSet[str]] = None if s["stop_words"] is None else frozenset(s["stop_words"])

        def analyze(doc: Union[str, bytes]) -> List[str]:
            return _word_ngrams(findall(preprocess(_decode(doc, encoding, errors))), stop, min_n, max_n)
    else:
        ngrams = _char_ngrams if s["analyzer"] == "char" else _char_wb_ngrams

        def analyze(doc: Union[str, bytes]) -> List[str]:
            return ngrams(preprocess(_decode(doc, encoding, errors)), min_n, max_n)
    return analyze


def _decode(doc: Union[str, bytes], encoding: str, errors: str) -> str:
    if isinstance(doc, str):
        return doc
    if isinstance(doc, bytes):
        return doc.decode(encoding, errors)
    raise TypeError(f"a document must be str or bytes, not {type(doc).__name__}")


def _preprocessor(lowercase: bool, strip_accents: Optional[str]) -> Callable[[str], str]:
    strip = {None: None, "ascii": strip_accents_ascii, "unicode": strip_accents_unicode}[strip_accents]
    if strip is None:
        return str.lower if lowercase else _same
    if lowercase:
        return lambda doc: strip(doc.lower())
    return strip


def _same(doc: str) -> str:
    return doc


def _word_ngrams(tokens: List[str], stop_words: Optional[FrozenSet[str]], min_n: int, max_n: int) -> List[str]:
    # scikit-learn's _VectorizerMixin._word_ngrams, for 1 <= min_n <= max_n
    if stop_words is not None:
        tokens = [w for w in tokens if w not in stop_words]
    if max_n == 1:
        return tokens
    original = tokens
    if min_n == 1:
        tokens = list(original)
        min_n += 1
    else:
        tokens = []
    n_original = len(original)
    for n in range(min_n, min(max_n + 1, n_original + 1)):
        for i in range(n_original - n + 1):
            tokens.append(" ".join(original[i: i + n]))
    return tokens


def _char_ngrams(text: str, min_n: int, max_n: int) -> List[str]:
    # scikit-learn's _VectorizerMixin._char_ngrams, for 1 <= min_n <= max_n
    text = _WHITE_SPACES.sub(" ", text)
    text_len = len(text)
    if min_n == 1:
        ngrams = list(text)
        min_n += 1
    else:
        ngrams = []
    for n in range(min_n, min(max_n + 1, text_len + 1)):
        for i in range(text_len - n + 1):
            ngrams.append(text[i: i + n])
    return ngrams


def _char_wb_ngrams(text: str, min_n: int, max_n: int) -> List[str]:
    # scikit-learn's _VectorizerMixin._char_wb_ngrams, for 1 <= min_n <= max_n
    text = _WHITE_SPACES.sub(" ", text)
    ngrams: List[str] = []
    for w in text.split():
        w = " " + w + " "
        w_len = len(w)
        for n in range(min_n, max_n + 1):
            offset = 0
            ngrams.append(w[offset: offset + n])
            while offset + n < w_len:
                offset += 1
                ngrams.append(w[offset: offset + n])
            if offset == 0:  # a word shorter than n counts once, at its first n
                break
    return ngrams


_MASK = 0xFFFFFFFF


def murmurhash3_32(key: Union[str, bytes], seed: int = 0) -> int:
    """MurmurHash3 x86 32-bit of key (a str's UTF-8 bytes), signed: scikit-learn's murmurhash3_32(key, seed).

    A str that UTF-8 cannot encode (a lone surrogate) raises UnicodeEncodeError, as there.
    """
    data = key.encode("utf-8") if isinstance(key, str) else key
    if not isinstance(data, bytes):
        raise TypeError(f"murmurhash3_32 hashes str or bytes, not {type(key).__name__}")
    h = seed & _MASK
    n_blocks = len(data) // 4
    for k in np.frombuffer(data, dtype="<u4", count=n_blocks).tolist():
        k = (k * 0xCC9E2D51) & _MASK
        k = ((k << 15) | (k >> 17)) & _MASK
        k = (k * 0x1B873593) & _MASK
        h ^= k
        h = ((h << 13) | (h >> 19)) & _MASK
        h = (h * 5 + 0xE6546B64) & _MASK
    tail = data[4 * n_blocks:]
    if tail:
        k = int.from_bytes(tail, "little")
        k = (k * 0xCC9E2D51) & _MASK
        k = ((k << 15) | (k >> 17)) & _MASK
        k = (k * 0x1B873593) & _MASK
        h ^= k
    h ^= len(data) & _MASK
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _MASK
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _MASK
    h ^= h >> 16
    return h - (1 << 32) if h & 0x80000000 else h


def murmurhash3_32_many(keys: Sequence[Union[str, bytes]]) -> np.ndarray:
    """murmurhash3_32(key) of each key, seed 0: an int32 array (fastscore._kernel's function, in Python)."""
    return np.array([murmurhash3_32(key) for key in keys], dtype=np.int32)


def hash_columns(hashes: np.ndarray, n_features: int) -> np.ndarray:
    """abs(h) % n_features of each int32 hash, as int64, where abs(-2**31) is 2**31: HashingVectorizer's columns.

    n_features: 1 to 2**31 - 1, as scikit-learn allows. fastscore._kernel.hash_columns is the same in C.
    """
    if isinstance(n_features, bool) or not isinstance(n_features, (int, np.integer)) \
            or not 1 <= n_features <= 2**31 - 1:
        raise ValueError(f"n_features must be an int from 1 to 2**31 - 1, not {n_features!r}")
    return np.abs(np.asarray(hashes, dtype=np.int32).astype(np.int64).reshape(-1)) % int(n_features)


def hash_signs(hashes: np.ndarray, alternate_sign: bool) -> np.ndarray:
    """HashingVectorizer's value of each hashed feature, float64: +1 for h >= 0, -1 below; +1 without alternate_sign."""
    h = np.asarray(hashes, dtype=np.int32).reshape(-1)
    return np.where(h >= 0, 1.0, -1.0) if alternate_sign else np.ones(h.shape)


def hashed_counts(features: Sequence[str], n_features: int, alternate_sign: bool,
                  hashes: Optional[np.ndarray] = None) -> Tuple[np.ndarray, np.ndarray]:
    """One document's row of HashingVectorizer(norm=None).transform: (sorted columns int64, values float64).

    The signed values summed per column; a column whose values cancel stays,
    holding 0.0, as scipy's sum_duplicates keeps it (binary=True then makes
    it 1.0 in scikit-learn). hashes: murmurhash3_32_many(features) when
    already computed (by either backend).
    """
    if hashes is None:
        hashes = murmurhash3_32_many(features)
    unique, inverse = np.unique(hash_columns(hashes, n_features), return_inverse=True)
    values = np.zeros(unique.shape)
    # np.add.at sums in the features' order: small integers, exact in float64 whatever the order.
    np.add.at(values, inverse.reshape(-1), hash_signs(hashes, alternate_sign))
    return unique, values


def count_terms(features: Sequence[str], vocabulary: Mapping[str, int]) -> Tuple[np.ndarray, np.ndarray]:
    """One document's row of CountVectorizer.transform: (sorted columns int64, counts float64).

    A feature outside the vocabulary (term -> column) is skipped, as there.
    """
    counts: Dict[int, int] = {}
    for feature in features:
        column = vocabulary.get(feature)
        if column is not None:
            counts[column] = counts.get(column, 0) + 1
    columns = np.array(sorted(counts), dtype=np.int64)
    return columns, np.array([counts[c] for c in columns.tolist()], dtype=np.float64)


def weigh_row(columns: np.ndarray, values: np.ndarray, *, binary: bool = False, sublinear_tf: bool = False,
              idf: Optional[np.ndarray] = None, norm: Optional[str] = None) -> np.ndarray:
    """The row's values after scikit-learn's steps, in its order and rounding: float64, a new array.

    columns (sorted, distinct) and values: a row of count_terms or
    hashed_counts. binary makes every value 1.0 (CountVectorizer's and
    HashingVectorizer's binary, a stored 0.0 included); sublinear_tf
    replaces a value v by log(v) + 1 (numpy's log, as TfidfTransformer);
    idf multiplies the value of column j by idf[j]; norm ("l1", "l2" or
    None) divides the row by the sum of |v| or the square root of the sum
    of v * v, each sum accumulated left to right in column order (a row
    summing to 0 is left as it is), as sklearn.preprocessing.normalize.
    """
    v = np.array(values, dtype=np.float64)
    if binary:
        v.fill(1.0)
    if sublinear_tf:
        np.log(v, out=v)
        v += 1.0
    if idf is not None:
        v *= np.asarray(idf, dtype=np.float64)[np.asarray(columns, dtype=np.int64)]
    if norm is not None:
        if norm not in ("l1", "l2"):
            raise ValueError(f"norm must be 'l1', 'l2' or None, not {norm!r}")
        # cumsum adds left to right as scikit-learn's loop does; np.sum would add pairwise
        total = float(np.cumsum(np.abs(v) if norm == "l1" else v * v)[-1]) if v.size else 0.0
        if total != 0.0:
            v /= total if norm == "l1" else np.sqrt(total)
    return v


def not_a_document(doc: Any, position: Optional[int]) -> str:
    """The message of the TypeError for a document that is neither str nor bytes (position None: the only one)."""
    name = type(doc).__name__
    article = "an" if name[:1].lower() in "aeiou" else "a"
    where = "the document" if position is None else f"document {position}"
    return f"{where} is {article} {name}, not str or bytes"


def check_counter(settings: Mapping[str, Any], terms: Optional[Sequence[str]], n_features: Optional[int],
                  alternate_sign: bool) -> Tuple[Dict[str, Any], Optional[List[str]], Optional[int]]:
    """Counter's arguments checked: (complete settings, terms as a list or None, n_features or None).

    ValueError or TypeError naming the problem: both or neither of terms and
    n_features, a term that is not a str, an empty vocabulary, n_features
    outside 1 to 2**31 - 1, an alternate_sign that is not a bool. Repeated
    terms are the caller's to find (term_twice gives the message).
    """
    s = check_settings(settings)
    if (terms is None) == (n_features is None):
        raise ValueError("give exactly one of terms (a vocabulary) and n_features (hashing)")
    if not isinstance(alternate_sign, bool):
        raise TypeError(f"alternate_sign must be true or false, not {alternate_sign!r}")
    if n_features is not None:
        if isinstance(n_features, bool) or not isinstance(n_features, (int, np.integer)) \
                or not 1 <= n_features <= 2**31 - 1:
            raise ValueError(f"n_features must be an int from 1 to 2**31 - 1, not {n_features!r}")
        return s, None, int(n_features)
    if terms is None or isinstance(terms, (str, bytes, Mapping)):
        raise TypeError(f"terms must be a sequence of str in column order, not a {type(terms).__name__}")
    term_list = list(terms)
    for j, term in enumerate(term_list):
        if not isinstance(term, str):
            raise TypeError(f"term {j} of the vocabulary is {type(term).__name__}, not str")
    if not term_list:
        raise ValueError("the vocabulary is empty")  # scikit-learn refuses an empty vocabulary too
    if len(term_list) >= 2**31 - 1:
        raise ValueError(f"the vocabulary has {len(term_list)} terms; at most 2**31 - 2 are allowed")
    return s, term_list, None


def term_twice(terms: Sequence[str], later: int) -> str:
    """The message of the ValueError for terms[later], which repeats an earlier term."""
    term = terms[later]
    return f"term {term!r} is in the vocabulary twice (columns {list(terms).index(term)} and {later})"


class Counter:
    """One vectorizer's analyzer and its feature -> column map (a vocabulary, or hashing).

    settings: check_settings' dict. Exactly one of terms (the vocabulary in
    column order: term i is column i, each once) and n_features
    (HashingVectorizer's hashing into that many columns, a feature of
    negative hash counting -1 when alternate_sign) is given. fastscore._text.Counter
    is the same, compiled.
    """

    #: len(terms), or n_features
    n_columns: int

    def __init__(self, settings: Mapping[str, Any], terms: Optional[Sequence[str]] = None, *,
                 n_features: Optional[int] = None, alternate_sign: bool = True) -> None:
        s, term_list, n = check_counter(settings, terms, n_features, alternate_sign)
        self._analyze = build_analyzer(s)
        self._n_features = n
        self._alternate_sign = alternate_sign
        if term_list is not None:
            self._vocabulary: Optional[Dict[str, int]] = dict(zip(term_list, range(len(term_list))))
            if len(self._vocabulary) != len(term_list):
                seen: Dict[str, int] = {}
                for j, term in enumerate(term_list):
                    if term in seen:
                        raise ValueError(term_twice(term_list, j))
                    seen[term] = j
            self.n_columns = len(term_list)
        else:
            self._vocabulary = None
            self.n_columns = n  # type: ignore[assignment]

    def _row(self, doc: Union[str, bytes], position: Optional[int]) -> Tuple[np.ndarray, np.ndarray]:
        if not isinstance(doc, (str, bytes)):
            raise TypeError(not_a_document(doc, position))
        features = self._analyze(doc)
        if self._vocabulary is not None:
            columns, values = count_terms(features, self._vocabulary)
        else:
            columns, values = hashed_counts(features, self._n_features, self._alternate_sign)  # type: ignore[arg-type]
        return columns.astype(np.int32), values

    def count(self, docs: Sequence[Union[str, bytes]]) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(indptr int64 (n+1,), indices int32, data float64): the CSR rows of the documents' counts.

        The rows of CountVectorizer(...).transform(docs) (a vocabulary:
        counts) or of HashingVectorizer(norm=None, binary=False,
        ...).transform(docs) (hashing: signed counts, a cancelled column kept
        as 0.0), columns ascending within each row. A document that is not
        str or bytes raises TypeError naming its position; bytes that do not
        decode raise as bytes.decode does.
        """
        rows = [self._row(doc, i) for i, doc in enumerate(docs)]
        indptr = np.zeros(len(rows) + 1, dtype=np.int64)
        np.cumsum([len(c) for c, _ in rows], out=indptr[1:])
        indices = np.concatenate([c for c, _ in rows]) if rows else np.zeros(0, np.int32)
        data = np.concatenate([v for _, v in rows]) if rows else np.zeros(0)
        return indptr, indices.astype(np.int32, copy=False), data.astype(np.float64, copy=False)

    def count_one(self, doc: Union[str, bytes]) -> Tuple[np.ndarray, np.ndarray]:
        """(indices int32, data float64): count's row of this one document."""
        return self._row(doc, None)


def check_weigh(indptr: Any, indices: Any, data: Any, idf: Any, norm: Any) -> None:
    """weigh's arguments checked: ValueError or TypeError naming the first problem, nothing changed."""
    for name, arr, dtype in (("indptr", indptr, np.int64), ("indices", indices, np.int32), ("data", data, np.float64)):
        if not isinstance(arr, np.ndarray) or arr.dtype != dtype or arr.ndim != 1 or not arr.flags.c_contiguous:
            raise TypeError(f"{name} must be a 1-D contiguous {np.dtype(dtype).name} array")
    if not data.flags.writeable:
        raise ValueError("data must be writeable: weigh changes it in place")
    if len(indices) != len(data):
        raise ValueError(f"indices has {len(indices)} entries and data {len(data)}; they must match")
    if len(indptr) < 1 or indptr[0] != 0 or indptr[-1] != len(data) or np.any(np.diff(indptr) < 0):
        raise ValueError("indptr must rise from 0 to len(data)")
    if idf is not None:
        if not isinstance(idf, np.ndarray) or idf.dtype != np.float64 or idf.ndim != 1:
            raise TypeError("idf must be None or a 1-D float64 array")
        if len(indices) and (int(indices.min()) < 0 or int(indices.max()) >= len(idf)):
            raise ValueError(f"a column of indices is outside the {len(idf)} of idf")
    if norm not in (None, "l1", "l2"):
        raise ValueError(f"norm must be 'l1', 'l2' or None, not {norm!r}")


def weigh_values(indices: np.ndarray, data: np.ndarray, binary: bool, sublinear_tf: bool,
                 idf: Optional[np.ndarray]) -> None:
    """weigh's elementwise steps, in place: binary, then log(v) + 1 (numpy's log), then v *= idf[column]."""
    if binary:
        data.fill(1.0)
    if sublinear_tf:
        np.log(data, out=data)
        data += 1.0
    if idf is not None:
        with np.errstate(invalid="ignore"):  # 0 * an infinite idf (a cancelled hashed count): NaN, refused later
            data *= idf[indices]


def weigh(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, *, binary: bool, sublinear_tf: bool,
          idf: Optional[np.ndarray], norm: Optional[str]) -> None:
    """In place, scikit-learn's steps after counting, in its order and rounding.

    binary makes each value 1.0; sublinear_tf makes v np.log(v) + 1; idf
    multiplies v by idf[column]; then norm "l1" or "l2" divides each row by
    the sum of |v| or the square root of the sum of v * v (added left to
    right in stored order; a row summing to 0 left alone), or None. The CSR
    arrays are count's: indptr int64, indices int32, data float64 (changed).
    fastscore._text.weigh is the same with the norm's loop compiled.
    """
    check_weigh(indptr, indices, data, idf, norm)
    with np.errstate(invalid="ignore", over="ignore"):  # an infinite idf: the kernel names the row
        _weigh(indptr, indices, data, binary, sublinear_tf, idf, norm)


def _weigh(indptr: np.ndarray, indices: np.ndarray, data: np.ndarray, binary: bool, sublinear_tf: bool,
           idf: Optional[np.ndarray], norm: Optional[str]) -> None:
    weigh_values(indices, data, binary, sublinear_tf, idf)
    if norm is None or not len(data):
        return
    squared = np.abs(data) if norm == "l1" else data * data
    lengths = np.diff(indptr)
    # Every row's sum, left to right: step j adds each row's j-th entry (rows by length, longest
    # first, so that the rows still adding are a prefix); np.sum would add pairwise.
    order = np.argsort(-lengths, kind="stable")
    starts = indptr[:-1][order]
    longest = lengths[order]
    totals = np.zeros(len(order))
    for j in range(int(longest[0]) if len(longest) else 0):
        active = int(np.searchsorted(-longest, -j, side="left"))  # rows longer than j
        totals[:active] += squared[starts[:active] + j]
    if norm == "l2":
        np.sqrt(totals, out=totals)
    totals[totals == 0.0] = 1.0  # a row summing to 0 is left alone (x / 1.0 is x)
    by_row = np.empty_like(totals)
    by_row[order] = totals
    data /= np.repeat(by_row, lengths)


def row_z(indices: np.ndarray, data: np.ndarray,
          weighing: Sequence[Tuple[bool, bool, Optional[np.ndarray], Optional[str]]], coef: np.ndarray,
          intercept: float) -> float:
    """z of one counted row (count_one's, data changed) for one output: each (binary, sublinear_tf,
    idf, norm) weighing with weigh's steps and rounding, then the intercept plus the sum of
    value * coef[column] added from 0 in stored order, as the sparse kernel adds a row.

    The latency path of score_one, in Python floats (which round as the compiled loops do).
    """
    if len(indices) and (int(indices.min()) < 0 or int(indices.max()) >= len(coef)):
        raise ValueError(f"a column of indices is outside the {len(coef)} columns of coef")
    with np.errstate(invalid="ignore", over="ignore"):  # an infinite idf: named below
        for binary, sublinear_tf, idf, norm in weighing:
            weigh_values(indices, data, binary, sublinear_tf, idf)
            if norm is not None:
                total = 0.0
                for v in (np.abs(data) if norm == "l1" else data * data).tolist():
                    total += v
                if total != 0.0:
                    data /= math.sqrt(total) if norm == "l2" else total
    bad = np.flatnonzero(~np.isfinite(data))
    if len(bad):
        raise ValueError(f"the weighed row is not finite in column {int(indices[bad[0]])}")
    total = 0.0
    for v, w in zip(data.tolist(), coef[indices].tolist()):
        total += v * w
    return total + intercept

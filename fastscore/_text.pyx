# cython: boundscheck=False, wraparound=False, initializedcheck=False
"""The compiled text counter: fastscore.text's Counter and weigh over csrc/text.c, to the bit.

The word analyzer with scikit-learn's default token pattern r"(?u)\\b\\w\\w+\\b"
(or r"(?u)\\b\\w+\\b") runs in C: each document is decoded, lowercased and
stripped of accents by Python's own str methods (as scikit-learn does), then
C reads the str's code points where they lie, finds the runs of word
characters, drops the stop words, joins the n-grams as UTF-8 and looks each
one up (a vocabulary) or hashes it (HashingVectorizer), with no Python object
per token or feature. Word characters are Python's \\w, taken from the
running Python at first use (str.isalnum() or "_", the test `re` makes), so
they agree on every code point. Other analyzers and token patterns make
their features with fastscore.text's analyzer; the lookup or hashing is C's.
"""
from libc.stdint cimport int32_t, int64_t, uint32_t
from libc.string cimport memcpy, memset
from libc.stdlib cimport malloc, free
from libc.math cimport sqrt

import numpy as np
cimport numpy as cnp

import unicodedata

from fastscore import text as _text

cnp.import_array()

__all__ = ["Counter", "weigh", "row_z"]

cdef extern from "Python.h":
    int Py_UNICODE_ISALNUM(Py_UCS4 ch) nogil
    int PyUnicode_KIND(object o)
    void *PyUnicode_DATA(object o)
    Py_ssize_t PyUnicode_GET_LENGTH(object o)
    const char *PyUnicode_AsUTF8AndSize(object o, Py_ssize_t *size) except NULL
    object PyUnicode_FromKindAndData(int kind, const void *buffer, Py_ssize_t size)
    Py_UCS4 PyUnicode_READ(int kind, const void *data, Py_ssize_t index) nogil

cdef extern from "text.h" nogil:
    enum: FS_TEXT_OK
    enum: FS_TEXT_NOMEM
    ctypedef struct fs_wordset:
        int n_pages
    int fs_wordset_build(fs_wordset *set, int (*is_word)(uint32_t c) noexcept)
    int fs_wordset_has(const fs_wordset *set, uint32_t c)
    ctypedef struct fs_strset:
        int64_t n
    int fs_strset_build(fs_strset *set, const char *blob, const int64_t *offsets, int64_t n, int64_t *duplicate)
    void fs_strset_free(fs_strset *set)
    ctypedef struct fs_counter:
        const fs_wordset *words
        int min_run
        int min_n
        int max_n
        const fs_strset *stop
        const fs_strset *vocab
        uint32_t n_features
        int alternate_sign
    ctypedef struct fs_scratch:
        pass
    void fs_scratch_init(fs_scratch *s)
    void fs_scratch_free(fs_scratch *s)
    ctypedef struct fs_rows:
        int32_t *indices
        double *data
        size_t nnz
    void fs_rows_init(fs_rows *rows)
    void fs_rows_free(fs_rows *rows)
    void fs_row_begin(fs_scratch *s)
    int fs_row_feature(const fs_counter *c, fs_scratch *s, const char *feature, size_t len)
    int fs_row_words(const fs_counter *c, fs_scratch *s, int kind, const void *data, size_t len)
    int fs_row_end(fs_scratch *s, fs_rows *rows)
    void fs_normalize_rows(double *data, const double *squared, const int64_t *indptr, int64_t n_rows, int l2)

# The token patterns C tokenizes (pattern -> the shortest run of word characters that is a token);
# in a str pattern, \w and \b are Unicode's with or without (?u).
WORD_PATTERNS = {r"(?u)\b\w\w+\b": 2, r"\b\w\w+\b": 2, r"(?u)\b\w+\b": 1, r"\b\w+\b": 1}
# Documents prepared (decoded, lowercased, stripped) per pass before C counts them without the GIL.
cdef Py_ssize_t CHUNK = 1024
# str.lower itself: no attribute lookup per document (a subclass's own lower is still called)
_lower = str.lower

cdef fs_wordset _words
cdef bint _words_ready = False


cdef int _is_word(uint32_t c) noexcept nogil:
    # _sre's SRE_UNI_IS_WORD: what \w matches in a str pattern
    return Py_UNICODE_ISALNUM(<Py_UCS4>c) or c == 95


cdef const fs_wordset *_word_set() except NULL:
    # Built once, under the GIL (nothing in the loop releases it), so threads see it whole.
    global _words_ready
    if not _words_ready:
        if fs_wordset_build(&_words, _is_word) != FS_TEXT_OK:
            raise MemoryError()
        _words_ready = True
    return &_words


cdef fs_wordset _combining
cdef bint _combining_ready = False
cdef const unsigned char *_combining_flags = NULL


cdef int _is_combining(uint32_t c) noexcept nogil:
    return _combining_flags[c]


cdef const fs_wordset *_combining_set() except NULL:
    # The characters strip_accents="unicode" drops: unicodedata.combining(c) != 0, from the running
    # Python (scanned once per process, about 0.05 s), under the GIL as _word_set.
    global _combining_ready, _combining_flags
    if not _combining_ready:
        flags = bytearray(0x110000)
        for c in range(0x110000):
            if unicodedata.combining(chr(c)):
                flags[c] = 1
        _combining_flags = flags
        try:
            if fs_wordset_build(&_combining, _is_combining) != FS_TEXT_OK:
                raise MemoryError()
        finally:
            _combining_flags = NULL
        _combining_ready = True
    return &_combining


cdef object _strip_accents_unicode(object s):
    """fastscore.text.strip_accents_unicode, its filter in C: NFKD, then no combining character."""
    if s.isascii():
        return s
    nfkd = unicodedata.normalize("NFKD", s)
    if nfkd.isascii():  # no combining character is ASCII
        return nfkd
    cdef const fs_wordset *combining = _combining_set()
    cdef Py_ssize_t n = PyUnicode_GET_LENGTH(nfkd), i, kept = 0
    cdef int kind = PyUnicode_KIND(nfkd)
    cdef const void *data = PyUnicode_DATA(nfkd)
    cdef Py_UCS4 c
    cdef Py_UCS4 *out = <Py_UCS4 *>malloc((n if n > 0 else 1) * sizeof(Py_UCS4))
    if out == NULL:
        raise MemoryError()
    try:
        for i in range(n):
            c = PyUnicode_READ(kind, data, i)
            if not fs_wordset_has(combining, c):
                out[kept] = c
                kept += 1
        return PyUnicode_FromKindAndData(4, out, kept)
    finally:
        free(out)


def is_combining_character(Py_UCS4 c):
    """True when strip_accents="unicode" drops code point c (unicodedata.combining(c) != 0); for the tests."""
    return bool(fs_wordset_has(_combining_set(), <uint32_t>c))


def is_word_character(Py_UCS4 c):
    """True when the C tokenizer takes code point c for a word character (\\w); for the tests."""
    return bool(fs_wordset_has(_word_set(), <uint32_t>c))


cdef object _blob_of(list strings, fs_strset *set, object owner):
    """Builds set over the strings' UTF-8 bytes (surrogatepass: a lone surrogate stays distinct);
    the duplicate's position, or -1. owner (a list) keeps the bytes alive."""
    encoded = [s.encode("utf-8", "surrogatepass") for s in strings]
    blob = b"".join(encoded)
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded)), out=offsets[1:])
    owner.extend((blob, offsets))
    cdef const char *b = blob
    cdef int64_t[::1] off = offsets
    cdef int64_t duplicate = -1
    cdef int rc = fs_strset_build(set, b, &off[0], len(encoded), &duplicate)
    if rc == FS_TEXT_NOMEM:
        raise MemoryError()
    return duplicate if rc else -1


cdef class Counter:
    """One vectorizer's analyzer and its feature -> column map (a vocabulary, or hashing), compiled.

    The same constructor, attributes and results as fastscore.text.Counter, to the bit.
    """

    cdef fs_counter c
    cdef fs_strset vocab, stop
    cdef bint has_vocab, has_stop
    cdef bint _ready         # __init__ done: the sets are built, never rebuilt (threads may be reading them)
    cdef list _keep          # the bytes and offsets the sets point into
    cdef object _analyze     # fastscore.text's analyzer, or None when C tokenizes
    cdef bint _lowercase
    cdef int _strip          # 0 none, 1 ascii, 2 unicode
    cdef object _encoding, _errors
    cdef readonly Py_ssize_t n_columns

    def __cinit__(self):
        memset(&self.c, 0, sizeof(fs_counter))
        memset(&self.vocab, 0, sizeof(fs_strset))
        memset(&self.stop, 0, sizeof(fs_strset))
        self.has_vocab = self.has_stop = self._ready = False

    def __init__(self, settings, terms=None, *, n_features=None, alternate_sign=True):
        if self.has_vocab or self.has_stop or self._ready:
            raise TypeError("a Counter is initialised once")
        s, term_list, n = _text.check_counter(settings, terms, n_features, alternate_sign)
        self._keep = []
        self._lowercase = s["lowercase"]
        self._strip = {None: 0, "ascii": 1, "unicode": 2}[s["strip_accents"]]
        self._encoding, self._errors = s["encoding"], s["decode_error"]
        self.c.min_n, self.c.max_n = s["ngram_range"]
        if self._strip == 2:
            _combining_set()  # built now, on loading, not on the first document
        if s["analyzer"] == "word" and s["token_pattern"] in WORD_PATTERNS:
            self._analyze = None
            self.c.words = _word_set()
            self.c.min_run = WORD_PATTERNS[s["token_pattern"]]
            if s["stop_words"] is not None:
                # a stop word is compared with whole tokens: a repeat is harmless, keep the first
                stop = list(dict.fromkeys(s["stop_words"]))
                _blob_of(stop, &self.stop, self._keep)
                self.has_stop = True
                self.c.stop = &self.stop
        else:
            self._analyze = _text.build_analyzer(s)
        if term_list is not None:
            duplicate = _blob_of(term_list, &self.vocab, self._keep)
            self.has_vocab = True
            if duplicate >= 0:
                raise ValueError(_text.term_twice(term_list, duplicate))
            self.c.vocab = &self.vocab
            self.n_columns = len(term_list)
        else:
            self.c.n_features = <uint32_t>n
            self.c.alternate_sign = alternate_sign
            self.n_columns = n
        self._ready = True

    cdef int _check_ready(self) except -1:
        if not self._ready:
            raise TypeError("this Counter was not initialised (its __init__ failed or was not called)")
        return 0

    def __dealloc__(self):
        if self.has_vocab:
            fs_strset_free(&self.vocab)
        if self.has_stop:
            fs_strset_free(&self.stop)

    cdef object _prepared(self, object doc, object position):
        """The document as C tokenizes it: decoded, lowercased, stripped of accents, an exact str."""
        if isinstance(doc, str):
            s = doc
        elif isinstance(doc, bytes):
            s = doc.decode(self._encoding, self._errors)
        else:
            raise TypeError(_text.not_a_document(doc, position))
        if self._lowercase:
            s = _lower(s) if type(s) is str else s.lower()
        if self._strip == 2:
            s = _strip_accents_unicode(s)
        elif self._strip == 1:
            s = _text.strip_accents_ascii(s)
        if type(s) is not str:
            s = str.__str__(s)  # a subclass's copy as an exact str (its buffer is then the usual one)
        return s

    cdef int _add_features(self, fs_scratch *scratch, object doc, object position) except -1:
        """The features of fastscore.text's analyzer, counted by C."""
        cdef Py_ssize_t size
        cdef const char *utf8
        if not isinstance(doc, (str, bytes)):
            raise TypeError(_text.not_a_document(doc, position))
        for feature in self._analyze(doc):
            try:
                utf8 = PyUnicode_AsUTF8AndSize(feature, &size)
            except UnicodeEncodeError:
                if not self.has_vocab:
                    raise  # scikit-learn's murmurhash3_32 encodes strictly, and raises
                # a lone surrogate: the vocabulary's terms are in surrogatepass
                b = feature.encode("utf-8", "surrogatepass")
                utf8 = b
                size = len(b)
                if fs_row_feature(&self.c, scratch, utf8, <size_t>size) != FS_TEXT_OK:
                    raise MemoryError()
                continue
            if fs_row_feature(&self.c, scratch, utf8, <size_t>size) != FS_TEXT_OK:
                raise MemoryError()
        return 0

    def count(self, docs):
        """(indptr int64 (n+1,), indices int32, data float64): the CSR rows of the documents' counts.

        As fastscore.text.Counter.count: the rows of CountVectorizer.transform
        (a vocabulary) or HashingVectorizer(norm=None).transform (hashing).
        """
        self._check_ready()
        if not isinstance(docs, (list, tuple)):
            docs = list(docs)
        cdef Py_ssize_t n = len(docs), i, start, stop, j
        cdef fs_scratch scratch
        cdef fs_rows rows
        cdef int rc = FS_TEXT_OK
        cdef const void **texts = NULL
        cdef int *kinds = NULL
        cdef size_t *lengths = NULL
        indptr = np.zeros(n + 1, dtype=np.int64)
        cdef int64_t[::1] ip = indptr
        fs_scratch_init(&scratch)
        fs_rows_init(&rows)
        try:
            if self._analyze is None:
                texts = <const void **>malloc(CHUNK * sizeof(void *))
                kinds = <int *>malloc(CHUNK * sizeof(int))
                lengths = <size_t *>malloc(CHUNK * sizeof(size_t))
                if not texts or not kinds or not lengths:
                    raise MemoryError()
                for start in range(0, n, CHUNK):
                    stop = min(start + CHUNK, n)
                    prepared = [self._prepared(docs[i], i) for i in range(start, stop)]
                    for j in range(stop - start):
                        s = prepared[j]
                        texts[j] = PyUnicode_DATA(s)
                        kinds[j] = PyUnicode_KIND(s)
                        lengths[j] = <size_t>PyUnicode_GET_LENGTH(s)
                    with nogil:
                        for j in range(stop - start):
                            fs_row_begin(&scratch)
                            rc = fs_row_words(&self.c, &scratch, kinds[j], texts[j], lengths[j])
                            if rc == FS_TEXT_OK:
                                rc = fs_row_end(&scratch, &rows)
                            if rc != FS_TEXT_OK:
                                break
                            ip[start + j + 1] = <int64_t>rows.nnz
                    if rc != FS_TEXT_OK:
                        raise MemoryError()
            else:
                for i in range(n):
                    fs_row_begin(&scratch)
                    self._add_features(&scratch, docs[i], i)
                    if fs_row_end(&scratch, &rows) != FS_TEXT_OK:
                        raise MemoryError()
                    ip[i + 1] = <int64_t>rows.nnz
            return indptr, *_arrays(&rows)
        finally:
            free(texts)
            free(kinds)
            free(lengths)
            fs_scratch_free(&scratch)
            fs_rows_free(&rows)

    def count_one(self, doc):
        """(indices int32, data float64): count's row of this one document."""
        cdef fs_scratch scratch
        cdef fs_rows rows
        cdef int rc
        self._check_ready()
        fs_scratch_init(&scratch)
        fs_rows_init(&rows)
        try:
            fs_row_begin(&scratch)
            if self._analyze is None:
                s = self._prepared(doc, None)
                rc = fs_row_words(&self.c, &scratch, PyUnicode_KIND(s), PyUnicode_DATA(s),
                                  <size_t>PyUnicode_GET_LENGTH(s))
                if rc != FS_TEXT_OK:
                    raise MemoryError()
            else:
                self._add_features(&scratch, doc, None)
            if fs_row_end(&scratch, &rows) != FS_TEXT_OK:
                raise MemoryError()
            return _arrays(&rows)
        finally:
            fs_scratch_free(&scratch)
            fs_rows_free(&rows)


cdef tuple _arrays(fs_rows *rows):
    """(indices int32, data float64): copies of the rows' entries."""
    cdef cnp.npy_intp nnz = <cnp.npy_intp>rows.nnz
    indices = cnp.PyArray_EMPTY(1, &nnz, cnp.NPY_INT32, 0)
    data = cnp.PyArray_EMPTY(1, &nnz, cnp.NPY_FLOAT64, 0)
    if nnz:
        memcpy(cnp.PyArray_DATA(indices), rows.indices, nnz * sizeof(int32_t))
        memcpy(cnp.PyArray_DATA(data), rows.data, nnz * sizeof(double))
    return indices, data


def weigh(indptr, indices, data, *, binary, sublinear_tf, idf, norm):
    """In place, scikit-learn's steps after counting, in its order and rounding (fastscore.text.weigh).

    The elementwise steps are numpy's (np.log as scikit-learn's); the norm's
    per-row sums and divisions run in C, left to right in stored order.
    """
    _text.check_weigh(indptr, indices, data, idf, norm)
    _text.weigh_values(indices, data, binary, sublinear_tf, idf)
    if norm is None or not len(data):
        return
    # squares by numpy, so that no compiler fuses them into the sum
    squared = np.abs(data) if norm == "l1" else data * data
    cdef double[::1] d = data
    cdef const double[::1] sq = squared
    cdef const int64_t[::1] ip = indptr
    cdef int64_t n_rows = len(indptr) - 1
    cdef int l2 = norm == "l2"
    with nogil:
        fs_normalize_rows(&d[0], &sq[0], &ip[0], n_rows, l2)


def row_z(indices, data, weighing, coef, double intercept):
    """z of one counted row for one output (fastscore.text.row_z): each weighing with weigh's steps
    and rounding, then the intercept plus the sum of value * coef[column] added from 0 in stored order.

    The latency path of score_one: no array is checked but for its columns' range (the row is
    count_one's), and nothing is allocated beyond numpy's squares for a norm.
    """
    cdef const int32_t[::1] ix = indices
    cdef const double[::1] c = coef
    cdef const double[::1] sq
    cdef const double[::1] f
    cdef double[::1] d = data
    cdef Py_ssize_t i, n = d.shape[0], width = c.shape[0]
    cdef double total
    if ix.shape[0] != n:
        raise ValueError("indices and data must have one length")
    for i in range(n):
        if ix[i] < 0 or ix[i] >= width:
            raise ValueError(f"column {ix[i]} is outside the {width} columns of coef")
    for binary, sublinear_tf, idf, norm in weighing:
        if binary:
            d[:] = 1.0
        if sublinear_tf:
            np.log(data, out=data)  # numpy's log, as scikit-learn's
            data += 1.0
        if idf is not None:
            f = idf
            if f.shape[0] != width:
                raise ValueError("idf must have one weight per column of coef")
            for i in range(n):
                d[i] = d[i] * f[ix[i]]
        if norm is not None and n:
            sq = np.abs(data) if norm == "l1" else data * data  # no compiler fuses numpy's squares into the sum
            total = 0.0
            for i in range(n):
                total += sq[i]
            if total != 0.0:
                if norm == "l2":
                    total = sqrt(total)
                for i in range(n):
                    d[i] = d[i] / total
    for i in range(n):
        if d[i] - d[i] != 0.0:  # NaN or infinity: an infinite idf, as the sparse kernel refuses
            raise ValueError(f"the weighed row is not finite in column {ix[i]}")
    total = 0.0
    for i in range(n):
        total += d[i] * c[ix[i]]
    return total + intercept

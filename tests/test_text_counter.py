"""Counter and weigh, both backends, against scikit-learn's vectorizers: the CSR rows to the bit.

Counter.count must give CountVectorizer(vocabulary=terms).transform's rows
(counts) or HashingVectorizer(norm=None).transform's (signed counts, a
cancelled column kept as 0.0); weigh the rest of TfidfVectorizer,
TfidfTransformer and HashingVectorizer (binary, sublinear_tf, idf, norm).
Documents come from all of Unicode (test_text's strategies, lone surrogates
added here), with random settings; the default word patterns, which the
compiled backend tokenizes in C, are drawn half the time.
"""
import re
import sys
import threading
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.feature_extraction.text import (CountVectorizer, HashingVectorizer, TfidfTransformer,
                                             TfidfVectorizer)
from sklearn.preprocessing import normalize

from fastscore import _backend, text
from test_text import DOC, PARAMS, PIECE, settings_of

# scikit-learn warns when lowercasing or the token pattern changes a stop word; the tests want both
pytestmark = pytest.mark.filterwarnings("ignore:Your stop_words may be inconsistent:UserWarning")

C_PATTERNS = [r"(?u)\b\w\w+\b", r"(?u)\b\w+\b", r"\b\w\w+\b", r"\b\w+\b"]
WORD_PARAMS = PARAMS.flatmap(lambda p: st.sampled_from(C_PATTERNS).map(
    lambda pattern: {**p, "analyzer": "word", "token_pattern": pattern}))
ANY_PARAMS = st.one_of(PARAMS, WORD_PARAMS)
LONE_SURROGATE = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
DOC_WITH_SURROGATES = st.lists(st.one_of(PIECE, LONE_SURROGATE), max_size=12).map("".join)
DOCS = st.lists(st.one_of(DOC, DOC, DOC_WITH_SURROGATES), min_size=1, max_size=6)
N_FEATURES = st.sampled_from([1, 2, 3, 7, 16, 1000, 2**20, 2**31 - 1])


def counters(backend):
    """The backend's text module (Counter, weigh)."""
    return _backend.text_module(backend)


def quiet(factory, **params):
    """A scikit-learn vectorizer, its warning about stop words that lowercasing changes silenced."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return factory(**params)


def outcome(call):
    """What call() returns, or the type of the error it raises."""
    try:
        return call()
    except Exception as exc:  # the comparison names it
        return type(exc)


def assert_same_csr(ours, theirs):
    """Our (indptr, indices, data) equal scipy's CSR: the same structure and float64 bits."""
    indptr, indices, data = ours
    assert indptr.dtype == np.int64 and indices.dtype == np.int32 and data.dtype == np.float64
    assert indptr.tolist() == theirs.indptr.tolist()
    assert indices.tolist() == theirs.indices.tolist()
    assert data.tobytes() == np.asarray(theirs.data, dtype=np.float64).tobytes()


def vocabulary_for(docs, params, extra, order):
    """Terms: the documents' own features (scikit-learn's), some of them dropped, plus extra strings, shuffled."""
    analyze = quiet(CountVectorizer, **params).build_analyzer()
    features = set()
    for doc in docs:
        try:
            features.update(analyze(doc))
        except UnicodeEncodeError:  # not raised by the analyzer, but keep the strategy total
            pass
    terms = sorted(features | set(extra))
    terms = [t for i, t in enumerate(terms) if i % 3 != 1] or ["x"]
    return [terms[i] for i in np.random.default_rng(order).permutation(len(terms))]


def check_counts(backend, docs, params, terms):
    settings = settings_of(params)
    vectorizer = quiet(CountVectorizer, vocabulary=terms, **params)
    counter = counters(backend).Counter(settings, terms)
    theirs = outcome(lambda: vectorizer.transform(docs))
    if isinstance(theirs, type):
        assert outcome(lambda: counter.count(docs)) is theirs
        return
    ours = counter.count(docs)
    assert_same_csr(ours, theirs)
    assert counter.n_columns == len(terms)
    for i, doc in enumerate(docs):  # count_one gives count's rows
        indices, data = counter.count_one(doc)
        start, stop = ours[0][i], ours[0][i + 1]
        assert indices.dtype == np.int32 and data.dtype == np.float64
        assert indices.tolist() == ours[1][start:stop].tolist()
        assert data.tobytes() == ours[2][start:stop].tobytes()


def check_hashing(backend, docs, params, n_features, alternate_sign):
    settings = settings_of(params)
    vectorizer = quiet(HashingVectorizer, norm=None, n_features=n_features, alternate_sign=alternate_sign, **params)
    counter = counters(backend).Counter(settings, n_features=n_features, alternate_sign=alternate_sign)
    assert counter.n_columns == n_features
    theirs = outcome(lambda: vectorizer.transform(docs))
    if isinstance(theirs, type):  # a lone surrogate in a feature: UnicodeEncodeError, as murmurhash3_32
        assert outcome(lambda: counter.count(docs)) is theirs
        for doc in docs:
            raised = outcome(lambda: vectorizer.transform([doc]))
            if isinstance(raised, type):
                assert outcome(lambda: counter.count_one(doc)) is raised
        return
    ours = counter.count(docs)
    assert_same_csr(ours, theirs)
    for i, doc in enumerate(docs):
        indices, data = counter.count_one(doc)
        start, stop = ours[0][i], ours[0][i + 1]
        assert indices.tolist() == ours[1][start:stop].tolist()
        assert data.tobytes() == ours[2][start:stop].tobytes()


@given(docs=DOCS, params=ANY_PARAMS, extra=st.lists(DOC, max_size=4), order=st.integers(0, 2**32 - 1))
def test_count_is_count_vectorizers(backend, docs, params, extra, order):
    check_counts(backend, docs, params, vocabulary_for(docs, params, extra, order))


@given(docs=DOCS, params=ANY_PARAMS, n_features=N_FEATURES, alternate_sign=st.booleans())
def test_count_is_hashing_vectorizers(backend, docs, params, n_features, alternate_sign):
    check_hashing(backend, docs, params, n_features, alternate_sign)


@pytest.mark.parametrize("pattern", C_PATTERNS + [r"\S+"])
@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 3), (2, 2), (3, 5)])
def test_count_on_known_documents(backend, pattern, ngram_range):
    docs = ["", " ", "a", "ab", "a b c d e", "The Ünïcode ΣΟΦΙΑ_ and the 中文 text, twice: text 😀 ab_12 x",
            "İstanbul ǅemal ﬁne Straße ΣΑΣ naïve café", "tab\tsep\u00a0nbsp\u3000ideo\u2028line\x85nel",
            "x" * 5000, "word " * 300, "\x00nul\x00 in\x00side\x00", "٣٤ ²³ ½ ١٢٣ 42 _ __ a_b",
            "e\u0301 A\u0308 \u0301\u0301 \U0001D518\U0001D52B \U00020000\U00020001", b"bytes too, caf\xc3\xa9"]
    params = {"token_pattern": pattern, "ngram_range": ngram_range, "stop_words": ["the", "and", "x"]}
    for strip in (None, "ascii", "unicode"):
        for lowercase in (True, False):
            p = {**params, "strip_accents": strip, "lowercase": lowercase}
            check_counts(backend, docs, p, vocabulary_for(docs, p, ["zz"], 7))
            check_hashing(backend, docs, p, 2**20, True)
            check_hashing(backend, docs, p, 3, True)


@pytest.mark.parametrize("encoding", ["utf-8", "latin-1", "utf-16", "cp1252", "koi8-r"])
@pytest.mark.parametrize("decode_error", ["strict", "ignore", "replace"])
def test_bytes_are_decoded_as_scikit_learn_decodes_them(backend, encoding, decode_error):
    texts = ["naïve café ÇA", "кириллица текст", "plain ascii words", "中文 日本語"]
    docs = []
    for t in texts:
        for enc in ("utf-8", "latin-1", "koi8-r", "utf-16"):
            try:
                docs.append(t.encode(enc))
            except UnicodeEncodeError:
                pass
    params = {"encoding": encoding, "decode_error": decode_error}
    for doc in docs:  # one at a time: a document that fails to decode fails the batch
        check_counts(backend, [doc], params, ["naïve", "café", "текст", "plain", "words", "ascii"])
        check_hashing(backend, [doc], params, 1024, True)


@pytest.mark.parametrize("bad, name", [(None, "a NoneType"), (float("nan"), "a float"), (3, "an int"),
                                       (["a"], "a list"), (bytearray(b"ab"), "a bytearray")])
def test_a_document_that_is_not_text_is_named(backend, bad, name):
    for counter in (counters(backend).Counter({}, ["ab"]), counters(backend).Counter({"analyzer": "char"}, ["ab"]),
                    counters(backend).Counter({}, n_features=8)):
        with pytest.raises(TypeError, match=re.escape(f"document 2 is {name}, not str or bytes")):
            counter.count(["ab", b"ab", bad, "ab"])
        with pytest.raises(TypeError, match=re.escape(f"the document is {name}, not str or bytes")):
            counter.count_one(bad)
        with pytest.raises(Exception):  # scikit-learn refuses it too (the exception type varies)
            CountVectorizer(vocabulary=["ab"]).transform(["ab", b"ab", bad, "ab"])


def test_numpy_and_pandas_strings_are_documents(backend):
    docs = np.array(["Ab cd ab", "ÉÉ ee", ""], dtype=object)
    strs = np.array(["Ab cd ab", "ÉÉ ee", ""])  # np.str_ items
    counter = counters(backend).Counter({"strip_accents": "unicode"}, ["ab", "cd", "ee"])
    theirs = CountVectorizer(vocabulary=["ab", "cd", "ee"], strip_accents="unicode").transform(docs)
    assert_same_csr(counter.count(docs), theirs)
    assert_same_csr(counter.count(strs), theirs)
    assert_same_csr(counter.count((np.bytes_(b"Ab cd ab"), "ÉÉ ee", "")), theirs)


def test_no_documents(backend):
    for counter in (counters(backend).Counter({}, ["ab"]), counters(backend).Counter({}, n_features=4)):
        indptr, indices, data = counter.count([])
        assert indptr.tolist() == [0] and indptr.dtype == np.int64
        assert indices.shape == (0,) and indices.dtype == np.int32
        assert data.shape == (0,) and data.dtype == np.float64


def test_a_cancelled_hashed_column_is_kept_as_zero(backend):
    # two features whose hashes have opposite signs, in one column of 1
    counter = counters(backend).Counter({}, n_features=1)
    indptr, indices, data = counter.count(["ab cd ef gh", ""])
    theirs = HashingVectorizer(n_features=1, norm=None).transform(["ab cd ef gh", ""])
    assert_same_csr((indptr, indices, data), theirs)
    signs = np.sign(text.murmurhash3_32_many(["ab", "cd", "ef", "gh"]))
    assert data.tolist() == [float((signs >= 0).sum() - (signs < 0).sum())]


def test_lone_surrogates(backend):
    docs = ["ab\ud800cd ef", "\udfff", "x\ud83d\ude00y"]
    for params in ({}, {"analyzer": "char"}, {"analyzer": "char_wb", "ngram_range": (1, 2)}):
        check_counts(backend, docs, params, vocabulary_for(docs, params, ["\ud800"], 1))
        check_hashing(backend, docs, params, 64, True)
    with pytest.raises(UnicodeEncodeError):  # murmurhash3_32 encodes the feature "\ud800"
        counters(backend).Counter({"analyzer": "char"}, n_features=8).count(["\ud800"])


def test_huge_document(backend):
    rng = np.random.default_rng(0)
    words = ["w%d" % i for i in range(2000)] + ["é" * 3, "中文", "\x00x"]
    doc = " ".join(words[i] for i in rng.integers(0, len(words), 60_000))
    params = {"ngram_range": (1, 3)}
    check_counts(backend, [doc, doc[:1000]], params, vocabulary_for([doc[:20000]], params, [], 3))
    check_hashing(backend, [doc], params, 2**18, True)


def test_threads_share_a_counter(backend):
    docs = [f"doc {i} has words Ünï {i % 7} and more words {i % 13} " * (i % 5 + 1) for i in range(3000)]
    for counter in (counters(backend).Counter({"ngram_range": (1, 2)}, n_features=2**16),
                    counters(backend).Counter({}, ["words", "has", "doc", "ünï", "more"])):
        expected = counter.count(docs)
        results = [None] * 4

        def work(k):
            results[k] = [counter.count(docs) for _ in range(3)]

        threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        for per_thread in results:
            for got in per_thread:
                assert all(np.array_equal(a, b) for a, b in zip(got, expected))


def test_word_characters_are_pythons_on_every_code_point(both_backends):
    from fastscore import _text  # an ImportError here is a failure, not a skip

    everything = "".join(map(chr, range(sys.maxunicode + 1)))
    word = set(re.findall(r"\w", everything))
    mismatched = [hex(c) for c in range(sys.maxunicode + 1) if _text.is_word_character(chr(c)) != (chr(c) in word)]
    assert not mismatched, mismatched[:20]
    assert not any(_text.is_word_character(chr(c)) for c in range(0xD800, 0xE000))


def test_combining_characters_are_pythons_on_every_code_point(both_backends):
    import unicodedata

    from fastscore import _text  # an ImportError here is a failure, not a skip

    mismatched = [hex(c) for c in range(sys.maxunicode + 1)
                  if _text.is_combining_character(chr(c)) != bool(unicodedata.combining(chr(c)))]
    assert not mismatched, mismatched[:20]


def test_counter_arguments_are_checked(backend):
    Counter = counters(backend).Counter
    with pytest.raises(ValueError, match="exactly one of terms"):
        Counter({}, ["a"], n_features=4)
    with pytest.raises(ValueError, match="exactly one of terms"):
        Counter({})
    with pytest.raises(ValueError, match="vocabulary is empty"):
        Counter({}, [])
    with pytest.raises(ValueError, match=re.escape("term 'ab' is in the vocabulary twice (columns 1 and 3)")):
        Counter({}, ["x", "ab", "cd", "ab"])
    with pytest.raises(TypeError, match="terms must be a sequence of str in column order, not a dict"):
        Counter({}, {"b": 0, "a": 1})
    with pytest.raises(TypeError, match="term 1 of the vocabulary is bytes"):
        Counter({}, ["x", b"ab"])
    for n in (0, 2**31, -1, 2.0, True):
        with pytest.raises(ValueError, match="n_features must be"):
            Counter({}, n_features=n)
    with pytest.raises(TypeError, match="alternate_sign"):
        Counter({}, n_features=4, alternate_sign=1)
    with pytest.raises(ValueError, match="unknown text setting 'tokenizer'"):
        Counter({"tokenizer": None}, ["a"])


def test_a_compiled_counter_is_initialised_once(both_backends):
    from fastscore import _text  # an ImportError here is a failure, not a skip

    counter = _text.Counter({}, ["ab"])
    with pytest.raises(TypeError, match="initialised once"):
        counter.__init__({}, ["cd"])
    assert counter.count_one("ab cd")[0].tolist() == [0]
    bare = _text.Counter.__new__(_text.Counter)
    with pytest.raises(TypeError, match="not initialised"):
        bare.count(["ab"])
    with pytest.raises(TypeError, match="not initialised"):
        bare.count_one("ab")


def test_stop_words_repeated_or_unmatched(backend):
    docs = ["The the THE a an ab ab", "stop Stop STOP"]
    for stop in (["the", "the", "ab"], ["THE", "Stop"], []):
        for lowercase in (True, False):
            params = {"stop_words": stop, "lowercase": lowercase, "ngram_range": (1, 2)}
            check_counts(backend, docs, params, vocabulary_for(docs, {**params, "stop_words": None}, [], 0))
            check_hashing(backend, docs, params, 32, True)


def test_text_module_picks_each_backend(backend):
    module = _backend.text_module(backend)
    assert module.__name__ == _backend.TEXT_MODULES[backend]
    assert callable(module.Counter) and callable(module.weigh)
    assert _backend.text_module() is _backend.text_module(_backend.name)
    with pytest.raises(ValueError, match="unknown backend"):
        _backend.text_module("gpu")


# ---- weigh ----

@st.composite
def count_matrices(draw):
    """(indptr, indices, data) of counts with sorted columns, some rows long (so a pairwise sum would show)."""
    n_columns = draw(st.integers(1, 60))
    rows = draw(st.lists(st.lists(st.integers(0, n_columns - 1), max_size=50, unique=True).map(sorted),
                         min_size=1, max_size=8))
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum([len(r) for r in rows], out=indptr[1:])
    indices = np.array([c for r in rows for c in r], dtype=np.int32)
    data = np.array(draw(st.lists(st.integers(1, 9), min_size=len(indices), max_size=len(indices))), dtype=np.float64)
    return n_columns, indptr, indices, data


def scipy_csr(n_columns, indptr, indices, data):
    sparse = pytest.importorskip("scipy.sparse", reason="scipy builds the reference matrices")
    return sparse.csr_matrix((data.copy(), indices.copy(), indptr.copy()), shape=(len(indptr) - 1, n_columns))


@given(matrix=count_matrices(), norm=st.sampled_from([None, "l1", "l2"]), sublinear_tf=st.booleans(),
       use_idf=st.booleans(), smooth_idf=st.booleans(), binary=st.booleans())
def test_weigh_is_tfidf_transformers(backend, matrix, norm, sublinear_tf, use_idf, smooth_idf, binary):
    n_columns, indptr, indices, data = matrix
    X = scipy_csr(n_columns, indptr, indices, data)
    if binary:
        X.data.fill(1.0)
    transformer = TfidfTransformer(norm=norm, use_idf=use_idf, smooth_idf=smooth_idf, sublinear_tf=sublinear_tf)
    sparse = pytest.importorskip("scipy.sparse", reason="scipy builds the reference matrices")
    every_column = sparse.csr_matrix(np.ones((1, n_columns)))  # fitted idf is finite: each df >= 1
    theirs = transformer.fit(sparse.vstack([X, every_column]).tocsr()).transform(X)
    idf = transformer.idf_ if use_idf else None
    ours = data.copy()
    counters(backend).weigh(indptr, indices, ours, binary=binary, sublinear_tf=sublinear_tf, idf=idf, norm=norm)
    assert ours.tobytes() == theirs.data.tobytes()


@given(matrix=count_matrices(), norm=st.sampled_from(["l1", "l2"]), signs=st.integers(0, 2**60))
def test_weigh_norm_is_normalizes(backend, matrix, norm, signs):
    n_columns, indptr, indices, data = matrix
    flips = np.array([(signs >> (i % 60)) & 1 for i in range(len(data))], dtype=bool)
    data = np.where(flips, -data, data) * 0.3  # negative and inexact values, and whole rows of zeros below
    data[indptr[0]:indptr[1]] = 0.0
    X = scipy_csr(n_columns, indptr, indices, data)
    theirs = normalize(X, norm=norm)
    ours = data.copy()
    counters(backend).weigh(indptr, indices, ours, binary=False, sublinear_tf=False, idf=None, norm=norm)
    assert ours.tobytes() == theirs.data.tobytes()


@given(docs=st.lists(DOC, min_size=2, max_size=8), params=WORD_PARAMS, norm=st.sampled_from([None, "l1", "l2"]),
       sublinear_tf=st.booleans(), smooth_idf=st.booleans(), binary=st.booleans())
def test_count_then_weigh_is_tfidf_vectorizers(backend, docs, params, norm, sublinear_tf, smooth_idf, binary):
    vectorizer = quiet(TfidfVectorizer, norm=norm, sublinear_tf=sublinear_tf, smooth_idf=smooth_idf,
                       binary=binary, **params)
    fitted = outcome(lambda: vectorizer.fit(docs))
    if isinstance(fitted, type):  # an empty vocabulary: nothing to compare
        return
    terms = vectorizer.get_feature_names_out().tolist()
    module = counters(backend)
    indptr, indices, data = module.Counter(settings_of(params), terms).count(docs)
    module.weigh(indptr, indices, data, binary=binary, sublinear_tf=sublinear_tf, idf=vectorizer.idf_, norm=norm)
    assert_same_csr((indptr, indices, data), vectorizer.transform(docs))


@given(docs=st.lists(DOC, min_size=1, max_size=6), params=ANY_PARAMS, norm=st.sampled_from(["l1", "l2"]),
       binary=st.booleans(), n_features=N_FEATURES, alternate_sign=st.booleans())
def test_count_then_weigh_is_hashing_vectorizers(backend, docs, params, norm, binary, n_features, alternate_sign):
    vectorizer = quiet(HashingVectorizer, norm=norm, binary=binary, n_features=n_features,
                       alternate_sign=alternate_sign, **params)
    module = counters(backend)
    indptr, indices, data = module.Counter(settings_of(params), n_features=n_features,
                                           alternate_sign=alternate_sign).count(docs)
    module.weigh(indptr, indices, data, binary=binary, sublinear_tf=False, idf=None, norm=norm)
    assert_same_csr((indptr, indices, data), vectorizer.transform(docs))


def test_weigh_arguments_are_checked(backend):
    weigh = counters(backend).weigh
    indptr, indices, data = np.array([0, 2], np.int64), np.array([0, 1], np.int32), np.array([1.0, 2.0])
    common = {"binary": False, "sublinear_tf": False}
    with pytest.raises(TypeError, match="indices must be a 1-D contiguous int32"):
        weigh(indptr, indices.astype(np.int64), data, idf=None, norm=None, **common)
    with pytest.raises(ValueError, match="indptr must rise"):
        weigh(np.array([0, 3], np.int64), indices, data, idf=None, norm=None, **common)
    with pytest.raises(ValueError, match="outside the 1 of idf"):
        weigh(indptr, indices, data, idf=np.ones(1), norm=None, **common)
    with pytest.raises(ValueError, match="norm must be"):
        weigh(indptr, indices, data, idf=None, norm="max", **common)
    frozen = data.copy()
    frozen.flags.writeable = False
    with pytest.raises(ValueError, match="writeable"):
        weigh(indptr, indices, frozen, idf=None, norm="l2", **common)
    assert data.tolist() == [1.0, 2.0]  # nothing changed by the refusals

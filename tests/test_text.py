"""fastscore.text against scikit-learn: the analyzers (features, to the list) and the hashing (to the bit).

Documents come from all of Unicode but surrogates: accents precomposed and
combining, CJK, emoji and their joiners, mixed scripts, digits of every
script, underscores, every kind of white space, empty strings.
"""
import re
import sys
import warnings

import numpy as np
import pytest
from hypothesis import given, reject
from hypothesis import strategies as st
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer, HashingVectorizer, TfidfVectorizer
from sklearn.utils import murmurhash3_32 as sklearn_murmurhash3_32

from fastscore import text

ANY_CHAR = st.characters(exclude_categories=("Cs",))  # every code point UTF-8 can encode
PIECES = [
    "é", "e\u0301", "Ä", "A\u0308", "ﬁ", "İ", "ẞ", "ß", "Σ", "ΣΑΣ", "ς", "Ǆ", "ǅ", "Ⅻ", "ℌ", "㎏",
    "中文", "日本語", "한국어", "ไทย", "العربية", "עברית", "Ελληνικά", "кириллица",
    "😀", "👍🏽", "\U0001F468\u200d\U0001F469", "\U0001D518\U0001D52B", "\U00020000",
    "١٢٣", "²", "½", "٣", "0", "42", "_", "__", "a_b", "don't", "x", "I", "the", "and", "of", "is",
    " ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u2003", "\u3000", "\x1c", "\x85", "\u2028", "\u200b",
    "\u0301", "\u0308\u0323", "Ångström", "naïve café", "Crème Brûlée", "ŒUVRE",
]
PIECE = st.one_of(st.sampled_from(PIECES), st.text(ANY_CHAR, max_size=6), st.text("abAB _-'.", max_size=6))
DOC = st.lists(PIECE, max_size=12).map("".join)
DOCS = st.lists(DOC, min_size=1, max_size=4)

PATTERNS = [
    r"(?u)\b\w\w+\b",  # scikit-learn's default
    r"(?u)\b\w+\b",
    r"\S+",
    r"[a-z]+",
    r"(?i)[A-Zé]+",
    r"(\w)\w",  # one group: findall gives the group
    r"\w(\w)?",  # an optional group: empty features
    r"\b\w+(?:'\w+)?\b",
    r"[\u4e00-\u9fff]|\w+",
    r"\d+|\s",
]
STOP_WORDS = st.one_of(
    st.none(), st.just("english"),
    st.lists(st.one_of(st.sampled_from(["the", "a", "é", "中文", "_", "and", "x", "42", "ǆ"]),
                       st.text(ANY_CHAR, max_size=3)), max_size=6))


@st.composite
def ngram_ranges(draw):
    min_n = draw(st.integers(1, 3))
    return (min_n, draw(st.integers(min_n, min_n + 3)))


PARAMS = st.fixed_dictionaries({
    "analyzer": st.sampled_from(text.ANALYZERS),
    "lowercase": st.booleans(),
    "strip_accents": st.sampled_from([None, "ascii", "unicode"]),
    "token_pattern": st.sampled_from(PATTERNS),
    "stop_words": STOP_WORDS,
    "ngram_range": ngram_ranges(),
})


def settings_of(params):
    """The settings a model file holds for these vectorizer parameters: 'english' frozen into its words."""
    settings = dict(params)
    if settings.get("stop_words") == "english":
        settings["stop_words"] = sorted(ENGLISH_STOP_WORDS)
    return settings


def sklearn_analyzer(params, cls=CountVectorizer):
    with warnings.catch_warnings():  # stop words inconsistent with the preprocessing: a warning only
        warnings.simplefilter("ignore", UserWarning)
        return cls(**params).build_analyzer()


def outcome(analyze, doc):
    """The features, or the type of the error raised."""
    try:
        return analyze(doc)
    except Exception as exc:  # the comparison names it
        return type(exc)


@given(docs=DOCS, params=PARAMS)
def test_analyzer_gives_scikit_learns_features(docs, params):
    ours = text.build_analyzer(settings_of(params))
    theirs = sklearn_analyzer(params)
    for doc in docs:
        assert ours(doc) == theirs(doc), (doc, params)


@given(docs=DOCS, params=PARAMS)
def test_analyzer_gives_hashing_vectorizers_features(docs, params):
    ours = text.build_analyzer(settings_of(params))
    theirs = sklearn_analyzer(params, HashingVectorizer)
    for doc in docs:
        assert ours(doc) == theirs(doc), (doc, params)


@pytest.mark.parametrize("analyzer", text.ANALYZERS)
@pytest.mark.parametrize("doc", ["", " ", "\t", "a", "ab", "a b", "  a  \t b\n", "_", "é", "e\u0301"])
@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 2), (2, 2), (1, 5), (3, 6)])
def test_analyzer_on_short_and_blank_documents(analyzer, doc, ngram_range):
    params = {"analyzer": analyzer, "ngram_range": ngram_range, "strip_accents": "unicode"}
    assert text.build_analyzer(params)(doc) == sklearn_analyzer(params)(doc)


def test_default_settings_are_scikit_learns():
    defaults = CountVectorizer().get_params()
    assert {key: defaults[key] for key in text.DEFAULTS} == text.DEFAULTS
    doc = "Ünïcode ΣΟΦΙΑ_ and the 中文 text, twice: text 😀 ab_12 x"
    assert text.build_analyzer({})(doc) == CountVectorizer().build_analyzer()(doc)


ENCODINGS = ["utf-8", "latin-1", "ascii", "utf-16", "cp1252", "utf-8-sig", "koi8-r"]


@given(docs=DOCS, params=PARAMS, written=st.sampled_from(ENCODINGS), read=st.sampled_from(ENCODINGS),
       decode_error=st.sampled_from(["strict", "ignore", "replace"]), raw=st.lists(st.binary(max_size=12), max_size=2))
def test_bytes_decoded_as_scikit_learn_decodes_them(docs, params, written, read, decode_error, raw):
    params = {**params, "encoding": read, "decode_error": decode_error}
    ours = text.build_analyzer(settings_of(params))
    theirs = sklearn_analyzer(params)
    for doc in [d.encode(written, "replace") for d in docs] + raw:
        assert outcome(ours, doc) == outcome(theirs, doc), (doc, params)


@pytest.mark.parametrize("doc", [None, 1.5, float("nan"), 3, ["a b"], bytearray(b"a b")])
@pytest.mark.parametrize("params", [{}, {"lowercase": False}, {"analyzer": "char", "lowercase": False},
                                    {"analyzer": "char_wb", "lowercase": False}])
def test_a_document_that_is_not_text_is_refused_as_scikit_learn_refuses_it(doc, params):
    with pytest.raises(Exception):  # scikit-learn's error varies with the settings: AttributeError, TypeError...
        sklearn_analyzer(params)(doc)
    with pytest.raises(TypeError, match="a document must be str or bytes, not"):
        text.build_analyzer(params)(doc)


def test_numpy_and_str_subclasses_are_documents():
    analyze, theirs = text.build_analyzer({}), CountVectorizer().build_analyzer()
    for doc in [np.str_("Ab cd éf"), np.bytes_(b"ab cd"), np.array(["xy zz"])[0]]:
        assert analyze(doc) == theirs(doc)


@pytest.mark.parametrize("settings, error, message", [
    ({"analyzer": "words"}, ValueError, "analyzer must be one of"),
    ({"tokenizer": None}, ValueError, "unknown text setting 'tokenizer'"),
    ({"lowercase": 1}, TypeError, "lowercase must be true or false"),
    ({"strip_accents": "latin"}, ValueError, "strip_accents must be"),
    ({"token_pattern": None}, TypeError, "token_pattern must be a str"),
    ({"token_pattern": "(a"}, ValueError, "does not compile"),
    ({"token_pattern": "(a)(b)"}, ValueError, "2 capturing groups"),
    ({"stop_words": "english"}, TypeError, "stop_words must be None or a list of str"),
    ({"stop_words": ["a", 1]}, TypeError, "stop_words must be None or a list of str"),
    ({"ngram_range": (1,)}, TypeError, "ngram_range must be two ints"),
    ({"ngram_range": (1, 2.0)}, TypeError, "ngram_range must be two ints"),
    ({"ngram_range": (True, 2)}, TypeError, "ngram_range must be two ints"),
    ({"ngram_range": (2, 1)}, ValueError, "1 <= min_n <= max_n"),
    ({"ngram_range": (0, 2)}, ValueError, "1 <= min_n <= max_n"),
    ({"encoding": "no-such-codec"}, ValueError, "encoding 'no-such-codec' is not a text encoding Python knows"),
    ({"encoding": "base64"}, ValueError, "encoding 'base64' is not a text encoding Python knows"),
    ({"encoding": None}, TypeError, "encoding must be a str"),
    ({"decode_error": "surrogateescape"}, ValueError, "decode_error must be one of"),
    (["analyzer"], TypeError, "text settings must be a dict"),
])
def test_bad_settings_are_refused_by_name(settings, error, message):
    with pytest.raises(error, match=re.escape(message)):
        text.build_analyzer(settings)


def test_settings_are_returned_complete():
    settings = text.check_settings({"ngram_range": [1, 2], "stop_words": ("a",)})
    assert settings == {**text.DEFAULTS, "ngram_range": (1, 2), "stop_words": ["a"]}


# The hashing: scikit-learn's murmurhash3_32 and HashingVectorizer.transform, bit for bit.

KEYS = st.lists(st.one_of(st.text(ANY_CHAR, max_size=20), st.sampled_from(PIECES), st.binary(max_size=20)),
                max_size=30)


@pytest.fixture
def hasher(backend):
    """The backend's (murmurhash3_32_many, hash_columns): fastscore._kernel's, or fastscore.text's."""
    if backend == "compiled":
        from fastscore import _kernel  # an ImportError here is a failure, not a skip
        return _kernel.murmurhash3_32_many, _kernel.hash_columns
    return text.murmurhash3_32_many, text.hash_columns


@given(keys=KEYS)
def test_murmurhash3_32_many_is_scikit_learns(keys, hasher):
    hashes = hasher[0](keys)
    assert hashes.dtype == np.int32 and hashes.shape == (len(keys),)
    assert hashes.tolist() == [sklearn_murmurhash3_32(key) for key in keys]


@given(key=st.one_of(st.text(ANY_CHAR, max_size=20), st.binary(max_size=20)), seed=st.integers(0, 2**32 - 1))
def test_murmurhash3_32_of_any_seed_is_scikit_learns(key, seed):
    assert text.murmurhash3_32(key, seed) == sklearn_murmurhash3_32(key, seed=seed)


def test_murmurhash3_32_of_every_length_and_known_values(hasher):
    keys = ["", "a", "ab", "abc", "abcd", "abcde", "é", "😀", "😀a", "€€€"] + ["x" * n for n in range(40)]
    assert hasher[0](keys).tolist() == [sklearn_murmurhash3_32(key) for key in keys]
    assert text.murmurhash3_32(b"Hello World!", seed=42) == 3565178  # scikit-learn's docstring


@pytest.mark.parametrize("key, error", [("\ud800", UnicodeEncodeError), ("a\udfffb", UnicodeEncodeError),
                                        (1.5, TypeError), (None, TypeError)])
def test_murmurhash3_32_refuses_what_scikit_learn_refuses(key, error, hasher):
    with pytest.raises(error):
        sklearn_murmurhash3_32(key)
    with pytest.raises(error):
        hasher[0](["fine", key])


def test_murmurhash3_32_refuses_an_int(hasher):
    # scikit-learn hashes an int as its 4 bytes; a feature is always text, so an int is a mistake here.
    with pytest.raises(TypeError, match="murmurhash3_32 hashes str or bytes, not int"):
        hasher[0](["fine", 1])


def sklearn_column(h, n_features):
    """scikit-learn's _hashing_fast.transform, transcribed: its own formula for h = -2**31."""
    if h == -2147483648:
        return (2147483647 - (n_features - 1)) % n_features
    return abs(h) % n_features


@given(hashes=st.lists(st.one_of(st.integers(-2**31, 2**31 - 1),
                                 st.sampled_from([-2**31, -2**31 + 1, -1, 0, 1, 2**31 - 1])), max_size=20),
       n_features=st.one_of(st.integers(1, 64), st.sampled_from([2**20, 2**31 - 1, 2**31 - 2, 2**30 + 1]),
                            st.integers(1, 2**31 - 1)))
def test_hash_columns_are_scikit_learns(hashes, n_features, hasher):
    columns = hasher[1](np.array(hashes, dtype=np.int32), n_features)
    assert columns.dtype == np.int64
    assert columns.tolist() == [sklearn_column(h, n_features) for h in hashes]


@pytest.mark.parametrize("n_features", [0, -1, 2**31, 1.5, True, None])
def test_hash_columns_refuse_a_bad_n_features(n_features, hasher):
    with pytest.raises(ValueError, match="n_features must be an int from 1 to 2\\*\\*31 - 1"):
        hasher[1](np.zeros(2, dtype=np.int32), n_features)


@given(docs=DOCS, params=PARAMS, alternate_sign=st.booleans(),
       n_features=st.one_of(st.integers(1, 40), st.just(2**20), st.integers(1, 2**31 - 1)))
def test_hashed_rows_are_hashing_vectorizers(docs, params, alternate_sign, n_features, hasher):
    """Columns and values of each row of HashingVectorizer(norm=None).transform, from either backend's hashes."""
    vectorizer = HashingVectorizer(**params, n_features=n_features, alternate_sign=alternate_sign, norm=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        X = vectorizer.transform(docs).tocsr()
    analyze = text.build_analyzer(settings_of(params))
    for i, doc in enumerate(docs):
        features = analyze(doc)
        hashes = hasher[0](features)
        columns, values = text.hashed_counts(features, n_features, alternate_sign, hashes)
        row = slice(X.indptr[i], X.indptr[i + 1])
        assert columns.tolist() == X.indices[row].tolist()
        assert values.tolist() == X.data[row].tolist()
        assert hasher[1](hashes, n_features).tolist() == text.hash_columns(hashes, n_features).tolist()


def test_a_column_whose_signs_cancel_stays_with_zero_as_in_scikit_learn():
    # With one column every feature collides; these two hash to opposite signs.
    features = ["a", "b"]
    assert sorted(np.sign(text.murmurhash3_32_many(features)).tolist()) == [-1, 1]
    X = HashingVectorizer(n_features=1, norm=None, analyzer="char").transform(["ab"])
    columns, values = text.hashed_counts(features, 1, True)
    assert X.indices.tolist() == columns.tolist() == [0]
    assert X.data.tolist() == values.tolist() == [0.0]
    binary = HashingVectorizer(n_features=1, norm=None, analyzer="char", binary=True).transform(["ab"])
    assert binary.data.tolist() == [1.0]  # binary makes the stored zero a one: the text stage must too


# The rows: CountVectorizer's and TfidfVectorizer's transform, from the features, to the bit.

CORPUS = ["The quick brown fox jumps over the lazy dog 42 times.", "Été à Paris: café, crème brûlée, naïve ŒUVRE!",
          "中文 日本語 한국어 mixed_scripts ΣΟΦΙΑ σοφία", "emoji 😀 👍🏽 and digits ١٢٣ ² ½ under_score", "a b c d e f"]


def assert_rows_equal(X, rows):
    """Each CSR row of X has exactly these (columns, values): the same indices and the same float64 bits."""
    X = X.tocsr()
    for i, (columns, values) in enumerate(rows):
        row = slice(X.indptr[i], X.indptr[i + 1])
        assert columns.tolist() == X.indices[row].tolist()
        assert values.dtype == X.data.dtype == np.float64
        assert values.tobytes() == X.data[row].tobytes(), (values, X.data[row])


@given(corpus=st.lists(DOC, max_size=6), docs=DOCS, params=PARAMS, binary=st.booleans(),
       norm=st.sampled_from(["l1", "l2", None]), use_idf=st.booleans(), smooth_idf=st.booleans(),
       sublinear_tf=st.booleans(), min_df=st.sampled_from([1, 2]), max_df=st.sampled_from([1.0, 0.8]))
def test_tfidf_rows_are_tfidf_vectorizers(corpus, docs, params, binary, norm, use_idf, smooth_idf, sublinear_tf,
                                          min_df, max_df):
    vectorizer = TfidfVectorizer(**params, binary=binary, norm=norm, use_idf=use_idf, smooth_idf=smooth_idf,
                                 sublinear_tf=sublinear_tf, min_df=min_df, max_df=max_df)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            vectorizer.fit(CORPUS + corpus)
    except ValueError:  # every term pruned by min_df and max_df: nothing to compare
        reject()
    analyze = text.build_analyzer(settings_of(params))
    idf = vectorizer.idf_ if use_idf else None
    rows = []
    for doc in docs:
        columns, counts = text.count_terms(analyze(doc), vectorizer.vocabulary_)
        rows.append((columns, text.weigh_row(columns, counts, binary=binary, sublinear_tf=sublinear_tf, idf=idf,
                                             norm=norm)))
    assert_rows_equal(vectorizer.transform(docs), rows)


@given(docs=DOCS, params=PARAMS, binary=st.booleans())
def test_count_rows_are_count_vectorizers(docs, params, binary):
    vectorizer = CountVectorizer(**params, binary=binary, dtype=np.float64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        vectorizer.fit(CORPUS + docs)
    analyze = text.build_analyzer(settings_of(params))
    rows = []
    for doc in docs:
        columns, counts = text.count_terms(analyze(doc), vectorizer.vocabulary_)
        rows.append((columns, text.weigh_row(columns, counts, binary=binary)))
    assert_rows_equal(vectorizer.transform(docs), rows)


@given(docs=DOCS, params=PARAMS, alternate_sign=st.booleans(), binary=st.booleans(),
       norm=st.sampled_from(["l1", "l2", None]), n_features=st.one_of(st.integers(1, 40), st.just(2**20)))
def test_weighed_hashed_rows_are_hashing_vectorizers(docs, params, alternate_sign, binary, norm, n_features, hasher):
    vectorizer = HashingVectorizer(**params, n_features=n_features, alternate_sign=alternate_sign, binary=binary,
                                   norm=norm)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        X = vectorizer.transform(docs)
    analyze = text.build_analyzer(settings_of(params))
    rows = []
    for doc in docs:
        features = analyze(doc)
        columns, values = text.hashed_counts(features, n_features, alternate_sign, hasher[0](features))
        rows.append((columns, text.weigh_row(columns, values, binary=binary, norm=norm)))
    assert_rows_equal(X, rows)


@pytest.mark.parametrize("norm", ["l1", "l2"])
@pytest.mark.parametrize("sublinear_tf", [False, True])
def test_long_rows_are_normalised_adding_left_to_right(norm, sublinear_tf):
    # Rows of hundreds of terms: a sum in any other order (numpy's pairwise np.sum) differs in the last bits.
    rng = np.random.default_rng(11)
    words = ["".join(rng.choice(list("abcdéfghijklmnöpqrstuvwxyz中😀"), size=rng.integers(2, 9))) for _ in range(900)]
    docs = [" ".join(rng.choice(words, size=rng.integers(100, 600))) for _ in range(30)]
    vectorizer = TfidfVectorizer(norm=norm, sublinear_tf=sublinear_tf).fit(docs)
    analyze = text.build_analyzer({})
    rows = []
    for doc in docs:
        columns, counts = text.count_terms(analyze(doc), vectorizer.vocabulary_)
        rows.append((columns, text.weigh_row(columns, counts, sublinear_tf=sublinear_tf, idf=vectorizer.idf_,
                                             norm=norm)))
    assert min(len(columns) for columns, _ in rows) > 50
    assert_rows_equal(vectorizer.transform(docs), rows)


def test_weigh_row_refuses_an_unknown_norm():
    with pytest.raises(ValueError, match="norm must be 'l1', 'l2' or None, not 'max'"):
        text.weigh_row(np.array([0]), np.array([1.0]), norm="max")


def test_a_row_of_zeros_is_left_as_it_is():
    # One column, two features of opposite signs: a stored 0.0 that normalize leaves (0 / 0 would be NaN).
    X = HashingVectorizer(n_features=1, analyzer="char", norm="l2").transform(["ab", ""])
    columns, values = text.hashed_counts(["a", "b"], 1, True)
    empty = text.hashed_counts([], 1, True)
    assert_rows_equal(X, [(columns, text.weigh_row(columns, values, norm="l2")),
                          (empty[0], text.weigh_row(empty[0], empty[1], norm="l2"))])


# What a compiled tokenizer must reproduce: Python's Unicode \w and \s, per code point.

ALL_CODE_POINTS = "".join(map(chr, range(sys.maxunicode + 1)))


def test_word_characters_are_isalnum_or_underscore_over_every_code_point():
    word = {c for c in ALL_CODE_POINTS if c.isalnum() or c == "_"}
    assert set(re.findall(r"\w", ALL_CODE_POINTS)) == word
    assert set(re.findall(r"(?u)\w", ALL_CODE_POINTS)) == word


def test_white_space_is_isspace_over_every_code_point():
    space = {c for c in ALL_CODE_POINTS if c.isspace()}
    assert set(re.findall(r"\s", ALL_CODE_POINTS)) == space
    # str.split() (char_wb's words) splits at the same characters
    assert {c for c in space if ("a" + c + "b").split() == ["a", "b"]} == space


def runs_of_word_characters(doc):
    """The default token pattern as a C tokenizer would apply it: maximal runs of isalnum() or '_', 2 or longer."""
    tokens, start = [], None
    for i, c in enumerate(doc + " "):
        if c.isalnum() or c == "_":
            start = i if start is None else start
        else:
            if start is not None and i - start >= 2:
                tokens.append(doc[start:i])
            start = None
    return tokens


@given(doc=DOC)
def test_default_token_pattern_is_runs_of_word_characters(doc):
    assert re.findall(r"(?u)\b\w\w+\b", doc) == runs_of_word_characters(doc)

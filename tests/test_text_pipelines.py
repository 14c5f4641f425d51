"""Text pipelines against scikit-learn, on both backends: vectorizers and their settings, documents from
all of Unicode, text columns beside tabular ones, wrappers, inputs, and the model file.

Each model is converted, written with dumps() and read back with
loads(backend=...), so that what is scored is what a model file holds.
The agreement asked is 1e-12 (the project's promise); errors are asked to
be those scikit-learn raises, or a one-line message naming the problem.
"""
import io
import pickle
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer, TfidfTransformer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline, make_pipeline

import fastscore
from helpers import assert_close

ANY_CHAR = st.characters(exclude_categories=("Cs",))  # every code point UTF-8 can encode
PIECES = [
    "é", "e\u0301", "Ä", "A\u0308", "ﬁ", "İ", "ẞ", "ß", "Σ", "ΣΑΣ", "ς", "Ǆ", "ǅ", "Ⅻ", "㎏",
    "中文", "日本語", "東京", "한국어", "ไทย", "العربية", "Ελληνικά", "кириллица",
    "😀", "👍🏽", "\U0001F468\u200d\U0001F469\u200d\U0001F467", "\U0001D518\U0001D52B", "\U00020000",
    "١٢٣", "०१२", "²", "½", "42", "_", "__", "a_b", "under_score", "don't",
    " ", "  ", "\t", "\n", "\r\n", "\u00a0", "\u2003", "\u3000", "\x1c", "\x85", "\u2028", "\u200b",
    "\u0301", "\u0308\u0323", "Ångström", "naïve café", "Crème Brûlée", "ŒUVRE",
]
# Common words, so that most drawn corpora have a vocabulary after min_df and max_df.
WORDS = ["the", "cat", "sat", "on", "mat", "dogs", "and", "Cats", "café", "Café", "cafe\u0301", "ab", "xy"]
PIECE = st.one_of(st.sampled_from(PIECES), st.sampled_from(WORDS).map(" {} ".format), st.text(ANY_CHAR, max_size=5),
                  st.just(""))
DOC = st.lists(PIECE, max_size=10).map("".join)

PATTERNS = [r"(?u)\b\w\w+\b", r"(?u)\b\w+\b", r"\S+", r"[a-z]+", r"(\w)\w", r"\b\w+(?:'\w+)?\b"]
STOP_WORDS = st.one_of(st.none(), st.just("english"),
                       st.lists(st.sampled_from(["the", "a", "é", "中文", "_", "and", "cat", "42"]), max_size=4))


@st.composite
def analyzers(draw):
    """A vectorizer's analyzer parameters, as scikit-learn takes them."""
    min_n = draw(st.integers(1, 2))
    return {"analyzer": draw(st.sampled_from(["word", "char", "char_wb"])),
            "lowercase": draw(st.booleans()),
            "strip_accents": draw(st.sampled_from([None, "ascii", "unicode"])),
            "token_pattern": draw(st.sampled_from(PATTERNS)),
            "stop_words": draw(STOP_WORDS),
            "ngram_range": (min_n, draw(st.integers(min_n, min_n + 2)))}


@st.composite
def tfidf_params(draw):
    return {"norm": draw(st.sampled_from(["l1", "l2", None])), "use_idf": draw(st.booleans()),
            "smooth_idf": draw(st.booleans()), "sublinear_tf": draw(st.booleans())}


@st.composite
def vocabulary_params(draw):
    return {"binary": draw(st.booleans()), "min_df": draw(st.sampled_from([1, 2, 0.1])),
            "max_df": draw(st.sampled_from([1.0, 0.8, 5])), "max_features": draw(st.sampled_from([None, 3, 40]))}


@st.composite
def vectorizers(draw):
    """A text step: a vectorizer, or a vectorizer and a TfidfTransformer (a list of steps)."""
    kind = draw(st.sampled_from(["count", "tfidf", "hashing", "count+tfidf", "hashing+tfidf"]))
    a = draw(analyzers())
    if kind.startswith("hashing"):
        sign = draw(st.booleans())
        norm = draw(st.sampled_from(["l1", "l2", None]))
        vec = HashingVectorizer(**a, n_features=draw(st.sampled_from([1, 2, 7, 64, 1024])), alternate_sign=sign,
                                binary=draw(st.booleans()), norm=norm)
    elif kind.startswith("count"):
        vec = CountVectorizer(**a, **draw(vocabulary_params()))
    else:
        vec = TfidfVectorizer(**a, **draw(vocabulary_params()), **draw(tfidf_params()))
    if not kind.endswith("+tfidf"):
        return [vec]
    t = draw(tfidf_params())
    if kind.startswith("hashing") and vec.alternate_sign:
        t["sublinear_tf"] = False  # refused (test_text_refusals): scikit-learn takes the log of negatives
    if kind.startswith("hashing"):
        t["smooth_idf"] = True  # columns no document hashed to have an infinite idf: see its own test
    return [vec, TfidfTransformer(**t)]


def fit_or_reject(pipe, docs, y):
    """pipe fitted, or the example rejected: random corpora may leave no vocabulary (scikit-learn's ValueError)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # stop words inconsistent with the preprocessing, convergence
        try:
            pipe.fit(docs, y)
        except ValueError:
            assume(False)
    return pipe


def round_trip(pipe, backend):
    return fastscore.loads(fastscore.from_sklearn(pipe).dumps(), backend=backend)


def assert_scores_as_sklearn(model, pipe, docs):
    """Every method both have, on docs, and score_one per document, within 1e-12."""
    if hasattr(pipe, "predict_proba"):
        proba = pipe.predict_proba(docs)
        assert_close(model.predict_proba(docs), proba)
        assert_close(model.decision_function(docs), pipe.decision_function(docs))
        assert (model.predict(docs) == pipe.predict(docs)).all()
        for doc, p in zip(docs, proba):
            one = model.score_one(doc)
            assert_close(one, p[1] if len(p) == 2 else p)
    else:
        pred = pipe.predict(docs)
        assert_close(model.predict(docs), pred)
        for doc, p in zip(docs, pred):
            assert_close(model.score_one(doc), p)


@settings(max_examples=50, deadline=None)
@given(train=st.lists(DOC, min_size=4, max_size=14), fresh=st.lists(DOC, min_size=1, max_size=6),
       steps=vectorizers(), classes=st.sampled_from([0, 2, 3]))
def test_random_text_pipelines_score_as_scikit_learn(backend, train, fresh, steps, classes):
    """Any Unicode documents, any vectorizer settings, a LogisticRegression (2 or 3 classes) or a Ridge."""
    train = train + WORDS  # both classes see words
    n = len(train)
    if classes:
        y = np.arange(n) % classes
        model = LogisticRegression(C=10.0, max_iter=200)
    else:
        y = np.sin(np.arange(n))
        model = Ridge(alpha=0.5)
    pipe = fit_or_reject(make_pipeline(*steps, model), train, y)
    m = round_trip(pipe, backend)
    assert_scores_as_sklearn(m, pipe, fresh + train[:3])


def test_hashing_columns_unseen_in_fit_with_smooth_idf_false(backend):
    """TfidfTransformer(smooth_idf=False) after a HashingVectorizer: columns no training document
    hashed to have idf = inf. scikit-learn scores documents that avoid them and raises ValueError on
    a batch with one that does not; fastscore does the same, or refuses the conversion naming the
    class and the setting (never a message about its own file's fields)."""
    docs = ["the cat sat", "the dog", "a cat", "dogs"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # scikit-learn's divide by zero in fit
        pipe = make_pipeline(HashingVectorizer(n_features=16, alternate_sign=False, norm=None),
                             TfidfTransformer(smooth_idf=False), LogisticRegression()).fit(docs, [0, 1, 0, 1])
    assert np.isinf(pipe[1].idf_).any()
    try:
        model = round_trip(pipe, backend)
    except (TypeError, ValueError) as exc:
        message = str(exc)
        assert "TfidfTransformer" in message and "smooth_idf" in message, message
        return
    seen = ["the cat", "dogs dog sat", ""]
    assert_scores_as_sklearn(model, pipe, seen)
    with pytest.raises(ValueError):
        pipe.predict_proba(["zebra unseen"])
    with pytest.raises(ValueError):
        model.predict_proba(seen + ["zebra unseen"])

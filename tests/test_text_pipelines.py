"""Text pipelines against scikit-learn, on both backends: vectorizers and their settings, documents from
all of Unicode, text columns beside tabular ones, wrappers, inputs, and the model file.

Each model is converted, written with dumps() and read back with
loads(backend=...), so that what is scored is what a model file holds.
The agreement asked is 1e-12 (the project's promise); errors are asked to
be those scikit-learn raises, or a one-line message naming the problem.
"""
import functools
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

# one group: findall gives the group; an optional group: the empty string is a term
PATTERNS = [r"(?u)\b\w\w+\b", r"(?u)\b\w+\b", r"\S+", r"[a-z]+", r"(\w)\w", r"\w(\w)?", r"\b\w+(?:'\w+)?\b"]
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
        if hasattr(pipe, "decision_function"):
            assert_close(model.decision_function(docs), pipe.decision_function(docs))
        else:
            with pytest.raises(AttributeError):
                model.decision_function(docs)
        assert (model.predict(docs) == pipe.predict(docs)).all()
        if hasattr(pipe, "predict_log_proba"):
            with np.errstate(divide="ignore"):  # modified_huber's probabilities of 0: scikit-learn's log(0)
                theirs = pipe.predict_log_proba(docs)
            ours = model.predict_log_proba(docs)
            # scikit-learn logs its rounded probabilities (1 - p for the other class): as exact as ours
            # where they are not small; below, its log carries their rounding, a few eps / p (as in
            # estimator_cases.compare_classifier)
            sure = (proba > 1e-3) | (proba == 0.0)
            assert_close(ours[sure], theirs[sure])
            assert_close(ours[~sure], theirs[~sure], 8 * np.finfo(float).eps / proba[~sure])
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


# ---- text columns beside tabular ones ------------------------------------------------------------------

VOCABULARY = ("the cat sat on mat dogs and cats living together héllo wörld café cafe\u0301 naïve ΣΟΦΙΑ 東京 😀 "
              "under_score 42 ١٢٣").split()


def corpus(n, seed=0, words=(0, 12)):
    rng = np.random.default_rng(seed)
    return [" ".join(rng.choice(VOCABULARY, rng.integers(*words))) for _ in range(n)]


def frame(n=120, seed=0):
    import pandas as pd

    rng = np.random.default_rng(seed)
    age = rng.normal(40, 10, n)
    age[::7] = np.nan
    return pd.DataFrame({"body": corpus(n, seed), "age": age, "income": rng.lognormal(10, 1, n),
                         "city": rng.choice(["paris", "oslo", "lima"], n)})


def tabular_text_pipeline(y_kind="multiclass"):
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    ct = ColumnTransformer([("text", TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True), "body"),
                            ("num", make_pipeline(SimpleImputer(), StandardScaler()), ["age", "income"]),
                            ("cat", OneHotEncoder(handle_unknown="ignore"), ["city"])])
    df = frame()
    y = np.arange(len(df)) % (3 if y_kind == "multiclass" else 2)
    return make_pipeline(ct, LogisticRegression(max_iter=2000)).fit(df, y), df


@pytest.fixture(scope="module")
def tabular():
    return tabular_text_pipeline()


def as_records(df):
    """JSON records: a missing number is null."""
    return [{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.items()}
            for row in df.to_dict("records")]


@pytest.mark.parametrize("form", ["DataFrame", "dict of columns", "records", "pyarrow", "reordered", "extra"])
def test_text_column_beside_numeric_and_categorical(backend, tabular, form):
    pipe, df = tabular
    model = round_trip(pipe, backend)
    if form == "DataFrame":
        X = df
    elif form == "dict of columns":
        X = {k: df[k].tolist() for k in df.columns}
    elif form == "records":
        X = as_records(df)
    elif form == "pyarrow":
        pa = pytest.importorskip("pyarrow", reason="pyarrow is an optional input format")
        X = pa.Table.from_pandas(df, preserve_index=False)
    elif form == "reordered":
        X = df[["city", "income", "body", "age"]]
    else:
        X = df.assign(extra=1.0, other="x")[["other", "city", "body", "extra", "age", "income"]]
    assert_close(model.predict_proba(X), pipe.predict_proba(df))
    assert (model.predict(X) == pipe.predict(df)).all()


def test_text_column_score_one_of_a_dict(backend, tabular):
    pipe, df = tabular
    model = round_trip(pipe, backend)
    proba = pipe.predict_proba(df)
    for i, row in enumerate(as_records(df)[:25]):
        assert_close(model.score_one(row), proba[i])
        assert_close(model.score_one(df.iloc[i]), proba[i])
        assert_close(model.score_one({"extra": 3, **dict(reversed(list(row.items())))}), proba[i])


def test_text_column_missing_or_not_a_document_is_named(backend, tabular):
    pipe, df = tabular
    model = round_trip(pipe, backend)
    row = as_records(df)[0]
    with pytest.raises(ValueError, match="body"):
        model.score_one({k: v for k, v in row.items() if k != "body"})
    records = as_records(df)
    records[3]["body"] = None
    with pytest.raises((TypeError, ValueError), match=r"body.*\b3\b|\b3\b.*body"):
        model.predict_proba(records)


# ---- wrappers and compositions -----------------------------------------------------------------------

def test_calibrated_linear_svc_after_a_vectorizer(backend):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.svm import LinearSVC

    docs, y = corpus(150, 1), np.arange(150) % 3
    for pipe in [make_pipeline(TfidfVectorizer(), CalibratedClassifierCV(LinearSVC(), cv=3)),
                 CalibratedClassifierCV(make_pipeline(TfidfVectorizer(ngram_range=(1, 2)), LinearSVC()), cv=3),
                 CalibratedClassifierCV(make_pipeline(HashingVectorizer(n_features=256), LinearSVC()),
                                        method="isotonic", cv=3)]:
        pipe.fit(docs, y)
        fresh = corpus(40, 2) + [""]
        assert_scores_as_sklearn(round_trip(pipe, backend), pipe, fresh)


def test_feature_union_of_word_and_char_wb_then_max_abs_scaler(backend):
    from sklearn.pipeline import make_union
    from sklearn.preprocessing import MaxAbsScaler

    docs, y = corpus(120, 3), np.arange(120) % 2
    union = make_union(TfidfVectorizer(), TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4)))
    for pipe in [make_pipeline(union, LogisticRegression(max_iter=2000)),
                 make_pipeline(union, MaxAbsScaler(), LogisticRegression(max_iter=2000)),
                 make_pipeline(CountVectorizer(), MaxAbsScaler(), LogisticRegression(max_iter=2000))]:
        pipe.fit(docs, y)
        assert_scores_as_sklearn(round_trip(pipe, backend), pipe, corpus(40, 4) + ["", "   "])


def test_grid_search_and_transformed_target_over_text_pipelines(backend):
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.model_selection import GridSearchCV

    docs = corpus(80, 5)
    y = np.abs(np.sin(np.arange(80))) * 10
    search = GridSearchCV(make_pipeline(TfidfVectorizer(), LogisticRegression()),
                          {"tfidfvectorizer__ngram_range": [(1, 1), (1, 2)], "logisticregression__C": [0.1, 10]},
                          cv=2).fit(docs, (y > 5).astype(int))
    ttr = TransformedTargetRegressor(make_pipeline(TfidfVectorizer(), Ridge()), func=np.log1p,
                                     inverse_func=np.expm1).fit(docs, y)
    fresh = corpus(30, 6) + [""]
    assert_scores_as_sklearn(round_trip(search, backend), search, fresh)
    assert_scores_as_sklearn(round_trip(ttr, backend), ttr, fresh)


# ---- inputs ------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def documents_model():
    docs = corpus(100, 7)
    return make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(docs, np.arange(100) % 2), corpus(30, 8)


@pytest.mark.parametrize("form", ["list", "tuple", "numpy str", "numpy object", "Series", "long list"])
def test_documents_in_every_sequence(backend, documents_model, form):
    import pandas as pd

    pipe, docs = documents_model
    if form == "long list":  # more than one chunk of documents
        docs = docs * 300
    X = {"list": docs, "tuple": tuple(docs), "numpy str": np.array(docs), "numpy object": np.array(docs, dtype=object),
         "Series": pd.Series(docs, index=np.arange(len(docs)) * 3 + 5), "long list": docs}[form]
    assert_close(round_trip(pipe, backend).predict_proba(X), pipe.predict_proba(list(docs)))


def outcome(f, *args):
    """f's result, or the type of the exception it raised."""
    try:
        return f(*args)
    except Exception as exc:  # compared by the caller
        return type(exc)


@pytest.mark.parametrize("encoding", ["utf-8", "latin-1"])
@pytest.mark.parametrize("decode_error", ["strict", "ignore", "replace"])
def test_bytes_documents_decode_as_scikit_learn(backend, encoding, decode_error):
    text_docs = corpus(60, 9) + ["Crème Brûlée à la carte", "naïve"]
    train = [d.encode("utf-8") for d in text_docs]
    pipe = make_pipeline(CountVectorizer(encoding=encoding, decode_error=decode_error),
                         LogisticRegression()).fit(train, np.arange(len(train)) % 2)
    model = round_trip(pipe, backend)
    for docs in ([d.encode("utf-8") for d in text_docs[:10]], ["Crème brûlée".encode("latin-1")],
                 ["ok".encode("ascii"), "déjà vu".encode("latin-1")]):
        theirs, ours = outcome(pipe.predict_proba, docs), outcome(model.predict_proba, docs)
        if isinstance(theirs, type):
            assert ours is theirs, (docs, ours, theirs)
        else:
            assert_close(ours, theirs)
            for doc, p in zip(docs, theirs):
                assert_close(model.score_one(doc), p[1])


def test_one_string_is_not_a_batch(backend, documents_model):
    pipe, docs = documents_model
    model = round_trip(pipe, backend)
    with pytest.raises(ValueError):
        pipe.predict_proba(docs[0])
    with pytest.raises((TypeError, ValueError), match="score_one|sequence|list"):
        model.predict_proba(docs[0])
    with pytest.raises((TypeError, ValueError)):
        model.predict(b"one document")


@pytest.mark.parametrize("bad", [None, float("nan"), 3, np.float64("nan")])
@pytest.mark.parametrize("row", [2, 5000])
def test_a_document_that_is_not_text_is_named_by_row(backend, documents_model, bad, row):
    pipe, docs = documents_model
    model = round_trip(pipe, backend)
    batch = (docs * 200)[:row + 10]
    batch[row] = bad
    with pytest.raises((TypeError, ValueError), match=rf"\b{row}\b"):
        model.predict_proba(batch)
    with pytest.raises((TypeError, ValueError)):
        model.score_one(bad)


def test_a_table_given_to_a_documents_model_is_an_error(backend, documents_model):
    """scikit-learn iterates over a DataFrame's or a dict's column names, one "document" per name
    (a result of the wrong length, silently); a model of documents says it takes a sequence."""
    import pandas as pd

    pipe, docs = documents_model
    model = round_trip(pipe, backend)
    with pytest.raises((TypeError, ValueError)):
        model.predict_proba(pd.DataFrame({"body": docs}))
    with pytest.raises((TypeError, ValueError)):
        model.predict_proba({"body": docs})
    with pytest.raises((TypeError, ValueError)):
        model.predict_proba(np.array(docs).reshape(-1, 1))


def test_hashed_counts_that_cancel_stay_a_stored_zero(backend):
    """With alternate_sign, two features of opposite signs in one column sum to a stored 0, which
    binary=True makes 1 and TfidfTransformer's document frequency counts, as in scikit-learn."""
    from sklearn.utils import murmurhash3_32

    words = ["aa", "bb", "cc", "dd", "ee", "ff", "gg", "hh"]
    pos = next(w for w in words if murmurhash3_32(w, positive=False) >= 0)
    neg = next(w for w in words if murmurhash3_32(w, positive=False) < 0)
    docs = [f"{pos} {neg}", pos, neg, f"{pos} {pos}", "zz", f"{neg} {neg} {pos}"]
    y = [0, 1, 0, 1, 1, 0]
    for binary in (True, False):
        for extra in ([], [TfidfTransformer()], [TfidfTransformer(norm=None, use_idf=True)]):
            pipe = make_pipeline(HashingVectorizer(n_features=1, binary=binary, norm=None), *extra,
                                 LogisticRegression()).fit(docs, y)
            assert pipe[:-1].transform(docs[:1]).nnz == 1  # the stored zero
            assert_scores_as_sklearn(round_trip(pipe, backend), pipe, docs + [f"{neg} {pos} {pos} zz"])


# ---- the model file ------------------------------------------------------------------------------------

def file_cases():
    docs, y = corpus(100, 11), np.arange(100) % 3
    pipes = [make_pipeline(TfidfVectorizer(ngram_range=(1, 2), stop_words="english", strip_accents="unicode"),
                           LogisticRegression(max_iter=1000)),
             make_pipeline(HashingVectorizer(n_features=4096), TfidfTransformer(), LogisticRegression()),
             make_pipeline(HashingVectorizer(n_features=4096, alternate_sign=False, analyzer="char_wb",
                                             ngram_range=(1, 3)),
                           TfidfTransformer(sublinear_tf=True), Ridge())]
    return [(p.fit(docs, y if i < 2 else y * 1.5), corpus(30, 12) + [""]) for i, p in enumerate(pipes)]


@pytest.fixture(scope="module")
def file_models():
    return file_cases()


@pytest.mark.parametrize("case", [0, 1, 2])
def test_save_load_and_pickle_round_trip(backend, file_models, case, tmp_path):
    import json

    pipe, docs = file_models[case]
    model = fastscore.from_sklearn(pipe, backend=backend)
    path = tmp_path / "text.json"
    model.save(path)
    with open(path, encoding="utf-8") as f:
        d = json.load(f)
    assert d["format_version"] == 3 and len(d["texts"]) == 1
    if "hashing" in d["texts"][0]:  # only the columns with a coefficient are written
        assert len(d["texts"][0]["coef"][0]) == len(d["texts"][0]["columns"]) < d["texts"][0]["hashing"]["n_features"]
    loaded = fastscore.load(path, backend=backend)
    assert loaded.dumps() == model.dumps()
    assert_scores_as_sklearn(loaded, pipe, docs)
    unpickled = pickle.loads(pickle.dumps(loaded))
    assert unpickled.backend == backend
    assert_scores_as_sklearn(unpickled, pipe, docs)
    assert_scores_as_sklearn(fastscore.load(io.BytesIO(path.read_bytes()), backend=backend), pipe, docs)


def test_terms_of_every_kind_survive_the_file(backend):
    """Terms with quotes, backslashes, control characters, separators, emoji and lone combining marks."""
    docs = ['"quoted" back\\slash', "tab\there \x00nul\x01", "line\u2028sep \ufeffbom", "😀👍🏽 \u0301\u0308",
            "\U0010fffd \U00020000 東京", "é e\u0301 ﬁ"]
    pipe = make_pipeline(CountVectorizer(analyzer="char", ngram_range=(1, 2), lowercase=False),
                         LogisticRegression()).fit(docs, [0, 1, 0, 1, 0, 1])
    assert_scores_as_sklearn(round_trip(pipe, backend), pipe, docs + ["\x00\x01", "\u2028"])


# ---- every kind of linear model, nesting, labels ---------------------------------------------------------

def linear_models():
    from sklearn import linear_model as lm
    from sklearn import svm
    from sklearn.multiclass import OneVsRestClassifier

    sgd = dict(random_state=0, max_iter=50, tol=None)
    return {
        "logreg-multinomial": (lambda: LogisticRegression(max_iter=1000), 3),
        "logregcv": (lambda: lm.LogisticRegressionCV(Cs=3, cv=3), 2),
        "linearsvc": (lambda: svm.LinearSVC(), 3),
        "ridgeclassifier": (lambda: lm.RidgeClassifier(), 3),
        "sgd-log": (lambda: lm.SGDClassifier(loss="log_loss", **sgd), 2),
        "sgd-modified-huber": (lambda: lm.SGDClassifier(loss="modified_huber", **sgd), 3),
        "ovr-logreg": (lambda: OneVsRestClassifier(LogisticRegression()), 3),
        "ridge": (lambda: Ridge(), 0),
        "ridge-two-targets": (lambda: Ridge(), -2),
        "linear-regression": (lambda: lm.LinearRegression(), 0),
        "lasso": (lambda: lm.Lasso(alpha=0.001), 0),
        "elasticnet": (lambda: lm.ElasticNet(alpha=0.001), 0),
        "sgd-regressor": (lambda: lm.SGDRegressor(**sgd), 0),
        "huber": (lambda: lm.HuberRegressor(max_iter=500), 0),
    }


@pytest.mark.parametrize("name", sorted(linear_models()))
def test_every_linear_model_after_a_vectorizer(backend, name):
    factory, classes = linear_models()[name]
    docs = corpus(150, 13)
    n = len(docs)
    if classes > 0:
        y = np.array(["spam", "ham", "eggs"])[np.arange(n) % classes]
    elif classes == 0:
        y = np.sin(np.arange(n)) * 3
    else:
        y = np.column_stack([np.sin(np.arange(n)), np.cos(np.arange(n))])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence
        pipe = make_pipeline(TfidfVectorizer(ngram_range=(1, 2)), factory()).fit(docs, y)
    model = round_trip(pipe, backend)
    fresh = corpus(40, 14) + [""]
    if hasattr(pipe, "predict_proba") and classes > 0:
        assert_scores_as_sklearn(model, pipe, fresh)
    else:
        pred = pipe.predict(fresh)
        got = model.predict(fresh)
        if classes > 0:
            assert (got == pred).all()
            assert_close(model.decision_function(fresh), pipe.decision_function(fresh))
        else:
            assert_close(got, pred)
        for doc, p in zip(fresh[:10], pipe.decision_function(fresh) if classes > 0 else pred):
            assert_close(model.score_one(doc), p)


def test_nested_pipelines_and_passthrough_steps(backend):
    docs, y = corpus(100, 15), np.arange(100) % 2
    inner = make_pipeline(CountVectorizer(binary=True), TfidfTransformer(sublinear_tf=True))
    for pipe in [make_pipeline(inner, LogisticRegression()),
                 Pipeline([("vec", TfidfVectorizer()), ("nothing", "passthrough"), ("lr", LogisticRegression())]),
                 Pipeline([("nothing", None), ("vec", inner), ("lr", LogisticRegression())])]:
        pipe.fit(docs, y)
        assert_scores_as_sklearn(round_trip(pipe, backend), pipe, corpus(30, 16) + [""])


def test_two_text_columns_and_a_passthrough_remainder(backend):
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.pipeline import make_union

    df = frame(100, 17).assign(title=corpus(100, 18, (0, 4)))
    ct = ColumnTransformer([("body", make_pipeline(CountVectorizer(), TfidfTransformer()), "body"),
                            ("title", make_union(CountVectorizer(binary=True),
                                                 TfidfVectorizer(analyzer="char", ngram_range=(1, 2))), "title")],
                           remainder="drop")
    pipe = make_pipeline(ct, LogisticRegression(max_iter=1000)).fit(df, np.arange(100) % 3)
    model = round_trip(pipe, backend)
    fresh = frame(30, 19).assign(title=corpus(30, 20, (0, 4)))
    assert_close(model.predict_proba(fresh), pipe.predict_proba(fresh))
    assert_close(model.predict_proba(fresh[["title", "body"]]), pipe.predict_proba(fresh))
    for i, row in enumerate(fresh[["title", "body"]].to_dict("records")[:10]):
        assert_close(model.score_one(row), pipe.predict_proba(fresh)[i])
    with pytest.raises((KeyError, ValueError), match="title"):
        model.predict_proba(fresh[["body"]])
    strings = fresh.astype({"body": "string", "title": "category"})
    assert_close(model.predict_proba(strings), pipe.predict_proba(fresh))
    assert isinstance(strings["body"].dtype, pd.StringDtype)


def test_missing_text_in_a_dataframe_column_is_named(backend, tabular):
    pipe, df = tabular
    model = round_trip(pipe, backend)
    bad = df.copy()
    bad.loc[5, "body"] = np.nan
    with pytest.raises(ValueError):
        pipe.predict_proba(bad)
    with pytest.raises((TypeError, ValueError), match=r"body.*\b5\b|\b5\b.*body"):
        model.predict_proba(bad)
    bad = df.astype({"body": "string"})
    bad.loc[7, "body"] = None
    with pytest.raises((TypeError, ValueError), match=r"body.*\b7\b|\b7\b.*body"):
        model.predict_proba(bad)


def test_fixed_vocabulary_with_terms_no_document_has(backend):
    """TfidfVectorizer(vocabulary=...) keeps terms absent from the training documents: their idf is
    log((1 + n) / 1) + 1 with smooth_idf, and infinite without (as for unseen hashed columns)."""
    docs, y = corpus(60, 21), np.arange(60) % 2
    vocabulary = ["cat", "dogs", "zebra", "東京", "never seen"]
    pipe = make_pipeline(TfidfVectorizer(vocabulary=vocabulary, ngram_range=(1, 2)), LogisticRegression())
    pipe.fit(docs, y)
    assert_scores_as_sklearn(round_trip(pipe, backend), pipe, corpus(20, 22) + ["zebra cat", "never seen"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # scikit-learn's divide by zero
        pipe = make_pipeline(TfidfVectorizer(vocabulary=vocabulary, smooth_idf=False),
                             LogisticRegression()).fit(docs, y)
    assert np.isinf(pipe[0].idf_).any()
    try:
        model = round_trip(pipe, backend)
    except (TypeError, ValueError) as exc:
        assert "TfidfVectorizer" in str(exc) and "smooth_idf" in str(exc), str(exc)
        return
    seen = corpus(20, 23)
    assert_scores_as_sklearn(model, pipe, seen)
    with pytest.raises(ValueError):
        pipe.predict_proba(["zebra"])
    with pytest.raises(ValueError):
        model.predict_proba(seen + ["zebra"])


def test_zero_documents_give_empty_results(backend, documents_model):
    """As for tabular models (test_inputs): an empty batch is an empty result of the right shape."""
    pipe, docs = documents_model
    model = round_trip(pipe, backend)
    for X in ([], (), np.array([], dtype=str)):
        assert model.predict_proba(X).shape == (0, 2)
        assert model.decision_function(X).shape == (0,)
        assert model.predict(X).shape == (0,)


@functools.lru_cache(maxsize=None)
def bytes_model(encoding, decode_error, analyzer, backend):
    """A fitted pipeline reading bytes, and its model (fitted once per settings: hypothesis draws them again)."""
    train = corpus(40, 24) + WORDS
    pipe = make_pipeline(TfidfVectorizer(encoding=encoding, decode_error=decode_error, analyzer=analyzer,
                                         ngram_range=(1, 2)), LogisticRegression())
    pipe.fit(train, np.arange(len(train)) % 2)
    return pipe, round_trip(pipe, backend)


@settings(max_examples=40, deadline=None)
@given(raw=st.lists(st.one_of(st.binary(max_size=24), DOC.map(lambda d: d.encode("utf-8", "surrogatepass"))),
                    min_size=1, max_size=5),
       encoding=st.sampled_from(["utf-8", "latin-1", "cp1252", "utf-16", "ascii", "koi8-r"]),
       decode_error=st.sampled_from(["strict", "ignore", "replace"]),
       analyzer=st.sampled_from(["word", "char"]))
def test_random_bytes_decode_as_scikit_learn(backend, raw, encoding, decode_error, analyzer):
    """Any bytes: the same probabilities as scikit-learn, or the same exception type."""
    pipe, model = bytes_model(encoding, decode_error, analyzer, backend)
    theirs, ours = outcome(pipe.predict_proba, raw), outcome(model.predict_proba, raw)
    if isinstance(theirs, type):
        assert ours is theirs, (raw, ours, theirs)
        return
    assert_close(ours, theirs)
    for doc, p in zip(raw, theirs):
        assert_close(model.score_one(doc), p[1])


# ---- the command line ------------------------------------------------------------------------------

def test_cli_scores_a_text_column_as_scikit_learn_on_read_csv(backend, tabular, tmp_path):
    """The text column is named like any other column; quoted cells hold commas, quotes and newlines."""
    import os
    import subprocess
    import sys

    import pandas as pd

    pipe, df = tabular
    fastscore.from_sklearn(pipe).save(tmp_path / "model.json")
    rows = df.iloc[:40].copy()
    rows["body"] = [d or "x" for d in rows["body"]]  # an empty cell is a missing one for read_csv
    rows.loc[rows.index[3], "body"] = 'a "quoted" cat, on\ntwo lines\r\nand a tab\there'
    rows.loc[rows.index[4], "body"] = "ΣΟΦΙΑ café,😀"
    rows.to_csv(tmp_path / "in.csv", index=False)
    env = dict(os.environ, FASTSCORE_PURE="1" if backend == "pure" else "0")
    r = subprocess.run([sys.executable, "-m", "fastscore", "score", "model.json", "in.csv", "-o", "out.csv"],
                       cwd=tmp_path, env=env, capture_output=True, timeout=120)
    assert r.returncode == 0, r.stderr.decode()
    read = pd.read_csv(tmp_path / "in.csv")
    assert "two lines" in read["body"].iloc[3] and read["body"].iloc[4] == "ΣΟΦΙΑ café,😀"
    out = pd.read_csv(tmp_path / "out.csv")
    proba = pipe.predict_proba(read)
    assert len(out) == len(read)
    numbers = out.select_dtypes("number").to_numpy()
    assert numbers.shape[1] >= proba.shape[1], out.columns
    assert_close(numbers[:, -proba.shape[1]:], proba)


def test_score_into_out_on_any_threads(backend, documents_model, tabular):
    """score() of documents and of a table with a text column: into `out`, the same on any threads."""
    pipe, docs = documents_model
    model = round_trip(pipe, backend)
    docs = docs * 200  # more than one chunk
    want = pipe.predict_proba(docs)[:, 1]
    out = np.full(len(docs), np.nan)
    assert model.score(docs, out=out) is out
    assert_close(out, want)
    for threads in (1, 2, 3):
        assert np.array_equal(model.score(docs, n_threads=threads), out)
    with pytest.raises(ValueError):
        model.score(docs, out=np.empty(len(docs) - 1))
    pipe, df = tabular
    model = round_trip(pipe, backend)
    out = np.full((len(df), 3), np.nan)
    assert model.score(df, out=out) is out
    assert_close(out, pipe.predict_proba(df))
    assert np.array_equal(model.score(df, n_threads=2), out)


def test_one_column_read_as_text_and_as_categories(backend):
    """scikit-learn reads a column twice (char n-grams and one-hot); fastscore scores it so, or refuses
    naming the column and what it is read as: text and categories (not numbers)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OneHotEncoder

    df = frame(80, 25)
    ct = ColumnTransformer([("chars", CountVectorizer(analyzer="char"), "city"), ("onehot", OneHotEncoder(), ["city"]),
                            ("body", TfidfVectorizer(), "body")])
    pipe = make_pipeline(ct, LogisticRegression()).fit(df, np.arange(80) % 2)
    try:
        model = round_trip(pipe, backend)
    except (TypeError, ValueError) as exc:
        message = str(exc)
        assert "city" in message and "text" in message and "numbers" not in message, message
        return
    assert_close(model.predict_proba(df), pipe.predict_proba(df))


@settings(max_examples=30, deadline=None)
@given(train=st.lists(DOC, min_size=4, max_size=12), fresh=st.lists(DOC, min_size=1, max_size=5),
       steps=vectorizers(), second=vectorizers(), classes=st.sampled_from([0, 2, 3]))
def test_random_text_columns_beside_tabular_ones(backend, train, fresh, steps, second, classes):
    """Two random text blocks beside a scaled number and a one-hot category, from a DataFrame and from
    JSON records (score_one of each record)."""
    import pandas as pd
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    train = train + WORDS
    n = len(train)

    def table(docs, seed):
        rng = np.random.default_rng(seed)
        return pd.DataFrame({"body": docs, "title": docs[::-1], "x": rng.normal(size=len(docs)),
                             "city": rng.choice(["a", "b", "c"], len(docs))})

    ct = ColumnTransformer([("body", make_pipeline(*steps), "body"), ("title", make_pipeline(*second), "title"),
                            ("x", StandardScaler(), ["x"]), ("city", OneHotEncoder(handle_unknown="ignore"), ["city"])])
    model = LogisticRegression(C=10.0, max_iter=200) if classes else Ridge(alpha=0.5)
    y = np.arange(n) % classes if classes else np.sin(np.arange(n))
    pipe = fit_or_reject(make_pipeline(ct, model), table(train, 0), y)
    m = round_trip(pipe, backend)
    X = table(fresh + train[:3], 1)
    want = pipe.predict_proba(X) if classes else pipe.predict(X)
    assert_close(m.predict_proba(X) if classes else m.predict(X), want)
    for row, w in zip(X.to_dict("records"), want):
        assert_close(m.score_one(row), w[1] if classes == 2 else w)


def test_threads_scoring_one_model_at_once(backend, documents_model):
    """One model shared by threads, as in a web service: every call gives its own documents' results."""
    from concurrent.futures import ThreadPoolExecutor

    pipe, docs = documents_model
    model = round_trip(pipe, backend)
    batches = [corpus(50 + i, 100 + i) for i in range(8)]
    wants = [pipe.predict_proba(b) for b in batches]

    def work(i):
        b = batches[i % len(batches)]
        if i % 2:
            return i, model.predict_proba(b)
        return i, np.array([[1 - p, p] for p in (model.score_one(d) for d in b)])

    with ThreadPoolExecutor(4) as pool:
        for i, got in pool.map(work, range(32)):
            assert_close(got, wants[i % len(batches)])

"""Text pipelines fastscore refuses: each refusal names the class and the setting, in one line."""
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer, TfidfTransformer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import fastscore

DOCS = ["the cat sat", "the dog", "a cat", "dogs and cats", "Héllo wörld", "cat dog 東京"]
Y = [0, 1, 0, 1, 0, 1]


def refusal(pipe):
    """The message of converting pipe, which must be refused."""
    with pytest.raises((TypeError, ValueError)) as info:
        fastscore.from_sklearn(pipe)
    message = str(info.value)
    assert "\n" not in message.strip(), message
    return message


def upper(doc):
    return doc.upper()


@pytest.mark.parametrize("setting, vectorizer", [
    ("tokenizer", CountVectorizer(tokenizer=str.split, token_pattern=None)),
    ("preprocessor", TfidfVectorizer(preprocessor=upper)),
    ("analyzer", HashingVectorizer(analyzer=str.split)),
    ("strip_accents", CountVectorizer(strip_accents=upper)),
    ("ngram_range", CountVectorizer(ngram_range=(0, 1))),
    ("dtype", TfidfVectorizer(dtype=np.float32)),
    ("dtype", HashingVectorizer(dtype=np.float32)),
    ("dtype", CountVectorizer(dtype=np.float32)),
])
def test_vectorizer_settings_refused_by_name(setting, vectorizer):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = make_pipeline(vectorizer, LogisticRegression()).fit(DOCS, Y)
    message = refusal(pipe)
    assert type(vectorizer).__name__ in message and setting in message, message


def test_input_filename_refused_by_name(tmp_path):
    paths = []
    for i, doc in enumerate(DOCS):
        p = tmp_path / f"{i}.txt"
        p.write_text(doc, encoding="utf-8")
        paths.append(str(p))
    pipe = make_pipeline(TfidfVectorizer(input="filename"), LogisticRegression()).fit(paths, Y)
    message = refusal(pipe)
    assert "TfidfVectorizer" in message and "input" in message and "filename" in message, message
    assert all(p.read_text(encoding="utf-8") == d for p, d in zip(sorted(tmp_path.iterdir(), key=lambda p: int(p.stem)),
                                                                   DOCS))


def test_vectorizer_selected_by_a_list_is_refused():
    """A list selects a 2-D table; scikit-learn's vectorizer then reads the column names as documents."""
    df = pd.DataFrame({"alpha": ["x y", "y z"], "beta": ["z", "x"]})
    pipe = make_pipeline(ColumnTransformer([("t", CountVectorizer(), ["alpha", "beta"])]), LogisticRegression())
    pipe.fit(df, [0, 1])
    message = refusal(pipe)
    assert "CountVectorizer" in message and "list" in message, message


@pytest.mark.parametrize("step, setting", [(OneHotEncoder(handle_unknown="ignore"), "OneHotEncoder"),
                                           (StandardScaler(), "with_mean")])
def test_step_after_a_vectorizer_that_does_not_fold_is_refused(step, setting):
    """Made dense by the ColumnTransformer (scikit-learn refuses both on sparse input)."""
    df = pd.DataFrame({"body": DOCS})
    ct = ColumnTransformer([("t", CountVectorizer(), "body")], sparse_threshold=0)
    pipe = make_pipeline(ct, step, LogisticRegression()).fit(df, Y)
    message = refusal(pipe)
    assert type(step).__name__ in message and setting in message, message


def test_sublinear_tf_of_signed_hashed_counts_is_refused():
    """scikit-learn takes the log of counts that alternate_sign made negative: NaN."""
    pipe = make_pipeline(HashingVectorizer(n_features=8), TfidfTransformer(), LogisticRegression()).fit(DOCS, Y)
    pipe.set_params(tfidftransformer__sublinear_tf=True)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError):
            pipe.predict_proba(DOCS)
    message = refusal(pipe)
    assert "TfidfTransformer" in message and "sublinear_tf" in message and "alternate_sign" in message, message

"""docs/ESTIMATORS.md's list of refusals is the code's: every message it quotes is what converting
such an estimator raises, and every row of the list has an estimator here that raises it."""
import os
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn import linear_model as lm
from sklearn._loss.loss import HalfBinomialLoss  # a loss whose link (logit) no model file holds
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer, TransformedTargetRegressor
from sklearn.decomposition import PCA
from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer, TfidfTransformer, TfidfVectorizer
from sklearn.frozen import FrozenEstimator
from sklearn.impute import SimpleImputer
from sklearn.model_selection import FixedThresholdClassifier, GridSearchCV
from sklearn.multiclass import OneVsRestClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import (FunctionTransformer, KBinsDiscretizer, MinMaxScaler, OneHotEncoder,
                                   PolynomialFeatures, QuantileTransformer, SplineTransformer, StandardScaler)
from sklearn.svm import LinearSVC
from sklearn.tree import DecisionTreeClassifier

import fastscore

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOC = open(os.path.join(ROOT, "docs", "ESTIMATORS.md"), encoding="utf-8").read()

rng = np.random.default_rng(7)
X = rng.normal(size=(120, 3))
Y2 = (X[:, 0] + 0.3 * rng.normal(size=120) > 0).astype(int)
Y3 = np.digitize(X[:, 0] + 0.3 * rng.normal(size=120), [-0.5, 0.5])
YR = X @ [1.0, -2.0, 0.5] + 0.1 * rng.normal(size=120)
DF = pd.DataFrame({"x": X[:, 0], "y": X[:, 1], "size": np.exp(X[:, 2]), "flag": X[:, 2] > 0,
                   "city": rng.choice(["a", "b", "c"], 120)})
YPOS = X[:, 0] ** 2 + 1.0  # a positive target, for the log link
DOCS = [" ".join(rng.choice(["the", "cat", "sat", "on", "mat", "dog", "ran"], 5)) for _ in range(120)]


def fit(est, X_=X, y=Y2):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(X_, y)


def changed(est, **attributes):
    for k, v in attributes.items():
        setattr(est, k, v)
    return est


def on_df(*steps, model=None):
    return fit(make_pipeline(*steps, model or lm.LogisticRegression()), DF, Y2)


class MyRidge(lm.Ridge):
    pass


#: every message the refusal list quotes ("..." and <...> stand for any text), and estimators that raise it
CASES = {
    "fastscore cannot convert KNeighborsClassifier: fastscore converts exactly these scikit-learn estimators: ...":
        [lambda: fit(KNeighborsClassifier())],
    "it is a subclass of Ridge, which may predict differently": [lambda: fit(MyRidge(), y=YR)],
    "LogisticRegression is not fitted yet": [lambda: lm.LogisticRegression()],
    "Ridge has NaN or infinite coefficients (did fitting diverge?)":
        [lambda: changed(fit(lm.Ridge(), y=YR), coef_=np.array([np.nan, 1.0, 2.0]))],
    "... was fitted on two classes with multi_class='multinomial'":
        [lambda: changed(fit(lm.LogisticRegression()), multi_class="multinomial")],
    "... was fitted on multilabel targets": [lambda: fit(lm.RidgeClassifier(), y=np.eye(3)[Y3])],
    "... has coef_ of shape ... for 3 classes":
        [lambda: changed(fit(lm.LogisticRegression(), y=Y3), coef_=np.ones((2, 3)), intercept_=np.ones(2))],
    "... has coef_ of shape ... and intercept_ of shape ...":
        [lambda: changed(fit(lm.Ridge(), y=np.c_[YR, YR]), intercept_=np.ones(3))],
    "... has a 1-D coef_ but 3 intercepts": [lambda: changed(fit(lm.Ridge(), y=YR), intercept_=np.ones(3))],
    "OneVsRestClassifier over ...: fastscore converts it over binary linear classifiers only":
        [lambda: fit(OneVsRestClassifier(make_pipeline(StandardScaler(), lm.LogisticRegression())), y=Y3),
         lambda: fit(OneVsRestClassifier(FixedThresholdClassifier(lm.LogisticRegression(), threshold=0.3)),
                     y=Y3)],
    "fastscore cannot convert DecisionTreeClassifier": [lambda: fit(OneVsRestClassifier(DecisionTreeClassifier()),
                                                                    y=Y3)],
    "RANSACRegressor over ...: fastscore converts it over regressors":
        [lambda: fit(lm.RANSACRegressor(lm.LogisticRegression(), min_samples=20))],
    "... has link ...; fastscore converts the identity and log links":
        [lambda: changed(fit(lm.PoissonRegressor(), y=YPOS), _base_loss=HalfBinomialLoss())],
    "fastscore cannot convert PCA at pca: fastscore cannot fold PCA into the features of a model: the steps "
    "before a model may be ColumnTransformer, CountVectorizer, FeatureUnion, ...": [lambda: on_df(
        ColumnTransformer([("num", "passthrough", ["x", "y"])]), PCA(1))],
    "fastscore cannot convert FunctionTransformer at columntransformer/num/functiontransformer: it runs Python "
    "code (func=log1p), which a model file cannot hold":
        [lambda: on_df(ColumnTransformer([("num", make_pipeline(FunctionTransformer(np.log1p)), ["size"])]))],
    "fastscore cannot convert SplineTransformer at ...: its B-splines are piecewise polynomials ...":
        [lambda: on_df(ColumnTransformer([("num", SplineTransformer(), ["x"])]))],
    "fastscore cannot convert <Class> at <path>: ...": [
        lambda: on_df(ColumnTransformer([("num", make_pipeline(StandardScaler(), SimpleImputer()), ["x"])])),
        lambda: on_df(ColumnTransformer([("num", make_pipeline(PolynomialFeatures(2), PolynomialFeatures(2)),
                                          ["x", "y"])])),
        lambda: on_df(ColumnTransformer([("num", make_pipeline(PolynomialFeatures(2), KBinsDiscretizer(3)),
                                          ["x"])])),
        lambda: on_df(ColumnTransformer([("num", KBinsDiscretizer(3, dtype=np.float32), ["x"])])),
        lambda: on_df(ColumnTransformer([("num", SimpleImputer(missing_values=-1), ["x"])])),
        lambda: fit(make_pipeline(OneHotEncoder(), lm.LogisticRegression()),  # categories bool and int
                    np.array([[True], [False], [2], [3]] * 30, dtype=object), Y2),
        lambda: fit(make_pipeline(OneHotEncoder(), lm.LogisticRegression()),
                    np.array([[2**60], [1], [2]] * 40, dtype=object), Y2)],
    "its input 'flag' is read both as numbers and as categories":
        [lambda: on_df(ColumnTransformer([("num", "passthrough", ["flag"]), ("cat", OneHotEncoder(), ["flag"])]))],
    "its model reads no input (every feature it sees is a constant)":
        [lambda: on_df(ColumnTransformer([("bias", PolynomialFeatures(degree=(0, 0)), ["x"])]))],
    "MinMaxScaler(clip=True) is not linear": [lambda: fit(make_pipeline(MinMaxScaler(clip=True),
                                                                        lm.LogisticRegression()))],
    "Pipeline does not end in a model": [lambda: fit(make_pipeline(StandardScaler(), MinMaxScaler()))],
    "GridSearchCV was fitted with refit=False, so it has no best_estimator_ to predict with":
        [lambda: fit(GridSearchCV(lm.LogisticRegression(), {"C": [0.1, 1.0]}, refit=False, cv=2))],
    "CalibratedClassifierCV(method='temperature') is not converted":
        [lambda: fit(CalibratedClassifierCV(lm.LogisticRegression(), method="temperature", cv=2))],
    "CalibratedClassifierCV over ..., which has no decision_function":
        [lambda: fit(CalibratedClassifierCV(FrozenEstimator(fit(CalibratedClassifierCV(lm.LogisticRegression(),
                                                                                       cv=2)))))],
    "FixedThresholdClassifier over ...: fastscore cannot compute its response 'predict_proba'":
        [lambda: fit(FixedThresholdClassifier(LinearSVC(), response_method="predict_proba"))],
    "... has pos_label=7, which is not one of its classes":
        [lambda: fit(FixedThresholdClassifier(lm.LogisticRegression(), pos_label=7))],
    "TransformedTargetRegressor has func=<lambda> and inverse_func=<lambda>, Python code that a model file "
    "cannot hold: ...": [lambda: fit(TransformedTargetRegressor(lm.Ridge(), func=lambda y: y + 1,
                                                                  inverse_func=lambda y: y - 1), y=YR)],
    "fastscore cannot convert QuantileTransformer at transformedtargetregressor/transformer: fastscore inverts "
    "the transforms of y by a scaler ... or by a pair of numpy functions":
        [lambda: fit(TransformedTargetRegressor(lm.Ridge(), transformer=QuantileTransformer(n_quantiles=50)),
                     y=YR)],
    "... whose link is 'exp': fastscore applies one link only":
        [lambda: fit(TransformedTargetRegressor(lm.PoissonRegressor(), func=np.log, inverse_func=np.exp),
                     y=YPOS)],
    "fastscore cannot convert TfidfVectorizer at tfidfvectorizer: its tokenizer is a Python callable (...), which a "
    "model file cannot hold":
        [lambda: make_pipeline(TfidfVectorizer(tokenizer=str.split, token_pattern=None), lm.LogisticRegression())
         .fit(DOCS, Y2)],
    "... input='filename': fastscore reads the documents themselves (input='content'), not files":
        [lambda: _text_fitted(CountVectorizer(), input="filename")],
    "... dtype=float32: scikit-learn then computes its weights in that precision; fastscore converts dtype=float64":
        [lambda: make_pipeline(TfidfVectorizer(dtype=np.float32), lm.LogisticRegression()).fit(DOCS, Y2)],
    "... ngram_range=(0, 1): fastscore converts 1 <= min_n <= max_n":
        [lambda: _text_fitted(CountVectorizer(), ngram_range=(0, 1))],
    "... it reads documents, but the ColumnTransformer selects ['body'], a table: select the text column by one "
    "name (a string, not a list)":
        [lambda: _text_fitted(CountVectorizer(), columns=["body"])],
    "... it reads the columns of a text vectorizer; fastscore passes them only to TfidfTransformer, StandardScaler, "
    "MaxAbsScaler, RobustScaler and the model":
        [lambda: make_pipeline(CountVectorizer(), SimpleImputer(), lm.LogisticRegression()).fit(DOCS, Y2)],
    "... it shifts the columns of a text vectorizer; ...":
        [lambda: make_pipeline(ColumnTransformer([("text", CountVectorizer(), "body")], sparse_threshold=0),
                               StandardScaler(), lm.LogisticRegression()).fit(pd.DataFrame({"body": DOCS}), Y2)],
    "... sublinear_tf takes the log of hashed counts, which alternate_sign makes negative or zero ...":
        [lambda: _sublinear_after_fit(make_pipeline(HashingVectorizer(n_features=64), TfidfTransformer(),
                                                    lm.LogisticRegression()).fit(DOCS, Y2))],
}


def _sublinear_after_fit(pipe):
    """pipe with its TfidfTransformer's sublinear_tf set after fitting (fitting with it would log negative
    counts into NaN, which LogisticRegression refuses)."""
    pipe[1].set_params(sublinear_tf=True)
    return pipe


def _text_fitted(vectorizer, columns="body", **settings):
    """A ColumnTransformer pipeline over a text column, fitted, then given settings that its converter refuses
    (set after fitting where scikit-learn could not fit with them)."""
    pipe = make_pipeline(ColumnTransformer([("text", vectorizer, columns if isinstance(columns, str) else "body")]),
                         lm.LogisticRegression()).fit(pd.DataFrame({"body": DOCS}), Y2)
    if not isinstance(columns, str):
        ct = pipe[0]
        ct.transformers_[0] = (ct.transformers_[0][0], ct.transformers_[0][1], columns)
    pipe[0].transformers_[0][1].set_params(**settings)
    return pipe


def _refusals():
    """The messages quoted in the second column of ESTIMATORS.md's list of refusals."""
    section = DOC.split("\n## Refused, with a `fastscore.ConversionError` naming the estimator\n")[1]
    section = section.split("\n## ")[0]
    messages = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if line.startswith("| ") and len(cells) == 3 and cells[0] not in ("what", "---"):
            messages += [m for m in re.findall(r"`([^`]*)`", cells[1]) if " " in m]
    return messages


def _pattern(message):
    """A regex for a quoted message: "..." and <...> stand for any text; it starts the error unless "..." does."""
    parts = re.split(r"\.\.\.|<[^>]*>", message)
    return re.compile("(?s)" + ".*".join(map(re.escape, parts)))


def test_every_quoted_refusal_has_a_case_and_every_case_is_quoted():
    assert set(_refusals()) == set(CASES)
    assert all(CASES.values())


@pytest.mark.parametrize("message, i", [(m, i) for m, makes in CASES.items() for i in range(len(makes))])
def test_the_quoted_message_is_what_conversion_raises(message, i):
    est = CASES[message][i]()
    with pytest.raises(fastscore.ConversionError) as info:
        fastscore.from_sklearn(est)
    assert _pattern(message).search(str(info.value)), str(info.value)

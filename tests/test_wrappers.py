"""Wrappers: searches, calibration, thresholds and target transforms, converted exactly; refusals by path."""
import numpy as np
import pytest
from sklearn import linear_model as lm
from sklearn.decomposition import PCA
from sklearn.multiclass import OneVsRestClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from sklearn.tree import DecisionTreeClassifier

import fastscore

RNG = np.random.default_rng(0)
X = RNG.normal(size=(120, 4))
Y2 = (X[:, 0] + 0.5 * X[:, 1] + RNG.normal(scale=0.5, size=120) > 0).astype(int)


def _refusal(est):
    """The ConversionError converting est raises."""
    with pytest.raises(fastscore.ConversionError) as info:
        fastscore.from_sklearn(est)
    return info.value


# ---- where a refused part lies --------------------------------------------------------------

@pytest.mark.parametrize("make, path, words", [
    (lambda: make_pipeline(FunctionTransformer(np.tanh), lm.LogisticRegression()), "functiontransformer",
     "it runs Python code (func=tanh)"),
    (lambda: make_pipeline(make_pipeline(StandardScaler(), PCA(2)), lm.LogisticRegression()), "pipeline/pca",
     "cannot fold PCA"),
    (lambda: OneVsRestClassifier(DecisionTreeClassifier()), "onevsrestclassifier/estimator",
     "fastscore converts exactly these"),
    (lambda: make_pipeline(StandardScaler(), OneVsRestClassifier(DecisionTreeClassifier())),
     "onevsrestclassifier/estimator", "fastscore converts exactly these"),
])
def test_a_refused_part_is_named_with_its_path(make, path, words):
    error = _refusal(make().fit(X, Y2))
    name = str(error).split(" at ")[0].rsplit(" ", 1)[1]
    assert str(error).startswith(f"fastscore cannot convert {name} at {path}: ")
    assert error.path == path and words in str(error)


def test_an_unfitted_step_is_named_with_its_path():
    pipe = Pipeline([("scale", StandardScaler()), ("model", lm.LogisticRegression().fit(X, Y2))])
    error = _refusal(pipe)
    assert error.path == "scale" and "StandardScaler is not fitted yet" in str(error)


def test_the_estimator_given_is_refused_without_a_path():
    error = _refusal(DecisionTreeClassifier().fit(X, Y2))
    assert error.path is None and str(error).startswith("fastscore cannot convert DecisionTreeClassifier: ")


def test_a_subclass_is_refused_as_one():
    class MyRidge(lm.Ridge):
        pass

    error = _refusal(make_pipeline(StandardScaler(), MyRidge()).fit(X, Y2))
    assert error.path == "myridge" and "a subclass of Ridge, which may predict differently" in str(error)

"""The model file round trip: bit-exact, and refusing anything tampered with or truncated."""
import json
import os
import pickle

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import fastscore
from fastscore.demo import worked_example_data

DATA = os.path.join(os.path.dirname(__file__), "data")


@pytest.fixture(scope="module")
def fitted():
    X, y = worked_example_data()
    return X, LogisticRegression().fit(X, y)


def test_round_trip_is_bit_exact(fitted, backend, tmp_path):
    X, est = fitted
    model = fastscore.from_sklearn(est, backend=backend)
    path = tmp_path / "model.json"
    model.save(path)
    loaded = fastscore.load(path, backend=backend)
    assert loaded.backend == backend
    for name in ("coef_", "intercept_", "classes_"):
        assert getattr(loaded, name).tobytes() == getattr(model, name).tobytes(), name
        assert getattr(loaded, name).dtype == getattr(model, name).dtype, name
    assert loaded.predict_proba(X).tobytes() == model.predict_proba(X).tobytes()
    assert loaded.sklearn_version == model.sklearn_version and loaded.estimator == "LogisticRegression"
    # Saving the loaded model again writes the same file.
    path2 = tmp_path / "again.json"
    loaded.save(path2)
    assert path2.read_bytes() == path.read_bytes()


def test_awkward_floats_survive(backend, tmp_path):
    est = LogisticRegression()
    coef = np.array([[5e-324, -1.7976931348623157e308, 0.1, 1 / 3, -0.0, 2.0**-1074 * 3]])
    est.coef_, est.intercept_, est.classes_, est.n_features_in_ = coef, np.array([np.nextafter(1, 2)]), np.array(["a", "b"]), 6
    fastscore.from_sklearn(est, backend=backend).save(tmp_path / "m.json")
    loaded = fastscore.load(tmp_path / "m.json", backend=backend)
    assert loaded.coef_.tobytes() == coef.tobytes()
    assert loaded.intercept_[0] == np.nextafter(1, 2)
    assert list(loaded.classes_) == ["a", "b"]


def test_file_holds_what_predicting_needs(fitted, tmp_path):
    X, est = fitted
    est = LogisticRegression().fit(X, worked_example_data()[1])
    est.feature_names_in_ = np.array(["x1", "x2"], dtype=object)
    fastscore.from_sklearn(est).save(tmp_path / "m.json")
    d = json.loads((tmp_path / "m.json").read_text())
    assert d["format"] == "fastscore-linear-model" and d["format_version"] == 1
    assert d["kind"] == "classifier" and d["link"] == "logistic" and d["n_features"] == 2
    assert d["classes"] == [0, 1] and d["feature_names"] == ["x1", "x2"]
    assert d["sklearn_version"] and d["checksum"].startswith("sha256:")
    assert list(fastscore.load(tmp_path / "m.json").feature_names_in_) == ["x1", "x2"]


def test_core_format_file_still_loads(fitted, backend):
    X, est = fitted
    model = fastscore.load(os.path.join(DATA, "logreg_format_v1.json"), backend=backend)
    np.testing.assert_allclose(model.predict_proba(X), est.predict_proba(X), rtol=0, atol=1e-12)


def _saved(fitted, tmp_path):
    path = tmp_path / "m.json"
    fastscore.from_sklearn(fitted[1]).save(path)
    return path, path.read_text()


@pytest.mark.parametrize("change, words", [
    (lambda t: t.replace("1.39543", "1.39544"), "checksum"),
    (lambda t: t.replace('"intercept": [0.8', '"intercept": [1.8'), "checksum"),
    (lambda t: t[: len(t) // 2], "not valid JSON"),
    (lambda t: t[:-3], "not valid JSON"),
    (lambda t: "", "empty"),
    (lambda t: t.replace('"n_features": 2', '"n_features": 2, "n_features": 3'), "duplicate field 'n_features'"),
    (lambda t: t.replace('"format_version": 1', '"format_version": 7'), "needs model format version 7"),
    (lambda t: t.replace('[0.8457545157496446]', '[NaN]'), "NaN"),
    (lambda t: "[1, 2, 3]", "not an object"),
])
def test_tampered_or_truncated_files_are_refused(fitted, tmp_path, change, words):
    path, text = _saved(fitted, tmp_path)
    path.write_text(change(text))
    with pytest.raises(fastscore.ModelFormatError) as info:
        fastscore.load(path)
    assert words in str(info.value) and str(path) in str(info.value)


def test_pickles_are_never_loaded(fitted, tmp_path):
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps(fitted[1]))
    with pytest.raises(fastscore.ModelFormatError, match="not JSON"):
        fastscore.load(path)


def test_save_is_atomic(fitted, tmp_path):
    path, text = _saved(fitted, tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["m.json"]  # no temporary left behind
    with pytest.raises(FileNotFoundError):
        fastscore.from_sklearn(fitted[1]).save(tmp_path / "missing-dir" / "m.json")
    assert path.read_text() == text


@pytest.mark.parametrize("cls, fields, words", [
    (fastscore.Regressor, dict(link="softmax"), "a regressor has no link 'softmax'"),
    (fastscore.Regressor, dict(link="foo"), "a regressor has no link 'foo'"),
    (fastscore.Classifier, dict(link="exp", classes=[0, 1]), "a classifier has no link 'exp'"),
    (fastscore.Classifier, dict(classes=["a", "b", "c"]), "coef has 1 row(s) for classes of shape (3,)"),
    (fastscore.Classifier, dict(coef=[[1.0, 2.0]] * 3, intercept=[0.0] * 3, classes=["a", "b"]),
     "coef has 3 row(s) for classes of shape (2,)"),
    (fastscore.Classifier, dict(classes=["a"]), "at least 2 classes"),
    (fastscore.Classifier, dict(), "a classifier needs classes"),
    (fastscore.Regressor, dict(classes=[0, 1]), "a regressor has none"),
    (fastscore.Classifier, dict(link="softmax", classes=[0, 1]), "link 'softmax' normalises several classes"),
    (fastscore.Classifier, dict(link="ovr", classes=[0, 1]), "link 'ovr' normalises several classes"),
    (fastscore.Classifier, dict(coef=[[1.0, 2.0]] * 3, intercept=[0.0] * 3, classes=[0, 1, 2]),
     "link 'logistic' is for binary classifiers, but coef has 3 rows"),
])
def test_models_that_a_file_could_not_hold_are_refused(backend, cls, fields, words):
    # The constructors are public: a model whose classes do not match its coefficients
    # would predict labels and probabilities for the wrong classes, silently.
    fields = dict(dict(estimator="test", link="logistic" if cls is fastscore.Classifier else "identity",
                       coef=[[1.0, 2.0]], intercept=[0.0], n_features=2), **fields)
    with pytest.raises(ValueError) as info:
        cls(**fields, backend=backend)
    assert words in str(info.value)


def test_a_file_whose_link_does_not_fit_its_classes_is_refused(tmp_path):
    # A binary file claiming softmax would give P(class 1) = 1 for every row.
    import hashlib

    from fastscore import modelfile

    d = json.loads(fastscore.Classifier(estimator="test", link="logistic", coef=[[1.0, 2.0]],
                                        intercept=[0.0], n_features=2, classes=[0, 1]).dumps())
    d["link"] = "softmax"
    d["checksum"] = "sha256:" + hashlib.sha256(modelfile.canonical_json(d)).hexdigest()
    with pytest.raises(fastscore.ModelFormatError, match="field 'link': link 'softmax' normalises several classes"):
        fastscore.loads(json.dumps(d))

"""One validation serves the constructors, save() and load(): what can be built can be saved and
loaded back unchanged, and what cannot is refused when it is built (ValueError naming the field),
with the same message load() gives (ModelFormatError naming the field) for the same file."""
import datetime
import hashlib
import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fastscore
from fastscore import Classifier, Regressor, modelfile

BINARY = dict(estimator="test", link="logistic", coef=[[1.0, 2.0]], intercept=[0.0], n_features=2,
              classes=[0, 1])
X = np.array([[0.5, -1.0], [2.0, 3.0], [-4.0, 0.25]])


def _signed(text, **change):
    """A model file's text with fields changed (as JSON values) and a correct checksum."""
    d = {**json.loads(text), **change}
    try:
        d["checksum"] = "sha256:" + hashlib.sha256(modelfile.canonical_json(d)).hexdigest()
    except ValueError:  # NaN and infinity have no canonical form; validation refuses them first
        d["checksum"] = "sha256:" + "0" * 64
    return json.dumps(d)


# Each of these a model file can express: the constructor and load() refuse them with one message.
REFUSED = [
    (dict(classes=[0, 2**63]), "field 'classes[1]' is an integer outside the 64-bit range"),
    (dict(classes=[1, 2**64 - 1]), "field 'classes[1]' is an integer outside the 64-bit range"),
    (dict(classes=[1, 1]), "field 'classes' has duplicates: classes[1] is 1"),
    (dict(classes=[0.0, -0.0]), "field 'classes' has duplicates: classes[1] is -0.0"),
    (dict(classes=[None, 1]), "field 'classes' must hold labels of one type"),
    (dict(classes=[None, None]), "field 'classes' must hold labels of one type"),
    (dict(classes=[0, "1"]), "field 'classes' must hold labels of one type"),
    (dict(classes=[True, 1]), "field 'classes' must hold labels of one type"),
    (dict(classes=["a", "\ud800"]), "field 'classes[1]' holds a lone surrogate"),
    (dict(classes=["a", "a\x00"]), "field 'classes[1]' ends with a NUL character"),
    (dict(classes=[0.5, float("nan")]), "field 'classes[1]' is NaN"),
    (dict(feature_names=["a", "\udc00"]), "field 'feature_names[1]' holds a lone surrogate"),
    (dict(estimator="Ridge\ud800"), "field 'estimator' holds a lone surrogate"),
    (dict(sklearn_version="1.\udfff"), "field 'sklearn_version' holds a lone surrogate"),
    (dict(feature_names=["a"]), "field 'feature_names' must be a list of 2 strings"),
    (dict(feature_names=["a", "b", "c"]), "field 'feature_names' must be a list of 2 strings"),
    (dict(feature_names=["a", "a"]), "field 'feature_names' has duplicates: feature_names[1] is the string 'a'"),
    (dict(feature_names=["a", 1]), "field 'feature_names[1]' must be a string, got 1"),
    (dict(coef=[[[1.0, 2.0]]]), "field 'coef[0]' must hold finite numbers, got a list of 2 values"),
    (dict(coef=[[1.0, 2.0], [3.0]], intercept=[0.0, 0.0]), "field 'coef[1]' must have 2 numbers (n_features), got 1"),
    (dict(sklearn_version=1.5), "field 'sklearn_version' must be a string, got 1.5"),
    (dict(coef=[[float("nan"), 1.0]]), "field 'coef[0]' must hold finite numbers, got NaN"),
    (dict(intercept=[float("-inf")]), "field 'intercept' must hold finite numbers, got -Infinity"),
    (dict(center=[0.0, float("inf")]), "field 'center' must hold finite numbers, got Infinity"),
    (dict(coef=[[True, 1.0]]), "field 'coef[0]' must hold finite numbers, got true"),
    (dict(coef=[["1.5", 1.0]]), "field 'coef[0]' must hold finite numbers, got the string '1.5'"),
    (dict(coef=[[10**400, 1.0]]), "field 'coef[0]' must hold finite numbers, got an integer too large"),
    (dict(coef=[1.0, 2.0]), "field 'coef' must have 1 row(s) for 2 classes, got a flat list"),
    (dict(coef=[]), "field 'coef' must have 2 numbers (n_features), got 0"),
    (dict(intercept=0.0), "field 'intercept' must be a list of 1 numbers (rows of 'coef'), got 0.0"),
    (dict(n_features=2.0), "field 'n_features' must be an integer from 1 to"),
    (dict(n_features=True), "field 'n_features' must be an integer from 1 to 100000000, got true"),
    (dict(estimator=7), "field 'estimator' must be a string, got 7"),
    (dict(link="softmax"), "field 'link': link 'softmax' normalises several classes"),
    (dict(link="exp"), "field 'link' must be one of"),
    (dict(classes=["a", "b", "c"]), "but coef has 1 row(s) for classes of shape (3,)"),
]


@pytest.mark.parametrize("change, words", REFUSED, ids=range(len(REFUSED)))
def test_the_constructor_and_load_refuse_alike(tmp_path, change, words):
    with pytest.raises(ValueError) as built:
        Classifier(**{**BINARY, **change})
    assert words in str(built.value)
    path = tmp_path / "m.json"
    path.write_text(_signed(Classifier(**BINARY).dumps(), **change))
    with pytest.raises(fastscore.ModelFormatError) as loaded:
        fastscore.load(path)
    assert str(loaded.value) == f"{path}: {built.value}"


# Values no JSON file can hold: the constructor refuses them (save() used to raise TypeError).
@pytest.mark.parametrize("classes, words", [
    ([object(), object()], "got object"),
    ([b"a", b"b"], "got bytes"),
    (np.array([b"a", b"b"]), "got |S1 values"),
    ([datetime.date(2020, 1, 1), datetime.date(2020, 1, 2)], "got date"),
    (np.array(["2020-01-01", "2020-01-02"], dtype="datetime64[D]"), "got datetime64[D] values"),
    (np.array([1 + 2j, 3j]), "got complex128 values"),
    (np.array([0, 2**63], dtype=np.uint64), "field 'classes[1]' is an integer outside the 64-bit range"),
    (np.array([0.0, -0.0]), "field 'classes' has duplicates"),
    (np.array(["a", "\ud800"]), "field 'classes[1]' holds a lone surrogate"),
    (np.array(["a", "b\x00"], dtype=object), "field 'classes[1]' ends with a NUL character"),
    (np.array([[0, 1]]), "field 'classes' must be a list of at least 2 labels"),
    ("ab", "field 'classes' must be a list of at least 2 labels"),
    ({0, 1}, "field 'classes' must be a list of at least 2 labels"),
])
def test_labels_a_file_cannot_hold_are_refused_when_built(classes, words):
    with pytest.raises(ValueError) as info:
        Classifier(**{**BINARY, "classes": classes})
    assert words in str(info.value) and "field 'classes" in str(info.value)


@pytest.mark.parametrize("change, words", [
    (dict(coef=np.ones((1, 1, 2)), intercept=[0.0]), "got an array of shape (1, 1, 2)"),
    (dict(coef=np.array([[1.0, 2.0]]), intercept=np.array(0.0)), "field 'intercept' must be a list of 1 numbers"),
    (dict(coef=np.array([1.0, 2.0]), intercept=np.array([0.0])), "field 'intercept' must be one number"),
    (dict(coef=np.array(["1", "2"])), "field 'coef' must hold finite numbers, got <U1 values"),
    (dict(coef=np.array([[True, False]])), "field 'coef' must hold finite numbers, got bool values"),
    (dict(coef=np.zeros((0, 2)), intercept=np.zeros(0)), "field 'coef' must have 1 to 1000000 rows, got 0"),
    (dict(n_features=np.int64(3)), "field 'coef' must have 3 numbers (n_features), got 2"),
    (dict(n_features=0), "field 'n_features' must be an integer from 1 to 100000000, got 0"),
    (dict(n_features=10**8 + 1), "field 'n_features' must be an integer from 1 to 100000000"),
    (dict(classes=[0, 1]), "field 'classes' is only allowed for classifiers: a classifier needs classes"),
])
def test_regressor_fields_are_refused_when_built(change, words):
    fields = dict(estimator="Ridge", link="identity", coef=[1.0, 2.0], intercept=0.0, n_features=2)
    with pytest.raises(ValueError) as info:
        Regressor(**{**fields, **change})
    assert words in str(info.value)


def test_linear_model_itself_cannot_be_built():
    with pytest.raises(TypeError, match="build a Classifier or a Regressor"):
        fastscore.LinearModel(**BINARY)


# ---- what can be built loads back ---------------------------------------------------------------

LABELS = [
    np.array([3, -7], dtype=np.int8), np.array([0, 1], dtype=np.int32), np.array([2, 9], dtype=np.uint8),
    np.array([0, 2**63 - 1], dtype=np.uint64), np.array([-2**63, 2**63 - 1]),
    np.array([0.5, -0.0], dtype=np.float16), np.array([0.1, 2.5], dtype=np.float32),
    np.array([5e-324, 1.7976931348623157e308]), np.array([False, True]),
    np.array(["no", "yes"]), np.array(["a", "a\x00b"]), np.array(["", "\U0001f600"], dtype=object),
    ["cat", "dog"], [1, 2], [0.0, 1.0], [False, True], ("x", "y"),
]


@pytest.mark.parametrize("classes", LABELS, ids=lambda c: repr(c)[:40])
def test_labels_that_can_be_built_load_back_equal(backend, tmp_path, classes):
    model = Classifier(**{**BINARY, "classes": classes, "feature_names": ["a\x00", "é"],
                          "sklearn_version": "1.9.1"})
    model.save(tmp_path / "m.json")
    for loaded in (fastscore.load(tmp_path / "m.json", backend=backend),
                   fastscore.loads(model.dumps(), backend=backend)):
        assert loaded == model and loaded.backend == backend
        assert loaded.classes_.tolist() == list(classes) and loaded.classes_.dtype.kind in "biufU"
        assert [type(c) for c in loaded.classes_.tolist()] == [type(c) for c in np.asarray(classes).tolist()]
        assert loaded.predict(X).tolist() == model.predict(X).tolist()
        assert loaded.feature_names_in_.tolist() == ["a\x00", "é"]
        assert loaded.dumps() == model.dumps()
    # A numpy array of labels keeps its own dtype: predict gives the estimator's type of label.
    if isinstance(classes, np.ndarray):
        assert model.classes_.dtype == classes.dtype


def test_the_constructor_copies_what_it_is_given():
    coef, classes, names = np.array([[1.0, 2.0]]), np.array([3, 4]), ["a", "b"]
    model = Classifier(**{**BINARY, "coef": coef, "classes": classes, "feature_names": names})
    coef[0, 0], classes[0], names[0] = 99.0, 99, "z"
    assert model.coef_[0, 0] == 1.0 and model.classes_[0] == 3 and model.feature_names_in_[0] == "a"
    for a in (model.coef_, model.intercept_, model.classes_, model.feature_names_in_):
        assert not a.flags.writeable


hostile = st.recursive(
    st.none() | st.booleans() | st.integers(-2**70, 2**70) | st.floats() | st.text(max_size=4)
    | st.sampled_from(["\ud800", "a\x00", 2**63, -2**63 - 1, 0.0, -0.0, b"x", datetime.date(2020, 1, 1)]),
    lambda inner: st.lists(inner, max_size=4) | st.tuples(inner, inner),
    max_leaves=10)
arrays = st.sampled_from([np.ones((1, 2)), np.ones((1, 1, 2)), np.array([0, 1], dtype=np.uint64),
                          np.array([2**63, 1], dtype=np.uint64), np.array(["a", "b"]), np.array([b"a", b"b"]),
                          np.array([0.0, -0.0]), np.array([1.5, np.nan]), np.zeros(0), np.array(["x", None]),
                          np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])])


@given(st.sampled_from(sorted(BINARY) + ["feature_names", "center", "sklearn_version"]),
       hostile | arrays, st.sampled_from([Classifier, Regressor]))
def test_anything_built_saves_and_loads_back_equal(field, value, cls):
    fields = dict(BINARY) if cls is Classifier else dict(BINARY, link="identity", classes=None)
    fields[field] = value
    try:
        model = cls(**fields)
    except ValueError as exc:
        assert str(exc).startswith("field '")
        return
    text = model.dumps()
    assert fastscore.loads(text) == model and fastscore.loads(text).dumps() == text

"""Fuzzing the model file: a mutated file either raises ModelFormatError or loads a model that
scores exactly like the original. No other exception, ever (docs/FORMAT.md, "What loading refuses")."""
import hashlib
import json
import re

import numpy as np
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from fastscore import Classifier, ModelFormatError, Regressor, fields, loads, modelfile

X = np.random.default_rng(5).uniform(-3, 3, size=(16, 3))


_ANALYZER = {"analyzer": "word", "lowercase": True, "strip_accents": None, "token_pattern": r"(?u)\b\w\w+\b",
             "stop_words": None, "ngram_range": [1, 1], "encoding": "utf-8", "decode_error": "strict"}


def _models():
    return {
        "binary": Classifier(estimator="LogisticRegression", link="logistic", n_features=3,
                             coef=[[1.5, -0.5, 0.25]], intercept=[0.75], classes=[0, 1]),
        "multiclass": Classifier(estimator="LogisticRegression", link="softmax", n_features=3,
                                 coef=[[1.0, 2.0, -1.0], [0.5, -0.5, 0.0], [-1.5, 0.1, 1e-3]],
                                 intercept=[0.1, -0.2, 0.3], classes=["cat", "dog", "émeu"],
                                 feature_names=["a", "b", "c"], sklearn_version="1.9.1"),
        "regressor": Regressor(estimator="PoissonRegressor", link="exp", n_features=3,
                               coef=[0.1, -0.2, 0.3], intercept=1e-2, center=[1.0, 0.0, -1.0]),
        "multi-target": Regressor(estimator="Ridge", link="identity", n_features=3,
                                  coef=[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], intercept=[7.0, 8.0]),
        # Format version 2: a post stage (calibration of two members, then a threshold) ...
        "calibrated": Classifier(
            estimator="FixedThresholdClassifier(CalibratedClassifierCV(LinearSVC))", link="identity",
            n_features=3, coef=[[1.5, -0.5, 0.25], [1.0, 0.5, -0.25]], intercept=[0.75, -0.1],
            classes=["no", "yes"], post={
                "calibration": {"method": "sigmoid", "members": [[{"class": 1, "a": -1.5, "b": 0.1}],
                                                                 [{"class": 1, "a": -2.0, "b": -0.3}]]},
                "threshold": {"value": 0.3, "response": "predict_proba", "pos": 1}}),
        # ... and an isotonic calibration of three classes.
        "isotonic": Classifier(
            estimator="CalibratedClassifierCV(LogisticRegression)", link="identity", n_features=3,
            coef=[[1.0, 2.0, -1.0], [0.5, -0.5, 0.0], [-1.5, 0.1, 1e-3]], intercept=[0.1, -0.2, 0.3],
            classes=[0, 1, 2], post={"calibration": {"method": "isotonic", "members": [[
                {"class": 0, "x": [-2.0, 0.0, 1.5], "y": [0.0, 0.25, 0.9]},
                {"class": 1, "x": [-1.0, 1.0], "y": [0.1, 0.8]},
                {"class": 2, "x": [0.5], "y": [0.5]}]]}}),
        # ... and an input stage: numeric columns (a fill, a product of scaled numbers) and tables
        # (bins, categories of numbers), over three inputs read by position.
        "staged": Classifier(
            estimator="Pipeline(ColumnTransformer, LogisticRegression)", link="logistic", n_features=2,
            coef=[[0.5, -0.25]], intercept=[0.1], classes=[0, 1], center=[0.5, 0.0],
            inputs=[{"name": None, "type": "number"}] * 3,
            numeric=[{"input": 0, "fill": 0.5},
                     {"product": [{"input": 1, "fill": None, "ops": [["sub", 0.25], ["div", 2.0]]},
                                  {"input": 2, "fill": 1.0}]}],
            tables=[{"input": 2, "encode": {"bins": [-1.0, 0.0, 1.5]}, "unknown": "error", "missing": 1,
                     "rows": [[0.1], [0.2], [-0.3], [0.4]]},
                    {"input": 0, "encode": {"categories": [1.0, 2.0], "ops": [["mul", 0.0]]}, "unknown": 2,
                     "missing": "error", "rows": [[1.0], [2.0], [0.5]]}]),
        # ... and one read by name: strings and missing values through a categorical table, a
        # number filled and scaled into bins, three classes.
        "named": Classifier(
            estimator="Pipeline(ColumnTransformer, LogisticRegression)", link="softmax", n_features=1,
            coef=[[0.5], [-0.25], [0.0]], intercept=[0.1, -0.2, 0.3], classes=["a", "b", "c"], center=[39.7],
            inputs=[{"name": "age", "type": "number"}, {"name": "city", "type": "category"},
                    {"name": "size", "type": "number"}],
            numeric=[{"input": 0, "fill": 39.7}],
            tables=[{"input": 1, "encode": {"categories": ["lyon", "paris", "émeu"]}, "unknown": 3, "missing": 4,
                     "rows": [[0.12, 0.0, -0.1], [-0.4, 0.2, 0.0], [1.0, 2.0, 3.0], [0.0, 0.0, 0.0],
                              [0.05, -0.05, 0.5]]},
                    {"input": 2, "encode": {"bins": [-0.5, 0.5], "ops": [["sub", 0.1], ["div", 1.5]]},
                     "unknown": "error", "missing": 0, "rows": [[0.3, 0.0, 0.0], [0.0, 0.3, 0.0], [0.0, 0.0, 0.3]]}]),
        # Format version 3: two text blocks on one text input (a vocabulary with sublinear tf-idf, and
        # hashed character n-grams) beside a number.
        "text": Classifier(
            estimator="Pipeline(ColumnTransformer, LogisticRegression)", link="logistic", n_features=1,
            coef=[[0.5]], intercept=[0.1], classes=[0, 1],
            inputs=[{"name": "body", "type": "text"}, {"name": "age", "type": "number"}],
            numeric=[{"input": 1, "fill": 1.0}],
            texts=[{"input": 0, "analyzer": {**_ANALYZER, "stop_words": ["the"], "ngram_range": [1, 2]},
                    "terms": ["cat", "sat", "émeu", "cat sat"],
                    "weighing": [{"binary": False, "sublinear_tf": True, "idf": [1.5, 2.0, 1.25, 3.0], "norm": "l2"}],
                    "coef": [[0.3, -0.2, 1.0, 0.5]]},
                   {"input": 0, "analyzer": {**_ANALYZER, "analyzer": "char_wb", "ngram_range": [2, 3],
                                             "strip_accents": "unicode"},
                    "hashing": {"n_features": 16, "alternate_sign": True},
                    "weighing": [{"binary": False, "sublinear_tf": False, "idf": None, "norm": "l1"}],
                    "columns": [1, 5, 9], "coef": [[0.1, 0.2, -0.3]]}]),
    }

# Models whose inputs a mutated file may legitimately refuse while scoring (an unknown category
# that is now an error, a column scaled to infinity, a renamed column, a number input that now
# reads text): the errors scikit-learn raises for such input.
REFUSING_INPUTS = {"staged": (ValueError,), "named": (ValueError, TypeError), "text": (ValueError, TypeError)}


MODELS = _models()
#: what each model scores: X by position, or by name for the model that reads named columns
INPUTS = {name: X for name in MODELS}
INPUTS["named"] = {"age": np.where(np.arange(len(X)) % 5 == 0, np.nan, X[:, 0] * 10 + 40),
                   "city": np.array(["lyon", "paris", "nice", None, "émeu", "lyon", float("nan"), "paris"] * 2,
                                    dtype=object),
                   "size": np.where(np.arange(len(X)) % 7 == 3, np.nan, X[:, 2]), "extra": X[:, 1]}
INPUTS["text"] = {"body": ["the cat sat", "Émeu, émeu!", "", "cat cat sat on the mat"] * 4,
                  "age": np.where(np.arange(len(X)) % 3 == 0, np.nan, X[:, 0])}
TEXTS = {name: m.dumps().encode() for name, m in MODELS.items()}
EXPECTED = {name: m.score(INPUTS[name]) for name, m in MODELS.items()}


def _load_or_refuse(data):
    """The model loaded from data, or None when it is refused; anything else fails the test."""
    try:
        model = loads(data)
    except ModelFormatError as exc:
        event(f"refused: {re.sub(r'[0-9]+', 'N', str(exc))[:40]}")
        return None
    event("loaded")
    return model


# ---- byte-level mutations: the checksum or the parser must catch every real change ----------

def _truncate(data, i, _):
    return data[:i]


def _flip(data, i, bit):
    return data[:i] + bytes([data[i] ^ (1 << bit % 8)]) + data[i + 1:] if i < len(data) else data


def _insert(data, i, byte):
    return data[:i] + bytes([byte % 256]) + data[i:]


def _delete(data, i, n):
    return data[:i] + data[i + 1 + n % 16:]


def _duplicate_line(data, i, _):
    lines = data.split(b"\n")
    i %= len(lines)
    return b"\n".join(lines[:i + 1] + [lines[i]] + lines[i + 1:])


def _delete_line(data, i, _):
    lines = data.split(b"\n")
    del lines[i % len(lines)]
    return b"\n".join(lines)


def _replace_number(data, i, n):
    numbers = list(re.finditer(rb"-?\d+(\.\d+)?([eE][-+]?\d+)?", data))
    if not numbers:
        return data
    m = numbers[i % len(numbers)]
    new = [b"0", b"-1", b"1e999", b"NaN", b"true", b'"1"', b"null", b"[]", b"1" * 400,
           b"1" * 5000, b"2.5", b"-0.0", b"1e-400"][n % 13]
    return data[:m.start()] + new + data[m.end():]


MUTATIONS = [_truncate, _flip, _insert, _delete, _duplicate_line, _delete_line, _replace_number]


@settings(max_examples=int(__import__("os").environ.get("FUZZ_N", 300)))
@given(st.sampled_from(sorted(TEXTS)),
       st.lists(st.tuples(st.sampled_from(MUTATIONS), st.integers(0, 2000), st.integers(0, 255)),
                min_size=1, max_size=3))
def test_mutated_bytes_are_refused_or_score_identically(name, mutations):
    data = TEXTS[name]
    for mutate, i, arg in mutations:
        data = mutate(data, min(i, max(len(data) - 1, 0)), arg)
    model = _load_or_refuse(data)
    if model is not None:
        assert model.score(INPUTS[name]).tobytes() == EXPECTED[name].tobytes()


# ---- field-level mutations, re-signed: the field checks (not the checksum) must hold ---------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-2**80, 2**80) | st.sampled_from([10**400, -1, 0, 10**12])
    | st.floats() | st.text(max_size=5) | st.sampled_from(["\ud800", "logistic", "identity"]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=3), inner, max_size=3),
    max_leaves=12)


def _paths(value, prefix=()):
    """Every position in a parsed JSON value, as a tuple of keys/indices."""
    yield prefix
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _paths(v, prefix + (k,))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _paths(v, prefix + (i,))


def _set(doc, path, new):
    *parents, last = path
    for p in parents:
        doc = doc[p]
    if new is _DELETE:
        del doc[last]
    else:
        doc[last] = new


_DELETE = object()


def _resigned(doc):
    try:
        doc["checksum"] = "sha256:" + hashlib.sha256(modelfile.canonical_json(doc)).hexdigest()
    except (ValueError, TypeError):  # NaN, inf: no canonical form; the field checks refuse them
        pass
    return json.dumps(doc, allow_nan=True)


@settings(max_examples=int(__import__("os").environ.get("FUZZ_N", 300)))
@given(st.sampled_from(sorted(TEXTS)), st.data())
def test_mutated_fields_are_refused_or_load_a_working_model(name, data):
    doc = json.loads(TEXTS[name])
    paths = [p for p in _paths(doc) if p and p[0] != "checksum"]
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(paths))
        try:
            _set(doc, path, data.draw(st.just(_DELETE) | json_values))
        except (KeyError, IndexError, TypeError):  # an earlier mutation removed the path
            pass
    model = _load_or_refuse(_resigned(doc))
    if model is None:
        return
    with np.errstate(over="ignore"):  # a mutated coefficient may be legitimately huge
        try:
            out = model.score(INPUTS[name])
        except (ValueError, TypeError) as exc:
            if not isinstance(exc, REFUSING_INPUTS.get(name, ())):
                raise
            event("its input refused")
            return
    assert out.shape[0] == len(X)
    if doc == json.loads(TEXTS[name]):
        assert out.tobytes() == EXPECTED[name].tobytes()


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_unmutated_files_load_and_score_identically(name):
    assert loads(TEXTS[name]).score(INPUTS[name]).tobytes() == EXPECTED[name].tobytes()


# ---- the chunked number reader and the streamed checksum, against json and canonical_json --------

_TEMPLATE = json.loads(TEXTS["multi-target"])
_FRAGMENTS = ["0", "-0", "1", "-7", "12345678901234567890123", "2.5", "-0.0", "1e3", "1E-2", "0.50", "5e-324",
              "1.7976931348623157e308", "1e309", "NaN", '"1"', "true", ",", ",", " ", "\n\t", "[", "]", "-", ".", "e"]


def _signed_text(coef_text):
    """The multi-target model file with coef written as coef_text, signed if it is valid JSON."""
    head = json.dumps({k: v for k, v in _TEMPLATE.items() if k not in ("coef", "checksum")})
    text = head[:-1] + ', "coef": ' + coef_text + ', "checksum": "sha256:' + "0" * 64 + '"}'
    try:
        doc = json.loads(text)
        signed = {**doc, "checksum": "sha256:" + hashlib.sha256(modelfile.canonical_json(doc)).hexdigest()}
    except ValueError:  # not JSON, or NaN and infinity, which have no canonical form
        return text
    return text.replace(doc["checksum"], signed["checksum"])


def _reference(text):
    """What loading must give: the message of its refusal, or the model, from json's own parse."""
    try:
        doc = json.loads(text, parse_constant=float)
    except ValueError:
        return "not valid JSON"
    try:
        fields.check("regressor", **{k: doc.get(k) for k in ("estimator", "link", "n_features", "coef",
                                                             "intercept", "center", "sklearn_version")})
    except fields.FieldError as exc:
        return str(exc)
    return None


@settings(max_examples=int(__import__("os").environ.get("FUZZ_N", 300)))
@given(st.one_of(
    st.lists(st.lists(st.sampled_from(["0", "-0", "1", "-7", "2.5", "-0.0", "1e3", "1E-2", "0.50", "5e-324",
                                       "3", "123456789012345678", "-1.7976931348623157e308"]),
                      min_size=3, max_size=3), min_size=2, max_size=2)
    .map(lambda rows: "[" + ",".join("[" + " , ".join(r) + "]" for r in rows) + "]"),
    st.lists(st.sampled_from(_FRAGMENTS), max_size=30).map("".join).map(lambda t: "[" + t)),
    st.sampled_from([3, 7, 16, 1 << 18]))
def test_numbers_read_in_chunks_are_what_json_reads(coef_text, chunk):
    text = _signed_text(coef_text)
    want = _reference(text)
    saved, modelfile._CHUNK = modelfile._CHUNK, chunk
    try:
        model = _load_or_refuse(text)
        if model is None:
            with pytest.raises(ModelFormatError) as info:
                loads(text)
    finally:
        modelfile._CHUNK = saved
    if want is None:
        assert model is not None, info.value
        expected = np.array(json.loads(text)["coef"], dtype=np.float64)
        assert model.coef_.tobytes() == expected.tobytes() and model.coef_.shape == expected.shape
    else:
        assert model is None and want in str(info.value)


@pytest.mark.parametrize("chunk", [3, 5, 1 << 18])
@pytest.mark.parametrize("coef_text", ["[1,2,]", "[,1]", "[1,,2]", "[1 2]", "[[1,2],]", "[[1,2] [3,4]]",
                                       "[[1,2],[3,4],]", "[1,2", "[[1,2],[3,4]", "[-]", "[01]", "[1.]"])
def test_broken_number_lists_are_refused_at_every_chunk_boundary(monkeypatch, chunk, coef_text):
    monkeypatch.setattr(modelfile, "_CHUNK", chunk)
    with pytest.raises(ModelFormatError, match="not valid JSON"):
        loads(_signed_text(coef_text))


def test_long_numbers_and_integers_keep_their_canonical_form(monkeypatch):
    # A number longer than a chunk, and integers (which the canonical form keeps as integers).
    monkeypatch.setattr(modelfile, "_CHUNK", 8)
    text = _signed_text("[[1, 2, 3], [0.0000000000000000000000001, -0, 12345678901234567890123]]")
    model = loads(text)
    assert model.coef_.tolist() == [[1.0, 2.0, 3.0], [1e-25, 0.0, 1.2345678901234568e22]]

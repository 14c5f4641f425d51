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
    }


MODELS = _models()
TEXTS = {name: m.dumps().encode() for name, m in MODELS.items()}
EXPECTED = {name: m.score(X) for name, m in MODELS.items()}


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
        assert model.score(X).tobytes() == EXPECTED[name].tobytes()


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
        out = model.score(X)
    assert out.shape[0] == len(X)
    if doc == json.loads(TEXTS[name]):
        assert out.tobytes() == EXPECTED[name].tobytes()


@pytest.mark.parametrize("name", sorted(TEXTS))
def test_unmutated_files_load_and_score_identically(name):
    assert modelfile.loads(TEXTS[name]).score(X).tobytes() == EXPECTED[name].tobytes()

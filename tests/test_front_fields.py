"""The input stage's fields (inputs, numeric, tables): each problem is refused naming the field, and a
valid stage scores as its definition in docs/FORMAT.md says, on both backends."""
import json
import math

import numpy as np
import pytest

import fastscore
from fastscore import Classifier, Regressor, modelfile
from helpers import assert_close

INPUTS = [{"name": "x", "type": "number"}, {"name": "c", "type": "category"}]
NUMERIC = [{"input": 0, "fill": 2.0}]
TABLES = [{"input": 1, "encode": {"categories": ["a", "b"]}, "unknown": 2, "missing": "error",
           "rows": [[1.0], [-1.0], [0.25]]}]


def model(backend=None, **change):
    fields = dict(estimator="Pipeline", link="identity", n_features=1, coef=[0.5], intercept=0.125,
                  inputs=INPUTS, numeric=NUMERIC, tables=TABLES, center=[1.0])
    fields.update(change)
    return Regressor(backend=backend, **fields)


def test_a_stage_scores_as_its_definition(backend):
    m = model(backend)
    X = {"c": np.array(["a", "b", "zz", "a"], dtype=object), "x": np.array([3.0, np.nan, -1.0, 0.0])}
    # z = 0.5 * (x (missing: 2.0) - 1.0) + 0.125 + rows[code of c]
    expected = 0.5 * (np.array([3.0, 2.0, -1.0, 0.0]) - 1.0) + 0.125 + np.array([1.0, -1.0, 0.25, 1.0])
    assert_close(m.predict(X), expected)
    assert m.score_one({"x": None, "c": "b"}) == 0.5 * (2.0 - 1.0) + 0.125 - 1.0
    with pytest.raises(ValueError, match="'c'"):
        m.predict({"c": np.array([None], dtype=object), "x": np.array([1.0])})
    with pytest.raises(ValueError, match="missing column.*'c'"):
        m.predict({"x": np.array([1.0])})


def test_bins_products_and_value_factors(backend):
    numeric = [{"product": [{"input": 0, "fill": None, "ops": [["sub", 1.0], ["div", 4.0]]},
                            {"input": 1, "encode": {"categories": ["a"]}, "unknown": 1, "missing": 1,
                             "values": [3.0, -2.0]}]}]
    tables = [{"input": 0, "encode": {"bins": [0.0, 2.0], "ops": [["mul", 2.0]]}, "unknown": "error",
               "missing": "error", "rows": [[10.0], [20.0], [30.0]]}]
    m = model(backend, numeric=numeric, tables=tables, center=None, coef=[1.0], intercept=0.0)
    x = np.array([-1.0, 0.0, 0.5, 0.99, 1.0, 7.0])
    c = np.array(["a", "b", "a", None, "a", "a"], dtype=object)
    value = np.where(c == "a", 3.0, -2.0) * ((x - 1.0) / 4.0)
    bins = np.searchsorted([0.0, 2.0], x * 2.0, side="right")
    assert_close(m.predict({"x": x, "c": c}), value + np.array([10.0, 20.0, 30.0])[bins])


@pytest.mark.parametrize("change, words", [
    (dict(inputs=[{"name": "x", "type": "words"}]), "field 'inputs[0].type' must be 'number', 'category' or 'text'"),
    (dict(inputs=[{"name": "x", "type": "number"}, {"name": None, "type": "number"}]),
     "field 'inputs' must name every input or none"),
    (dict(inputs=[{"name": "x", "type": "number"}, {"name": "x", "type": "category"}]),
     "field 'inputs' has duplicates"),
    (dict(numeric=[{"input": 1, "fill": 0.0}]), "field 'numeric[0].input' must be a number input"),
    (dict(numeric=[{"input": 0, "fill": math.inf}]), "field 'numeric[0].fill' must be a finite number"),
    (dict(numeric=[]), "field 'numeric' must be a list of 1 columns"),
    (dict(tables=[{**TABLES[0], "rows": [[1.0], [2.0, 3.0], [0.0]]}]),
     "field 'tables[0].rows[1]' must be a list of 1 numbers"),
    (dict(tables=[{**TABLES[0], "unknown": 3}]), "field 'tables[0].unknown' must be an integer from 0 to 2"),
    (dict(tables=[{**TABLES[0], "encode": {"categories": ["a", 1]}}]),
     "field 'tables[0].encode.categories' must hold values of one type"),
    (dict(tables=[{**TABLES[0], "encode": {"categories": ["a", "a"]}}]),
     "field 'tables[0].encode.categories' has duplicates"),
    (dict(tables=[{**TABLES[0], "encode": {"bins": [1.0]}}]), "field 'tables[0].encode.bins' applies to number"),
    (dict(tables=[{**TABLES[0], "input": 0, "encode": {"bins": [2.0, 1.0]}}]),
     "field 'tables[0].encode.bins' must be in increasing order"),
    (dict(tables=[{**TABLES[0], "encode": {"categories": ["a", "b", "c", "d"]}}]),
     "field 'tables[0].rows' must have at least 4 entries"),
    (dict(tables=[{**TABLES[0], "input": 0, "encode": {"categories": [1.0], "ops": [["div", 0.0]]}}]),
     "field 'tables[0].encode.ops[0][1]' divides by zero"),
    (dict(feature_names=["x"]), "field 'feature_names' is not allowed with 'inputs'"),
])
def test_bad_stage_fields_are_named(change, words):
    with pytest.raises(ValueError) as info:
        model(**change)
    assert words in str(info.value), str(info.value)


def test_a_stage_is_written_as_version_2_and_a_version_1_file_may_not_hold_one(tmp_path):
    m = model()
    text = m.dumps()
    assert json.loads(text)["format_version"] == 2
    assert fastscore.loads(text) == m
    doc = json.loads(text)
    doc["format_version"] = 1
    doc["checksum"] = "sha256:" + __import__("hashlib").sha256(modelfile.canonical_json(doc)).hexdigest()
    with pytest.raises(fastscore.ModelFormatError, match="format version 1 has no such field"):
        fastscore.loads(json.dumps(doc))


def test_a_classifier_with_tables_only(backend):
    m = Classifier(estimator="Pipeline", link="logistic", n_features=0, coef=[[]], intercept=[0.5],
                   classes=["n", "y"], inputs=[{"name": "c", "type": "category"}], numeric=[],
                   tables=[{"input": 0, "encode": {"categories": [True, False]}, "unknown": "error",
                            "missing": 2, "rows": [[1.0], [-1.0], [0.0]]}], backend=backend)
    z = m.decision_function({"c": [True, False, None, 1, 0]})
    assert_close(z, [1.5, -0.5, 0.5, 1.5, -0.5])
    assert list(m.predict([{"c": False}, {"c": True}])) == ["n", "y"]
    with pytest.raises(ValueError, match="unknown category 'yes'"):
        m.decision_function({"c": ["yes"]})


def test_score_one_by_name_or_by_position(backend):
    pd = pytest.importorskip("pandas", reason="a Series row needs pandas")
    m = model(backend)
    expected = 0.5 * (3.0 - 1.0) + 0.125 - 1.0
    assert m.score_one({"c": "b", "x": 3.0, "other": "ignored"}) == expected
    assert m.score_one(pd.Series({"c": "b", "x": 3.0})) == expected
    with pytest.raises(ValueError, match="missing key.*'x'"):
        m.score_one({"c": "b"})
    unnamed = model(backend, inputs=[{"name": None, "type": "number"}, {"name": None, "type": "category"}])
    assert unnamed.score_one([3.0, "b"]) == expected
    assert unnamed.score_one(pd.Series([3.0, "b"], dtype=object)) == expected
    with pytest.raises(TypeError, match="without column names"):
        unnamed.score_one({"x": 3.0, "c": "b"})

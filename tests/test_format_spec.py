"""docs/FORMAT.md is the specification: its example loads, its fields and links are the code's,
its checksum rules (implemented here from the text alone) give the code's checksum, and every
refusal it lists is a ModelFormatError naming the field."""
import hashlib
import json
import math
import os
import re
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fastscore
from fastscore import fields, modelfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SPEC = open(os.path.join(ROOT, "docs", "FORMAT.md"), encoding="utf-8").read()
V1 = os.path.join(ROOT, "tests", "data", "logreg_format_v1.json")


def _example():
    return re.search(r"```json\n(.*?)```", SPEC, re.S).group(1)


def test_the_example_loads_and_is_what_it_says(backend):
    model = fastscore.loads(_example(), backend=backend)
    assert model.estimator == "LogisticRegression" and list(model.feature_names_in_) == ["x1", "x2"]
    assert model.score_one([0.0, 0.0]) == pytest.approx(1 / (1 + 2.718281828459045 ** -0.8457545157496446))


def test_every_field_and_link_is_documented():
    documented = set(re.findall(r"^\| `(\w+)` \|", SPEC, re.M))
    assert set(modelfile.REQUIRED) | set(modelfile.OPTIONAL) <= documented
    for links in fields.LINKS.values():
        assert set(links) <= documented
    assert f"format version {modelfile.VERSION}" in SPEC


# The canonical form, written from docs/FORMAT.md's rules without json.dumps.
def _spec_string(s):
    out = ['"']
    short = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
    for ch in s:
        if ch in short:
            out.append(short[ch])
        elif " " <= ch <= "~":
            out.append(ch)
        elif ord(ch) > 0xFFFF:
            hi, lo = divmod(ord(ch) - 0x10000, 0x400)
            out.append(f"\\u{0xD800 + hi:04x}\\u{0xDC00 + lo:04x}")
        else:
            out.append(f"\\u{ord(ch):04x}")
    return "".join(out) + '"'


def _spec_float(v):
    sign = "-" if math.copysign(1.0, v) < 0 else ""
    if v == 0:
        return sign + "0.0"
    exact = Decimal(abs(v))
    for p in range(1, 18):  # the shortest digit strings that parse back to v, the nearest of them
        step = Decimal(1).scaleb(exact.adjusted() - p + 1)
        fits = [c for c in (exact.quantize(step, ROUND_FLOOR), exact.quantize(step, ROUND_CEILING))
                if float(c) == abs(v)]
        if fits:
            break
    # An exact tie between the two (70368744177664.375 at 16 digits) goes to the even last digit.
    best = min(fits, key=lambda c: (abs(c - exact), c.as_tuple().digits[-1] % 2)).normalize()
    _, digit_tuple, exponent = best.as_tuple()
    digits = "".join(map(str, digit_tuple))
    e = len(digits) + exponent  # v = 0.d1d2...dn x 10^e
    if -4 < e <= 16:
        if e <= 0:
            return f"{sign}0.{'0' * -e}{digits}"
        whole, frac = digits[:e].ljust(e, "0"), digits[e:]
        return f"{sign}{whole}.{frac or '0'}"
    rest = f".{digits[1:]}" if len(digits) > 1 else ""
    return f"{sign}{digits[0]}{rest}e{'-' if e - 1 < 0 else '+'}{abs(e - 1):02d}"


def _spec_canonical(value):
    if isinstance(value, dict):
        return "{" + ",".join(f"{_spec_string(k)}:{_spec_canonical(value[k])}" for k in sorted(value)) + "}"
    if isinstance(value, list):
        return "[" + ",".join(_spec_canonical(v) for v in value) + "]"
    if value is True or value is False or value is None:
        return json.dumps(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _spec_float(value)
    return _spec_string(value)


def _spec_checksum(fields):
    body = {k: v for k, v in fields.items() if k != "checksum"}
    return "sha256:" + hashlib.sha256(_spec_canonical(body).encode("ascii")).hexdigest()


def test_the_spec_checksum_is_the_files_checksum():
    for text in (_example(), open(V1, encoding="utf-8").read()):
        fields = json.loads(text)
        assert _spec_checksum(fields) == fields["checksum"]


finite = st.floats(allow_nan=False, allow_infinity=False)
unicode_text = st.text(st.characters(exclude_categories=["Cs"]), max_size=8)


@given(st.lists(finite, max_size=8), st.lists(st.integers(-2**70, 2**70), max_size=4),
       st.lists(unicode_text, max_size=4))
def test_the_spec_canonical_form_is_the_codes(floats, ints, strings):
    fields = {"coef": floats, "classes": ints, "feature_names": strings, "n_features": 3,
              "center": None, "estimator": "Ridge", "kind": "regressor", "checksum": "x"}
    assert _spec_canonical({k: v for k, v in fields.items() if k != "checksum"}).encode() \
        == modelfile.canonical_json(fields)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_the_spec_float_rule_is_repr(v):
    assert _spec_float(v) == repr(v)


@pytest.mark.parametrize("v", [2.0**-24, 5e-324, 1.7976931348623157e308, 1e16, 1e15, 1e-5, 1e-4, -0.0,
                               0.1, 1 / 3, 123456789.0, 2.0**60, 9.999999999999999e22])
def test_the_spec_float_rule_on_edge_cases(v):
    assert _spec_float(v) == repr(v)


def test_number_spelling_does_not_change_the_checksum(backend):
    text = open(V1, encoding="utf-8").read().replace("0.8457545157496446", "8.457545157496446E-1")
    assert fastscore.loads(text, backend=backend).intercept_[0] == 0.8457545157496446



def _snippet(first_key):
    """The ```json block of FORMAT.md that starts with "first_key":, as a dict of its fields."""
    m = re.search(rf'```json\n("{first_key}":.*?)```', SPEC, re.S)
    return json.loads("{" + m.group(1) + "}")


def test_the_input_stage_example_is_what_it_says(backend):
    # One numeric column (age, filled with 39.7) and a table on city: lyon, paris, unknown, missing.
    stage = _snippet("inputs")
    model = fastscore.loads(fastscore.Classifier(estimator="Pipeline", link="identity", n_features=1,
                                                 coef=[[0.5]], intercept=[0.25], classes=[0, 1],
                                                 **stage).dumps(), backend=backend)
    assert json.loads(model.dumps())["format_version"] == 2
    rows = [{"age": 40.0, "city": "lyon"}, {"city": "paris", "age": None}, {"age": 20.0, "city": "nice"},
            {"age": 30.0, "city": None}]
    expected = [0.5 * 40.0 + 0.25 + 0.12, 0.5 * 39.7 + 0.25 - 0.4, 0.5 * 20.0 + 0.25 + 0.0, 0.5 * 30.0 + 0.25 + 0.05]
    assert model.decision_function(rows).tolist() == expected
    assert [model.score_one(r) for r in rows] == expected


def test_the_post_stage_example_is_what_it_says(backend):
    # Two members' sigmoid calibrations of one z column each, averaged; predict by the threshold 0.3.
    post = _snippet("post")["post"]
    model = fastscore.loads(fastscore.Classifier(estimator="FixedThresholdClassifier", link="identity",
                                                 n_features=1, coef=[[1.0], [1.0]], intercept=[0.0, 0.0],
                                                 classes=["no", "yes"], post=post).dumps(), backend=backend)
    z = np.array([[-2.0], [0.0], [1.5]])
    (m1, ), (m2, ) = post["calibration"]["members"]
    p = (1 / (1 + np.exp(m1["a"] * z[:, 0] + m1["b"])) + 1 / (1 + np.exp(m2["a"] * z[:, 0] + m2["b"]))) / 2
    assert np.abs(model.predict_proba(z)[:, 1] - p).max() <= 1e-15
    assert model.predict(z).tolist() == np.where(p >= 0.3, "yes", "no").tolist()

# ---- refusals: each names the field and what was wrong -------------------------------------------

def _v1():
    return json.loads(open(V1, encoding="utf-8").read())


def _signed(fields):
    """Fields with a correct checksum: validation, not the checksum, must catch what is wrong."""
    fields = dict(fields)
    try:
        fields["checksum"] = _spec_checksum(fields)
    except (ValueError, ArithmeticError):  # NaN, inf have no canonical form; validation refuses it before the checksum
        fields["checksum"] = "sha256:" + "0" * 64
    return json.dumps(fields, allow_nan=True)


@pytest.mark.parametrize("change, words", [
    ({"coef": [[1.0, 2.0, 3.0]]}, "field 'coef[0]' must have 2 numbers (n_features), got 3"),
    ({"coef": [1.0, 2.0]}, "field 'coef' must have 1 row(s) for 2 classes, got a flat list"),
    ({"intercept": [1.0, 2.0]}, "field 'intercept' must have 1 numbers"),
    ({"intercept": 0.5}, "field 'intercept' must be a list of 1 numbers"),
    ({"coef": [[float("nan"), 1.0]]}, "field 'coef[0]' must hold finite numbers, got NaN"),
    ({"coef": [[float("inf"), 1.0]]}, "got Infinity"),
    ({"intercept": [True]}, "field 'intercept' must hold finite numbers, got true"),
    ({"coef": [["1.5", 1.0]]}, "field 'coef[0]' must hold finite numbers, got the string '1.5'"),
    ({"coef": [[10**400, 1.0]]}, "got an integer too large for float64"),
    ({"n_features": 10**12}, "field 'n_features' must be an integer from 1 to 100000000, got 1000000000000"),
    ({"n_features": -2}, "field 'n_features' must be an integer from 1 to"),
    ({"n_features": 2.0}, "field 'n_features' must be an integer"),
    ({"n_features": True}, "got true"),
    ({"kind": "clusterer"}, "field 'kind' must be one of classifier, regressor"),
    ({"link": "probit"}, "field 'link' must be one of"),
    ({"link": None}, "field 'link' must be one of"),
    ({"classes": [0]}, "field 'classes' must be a list of at least 2 labels"),
    ({"classes": [0, "1"]}, "field 'classes' must hold labels of one type"),
    ({"classes": [1, 1]}, "field 'classes' has duplicates"),
    ({"classes": [0, 2**64]}, "field 'classes[1]' is an integer outside the 64-bit range"),
    ({"classes": ["a", "\ud800"]}, "field 'classes[1]' holds a lone surrogate"),
    ({"feature_names": ["a"]}, "field 'feature_names' must be a list of 2 strings"),
    ({"feature_names": ["a", 1]}, "field 'feature_names[1]' must be a string, got 1"),
    ({"feature_names": ["a", "a"]}, "field 'feature_names' has duplicates"),
    ({"center": [0.0]}, "field 'center' must have 2 numbers"),
    ({"estimator": 7}, "field 'estimator' must be a string, got 7"),
    ({"checksum": 7}, "field 'checksum' must be a string"),
    ({"format": "onnx"}, "field 'format' must be 'fastscore-linear-model'"),
    ({"format_version": "1"}, "field 'format_version' must be an integer"),
    ({"format_version": 0}, "field 'format_version' must be at least 1"),
    ({"format_version": modelfile.VERSION + 1},
     f"the file needs model format version {modelfile.VERSION + 1}, but fastscore"),
    ({"coeff": [[1.0, 1.0]]}, "unknown field(s) 'coeff'"),
    ({"coef": None}, "field 'coef' must be a list of 2 numbers (n_features), got null"),
])
def test_bad_fields_are_named(tmp_path, change, words):
    fields = {**_v1(), **change}
    if change.get("coef", 0) is None:
        del fields["coef"]
        words = "missing field(s) 'coef'"
    path = tmp_path / "m.json"
    path.write_text(_signed(fields) if "checksum" not in change else json.dumps(fields))
    with pytest.raises(fastscore.ModelFormatError) as info:
        fastscore.load(path)
    assert str(info.value).startswith(f"{path}: ") and words in str(info.value)


def test_a_regressor_with_classes_is_refused():
    fields = {**_v1(), "kind": "regressor", "link": "identity"}
    with pytest.raises(fastscore.ModelFormatError, match="'classes' is only allowed for classifiers"):
        fastscore.loads(_signed(fields))


@pytest.mark.parametrize("data, words", [
    (b"", "empty"),
    (b"  \n", "empty"),
    (b"\x80\x04\x95", "looks like a pickle"),
    (b"PK\x03\x04", "zip"),
    (b"\xff\xfe{", "not UTF-8"),
    (b"{" * 100000, "not valid JSON"),
    (b"[" * 100000 + b"]" * 100000, "nested too deeply"),
    (b'{"a": ' + b"1" * 5000 + b"}", "not a model file"),
    (b'"just a string"', "holds the string 'just a string', not an object"),
    (b"null", "holds null, not an object"),
    (b"\x00\x00\x00", "not valid JSON"),
])
def test_non_model_files_are_refused(tmp_path, data, words):
    path = tmp_path / "m.json"
    path.write_bytes(data)
    with pytest.raises(fastscore.ModelFormatError, match=re.escape(words)):
        fastscore.load(path)


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path, monkeypatch):
    monkeypatch.setattr(modelfile, "MAX_FILE_BYTES", 100)
    path = tmp_path / "m.json"
    path.write_text(open(V1, encoding="utf-8").read())
    with pytest.raises(fastscore.ModelFormatError, match="more than a model file may have"):
        fastscore.load(path)

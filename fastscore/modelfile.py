"""The fastscore model file: strict JSON, validated field by field, no pickle.

docs/FORMAT.md is the specification. Writing goes through a temporary file
and a rename, so a reader never sees half a model; reading refuses anything
that is not exactly a valid model, with ModelFormatError naming the field.
"""
import hashlib
import json
import math
import os
import tempfile

import numpy as np

from fastscore import _links

FORMAT = "fastscore-linear-model"
VERSION = 1

# A model this large would not fit in memory as JSON anyway; checking the
# claim first refuses absurd files before anything is allocated for them.
MAX_FEATURES = 10**8
MAX_OUTPUTS = 10**6

REQUIRED = ("format", "format_version", "kind", "estimator", "link", "n_features", "coef",
            "intercept", "checksum")
OPTIONAL = ("classes", "feature_names", "center", "sklearn_version", "fastscore_version")
LINKS = {"classifier": ("logistic", "softmax", "ovr", "modified_huber", "identity"),
         "regressor": ("identity", "exp")}


class ModelFormatError(ValueError):
    """A model file that is not valid: names the field and what was wrong with it."""


def to_dict(model):
    """The model's fields as plain JSON values, with their checksum."""
    from fastscore import __version__
    from fastscore.model import Classifier

    d = {
        "format": FORMAT,
        "format_version": VERSION,
        "kind": "classifier" if isinstance(model, Classifier) else "regressor",
        "estimator": model.estimator,
        "link": model.link,
        "n_features": model.n_features_in_,
        "coef": model.coef_.tolist(),
        "intercept": model.intercept_.tolist(),
    }
    if d["kind"] == "classifier":
        d["classes"] = model.classes_.tolist()
    if model._feature_names is not None:
        d["feature_names"] = [str(n) for n in model._feature_names]
    if model.center is not None:
        d["center"] = model.center.tolist()
    if model.sklearn_version is not None:
        d["sklearn_version"] = model.sklearn_version
    d["fastscore_version"] = __version__
    d["checksum"] = _checksum(d)
    return d


def dumps(model):
    """The model file's text: one field per line, numbers in shortest round-trip form."""
    fields = to_dict(model)
    lines = (f"  {json.dumps(k)}: {json.dumps(v, allow_nan=False)}" for k, v in fields.items())
    return "{\n" + ",\n".join(lines) + "\n}\n"


def save(model, path):
    """Write `model` to `path` atomically (a temporary file, then a rename)."""
    text = dumps(model)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".fastscore-", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def load(path):
    """Read a model file written by save() (or by `fastscore convert`)."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        return loads(data)
    except ModelFormatError as exc:
        raise ModelFormatError(f"{os.fspath(path)}: {exc}") from None


def loads(data):
    """Parse and validate a model file's contents (bytes or str) into a model."""
    return from_dict(_parse(data))


def from_dict(d):
    """Validate a parsed model file and build the model. Nothing is trusted unchecked."""
    from fastscore.model import Classifier, Regressor

    if not isinstance(d, dict):
        raise ModelFormatError(f"the file holds a JSON {type(d).__name__}, not an object")
    _check_version(d)
    missing = [k for k in REQUIRED if k not in d]
    if missing:
        raise ModelFormatError(f"missing field(s) {', '.join(map(repr, missing))}")
    unknown = sorted(set(d) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise ModelFormatError(f"unknown field(s) {', '.join(map(repr, unknown))}")
    if d["checksum"] != _checksum(d):
        raise ModelFormatError("field 'checksum' does not match the contents: the file was "
                               "changed or damaged after it was written")
    kind = _choice(d, "kind", tuple(LINKS))
    link = _choice(d, "link", LINKS[kind])
    for key in ("estimator",):
        _string(d, key)
    for key in ("sklearn_version", "fastscore_version"):
        if d.get(key) is not None:
            _string(d, key)
    n_features = _size(d, "n_features", MAX_FEATURES)
    coef = _numbers(d, "coef", n_features)
    n_outputs = 1 if coef.ndim == 1 else coef.shape[0]
    if n_outputs > MAX_OUTPUTS:
        raise ModelFormatError(f"field 'coef' has {n_outputs} rows, more than {MAX_OUTPUTS}")
    intercept = _numbers(d, "intercept", None)
    if intercept.ndim > 1 or intercept.size != n_outputs or (coef.ndim == 1) != (intercept.ndim == 0):
        raise ModelFormatError(f"field 'intercept' must be {'one number' if coef.ndim == 1 else f'a list of {n_outputs} numbers'} to match 'coef'")
    center = None
    if d.get("center") is not None:
        center = _numbers(d, "center", None)
        if center.shape != (n_features,):
            raise ModelFormatError(f"field 'center' must be a list of {n_features} numbers")
    names = None
    if d.get("feature_names") is not None:
        names = d["feature_names"]
        if (not isinstance(names, list) or len(names) != n_features
                or not all(isinstance(n, str) for n in names)):
            raise ModelFormatError(f"field 'feature_names' must be a list of {n_features} strings")
        if len(set(names)) != n_features:
            raise ModelFormatError("field 'feature_names' has duplicates")
    common = dict(estimator=d["estimator"], link=link, coef=coef, intercept=intercept,
                  n_features=n_features, feature_names=names, center=center,
                  sklearn_version=d.get("sklearn_version"))
    if kind == "regressor":
        if d.get("classes") is not None:
            raise ModelFormatError("field 'classes' is only allowed for classifiers")
        return Regressor(**common)
    classes = _classes(d, n_outputs, coef.ndim)
    return Classifier(classes=classes, **common)


def _parse(data):
    if isinstance(data, bytes):
        if not data.strip():
            raise ModelFormatError("the file is empty")
        if data[:1] in (b"\x80", b"(", b"c") or data[:2] == b"PK":
            raise ModelFormatError("the file is not JSON (it looks like a pickle or a zip "
                                   "archive); fastscore model files are JSON, see docs/FORMAT.md")
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ModelFormatError(f"the file is not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    if not data.strip():
        raise ModelFormatError("the file is empty")
    try:
        return json.loads(data, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except json.JSONDecodeError as exc:
        raise ModelFormatError(f"the file is not valid JSON: {exc}") from None
    except RecursionError:
        raise ModelFormatError("the file is not valid JSON: nested too deeply") from None


def _no_duplicates(pairs):
    d = {}
    for key, value in pairs:
        if key in d:
            raise ModelFormatError(f"duplicate field {key!r}")
        d[key] = value
    return d


def _no_constant(name):
    raise ModelFormatError(f"the file holds {name}, which is not a number JSON allows")


def _checksum(d):
    body = {k: v for k, v in d.items() if k != "checksum"}
    try:
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                               allow_nan=False)
    except ValueError:  # 1e999 parses as inf; the number checks name it, this must not crash
        canonical = repr(body)
    return "sha256:" + hashlib.sha256(canonical.encode("ascii", "backslashreplace")).hexdigest()


def _check_version(d):
    version = d.get("format_version")
    if d.get("format") != FORMAT:
        raise ModelFormatError(f"field 'format' must be {FORMAT!r}: this is not a fastscore model file")
    if type(version) is not int:
        raise ModelFormatError(f"field 'format_version' must be an integer, got {version!r}")
    if version > VERSION:
        raise ModelFormatError(f"the file needs model format version {version}; this fastscore "
                               f"reads versions 1 to {VERSION}: upgrade fastscore")
    if version < 1:
        raise ModelFormatError(f"field 'format_version' must be at least 1, got {version}")


def _choice(d, key, allowed):
    value = d[key]
    if value not in allowed or not isinstance(value, str):
        raise ModelFormatError(f"field {key!r} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _string(d, key):
    if not isinstance(d[key], str):
        raise ModelFormatError(f"field {key!r} must be a string, got {type(d[key]).__name__}")
    return d[key]


def _size(d, key, limit):
    value = d[key]
    if type(value) is not int or not 1 <= value <= limit:
        raise ModelFormatError(f"field {key!r} must be an integer from 1 to {limit}, got {value!r}")
    return value


def _is_number(x):
    return (type(x) is float and math.isfinite(x)) or type(x) is int


def _numbers(d, key, row_length):
    """A number, a list of numbers, or (row_length given) a list of equal-length lists."""
    value = d[key]
    if _is_number(value):
        rows = None
    elif isinstance(value, list) and all(_is_number(x) for x in value):
        rows = None
    elif (isinstance(value, list) and value and row_length is not None
          and all(isinstance(r, list) and all(_is_number(x) for x in r) for r in value)):
        rows = value
    else:
        raise ModelFormatError(f"field {key!r} must hold only finite numbers"
                               + (" (a list, or a list of lists)" if row_length else ""))
    if row_length is not None:
        for i, r in enumerate(rows or [value]):
            if not isinstance(r, list) or len(r) != row_length:
                where = f"row {i} of " if rows else ""
                raise ModelFormatError(f"{where}field {key!r} must have {row_length} values "
                                       f"(n_features), got {len(r) if isinstance(r, list) else 1}")
    try:
        return np.array(value, dtype=np.float64)
    except OverflowError:  # an int beyond float64
        raise ModelFormatError(f"field {key!r} holds a number too large for float64") from None


def _classes(d, n_outputs, coef_ndim):
    classes = d.get("classes")
    if not isinstance(classes, list) or len(classes) < 2:
        raise ModelFormatError("field 'classes' must be a list of at least 2 labels")
    kinds = {type(c) for c in classes}
    if len(kinds) != 1 or kinds.pop() not in (str, int, bool, float):
        raise ModelFormatError("field 'classes' must hold labels of one type: strings, integers, "
                               "booleans or numbers")
    if any(type(c) is float and not math.isfinite(c) for c in classes):
        raise ModelFormatError("field 'classes' holds a non-finite number")
    if len(set(classes)) != len(classes):
        raise ModelFormatError("field 'classes' has duplicates")
    expected = 1 if len(classes) == 2 else len(classes)
    if coef_ndim != 2 or n_outputs != expected:
        raise ModelFormatError(f"field 'coef' must have {expected} row(s) for {len(classes)} "
                               f"classes, got {n_outputs}")
    return classes

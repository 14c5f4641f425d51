"""The fastscore model file: strict JSON, validated field by field, no pickle.

docs/FORMAT.md is the specification. Writing goes through a temporary file
and a rename, so a reader never sees half a model; reading refuses anything
that is not exactly a valid model, with ModelFormatError naming the field.
"""
import json
import math
import os

import numpy as np

from fastscore._files import atomic_path
from fastscore.model import LINKS, class_rows, classifier_link_problem

FORMAT = "fastscore-linear-model"
VERSION = 1

# Sanity bounds, checked before anything is allocated for what a file claims:
# a model this large would not fit in memory as JSON anyway.
MAX_FEATURES = 10**8
MAX_OUTPUTS = 10**6
MAX_FILE_BYTES = 2**31

REQUIRED = ("format", "format_version", "kind", "estimator", "link", "n_features", "coef",
            "intercept", "checksum")
OPTIONAL = ("classes", "feature_names", "center", "sklearn_version", "fastscore_version")


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
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8") as f:
        f.write(text)


def load(path, backend=None):
    """Read a model file written by save() (or by `fastscore convert`).

    Raises ModelFormatError for anything that is not a valid model file, and
    OSError when the file cannot be read at all. backend: "compiled" or
    "pure" (None: fastscore.backend), as for the model classes.
    """
    return load_with_fields(path, backend)[0]


def load_with_fields(path, backend=None):
    """load(path), and the file's validated fields (for what a model does not keep: versions, checksum)."""
    try:
        return _validated(_read(path), backend)
    except ModelFormatError as exc:
        raise ModelFormatError(f"{os.fspath(path)}: {exc}") from None


def _read(path):
    """The file's bytes, refusing oversized files and obvious non-JSON before reading them whole."""
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        if size > MAX_FILE_BYTES:
            raise ModelFormatError(f"the file has {size} bytes, more than a model file may have "
                                   f"({MAX_FILE_BYTES})")
        head = f.read(4096)
        # A first character that cannot start JSON condemns the whole file: say so
        # without reading the rest (a multi-gigabyte pickle, /dev/zero, ...).
        if head.strip() and head.lstrip()[:1] not in _JSON_STARTS:
            return head
        rest = f.read(MAX_FILE_BYTES + 1 - len(head))
        if len(head) + len(rest) > MAX_FILE_BYTES:
            raise ModelFormatError(f"the file has more than {MAX_FILE_BYTES} bytes, more than a "
                                   "model file may have")
        return head + rest


def loads(data, backend=None):
    """Parse and validate a model file's contents (bytes or str) into a model (backend: as for load)."""
    return _validated(data, backend)[0]


def _validated(data, backend=None):
    """(model, fields) from a model file's contents."""
    try:
        fields = _parse(data)
        return from_dict(fields, backend), fields
    except RecursionError:  # only a hostile file nests deep enough to get here
        raise ModelFormatError("the file is nested too deeply to be a model file") from None


def from_dict(d, backend=None):
    """Validate a parsed model file and build the model (backend: as for load). Nothing is trusted unchecked.

    Fields are checked one by one, so that the error names the first bad one;
    the checksum is checked last, over fields already known to be well-formed.
    """
    from fastscore.model import Classifier, Regressor

    if not isinstance(d, dict):
        raise ModelFormatError(f"the file holds {_what(d)}, not an object: "
                               "this is not a fastscore model file")
    _check_version(d)
    missing = [k for k in REQUIRED if k not in d]
    if missing:
        raise ModelFormatError(f"missing field(s) {', '.join(map(repr, missing))}")
    unknown = sorted(set(d) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise ModelFormatError(f"unknown field(s) {', '.join(map(repr, unknown))} "
                               f"(format version {d['format_version']} has no such field)")
    kind = _choice(d, "kind", tuple(LINKS))
    link = _choice(d, "link", LINKS[kind])
    _string(d, "estimator")
    for key in ("sklearn_version", "fastscore_version"):
        if d.get(key) is not None:
            _string(d, key)
    n_features = _size(d, "n_features", MAX_FEATURES)
    coef = _coef(d, n_features)
    n_outputs = 1 if coef.ndim == 1 else coef.shape[0]
    classes = None
    if kind == "regressor":
        if d.get("classes") is not None:
            raise ModelFormatError("field 'classes' is only allowed for classifiers")
    else:
        classes = _classes(d, n_outputs, coef.ndim)
        problem = classifier_link_problem(link, n_outputs)
        if problem:
            raise ModelFormatError(f"field 'link': {problem}")
    if coef.ndim == 1:
        if isinstance(d["intercept"], list):
            raise ModelFormatError("field 'intercept' must be one number, as 'coef' is a single "
                                   f"list, got {_what(d['intercept'])}")
        intercept = np.array(_number(d["intercept"], "intercept"), dtype=np.float64)
    else:
        intercept = np.array(_row(d["intercept"], "intercept", n_outputs, "rows of 'coef'"),
                             dtype=np.float64)
    center = None
    if d.get("center") is not None:
        center = np.array(_row(d["center"], "center", n_features, "n_features"), dtype=np.float64)
    names = None
    if d.get("feature_names") is not None:
        names = d["feature_names"]
        if not isinstance(names, list) or len(names) != n_features:
            raise ModelFormatError(f"field 'feature_names' must be a list of {n_features} strings "
                                   f"(n_features), got {_what(names)}")
        for i, name in enumerate(names):
            _text(name, f"feature_names[{i}]")
        if len(set(names)) != n_features:
            raise ModelFormatError("field 'feature_names' has duplicates")
    checksum = _string(d, "checksum")
    if checksum != _checksum(d):
        raise ModelFormatError("field 'checksum' does not match the contents: the file was "
                               "changed or damaged after it was written")
    common = dict(estimator=d["estimator"], link=link, coef=coef, intercept=intercept,
                  n_features=n_features, feature_names=names, center=center,
                  sklearn_version=d.get("sklearn_version"), backend=backend)
    if kind == "regressor":
        return Regressor(**common)
    return Classifier(classes=classes, **common)


# Characters that can begin a JSON text (after whitespace).
_JSON_STARTS = frozenset(b'{["-0123456789tfn'[i:i + 1] for i in range(17))


def _parse(data):
    if isinstance(data, (bytes, bytearray, memoryview)):
        data = bytes(data)
        if not data.strip():
            raise ModelFormatError("the file is empty")
        if data[:1] in (b"\x80", b"(", b"c") or data[:2] == b"PK":
            raise ModelFormatError("the file is not JSON (it looks like a pickle or a zip "
                                   "archive); fastscore model files are JSON, see docs/FORMAT.md")
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ModelFormatError(f"the file is not JSON: it is not UTF-8 text ({exc.reason} "
                                   f"at byte {exc.start})") from None
    if not data.strip():
        raise ModelFormatError("the file is empty")
    try:
        return json.loads(data, object_pairs_hook=_no_duplicates, parse_constant=float)
    except ModelFormatError:
        raise
    except json.JSONDecodeError as exc:
        raise ModelFormatError(f"the file is not valid JSON: {exc}") from None
    except ValueError as exc:  # an integer literal longer than Python converts (4300 digits)
        raise ModelFormatError(f"the file is not a model file: {exc}") from None


def _no_duplicates(pairs):
    d = {}
    for key, value in pairs:
        if key in d:
            raise ModelFormatError(f"duplicate field {key!r}")
        d[key] = value
    return d


def canonical_json(d):
    """The bytes the checksum covers: every field but 'checksum', as canonical JSON.

    Keys sorted, no whitespace, ASCII only (\\uXXXX escapes), integers as
    integers, floats in shortest round-trip form; docs/FORMAT.md spells it out.
    """
    body = {k: v for k, v in d.items() if k != "checksum"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False).encode("ascii")


def _checksum(d):
    return "sha256:" + _sha256(canonical_json(d)).hexdigest()


def _sha256(data):
    """hashlib.sha256, preferably CPython's built-in one: hashlib loads OpenSSL, 3.6 MB of RSS in a service."""
    for module in ("_sha2", "_sha256"):  # Python >= 3.12, then 3.9-3.11
        try:
            return __import__(module).sha256(data)
        except (ImportError, AttributeError):
            continue
    import hashlib

    return hashlib.sha256(data)


def _check_version(d):
    from fastscore import __version__

    if d.get("format") != FORMAT:
        got = "missing" if "format" not in d else f"got {_what(d['format'])}"
        raise ModelFormatError(f"field 'format' must be {FORMAT!r} ({got}): this is not a "
                               "fastscore model file")
    if "format_version" not in d:
        raise ModelFormatError("missing field 'format_version'")
    version = d["format_version"]
    if type(version) is not int:
        raise ModelFormatError(f"field 'format_version' must be an integer, got {_what(version)}")
    if version > VERSION:
        raise ModelFormatError(f"the file needs model format version {version}, but fastscore "
                               f"{__version__} reads versions 1 to {VERSION}: upgrade fastscore "
                               "to read it")
    if version < 1:
        raise ModelFormatError(f"field 'format_version' must be at least 1, got {version}")


def _what(value):
    """A short description of a JSON value for error messages."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isfinite(value):
            return repr(value)
        return ("NaN" if value != value else "Infinity" if value > 0 else "-Infinity") + \
            " (not a finite number)"
    if isinstance(value, int):
        return str(value) if abs(value) < 10**20 else "an integer too large for float64"
    if isinstance(value, str):
        return f"the string {value[:40]!r}"
    if isinstance(value, list):
        return f"a list of {len(value)} values"
    return "an object" if isinstance(value, dict) else type(value).__name__


def _choice(d, key, allowed):
    value = d[key]
    if not isinstance(value, str) or value not in allowed:
        raise ModelFormatError(f"field {key!r} must be one of {', '.join(allowed)}, got {_what(value)}")
    return value


def _text(value, where):
    """A string that is valid Unicode (JSON's \\ud800 escapes can make lone surrogates)."""
    if not isinstance(value, str):
        raise ModelFormatError(f"field {where!r} must be a string, got {_what(value)}")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ModelFormatError(f"field {where!r} holds a lone surrogate, which is not "
                               "valid Unicode text") from None
    return value


def _string(d, key):
    return _text(d[key], key)


def _size(d, key, limit):
    value = d[key]
    if type(value) is not int or not 1 <= value <= limit:
        raise ModelFormatError(f"field {key!r} must be an integer from 1 to {limit}, got {_what(value)}")
    return value


def _number(x, where):
    """x itself if it is a finite JSON number that fits a float64 (never a bool)."""
    if type(x) is float and math.isfinite(x):
        return x
    if type(x) is int:
        try:
            float(x)
            return x
        except OverflowError:
            pass
    raise ModelFormatError(f"field {where!r} must hold finite numbers, got {_what(x)}")


def _row(values, key, length, what):
    """A list of exactly `length` finite numbers (`what` names where the length comes from)."""
    if not isinstance(values, list):
        raise ModelFormatError(f"field {key!r} must be a list of {length} numbers ({what}), "
                               f"got {_what(values)}")
    if len(values) != length:
        raise ModelFormatError(f"field {key!r} must have {length} numbers ({what}), got {len(values)}")
    for x in values:
        _number(x, key)
    return values


def _coef(d, n_features):
    """coef: one row of n_features numbers, or a list of up to MAX_OUTPUTS such rows."""
    value = d["coef"]
    if isinstance(value, list) and value and all(isinstance(r, list) for r in value):
        if len(value) > MAX_OUTPUTS:
            raise ModelFormatError(f"field 'coef' has {len(value)} rows, more than {MAX_OUTPUTS}")
        for i, row in enumerate(value):
            _row(row, f"coef[{i}]", n_features, "n_features")
    else:
        _row(value, "coef", n_features, "n_features")
    return np.array(value, dtype=np.float64)


def _classes(d, n_outputs, coef_ndim):
    classes = d.get("classes")
    if not isinstance(classes, list) or len(classes) < 2:
        raise ModelFormatError(f"field 'classes' must be a list of at least 2 labels, got {_what(classes)}")
    kinds = {type(c) for c in classes}
    if len(kinds) != 1 or kinds.pop() not in (str, int, bool, float):
        raise ModelFormatError("field 'classes' must hold labels of one type: strings, integers, "
                               "booleans or numbers")
    for i, c in enumerate(classes):
        if type(c) is float and not math.isfinite(c):
            raise ModelFormatError(f"field 'classes[{i}]' is {_what(c)}")
        if type(c) is int and not -2**63 <= c < 2**63:
            raise ModelFormatError(f"field 'classes[{i}]' is an integer outside the 64-bit range")
        if type(c) is str:
            _text(c, f"classes[{i}]")
    if len(set(classes)) != len(classes):
        raise ModelFormatError("field 'classes' has duplicates")
    expected = class_rows(len(classes))
    if coef_ndim != 2 or n_outputs != expected:
        raise ModelFormatError(f"field 'coef' must have {expected} row(s) for {len(classes)} "
                               f"classes, got {n_outputs if coef_ndim == 2 else 'a flat list'}")
    return classes

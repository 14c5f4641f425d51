"""A model's fields and their one validation.

The model constructors (Classifier, Regressor), unpickling and the model
file reader (fastscore.modelfile) all go through check(): what it accepts
can be scored, saved and loaded back unchanged, and what it refuses raises
FieldError, a ValueError whose message names the field. The fields are
those of the model file (docs/FORMAT.md), held as checked numpy arrays.
"""
import math
import operator
from typing import Any, Dict, NamedTuple, Optional, Tuple

import numpy as np

from fastscore._validate import MAX_FEATURES, MAX_OUTPUTS, FieldError, text, what  # noqa: F401 (the model's names)
from fastscore.links import BY_NAME, FOR_KIND

#: the links each kind of model may have, by name (fastscore.links.FOR_KIND)
LINKS: Dict[str, Tuple[str, ...]] = FOR_KIND


class Fields(NamedTuple):
    """A model's validated fields: read-only float64 arrays, labels and names."""

    kind: str                             # "classifier" or "regressor"
    estimator: str                        # the scikit-learn class it came from (informational)
    link: str                             # one of LINKS[kind]
    n_features: int
    coef: np.ndarray                      # (n_features,) for one flat output, else (k, n_features)
    intercept: np.ndarray                 # () with a 1-D coef, else (k,)
    classes: Optional[np.ndarray]         # classifiers: 1-D labels of bool, int, float or str
    feature_names: Optional[np.ndarray]   # object array of n_features distinct str
    center: Optional[np.ndarray]          # (n_features,) subtracted from x before the dot product
    sklearn_version: Optional[str]
    post: Any = None                      # classifiers: a fastscore.post.Post, or None
    front: Any = None                     # the input stage (fastscore.front.Front): inputs, numeric, tables, texts
    sparse: Any = None                    # how sparse X is scored (fastscore._checks_sparse.SparseRule), or None


def class_rows(n_classes: int) -> int:
    """Rows of coefficients a classifier of n_classes has: one for two classes, else one per class."""
    return 1 if n_classes == 2 else n_classes


def classifier_link_problem(link: str, n_rows: int) -> Optional[str]:
    """Why a classifier with n_rows rows of coef cannot have the link named `link`, or None if it can."""
    return BY_NAME[link].rows_problem(n_rows)


def check(kind: str, *, estimator: Any, link: Any, n_features: Any, coef: Any, intercept: Any,
          classes: Any = None, feature_names: Any = None, center: Any = None,
          sklearn_version: Any = None, post: Any = None, inputs: Any = None, numeric: Any = None,
          tables: Any = None, texts: Any = None, sparse: Any = None, copy: bool = True) -> Fields:
    """Validate a model's fields and return them as Fields, or raise FieldError naming the first bad one.

    post (classifiers only) is the JSON value of the field "post", or a
    fastscore.post.Post; fastscore.post validates it. inputs, numeric,
    tables and texts are the input stage of format versions 2 and 3
    (fastscore.front and fastscore.texts validate them): with them,
    n_features counts the numeric columns (it may be 0) and the inputs
    carry the names. sparse (format version 3) is the JSON value of the
    field "sparse", or a SparseRule: how the model scores SciPy sparse X
    where its estimator treats it otherwise than dense X.

    Arrays are converted to float64 and made read-only; with copy=True
    (the default) they are copies, so that the caller's arrays stay theirs.
    copy=False is for callers that own what they pass (the file reader).
    """
    if not isinstance(kind, str) or kind not in LINKS:
        raise FieldError(f"field 'kind' must be one of {', '.join(LINKS)}, got {what(kind)}")
    estimator = text(estimator, "estimator")
    if not isinstance(link, str) or link not in LINKS[kind]:
        shown = repr(link[:40]) if isinstance(link, str) else what(link)
        raise FieldError(f"field 'link' must be one of {', '.join(LINKS[kind])}: "
                         f"a {kind} has no link {shown}")
    if sklearn_version is not None:
        sklearn_version = text(sklearn_version, "sklearn_version")
    staged = inputs is not None
    if not staged and (numeric is not None or tables is not None or texts is not None):
        raise FieldError("fields 'numeric', 'tables' and 'texts' need the field 'inputs'")
    if staged and feature_names is not None:
        raise FieldError("field 'feature_names' is not allowed with 'inputs', which name the columns")
    n_features = _size(n_features, 0 if staged else 1)
    coef = _coef(coef, n_features, copy)
    if kind == "classifier":
        if classes is None:
            raise FieldError("field 'classes' is missing: a classifier needs classes and a "
                             "regressor has none")
        classes = _classes(classes, copy)
        expected = class_rows(len(classes))
        if post is not None:
            from fastscore import post as _post  # only models with a post stage need it

            post = _post.check(post, link, len(classes))
            if post.calibration is not None:  # one row of coef per calibrated column of z
                expected = post.calibration.n_outputs
        if coef.ndim == 1:
            raise FieldError(f"field 'coef' must have {expected} row(s) for {len(classes)} classes, "
                             "got a flat list")
        if coef.shape[0] != expected and post is not None and post.calibration is not None:
            raise FieldError(f"field 'coef' must have one row per calibrator of field 'post' ({expected}), "
                             f"but coef has {coef.shape[0]} row(s)")
        if coef.shape[0] != expected:
            raise FieldError("field 'coef' must have one row for 2 classes, else one per class, but "
                             f"coef has {coef.shape[0]} row(s) for classes of shape ({len(classes)},)")
        problem = classifier_link_problem(link, coef.shape[0])
        if problem:
            raise FieldError(f"field 'link': {problem}")
    elif classes is not None:
        raise FieldError("field 'classes' is only allowed for classifiers: a classifier needs classes "
                         "and a regressor has none")
    elif post is not None:
        raise FieldError("field 'post' is only allowed for classifiers")
    intercept = _intercept(intercept, coef, copy)
    if center is not None:
        center = _vector(center, "center", n_features, "n_features", copy)
    if feature_names is not None:
        feature_names = _names(feature_names, n_features)
    front = None
    if staged:
        from fastscore import front as _front

        front = _front.check(inputs, numeric, tables, n_features, 1 if coef.ndim == 1 else coef.shape[0], texts)
    if sparse is not None:
        sparse = _sparse(sparse, coef, copy, staged)
    for a in (coef, intercept, center, classes, feature_names):
        if a is not None:
            a.flags.writeable = False
    return Fields(kind, estimator, link, n_features, coef, intercept, classes, feature_names,
                  center, sklearn_version, post, front, sparse)


def _size(value, minimum=1):
    try:
        if isinstance(value, (bool, np.bool_)):
            raise TypeError
        n = operator.index(value)
    except TypeError:
        n = None
    if n is None or not minimum <= n <= MAX_FEATURES:
        raise FieldError(f"field 'n_features' must be an integer from {minimum} to {MAX_FEATURES}, "
                         f"got {what(value)}")
    return n


def _is_number(x):
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, (bool, np.bool_))


def _numbers(value, where, copy):
    """value (a number, or a list or array of numbers) as a float64 array.

    Elements must be real numbers, never booleans or strings (numpy would
    quietly convert both); non-finite values are left to the caller.
    """
    if isinstance(value, np.ndarray) and value.dtype.kind in "iuf":
        return np.array(value, dtype=np.float64) if copy else np.asarray(value, dtype=np.float64)
    if isinstance(value, np.ndarray) and value.dtype.kind != "O":
        raise FieldError(f"field {where!r} must hold finite numbers, got {value.dtype} values")
    items = value.tolist() if isinstance(value, np.ndarray) else value
    if isinstance(items, (list, tuple)):
        if not set(map(type, items)) <= {int, float}:  # the common case costs one pass in C
            for x in items:
                if not _is_number(x):
                    raise FieldError(f"field {where!r} must hold finite numbers, got {what(x)}")
    elif not _is_number(items):
        raise FieldError(f"field {where!r} must hold finite numbers, got {what(items)}")
    try:
        return np.array(items, dtype=np.float64)
    except OverflowError:  # an integer beyond float64's range
        big = next(x for x in (items if isinstance(items, (list, tuple)) else [items]) if _overflows(x))
        raise FieldError(f"field {where!r} must hold finite numbers, got {what(big)}") from None


def _overflows(x):
    try:
        float(x)
    except OverflowError:
        return True
    return False


def _finite(a, where):
    """Refuse NaN and infinity in a (1-D, or 2-D naming the row)."""
    bad = ~np.isfinite(a)
    if bad.any():
        i = np.unravel_index(np.argmax(bad), a.shape)
        row = f"{where}[{i[0]}]" if a.ndim == 2 else where
        raise FieldError(f"field {row!r} must hold finite numbers, got {what(a[i])}")


def _coef(value, n, copy):
    """coef: n numbers (one flat output), or rows of n numbers, at most MAX_OUTPUTS of them."""
    rows = value.tolist() if isinstance(value, np.ndarray) and value.dtype.kind == "O" else value
    if isinstance(rows, (list, tuple)) and rows and \
            all(isinstance(r, (list, tuple, np.ndarray)) for r in rows):
        if len(rows) > MAX_OUTPUTS:
            raise FieldError(f"field 'coef' has {len(rows)} rows, more than {MAX_OUTPUTS}")
        checked = []
        for i, row in enumerate(rows):
            where = f"coef[{i}]"
            if isinstance(row, np.ndarray) and row.ndim != 1:
                raise FieldError(f"field {where!r} must be a list of {n} numbers (n_features), "
                                 f"got {what(row)}")
            row = _numbers(row, where, copy=False)
            if row.shape != (n,):
                raise FieldError(f"field {where!r} must have {n} numbers (n_features), got {row.size}")
            checked.append(row)
        a = np.array(checked, dtype=np.float64)
    elif isinstance(rows, (list, tuple, np.ndarray)):
        a = _numbers(rows, "coef", copy)
        if a.ndim == 2:
            if not 1 <= a.shape[0] <= MAX_OUTPUTS:
                raise FieldError(f"field 'coef' must have 1 to {MAX_OUTPUTS} rows, got {a.shape[0]}")
            if a.shape[1] != n:
                raise FieldError(f"field 'coef[0]' must have {n} numbers (n_features), got {a.shape[1]}")
        elif a.ndim != 1:
            raise FieldError(f"field 'coef' must be a list of {n} numbers or a list of rows of {n} "
                             f"numbers (n_features), got an array of shape {a.shape}")
        elif a.shape[0] != n:
            raise FieldError(f"field 'coef' must have {n} numbers (n_features), got {a.shape[0]}")
    else:
        raise FieldError(f"field 'coef' must be a list of {n} numbers (n_features), got {what(value)}")
    _finite(a, "coef")
    return a


def _vector(value, where, length, what_length, copy):
    """A list of exactly `length` finite numbers (`what_length` names where the length comes from)."""
    if not isinstance(value, (list, tuple, np.ndarray)) or getattr(value, "ndim", 1) == 0:
        raise FieldError(f"field {where!r} must be a list of {length} numbers ({what_length}), "
                         f"got {what(value)}")
    a = _numbers(value, where, copy)
    if a.shape != (length,):
        got = a.shape[0] if a.ndim == 1 else f"an array of shape {a.shape}"
        raise FieldError(f"field {where!r} must have {length} numbers ({what_length}), got {got}")
    _finite(a, where)
    return a


def _intercept(value, coef, copy, where="intercept"):
    """One number with a 1-D coef; one per row of a 2-D coef."""
    if coef.ndim == 2:
        return _vector(value, where, coef.shape[0], "rows of 'coef'", copy)
    if isinstance(value, (list, tuple)) or np.ndim(value) != 0:
        raise FieldError(f"field {where!r} must be one number, as 'coef' is a single list, "
                         f"got {what(value)}")
    a = _numbers(value, where, copy)
    _finite(a, where)
    return a


def _sparse(value, coef, copy, staged):
    """The field "sparse": {"error": "dense" or "center", "step": str, "path": str}; {"intercept": ...}
    (shaped as the field 'intercept') without an input stage; {"densify": true} with one."""
    from fastscore._checks_sparse import CENTER, DENSE, SparseRule

    if isinstance(value, SparseRule):
        value = value.to_json()
    if not isinstance(value, dict):
        raise FieldError(f"field 'sparse' must be an object, got {what(value)}")
    keys = sorted(value)
    if keys in (["densify"], ["intercept"]) and staged != (keys == ["densify"]):
        raise FieldError(f"field 'sparse.{keys[0]}' is only allowed {'with' if keys == ['densify'] else 'without'} "
                         "the field 'inputs'")
    if keys == ["densify"]:
        if value["densify"] is not True:
            raise FieldError(f"field 'sparse.densify' must be true, got {what(value['densify'])}")
        return SparseRule(densify=True)
    if keys == ["intercept"]:
        intercept = _intercept(value["intercept"], coef, copy, "sparse.intercept")
        intercept.flags.writeable = False
        return SparseRule(intercept=intercept)
    if keys != ["error", "path", "step"]:
        raise FieldError("field 'sparse' must have the keys 'error', 'step' and 'path', or the key 'intercept' "
                         f"or 'densify' alone, got {', '.join(map(repr, keys)) or 'none'}")
    error = value["error"]
    if not isinstance(error, str) or error not in (DENSE, CENTER):
        raise FieldError(f"field 'sparse.error' must be {DENSE!r} or {CENTER!r}, got {what(error)}")
    return SparseRule(error, text(value["step"], "sparse.step"), text(value["path"], "sparse.path"))


# What a label may be, by the type of its Python value, in the order of FORMAT.md.
_LABEL_TYPES = (str, int, bool, float)


def _classes(values, copy):
    """At least 2 distinct labels of one type: str, int (signed 64-bit), bool or finite float.

    A numpy array keeps its dtype (predict returns labels of the estimator's
    own type); lists become str, int64, bool or float64 arrays, as loading does.
    """
    head = "field 'classes' must be a list of at least 2 labels (a classifier has at least 2 classes)"
    array = None
    if isinstance(values, np.ndarray):
        array = values
    elif not isinstance(values, (list, tuple)):
        if isinstance(values, (str, bytes, dict)) or not hasattr(values, "__len__"):
            raise FieldError(f"{head}, got {what(values)}")
        array = np.asarray(values)  # a pandas Index or Series, say
    if array is not None:
        if array.ndim != 1:
            raise FieldError(f"{head}, got an array of shape {array.shape}")
        kind = array.dtype.kind
        if not (kind in "biuUO" or (kind == "f" and array.dtype.itemsize <= 8)):
            raise FieldError("field 'classes' must hold labels of one type: strings, integers, "
                             f"booleans or numbers, got {array.dtype} values")
        labels = array.tolist()
    else:
        labels = list(values)
    if len(labels) < 2:
        raise FieldError(f"{head}, got {what(labels)}")
    labels = [x.item() if isinstance(x, np.generic) else x for x in labels] \
        if array is None or array.dtype.kind == "O" else labels
    types = set(map(type, labels))
    label_type = types.pop() if len(types) == 1 else None
    if label_type not in _LABEL_TYPES:
        got = ", ".join(sorted({"None" if x is None else type(x).__name__ for x in labels}))
        raise FieldError("field 'classes' must hold labels of one type: strings, integers, "
                         f"booleans or numbers, got {got}")
    for i, c in enumerate(labels):
        if label_type is float and not math.isfinite(c):
            raise FieldError(f"field 'classes[{i}]' is {what(c)}")
        if label_type is int and not -2**63 <= c < 2**63:
            raise FieldError(f"field 'classes[{i}]' is an integer outside the 64-bit range "
                             "that a model file holds")
        if label_type is str:
            text(c, f"classes[{i}]")
            if c.endswith("\x00"):
                raise FieldError(f"field 'classes[{i}]' ends with a NUL character, which numpy's "
                                 "string arrays (and so predict) would drop")
    if len(set(labels)) != len(labels):
        seen = set()
        twice = next(i for i, c in enumerate(labels) if c in seen or seen.add(c))
        raise FieldError(f"field 'classes' has duplicates: classes[{twice}] is "
                         f"{what(labels[twice])}, equal to an earlier label")
    if array is not None and array.dtype.kind != "O":
        return np.array(array) if copy else array
    dtype = {str: object if array is not None else str, int: np.int64, bool: bool,
             float: np.float64}[label_type]
    return np.array(labels, dtype=dtype)


def _names(values, n):
    """n distinct strings, as an object array (as scikit-learn's feature_names_in_)."""
    names = values.tolist() if isinstance(values, np.ndarray) and values.ndim == 1 else values
    if not isinstance(names, (list, tuple)) or len(names) != n:
        raise FieldError(f"field 'feature_names' must be a list of {n} strings (n_features), "
                         f"got {what(values)}")
    names = [text(name, f"feature_names[{i}]") for i, name in enumerate(names)]
    if len(set(names)) != n:
        seen = set()
        twice = next(i for i, c in enumerate(names) if c in seen or seen.add(c))
        raise FieldError(f"field 'feature_names' has duplicates: feature_names[{twice}] is "
                         f"{what(names[twice])}, equal to an earlier name")
    out = np.empty(n, dtype=object)
    out[:] = names
    return out

"""The post stage: what a classifier does after its linear stage when scikit-learn wraps it.

A model's optional field "post" (docs/FORMAT.md) holds either part or both:

- **calibration** (CalibratedClassifierCV): the kernel computes every
  ensemble member's decision values z (rows of coef stacked member after
  member, link "identity"); each member calibrates each of its z columns
  into one class's probability (sigmoid: ``1 / (1 + exp(a z + b))``, which
  is scikit-learn's ``expit(-(a z + b))``; isotonic: ``np.interp`` on the
  fitted thresholds, clipped to them), completes or normalises them as
  scikit-learn's ``_CalibratedClassifier.predict_proba`` does, and the
  members' probabilities are averaged. The arithmetic is scikit-learn's, in
  its order, so that the results agree to the last bits that z allows.
- **threshold** (FixedThresholdClassifier, TunedThresholdClassifierCV): a
  binary classifier predicts the positive class where its response (the
  positive column of predict_proba, or the decision function, negated when
  the positive class is the first) is at least the threshold; its other
  outputs are those of the model it wraps.

check() validates the field's JSON value into a Post; Post.data is that
value again, canonical, for the file, pickling and ==. Everything here is
numpy (the post stage works per row over a few values); Calibration.one is
score_one's path, on plain floats, with the same arithmetic.
"""
import math
from bisect import bisect_right
from typing import Any, Dict, List, Optional, Tuple, Union

import numpy as np

from fastscore import _checks
from fastscore._checks import MATRIX
from fastscore._validate import FieldError, what
from fastscore.links import BY_NAME

#: the calibration methods, as CalibratedClassifierCV names them
METHODS = ("sigmoid", "isotonic")
#: the responses a threshold applies to, as scikit-learn names the methods
RESPONSES = ("predict_proba", "decision_function")

_IDENTITY = BY_NAME["identity"].code
# scikit-learn sets probabilities in (1, 1 + 1e-5] to exactly 1.
_ABOVE_ONE = 1.0 + 1e-5


class Calibration:
    """Calibrated probabilities from the stacked decision values of the ensemble members."""

    def __init__(self, method: str, members: List[List[Dict[str, Any]]], n_classes: int) -> None:
        """From validated members (see check()): each a list of calibrators, each consuming one z column."""
        self.method = method
        self.n_classes = n_classes
        #: per member, (class index, calibrator parameters) per z column, in column order
        self.members: List[List[Tuple[int, Tuple[Any, ...]]]] = [
            [(c["class"], _params(method, c)) for c in member] for member in members]
        #: the columns of z (rows of coef) the members consume
        self.n_outputs = sum(len(m) for m in self.members)
        self._value = _sigmoid if method == "sigmoid" else _isotonic
        # score_one's path for binary models: per member its (a, b) or (x, y) lists.
        self._scalar = [member[0][1] for member in self.members] if n_classes == 2 else None

    def proba(self, Z: np.ndarray) -> np.ndarray:
        """The mean calibrated probabilities, (n, n_classes), from Z (n, n_outputs), as scikit-learn computes them."""
        n, k = Z.shape[0], self.n_classes
        mean = np.zeros((n, k))
        column = 0
        for member in self.members:
            proba = np.zeros((n, k))
            for cls, params in member:
                proba[:, cls] = self._value(Z[:, column], params)
                column += 1
            if k == 2:
                proba[:, 0] = 1.0 - proba[:, 1]
            else:
                # A row whose every calibrated value is 0 becomes uniform, as in scikit-learn.
                denominator = np.sum(proba, axis=1)[:, np.newaxis]
                uniform = np.full_like(proba, 1 / k)
                proba = np.divide(proba, denominator, out=uniform, where=denominator != 0)
            proba[(1.0 < proba) & (proba <= _ABOVE_ONE)] = 1.0
            mean += proba
        mean /= len(self.members)
        return mean

    def score(self, kernel: Any, X: Any, out: Optional[np.ndarray], n_threads: int, convert: Any) -> np.ndarray:
        """The model's main output: the positive-class probability (n,) when binary, else (n, n_classes)."""
        P = self.proba(kernel.score(X, _IDENTITY, layout=MATRIX, n_threads=n_threads, convert=convert))
        result = P[:, 1] if self.n_classes == 2 else P
        if out is None:
            return np.ascontiguousarray(result)
        _checks.check_out(out, result.shape)
        out[...] = result
        return out

    def one(self, z: Union[float, Tuple[float, ...]]) -> Union[float, Tuple[float, ...]]:
        """score_one's result from the kernel's z for one row (a float for one output, else a tuple).

        Binary models take a path on plain floats (the latency path of
        request handlers), with the arithmetic of proba() element by element.
        """
        pairs = self._scalar
        if pairs is None:
            return tuple(self.proba(np.array(z, dtype=np.float64).reshape(1, -1))[0].tolist())
        if type(z) is float:
            if self.method == "sigmoid":  # one member: its probability itself, (0 + p) / 1
                a, b = pairs[0]
                try:
                    return 1.0 / (1.0 + math.exp(a * z + b))
                except OverflowError:
                    return 0.0
        values = (z,) if isinstance(z, float) else z
        total = 0.0
        if self.method == "sigmoid":  # 1 / (1 + e) with e >= 0 is never above 1: nothing to clip
            for (a, b), v in zip(pairs, values):
                try:
                    total += 1.0 / (1.0 + math.exp(a * v + b))
                except OverflowError:
                    pass  # the probability is 0
        else:
            for params, v in zip(pairs, values):
                p = _scalar_isotonic(v, params)
                total += 1.0 if 1.0 < p <= _ABOVE_ONE else p
        return total / len(pairs)


def _params(method: str, calibrator: Dict[str, Any]) -> Tuple[Any, ...]:
    if method == "sigmoid":
        return calibrator["a"], calibrator["b"]
    return np.array(calibrator["x"]), np.array(calibrator["y"]), calibrator["x"], calibrator["y"]


def _sigmoid(z: np.ndarray, params: Tuple[Any, ...]) -> np.ndarray:
    a, b = params
    with np.errstate(over="ignore"):  # exp overflowing to inf gives its limit, 0
        return 1.0 / (1.0 + np.exp(a * z + b))


def _isotonic(z: np.ndarray, params: Tuple[Any, ...]) -> np.ndarray:
    x, y = params[0], params[1]
    return np.interp(np.clip(z, x[0], x[-1]), x, y)


def _scalar_isotonic(z: float, params: Tuple[Any, ...]) -> float:
    """np.interp of one float, step by step as numpy computes it (numpy's arr_interp)."""
    x, y = params[2], params[3]
    last = len(x) - 1
    z = x[0] if z < x[0] else x[last] if z > x[last] else z
    j = bisect_right(x, z) - 1
    if j >= last or x[j] == z:
        return y[j]
    slope = (y[j + 1] - y[j]) / (x[j + 1] - x[j])
    result = slope * (z - x[j]) + y[j]
    if result != result:
        result = slope * (z - x[j + 1]) + y[j + 1]
        if result != result and y[j] == y[j + 1]:
            result = y[j]
    return result


class Threshold:
    """A binary classifier's decision threshold on one of its responses."""

    def __init__(self, value: float, response: str, pos: int) -> None:
        """The threshold, the response it applies to (one of RESPONSES) and the positive class's index (0 or 1)."""
        self.value = value
        self.response = response
        self.pos = pos

    def labels(self, response: np.ndarray, classes: np.ndarray) -> np.ndarray:
        """The predicted labels from the response (predict_proba (n, 2) or decision_function (n,))."""
        if self.response == "predict_proba":
            score = response[:, self.pos]
        else:
            score = response if self.pos == 1 else -1 * response
        return classes.take(np.where(score >= self.value, self.pos, 1 - self.pos))


class Post:
    """A model's validated post stage: its calibration, its threshold (either may be None) and its JSON."""

    def __init__(self, calibration: Optional[Calibration], threshold: Optional[Threshold],
                 data: Dict[str, Any]) -> None:
        """The validated parts (see check()) and the field's value they were read from."""
        self.calibration = calibration
        self.threshold = threshold
        #: the field's value, canonical (plain dicts, lists, ints and floats)
        self.data = data

    def predict(self, model: Any, X: Any) -> np.ndarray:
        """The labels the model predicts for X, by its threshold, else by its largest calibrated probability."""
        if self.threshold is not None:
            method = model.predict_proba if self.threshold.response == "predict_proba" else model.decision_function
            return self.threshold.labels(method(X), model.classes_)
        return model.classes_.take(np.argmax(model.predict_proba(X), axis=1))


# ---- validation -------------------------------------------------------------------------------

def check(value: Any, link: str, n_classes: int) -> Post:
    """The field "post" of a classifier with this link and n_classes classes, validated into a Post.

    Raises FieldError naming the field (and the part of it) that is wrong.
    """
    if isinstance(value, Post):
        value = value.data
    _keys(value, "post", required=(), allowed=("calibration", "threshold"))
    if not value:
        raise FieldError("field 'post' must hold 'calibration', 'threshold' or both, got an empty object")
    data: Dict[str, Any] = {}
    calibration = threshold = None
    if value.get("calibration") is not None:
        calibration, data["calibration"] = _calibration(value["calibration"], link, n_classes)
    if value.get("threshold") is not None:
        threshold, data["threshold"] = _threshold(value["threshold"], link, n_classes, calibration)
    if not data:
        raise FieldError("field 'post' must hold 'calibration', 'threshold' or both")
    return Post(calibration, threshold, data)


def _calibration(value: Any, link: str, n_classes: int) -> Tuple[Calibration, Dict[str, Any]]:
    where = "post.calibration"
    _keys(value, where, required=("method", "members"), allowed=("method", "members"))
    method = value["method"]
    if not isinstance(method, str) or method not in METHODS:
        raise FieldError(f"field '{where}.method' must be one of {', '.join(METHODS)}, got {what(method)}")
    if link != "identity":
        raise FieldError(f"field 'link' must be 'identity' with a calibration (field '{where}' "
                         f"calibrates decision values), got {link!r}")
    members = value["members"]
    if not isinstance(members, list) or not members:
        raise FieldError(f"field '{where}.members' must be a non-empty list, got {what(members)}")
    checked = []
    for m, member in enumerate(members):
        at = f"{where}.members[{m}]"
        if not isinstance(member, list) or not member:
            raise FieldError(f"field '{at}' must be a non-empty list of calibrators, got {what(member)}")
        if n_classes == 2 and len(member) != 1:
            raise FieldError(f"field '{at}' must hold one calibrator (of the positive class) for 2 classes, "
                             f"got {len(member)}")
        calibrators = [_calibrator(c, f"{at}[{j}]", method, n_classes) for j, c in enumerate(member)]
        seen = [c["class"] for c in calibrators]
        if len(set(seen)) != len(seen):
            raise FieldError(f"field '{at}' calibrates a class twice")
        checked.append(calibrators)
    data = {"method": method, "members": checked}
    return Calibration(method, checked, n_classes), data


def _calibrator(value: Any, where: str, method: str, n_classes: int) -> Dict[str, Any]:
    names = ("class", "a", "b") if method == "sigmoid" else ("class", "x", "y")
    _keys(value, where, required=names, allowed=names)
    cls = value["class"]
    low = 1 if n_classes == 2 else 0
    if type(cls) is not int or not low <= cls < n_classes:
        raise FieldError(f"field '{where}.class' must be an integer from {low} to {n_classes - 1} "
                         f"(an index into 'classes'), got {what(cls)}")
    if method == "sigmoid":
        return {"class": cls, "a": _number(value["a"], f"{where}.a"), "b": _number(value["b"], f"{where}.b")}
    x, y = value["x"], value["y"]
    for name, v in (("x", x), ("y", y)):
        if not isinstance(v, list) or not v:
            raise FieldError(f"field '{where}.{name}' must be a non-empty list of numbers, got {what(v)}")
    if len(x) != len(y):
        raise FieldError(f"field '{where}.y' must have as many numbers as '{where}.x' ({len(x)}), got {len(y)}")
    x = [_number(v, f"{where}.x[{i}]") for i, v in enumerate(x)]
    y = [_number(v, f"{where}.y[{i}]") for i, v in enumerate(y)]
    rising = [i for i in range(1, len(x)) if not x[i - 1] < x[i]]
    if rising:
        raise FieldError(f"field '{where}.x' must be strictly increasing, but x[{rising[0]}] is "
                         f"{what(x[rising[0]])} after {what(x[rising[0] - 1])}")
    return {"class": cls, "x": x, "y": y}


def _threshold(value: Any, link: str, n_classes: int,
               calibration: Optional[Calibration]) -> Tuple[Threshold, Dict[str, Any]]:
    where = "post.threshold"
    names = ("value", "response", "pos")
    _keys(value, where, required=names, allowed=names)
    if n_classes != 2:
        raise FieldError(f"field '{where}' is for binary classifiers, but 'classes' has {n_classes} labels")
    number = _number(value["value"], f"{where}.value")
    response = value["response"]
    if not isinstance(response, str) or response not in RESPONSES:
        raise FieldError(f"field '{where}.response' must be one of {', '.join(RESPONSES)}, got {what(response)}")
    if response == "predict_proba" and calibration is None and BY_NAME[link].log is None:
        raise FieldError(f"field '{where}.response' is predict_proba, but link {link!r} has no probabilities")
    if response == "decision_function" and calibration is not None:
        raise FieldError(f"field '{where}.response' is decision_function, but a calibrated model has none")
    pos = value["pos"]
    if type(pos) is not int or pos not in (0, 1):
        raise FieldError(f"field '{where}.pos' must be 0 or 1 (the index of the positive class), got {what(pos)}")
    return Threshold(number, response, pos), {"value": number, "response": response, "pos": pos}


def _keys(value: Any, where: str, required: Tuple[str, ...], allowed: Tuple[str, ...]) -> None:
    if not isinstance(value, dict):
        raise FieldError(f"field {where!r} must be an object, got {what(value)}")
    missing = [k for k in required if k not in value]
    if missing:
        raise FieldError(f"field {where!r} lacks {', '.join(map(repr, missing))}")
    unknown = sorted(str(k) for k in value if k not in allowed)
    if unknown:
        raise FieldError(f"field {where!r} has unknown key(s) {', '.join(repr(k[:40]) for k in unknown)}")


def _number(value: Any, where: str) -> float:
    """value as a finite float: a real number, never a boolean or a string."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise FieldError(f"field {where!r} must be a finite number, got {what(value)}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise FieldError(f"field {where!r} must be a finite number, got {what(value)}")
    return number


__all__ = ["Post", "Calibration", "Threshold", "check", "METHODS", "RESPONSES"]

"""The link functions: one record per link, the one place that says what each one is.

A model computes z = X @ coef.T + intercept, one value per output (row of
coef), and applies its link to each row of z. A link's record holds its name
(as model files spell it), its code (csrc/fastscore.h's ``fs_link`` value,
which the C kernel switches on), the kinds of model it serves, how many rows
of coef it needs, what it does to a row whose probabilities are all 0, its
log form for ``predict_log_proba``, and its numpy reference.

The numpy reference (``Link.apply``) is the specification: the pure backend
scores with it, and the tests hold the compiled kernel to it on every
instruction set. Adding a link takes a record here, its code in fastscore.h's
``fs_link`` with a case in the C kernel's ``switch`` (csrc/kernel_body.h),
and a row in docs/FORMAT.md; tests check that the three agree.
"""
import math
from typing import Callable, Dict, NamedTuple, Optional, Tuple

import numpy as np

#: The kinds of model, in the order model files and messages list them.
KINDS: Tuple[str, ...] = ("classifier", "regressor")

# Row rules: the rows of coef (outputs) a model with the link may have.
ONE_ROW = "one"          # binary classifiers only: one column of z, nothing to normalise
SEVERAL_ROWS = "several"  # normalises over several classes, so needs at least 2 rows
ANY_ROWS = "any"

# What a row of several outputs whose values are all 0 becomes, for links that normalise rows.
UNIFORM = "uniform"  # 1/k each, as scikit-learn's linear classifiers (and liblinear) do
ZERO = "zero"        # stays 0, as scikit-learn's OneVsRestClassifier does


class Link(NamedTuple):
    """One link function and every fact about it."""

    #: the name model files use
    name: str
    #: csrc/fastscore.h's fs_link value: the code both backends' kernels take
    code: int
    #: the kinds of model that may have it ("classifier", "regressor")
    kinds: Tuple[str, ...]
    #: ONE_ROW, SEVERAL_ROWS or ANY_ROWS of coef
    rows: str
    #: the reference: applies the link in place to Z of shape (n, k)
    apply: Callable[[np.ndarray], None]
    #: log of the probabilities from z of shape (n, k), computed without underflow:
    #: (n, 2) for a binary classifier's (n, 1), else (n, k); None for links without
    #: probabilities. It may overwrite its argument.
    log: Optional[Callable[[np.ndarray], np.ndarray]]
    #: UNIFORM or ZERO for links that normalise rows of several outputs; None otherwise
    #: (softmax normalises too, but its rows never sum to 0)
    zero_row: Optional[str]
    #: the link of a single output on a plain float, as libm computes it, for links
    #: whose single output is elementwise and cheap: score_one's path that never
    #: touches numpy (the compiled kernel computes the same with C's exp); else None
    scalar: Optional[Callable[[float], float]]

    def rows_problem(self, n_rows: int) -> Optional[str]:
        """Why a classifier with n_rows rows of coef cannot have this link, or None if it can."""
        if n_rows == 1 and self.rows == SEVERAL_ROWS:
            return f"link {self.name!r} normalises several classes, but a binary classifier has one row of coef"
        if n_rows > 1 and self.rows == ONE_ROW:
            return f"link {self.name!r} is for binary classifiers, but coef has {n_rows} rows"
        return None


# --- the numpy references, in place on Z (n, k) ---------------------------------

def _expit(Z: np.ndarray) -> None:
    np.negative(Z, out=Z)
    np.exp(Z, out=Z)
    Z += 1.0
    np.divide(1.0, Z, out=Z)


def _softmax(Z: np.ndarray) -> None:
    Z -= Z.max(axis=1, keepdims=True)  # every exp() then in (0, 1]
    np.exp(Z, out=Z)
    Z /= Z.sum(axis=1, keepdims=True)


def _exp(Z: np.ndarray) -> None:
    np.exp(Z, out=Z)


def _expm1(Z: np.ndarray) -> None:
    np.expm1(Z, out=Z)


def _square(Z: np.ndarray) -> None:
    np.square(Z, out=Z)


def _modified_huber(Z: np.ndarray) -> None:
    np.clip(Z, -1.0, 1.0, out=Z)
    Z += 1.0
    Z /= 2.0


def _normalise(P: np.ndarray, zero_row: str) -> None:
    """Scale rows of k > 1 probabilities to sum 1, as scikit-learn does.

    Rows of all zeros become uniform (its linear classifiers) or stay zero
    (its OneVsRestClassifier, which divides only where the sum is not 0).
    """
    if P.shape[1] < 2:
        return
    total = P.sum(axis=1)
    zero = total == 0.0
    if zero.any():
        if zero_row == ZERO:
            total[zero] = 1.0
        else:
            P[zero] = 1.0
            total[zero] = P.shape[1]
    P /= total[:, None]


def _nothing(Z: np.ndarray) -> None:
    """The identity's reference: z itself."""


def _reference(values: Optional[Callable[[np.ndarray], None]],
               zero_row: Optional[str]) -> Callable[[np.ndarray], None]:
    """A link's reference: its values per output, then the normalisation that zero_row names."""
    if values is None:
        return _nothing

    def apply(Z: np.ndarray) -> None:
        # exp() overflowing to inf is the intended limit (1/(1+inf) is 0, exp's own
        # limit is inf), and so is z - max(z) overflowing to -inf: not errors. Nor
        # is inf - inf, softmax's NaN for a row of z holding +inf (or only -inf),
        # as in numpy and scikit-learn: a row whose terms overflow scores quietly.
        with np.errstate(over="ignore", invalid="ignore"):
            values(Z)
            if zero_row is not None:
                _normalise(Z, zero_row)

    return apply


# --- log forms: log-probabilities from z, without underflow -------------------------

def _quiet(log: Callable[[np.ndarray], np.ndarray]) -> Callable[[np.ndarray], np.ndarray]:
    """A log form that gives -inf for log(0) and for overflowing z - max(z), and NaN where
    predict_proba does (NaN z, softmax of a row holding +inf), without a warning."""
    def quiet(z: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            return log(z)

    quiet.__doc__ = log.__doc__
    return quiet


def _log_expit(z: np.ndarray) -> np.ndarray:
    """log(1 / (1 + exp(-z))) without overflow or underflow."""
    return -np.logaddexp(0.0, -z)


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def _pairs(z: np.ndarray) -> np.ndarray:
    """A binary classifier's (n, 1) z as (-z, z): column j is then class j's own score."""
    return np.concatenate([-z, z], axis=1)


def _log_logistic(z: np.ndarray) -> np.ndarray:
    """The binary logistic's log-probabilities, exact where predict_proba rounds to 0 or 1."""
    return _log_expit(_pairs(z))


def _log_ovr(zero_row: str) -> Callable[[np.ndarray], np.ndarray]:
    """The log form of the normalised one-vs-rest logistic whose rows of zeros follow zero_row."""
    def log(z: np.ndarray) -> np.ndarray:
        """log of the normalised one-vs-rest logistic: log_softmax of the logs of expit(z).

        Exact also where expit(z) underflows (z below about -709.78), where
        predict_proba, like scikit-learn, gives 0 or falls back to uniform. A row
        of z that is -inf throughout leaves nothing to normalise: there, as in
        predict_proba, the row of zeros becomes uniform or stays 0.
        """
        out = _log_softmax(_log_expit(z))
        if np.isnan(out.sum()):  # one reduction; rows are examined only when it fails
            empty = np.isneginf(z).all(axis=1)
            out[empty] = -np.log(z.shape[1]) if zero_row == UNIFORM else -np.inf
        return out

    return log


def _log_of_proba(values: Callable[[np.ndarray], None],
                  apply: Callable[[np.ndarray], None]) -> Callable[[np.ndarray], np.ndarray]:
    """The log form of a link whose probabilities are exact: the log of the probabilities.

    modified_huber's (clip(z, -1, 1) + 1) / 2 is: -inf exactly where the
    probability is 0. A binary classifier's two columns are the values of
    (-z, z); several classes are normalised first.
    """
    def log(z: np.ndarray) -> np.ndarray:
        if z.shape[1] == 1:
            z = _pairs(z)
            values(z)
        else:
            apply(z)
        return np.log(z)

    return log


# --- scalar forms (score_one on plain floats) ---------------------------------------

def _scalar_logistic(z: float) -> float:
    try:
        return 1.0 / (1.0 + math.exp(-z))
    except OverflowError:
        return 0.0


def _scalar_exp(z: float) -> float:
    try:
        return math.exp(z)
    except OverflowError:
        return math.inf


# --- the table ---------------------------------------------------------------------

def _link(name: str, code: int, kinds: Tuple[str, ...], rows: str,
          values: Optional[Callable[[np.ndarray], None]], zero_row: Optional[str] = None,
          log: Optional[Callable[[np.ndarray], np.ndarray]] = None,
          scalar: Optional[Callable[[float], float]] = None, log_of_proba: bool = False) -> Link:
    """A record; its reference is built from the values per output and zero_row."""
    apply = _reference(values, zero_row)
    if log_of_proba:
        assert values is not None
        log = _log_of_proba(values, apply)
    return Link(name, code, kinds, rows, apply, None if log is None else _quiet(log), zero_row, scalar)


_C, _R = ("classifier",), ("regressor",)

#: Every link, in the order of its code (LINKS[code].code == code).
LINKS: Tuple[Link, ...] = (
    _link("identity", 0, _C + _R, ANY_ROWS, None, scalar=float),
    _link("logistic", 1, _C, ONE_ROW, _expit, log=_log_logistic, scalar=_scalar_logistic),
    _link("softmax", 2, _C, SEVERAL_ROWS, _softmax, log=_log_softmax),
    _link("ovr", 3, _C, SEVERAL_ROWS, _expit, UNIFORM, log=_log_ovr(UNIFORM)),
    _link("exp", 4, _R, ANY_ROWS, _exp, scalar=_scalar_exp),
    _link("modified_huber", 5, _C, ANY_ROWS, _modified_huber, UNIFORM, log_of_proba=True),
    _link("onevsrest", 6, _C, SEVERAL_ROWS, _expit, ZERO, log=_log_ovr(ZERO)),
    _link("onevsrest_modified_huber", 7, _C, SEVERAL_ROWS, _modified_huber, ZERO, log_of_proba=True),
    # The inverses of TransformedTargetRegressor's log1p and sqrt (its log's is exp).
    _link("expm1", 8, _R, ANY_ROWS, _expm1),
    _link("square", 9, _R, ANY_ROWS, _square),
)
assert all(link.code == i for i, link in enumerate(LINKS)), "LINKS must be in code order"

#: name -> record
BY_NAME: Dict[str, Link] = {link.name: link for link in LINKS}

#: kind -> the names of the links a model of that kind may have
FOR_KIND: Dict[str, Tuple[str, ...]] = {kind: tuple(link.name for link in LINKS if kind in link.kinds)
                                        for kind in KINDS}


def by_code(code: int) -> Link:
    """The link with this fs_link code; ValueError for any other value."""
    if type(code) is int and 0 <= code < len(LINKS):
        return LINKS[code]
    raise ValueError(f"unknown link code {code!r}")

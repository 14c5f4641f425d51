"""The pure-Python backend: a numpy mirror of the compiled kernel (_kernel.pyx).

Same class, same signatures, same checks (shared in _checks), same results
to rounding. Used when the extension is not built, or with FASTSCORE_PURE=1.
"""
import math
import operator

import numpy as np

from fastscore import _checks, _links


def apply_link(link, Z):
    """Apply a link in place to Z of shape (n, k), as fs_apply_link does per row."""
    # exp() overflowing to inf is the intended limit (1/(1+inf) is 0), not an error.
    with np.errstate(over="ignore"):
        if link in (_links.LOGISTIC, _links.OVR, _links.ONEVSREST):
            np.negative(Z, out=Z)
            np.exp(Z, out=Z)
            Z += 1.0
            np.divide(1.0, Z, out=Z)
            if link != _links.LOGISTIC:
                _normalise(Z, uniform_if_zero=link == _links.OVR)
        elif link == _links.SOFTMAX:
            Z -= Z.max(axis=1, keepdims=True)
            np.exp(Z, out=Z)
            Z /= Z.sum(axis=1, keepdims=True)
        elif link == _links.EXP:
            np.exp(Z, out=Z)
        elif link in (_links.MODIFIED_HUBER, _links.ONEVSREST_MODIFIED_HUBER):
            np.clip(Z, -1.0, 1.0, out=Z)
            Z += 1.0
            Z /= 2.0
            _normalise(Z, uniform_if_zero=link == _links.MODIFIED_HUBER)


def _normalise(P, uniform_if_zero):
    """Scale rows of k > 1 probabilities to sum 1, as scikit-learn does.

    Rows of all zeros become uniform (its linear classifiers) or stay zero
    (its OneVsRestClassifier, which divides only where the sum is not 0).
    """
    if P.shape[1] < 2:
        return
    total = P.sum(axis=1)
    zero = total == 0.0
    if zero.any():
        if not uniform_if_zero:
            total[zero] = 1.0
        else:
            P[zero] = 1.0
            total[zero] = P.shape[1]
    P /= total[:, None]


def _logistic(z):
    try:
        return 1.0 / (1.0 + math.exp(-z))
    except OverflowError:
        return 0.0


class Kernel:
    """Scores z = (X - center) @ coef.T + intercept, then a link."""

    def __init__(self, coef, intercept, center=None):
        self.coef, self.intercept, self.center = _checks.kernel_params(coef, intercept, center)
        self.n_outputs, self.n_features = self.coef.shape
        self._coef_t = self.coef.T
        # score_one works on plain floats: no array machinery per request.
        self._w = self.coef[0].tolist()
        self._b = float(self.intercept[0])
        self._c = None if center is None else self.center.tolist()

    def score(self, X, link, out, n_threads=0):
        """Write link(z) for every row of X into out and return out.

        n_threads is accepted for the compiled kernel's signature; the mirror
        leaves threading to numpy's BLAS.
        """
        _checks.kernel_args(X, link, out, self.n_features, self.n_outputs)
        n = X.shape[0]
        if n == 0:
            return out
        Z = np.ndarray.reshape(out, (n, self.n_outputs))  # a view: never a subclass's copy
        # Like the C kernel, NaN and infinity are reported as errors below,
        # not as numpy warnings on the way there.
        with np.errstate(over="ignore", invalid="ignore"):
            np.matmul(X if self.center is None else X - self.center, self._coef_t, out=Z)
            Z += self.intercept
            # One reduction answers "all finite?" without a boolean temporary;
            # only when it fails (or overflows) are the rows examined.
            finite = np.isfinite(Z.sum())
        if not finite:
            for r in np.flatnonzero(~np.isfinite(Z).all(axis=1)):
                if not np.isfinite(X[r]).all():
                    raise _checks.nonfinite_row(int(r))
        apply_link(link, Z)
        return out

    def fast_score(self, X, link, shape, n_threads=0):
        """The compiled kernel's shortcut for arrays in its layout; the mirror has none.

        Always None: the caller takes the general path, which gives the same
        results and errors.
        """
        return None

    def score_one(self, row, link):
        """Score one row: a float for a single output, else a tuple of k floats."""
        if self.n_outputs == 1 and link in _SCALAR_LINKS and isinstance(row, (list, tuple)):
            if len(row) != self.n_features:
                _checks.check_row_length(len(row), self.n_features)
            try:
                terms = row if self._c is None else map(operator.sub, row, self._c)
                z = sum(map(operator.mul, self._w, terms)) + self._b
            except Exception:
                z = None
            if type(z) is not float:  # a str, a Decimal, numpy scalars: take the slow, exact road
                x = _checks.row_floats(row, self.n_features)
                terms = x if self._c is None else map(operator.sub, x, self._c)
                z = sum(map(operator.mul, self._w, terms)) + self._b
            if z - z != 0.0:  # NaN or infinity, without a call to math.isfinite
                _checks.check_finite_row(np.array(_checks.row_floats(row, self.n_features)))
            if link == _links.LOGISTIC:  # the common case, inlined: the latency path
                try:
                    return 1.0 / (1.0 + math.exp(-z))
                except OverflowError:
                    return 0.0
            return _SCALAR_LINKS[link](z)
        _checks.check_link(link)
        return self._score_one_array(row, link)

    def _score_one_array(self, row, link):
        if isinstance(row, (list, tuple)):
            x = np.array(_checks.row_floats(row, self.n_features))
        else:
            x = _checks.as_row(row, self.n_features)
        _checks.check_finite_row(x)
        out = np.empty(self.n_outputs)
        self.score(x.reshape(1, -1), link, out)
        return float(out[0]) if self.n_outputs == 1 else tuple(out.tolist())


def _exp(z):
    try:
        return math.exp(z)
    except OverflowError:
        return math.inf


# Links of a single output that plain floats can compute as the C kernel does.
_SCALAR_LINKS = {_links.IDENTITY: float, _links.LOGISTIC: _logistic, _links.EXP: _exp}

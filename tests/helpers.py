"""Tolerances for comparing with scikit-learn.

Two correct float64 dot products that sum in different orders (ours left to
right, scikit-learn's BLAS in blocks) can differ by up to about
2 * d * eps * sum_i |x_i w_i|: the standard forward error bound. Where that
bound is below 1e-12 (well-scaled data, like every bundled dataset), the
tests demand 1e-12 absolute; beyond it, no implementation can promise more
than the bound, so that is what is asserted. Probabilities move at most as
fast as z (the logistic's slope is at most 1/4, softmax's at most 1/2).
"""
import os
import select
import subprocess
import sys

import numpy as np

EPS = np.finfo(np.float64).eps
TOL = 1e-12


def dot_bound(X, coef, intercept=0.0, center=None):
    """Per-row, per-output bound on |z_ours - z_sklearn|, shape (n, k)."""
    X = np.asarray(X, dtype=np.float64)
    coef = np.atleast_2d(np.asarray(coef, dtype=np.float64))
    if center is not None:
        X = X - center
    magnitude = np.abs(X) @ np.abs(coef).T + np.abs(np.asarray(intercept, dtype=np.float64)).reshape(1, -1)
    return 2 * (coef.shape[1] + 2) * EPS * magnitude


def assert_close(ours, theirs, bound=0.0, tol=TOL):
    """|ours - theirs| <= tol + bound elementwise (bound broadcasts to ours' shape)."""
    ours = np.asarray(ours, dtype=np.float64)
    theirs = np.asarray(theirs, dtype=np.float64)
    assert ours.shape == theirs.shape, (ours.shape, theirs.shape)
    limit = tol + np.broadcast_to(np.asarray(bound, dtype=np.float64), ours.shape)
    assert (np.isfinite(ours) == np.isfinite(theirs)).all(), "non-finite values differ"
    with np.errstate(invalid="ignore"):  # equal infinities (log(0) = -inf) differ by nothing
        err = np.where(ours == theirs, 0.0, np.abs(ours - theirs))
    bad = ~(err <= limit)
    if bad.any():
        i = np.unravel_index(np.argmax(np.where(bad, err - limit, -np.inf)), err.shape)
        raise AssertionError(f"{bad.sum()} values differ: worst at {i}: ours {ours[i]!r}, "
                             f"theirs {theirs[i]!r}, |diff| {err[i]:.3e} > {limit[i]:.3e}")


def model_on(backend_name, estimator):
    """Convert `estimator` into a model that scores with the named backend."""
    import fastscore

    return fastscore.from_sklearn(estimator, backend=backend_name)


def pipeline_bound(pipe, X):
    """Bound on |z_ours - z_sklearn|, shape (n, k), for a Pipeline of scalers ending in a model.

    scikit-learn rounds each scaler's result at its own magnitude, and the
    product x * s of a MinMaxScaler at the magnitude of that product (before
    min_ is added); later scalers also act on values rounded at their input's
    magnitude. Those errors travel to z through the later scalers' factors
    and |coef|. fastscore's folded shifts are bounded by the same magnitudes.
    The first step's centre is subtracted exactly, so only its result counts:
    this is what makes data far from the origin (x near 1e6, spread 1) exact.
    """
    from sklearn.preprocessing import MinMaxScaler

    from fastscore.convert import convert_parts

    *scalers, model = [step for _, step in pipe.steps]
    parts = convert_parts(model)
    V = np.asarray(X, dtype=np.float64)
    carried = np.zeros_like(V)  # rounding error magnitudes so far, in the current units
    for j, scaler in enumerate(scalers):
        scale = getattr(scaler, "scale_", None)
        factor = 1.0 if scale is None else np.abs(scale if isinstance(scaler, MinMaxScaler) else 1 / scale)
        result = scaler.transform(V)
        operand = 0.0 if j == 0 and not isinstance(scaler, MinMaxScaler) else np.abs(V) * factor
        carried = carried * factor + operand + np.abs(result)
        V = result
    coef = np.abs(np.atleast_2d(parts.coef))
    magnitude = (np.abs(V) + carried) @ coef.T + np.abs(parts.intercept).reshape(1, -1)
    return 2 * (coef.shape[1] + 2 + 2 * len(scalers)) * EPS * magnitude


def shown_on_a_terminal(args, cwd):
    """(return code, what `python -m fastscore *args` drew on stderr) with stderr an 80 x 24 pseudo-terminal."""
    import pytest

    pty = pytest.importorskip("pty", reason="a pseudo-terminal needs POSIX")
    import fcntl
    import struct
    import termios

    master, slave = pty.openpty()
    # A new pty is 0 columns wide, where tqdm draws nothing: make it a usual 80 x 24.
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    r = subprocess.run([sys.executable, "-m", "fastscore", *args], stderr=slave, stdout=subprocess.PIPE, cwd=cwd,
                       timeout=120)
    shown = b""
    # The slave stays open here, so what the child wrote is still buffered: read until dry.
    while select.select([master], [], [], 0.2)[0]:
        shown += os.read(master, 4096)
    os.close(slave)
    os.close(master)
    return r.returncode, shown.decode()


def line_within(stream, seconds):
    """The next line of a child's stdout (a pipe), or AssertionError after `seconds`: a test that
    waits for a child must fail, never hang, when the child does not answer."""
    ready, _, _ = select.select([stream], [], [], seconds)
    assert ready, f"no line within {seconds} s"
    return stream.readline()

"""The compiled kernel's execution paths: every instruction set, thread count and block boundary.

Each path must give the numbers of the reference formulas (numpy's matmul
and the links' numpy references, fastscore.links) within the dot-product tolerance of tests/helpers.py, and the
same numbers to the bit whatever the thread count or block split, since
every row is computed alone. No timing is asserted here.
"""
import concurrent.futures
import os
import subprocess
import sys
import tempfile

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from fastscore import links
from fastscore._backend import BINARY_PROBA, FLAT, MATRIX
from helpers import assert_close, dot_bound

LINKS = [link.code for link in links.LINKS]
IDENTITY, LOGISTIC, SOFTMAX, EXP = (links.BY_NAME[name].code for name in ("identity", "logistic", "softmax", "exp"))
EXPM1, SQUARE = (links.BY_NAME[name].code for name in ("expm1", "square"))


def _reference(X, coef, intercept, center, link):
    """link(z) by the link's numpy reference (fastscore.links), after numpy's matmul, in float64."""
    Z = (np.asarray(X, np.float64) - (0.0 if center is None else center)) @ coef.T + intercept
    links.LINKS[link].apply(Z)
    return Z


def _params(rng, k, d, centered):
    coef = rng.standard_normal((k, d))
    intercept = rng.standard_normal(k)
    center = rng.standard_normal(d) if centered else None
    return coef, intercept, center


def _score(kernel, X, link, n_threads):
    out = np.empty((X.shape[0], kernel.n_outputs))
    return kernel.score(X, link, out, n_threads=n_threads)


@pytest.mark.parametrize("k, d, centered", [(1, 1, False), (1, 2, False), (1, 3, False), (1, 4, False),
                                            (1, 10, False), (1, 17, True), (3, 2, False), (4, 9, True)])
def test_every_link_dtype_thread_count_and_block_boundary(kernel_module, isa, k, d, centered):
    rng = np.random.default_rng(k * 100 + d)
    coef, intercept, center = _params(rng, k, d, centered)
    kernel = kernel_module.Kernel(coef, intercept, center)
    block = max(1, kernel_module.BLOCK_ROWS // k)
    for n in (0, 1, block - 1, block, block + 1, 2 * block + 3):
        X64 = rng.standard_normal((n, d)) * 3
        for X in (X64, X64.astype(np.float32)):
            for link in LINKS:
                want = _reference(X, coef, intercept, center, link)
                bound = dot_bound(X, coef, intercept, center)
                if link == EXP:  # exp's error is relative: z's error times exp(z)
                    bound = np.abs(want) * (bound + 4 * np.finfo(float).eps)
                elif link == EXPM1:  # z's error times exp(z) = expm1(z) + 1
                    bound = np.abs(want + 1) * bound + 4 * np.finfo(float).eps * np.abs(want)
                elif link == SQUARE:  # z's error times 2 |z|, |z| = sqrt(z * z)
                    bound = 2 * np.sqrt(want) * bound + bound * bound + 4 * np.finfo(float).eps * want
                threads = (1, 2, n + 3) if n < 2 else (1, 2)  # n + 3: more threads than rows
                got = {t: _score(kernel, X, link, t) for t in threads}
                assert_close(got[1], want, bound)
                for t, out in got.items():  # each row alone: the split cannot change a bit
                    assert out.tobytes() == got[1].tobytes(), (n, X.dtype, link, t)
                if k == 1 and n > 0:  # predict_proba's layout, written block by block
                    for t in threads:
                        pairs = kernel.score(X, link, layout=BINARY_PROBA, n_threads=t)
                        assert pairs.shape == (n, 2)
                        assert pairs[:, 1].tobytes() == got[1][:, 0].tobytes()
                        assert pairs[:, 0].tobytes() == (1.0 - got[1][:, 0]).tobytes()


def test_score_refuses_layouts_that_cannot_hold_the_outputs(kernel_module):
    """A flat (n,) or (n, 2) result cannot hold k = 3 outputs per row: refused, never an overrun."""
    kernel = kernel_module.Kernel(np.ones((3, 2)), np.zeros(3))
    X = np.ones((5000, 2))
    for layout in (FLAT, BINARY_PROBA, -1, 3):
        with pytest.raises(ValueError, match="layout"):
            kernel.score(X, IDENTITY, layout=layout)
    assert kernel.score(X, IDENTITY, layout=MATRIX).shape == (5000, 3)


def test_float32_is_read_as_float32(kernel_module, isa):
    coef = np.array([[1.0, 1.0]])
    kernel = kernel_module.Kernel(coef, [0.0])
    X = np.array([[0.1, 0.2]], np.float32)
    want = float(np.float32(0.1)) + float(np.float32(0.2))  # widened values, summed in float64
    assert _score(kernel, X, IDENTITY, 1)[0, 0] == want


def test_matches_scikit_learn(kernel_module, isa):
    rng = np.random.default_rng(5)
    X = rng.standard_normal((700, 6)) * 2
    binary = LogisticRegression().fit(X, (X[:, 0] + X[:, 1] > 0).astype(int))
    multi = LogisticRegression().fit(X, np.digitize(X[:, 2] - X[:, 3], [-1, 1]))
    for est, link in ((binary, LOGISTIC), (multi, SOFTMAX)):
        kernel = kernel_module.Kernel(est.coef_, est.intercept_)
        want = est.predict_proba(X)
        got = _score(kernel, X, link, 2)
        if want.shape[1] == 2:
            want = want[:, 1:]
        assert_close(got, want, dot_bound(X, est.coef_, est.intercept_))


def test_exp_gives_libms_limits(kernel_module, isa):
    """0, 1 and inf exactly where the libm-based formulas give them, no NaN, no warning."""
    z = np.array([0.0, -1e-300, 1.0, 30.0, 40.0, -36.0, -37.0, 700.0, 709.78, 709.79, 710.0, 745.0, 746.0, 1000.0,
                  -700.0, -708.4, -709.79, -745.0, -745.2, -746.0, -1000.0, 1e300, -1e300])
    kernel = kernel_module.Kernel(np.ones((1, 1)), [0.0])
    X = z.reshape(-1, 1)
    for link in (LOGISTIC, EXP):
        got = _score(kernel, X, link, 1)[:, 0]
        want = _reference(X, np.ones((1, 1)), np.zeros(1), None, link)[:, 0]
        assert not np.isnan(got).any()
        assert np.array_equal(got == 0, want == 0) and np.array_equal(got == 1, want == 1)
        assert np.array_equal(np.isinf(got), np.isinf(want))
        finite = np.isfinite(want) & (want != 0)
        np.testing.assert_allclose(got[finite], want[finite], rtol=4e-16, atol=5e-324)  # 1 ulp
    softmax = kernel_module.Kernel(np.array([[1.0], [-1.0], [0.0]]), np.zeros(3))
    P = _score(softmax, X, SOFTMAX, 1)
    assert not np.isnan(P).any() and np.allclose(P.sum(axis=1), 1.0, rtol=0, atol=1e-15)


def test_overflowing_finite_rows_are_not_errors(kernel_module, isa):
    kernel = kernel_module.Kernel(np.ones((1, 2)), [0.0])
    X = np.array([[1e308, 1e308], [-1e308, -1e308], [1e308, -1e308 * 0.5]])
    assert _score(kernel, X, LOGISTIC, 1)[:, 0].tolist() == [1.0, 0.0, 1.0]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_first_bad_row_is_reported_with_threads(kernel_module, isa, dtype):
    kernel = kernel_module.Kernel(np.ones((1, 3)), [0.0])
    n = 5 * kernel_module.BLOCK_ROWS + 7
    X = np.zeros((n, 3), dtype)
    X[n - 2, 0] = np.nan  # in the last thread's slice
    X[n // 2 + 10, 2] = np.inf  # in the second thread's slice
    for rows, want in ((n // 2 + 10, n // 2 + 10), (3, 3)):
        X[rows, 1] = -np.inf
        for threads in (0, 1, 2, 3, 64):
            with pytest.raises(ValueError, match=f"NaN or infinity in row {want}$"):
                _score(kernel, X, LOGISTIC, threads)
            with pytest.raises(ValueError, match=f"NaN or infinity in row {want}$"):
                kernel.score(X, LOGISTIC, layout=BINARY_PROBA, n_threads=threads)


def test_eight_python_threads_get_identical_results(kernel_module):
    rng = np.random.default_rng(8)
    kernel = kernel_module.Kernel(rng.standard_normal((3, 12)), rng.standard_normal(3))
    X = rng.standard_normal((20_000, 12))
    want = _score(kernel, X, SOFTMAX, 1)

    def work(i):
        return [_score(kernel, X[: 20_000 - i], SOFTMAX, i % 3).tobytes() for _ in range(5)]

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        for i, results in enumerate(pool.map(work, range(8))):
            assert all(r == want[: 20_000 - i].tobytes() for r in results)


def test_model_score_passes_n_threads(backend):
    import fastscore

    rng = np.random.default_rng(3)
    est = LogisticRegression().fit(rng.standard_normal((50, 4)), np.arange(50) % 2)
    model = fastscore.from_sklearn(est, backend=backend)
    X = rng.standard_normal((3000, 4))
    outs = [model.score(X, n_threads=t) for t in (None, 1, 2, 7)]
    assert all(o.tobytes() == outs[0].tobytes() for o in outs)
    assert_close(outs[0], est.predict_proba(X)[:, 1], dot_bound(X, est.coef_, est.intercept_)[:, 0])


def test_model_score_takes_any_integer_n_threads(backend):
    # Refusals (negative, too big, not an integer) are tested in test_inputs.py.
    import fastscore

    rng = np.random.default_rng(4)
    est = LogisticRegression().fit(rng.standard_normal((50, 3)), np.arange(50) % 2)
    model = fastscore.from_sklearn(est, backend=backend)
    X = rng.standard_normal((20, 3))
    want = model.score(X).tobytes()
    for t in (0, np.int64(3), 2**31 - 1):  # beyond the kernel's own cap: capped, same numbers
        assert model.score(X, n_threads=t).tobytes() == want
        assert model.score(X, out=np.empty(20), n_threads=t).tobytes() == want


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc are Linux's")
def test_absurd_thread_counts_are_capped_not_fatal(kernel_module):
    """GNU OpenMP exits the process when it cannot create a thread: a huge n_threads must not get that far.

    Under an address-space limit that 1024 threads of 1 MiB stacks fit in but
    100,000 do not, n_threads=100_000 (and FASTSCORE_NUM_THREADS=100000 with
    n_threads=0) score as one thread does.
    """
    code = ("import resource, numpy as np\nfrom fastscore import _kernel as k\n"
            "vm = int(open('/proc/self/status').read().split('VmSize:')[1].split()[0]) * 1024\n"
            "resource.setrlimit(resource.RLIMIT_AS, (vm + (1536 << 20), resource.RLIM_INFINITY))\n"
            "kern = k.Kernel(np.ones((1, 2)), [0.5]); X = np.linspace(-5, 5, 200_000).reshape(-1, 2)\n"
            "outs = [kern.score(X, 1, np.empty((100_000, 1)), n_threads=t) for t in (1, 100_000, 0)]\n"
            "print(k.max_threads() <= 1024, all(o.tobytes() == outs[0].tobytes() for o in outs))\n")
    environ = dict(os.environ, OMP_STACKSIZE="1M", FASTSCORE_NUM_THREADS="100000")
    result = subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True, text=True,
                            timeout=120, cwd=tempfile.gettempdir())
    assert result.stdout.split() == ["True", "True"], result.stderr


@pytest.mark.parametrize("link, k, centered", [("logistic", 1, False), ("softmax", 3, False), ("identity", 2, True)])
def test_score_allocates_only_its_output(kernel_module, link, k, centered):
    """model.score on the compiled backend: its output plus at most 64 KiB, and next to nothing with out=."""
    import tracemalloc

    from fastscore import Classifier, Regressor

    rng = np.random.default_rng(k)
    common = dict(estimator="test", link=link, coef=rng.standard_normal((k, 10)), intercept=rng.standard_normal(k),
                  n_features=10, center=rng.standard_normal(10) if centered else None, backend="compiled")
    model = Regressor(**common) if link == "identity" else Classifier(classes=list(range(max(k, 2))), **common)
    assert model.backend == "compiled"
    X = rng.standard_normal((100_000, 10))
    for data in (X, X.astype(np.float32)):
        out = model.score(data)  # warm: first calls may cache what later ones reuse
        tracemalloc.start()
        try:
            result = model.score(data)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.reset_peak()
            model.score(data, out=out)
            _, peak_with_out = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak - result.nbytes <= 64 * 1024, (peak, result.nbytes)
        assert peak_with_out - result.nbytes <= 4 * 1024, peak_with_out  # result is still alive

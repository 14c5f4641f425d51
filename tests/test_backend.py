"""Backend selection, the Kernel contract both backends keep, and what importing fastscore costs."""
import inspect
import os
import pickle
import subprocess
import sys
import tempfile

import numpy as np
import pytest

import fastscore
from fastscore import _backend
from fastscore._backend import BINARY_PROBA, FLAT, MATRIX, kernel_class
from fastscore.links import BY_NAME

from conftest import BACKENDS


def _built():
    """What the backend is when nothing forces it: compiled exactly when the extension imports."""
    try:
        _backend.module("compiled")
    except ImportError:
        return "pure"
    return "compiled"


def _python(code, **env):
    environ = {k: v for k, v in os.environ.items() if k != "FASTSCORE_PURE"}
    environ.update(env)
    # Run outside the checkout, so that the installed fastscore is imported, not the source tree.
    return subprocess.run([sys.executable, "-c", code], env=environ, capture_output=True, text=True,
                          check=True, cwd=tempfile.gettempdir()).stdout.strip()


def test_backend_is_compiled_unless_forced_pure():
    forced = os.environ.get("FASTSCORE_PURE", "") not in ("", "0")
    assert fastscore.backend == ("pure" if forced else _built())
    assert _python("import fastscore; print(fastscore.backend)") == _built()


@pytest.mark.parametrize("value, expected", [("1", "pure"), ("0", None), ("", None)])
def test_env_var_forces_the_mirror(value, expected):
    expected = expected or _built()
    code = "import fastscore; m = fastscore.load(%r); print(fastscore.backend, m.backend)" % (
        os.path.join(os.path.dirname(__file__), "data", "logreg_format_v1.json"))
    assert _python(code, FASTSCORE_PURE=value) == f"{expected} {expected}"


def test_scoring_imports_numpy_only():
    path = os.path.join(os.path.dirname(__file__), "data", "logreg_format_v1.json")
    code = ("import sys, fastscore; m = fastscore.load(%r); m.predict_proba([[0.5, 1.0]]); m.score_one([1, 2]);"
            "print(sorted(n for n in ('sklearn', 'scipy', 'pandas', 'pyarrow', 'joblib') if n in sys.modules))") % path
    assert _python(code) == "[]"


# --- the seam: one Kernel contract (fastscore._backend.Kernel), one way to pick a backend ---


def _parameters(function):
    """(name, kind, default) of each parameter: the signature without its annotations."""
    return [(p.name, p.kind, p.default) for p in inspect.signature(function).parameters.values()]


def test_both_kernels_keep_the_protocol():
    for name in BACKENDS:
        kernel = kernel_class(name)
        assert kernel.name == name
        for method in ("score", "score_columns", "score_one"):
            assert _parameters(getattr(kernel, method)) == _parameters(getattr(_backend.Kernel, method)), (name, method)
        # The constructor (a C-level __cinit__ on the compiled side, which inspect cannot read), by use:
        instance = kernel(coef=np.ones((2, 3)), intercept=[0.5, -0.5], center=np.zeros(3))
        assert kernel(np.ones((2, 3)), [0.5, -0.5]).center is None
        for attribute in ("coef", "intercept", "center", "n_outputs", "n_features"):
            assert hasattr(instance, attribute), (name, attribute)
        assert (instance.n_outputs, instance.n_features, instance.coef.shape) == (2, 3, (2, 3))
        assert instance.center.tolist() == [0.0, 0.0, 0.0]
        assert not hasattr(instance, "fast_score")


def test_the_compiled_kernels_stub_states_the_protocol():
    """fastscore/_kernel.pyi (what a type checker sees of the extension) keeps the same signatures."""
    stub = {}
    path = os.path.join(os.path.dirname(__file__), os.pardir, "fastscore", "_kernel.pyi")
    exec(compile(open(path).read(), path, "exec"), stub)  # a stub is Python: its bodies are `...`
    for method in ("__init__", "score", "score_columns", "score_one"):
        got = [(n, kind) for n, kind, _ in _parameters(getattr(stub["Kernel"], method))]
        assert got == [(n, kind) for n, kind, _ in _parameters(getattr(_backend.Kernel, method))], method


def test_one_way_to_pick_a_backend():
    assert not hasattr(_backend, "impl")  # nothing to swap: models are given backend=
    assert kernel_class(None) is kernel_class(fastscore.backend)
    with pytest.raises(ValueError, match="unknown backend 'fast'"):
        kernel_class("fast")


def test_an_unavailable_backend_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(_backend.MODULES, "compiled", "fastscore._no_such_extension")
    with pytest.raises(ValueError, match="backend 'compiled' is not available here"):
        kernel_class("compiled")
    with pytest.raises(ValueError, match="backend 'compiled' is not available here"):
        fastscore.Regressor(estimator="t", link="identity", coef=[1.0], intercept=0.0, n_features=1,
                            backend="compiled")


def test_every_way_to_make_a_model_takes_backend(backend, tmp_path):
    from sklearn.linear_model import LogisticRegression

    est = LogisticRegression().fit([[0.0, 1.0], [1.0, 0.0], [2.0, 1.0], [0.0, 3.0]], [0, 1, 1, 0])
    models = [fastscore.from_sklearn(est, backend=backend),
              fastscore.Classifier(estimator="t", link="logistic", coef=[[1.0, 2.0]], intercept=[0.0],
                                   n_features=2, classes=[0, 1], backend=backend),
              fastscore.Regressor(estimator="t", link="exp", coef=[1.0, 2.0], intercept=0.0, n_features=2,
                                  backend=backend)]
    path = tmp_path / "m.json"
    models[0].save(path)
    with open(path, "rb") as f:
        models += [fastscore.load(path, backend=backend), fastscore.loads(path.read_text(), backend=backend),
                   fastscore.load(f, backend=backend), pickle.loads(pickle.dumps(models[0]))]
    for model in models:
        assert model.backend == backend and model._kernel.name == backend
        assert f"backend {backend}" in repr(model)
    with pytest.raises(ValueError, match="unknown backend 'numba'"):
        fastscore.load(path, backend="numba")
    with pytest.raises(ValueError, match="unknown backend 'numba'"):
        fastscore.from_sklearn(est, backend="numba")


class _Array(np.ndarray):
    """An ndarray subclass: never the compiled fast path, always the checked one."""


def test_layouts_on_every_path_of_both_backends():
    rng = np.random.default_rng(2)
    X, w = rng.standard_normal((50, 3)), rng.standard_normal((1, 3))
    W, b = rng.standard_normal((4, 3)), rng.standard_normal(4)
    binary = {name: kernel_class(name)(w, [0.1]) for name in BACKENDS}
    multi = {name: kernel_class(name)(W, b) for name in BACKENDS}
    logistic, softmax = BY_NAME["logistic"].code, BY_NAME["softmax"].code
    results = {}
    for name in BACKENDS:
        for data in (X, X.view(_Array), X.astype(np.float32)):
            flat = binary[name].score(data, logistic, layout=FLAT)
            pairs = binary[name].score(data, logistic, layout=BINARY_PROBA)
            matrix = multi[name].score(data, softmax)
            assert flat.shape == (50,) and pairs.shape == (50, 2) and matrix.shape == (50, 4)
            assert type(flat) is np.ndarray and type(matrix) is np.ndarray
            assert pairs[:, 1].tobytes() == flat.tobytes() and pairs[:, 0].tobytes() == (1.0 - flat).tobytes()
            assert binary[name].score(data, logistic).tobytes() == flat.tobytes()  # MATRIX: (50, 1)
            for kernel, link, layout, want in ((binary[name], logistic, FLAT, flat),
                                               (binary[name], logistic, BINARY_PROBA, pairs),
                                               (multi[name], softmax, MATRIX, matrix)):
                out = np.full(want.shape, np.nan)
                assert kernel.score(data, link, out, layout=layout) is out
                assert out.tobytes() == want.tobytes()
            results[name, data.dtype] = flat, pairs, matrix
        for layout in (FLAT, BINARY_PROBA):
            with pytest.raises(ValueError, match="holds one output per row, but the kernel has 4"):
                multi[name].score(X, softmax, layout=layout)
        with pytest.raises(ValueError, match="unknown result layout 7"):
            binary[name].score(X, logistic, layout=7)
        with pytest.raises(ValueError, match=r"out has shape \(50,\), expected \(50, 2\)"):
            binary[name].score(X, logistic, np.empty(50), layout=BINARY_PROBA)
    if len(BACKENDS) == 2:
        for (name, dtype), got in results.items():
            for ours, theirs in zip(got, results["pure", dtype]):
                np.testing.assert_allclose(ours, theirs, rtol=1e-14, atol=1e-15)


def test_convert_is_applied_where_x_is_not_in_layout(backend):
    kernel = kernel_class(backend)(np.ones((1, 2)), [0.0])
    seen = []

    def convert(X):
        seen.append(type(X).__name__)
        return np.asarray(X, dtype=np.float64)

    want = kernel.score(np.array([[1.0, 2.0]]), BY_NAME["identity"].code)
    assert kernel.score([[1.0, 2.0]], BY_NAME["identity"].code, convert=convert).tobytes() == want.tobytes()
    assert seen == ["list"]
    with pytest.raises(TypeError, match="X must be a numpy array, got list"):
        kernel.score([[1.0, 2.0]], BY_NAME["identity"].code)

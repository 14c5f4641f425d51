"""Backend selection at import, and what importing fastscore costs."""
import os
import subprocess
import sys
import tempfile

import pytest

import fastscore
from fastscore import _backend


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

"""What loading a model file costs: about twice the file's size at its peak (its bytes and their
text, while they are decoded), never a Python object per number; and a file too large for the
memory available is a ModelFormatError, not a MemoryError. Measured in subprocesses."""
import os
import subprocess
import sys
import tempfile
import textwrap

import numpy as np
import pytest

import fastscore

MB = 1 << 20
# AddressSanitizer reserves terabytes of address space and keeps freed memory in quarantine.
ASAN = "asan" in os.environ.get("LD_PRELOAD", "")
pytestmark = pytest.mark.skipif(ASAN, reason="under AddressSanitizer (LD_PRELOAD) memory is not the program's own")


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """Two model files of about 10 MB: a binary classifier (one row) and a 4-target regressor."""
    d = tmp_path_factory.mktemp("bigmodel")
    rng = np.random.default_rng(0)
    n = 250_000
    fastscore.Classifier(estimator="LogisticRegression", link="logistic", n_features=2 * n,
                         coef=rng.standard_normal((1, 2 * n)), intercept=[0.5],
                         classes=["no", "yes"]).save(d / "binary.json")
    fastscore.Regressor(estimator="Ridge", link="identity", n_features=n // 2,
                        coef=rng.standard_normal((4, n // 2)), intercept=rng.standard_normal(4),
                        center=rng.standard_normal(n // 2)).save(d / "multi.json")
    return d


# A process's peak RSS counts from that of the process it was forked from (Linux keeps the
# forked copy's peak across exec): the code runs as the only child of a small launcher.
_LAUNCH = "import subprocess, sys; sys.exit(subprocess.run(sys.argv[1:]).returncode)"


def _run(code, env=None):
    # Outside the checkout, so that the installed fastscore is imported, not the source tree.
    done = subprocess.run([sys.executable, "-c", _LAUNCH, sys.executable, "-c", textwrap.dedent(code)],
                          capture_output=True, text=True, cwd=tempfile.gettempdir(),
                          env={**os.environ, **(env or {})},
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


PEAK = """
    import resource, sys
    import fastscore
    from fastscore import modelfile
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss: bytes on macOS, KiB on Linux
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = {call}
    print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * scale)
"""


def _peak(call, path, env=None):
    return int(_run(PEAK.format(call=call.format(path=str(path))), env))


@pytest.mark.parametrize("name", ["binary.json", "multi.json"])
def test_reading_a_model_file_costs_about_twice_its_size(big, name):
    path = big / name
    size = path.stat().st_size
    peak = _peak("modelfile.read({path!r})", path)
    assert peak <= 2.25 * size + 8 * MB, (peak / MB, size / MB)


def test_loading_a_model_costs_about_twice_its_file(big, backend):
    # A scoring model then holds 16 bytes per number (its arrays and its kernel's), less
    # than the file's text of about 20 bytes per number.
    path = big / "multi.json"
    size = path.stat().st_size
    peak = _peak("fastscore.load({path!r})", path, {"FASTSCORE_PURE": "1" if backend == "pure" else "0"})
    assert peak <= 2.25 * size + 8 * MB, (peak / MB, size / MB)


LIMITED = """
    import resource
    import fastscore
    vm = next(int(line.split()[1]) * 1024 for line in open("/proc/self/status") if line.startswith("VmSize:"))
    limit = vm + {margin}
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    try:
        model = fastscore.load({path!r})
    except fastscore.ModelFormatError as exc:
        print("refused:", exc)
    else:
        print("loaded")
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS and /proc/self/status are Linux's")
@pytest.mark.parametrize("margin", [0.5, 1.5, 3.0])
def test_a_file_too_large_for_memory_is_a_model_format_error(big, margin):
    # margin x the file's size: too little to read it, too little to decode it, enough.
    path = big / "binary.json"
    out = _run(LIMITED.format(margin=int(margin * path.stat().st_size), path=str(path)))
    assert out == ("loaded" if margin > 2 else f"refused: {path}: there is not enough memory to load "
                   "this model file")

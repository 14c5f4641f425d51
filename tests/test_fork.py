"""fork() and OpenMP pools the kernel did not start: a forked child must never hang in score.

GNU OpenMP keeps one thread pool per thread that started a parallel region,
shared by every library linked to the same libgomp, and the pool's threads do
not survive fork(): a child that starts a parallel region on the forking
thread waits forever for them. Here another library (a tiny OpenMP library
built for the test, standing for any gcc -fopenmp library on the system
libgomp) starts the pool, in every order of loading, forking and scoring.

Each scenario runs in its own interpreter; a child that hangs is ended by
SIGALRM (its default action kills the process) and reported, so a regression
fails the test instead of hanging the suite.
"""
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from conftest import BACKENDS

pytestmark = [
    pytest.mark.skipif(not hasattr(os, "fork"), reason="this platform has no fork()"),
    pytest.mark.skipif("compiled" not in BACKENDS, reason="FASTSCORE_PURE=1: only the pure backend is under test"),
]

FOREIGN_C = """
int foreign_parallel(void)
{
    int n = 0;
#pragma omp parallel reduction(+ : n)
    n += 1;
    return n;
}
"""

# Runs in a fresh interpreter: argv[1] is the foreign library, argv[2] the scenario.
SCENARIO = textwrap.dedent("""
    import ctypes, hashlib, os, signal, sys
    import numpy as np

    library, scenario = sys.argv[1], sys.argv[2]

    def foreign_pool():
        assert ctypes.CDLL(library).foreign_parallel() >= 1

    def results():
        # The bytes of every thread count's scores (0 picks, 2 asks for two) if all agree, else None.
        from fastscore import _kernel
        rng = np.random.default_rng(0)
        kernel = _kernel.Kernel(rng.standard_normal((1, 10)), [0.25])
        X = rng.standard_normal((200_000, 10))  # above FS_PARALLEL_MIN: picking uses threads
        outs = [b"".join(kernel.score(data, 1, np.empty((len(X), 1)), n_threads=t).tobytes()
                         for data in (X, X.astype(np.float32))) for t in (1, 0, 2)]
        return outs[0] if outs.count(outs[0]) == len(outs) else None

    def in_child():
        # The child's exit code (-14: killed by SIGALRM, i.e. it hung), or 3 if its scores differ.
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:
            signal.alarm(30)  # a hang ends here, by SIGALRM's default action
            got = results()
            os.write(write, hashlib.sha256(got).digest() if got is not None else b"differ")
            os._exit(0)
        os.close(write)
        _, status = os.waitpid(pid, 0)
        digest = os.read(read, 64)
        code = os.waitstatus_to_exitcode(status)
        return code if code else 0 if digest == hashlib.sha256(results()).digest() else 3

    if scenario == "foreign pool, kernel loaded, fork":
        foreign_pool()
        from fastscore import _kernel
        code = in_child()
    elif scenario == "kernel loaded, foreign pool, fork":
        from fastscore import _kernel
        foreign_pool()
        code = in_child()
    elif scenario == "foreign pool, fork, kernel loaded in the child":
        foreign_pool()
        code = in_child()
    elif scenario == "foreign pool, kernel loaded, no fork":
        foreign_pool()
        a = results()
        foreign_pool()
        code = 0 if a is not None and results() == a else 3
    elif scenario == "kernel's own pool, fork":
        assert results() is not None
        code = in_child()
    print("exit", code)
""")

SCENARIOS = ["foreign pool, kernel loaded, fork", "kernel loaded, foreign pool, fork",
             "foreign pool, fork, kernel loaded in the child", "foreign pool, kernel loaded, no fork",
             "kernel's own pool, fork"]


@pytest.fixture(scope="module")
def foreign_library(tmp_path_factory):
    """A shared library built with -fopenmp that runs one parallel region, as any OpenMP library does."""
    cc = shutil.which(os.environ.get("FASTSCORE_TEST_CC", "cc")) or shutil.which("gcc")
    assert cc, "no C compiler found: this test builds a small OpenMP library (set FASTSCORE_TEST_CC)"
    tmp = tmp_path_factory.mktemp("foreign")
    (tmp / "foreign.c").write_text(FOREIGN_C)
    library = tmp / "libforeign.so"
    build = subprocess.run([cc, "-shared", "-fPIC", "-fopenmp", str(tmp / "foreign.c"), "-o", str(library)],
                           capture_output=True, text=True)
    if build.returncode != 0:
        pytest.skip(f"the C compiler cannot build an OpenMP library: {build.stderr.strip()[-300:]}")
    return str(library)


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_no_pool_the_kernel_did_not_start_hangs_a_child(foreign_library, scenario, tmp_path):
    """Every thread count (0 picks, 2 asks for two) scores in the child, to the bit as in the parent."""
    result = subprocess.run([sys.executable, "-c", SCENARIO, foreign_library, scenario],
                            capture_output=True, text=True, timeout=300, cwd=tmp_path)
    # -14: the child was killed by SIGALRM, i.e. it hung in score
    assert result.stdout.split() == ["exit", "0"], (result.stdout, result.stderr[-2000:])

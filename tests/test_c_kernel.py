"""csrc/ stands alone: a C program built from the header and kernel source only, no Python headers."""
import os
import shutil
import subprocess

import pytest

CSRC = os.path.join(os.path.dirname(__file__), os.pardir, "csrc")


def _compiler():
    cc = shutil.which(os.environ.get("FASTSCORE_TEST_CC", "cc")) or shutil.which("gcc")
    assert cc, "no C compiler found: the standalone kernel test needs one (set FASTSCORE_TEST_CC)"
    return cc


@pytest.mark.parametrize("flags", [["-O0"], ["-O2"]])
def test_c_program_uses_the_kernel_alone(tmp_path, flags):
    exe = tmp_path / "test_kernel"
    sources = [os.path.join(CSRC, f) for f in sorted(os.listdir(CSRC)) if f.endswith(".c")]
    cmd = [_compiler(), "-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", *flags,
           "-I", CSRC, *sources, "-o", str(exe), "-lm"]
    build = subprocess.run(cmd, capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    run = subprocess.run([str(exe)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "all checks passed" in run.stdout


def test_header_has_no_python():
    text = open(os.path.join(CSRC, "fastscore.h")).read()
    assert "Python.h" not in text and "#include <stddef.h>" in text


def test_fast_math_builds_are_refused(tmp_path):
    """-ffast-math (say in CFLAGS) drops the NaN checks and exp's limits: the build must fail, never score wrong.

    setup.py then installs the pure backend with its one warning line.
    """
    cmd = [_compiler(), "-ffast-math", "-I", CSRC, "-c", os.path.join(CSRC, "fastscore.c"),
           "-o", str(tmp_path / "fastscore.o")]
    build = subprocess.run(cmd, capture_output=True, text=True)
    assert build.returncode != 0 and "fast-math" in build.stderr, build.stderr[-2000:]

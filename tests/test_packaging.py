"""What the installed package offers a C or typed-Python user: the kernel's C sources, py.typed, its licence.

Run from CI's installed (non-editable) venv, these check the installed copy;
from an editable install, the source checkout's csrc/.
"""
import importlib.metadata
import os
import re
import shutil
import subprocess

import fastscore

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), os.pardir))
CSRC = os.path.join(REPO, "csrc")
PACKAGE = os.path.dirname(os.path.abspath(fastscore.__file__))
FROM_CHECKOUT = os.path.realpath(PACKAGE) == os.path.realpath(os.path.join(REPO, "fastscore"))


def _local_includes(folder, name):
    """Every file that `name` includes with quotes, directly or through another header."""
    found, todo = set(), [name]
    while todo:
        text = open(os.path.join(folder, todo.pop())).read()
        for header in re.findall(r'^\s*#\s*include\s+"([^"]+)"', text, re.MULTILINE):
            if header not in found:
                found.add(header)
                todo.append(header)
    return found


def test_get_include_is_inside_the_installed_package():
    expected = os.path.join(REPO, "csrc") if FROM_CHECKOUT else os.path.join(PACKAGE, "include")
    assert os.path.realpath(fastscore.get_include()) == os.path.realpath(expected)


def test_get_include_holds_the_kernel_and_every_header_it_includes():
    include = fastscore.get_include()
    needed = {"fastscore.h", "fastscore.c"} | _local_includes(include, "fastscore.c")
    missing = sorted(f for f in needed if not os.path.isfile(os.path.join(include, f)))
    assert not missing, f"{include} lacks {missing}"


def test_installed_kernel_sources_are_the_checkouts():
    """The copy in the package is csrc/ as built: every header and fastscore.c, byte for byte."""
    include = fastscore.get_include()
    sources = sorted(f for f in os.listdir(CSRC) if f.endswith(".h")) + ["fastscore.c"]
    for name in sources:
        with open(os.path.join(CSRC, name), "rb") as ours, open(os.path.join(include, name), "rb") as theirs:
            assert ours.read() == theirs.read(), f"{name} in {include} differs from csrc/{name}"


def test_c_program_builds_against_get_include(tmp_path):
    """A C program (csrc/test_kernel.c, copied away from csrc/ so that it sees no header but
    the installed ones) compiles strictly against get_include() alone, scores and checks rows."""
    include = fastscore.get_include()
    program = tmp_path / "test_kernel.c"
    shutil.copyfile(os.path.join(CSRC, "test_kernel.c"), program)
    cc = shutil.which(os.environ.get("FASTSCORE_TEST_CC", "cc")) or shutil.which("gcc")
    assert cc, "no C compiler found: this test needs one (set FASTSCORE_TEST_CC)"
    exe = tmp_path / "test_kernel"
    cmd = [cc, "-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", "-O2",
           "-I", include, str(program), os.path.join(include, "fastscore.c"), "-o", str(exe), "-lm"]
    build = subprocess.run(cmd, capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    run = subprocess.run([str(exe)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "all checks passed" in run.stdout


def test_package_is_marked_typed():
    assert os.path.isfile(os.path.join(PACKAGE, "py.typed"))


def test_distribution_carries_the_bsd_licence():
    metadata = importlib.metadata.metadata("fastscore")
    assert metadata["License-Expression"] == "BSD-3-Clause"
    licences = [f for f in importlib.metadata.files("fastscore") or [] if f.name == "LICENSE"]
    assert len(licences) == 1, licences
    text = licences[0].read_text()
    assert text.startswith("BSD 3-Clause License") and "the fastscore developers" in text

"""Build fastscore: its optional C extension, and the kernel's C sources inside the package.

As MarkupSafe and simplejson do: a failed compile (no compiler, broken
toolchain, CC=false) leaves a working install that scores with the numpy
mirror, and prints one warning line saying so. FASTSCORE_REQUIRE_EXTENSION=1
makes that failure an error instead, for whoever builds wheels.

csrc/ is the one home of the kernel's C sources; the build copies them into
the package's include/ folder, which fastscore.get_include() returns.
"""
import glob
import os
import shutil
import sys
import tempfile

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.command.build_py import build_py
from setuptools.errors import CCompilerError, ExecError, PlatformError

WARNING = ("WARNING: fastscore: the C extension could not be built ({}); "
           "installed the pure-Python backend instead (slower, same results).")
REQUIRED = os.environ.get("FASTSCORE_REQUIRE_EXTENSION", "") not in ("", "0")
ERROR = ("error: fastscore: the C extension could not be built ({}), "
         "and FASTSCORE_REQUIRE_EXTENSION=1 requires it.")

KERNEL_SOURCE = os.path.join("csrc", "fastscore.c")
# The feature hashing of text models, a C file of its own beside the kernel.
KERNEL_SOURCES = [KERNEL_SOURCE, os.path.join("csrc", "murmur3.c")]
# The text counter (tokenizer, vocabulary, n-grams): the extension fastscore._text.
TEXT_SOURCES = [os.path.join("csrc", "text.c"), os.path.join("csrc", "murmur3.c")]
# Every header, by pattern: fastscore.c includes its own (kernel templates) besides fastscore.h.
KERNEL_HEADERS = sorted(glob.glob(os.path.join("csrc", "*.h")))


_GAVE_UP = []


def _give_up(reason):
    """One warning line and the pure backend; or, when the extension is required, an error."""
    if REQUIRED:
        raise SystemExit(ERROR.format(reason))
    if not _GAVE_UP:  # one line, however many of the extensions fail
        _GAVE_UP.append(reason)
        print(WARNING.format(reason), file=sys.stderr)


class BuildPyWithKernel(build_py):
    """build_py that also puts csrc's kernel (fastscore.c and its headers) in fastscore/include/."""

    def run(self):
        super().run()
        if self.editable_mode:  # get_include() then finds csrc/ beside the package
            return
        target = self._include_dir()
        shutil.rmtree(target, ignore_errors=True)  # no header left over from an earlier build
        self.mkpath(target)
        for source in [*KERNEL_SOURCES, *KERNEL_HEADERS]:
            self.copy_file(source, target)

    def get_outputs(self, include_bytecode=True):
        return super().get_outputs(include_bytecode) + [
            os.path.join(self._include_dir(), os.path.basename(f)) for f in [*KERNEL_SOURCES, *KERNEL_HEADERS]]

    def _include_dir(self):
        return os.path.join(self.build_lib, "fastscore", "include")


class OptionalBuildExt(build_ext):
    """build_ext that turns any compiler failure into one warning line (or, if required, an error)."""

    def run(self):
        try:
            super().run()
        except PlatformError as exc:
            _give_up(_reason(exc))

    def build_extension(self, ext):
        try:
            if _compiles_with_openmp(self.compiler):
                ext.extra_compile_args.append("-fopenmp")
                ext.extra_link_args.append("-fopenmp")
            if self.compiler.compiler_type == "unix" and not self.debug:
                # Python's own flags carry -g, and debug info would be most of the
                # module's size; build_ext --debug keeps it for whoever needs it.
                ext.extra_compile_args.append("-g0")
                if sys.platform.startswith("linux"):
                    ext.extra_link_args.append("-s")
            super().build_extension(ext)
        except (CCompilerError, ExecError, PlatformError, OSError, ValueError) as exc:
            # An earlier successful build may have left the module in build/;
            # shipping it would contradict the warning.
            stale = self.get_ext_fullpath(ext.name)
            if os.path.exists(stale):
                os.remove(stale)
            _give_up(_reason(exc))


def _reason(exc):
    """The last line of a compiler error: the one that names the problem."""
    return str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__


OPENMP_PROBE = """
#include <omp.h>
int main(void) {
    int n = 0;
#pragma omp parallel reduction(+ : n)
    n += 1;
    return n > 0 && omp_get_max_threads() > 0 ? 0 : 1;
}
"""


def _compiles_with_openmp(compiler):
    """True when `compiler` compiles and links an OpenMP program with -fopenmp.

    Quietly False otherwise (no OpenMP, MSVC, CC=false): the kernel is then
    built serial, and a compiler that cannot build anything fails later with
    the one warning line.
    """
    if sys.platform == "win32":
        return False
    with tempfile.TemporaryDirectory() as tmp:
        source = os.path.join(tmp, "probe.c")
        with open(source, "w") as f:
            f.write(OPENMP_PROBE)
        devnull = os.open(os.devnull, os.O_WRONLY)
        saved = os.dup(2), os.dup(1)
        try:
            os.dup2(devnull, 2)  # the compiler's complaints are not ours to print
            os.dup2(devnull, 1)
            objects = compiler.compile([source], output_dir=tmp, extra_postargs=["-fopenmp"])
            compiler.link_executable(objects, os.path.join(tmp, "probe"), extra_postargs=["-fopenmp"])
            return True
        except Exception:
            return False
        finally:
            os.dup2(saved[0], 2)
            os.dup2(saved[1], 1)
            os.close(saved[0])
            os.close(saved[1])
            os.close(devnull)


def extensions():
    try:
        import numpy
        from Cython.Build import cythonize
    except ImportError as exc:
        _give_up(f"{exc.name} is not installed")
        return []
    libraries = [] if sys.platform == "win32" else ["m"]
    exts = [Extension(
        name,
        sources=sources,
        include_dirs=["csrc", numpy.get_include()],
        depends=KERNEL_HEADERS,
        libraries=libraries,
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        # Portable baseline only: wider SIMD is reached by run-time dispatch,
        # never by tuning for the build machine's CPU (wheels must run on any x86-64 or ARM CPU).
        extra_compile_args=[] if sys.platform == "win32" else ["-O3", "-fno-trapping-math"],
    ) for name, sources in (("fastscore._kernel", ["fastscore/_kernel.pyx", *KERNEL_SOURCES]),
                            ("fastscore._text", ["fastscore/_text.pyx", *TEXT_SOURCES]))]
    return cythonize(exts, compiler_directives={"language_level": "3"}, quiet=True)


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt, "build_py": BuildPyWithKernel})

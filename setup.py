"""Build fastscore's optional C extension; fall back to pure Python if it cannot be built.

As MarkupSafe and simplejson do: a failed compile (no compiler, broken
toolchain, CC=false) leaves a working install that scores with the numpy
mirror, and prints one warning line saying so.
"""
import os
import sys
import tempfile

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.errors import CCompilerError, ExecError, PlatformError

WARNING = ("WARNING: fastscore: the C extension could not be built ({}); "
           "installed the pure-Python backend instead (slower, same results).")


class OptionalBuildExt(build_ext):
    """build_ext that turns any compiler failure into one warning line."""

    def run(self):
        try:
            super().run()
        except PlatformError as exc:
            self._warn(exc)

    def build_extension(self, ext):
        try:
            if _compiles_with_openmp(self.compiler):
                ext.extra_compile_args.append("-fopenmp")
                ext.extra_link_args.append("-fopenmp")
            super().build_extension(ext)
        except (CCompilerError, ExecError, PlatformError, OSError, ValueError) as exc:
            # An earlier successful build may have left the module in build/;
            # shipping it would contradict the warning.
            stale = self.get_ext_fullpath(ext.name)
            if os.path.exists(stale):
                os.remove(stale)
            self._warn(exc)

    @staticmethod
    def _warn(exc):
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        print(WARNING.format(reason), file=sys.stderr)


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
        print(WARNING.format(f"{exc.name} is not installed"), file=sys.stderr)
        return []
    libraries = [] if sys.platform == "win32" else ["m"]
    ext = Extension(
        "fastscore._kernel",
        sources=["fastscore/_kernel.pyx", "csrc/fastscore.c"],
        include_dirs=["csrc", numpy.get_include()],
        depends=["csrc/fastscore.h", "csrc/kernel_body.h", "csrc/kernel_dtype.h"],
        libraries=libraries,
        define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
        # Portable baseline only: wider SIMD is reached by run-time dispatch,
        # never by tuning for the build machine's CPU (wheels must run on any x86-64 or ARM CPU).
        extra_compile_args=[] if sys.platform == "win32" else ["-O3", "-fno-trapping-math"],
    )
    return cythonize([ext], compiler_directives={"language_level": "3"}, quiet=True)


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt})

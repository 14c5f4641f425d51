"""Build fastscore's optional C extension; fall back to pure Python if it cannot be built.

As MarkupSafe and simplejson do: a failed compile (no compiler, broken
toolchain, CC=false) leaves a working install that scores with the numpy
mirror, and prints one warning line saying so.
"""
import os
import sys

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


def extensions():
    try:
        from Cython.Build import cythonize
    except ImportError:
        print(WARNING.format("Cython is not installed"), file=sys.stderr)
        return []
    libraries = [] if sys.platform == "win32" else ["m"]
    ext = Extension(
        "fastscore._kernel",
        sources=["fastscore/_kernel.pyx", "csrc/fastscore.c"],
        include_dirs=["csrc"],
        libraries=libraries,
        # Portable baseline only: wider SIMD is reached by run-time dispatch,
        # never by -march=native (wheels must run on any x86-64 or ARM CPU).
        extra_compile_args=[] if sys.platform == "win32" else ["-O3"],
    )
    return cythonize([ext], compiler_directives={"language_level": "3"})


setup(ext_modules=extensions(), cmdclass={"build_ext": OptionalBuildExt})

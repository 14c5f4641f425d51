"""Shared fixtures: every test that takes `backend` runs once per backend.

Both backends are required: if the compiled extension is missing, its half
of the suite errors instead of skipping. FASTSCORE_PURE=1 (the no-compiler
install check in .ci/run) restricts the suite to the pure backend.
"""
import os

import pytest
from hypothesis import HealthCheck, settings

BACKENDS = ["pure"] if os.environ.get("FASTSCORE_PURE", "") not in ("", "0") else ["compiled", "pure"]


def _isas():
    """The compiled kernel's instruction sets, as csrc/fastscore.c names them.

    (None,) where the kernel is not under test or does not import: the tests
    that take an instruction set then skip (FASTSCORE_PURE=1) or error
    (a missing extension) in their kernel_module fixture, not here.
    """
    if "compiled" not in BACKENDS:
        return (None,)
    try:
        from fastscore import _kernel
    except ImportError:
        return (None,)
    return _kernel.ISAS


#: Every instruction set of the compiled kernel's build, widest first.
ISAS = _isas()

# The backend fixture is a name, nothing more: safe to share across examples.
settings.register_profile("default", deadline=None, max_examples=40,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
# .ci/run picks "ci": the same examples on every run, so that a submission's CI
# verdict does not depend on luck; local runs keep exploring new examples.
settings.register_profile("ci", parent=settings.get_profile("default"), derandomize=True)
settings.load_profile(os.environ.get("FASTSCORE_HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(params=BACKENDS)
def backend(request):
    """Each backend's name in turn: tests pass it on as backend= (the one way to pick a backend)."""
    return request.param


@pytest.fixture
def both_backends():
    """For tests that compare the two backends directly: only the forced-pure run lacks one."""
    if "compiled" not in BACKENDS:
        pytest.skip("FASTSCORE_PURE=1: only the pure backend is under test")
    return BACKENDS


@pytest.fixture(scope="module")
def kernel_module():
    """The compiled backend's module, for tests of the kernel itself."""
    if "compiled" not in BACKENDS:
        pytest.skip("FASTSCORE_PURE=1: only the pure backend is under test")
    from fastscore import _kernel  # an ImportError here is a failure, not a skip

    return _kernel


@pytest.fixture(params=ISAS)
def isa(request, kernel_module):
    """Run the test on each instruction set this CPU has; restore the default afterwards."""
    if request.param not in kernel_module.available_isas():
        pytest.skip(f"this CPU lacks {request.param}")
    default = kernel_module.isa()
    kernel_module.select_isa(request.param)
    yield request.param
    kernel_module.select_isa(default)

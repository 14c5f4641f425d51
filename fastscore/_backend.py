"""Pick the scoring backend once, at import, the way msgpack picks its extension.

The compiled extension (fastscore._kernel) is used when it imports; otherwise
the numpy mirror (fastscore._pure). FASTSCORE_PURE=1 forces the mirror.
"""
import importlib
import os

MODULES = {"compiled": "fastscore._kernel", "pure": "fastscore._pure"}


def module(name):
    """The backend module called `name` ("compiled" or "pure"); ImportError if unavailable."""
    return importlib.import_module(MODULES[name])


def _pick():
    if os.environ.get("FASTSCORE_PURE", "") not in ("", "0"):
        return "pure"
    try:
        module("compiled")
    except ImportError:
        return "pure"
    return "compiled"


#: "compiled" or "pure": what new models score with.
name = _pick()
impl = module(name)

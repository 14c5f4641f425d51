"""Where a C program finds the kernel: fastscore.h, fastscore.c and the headers it includes."""
import os

_PACKAGE = os.path.dirname(os.path.abspath(__file__))


def get_include() -> str:
    """The folder holding the C kernel's sources, for a C program to build against.

    As numpy.get_include() does for numpy's headers: compile with
    ``cc -std=c99 -I DIR prog.c DIR/fastscore.c -lm``. An installed package
    carries a copy in its ``include`` folder; a source checkout (or an editable
    install) uses its ``csrc`` folder. The C code needs no Python headers.
    """
    for folder in (os.path.join(_PACKAGE, "include"), os.path.join(os.path.dirname(_PACKAGE), "csrc")):
        if os.path.isfile(os.path.join(folder, "fastscore.h")):
            return folder
    raise FileNotFoundError(f"fastscore's C sources are missing from {_PACKAGE}: reinstall fastscore")

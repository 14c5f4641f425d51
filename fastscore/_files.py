"""Atomic output files: write to a temporary file beside the target, rename on success.

A reader of the target never sees half a file, and a failure (or Ctrl-C)
leaves the target as it was, with no temporary left behind.
"""
import contextlib
import os


@contextlib.contextmanager
def atomic_path(path, mode=None):
    """Yield a temporary path in path's directory; on success rename it to path.

    mode, if given, sets the file's permission bits (mkstemp creates 0600).
    The temporary is removed if the body raises anything, even KeyboardInterrupt.
    """
    import tempfile  # here, not at import: a scoring service only loads (0.8 MB of RSS)

    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".fastscore-", suffix=".tmp", dir=directory)
    os.close(fd)
    try:
        yield tmp
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def default_mode():
    """The permission bits a newly created file gets under the current umask."""
    umask = os.umask(0)  # the only portable way to read it; restored at once
    os.umask(umask)
    return 0o666 & ~umask

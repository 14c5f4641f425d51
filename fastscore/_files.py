"""Atomic output files: write to a temporary file beside the target, rename on success.

A reader of the target never sees half a file, and a failure (or Ctrl-C)
leaves the target as it was, with no temporary left behind. The file ends up
with the permissions an ordinary write would give it: a new file's follow the
umask, an existing file keeps its own.
"""
import contextlib
import os
import stat
from typing import Iterator


@contextlib.contextmanager
def atomic_path(path: "os.PathLike | str") -> Iterator[str]:
    """Yield a temporary path in path's directory; on success rename it to path.

    A new file gets 0666 less the umask, as open() would give it; if path
    exists, its permission bits carry over (a model that a service reads must
    stay readable when it is replaced, and a private one private). The
    temporary is removed if the body raises anything, even KeyboardInterrupt.
    """
    directory = os.path.dirname(os.path.abspath(path))
    try:
        keep = stat.S_IMODE(os.stat(path).st_mode) & 0o777
    except OSError:  # no such file (yet): a new file's mode
        keep = None
    tmp = None
    try:
        tmp = _create_beside(directory, 0o666 if keep is None else keep)
        if keep is not None:
            os.chmod(tmp, keep)  # the umask may have cleared bits the old file had
        yield tmp
        os.replace(tmp, path)
    except BaseException:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise


def _create_beside(directory, mode):
    """Create a new, empty, hidden file in directory with mode (less the umask, applied by the
    system as for any new file) and return its path."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = os.path.join(directory, f".fastscore-{os.urandom(8).hex()}.tmp")
        try:
            os.close(os.open(tmp, flags, mode))
            return tmp
        except FileExistsError:  # another writer's name, however unlikely: draw again
            continue
    raise FileExistsError(f"no free temporary file name in {directory}")

"""The formats, the paths "-" for stdin and stdout, and what every reader and writer shares:
InputError, pyarrow on demand, and the byte counting of stdin and stdout."""
import io
import os
import stat
from typing import Any, Optional, Union

# The formats, as --format names them, and the file name endings that choose them.
FORMATS = ("csv", "csv.gz", "tsv", "tsv.gz", "parquet", "npy")
EXTENSIONS = {".csv": "csv", ".csv.gz": "csv.gz", ".tsv": "tsv", ".tsv.gz": "tsv.gz",
              ".parquet": "parquet", ".pq": "parquet", ".npy": "npy"}
# Formats that are not text: never read from or written to a terminal.
BINARY = ("csv.gz", "tsv.gz", "parquet", "npy")
# INPUT or OUTPUT "-" is stdin or stdout, shown in messages by these names.
STDIO, STDIN, STDOUT = "-", "<stdin>", "<stdout>"

# CSV is read in blocks of whole rows of about this many bytes, each parsed by pyarrow in
# memory: the memory this takes is a small multiple of a block.
CSV_BLOCK_BYTES = 1 << 20
# A block must hold a whole row, so a file with longer rows is read in larger blocks, up to
# rows of this many bytes; a longer row (or header row) is refused.
MAX_CSV_ROW_BYTES = 1 << 28
# What pyarrow's CSV reader trims around a number before parsing it.
_NUMBER_SPACE = " \t"

# How a CSV cell that a model with an input stage reads is taken: as a number, as text, or
# as true or false (the values of its categories say which); or as a document, the cell's text
# whatever it holds (a document "NA" is not missing, and an empty cell is the empty document).
NUMBER, TEXT, BOOLEAN, DOCUMENT = "number", "text", "boolean", "document"
# The cells that are missing values there: pandas.read_csv's default na_values, since the
# frame a model was fitted on was most often read by it. A cell is compared whole, as pandas
# compares it (" NA" is text).
MISSING_CELLS = ("", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
                 "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null")


class InputError(Exception):
    """A problem with an input or output file, in one line fit for the user."""


def extension(path: "Union[str, os.PathLike[str]]") -> str:
    """path's extension as fastscore reads it, lower case: two parts for gzip (".csv.gz")."""
    stem, ext = os.path.splitext(os.fspath(path))
    if ext.lower() == ".gz":
        ext = os.path.splitext(stem)[1] + ext
    return ext.lower()


def file_format(path: str, given: Optional[str] = None, option: str = "--format",
                default: Optional[str] = None) -> str:
    """The format of path, one of FORMATS: `given` (the value of `option`), which must agree
    with the extension where that names a format, else the extension's; "-" (stdin or
    stdout) has none, and takes `given`, else `default`. InputError when none applies."""
    if given is not None and given not in FORMATS:
        raise InputError(f"{option} {given}: unknown format: use {', '.join(FORMATS[:-1])} or {FORMATS[-1]}")
    named = None if path == STDIO else EXTENSIONS.get(extension(path))
    if given is not None and named is not None and given != named:
        raise InputError(f"{option} {given}, but {path} is named as {named}: {option} is for "
                         "a name without one of fastscore's extensions, or -")
    if given is not None:
        return given
    if named is not None:
        return named
    if path == STDIO:
        if default is not None:
            return default
        raise InputError(f"{option} is needed: {shown(path)} has no file name to tell its format "
                         f"({', '.join(FORMATS[:-1])} or {FORMATS[-1]})")
    raise InputError(f"{path}: unknown file type {extension(path)!r}: use .csv, .tsv, .csv.gz, .tsv.gz, "
                     f".parquet (or .pq) or .npy, or name the format with {option}")


def shown(path: "Union[str, os.PathLike[str]]", output: bool = False) -> str:
    """How messages name path: "-" is <stdin> (or, as OUTPUT, <stdout>)."""
    return (STDOUT if output else STDIN) if path == STDIO else os.fspath(path)


def pyarrow_for(path):
    """pyarrow with its csv, parquet and compute modules; InputError naming path if missing."""
    try:
        import pyarrow
        import pyarrow.compute
        import pyarrow.csv
        import pyarrow.parquet
    except ImportError:
        raise InputError(f"{path}: CSV and Parquet files need pyarrow: "
                         "pip install 'fastscore[cli]'") from None
    return pyarrow


def _first_line(exc):
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def _bytes_left(f: Any) -> Optional[int]:
    """The bytes from f's position (a binary file's, buffered or not) to its end if f is a
    regular file, else None (a pipe or a terminal, which cannot seek)."""
    try:
        st = os.fstat(f.fileno())
        return st.st_size - f.tell() if stat.S_ISREG(st.st_mode) else None
    except (OSError, ValueError, io.UnsupportedOperation):
        return None


class _Counting(io.RawIOBase):
    """A binary file's bytes, counted as they are read (how far stdin is, for the progress
    bar). Every read is filled up to its size unless the file ends."""

    def __init__(self, source):
        super().__init__()
        self._source, self.count = source, 0

    def readable(self):
        return True

    def readinto(self, b):
        view, n = memoryview(b).cast("B"), 0
        while n < len(view):
            got = self._source.readinto(view[n:])
            if not got:
                break
            n += got
        self.count += n
        return n


class _Sink(io.RawIOBase):
    """stdout as the writers see it: it counts what it is given (its tell(), which Parquet
    needs and a pipe lacks), and after discard() drops what comes, so that a writer closed
    after an error cannot finish a file that a reader would take for whole. Closing it
    flushes stdout and leaves it open."""

    def __init__(self, f):
        super().__init__()
        self._f, self._n, self._discard = f, 0, False

    def writable(self):
        return True

    def write(self, b):
        n = memoryview(b).nbytes
        if not self._discard:
            self._f.write(b)
        self._n += n
        return n

    def tell(self):
        return self._n

    def flush(self):
        if not self._discard and not self.closed:
            self._f.flush()

    def discard(self):
        """Drop everything written from now on."""
        self._discard = True

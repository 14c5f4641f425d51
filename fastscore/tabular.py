"""Tabular files for `fastscore score`: CSV, TSV (either gzipped), Parquet and .npy, read and
written in chunks; `-` is stdin (as INPUT) or stdout (as OUTPUT).

The format is chosen by the file's extension, or given (--format) where there is none.
Readers yield numeric chunks of at most `rows` rows, read only the columns scored and
kept (CSV and Parquet) and never hold more than one chunk (and one pyarrow block) in
memory; writers append chunk by chunk. pyarrow is imported only for CSV, TSV and
Parquet, so .npy to .npy needs numpy alone.

Every problem a user can cause raises InputError, whose message is one line
naming the file and, for a bad cell, its row (counted from 1, the header not
counted) and its column.
"""
import gzip
import io
import os
import re
import stat
import struct
import sys
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy as np

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


# ---- the CSV header ----------------------------------------------------------------------------

# pyarrow's default CSV dialect (pyarrow.csv.ParseOptions()), which _csv_header follows, with
# the delimiter a comma (CSV) or a tab (TSV): fields are separated by the delimiter; a field
# that starts with a double quote runs to the next lone double quote ("" inside it is one
# quote) and goes on unquoted after it; elsewhere a quote is an ordinary character; rows end
# at \n, \r\n or \r; empty lines are skipped; a UTF-8 byte order mark opens the file.
def _field_pattern(delimiter: bytes) -> "re.Pattern[bytes]":
    d = re.escape(delimiter)
    quoted = rb'"([^"]*(?:""[^"]*)*)"([^' + d + rb'\r\n]*)'
    return re.compile(quoted + rb'|((?!")[^' + d + rb'\r\n]*)')


_CSV_FIELDS = {b",": _field_pattern(b","), b"\t": _field_pattern(b"\t")}
_CSV_EMPTY_LINES = re.compile(rb"[\r\n]*")
_CSV_ROW_END = re.compile(rb"[\r\n]")
_BOM = b"\xef\xbb\xbf"


def _csv_header(f, path, delimiter=","):
    """A CSV file's header row (a _CSVHeader), read from f's current position on.

    f is only read, never sought (stdin and a gzip stream cannot be), in reads that
    double in size until the row ends; what was read beyond the row is the header's
    .rest, where the data rows start.
    """
    size, head = CSV_BLOCK_BYTES, b""
    while True:
        more = f.read(size + 1 - len(head))  # one more byte than a row may have: a longer row is refused
        head += more
        parsed = _parse_header(head, len(head) <= size, delimiter.encode())
        if parsed is not None:
            break
        if size >= MAX_CSV_ROW_BYTES:
            raise InputError(f"{path}: its header row is longer than {MAX_CSV_ROW_BYTES / 2**20:g} MiB, "
                             "the longest row fastscore reads")
        size = min(2 * size, MAX_CSV_ROW_BYTES)
    if isinstance(parsed, str):
        raise InputError(f"{path}: not a readable CSV file: {parsed}")
    fields, end = parsed
    if fields is None:
        raise InputError(f"{path}: not a readable CSV file: it is empty (a CSV file needs a header row)")
    try:
        header = _CSVHeader(fields, end, delimiter)
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a readable CSV file: its header row is not UTF-8 text") from None
    header.rest = head[end:]
    return header


def _parse_header(head, at_end, delimiter=b","):
    """The first row in head and its end offset, None if head ends before the row does, or
    what is wrong with it (a str).

    The row is its fields (a list of bytes), or, when it holds no quote (the common case),
    the row itself (a memoryview of head): splitting is left to the caller, who may not need
    every field.
    """
    pos = _CSV_EMPTY_LINES.match(head, len(_BOM) if head.startswith(_BOM) else 0).end()
    if pos == len(head):
        return None if not at_end else (None, pos)
    row_end = _CSV_ROW_END.search(head, pos)
    stop = row_end.start() if row_end else len(head)
    if head.find(b'"', pos, stop) < 0:
        fields = memoryview(head)[pos:stop]
        pos = stop
    else:
        fields = []
        while True:
            m = _CSV_FIELDS[delimiter].match(head, pos)
            if m is None:  # a quote that is not closed in head
                return "a quote in its header row is never closed" if at_end else None
            quoted, after, plain = m.groups()
            fields.append(plain if quoted is None else quoted.replace(b'""', b'"') + after)
            pos = m.end()
            if head[pos:pos + 1] != delimiter:
                break
            pos += 1
    if pos == len(head) and not at_end:
        return None
    if head[pos:pos + 1] == b"\r":
        if pos + 1 == len(head) and not at_end:
            return None  # \r\n may be cut in two
        pos += 2 if head[pos + 1:pos + 2] == b"\n" else 1
    elif head[pos:pos + 1] == b"\n":
        pos += 1
    return fields, pos


class _CSVHeader:
    """A header row's names, iterated one at a time: a header of a million columns is then
    a few megabytes of text, not a million Python strings. .end is where the data rows start
    (counted from where the header was read)."""

    def __init__(self, fields, end, delimiter=","):
        self.end, self.rest, self._delimiter = end, b"", delimiter
        if not isinstance(fields, list):
            self._text, self._names = str(fields, "utf-8"), None
            self.n = self._text.count(delimiter) + 1
        else:
            self._text, self._names = None, [f.decode("utf-8") for f in fields]
            self.n = len(self._names)

    def __len__(self):
        return self.n

    def __iter__(self):
        if self._names is not None:
            yield from self._names
            return
        text, start, delimiter = self._text, 0, self._delimiter
        while True:
            stop = text.find(delimiter, start)
            if stop < 0:
                yield text[start:]
                return
            yield text[start:stop]
            start = stop + 1


# ---- choosing the input columns ---------------------------------------------------------------

def select_columns(available: Iterable[str], n_features: int, feature_names: Optional[Sequence] = None,
                   columns: Optional[Sequence[str]] = None, named: bool = True,
                   path: str = "") -> Tuple[List[int], List[str]]:
    """(indices, names) of the input columns to score, in the model's feature order.

    `available` yields the input's column names, once (a .npy file's are "0", "1",
    ...; named=False says they are positions, not names): only the names asked for
    are kept, however wide the input. Where the model has feature names and the input
    names its columns, they are matched by name (extra columns ignored), and --columns
    (`columns`), if given, must name exactly the model's features, in any order. Otherwise
    --columns picks columns in feature order, or they are taken by position and their
    number must match.
    """
    if feature_names is not None and named:
        wanted = [str(n) for n in feature_names]
        if columns is not None:
            _check_named_columns(list(columns), wanted)
    elif columns is not None:
        if len(columns) != n_features:
            raise InputError(f"--columns lists {len(columns)} column(s), but the model has "
                             f"{n_features} feature(s)")
        wanted = list(columns)
    else:
        wanted = None
    want = set(wanted or ())
    index: Dict[str, int] = {}
    duplicated, first, count = set(), [], 0
    for name in available:
        if count < n_features:
            first.append(name)
        if name in want:
            if name in index:
                duplicated.add(name)
            index.setdefault(name, count)
        count += 1
    if wanted is None:
        if count != n_features:
            why = ("the model has no feature names, so columns are matched by position"
                   if feature_names is None else "a .npy file's columns are matched by position")
            raise InputError(f"{path}: has {count} column(s), but the model expects "
                             f"{n_features} ({why}; --columns picks them)")
        return list(range(n_features)), first
    missing = [c for c in wanted if c not in index]
    if missing:
        shown = ", ".join(map(repr, missing[:10])) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        kind = "column position(s)" if not named else "column(s)"
        raise InputError(f"{path}: missing {kind} {shown} that the model needs")
    ambiguous = [c for c in wanted if c in duplicated]
    if ambiguous:
        raise InputError(f"{path}: column(s) {', '.join(map(repr, ambiguous))} appear more than once")
    return [index[c] for c in wanted], wanted


def _check_named_columns(columns: List[str], names: List[str]) -> None:
    """Refuse a --columns list that is not exactly the model's feature names: the model reads
    columns by name, so any other list would pair a feature with the wrong column."""
    if sorted(columns) == sorted(names) and len(set(columns)) == len(columns):
        return
    problems = []
    unknown = [c for c in columns if c not in names]
    if unknown:
        problems.append(f"{', '.join(map(repr, unknown[:10]))} not among them")
    absent = [n for n in names if n not in columns]
    if absent:
        problems.append(f"{', '.join(map(repr, absent[:10]))} missing")
    repeated = sorted({c for c in columns if columns.count(c) > 1})
    if repeated:
        problems.append(f"{', '.join(map(repr, repeated[:10]))} repeated")
    shown = ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")
    raise InputError(f"--columns must name exactly the model's features, in any order (it matches "
                     f"columns by name): {shown}; {'; '.join(problems)}")


def kept_columns(available: Iterable[str], keep: Sequence[str], named: bool = True,
                 path: str = "") -> List[int]:
    """The indices of the columns `keep` names (--keep), in its order: by name, or for a .npy
    file (named=False) by position ("0", "1", ...). A name missing from `available` or in it
    twice is an InputError naming it."""
    if not keep:
        return []
    want, duplicated = set(keep), set()
    index: Dict[str, int] = {}
    for i, name in enumerate(available):
        if name in want:
            if name in index:
                duplicated.add(name)
            index.setdefault(name, i)
    missing = [c for c in keep if c not in index]
    if missing:
        listed = ", ".join(map(repr, missing[:10])) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        if named:
            raise InputError(f"{path}: no column(s) {listed} to --keep")
        raise InputError(f"{path}: no column position(s) {listed} to --keep "
                         "(a .npy file's columns are kept by 0-based position)")
    ambiguous = [c for c in keep if c in duplicated]
    if ambiguous:
        raise InputError(f"{path}: column(s) {', '.join(map(repr, ambiguous))} appear more than once, "
                         "so --keep cannot tell which to copy")
    return [index[c] for c in keep]


# ---- readers -----------------------------------------------------------------------------------

def open_input(path: str, fmt: Optional[str] = None) -> "Union[_CSVReader, _ParquetReader, _NpyReader]":
    """A reader for path ("-": stdin) in format fmt (None: by path's extension).

    A reader has .path (as messages name it), .columns (its column names, to iterate
    once), .named, .n_rows (None if unknown), .values_per_row(selected, kept),
    .kept_types(kept), .chunks(selected, names, rows, kept, kept_names), and, for the
    progress bar, .progress_unit ("rows" or "bytes"), .progress_total (None if unknown)
    and .progress(rows_done).
    """
    fmt = fmt or file_format(path)
    if path != STDIO and not os.path.isfile(path):
        raise InputError(f"{path}: no such file" if not os.path.exists(path) else f"{path}: not a file")
    if fmt == "parquet":
        return _ParquetReader(path)
    if fmt == "npy":
        return _NpyReader(path)
    return _CSVReader(path, fmt)


def _cell_error(path, row, column, problem):
    return InputError(f"{path}: row {row}, column {column!r}: {problem}")


def nonfinite_cell(path, X, start, names):
    """InputError naming the first NaN or infinite cell of chunk X (whose first row is start)."""
    bad = np.argwhere(~np.isfinite(X))
    if bad.size:
        i, j = bad[0]
        return _cell_error(path, start + int(i) + 1, names[j], f"{X[i, j]} is not a finite number")
    return None


def _first_failure(col, convert, invalid):
    """The index of the first value of col that `convert` refuses (raising `invalid`), found
    by halving: a few conversions of ever smaller slices, never one per value."""
    lo, hi = 0, len(col)  # the failure lies in col[lo:hi]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            convert(col.slice(lo, mid - lo))
            lo = mid
        except invalid:
            hi = mid
    return lo


class _ArrowReader:
    """What CSV and Parquet share: converting pyarrow batches to float64 chunks."""

    named = True
    progress_unit = "rows"

    def _matrix(self, batch, keys, names, start):
        """The batch's columns `keys` as a float64 array; a bad cell is an error naming names[j]."""
        X = np.empty((batch.num_rows, len(keys)))
        for j, (key, name) in enumerate(zip(keys, names)):
            X[:, j] = self._numbers(batch.column(key), name, start)
        return X

    def _numbers(self, col, name, start):
        """A numeric column as numpy values; a binary one (CSV text) is parsed as pyarrow's
        CSV reader parses numbers. An empty cell or text is an error naming its row."""
        pa = self._pa
        if pa.types.is_binary(col.type):
            text = self._text(col, name, start)
            try:
                col = self._parse_numbers(text)
            except pa.ArrowInvalid:
                i = _first_failure(text, self._parse_numbers, pa.ArrowInvalid)
                value = text[i].as_py()
                raise _cell_error(self.path, start + i + 1, name,
                                  "empty cell" if value == "" else f"{value!r} is not a number") from None
        if col.null_count:
            i = int(np.argmax(pa.compute.is_null(col).to_numpy(zero_copy_only=False)))
            raise _cell_error(self.path, start + i + 1, name, "empty cell")
        return col.to_numpy(zero_copy_only=False)

    def _parse_numbers(self, text):
        pa = self._pa
        return pa.compute.cast(pa.compute.utf8_trim(text, _NUMBER_SPACE), pa.float64())

    def _text(self, col, name, start):
        """A binary column (CSV cells as read) as UTF-8 strings; other bytes are an error naming the cell."""
        pa = self._pa
        try:
            return col.cast(pa.string())
        except pa.ArrowInvalid:
            i = _first_failure(col, lambda c: c.cast(pa.string()), pa.ArrowInvalid)
            raise _cell_error(self.path, start + i + 1, name, "not UTF-8 text") from None

    def values_per_row(self, selected, kept=()):
        """How many values a chunk holds per row: the selected and kept columns only."""
        return len(selected) + len(kept)

    def progress(self, rows_done):
        """How far the reading is, in progress_unit."""
        return rows_done

    def _split(self, X, kept, start, rows):
        for i in range(0, len(X), rows):
            yield start + i, X[i:i + rows], [k[i:i + rows] for k in kept]


def _last_row_end(block):
    """Where the last row that ends in block ends (after its \\n or \\r), 0 if none does.

    Like pyarrow's own chunker (ParseOptions.newlines_in_values=False), this does not look
    at quotes: a quoted field whose newline falls at a block's end leaves the next block a
    ragged row, which is an error, as it is for pyarrow.
    """
    return max(block.rfind(b"\n"), block.rfind(b"\r")) + 1


class _CSVReader(_ArrowReader):
    """A CSV or TSV file, gzipped or not, or stdin, read in blocks of whole rows.

    fastscore parses the header row itself and reads the blocks in this thread, and
    pyarrow parses each block in memory, converting the scored columns to float64, the
    kept ones to text, and no other: pyarrow, reading a header, makes a converter for
    every column (about 8 KB each, so a 100,000-column header cost 900 MB). Nothing is
    read twice, so stdin is read as a file is; and none of pyarrow's threads reads
    through Python (stdin), which aborts the process when one does so as the interpreter
    exits. A block that does not convert is parsed again as text, to name the cell that
    is not a number. Kept columns are copied as the text they hold: an identifier such as
    007 stays 007, and no type guessed from the first rows can fail on a later one.
    """

    progress_unit = "bytes"

    def __init__(self, path, fmt):
        self._pa = pa = pyarrow_for(shown(path))
        self.n_rows, self.path = None, shown(path)
        self._stdin = path == STDIO
        self._delimiter = "\t" if fmt.startswith("tsv") else ","
        try:
            if self._stdin:
                self.progress_total = _bytes_left(sys.stdin.buffer)
                self._raw = _Counting(sys.stdin.buffer)
                raw = pa.PythonFile(self._raw, mode="r") if fmt.endswith(".gz") else self._raw
            else:
                self._raw = raw = pa.OSFile(path)
                self.progress_total = raw.size()
            self._source = pa.CompressedInputStream(raw, "gzip") if fmt.endswith(".gz") else raw
            self.columns = _csv_header(self._source, self.path, self._delimiter)
        except OSError as exc:
            raise InputError(f"{self.path}: cannot read: {exc.strerror or _first_line(exc)}") from None
        # A block must hold whole rows: rows of a wide file are about as long as its header.
        self._block = min(max(CSV_BLOCK_BYTES, self.columns.end), MAX_CSV_ROW_BYTES)

    def kept_types(self, kept):
        """The Arrow types of the kept columns: text, as the file holds it."""
        return [self._pa.string()] * len(kept)

    def progress(self, rows_done):
        """The bytes read so far (of the file as stored, gzipped or not)."""
        try:
            return self._raw.count if self._stdin else self._raw.tell()
        except (OSError, ValueError):  # closed at the end
            return self.progress_total or 0

    def _blocks(self):
        """Yield blocks of whole rows (the last one may lack its line end), each at most
        self._block bytes; a row longer than that grows the blocks, up to MAX_CSV_ROW_BYTES.
        Every read of the source is whole unless the source ends."""
        pending, self.columns.rest = self.columns.rest, b""
        while True:
            try:
                more = self._source.read(self._block - len(pending))
            except (OSError, self._pa.ArrowException) as exc:
                raise InputError(f"{self.path}: cannot read: {_first_line(exc)}") from None
            pending += more
            if len(pending) < self._block:  # the end of the file
                if pending:
                    yield pending
                return
            cut = _last_row_end(pending)
            if cut:
                yield pending[:cut]
                pending = pending[cut:]
            elif self._block >= MAX_CSV_ROW_BYTES:
                raise InputError(f"{self.path}: a row after row {self._rows_done} is longer than "
                                 f"{MAX_CSV_ROW_BYTES / 2**20:g} MiB, the longest row fastscore reads")
            else:
                self._block = min(2 * self._block, MAX_CSV_ROW_BYTES)

    def _parse(self, block, types):
        """The block's rows, with the columns in `types` ({position: Arrow type}) only.

        Columns are named by position ("0", "1", ...) for pyarrow, so that duplicate or
        odd header names never matter; every other column gets the name "", which pyarrow
        neither converts nor minds repeating.
        """
        pa = self._pa
        names = [""] * self.columns.n
        for i in types:
            names[i] = str(i)
        convert = pa.csv.ConvertOptions(include_columns=[str(i) for i in types], null_values=[""],
                                        column_types={str(i): t for i, t in types.items()})
        # A copy in Arrow's memory: read_csv lets go of its input on one of pyarrow's threads,
        # after it returns, and one holding Python's bytes would need the GIL to let go; as
        # the interpreter exits, that aborts the process.
        data = pa.allocate_buffer(len(block))
        pa.FixedSizeBufferWriter(data).write(block)
        return pa.csv.read_csv(pa.BufferReader(data), convert_options=convert,
                               parse_options=pa.csv.ParseOptions(delimiter=self._delimiter),
                               read_options=pa.csv.ReadOptions(block_size=len(block) + 1, column_names=names))

    def chunks(self, selected, names, rows, kept=(), kept_names=()):
        """Yield (first row index, float64 array of shape (m <= rows, len(selected)), the kept
        columns' m values as Arrow strings); names and kept_names name the columns in messages."""
        pa = self._pa
        keys = [str(i) for i in selected]
        types = {i: pa.float64() for i in selected}
        types.update((i, pa.binary()) for i in kept)
        self._rows_done = 0
        try:
            for block in self._blocks():
                try:
                    table = self._parse(block, types)
                except pa.ArrowInvalid as exc:
                    self._locate(block, selected, names, exc)
                for batch in table.to_batches():
                    start = self._rows_done
                    X = self._matrix(batch, keys, names, start)
                    texts = [self._text(batch.column(str(i)), name, start) for i, name in zip(kept, kept_names)]
                    yield from self._split(X, texts, start, rows)
                    self._rows_done += batch.num_rows
        finally:
            if not self._stdin:
                self._raw.close()

    def _locate(self, block, selected, names, exc):
        """Raise InputError for the block's first cell that is not a number, or for exc itself."""
        pa = self._pa
        keys, start = [str(i) for i in selected], self._rows_done
        try:
            for batch in self._parse(block, {i: pa.binary() for i in selected}).to_batches():
                self._matrix(batch, keys, names, start)
                start += batch.num_rows
        except pa.ArrowException:
            pass
        raise InputError(f"{self.path}: not a readable CSV file: {_first_line(exc)}") from None


class _ParquetReader(_ArrowReader):
    def __init__(self, path):
        self._pa = pa = pyarrow_for(shown(path))
        self.path = shown(path)
        source, self._threads = path, path != STDIO  # pyarrow's threads must not read through Python
        if path == STDIO:
            source = sys.stdin.buffer
            if not source.seekable():
                raise InputError(f"{STDIN}: a Parquet file is read from its end, which a pipe cannot do: "
                                 "save it to a file and score that")
        try:
            # Without pre_buffer, pyarrow reads one row group at a time instead of
            # buffering every requested column chunk of the file up front.
            self._file = pa.parquet.ParquetFile(source, pre_buffer=False, buffer_size=1 << 20)
        except (pa.ArrowException, OSError, UnicodeDecodeError) as exc:  # a name that is not UTF-8
            raise InputError(f"{self.path}: not a readable Parquet file: {_first_line(exc)}") from None
        self.n_rows = self.progress_total = self._file.metadata.num_rows
        self.columns = list(self._file.schema_arrow.names)

    def kept_types(self, kept):
        """The Arrow types of the kept columns, as the file has them."""
        return [self._file.schema_arrow.field(i).type for i in kept]

    def chunks(self, selected, names, rows, kept=(), kept_names=()):
        """Yield (first row index, float64 array of shape (m <= rows, len(selected)), the kept
        columns' m values as Arrow arrays)."""
        pa = self._pa
        names = [self.columns[i] for i in selected]
        for name in names:
            # pyarrow reads Parquet columns by name: two columns of one name cannot be told apart.
            if self.columns.count(name) > 1:
                raise InputError(f"{self.path}: the file has {self.columns.count(name)} columns named "
                                 f"{name!r}, which cannot be told apart; give them distinct names")
            t = self._file.schema_arrow.field(name).type
            if not (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t)
                    or pa.types.is_decimal(t)):
                raise InputError(f"{self.path}: column {name!r} has type {t}; fastscore scores numbers")
        start = 0
        try:
            for batch in self._file.iter_batches(batch_size=rows, columns=list(dict.fromkeys([*names, *kept_names])),
                                                 use_threads=self._threads):
                yield start, self._matrix(batch, names, names, start), [batch.column(k) for k in kept_names]
                start += batch.num_rows
        except (pa.ArrowException, OSError) as exc:
            raise InputError(f"{self.path}: cannot read: {_first_line(exc)}") from None


class _NpyReader:
    """A .npy file, or one on stdin, read chunk by chunk with ordinary reads.

    Not through a memory map: a mapped file that shrinks while it is read (another
    process truncating it) kills the reader with SIGBUS, with no message and no
    clean-up. A read that comes up short is an InputError instead.
    """

    named = False
    progress_unit = "rows"
    VERSIONS = ((1, 0), (2, 0), (3, 0))  # 3.0 differs from 2.0 in UTF-8 field names only

    def __init__(self, path):
        self.path, self._file = shown(path), None if path == STDIO else path
        fmt = np.lib.format
        try:
            f = sys.stdin.buffer if self._file is None else open(path, "rb")
            try:
                version = fmt.read_magic(f)
                if version not in self.VERSIONS:
                    raise ValueError(f"format version {version[0]}.{version[1]} is not one numpy writes")
                read_header = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
                shape, fortran, dtype = read_header(f)
                size = _bytes_left(f)
                self.offset = f.tell() if size is not None else 0
            finally:
                if self._file is not None:
                    f.close()
        except Exception as exc:  # numpy raises ValueError, OSError, EOFError... for bad files
            raise InputError(f"{self.path}: not a readable .npy file: {_first_line(exc)}") from None
        if dtype.hasobject:
            raise InputError(f"{self.path}: not a readable .npy file: it holds Python objects ({dtype}), "
                             "which would need unpickling")
        if len(shape) != 2:
            raise InputError(f"{self.path}: holds a {len(shape)}-D array of shape {shape}; "
                             "fastscore scores a 2-D array (rows, features)")
        if dtype.kind not in "fiub":
            raise InputError(f"{self.path}: holds dtype {dtype}; fastscore scores numbers")
        self.shape, self.dtype, self.fortran = shape, dtype, fortran
        self.n_rows = self.progress_total = shape[0]
        self._seekable = size is not None
        need = shape[0] * shape[1] * dtype.itemsize
        if size is not None and size < need:
            raise InputError(f"{self.path}: not a readable .npy file: it is truncated (its header describes "
                             f"{need} bytes of data, it holds {max(size, 0)})")
        if fortran and not self._seekable and shape[0] * shape[1]:
            raise InputError(f"{self.path}: a Fortran-order .npy is read column by column, which a pipe "
                             "cannot do: save it to a file and score that")

    @property
    def columns(self):
        """The columns' names: their positions, "0", "1", ..."""
        return map(str, range(self.shape[1]))

    def values_per_row(self, selected, kept=()):
        """How many values a chunk holds per row: whole rows are read, unless the file is in
        Fortran order (column after column), and the selected and kept columns are then copied out."""
        if self.fortran:
            return len(selected) + 2 * len(kept)
        whole = selected == list(range(self.shape[1]))
        return self.shape[1] + (0 if whole else len(selected)) + len(kept)

    def kept_types(self, kept):
        """The kept columns' numpy dtype (the file's), in this machine's byte order."""
        return [self.dtype.newbyteorder("=")] * len(kept)

    def progress(self, rows_done):
        """How far the reading is: rows."""
        return rows_done

    def chunks(self, selected, names, rows, kept=(), kept_names=()):
        """Yield (first row index, array of shape (m <= rows, len(selected)) in the file's dtype,
        the kept columns' m values in this machine's byte order)."""
        n, d = self.shape
        if n == 0 or d == 0:
            return
        item, native = self.dtype.itemsize, self.dtype.newbyteorder("=")
        whole = selected == list(range(d))
        f = sys.stdin.buffer if self._file is None else open(self._file, "rb", buffering=0)
        try:
            for start in range(0, n, rows):
                m = min(rows, n - start)
                if self.fortran:  # column after column: read the selected and kept ones only
                    X = np.empty((len(selected), m), self.dtype)
                    for j, column in enumerate(selected):
                        self._read(f, self.offset + (column * n + start) * item, X[j])
                    values = []
                    for column in kept:
                        if column in selected:
                            values.append(X[selected.index(column)].astype(native))
                        else:
                            values.append(np.empty(m, self.dtype))
                            self._read(f, self.offset + (column * n + start) * item, values[-1])
                            values[-1] = values[-1].astype(native)
                    yield start, X.T, values
                else:
                    block = np.empty((m, d), self.dtype)
                    self._read(f, self.offset + start * d * item, block)
                    yield start, (block if whole else block[:, selected]), [block[:, c].astype(native) for c in kept]
        finally:
            if self._file is not None:
                f.close()

    def _read(self, f, offset, out):
        """Fill the contiguous array out with the file's bytes from offset on (a pipe: its next bytes)."""
        buffer = memoryview(out.reshape(-1).view(np.uint8))
        if self._seekable:
            f.seek(offset)
        done = 0
        while done < len(buffer):
            try:
                got = f.readinto(buffer[done:])
            except OSError as exc:
                raise InputError(f"{self.path}: cannot read: {exc.strerror or exc}") from None
            if not got:
                expected = self.offset + self.shape[0] * self.shape[1] * self.dtype.itemsize
                if not self._seekable:
                    raise InputError(f"{self.path}: ended before the {expected} bytes of data its .npy "
                                     "header describes")
                raise InputError(f"{self.path}: the file is now shorter than its header says "
                                 f"({f.seek(0, os.SEEK_END)} bytes, not {expected}): was it "
                                 "truncated while fastscore read it?")
            done += got


# ---- writers -----------------------------------------------------------------------------------

class _Writer:
    """Writers close on leaving a with-block; after an error they abort instead, finishing
    nothing (a file on stdout is left visibly cut short), and closing errors are moot."""

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        if kind is None:
            self.close()
            return
        try:
            self.abort()
        except Exception:
            pass


def open_output(path, fmt, columns, n_rows=None):
    """A writer of `columns` (a list of (name, numpy dtype or Arrow type)) to path in format
    fmt; path "-" is stdout.

    .write(arrays) appends one chunk (a list of 1-D arrays, numpy or Arrow, one per
    column); .close() finishes the file. fmt is given separately because path is the
    temporary file that will be renamed to the real output. n_rows, the number of rows
    to come if known, is needed by a .npy on stdout, whose header says it first.
    """
    if fmt == "npy":
        return _NpyWriter(path, columns, n_rows)
    return _ArrowWriter(path, fmt, columns)


# Gzipped output is compressed at gzip's own default level: pyarrow's (9) is several
# times slower for a few percent less.
GZIP_LEVEL = 6


class _ArrowWriter(_Writer):
    def __init__(self, path, fmt, columns):
        self._pa = pa = pyarrow_for(shown(path, output=True))
        fields = [(name, dt if isinstance(dt, pa.DataType) else pa.string() if np.dtype(dt).kind == "U"
                   else pa.from_numpy_dtype(dt)) for name, dt in columns]
        self._schema = pa.schema(fields)
        gzipped = fmt.endswith(".gz")
        # What is written goes through these, the last first; each is closed in turn.
        self._sink = _Sink(sys.stdout.buffer) if path == STDIO else None
        self._layers = [self._sink or (open(path, "wb") if gzipped else pa.OSFile(path, "wb"))]
        if gzipped:  # no name and no time in its header: the same scores give the same bytes
            self._layers.append(gzip.GzipFile(filename="", mode="wb", fileobj=self._layers[-1],
                                              compresslevel=GZIP_LEVEL, mtime=0))
        if not isinstance(self._layers[-1], pa.NativeFile):
            self._layers.append(pa.PythonFile(self._layers[-1], mode="w"))
        self._csv = fmt != "parquet"
        if self._csv:
            options = pa.csv.WriteOptions(delimiter="\t" if fmt.startswith("tsv") else ",")
            try:
                self._writer = pa.csv.CSVWriter(self._layers[-1], self._schema, write_options=options)
            except pa.ArrowInvalid as exc:
                self.abort()
                self._refuse_untextual(fields, options)
                raise InputError(f"{shown(path, output=True)}: cannot write: {_first_line(exc)}") from None
        else:
            self._writer = pa.parquet.ParquetWriter(self._layers[-1], self._schema)

    def _refuse_untextual(self, fields, options):
        """InputError naming the first column that CSV cannot hold (a nested Parquet column kept)."""
        pa = self._pa
        for name, t in fields:
            try:
                pa.csv.CSVWriter(pa.BufferOutputStream(), pa.schema([(name, t)]), write_options=options)
            except pa.ArrowInvalid:
                raise InputError(f"--keep {name!r}: a column of type {t} cannot be written as text: "
                                 "write Parquet to keep it") from None

    def write(self, arrays):
        """Append one chunk of rows."""
        pa = self._pa
        batch = pa.record_batch([a if isinstance(a, pa.Array) else pa.array(a) for a in arrays], schema=self._schema)
        if self._csv:
            self._writer.write_batch(batch)
        else:
            self._writer.write_batch(batch, row_group_size=max(batch.num_rows, 1))

    def close(self):
        """Finish the file (Parquet writes its footer here, gzip its trailer); flush stdout."""
        self._writer.close()
        for layer in reversed(self._layers):
            layer.close()

    def abort(self):
        """Close without finishing: on stdout, what was written stays as it is, cut short."""
        if self._sink is not None:
            self._sink.discard()
        for layer in [getattr(self, "_writer", None), *reversed(self._layers)]:
            try:
                if layer is not None:
                    layer.close()
            except Exception:
                pass


class _NpyWriter(_Writer):
    """A 2-D float64 .npy file written row chunk by row chunk.

    The row count is not known until the end (CSV input), so a file's header is
    written with room for any count and rewritten by close(). On stdout, which
    cannot be rewritten, the count must be known first (n_rows).
    """

    HEADER_BYTES = 128  # magic (8) + length (2) + dict padded with spaces, a multiple of 64

    def __init__(self, path, columns, n_rows=None):
        self._n_cols, self._rows, self._declared = len(columns), 0, n_rows
        if path == STDIO:
            if n_rows is None:
                raise InputError(f"{STDOUT}: a .npy OUTPUT on stdout needs the number of rows before the first "
                                 "one, which a CSV or TSV INPUT does not say: write the .npy to a file, or "
                                 "choose another --output-format")
            self._f, self._stdout = sys.stdout.buffer, True
            self._f.write(self._header(n_rows))
        else:
            self._f, self._stdout = open(path, "wb"), False
            self._f.write(self._header(0))

    def _header(self, rows):
        text = f"{{'descr': '<f8', 'fortran_order': False, 'shape': ({rows}, {self._n_cols}), }}"
        text = text.ljust(self.HEADER_BYTES - 10 - 1) + "\n"
        return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode("latin1")

    def write(self, arrays):
        """Append one chunk of rows."""
        chunk = np.empty((len(arrays[0]), self._n_cols), dtype="<f8")
        for j, a in enumerate(arrays):
            chunk[:, j] = a
        self._f.write(chunk.tobytes())
        self._rows += len(chunk)

    def close(self):
        """Write the final row count into a file's header and close it; flush stdout."""
        if self._stdout:
            if self._rows != self._declared:
                raise InputError(f"{STDOUT}: wrote {self._rows} rows after a .npy header that said {self._declared}")
            self._f.flush()
            return
        self._f.seek(0)
        self._f.write(self._header(self._rows))
        self._f.close()

    def abort(self):
        """Close a file (it is thrown away); on stdout, what was written stays as it is, cut short."""
        if not self._stdout:
            self._f.close()

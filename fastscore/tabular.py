"""Tabular files for `fastscore score`: CSV, Parquet and .npy, read and written in chunks.

The format is chosen by the file's extension. Readers yield numeric chunks of
at most `rows` rows, read only the columns scored (CSV and Parquet) and
never hold more than one chunk (and one pyarrow block) in memory; writers
append chunk by chunk. pyarrow is imported only for
CSV and Parquet files, so .npy to .npy needs numpy alone.

Every problem a user can cause raises InputError, whose message is one line
naming the file and, for a bad cell, its row (counted from 1, the header not
counted) and its column.
"""
import os
import re
import struct
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

FORMATS = {".csv": "csv", ".parquet": "parquet", ".pq": "parquet", ".npy": "npy"}

# pyarrow reads CSV in blocks of this many bytes and reads a few blocks ahead: its memory
# use is a small multiple of this (about 65 MB measured at 1 MiB, 230 MB at 4 MiB).
CSV_BLOCK_BYTES = 1 << 20
# A block must hold a whole row, so a file with longer rows is read in larger blocks (at
# about five times a block's size in memory), up to rows of this many bytes; a longer row
# (or header row) is refused.
MAX_CSV_ROW_BYTES = 1 << 28


class InputError(Exception):
    """A problem with an input or output file, in one line fit for the user."""


def file_format(path):
    """"csv", "parquet" or "npy", from path's extension; InputError for anything else."""
    ext = os.path.splitext(os.fspath(path))[1].lower()
    if ext not in FORMATS:
        raise InputError(f"{path}: unknown file type {ext!r}: use .csv, .parquet (or .pq) or .npy")
    return FORMATS[ext]


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


# ---- the CSV header ----------------------------------------------------------------------------

# pyarrow's default CSV dialect (pyarrow.csv.ParseOptions()), which _csv_header follows:
# fields are separated by commas; a field that starts with a double quote runs to the next
# lone double quote ("" inside it is one quote) and goes on unquoted after it; elsewhere a
# quote is an ordinary character; rows end at \n, \r\n or \r; empty lines are skipped; a
# UTF-8 byte order mark opens the file.
_QUOTED = rb'"([^"]*(?:""[^"]*)*)"([^,\r\n]*)'
_CSV_FIELD = re.compile(_QUOTED + rb'|((?!")[^,\r\n]*)')
_CSV_EMPTY_LINES = re.compile(rb"[\r\n]*")
_CSV_ROW_END = re.compile(rb"[\r\n]")
_BOM = b"\xef\xbb\xbf"


def _csv_header(f, path):
    """A CSV file's header row (a _CSVHeader), read from f as far as the row goes and no further."""
    size = CSV_BLOCK_BYTES
    while True:
        f.seek(0)
        head = f.read(size + 1)  # one more byte than a row may have: a longer row is refused
        parsed = _parse_header(head, at_end=len(head) <= size)
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
        return _CSVHeader(fields, end)
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a readable CSV file: its header row is not UTF-8 text") from None


def _parse_header(head, at_end):
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
            m = _CSV_FIELD.match(head, pos)
            if m is None:  # a quote that is not closed in head
                return "a quote in its header row is never closed" if at_end else None
            quoted, after, plain = m.groups()
            fields.append(plain if quoted is None else quoted.replace(b'""', b'"') + after)
            pos = m.end()
            if head[pos:pos + 1] != b",":
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
    a few megabytes of text, not a million Python strings. .end is where the data rows start."""

    def __init__(self, fields, end):
        self.end = end
        if not isinstance(fields, list):
            self._text, self._names = str(fields, "utf-8"), None
            self.n = self._text.count(",") + 1
        else:
            self._text, self._names = None, [f.decode("utf-8") for f in fields]
            self.n = len(self._names)

    def __len__(self):
        return self.n

    def __iter__(self):
        if self._names is not None:
            yield from self._names
            return
        text, start = self._text, 0
        while True:
            stop = text.find(",", start)
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
    are kept, however wide the input. --columns (`columns`) picks columns explicitly,
    in feature order; otherwise the model's feature names pick them by name (extra
    columns ignored); otherwise they are taken by position and their number must match.
    """
    if columns is not None:
        if len(columns) != n_features:
            raise InputError(f"--columns lists {len(columns)} column(s), but the model has "
                             f"{n_features} feature(s)")
        wanted = list(columns)
    elif feature_names is not None and named:
        wanted = [str(n) for n in feature_names]
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


# ---- readers -----------------------------------------------------------------------------------

def open_input(path: str) -> Any:
    """A reader for path: .columns (its column names, to iterate once), .named, .n_rows (None
    if unknown), .values_per_row(selected) and .chunks(selected, names, rows)."""
    fmt = file_format(path)
    if not os.path.isfile(path):
        raise InputError(f"{path}: no such file" if not os.path.exists(path) else f"{path}: not a file")
    return {"csv": _CSVReader, "parquet": _ParquetReader, "npy": _NpyReader}[fmt](path)


def _cell_error(path, row, column, problem):
    return InputError(f"{path}: row {row}, column {column!r}: {problem}")


def nonfinite_cell(path, X, start, names):
    """InputError naming the first NaN or infinite cell of chunk X (whose first row is start)."""
    bad = np.argwhere(~np.isfinite(X))
    if bad.size:
        i, j = bad[0]
        return _cell_error(path, start + int(i) + 1, names[j], f"{X[i, j]} is not a finite number")
    return None


class _ArrowReader:
    """What CSV and Parquet share: converting pyarrow batches to float64 chunks."""

    named = True

    def _matrix(self, batch, keys, names, start):
        """The batch's columns `keys` as a float64 array; an empty cell is an error naming names[j]."""
        pa = self._pa
        X = np.empty((batch.num_rows, len(keys)))
        for j, (key, name) in enumerate(zip(keys, names)):
            col = batch.column(key)
            if col.null_count:
                i = int(np.argmax(pa.compute.is_null(col).to_numpy(zero_copy_only=False)))
                raise _cell_error(self.path, start + i + 1, name, "empty cell")
            X[:, j] = col.to_numpy(zero_copy_only=False)
        return X

    def values_per_row(self, selected):
        """How many values a chunk holds per row: the selected columns only."""
        return len(selected)

    def _split(self, X, start, rows):
        for i in range(0, len(X), rows):
            yield start + i, X[i:i + rows]


def _row_too_long(exc):
    """Whether pyarrow failed because a row did not fit in a block (a valid file: read it in larger blocks)."""
    return "straddles two block boundaries" in str(exc)


class _CSVReader(_ArrowReader):
    """A CSV file whose header fastscore parses itself; pyarrow reads the scored columns only.

    pyarrow, reading a header, makes a converter for every column (about 8 KB each, so a
    100,000-column header cost 900 MB); told the column names instead, it converts only
    the columns it is asked for.
    """

    def __init__(self, path):
        self._pa = pyarrow_for(path)
        self.path, self.n_rows = path, None
        try:
            with open(path, "rb") as f:
                self.columns = _csv_header(f, path)
                self._size = os.fstat(f.fileno()).st_size
        except OSError as exc:
            raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
        # A block must hold whole rows: rows of a wide file are about as long as its header.
        self._block = min(max(CSV_BLOCK_BYTES, self.columns.end), MAX_CSV_ROW_BYTES)

    def _open(self, selected, column_type):
        """A pyarrow streaming reader of the data rows, with the columns in `selected` only.

        Columns are named by position ("0", "1", ...) for pyarrow, so that duplicate or
        odd header names never matter; every other column gets the name "", which pyarrow
        neither converts nor minds repeating.
        """
        pa = self._pa
        keys = {i: str(i) for i in selected}
        names = [""] * self.columns.n
        for i, key in keys.items():
            names[i] = key
        source = pa.OSFile(self.path)
        source.seek(self.columns.end)
        convert = pa.csv.ConvertOptions(include_columns=list(keys.values()), null_values=[""],
                                        column_types={key: column_type for key in keys.values()})
        return pa.csv.open_csv(source, convert_options=convert, read_options=pa.csv.ReadOptions(
            block_size=self._block, column_names=names))

    def chunks(self, selected, names, rows):
        """Yield (first row index, float64 array of shape (m <= rows, len(selected))); names are
        the selected columns' names, for messages."""
        pa = self._pa
        if self.columns.end >= self._size:  # a header and nothing else (pyarrow: "Empty CSV file")
            return
        keys = [str(i) for i in selected]
        done = 0  # rows yielded: after a retry with larger blocks, they are read again and skipped
        while True:
            start = 0
            try:
                for batch in self._open(selected, pa.float64()):
                    skip = min(max(done - start, 0), batch.num_rows)
                    if skip < batch.num_rows:
                        X = self._matrix(batch.slice(skip), keys, names, start + skip)
                        yield from self._split(X, start + skip, rows)
                    start += batch.num_rows
                    done = max(done, start)
                return
            except pa.ArrowInvalid as exc:
                if not _row_too_long(exc):
                    self._locate(selected, names, exc)
                if self._block >= MAX_CSV_ROW_BYTES:
                    raise InputError(f"{self.path}: a row after row {done} is longer than "
                                     f"{MAX_CSV_ROW_BYTES / 2**20:g} MiB, the longest row fastscore reads") from None
                self._block = min(2 * self._block, MAX_CSV_ROW_BYTES)
            except (pa.ArrowException, OSError) as exc:  # not OUTPUT's problem: name INPUT
                raise InputError(f"{self.path}: cannot read: {_first_line(exc)}") from None

    def _locate(self, selected, names, exc):
        """Raise InputError for the first cell that is not a number, or for exc itself."""
        pa = self._pa
        start = 0
        try:
            for batch in self._open(selected, pa.string()):
                bad = [self._first_bad(batch.column(str(i))) + (name,) for i, name in zip(selected, names)]
                bad = min((b for b in bad if b[0] is not None), default=None)
                if bad is not None:
                    i, value, name = bad
                    problem = "empty cell" if value in ("", None) else f"{value!r} is not a number"
                    raise _cell_error(self.path, start + i + 1, name, problem)
                start += batch.num_rows
        except pa.ArrowException:
            pass
        raise InputError(f"{self.path}: not a readable CSV file: {_first_line(exc)}") from None

    def _first_bad(self, col):
        """(index, text) of the first cell of a string column that is not a float, or (None, None)."""
        pa = self._pa
        try:
            pa.compute.cast(col, pa.float64())
            return None, None
        except pa.ArrowInvalid:
            pass
        for i, value in enumerate(col.to_pylist()):  # the error path only: one block, cell by cell
            try:
                pa.array([value], pa.string()).cast(pa.float64())
            except pa.ArrowInvalid:
                return i, value
        return None, None


class _ParquetReader(_ArrowReader):
    def __init__(self, path):
        self._pa = pa = pyarrow_for(path)
        self.path = path
        try:
            # Without pre_buffer, pyarrow reads one row group at a time instead of
            # buffering every requested column chunk of the file up front.
            self._file = pa.parquet.ParquetFile(path, pre_buffer=False, buffer_size=1 << 20)
        except (pa.ArrowException, OSError, UnicodeDecodeError) as exc:  # a name that is not UTF-8
            raise InputError(f"{path}: not a readable Parquet file: {_first_line(exc)}") from None
        self.n_rows = self._file.metadata.num_rows
        self.columns = list(self._file.schema_arrow.names)

    def chunks(self, selected, names, rows):
        """Yield (first row index, float64 array of shape (m <= rows, len(selected)))."""
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
            for batch in self._file.iter_batches(batch_size=rows, columns=names):
                yield start, self._matrix(batch, names, names, start)
                start += batch.num_rows
        except (pa.ArrowException, OSError) as exc:
            raise InputError(f"{self.path}: cannot read: {_first_line(exc)}") from None


class _NpyReader:
    """A .npy file, read chunk by chunk with ordinary reads.

    Not through a memory map: a mapped file that shrinks while it is read (another
    process truncating it) kills the reader with SIGBUS, with no message and no
    clean-up. A read that comes up short is an InputError instead.
    """

    named = False
    VERSIONS = ((1, 0), (2, 0), (3, 0))  # 3.0 differs from 2.0 in UTF-8 field names only

    def __init__(self, path):
        self.path = path
        fmt = np.lib.format
        try:
            with open(path, "rb") as f:
                version = fmt.read_magic(f)
                if version not in self.VERSIONS:
                    raise ValueError(f"format version {version[0]}.{version[1]} is not one numpy writes")
                read_header = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
                shape, fortran, dtype = read_header(f)
                self.offset = f.tell()
                size = os.fstat(f.fileno()).st_size
        except Exception as exc:  # numpy raises ValueError, OSError, EOFError... for bad files
            raise InputError(f"{path}: not a readable .npy file: {_first_line(exc)}") from None
        if dtype.hasobject:
            raise InputError(f"{path}: not a readable .npy file: it holds Python objects ({dtype}), "
                             "which would need unpickling")
        if len(shape) != 2:
            raise InputError(f"{path}: holds a {len(shape)}-D array of shape {shape}; "
                             "fastscore scores a 2-D array (rows, features)")
        if dtype.kind not in "fiub":
            raise InputError(f"{path}: holds dtype {dtype}; fastscore scores numbers")
        self.shape, self.dtype, self.fortran = shape, dtype, fortran
        self.n_rows = shape[0]
        need = shape[0] * shape[1] * dtype.itemsize
        if size - self.offset < need:
            raise InputError(f"{path}: not a readable .npy file: it is truncated (its header describes "
                             f"{need} bytes of data, it holds {max(size - self.offset, 0)})")

    @property
    def columns(self):
        """The columns' names: their positions, "0", "1", ..."""
        return map(str, range(self.shape[1]))

    def values_per_row(self, selected):
        """How many values a chunk holds per row: whole rows are read, unless the file is in
        Fortran order (column after column), and the selected columns are then copied out."""
        if self.fortran:
            return len(selected)
        return self.shape[1] + (0 if selected == list(range(self.shape[1])) else len(selected))

    def chunks(self, selected, names, rows):
        """Yield (first row index, array of shape (m <= rows, len(selected))), in the file's dtype."""
        n, d = self.shape
        if n == 0 or d == 0:
            return
        item = self.dtype.itemsize
        whole = selected == list(range(d))
        with open(self.path, "rb", buffering=0) as f:
            for start in range(0, n, rows):
                m = min(rows, n - start)
                if self.fortran:  # column after column: read the selected ones only
                    X = np.empty((len(selected), m), self.dtype)
                    for j, column in enumerate(selected):
                        self._read(f, self.offset + (column * n + start) * item, X[j])
                    yield start, X.T
                else:
                    block = np.empty((m, d), self.dtype)
                    self._read(f, self.offset + start * d * item, block)
                    yield start, (block if whole else block[:, selected])

    def _read(self, f, offset, out):
        """Fill the contiguous array out with the file's bytes from offset on."""
        buffer = memoryview(out.reshape(-1).view(np.uint8))
        f.seek(offset)
        done = 0
        while done < len(buffer):
            try:
                got = f.readinto(buffer[done:])
            except OSError as exc:
                raise InputError(f"{self.path}: cannot read: {exc.strerror or exc}") from None
            if not got:
                expected = self.offset + self.shape[0] * self.shape[1] * self.dtype.itemsize
                raise InputError(f"{self.path}: the file is now shorter than its header says "
                                 f"({f.seek(0, os.SEEK_END)} bytes, not {expected}): was it "
                                 "truncated while fastscore read it?")
            done += got


# ---- writers -----------------------------------------------------------------------------------

class _Writer:
    """Writers close on leaving a with-block; after an error, closing errors are moot."""

    def __enter__(self):
        return self

    def __exit__(self, kind, exc, tb):
        try:
            self.close()
        except Exception:
            if kind is None:
                raise


def open_output(path, fmt, columns):
    """A writer of `columns` (a list of (name, numpy dtype)) to path, in format fmt.

    .write(arrays) appends one chunk (a list of 1-D arrays, one per column);
    .close() finishes the file. fmt is given separately because path is the
    temporary file that will be renamed to the real output.
    """
    if fmt == "npy":
        return _NpyWriter(path, columns)
    return _ArrowWriter(path, fmt, columns)


class _ArrowWriter(_Writer):
    def __init__(self, path, fmt, columns):
        self._pa = pa = pyarrow_for(path)
        fields = [(name, pa.string() if np.dtype(dt).kind == "U" else pa.from_numpy_dtype(dt))
                  for name, dt in columns]
        self._schema = pa.schema(fields)
        if fmt == "csv":
            self._writer = pa.csv.CSVWriter(path, self._schema)
        else:
            self._writer = pa.parquet.ParquetWriter(path, self._schema)
        self._csv = fmt == "csv"

    def write(self, arrays):
        """Append one chunk of rows."""
        batch = self._pa.record_batch([self._pa.array(a) for a in arrays], schema=self._schema)
        if self._csv:
            self._writer.write_batch(batch)
        else:
            self._writer.write_batch(batch, row_group_size=max(batch.num_rows, 1))

    def close(self):
        """Finish the file (Parquet writes its footer here)."""
        self._writer.close()


class _NpyWriter(_Writer):
    """A 2-D float64 .npy file written row chunk by row chunk.

    The row count is not known until the end (CSV input), so the header is
    written with room for any count and rewritten by close().
    """

    HEADER_BYTES = 128  # magic (8) + length (2) + dict padded with spaces, a multiple of 64

    def __init__(self, path, columns):
        self._n_cols = len(columns)
        self._rows = 0
        self._f = open(path, "wb")
        self._f.write(self._header())

    def _header(self):
        text = f"{{'descr': '<f8', 'fortran_order': False, 'shape': ({self._rows}, {self._n_cols}), }}"
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
        """Write the final row count into the header and close the file."""
        self._f.seek(0)
        self._f.write(self._header())
        self._f.close()

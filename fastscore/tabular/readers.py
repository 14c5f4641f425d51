"""The readers of CSV, TSV (either gzipped), Parquet and .npy files, chunk by chunk."""
import os
import sys
from typing import Any, Optional, Union

import numpy as np

from fastscore.tabular import formats
from fastscore.tabular.formats import DOCUMENT, InputError, MISSING_CELLS, NUMBER, STDIN, STDIO, TEXT, _Counting, _NUMBER_SPACE, _bytes_left, _first_line, file_format, pyarrow_for, shown
from fastscore.tabular.header import _csv_header


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


def first_failure(col: Any, convert: Any, invalid: Any) -> int:
    """The index of the first value (or row) of col that `convert` refuses (raising `invalid`),
    found by halving: a few conversions of ever smaller slices, never one per value."""
    lo, hi = 0, len(col)  # the failure lies in col[lo:hi]
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            convert(col[lo:mid])
            lo = mid
        except invalid:
            hi = mid
    return lo


class _ArrowReader:
    """What CSV and Parquet share: converting pyarrow batches to float64 chunks."""

    named = True
    progress_unit = "rows"
    _missing = None  # MISSING_CELLS and a null string, as Arrow values, once needed

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
                i = first_failure(text, self._parse_numbers, pa.ArrowInvalid)
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

    def _typed(self, batch, keys, names, kinds, start):
        """The batch's columns `keys` (CSV cells as read) as a RecordBatch of columns named
        `names`, each read as its kind (NUMBER: float64, TEXT: strings, BOOLEAN; DOCUMENT:
        strings as they are) says, with MISSING_CELLS as nulls (but in a DOCUMENT). A cell that is not of its kind is an error naming it."""
        pa = self._pa
        arrays = [self._cells(batch.column(key), kind, name, start) for key, kind, name in zip(keys, kinds, names)]
        return pa.RecordBatch.from_arrays(arrays, names=list(names))

    def _cells(self, col, kind, name, start):
        """One column of CSV cells as `kind` says (see _typed)."""
        pa = self._pa
        pc = pa.compute
        if self._missing is None:
            self._missing = pa.array(MISSING_CELLS, pa.string()), pa.scalar(None, pa.string())
        cells, null = self._missing
        text = self._text(col, name, start)
        if kind == DOCUMENT:
            return text
        text = pc.if_else(pc.is_in(text, value_set=cells), null, text)
        if kind == TEXT:
            return text
        if kind == NUMBER:
            text, to, problem = pc.utf8_trim(text, _NUMBER_SPACE), pa.float64(), "is not a number"
        else:
            to, problem = pa.bool_(), "is not true or false"
        try:
            return pc.cast(text, to)
        except pa.ArrowInvalid:
            i = first_failure(text, lambda t: pc.cast(t, to), pa.ArrowInvalid)
            raise _cell_error(self.path, start + i + 1, name, f"{col[i].as_py().decode()!r} {problem}") from None

    def _text(self, col, name, start):
        """A binary column (CSV cells as read) as UTF-8 strings; other bytes are an error naming the cell."""
        pa = self._pa
        try:
            return col.cast(pa.string())
        except pa.ArrowInvalid:
            i = first_failure(col, lambda c: c.cast(pa.string()), pa.ArrowInvalid)
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
        self._block = min(max(formats.CSV_BLOCK_BYTES, self.columns.end), formats.MAX_CSV_ROW_BYTES)

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
        self._block bytes; a row longer than that grows the blocks, up to formats.MAX_CSV_ROW_BYTES.
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
            elif self._block >= formats.MAX_CSV_ROW_BYTES:
                raise InputError(f"{self.path}: a row after row {self._rows_done} is longer than "
                                 f"{formats.MAX_CSV_ROW_BYTES / 2**20:g} MiB, the longest row fastscore reads")
            else:
                self._block = min(2 * self._block, formats.MAX_CSV_ROW_BYTES)

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

    def chunks(self, selected, names, rows, kept=(), kept_names=(), kinds=None):
        """Yield (first row index, float64 array of shape (m <= rows, len(selected)), the kept
        columns' m values as Arrow strings); names and kept_names name the columns in messages.
        With `kinds` (one of NUMBER, TEXT, BOOLEAN, DOCUMENT per selected column), the rows are a pyarrow
        RecordBatch of columns `names` instead, read as _typed reads them."""
        pa = self._pa
        keys = [str(i) for i in selected]
        types = {i: pa.binary() if kinds else pa.float64() for i in selected}
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
                    X = self._typed(batch, keys, names, kinds, start) if kinds else self._matrix(batch, keys, names, start)
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

    def chunks(self, selected, names, rows, kept=(), kept_names=(), kinds=None):
        """Yield (first row index, float64 array of shape (m <= rows, len(selected)), the kept
        columns' m values as Arrow arrays). With `kinds`, the rows are a pyarrow RecordBatch of
        the columns `names` as the file holds them (a model with an input stage reads them)."""
        pa = self._pa
        names = [self.columns[i] for i in selected]
        for name in names:
            # pyarrow reads Parquet columns by name: two columns of one name cannot be told apart.
            if self.columns.count(name) > 1:
                raise InputError(f"{self.path}: the file has {self.columns.count(name)} columns named "
                                 f"{name!r}, which cannot be told apart; give them distinct names")
            if kinds:  # the model's input stage reads the columns as the file holds them
                continue
            t = self._file.schema_arrow.field(name).type
            if not (pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_boolean(t)
                    or pa.types.is_decimal(t)):
                raise InputError(f"{self.path}: column {name!r} has type {t}; fastscore scores numbers")
        start = 0
        try:
            for batch in self._file.iter_batches(batch_size=rows, columns=list(dict.fromkeys([*names, *kept_names])),
                                                 use_threads=self._threads):
                X = (pa.RecordBatch.from_arrays([batch.column(n) for n in names], names=list(names)) if kinds
                     else self._matrix(batch, names, names, start))
                yield start, X, [batch.column(k) for k in kept_names]
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
        if min(shape) < 0:  # numpy's header reader lets a negative dimension through
            raise InputError(f"{self.path}: not a readable .npy file: its header's shape {shape} has a "
                             "negative dimension")
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

    def chunks(self, selected, names, rows, kept=(), kept_names=(), kinds=None):
        """Yield (first row index, array of shape (m <= rows, len(selected)) in the file's dtype,
        the kept columns' m values in this machine's byte order). A .npy file holds numbers only:
        `kinds` is not looked at."""
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

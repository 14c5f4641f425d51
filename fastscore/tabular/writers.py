"""The writers of CSV, TSV (either gzipped), Parquet and .npy files, chunk by chunk."""
import gzip
import struct
import sys

import numpy as np

from fastscore.tabular.formats import InputError, STDIO, STDOUT, _Sink, _first_line, pyarrow_for, shown


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

"""Tabular files for `fastscore score`: CSV, TSV (either gzipped), Parquet and .npy, read and
written in chunks; `-` is stdin (as INPUT) or stdout (as OUTPUT).

The format is chosen by the file's extension, or given (--format) where there is none.
Readers yield numeric chunks of at most `rows` rows (for a model with an input stage,
pyarrow RecordBatches of its input columns, text and missing cells included), read only
the columns scored and kept (CSV and Parquet) and never hold more than one chunk (and one
pyarrow block) in memory; writers append chunk by chunk. pyarrow is imported only for CSV, TSV and
Parquet, so .npy to .npy needs numpy alone.

Every problem a user can cause raises InputError, whose message is one line
naming the file and, for a bad cell, its row (counted from 1, the header not
counted) and its column.

The modules: formats (the formats, stdin and stdout, InputError), header (the
CSV header), selection (--columns and --keep), readers and writers.
"""

from fastscore.tabular.formats import (BINARY, BOOLEAN, DOCUMENT, EXTENSIONS, FORMATS, MISSING_CELLS, NUMBER, STDIN,
                                       STDIO, STDOUT, TEXT, InputError, extension, file_format, pyarrow_for, shown)
from fastscore.tabular.readers import first_failure, nonfinite_cell, open_input
from fastscore.tabular.selection import kept_columns, select_columns
from fastscore.tabular.writers import open_output

__all__ = ["BINARY", "BOOLEAN", "DOCUMENT", "EXTENSIONS", "FORMATS", "MISSING_CELLS", "NUMBER", "STDIN", "STDIO",
           "STDOUT", "TEXT", "InputError", "extension", "file_format", "first_failure", "kept_columns", "nonfinite_cell",
           "open_input", "open_output", "pyarrow_for", "select_columns", "shown"]

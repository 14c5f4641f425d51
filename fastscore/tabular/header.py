"""The CSV header: read and split without listing every column name, however wide the file."""
import re

from fastscore.tabular import formats
from fastscore.tabular.formats import InputError


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
    size, head = formats.CSV_BLOCK_BYTES, b""
    while True:
        more = f.read(size + 1 - len(head))  # one more byte than a row may have: a longer row is refused
        head += more
        parsed = _parse_header(head, len(head) <= size, delimiter.encode())
        if parsed is not None:
            break
        if size >= formats.MAX_CSV_ROW_BYTES:
            raise InputError(f"{path}: its header row is longer than {formats.MAX_CSV_ROW_BYTES / 2**20:g} MiB, "
                             "the longest row fastscore reads")
        size = min(2 * size, formats.MAX_CSV_ROW_BYTES)
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

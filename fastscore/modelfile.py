"""The fastscore model file: strict JSON, validated field by field, no pickle.

docs/FORMAT.md is the specification. This module knows the format only: read()
and parse() turn a file's text into validated fields (fastscore.fields), and
dumps() and write() turn fields into text; fastscore.model builds models from
fields and never the other way round. Reading refuses anything that is not
exactly a valid model, with ModelFormatError naming the field; writing goes
through a temporary file and a rename, so a reader never sees half a model.

Memory: the numbers of coef, intercept and center are parsed in chunks of
text straight into float64 arrays, never as one Python object per number,
and the checksum is computed as a stream over the canonical form, never
built whole. Loading a file of b bytes holding m numbers therefore costs
its text (b, twice while bytes are decoded) plus 8 bytes per number; a file
larger than memory allows is a ModelFormatError, never a MemoryError.
"""
from __future__ import annotations

import array
import json
import os
import re
import stat
from typing import IO, NamedTuple, Optional, Union

import numpy as np

from fastscore import fields as _fields
from fastscore._files import atomic_path
from fastscore.fields import MAX_OUTPUTS, FieldError, Fields

FORMAT = "fastscore-linear-model"
VERSION = 3

# Checked before the file is read: a model this large would not fit in memory anyway.
MAX_FILE_BYTES = 2**31

REQUIRED = ("format", "format_version", "kind", "estimator", "link", "n_features", "coef",
            "intercept", "checksum")
OPTIONAL = ("classes", "feature_names", "center", "sklearn_version", "fastscore_version", "post",
            "inputs", "numeric", "tables", "texts", "sparse")
#: The format version that introduced each field after version 1: a file of an older
#: version may not hold it, and a model is written with the oldest version that holds
#: all its fields (version 1 when it has none of these).
SINCE = {"post": 2, "inputs": 2, "numeric": 2, "tables": 2, "texts": 3, "sparse": 3}

# Fields that hold numbers only: read in chunks into arrays, not as Python objects.
_NUMERIC = ("coef", "intercept", "center")

# Characters of text parsed at once, and numbers written at once.
_CHUNK = 1 << 18
_CHUNK_NUMBERS = 1 << 14

PathOrFile = Union[str, "os.PathLike[str]", IO[bytes], IO[str]]


class ModelFormatError(ValueError):
    """A model file that is not valid: names the field and what was wrong with it."""


class ModelFile(NamedTuple):
    """A model file's validated fields, and what the file holds beside them."""

    fields: Fields
    format_version: int
    fastscore_version: Optional[str]   # the fastscore that wrote it (informational)
    checksum: str
    name: Optional[str]                # the path or file name it was read from, if any


# ---- reading ------------------------------------------------------------------------------------

def read(source: PathOrFile) -> ModelFile:
    """Read and validate a model file from a path (str or os.PathLike) or an open file object.

    A file object may be binary or text. Raises ModelFormatError (a
    ValueError) naming the field for anything that is not a valid model
    file, and for a file too large for the memory available; OSError when
    the path cannot be read; TypeError when source is neither a path nor a
    file object (an int file descriptor: pass open(fd, "rb") instead).
    """
    name = _source_name(source)
    try:
        try:
            data = _read_source(source)
            text = _decode(data)
            del data  # the bytes are not needed beside their text
            return _parse_text(text, name)
        except MemoryError:
            raise ModelFormatError("there is not enough memory to load this model file") from None
    except ModelFormatError as exc:
        raise ModelFormatError(f"{name}: {exc}" if name else str(exc)) from None


def parse(data: Union[str, bytes, bytearray, memoryview]) -> ModelFile:
    """Validate a model file's contents (str, or bytes of UTF-8) into its fields; see read()."""
    if not isinstance(data, (str, bytes, bytearray, memoryview)):
        raise TypeError(f"a model file's contents must be str or bytes, got {type(data).__name__}")
    try:
        return _parse_text(_decode(data), None)
    except MemoryError:
        raise ModelFormatError("there is not enough memory to load this model file") from None


def _source_name(source):
    if isinstance(source, (bool, int)):
        raise TypeError(f"a model file is read from a path or a file object, got the int {source}: "
                        f"to read a file descriptor, pass open({source}, 'rb')")
    if isinstance(source, str) and source.lstrip().startswith("{") and '"format"' in source \
            and not os.path.exists(source):
        raise TypeError("a model file is read from a path or a file object, got a string that "
                        "holds JSON: use fastscore.loads() to read a model file's contents")
    if isinstance(source, (str, os.PathLike)):
        return os.fsdecode(os.fspath(source))
    if callable(getattr(source, "read", None)):
        name = getattr(source, "name", None)
        return name if isinstance(name, str) else None
    hint = ": use fastscore.loads() to read a model file's contents" \
        if isinstance(source, (bytes, bytearray, memoryview)) else ""
    raise TypeError("a model file is read from a path (str or os.PathLike) or a file object, "
                    f"got {type(source).__name__}{hint}")


# Characters that can begin a JSON text (after whitespace).
_JSON_STARTS = frozenset(b'{["-0123456789tfnNI')


def _read_source(source):
    """The bytes (or text) of a path or file object, refusing oversized files before reading them whole."""
    if not isinstance(source, (str, os.PathLike)):
        return _read_all(source, _remaining(source))
    with open(source, "rb") as f:
        st = os.fstat(f.fileno())
        if st.st_size > MAX_FILE_BYTES:
            raise ModelFormatError(f"the file has {st.st_size} bytes, more than a model file may have "
                                   f"({MAX_FILE_BYTES})")
        head = f.read(4096)
        # A first character that cannot start JSON condemns the whole file: say so
        # without reading the rest (a multi-gigabyte pickle, /dev/zero, ...).
        start = head.lstrip()[:1]
        if start and start[0] not in _JSON_STARTS:
            return head
        if stat.S_ISREG(st.st_mode):
            f.seek(0)
            return _read_all(f, st.st_size)
        return _read_all(f, 0, [head])


def _remaining(f):
    """What is left to read of a file object on a regular file, else 0 (unknown)."""
    try:
        st = os.fstat(f.fileno())
        return max(st.st_size - f.tell(), 0) if stat.S_ISREG(st.st_mode) else 0
    except (AttributeError, OSError, ValueError):
        return 0


def _read_all(f, size_hint, parts=()):
    """f read to its end, refusing more than MAX_FILE_BYTES.

    A known size is read at once (one buffer of the file's size: read(n)
    allocates n bytes first, so it is never asked for more than it may
    give); an unknown one in parts of a MiB.
    """
    parts, total, n = list(parts), sum(map(len, parts)), size_hint + 1 if size_hint else 1 << 20
    while True:
        part = f.read(min(n, MAX_FILE_BYTES + 1 - total))
        if not isinstance(part, (bytes, str)):
            raise TypeError(f"the file object's read() returned {type(part).__name__}, not bytes or str")
        if not part:
            break
        parts.append(part)
        total += len(part)
        if total > MAX_FILE_BYTES:
            raise ModelFormatError(f"the file has more than {MAX_FILE_BYTES} bytes, more than a "
                                   "model file may have")
        n = 1 << 20
    if len(parts) == 1:
        return parts[0]
    return (parts[0][:0] if parts else b"").join(parts)


_WS = re.compile(r"[ \t\n\r]*")
_WS_BYTES = re.compile(rb"[ \t\n\r]*")


def _decode(data):
    """The file's text: UTF-8, refusing what is obviously not JSON before decoding it."""
    if isinstance(data, str):
        text = data
    else:
        if _WS_BYTES.match(data).end() == len(data):
            raise ModelFormatError("the file is empty")
        if data[:1] in (b"\x80", b"(", b"c") or data[:2] == b"PK":
            raise ModelFormatError("the file is not JSON (it looks like a pickle or a zip "
                                   "archive); fastscore model files are JSON, see docs/FORMAT.md")
        try:
            text = str(data, "utf-8")
        except UnicodeDecodeError as exc:
            raise ModelFormatError(f"the file is not JSON: it is not UTF-8 text ({exc.reason} "
                                   f"at byte {exc.start})") from None
    if _WS.match(text).end() == len(text):
        raise ModelFormatError("the file is empty")
    return text


def _no_duplicates(pairs):
    d = {}
    for key, value in pairs:
        if key in d:
            raise ModelFormatError(f"duplicate field {key!r}")
        d[key] = value
    return d


_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=float)
_scan = _DECODER.scan_once  # type: ignore[attr-defined]  # json's documented scanner, untyped


def _parse_text(text, name):
    """ModelFile from a model file's text."""
    try:
        start = _WS.match(text).end()
        if not text.startswith("{", start):
            value = _DECODER.decode(text)  # not a model file: say what it holds instead
            raise ModelFormatError(f"the file holds {_fields.what(value)}, not an object: "
                                   "this is not a fastscore model file")
        return _validated(_object(text, start), text, name)
    except ModelFormatError:
        raise
    except json.JSONDecodeError as exc:
        raise ModelFormatError(f"the file is not valid JSON: {exc}") from None
    except RecursionError:  # only a hostile file nests deep enough to get here
        raise ModelFormatError("the file is nested too deeply to be a model file") from None
    except ValueError as exc:  # an integer literal longer than Python converts (4300 digits)
        raise ModelFormatError(f"the file is not a model file: {exc}") from None


def _syntax(message, text, pos):
    return json.JSONDecodeError(message, text, pos)


def _object(text, pos):
    """The top-level object at text[pos] == "{" as a dict; numeric fields as _Numbers."""
    d = {}
    i = _WS.match(text, pos + 1).end()
    if text.startswith("}", i):
        end = i + 1
    else:
        while True:
            if not text.startswith('"', i):
                raise _syntax("Expecting property name enclosed in double quotes", text, i)
            key, i = json.decoder.scanstring(text, i + 1)
            if key in d:
                raise ModelFormatError(f"duplicate field {key!r}")
            i = _WS.match(text, i).end()
            if not text.startswith(":", i):
                raise _syntax("Expecting ':' delimiter", text, i)
            i = _WS.match(text, i + 1).end()
            value, i = _value(text, i, key)
            d[key] = value if key in REQUIRED or key in OPTIONAL else None  # refused below: not kept
            i = _WS.match(text, i).end()
            if text.startswith(",", i):
                i = _WS.match(text, i + 1).end()
                continue
            if not text.startswith("}", i):
                raise _syntax("Expecting ',' delimiter", text, i)
            end = i + 1
            break
    i = _WS.match(text, end).end()
    if i != len(text):
        raise _syntax("Extra data", text, i)
    return d


def _value(text, pos, key):
    if key in _NUMERIC and text.startswith("[", pos):
        numbers = _Numbers.read(text, pos, key)
        if numbers is not None:
            return numbers, numbers.end
    try:
        return _scan(text, pos)
    except StopIteration as stop:
        raise _syntax("Expecting value", text, stop.value) from None


class _NotPlain(Exception):
    """The text is not a plain list (or list of lists) of JSON numbers."""


# The characters of a comma-separated run of JSON numbers.
_PLAIN = re.compile(r"[0-9eE.+\-, \t\n\r]*")


def _walk(text, pos):
    """Walk the list of numbers, or list of lists of numbers, at text[pos] == "[".

    Yields "[" and "]" for each list and between them lists of its numbers
    (each parsed by json from at most _CHUNK characters), and last the
    position after the value. Raises _NotPlain where the text holds
    anything else: the caller then parses the value as ordinary JSON, for
    an exact message.
    """
    i = _WS.match(text, pos + 1).end()
    if not text.startswith("[", i):
        yield from _flat(text, pos)
        return
    yield "["
    while True:
        for piece in _flat(text, i):
            if isinstance(piece, int):
                i = piece
            else:
                yield piece
        i = _WS.match(text, i).end()
        if text.startswith("]", i):
            yield "]"
            yield i + 1
            return
        if not text.startswith(",", i):
            raise _NotPlain
        i = _WS.match(text, i + 1).end()
        if not text.startswith("[", i):
            raise _NotPlain


def _flat(text, pos):
    """_walk for a flat list of numbers at text[pos] == "["."""
    yield "["
    i, first = pos + 1, True
    while True:
        stop = min(i + _CHUNK, len(text))
        close = text.find("]", i, stop)
        end = close if close >= 0 else text.rfind(",", i, stop)  # a chunk ends after a whole number
        if end < 0 or _PLAIN.fullmatch(text, i, end) is None:
            raise _NotPlain
        try:
            values = json.loads("[" + text[i:end] + "]")
        except ValueError:
            raise _NotPlain from None
        if not values and not (first and close >= 0):  # "[,", ",," or ",]" across chunks
            raise _NotPlain
        if values:
            yield values
        if close >= 0:
            yield "]"
            yield close + 1
            return
        i, first = end + 1, False


class _Numbers:
    """A list, or list of lists, of JSON numbers read from text into one flat float64 buffer."""

    __slots__ = ("values", "rows", "start", "end", "has_int")

    @classmethod
    def read(cls, text, pos, key):
        """The numbers at text[pos] == "[", or None when it is not a plain list of numbers."""
        self = cls()
        self.values, self.rows, self.start, self.has_int = array.array("d"), None, pos, False
        depth = row_start = 0
        try:
            for piece in _walk(text, pos):
                if isinstance(piece, list):
                    self.has_int = self.has_int or int in map(type, piece)
                    self.values.extend(piece)
                elif piece == "[":
                    depth += 1
                    row_start = len(self.values)
                    if depth == 2 and key != "coef":  # only coef has rows
                        return None
                elif piece == "]":
                    if depth == 2:
                        if self.rows is None:
                            self.rows = array.array("q")
                        self.rows.append(len(self.values) - row_start)
                        if len(self.rows) > MAX_OUTPUTS:
                            raise ModelFormatError(f"field {key!r} has more than {MAX_OUTPUTS} rows")
                    depth -= 1
                else:
                    self.end = piece
        except (_NotPlain, OverflowError):  # OverflowError: an integer beyond float64
            return None
        return self

    def array(self):
        """The numbers as a 1-D or 2-D array, or as a list of rows when they are ragged."""
        flat = np.frombuffer(self.values, dtype=np.float64) if self.values else np.empty(0)
        if self.rows is None:
            return flat
        lengths = np.frombuffer(self.rows, dtype=np.int64)
        differ = np.flatnonzero(lengths != lengths[0])
        if not differ.size:
            return flat.reshape(len(lengths), lengths[0])
        # Ragged: the rows up to the first odd one are enough to name the bad row.
        bounds = np.concatenate([[0], np.cumsum(lengths[:differ[0] + 1])])
        return [flat[a:b] for a, b in zip(bounds[:-1], bounds[1:])]

    def pieces(self, text):
        """The canonical JSON of the numbers as written, from the text (integers stay integers)."""
        comma = False
        for piece in _walk(text, self.start):
            if isinstance(piece, int):
                return
            if piece != "]" and comma:
                yield ","
            if isinstance(piece, list):
                yield _dumps(piece, True)[1:-1]
            else:
                yield piece
            comma = piece != "["


def _validated(d, text, name):
    """ModelFile from the parsed top-level object. Nothing is trusted unchecked.

    Fields are checked one by one, so that the error names the first bad one;
    the checksum is checked last, over fields already known to be well-formed.
    """
    _check_version(d)
    missing = [k for k in REQUIRED if k not in d]
    if missing:
        raise ModelFormatError(f"missing field(s) {', '.join(map(repr, missing))}")
    # A field is unknown to the format or to the file's version of it.
    unknown = sorted(set(d) - set(REQUIRED) - set(OPTIONAL)) or \
        sorted(k for k in d if SINCE.get(k, 1) > d["format_version"])
    if unknown:
        raise ModelFormatError(f"unknown field(s) {', '.join(map(repr, unknown))} "
                               f"(format version {d['format_version']} has no such field)")
    try:
        fastscore_version = d.get("fastscore_version")
        if fastscore_version is not None:
            fastscore_version = _fields.text(fastscore_version, "fastscore_version")
        arrays = {k: d[k].array() if isinstance(d.get(k), _Numbers) else d.get(k) for k in _NUMERIC}
        fields = _fields.check(d["kind"], estimator=d["estimator"], link=d["link"],
                               n_features=d["n_features"], classes=d.get("classes"),
                               feature_names=d.get("feature_names"),
                               sklearn_version=d.get("sklearn_version"), post=d.get("post"),
                               inputs=d.get("inputs"), numeric=d.get("numeric"), tables=d.get("tables"),
                               texts=d.get("texts"), sparse=d.get("sparse"), copy=False, **arrays)
        checksum = _fields.text(d["checksum"], "checksum")
    except FieldError as exc:
        raise ModelFormatError(str(exc)) from None
    if checksum != _checksum(d, text):
        raise ModelFormatError("field 'checksum' does not match the contents: the file was "
                               "changed or damaged after it was written")
    return ModelFile(fields, d["format_version"], fastscore_version, checksum, name)


def _check_version(d):
    from fastscore import __version__

    if d.get("format") != FORMAT:
        got = "missing" if "format" not in d else f"got {_fields.what(d['format'])}"
        raise ModelFormatError(f"field 'format' must be {FORMAT!r} ({got}): this is not a "
                               "fastscore model file")
    if "format_version" not in d:
        raise ModelFormatError("missing field 'format_version'")
    version = d["format_version"]
    if type(version) is not int:
        raise ModelFormatError(f"field 'format_version' must be an integer, got {_fields.what(version)}")
    if version > VERSION:
        raise ModelFormatError(f"the file needs model format version {version}, but fastscore "
                               f"{__version__} reads versions 1 to {VERSION}: upgrade fastscore "
                               "to read it")
    if version < 1:
        raise ModelFormatError(f"field 'format_version' must be at least 1, got {version}")


# ---- the checksum -------------------------------------------------------------------------------

def canonical_json(d: dict) -> bytes:
    """The bytes the checksum covers: every field but 'checksum', as canonical JSON.

    Keys sorted, no whitespace, ASCII only (\\uXXXX escapes), integers as
    integers, floats in shortest round-trip form; docs/FORMAT.md spells it out.
    This is the specification's reference; reading and writing compute the
    same digest as a stream (_checksum).
    """
    body = {k: v for k, v in d.items() if k != "checksum"}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False).encode("ascii")


def _checksum(d, text=None):
    """"sha256:" and the digest of canonical_json(d), fed piece by piece (arrays in chunks)."""
    h = _sha256()
    h.update(b"{")
    for j, key in enumerate(sorted(k for k in d if k != "checksum")):
        h.update(f'{"," if j else ""}{json.dumps(key)}:'.encode("ascii"))
        for piece in _pieces(d[key], True, text):
            h.update(piece.encode("ascii"))
    h.update(b"}")
    return "sha256:" + h.hexdigest()


def _sha256():
    """hashlib.sha256(), preferably CPython's built-in one (hashlib loads OpenSSL: 3.6 MB of RSS)."""
    for module in ("_sha2", "_sha256"):  # Python >= 3.12, then 3.9-3.11
        try:
            return __import__(module).sha256()
        except (ImportError, AttributeError):
            continue
    import hashlib

    return hashlib.sha256()


def _dumps(value, compact):
    return json.dumps(value, separators=(",", ":") if compact else None, ensure_ascii=True,
                      allow_nan=False, sort_keys=True)


def _pieces(value, compact, text=None):
    """JSON text of one field's value in pieces of bounded size (compact: the canonical form)."""
    sep = "," if compact else ", "
    if isinstance(value, _Numbers):
        if value.has_int:  # "1" and "1.0" differ in the canonical form: take them from the text
            yield from value.pieces(text)
            return
        value = value.array()
    if isinstance(value, np.ndarray) and value.ndim == 2:
        per = max(1, _CHUNK_NUMBERS // max(value.shape[1], 1))
        yield "["
        for start in range(0, value.shape[0], per):
            if start:
                yield sep
            if value.shape[1] <= _CHUNK_NUMBERS:
                yield _dumps(value[start:start + per].tolist(), compact)[1:-1]
            else:
                yield from _pieces(value[start], compact)
        yield "]"
    elif (isinstance(value, list) or (isinstance(value, np.ndarray) and value.ndim == 1)) \
            and len(value) > _CHUNK_NUMBERS:
        yield "["
        for start in range(0, len(value), _CHUNK_NUMBERS):
            part = value[start:start + _CHUNK_NUMBERS]
            yield (sep if start else "") + _dumps(part if isinstance(part, list) else part.tolist(),
                                                  compact)[1:-1]
        yield "]"
    else:
        yield _dumps(value.tolist() if isinstance(value, np.ndarray) else value, compact)


# ---- writing ------------------------------------------------------------------------------------

def _file_fields(fields):
    """The file's fields in the file's order, with their checksum last."""
    from fastscore import __version__

    extra = {"post": None if fields.post is None else fields.post.data,
             "sparse": None if fields.sparse is None else fields.sparse.to_json()}
    if fields.front is not None:
        from fastscore.front import to_json

        extra.update(to_json(fields.front))
    version = max([1] + [SINCE[k] for k, v in extra.items() if v is not None])
    d = {"format": FORMAT, "format_version": version, "kind": fields.kind,
         "estimator": fields.estimator, "link": fields.link, "n_features": fields.n_features,
         "coef": fields.coef, "intercept": fields.intercept}
    if fields.classes is not None:
        d["classes"] = fields.classes.tolist()
    if fields.feature_names is not None:
        d["feature_names"] = fields.feature_names.tolist()
    if fields.center is not None:
        d["center"] = fields.center
    if fields.sklearn_version is not None:
        d["sklearn_version"] = fields.sklearn_version
    d.update((k, v) for k, v in extra.items() if v is not None)
    d["fastscore_version"] = __version__
    d["checksum"] = _checksum(d)
    return d


def _file_pieces(fields):
    """The file's text in pieces: one field per line, numbers in shortest round-trip form."""
    yield "{\n"
    for j, (key, value) in enumerate(_file_fields(fields).items()):
        yield (",\n" if j else "") + f"  {json.dumps(key)}: "
        yield from _pieces(value, False)
    yield "\n}\n"


def dumps(fields: Fields) -> str:
    """The model file's text for validated fields (see docs/FORMAT.md)."""
    return "".join(_file_pieces(fields))


def write(fields: Fields, path: Union[str, "os.PathLike[str]"]) -> None:
    """Write validated fields to `path` as a model file, atomically (a temporary file, then a rename)."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="ascii") as f:
        for piece in _file_pieces(fields):
            f.write(piece)

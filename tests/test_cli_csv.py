"""CSV input for `fastscore score`: fastscore parses the header row itself, as pyarrow would,
and pyarrow reads only the columns scored."""
import io

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastscore import tabular

TRICKY_HEADERS = [
    b"a,b\n1,2\n", b"\n\na,b\n1,2\n", b"\xef\xbb\xbfa,b\n1,2\n", b"a\rb\r", b'"x\ny",b\n1,2\n',
    b'a"b,"c"d,"e""f"\n1,2,3\n', b" a , b \n1,2\n", b"a,b\r\n1,2\r\n", b"a,\n1,2\n", b"a,b\n\n1,2\n",
    b'"a"  ,b\n1,2\n', b'"a"x"y,""\n1,2\n', b"\r\n\ra\r\n1\n", b",\n1,2\n", b'""\n1\n', b"\xc3\xa9,b\n1,2\n",
]


def arrow_reads(data):
    """(header names, rows as lists of strings) as pyarrow reads data by itself, or None if it refuses."""
    try:
        table = pacsv.read_csv(io.BytesIO(data), convert_options=pacsv.ConvertOptions(
            null_values=[], quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None
    return table.column_names, rows(table)


def rows(table):
    """A table's rows as lists of strings (by position: names may repeat)."""
    columns = [c.cast(pa.string()).to_pylist() for c in table.columns]
    return [list(r) for r in zip(*columns)]


def fastscore_reads(data):
    """The same, with fastscore's header parser and pyarrow told the names (as the reader does)."""
    parsed = tabular.header._parse_header(data, at_end=True)
    if parsed is None or isinstance(parsed, str) or parsed[0] is None:
        return None
    header = tabular.header._CSVHeader(*parsed)
    names = list(header)
    keys = [str(i) for i in range(len(names))]
    rest = data[header.end:]
    if not rest.strip(b"\r\n"):
        return names, []
    table = pacsv.read_csv(io.BytesIO(rest), read_options=pacsv.ReadOptions(column_names=keys),
                           convert_options=pacsv.ConvertOptions(column_types={k: pa.string() for k in keys},
                                                                null_values=[], quoted_strings_can_be_null=False))
    return names, rows(table)


@pytest.mark.parametrize("data", TRICKY_HEADERS)
def test_the_header_is_parsed_as_pyarrow_parses_it(data):
    expected = arrow_reads(data)
    assert expected is not None
    assert fastscore_reads(data) == expected


@given(st.lists(st.sampled_from(["a", "b", ",", '"', '""', "\n", "\r", "\r\n", " ", "é"]), max_size=12),
       st.integers(1, 3))
def test_any_header_is_parsed_as_pyarrow_parses_it(pieces, n_rows):
    header = "".join(pieces).encode()
    expected = arrow_reads(header + b"\n" + b"1\n" * n_rows)
    if expected is None:
        return  # pyarrow refuses it; fastscore may read more (a header with no line end)
    n = len(expected[0])
    data = header + b"\n" + (",".join(["1"] * n) + "\n").encode() * n_rows
    assert fastscore_reads(data) == arrow_reads(data)


def test_a_header_is_read_as_far_as_it_goes(tmp_path, monkeypatch):
    monkeypatch.setattr(tabular.formats, "CSV_BLOCK_BYTES", 16)  # headers longer than a first read
    names = [f"column_{i}" for i in range(50)]
    (tmp_path / "in.csv").write_text('"' + '","'.join(names) + '"\r\n' + ",".join(["1"] * 50) + "\n")
    with open(tmp_path / "in.csv", "rb") as f:
        header = tabular.header._csv_header(f, "in.csv")
    assert list(header) == names and len(header) == 50
    assert (tmp_path / "in.csv").read_bytes()[header.end:].startswith(b"1,1,")


@pytest.mark.parametrize("data, words", [
    (b"", "it is empty"), (b"\n\r\n", "it is empty"), (b'a,"b\n1,2\n', "a quote in its header row is never closed"),
    (b"a,\xff\n1,2\n", "its header row is not UTF-8 text"),
])
def test_bad_headers_are_refused(tmp_path, data, words):
    (tmp_path / "in.csv").write_bytes(data)
    with pytest.raises(tabular.InputError, match=f"in.csv: not a readable CSV file: {words}"):
        tabular.open_input(str(tmp_path / "in.csv"))


def test_only_the_scored_columns_are_converted(tmp_path):
    # Columns that are not scored may hold anything, even text: pyarrow never converts them.
    (tmp_path / "in.csv").write_text("a,b,c,d\n1,x,2,\n3,y,4,z\n")
    reader = tabular.open_input(str(tmp_path / "in.csv"))
    selected, names = tabular.select_columns(reader.columns, 2, ["c", "a"], path="in.csv")
    assert (selected, names) == ([2, 0], ["c", "a"])
    chunks = list(reader.chunks(selected, names, 10))
    assert len(chunks) == 1 and chunks[0][0] == 0
    assert chunks[0][1].tolist() == [[2.0, 1.0], [4.0, 3.0]]


def test_select_columns_takes_names_one_at_a_time():
    # It never needs the whole header as a list: a generator is enough.
    names = (f"c{i}" for i in range(100_000))
    assert tabular.select_columns(names, 2, ["c99999", "c3"]) == ([99999, 3], ["c99999", "c3"])
    assert tabular.select_columns(iter(["x", "y"]), 2) == ([0, 1], ["x", "y"])
    assert np.array_equal(tabular.select_columns(map(str, range(5)), 2, columns=["4", "0"], named=False)[0], [4, 0])


def test_a_row_longer_than_a_block_is_read(tmp_path):
    # A valid file: pyarrow, reading 1 MiB blocks, refused a row that straddles two block
    # boundaries. The reader retries with larger blocks and skips the rows it already gave.
    long_value = "0" * (3 << 20) + "1.5"
    rows = [f"{i},{i % 7}" for i in range(30_000)] + [f"2,{long_value}"] + [f"{i},-1" for i in range(30_000)]
    (tmp_path / "in.csv").write_text("a,b\n" + "\n".join(rows) + "\n")
    reader = tabular.open_input(str(tmp_path / "in.csv"))
    chunks = list(reader.chunks([0, 1], ["a", "b"], 5000))
    X = np.concatenate([X for _, X, _ in chunks])
    assert len(X) == 60_001 and max(len(c) for _, c, _ in chunks) <= 5000
    assert [start for start, _, _ in chunks] == np.cumsum([0] + [len(c) for _, c, _ in chunks[:-1]]).tolist()
    assert X[30_000].tolist() == [2.0, 1.5] and X[29_999].tolist() == [29_999, 29_999 % 7]
    assert X[30_001:, 0].tolist() == list(range(30_000)) and (X[30_001:, 1] == -1).all()


@pytest.mark.parametrize("header_too, words", [
    (False, "in.csv: a row after row 2 is longer than 0.0625 MiB, the longest row fastscore reads"),
    (True, "in.csv: its header row is longer than 0.0625 MiB, the longest row fastscore reads"),
])
def test_a_row_longer_than_the_longest_is_refused(tmp_path, monkeypatch, header_too, words):
    monkeypatch.setattr(tabular.formats, "CSV_BLOCK_BYTES", 1 << 12)
    monkeypatch.setattr(tabular.formats, "MAX_CSV_ROW_BYTES", 1 << 16)
    long = "9" * (1 << 17)
    header = f"a,{long}" if header_too else "a,b"
    (tmp_path / "in.csv").write_text(f"{header}\n1,2\n3,4\n5,{long}\n")
    with pytest.raises(tabular.InputError, match=words):
        reader = tabular.open_input(str(tmp_path / "in.csv"))
        list(reader.chunks([0, 1], ["a", "b"], 10))
    # Shorter than the longest: read, in blocks grown from 4 KiB.
    (tmp_path / "in.csv").write_text("a,b\n1,2\n3,4\n5," + "9" * 50_000 + "\n")
    reader = tabular.open_input(str(tmp_path / "in.csv"))
    X = np.concatenate([X for _, X, _ in reader.chunks([0, 1], ["a", "b"], 10)])
    assert X[:, 0].tolist() == [1, 3, 5] and X[2, 1] == float("9" * 50_000)

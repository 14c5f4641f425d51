"""`fastscore score` beyond plain files: TSV and gzip, stdin and stdout (`-`, with --format and
--output-format), identifier columns copied through (--keep), and the progress bar and summary.
Commands that read stdin or write stdout run as `python -m fastscore` in a subprocess."""
import gzip
import io
import os
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastscore import Classifier, cli, tabular
import helpers

# The formats fastscore reads and writes, by the extension that names each.
EXTENSION = {"csv": "csv", "csv.gz": "csv.gz", "tsv": "tsv", "tsv.gz": "tsv.gz", "parquet": "parquet", "npy": "npy"}


def run(*args, cwd, stdin=None, stdin_file=None):
    """`python -m fastscore *args` in a subprocess: stdin from bytes or from a file (by name)."""
    opened = open(os.path.join(cwd, stdin_file), "rb") if stdin_file else None
    try:
        return subprocess.run([sys.executable, "-m", "fastscore", *map(str, args)], input=stdin,
                              stdin=opened, capture_output=True, cwd=cwd, timeout=120)
    finally:
        if opened:
            opened.close()


def cli_main(tmp_path, monkeypatch, capsys, *args):
    """main() in-process, for the cases that need neither stdin nor stdout: (code, stderr)."""
    monkeypatch.chdir(tmp_path)
    code = cli.main([str(a) for a in args])
    return code, capsys.readouterr().err


def assert_refused(code, err, words, tmp_path, output=None):
    """One line on stderr with `words`, exit code 2, and no OUTPUT nor temporary file left."""
    text = err.decode() if isinstance(err, bytes) else err
    assert code == 2, (code, text)
    lines = text.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fastscore: error: "), text
    assert words in lines[0], lines[0]
    if output is not None:
        assert not (tmp_path / output).exists()
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".fastscore-")]


def to_bytes(table, fmt):
    """A pyarrow table as a file of format fmt, in bytes (.npy: its columns, as float64)."""
    if fmt == "npy":
        buffer = io.BytesIO()
        np.save(buffer, np.column_stack([c.to_numpy() for c in table.columns]))
        return buffer.getvalue()
    sink = pa.BufferOutputStream()
    if fmt == "parquet":
        pq.write_table(table, sink)
    else:
        pacsv.write_csv(table, sink, pacsv.WriteOptions(delimiter="\t" if fmt.startswith("tsv") else ","))
    data = sink.getvalue().to_pybytes()
    return gzip.compress(data) if fmt.endswith(".gz") else data


def from_bytes(data, fmt):
    """A written output as a pyarrow table (a .npy's columns are named 0, 1, ...)."""
    if fmt == "npy":
        a = np.load(io.BytesIO(data))
        return pa.table({str(j): a[:, j] for j in range(a.shape[1])})
    if fmt == "parquet":
        return pq.read_table(io.BytesIO(data))
    if fmt.endswith(".gz"):
        assert data[:2] == b"\x1f\x8b", "not gzip"
        data = gzip.decompress(data)
    return pacsv.read_csv(io.BytesIO(data), parse_options=pacsv.ParseOptions(
        delimiter="\t" if fmt.startswith("tsv") else ","), convert_options=pacsv.ConvertOptions(
        column_types={"id": pa.string()}))  # as written: 007 is not the number 7


@pytest.fixture
def named(tmp_path):
    """A model with feature names a, b, c; 40 rows for it with an identifier column; both saved."""
    model = Classifier(estimator="LogisticRegression", link="logistic", n_features=3, coef=[[1.0, -2.0, 0.5]],
                       intercept=[0.25], classes=["no", "yes"], feature_names=["a", "b", "c"])
    model.save(tmp_path / "model.json")
    rng = np.random.default_rng(11)
    X = rng.normal(size=(40, 3))
    table = pa.table({"id": [f"{i:03d}" for i in range(40)], "c": X[:, 2], "a": X[:, 0], "b": X[:, 1]})
    return model, X, table


def assert_scores(table, model, X):
    assert (np.asarray(table.column("prediction").to_pylist()) == model.predict(X)).all()
    assert table.column("proba_yes").to_numpy().tobytes() == model.score(X).tobytes()


# ---- TSV and gzip ----------------------------------------------------------------------------------

@pytest.mark.parametrize("out_fmt", ["csv", "csv.gz", "tsv", "tsv.gz", "parquet"])
@pytest.mark.parametrize("in_fmt", ["csv.gz", "tsv", "tsv.gz"])
def test_tsv_and_gzip_files_are_read_and_written(named, tmp_path, in_fmt, out_fmt):
    model, X, table = named
    (tmp_path / f"in.{in_fmt}").write_bytes(to_bytes(table, in_fmt))
    r = run("score", "model.json", f"in.{in_fmt}", "-o", f"out.{out_fmt}", "--keep", "id", "--chunk-size", 7,
            cwd=tmp_path)
    assert r.returncode == 0 and r.stderr == b"", r.stderr
    out = from_bytes((tmp_path / f"out.{out_fmt}").read_bytes(), out_fmt)
    assert out.column_names == ["id", "prediction", "proba_no", "proba_yes"]
    assert out.column("id").to_pylist() == table.column("id").to_pylist()
    assert_scores(out, model, X)


def test_tsv_and_gzip_output_is_what_it_says(named, tmp_path):
    model, X, table = named
    (tmp_path / "in.csv").write_bytes(to_bytes(table, "csv"))
    for out in ("out.tsv", "out.tsv.gz", "out.csv.gz", "again.csv.gz"):
        assert run("score", "model.json", "in.csv", "-o", out, cwd=tmp_path).returncode == 0
    text = (tmp_path / "out.tsv").read_text()
    assert text.splitlines()[0] == '"prediction"\t"proba_no"\t"proba_yes"' and "," not in text
    assert gzip.decompress((tmp_path / "out.tsv.gz").read_bytes()).decode() == text
    # No time and no (temporary) file name in the gzip header: the same scores, the same bytes.
    assert (tmp_path / "out.csv.gz").read_bytes() == (tmp_path / "again.csv.gz").read_bytes()
    assert (tmp_path / "out.csv.gz").read_bytes()[3] == 0  # FLG: no FNAME


def test_concatenated_gzip_members_are_one_file(named, tmp_path):
    # What `cat a.gz b.gz`, pigz and bgzip make: several members, read as one stream.
    model, X, table = named
    data = to_bytes(table, "csv")
    cut = data.index(b"\n", len(data) // 2) + 1
    (tmp_path / "in.csv.gz").write_bytes(gzip.compress(data[:cut]) + gzip.compress(data[cut:]))
    assert run("score", "model.json", "in.csv.gz", "-o", "out.parquet", cwd=tmp_path).returncode == 0
    assert_scores(pq.read_table(tmp_path / "out.parquet"), model, X)


def test_bad_gzip_is_refused_in_one_line(named, tmp_path, monkeypatch, capsys):
    model, X, table = named
    (tmp_path / "plain.csv.gz").write_bytes(to_bytes(table, "csv"))
    (tmp_path / "cut.csv.gz").write_bytes(gzip.compress(to_bytes(table, "csv") * 50)[:600])
    for name, words in (("plain.csv.gz", "plain.csv.gz: cannot read: "), ("cut.csv.gz", "cut.csv.gz: cannot read: ")):
        code, err = cli_main(tmp_path, monkeypatch, capsys, "score", "model.json", name, "-o", "out.csv")
        assert_refused(code, err, words, tmp_path, "out.csv")


def test_unknown_extensions_are_named(named, tmp_path, monkeypatch, capsys):
    (tmp_path / "in.npy.gz").write_bytes(b"")
    (tmp_path / "in.gz").write_bytes(b"")
    for name, words in (("in.npy.gz", "in.npy.gz: unknown file type '.npy.gz'"), ("in.gz", "in.gz: unknown file type '.gz'")):
        code, err = cli_main(tmp_path, monkeypatch, capsys, "score", "model.json", name, "-o", "out.csv")
        assert_refused(code, err, words, tmp_path, "out.csv")
    assert tabular.extension("x/Data.CSV.GZ") == ".csv.gz" and tabular.extension("a.b/c") == ""


def arrow_reads_tsv(data):
    try:
        table = pacsv.read_csv(io.BytesIO(data), parse_options=pacsv.ParseOptions(delimiter="\t"),
                               convert_options=pacsv.ConvertOptions(null_values=[], quoted_strings_can_be_null=False))
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None
    return table.column_names


@given(st.lists(st.sampled_from(["a", "b", "\t", ",", '"', '""', "\n", "\r", "\r\n", " ", "é"]), max_size=12))
def test_a_tsv_header_is_parsed_as_pyarrow_parses_it(pieces):
    header = "".join(pieces).encode()
    expected = arrow_reads_tsv(header + b"\n1\n")
    if expected is None:
        return  # pyarrow refuses it; fastscore may read more (a header with no line end)
    data = header + b"\n" + "\t".join(["1"] * len(expected)).encode() + b"\n"
    parsed = tabular.header._parse_header(data, True, b"\t")
    assert list(tabular.header._CSVHeader(*parsed, "\t")) == arrow_reads_tsv(data)


# ---- stdin and stdout ------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "csv.gz", "tsv", "tsv.gz", "npy"])
def test_stdin_to_stdout_in_each_format(named, tmp_path, fmt):
    model, X, table = named
    data = to_bytes(table if fmt != "npy" else table.select(["a", "b", "c"]), fmt)
    keep = ["--keep", "id"] if fmt != "npy" else []
    out_fmt = "csv" if fmt == "npy" else fmt
    r = run("score", "model.json", "-", "--format", fmt, "-o", "-", "--output-format", out_fmt, *keep,
            "--chunk-size", 9, cwd=tmp_path, stdin=data)
    assert r.returncode == 0 and r.stderr == b"", r.stderr
    out = from_bytes(r.stdout, out_fmt)
    assert_scores(out, model, X)
    assert os.listdir(tmp_path) == ["model.json"]  # no file named "-", no temporary


def test_stdout_takes_the_format_of_input_unless_told(named, tmp_path):
    model, X, table = named
    (tmp_path / "in.tsv").write_bytes(to_bytes(table, "tsv"))
    r = run("score", "model.json", "in.tsv", "-o", "-", cwd=tmp_path)
    assert r.returncode == 0 and b"\t" in r.stdout.splitlines()[0]
    assert_scores(from_bytes(r.stdout, "tsv"), model, X)
    r = run("score", "model.json", "in.tsv", "-o", "-", "--output-format", "parquet", cwd=tmp_path)
    assert r.returncode == 0
    assert_scores(from_bytes(r.stdout, "parquet"), model, X)


def test_stdin_is_the_same_as_the_file(named, tmp_path):
    model, X, table = named
    (tmp_path / "in.csv").write_bytes(to_bytes(table, "csv"))
    assert run("score", "model.json", "in.csv", "-o", "file.csv", "--keep", "id", cwd=tmp_path).returncode == 0
    piped = run("score", "model.json", "-", "--format", "csv", "-o", "-", "--keep", "id", cwd=tmp_path,
                stdin=(tmp_path / "in.csv").read_bytes())
    assert piped.returncode == 0 and piped.stdout == (tmp_path / "file.csv").read_bytes()


def test_stdin_is_read_in_blocks_of_whole_rows(tmp_path, monkeypatch):
    # 1 KiB blocks, \r\n line ends and a row of 5 KiB: every row once, in order, and the
    # bytes read counted for the progress bar.
    monkeypatch.setattr(tabular.formats, "CSV_BLOCK_BYTES", 1 << 10)
    n = 3000
    rows = [f"{i},{i % 7}.5,{'x' * 5000 if i == 1500 else 'note'},{-i}" for i in range(n)]
    data = ("a,b,note,c\r\n" + "\r\n".join(rows) + "\r\n").encode()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BufferedReader(io.BytesIO(data))))
    reader = tabular.open_input("-", "csv")
    selected, names = tabular.select_columns(reader.columns, 3, ["a", "b", "c"])
    chunks = list(reader.chunks(selected, names, 100, [2], ["note"]))
    assert max(len(X) for _, X, _ in chunks) <= 100 and len(chunks) > n // 100  # blocks end where rows do
    assert [start for start, _, _ in chunks] == np.cumsum([0] + [len(X) for _, X, _ in chunks[:-1]]).tolist()
    X = np.concatenate([X for _, X, _ in chunks])
    assert X.tolist() == [[i, i % 7 + 0.5, -i] for i in range(n)]
    notes = [v for _, _, (kept,) in chunks for v in kept.to_pylist()]
    assert notes[1500] == "x" * 5000 and notes[:2] == ["note", "note"] and len(notes) == n
    assert reader.progress_total is None  # not a regular file: no total
    assert reader.progress(n) == len(data)


def test_parquet_and_npy_on_stdin(named, tmp_path):
    model, X, table = named
    (tmp_path / "in.parquet").write_bytes(to_bytes(table, "parquet"))
    np.save(tmp_path / "in.npy", X)
    np.save(tmp_path / "fortran.npy", np.asfortranarray(X))
    # A redirected file can be read from its end, a pipe cannot.
    r = run("score", "model.json", "-", "--format", "parquet", "-o", "-", "--output-format", "csv", "--keep", "id",
            cwd=tmp_path, stdin_file="in.parquet")
    assert r.returncode == 0 and from_bytes(r.stdout, "csv").column("id").to_pylist() == table.column("id").to_pylist()
    r = run("score", "model.json", "-", "--format", "parquet", "-o", "out.csv", cwd=tmp_path,
            stdin=(tmp_path / "in.parquet").read_bytes())
    assert_refused(r.returncode, r.stderr, "<stdin>: a Parquet file is read from its end, which a pipe cannot do",
                   tmp_path, "out.csv")
    r = run("score", "model.json", "-", "--format", "npy", "-o", "-", "--output-format", "csv", "--columns", "0,1,2",
            cwd=tmp_path, stdin_file="fortran.npy")
    assert r.returncode == 0 and from_bytes(r.stdout, "csv").column("proba_yes").to_numpy().tobytes() == \
        model.score(X).tobytes()
    r = run("score", "model.json", "-", "--format", "npy", "-o", "out.csv", cwd=tmp_path,
            stdin=(tmp_path / "fortran.npy").read_bytes())
    assert_refused(r.returncode, r.stderr, "<stdin>: a Fortran-order .npy is read column by column", tmp_path, "out.csv")
    r = run("score", "model.json", "-", "--format", "npy", "-o", "-", cwd=tmp_path,
            stdin=(tmp_path / "in.npy").read_bytes()[:-16])
    assert_refused(r.returncode, r.stderr, "<stdin>: ended before the", tmp_path)


def test_npy_on_stdout_needs_the_row_count_first(named, tmp_path):
    model, X, table = named
    (tmp_path / "in.csv").write_bytes(to_bytes(table, "csv"))
    (tmp_path / "in.parquet").write_bytes(to_bytes(table, "parquet"))
    r = run("score", "model.json", "in.parquet", "-o", "-", "--output-format", "npy", cwd=tmp_path)
    assert r.returncode == 0 and np.load(io.BytesIO(r.stdout))[:, 2].tobytes() == model.score(X).tobytes()
    r = run("score", "model.json", "in.csv", "-o", "-", "--output-format", "npy", cwd=tmp_path)
    assert r.stdout == b""
    assert_refused(r.returncode, r.stderr, "<stdout>: a .npy OUTPUT on stdout needs the number of rows", tmp_path)


def test_errors_on_stdin_name_the_row_and_column(named, tmp_path):
    cases = [(b"a,b,c\n 1,2,3\n4,x y,6\n", "<stdin>: row 2, column 'b': 'x y' is not a number"),
             (b"a,b,c\n1,2,3\n4,,6\n", "<stdin>: row 2, column 'b': empty cell"),
             (b"a,b,c\n1,2,3\nnan,5,6\n", "<stdin>: row 2, column 'a': nan is not a finite number"),
             (b"a,b,c\n1,2,3\n4,5\n", "<stdin>: not a readable CSV file: CSV parse error: Expected 3 columns, got 2"),
             (b"a,b,c,id\n1,2,3,x\n1,2,3,\xff\n", "<stdin>: row 2, column 'id': not UTF-8 text"),
             (b"", "<stdin>: not a readable CSV file: it is empty"),
             (b"a,c\n1,2\n", "<stdin>: missing column(s) 'b' that the model needs")]
    for data, words in cases:
        r = run("score", "model.json", "-", "--format", "csv", "-o", "out.csv", "--keep", "id" if b"id" in data else "a",
                cwd=tmp_path, stdin=data)
        assert_refused(r.returncode, r.stderr, words, tmp_path, "out.csv")


def test_a_leading_space_does_not_hide_the_bad_cell(named, tmp_path, monkeypatch, capsys):
    # pyarrow trims spaces around a number; the search for the bad cell once did not, and named ' 1'.
    (tmp_path / "in.csv").write_text("a,b,c\n 1,2,3\n4,x y,6\n")
    code, err = cli_main(tmp_path, monkeypatch, capsys, "score", "model.json", "in.csv", "-o", "out.csv")
    assert_refused(code, err, "in.csv: row 2, column 'b': 'x y' is not a number", tmp_path, "out.csv")


def test_an_error_midway_on_stdout_leaves_it_visibly_cut_short(named, tmp_path):
    model, X, table = named
    Y = np.random.default_rng(12).normal(size=(30_000, 3))
    Y[25_000, 1] = np.nan
    np.save(tmp_path / "late.npy", Y)
    for fmt in ("csv", "csv.gz", "parquet", "npy"):
        r = run("score", "model.json", "late.npy", "-o", "-", "--output-format", fmt, "--chunk-size", 1000, cwd=tmp_path)
        assert_refused(r.returncode, r.stderr, "late.npy: row 25001, column '1': nan is not a finite number", tmp_path)
        if fmt == "csv":  # whole chunks were written, and only the exit code says the rest is missing
            assert r.stdout.count(b"\n") == 1 + 25_000
        elif fmt == "csv.gz":  # no gzip trailer
            with pytest.raises(EOFError):
                gzip.decompress(r.stdout)
        elif fmt == "parquet":  # no footer
            with pytest.raises(pa.ArrowInvalid):
                pq.read_table(io.BytesIO(r.stdout))
        else:  # fewer rows than its header says
            with pytest.raises(ValueError):
                np.load(io.BytesIO(r.stdout))
    assert sorted(os.listdir(tmp_path)) == ["late.npy", "model.json"]


def test_an_error_after_a_block_never_aborts_the_process(named, tmp_path):
    # pyarrow lets go of a block on one of its threads after read_csv returns: a block in
    # Python's memory then needed the GIL as the interpreter exited, and the process aborted
    # (SIGABRT, "terminate called without an active exception") about one run in twenty.
    data = b"a,b,c\n1,2,3\nnan,1,6\n"
    for _ in range(12):
        r = run("score", "model.json", "-", "--format", "csv", "-o", "-", cwd=tmp_path, stdin=data)
        assert r.returncode == 2 and r.stderr.count(b"\n") == 1, (r.returncode, r.stderr)


def test_a_reader_that_goes_away_stops_the_scoring_quietly(named, tmp_path):
    np.save(tmp_path / "in.npy", np.random.default_rng(13).normal(size=(200_000, 3)))
    proc = subprocess.Popen([sys.executable, "-m", "fastscore", "score", "model.json", "in.npy", "-o", "-",
                             "--output-format", "csv", "--chunk-size", "1000"], cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout.readline().startswith(b'"prediction"')
    proc.stdout.close()  # `| head -1`
    err = proc.stderr.read()
    assert proc.wait(timeout=120) == 1 and err == b""


@pytest.mark.parametrize("args, words", [
    (["-", "-o", "out.csv"], "--format is needed: <stdin> has no file name to tell its format"),
    (["in.csv", "-o", "out.csv", "--format", "xls"], "--format xls: unknown format: use csv, csv.gz, tsv, tsv.gz, parquet or npy"),
    (["in.csv", "-o", "out.csv", "--output-format", "json"], "--output-format json: unknown format"),
    (["in.csv", "-o", "out.csv", "--format", "tsv"], "--format tsv, but in.csv is named as csv"),
    (["in.csv", "-o", "out.parquet", "--output-format", "csv"], "--output-format csv, but out.parquet is named as parquet"),
    (["in.csv", "-o", "out.txt"], "out.txt: unknown file type '.txt': use .csv, .tsv, .csv.gz, .tsv.gz, .parquet (or .pq) "
                                  "or .npy, or name the format with --output-format"),
    (["in.dat", "-o", "out.csv"], "in.dat: unknown file type '.dat'"),
])
def test_format_options_are_checked_in_one_line(named, tmp_path, monkeypatch, capsys, args, words):
    model, X, table = named
    (tmp_path / "in.csv").write_bytes(to_bytes(table, "csv"))
    code, err = cli_main(tmp_path, monkeypatch, capsys, "score", "model.json", *args)
    assert_refused(code, err, words, tmp_path, "out.csv")


def test_a_name_without_an_extension_takes_the_format_given(named, tmp_path):
    model, X, table = named
    (tmp_path / "rows.dat").write_bytes(to_bytes(table, "tsv"))
    r = run("score", "model.json", "rows.dat", "--format", "tsv", "-o", "scores.txt", "--output-format", "csv.gz",
            cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert_scores(from_bytes((tmp_path / "scores.txt").read_bytes(), "csv.gz"), model, X)


def test_stdin_and_stdout_are_never_a_file_named_dash(named, tmp_path):
    # A file named "-" in the directory: neither read, nor written, nor taken for INPUT by
    # the check that OUTPUT is not INPUT (both "-", they were once the same file).
    model, X, table = named
    (tmp_path / "-").write_bytes(b"not rows")
    r = run("score", "model.json", "-", "--format", "csv", "-o", "-", cwd=tmp_path, stdin=to_bytes(table, "csv"))
    assert r.returncode == 0, r.stderr
    assert_scores(from_bytes(r.stdout, "csv"), model, X)
    assert (tmp_path / "-").read_bytes() == b"not rows"
    (tmp_path / "rows.csv").write_bytes(to_bytes(table, "csv"))
    assert run("score", "model.json", "rows.csv", "-o", "./-", "--output-format", "csv", cwd=tmp_path).returncode == 0
    assert_scores(from_bytes((tmp_path / "-").read_bytes(), "csv"), model, X)  # "./-" is the file


def test_stdin_or_stdout_redirected_to_an_input_is_refused(named, tmp_path):
    model, X, table = named
    (tmp_path / "in.csv").write_bytes(to_bytes(table, "csv"))
    before = (tmp_path / "in.csv").read_bytes()
    # `fastscore score model.json - -o in.csv < in.csv`: OUTPUT would replace the file being read.
    r = run("score", "model.json", "-", "--format", "csv", "-o", "in.csv", cwd=tmp_path, stdin_file="in.csv")
    assert_refused(r.returncode, r.stderr, "OUTPUT must not be INPUT: in.csv is <stdin>", tmp_path)
    # `fastscore score model.json in.csv -o - >> in.csv`: scores appended to the rows being read.
    for name in ("in.csv", "model.json"):
        with open(tmp_path / name, "ab") as f:
            r = subprocess.run([sys.executable, "-m", "fastscore", "score", "model.json", "in.csv", "-o", "-"],
                               stdout=f, stderr=subprocess.PIPE, cwd=tmp_path, timeout=120)
        words = f"OUTPUT must not be {'INPUT' if name == 'in.csv' else 'MODEL'}: <stdout> is {name}"
        assert_refused(r.returncode, r.stderr, words, tmp_path)
    assert (tmp_path / "in.csv").read_bytes() == before


def on_a_terminal(args, cwd, stdin_is_tty=False):
    """Run the command with stdout (or stdin) a pseudo-terminal: (exit code, stderr)."""
    pty = pytest.importorskip("pty")  # POSIX only
    master, slave = pty.openpty()
    try:
        r = subprocess.run([sys.executable, "-m", "fastscore", *args], cwd=cwd, timeout=120, stderr=subprocess.PIPE,
                           stdin=slave if stdin_is_tty else subprocess.DEVNULL,
                           stdout=subprocess.DEVNULL if stdin_is_tty else slave)
    finally:
        os.close(slave)
        os.close(master)
    return r.returncode, r.stderr


def test_binary_formats_are_not_written_to_or_read_from_a_terminal(named, tmp_path):
    model, X, table = named
    (tmp_path / "in.csv").write_bytes(to_bytes(table, "csv"))
    for fmt in ("parquet", "npy", "csv.gz"):
        code, err = on_a_terminal(["score", "model.json", "in.csv", "-o", "-", "--output-format", fmt], tmp_path)
        assert_refused(code, err, f"<stdout> is a terminal: fastscore writes no {fmt} there", tmp_path)
    code, err = on_a_terminal(["score", "model.json", "-", "--format", "npy", "-o", "out.csv"], tmp_path,
                              stdin_is_tty=True)
    assert_refused(code, err, "<stdin> is a terminal: pipe the npy data in", tmp_path, "out.csv")


# ---- --keep -----------------------------------------------------------------------------------------

def test_kept_csv_columns_are_their_text_before_the_scores(named, tmp_path):
    model, X, table = named
    (tmp_path / "in.csv").write_text("id,c,when,a,b,note\n" + "".join(
        f'{row["id"]},{row["c"]!r},2024-01-0{1 + i % 9},{row["a"]!r},{row["b"]!r},"x, ""y"""\n'
        for i, row in enumerate(table.to_pylist())))
    r = run("score", "model.json", "in.csv", "-o", "out.parquet", "--keep", "when", "--keep", "id", "--keep", "a",
            "--keep", "note", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = pq.read_table(tmp_path / "out.parquet")
    assert out.column_names == ["when", "id", "a", "note", "prediction", "proba_no", "proba_yes"]
    assert out.schema.field("id").type == pa.string() and out.schema.field("a").type == pa.string()
    assert out.column("id").to_pylist()[:3] == ["000", "001", "002"]  # as written: not the numbers 0, 1, 2
    assert out.column("a").to_pylist() == [repr(float(v)) for v in X[:, 0]]  # a scored column kept as its text
    assert out.column("note").to_pylist() == ['x, "y"'] * 40
    assert_scores(out, model, X)


def test_a_kept_scored_column_is_parsed_as_pyarrow_parses_numbers(named, tmp_path, monkeypatch, capsys):
    model, X, table = named
    values = [" 1.5", "+2", "1e-3", "-0", "\t7 ", "0001", "1.", ".5"]
    (tmp_path / "in.csv").write_text("a,b,c\n" + "".join(f'"{v}",1,2\n' for v in values))
    for keep in ([], ["--keep", "a"]):
        code, err = cli_main(tmp_path, monkeypatch, capsys, "score", "model.json", "in.csv", "-o", "out.csv",
                             "--keep", "b", *keep)
        assert code == 0, err
        scores = pacsv.read_csv(tmp_path / "out.csv").column("proba_yes").to_numpy()
        X = np.column_stack([[float(v) for v in values], np.ones(8), np.full(8, 2.0)])
        assert scores.tobytes() == model.score(X).tobytes()


def test_kept_parquet_columns_keep_their_type(named, tmp_path):
    import datetime

    model, X, table = named
    when = pa.array([datetime.datetime(2024, 1, 1, 12, i) for i in range(39)] + [None], pa.timestamp("us", "UTC"))
    extra = table.append_column("big", pa.array(np.arange(40, dtype=np.int64) + 2**62)) \
        .append_column("when", when).append_column("flag", pa.array([i % 2 == 0 for i in range(40)])) \
        .append_column("kind", pa.array(["x", "y"] * 20).dictionary_encode())
    pq.write_table(extra, tmp_path / "in.parquet", row_group_size=7)
    keep = ["big", "when", "flag", "kind", "id"]
    r = run("score", "model.json", "in.parquet", "-o", "out.parquet", *sum((["--keep", k] for k in keep), []),
            cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = pq.read_table(tmp_path / "out.parquet")
    for name in keep:
        assert out.schema.field(name).type == extra.schema.field(name).type, name
        assert out.column(name).to_pylist() == extra.column(name).to_pylist(), name
    assert_scores(out, model, X)
    assert run("score", "model.json", "in.parquet", "-o", "out.csv", "--keep", "when", "--keep", "big",
               cwd=tmp_path).returncode == 0
    lines = (tmp_path / "out.csv").read_text().splitlines()
    assert lines[1].startswith(f"2024-01-01 12:00:00.000000Z,{2**62},") and lines[40].startswith(f",{2**62 + 39},")


@pytest.mark.parametrize("layout", ["C", "F"])
def test_kept_npy_columns_by_position(tmp_path, layout):
    model = Classifier(estimator="LogisticRegression", link="logistic", n_features=2, coef=[[1.0, -1.0]],
                       intercept=[0.1], classes=[0, 1])
    model.save(tmp_path / "model.json")
    A = np.arange(60, dtype=">i4").reshape(20, 3) * 1001
    np.save(tmp_path / "in.npy", A if layout == "C" else np.asfortranarray(A))
    r = run("score", "model.json", "in.npy", "-o", "out.parquet", "--columns", "2,0", "--keep", "1", "--keep", "2",
            "--chunk-size", 6, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = pq.read_table(tmp_path / "out.parquet")
    assert out.column_names[:2] == ["1", "2"] and out.schema.field("1").type == pa.int32()
    assert out.column("1").to_pylist() == A[:, 1].tolist() and out.column("2").to_pylist() == A[:, 2].tolist()
    assert out.column("proba_1").to_numpy().tobytes() == model.score(A[:, [2, 0]]).tobytes()


@pytest.mark.parametrize("extra, words, source", [
    (["--keep", "nope", "--keep", "id", "--keep", "zz"], "in.csv: no column(s) 'nope', 'zz' to --keep", "csv"),
    (["--keep", "dup"], "in.csv: column(s) 'dup' appear more than once, so --keep cannot tell which to copy", "csv"),
    (["--keep", "id", "--keep", "id"], "--keep 'id' is given twice", "csv"),
    (["--keep", "prediction"], "--keep 'prediction': OUTPUT has a score column of that name", "csv"),
    (["--keep", "id", "-o", "out.npy"], "--keep needs a CSV, TSV or Parquet OUTPUT", "csv"),
    (["--keep", "3"], "in.npy: no column position(s) '3' to --keep (a .npy file's columns are kept by 0-based position)",
     "npy"),
    (["--keep", "tags"], "--keep 'tags': a column of type list<element: int64> cannot be written as text", "parquet"),
])
def test_keep_errors_are_one_line(named, tmp_path, monkeypatch, capsys, extra, words, source):
    model, X, table = named
    if source == "csv":
        (tmp_path / "in.csv").write_text("id,a,b,c,dup,dup\n" + "x,1,2,3,4,5\n")
    elif source == "npy":
        np.save(tmp_path / "in.npy", X)
    else:
        pq.write_table(table.append_column("tags", pa.array([[1, 2]] * 40)), tmp_path / "in.parquet")
    output = next((a for a in extra if a.startswith("out.")), "out.csv")
    args = [a for a in extra if a not in ("-o", output)]
    code, err = cli_main(tmp_path, monkeypatch, capsys, "score", "model.json", f"in.{source}", "-o", output, *args)
    assert_refused(code, err, words, tmp_path, output)


def test_first_failure_finds_the_first_bad_value():
    from fastscore.tabular import first_failure

    for n in (1, 2, 3, 17, 1000):
        for bad in {0, n // 3, n - 1}:
            col = pa.array(["1"] * n).to_pylist()
            col[bad] = "x"
            if bad + 1 < n:
                col[-1] = "y"  # a later failure too: the first is found
            found = first_failure(pa.array(col), lambda c: c.cast(pa.float64()), pa.ArrowInvalid)
            assert found == bad, (n, bad)


# ---- the progress bar and the summary ----------------------------------------------------------

def shown_on_a_terminal(args, cwd):
    """What the command draws on stderr when stderr is an 80 x 24 pseudo-terminal (it must succeed)."""
    code, shown = helpers.shown_on_a_terminal(args, cwd)
    assert code == 0
    return shown


def test_the_bar_has_a_total_and_a_summary_ends_it(named, tmp_path):
    from tqdm import tqdm

    model, X, table = named
    (tmp_path / "in.csv").write_bytes(to_bytes(table, "csv"))
    (tmp_path / "in.parquet").write_bytes(to_bytes(table, "parquet"))
    np.save(tmp_path / "in.npy", X)
    size = os.path.getsize(tmp_path / "in.csv")
    for source, total in (("in.csv", "/" + tqdm.format_sizeof(size, divisor=1024)), ("in.parquet", "/40.0"),
                          ("in.npy", "/40.0")):
        shown = shown_on_a_terminal(["score", "model.json", source, "-o", "out.parquet"], tmp_path)
        assert total in shown and ("B/s" in shown) == (source == "in.csv"), (source, shown)
        lines = [line for line in shown.replace("\r", "\n").splitlines() if line.startswith("fastscore:")]
        assert len(lines) == 1 and lines[0].startswith("fastscore: scored 40 rows in "), shown
        assert lines[0].endswith(" rows/s) into out.parquet"), lines
    assert shown_on_a_terminal(["score", "model.json", "in.csv", "-o", "out.parquet", "-q"], tmp_path) == ""


# The command, reporting on stdout when it starts reading INPUT's header.
READING = """
import sys
from fastscore import cli, tabular

header = tabular.readers._csv_header
def reporting_header(*args):
    print("reading", flush=True)
    return header(*args)
tabular.readers._csv_header = reporting_header
sys.exit(cli.main(sys.argv[1:]))
"""


@pytest.mark.skipif(not hasattr(__import__("signal"), "SIGHUP"), reason="POSIX signals")
def test_a_signal_while_waiting_for_stdin_stops_cleanly(named, tmp_path):
    # The producer has sent a header and some rows and is still running: the command waits on
    # stdin for the rest of its first block, and SIGTERM must still stop it, with one line, no
    # OUTPUT and no temporary.
    import signal

    proc = subprocess.Popen([sys.executable, "-c", READING, "score", "model.json", "-", "--format", "csv",
                             "-o", "out.csv", "--keep", "id"], cwd=tmp_path, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdin.write(b"id,a,b,c\n" + b"x,1,2,3\n" * 100)
    proc.stdin.flush()
    assert helpers.line_within(proc.stdout, 60) == b"reading\n"
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 128 + signal.SIGTERM, err
    assert err == b"fastscore: stopped by SIGTERM\n"
    assert sorted(os.listdir(tmp_path)) == ["model.json"]

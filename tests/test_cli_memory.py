"""`fastscore score` streams: scoring a 4-million-row file (.npy, Parquet, CSV) needs far less memory than the file.

Peak memory is the score process's maximum resident set size, read with getrusage in a small
parent process whose only child is the command (so that no other subprocess counts).
"""
import os
import subprocess
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from fastscore import Classifier

ROWS = 4_000_000
FEATURES = 8
MB = 1 << 20

_PEAK = ("import resource, subprocess, sys; r = subprocess.run(sys.argv[1:]); "
         "scale = 1 if sys.platform == 'darwin' else 1024; "  # ru_maxrss: bytes on macOS, KiB on Linux
         "print(r.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * scale)")


def peak_rss(*args, cwd, stdin=b""):
    """(exit code, peak RSS in bytes) of `python -m fastscore *args`, given `stdin` through a pipe."""
    r = subprocess.run([sys.executable, "-c", _PEAK, sys.executable, "-m", "fastscore", *map(str, args)],
                       input=stdin, capture_output=True, cwd=cwd, timeout=300)
    code, peak = r.stdout.split()[-2:]
    return int(code), int(peak)


def rss_beyond_small(small, big, out, cwd):
    """The peak RSS of scoring `big` beyond that of scoring `small` in bytes, and both peaks in MB.

    `small` is 1,000 rows of the same columns: the difference is what the file's size costs.
    """
    code, baseline = peak_rss("score", "model.json", small, "-o", "small-" + out, cwd=cwd)
    assert code == 0
    code, peak = peak_rss("score", "model.json", big, "-o", out, cwd=cwd)
    assert code == 0
    return peak - baseline, (peak / MB, baseline / MB)


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """A 4,000,000 x 8 float64 .npy file (256 MB), its model, and a small file of the same shape."""
    d = tmp_path_factory.mktemp("big")
    model = Classifier(estimator="LogisticRegression", link="logistic", n_features=FEATURES,
                       coef=[np.linspace(-1, 1, FEATURES)], intercept=[0.1], classes=[0, 1])
    model.save(d / "model.json")
    X = np.lib.format.open_memmap(d / "big.npy", mode="w+", dtype=np.float64, shape=(ROWS, FEATURES))
    step = 500_000
    for start in range(0, ROWS, step):
        X[start:start + step] = np.random.default_rng(start).standard_normal((step, FEATURES))
    X.flush()
    del X
    np.save(d / "small.npy", np.load(d / "big.npy", mmap_mode="r")[:1000])
    return d, model


def test_a_4_million_row_npy_is_scored_in_bounded_memory(big):
    d, model = big
    size = os.path.getsize(d / "big.npy")
    extra, mbs = rss_beyond_small("small.npy", "big.npy", "out.npy", cwd=d)
    # Chunks of 65536 rows are 4 MB in and 1.5 MB out; the input file is 256 MB, the output 96 MB.
    assert extra < 48 * MB, (mbs, size / MB)
    out = np.load(d / "out.npy", mmap_mode="r")
    assert out.shape == (ROWS, 3)
    X = np.load(d / "big.npy", mmap_mode="r")
    for start in (0, ROWS // 2, ROWS - 1000):  # spot checks: the right rows in the right places
        assert out[start:start + 1000, 2].tobytes() == model.score(X[start:start + 1000]).tobytes()


def test_a_4_million_row_parquet_is_scored_in_bounded_memory(big):
    d, model = big
    X = np.load(d / "big.npy", mmap_mode="r")
    schema = pa.schema([(f"x{j}", pa.float64()) for j in range(FEATURES)])
    step = 250_000
    with pq.ParquetWriter(d / "big.parquet", schema) as writer:
        for start in range(0, ROWS, step):
            writer.write_table(pa.table([X[start:start + step, j] for j in range(FEATURES)], schema=schema))
    pq.write_table(pa.table([X[:1000, j] for j in range(FEATURES)], schema=schema), d / "small.parquet")
    size = os.path.getsize(d / "big.parquet")
    extra, mbs = rss_beyond_small("small.parquet", "big.parquet", "out.csv", cwd=d)
    # pyarrow streams pages, but keeps buffers and an allocator cache of its own: about 80 MB
    # measured, the same for 4 or 12 million rows. Never the file (270 MB).
    assert extra < size / 2, (mbs, size / MB)
    with open(d / "out.csv") as f:
        assert sum(1 for _ in f) == ROWS + 1


def test_a_4_million_row_csv_is_scored_in_bounded_memory(tmp_path):
    import pyarrow.csv as pacsv

    names = ["a", "b", "c", "d"]
    model = Classifier(estimator="LogisticRegression", link="logistic", n_features=4, coef=[[0.5, -1.0, 0.25, 2.0]],
                       intercept=[0.1], classes=[0, 1])
    model.save(tmp_path / "model.json")
    rng = np.random.default_rng(1)
    with pacsv.CSVWriter(tmp_path / "big.csv", pa.schema([(n, pa.float64()) for n in names])) as writer:
        for start in range(0, ROWS, 500_000):
            writer.write_table(pa.table({n: rng.standard_normal(500_000) for n in names}))
    (tmp_path / "small.csv").write_text("a,b,c,d\n" + "0.5,-0.25,1,2\n" * 1000)
    size = os.path.getsize(tmp_path / "big.csv")
    extra, mbs = rss_beyond_small("small.csv", "big.csv", "out.npy", cwd=tmp_path)
    # pyarrow parses 1 MiB blocks on its own threads, a few ahead: 50 to 80 MB measured whatever
    # the file's size (here 300 MB), as for Parquet. Never the file.
    assert extra < size / 2, (mbs, size / MB)
    out = np.load(tmp_path / "out.npy", mmap_mode="r")
    assert out.shape == (ROWS, 3)
    first = next(iter(pacsv.open_csv(tmp_path / "big.csv")))  # a first block of some thousand rows
    X = np.column_stack([first.column(n).to_numpy() for n in names])
    assert len(X) >= 1000 and out[:len(X), 2].tobytes() == model.score(X).tobytes()


def test_a_gzipped_csv_on_stdin_is_scored_in_bounded_memory(tmp_path):
    # Read from a pipe, decompressed and parsed block by block: never the whole stream.
    import gzip

    import pyarrow.csv as pacsv

    rows, names = 2_000_000, ["a", "b", "c", "d"]
    model = Classifier(estimator="LogisticRegression", link="logistic", n_features=4, coef=[[0.5, -1.0, 0.25, 2.0]],
                       intercept=[0.1], classes=[0, 1])
    model.save(tmp_path / "model.json")
    rng = np.random.default_rng(3)
    with gzip.open(tmp_path / "big.csv.gz", "wb", compresslevel=1) as f, \
            pacsv.CSVWriter(f, pa.schema([(n, pa.float64()) for n in names])) as writer:
        for start in range(0, rows, 500_000):
            writer.write_table(pa.table({n: rng.standard_normal(500_000) for n in names}))
    with gzip.open(tmp_path / "small.csv.gz", "wt") as f:
        f.write("a,b,c,d\n" + "0.5,-0.25,1,2\n" * 1000)
    peaks = []
    for name in ("small.csv.gz", "big.csv.gz"):
        code, peak = peak_rss("score", "model.json", "-", "--format", "csv.gz", "-o", "out.npy", cwd=tmp_path,
                              stdin=(tmp_path / name).read_bytes())
        assert code == 0
        peaks.append(peak)
    # About 17 MB measured; the file is 150 MB as text, 75 MB gzipped.
    assert peaks[1] - peaks[0] < 48 * MB, [p / MB for p in peaks]
    assert np.load(tmp_path / "out.npy", mmap_mode="r").shape == (rows, 3)


def test_a_wide_csv_costs_the_columns_scored_not_the_header(tmp_path):
    # 100,000 columns in a 1.3 MB file, of which the model scores two: pyarrow, reading the
    # header itself, made a converter for every column (900 MB). Now the header is parsed
    # by fastscore and pyarrow converts the two columns scored.
    model = Classifier(estimator="LogisticRegression", link="logistic", n_features=2, coef=[[1.0, -1.0]],
                       intercept=[0.1], classes=[0, 1], feature_names=["c99998", "c7"])
    model.save(tmp_path / "model.json")
    n = 100_000
    rows = np.arange(3 * n, dtype=float).reshape(3, n) % 97
    with open(tmp_path / "wide.csv", "w") as f:
        f.write(",".join(f"c{i}" for i in range(n)) + "\n")
        for row in rows:
            f.write(",".join(f"{v:g}" for v in row) + "\n")
    (tmp_path / "small.csv").write_text("c7,c99998\n1,2\n")
    extra, mbs = rss_beyond_small("small.csv", "wide.csv", "out.npy", cwd=tmp_path)
    assert extra < 64 * MB, mbs
    out = np.load(tmp_path / "out.npy")
    assert out[:, 2].tobytes() == model.score(rows[:, [99998, 7]]).tobytes()


def test_a_many_class_model_is_scored_in_chunks_of_bounded_size(tmp_path):
    # 2,000 classes: a chunk of 65,536 rows would be 1 GB of probabilities (a 1.1 MB input
    # peaked at 3.1 GB). Chunks are sized by values of input and output, not by rows.
    classes, rows = 2000, 10_000
    rng = np.random.default_rng(2)
    model = Classifier(estimator="LogisticRegression", link="softmax", n_features=2,
                       coef=rng.normal(size=(classes, 2)), intercept=rng.normal(size=classes),
                       classes=np.arange(classes))
    model.save(tmp_path / "model.json")
    X = rng.normal(size=(rows, 2))
    np.save(tmp_path / "big.npy", X)
    np.save(tmp_path / "small.npy", X[:10])
    extra, mbs = rss_beyond_small("small.npy", "big.npy", "out.npy", cwd=tmp_path)
    # One chunk's probabilities here are 8 MB; the whole output is 160 MB.
    assert extra < 64 * MB, mbs
    out = np.load(tmp_path / "out.npy", mmap_mode="r")
    assert out.shape == (rows, classes + 1)
    for start in (0, rows // 2, rows - 100):
        assert out[start:start + 100, 1:].tobytes() == model.predict_proba(X[start:start + 100]).tobytes()
        assert (out[start:start + 100, 0] == model.predict(X[start:start + 100])).all()

"""The `fastscore` command end to end, in subprocesses: convert, info, score and bench agree with
scikit-learn, and every bad input or model file gets one line on stderr, exit code 2 and no output."""
import os
import pickle
import re
import subprocess
import sys

import joblib
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

import fastscore
from fastscore import Classifier, Regressor, cli
import helpers
from helpers import assert_close

FORMATS = ["csv", "parquet", "npy"]


def run(*args, cwd, env=None, module=True):
    """Run the command in a subprocess, from outside the checkout (so the installed package runs)."""
    prefix = [sys.executable, "-m", "fastscore"] if module else [
        sys.executable, "-c", "import sys; from fastscore.cli import main; sys.exit(main())"]
    return subprocess.run(prefix + [str(a) for a in args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=120)


def write_table(path, columns):
    """Write {name: 1-D array} as CSV, Parquet or (columns in order) .npy, by path's extension."""
    path = str(path)
    if path.endswith(".npy"):
        np.save(path, np.column_stack(list(columns.values())))
    elif path.endswith(".csv"):
        pacsv.write_csv(pa.table(columns), path)
    else:
        pq.write_table(pa.table(columns), path)


def read_table(path):
    """A written output as {name: numpy array} (a .npy's columns are named 0, 1, ...)."""
    path = str(path)
    if path.endswith(".npy"):
        a = np.load(path)
        return {str(j): a[:, j] for j in range(a.shape[1])}
    t = pacsv.read_csv(path) if path.endswith(".csv") else pq.read_table(path)
    return {name: t.column(name).to_numpy(zero_copy_only=False) for name in t.column_names}


@pytest.fixture(scope="module")
def multiclass(tmp_path_factory):
    """A 3-class LogisticRegression with string labels, saved with joblib and converted by the CLI."""
    d = tmp_path_factory.mktemp("multiclass")
    rng = np.random.default_rng(3)
    X = rng.normal(size=(500, 4)) * [1.0, 10.0, 0.1, 3.0]
    group = (X[:, 0] + X[:, 1] / 10 + rng.normal(size=500) > 0).astype(int) + (X[:, 3] > 1)
    y = np.array(["setosa", "versicolor", "virginica"])[group]
    est = LogisticRegression(max_iter=1000).fit(X, y)
    joblib.dump(est, d / "model.joblib")
    r = run("convert", "model.joblib", "-o", "model.json", cwd=d)
    assert r.returncode == 0, r.stderr
    assert "wrote model.json: LogisticRegression, 4 features, link softmax" in r.stdout
    return d, X, est


def test_convert_writes_a_model_equal_to_the_estimator(multiclass):
    d, X, est = multiclass
    model = fastscore.load(d / "model.json")
    assert model.coef_.tobytes() == est.coef_.tobytes()
    assert list(model.classes_) == list(est.classes_)


@pytest.mark.parametrize("out_fmt", FORMATS)
@pytest.mark.parametrize("in_fmt", FORMATS)
def test_score_agrees_with_sklearn(multiclass, tmp_path, in_fmt, out_fmt):
    d, X, est = multiclass
    write_table(tmp_path / f"in.{in_fmt}", {f"x{j}": X[:, j] for j in range(4)})
    r = run("score", d / "model.json", f"in.{in_fmt}", "-o", f"out.{out_fmt}", "--chunk-size", 128, cwd=tmp_path)
    assert r.returncode == 0 and r.stderr == "", r.stderr  # no progress bar: stderr is not a terminal
    out = read_table(tmp_path / f"out.{out_fmt}")
    if out_fmt == "npy":  # prediction as the class index, then the probabilities in class order
        assert len(out) == 4
        assert (est.classes_[out["0"].astype(int)] == est.predict(X)).all()
        proba = np.column_stack([out[str(j)] for j in range(1, 4)])
    else:
        assert list(out) == ["prediction", "proba_setosa", "proba_versicolor", "proba_virginica"]
        assert (out["prediction"].astype(str) == est.predict(X)).all()
        proba = np.column_stack([out[f"proba_{c}"] for c in est.classes_])
    assert_close(proba, est.predict_proba(X))
    assert sorted(os.listdir(tmp_path)) == sorted([f"in.{in_fmt}", f"out.{out_fmt}"])


def test_binary_with_int_labels(tmp_path):
    rng = np.random.default_rng(4)
    X = rng.normal(size=(300, 2))
    est = LogisticRegression().fit(X, (X[:, 0] - X[:, 1] > 0.3).astype(int) * 5 + 2)
    with open(tmp_path / "m.pkl", "wb") as f:
        pickle.dump(est, f)
    assert run("convert", "m.pkl", "-o", "m.json", "-q", cwd=tmp_path).stdout == ""
    write_table(tmp_path / "in.parquet", {"a": X[:, 0], "b": X[:, 1]})
    for out in ("out.parquet", "out.npy"):
        assert run("score", "m.json", "in.parquet", "-o", out, cwd=tmp_path).returncode == 0
        got = read_table(tmp_path / out)
        cols = list(got.values())
        assert (cols[0] == est.predict(X)).all()  # int labels are numbers in a .npy too
        assert_close(np.column_stack(cols[1:]), est.predict_proba(X))
    assert pq.read_table(tmp_path / "out.parquet").schema.field("prediction").type == pa.int64()


def test_regressors_single_and_multi_target(tmp_path):
    X = np.random.default_rng(5).normal(size=(200, 3))
    one = Regressor(estimator="Ridge", link="identity", n_features=3, coef=[1.5, -2.0, 0.25], intercept=0.5)
    two = Regressor(estimator="PoissonRegressor", link="exp", n_features=3, coef=[[0.1, 0.2, 0.3], [0.0, -0.1, 0.5]],
                    intercept=[0.1, -0.2], center=[1.0, 0.0, -1.0])
    one.save(tmp_path / "one.json")
    two.save(tmp_path / "two.json")
    np.save(tmp_path / "in.npy", X)
    assert run("score", "one.json", "in.npy", "-o", "one.csv", cwd=tmp_path).returncode == 0
    out = read_table(tmp_path / "one.csv")
    assert list(out) == ["prediction"]
    assert_close(out["prediction"], X @ [1.5, -2.0, 0.25] + 0.5)
    assert run("score", "two.json", "in.npy", "-o", "two.csv", cwd=tmp_path).returncode == 0
    out = read_table(tmp_path / "two.csv")
    assert list(out) == ["prediction_0", "prediction_1"]
    assert np.column_stack(list(out.values())).tobytes() == two.predict(X).tobytes()


def test_a_classifier_without_probabilities_writes_predictions_only(tmp_path):
    X = np.random.default_rng(8).normal(size=(100, 2))
    svc = Classifier(estimator="LinearSVC", link="identity", n_features=2, coef=[[1.0, -1.0], [0.5, 0.5], [-1.0, 0.0]],
                     intercept=[0.0, 0.1, -0.1], classes=["x", "y", "z"])
    svc.save(tmp_path / "svc.json")
    np.save(tmp_path / "in.npy", X)
    for out in ("out.csv", "out.npy"):
        assert run("score", "svc.json", "in.npy", "-o", out, "--threads", 2, cwd=tmp_path).returncode == 0
    assert list(read_table(tmp_path / "out.csv")) == ["prediction"]
    assert (read_table(tmp_path / "out.csv")["prediction"] == svc.predict(X)).all()
    assert (svc.classes_[np.load(tmp_path / "out.npy")[:, 0].astype(int)] == svc.predict(X)).all()


@pytest.fixture
def named(tmp_path):
    """A model fitted with feature names a, b, c (built directly: pandas is not a dependency)."""
    model = Classifier(estimator="LogisticRegression", link="logistic", n_features=3, coef=[[1.0, -2.0, 0.5]],
                       intercept=[0.25], classes=[False, True], feature_names=["a", "b", "c"])
    model.save(tmp_path / "named.json")
    X = np.random.default_rng(6).normal(size=(50, 3))
    return model, X


def test_columns_are_matched_by_name(named, tmp_path):
    model, X = named
    write_table(tmp_path / "in.csv", {"extra": np.ones(50), "c": X[:, 2], "a": X[:, 0], "b": X[:, 1]})
    r = run("score", "named.json", "in.csv", "-o", "out.csv", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = read_table(tmp_path / "out.csv")
    assert list(out) == ["prediction", "proba_False", "proba_True"]
    assert (out["prediction"] == model.predict(X)).all()
    assert_close(out["proba_True"], model.score(X))


def test_explicit_columns(named, tmp_path):
    model, X = named
    # A model without feature names takes --columns in its feature order.
    positional = Classifier(estimator="LogisticRegression", link="logistic", n_features=3, coef=model.coef_,
                            intercept=model.intercept_, classes=[False, True])
    positional.save(tmp_path / "positional.json")
    write_table(tmp_path / "in.csv", {"z": X[:, 2], "y": X[:, 1], "x": X[:, 0]})
    assert run("score", "positional.json", "in.csv", "-o", "out.npy", "--columns", "x,y,z",
               cwd=tmp_path).returncode == 0
    assert_close(np.load(tmp_path / "out.npy")[:, 2], model.score(X))
    # A .npy's columns are positions, named model or not.
    np.save(tmp_path / "in.npy", X[:, ::-1])
    assert run("score", "named.json", "in.npy", "-o", "out2.npy", "--columns", "2,1,0", cwd=tmp_path).returncode == 0
    assert_close(np.load(tmp_path / "out2.npy")[:, 2], model.score(X))


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_columns_given_in_another_order_are_still_matched_by_name(named, tmp_path, fmt):
    # The silent wrong answer of `--columns tenure,age,income` on a model fitted on age, income,
    # tenure: the names listed must be the model's, and each feature takes the column of its name.
    model, X = named
    write_table(tmp_path / f"in.{fmt}", {"c": X[:, 2], "a": X[:, 0], "b": X[:, 1], "extra": np.ones(50)})
    for order in ("c,a,b", "a,b,c", "b, c, a"):
        r = run("score", "named.json", f"in.{fmt}", "-o", "out.npy", "--columns", order, cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        assert np.load(tmp_path / "out.npy")[:, 2].tobytes() == model.score(X).tobytes()
        os.remove(tmp_path / "out.npy")


def test_columns_that_are_not_the_models_names_are_refused(named, tmp_path, monkeypatch, capsys):
    _, X = named
    write_table(tmp_path / "in.csv", {"x": X[:, 0], "a": X[:, 0], "b": X[:, 1], "c": X[:, 2]})
    cases = [
        ("x,b,c", "--columns must name exactly the model's features, in any order (it matches columns "
                  "by name): a, b, c; 'x' not among them; 'a' missing"),
        ("a,b", "'c' missing"),
        ("a,b,c,x", "'x' not among them"),
        ("a,b,b,c", "'b' repeated"),
        ("c,b,a,a", "'a' repeated"),
    ]
    for columns, words in cases:
        assert_refused(_cli(tmp_path, monkeypatch, capsys, "score", "named.json", "in.csv", "-o", "out.csv",
                            "--columns", columns), words, tmp_path)


def test_empty_input_gives_an_empty_output(named, tmp_path):
    (tmp_path / "in.csv").write_text("a,b,c\n")
    np.save(tmp_path / "in.npy", np.zeros((0, 3)))
    for src, dst in (("in.csv", "out.csv"), ("in.npy", "out.npy"), ("in.csv", "out.parquet")):
        assert run("score", "named.json", src, "-o", dst, cwd=tmp_path).returncode == 0
        assert all(len(v) == 0 for v in read_table(tmp_path / dst).values())
    assert (tmp_path / "out.csv").read_text().startswith('"prediction","proba_False","proba_True"')


def test_info_shows_what_the_file_holds(multiclass, named, tmp_path):
    d, X, est = multiclass
    r = run("info", d / "model.json", cwd=d)
    assert r.returncode == 0, r.stderr
    size = os.path.getsize(d / "model.json")
    for words in ("kind           classifier", "estimator      LogisticRegression", "link           softmax",
                  "n_features     4", "classes        3: 'setosa', 'versicolor', 'virginica'",
                  "feature names  none", f"scikit-learn   {__import__('sklearn').__version__}",
                  "written by     fastscore", f"({size} bytes)", "version 1"):
        assert words in r.stdout
    r = run("info", "named.json", cwd=tmp_path)
    assert "feature names  a, b, c" in r.stdout and "classes        2: False, True" in r.stdout


def test_the_console_script_entry_point_is_python_m(named, tmp_path):
    # pyproject's [project.scripts] points `fastscore` at fastscore.cli:main, as python -m does.
    by_module = run("info", "named.json", cwd=tmp_path)
    by_script = run("info", "named.json", cwd=tmp_path, module=False)
    assert by_module.returncode == by_script.returncode == 0 and by_module.stdout == by_script.stdout
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    pyproject = os.path.join(root, "pyproject.toml")
    if os.path.exists(pyproject):
        assert 'fastscore = "fastscore.cli:main"' in open(pyproject).read()
    # Installed (as .ci/run does), the console script itself sits beside this Python.
    script = os.path.join(os.path.dirname(sys.executable), "fastscore")
    if os.path.exists(script):
        r = subprocess.run([script, "info", "named.json"], capture_output=True, text=True, cwd=tmp_path,
                           timeout=120)
        assert r.returncode == 0 and r.stdout == by_module.stdout


def test_bench(named, tmp_path):
    r = run("bench", "named.json", "--rows", 2000, "--threads", 1, "--rounds", 1, cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "2000 rows" in r.stdout and re.search(r"score_one\(list of 3 floats\): +[\d,]+ rows/s", r.stdout)
    assert "us per row" in r.stdout and "predict_proba(1 x 3 array)" in r.stdout


def test_progress_bar_only_on_a_terminal_and_not_with_quiet(named, tmp_path):
    np.save(tmp_path / "in.npy", named[1])
    for quiet, expect_bar in (([], True), (["--quiet"], False)):
        code, shown = helpers.shown_on_a_terminal(["score", "named.json", "in.npy", "-o", "out.npy", *quiet], tmp_path)
        assert code == 0
        assert ("rows" in shown) == expect_bar, shown


def test_a_reader_that_goes_away_is_no_traceback(named, tmp_path):
    # `fastscore info model.json | head -1`: stdout's reader has gone before the output is written.
    read, write = os.pipe()
    os.close(read)
    try:
        r = subprocess.run([sys.executable, "-m", "fastscore", "info", "named.json"], stdout=write,
                           stderr=subprocess.PIPE, text=True, cwd=tmp_path, timeout=120)
    finally:
        os.close(write)
    assert r.stderr == "" and r.returncode == 1


def test_convert_help_warns_about_trust():
    text = " ".join(cli.CONVERT_HELP.split())
    assert "Only convert files you trust: unpickling a file runs whatever code" in text
    r = subprocess.run([sys.executable, "-m", "fastscore", "convert", "--help"], capture_output=True, text=True)
    assert "unpickling a file runs" in " ".join(r.stdout.split())


# ---- errors: one line, exit 2, no output ---------------------------------------------------------

def assert_refused(r, words, tmp_path, output="out.csv"):
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fastscore: error: "), r.stderr
    assert words in lines[0], lines[0]
    assert not (tmp_path / output).exists()
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".fastscore-")]


def test_convert_errors(tmp_path):
    est = DecisionTreeClassifier().fit([[0.0], [1.0]], [0, 1])
    joblib.dump(est, tmp_path / "tree.joblib")
    assert_refused(run("convert", "tree.joblib", "-o", "out.json", cwd=tmp_path),
                   "tree.joblib: fastscore cannot convert DecisionTreeClassifier", tmp_path, "out.json")
    (tmp_path / "junk.pkl").write_bytes(b"not a pickle at all")
    assert_refused(run("convert", "junk.pkl", "-o", "out.json", cwd=tmp_path), "junk.pkl: cannot unpickle",
                   tmp_path, "out.json")
    assert_refused(run("convert", "missing.pkl", "-o", "out.json", cwd=tmp_path), "missing.pkl: no such file",
                   tmp_path, "out.json")
    (tmp_path / "dir.pkl").mkdir()
    assert_refused(run("convert", "dir.pkl", "-o", "out.json", cwd=tmp_path), "dir.pkl: not a file",
                   tmp_path, "out.json")
    joblib.dump(fastscore_ready(), tmp_path / "ok.joblib")
    assert_refused(run("convert", "ok.joblib", "-o", "no-dir/out.json", cwd=tmp_path),
                   "no-dir/out.json: cannot write: No such file or directory", tmp_path, "no-dir/out.json")


def fastscore_ready():
    """A small fitted estimator that converts."""
    return LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1])


def _without(package, tmp_path):
    """An environment in which importing `package` fails, as if it were not installed."""
    blocker = tmp_path / "blocker" / package
    blocker.mkdir(parents=True)
    (blocker / "__init__.py").write_text(f"raise ImportError('No module named {package} (blocked by the test)')\n")
    return dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(tmp_path / "blocker")] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))


def test_convert_without_sklearn_says_how_to_install_it(tmp_path):
    r = run("convert", "any.joblib", "-o", "out.json", cwd=tmp_path, env=_without("sklearn", tmp_path))
    assert_refused(r, "fastscore convert needs scikit-learn: pip install 'fastscore[sklearn]'", tmp_path, "out.json")


def test_csv_without_pyarrow_says_how_to_install_it(named, tmp_path):
    np.save(tmp_path / "in.npy", named[1])
    env = _without("pyarrow", tmp_path)
    r = run("score", "named.json", "in.npy", "-o", "out.csv", cwd=tmp_path, env=env)
    assert_refused(r, "out.csv: CSV and Parquet files need pyarrow: pip install 'fastscore[cli]'", tmp_path)
    assert run("score", "named.json", "in.npy", "-o", "out.npy", cwd=tmp_path, env=env).returncode == 0


BAD_MODELS = [
    (b"", "the file is empty"),
    (pickle.dumps({"coef": [1.0]}), "the file is not JSON (it looks like a pickle"),
    (b'{"format": "fastscore-linear-model", "format_version": 99}', "the file needs model format version 99, but fastscore"),
    (b"[1, 2]", "the file holds a list of 2 values, not an object"),
]


@pytest.mark.parametrize("data, words", BAD_MODELS)
@pytest.mark.parametrize("command", ["info", "score", "bench"])
def test_bad_model_files(tmp_path, command, data, words):
    (tmp_path / "bad.json").write_bytes(data)
    np.save(tmp_path / "in.npy", np.zeros((3, 2)))
    extra = {"info": [], "bench": [], "score": ["in.npy", "-o", "out.csv"]}[command]
    assert_refused(run(command, "bad.json", *extra, cwd=tmp_path), f"bad.json: {words}", tmp_path)


def _cli(tmp_path, monkeypatch, capsys, *args):
    """main() in-process (faster than a subprocess) for the many bad-input cases."""
    monkeypatch.chdir(tmp_path)
    code = cli.main([str(a) for a in args])
    captured = capsys.readouterr()
    return subprocess.CompletedProcess(args, code, captured.out, captured.err)


def _bad_inputs(tmp_path):
    """(file name, writer, expected words) for inputs the named model (a, b, c) must refuse."""
    good = {"a": np.arange(5.0), "b": np.ones(5), "c": np.zeros(5)}
    return [
        ("missing.csv", None, "missing.csv: no such file"),
        ("in.txt", lambda p: p.write_text("a,b,c\n1,2,3\n"), "in.txt: unknown file type '.txt'"),
        ("dir.csv", lambda p: p.mkdir(), "dir.csv: not a file"),
        ("bad.csv", lambda p: p.write_text("a,b,c\n1,2,3\n4,x y,6\n"), "row 2, column 'b': 'x y' is not a number"),
        ("empty-cell.csv", lambda p: p.write_text("a,b,c\n1,2,3\n4,5,6\n7,8,\n"), "row 3, column 'c': empty cell"),
        ("nan.csv", lambda p: p.write_text("a,b,c\n1,2,3\nnan,5,6\n"), "row 2, column 'a': nan is not a finite number"),
        ("ragged.csv", lambda p: p.write_text("a,b,c\n1,2,3\n4,5\n"), "ragged.csv: not a readable CSV file"),
        ("missing-col.csv", lambda p: write_table(p, {"a": good["a"], "x": good["b"]}),
         "missing column(s) 'b', 'c' that the model needs"),
        ("dup.csv", lambda p: p.write_text("a,b,c,a\n1,2,3,4\n"), "column(s) 'a' appear more than once"),
        ("binary.csv", lambda p: p.write_bytes(b"a,b,c\n\xff\xfe,1,2\n"), "binary.csv:"),
        ("null.parquet", lambda p: pq.write_table(pa.table({"a": [1.0, None], "b": [1.0, 2.0], "c": [0.0, 0.0]}), p),
         "row 2, column 'a': empty cell"),
        ("text.parquet", lambda p: pq.write_table(pa.table({"a": ["1"], "b": [1.0], "c": [0.0]}), p),
         "column 'a' has type string; fastscore scores numbers"),
        ("corrupt.parquet", lambda p: p.write_bytes(b"PAR1 but not really"), "not a readable Parquet file"),
        ("corrupt.npy", lambda p: p.write_bytes(b"\x93NUMPY garbage"), "not a readable .npy file"),
        ("flat.npy", lambda p: np.save(p, np.zeros(3)), "holds a 1-D array"),
        ("objects.npy", lambda p: np.save(p, np.array([[{}]], dtype=object)), "not a readable .npy file"),
        ("text.npy", lambda p: np.save(p, np.array([["a", "b", "c"]])), "holds dtype <U1"),
        ("wide.npy", lambda p: np.save(p, np.zeros((2, 4))), "has 4 column(s), but the model expects 3"),
        ("inf.npy", lambda p: np.save(p, np.array([[0.0, 1, 2], [3, np.inf, 5]])),
         "row 2, column '1': inf is not a finite number"),
    ]


def test_bad_inputs_are_refused_in_one_line(named, tmp_path, monkeypatch, capsys):
    for name, write, words in _bad_inputs(tmp_path):
        if write is not None:
            write(tmp_path / name)
        r = _cli(tmp_path, monkeypatch, capsys, "score", "named.json", name, "-o", "out.csv")
        assert_refused(r, words, tmp_path)


@pytest.mark.skipif(not os.path.exists("/proc/self/mem"), reason="needs Linux's /proc/self/mem")
def test_a_file_that_fails_to_read_is_refused_in_one_line(named, tmp_path, monkeypatch, capsys):
    # /proc/self/mem is a regular file whose first page cannot be read (EIO): a real read error.
    for name in ("mem.csv", "mem.parquet", "mem.npy"):
        os.symlink("/proc/self/mem", tmp_path / name)
        assert_refused(_cli(tmp_path, monkeypatch, capsys, "score", "named.json", name, "-o", "out.csv"),
                       f"{name}: ", tmp_path)


def test_bad_options_and_outputs(named, tmp_path, monkeypatch, capsys):
    np.save(tmp_path / "in.npy", named[1])
    cases = [
        (["-o", "out.txt"], "out.txt: unknown file type", "out.txt"),
        (["-o", "no-dir/out.csv"], "no-dir/out.csv: cannot write", "no-dir/out.csv"),
        (["-o", "in.npy"], "OUTPUT must not be INPUT", "out.csv"),
        (["-o", "out.csv", "--columns", "0,1"], "--columns lists 2 column(s), but the model has 3", "out.csv"),
        (["-o", "out.csv", "--columns", "0,1,7"], "missing column position(s) '7'", "out.csv"),
        (["-o", "out.csv", "--chunk-size", "0"], "--chunk-size must be at least 1", "out.csv"),
        (["-o", "out.csv", "--threads", "0"], "--threads must be at least 1", "out.csv"),
    ]
    for extra, words, output in cases:
        assert_refused(_cli(tmp_path, monkeypatch, capsys, "score", "named.json", "in.npy", *extra), words,
                       tmp_path, output)


def test_a_failure_midway_leaves_the_old_output_untouched(named, tmp_path):
    X = np.random.default_rng(7).normal(size=(20000, 3))
    X[15000, 1] = np.nan
    np.save(tmp_path / "in.npy", X)
    (tmp_path / "out.parquet").write_text("old results")
    r = run("score", "named.json", "in.npy", "-o", "out.parquet", "--chunk-size", 1000, cwd=tmp_path)
    assert r.returncode == 2 and "row 15001, column '1': nan is not a finite number" in r.stderr
    assert "Traceback" not in r.stderr
    assert (tmp_path / "out.parquet").read_text() == "old results"
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".fastscore-")]


def test_subprocess_errors_have_no_traceback(named, tmp_path):
    (tmp_path / "in.csv").write_text("a,b,c\n1,2,3\n4,oops,6\n")
    assert_refused(run("score", "named.json", "in.csv", "-o", "out.csv", cwd=tmp_path),
                   "in.csv: row 2, column 'b': 'oops' is not a number", tmp_path)
    assert_refused(run("score", "named.json", "in.xlsx", "-o", "out.csv", cwd=tmp_path),
                   "in.xlsx: unknown file type '.xlsx'", tmp_path)
    r = run("score", "named.json", cwd=tmp_path)  # argparse's own usage errors: exit 2 too
    assert r.returncode == 2 and "fastscore score: error:" in r.stderr


def test_npy_scoring_info_and_bench_import_numpy_only(named, tmp_path):
    np.save(tmp_path / "in.npy", named[1])
    code = ("import sys; from fastscore import cli\n"
            "for argv in (['score', 'named.json', 'in.npy', '-o', 'out.npy'], ['info', 'named.json'],\n"
            "             ['bench', 'named.json', '--rows', '100', '--rounds', '1']):\n"
            "    assert cli.main(argv) == 0\n"
            "print(sorted(n for n in ('sklearn', 'scipy', 'pandas', 'pyarrow', 'joblib', 'tqdm') if n in sys.modules),"
            " file=sys.stderr)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert r.returncode == 0 and r.stderr.strip() == "[]", r.stderr


def test_output_is_never_an_input_under_another_name(named, tmp_path):
    # The same file through a symlinked directory, a symlink, a hard link or "./": refused,
    # and the input is left as it was.
    (tmp_path / "real").mkdir()
    os.symlink("real", tmp_path / "link")
    np.save(tmp_path / "real" / "in.npy", named[1])
    os.link(tmp_path / "real" / "in.npy", tmp_path / "hard.npy")
    os.symlink("real/in.npy", tmp_path / "sym.npy")
    before = (tmp_path / "real" / "in.npy").read_bytes()
    for output in ("link/in.npy", "hard.npy", "sym.npy", "./real/in.npy", "real/../real/in.npy"):
        r = run("score", "named.json", "real/in.npy", "-o", output, cwd=tmp_path)
        assert r.returncode == 2 and r.stderr == f"fastscore: error: OUTPUT must not be INPUT: {output} is real/in.npy\n"
        assert (tmp_path / "real" / "in.npy").read_bytes() == before
    # The model file is an input too, for score and for convert.
    (tmp_path / "model.npy").write_bytes((tmp_path / "named.json").read_bytes())
    r = run("score", "model.npy", "real/in.npy", "-o", "model.npy", cwd=tmp_path)
    assert r.returncode == 2 and "OUTPUT must not be MODEL: model.npy is model.npy" in r.stderr
    joblib.dump(fastscore_ready(), tmp_path / "est.joblib")
    os.symlink("est.joblib", tmp_path / "est.json")
    pickled = (tmp_path / "est.joblib").read_bytes()
    r = run("convert", "est.joblib", "-o", "est.json", cwd=tmp_path)
    assert r.returncode == 2 and "OUTPUT must not be MODEL: est.json is est.joblib" in r.stderr
    assert (tmp_path / "est.joblib").read_bytes() == pickled
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".fastscore-")]


@pytest.mark.parametrize("layout", ["C", "F", "big-endian", "int8", "bool", "float32"])
def test_npy_inputs_of_any_layout_and_dtype(named, tmp_path, monkeypatch, capsys, layout):
    model, _ = named
    X = np.random.default_rng(9).normal(size=(250, 5)) * 3
    X = {"C": X, "F": np.asfortranarray(X), "big-endian": X.astype(">f8"), "int8": X.astype(np.int8),
         "bool": X > 0, "float32": X.astype(np.float32)}[layout]
    np.save(tmp_path / "in.npy", X)
    assert np.load(tmp_path / "in.npy").flags.f_contiguous == (layout == "F")
    r = _cli(tmp_path, monkeypatch, capsys, "score", "named.json", "in.npy", "-o", "out.npy",
             "--columns", "4,0,2", "--chunk-size", 64)
    assert r.returncode == 0, r.stderr
    assert np.load(tmp_path / "out.npy")[:, 2].tobytes() == model.score(X[:, [4, 0, 2]]).tobytes()


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_chunk_size_beyond_memory_is_refused_in_one_line(named, tmp_path, monkeypatch, capsys, fmt):
    model, X = named
    write_table(tmp_path / f"in.{fmt}", {"a": X[:, 0], "b": X[:, 1], "c": X[:, 2]})
    for size in (10**20, 2**63, 2**40):  # Parquet's batch size overflowed a C int64 at 10**20
        r = _cli(tmp_path, monkeypatch, capsys, "score", "named.json", f"in.{fmt}", "-o", "out.csv",
                 "--chunk-size", size)
        assert_refused(r, f"--chunk-size {size}: a chunk of 6 values a row would need", tmp_path)
        assert "GiB of memory" in r.stderr
    r = _cli(tmp_path, monkeypatch, capsys, "score", "named.json", f"in.{fmt}", "-o", "out.csv",
             "--chunk-size", 10**6)  # more rows than the file has, but a chunk that fits: fine
    assert r.returncode == 0 and (read_table(tmp_path / "out.csv")["proba_True"] == model.score(X)).all()


def test_version():
    r = subprocess.run([sys.executable, "-m", "fastscore", "--version"], capture_output=True, text=True, timeout=120)
    assert (r.returncode, r.stdout, r.stderr) == (0, f"fastscore {fastscore.__version__}\n", "")
    assert re.fullmatch(r"\d+\.\d+\.\d+\S*", fastscore.__version__)

"""Inputs and options that once escaped as tracebacks: now one line naming the problem
(`fastscore: error: ...`, exit code 2, for the command; one exception for the library)."""
import numpy as np
import pytest

from fastscore import Classifier, Regressor, cli


def run(tmp_path, monkeypatch, capsys, *args):
    """main() in-process: (exit code, stdout, stderr)."""
    monkeypatch.chdir(tmp_path)
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def positional(tmp_path):
    """A model without feature names (columns matched by position), and a .npy input for it."""
    model = Classifier(estimator="LogisticRegression", link="logistic", n_features=2, coef=[[1.0, -1.0]],
                       intercept=[0.1], classes=[0, 1])
    model.save(tmp_path / "model.json")
    np.save(tmp_path / "in.npy", np.ones((5, 2)))
    return model


@pytest.mark.parametrize("command", [["score", "model.json", "in.npy", "-o", "out.npy"], ["bench", "model.json"]])
def test_threads_beyond_a_c_int_are_refused(positional, tmp_path, monkeypatch, capsys, command):
    code, out, err = run(tmp_path, monkeypatch, capsys, *command, "--threads", 3_000_000_000)
    assert (code, out) == (2, "")
    assert err == "fastscore: error: --threads must be at most 2147483647, got 3000000000\n"
    assert not (tmp_path / "out.npy").exists()


def test_duplicate_header_names_do_not_matter_when_columns_match_by_position(positional, tmp_path, monkeypatch,
                                                                             capsys):
    (tmp_path / "in.csv").write_text("a,a\n1,2\n3,-1\n")
    code, out, err = run(tmp_path, monkeypatch, capsys, "score", "model.json", "in.csv", "-o", "out.npy")
    assert (code, err) == (0, "")
    assert np.load(tmp_path / "out.npy")[:, 2].tolist() == positional.score(np.array([[1.0, 2], [3, -1]])).tolist()


def test_an_integer_too_long_to_print_is_named(backend):
    model = Regressor(estimator="Ridge", link="identity", n_features=2, coef=[1.0, 1.0], intercept=0.0)
    huge = 10**5000  # more than the 4,300 digits int() and repr() will convert: repr(huge) raises
    with pytest.raises(TypeError, match=r"^X\[0, 1\] is not a number: an integer too large for float64 \(16610 bits\)$"):
        model.score([[1.0, huge]])
    with pytest.raises(TypeError, match=r"^row\[0\] is not a number: an integer too large for float64"):
        model.score_one([huge, 1.0])


@pytest.mark.skipif(np.finfo(np.longdouble).max <= np.finfo(np.float64).max,
                    reason="longdouble is float64 on this platform: no value of it is too large")
def test_a_finite_longdouble_too_large_for_float64_is_named(backend):
    model = Regressor(estimator="Ridge", link="identity", n_features=2, coef=[1.0, 1.0], intercept=0.0)
    X = np.array([[1.0, 2.0], [3.0, np.longdouble("-1e4000")]], dtype=np.longdouble)
    with pytest.raises(ValueError, match=r"^X\[1, 1\] is too large for float64: -1e\+4000$"):
        model.score(X)
    with pytest.raises(ValueError, match=r"^row\[1\] is too large for float64: -1e\+4000$"):
        model.score_one(X[1])
    assert model.score(X[:1]).tolist() == [3.0]  # in range: scored as float64
    X[1, 1] = np.inf  # a true infinity is still reported as one
    with pytest.raises(ValueError, match="NaN or infinity"):
        model.score(X)

"""What fastscore writes to files and terminals: files get the permissions an ordinary write
would give them, and what a file holds is printed, never obeyed by the terminal."""
import json
import os
import stat
import subprocess
import sys

import joblib
import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import fastscore
from fastscore import Classifier, _files

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits and umask")


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def small_model(**kwargs):
    return Classifier(estimator="LogisticRegression", link="logistic", n_features=2, coef=[[1.0, -1.0]],
                      intercept=[0.1], classes=[0, 1], **kwargs)


def run(*args, cwd, umask):
    return subprocess.run([sys.executable, "-m", "fastscore", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=120, preexec_fn=lambda: os.umask(umask))


@pytest.mark.parametrize("umask, expected", [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600), (0o002, 0o664)])
def test_new_files_follow_the_umask(tmp_path, umask, expected):
    # save(), convert and score once created every file 0600, whatever the umask: a model
    # written by one user could not be read by the service that loads it.
    previous = os.umask(umask)
    try:
        small_model().save(tmp_path / "saved.json")
    finally:
        os.umask(previous)
    assert mode(tmp_path / "saved.json") == expected
    joblib.dump(LogisticRegression().fit([[0.0], [1.0], [2.0], [3.0]], [0, 0, 1, 1]), tmp_path / "est.joblib")
    assert run("convert", "est.joblib", "-o", "converted.json", "-q", cwd=tmp_path, umask=umask).returncode == 0
    assert mode(tmp_path / "converted.json") == expected
    np.save(tmp_path / "in.npy", np.ones((3, 2)))
    for out in ("out.npy", "out.csv", "out.parquet"):
        r = run("score", "saved.json", "in.npy", "-o", out, cwd=tmp_path, umask=umask)
        assert r.returncode == 0, r.stderr
        assert mode(tmp_path / out) == expected, out


@pytest.mark.parametrize("existing", [0o644, 0o600, 0o640, 0o755])
def test_a_replaced_file_keeps_its_mode(tmp_path, existing):
    # ... and replacing an existing 0644 model turned it into 0600.
    for name in ("model.json", "out.csv"):
        (tmp_path / name).write_text("old")
        os.chmod(tmp_path / name, existing)
    previous = os.umask(0o077)  # whatever the umask: the file's own mode wins
    try:
        small_model().save(tmp_path / "model.json")
    finally:
        os.umask(previous)
    assert mode(tmp_path / "model.json") == existing
    assert fastscore.load(tmp_path / "model.json").coef_.tolist() == [[1.0, -1.0]]
    np.save(tmp_path / "in.npy", np.ones((3, 2)))
    assert run("score", "model.json", "in.npy", "-o", "out.csv", cwd=tmp_path, umask=0o077).returncode == 0
    assert mode(tmp_path / "out.csv") == existing
    assert sorted(os.listdir(tmp_path)) == ["in.npy", "model.json", "out.csv"]


def test_the_temporary_is_removed_when_the_body_fails(tmp_path):
    with pytest.raises(KeyboardInterrupt):
        with _files.atomic_path(tmp_path / "out.bin") as tmp:
            assert os.path.dirname(tmp) == str(tmp_path) and os.path.basename(tmp).startswith(".fastscore-")
            raise KeyboardInterrupt
    assert os.listdir(tmp_path) == []


# Control sequences a crafted model file could carry: clear the screen, set the window title,
# move the cursor back over a line, ring the bell, a C1 CSI, a right-to-left override, a line
# separator and DEL. A JSON string may hold any of them.
HOSTILE = ["\x1b[2J\x1b[H", "\x1b]0;owned\x07", "a\rchecksum      sha256:0000", "\x9b31m", "\u202eevil",
           "line\u2028checksum      sha256:1111", "par\u2029x", "del\x7f", "nl\nchecksum      sha256:2222"]


def test_info_escapes_what_a_file_holds(tmp_path):
    model = Classifier(estimator="Logistic\x1b[2JRegression", link="softmax", n_features=len(HOSTILE),
                       coef=np.ones((3, len(HOSTILE))), intercept=[0.0, 0.0, 0.0], classes=["x\x1b[31m", "y", "z"],
                       feature_names=HOSTILE, sklearn_version="1.5\x1b]0;title\x07")
    model.save(tmp_path / "evil.json")
    assert json.loads((tmp_path / "evil.json").read_text())["feature_names"] == HOSTILE  # a valid file
    r = run("info", "evil.json", "--all", cwd=tmp_path, umask=0o022)
    assert r.returncode == 0, r.stderr
    assert r.stdout.isascii()
    assert all(c.isprintable() for line in r.stdout.splitlines() for c in line)
    lines = r.stdout.splitlines()
    assert [line.split()[0] for line in lines if line.startswith("checksum")] == ["checksum"]  # no forged one
    assert len(lines) == 13
    assert r"estimator      Logistic\x1b[2JRegression" in lines
    assert r"scikit-learn   1.5\x1b]0;title\x07" in lines
    assert (r"feature names  \x1b[2J\x1b[H, \x1b]0;owned\x07, a\x0dchecksum      sha256:0000, \x9b31m, "
            r"\u202eevil, line\u2028checksum      sha256:1111, par\u2029x, del\x7f, "
            r"nl\x0achecksum      sha256:2222") in lines
    assert r"classes        3: 'x\x1b[31m', 'y', 'z'" in lines


def test_errors_escape_what_a_file_holds(tmp_path):
    # pyarrow's own messages quote a bad row as it is: a ragged row can carry escapes too.
    small_model().save(tmp_path / "model.json")
    (tmp_path / "in.csv").write_text("a,b\n1,2\n3,\x1b]0;owned\x07,\x1b[2J\n")
    r = run("score", "model.json", "in.csv", "-o", "out.csv", cwd=tmp_path, umask=0o022)
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    assert "\x1b" not in r.stderr and "\x07" not in r.stderr and r"\x1b]0;owned\x07" in r.stderr

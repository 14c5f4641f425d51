"""`fastscore score` stopped from outside: by a signal, or by its input shrinking under it.
Either way it exits with one line on stderr and leaves neither OUTPUT nor a temporary file."""
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from fastscore import Classifier

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="POSIX signals")

# The command, with the output writer made to stop midway: it reports each chunk written on
# stdout, then `pause` runs (a wait for a signal, or a truncation of the input).
SCRIPT = """
import os, sys, time
from fastscore import cli, tabular

write = tabular.writers._NpyWriter.write
def stopping_write(self, arrays):
    write(self, arrays)
    print("wrote", flush=True)
    {pause}
tabular.writers._NpyWriter.write = stopping_write
sys.exit(cli.main(sys.argv[1:]))
"""


@pytest.fixture
def workdir(tmp_path):
    model = Classifier(estimator="LogisticRegression", link="logistic", n_features=3, coef=[[1.0, -2.0, 0.5]],
                       intercept=[0.25], classes=[0, 1])
    model.save(tmp_path / "model.json")
    np.save(tmp_path / "in.npy", np.random.default_rng(0).normal(size=(1000, 3)))
    return tmp_path


def start(cwd, pause, preexec_fn=None):
    return subprocess.Popen(
        [sys.executable, "-c", SCRIPT.format(pause=pause), "score", "model.json", "in.npy", "-o", "out.npy",
         "--chunk-size", "100"],
        cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=preexec_fn)


def assert_stopped_cleanly(proc, code, message, cwd):
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == code, (proc.returncode, err)
    assert err == message, err
    assert sorted(os.listdir(cwd)) == ["in.npy", "model.json"]  # no OUTPUT, no temporary


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_a_signal_removes_the_temporary_output(workdir, signum):
    # The command starts with the signal's default disposition, whatever this process inherited
    # (under nohup, SIGHUP is ignored, and an ignored SIGHUP stays ignored: the test below).
    proc = start(workdir, "time.sleep(60)", preexec_fn=lambda: signal.signal(signum, signal.SIG_DFL))
    assert proc.stdout.readline() == "wrote\n"  # the temporary file exists and holds a chunk
    proc.send_signal(signum)
    name = signal.Signals(signum).name
    message = "fastscore: interrupted\n" if signum == signal.SIGINT else f"fastscore: stopped by {name}\n"
    assert_stopped_cleanly(proc, 128 + signum, message, workdir)


def test_an_ignored_sighup_stays_ignored(workdir):
    # Under nohup, SIGHUP is ignored when the command starts: it must not stop it then.
    proc = start(workdir, "time.sleep(60)", preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_IGN))
    assert proc.stdout.readline() == "wrote\n"
    proc.send_signal(signal.SIGHUP)
    proc.send_signal(signal.SIGTERM)  # Python runs pending handlers in signal-number order: SIGHUP first
    assert_stopped_cleanly(proc, 128 + signal.SIGTERM, "fastscore: stopped by SIGTERM\n", workdir)


def test_an_npy_input_truncated_while_it_is_scored(workdir):
    # Memory-mapped, the next chunk's pages would be gone: SIGBUS, no message, the temporary left.
    proc = start(workdir, "os.truncate('in.npy', 1000) if os.path.getsize('in.npy') > 1000 else None")
    assert proc.stdout.readline() == "wrote\n"
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, (proc.returncode, err)
    assert err == ("fastscore: error: in.npy: the file is now shorter than its header says (1000 bytes, "
                   "not 24128): was it truncated while fastscore read it?\n")
    assert sorted(os.listdir(workdir)) == ["in.npy", "model.json"]


def test_a_truncated_npy_is_refused_before_scoring(workdir):
    data = (workdir / "in.npy").read_bytes()
    (workdir / "in.npy").write_bytes(data[:-8])
    r = subprocess.run([sys.executable, "-m", "fastscore", "score", "model.json", "in.npy", "-o", "out.npy"],
                       cwd=workdir, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and r.stderr == ("fastscore: error: in.npy: not a readable .npy file: it is "
                                              "truncated (its header describes 24000 bytes of data, it holds 23992)\n")
    assert sorted(os.listdir(workdir)) == ["in.npy", "model.json"]

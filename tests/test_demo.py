"""The README's main job: `python -m fastscore demo` converts, saves, loads and matches scikit-learn."""
import re
import subprocess
import sys


def test_demo_runs_and_matches_sklearn(tmp_path):
    # From outside the checkout, so that the installed package runs.
    run = subprocess.run([sys.executable, "-m", "fastscore", "demo"], capture_output=True, text=True,
                         timeout=300, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert "fitted    LogisticRegression" in out and "loaded back" in out
    worst = float(re.search(r"max \|diff\| over all 1000 rows: (\S+);", out).group(1))
    assert worst <= 1e-12
    assert "identical predicted labels: True" in out
    assert len(re.findall(r"\d+x$", out, re.M)) == 3  # three timing rows with speed-ups

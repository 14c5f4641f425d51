"""The worked examples stay true: examples/penguins.py and the README's penguin example run and agree
with scikit-learn, on a real mixed-type data set (palmerpenguins: numbers, strings, missing values)."""
import csv
import json
import os
import re
import shlex
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

import fastscore

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join(ROOT, "examples", "penguins.py")
README = open(os.path.join(ROOT, "README.md"), encoding="utf-8").read()


def _run(args, cwd, backend=None):
    """Run a command from outside the checkout (so that the installed package runs), on a backend."""
    env = dict(os.environ)
    if backend is not None:
        env["FASTSCORE_PURE"] = "1" if backend == "pure" else "0"
    run = subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=cwd, env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout


def _readme_block(marker, language):
    """The fenced block of `language` right after <!-- marker --> in README.md."""
    m = re.search(rf"<!-- {marker} -->\n```{language}\n(.*?)```", README, re.S)
    assert m is not None, f"README.md has no {language} block after <!-- {marker} -->"
    return m.group(1)


def test_the_example_agrees_with_sklearn_on_every_input_form(tmp_path, backend):
    out = _run([sys.executable, EXAMPLE], cwd=tmp_path, backend=backend)
    for name, estimator in (("penguins", "Pipeline(ColumnTransformer, LogisticRegression)"),
                            ("penguins-calibrated", "CalibratedClassifierCV(Pipeline(ColumnTransformer, LinearSVC))")):
        assert f"{name}.json: {estimator}, classes ['Adelie', 'Chinstrap', 'Gentoo'], backend {backend}" in out
        assert fastscore.load(tmp_path / f"{name}.json").estimator == estimator
    forms = re.findall(r"^  (.+?) +max \|difference\| from scikit-learn: (\S+)$", out, re.M)
    assert [form for form, _ in forms] == 2 * ["pandas DataFrame (all 344 rows)", "pyarrow Table",
                                               "list of dicts (a JSON batch)", "JSON request, row 3",
                                               "JSON request, row 8"]
    assert max(float(worst) for _, worst in forms) <= 1e-12
    assert out.count("identical predicted labels: True") == 2
    with open(tmp_path / "penguins.csv", newline="") as f:
        assert next(csv.reader(f))[:3] == ["id", "species", "island"]


@pytest.fixture(scope="module")
def readme_example(tmp_path_factory):
    """The directory where the README's penguin example ran (it asserts its own agreement)."""
    where = tmp_path_factory.mktemp("readme-penguins")
    _run([sys.executable, "-c", _readme_block("penguins-example", "python")], cwd=where)
    return where


def test_the_readme_example_runs_as_pasted(readme_example):
    model = fastscore.load(readme_example / "penguins.json")
    assert model.estimator == "Pipeline(ColumnTransformer, LogisticRegression)"
    assert [x["name"] for x in json.loads(model.dumps())["inputs"]] == [
        "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "island", "sex"]


def test_the_readme_command_line_scores_the_example(readme_example):
    command = shlex.split(_readme_block("penguins-cli", "sh").strip())
    assert command[:2] == ["fastscore", "score"]
    _run([sys.executable, "-m", "fastscore", *command[1:]], cwd=readme_example)

    scores = pd.read_csv(readme_example / "scores.csv")
    data = pd.read_csv(readme_example / "penguins.csv")
    assert list(scores.columns) == ["id", "species", "prediction", "proba_Adelie", "proba_Chinstrap",
                                    "proba_Gentoo"]
    assert scores["id"].tolist() == data["id"].tolist() and scores["species"].tolist() == data["species"].tolist()
    expected = fastscore.load(readme_example / "penguins.json").predict_proba(data)
    assert np.abs(scores[["proba_Adelie", "proba_Chinstrap", "proba_Gentoo"]].to_numpy() - expected).max() <= 1e-12

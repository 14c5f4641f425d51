"""`fastscore score` on models with an input stage (a ColumnTransformer of imputers, scalers and
one-hot encoders before the linear model): text and missing cells from CSV, TSV (either
gzipped), stdin and Parquet, scored exactly as scikit-learn scores the same file read by
pandas.read_csv or pandas.read_parquet. Every command runs in a subprocess, on each backend.
"""
import gzip
import io
import os
import subprocess
import sys
import warnings

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

pd = pytest.importorskip("pandas", reason="the files are compared with pandas.read_csv")
from sklearn.calibration import CalibratedClassifierCV  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.linear_model import LogisticRegression, Ridge  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402

import fastscore  # noqa: E402
from fastscore import tabular  # noqa: E402

CITIES = ["paris", "lyon", "nice", "lille"]


def run(*args, cwd, backend, stdin=None):
    """`python -m fastscore *args` in a subprocess scoring with `backend`: (code, stdout, stderr)."""
    env = dict(os.environ, FASTSCORE_PURE="1" if backend == "pure" else "0")
    r = subprocess.run([sys.executable, "-m", "fastscore", *map(str, args)], input=stdin, capture_output=True,
                       cwd=cwd, env=env, timeout=120)
    return r.returncode, r.stdout, r.stderr.decode()


def assert_refused(code, err, words, tmp_path, output):
    """One line on stderr holding every one of `words`, exit code 2, and no OUTPUT nor temporary left."""
    assert code == 2, (code, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fastscore: error: "), err
    for w in words:
        assert w in lines[0], (w, lines[0])
    assert not (tmp_path / output).exists()
    assert not [p for p in os.listdir(tmp_path) if p.startswith(".fastscore-")]


def training_frame(n=300, seed=0):
    """A mixed frame as pandas.read_csv gives it: numbers with NaN, text with missing cells, integers, booleans."""
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "id": [f"{i:04d}" for i in range(n)],
        "age": rng.normal(40, 12, n).round(3),
        "income": rng.lognormal(3, 0.5, n).round(4),
        "city": rng.choice(CITIES, n),
        "level": rng.integers(1, 4, n),
        "member": rng.random(n) < 0.4,
        "note": rng.choice(["x", "y"], n),
    })
    df.loc[rng.random(n) < 0.1, "age"] = np.nan
    df.loc[rng.random(n) < 0.1, "city"] = np.nan
    y = ((np.nan_to_num(df["age"], nan=40) - 40) / 12 + (df["city"] == "paris") - df["member"]
         + rng.normal(0, 1, n) > 0).astype(int)
    # What a CSV round trip makes of it, as the model's own training frame would have been.
    buffer = io.StringIO()
    df.to_csv(buffer, index=False)
    df = pd.read_csv(io.StringIO(buffer.getvalue()), dtype={"id": str})
    return df, y


def column_transformer(unknown="ignore"):
    """age imputed then scaled, income scaled (missing is an error), city, level and member one-hot
    (a missing city is a category of its own), note dropped."""
    return ColumnTransformer([
        ("age", make_pipeline(SimpleImputer(), StandardScaler()), ["age"]),
        ("income", StandardScaler(), ["income"]),
        ("cat", OneHotEncoder(handle_unknown=unknown), ["city", "level", "member"]),
    ])


def fitted(estimator, df, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return estimator.fit(df.drop(columns=["id"]), y)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """{name: (scikit-learn estimator, its fastscore model file)}, fitted on the training frame."""
    d = tmp_path_factory.mktemp("models")
    df, y = training_frame()
    estimators = {
        "ignore": make_pipeline(column_transformer(), LogisticRegression()),
        "error": make_pipeline(column_transformer("error"), LogisticRegression()),
        "calibrated": CalibratedClassifierCV(make_pipeline(column_transformer(), LogisticRegression()),
                                             method="sigmoid", cv=3),
        "ridge": make_pipeline(column_transformer(), Ridge()),
        "numbers": make_pipeline(SimpleImputer(), StandardScaler(), LogisticRegression()),
    }
    out = {}
    for name, est in estimators.items():
        if name == "numbers":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                est.fit(df[["age", "income"]], y)
        else:
            fitted(est, df, y)
        path = d / f"{name}.json"
        fastscore.from_sklearn(est).save(path)
        out[name] = est, path
    return out


# Rows to score: columns in another order, an extra one, the dropped one absent; missing cells in
# each spelling pandas.read_csv reads as missing (quoted or not), an unseen city, a missing city.
CSV = """\
member,extra,city,income,age,level,id
True,a,paris,21.5,41.25,1,0001
False,b,lyon,30.125,,2,0002
true,c,,18.0,NaN,3,0003
False,d,rome,25.0,null,1,0004
True,e,NA,19.75,N/A,2,0005
False,f,nice,22.0,"",3,0006
TRUE,g,"",40.5,nan,1,0007
False,h,lille,33.0,NULL,2,0008
True,i,null,28.25,#N/A,3,0009
False,j,N/A,26.5,<NA>,1,0010
True,k,None,27.0,None,2,0011
False,l,"NA",29.0,-NaN,3,0012
True,m,paris,24.0,1.#QNAN,1,0013
False,n,oslo,31.0,55.5,2,0014
"""


def sklearn_scores(est, df):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if hasattr(est, "predict_proba"):
            return est.predict(df), est.predict_proba(df)
        return est.predict(df), None


def assert_as_sklearn(out, est, df):
    """OUTPUT (a pyarrow table) holds what scikit-learn predicts for the frame df."""
    labels, proba = sklearn_scores(est, df)
    if proba is None:  # a regressor
        np.testing.assert_allclose(out.column("prediction").to_numpy(), labels, rtol=1e-12, atol=1e-12)
        return
    assert out.column("prediction").to_pylist() == labels.tolist()
    for j, c in enumerate(est.classes_):
        np.testing.assert_allclose(out.column(f"proba_{c}").to_numpy(), proba[:, j], rtol=1e-12, atol=1e-12)


def read_output(data, fmt):
    if fmt == "parquet":
        return pq.read_table(io.BytesIO(data))
    if fmt.endswith(".gz"):
        data = gzip.decompress(data)
    sep = "\t" if fmt.startswith("tsv") else ","
    return pa.Table.from_pandas(pd.read_csv(io.BytesIO(data), sep=sep, dtype={"id": str}), preserve_index=False)


def as_format(text, fmt):
    """The CSV text as a file of format fmt (bytes)."""
    if fmt.startswith("tsv"):
        text = text.replace(",", "\t")
    data = text.encode()
    return gzip.compress(data) if fmt.endswith(".gz") else data


# ---- the scores ------------------------------------------------------------------------------------

@pytest.mark.parametrize("fmt, name", [("csv", "ignore"), ("csv", "calibrated"), ("csv", "ridge"),
                                       ("csv.gz", "ignore"), ("tsv", "calibrated"), ("tsv.gz", "ridge")])
def test_text_and_missing_cells_score_as_sklearn_on_read_csv(models, tmp_path, backend, fmt, name):
    est, model = models[name]
    (tmp_path / f"in.{fmt}").write_bytes(as_format(CSV, fmt))
    code, _, err = run("score", model, f"in.{fmt}", "-o", "out.csv", "--keep", "id", "--chunk-size", 3,
                       cwd=tmp_path, backend=backend)
    assert code == 0 and err == "", err
    df = pd.read_csv(tmp_path / f"in.{fmt}", sep="\t" if fmt.startswith("tsv") else ",", dtype={"id": str})
    out = read_output((tmp_path / "out.csv").read_bytes(), "csv")
    assert out.column("id").to_pylist() == df["id"].tolist()  # 0001 stays 0001
    assert out.column_names[0] == "id" and len(out) == 14
    assert_as_sklearn(out, est, df)


def test_the_cells_read_as_missing_are_pandas_defaults():
    parsers = pytest.importorskip("pandas._libs.parsers", reason="pandas' list of missing cells")
    assert sorted(tabular.MISSING_CELLS) == sorted(parsers.STR_NA_VALUES)


def test_each_missing_cell_is_missing_as_for_pandas(models, tmp_path, backend):
    est, model = models["ignore"]
    rows = ["age,income,city,level,member"]
    for i, cell in enumerate(tabular.MISSING_CELLS):
        quoted = '"' + cell + '"'
        rows += [f"{cell},{20 + i},paris,1,True", f"{quoted},21,{cell},2,False", f"30,22,{quoted},3,True"]
    (tmp_path / "in.csv").write_text("\n".join(rows) + "\n")
    df = pd.read_csv(tmp_path / "in.csv")
    assert df["age"].isna().tolist() == [True, True, False] * len(tabular.MISSING_CELLS)
    assert df["city"].isna().tolist() == [False, True, True] * len(tabular.MISSING_CELLS)
    code, _, err = run("score", model, "in.csv", "-o", "out.parquet", cwd=tmp_path, backend=backend)
    assert code == 0, err
    assert_as_sklearn(pq.read_table(tmp_path / "out.parquet"), est, df)


def test_stdin_to_stdout(models, tmp_path, backend):
    est, model = models["ignore"]
    code, out, err = run("score", model, "-", "--format", "csv", "-o", "-", "--keep", "id", "--chunk-size", 4,
                         cwd=tmp_path, backend=backend, stdin=CSV.encode())
    assert code == 0 and err == "", err
    assert_as_sklearn(read_output(out, "csv"), est, pd.read_csv(io.StringIO(CSV), dtype={"id": str}))
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("name", ["ignore", "calibrated", "ridge"])
def test_parquet_scores_as_sklearn_on_read_parquet(models, tmp_path, backend, name):
    est, model = models[name]
    df = pd.read_csv(io.StringIO(CSV), dtype={"id": str})
    variants = {
        "plain": df,  # numbers, object strings with None, bools
        "category": df.assign(city=df["city"].astype("category")),  # a dictionary column
        "nullable": df.assign(level=df["level"].astype("Int64"), city=df["city"].astype("string")),
    }
    for label, frame in variants.items():
        frame.to_parquet(tmp_path / f"{label}.parquet", index=False)
        code, _, err = run("score", model, f"{label}.parquet", "-o", f"{label}.out.parquet", "--keep", "id",
                           "--chunk-size", 5, cwd=tmp_path, backend=backend)
        assert code == 0 and err == "", (label, err)
        out = pq.read_table(tmp_path / f"{label}.out.parquet")
        assert out.column("id").to_pylist() == df["id"].tolist()
        # scikit-learn takes the pd.NA of a nullable string column for an unknown category;
        # fastscore's models take it for a missing value, as they take None and NaN.
        assert_as_sklearn(out, est, df if label == "nullable" else pd.read_parquet(tmp_path / f"{label}.parquet"))


def test_numbers_only_pipeline_reads_npy(models, tmp_path, backend):
    est, model = models["numbers"]
    X = np.array([[41.0, 20.0], [np.nan, 30.0], [25.5, 18.25]])
    np.save(tmp_path / "in.npy", X)
    code, _, err = run("score", model, "in.npy", "-o", "out.npy", cwd=tmp_path, backend=backend)
    assert code == 0, err
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fitted with names, given an array
        proba = est.predict_proba(X)
    np.testing.assert_allclose(np.load(tmp_path / "out.npy")[:, 2], proba[:, 1], rtol=1e-12, atol=1e-12)


def test_columns_by_name_with_an_input_stage(models, tmp_path, backend):
    est, model = models["ignore"]
    (tmp_path / "in.csv").write_text(CSV)
    # The dropped column may be named or not; every column the model reads must be.
    for listed in ("level,member,city,age,income", "note,level,member,city,age,income"):
        code, _, err = run("score", model, "in.csv", "-o", "out.csv", "--columns", listed, cwd=tmp_path,
                           backend=backend)
        assert code == 0, err
        assert_as_sklearn(read_output((tmp_path / "out.csv").read_bytes(), "csv"), est,
                          pd.read_csv(tmp_path / "in.csv", dtype={"id": str}))
    code, _, err = run("score", model, "in.csv", "-o", "bad.csv", "--columns", "level,member,city,age",
                       cwd=tmp_path, backend=backend)
    assert_refused(code, err, ["--columns must name exactly the model's features", "'income' missing"],
                   tmp_path, "bad.csv")


# ---- the errors ------------------------------------------------------------------------------------

def sklearn_raises(est, df):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError):
            est.predict(df)


def test_an_unknown_category_is_an_error_where_sklearn_raises(models, tmp_path, backend):
    est, model = models["error"]
    (tmp_path / "in.csv").write_text(CSV)
    sklearn_raises(est, pd.read_csv(tmp_path / "in.csv"))
    code, _, err = run("score", model, "in.csv", "-o", "out.csv", "--chunk-size", 3, cwd=tmp_path, backend=backend)
    assert_refused(code, err, ["in.csv: row 4: ", "column 'city'", "'rome'", "handle_unknown='error'"],
                   tmp_path, "out.csv")
    # The known categories and the missing one (a category of its own) score.
    ok = "\n".join(line for line in CSV.splitlines() if "rome" not in line and "oslo" not in line) + "\n"
    (tmp_path / "ok.csv").write_text(ok)
    code, _, err = run("score", model, "ok.csv", "-o", "ok.out.csv", cwd=tmp_path, backend=backend)
    assert code == 0, err
    assert_as_sklearn(read_output((tmp_path / "ok.out.csv").read_bytes(), "csv"), est,
                      pd.read_csv(tmp_path / "ok.csv"))


@pytest.mark.parametrize("fmt", ["csv", "parquet"])
def test_a_missing_number_without_an_imputer_names_row_and_column(models, tmp_path, backend, fmt):
    est, model = models["ignore"]
    lines = CSV.splitlines()
    lines[9] = lines[9].replace("28.25", "NA")  # row 9's income
    df = pd.read_csv(io.StringIO("\n".join(lines) + "\n"), dtype={"id": str})
    sklearn_raises(est, df)
    if fmt == "csv":
        (tmp_path / "in.csv").write_text("\n".join(lines) + "\n")
    else:
        df.to_parquet(tmp_path / "in.parquet", index=False)
    code, _, err = run("score", model, f"in.{fmt}", "-o", "out.csv", "--chunk-size", 3, cwd=tmp_path,
                       backend=backend)
    assert_refused(code, err, [f"in.{fmt}: row 9: ", "column 'income'", "missing"], tmp_path, "out.csv")


def test_a_word_in_a_number_column_names_it(models, tmp_path, backend):
    est, model = models["ignore"]
    (tmp_path / "in.csv").write_text(CSV.replace("33.0", "thirty"))
    code, _, err = run("score", model, "in.csv", "-o", "out.csv", cwd=tmp_path, backend=backend)
    assert_refused(code, err, ["in.csv: row 8, column 'income': 'thirty' is not a number"], tmp_path, "out.csv")
    (tmp_path / "flag.csv").write_text(CSV.replace("TRUE", "yes"))
    code, _, err = run("score", model, "flag.csv", "-o", "out.csv", cwd=tmp_path, backend=backend)
    assert_refused(code, err, ["flag.csv: row 7, column 'member': 'yes' is not true or false"], tmp_path,
                   "out.csv")


def test_a_missing_input_column_is_named(models, tmp_path, backend):
    est, model = models["ignore"]
    df = pd.read_csv(io.StringIO(CSV), dtype={"id": str}).drop(columns=["city"])
    (tmp_path / "in.csv").write_text(df.to_csv(index=False))
    df.to_parquet(tmp_path / "in.parquet", index=False)
    for source in ("in.csv", "in.parquet"):
        code, _, err = run("score", model, source, "-o", "out.csv", cwd=tmp_path, backend=backend)
        assert_refused(code, err, [f"{source}: missing column(s) 'city' that the model needs"], tmp_path, "out.csv")


def test_npy_is_refused_for_a_model_that_reads_text(models, tmp_path, backend):
    est, model = models["ignore"]
    np.save(tmp_path / "in.npy", np.zeros((3, 6)))
    code, _, err = run("score", model, "in.npy", "-o", "out.csv", cwd=tmp_path, backend=backend)
    assert_refused(code, err, ["in.npy: a .npy file holds numbers only", "'city'"], tmp_path, "out.csv")


def test_a_text_column_given_for_a_number_in_parquet_is_named(models, tmp_path, backend):
    est, model = models["ignore"]
    df = pd.read_csv(io.StringIO(CSV), dtype={"id": str})
    df.assign(income=df["income"].astype(str)).to_parquet(tmp_path / "in.parquet", index=False)
    code, _, err = run("score", model, "in.parquet", "-o", "out.csv", cwd=tmp_path, backend=backend)
    assert_refused(code, err, ["in.parquet: ", "'income'", "strings"], tmp_path, "out.csv")


# ---- info and bench ----------------------------------------------------------------------------------

def test_info_lists_the_input_names(models, tmp_path, backend):
    est, model = models["ignore"]
    code, out, err = run("info", model, cwd=tmp_path, backend=backend)
    assert code == 0, err
    assert "feature names  age, income, city, level, member, note\n" in out.decode()  # note: dropped


@pytest.mark.parametrize("name", ["error", "calibrated", "ridge"])
def test_bench_draws_rows_from_the_categories(models, tmp_path, backend, name):
    # With handle_unknown="error", a random number where the model reads a category would be refused.
    est, model = models[name]
    code, out, err = run("bench", model, "--rows", 500, "--rounds", 1, cwd=tmp_path, backend=backend)
    assert code == 0 and err == "", err
    assert "500 rows" in out.decode() and "score_one(dict of " in out.decode()


def test_the_bar_and_the_summary(models, tmp_path):
    from test_cli_io import shown_on_a_terminal
    from tqdm import tqdm

    est, model = models["calibrated"]
    (tmp_path / "in.csv").write_text(CSV)
    pd.read_csv(io.StringIO(CSV), dtype={"id": str}).to_parquet(tmp_path / "in.parquet", index=False)
    size = tqdm.format_sizeof(os.path.getsize(tmp_path / "in.csv"), divisor=1024)
    for source, total in (("in.csv", "/" + size), ("in.parquet", "/14.0")):
        shown = shown_on_a_terminal(["score", str(model), source, "-o", "out.csv", "--keep", "id"], tmp_path)
        assert total in shown, (source, shown)
        lines = [line for line in shown.replace("\r", "\n").splitlines() if line.startswith("fastscore:")]
        assert len(lines) == 1 and lines[0].startswith("fastscore: scored 14 rows in "), shown
        assert lines[0].endswith(" rows/s) into out.csv"), lines

"""A worked example on a real mixed-type data set: the Palmer penguins.

    pip install '.[sklearn,cli]' palmerpenguins
    python examples/penguins.py

The data set (344 penguins of three species, from the palmerpenguins package)
has numbers, strings and missing values: the kind of table most deployed
linear models are fitted on. The script fits a scikit-learn pipeline (imputed
and scaled measurements, imputed and one-hot encoded island and sex, a
LogisticRegression for the species), converts it with fastscore, saves and
loads it, and scores the DataFrame, a pyarrow Table and JSON requests,
printing the largest difference from scikit-learn's predict_proba for each;
then the same for a calibrated LinearSVC. It stops with an AssertionError if
any difference exceeds 1e-12.

It writes penguins.json (the model) and penguins.csv (the data with an id
column) to the current directory, for the command line:

    fastscore score penguins.json penguins.csv -o scores.csv --keep id --keep species
"""
import json

import numpy as np
import pandas as pd
import pyarrow as pa
from palmerpenguins import load_penguins
from sklearn.calibration import CalibratedClassifierCV
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler
from sklearn.svm import LinearSVC

import fastscore

NUMBERS = ["bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g"]
CATEGORIES = ["island", "sex"]
#: rows of the data set sent as JSON requests: nothing measured but the island; sex unknown
REQUEST_ROWS = (3, 8)


def preprocessing() -> ColumnTransformer:
    """Measurements: mean-imputed and standardised; island and sex: the most frequent value, one-hot."""
    return ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(), StandardScaler()), NUMBERS),
        ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"), OneHotEncoder(handle_unknown="ignore")),
         CATEGORIES),
    ])


def report(what: str, ours: np.ndarray, theirs: np.ndarray) -> None:
    """Print the largest difference between fastscore's and scikit-learn's probabilities; fail above 1e-12."""
    worst = float(np.max(np.abs(np.asarray(ours) - theirs)))
    print(f"  {what:<34} max |difference| from scikit-learn: {worst:.1e}")
    assert worst <= 1e-12, f"{what}: fastscore differs from scikit-learn by {worst}"


def as_request(row: pd.Series) -> dict:
    """One row as a service receives it: a JSON object, missing values as null."""
    return json.loads(json.dumps({k: None if pd.isna(v) else v for k, v in row.items()}))


def check(name: str, est, df: pd.DataFrame) -> None:
    """Convert est, save and load it, and compare every input form with est.predict_proba."""
    expected = est.predict_proba(df[NUMBERS + CATEGORIES])
    fastscore.from_sklearn(est).save(f"{name}.json")
    model = fastscore.load(f"{name}.json")      # from here on, nothing but numpy is needed
    print(f"{name}.json: {model.estimator}, classes {model.classes_.tolist()}, backend {model.backend}")

    report("pandas DataFrame (all 344 rows)", model.predict_proba(df), expected)
    report("pyarrow Table", model.predict_proba(pa.Table.from_pandas(df)), expected)
    report("list of dicts (a JSON batch)", model.predict_proba(df.to_dict("records")), expected)
    for i in REQUEST_ROWS:
        request = as_request(df.loc[i, NUMBERS + CATEGORIES])
        report(f"JSON request, row {i}", model.score_one(request), expected[i])
    labels = model.predict(df)
    assert (labels == est.predict(df[NUMBERS + CATEGORIES])).all()
    print(f"  identical predicted labels: True (training accuracy {np.mean(labels == df['species']):.1%})")


def main() -> None:
    df = load_penguins()                        # a pandas DataFrame: numbers, strings, missing values
    X, y = df[NUMBERS + CATEGORIES], df["species"]
    print(f"{len(df)} penguins; missing values per column: "
          f"{', '.join(f'{c} {n}' for c, n in X.isna().sum().items() if n)}")

    logistic = make_pipeline(preprocessing(), LogisticRegression(max_iter=1000)).fit(X, y)
    check("penguins", logistic, df)

    # A calibrated LinearSVC: five fitted pipelines, each with its own fills and encodings, in one model.
    calibrated = CalibratedClassifierCV(make_pipeline(preprocessing(), LinearSVC()), cv=5).fit(X, y)
    check("penguins-calibrated", calibrated, df)

    df.to_csv("penguins.csv", index_label="id")  # for the command line (see the docstring)
    print("wrote penguins.json, penguins-calibrated.json and penguins.csv")


if __name__ == "__main__":
    main()

"""Pipelines with encoders, imputers and ColumnTransformer: every model scores as scikit-learn predicts.

Each test fits a scikit-learn pipeline on a mixed DataFrame (numbers with
NaN, strings with missing values, booleans), converts it, and compares
predict_proba, decision_function and predict (or predict) on new rows with
unseen categories, on both backends and after a save and load; where
scikit-learn raises, the model must raise too.
"""
import json
import pickle
import warnings

import numpy as np
import pytest
from hypothesis import given, reject, settings
from hypothesis import strategies as st

pd = pytest.importorskip("pandas", reason="pipelines over DataFrames need pandas")
from sklearn import linear_model as lm  # noqa: E402
from sklearn.compose import ColumnTransformer, make_column_selector  # noqa: E402
from sklearn.impute import MissingIndicator, SimpleImputer  # noqa: E402
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline  # noqa: E402
from sklearn.preprocessing import (FunctionTransformer, KBinsDiscretizer, MaxAbsScaler, MinMaxScaler,  # noqa: E402
                                   OneHotEncoder, OrdinalEncoder, PolynomialFeatures, RobustScaler,
                                   SplineTransformer, StandardScaler, TargetEncoder)
from sklearn.svm import LinearSVC  # noqa: E402

import fastscore  # noqa: E402
from helpers import assert_close, dot_bound  # noqa: E402

NUM = ["age", "income", "score"]
CAT = ["city", "kind"]


def frame(n, seed, unseen=False):
    """A mixed DataFrame: numbers with NaN, strings with missing values, a boolean column, an int column."""
    rng = np.random.default_rng(seed)
    cities = ["paris", "lyon", "nice", "lille", "brest", "metz"]
    df = pd.DataFrame({
        "age": rng.normal(40, 12, n),
        "income": rng.lognormal(3, 0.5, n),
        "score": rng.integers(0, 5, n).astype(float),
        "city": rng.choice(cities + (["oslo", "rome"] if unseen else []), n,
                           p=None if unseen else [0.4, 0.25, 0.15, 0.1, 0.06, 0.04]),
        "kind": rng.choice(["a", "b"], n),
        "flag": rng.random(n) < 0.3,
        "level": rng.integers(1, 4, n),
    })
    df.loc[rng.random(n) < 0.1, "age"] = np.nan
    df.loc[rng.random(n) < 0.05, "income"] = np.nan
    df.loc[rng.random(n) < 0.08, "city"] = np.nan
    return df


def target(df, seed, kind="binary"):
    rng = np.random.default_rng(seed)
    signal = (np.nan_to_num(df["age"].to_numpy(), nan=40) - 40) / 12 + (df["city"] == "paris") - 0.5 * df["flag"]
    if kind == "binary":
        return (signal + rng.normal(0, 1, len(df)) > 0).astype(int)
    if kind == "multiclass":
        return np.digitize(signal + rng.normal(0, 1, len(df)), [-0.5, 0.5])
    return signal + rng.normal(0, 0.3, len(df))


def fit(est, df, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return est.fit(df, y)


def sklearn_outputs(est, X):
    """{method: result, or the exception type} for each method the estimator has."""
    out = {}
    for method in ("predict_proba", "decision_function", "predict"):
        if not hasattr(est, method):
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out[method] = getattr(est, method)(X)
        except ValueError as exc:
            out[method] = exc
    return out


def assert_agrees(est, X, backend, roundtrip=True, bound=0.0):
    """The converted model gives scikit-learn's outputs on X (or raises ValueError where it does)."""
    model = fastscore.from_sklearn(est, backend=backend)
    models = [model]
    if roundtrip:
        models.append(fastscore.loads(model.dumps(), backend=backend))
        assert models[-1] == model
        models.append(pickle.loads(pickle.dumps(model)))
    expected = sklearn_outputs(est, X)
    for m in models:
        assert_outputs(m, X, expected, bound=bound)
    return model


def z_bound(est, X):
    """The bound on a correct z's rounding (helpers.dot_bound), shape (n, k), over the features scikit-learn
    computes for X: beyond 1e-12 where they are large (unscaled polynomial terms); 0 where it raises."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            Xt = est[:-1].transform(X)
    except (ValueError, TypeError):
        return 0.0
    Xt = np.asarray(Xt.toarray() if hasattr(Xt, "toarray") else Xt, dtype=np.float64)
    return dot_bound(Xt, est[-1].coef_, est[-1].intercept_)


def _shaped(bound, shape):
    """A (n, k) bound for an output of shape: (n,) takes each row's largest, (n, m) each output's or row's."""
    bound = np.asarray(bound, dtype=np.float64)
    if bound.ndim < 2:
        return bound
    if len(shape) == 1:
        return bound.max(axis=1)
    return bound if bound.shape[1] == shape[1] else bound.max(axis=1, keepdims=True)


def assert_outputs(m, X, expected, form="a pandas DataFrame", bound=0.0):
    """m's outputs on X are scikit-learn's (expected: sklearn_outputs), or a ValueError where it raises.

    The model's error must name one of the columns it reads.
    """
    names = [str(n) for n in getattr(m, "feature_names_in_", [])]
    for method, theirs in expected.items():
        if isinstance(theirs, Exception):
            with pytest.raises(ValueError) as info:
                getattr(m, method)(X)
            assert not names or any(repr(n) in str(info.value) for n in names), (form, str(info.value))
            continue
        ours = getattr(m, method)(X)
        if method == "predict" and theirs.dtype.kind not in "fc":
            margin = np.abs(m.decision_function(X)) if "decision_function" in expected else None
            same = ours == theirs
            if margin is not None and margin.ndim == 1:
                same |= margin < 1e-9  # a tie within rounding may go either way
            assert same.all(), (form, method, np.flatnonzero(~same)[:5])
        else:
            try:
                assert_close(ours, theirs, _shaped(bound, np.shape(theirs)))
            except AssertionError as exc:
                raise AssertionError(f"{form}, {method}: {exc}") from None


# ---- the common pipeline --------------------------------------------------------------------------------

def common(model, handle_unknown="ignore"):
    pre = ColumnTransformer([("num", make_pipeline(SimpleImputer(), StandardScaler()), NUM),
                             ("cat", OneHotEncoder(handle_unknown=handle_unknown), CAT)])
    return make_pipeline(pre, model)


@pytest.mark.parametrize("model, kind", [
    (lm.LogisticRegression(), "binary"),
    (lm.LogisticRegression(), "multiclass"),
    (lm.Ridge(), "continuous"),
    (lm.SGDClassifier(loss="log_loss", random_state=0), "multiclass"),
    (LinearSVC(), "binary"),
    (lm.RidgeClassifier(), "multiclass"),
    (lm.PoissonRegressor(), "poisson"),
])
def test_the_common_pipeline_scores_as_sklearn(model, kind, backend):
    df = frame(400, 1)
    y = target(df, 2, "continuous" if kind == "poisson" else kind)
    if kind == "poisson":
        y = np.exp(y / 4)
    est = fit(common(model), df, y)
    assert_agrees(est, frame(300, 3, unseen=True), backend)


def test_the_common_pipeline_writes_format_version_2_with_named_inputs():
    df = frame(200, 1)
    est = fit(common(lm.LogisticRegression()), df, target(df, 2))
    model = fastscore.from_sklearn(est)
    text = model.dumps()
    assert '"format_version": 2' in text
    assert list(model.feature_names_in_) == list(df.columns)
    assert model.n_features_in_ == df.shape[1]


def test_unknown_category_raises_where_sklearn_raises(backend):
    df = frame(300, 1)
    est = fit(common(lm.LogisticRegression(), handle_unknown="error"), df, target(df, 2))
    model = assert_agrees(est, frame(50, 3), backend)
    X = frame(50, 3)
    X.loc[7, "city"] = "oslo"
    with pytest.raises(ValueError, match="unknown categories"):
        est.predict_proba(X)
    with pytest.raises(ValueError, match="'city'.*'oslo'"):
        model.predict_proba(X)


def test_columns_by_name_in_any_order_with_extra_columns(backend):
    df = frame(300, 1)
    est = fit(common(lm.LogisticRegression()), df, target(df, 2))
    X = frame(100, 4, unseen=True)
    model = fastscore.from_sklearn(est, backend=backend)
    expected = est.predict_proba(X)
    shuffled = X[list(reversed(X.columns))].assign(extra=np.arange(len(X)), other="x")
    assert_close(model.predict_proba(shuffled), expected)
    assert_close(model.predict_proba({c: X[c].to_numpy() for c in X.columns}), expected)
    assert_close(model.predict_proba(X.to_dict("records")), expected)
    with pytest.raises(ValueError, match="'city'"):
        model.predict_proba(X.drop(columns=["city"]))


def test_score_one_takes_a_dict_or_a_series_by_name(backend):
    df = frame(300, 1)
    est = fit(common(lm.LogisticRegression()), df, target(df, 2))
    X = frame(40, 5, unseen=True)
    model = fastscore.from_sklearn(est, backend=backend)
    expected = est.predict_proba(X)[:, 1]
    for i in range(len(X)):
        row = X.iloc[i]
        record = {k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in row.to_dict().items()}
        assert abs(model.score_one(dict(reversed(list(record.items())))) - expected[i]) <= 1e-12
        assert abs(model.score_one(row[list(reversed(X.columns))]) - expected[i]) <= 1e-12


def test_arrow_tables_score_by_name(backend):
    pa = pytest.importorskip("pyarrow", reason="Arrow input needs pyarrow")
    df = frame(300, 1)
    est = fit(common(lm.LogisticRegression()), df, target(df, 2))
    X = frame(100, 6, unseen=True)
    model = fastscore.from_sklearn(est, backend=backend)
    assert_close(model.predict_proba(pa.Table.from_pandas(X)), est.predict_proba(X))


# ---- column selection, remainder, structure -----------------------------------------------------------------

@pytest.mark.parametrize("columns", ["names", "positions", "mask", "selector"])
@pytest.mark.parametrize("remainder", ["drop", "passthrough", "scaler"])
def test_columns_chosen_any_way_and_any_remainder(columns, remainder, backend):
    full = frame(300, 7)
    df = full[["age", "city", "income", "kind", "score"]]
    num, cat = ["age", "income"], ["city", "kind"]
    pick = {"names": (num, cat),
            "positions": ([0, 2], [1, 3]),
            "mask": ([c in num for c in df.columns], [c in cat for c in df.columns]),
            "selector": (make_column_selector(pattern="^(age|income)$"),
                         make_column_selector(dtype_include=[object, "string"]))}[columns]
    rest = {"drop": "drop", "passthrough": "passthrough", "scaler": StandardScaler()}[remainder]
    pre = ColumnTransformer([("num", make_pipeline(SimpleImputer(strategy="median"), RobustScaler()), pick[0]),
                             ("cat", OneHotEncoder(handle_unknown="ignore"), pick[1])], remainder=rest)
    est = fit(make_pipeline(pre, lm.LogisticRegression()), df, target(full, 8))
    assert_agrees(est, frame(200, 9, unseen=True)[df.columns], backend)


def test_dropped_columns_need_not_be_present(backend):
    df = frame(300, 7)
    pre = ColumnTransformer([("num", SimpleImputer(), ["age"]), ("cat", OneHotEncoder(), ["kind"])])
    est = fit(make_pipeline(pre, lm.LogisticRegression()), df, target(df, 8))
    X = frame(50, 9)[["kind", "age"]]
    model = fastscore.from_sklearn(est, backend=backend)
    assert_close(model.predict_proba(X), est.predict_proba(X))


def test_feature_union_and_nested_pipelines(backend):
    df = frame(300, 10)
    num = make_pipeline(SimpleImputer(), FeatureUnion([("std", StandardScaler()), ("minmax", MinMaxScaler()),
                                                       ("drop", "drop")],
                                                      transformer_weights={"minmax": 2.5}))
    cat = Pipeline([("impute", SimpleImputer(strategy="most_frequent")),
                    ("encode", make_pipeline(OneHotEncoder(handle_unknown="ignore"), MaxAbsScaler()))])
    pre = ColumnTransformer([("num", num, NUM), ("cat", cat, CAT)], transformer_weights={"cat": 0.5})
    est = fit(Pipeline([("pre", pre), ("model", make_pipeline(StandardScaler(with_mean=False),
                                                              lm.LogisticRegression()))]), df, target(df, 11))
    assert_agrees(est, frame(200, 12, unseen=True), backend)


def test_a_pipeline_fitted_on_an_array_reads_columns_by_position(backend):
    df = frame(300, 13)
    X = df[["age", "income"]].to_numpy()
    est = fit(make_pipeline(SimpleImputer(), StandardScaler(), lm.LogisticRegression()), X, target(df, 14))
    model = assert_agrees(est, frame(100, 15)[["age", "income"]].to_numpy(), backend)
    assert not hasattr(model, "feature_names_in_")


# ---- OneHotEncoder --------------------------------------------------------------------------------------

@pytest.mark.parametrize("options", [
    dict(handle_unknown="ignore"),
    dict(handle_unknown="ignore", drop="first"),
    dict(handle_unknown="ignore", drop="if_binary"),
    dict(drop="first"),
    dict(handle_unknown="infrequent_if_exist", min_frequency=30),
    dict(handle_unknown="infrequent_if_exist", max_categories=3),
    dict(handle_unknown="infrequent_if_exist", min_frequency=0.1, drop="first"),
    dict(handle_unknown="ignore", sparse_output=False),
    dict(handle_unknown="ignore", min_frequency=20),
    dict(handle_unknown="warn", max_categories=4),
])
def test_one_hot_encoder_settings(options, backend):
    df = frame(400, 20)
    enc = OneHotEncoder(**options)
    pre = ColumnTransformer([("num", SimpleImputer(), ["age"]), ("cat", enc, ["city", "kind", "level"])])
    est = fit(make_pipeline(pre, lm.LogisticRegression()), df, target(df, 21))
    X = frame(300, 22, unseen=True)
    if options.get("handle_unknown", "error") == "error":
        X = X[X["city"].isin(df["city"].dropna().unique()) | X["city"].isna()]
    assert_agrees(est, X, backend)


def test_one_hot_encoder_with_given_categories_and_explicit_drop(backend):
    df = frame(400, 23)
    cats = [["brest", "lille", "lyon", "metz", "nice", "paris", "zurich"], ["a", "b"], [1, 2, 3, 4]]
    enc = OneHotEncoder(categories=cats, drop=["paris", "b", 2], handle_unknown="ignore")
    pre = ColumnTransformer([("cat", enc, ["city", "kind", "level"])], remainder="drop")
    est = fit(make_pipeline(pre, lm.LogisticRegression()), df.assign(city=df["city"].fillna("paris")),
              target(df, 24))
    assert_agrees(est, frame(200, 25, unseen=True).assign(city=lambda d: d["city"].fillna("nice")), backend)


def test_one_hot_encoder_over_booleans_integers_and_floats(backend):
    df = frame(400, 26)
    pre = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), ["flag", "level", "score"])])
    est = fit(make_pipeline(pre, lm.LogisticRegression()), df, target(df, 27))
    X = frame(200, 28)
    X.loc[:20, "level"] = 7
    X.loc[20:30, "score"] = 2.5
    assert_agrees(est, X, backend)


def test_missing_values_as_a_category(backend):
    df = frame(400, 29)
    pre = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="error"), ["city", "kind"]),
                             ("num", OneHotEncoder(handle_unknown="ignore"), ["age"])], remainder="drop")
    df["age"] = df["age"].round(-1)
    est = fit(make_pipeline(pre, lm.LogisticRegression()), df, target(df, 30))
    X = frame(200, 31)
    X["age"] = X["age"].round(-1)
    X = X[X["city"].isin(df["city"].unique())]
    assert X["city"].isna().any() and X["age"].isna().any()
    assert_agrees(est, X, backend)


# ---- OrdinalEncoder, TargetEncoder ---------------------------------------------------------------------

@pytest.mark.parametrize("options", [
    dict(),
    dict(handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-2),
    dict(handle_unknown="use_encoded_value", unknown_value=-1, encoded_missing_value=-2, max_categories=3),
    dict(handle_unknown="use_encoded_value", unknown_value=np.nan, min_frequency=25),
])
def test_ordinal_encoder_settings(options, backend):
    df = frame(400, 40)
    enc = OrdinalEncoder(**options)
    cat = make_pipeline(enc, SimpleImputer(strategy="constant", fill_value=-5), StandardScaler())
    pre = ColumnTransformer([("num", SimpleImputer(), ["age"]), ("cat", cat, ["city", "kind"])])
    est = fit(make_pipeline(pre, lm.LogisticRegression()), df, target(df, 41))
    X = frame(300, 42, unseen=True)
    if options.get("handle_unknown", "error") == "error":
        X = X[X["city"].isin(df["city"].dropna().unique()) | X["city"].isna()]
    assert_agrees(est, X, backend)


def test_ordinal_encoder_then_one_hot_encoder(backend):
    df = frame(400, 43)
    cat = make_pipeline(OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1,
                                       encoded_missing_value=-1),
                        OneHotEncoder(handle_unknown="ignore", drop="first"))
    pre = ColumnTransformer([("cat", cat, ["city"])])
    est = fit(make_pipeline(pre, lm.LogisticRegression()), df, target(df, 44))
    assert_agrees(est, frame(300, 45, unseen=True), backend)


@pytest.mark.parametrize("kind", ["binary", "multiclass", "continuous"])
def test_target_encoder(kind, backend):
    df = frame(500, 50)
    y = target(df, 51, kind)
    pre = ColumnTransformer([("num", make_pipeline(SimpleImputer(), StandardScaler()), ["age"]),
                             ("te", TargetEncoder(random_state=0), ["city", "kind"])])
    model = lm.Ridge() if kind == "continuous" else lm.LogisticRegression()
    est = fit(make_pipeline(pre, model), df, y)
    assert_agrees(est, frame(300, 52, unseen=True), backend)


# ---- KBinsDiscretizer, imputers, polynomial terms ---------------------------------------------------------

@pytest.mark.parametrize("encode", ["onehot", "onehot-dense", "ordinal"])
@pytest.mark.parametrize("strategy", ["uniform", "quantile", "kmeans"])
def test_kbins_discretizer(encode, strategy, backend):
    df = frame(400, 60)
    kb = KBinsDiscretizer(n_bins=4, encode=encode, strategy=strategy, quantile_method="averaged_inverted_cdf") \
        if strategy == "quantile" else KBinsDiscretizer(n_bins=4, encode=encode, strategy=strategy)
    pre = ColumnTransformer([("bins", make_pipeline(SimpleImputer(), StandardScaler(), kb), ["age", "income"]),
                             ("raw", KBinsDiscretizer(n_bins=3, encode=encode), ["score"])])
    est = fit(make_pipeline(pre, lm.LogisticRegression()), df, target(df, 61))
    X = frame(300, 62)
    edges = est[0].named_transformers_["bins"][-1].bin_edges_[0]
    X.loc[:10, "age"] = np.nan
    X.loc[10:20, "score"] = np.nan  # no imputer before these bins: scikit-learn raises
    assert_agrees(est, X, backend)
    X = X.dropna(subset=["score"])
    mean, scale = est[0].named_transformers_["bins"][1].mean_[0], est[0].named_transformers_["bins"][1].scale_[0]
    X.loc[X.index[:len(edges)], "age"] = edges * scale + mean  # values on the edges, after scaling back
    assert_agrees(est, X, backend, roundtrip=False)


@pytest.mark.parametrize("strategy", ["mean", "median", "most_frequent", "constant"])
def test_simple_imputer_numbers_and_strings(strategy, backend):
    df = frame(400, 70)
    df.loc[:3, "kind"] = None
    num = SimpleImputer(strategy=strategy, add_indicator=True)
    cat = make_pipeline(SimpleImputer(strategy="most_frequent" if strategy in ("mean", "median") else strategy,
                                      fill_value="missing" if strategy == "constant" else None,
                                      add_indicator=True),
                        OneHotEncoder(handle_unknown="ignore"))
    pre = ColumnTransformer([("num", num, NUM), ("cat", cat, CAT)])
    est = fit(make_pipeline(pre, lm.LogisticRegression()), df, target(df, 71))
    X = frame(300, 72, unseen=True)
    X.loc[5:9, "kind"] = None
    assert_agrees(est, X, backend)


def test_simple_imputer_keep_empty_features(backend):
    df = frame(300, 73).assign(empty=np.nan)
    for keep in (False, True):
        pre = ColumnTransformer([("num", SimpleImputer(keep_empty_features=keep), ["age", "empty", "income"])])
        est = fit(make_pipeline(pre, lm.LogisticRegression()), df, target(df, 74))
        assert_agrees(est, frame(100, 75).assign(empty=np.nan), backend)


def test_missing_values_reach_the_imputers_as_none_nan_or_pandas_na(backend):
    df = frame(300, 76)
    est = fit(common(lm.LogisticRegression()), df, target(df, 77))
    X = frame(60, 78)
    X["age"] = X["age"].astype("Float64")
    X.loc[3, "age"] = pd.NA
    X["city"] = X["city"].astype(object)
    X.loc[4, "city"] = None
    model = fastscore.from_sklearn(est, backend=backend)
    # None in a DataFrame's object column is a value to scikit-learn (a category it was not fitted on);
    # in JSON records null is the missing value, as NaN is in the frame
    assert_close(model.predict_proba(X), est.predict_proba(X.assign(age=X["age"].astype(float))))
    expected = est.predict_proba(X.assign(age=X["age"].astype(float), city=X["city"].fillna(np.nan)))
    assert_close(model.predict_proba(records(X)), expected)
    assert_close(model.predict_proba(X.assign(city=X["city"].fillna(np.nan))), expected)


def test_none_in_an_object_column_is_a_category_as_in_sklearn(backend):
    df = frame(300, 132)
    X = frame(60, 133)
    X["city"] = X["city"].astype(object)
    X.loc[[4, 9], "city"] = None
    X.loc[[5, 11], "city"] = np.nan
    for handle_unknown in ("ignore", "error"):
        pre = ColumnTransformer([("num", make_pipeline(SimpleImputer(), StandardScaler()), NUM),
                                 ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"),
                                                       OneHotEncoder(handle_unknown=handle_unknown)), CAT)])
        est = fit(make_pipeline(pre, lm.LogisticRegression()), df, target(df, 134))
        model = assert_agrees(est, X, backend)
        if handle_unknown == "error":
            with pytest.raises(ValueError, match="'city'.*None"):
                model.predict_proba(X)
            with pytest.raises(ValueError, match="'city'.*None"):
                model.score_one(X.iloc[4])
        else:
            assert model.score_one(X.iloc[4]) == pytest.approx(est.predict_proba(X.iloc[[4]])[0, 1], abs=1e-12)


def test_an_encoder_fitted_on_none_is_refused():
    df = frame(300, 135)
    df["flag"] = df["flag"].astype(object)
    df.loc[[3, 8], "flag"] = None
    pre = ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), ["flag", "city"])])
    est = fit(make_pipeline(pre, lm.LogisticRegression()), df, target(df, 136))
    assert None in list(est[0].named_transformers_["cat"].categories_[0])
    with pytest.raises(fastscore.ConversionError, match="OneHotEncoder at columntransformer/cat: .*None"):
        fastscore.from_sklearn(est)


def test_pandas_na_in_a_nullable_string_column_is_refused(backend):
    df = frame(300, 137)
    est = fit(common(lm.LogisticRegression()), df, target(df, 138))
    X = frame(40, 139).assign(city=lambda d: d["city"].astype("string"))
    X.loc[6, "city"] = pd.NA
    # scikit-learn takes pandas.NA there for a category it does not know, not for the missing value
    assert np.abs(est.predict_proba(X)[6] - est.predict_proba(X.assign(city=X["city"].astype(object).fillna(
        np.nan)))[6]).max() > 1e-6
    model = fastscore.from_sklearn(est, backend=backend)
    with pytest.raises(ValueError, match="'city'.*pandas.NA in row 6"):
        model.predict_proba(X)
    with pytest.raises(ValueError, match="'city'.*pandas.NA"):
        model.score_one(X.iloc[6])


def test_missing_indicator(backend):
    df = frame(300, 80)
    union = FeatureUnion([("imp", SimpleImputer()), ("ind", MissingIndicator(features="all"))])
    pre = ColumnTransformer([("num", union, NUM), ("cat", MissingIndicator(error_on_new=False), ["city"])])
    est = fit(make_pipeline(pre, lm.LogisticRegression()), df, target(df, 81))
    assert_agrees(est, frame(200, 82), backend)


def test_missing_indicator_raises_for_new_missing_columns_as_sklearn_does(backend):
    df = frame(300, 83)
    pre = ColumnTransformer([("imp", SimpleImputer(), ["age", "score"]), ("ind", MissingIndicator(), ["age", "score"])])
    est = fit(make_pipeline(pre, lm.LogisticRegression()), df, target(df, 84))
    X = frame(100, 85)
    assert_agrees(est, X, backend)
    X.loc[3, "score"] = np.nan
    assert_agrees(est, X, backend)


@pytest.mark.parametrize("options", [dict(degree=2), dict(degree=3, include_bias=False),
                                     dict(degree=2, interaction_only=True), dict(degree=(2, 3))])
def test_polynomial_features(options, backend):
    df = frame(300, 90)
    num = make_pipeline(SimpleImputer(), StandardScaler(), PolynomialFeatures(**options), StandardScaler())
    pre = ColumnTransformer([("num", num, NUM), ("cat", OneHotEncoder(handle_unknown="ignore"), ["city"])])
    est = fit(make_pipeline(pre, lm.Ridge()), df, target(df, 91, "continuous"))
    assert_agrees(est, frame(200, 92, unseen=True), backend)


def test_polynomial_features_over_the_encodings_of_one_column(backend):
    df = frame(300, 93)
    cat = make_pipeline(OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1,
                                       encoded_missing_value=-1), PolynomialFeatures(2))
    pre = ColumnTransformer([("cat", cat, ["city"]), ("num", SimpleImputer(), ["age"])])
    est = fit(make_pipeline(pre, lm.Ridge()), df, target(df, 94, "continuous"))
    assert_agrees(est, frame(200, 95, unseen=True), backend)


@pytest.mark.parametrize("scaler", [StandardScaler(), MinMaxScaler(), MaxAbsScaler(), RobustScaler()])
def test_scalers_anywhere_in_a_branch(scaler, backend):
    df = frame(300, 96)
    num = make_pipeline(SimpleImputer(), scaler, StandardScaler())
    cat = make_pipeline(OneHotEncoder(handle_unknown="ignore", sparse_output=False), type(scaler)())
    pre = ColumnTransformer([("num", num, NUM), ("cat", cat, CAT)])
    est = fit(make_pipeline(pre, type(scaler)(), lm.LogisticRegression()), df, target(df, 97))
    assert_agrees(est, frame(200, 98, unseen=True), backend)


# ---- refusals ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("step, path", [
    (FunctionTransformer(np.log1p), "columntransformer/num/functiontransformer"),
    (SplineTransformer(), "columntransformer/num/splinetransformer"),
])
def test_steps_that_cannot_be_converted_are_named_with_their_path(step, path):
    df = frame(200, 99)
    num = make_pipeline(SimpleImputer(), step)
    pre = ColumnTransformer([("num", num, ["income"]), ("cat", OneHotEncoder(), ["kind"])])
    est = fit(make_pipeline(pre, lm.LogisticRegression()), df, target(df, 100))
    with pytest.raises(fastscore.ConversionError,
                       match=f"fastscore cannot convert {type(step).__name__} at {path}: "):
        fastscore.from_sklearn(est)


# ---- every input form ---------------------------------------------------------------------------------------

class ArrowStream:
    """An object that offers only the Arrow PyCapsule stream interface (as DuckDB or nanoarrow objects do)."""

    def __init__(self, table):
        self._table = table

    def __arrow_c_stream__(self, requested_schema=None):
        return self._table.__arrow_c_stream__(requested_schema)


def json_value(v):
    """A cell as json.loads gives it: None for a missing value, Python numbers, booleans and strings."""
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    return v.item() if isinstance(v, np.generic) else v


def records(df):
    """df as a JSON batch: one dict per row, through a real JSON round trip."""
    rows = [{c: json_value(v) for c, v in zip(df.columns, row)} for row in df.itertuples(index=False)]
    return json.loads(json.dumps(rows))


def input_forms(df):
    """df in each other form a model takes by name, with df's column order: (form, X).

    Each holds a missing value as its form does (Arrow and polars nulls, JSON null, a list's None):
    each is canonical(df), where None is missing, not df, where None in an object column is a value.
    """
    pa = pytest.importorskip("pyarrow", reason="Arrow forms need pyarrow")
    pl = pytest.importorskip("polars", reason="polars forms need polars")
    table = pa.Table.from_pandas(df, preserve_index=False)
    polars_frame = pl.from_pandas(df)
    yield "a polars DataFrame", polars_frame
    strings = [c for c, t in polars_frame.schema.items() if t == pl.String]
    if strings:
        levels = sorted(set().union(*(polars_frame[c].drop_nulls().to_list() for c in strings)))
        yield "a polars DataFrame of Categoricals", polars_frame.with_columns(pl.col(strings).cast(pl.Categorical))
        yield "a polars DataFrame of Enums", polars_frame.with_columns(pl.col(strings).cast(pl.Enum(levels[::-1])))
    yield "a pyarrow Table", table
    yield "a pyarrow RecordBatch", pa.RecordBatch.from_pandas(df, preserve_index=False)
    yield "an Arrow PyCapsule stream", ArrowStream(table)
    yield "a dict of arrays and lists", {c: df[c].to_numpy() if i % 2 else df[c].tolist()
                                         for i, c in enumerate(df.columns)}
    yield "a list of dicts (JSON)", records(df)


def canonical(df):
    """df with None in its object columns made NaN: what every form but a pandas DataFrame means by a null."""
    return df.apply(lambda s: s.where(s.notna(), np.nan) if s.dtype == object else s)


def expected_one(est, row):
    """scikit-learn's answer for one row (a one-row DataFrame) as score_one gives it, or the ValueError it raises."""
    out = sklearn_outputs(est, row)
    if "predict_proba" in out:
        p = out["predict_proba"]
        if isinstance(p, Exception):
            return p
        return float(p[0, 1]) if p.shape[1] == 2 else tuple(p[0].tolist())
    return out["predict"] if isinstance(out["predict"], Exception) else float(out["predict"][0])


def assert_every_form_agrees(model, est, df, n_one=5):
    """model gives scikit-learn's outputs on pandas df in every other input form, and score_one on a few
    of its rows as dicts and as Series: the same numbers, or a ValueError naming a column where
    scikit-learn raises."""
    expected = sklearn_outputs(est, canonical(df))
    bound = z_bound(est, canonical(df))
    for form, X in input_forms(df):
        assert_outputs(model, X, expected, form, bound)
    rows = records(df)
    missing = df.isna().any(axis=1).to_numpy()
    picked = [*np.flatnonzero(missing)[:n_one // 2], *np.flatnonzero(~missing)[:n_one - n_one // 2]]
    names = [str(n) for n in model.feature_names_in_]
    for i in picked:
        for form, row, theirs in (("a dict", rows[i], expected_one(est, canonical(df.iloc[[i]]))),
                                  ("a pandas Series", df.iloc[i], expected_one(est, df.iloc[[i]]))):
            if isinstance(theirs, Exception):
                with pytest.raises(ValueError) as info:
                    model.score_one(row)
                assert any(repr(n) in str(info.value) for n in names), (form, str(info.value))
            else:
                try:
                    assert_close(model.score_one(row), theirs, _shaped(bound, (1,))[i] if np.ndim(bound) else 0.0)
                except AssertionError as exc:
                    raise AssertionError(f"score_one of row {i} as {form}: {exc}") from None


# ---- random pipelines on random mixed frames ---------------------------------------------------------------

#: How a category column is held: its values (then, for the test frame, its unseen values) by style.
CATEGORY_STYLES = {
    "str": ([f"v{i}" for i in range(6)], ["new", "other"]),                    # pandas' str dtype, NaN missing
    "text": (["", "é", "日本", " x", "Ωmega", "v5"], ["ünseen", "\t"]),           # empty and non-ASCII strings
    "category": ([f"v{i}" for i in range(6)], ["new", "other"]),               # pandas Categorical
    "int_object": ([1, 2, 3, 4, 5, 6], [9, 10]),                                 # Python ints in an object column
    "float_object": ([1, 2.0, 2.5, 3, 4.25, 5], [7.5, 9]),                     # 1 and 1.0 alike, as Python compares
    "bool_object": ([True, False], []),                                           # booleans with missing values
}


def category_column(rng, style, k, n, unseen, nan_rate, none_rate):
    """A category column of the style: k of its levels (and unseen ones), NaN at nan_rate, None at none_rate
    (object columns only: None is a value there, as scikit-learn reads it)."""
    levels, extra = CATEGORY_STYLES[style]
    levels = levels[:k] + (extra if unseen else [])
    if style == "float_object" and unseen:  # the test frame writes 1.0 where training wrote 1, and 2 for 2.0
        levels = [float(v) if isinstance(v, int) else int(v) if float(v).is_integer() else v for v in levels]
    v = np.empty(n, dtype=object)
    v[:] = [levels[i] for i in rng.integers(0, len(levels), n)]
    v[rng.random(n) < nan_rate] = np.nan
    if style.endswith("object"):
        v[rng.random(n) < none_rate] = None
        return pd.Series(v, dtype=object)
    if style == "category":
        return pd.Categorical(v)
    return pd.array(v, dtype="str")


@st.composite
def mixed_frames(draw):
    """(train, test) DataFrames: numbers with NaN (float64, float32 or nullable Float64 with pd.NA), category
    columns of every style above with missing and unseen values (one may be entirely missing in the test
    frame), booleans (with missing values or not), integers.

    The test frame has its columns in another order and one more column.
    """
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    n_num, n_cat = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    n_levels = [draw(st.integers(2, 6)) for _ in range(n_cat)]
    styles = [draw(st.sampled_from(sorted(CATEGORY_STYLES))) for _ in range(n_cat)]
    num_types = [draw(st.sampled_from(["float64", "float64", "float32", "Float64"])) for _ in range(n_num)]
    nan_rate = draw(st.sampled_from([0.0, 0.1, 0.3]))
    none_rate = draw(st.sampled_from([0.0, 0.1]))
    bool_missing = draw(st.booleans())
    wiped = draw(st.sampled_from([None, *range(n_cat)]))

    def make(n, unseen, test):
        cols = {}
        for j in range(n_num):
            x = rng.normal(draw_scale[j][0], draw_scale[j][1], n)
            x[rng.random(n) < nan_rate] = np.nan
            cols[f"n{j}"] = pd.array(x, dtype=num_types[j]) if num_types[j] == "Float64" else x.astype(num_types[j])
        for j, (k, style) in enumerate(zip(n_levels, styles)):
            column = category_column(rng, style, k, n, unseen, nan_rate, none_rate if test else 0.0)
            if test and wiped == j:
                column = pd.Series(column).where(np.zeros(n, dtype=bool), np.nan)  # entirely missing, dtype kept
            cols[f"c{j}"] = column
        b = rng.random(n) < 0.4
        cols["b"] = pd.Series(b, dtype=object).where(rng.random(n) >= 0.1, np.nan) if bool_missing else b
        cols["i"] = rng.integers(0, 4, n)
        return pd.DataFrame(cols)

    draw_scale = [(draw(st.sampled_from([0.0, 5.0, 1e3])), draw(st.sampled_from([1.0, 10.0]))) for _ in range(n_num)]
    train = make(draw(st.integers(80, 200)), False, False)
    test = make(60, draw(st.booleans()), True)
    order = draw(st.permutations(list(test.columns)))
    return train, test[order].assign(extra=rng.normal(size=len(test)))


@st.composite
def pipelines(draw, train):
    """A ColumnTransformer pipeline of the parts above for the columns of train, and its model."""
    num = [c for c in train.columns if c.startswith("n")]
    cat = [c for c in train.columns if c.startswith("c")]
    num_steps = [SimpleImputer(strategy=draw(st.sampled_from(["mean", "median", "most_frequent", "constant"])),
                               add_indicator=draw(st.booleans()))]
    num_steps.append(draw(st.sampled_from([StandardScaler(), MinMaxScaler(), RobustScaler(), MaxAbsScaler(),
                                           "passthrough"])))
    extra = draw(st.sampled_from(["none", "poly", "bins"]))
    if extra == "poly":
        num_steps.append(PolynomialFeatures(draw(st.integers(2, 3)), interaction_only=draw(st.booleans())))
    elif extra == "bins":
        num_steps.append(KBinsDiscretizer(n_bins=draw(st.integers(2, 4)),
                                          encode=draw(st.sampled_from(["onehot", "ordinal"])),
                                          strategy=draw(st.sampled_from(["uniform", "kmeans"]))))
    encoder = draw(st.sampled_from(["onehot", "onehot_infrequent", "ordinal", "target"]))
    if encoder == "onehot":
        enc = OneHotEncoder(handle_unknown=draw(st.sampled_from(["ignore", "error"])),
                            drop=draw(st.sampled_from([None, "first", "if_binary"])),
                            sparse_output=draw(st.booleans()))
    elif encoder == "onehot_infrequent":
        enc = OneHotEncoder(handle_unknown="infrequent_if_exist", min_frequency=draw(st.sampled_from([5, 0.2])),
                            max_categories=draw(st.sampled_from([None, 3])))
    elif encoder == "ordinal":
        enc = make_pipeline(OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1,
                                           encoded_missing_value=-2), StandardScaler())
    else:
        enc = TargetEncoder(random_state=0)
    cat_steps = [enc]
    if draw(st.booleans()):
        cat_steps.insert(0, SimpleImputer(strategy="most_frequent"))
    branches = [("num", make_pipeline(*num_steps), num), ("cat", make_pipeline(*cat_steps), cat),
                ("flag", draw(st.sampled_from(["passthrough", OneHotEncoder(drop="if_binary")])), ["b"])]
    pre = ColumnTransformer(branches, remainder=draw(st.sampled_from(["drop", "passthrough", StandardScaler()])))
    kind = draw(st.sampled_from(["binary", "multiclass", "continuous"]))
    model = {"binary": lm.LogisticRegression(max_iter=500), "multiclass": lm.LogisticRegression(max_iter=500),
             "continuous": lm.Ridge()}[kind]
    return make_pipeline(pre, model), kind


@settings(max_examples=int(__import__("os").environ.get("PIPELINES_N", 25)))
@given(st.data())
def test_random_pipelines_on_random_frames_score_as_sklearn(data):
    train, test = data.draw(mixed_frames())
    est, kind = data.draw(pipelines(train))
    rng = np.random.default_rng(0)
    signal = np.nan_to_num(train["n0"].to_numpy(dtype=float, na_value=np.nan)) + rng.normal(0, 1, len(train))
    # a continuous target of unit scale: predictions near 1e3 would round at 1e-13 and make 1e-12 a matter of luck
    y = {"binary": signal > np.median(signal), "multiclass": np.digitize(signal, np.quantile(signal, [0.3, 0.7])),
         "continuous": (signal - signal.mean()) / signal.std()}[kind]
    try:
        fit(est, train, y)
    except ValueError:  # a draw that scikit-learn itself refuses to fit: not an example
        reject()
    single = [c for c in test.columns if test[c].dtype == np.float32]
    if single and float32_refused(est, test):
        test = test.astype({c: np.float64 for c in single})
    for backend in fastscore_backends():
        model = assert_agrees(est, test, backend, roundtrip=backend == "pure", bound=z_bound(est, test))
        assert_every_form_agrees(model, est, test)


def float32_refused(est, X):
    """Whether the model refuses X's float32 columns, which scikit-learn's imputers and scalers compute in
    float32, in every typed form (JSON numbers and lists are float64). A model that takes them must agree."""
    model = fastscore.from_sklearn(est)
    try:
        model.score(X)
    except ValueError as exc:
        if "float32" not in str(exc):
            return False
        for form, Y in input_forms(X):
            if not form.startswith(("a dict", "a list")):
                with pytest.raises(ValueError, match="is float32"):
                    model.score(Y)
        return True
    return False


def fastscore_backends():
    from conftest import BACKENDS

    return BACKENDS


# ---- more input forms and wrappers ----------------------------------------------------------------------

def test_categorical_nullable_and_arrow_dtypes(backend):
    df = frame(300, 110)
    typed = df.assign(city=df["city"].astype("category"), kind=df["kind"].astype("string[pyarrow]"),
                      age=df["age"].astype("Float64"), income=df["income"].astype("float64[pyarrow]"),
                      level=df["level"].astype("Int64"))
    pre = ColumnTransformer([("num", make_pipeline(SimpleImputer(), StandardScaler()), ["age", "income"]),
                             ("cat", OneHotEncoder(handle_unknown="ignore"), ["city", "kind", "level"])])
    est = fit(make_pipeline(pre, lm.LogisticRegression()), df, target(df, 111))
    X = frame(200, 112, unseen=True)
    model = fastscore.from_sklearn(est, backend=backend)
    X_typed = X.assign(city=X["city"].astype("category"), kind=X["kind"].astype("string[pyarrow]"),
                       age=X["age"].astype("Float64"), income=X["income"].astype("float64[pyarrow]"),
                       level=X["level"].astype("Int64"))
    assert_close(model.predict_proba(X_typed), est.predict_proba(X))


def test_pandas_output_between_steps(backend):
    df = frame(300, 113)
    pre = ColumnTransformer([("num", make_pipeline(SimpleImputer(), StandardScaler()), NUM),
                             ("cat", OneHotEncoder(handle_unknown="ignore", sparse_output=False), CAT)])
    est = fit(make_pipeline(pre, StandardScaler(), lm.LogisticRegression()).set_output(transform="pandas"),
              df, target(df, 114))
    assert_agrees(est, frame(200, 115, unseen=True), backend)


def test_an_object_array_by_position(backend):
    df = frame(300, 116)[["age", "city", "kind"]]
    X = df.to_numpy(dtype=object)
    pre = ColumnTransformer([("num", SimpleImputer(), [0]), ("cat", OneHotEncoder(handle_unknown="ignore"), [1, 2])])
    est = fit(make_pipeline(pre, lm.LogisticRegression()), X, target(frame(300, 116), 117))
    assert_agrees(est, frame(100, 118, unseen=True)[["age", "city", "kind"]].to_numpy(dtype=object), backend)


def test_infinity_is_refused_as_sklearn_refuses_it(backend):
    df = frame(300, 119)
    est = fit(common(lm.LogisticRegression()), df, target(df, 120))
    X = frame(50, 121)
    X.loc[4, "income"] = np.inf
    with pytest.raises(ValueError):
        est.predict_proba(X)
    with pytest.raises(ValueError, match="income"):
        fastscore.from_sklearn(est, backend=backend).predict_proba(X)


def test_calibrated_and_searched_column_pipelines(backend):
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.model_selection import GridSearchCV

    df = frame(400, 122)
    y = target(df, 123)
    calibrated = fit(CalibratedClassifierCV(common(LinearSVC()), cv=3), df, y)
    assert_agrees(calibrated, frame(200, 124, unseen=True), backend)
    searched = fit(GridSearchCV(common(lm.LogisticRegression()), {"logisticregression__C": [0.1, 1.0]}, cv=3), df, y)
    assert_agrees(searched, frame(200, 125, unseen=True), backend)


def test_a_branch_of_float32_computes_in_float32(backend):
    df = frame(300, 126)
    cat = make_pipeline(OneHotEncoder(handle_unknown="ignore", sparse_output=False, dtype=np.float32),
                        StandardScaler())
    pre = ColumnTransformer([("cat", cat, ["city", "kind"]), ("num", SimpleImputer(), ["age"])])
    est = fit(make_pipeline(pre, lm.LogisticRegression()), df, target(df, 127))
    assert est[0].named_transformers_["cat"].transform(df[["city", "kind"]]).dtype == np.float32
    assert_agrees(est, frame(200, 128, unseen=True), backend)


def test_polars_categorical_and_enum_columns(backend):
    pl = pytest.importorskip("polars", reason="polars input needs polars")
    df = frame(300, 129)
    est = fit(common(lm.LogisticRegression()), df, target(df, 130))
    X = frame(100, 131, unseen=True)
    model = fastscore.from_sklearn(est, backend=backend)
    expected = est.predict_proba(X)
    levels = sorted(set(X["city"].dropna()) | set(X["kind"]))
    for dtype in (pl.Categorical, pl.Enum(levels[::-1])):
        typed = pl.from_pandas(X).with_columns(pl.col("city").cast(dtype), pl.col("kind").cast(dtype))
        assert_close(model.predict_proba(typed), expected)


def test_none_among_number_categories_of_an_object_column_is_a_category(backend):
    df = frame(300, 140)
    df["level"] = df["level"].astype(object)
    df.loc[[2, 7], "level"] = np.nan
    X = frame(60, 141)
    X["level"] = X["level"].astype(object)
    X.loc[[3, 8], "level"] = None
    X.loc[[4], "level"] = np.nan
    for handle_unknown in ("ignore", "error"):
        pre = ColumnTransformer([("cat", OneHotEncoder(handle_unknown=handle_unknown), ["level", "kind"])])
        est = fit(make_pipeline(pre, lm.LogisticRegression()), df, target(df, 142))
        model = assert_agrees(est, X, backend)
        if handle_unknown == "error":
            with pytest.raises(ValueError, match="'level'.*None"):
                model.predict_proba(X)
            with pytest.raises(ValueError, match="'level'.*None"):
                model.score_one(X.iloc[3])
        else:
            assert model.score_one(X.iloc[3]) == pytest.approx(est.predict_proba(X.iloc[[3]])[0, 1], abs=1e-12)


@pytest.mark.parametrize("column", [np.full(30, np.nan), np.linspace(0, 1, 30), np.arange(30) % 2 == 0])
def test_numbers_for_categories_of_strings_are_refused_as_sklearn_refuses_them(column, backend):
    df = frame(300, 143)
    est = fit(common(lm.LogisticRegression()), df, target(df, 144))
    X = frame(30, 145).assign(city=column)
    with pytest.raises((TypeError, ValueError)):
        est.predict_proba(X)
    model = fastscore.from_sklearn(est, backend=backend)
    for form, data in [("pandas", X), *input_forms(X)]:
        if form.startswith("a dict") or form.startswith("a list"):
            continue  # JSON values: null is missing, and a number among strings an unknown category
        with pytest.raises(TypeError if column.dtype.kind == "f" else ValueError, match="'city' holds"):
            model.predict_proba(data)
    X["city"] = X["city"].astype(object).where(X["city"].notna(), "zz")  # objects: unknown categories
    assert_close(model.predict_proba(X), est.predict_proba(X))


def test_float32_numbers_that_sklearn_computes_in_float32_are_refused(backend):
    df = frame(300, 146)
    est = fit(common(lm.LogisticRegression()), df, target(df, 147))
    X = frame(50, 148).astype({c: np.float32 for c in NUM})
    theirs = est.predict_proba(X)  # scikit-learn imputes and scales in float32
    assert np.abs(theirs - est.predict_proba(X.astype({c: np.float64 for c in NUM}))).max() > 1e-12
    model = fastscore.from_sklearn(est, backend=backend)
    for form, data in [("pandas", X), *input_forms(X)]:
        if not form.startswith(("a dict", "a list")):
            with pytest.raises(ValueError, match="'(age|income|score)' is float32"):
                model.predict_proba(data)
    with pytest.raises(ValueError, match="is float32"):
        model.score_one(X.iloc[0])
    assert_close(model.predict_proba(records(X)), est.predict_proba(X.astype({c: np.float64 for c in NUM})))


def test_an_imputer_fitted_on_float32_fills_with_a_float32_statistic(backend):
    df = frame(300, 149).astype({c: np.float32 for c in NUM})
    est = fit(common(lm.LogisticRegression()), df, target(df, 150))
    X = frame(80, 151)
    assert X["age"].isna().any()
    assert_agrees(est, X, backend)


@pytest.mark.parametrize("problem", ["missing number", "pandas.NA number", "missing category", "unknown category"])
def test_errors_name_the_column_and_the_row_or_value_in_every_form(problem, backend):
    df = frame(300, 152).dropna(subset=["city"])
    pre = ColumnTransformer([("num", StandardScaler(), ["age", "income"]),
                             ("cat", OneHotEncoder(handle_unknown="error"), ["city", "kind"])])
    est = fit(make_pipeline(pre, lm.LogisticRegression()), df.fillna({"age": 40.0, "income": 20.0}),
              target(df, 153))
    X = frame(20, 154)[["kind", "city", "income", "age"]].fillna({"age": 40.0, "income": 20.0, "city": "lyon"})
    column, row, pattern = {
        "missing number": ("age", 5, r"'age'.* row 5\b|row 5\b.*'age'"),
        "pandas.NA number": ("income", 3, r"'income'.* row 3\b|row 3\b.*'income'"),
        "missing category": ("city", 4, r"'city'.* row 4\b|row 4\b.*'city'"),
        "unknown category": ("city", 7, r"'city'.*'oslo'"),
    }[problem]
    if problem == "pandas.NA number":
        X["income"] = X["income"].astype("Float64")
    X.loc[row, column] = "oslo" if problem == "unknown category" else (pd.NA if problem == "pandas.NA number"
                                                                        else np.nan)
    with pytest.raises(ValueError):
        est.predict_proba(X)
    model = fastscore.from_sklearn(est, backend=backend)
    for form, data in [("a pandas DataFrame", X), *input_forms(X)]:
        with pytest.raises(ValueError, match=pattern):
            model.predict_proba(data)
    one = pattern.split(".*")[0] if problem != "unknown category" else pattern
    for data in (records(X)[row], X.iloc[row]):
        with pytest.raises(ValueError, match=one):
            model.score_one(data)


def test_none_in_an_object_array_by_position_is_a_category_as_in_sklearn(backend):
    df = frame(300, 155)[["age", "city", "kind"]]
    X = df.to_numpy(dtype=object)
    pre = ColumnTransformer([("num", SimpleImputer(), [0]), ("cat", OneHotEncoder(handle_unknown="ignore"), [1, 2])])
    est = fit(make_pipeline(pre, lm.LogisticRegression()), X, target(frame(300, 155), 156))
    Y = frame(30, 157)[["age", "city", "kind"]].to_numpy(dtype=object)
    Y[[2, 5], 1] = None
    Y[[3], 1] = np.nan
    model = assert_agrees(est, Y, backend)
    expected = est.predict_proba(Y)[:, 1]
    for i in (2, 3, 5):
        assert model.score_one(list(Y[i])) == pytest.approx(expected[i], abs=1e-12)

"""Input handling, the same on both backends: every layout converts, every bad input names its problem."""
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

import fastscore
from fastscore.demo import worked_example_data


@pytest.fixture(scope="module")
def fitted():
    X, y = worked_example_data()
    return X, LogisticRegression().fit(X, y)


@pytest.fixture
def model(fitted, backend):
    return fastscore.from_sklearn(fitted[1], backend=backend)


def _layouts(X):
    big = X.astype(">f8")
    fortran = np.asfortranarray(X)
    wide = np.zeros((X.shape[0], 4))
    wide[:, ::2] = X
    readonly = X.copy()
    readonly.flags.writeable = False
    unaligned = np.ndarray(X.shape, np.float64, np.zeros(X.nbytes + 1, np.uint8).data, 1)
    unaligned[...] = X
    return {
        "list": X.tolist(),
        "tuple": tuple(map(tuple, X.tolist())),
        "float32": X.astype(np.float32),
        "big-endian": big,
        "fortran": fortran,
        "strided view": wide[:, ::2],
        "read-only": readonly,
        "unaligned": unaligned,
        "reversed rows": X[::-1][::-1],
    }


def test_every_layout_gives_the_same_numbers(fitted, model):
    X, est = fitted
    X = X[:50]
    want = est.predict_proba(X)
    for name, data in _layouts(X).items():
        tol = 1e-6 if name == "float32" else 1e-12
        np.testing.assert_allclose(model.predict_proba(data), want, rtol=0, atol=tol, err_msg=name)


def test_integer_and_bool_arrays(fitted, model):
    _, est = fitted
    for dtype in (np.int8, np.int64, np.uint16, bool, np.float16):
        X = np.array([[1, 0], [0, 1], [1, 1]], dtype=dtype)
        np.testing.assert_allclose(model.predict_proba(X), est.predict_proba(X.astype(np.float64)),
                                   rtol=0, atol=1e-12, err_msg=str(dtype))


def test_inputs_are_not_modified_or_copied_needlessly(fitted, model):
    from fastscore import _checks

    X = np.ascontiguousarray(fitted[0][:10])
    before = X.copy()
    model.predict_proba(X)
    assert np.array_equal(X, before)
    readonly = X.copy()
    readonly.flags.writeable = False
    for data in (X, X.astype(np.float32), readonly, X[2:5]):  # already in a kernel's layout: used as is
        converted = _checks.as_matrix(data, 2)
        assert converted is data or (np.shares_memory(converted, data) and converted.dtype == data.dtype)
    for data in (np.asfortranarray(X), X.astype(">f8"), X[::2], X.astype(np.int64)):  # these need a copy
        converted = _checks.as_matrix(data, 2)
        assert converted.flags.c_contiguous and converted.dtype == np.float64
        assert not np.shares_memory(converted, data) and np.array_equal(converted, data.astype(np.float64))


@pytest.mark.parametrize("bad, error, words", [
    (np.zeros((3, 3)), ValueError, "3 features, but the model expects 2"),
    (np.zeros((3, 1)), ValueError, "1 features, but the model expects 2"),
    (np.zeros(2), ValueError, "must be 2-D"),
    (np.zeros((2, 2, 2)), ValueError, "must be 2-D"),
    (np.float64(1.0), ValueError, "must be 2-D"),
    ([[1.0, 2.0], [3.0]], ValueError, "not a rectangular array"),
    ([["1.0", "2.0"]], TypeError, "holds strings"),
    (np.array([["a", "b"]]), TypeError, "holds strings"),
    ([[1.0, None]], TypeError, "X[0, 1] is not a number: None"),
    (None, TypeError, "X must be a 2-D array or a list of lists of numbers, got NoneType"),
    ({"a": [1.0], "b": [2.0]}, TypeError, "X must be a 2-D array or a list of lists of numbers, got dict"),
    (np.array([[1 + 2j, 0]]), TypeError, "complex"),
    (np.array([["2020-01-01", "2020-01-02"]], dtype="datetime64[D]"), TypeError, "non-numeric dtype"),
])
def test_bad_inputs_name_the_problem(model, bad, error, words):
    for method in (model.predict_proba, model.predict, model.decision_function, model.score):
        with pytest.raises(error) as info:
            method(bad)
        assert words in str(info.value)


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_nonfinite_values_name_the_first_bad_row(model, value):
    X = np.zeros((6, 2))
    X[3, 1] = value
    X[5, 0] = value
    for data in (X, X.astype(np.float32), X.tolist()):
        for method in (model.predict_proba, model.predict, model.decision_function, model.score):
            with pytest.raises(ValueError, match="NaN or infinity in row 3$"):
                method(data)


def test_nonfinite_values_with_zero_coefficients_are_still_caught(backend):
    est = LogisticRegression()
    est.coef_, est.intercept_, est.classes_, est.n_features_in_ = np.zeros((1, 2)), np.zeros(1), np.array([0, 1]), 2
    model = fastscore.from_sklearn(est, backend=backend)
    with pytest.raises(ValueError, match="row 1$"):
        model.score([[0, 0], [np.inf, 0]])
    with pytest.raises(ValueError, match="feature 0"):
        model.score_one([np.nan, 0])


def test_zero_rows_give_empty_results(model):
    for X in (np.zeros((0, 2)), np.zeros((0, 2), np.float32), [], np.array([])):
        assert model.predict_proba(X).shape == (0, 2)
        assert model.decision_function(X).shape == (0,)
        assert model.score(X).shape == (0,)
        assert model.predict(X).shape == (0,)


def test_score_writes_into_out(fitted, model):
    X, est = fitted
    out = np.full(len(X), -1.0)
    assert model.score(X, out=out) is out
    np.testing.assert_allclose(out, est.predict_proba(X)[:, 1], rtol=0, atol=1e-12)


@pytest.mark.parametrize("out, error, words", [
    (np.empty(5), ValueError, "shape (5,), expected (3,)"),
    (np.empty((3, 1)), ValueError, "expected (3,)"),
    (np.empty(3, np.float32), TypeError, "dtype float64"),
    ([0.0, 0.0, 0.0], TypeError, "numpy array"),
    (np.empty(6)[::2], ValueError, "C-contiguous"),
])
def test_bad_out_is_refused(model, out, error, words):
    with pytest.raises(error) as info:
        model.score(np.zeros((3, 2)), out=out)
    assert words in str(info.value)


@pytest.mark.parametrize("n_threads, error, words", [
    (-1, ValueError, "n_threads must be from 0 (the kernel picks) to 2147483647, got -1"),
    (2**31, ValueError, "got 2147483648"),
    (2.5, TypeError, "n_threads must be None or an integer, got float"),
    ("2", TypeError, "got str"),
])
def test_bad_n_threads_is_refused(model, n_threads, error, words):
    for out in (None, np.empty(3)):
        with pytest.raises(error) as info:
            model.score(np.zeros((3, 2)), out=out, n_threads=n_threads)
        assert words in str(info.value)


def test_out_must_be_writeable_and_not_overlap_X(model):
    out = np.empty(3)
    out.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        model.score(np.zeros((3, 2)), out=out)
    buf = np.zeros(6)
    with pytest.raises(ValueError, match="overlap"):
        model._kernel.score(buf.reshape(3, 2), 1, buf[:3].reshape(3, 1))


def test_score_one_accepts_lists_tuples_and_arrays(fitted, model):
    X, est = fitted
    for row in X[:10]:
        want = est.predict_proba(row[None])[0, 1]
        for given in (row.tolist(), tuple(row.tolist()), row, row.astype(np.float32), [int(v) for v in row],
                      np.asfortranarray(np.stack([row, row]))[0]):
            expected = want if not isinstance(given, list) or type(given[0]) is float else \
                est.predict_proba(np.array(given, float)[None])[0, 1]
            tol = 1e-6 if getattr(given, "dtype", None) == np.float32 else 1e-12
            assert abs(model.score_one(given) - expected) <= tol
        assert isinstance(model.score_one(row.tolist()), float)
    assert model.score_one([True, False]) == model.score_one([1.0, 0.0])
    assert model.score_one([np.float32(1), np.int64(0)]) == model.score_one([1.0, 0.0])


@pytest.mark.parametrize("row, error, words", [
    ([1.0], ValueError, "row has 1 features, but the model expects 2"),
    ([1.0, 2.0, 3.0], ValueError, "row has 3 features"),
    ((), ValueError, "row has 0 features"),
    (np.zeros(3), ValueError, "row has 3 features"),
    (np.zeros((1, 2)), ValueError, "row must be 1-D"),
    ([1.0, "2"], TypeError, "row[1] is not a number: '2'"),
    ([None, 1.0], TypeError, "row[0] is not a number: None"),
    ([1j, 1.0], TypeError, "row[0] is not a number"),
    ([10**400, 1.0], TypeError, "row[0] is not a number"),
    (np.array(["1", "2"]), TypeError, "holds strings"),
    ([1.0, np.nan], ValueError, "NaN or infinity at feature 1"),
    ((np.inf, 0.0), ValueError, "NaN or infinity at feature 0"),
    (np.array([0.0, -np.inf]), ValueError, "NaN or infinity at feature 1"),
    ("ab", TypeError, "row must be a list, a tuple or a 1-D array of numbers, got str"),
    (None, TypeError, "row must be a list, a tuple or a 1-D array of numbers, got NoneType"),
    ({0: 1.0, 1: 2.0}, TypeError, "row must be a list, a tuple or a 1-D array of numbers, got dict"),
    ((x for x in (1.0, 2.0)), TypeError, "row must be a list, a tuple or a 1-D array of numbers, got generator"),
])
def test_score_one_bad_rows(model, row, error, words):
    with pytest.raises(error) as info:
        model.score_one(row)
    assert words in str(info.value)


class _Shrinking:
    """A number whose conversion to float empties the list that holds it."""

    def __init__(self, row):
        self.row = row

    def __float__(self):
        self.row.clear()
        return 1.0


def test_score_one_row_that_shrinks_while_read_is_refused(model):
    # The compiled kernel reads list items by index: it must never read past the end.
    row = [0.0, 0.0]
    row[0] = _Shrinking(row)
    with pytest.raises(ValueError, match="row has 0 features, but the model expects 2"):
        model.score_one(row)


class _ShrinkingWhenFreed:
    """A number that hands its list slot back, then empties the list when its last reference goes."""

    def __init__(self, row):
        self.row = row

    def __float__(self):
        self.row[0] = 0.0  # the reader's own reference is now the only one
        return 1.0

    def __del__(self):
        self.row.clear()


def test_score_one_row_emptied_by_a_finaliser_is_refused(backend):
    # The finaliser runs when the reader lets go of item 0, after its length
    # check for that item: the next item must be checked before it is read.
    rng = np.random.default_rng(0)
    est = LogisticRegression().fit(rng.standard_normal((40, 6)), np.arange(40) % 2)
    model = fastscore.from_sklearn(est, backend=backend)
    row = [1.0] * 6
    row[0] = _ShrinkingWhenFreed(row)
    with pytest.raises(ValueError, match="row has 0 features, but the model expects 6"):
        model.score_one(row)


class _CopyingReshape(np.ndarray):
    """An ndarray subclass whose reshape returns a copy, as a subclass may."""

    def reshape(self, *shape, **kwargs):
        return np.array(self).reshape(*shape, **kwargs)


class _LyingFlags(np.ndarray):
    """An ndarray subclass that claims any layout the checks ask for."""

    class _Flags:
        c_contiguous = aligned = writeable = True

    flags = _Flags()


def test_out_of_a_subclass_is_written_in_place(model):
    # The result must land in out's own memory, never in a temporary copy.
    X = np.linspace(-2, 2, 40).reshape(20, 2)
    want = model.score(X)
    out = np.zeros(20).view(_CopyingReshape)
    assert model.score(X, out=out) is out
    assert np.asarray(out).tobytes() == want.tobytes()


def test_a_subclass_claiming_a_contiguous_layout_is_never_written_past(model):
    X = np.linspace(-2, 2, 4000).reshape(2000, 2)
    want = model.score(X)
    base = np.zeros(2000)
    out = base[::-1].view(_LyingFlags)  # data pointer at the last element: forward writes leave the buffer
    try:
        model.score(X, out=out)
    except ValueError as exc:
        assert "out" in str(exc)
    else:
        assert np.asarray(out).tobytes() == want.tobytes()


def test_kernels_raise_the_same_errors_for_misuse(both_backends):
    """The kernel entry points themselves are guarded identically on both backends."""
    from fastscore import _backend

    calls = [
        lambda k: k.score(np.zeros((2, 2), np.int64), 1, np.empty(2)),
        lambda k: k.score(np.zeros((2, 3)), 1, np.empty(2)),
        lambda k: k.score(np.zeros((2, 2)), 99, np.empty(2)),
        lambda k: k.score(np.zeros((2, 2)), 1, np.empty(3)),
        lambda k: k.score(np.asfortranarray(np.zeros((2, 2))), 1, np.empty(2)),
        lambda k: k.score([[0.0, 0.0]], 1, np.empty(1)),
        lambda k: k.score_one([0.0, 0.0], 99),
        lambda k: type(k)(np.zeros((1, 2)), [np.nan]),
        lambda k: type(k)(np.zeros((2, 2)), [0.0]),
        lambda k: type(k)(np.zeros((1, 0)), [0.0]),
    ]
    kernels = [_backend.module(name).Kernel(np.ones((1, 2)), [0.5]) for name in ("compiled", "pure")]
    for call in calls:
        errors = []
        for kernel in kernels:
            with pytest.raises((TypeError, ValueError)) as info:
                call(kernel)
            errors.append((type(info.value), str(info.value)))
        assert errors[0] == errors[1]


def test_dataframe_like_columns_are_matched_by_name(backend):
    X, y = worked_example_data()

    class Frame:  # the part of a pandas DataFrame that scoring looks at
        def __init__(self, data, columns):
            self.data, self.columns = data, columns

        def __array__(self, dtype=None, copy=None):
            return self.data

    est = LogisticRegression().fit(X, y)
    want = est.predict_proba(X)[:, 1]
    est.feature_names_in_ = np.array(["x1", "x2"], dtype=object)
    model = fastscore.from_sklearn(est, backend=backend)
    assert list(model.feature_names_in_) == ["x1", "x2"]
    np.testing.assert_allclose(model.score(Frame(X, ["x1", "x2"])), want, atol=1e-12, rtol=0)
    np.testing.assert_allclose(model.score(X), want, atol=1e-12, rtol=0)  # plain arrays: by position
    with pytest.raises(ValueError, match=r"X is missing column\(s\) 'x2' that the model needs$"):
        model.score(Frame(X, ["x1", "b"]))
    # Order is free and extra columns are ignored: the names say which column is which.
    wide = np.column_stack([X[:, 1], np.full(len(X), 7.0), X[:, 0]])
    np.testing.assert_allclose(model.score(Frame(wide, ["x2", "b", "x1"])), want, atol=1e-12, rtol=0)


@pytest.mark.parametrize("d, k", [(3, 100), (100, 3), (100, 100)])
def test_score_one_with_many_features_or_outputs_matches_score(backend, d, k):
    # Beyond the compiled kernel's stack buffers (64 values) the row and output go to the heap.
    rng = np.random.default_rng(d * k)
    model = fastscore.Regressor(estimator="test", link="identity", coef=rng.standard_normal((k, d)),
                                intercept=rng.standard_normal(k), n_features=d, backend=backend)
    X = rng.standard_normal((5, d))
    for row, want in zip(X, model.predict(X)):
        got = model.score_one(row.tolist())
        assert isinstance(got, tuple) and len(got) == k
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)


# ---- input by name: DataFrames, Arrow, dicts of columns, JSON records -----------------------------
# Where the model knows its feature names, X's columns are matched by name: order is free, extra
# columns are ignored, a missing one is named. Each form below is given its columns reordered with
# extras, and must give scikit-learn's numbers on the frame in the fitted order.

NAMES = ["age", "income", "tenure"]


def _pandas():
    return pytest.importorskip("pandas", reason="pandas is in the test extra; DataFrame inputs need it")


def _polars():
    return pytest.importorskip("polars", reason="polars is in the test extra; DataFrame inputs need it")


def _pyarrow():
    import pyarrow

    return pyarrow


def _reads_capsules():
    """pyarrow reads the Arrow PyCapsule interface from version 14."""
    return tuple(int(p) for p in _pyarrow().__version__.split(".")[:2]) >= (14, 0)


class _Stream:
    """Arrow data through the PyCapsule stream interface only."""

    def __init__(self, table):
        self._table = table

    def __arrow_c_stream__(self, requested_schema=None):
        return self._table.__arrow_c_stream__(requested_schema)


@pytest.fixture(scope="module")
def frame():
    """A DataFrame of numbers (one integer column) and scikit-learn models fitted on it by name."""
    pd = _pandas()
    rng = np.random.default_rng(9)
    n = 300
    df = pd.DataFrame({"age": rng.normal(40, 12, n).round(1), "income": rng.normal(50, 15, n),
                       "tenure": rng.integers(0, 20, n)})
    z = (df.age - 40) / 12 - (df.income - 50) / 15 + (df.tenure - 10) / 6
    binary = LogisticRegression(max_iter=1000).fit(df, z + rng.normal(size=n) > 0)
    multi = LogisticRegression(max_iter=1000).fit(df, np.digitize(z + rng.normal(size=n), [-1, 1]))
    assert list(binary.feature_names_in_) == NAMES
    return df, binary, multi


def _forms(df):
    """name -> X: df's columns reordered with extra ones, in every container a model reads by name."""
    pd, pa = _pandas(), _pyarrow()
    shuffled = df[df.columns[::-1]].assign(city="Lyon", code=np.arange(len(df)))
    table = pa.Table.from_pandas(shuffled, preserve_index=False)

    def kinds(**dtypes):
        return shuffled.astype({k: v for k, v in dtypes.items() if k in shuffled})

    forms = {
        "pandas numpy": shuffled,
        "pandas nullable": kinds(age="Float64", income="Float64", tenure="Int64"),
        "pandas pyarrow": kinds(age="float64[pyarrow]", income="double[pyarrow]", tenure="int64[pyarrow]",
                                city="string[pyarrow]"),
        "pandas categorical": kinds(tenure="category"),
        "pandas uint8": kinds(tenure=np.uint8),
        "polars": _polars().from_pandas(shuffled),
        "arrow table": table,
        "arrow record batch": table.combine_chunks().to_batches()[0],
        "arrow chunked": pa.concat_tables([table.slice(0, 100), table.slice(100)]),
        "arrow capsule": _Stream(table) if _reads_capsules() else None,
        "dict of lists": {k: shuffled[k].tolist() for k in shuffled},
        "dict of arrays": {k: shuffled[k].to_numpy() for k in shuffled},
        "list of dicts": shuffled.to_dict("records"),
    }
    assert isinstance(forms["pandas pyarrow"]["income"].dtype, pd.ArrowDtype)
    return forms


FORMS = ["pandas numpy", "pandas nullable", "pandas pyarrow", "pandas categorical", "pandas uint8",
         "polars", "arrow table", "arrow record batch", "arrow chunked", "arrow capsule", "dict of lists",
         "dict of arrays", "list of dicts"]


@pytest.mark.parametrize("form", FORMS)
def test_every_input_form_is_matched_by_name_as_scikit_learn_scores(frame, backend, form):
    df, binary, multi = frame
    if form == "arrow capsule" and not _reads_capsules():
        pytest.skip("pyarrow before 14 reads no PyCapsule streams")
    X = _forms(df)[form]
    for est in (binary, multi):
        model = fastscore.from_sklearn(est, backend=backend)
        for method in ("predict_proba", "predict_log_proba", "decision_function", "predict"):
            got, want = getattr(model, method)(X), getattr(est, method)(df)
            if method == "predict":
                assert (got == want).all(), (form, method)
            else:
                np.testing.assert_allclose(got, want, rtol=0, atol=1e-12, err_msg=f"{form} {method}")
        np.testing.assert_allclose(model.score(X), est.predict_proba(df)[:, 1] if est is binary else
                                   est.predict_proba(df), rtol=0, atol=1e-12, err_msg=form)
    model = fastscore.from_sklearn(binary, backend=backend)
    out = np.empty(len(df))
    assert model.score(X, out=out, n_threads=1) is out
    np.testing.assert_allclose(out, binary.predict_proba(df)[:, 1], rtol=0, atol=1e-12)


@pytest.mark.parametrize("form", FORMS)
def test_missing_columns_are_all_named(frame, backend, form):
    df, binary, _ = frame
    model = fastscore.from_sklearn(binary, backend=backend)
    if form == "arrow capsule" and not _reads_capsules():
        pytest.skip("pyarrow before 14 reads no PyCapsule streams")
    X = _forms(df.rename(columns={"age": "Age", "tenure": "years"}))[form]
    with pytest.raises(ValueError, match=r"X is missing (column|key)\(s\) 'age'.*'tenure'.* that the model needs$"):
        model.predict_proba(X)


def _with_missing(df, form):
    """X of the given form, reordered, whose column 'age' has a missing value in rows 3 and 7
    and 'income' one in row 5 (each form's own missing value: NaN, pd.NA, None, an Arrow null)."""
    pd = _pandas()
    shuffled = df[["tenure", "income", "age"]].astype({"age": "Float64", "income": "Float64"})
    shuffled.loc[[3, 7], "age"] = pd.NA
    shuffled.loc[5, "income"] = pd.NA
    if form == "pandas numpy":
        return shuffled.astype({"age": float, "income": float})
    if form == "pandas pyarrow":
        return shuffled.astype({"age": "float64[pyarrow]", "income": "float64[pyarrow]"})
    if form == "pandas nullable":
        return shuffled
    if form == "pandas object":
        return shuffled.astype(object)
    if form == "polars":
        return _polars().from_pandas(shuffled)
    if form == "arrow table":
        return _pyarrow().Table.from_pandas(shuffled, preserve_index=False)
    records = shuffled.astype(object).where(shuffled.notna(), None).to_dict("records")
    if form == "list of dicts":
        return records
    return {k: [r[k] for r in records] for k in shuffled}  # dict of lists


@pytest.mark.parametrize("form", ["pandas numpy", "pandas nullable", "pandas pyarrow", "pandas object", "polars",
                                  "arrow table", "list of dicts", "dict of lists"])
def test_missing_values_are_named_by_row_and_column(frame, backend, form):
    df, binary, _ = frame
    model = fastscore.from_sklearn(binary, backend=backend)
    X = _with_missing(df, form)
    for method in (model.predict_proba, model.predict, model.decision_function, model.score,
                   model.predict_log_proba):
        with pytest.raises(ValueError, match=r"^X has a missing value in row 3, column 'age'$"):
            method(X)


def test_a_kernel_that_fills_missing_values_takes_them_and_names_the_rest(frame, backend):
    # The seam the imputing models build on: NaN in a column the kernel fills is a value, not an error.
    from fastscore import _backend

    df, binary, _ = frame
    model = fastscore.from_sklearn(binary, backend=backend)
    model._kernel = _backend.kernel_class(backend)(binary.coef_, binary.intercept_, fill=[40.0, np.nan, np.nan])
    X = df.astype(float)
    X.loc[2, "age"] = np.nan
    filled = X.fillna({"age": 40.0})
    np.testing.assert_allclose(model.score(X), binary.predict_proba(filled)[:, 1], rtol=0, atol=1e-12)
    X.loc[6, "tenure"] = np.inf
    X.loc[7, "income"] = np.nan
    with pytest.raises(ValueError, match=r"^X has an infinite value in row 6, column 'tenure'$"):
        model.score(X)


def test_infinity_is_named_by_row_and_column(frame, backend):
    df, binary, _ = frame
    model = fastscore.from_sklearn(binary, backend=backend)
    X = df.astype({"tenure": float})
    X.loc[4, "tenure"] = -np.inf
    with pytest.raises(ValueError, match=r"^X has an infinite value in row 4, column 'tenure'$"):
        model.predict(X)


@pytest.mark.parametrize("make", [
    lambda df: df.assign(income=df.income.astype(str)),
    lambda df: df.assign(income=df.income.astype("string[pyarrow]")),
    lambda df: _polars().from_pandas(df.assign(income=df.income.astype(str))),
    lambda df: _pyarrow().Table.from_pandas(df.assign(income=df.income.astype(str))),
    lambda df: {**{k: df[k].tolist() for k in df}, "income": ["52.1"] * len(df)},
    lambda df: [{**r, "income": "52.1"} for r in df.to_dict("records")],
], ids=["pandas str", "pandas string[pyarrow]", "polars", "arrow", "dict", "records"])
def test_strings_in_a_numeric_column_are_a_type_error_naming_it(frame, backend, make):
    df, binary, _ = frame
    model = fastscore.from_sklearn(binary, backend=backend)
    with pytest.raises(TypeError, match=r"^X's column 'income' holds strings"):
        model.score(make(df))


def test_a_single_column_is_refused_as_one_dimensional(frame, backend):
    df, binary, _ = frame
    model = fastscore.from_sklearn(binary, backend=backend)
    for X in (df["age"], _polars().from_pandas(df)["age"], _pyarrow().array(df["age"])):
        with pytest.raises(ValueError, match="X must be 2-D"):
            model.score(X)


def test_zero_rows_by_name_give_empty_results(frame, backend):
    df, binary, multi = frame
    for est, width in ((binary, 2), (multi, 3)):
        model = fastscore.from_sklearn(est, backend=backend)
        for X in (df.iloc[:0], _pyarrow().Table.from_pandas(df.iloc[:0]), {k: [] for k in NAMES},
                  _polars().from_pandas(df.iloc[:0])):
            assert model.predict_proba(X).shape == (0, width)
            assert model.predict(X).shape == (0,)


def test_a_model_without_names_takes_a_dataframe_by_position_and_warns(frame, backend):
    # As scikit-learn does: its warning says the same.
    df, _, _ = frame
    est = LogisticRegression().fit(df.to_numpy(), np.arange(len(df)) % 2)
    model = fastscore.from_sklearn(est, backend=backend)
    shuffled = df[["tenure", "income", "age"]]
    with pytest.warns(UserWarning, match="X has feature names, but LogisticRegression was fitted without"):
        got = model.predict_proba(shuffled)
    with pytest.warns(UserWarning, match="X has feature names, but LogisticRegression was fitted without"):
        want = est.predict_proba(shuffled)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12)
    for X in ({k: df[k].tolist() for k in df}, df.to_dict("records")):
        with pytest.raises(TypeError, match="was fitted without feature names, so it cannot match X's keys"):
            model.predict_proba(X)


def test_a_named_model_takes_unnamed_columns_by_position(frame, backend):
    # Integer labels are not names (scikit-learn's rule): the columns are taken by position, as an array's.
    df, binary, _ = frame
    model = fastscore.from_sklearn(binary, backend=backend)
    unnamed = df.set_axis(range(3), axis=1).astype({0: "Float64"})
    np.testing.assert_allclose(model.score(unnamed), binary.predict_proba(df)[:, 1], rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="X has 2 features, but the model expects 3"):
        model.score(unnamed[[0, 1]])
    with pytest.raises(TypeError, match="must all be strings, or none of them"):
        model.score(df.set_axis(["age", "income", 2], axis=1))


# ---- score_one by name ---------------------------------------------------------------------------

def test_score_one_takes_a_json_request_by_its_keys(frame, backend):
    df, binary, multi = frame
    for est in (binary, multi):
        model = fastscore.from_sklearn(est, backend=backend)
        want = est.predict_proba(df.iloc[:5]) if est is multi else est.predict_proba(df.iloc[:5])[:, 1]
        for i, record in enumerate(df.iloc[:5].to_dict("records")):
            request = {"tenure": record["tenure"], "city": "Lyon", "income": record["income"], "age": record["age"]}
            got = model.score_one(request)
            np.testing.assert_allclose(got, want[i], rtol=0, atol=1e-12)
            assert type(got) is (float if est is binary else tuple)


def test_score_one_of_a_reordered_series_uses_its_labels(frame, backend):
    # The silent wrong answer of model.score_one(df.iloc[0][["tenure", "age", "income"]]).
    df, binary, _ = frame
    model = fastscore.from_sklearn(binary, backend=backend)
    for i in range(5):
        want = binary.predict_proba(df.iloc[[i]])[0, 1]
        for row in (df.iloc[i][["tenure", "age", "income"]], df.iloc[i], df.assign(city="Lyon").iloc[i],
                    df.astype("Float64").iloc[i][["income", "tenure", "age"]]):
            assert abs(model.score_one(row) - want) <= 1e-12
        assert model.score_one(df.iloc[i][["tenure", "age", "income"]]) == model.score_one(df.iloc[i].to_dict())


@pytest.mark.parametrize("row, error, words", [
    ({"age": 40.0, "income": 50.0}, ValueError, "row is missing key(s) 'tenure' that the model needs"),
    ({"city": "Lyon"}, ValueError, "row is missing key(s) 'age', 'income', 'tenure' that the model needs"),
    ({"age": None, "income": 50.0, "tenure": 3}, ValueError, "row has a missing value in column 'age'"),
    ({"age": 40.0, "income": float("nan"), "tenure": 3}, ValueError, "row has a missing value in column 'income'"),
    ({"age": 40.0, "income": 50.0, "tenure": float("inf")}, ValueError, "row has an infinite value in column 'tenure'"),
    ({"age": 40.0, "income": "50", "tenure": 3}, TypeError, "row['income'] is not a number: '50'"),
    ({"age": 40.0, "income": [50.0], "tenure": 3}, TypeError, "row['income'] is not a number: [50.0]"),
])
def test_score_one_bad_requests_name_the_key(frame, backend, row, error, words):
    _, binary, multi = frame
    for est in (binary, multi):
        with pytest.raises(error) as info:
            fastscore.from_sklearn(est, backend=backend).score_one(row)
        assert str(info.value) == words


def test_score_one_bad_series_name_the_label(frame, backend):
    pd = _pandas()
    df, binary, _ = frame
    model = fastscore.from_sklearn(binary, backend=backend)
    with pytest.raises(ValueError, match=r"row is missing key\(s\) 'income' that the model needs"):
        model.score_one(df.iloc[0][["tenure", "age"]])
    row = df.astype("Float64").iloc[0]
    row["age"] = pd.NA
    with pytest.raises(ValueError, match="row has a missing value in column 'age'"):
        model.score_one(row)
    with pytest.raises(ValueError, match="row has more than one label 'age'"):
        model.score_one(pd.Series([1.0, 2.0, 3.0, 4.0], index=["age", "income", "tenure", "age"]))


def test_score_one_of_dict_subclasses_and_mappings(frame, backend):
    from collections import OrderedDict, defaultdict
    from types import MappingProxyType

    df, binary, _ = frame
    model = fastscore.from_sklearn(binary, backend=backend)
    record = df.iloc[0].to_dict()
    want = model.score_one(record)
    for row in (OrderedDict(reversed(list(record.items()))), MappingProxyType(record)):
        assert model.score_one(row) == want
    partial = defaultdict(float, age=record["age"], income=record["income"])
    with pytest.raises(ValueError, match=r"row is missing key\(s\) 'tenure'"):
        model.score_one(partial)
    assert "tenure" not in partial


def test_score_one_without_feature_names(backend):
    pd = _pandas()
    X, y = worked_example_data()
    est = LogisticRegression().fit(X, y)
    model = fastscore.from_sklearn(est, backend=backend)
    with pytest.raises(TypeError, match="got dict: LogisticRegression was fitted without feature names"):
        model.score_one({"x1": 1.0, "x2": 2.0})
    with pytest.warns(UserWarning, match="row has feature names, but LogisticRegression was fitted without"):
        got = model.score_one(pd.Series([1.0, 2.0], index=["b", "a"]))
    assert got == model.score_one([1.0, 2.0])
    assert model.score_one(pd.Series([1.0, 2.0])) == model.score_one([1.0, 2.0])  # integer labels: positions


# ---- hypothesis: any order, any extras, any column kind, any container -----------------------------

@st.composite
def _named_inputs(draw):
    order = draw(st.permutations(NAMES))
    extras = draw(st.lists(st.sampled_from(["city", "zip", "x", "age2"]), unique=True, max_size=3))
    names = list(order)
    for extra in extras:
        names.insert(draw(st.integers(0, len(names))), extra)
    kinds = {name: draw(st.sampled_from(["float64", "float32", "Float64", "Int64", "float64[pyarrow]",
                                         "int32[pyarrow]", "object", "category"]))
             for name in names}
    container = draw(st.sampled_from(["pandas", "polars", "arrow", "dict", "records"]))
    rows = draw(st.integers(1, 40))
    seed = draw(st.integers(0, 2**32 - 1))
    return names, kinds, container, rows, seed


@settings(max_examples=60)
@given(case=_named_inputs())
def test_any_named_input_gives_scikit_learn_numbers(frame, backend, case):
    pd = _pandas()
    df, binary, multi = frame
    names, kinds, container, rows, seed = case
    rng = np.random.default_rng(seed)
    data = df.iloc[rng.integers(0, len(df), rows)].reset_index(drop=True)
    columns = {}
    for name in names:
        values = data[name] if name in NAMES else pd.Series(rng.normal(size=rows))
        kind = kinds[name]
        if kind in ("Int64", "int32[pyarrow]"):
            values = values.round()  # integer kinds hold integers: scikit-learn sees the same numbers
        if name in NAMES:
            data[name] = values.astype(float)
        if kind == "float32":
            values = values.astype(np.float32).astype(np.float64)  # exact in float32
            if name in NAMES:
                data[name] = values
            values = values.astype(np.float32)
        columns[name] = values.astype(kind) if kind != "float32" else values
    X = pd.DataFrame(columns)
    if container == "polars":
        X = _polars().from_pandas(X.astype({n: "float64" for n in names if kinds[n] in ("object", "category")}))
    elif container == "arrow":
        X = _pyarrow().Table.from_pandas(X.astype({n: "float64" for n in names if kinds[n] == "object"}),
                                         preserve_index=False)
    elif container == "dict":
        X = {k: X[k].tolist() for k in X}
    elif container == "records":
        X = X.astype(object).to_dict("records")
    for est in (binary, multi):
        model = fastscore.from_sklearn(est, backend=backend)
        np.testing.assert_allclose(model.predict_proba(X), est.predict_proba(data[NAMES]).reshape(rows, -1),
                                   rtol=0, atol=1e-12)


# ---- nothing is imported for arrays, lists and dicts ------------------------------------------------

def test_scoring_arrays_lists_and_dicts_imports_no_dataframe_library():
    code = ("import sys, numpy as np, fastscore\n"
            "m = fastscore.Classifier(estimator='LogisticRegression', link='logistic', n_features=2,"
            " coef=[[1.0, 2.0]], intercept=[0.5], classes=[0, 1], feature_names=['a', 'b'])\n"
            "m.score(np.zeros((3, 2))); m.predict_proba([[0.5, 1.0]]); m.score_one([1, 2]); m.score_one((1, 2))\n"
            "m.score({'b': [1.0, 2.0], 'a': np.zeros(2)}); m.predict([{'a': 1.0, 'b': 2.0}]); m.score_one({'b': 1, 'a': 2})\n"
            "print(sorted(n for n in ('pandas', 'polars', 'pyarrow', 'narwhals', 'sklearn', 'scipy') "
            "if n in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"

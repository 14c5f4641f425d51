"""fastscore.columns: X as named columns, one column as numbers, and the rule by which a model
finds its columns. Model-level agreement with scikit-learn is in test_inputs.py."""
import decimal
import sys
import warnings

import numpy as np
import pytest

from fastscore import _checks, columns

pd = pytest.importorskip("pandas", reason="pandas is in the test extra; the DataFrame input tests need it")
pl = pytest.importorskip("polars", reason="polars is in the test extra; the DataFrame input tests need it")
pa = pytest.importorskip("pyarrow", reason="pyarrow is in the test extra; the Arrow input tests need it")

PYARROW_READS_CAPSULES = tuple(int(p) for p in pa.__version__.split(".")[:2]) >= (14, 0)


class Stream:
    """An object that offers Arrow data through the PyCapsule stream interface only."""

    def __init__(self, table):
        self._table = table

    def __arrow_c_stream__(self, requested_schema=None):
        return self._table.__arrow_c_stream__(requested_schema)


class ArrayOnly:
    """An object that offers Arrow data through __arrow_c_array__ only (a struct array: a record batch)."""

    def __init__(self, batch):
        self._batch = batch

    def __arrow_c_array__(self, requested_schema=None):
        return self._batch.__arrow_c_array__(requested_schema)


def _frame():
    return pd.DataFrame({"age": [41.5, 30.0, 52.25], "income": [52.1, 40.0, 61.0], "tenure": [3, 0, 12]})


def _containers(df):
    """The same named columns in every container named() reads."""
    table = pa.Table.from_pandas(df, preserve_index=False)
    out = {
        "pandas": df,
        "polars": pl.from_pandas(df),
        "arrow table": table,
        "arrow record batch": table.to_batches()[0],
        "dict of lists": {k: df[k].tolist() for k in df},
        "dict of arrays": {k: df[k].to_numpy() for k in df},
        "dict of series": {k: df[k] for k in df},
        "list of dicts": df.to_dict("records"),
    }
    if PYARROW_READS_CAPSULES:
        out["arrow stream capsule"] = Stream(table)
        out["arrow array capsule"] = ArrayOnly(table.to_batches()[0])
    return out


# ---- named() -------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", list(_containers(_frame())))
def test_every_container_gives_its_names_rows_and_columns(kind):
    df = _frame()
    X = columns.named(_containers(df)[kind])
    assert X is not None
    assert X.names == ("age", "income", "tenure") and X.n_rows == 3 and X.n_columns == 3
    for name in X.names:
        assert columns.as_numbers(X.column(name), name).tolist() == df[name].astype(float).tolist()
    picked = X.select(["tenure", "age"])
    assert [columns.as_numbers(c, "c").tolist() for c in picked] == [[3.0, 0.0, 12.0], [41.5, 30.0, 52.25]]
    for check in (X.select, X.require):
        with pytest.raises(ValueError, match=r"missing (column|key)\(s\) 'height'.*'weight'.* that the model needs$"):
            check(["age", "height", "weight"])
    X.require(["tenure", "age"])
    assert X.by_key == kind.startswith(("dict", "list"))


@pytest.mark.parametrize("X", [np.zeros((2, 3)), [[1.0, 2.0]], [], (), np.float64(1.0), None, "abc",
                               pd.Series([1.0]), pd.Index([1.0]), pl.Series([1.0]), pa.array([1.0]),
                               pa.chunked_array([[1.0]])])
def test_positional_inputs_are_not_named(X):
    # Arrays, lists of lists, and single columns (which the model then refuses as 1-D).
    assert columns.named(X) is None


def test_arrow_data_that_is_not_a_table_is_named_as_such():
    class Column:
        def __arrow_c_stream__(self, requested_schema=None):
            return pa.chunked_array([[1.0]]).__arrow_c_stream__(requested_schema)

    if not PYARROW_READS_CAPSULES:
        pytest.skip(f"pyarrow {pa.__version__} reads no PyCapsule streams (14 and later do)")
    with pytest.raises(TypeError, match="X offers Arrow data that pyarrow cannot read as a table of columns"):
        columns.named(Column())


def test_pandas_labels_follow_scikit_learn():
    # All strings: names. No strings (integers, tuples): no names, matched by position. A mixture: refused.
    assert columns.named(pd.DataFrame(np.zeros((2, 2)))).names is None
    X = columns.named(pd.DataFrame(np.zeros((2, 2)), columns=pd.MultiIndex.from_tuples([("a", 1), ("a", 2)])))
    assert X.names is None
    with pytest.raises(TypeError, match="must all be strings, or none of them"):
        columns.named(pd.DataFrame(np.zeros((2, 2)), columns=["a", 1]))


def test_a_column_named_twice_is_refused_where_it_is_needed():
    df = pd.DataFrame(np.arange(6.0).reshape(2, 3), columns=["a", "b", "a"])
    X = columns.named(df)
    assert columns.as_numbers(X.column("b"), "b").tolist() == [1.0, 4.0]
    with pytest.raises(ValueError, match="X has more than one column called 'a'"):
        X.select(["b", "a"])
    table = pa.table([pa.array([1.0]), pa.array([2.0])], names=["x", "x"])
    with pytest.raises(ValueError, match="more than one column called 'x'"):
        columns.named(table).column("x")


def test_dicts_of_columns_must_be_well_formed():
    with pytest.raises(ValueError, match="X's columns must have one length: 'a' has 2, 'b' has 1"):
        columns.named({"a": [1.0, 2.0], "b": [1.0]})
    with pytest.raises(TypeError, match=r"X's keys must be column names \(str\); X has the key 0"):
        columns.named({0: [1.0], "b": [1.0]})
    with pytest.raises(TypeError, match=r"X's column 'a' must be a list or a 1-D array of values, got float "
                                        r"\(for one row, use score_one\(row\)\)"):
        columns.named({"a": 1.5})
    assert columns.named({}).n_rows == 0


def test_records_name_the_row_that_lacks_a_key():
    rows = [{"a": 1.0, "b": 2.0}, {"a": 3.0, "b": 4.0, "c": 5.0}, {"b": 6.0}, {"a": 0.0}]
    X = columns.named(rows)
    assert X.names == ("a", "b") and X.n_rows == 4
    for check in (X.select, X.require):
        with pytest.raises(ValueError, match=r"^X is missing key\(s\) 'b' \(row 3\), 'a' \(row 2\) that the model needs$"):
            check(["b", "a"])
    with pytest.raises(ValueError, match=r"'c' \(row 0\)"):
        X.select(["c"])
    with pytest.raises(TypeError, match=r"X is a list of dicts, but X\[1\] is a list"):
        columns.named([{"a": 1.0}, [2.0]]).select(["a"])
    with pytest.raises(TypeError, match=r"X's keys must be column names \(str\); X\[0\] has the key 1"):
        columns.named([{1: 1.0}])


def test_records_of_dict_subclasses_do_not_invent_keys():
    from collections import defaultdict

    rows = [defaultdict(float, a=1.0, b=2.0), defaultdict(float, a=3.0)]
    with pytest.raises(ValueError, match=r"'b' \(row 1\)"):
        columns.named(rows).select(["a", "b"])
    assert "b" not in rows[1]


def test_pyarrow_too_old_or_absent_is_named(monkeypatch):
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now raises ImportError
    with pytest.raises(TypeError, match="needs pyarrow: pip install pyarrow"):
        columns.named(Stream(pa.table({"a": [1.0]})))


# ---- as_numbers() --------------------------------------------------------------------------------

NAN = float("nan")


def _same(got, want, dtype=np.float64):
    assert isinstance(got, np.ndarray) and got.ndim == 1 and got.dtype == dtype
    np.testing.assert_array_equal(got, np.array(want, dtype=dtype))


NUMBERS = {
    "numpy float64": (np.array([1.5, NAN]), [1.5, NAN]),
    "numpy int": (np.array([1, 2], np.int8), [1.0, 2.0]),
    "numpy bool": (np.array([True, False]), [1.0, 0.0]),
    "numpy objects": (np.array([1, 2.5, None, True, np.float32(0.5), decimal.Decimal("0.25")], dtype=object),
                      [1.0, 2.5, NAN, 1.0, 0.5, 0.25]),
    "list": ([1, None, 2.5], [1.0, NAN, 2.5]),
    "pandas float64": (pd.Series([1.5, NAN]), [1.5, NAN]),
    "pandas Float64": (pd.Series([1.5, None], dtype="Float64"), [1.5, NAN]),
    "pandas Int64": (pd.Series([1, None], dtype="Int64"), [1.0, NAN]),
    "pandas boolean": (pd.Series([True, None, False], dtype="boolean"), [1.0, NAN, 0.0]),
    "pandas float64[pyarrow]": (pd.Series([1.5, None], dtype="float64[pyarrow]"), [1.5, NAN]),
    "pandas int64[pyarrow]": (pd.Series([1, None], dtype="int64[pyarrow]"), [1.0, NAN]),
    "pandas bool[pyarrow]": (pd.Series([True, None], dtype="bool[pyarrow]"), [1.0, NAN]),
    "pandas object with pd.NA": (pd.Series([1, pd.NA, None, 2.5], dtype=object), [1.0, NAN, NAN, 2.5]),
    "pandas Categorical of numbers": (pd.Series(pd.Categorical([2.5, None, 1.0, 2.5])), [2.5, NAN, 1.0, 2.5]),
    "pandas Categorical of Int64": (pd.Series(pd.Categorical(pd.array([3, None], dtype="Int64"))), [3.0, NAN]),
    "polars Float64": (pl.Series([1.5, None]), [1.5, NAN]),
    "polars Int64": (pl.Series([1, None]), [1.0, NAN]),
    "polars Boolean": (pl.Series([True, None]), [1.0, NAN]),
    "polars Decimal": (pl.Series([decimal.Decimal("1.25"), None]), [1.25, NAN]),
    "polars Null": (pl.Series([None, None]), [NAN, NAN]),
    "arrow float64": (pa.array([1.5, None]), [1.5, NAN]),
    "arrow chunked": (pa.chunked_array([[1, None], [3]]), [1.0, NAN, 3.0]),
    "arrow bool": (pa.array([True, None, False]), [1.0, NAN, 0.0]),
    "arrow decimal": (pa.array([decimal.Decimal("1.25"), None]), [1.25, NAN]),
    "arrow dictionary": (pa.array([2.5, None, 2.5]).dictionary_encode(), [2.5, NAN, 2.5]),
    "arrow null": (pa.array([None, None]), [NAN, NAN]),
    "arrow wide int": (pa.array([2**53 + 1]), [float(2**53 + 1)]),
}


@pytest.mark.parametrize("kind", list(NUMBERS))
def test_every_column_kind_gives_float64_with_nan_for_missing(kind):
    col, want = NUMBERS[kind]
    _same(columns.as_numbers(col, "x"), want)


@pytest.mark.parametrize("col", [np.array([1.5, 2.0], np.float32), np.array([1.5, 2.0], np.float16),
                                 pd.Series([1.5, None], dtype="float32"), pl.Series([1.5, None], dtype=pl.Float32),
                                 pa.array([1.5, None], pa.float32())])
def test_float32_stays_float32(col):
    got = columns.as_numbers(col, "x")
    assert got.dtype == np.float32 and got[0] == 1.5 and (len(got) == 2 and (got[1] == 2.0 or np.isnan(got[1])))


def test_float64_columns_are_read_where_they_lie():
    x = np.arange(5.0)
    assert columns.as_numbers(x, "x") is x
    df = pd.DataFrame({"a": x, "b": x * 2})
    assert np.shares_memory(columns.as_numbers(df["b"], "b"), df["b"].to_numpy())
    arrow = pa.array(x)
    assert np.shares_memory(columns.as_numbers(arrow, "x"), arrow.to_numpy())
    assert np.shares_memory(columns.as_numbers(pa.chunked_array([arrow]), "x"), arrow.to_numpy())
    s = pl.Series(x)
    assert np.shares_memory(columns.as_numbers(s, "x"), s.to_numpy())


@pytest.mark.parametrize("col", [
    pd.Series(np.arange(1000.0), dtype="Float64"), pd.Series(np.arange(1000), dtype="Int64"),
    pd.Series(np.arange(1000) % 2 == 0, dtype="boolean"), pd.Series(np.arange(1000.0), dtype="float64[pyarrow]"),
    pd.Series(np.arange(1000), dtype="int64[pyarrow]"), pd.Series(pd.Categorical(np.arange(1000) % 7)),
    pl.Series(np.arange(1000)), pl.Series([1.0, None] * 500), pl.Series([True, None] * 500),
    pa.chunked_array([pa.array(np.arange(500)), pa.array([None] * 500, pa.int64())]),
    pa.array(np.arange(1000) % 3).dictionary_encode(),
], ids=lambda c: f"{type(c).__module__.split('.')[0]}-{getattr(c, 'dtype', getattr(c, 'type', ''))}")
def test_nullable_and_arrow_columns_never_take_the_per_value_path(col, monkeypatch):
    # The per-value path converts Python objects one at a time (to_float); these columns are
    # converted by their libraries' vectorised code, without a single call to it.
    def per_value(*args):
        raise AssertionError("a per-value conversion")

    monkeypatch.setattr(columns, "_objects", per_value)
    monkeypatch.setattr(_checks, "to_float", per_value)
    got = columns.as_numbers(col, "x")
    assert got.shape == (1000,) and got.dtype == np.float64


@pytest.mark.parametrize("col", [
    np.array(["1.5", "2"]), np.array([1.5, "2"], dtype=object), ["1.5"], pd.Series(["a", "b"]),
    pd.Series(["a"], dtype="string[pyarrow]"), pd.Series(pd.Categorical(["a", "b"])), pl.Series(["a"]),
    pl.Series(["a"], dtype=pl.Categorical), pa.array(["a"]), pa.array(["a"]).dictionary_encode(),
    pa.array([b"a"]), np.array([b"x"], dtype=object),
], ids=lambda c: f"{type(c).__module__.split('.')[0]}-{getattr(c, 'dtype', getattr(c, 'type', ''))}")
def test_strings_are_a_type_error_naming_the_column(col):
    with pytest.raises(TypeError, match=r"^X's column 'age' (holds strings|is categorical with non-numeric|"
                                        r"is dictionary-encoded with string)"):
        columns.as_numbers(col, "age")


@pytest.mark.parametrize("col, words", [
    (pd.Series(pd.to_datetime(["2020-01-01"])), "X's column 3 has non-numeric dtype datetime64"),
    (np.array([1 + 2j]), "X's column 3 has non-numeric dtype complex128"),
    (pl.Series([1]).cast(pl.Date), "X's column 3 has non-numeric dtype Date"),
    (pa.array([1], pa.timestamp("s")), "X's column 3 has non-numeric type timestamp[s]"),
    (np.array([1.0, [2.0]], dtype=object), "X's column 3, row 1, is not a number: [2.0]"),
])
def test_other_non_numbers_are_a_type_error_naming_the_column(col, words):
    with pytest.raises(TypeError) as info:
        columns.as_numbers(col, 3)
    assert words in str(info.value)


def test_a_column_must_be_one_dimensional():
    with pytest.raises(ValueError, match=r"X's column 'a' must be 1-D, got an array of shape \(2, 2\)"):
        columns.as_numbers(np.zeros((2, 2)), "a")


# ---- match(), nonfinite_cell(), row_problem() ------------------------------------------

NAMES = ["age", "income", "tenure"]


def test_match_by_name_ignores_order_and_extra_columns():
    df = pd.DataFrame({"tenure": [3.0], "extra": ["x"], "income": [2.0], "age": [1.0]})
    picked, labels = columns.match(columns.named(df), 3, NAMES, "LogisticRegression")
    assert labels == NAMES
    assert [c.tolist() for c in picked] == [[1.0], [2.0], [3.0]]


def test_match_by_position_where_either_side_has_no_names():
    df = pd.DataFrame([[1.0, 2.0, 3.0]])  # integer labels: no names
    picked, labels = columns.match(columns.named(df), 3, NAMES, "LogisticRegression")
    assert labels == [0, 1, 2] and [c.tolist() for c in picked] == [[1.0], [2.0], [3.0]]
    named_df = pd.DataFrame({"z": [1.0], "y": [2.0], "x": [3.0]})
    with pytest.warns(UserWarning, match="X has feature names, but LogisticRegression was fitted without "
                                         "feature names: X's columns are taken by position"):
        picked, _ = columns.match(columns.named(named_df), 3, None, "LogisticRegression")
    assert [c.tolist() for c in picked] == [[1.0], [2.0], [3.0]]
    with pytest.raises(ValueError, match="X has 3 features, but the model expects 2"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            columns.match(columns.named(named_df), 2, None, "LogisticRegression")


@pytest.mark.parametrize("X", [{"a": [1.0], "b": [2.0]}, [{"a": 1.0, "b": 2.0}]])
def test_keys_never_match_by_position(X):
    with pytest.raises(TypeError, match="was fitted without feature names, so it cannot match X's keys"):
        columns.match(columns.named(X), 2, None, "LogisticRegression")


def test_nonfinite_cell_names_the_first_row_then_the_first_column():
    a = np.array([0.0, 1.0, 2.0, np.inf])
    b = np.array([0.0, 1.0, np.nan, 3.0])
    c = np.array([0.0, 1.0, np.inf, 3.0])
    assert str(columns.nonfinite_cell([a, b, c], ["a", "b", "c"])) == "X has a missing value in row 2, column 'b'"
    assert str(columns.nonfinite_cell([a, c, b], ["a", "c", "b"])) == "X has an infinite value in row 2, column 'c'"
    assert str(columns.nonfinite_cell([a], [0])) == "X has an infinite value in row 3, column 0"
    assert columns.nonfinite_cell([a[:3]], ["a"]) is None
    # Where the kernel fills a column's missing values, only its infinities are errors.
    fill = np.array([np.nan, 0.5, np.nan])
    assert str(columns.nonfinite_cell([a, b, c], ["a", "b", "c"], fill)) == \
        "X has an infinite value in row 2, column 'c'"
    assert columns.nonfinite_cell([b], ["b"], np.array([0.0])) is None


@pytest.mark.parametrize("values, error, words", [
    ((1.0, None, 2.0), ValueError, "row has a missing value in column 'income'"),
    ((1.0, float("nan"), 2.0), ValueError, "row has a missing value in column 'income'"),
    ((1.0, 2.0, pd.NA), ValueError, "row has a missing value in column 'tenure'"),
    ((1.0, 2.0, float("-inf")), ValueError, "row has an infinite value in column 'tenure'"),
    (("1", 2.0, 3.0), TypeError, "row['age'] is not a number: '1'"),
    ((1.0, [2.0], 3.0), TypeError, "row['income'] is not a number: [2.0]"),
])
def test_row_problem_names_the_key(values, error, words):
    problem = columns.row_problem(values, NAMES)
    assert type(problem) is error and str(problem) == words
    assert columns.row_problem((1.0, 2, True), NAMES) is None

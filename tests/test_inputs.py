"""Input handling, the same on both backends: every layout converts, every bad input names its problem."""
import numpy as np
import pytest
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


def test_dataframe_like_columns_are_checked_by_name(backend):
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
    with pytest.raises(ValueError, match=r"missing \['x2'\]; unexpected \['b'\]"):
        model.score(Frame(X, ["x1", "b"]))
    with pytest.raises(ValueError, match="different order"):
        model.score(Frame(X, ["x2", "x1"]))


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

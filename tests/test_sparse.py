"""SciPy sparse X (CSR, CSC, other formats; matrices and arrays) scored over its structure, as scikit-learn does."""
import platform
import tracemalloc

import numpy as np
import pytest
from hypothesis import given, strategies as st
from scipy import sparse as sp
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge, SGDClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MaxAbsScaler, StandardScaler

import fastscore
from fastscore import _backend
from helpers import EPS, assert_close, model_on

# On x86-64 the baseline target has no FMA: the kernels then sum each row as scipy's csr_matvec does, bit for bit.
X86_64 = platform.machine().lower() in ("x86_64", "amd64")
FORMATS = ["csr", "csc", "coo", "lil", "dok", "bsr", "dia"]


def sparse_bound(X, est):
    """Bound (n, k) on |z_ours - z_sklearn| where the two add X's entries in different orders (duplicates
    summed first, or not): the forward error bound over the row's entries, as tests/helpers.py's dot_bound."""
    A = abs(sp.csr_matrix(X, dtype=np.float64))
    coef = np.atleast_2d(est.coef_)
    magnitude = A @ np.abs(coef).T + np.abs(np.atleast_1d(est.intercept_))
    per_row = np.diff(A.indptr).max(initial=0) + coef.shape[1] + 2
    return 2 * per_row * EPS * np.asarray(magnitude)


def _fitted(kind, d, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(60, d))
    if kind == "binary":
        return LogisticRegression().fit(X, X[:, 0] + rng.normal(size=60) > 0)
    if kind == "multiclass":
        return LogisticRegression().fit(X, rng.integers(0, 3, 60))
    if kind == "sgd":
        return SGDClassifier(loss="modified_huber", random_state=0).fit(X, rng.integers(0, 3, 60))
    if kind == "ridge":
        return Ridge().fit(X, X @ rng.normal(size=d))
    return LinearRegression().fit(X, X @ rng.normal(size=(d, 2)))


_MODELS = {}


def fitted(kind, d):
    """One fitted estimator per kind and width, shared by the examples."""
    if (kind, d) not in _MODELS:
        _MODELS[kind, d] = _fitted(kind, d)
    return _MODELS[kind, d]


@st.composite
def raw_sparse(draw, max_rows=25, max_features=12, min_rows=1):
    """(shape, data, indices, indptr) of a CSR matrix: unsorted and repeated indices, empty rows, explicit zeros."""
    n = draw(st.integers(min_rows, max_rows))  # scikit-learn refuses 0 rows
    d = draw(st.integers(1, max_features))
    density = draw(st.sampled_from([0.0, 0.05, 0.3, 1.0, 2.5]))  # above 1: duplicates for sure
    scale = draw(st.sampled_from([1e-3, 1.0, 1e3]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))  # arrays of any size, drawn at once
    counts = rng.integers(0, int(d * density) + 2, n)
    nnz = int(counts.sum())
    indices = rng.integers(0, d, nnz).astype(np.int64)  # unsorted, repeated
    data = rng.normal(scale=scale, size=nnz) * (rng.random(nnz) > 0.2)  # a fifth explicit zeros
    indptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    return (n, d), data, indices, indptr


def as_format(raw, fmt, dtype, index_dtype, array):
    """The raw CSR as a SciPy matrix (or array) of that format: CSC keeps the duplicates and their order by column."""
    shape, data, indices, indptr = raw
    cls = sp.csr_array if array else sp.csr_matrix
    X = cls((data.astype(dtype), indices.astype(index_dtype), indptr.astype(index_dtype)), shape=shape)
    if fmt == "csc":  # the transpose of a CSR with these entries keeps duplicates, unsummed
        T = (sp.csr_array if array else sp.csr_matrix)((X.data, X.indices, X.indptr), shape=shape)
        rows = np.repeat(np.arange(shape[0]), np.diff(indptr)).astype(index_dtype)
        order = np.lexsort((np.arange(rows.size), indices))  # by column, stored order within
        col_ptr = np.concatenate([[0], np.cumsum(np.bincount(indices, minlength=shape[1]))]).astype(index_dtype)
        X = (sp.csc_array if array else sp.csc_matrix)((T.data[order], rows[order], col_ptr), shape=shape)
    elif fmt != "csr":
        X = X.asformat(fmt)
    return X


@given(raw=raw_sparse(), kind=st.sampled_from(["binary", "multiclass", "sgd", "ridge", "linear"]),
       fmt=st.sampled_from(FORMATS), dtype=st.sampled_from([np.float64, np.float32]),
       index_dtype=st.sampled_from([np.int32, np.int64]), array=st.booleans())
def test_sparse_x_scores_as_scikit_learn(backend, raw, kind, fmt, dtype, index_dtype, array):
    est = fitted(kind, raw[0][1])
    X = as_format(raw, fmt, dtype, index_dtype, array)
    model = model_on(backend, est)
    bound = sparse_bound(X, est)
    if hasattr(est, "predict_proba"):
        assert_close(model.predict_proba(X), est.predict_proba(X), bound.max(axis=1, keepdims=True))
        assert_close(model.decision_function(X), est.decision_function(X), bound.reshape(-1) if
                     bound.shape[1] == 1 else bound)
        assert (model.predict(X) == est.predict(X)).all()
    else:  # LinearRegression and Ridge take COO as it is: its duplicates are added in another order
        # fastscore converts COO by tocsr(), which adds duplicates in X's dtype, as scikit-learn's
        # classifiers do: for float32 that rounding is tocsr's own, which a regressor skips.
        theirs = est.predict(X.tocsr() if fmt == "coo" and dtype == np.float32 else X)
        assert_close(model.predict(X), theirs, bound.reshape(theirs.shape))


@pytest.mark.skipif(not X86_64, reason="bit-for-bit agreement with scipy needs a target without FMA (x86-64)")
@given(raw=raw_sparse(), kind=st.sampled_from(["binary", "multiclass", "ridge", "linear"]),
       fmt=st.sampled_from(["csr", "csc"]), dtype=st.sampled_from([np.float64, np.float32]))
def test_csr_and_csc_sum_as_scipy_to_the_bit(backend, raw, kind, fmt, dtype):
    """Each row summed in stored order from 0, the intercept last: scipy's X @ coef.T + intercept exactly."""
    est = fitted(kind, raw[0][1])
    X = as_format(raw, fmt, dtype, np.int32, False)
    model = model_on(backend, est)
    ours = model.decision_function(X) if kind in ("binary", "multiclass") else model.predict(X)
    theirs = est.decision_function(X) if kind in ("binary", "multiclass") else est.predict(X)
    assert ours.tobytes() == np.asarray(theirs, dtype=np.float64).tobytes()


@given(raw=raw_sparse(max_rows=1200), fmt=st.sampled_from(["csr", "csc"]), threads=st.sampled_from([0, 1, 3]))
def test_backends_agree_to_the_bit(both_backends, raw, fmt, threads):
    """Across blocks and threads, and in every layout, the two backends give the same bits."""
    est = fitted("binary", raw[0][1])
    X = as_format(raw, fmt, np.float64, np.int32, False)
    models = [model_on(b, est) for b in ("compiled", "pure")]
    for method in ("predict_proba", "decision_function"):
        a, b = (getattr(m, method)(X) for m in models)
        assert_close(a, b, tol=1e-15)
    a, b = (m.score(X, n_threads=threads) for m in models)
    assert_close(a, b, tol=1e-15)
    if X86_64:
        a, b = (m.decision_function(X) for m in models)
        assert a.tobytes() == b.tobytes()


def _with_values(fmt, values):
    """A 4 x 3 matrix whose entries (row, col) are given, in this order, in the given format."""
    rows, cols, data = zip(*values)
    X = sp.csr_matrix((data, (rows, cols)), shape=(4, 3))
    return X.asformat(fmt)


@pytest.mark.parametrize("fmt", ["csr", "csc", "coo"])
def test_nan_or_infinity_is_named_by_row_and_column(backend, fmt):
    model = model_on(backend, fitted("binary", 3))
    X = _with_values(fmt, [(0, 1, 1.0), (2, 2, np.nan), (2, 0, np.inf), (3, 0, np.nan), (1, 1, 2.0)])
    with pytest.raises(ValueError, match=r"^X contains NaN or infinity in row 2, column 0$"):
        model.predict_proba(X)
    with pytest.raises(ValueError):  # scikit-learn refuses it too
        fitted("binary", 3).predict_proba(X)


def _csr(data, indices, indptr, shape=(3, 3)):
    X = sp.csr_matrix((np.array(data, float), np.array(indices, np.int32), np.array(indptr, np.int32)), shape=shape)
    return X


@pytest.mark.parametrize("index, message", [
    (5, r"^X is not a valid CSR matrix: column index 5 in row 1 is out of range \[0, 3\)$"),
    (-1, r"^X is not a valid CSR matrix: column index -1 in row 1 is out of range \[0, 3\)$"),
])
def test_column_index_out_of_range_is_refused(backend, index, message):
    model = model_on(backend, fitted("binary", 3))
    X = _csr([1.0, 2.0, 3.0], [0, 1, 2], [0, 1, 3, 3])
    X.indices[2] = index  # past scipy's checks at construction
    with pytest.raises(ValueError, match=message):
        model.decision_function(X)


@pytest.mark.parametrize("indptr, row", [([0, 2, 1, 3], 1), ([0, 1, 3, 4], 2), ([1, 0, 3, 3], 0)])
def test_bad_indptr_is_refused_without_reading_past_the_data(backend, indptr, row):
    model = model_on(backend, fitted("binary", 3))
    X = _csr([1.0, 2.0, 3.0], [0, 1, 2], [0, 1, 3, 3])
    X.indptr[:] = indptr
    with pytest.raises(ValueError, match=rf"^X is not a valid CSR matrix: its indptr is .* at row {row}$"):
        model.decision_function(X)


def test_csc_structure_errors_name_the_column(backend):
    model = model_on(backend, fitted("binary", 3))
    X = _csr([1.0, 2.0, 3.0], [0, 1, 2], [0, 1, 3, 3]).tocsc()
    X.indices[1] = 7
    with pytest.raises(ValueError, match=r"^X is not a valid CSC matrix: row index 7 in column 1 is out of range"):
        model.decision_function(X)
    X.indices[1] = 1
    X.indptr[2] = 9
    with pytest.raises(ValueError, match=r"^X is not a valid CSC matrix: its indptr is .* at column 1$"):
        model.decision_function(X)


def test_centred_models_refuse_sparse_x_as_scikit_learn_does(backend):
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(50, 4)), rng.integers(0, 2, 50)
    pipe = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y)
    Xs = sp.csr_matrix(X)
    with pytest.raises(ValueError, match="Cannot center sparse matrices"):
        pipe.predict_proba(Xs)
    with pytest.raises(ValueError, match=r"^X is a sparse matrix, but .* centres its features"):
        model_on(backend, pipe).predict_proba(Xs)
    # without centring, the scaler folds into coef and sparse X is scored as scikit-learn does
    pipe = make_pipeline(MaxAbsScaler(), LogisticRegression()).fit(X, y)
    assert_close(model_on(backend, pipe).predict_proba(Xs), pipe.predict_proba(Xs))


def test_shapes_and_types_are_checked_as_for_dense_x(backend):
    model = model_on(backend, fitted("binary", 3))
    with pytest.raises(ValueError, match=r"^X has 4 features, but the model expects 3$"):
        model.score(sp.csr_matrix((2, 4)))
    with pytest.raises(ValueError, match=r"^X must be 2-D"):
        model.score(sp.coo_array(np.ones(3)))
    with pytest.raises(TypeError, match="complex"):
        model.score(sp.csr_matrix(np.ones((2, 3), dtype=complex)))
    assert model.score(sp.csr_matrix((0, 3))).shape == (0,)
    ints = sp.csr_matrix(np.array([[1, 0, 2], [0, 0, 0]]))
    assert_close(model.score(ints), model.score(ints.toarray()))
    out = np.empty(2)
    assert model.score(ints, out=out) is out and np.array_equal(out, model.score(ints.toarray()))


def test_compiled_kernel_allocates_nothing_but_the_result(kernel_module):
    rng = np.random.default_rng(2)
    d, n = 20_000, 20_000
    X = sp.random(n, d, density=1e-3, format="csr", random_state=rng)
    model = fastscore.from_sklearn(LogisticRegression().fit(sp.random(40, d, density=0.05, random_state=rng),
                                                            np.arange(40) % 2), backend="compiled")
    model.predict_proba(X[:5])  # anything built once, before measuring
    tracemalloc.start()
    try:
        P = model.predict_proba(X)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert P.shape == (n, 2)
    assert peak < P.nbytes + 64 * 1024, (peak, P.nbytes)


def test_kernels_raise_the_same_errors_for_misuse(both_backends):
    kernels = [_backend.module(name).Kernel(np.ones((1, 3)), [0.5]) for name in ("compiled", "pure")]
    data, indices, indptr = np.ones(2), np.array([0, 2], np.int32), np.array([0, 1, 2], np.int32)
    calls = [
        lambda k: k.score_sparse(data.astype(np.int64), indices, indptr, 2, 0),
        lambda k: k.score_sparse(data, indices.astype(np.int64), indptr, 2, 0),
        lambda k: k.score_sparse(data, indices.astype(np.int16), indptr.astype(np.int16), 2, 0),
        lambda k: k.score_sparse(data, indices, indptr, 3, 0),
        lambda k: k.score_sparse(data, indices, indptr, -1, 0),
        lambda k: k.score_sparse(data, indices, indptr, 2.0, 0),
        lambda k: k.score_sparse(data, indices, indptr, 2, 99),
        lambda k: k.score_sparse(data, indices, indptr, 2, 0, csc=True),
        lambda k: k.score_sparse(data[:1], indices, indptr, 2, 0),
        lambda k: k.score_sparse(np.ones(4)[::2], indices, indptr, 2, 0),
        lambda k: k.score_sparse(data, indices, indptr, 2, 0, np.empty(3)),
        lambda k: k.score_sparse(data, indices, indptr, 2, 0, n_threads=-1),
        lambda k: type(k)(np.ones((1, 3)), [0.5], [1.0, 2.0, 3.0]).score_sparse(data, indices, indptr, 2, 0),
        lambda k: type(k)(np.ones((1, 3)), [0.5], fill=[1.0, 2.0, 3.0]).score_sparse(data, indices, indptr, 2, 0),
    ]
    for call in calls:
        errors = []
        for kernel in kernels:
            with pytest.raises((TypeError, ValueError)) as info:
                call(kernel)
            errors.append((type(info.value), str(info.value)))
        assert errors[0] == errors[1]


def test_runtime_never_imports_scipy(tmp_path):
    """Scoring dense X does not import scipy: only a caller's sparse X brings it."""
    import subprocess
    import sys

    code = ("import sys, numpy as np, fastscore; m = fastscore.Regressor(estimator='x', link='identity', "
            "coef=[1.0, 2.0], intercept=0.5, n_features=2); m.score(np.ones((3, 2))); m.score([[1, 2]]); "
            "print('scipy' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"


def test_score_one_takes_one_sparse_row(backend):
    for kind in ("binary", "multiclass"):
        est = fitted(kind, 3)
        model = model_on(backend, est)
        X = sp.csr_matrix(np.array([[0.0, 1.5, -2.0], [1.0, 0.0, 0.0]]))
        for i in range(2):
            got = model.score_one(X[i])
            want = model.score_one(X[i].toarray()[0].tolist())
            assert_close(np.asarray(got), np.asarray(want))
            assert type(got) is (float if kind == "binary" else tuple)
        with pytest.raises(ValueError, match=r"^row must be one row"):
            model.score_one(X)


def test_input_stages_refuse_sparse_x(backend):
    """Where a step of the pipeline refuses sparse X in scikit-learn (tests/test_sparse_pipelines.py: where not)."""
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import KBinsDiscretizer

    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(40, 3)), rng.integers(0, 2, 40)
    X[::7, 1] = np.nan
    model = model_on(backend, make_pipeline(SimpleImputer(), KBinsDiscretizer(
        n_bins=3, quantile_method="averaged_inverted_cdf"), LogisticRegression()).fit(X, y))
    Xs = sp.csr_matrix(np.nan_to_num(X))
    with pytest.raises(ValueError, match=r"^X is a sparse matrix, but .* has an input stage"):
        model.predict_proba(Xs)
    with pytest.raises(ValueError, match=r"^X is a sparse matrix, but .* has an input stage"):
        model.score_one(Xs[0])

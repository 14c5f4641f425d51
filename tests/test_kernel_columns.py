"""Kernel.score_columns, fill and code tables: both backends, every instruction set, against the formula.

z[r] = sum_i coef[:, i] * (x_i[r] (fill_i where NaN) - center[i]) + intercept + sum_j tables[j][codes[j][r]],
then the link. The reference below computes it with numpy from the formula; every
path must agree within 1e-12 plus the dot product's rounding bound (tests/helpers.py),
counting the table rows as terms. No timing is asserted here.
"""
import tracemalloc

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from fastscore import _backend, links
from fastscore._backend import BINARY_PROBA, FLAT, MATRIX
from helpers import EPS, assert_close

from conftest import BACKENDS, ISAS

LINKS = [link.code for link in links.LINKS]
IDENTITY, LOGISTIC, EXP = (links.BY_NAME[name].code for name in ("identity", "logistic", "exp"))
BLOCK = 512  # csrc/fastscore.h's FS_BLOCK_ROWS (checked against the build below)


# --- the reference ---------------------------------------------------------------------------

def _reference(columns, coef, intercept, center=None, fill=None, tables=(), codes=(), link=IDENTITY):
    """(link(z), bound on |z - exact z|) in float64, from the formula, with numpy's matmul."""
    n = len(codes[0]) if len(columns) == 0 else len(columns[0])
    X = np.column_stack([np.asarray(c, np.float64) for c in columns]) if len(columns) else np.zeros((n, 0))
    if fill is not None:
        X = np.where(np.isnan(X) & ~np.isnan(fill), fill, X)
    V = X - (0.0 if center is None else center)
    Z = V @ coef.T + intercept
    magnitude = np.abs(V) @ np.abs(coef).T + np.abs(intercept)
    for table, c in zip(tables, codes):
        rows = table[np.asarray(c, np.int64)]
        Z += rows
        magnitude += np.abs(rows)
    bound = 2 * (coef.shape[1] + len(tables) + 2) * EPS * magnitude
    links.LINKS[link].apply(Z)
    if link == EXP:  # exp's error is relative: z's error times exp(z)
        bound = np.abs(Z) * (bound + 4 * EPS)
    return Z, bound


def _in_layout(Z, layout):
    if layout == FLAT:
        return Z[:, 0]
    if layout == BINARY_PROBA:
        return np.column_stack([1.0 - Z[:, 0], Z[:, 0]])
    return Z


# --- kernels: the mirror, and the compiled kernel on each instruction set ----------------------

_KERNELS = [("pure", None)] + [("compiled", isa) for isa in ISAS if "compiled" in BACKENDS]


@pytest.fixture(params=_KERNELS, ids=lambda p: p[0] if p[1] is None else f"compiled-{p[1]}")
def Kernel(request):
    """A backend's Kernel class; the compiled one on each instruction set this CPU has, restored afterwards."""
    backend, isa = request.param
    if isa is None:
        yield _backend.kernel_class(backend)
        return
    from fastscore import _kernel  # an ImportError here is a failure, not a skip

    if isa not in _kernel.available_isas():
        pytest.skip(f"this CPU lacks {isa}")
    default = _kernel.isa()
    _kernel.select_isa(isa)
    yield _kernel.Kernel
    _kernel.select_isa(default)


def test_the_block_size_is_the_builds(kernel_module):
    assert kernel_module.BLOCK_ROWS == BLOCK


def _params(rng, k, d, t, table_rows=(4, 10, 3)):
    coef = rng.standard_normal((k, d))
    intercept = rng.standard_normal(k)
    center = rng.standard_normal(d)
    fill = rng.standard_normal(d) * 2
    fill[::2] = np.nan  # every other column: a missing value is an error
    tables = [rng.standard_normal((table_rows[j % len(table_rows)], k)) for j in range(t)]
    return coef, intercept, center, fill, tables


def _arrangements(rng, n, d, dtype):
    """The same d columns, lying in several ways: (name, the numbers, the column arrays)."""
    X = (rng.standard_normal((n, d)) * 3).astype(dtype)
    F = np.asfortranarray(X)
    backwards = np.asfortranarray(X[::-1])
    separate = [np.array(X[:, i]) for i in range(d)]
    mixed = [c.astype(np.float32) if i % 2 else c.astype(np.float64) for i, c in enumerate(separate)]
    return [("F", X, [F[:, i] for i in range(d)]),
            ("C", X, [X[:, i] for i in range(d)]),
            ("separate", X, separate),
            ("backwards", X, [backwards[::-1, i] for i in range(d)]),
            ("mixed", np.column_stack(mixed) if d else X, mixed)]


def _codes(rng, n, tables):
    codes = [rng.integers(0, table.shape[0], n).astype(np.int32) for table in tables]
    if len(codes) > 1:  # a strided code column: the second of a (n, 2) matrix's
        pair = np.column_stack([codes[1], codes[1]])
        codes[1] = pair[:, 1]
    return codes


@pytest.mark.parametrize("k, d, t", [(1, 1, 0), (1, 3, 0), (1, 3, 2), (3, 2, 1), (1, 17, 3), (2, 0, 2)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_every_arrangement_link_and_layout_agrees_with_the_formula(Kernel, k, d, t, dtype):
    rng = np.random.default_rng(100 * k + 10 * d + t)
    coef, intercept, center, fill, tables = _params(rng, k, d, t)
    kernel = Kernel(coef, intercept, center, fill=fill, tables=tables)
    layouts = (FLAT, MATRIX, BINARY_PROBA) if k == 1 else (MATRIX,)
    for n in (0, 1, BLOCK // k + 1, 2 * BLOCK + 3):
        codes = _codes(rng, n, tables)
        for name, X, columns in _arrangements(rng, n, d, dtype):
            if n > 1 and d > 1:  # NaN in a filled column is its fill
                filled = np.flatnonzero(~np.isnan(fill))[0]
                X[n // 2, filled] = np.nan
                columns[filled][n // 2] = np.nan
            for link in LINKS:
                want, bound = _reference(columns if d else [], coef, intercept, center, fill, tables, codes, link)
                for layout in layouts:
                    got = kernel.score_columns(columns, link, layout=layout, codes=codes)
                    assert_close(got, _in_layout(want, layout), _in_layout(bound, layout) if layout != BINARY_PROBA
                                 else np.column_stack([bound[:, 0], bound[:, 0]]))


def test_the_compiled_kernel_agrees_with_the_mirror(both_backends):
    """The same summation order: the two backends differ at most by the FMA contractions."""
    rng = np.random.default_rng(7)
    coef, intercept, center, fill, tables = _params(rng, 2, 5, 3)
    kernels = [_backend.kernel_class(name)(coef, intercept, center, fill=fill, tables=tables)
               for name in ("compiled", "pure")]
    X = rng.standard_normal((3000, 5))
    codes = _codes(rng, 3000, tables)
    got = [kernel.score_columns(list(X.T), IDENTITY, codes=codes) for kernel in kernels]
    _, bound = _reference(list(X.T), coef, intercept, center, fill, tables, codes)
    assert_close(got[0], got[1], bound)


def test_threads_and_blocks_do_not_change_a_bit(Kernel):
    rng = np.random.default_rng(3)
    coef, intercept, center, fill, tables = _params(rng, 1, 3, 2)
    kernel = Kernel(coef, intercept, center, fill=fill, tables=tables)
    n = 200_003
    F = np.asfortranarray(rng.standard_normal((n, 3)))
    F[::7, 1] = np.nan  # column 1 has a fill
    columns = [F[:, i] for i in range(3)]
    codes = _codes(rng, n, tables)
    outs = [kernel.score_columns(columns, LOGISTIC, layout=FLAT, codes=codes, n_threads=t) for t in (1, 2, 0, 7)]
    for out in outs[1:]:
        assert out.tobytes() == outs[0].tobytes()
    # Each row alone: its place in a block (shifted by one row), and the path (a pass per strided
    # column, or one pass over contiguous ones), cannot change a bit either.
    shifted = kernel.score_columns([c[1:] for c in columns], LOGISTIC, layout=FLAT, codes=[c[1:] for c in codes])
    assert shifted.tobytes() == outs[0][1:].tobytes()
    C = np.ascontiguousarray(F)
    strided = kernel.score_columns([C[:, i] for i in range(3)], LOGISTIC, layout=FLAT, codes=codes, n_threads=1)
    assert strided.tobytes() == outs[0].tobytes()
    want, bound = _reference(columns, coef, intercept, center, fill, tables, codes, LOGISTIC)
    assert_close(outs[0], want[:, 0], bound[:, 0])


def test_tables_with_many_codes(Kernel):
    rng = np.random.default_rng(5)
    tables = [rng.standard_normal((10_000, 2)), rng.standard_normal((1, 2)), rng.standard_normal((300, 2))]
    coef, intercept = rng.standard_normal((2, 1)), rng.standard_normal(2)
    kernel = Kernel(coef, intercept, tables=tables)
    n = 5000
    codes = [rng.integers(0, table.shape[0], n).astype(np.int32) for table in tables]
    x = rng.standard_normal(n)
    want, bound = _reference([x], coef, intercept, tables=tables, codes=codes, link=links.BY_NAME["softmax"].code)
    assert_close(kernel.score_columns([x], links.BY_NAME["softmax"].code, codes=codes), want, bound)


def test_more_tables_than_the_kernel_adds_at_once(Kernel):
    """Ten tables (the C kernel adds eight at a time): all of them count, and so do their bad codes."""
    rng = np.random.default_rng(6)
    tables = [rng.standard_normal((j + 2, 1)) for j in range(10)]
    kernel = Kernel(np.ones((1, 1)), [0.0], tables=tables)
    n = 3 * BLOCK
    codes = [rng.integers(0, table.shape[0], n).astype(np.int32) for table in tables]
    x = rng.standard_normal(n)
    want, bound = _reference([x], np.ones((1, 1)), np.zeros(1), tables=tables, codes=codes)
    assert_close(kernel.score_columns([x], IDENTITY, codes=codes), want, bound)
    codes[9][BLOCK + 7] = 11
    codes[2][BLOCK + 9] = 4
    with pytest.raises(ValueError, match=rf"^code 11 of table 9 in row {BLOCK + 7} is out of range \(table 9 has 11 rows\)$"):
        kernel.score_columns([x], IDENTITY, codes=codes)
    codes[2][BLOCK + 7] = -1
    with pytest.raises(ValueError, match=rf"^code -1 of table 2 in row {BLOCK + 7} is out of range"):
        kernel.score_columns([x], IDENTITY, codes=codes)


def test_an_empty_table_has_no_code_in_range(Kernel):
    kernel = Kernel(np.ones((1, 1)), [0.0], tables=[np.ones((2, 1)), np.zeros((0, 1))])
    assert kernel.score_columns([np.zeros(0)], IDENTITY, codes=[np.zeros(0, np.int32)] * 2).shape == (0, 1)
    with pytest.raises(ValueError, match=r"^code 0 of table 1 in row 0 is out of range \(table 1 has 0 rows\)$"):
        kernel.score_columns([np.zeros(600)], IDENTITY, codes=[np.zeros(600, np.int32)] * 2, n_threads=2)


def test_tables_alone(Kernel):
    """A kernel of no numeric columns: z is the intercept plus the table rows."""
    kernel = Kernel(np.zeros((1, 0)), [0.5], tables=[[[1.0], [2.0], [-4.0]], [[0.25], [0.0]]])
    codes = [np.array([0, 1, 2, 2], np.int32), np.array([1, 0, 0, 1], np.int64)]
    assert kernel.score_columns([], IDENTITY, layout=FLAT, codes=codes).tolist() == [1.5, 2.75, -3.25, -3.5]
    with pytest.raises(ValueError, match=r"code 3 of table 0 in row 1 is out of range \(table 0 has 3 rows\)"):
        kernel.score_columns([], IDENTITY, codes=[np.array([0, 3]), np.array([0, 0])])
    with pytest.raises(ValueError, match="coef must have shape"):  # without tables a kernel needs columns
        Kernel(np.zeros((1, 0)), [0.5])


# --- errors: the first bad row, its column or table -------------------------------------------

@pytest.mark.parametrize("n_threads", [1, 2])
def test_the_first_bad_row_is_named_with_its_column_or_table(Kernel, n_threads):
    rng = np.random.default_rng(11)
    n = 4 * BLOCK + 5
    coef, intercept, center, fill, tables = _params(rng, 1, 4, 2)  # fill: NaN for columns 0 and 2
    kernel = Kernel(coef, intercept, center, fill=fill, tables=tables)

    def call(F, codes):
        return kernel.score_columns([F[:, i] for i in range(4)], LOGISTIC, codes=codes, n_threads=n_threads)

    F = np.asfortranarray(rng.standard_normal((n, 4)))
    codes = _codes(rng, n, tables)
    F[:, 1] = np.nan  # filled everywhere: no error
    call(F, codes)
    F[3 * BLOCK + 1, 3] = -np.inf  # infinity is an error even where there is a fill
    F[3 * BLOCK + 1, 2] = np.nan
    F[n - 1, 0] = np.nan
    with pytest.raises(ValueError, match=rf"^X contains NaN or infinity in row {3 * BLOCK + 1}, column 2$"):
        call(F, codes)
    codes[1][3 * BLOCK + 1] = -1  # the same row: its column is named before its table
    with pytest.raises(ValueError, match=rf"row {3 * BLOCK + 1}, column 2$"):
        call(F, codes)
    codes[1][BLOCK + 2] = tables[1].shape[0]  # too large, in an earlier row
    with pytest.raises(ValueError, match=rf"^code {tables[1].shape[0]} of table 1 in row {BLOCK + 2} is out of range"):
        call(F, codes)
    codes[0][BLOCK + 2] = -5  # two tables in one row: the first table is named
    with pytest.raises(ValueError, match=rf"^code -5 of table 0 in row {BLOCK + 2} is out of range"):
        call(F, codes)
    codes[1][0] = -2**31
    with pytest.raises(ValueError, match=rf"^code -2147483648 of table 1 in row 0 is out of range"):
        call(F, codes)


def test_both_backends_raise_the_same_errors(both_backends):
    rng = np.random.default_rng(2)
    coef, intercept, center, fill, tables = _params(rng, 1, 3, 2)
    n = 700
    X = rng.standard_normal((3, n))
    codes = _codes(rng, n, tables)
    good = [X[0], X[1], X[2]]
    bad_codes = [codes[0].copy(), codes[1].copy()]
    bad_codes[1][600] = 99
    nan = [X[0].copy(), X[1], X[2]]
    nan[0][650] = np.nan
    calls = [
        lambda k: k.score_columns(good, LOGISTIC, codes=bad_codes),
        lambda k: k.score_columns(nan, LOGISTIC, codes=bad_codes),
        lambda k: k.score_columns(nan, LOGISTIC, codes=codes),
        lambda k: k.score_columns(np.array(good), LOGISTIC, codes=codes),  # a 2-D array: rows would pass as columns
        lambda k: k.score_columns(good[:2], LOGISTIC, codes=codes),
        lambda k: k.score_columns(good, LOGISTIC, codes=codes[:1]),
        lambda k: k.score_columns(good, LOGISTIC, codes=(c for c in codes)),
        lambda k: k.score_columns([X[0], X[1].tolist(), X[2]], LOGISTIC, codes=codes),
        lambda k: k.score_columns([X[0], X[1].astype(np.int64), X[2]], LOGISTIC, codes=codes),
        lambda k: k.score_columns([X[0], X[1].astype(np.float16), X[2]], LOGISTIC, codes=codes),
        lambda k: k.score_columns([X[0], X[1].astype(np.complex128), X[2]], LOGISTIC, codes=codes),
        lambda k: k.score_columns([X[0], X[1][:-1], X[2]], LOGISTIC, codes=codes),
        lambda k: k.score_columns([X[0], X[1:2], X[2]], LOGISTIC, codes=codes),
        lambda k: k.score_columns(good, LOGISTIC, codes=[codes[0], codes[1].astype(np.float64)]),
        lambda k: k.score_columns(good, LOGISTIC, codes=[codes[0], codes[1].astype(bool)]),
        lambda k: k.score_columns(good, LOGISTIC, codes=[codes[0], codes[1][:5]]),
        lambda k: k.score_columns(good, 99, codes=codes),
        lambda k: k.score_columns(good, LOGISTIC, layout=7, codes=codes),
        lambda k: k.score_columns(good, LOGISTIC, np.empty(n - 1), layout=FLAT, codes=codes),
        lambda k: k.score_columns(good, LOGISTIC, np.empty((n, 1), np.float32), codes=codes),
        lambda k: k.score_columns(good, LOGISTIC, good[1].reshape(n, 1), codes=codes),
        lambda k: k.score_columns(good, LOGISTIC, n_threads=-1, codes=codes),
        lambda k: k.score_columns(good, LOGISTIC, n_threads=1.5, codes=codes),
        lambda k: k.score(X.T.copy(), LOGISTIC),
        lambda k: k.score_one([0.0, 1.0, 2.0], LOGISTIC),
        lambda k: k.score_one(np.zeros(3), LOGISTIC),
        lambda k: k.score_one([0.0, 1.0, 2.0], 99),
        lambda k: type(k)(coef, intercept, fill=[1.0, 2.0]),
        lambda k: type(k)(coef, intercept, fill=[1.0, np.inf, 2.0]),
        lambda k: type(k)(coef, intercept, tables=[np.ones((2, 2))]),
        lambda k: type(k)(coef, intercept, tables=[np.ones(2)]),
        lambda k: type(k)(coef, intercept, tables=[[[np.nan]]]),
        lambda k: type(k)(coef, intercept, tables=np.ones((2, 2, 1))),
    ]
    kernels = [_backend.kernel_class(name)(coef, intercept, center, fill=fill, tables=tables)
               for name in ("compiled", "pure")]
    messages = []
    for number, call in enumerate(calls):
        errors = []
        for kernel in kernels:
            with pytest.raises((TypeError, ValueError)) as info:
                call(kernel)
            errors.append((type(info.value), str(info.value)))
        assert errors[0] == errors[1], (number, errors)
        messages.append(errors[0][1])
    assert messages[0] == messages[1] == f"code 99 of table 1 in row 600 is out of range (table 1 has {tables[1].shape[0]} rows)"
    assert messages[2] == "X contains NaN or infinity in row 650, column 0"
    assert messages[3] == "columns must be a list or tuple of 1-D arrays, got ndarray"


def test_score_and_score_one_refuse_tables(backend):
    kernel = _backend.kernel_class(backend)(np.ones((1, 2)), [0.0], tables=[np.ones((3, 1))])
    assert kernel.tables[0].shape == (3, 1) and not kernel.tables[0].flags.writeable
    for call in (lambda: kernel.score(np.ones((4, 2)), LOGISTIC), lambda: kernel.score_one([1.0, 2.0], LOGISTIC),
                 lambda: kernel.score_one((1.0, 2.0), IDENTITY), lambda: kernel.score_one(np.ones(2), EXP)):
        with pytest.raises(ValueError, match="^this kernel adds 1 code table to z: score it with score_columns$"):
            call()


# --- fill in score() and score_one() ----------------------------------------------------------

@pytest.mark.parametrize("k", [1, 3])
def test_fill_applies_to_score_and_score_one(Kernel, k):
    rng = np.random.default_rng(k)
    coef, intercept, center, fill, _ = _params(rng, k, 5, 0)  # fill NaN for columns 0, 2, 4
    kernel = Kernel(coef, intercept, center, fill=fill)
    assert kernel.fill.tolist()[1] == fill[1] and not kernel.fill.flags.writeable
    X = rng.standard_normal((2 * BLOCK + 3, 5))
    X[::3, 1] = np.nan
    X[5, 3] = np.nan
    for dtype in (np.float64, np.float32):
        A = X.astype(dtype)
        for link in LINKS:
            want, bound = _reference(list(A.T), coef, intercept, center, fill, link=link)
            assert_close(kernel.score(A, link), want, bound)
            assert_close(kernel.score_columns(list(A.T), link), want, bound)
            one = kernel.score_one(A[5].tolist(), link)
            assert_close(np.reshape(one, (1, k)), want[5:6], bound[5:6])
            assert_close(np.reshape(kernel.score_one(A[5], link), (1, k)), want[5:6], bound[5:6])
    X[BLOCK + 1, 2] = np.nan  # no fill there
    with pytest.raises(ValueError, match=f"^X contains NaN or infinity in row {BLOCK + 1}$"):
        kernel.score(X, LOGISTIC)
    with pytest.raises(ValueError, match=f"^X contains NaN or infinity in row {BLOCK + 1}, column 2$"):
        kernel.score_columns(list(X.T), LOGISTIC)
    for row in (X[BLOCK + 1], X[BLOCK + 1].tolist(), tuple(X[BLOCK + 1].tolist())):
        with pytest.raises(ValueError, match="^row contains NaN or infinity at feature 2$"):
            kernel.score_one(row, LOGISTIC)
    X[BLOCK + 1, 2] = 0.0
    X[7, 1] = np.inf  # infinity is never filled
    with pytest.raises(ValueError, match="row 7"):
        kernel.score(X, LOGISTIC)
    with pytest.raises(ValueError, match="^row contains NaN or infinity at feature 1$"):
        kernel.score_one(X[7].tolist(), LOGISTIC)


def test_score_one_with_fill_agrees_to_the_bit(both_backends):
    """The scalar path of score_one fills the row, then sums left to right on both backends."""
    coef, fill = np.array([[0.5, -1.25, 3.0]]), np.array([np.nan, 0.1, -7.0])
    kernels = [_backend.kernel_class(name)(coef, [0.3], [0.1, 0.2, 0.3], fill=fill) for name in ("compiled", "pure")]
    for row in ([1.0, np.nan, np.nan], (2.5, np.nan, 1.0), [1, 2, float("nan")]):
        for link in (IDENTITY, LOGISTIC, EXP):
            got = [kernel.score_one(row, link) for kernel in kernels]
            assert got[0] == got[1], (row, link, got)
    for kernel in kernels:
        with pytest.raises(ValueError, match="feature 0"):
            kernel.score_one([np.nan, 1.0, 1.0], LOGISTIC)


def test_a_fill_of_all_nan_is_no_fill(Kernel):
    kernel = Kernel(np.ones((1, 2)), [0.0], fill=[np.nan, np.nan])
    assert np.isnan(kernel.fill).all()
    with pytest.raises(ValueError, match="row 1"):
        kernel.score(np.array([[1.0, 2.0], [np.nan, 0.0]]), LOGISTIC)
    assert kernel.score(np.array([[1.0, 2.0]]), IDENTITY).tolist() == [[3.0]]


# --- how columns and codes may lie ------------------------------------------------------------

def test_odd_columns_and_codes_are_taken(Kernel):
    """Byte-swapped, unaligned, odd-strided columns; codes of every integer type: the same numbers."""
    rng = np.random.default_rng(9)
    n = 1000
    coef, intercept, center, fill, tables = _params(rng, 1, 3, 2)
    kernel = Kernel(coef, intercept, center, fill=fill, tables=tables)
    X = rng.standard_normal((n, 3))
    codes = _codes(rng, n, tables)
    want = kernel.score_columns([np.array(c) for c in X.T], IDENTITY, codes=[np.array(c) for c in codes])
    swapped = X[:, 0].astype(">f8")
    raw = np.zeros(n * 8 + 1, np.uint8)
    unaligned = raw[1:].view(np.float64)
    unaligned[:] = X[:, 1]
    assert not unaligned.flags.aligned
    packed = np.zeros(n, dtype=[("flag", "u1"), ("x", "<f8")])  # strided by 9 bytes
    packed["x"] = X[:, 2]
    assert packed["x"].strides[0] % 8 != 0
    got = kernel.score_columns([swapped, unaligned, packed["x"]], IDENTITY, codes=codes)
    assert got.tobytes() == want.tobytes()
    for dtype in (np.int8, np.int16, np.uint16, np.int64, np.uint64, ">i4"):
        typed = [c.astype(dtype) for c in codes]
        assert kernel.score_columns(list(X.T), IDENTITY, codes=typed).tobytes() == want.tobytes(), dtype
    big = codes[0].astype(np.int64)
    big[10] = 2**32  # would wrap to 0 in int32: must be out of range instead
    with pytest.raises(ValueError, match="^code 4294967296 of table 0 in row 10 is out of range"):
        kernel.score_columns(list(X.T), IDENTITY, codes=[big, codes[1]])
    huge = codes[1].astype(np.uint64)
    huge[3] = 2**64 - 1
    with pytest.raises(ValueError, match="^code 18446744073709551615 of table 1 in row 3 is out of range"):
        kernel.score_columns(list(X.T), IDENTITY, codes=[codes[0], huge])
    backwards = codes[0][::-1].copy()[::-1]
    assert kernel.score_columns(list(X.T), IDENTITY, codes=[backwards, codes[1]]).tobytes() == want.tobytes()


def test_out_is_written_and_must_not_overlap(Kernel):
    kernel = Kernel(np.ones((1, 2)), [0.0], tables=[np.ones((2, 1))])
    X = np.arange(12.0).reshape(2, 6)
    codes = [np.zeros(6, np.int32)]
    out = np.full(6, -1.0)
    assert kernel.score_columns([X[0], X[1]], IDENTITY, out, layout=FLAT, codes=codes) is out
    assert out.tolist() == (X[0] + X[1] + 1.0).tolist()
    with pytest.raises(ValueError, match=r"^out must not overlap columns\[1\]$"):
        kernel.score_columns([X[0], X[1]], IDENTITY, X[1], layout=FLAT, codes=codes)
    shared = np.zeros(8)
    with pytest.raises(ValueError, match=r"^out must not overlap codes\[0\]$"):
        kernel.score_columns([X[0], X[1]], IDENTITY, shared[:6], layout=FLAT, codes=[shared[2:].view(np.int32)[:6]])


def test_zero_and_one_rows(Kernel):
    kernel = Kernel(np.ones((2, 3)), [0.0, 1.0], fill=[0.0, 0.0, 0.0], tables=[np.ones((1, 2))])
    empty = np.zeros(0)
    out = kernel.score_columns([empty] * 3, IDENTITY, codes=[np.zeros(0, np.int32)])
    assert out.shape == (0, 2)
    one = kernel.score_columns([np.array([1.0]), np.array([np.nan]), np.array([2.0])], IDENTITY,
                               codes=[np.zeros(1, np.int8)])
    assert one.tolist() == [[4.0, 5.0]]


def test_columns_are_scored_where_they_lie(kernel_module):
    """The compiled kernel reads a float64 DataFrame's column views without copying them."""
    rng = np.random.default_rng(0)
    n = 200_000
    F = np.asfortranarray(rng.standard_normal((n, 3)))
    columns = [F[:, i] for i in range(3)]
    codes = [rng.integers(0, 10, n).astype(np.int32)]
    kernel = kernel_module.Kernel(rng.standard_normal((1, 3)), [0.1], tables=[rng.standard_normal((10, 1))])
    kernel.score_columns(columns, LOGISTIC, layout=FLAT, codes=codes)  # warm up
    tracemalloc.start()
    try:
        out = kernel.score_columns(columns, LOGISTIC, layout=FLAT, codes=codes)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak - out.nbytes < 64 * 1024, peak  # a copy of one column would be 1.6 MB


# --- hypothesis: random shapes, both backends, the formula ------------------------------------

@st.composite
def _cases(draw):
    k = draw(st.integers(1, 3))
    t = draw(st.integers(0, 3))
    d = draw(st.integers(0 if t else 1, 6))
    n = draw(st.integers(0, 40))
    seed = draw(st.integers(0, 2**32 - 1))
    step = draw(st.sampled_from([1, 2, -1, -3]))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    centered = draw(st.booleans())
    filled = draw(st.booleans())
    return k, t, d, n, seed, step, dtype, centered, filled


@given(_cases())
def test_random_shapes_agree_with_the_formula(backend, case):
    k, t, d, n, seed, step, dtype, centered, filled = case
    rng = np.random.default_rng(seed)
    coef, intercept, center, fill, tables = _params(rng, k, d, t, table_rows=tuple(rng.integers(1, 30, 3)))
    kernel = _backend.kernel_class(backend)(coef, intercept, center if centered else None,
                                            fill=fill if filled else None, tables=tables)
    base = (rng.standard_normal((n * abs(step), d)) * 10).astype(dtype)
    if filled and n and d > 1:
        base[rng.integers(0, n * abs(step), 3), 1] = np.nan  # column 1 always has a fill
    columns = [base[::step, i] for i in range(d)]
    codes = [rng.integers(0, table.shape[0], n * abs(step)).astype(np.int32)[::step] for table in tables]
    link = int(rng.choice(LINKS))
    layout = MATRIX if k > 1 else int(rng.choice([FLAT, MATRIX, BINARY_PROBA]))
    want, bound = _reference(columns if d else [], coef, intercept, center if centered else None,
                             fill if filled else None, tables, codes, link)
    got = kernel.score_columns(columns, link, layout=layout, codes=codes)
    if layout == BINARY_PROBA:
        want, bound = _in_layout(want, layout), np.column_stack([bound[:, 0], bound[:, 0]])
    else:
        want, bound = _in_layout(want, layout), _in_layout(bound, layout)
    assert_close(got, want, bound)

"""Every path gives the same answer on hostile rows and inputs: both backends, every instruction set.

The rule for a row whose products overflow float64: z is the sum of the row's
terms (x_i - c_i) * w_i, each rounded to float64 on its own, added left to
right, plus the intercept (what score_one's sum of a list and numpy's
elementwise (x * w).sum() give): NaN where the terms overflow to +inf and to
-inf, +-inf where they overflow one way; a finite row that overflows is not
an error, and a NaN z is NaN through every link. scikit-learn's own answer on
such rows depends on its BLAS, which fuses multiply and add (numpy's matmul
gives inf, -inf or NaN for [[1e308, -1e308]] @ [[10], [10]] depending on how
many rows it multiplies), so the rule is held here against plain Python floats.

The paths: Kernel.score in every layout (float64 and float32, centred, one and
several outputs, one and two threads), score_one of a list, a tuple and an
array, and the models' decision_function, predict_proba, predict_log_proba and
score, on the pure mirror and on every instruction set of the compiled kernel.
"""
import contextlib
import concurrent.futures
import math
import re
import warnings
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import fastscore
from fastscore import _pure, links
from fastscore._backend import BINARY_PROBA, FLAT, MATRIX
from helpers import EPS, assert_close

from conftest import BACKENDS

MAX = float(np.finfo(np.float64).max)
F32_MAX = float(np.finfo(np.float32).max)
LOG_MAX = math.log(MAX)  # exp overflows above it
IDENTITY, EXP = links.BY_NAME["identity"].code, links.BY_NAME["exp"].code
EXPM1, SQUARE = links.BY_NAME["expm1"].code, links.BY_NAME["square"].code
SQRT_MAX = math.sqrt(MAX)  # square overflows above it
PROBABILITIES = [link.code for link in links.LINKS if link.log is not None]


def _paths():
    """(name, Kernel class, instruction set or None) for every kernel path under test here."""
    paths = [("pure", _pure.Kernel, None)]
    if "compiled" in BACKENDS:
        from fastscore import _kernel  # an ImportError here is a failure, not a skip

        paths += [(f"compiled/{isa}", _kernel.Kernel, isa) for isa in _kernel.available_isas()]
    return paths


def _model_paths():
    """(backend, instruction set or None) for every way a model can score here."""
    return [("pure" if cls is _pure.Kernel else "compiled", isa) for _, cls, isa in _paths()]


@contextlib.contextmanager
def _on(isa):
    """The compiled kernel on instruction set `isa` (None: nothing to switch), restored afterwards."""
    if isa is None:
        yield
        return
    from fastscore import _kernel

    default = _kernel.isa()
    _kernel.select_isa(isa)
    try:
        yield
    finally:
        _kernel.select_isa(default)


def _rule(X, coef, intercept, center):
    """z by the rule, in Python floats, and a bound on a correct dot product's rounding error.

    Both (n, k). The bound (tests/helpers.py's) is taken from the terms
    themselves, so that it is finite wherever they are.
    """
    X = np.asarray(X, dtype=np.float64)
    Z = np.empty((X.shape[0], coef.shape[0]))
    bound = np.empty_like(Z)
    for r, row in enumerate(X.tolist()):
        terms = row if center is None else [x - c for x, c in zip(row, center.tolist())]
        for j, w in enumerate(coef.tolist()):
            products = [a * b for a, b in zip(w, terms)]
            Z[r, j] = sum(products) + float(intercept[j])
            size = sum(abs(p) for p in products if math.isfinite(p)) + abs(float(intercept[j]))
            bound[r, j] = 2 * (coef.shape[1] + 2) * EPS * size
    return Z, bound


def _clear(X, coef, center):
    """True when every term is either moderate or overflows beyond doubt.

    Moderate: at most MAX / (2 (d + 1)), so that no order of summation
    overflows. Beyond doubt: an exact product of at least 4 MAX (or an x - c
    that is itself infinite), which no fused multiply-add can bring back into
    range. Between the two, a fused path may return the finite sum that the
    rule's rounded terms do not: the cases below never fall there.
    """
    d = coef.shape[1]
    for row in np.asarray(X, dtype=np.float64).tolist():
        terms = row if center is None else [x - c for x, c in zip(row, center.tolist())]
        for w in coef.tolist():
            for a, b in zip(terms, w):
                if a == 0.0 or b == 0.0 or math.isinf(a):
                    continue
                size = math.log2(abs(a)) + math.log2(abs(b))
                if math.log2(MAX / (2 * (d + 1))) < size < math.log2(MAX) + 2:
                    return False
    return True


def _linked(Z, link):
    P = Z.copy()
    links.LINKS[link].apply(P)
    return P


def _link_bound(Z, bound, want, link):
    """How far a correct path's link(z) may be from the rule's: z's bound through the link.

    Elementwise links move at most as fast as z (exp: relatively); links that
    normalise a row may carry any of the row's errors.
    """
    with np.errstate(over="ignore", invalid="ignore"):  # inf where z's own bound is beyond the link's range
        if link == EXP:
            return np.abs(want) * (bound + 4 * EPS)
        if link == EXPM1:  # z's error times exp(z) = expm1(z) + 1
            return np.abs(want + 1.0) * bound + 4 * EPS * np.abs(want)
        if link == SQUARE:  # z's error times 2 |z|, and its own square
            return 2.0 * np.abs(Z) * bound + bound * bound + 4 * EPS * np.abs(want)
    if link == IDENTITY:
        return bound
    return np.broadcast_to(np.where(np.isfinite(Z), bound, 0.0).max(axis=1, keepdims=True), Z.shape)


def _assert_agrees(got, want, bound, what):
    """NaN exactly where want is NaN, the same infinities, and finite values within bound."""
    got = np.asarray(got, dtype=np.float64).reshape(want.shape)
    nan, inf = np.isnan(want), np.isinf(want)
    assert np.array_equal(np.isnan(got), nan), (what, got, want)
    assert np.array_equal(got[inf], want[inf]), (what, got, want)
    finite = ~nan & ~inf
    assert np.isfinite(got[finite]).all(), (what, got, want)
    assert_close(got[finite], want[finite], np.broadcast_to(bound, want.shape)[finite])


def _moderate(dtype):
    return st.floats(-1e3, 1e3, allow_nan=False, width=32 if dtype == np.float32 else 64)


@st.composite
def _hostile(draw):
    """A small model and rows that mix moderate values, values near float's limits and zeros."""
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    k, d, n = draw(st.sampled_from([1, 3])), draw(st.integers(1, 20)), draw(st.integers(1, 6))
    huge = [1e308, -1e308, MAX, -MAX] if dtype == np.float64 else [3e38, -3e38, F32_MAX, -F32_MAX]
    moderate = _moderate(dtype)
    anything = st.one_of(moderate, st.sampled_from(huge), st.just(0.0))
    rows = []
    for _ in range(n):  # some rows stay moderate throughout: finite, as exact as any row
        values = moderate if draw(st.booleans()) else anything
        rows.append(draw(st.lists(values, min_size=d, max_size=d)))
    X = np.array(rows, dtype=dtype)
    magnitudes = st.sampled_from([1e-3, 10.0, 1e3, 1e300])
    signs = st.sampled_from([1.0, -1.0])
    coef = np.array(draw(st.lists(st.tuples(magnitudes, signs), min_size=k * d, max_size=k * d)))
    coef = (coef[:, 0] * coef[:, 1]).reshape(k, d)
    intercept = np.array(draw(st.lists(_moderate(np.float64), min_size=k, max_size=k)))
    center = None
    if draw(st.booleans()):
        center = np.array(draw(st.lists(st.one_of(_moderate(np.float64), st.sampled_from([1e308, -1e308])),
                                        min_size=d, max_size=d)))
    return X, coef, intercept, center


@given(case=_hostile())
def test_overflowing_rows_agree_on_every_path(case):
    X, coef, intercept, center = case
    assert _clear(X, coef, center), "the strategy must keep every term out of the ambiguous band"
    Z, bound = _rule(X, coef, intercept, center)
    near_exp_limit = np.abs(Z - LOG_MAX) <= bound + 1e-9  # exp(z) finite or inf by a rounding: not compared
    k = coef.shape[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name, Kernel, isa in _paths():
            with _on(isa):
                kernel = Kernel(coef, intercept, center)
                for link in range(len(links.LINKS)):
                    want = _linked(Z, link)
                    limit = _link_bound(Z, bound, want, link)
                    keep = ~near_exp_limit.any(axis=1) if link in (EXP, EXPM1) else np.ones(len(X), bool)
                    if link == SQUARE:  # z * z finite or inf by a rounding, or z's bound beyond square's range
                        keep &= ~(np.abs(np.abs(Z) - SQRT_MAX) <= bound + 1e-9).any(axis=1)
                        keep &= np.isfinite(limit).all(axis=1)
                    what = (name, links.LINKS[link].name)
                    for threads in (1, 2):
                        got = kernel.score(X, link, n_threads=threads)
                        _assert_agrees(got[keep], want[keep], limit[keep], what + ("score", threads))
                    if k == 1:
                        flat = kernel.score(X, link, layout=FLAT)
                        _assert_agrees(flat[keep], want[keep], limit[keep], what + ("flat",))
                        pairs = kernel.score(X, link, layout=BINARY_PROBA)
                        _assert_agrees(pairs[keep, 1:], want[keep], limit[keep], what + ("pairs",))
                        _assert_agrees(pairs[keep, :1], 1.0 - want[keep], limit[keep], what + ("pairs",))
                    for given in (list, tuple, np.asarray):
                        got = np.array([np.array(kernel.score_one(given(X[r].tolist()) if given is not np.asarray
                                                                  else X[r], link), ndmin=1) for r in range(len(X))])
                        _assert_agrees(got[keep], want[keep], limit[keep], what + ("score_one", given.__name__))


def test_the_issues_row_is_nan_on_every_path_of_every_model_method():
    """[[1e308, -1e308]] with coef [10, 10]: terms of +inf and -inf, so z and every probability are NaN."""
    X = np.array([[1e308, -1e308], [1.0, 2.0]])
    X32 = np.array([[3e38, -3e38], [1.0, 2.0]], dtype=np.float32)  # float32's own overflow, by a coef of 1e300
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for backend, isa in _model_paths():
            with _on(isa):
                for coef, rows in (([[10.0, 10.0]], X), ([[1e300, 1e300]], X32)):
                    model = fastscore.Classifier(estimator="LogisticRegression", link="logistic", coef=coef,
                                                 intercept=[0.0], n_features=2, classes=[0, 1], backend=backend)
                    where = (backend, isa, rows.dtype)
                    for method in ("decision_function", "predict_proba", "predict_log_proba", "score"):
                        got = getattr(model, method)(rows)
                        assert np.isnan(got[0]).all() and np.isfinite(got[1]).all(), where + (method, got)
                    assert math.isnan(model.score_one(rows[0].tolist())), where
                    assert math.isnan(model.score_one(rows[0])), where


def _models(backend):
    """Models of every link, each with rows whose terms overflow both ways, one way, and not at all."""
    w = np.array([[10.0, 10.0, 1.0], [1.0, -1.0, 0.5], [-2.0, 3.0, 1.0]])
    b = np.array([0.5, -0.5, 0.0])
    common = dict(n_features=3, backend=backend)
    made = []
    for center in (None, np.array([1.0, -2.0, 0.5])):
        for link in ("identity", "logistic", "modified_huber"):
            made.append(fastscore.Classifier(estimator="SGDClassifier", link=link, coef=w[:1], intercept=b[:1],
                                             classes=["no", "yes"], center=center, **common))
        for link in ("softmax", "ovr", "onevsrest", "modified_huber", "onevsrest_modified_huber"):
            made.append(fastscore.Classifier(estimator="LogisticRegression", link=link, coef=w, intercept=b,
                                             classes=[1, 2, 3], center=center, **common))
        made.append(fastscore.Regressor(estimator="PoissonRegressor", link="exp", coef=w[0], intercept=b[0],
                                        center=center, **common))
        made.append(fastscore.Regressor(estimator="Ridge", link="identity", coef=w, intercept=b, center=center,
                                        **common))
    return made


HOSTILE_ROWS = np.array([
    [1e308, -1e308, 0.0],   # +inf and -inf terms: NaN
    [1e308, 1e308, 1.0],    # +inf terms only
    [-MAX, 5.0, -MAX],      # -inf and more
    [1.0, 2.0, -3.0],       # an ordinary row between them
    [MAX, 0.0, 0.0],        # one term past the limit
    [1e300, -1e300, 1e300],  # large and finite throughout
    [700.0, 0.0, 0.0],      # z near exp's limits
    [-75.0, 0.0, 0.0],
])


def test_every_model_method_follows_the_rule_on_hostile_rows():
    for backend, isa in _model_paths():
        with _on(isa), warnings.catch_warnings():
            warnings.simplefilter("error")
            for model in _models(backend):
                coef = model.coef_.reshape(-1, 3)
                code = links.BY_NAME[model.link].code
                Z, bound = _rule(HOSTILE_ROWS, coef, model.intercept_.reshape(-1), model.center)
                want = _linked(Z, code)
                limit = _link_bound(Z, bound, want, code)
                where = (backend, isa, model.link, model.center is not None)
                if isinstance(model, fastscore.Regressor):
                    got = model.predict(HOSTILE_ROWS)
                    _assert_agrees(got, want.reshape(got.shape), limit.reshape(got.shape), where)
                    continue
                single = coef.shape[0] == 1  # binary: z and p are (n,), probabilities (n, 2)
                _assert_agrees(model.decision_function(HOSTILE_ROWS), Z[:, 0] if single else Z,
                               bound[:, 0] if single else bound, where + ("decision_function",))
                if not model.has_proba:
                    continue
                proba = model.predict_proba(HOSTILE_ROWS)
                want_proba = np.hstack([1.0 - want, want]) if single else want
                limit_proba = np.hstack([limit, limit]) if single else limit
                _assert_agrees(proba, want_proba, limit_proba, where + ("predict_proba",))
                _assert_agrees(model.score(HOSTILE_ROWS), want[:, 0] if single else want,
                               limit[:, 0] if single else limit, where + ("score",))
                with np.errstate(over="ignore"):  # d log p = dp / p: the probability's bound, relative to it
                    limit_log = limit_proba / np.maximum(want_proba, 1e-300)
                _assert_agrees(model.predict_log_proba(HOSTILE_ROWS), links.LINKS[code].log(Z.copy()),
                               limit_log, where + ("predict_log_proba",))
                for r, row in enumerate(HOSTILE_ROWS):
                    for given_row in (row.tolist(), row):
                        one = np.array(model.score_one(given_row), ndmin=1)
                        _assert_agrees(one, want[r], limit[r], where + ("score_one", r))


def test_links_of_infinite_z_are_quiet_and_follow_the_references(backend):
    """softmax of a row holding +inf is NaN (inf - inf), as numpy's and scikit-learn's, without a warning."""
    model = fastscore.Classifier(estimator="LogisticRegression", link="softmax", n_features=2, classes=[0, 1, 2],
                                 coef=[[10.0, 0.0], [0.0, 1.0], [-10.0, 0.0]], intercept=np.zeros(3), backend=backend)
    X = np.array([[1e308, 0.0], [-1e308, 0.0], [1.0, 2.0]])  # z = [inf, 0, -inf], [-inf, 0, inf], finite
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Z = model.decision_function(X)
        for got in (model.predict_proba(X), model.score(X), model.predict_log_proba(X)):
            assert np.isnan(got[:2]).all() and np.isfinite(got[2]).all()
        ovr = fastscore.Classifier(estimator="LogisticRegression", link="ovr", n_features=2, classes=[0, 1, 2],
                                   coef=model.coef_, intercept=np.zeros(3), backend=backend)
        P = ovr.predict_proba(X)
        np.testing.assert_array_equal(P[:2], [[2 / 3, 1 / 3, 0.0], [0.0, 1 / 3, 2 / 3]])
        np.testing.assert_array_equal(ovr.predict_log_proba(X)[:2], links.LINKS[3].log(Z[:2].copy()))


def test_log_probabilities_of_rows_that_are_minus_infinity_throughout_follow_predict_proba(backend):
    """Every expit(z) exactly 0 leaves nothing to normalise: predict_proba's rule for a row of zeros decides."""
    row = np.array([[1e308, 1e308]])  # times -10: every z is -inf
    for link, zero_row in (("ovr", np.log(1 / 3)), ("onevsrest", -np.inf)):
        model = fastscore.Classifier(estimator="LogisticRegression", link=link, coef=-10 * np.ones((3, 2)),
                                     intercept=np.zeros(3), n_features=2, classes=[0, 1, 2], backend=backend)
        assert np.isneginf(model.decision_function(row)).all()
        np.testing.assert_array_equal(model.predict_log_proba(row), np.full((1, 3), zero_row))
        with np.errstate(divide="ignore"):  # log(0) is the -inf wanted
            np.testing.assert_array_equal(model.predict_log_proba(row), np.log(model.predict_proba(row)))


def test_rows_past_a_block_and_across_threads_follow_the_rule():
    """The re-summing of an overflowing row happens in whichever block and thread scores it."""
    rng = np.random.default_rng(5)
    coef, intercept = rng.standard_normal((2, 16)) * 10, rng.standard_normal(2)
    coef[:, [0, 1, 5]] = [[10.0, 20.0, -30.0], [-10.0, 20.0, 30.0]]
    n = 3 * 512 + 7
    X = rng.standard_normal((n, 16))
    for r in (0, 511, 512, 1030, n - 1):
        X[r, :2] = [1e308, -1e308]
        X[r, 5] = MAX if r % 2 else 0.0
    assert _clear(X, coef, None)
    Z, bound = _rule(X, coef, intercept, None)
    assert np.isnan(Z[0, 0]) and Z[0, 1] == -np.inf and np.isnan(Z[511]).all()
    results = {}
    for name, Kernel, isa in _paths():
        with _on(isa):
            kernel = Kernel(coef, intercept)
            for threads in (1, 2, 3):
                got = kernel.score(X, IDENTITY, n_threads=threads)
                _assert_agrees(got, Z, bound, (name, threads))
                results[name, threads] = got
    first = next(iter(results.values()))
    for key, got in results.items():  # the non-finite values are the rule's, to the bit, on every path
        assert np.array_equal(np.isnan(got), np.isnan(first)) and np.array_equal(got[np.isinf(got)],
                                                                                 first[np.isinf(first)]), key


@pytest.mark.parametrize("z", [709.78, 709.79, 710.0, 746.0, -745.13, -745.2, -746.0, -709.79, 1e300, -1e300])
def test_exp_limits_agree_on_every_path(z):
    """z at exp's limits: 0, 1 and inf where numpy's formulas give them, on every path, both backends."""
    for name, Kernel, isa in _paths():
        with _on(isa), warnings.catch_warnings():
            warnings.simplefilter("error")
            kernel = Kernel(np.ones((1, 1)), [0.0])
            for link in (EXP, links.BY_NAME["logistic"].code):
                want = _linked(np.array([[z]]), link)[0, 0]
                for got in (kernel.score(np.array([[z]]), link)[0, 0], kernel.score_one([z], link),
                            kernel.score_one(np.array([z]), link)):
                    exact = want in (0.0, 1.0, np.inf)  # else within 1 ulp, subnormals included
                    assert got == want if exact else math.isclose(got, want, rel_tol=4e-16, abs_tol=5e-324), \
                        (name, z, link, got, want)


# ---- masked arrays and other ndarray subclasses -------------------------------------------------


@pytest.fixture(scope="module")
def centred():
    """A centred multinomial model (StandardScaler folded in) and its scikit-learn pipeline."""
    rng = np.random.default_rng(3)
    X = rng.standard_normal((60, 3)) * 5 + 100
    return make_pipeline(StandardScaler(), LogisticRegression()).fit(X, np.arange(60) % 3)


def test_a_masked_array_is_scored_by_its_data_as_scikit_learn_does(centred, backend):
    """scikit-learn's check_array takes np.asarray(X): the data, whatever the mask. So do both backends."""
    model = fastscore.from_sklearn(centred, backend=backend)
    data = np.array([[99.0, 101.0, 98.0], [104.0, 95.0, 100.5]])
    X = np.ma.masked_array(data, mask=[[False, True, False], [True, False, False]])
    assert model.center is not None
    for method in ("decision_function", "predict_proba", "predict_log_proba", "score", "predict"):
        got, want = getattr(model, method)(X), getattr(model, method)(data)
        assert type(got) is np.ndarray and got.tobytes() == want.tobytes(), method
    assert_close(model.predict_proba(X), centred.predict_proba(X))
    assert model.score_one(X[1]) == model.score_one(data[1])
    kernel = model._kernel  # the kernel itself reads a subclass through its own memory too
    assert kernel.score(X, links.BY_NAME["softmax"].code).tobytes() == kernel.score(data, 2).tobytes()
    matrix = data.view(np.matrix)
    assert model.predict_proba(matrix).tobytes() == model.predict_proba(data).tobytes()


def test_masked_arrays_score_the_same_on_both_backends(centred, both_backends):
    data = np.array([[99.0, 101.0, 98.0], [104.0, 95.0, 100.5]])
    X = np.ma.masked_array(data, mask=[[False, True, False], [True, False, False]])
    got = [fastscore.from_sklearn(centred, backend=name).decision_function(X) for name in both_backends]
    assert_close(got[0], got[1])


@pytest.mark.parametrize("make", [lambda a: a.view(np.matrix), np.ma.masked_array,
                                  lambda a: np.ma.masked_array(a, mask=np.ones(a.shape, bool))],
                         ids=["matrix", "masked", "masked-throughout"])
def test_out_of_any_subclass_is_written_through_its_memory_on_both_backends(make, backend):
    """One rule: the values land in out's own memory; a subclass's own state (a mask) is left as it was."""
    X = np.array([[1.0, 2.0], [3.0, -4.0], [0.5, 0.0]])
    kernel = fastscore.Classifier(estimator="LogisticRegression", link="logistic", coef=[[1.0, 2.0]],
                                  intercept=[0.5], n_features=2, classes=[0, 1], center=[1.0, 1.0],
                                  backend=backend)._kernel
    multi = fastscore.Classifier(estimator="LogisticRegression", link="softmax", coef=np.eye(3, 2),
                                 intercept=np.zeros(3), n_features=2, classes=[0, 1, 2], backend=backend)
    for k, layout, link, owner in ((1, MATRIX, 1, kernel), (1, BINARY_PROBA, 1, kernel), (3, MATRIX, 2, multi._kernel)):
        want = owner.score(X, link, layout=layout)
        out = make(np.full(want.shape, -1.0))
        mask = np.ma.getmaskarray(out).copy() if isinstance(out, np.ma.MaskedArray) else None
        assert owner.score(X, link, out, layout=layout) is out
        assert np.asarray(out.data if mask is not None else out).tobytes() == want.tobytes(), (k, layout)
        if mask is not None:
            assert np.array_equal(np.ma.getmaskarray(out), mask)
    out = make(np.empty((3, 3)))
    assert multi.score(X, out=out) is out
    assert np.asarray(getattr(out, "data", out)).tobytes() == multi.score(X).tobytes()


def test_a_flat_result_cannot_go_into_a_matrix(backend):
    """np.matrix is 2-D: it cannot have a flat result's shape, and both backends say so."""
    model = fastscore.Classifier(estimator="LogisticRegression", link="logistic", coef=[[1.0, 2.0]],
                                 intercept=[0.5], n_features=2, classes=[0, 1], backend=backend)
    with pytest.raises(ValueError, match=r"out has shape \(1, 3\), expected \(3,\)"):
        model.score(np.zeros((3, 2)), out=np.zeros(3).view(np.matrix))


# ---- out= and threads -----------------------------------------------------------------------------


def test_concurrent_calls_with_their_own_out_are_independent(backend):
    """out is a call's working memory until it returns: threads with their own out, or with disjoint row
    ranges of one array, each get their own rows right (calls sharing one out are documented not to)."""
    rng = np.random.default_rng(9)
    model = fastscore.Classifier(estimator="LogisticRegression", link="softmax", coef=rng.standard_normal((3, 4)),
                                 intercept=rng.standard_normal(3), n_features=4, classes=[0, 1, 2], backend=backend)
    n, workers = 20_000, 6
    X = [rng.standard_normal((n, 4)) for _ in range(workers)]
    want = [model.score(x) for x in X]
    shared = np.empty((workers * n, 3))
    own = [np.empty((n, 3)) for _ in range(workers)]

    def work(i):
        for _ in range(5):
            model.score(X[i], out=shared[i * n:(i + 1) * n])
            model.score(X[i], out=own[i])

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        list(pool.map(work, range(workers)))
    for i in range(workers):
        assert shared[i * n:(i + 1) * n].tobytes() == want[i].tobytes()
        assert own[i].tobytes() == want[i].tobytes()


# ---- numbers too large for float64, given one by one ------------------------------------------------


def _too_large_rows():
    rows = [(Decimal("1e400"), "1E+400"), (Decimal("-1e400"), "-1E+400")]
    if np.finfo(np.longdouble).max > MAX:  # else longdouble is float64 here: none of its values is too large
        rows += [(np.longdouble("1e4000"), "1e+4000"), (np.longdouble("-1e4000"), "-1e+4000")]
    return rows


def test_a_finite_number_too_large_for_float64_in_a_list_is_named_as_such(backend):
    """As in an array: "row[i] is too large for float64", not "NaN or infinity", on every score_one path."""
    models = [fastscore.Regressor(estimator="Ridge", link="identity", n_features=2, coef=[1.0, 1.0], intercept=0.0,
                                  backend=backend),
              fastscore.Classifier(estimator="LogisticRegression", link="logistic", coef=[[1.0, 2.0]],
                                   intercept=[0.5], n_features=2, classes=[0, 1], backend=backend),
              fastscore.Classifier(estimator="LogisticRegression", link="softmax", coef=np.ones((3, 2)),
                                   intercept=np.zeros(3), n_features=2, classes=[0, 1, 2], backend=backend)]
    for value, shown in _too_large_rows():
        for model in models:
            for row, index in (([value, 1.0], 0), ((1.0, value), 1), ([np.nan, value], 1)):
                with pytest.raises(ValueError, match=rf"^row\[{index}\] is too large for float64: {re.escape(shown)}$"):
                    model.score_one(row)
    for model in models:  # true infinities and NaN, whatever their type, are still named as such
        for value in (Decimal("Infinity"), Decimal("NaN"), np.longdouble("inf"), np.float32("nan")):
            with pytest.raises(ValueError, match="NaN or infinity at feature 1"):
                model.score_one([1.0, value])

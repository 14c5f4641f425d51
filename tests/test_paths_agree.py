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
PROBABILITIES = [link.code for link in links.LINKS if link.log is not None]


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

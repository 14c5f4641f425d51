"""The link table (fastscore.links) against csrc/fastscore.h, docs/FORMAT.md and the compiled kernel.

Each link's numpy reference is its specification: the compiled kernel must
give its numbers on every instruction set, on ordinary rows and at the
extremes of z, including rows whose probabilities are all 0.
"""
import operator
import os
import re

import numpy as np
import pytest

from fastscore import _pure, links
from fastscore._backend import kernel_class
from fastscore.model import LINKS, classifier_link_problem

ROOT = os.path.join(os.path.dirname(__file__), os.pardir)
EXTREME = [0.0, 1e-300, 1.0, 36.0, 40.0, 709.0, 709.78, 710.0, 745.0, 745.2, 746.0, 800.0, 1e10, 1e300, 1.7e308]


def _header_links():
    """{name: code} of csrc/fastscore.h's fs_link enum (FS_LINK_COUNT, which is no link, left out)."""
    text = open(os.path.join(ROOT, "csrc", "fastscore.h")).read()
    body = re.search(r"typedef enum fs_link \{(.*?)\} fs_link;", text, re.S).group(1)
    body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
    entries = [e.strip() for e in body.split(",") if e.strip()]
    assert entries[-1] == "FS_LINK_COUNT", "FS_LINK_COUNT must close the enum, one past the last code"
    found = {}
    for entry in entries[:-1]:
        match = re.fullmatch(r"FS_LINK_(\w+)\s*=\s*(\d+)", entry)
        assert match, f"fs_link entry without an explicit code: {entry!r}"
        found[match.group(1).lower()] = int(match.group(2))
    return found


def test_the_table_is_the_header_enum():
    assert {link.name: link.code for link in links.LINKS} == _header_links()


def test_the_table_is_in_code_order_and_consistent():
    assert [link.code for link in links.LINKS] == list(range(len(links.LINKS)))
    assert len(links.BY_NAME) == len(links.LINKS)
    for link in links.LINKS:
        assert link.kinds and set(link.kinds) <= set(links.KINDS), link
        assert link.rows in (links.ONE_ROW, links.SEVERAL_ROWS, links.ANY_ROWS), link
        assert link.zero_row in (None, links.UNIFORM, links.ZERO), link
        # a link's log form exists exactly when it gives probabilities: classifiers' links but the identity
        assert (link.log is not None) == (link.kinds == ("classifier",)), link
    assert LINKS == links.FOR_KIND and tuple(LINKS) == links.KINDS


def test_row_rules_decide_what_a_classifier_may_have():
    for link in links.LINKS:
        assert (classifier_link_problem(link.name, 1) is None) == (link.rows != links.SEVERAL_ROWS)
        assert (classifier_link_problem(link.name, 3) is None) == (link.rows != links.ONE_ROW)
    assert "binary classifiers" in classifier_link_problem("logistic", 3)
    assert "normalises several classes" in classifier_link_problem("softmax", 1)


def test_unknown_codes_are_refused():
    assert links.by_code(1) is links.BY_NAME["logistic"]
    for code in (-1, len(links.LINKS), 1.0, "1", None):
        with pytest.raises(ValueError, match="unknown link code"):
            links.by_code(code)


def _format_md_links():
    """{name: (kinds, rows, output)} from the table under docs/FORMAT.md's "### Links"."""
    text = open(os.path.join(ROOT, "docs", "FORMAT.md"), encoding="utf-8").read()
    section = text.split("### Links\n", 1)[1].split("\n### ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    found = {}
    for line in rows:
        name, kinds, count, output = [cell.strip() for cell in line.strip("|").split("|")]
        found[name.strip("`")] = (tuple(k.strip() for k in kinds.split(",")), count, output)
    return found


def test_format_md_lists_the_table():
    documented = _format_md_links()
    rows = {links.ONE_ROW: "1", links.SEVERAL_ROWS: "2+", links.ANY_ROWS: "any"}
    assert list(documented) == [link.name for link in links.LINKS]
    for link in links.LINKS:
        kinds, count, output = documented[link.name]
        assert kinds == link.kinds and count == rows[link.rows], link.name
        if link.zero_row == links.UNIFORM:
            assert "uniform where all are 0" in output or "as `ovr`" in output or "as `modified_huber`" in output
        if link.zero_row == links.ZERO:
            assert "stays 0" in output, link.name
    assert "fastscore._links" not in open(os.path.join(ROOT, "docs", "FORMAT.md"), encoding="utf-8").read()


def test_the_compiled_kernel_knows_every_link(kernel_module):
    assert kernel_module.LINK_COUNT == len(links.LINKS)


def _rows(k, rng):
    """Ordinary rows, rows at every scale of z, and rows whose probabilities are all 0 (or underflow)."""
    values = sorted({s * v for v in EXTREME for s in (1, -1)})
    ordinary = rng.standard_normal((200, k)) * 3
    extreme = [[v] * k for v in values] + [rng.choice(values, k) for _ in range(300)]
    zeros = [[-5.0] * k, [-800.0] * k, [-1e300] * k, [-1.0] * k]  # modified_huber: 0 at z <= -1
    return np.vstack([ordinary, np.array(extreme, dtype=float), np.array(zeros)])


def _counts(link):
    return {links.ONE_ROW: (1,), links.SEVERAL_ROWS: (3,), links.ANY_ROWS: (1, 3)}[link.rows]


@pytest.mark.parametrize("link", links.LINKS, ids=[link.name for link in links.LINKS])
def test_compiled_kernel_follows_each_numpy_reference(kernel_module, isa, link):
    """z passes through an identity matrix exactly, so only the link can differ: by at most an ulp or two."""
    rng = np.random.default_rng(link.code)
    for k in _counts(link):
        Z = _rows(k, rng)
        kernel = kernel_module.Kernel(np.eye(k), np.zeros(k))
        got = kernel.score(Z, link.code, n_threads=1)
        want = Z.copy()
        link.apply(want)
        assert not np.isnan(got).any() and not np.isnan(want).any()
        for exact in (0.0, 1.0, np.inf):
            assert np.array_equal(got == exact, want == exact), (link.name, k, exact)
        if link.zero_row is not None and k > 1:
            zero = (want == 0).all(axis=1)
            assert zero.any() == (link.zero_row == links.ZERO), link.name
        np.testing.assert_allclose(got, want, rtol=1e-15, atol=5e-324, err_msg=f"{link.name}, k={k}")


@pytest.mark.parametrize("link", [link for link in links.LINKS if link.scalar is not None],
                         ids=lambda link: link.name)
def test_score_one_on_floats_is_the_scalar_form(backend, link):
    """On a list row of a single output, score_one is the link's scalar form of the left-to-right sum."""
    rng = np.random.default_rng(link.code)
    coef, b = rng.standard_normal(6), 0.25
    kernel = kernel_class(backend)(coef.reshape(1, -1), [b])
    w = coef.tolist()
    for scale in (1.0, 100.0, 1e3, 1e6):
        for _ in range(50):
            row = (rng.standard_normal(6) * scale).tolist()
            z = sum(map(operator.mul, w, row)) + b
            assert kernel.score_one(row, link.code) == link.scalar(z), (link.name, row)


def test_pure_score_one_inlines_the_logistic_exactly():
    """The pure backend inlines the logistic's scalar form for speed: it must be that form, overflow included."""
    kernel = _pure.Kernel(np.ones((1, 1)), [0.0])
    logistic = links.BY_NAME["logistic"]
    for z in [0.0, 1.0, -1.0, 36.0, -36.0, 709.0, -709.0, -709.79, -745.2, -800.0, 1e300, -1e300, 3.3, -17.25]:
        assert kernel.score_one([z], logistic.code) == logistic.scalar(z)

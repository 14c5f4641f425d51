"""Every fuzz seed, replayed through its target in the test suite (tests/fuzz/, docs/FUZZING.md).

The corpus holds small valid inputs and every input that once found a bug; each must give
its target's result or one of its documented errors, on every run, without atheris.
"""
import os
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "fuzz"))
from fuzz_targets import CORPUS, TARGETS, run  # noqa: E402

SEEDS = [(name, seed) for name in sorted(TARGETS) for seed in sorted(os.listdir(os.path.join(CORPUS, name)))]


def test_every_target_has_seeds():
    assert sorted(os.listdir(CORPUS)) == sorted(TARGETS)
    assert {name for name, _ in SEEDS} == set(TARGETS)


@pytest.mark.parametrize("name, seed", SEEDS)
def test_seed_gives_a_result_or_a_documented_error(name, seed):
    with open(os.path.join(CORPUS, name, seed), "rb") as f:
        run(name, f.read())

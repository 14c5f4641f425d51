"""Timing for the demo, `fastscore bench` and benchmarks/: best of several rounds."""
import time
from collections.abc import Callable

#: Seconds to wait before timing the next contender in a side-by-side run, so that
#: the last one's thread pool (OpenBLAS's, OpenMP's) has stopped spinning and
#: does not steal the next one's cores.
PAUSE_BETWEEN_CONTENDERS = 0.3


def best_time(fn: Callable[[], object], rounds: int = 5, min_round_seconds: float = 0.005) -> float:
    """Seconds per call of fn(), the best of `rounds` rounds.

    Each round repeats fn() enough times to last min_round_seconds, so that
    timer resolution does not matter; the best round is the one least
    disturbed by whatever else runs on a shared machine.
    """
    calls = 1
    while True:
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        if time.perf_counter() - start >= min_round_seconds:
            break
        calls *= 4
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(calls):
            fn()
        best = min(best, (time.perf_counter() - start) / calls)
    return best

"""The speed targets for pipelines and DataFrames, measured in one run: a table of ratios, PASS or FAIL.

    python benchmarks/bench_targets.py [--rows N] [--rounds N] [--threads N] [--cpu]

Runs bench_pipelines (a ColumnTransformer pipeline: one JSON request and a
batch of N rows, against scikit-learn and onnxruntime, and the batch with
nullable and pyarrow-backed columns) and bench_frames (a plain
LogisticRegression on N x 3 columns of several kinds, against scikit-learn),
prints their tables, then one line per target with the measured ratio
(fastscore's compiled backend where built): the median over rounds of the
ratio of the two contenders' times in the same round, since the contenders
take their rounds in turn. --threads N runs every batch contender on N
threads (onnxruntime, fastscore, scikit-learn's BLAS): on a machine that
other jobs share, one thread each is the fairer comparison, since a
parallel region waits for a core that another process holds; add --cpu to
time the CPU the process used rather than the wall clock, which waiting for
a core does not inflate. Ratios taken in one run on a
shared machine still move between runs: run it more than once. Needs the
bench extra (pip install '.[bench]'). It asserts nothing.
"""
import argparse
import os
import time

import bench_frames  # this directory: run as a script
import bench_pipelines
from bench_frames import paired_ratio


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--threads", type=int, default=0,
                        help="threads of every batch contender (0: each its default)")
    parser.add_argument("--cpu", action="store_true",
                        help="time the process's CPU time (all its threads) instead of the wall clock")
    args = parser.parse_args()
    if args.cpu:
        bench_frames.CLOCK = time.process_time
        print("times are CPU time of the process (every thread's), not the wall clock")
    if args.threads:
        from threadpoolctl import threadpool_limits  # scikit-learn's dependency

        os.environ["FASTSCORE_NUM_THREADS"] = str(args.threads)  # the kernel reads it at each call
        threadpool_limits(args.threads)  # OpenBLAS's and OpenMP's pools, for scikit-learn and numpy
        print(f"every batch contender on {args.threads} thread(s)")
    p = bench_pipelines.measure(args.rows, args.rounds, args.threads)
    print()
    f = bench_frames.measure(args.rows, args.rounds, extras=False)
    b = bench_frames.backends()[0]  # compiled where built
    fs = f"fastscore {b}"
    # (target, ours, theirs, limit): ours / theirs must not exceed limit
    targets = [
        ("pipeline, one dict: vs scikit-learn (1-row DataFrame)", p["one", fs], p["one", "scikit-learn"], 1 / 1000),
        ("pipeline, one dict: vs onnxruntime (1 thread)", p["one", fs], p["one", "onnxruntime"], 1 / 5),
        (f"pipeline, {args.rows:,}-row DataFrame: vs scikit-learn", p["plain float64", fs], p["batch", "scikit-learn"], 1 / 10),
        (f"pipeline, {args.rows:,}-row DataFrame: vs onnxruntime", p["plain float64", fs], p["batch", "onnxruntime"], 1 / 2),
        ("pipeline, nullable vs plain columns", p["nullable Float64, Categorical", fs], p["plain float64", fs], 1.5),
        ("pipeline, pyarrow-backed vs plain columns", p["pyarrow-backed", fs], p["plain float64", fs], 1.5),
        ("LogisticRegression, nullable vs plain float64", f["pandas Float64 (nullable)", b],
         f["pandas float64", b], 1.5),
        ("LogisticRegression, pyarrow-backed vs plain float64", f["pandas float64[pyarrow]", b],
         f["pandas float64", b], 1.5),
        (f"LogisticRegression, {args.rows:,} x 3 float64 DataFrame: vs scikit-learn", f["pandas float64", b],
         f["pandas float64", "scikit-learn"], 1 / 5),
    ]
    print(f"\n{'target (ratio = ours / theirs in a round, median)':62} {'ratio':>8} {'limit':>8} {'theirs/ours':>11}")
    for name, ours, theirs, limit in targets:
        ratio = paired_ratio(ours, theirs)
        print(f"{name:62} {ratio:8.4f} {limit:8.4f} {1 / ratio:10.1f}x  {'PASS' if ratio <= limit else 'FAIL'}")


if __name__ == "__main__":
    main()

"""The speed targets for pipelines and DataFrames, measured in one run: a table of ratios, PASS or FAIL.

    python benchmarks/bench_targets.py [--rows N] [--rounds N]

Runs bench_pipelines (a ColumnTransformer pipeline: one JSON request and a
batch of N rows, against scikit-learn and onnxruntime, and the batch with
nullable and pyarrow-backed columns) and bench_frames (a plain
LogisticRegression on N x 3 columns of several kinds, against scikit-learn),
prints their tables, then one line per target with the measured ratio (of
median rounds, fastscore's compiled backend where built). Ratios taken in one run on a
shared machine still move between runs: run it more than once. Needs the
bench extra (pip install '.[bench]'). It asserts nothing.
"""
import argparse

import bench_frames  # this directory: run as a script
import bench_pipelines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    p = bench_pipelines.measure(args.rows, args.rounds)
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
        ("pipeline, nullable vs plain columns", p["nullable Float64", fs], p["plain float64", fs], 1.5),
        ("pipeline, pyarrow-backed vs plain columns", p["pyarrow-backed", fs], p["plain float64", fs], 1.5),
        ("LogisticRegression, nullable vs plain float64", f["pandas Float64 (nullable)", b],
         f["pandas float64", b], 1.5),
        ("LogisticRegression, pyarrow-backed vs plain float64", f["pandas float64[pyarrow]", b],
         f["pandas float64", b], 1.5),
        (f"LogisticRegression, {args.rows:,} x 3 float64 DataFrame: vs scikit-learn", f["pandas float64", b],
         f["pandas float64", "scikit-learn"], 1 / 5),
    ]
    print(f"\n{'target (ratio = ours / theirs, medians)':62} {'ratio':>8} {'limit':>8} {'speed-up':>9}")
    for name, ours, theirs, limit in targets:
        ratio = ours / theirs
        print(f"{name:62} {ratio:8.4f} {limit:8.4f} {theirs / ours:8.1f}x  {'PASS' if ratio <= limit else 'FAIL'}")


if __name__ == "__main__":
    main()

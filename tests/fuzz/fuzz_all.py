"""Fuzz every target of fuzz_targets.py under atheris, one process each: what .ci/run does.

    python tests/fuzz/fuzz_all.py                   # CI's budget: a fixed number of runs, fixed seed
    python tests/fuzz/fuzz_all.py --seconds 600 csv # longer, and a new seed each time

Each target starts from its seeds in tests/fuzz/corpus/<target>/, which it only reads: the inputs
it finds go to a temporary directory. A target fails when it raises anything but its documented
errors, crashes, hangs on one input (--timeout) or exhausts memory (--rss-limit-mb); the input is
printed so that it can be saved and replayed. Exit status 1 if any target failed.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from fuzz_targets import CORPUS, TARGETS  # noqa: E402


# pyarrow allocates the uncompressed size that a Parquet page header claims before it can find
# the page short (the file is then refused in one line): up to 2 GiB for a 660-byte file, since
# the field is an int32 (seed page-claims-1.5GB.parquet). A bound, but above the default limit.
RSS_FLOOR_MB = {"parquet": 3072}


def fuzz(name, args, work):
    """Run target `name`; return (passed, seconds)."""
    new = os.path.join(work, name)
    os.makedirs(new)
    rss_limit_mb = max(args.rss_limit_mb, RSS_FLOOR_MB.get(name, 0))
    options = [f"-timeout={args.timeout}", f"-rss_limit_mb={rss_limit_mb}", "-print_final_stats=1",
               f"-artifact_prefix={new}{os.sep}"]
    if args.seconds:
        options.append(f"-max_total_time={args.seconds}")
    else:  # the same inputs on every run: a verdict does not depend on luck
        options += [f"-runs={args.runs}", "-seed=1"]
    command = [sys.executable, os.path.join(HERE, "fuzz_targets.py"), name, new,
               os.path.join(CORPUS, name), *options]
    start = time.monotonic()
    # The target's input files go to the work directory too (TMPDIR), removed even after a crash.
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            errors="replace", env=dict(os.environ, TMPDIR=work))
    seconds = time.monotonic() - start
    findings = sorted(f for f in os.listdir(new) if f.split("-")[0] in ("crash", "timeout", "oom", "leak"))
    passed = result.returncode == 0 and not findings
    last = [line for line in result.stdout.splitlines() if "DONE" in line or "stat::number_of_executed_units" in line]
    print(f"fuzz {name}: {'passed' if passed else 'FAILED'} in {seconds:.0f} s; {' '.join(last)}", flush=True)
    if not passed:
        print(result.stdout[-6000:])
        for f in findings:
            data = open(os.path.join(new, f), "rb").read()
            print(f"fuzz {name}: {f} ({len(data)} bytes): {data!r}")
        print(f"fuzz {name}: save the input in tests/fuzz/corpus/{name}/ once fixed; replay it with "
              f"python tests/fuzz/fuzz_targets.py {name} FILE", flush=True)
    return passed, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("targets", nargs="*", metavar="TARGET", help=f"default: all of {', '.join(TARGETS)}")
    parser.add_argument("--runs", type=int, default=100_000, help="inputs per target (default %(default)s)")
    parser.add_argument("--seconds", type=int, help="fuzz each target this long instead, with a new seed")
    parser.add_argument("--timeout", type=int, default=20, help="seconds one input may take (default %(default)s)")
    parser.add_argument("--rss-limit-mb", type=int, default=1024, help="memory limit (default %(default)s)")
    args = parser.parse_args()
    if not TARGETS:
        parser.error("no fuzz targets: fuzz_targets.py registers none")
    unknown = [t for t in args.targets if t not in TARGETS]
    if unknown:
        parser.error(f"unknown target(s) {', '.join(unknown)}; targets: {', '.join(TARGETS)}")
    missing = [t for t in TARGETS if not os.path.isdir(os.path.join(CORPUS, t)) or not os.listdir(os.path.join(CORPUS, t))]
    if missing:
        parser.error(f"target(s) without seeds in {CORPUS}: {', '.join(missing)}")
    work = tempfile.mkdtemp(prefix="fastscore-fuzz-")
    try:
        results = [fuzz(name, args, work) for name in (args.targets or TARGETS)]
    finally:
        shutil.rmtree(work, ignore_errors=True)
    failed = sum(not passed for passed, _ in results)
    print(f"fuzz: {len(results) - failed} of {len(results)} targets passed in {sum(s for _, s in results):.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

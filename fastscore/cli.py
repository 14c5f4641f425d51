"""The `fastscore` command (also `python -m fastscore`)."""
import argparse
import sys


def _demo(args):
    from fastscore import demo

    try:
        demo.main()
    except ImportError as exc:
        print(f"fastscore demo needs scikit-learn ({exc}); install it with "
              "pip install 'fastscore[sklearn]'", file=sys.stderr)
        return 2
    return 0


def build_parser():
    """The argument parser: one sub-command per task."""
    parser = argparse.ArgumentParser(
        prog="fastscore",
        description="Convert fitted scikit-learn linear models and score them fast.")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    demo = commands.add_parser(
        "demo", help="fit the worked example, convert, save, load and compare with scikit-learn")
    demo.set_defaults(run=_demo)
    return parser


def main(argv=None):
    """Entry point of the console script; returns the exit code."""
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())

"""python -m fastscore: the same as the `fastscore` command."""
import sys

from fastscore.cli import main

sys.exit(main())

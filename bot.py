"""Nuqta entry point: `python bot.py <command>`, the same as the `nuqta` console script."""

import sys

from bot.cli import main

if __name__ == "__main__":
    sys.exit(main())

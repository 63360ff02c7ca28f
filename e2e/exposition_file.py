"""The command line both exposition checkers share: one FILE argument, read as UTF-8 text."""

import sys


def read_exposition(argv, usage):
    """The text of the file named by argv[1], or an exit status (2: usage, 1: not UTF-8) after saying why."""
    if len(argv) != 2:
        print(f"usage: {usage}", file=sys.stderr)
        return None, 2
    with open(argv[1], "rb") as handle:
        data = handle.read()
    try:
        return data.decode("utf-8"), 0
    except UnicodeDecodeError as error:
        print(f"error: exposition is not valid UTF-8: {error}", file=sys.stderr)
        return None, 1

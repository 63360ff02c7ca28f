#!/usr/bin/env python3
"""Parse a Prometheus text exposition (format 0.0.4) with prometheus_client's parser.

Usage: parse_exposition.py FILE

Prints one line per metric family (name, type, sample count) and a summary line, and exits with status 1 if the
parser rejects the text or the file holds no metric family. Used by e2e/check-exposition.sh as an independent
second opinion next to `promtool check metrics`.
"""

import sys

from prometheus_client.parser import text_string_to_metric_families

from exposition_file import read_exposition


def main(argv):
    text, status = read_exposition(argv, "parse_exposition.py FILE")
    if text is None:
        return status
    families = 0
    samples = 0
    try:
        for family in text_string_to_metric_families(text):
            families += 1
            samples += len(family.samples)
            print(f"{family.name} {family.type} {len(family.samples)}")
    except Exception as error:  # the parser raises ValueError and friends on malformed input
        print(f"error: prometheus_client could not parse the exposition: {error!r}", file=sys.stderr)
        return 1
    if families == 0:
        print("error: no metric family found", file=sys.stderr)
        return 1
    print(f"ok: {families} families, {samples} samples")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

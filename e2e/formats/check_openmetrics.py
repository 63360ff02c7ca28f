#!/usr/bin/env python3
"""Parse an OpenMetrics 1.0 exposition with prometheus_client's OpenMetrics parser (a strict one: it checks the
`# EOF` line, counter and histogram rules, escaping, `# UNIT` suffixes and exemplars).

Usage: check_openmetrics.py FILE

Prints one line per family (name, type, unit, samples, exemplars), then a summary line
`ok: F families, S samples, E exemplars`; exits 1 if the parser rejects the text.
"""

import os
import sys

from prometheus_client.openmetrics.parser import text_string_to_metric_families

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from exposition_file import read_exposition  # noqa: E402


def main(argv):
    text, status = read_exposition(argv, "check_openmetrics.py FILE")
    if text is None:
        return status
    families = samples = exemplars = 0
    try:
        for family in text_string_to_metric_families(text):
            families += 1
            samples += len(family.samples)
            with_exemplar = [sample for sample in family.samples if sample.exemplar is not None]
            exemplars += len(with_exemplar)
            print(f"{family.name} {family.type} unit={family.unit or '-'} {len(family.samples)} {len(with_exemplar)}")
            for sample in with_exemplar:
                print(f"  exemplar {sample.exemplar.labels} {sample.exemplar.value} {sample.exemplar.timestamp}")
    except Exception as error:  # the parser raises ValueError and friends on malformed input
        print(f"error: the OpenMetrics parser rejected the exposition: {error!r}", file=sys.stderr)
        return 1
    if families == 0:
        print("error: no metric family found", file=sys.stderr)
        return 1
    print(f"ok: {families} families, {samples} samples, {exemplars} exemplars")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

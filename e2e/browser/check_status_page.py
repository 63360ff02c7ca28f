#!/usr/bin/env python3
"""Checks the DOM of the live status page, as headless Chromium dumped it after its scripts ran.

Usage: check_status_page.py DOM_HTML BEFORE_JSON AFTER_JSON
  DOM_HTML     chromium --dump-dom of the page at /
  BEFORE_JSON  GET /api/v1/breakers taken before the browser loaded the page
  AFTER_JSON   the same, taken after the dump

Asserts: the script refreshed the table from the JSON API at least once (body[data-refreshes] >= 1, and the rows
carry the rates only the script computes); every breaker of the API has exactly one row; each row shows its state
as a symbol and words on a badge (never by colour alone), equal to the API's state when the state did not change
between the two API reads; breakers that are not closed come first. Prints one line per failure; exits 1 on any.
"""
import json
import sys
from html.parser import HTMLParser

SYMBOLS = {"closed": "\u2713", "open": "\u2715", "half_open": "\u25d0", "forced_open": "\u2298", "disabled": "\u2016"}


class StatusPage(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refreshes = None
        self.rows = []  # (name, data-state, badge text, cells)
        self._row = None
        self._badge = None
        self._cell = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "body":
            self.refreshes = int(attributes.get("data-refreshes", "0"))
        elif tag == "tr" and "data-breaker" in attributes:
            self._row = {"name": attributes["data-breaker"], "state": attributes.get("data-state"), "badge": "",
                         "cells": []}
        elif self._row is not None and tag in ("td", "th"):
            self._cell = ""
        elif self._row is not None and tag == "span" and "badge" in attributes.get("class", ""):
            self._badge = ""

    def handle_endtag(self, tag):
        if tag == "span" and self._badge is not None:
            self._row["badge"] = self._badge.strip()
            self._badge = None
        elif tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row["cells"].append(self._cell.strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._badge is not None:
            self._badge += data
        if self._cell is not None:
            self._cell += data


def main(dom_path, before_path, after_path):
    page = StatusPage()
    with open(dom_path, encoding="utf-8") as handle:
        page.feed(handle.read())
    with open(before_path, encoding="utf-8") as handle:
        before = {b["name"]: b["state"] for b in json.load(handle)["breakers"]}
    with open(after_path, encoding="utf-8") as handle:
        after = {b["name"]: b["state"] for b in json.load(handle)["breakers"]}
    problems = []
    if not page.refreshes:
        problems.append("the page never refreshed from the JSON API (body data-refreshes is 0)")
    rows = {}
    for row in page.rows:
        if row["name"] in rows:
            problems.append(f"two rows for {row['name']}")
        rows[row["name"]] = row
    if set(rows) != set(after):
        missing = sorted(set(after) - set(rows))[:5]
        extra = sorted(set(rows) - set(after))[:5]
        problems.append(f"rows differ from the API: missing {missing}, unexpected {extra}")
    for name, row in rows.items():
        state = row["state"]
        expected = f"{SYMBOLS.get(state, '?')} {state.replace('_', ' ')}"
        if row["badge"] != expected:
            problems.append(f"{name}: badge reads {row['badge']!r}, expected {expected!r}")
        if name in before and before[name] == after.get(name) and state != after[name]:
            problems.append(f"{name}: the page shows {state}, the API {after[name]}")
        # The rates column holds numbers only after a refresh by the script (the server renders a dash).
        if len(row["cells"]) < 6 or row["cells"][4] in ("\u2013", ""):
            problems.append(f"{name}: no call rate: the row was not rendered by the script")
    states = [row["state"] for row in page.rows]
    if "closed" in states and any(state != "closed" for state in states[states.index("closed"):]):
        problems.append("a breaker that is not closed comes after a closed one")
    for problem in problems[:20]:
        print("FAIL", problem)
    print(f"{len(page.rows)} rows, {page.refreshes} refreshes, {len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(*sys.argv[1:]))

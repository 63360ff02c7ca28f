#!/usr/bin/env python3
"""Checks operations API documents against docs/operations-api.schema.json.

Usage:
  check_json.py SCHEMA DEFINITION FILE            the JSON document FILE is a valid #/$defs/DEFINITION
  check_json.py SCHEMA events FILE                every data line of the SSE capture FILE is a valid event, gap
                                                  or dropped document, and every event has an id: line
  check_json.py SCHEMA field FILE PATH VALUE      (no schema check) the value at PATH (dot-separated keys) is VALUE
Exits 0 when valid, 1 with the reasons otherwise.
"""
import json
import sys

from jsonschema import Draft202012Validator
from referencing import Registry, Resource


def validator(schema_path, definition):
    with open(schema_path, encoding="utf-8") as handle:
        schema = json.load(handle)
    resource = Resource.from_contents(schema)
    registry = Registry().with_resource(schema["$id"], resource)
    return Draft202012Validator({"$ref": f"{schema['$id']}#/$defs/{definition}"}, registry=registry)


def report(errors, what):
    for error in errors:
        print(f"{what}: {'/'.join(map(str, error.absolute_path))}: {error.message}", file=sys.stderr)
    return 1 if errors else 0


def check_document(schema_path, definition, path):
    with open(path, encoding="utf-8") as handle:
        document = json.load(handle)
    return report(list(validator(schema_path, definition).iter_errors(document)), path)


def check_events(schema_path, path):
    validators = {name: validator(schema_path, name) for name in ("event", "gap", "dropped")}
    errors = []
    current = {}
    count = 0
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.rstrip("\n")
            if line.startswith("id: "):
                current["id"] = line[4:]
            elif line.startswith("event: "):
                current["event"] = line[7:]
            elif line.startswith("data: "):
                document = json.loads(line[6:])
                kind = current.get("event")
                name = kind if kind in ("gap", "dropped") else "event"
                errors += list(validators[name].iter_errors(document))
                if name == "event":
                    count += 1
                    if current.get("id") != str(document.get("id")):
                        print(f"{path}: id line {current.get('id')} differs from data id {document.get('id')}",
                              file=sys.stderr)
                        return 1
            elif line == "":
                current = {}
    if count == 0:
        print(f"{path}: no events", file=sys.stderr)
        return 1
    return report(errors, path)


def check_field(path, dotted, expected):
    with open(path, encoding="utf-8") as handle:
        value = json.load(handle)
    for key in dotted.split("."):
        value = value[int(key)] if isinstance(value, list) else value.get(key)
    if str(value) != expected:
        print(f"{path}: {dotted} is {value!r}, expected {expected!r}", file=sys.stderr)
        return 1
    return 0


def main(arguments):
    if len(arguments) == 4 and arguments[2] == "events":
        return check_events(arguments[1], arguments[3])
    if len(arguments) == 6 and arguments[2] == "field":
        return check_field(arguments[3], arguments[4], arguments[5])
    if len(arguments) == 4:
        return check_document(arguments[1], arguments[2], arguments[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

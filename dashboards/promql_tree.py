"""Dashboard queries as PromQL syntax trees (promql-parser), the way Grafana's dashboard linter reads them.

Grafana variables are expanded before parsing, outside double-quoted strings only: a matcher keeps its literal
`"$job"`, so a rule can ask whether it is exactly `job=~"$job"`, while `[$__rate_interval]` becomes a duration no
query would write by hand, so a rule can recognise it in the tree.
"""

import re
from datetime import timedelta

import promql_parser

# Grafana's built-in interval variables, as durations that stand out in a parsed tree.
SENTINELS = {
    "__rate_interval": timedelta(seconds=123457),
    "__interval": timedelta(seconds=123461),
    "__range": timedelta(seconds=123479),
}
SENTINEL_TEXT = {"__interval_ms": "123461000", "__range_s": "123479", "__range_ms": "123479000"}
VARIABLE = re.compile(r"\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)(?::[^\]]*)?\]\]|\$(\w+)")


def expand(expr):
    """`expr` with every variable outside double quotes replaced: interval built-ins by their sentinel durations,
    other variables by their name (a valid identifier or label value where PromQL allows one)."""

    def replace(match):
        name = match.group(1) or match.group(2) or match.group(3)
        if name in SENTINELS:
            return f"{int(SENTINELS[name].total_seconds())}s"
        return SENTINEL_TEXT.get(name, name)

    parts = expr.split('"')
    for index in range(0, len(parts), 2):  # even parts are outside double quotes
        parts[index] = VARIABLE.sub(replace, parts[index])
    return '"'.join(parts)


def parse(expr):
    """The syntax tree of a dashboard query; raises ValueError with the parser's message."""
    try:
        return promql_parser.parse(expand(expr))
    except Exception as error:  # the binding raises its own exception types
        raise ValueError(str(error)) from None


def children(node):
    if isinstance(node, promql_parser.AggregateExpr):
        return [n for n in (node.param, node.expr) if n is not None]
    if isinstance(node, promql_parser.BinaryExpr):
        return [node.lhs, node.rhs]
    if isinstance(node, promql_parser.Call):
        return list(node.args)
    if isinstance(node, promql_parser.MatrixSelector):
        return [node.vector_selector]
    if isinstance(node, (promql_parser.ParenExpr, promql_parser.UnaryExpr, promql_parser.SubqueryExpr)):
        return [node.expr]
    return []


def walk(node, parents=()):
    """Yields (node, parents) for every node, parents from the root down."""
    yield node, parents
    for child in children(node):
        yield from walk(child, parents + (node,))


def selectors(tree):
    """Yields (vector selector, parents) for every series selector of the tree."""
    for node, parents in walk(tree):
        if isinstance(node, promql_parser.VectorSelector):
            yield node, parents


def metric_name(selector):
    if selector.name:
        return selector.name
    for matcher in selector.matchers.matchers:
        if matcher.name == "__name__" and matcher.op == promql_parser.MatchOp.Equal:
            return matcher.value
    return ""


def has_regex_matcher(selector, label, value):
    return any(m.name == label and m.op == promql_parser.MatchOp.Re and m.value == value
               for m in selector.matchers.matchers)


def enclosing_call(parents):
    """For a selector: (function name, range) when it is read as `f(selector[range])`, else (None, None)."""
    if len(parents) >= 2 and isinstance(parents[-1], promql_parser.MatrixSelector) \
            and isinstance(parents[-2], promql_parser.Call):
        return parents[-2].func.name, parents[-1].range
    return None, None


def is_sentinel(duration, name):
    return duration == SENTINELS[name]

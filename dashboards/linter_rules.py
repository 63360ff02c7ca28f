"""The rules of Grafana's dashboard-linter (github.com/grafana/dashboard-linter), each enforced under its own name.

The linter cannot be installed here, so the kit checks what each rule asks, read from the linter's rule
descriptions, sometimes more strictly: every panel with queries is held to the panel rules, not only the panel types
the linter knows, and a counter must be read through rate(), irate() or increase() whatever its matchers.
Each rule is a function (dashboard, report) that reports every violation it finds.
"""

import re

import promql_tree

DATASOURCE_UIDS = {"$datasource", "${datasource}"}
QUERY_FUNCTIONS = {"label_names", "label_values", "metrics", "query_result"}
# Grafana's unit identifiers the kit's panels may use (Grafana has more; add them here when a panel needs one).
UNITS = {
    "none", "short", "percent", "percentunit", "bool", "bool_yes_no", "bool_on_off",
    "ns", "µs", "ms", "s", "m", "h", "d", "dtdurations", "dtdurationms", "clocks", "clockms",
    "reqps", "rps", "ops", "opm", "cps", "cpm", "iops", "wps", "rpm",
    "bytes", "decbytes", "bits", "Bps", "bps", "dateTimeAsIso", "dateTimeFromNow",
}
COUNTER_FUNCTIONS = {"rate", "irate", "increase"}


def variables(dash):
    return (dash.get("templating") or {}).get("list") or []


def panels(dash):
    def flatten(items):
        for panel in items or []:
            yield panel
            yield from flatten(panel.get("panels"))
    return list(flatten(dash.get("panels")))


def query_panels(dash):
    """Every panel that shows query results (rows and text panels do not)."""
    return [p for p in panels(dash) if p.get("type") in QUERY_PANEL_TYPES or "targets" in p]


QUERY_PANEL_TYPES = {"stat", "singlestat", "gauge", "graph", "table", "timeseries", "state-timeline", "bargauge",
                     "status-history", "heatmap", "barchart", "histogram", "piechart"}


def datasource_uid(reference):
    if isinstance(reference, dict):
        return reference.get("uid")
    return reference


def variable_query(variable):
    query = variable.get("query")
    return query.get("query", "") if isinstance(query, dict) else (query or "")


def template_datasource(dash, report):
    templated = [v for v in variables(dash) if v.get("type") == "datasource"]
    report.check(templated, "dashboard", "has a templated datasource variable")
    for variable in templated:
        report.check(variable.get("name") == "datasource" or variable.get("name") == f"{variable.get('query')}_datasource",
                     f"variable ${variable.get('name')}", "is named 'datasource'")
        report.check(variable.get("query") == "prometheus", f"variable ${variable.get('name')}", "lists Prometheus datasources")
        report.check(variable.get("label") == "Data source", f"variable ${variable.get('name')}", "is labelled 'Data source'")


def _template_for(label):
    def rule(dash, report):
        where = f"variable ${label}"
        found = [v for v in variables(dash) if v.get("name") == label]
        if not report.check(found, where, "exists"):
            return
        variable = found[0]
        report.check(datasource_uid(variable.get("datasource")) in DATASOURCE_UIDS, where, "uses datasource $datasource")
        report.check(variable.get("type") == "query", where, "is a query variable")
        report.check(variable.get("label") == label.title(), where, f"is labelled {label.title()!r}")
        report.check(variable.get("multi") is True, where, "is multi-value")
        report.check(variable.get("allValue") == ".+", where, "has allValue '.+'")
    rule.__name__ = f"template_{label}"
    return rule


template_job = _template_for("job")
template_instance = _template_for("instance")


def template_label_promql(dash, report):
    for variable in variables(dash):
        if variable.get("type") != "query":
            continue
        where = f"variable ${variable.get('name')}"
        query = variable_query(variable)
        match = re.fullmatch(r"\s*(\w+)\((.*)\)\s*", query, re.S)
        if not report.check(match and match.group(1) in QUERY_FUNCTIONS, where,
                            f"query {query!r} is one of {sorted(QUERY_FUNCTIONS)}"):
            continue
        argument = match.group(2)
        if match.group(1) == "label_values":
            selector, _, _ = argument.rpartition(",")
            if not selector.strip():
                continue  # label_values(label): no selector to parse
            argument = selector
        try:
            promql_tree.parse(argument)
            report.check(True, where, "")
        except ValueError as error:
            report.check(False, where, f"selector of {query!r} does not parse: {error}")


def template_on_time_change_reload(dash, report):
    for variable in variables(dash):
        if variable.get("type") == "query":
            report.check(variable.get("refresh") == 2, f"variable ${variable.get('name')}",
                         "refreshes on time range change (refresh: 2)")


def panel_datasource(dash, report):
    for panel in query_panels(dash):
        report.check(datasource_uid(panel.get("datasource")) in DATASOURCE_UIDS, panel_where(panel),
                     "uses the templated datasource $datasource")
        for target in panel.get("targets") or []:
            if "datasource" in target:
                report.check(datasource_uid(target["datasource"]) in DATASOURCE_UIDS,
                             target_where(panel, target), "uses the templated datasource $datasource")


def panel_title_description(dash, report):
    for panel in query_panels(dash):
        report.check(bool(str(panel.get("title", "")).strip()) and bool(str(panel.get("description", "")).strip()),
                     panel_where(panel), "has a title and a description")


def panel_units(dash, report):
    for panel in query_panels(dash):
        defaults = (panel.get("fieldConfig") or {}).get("defaults") or {}
        unit = defaults.get("unit")
        report.check(unit in UNITS, panel_where(panel), f"has a valid unit (has {unit!r})")


def panel_no_targets(dash, report):
    for panel in query_panels(dash):
        report.check(bool(panel.get("targets")), panel_where(panel), "has targets")


def parsed_targets(dash):
    """(panel, target, syntax tree or None when the query does not parse) for every query of the dashboard."""
    for panel in query_panels(dash):
        for target in panel.get("targets") or []:
            try:
                tree = promql_tree.parse(target.get("expr", ""))
            except ValueError:
                tree = None
            yield panel, target, tree


def target_promql(dash, report):
    for panel, target, tree in parsed_targets(dash):
        report.check(tree is not None, target_where(panel, target), f"is valid PromQL: {target.get('expr')!r}")


def target_rate_interval(dash, report):
    for panel, target, tree in parsed_targets(dash):
        if tree is None:
            continue
        for selector, parents in promql_tree.selectors(tree):
            function, window = promql_tree.enclosing_call(parents)
            if function in ("rate", "irate"):
                report.check(promql_tree.is_sentinel(window, "__rate_interval"), target_where(panel, target),
                             f"{function}() of {promql_tree.metric_name(selector)} uses [$__rate_interval]")


def _required_matcher(label):
    def rule(dash, report):
        for panel, target, tree in parsed_targets(dash):
            if tree is None:
                continue
            for selector, _ in promql_tree.selectors(tree):
                report.check(promql_tree.has_regex_matcher(selector, label, f"${label}"), target_where(panel, target),
                             f'{promql_tree.metric_name(selector) or "selector"} has {label}=~"${label}"')
    rule.__name__ = f"target_{label}"
    return rule


target_job = _required_matcher("job")
target_instance = _required_matcher("instance")


def target_counter_agg(dash, report, counters=()):
    for panel, target, tree in parsed_targets(dash):
        if tree is None:
            continue
        for selector, parents in promql_tree.selectors(tree):
            name = promql_tree.metric_name(selector)
            if name.endswith("_total") or name in counters:
                function, _ = promql_tree.enclosing_call(parents)
                report.check(function in COUNTER_FUNCTIONS, target_where(panel, target),
                             f"counter {name} is read through rate(), irate() or increase()")


def uneditable_dashboard(dash, report):
    report.check(dash.get("editable") is False, "dashboard", "is not editable (editable: false)")


def panel_where(panel):
    return f"panel {panel.get('id')} {panel.get('title')!r}"


def target_where(panel, target):
    return f"{panel_where(panel)} target {target.get('refId')}"


# The linter's rule names, in its own spelling, and what enforces each.
RULES = {
    "template-datasource": template_datasource,
    "template-job": template_job,
    "template-instance": template_instance,
    "template-label-promql": template_label_promql,
    "template-on-time-change-reload": template_on_time_change_reload,
    "panel-datasource": panel_datasource,
    "panel-title-description": panel_title_description,
    "panel-units": panel_units,
    "panel-no-targets": panel_no_targets,
    "target-promql": target_promql,
    "target-rate-interval": target_rate_interval,
    "target-job": target_job,
    "target-instance": target_instance,
    "target-counter-agg": target_counter_agg,
    "uneditable-dashboard": uneditable_dashboard,
}

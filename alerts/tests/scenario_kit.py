"""The vocabulary of the scenarios the alert and recording rules are tested on (breaker_scenarios.py,
target_scenarios.py). Each scenario is told once and rendered at a 15 s and a 60 s scrape interval by
render_tests.py.

A scenario is a set of scrape targets whose breakers follow timelines (breaker_model.py), and checks: which alerts
fire at a given time (an empty list: none), or which samples an expression returns. Check times are whole minutes,
so that both intervals evaluate the rules at them; a check that holds at one interval only says so.
"""

from dataclasses import dataclass, field

from breaker_model import Breaker, Target

BOTH = (15, 60)


@dataclass
class Alerts:
    at: str
    alert: str
    firing: list
    intervals: tuple = BOTH


@dataclass
class Samples:
    at: str
    expr: str
    samples: list
    intervals: tuple = BOTH


@dataclass
class Scenario:
    name: str
    duration: str
    targets: list
    checks: list = field(default_factory=list)


def healthy(name, rate=10):
    return Breaker(name, [(0, "closed")], rate=rate)


def instance(job, name, breakers, **options):
    extra = options.pop("labels", {})
    return Target(dict(job=job, instance=name, **extra), breakers, **options)


def fired(job, inst, breaker, **extra):
    return dict(job=job, instance=inst, breaker=breaker, **extra)


def quiet_everywhere(alerts, times):
    return [Alerts(t, a, []) for a in alerts for t in times]



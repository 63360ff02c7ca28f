"""What Prometheus would have scraped from a service whose breakers follow a scripted timeline.

A scenario describes each breaker as a list of state changes (time, state, calls per second) and each scrape target
as a scrape schedule (every scrape good, one failed, never up, crash-looping, gone from discovery). This module turns
that into the samples Prometheus stores at a given scrape interval, by the metric contract
(docs/metric-contract.json): the state gauge (the state at the scrape), the time-in-state counter, calls by outcome,
transitions and, on request, a duration histogram and the registrations-rejected counter.

A failed scrape stores what Prometheus stores: `up` 0 and a staleness marker for every series the target had, and
nothing for those series while the failures go on. Time is simulated in whole seconds.
"""

from dataclasses import dataclass, field

STATES = ("closed", "open", "half_open", "forced_open", "disabled")
REJECTING_STATES = {"open", "half_open", "forced_open"}
STALE = "stale"
MISSING = "_"


def seconds(text):
    """'90s', '10m', '1m30s' or an int -> seconds."""
    if isinstance(text, int):
        return text
    total, number = 0, ""
    for char in text:
        if char.isdigit():
            number += char
        elif char in "hms" and number:
            total += int(number) * {"h": 3600, "m": 60, "s": 1}[char]
            number = ""
        else:
            raise ValueError(f"bad duration {text!r}")
    if number:
        raise ValueError(f"duration {text!r} needs a unit")
    return total


@dataclass
class Breaker:
    """A breaker's timeline: `changes` is [(time, state) or (time, state, calls per second)], from time 0.

    Calls arrive at `rate` per second unless a change gives its own rate. Closed and disabled breakers run their
    calls (outcome success); open, half_open and forced_open reject them (half-open probes are left out: they are
    too few to matter to any rule).
    """

    name: str
    changes: list
    rate: int = 10
    histogram: bool = False

    def __post_init__(self):
        parsed = []
        for change in self.changes:
            time, state = seconds(change[0]), change[1]
            rate = change[2] if len(change) > 2 else self.rate
            if state not in STATES:
                raise ValueError(f"{self.name}: unknown state {state!r}")
            if parsed and time <= parsed[-1][0]:
                raise ValueError(f"{self.name}: changes must be in time order")
            parsed.append((time, state, rate))
        if not parsed or parsed[0][0] != 0:
            raise ValueError(f"{self.name}: the timeline starts at time 0")
        self.changes = parsed

    def counters(self, end):
        """Per second from 0 to `end`: (state, {counter series key: value}) with the counters' values at that
        second (the time-in-state and calls of the seconds before it)."""
        in_state = dict.fromkeys(STATES, 0)
        calls = {"success": 0, "rejected": 0}
        transitions = {("closed", "open"): 0}
        timeline = []
        index = 0
        state, rate = self.changes[0][1], self.changes[0][2]
        for second in range(end + 1):
            while index + 1 < len(self.changes) and self.changes[index + 1][0] <= second:
                index += 1
                previous, (_, state, rate) = state, self.changes[index]
                if previous != state:
                    transitions[(previous, state)] = transitions.get((previous, state), 0) + 1
            values = {("state_seconds", s): in_state[s] for s in STATES}
            values.update({("calls", outcome): count for outcome, count in calls.items()})
            values.update({("transitions", pair): count for pair, count in transitions.items()})
            timeline.append((state, values))
            in_state[state] += 1
            calls["rejected" if state in REJECTING_STATES else "success"] += rate
        return timeline


def good(_time):
    return "ok"


@dataclass
class Target:
    """A scrape target: its target labels, breakers, scrape schedule and registrations-rejected counter (None: the
    series is left out)."""

    labels: dict
    breakers: list = field(default_factory=list)
    scrape: object = good
    registrations_rejected: object = None

    def status(self, time):
        """'ok', 'fail' (up 0), 'empty' (up 1 without breaker series) or 'gone' (not discovered) at `time`."""
        return self.scrape(time)


def failing_at(*times):
    """A schedule whose scrapes at `times` fail and all others succeed."""
    failed = {seconds(t) for t in times}
    return lambda time: "fail" if time in failed else "ok"


def never_up(_time):
    return "fail"


def crash_looping(interval):
    """Up for one scrape without breaker series, down for the next, and so on: a replacement that never exports."""
    return lambda time: "empty" if (time // interval) % 2 == 0 else "fail"


def down_until(until):
    """Never up until `until`, then good."""
    limit = seconds(until)
    return lambda time: "fail" if time < limit else "ok"


def gone_from(start, schedule=good):
    """Dropped by service discovery from `start` on: no samples at all, not even `up`."""
    limit = seconds(start)
    return lambda time: "gone" if time >= limit else schedule(time)


def series_name(name, labels):
    inner = ", ".join(f'{key}="{value}"' for key, value in labels.items())
    return f"{name}{{{inner}}}"


def scrape(targets, interval, duration):
    """{series text: [sample or STALE or MISSING]} for every series of `targets`, one entry per scrape from 0 to
    `duration` seconds every `interval` seconds."""
    times = list(range(0, duration + 1, interval))
    result = {}
    for target in targets:
        samples = _target_samples(target, times, duration)
        for key, values in samples.items():
            if key in result:
                raise ValueError(f"series {key} defined twice")
            result[key] = values
    return result


def _target_samples(target, times, duration):
    breaker_series = {}  # series text -> [value at each scrape time, had the target been scraped]
    for breaker in target.breakers:
        timeline = breaker.counters(duration)
        base = dict(target.labels, breaker=breaker.name)
        for state in STATES:
            breaker_series[series_name("circuit_breaker_state", dict(base, state=state))] = [
                1 if timeline[t][0] == state else 0 for t in times]
            breaker_series[series_name("circuit_breaker_state_seconds_total", dict(base, state=state))] = [
                timeline[t][1][("state_seconds", state)] for t in times]
        for outcome in ("success", "rejected"):
            breaker_series[series_name("circuit_breaker_calls_total", dict(base, outcome=outcome))] = [
                timeline[t][1][("calls", outcome)] for t in times]
        pairs = sorted({key[1] for _, values in timeline for key in values if key[0] == "transitions"})
        for source, destination in pairs:
            labels = dict(base, **{"from": source, "to": destination})
            breaker_series[series_name("circuit_breaker_transitions_total", labels)] = [
                timeline[t][1].get(("transitions", (source, destination)), 0) for t in times]
        if breaker.histogram:  # every call that ran took under 100 ms; none timed out
            for outcome, count in (("success", lambda t: timeline[t][1][("calls", "success")]), ("timeout", None)):
                for le in ("0.1", "+Inf"):
                    labels = dict(base, outcome=outcome, le=le)
                    name = series_name("circuit_breaker_call_duration_seconds_bucket", labels)
                    breaker_series[name] = [count(t) if count else 0 for t in times]
    if target.registrations_rejected is not None:
        name = series_name("circuit_breaker_registrations_rejected_total", target.labels)
        breaker_series[name] = [target.registrations_rejected for _ in times]

    statuses = [target.status(t) for t in times]
    samples = {name: _apply_schedule(values, statuses, {"ok"}) for name, values in breaker_series.items()}
    up = [1 if status in ("ok", "empty") else 0 for status in statuses]
    samples[series_name("up", target.labels)] = _apply_schedule(up, statuses, {"ok", "empty", "fail"})
    return samples


def _apply_schedule(values, statuses, present_when):
    """The stored samples: the value where the series is scraped, one staleness marker where it stops being
    scraped, nothing after that until it is scraped again."""
    stored, present = [], False
    for value, status in zip(values, statuses):
        if status in present_when:
            stored.append(value)
            present = True
        else:
            stored.append(STALE if present else MISSING)
            present = False
    return stored

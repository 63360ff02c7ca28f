"""What Prometheus would have scraped from a service whose breakers follow a scripted timeline.

A scenario describes each breaker as a list of state changes (time, state, calls per second) and each scrape target
as a scrape schedule (every scrape good, one failed, never up, crash-looping, gone from discovery). This module turns
that into the samples Prometheus stores at a given scrape interval, by the metric contract
(docs/metric-contract.json): the state gauge (the state at the scrape), the time-in-state counter, calls by outcome,
transitions and, on request, a duration histogram, the override series, the shadow-mode outcome and the
registrations-rejected counter.

A failed scrape stores what Prometheus stores: `up` 0 and a staleness marker for every series the target had, and
nothing for those series while the failures go on.

A target can restart (`Restart`): its process stops (scrapes fail while it is down), comes back with every counter
at zero and its tripped breakers closed, and the breakers trip again right after the first scrape of the new
process, which therefore sees them closed. Keys of a group (`KeyedGroup`) are modelled as breakers of their own,
under the `circuit_breaker_key_*` families; a key can be created late and evicted, and its series then stop. A target whose Prometheus stopped (an edge server killed in a
tiered setup) leaves nothing at all, not even staleness markers. Time is simulated in whole seconds, from the Unix
epoch as promtool's are, so a timestamp gauge holds the scenario time in seconds.
"""

from dataclasses import dataclass, field

STATES = ("closed", "open", "half_open", "forced_open", "disabled")
REJECTING_STATES = {"open", "half_open", "forced_open"}
OVERRIDE_STATES = {"forced_open", "disabled"}
OVERRIDE_ACTIONS = ("force_open", "disable", "reset")
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
    too few to matter to any rule). A `shadow` breaker runs those calls too and counts each of them as
    `shadow_rejected` as well, as the library does.

    `overrides` lists the operator's overrides through the API as (time, action, ttl): each is counted in
    circuit_breaker_overrides_total and sets the expiry gauge to time + ttl until the breaker's state leaves
    forced_open and disabled. The state changes themselves are in `changes`. A change to forced_open or disabled
    without an override is a plain forceOpen() or disable(): no end, expiry 0, nothing counted. With `overrides`
    None the two override families are left out, as an exporter from before they existed would.
    """

    name: str
    changes: list
    rate: int = 10
    histogram: bool = False
    shadow: bool = False
    overrides: list = None

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
        if self.overrides is not None:
            for _, action, _ in self.overrides:
                if action not in OVERRIDE_ACTIONS:
                    raise ValueError(f"{self.name}: unknown override action {action!r}")
            self.overrides = sorted((seconds(time), action, seconds(ttl)) for time, action, ttl in self.overrides)

    def counters(self, end, restarts=()):
        """Per second from 0 to `end`: (state, {series key: value}) with the counters' values at that second (the
        time-in-state and calls of the seconds before it) and the expiry gauge's value. At each restart every
        counter starts again from zero, and a tripped breaker reads closed until just after the new process's
        first scrape (an operator's override is restored at once)."""
        in_state = dict.fromkeys(STATES, 0)
        calls = {"success": 0, "rejected": 0}
        if self.shadow:
            calls["shadow_rejected"] = 0
        transitions = {("closed", "open"): 0}
        applied = dict.fromkeys(OVERRIDE_ACTIONS, 0)
        expiry = 0
        pending = list(self.overrides or [])
        timeline = []
        index = 0
        planned, rate = self.changes[0][1], self.changes[0][2]
        state = planned
        starts = {restart.start for restart in restarts}
        for second in range(end + 1):
            if second in starts:  # a new process: every counter from zero, no transition counted
                in_state = dict.fromkeys(STATES, 0)
                calls = dict.fromkeys(calls, 0)
                transitions = dict.fromkeys(transitions, 0)
                applied = dict.fromkeys(applied, 0)
            while index + 1 < len(self.changes) and self.changes[index + 1][0] <= second:
                index += 1
                _, planned, rate = self.changes[index]
                if planned not in OVERRIDE_STATES:
                    expiry = 0
            previous = state
            held = any(restart.holds_closed(second) for restart in restarts)
            state = "closed" if held and planned in ("open", "half_open") else planned
            if previous != state and second not in starts:
                transitions[(previous, state)] = transitions.get((previous, state), 0) + 1
            while pending and pending[0][0] <= second:
                time, action, ttl = pending.pop(0)
                applied[action] += 1
                expiry = time + ttl if action != "reset" else 0
            values = {("state_seconds", s): in_state[s] for s in STATES}
            values.update({("calls", outcome): count for outcome, count in calls.items()})
            values.update({("transitions", pair): count for pair, count in transitions.items()})
            if self.overrides is not None:
                values.update({("overrides", action): count for action, count in applied.items()})
                values[("expiry",)] = expiry
            timeline.append((state, values))
            in_state[state] += 1
            if state not in REJECTING_STATES:
                calls["success"] += rate
            elif self.shadow:
                calls["success"] += rate
                calls["shadow_rejected"] += rate
            else:
                calls["rejected"] += rate
        return timeline


def good(_time):
    return "ok"


# A restarted process takes this long before the scrape that first reads it to come up, and its tripped breakers
# trip again this long after that scrape.
RESTART_LEAD = 5


@dataclass
class Restart:
    """The process of a target restarts so that the scrape at `at` (a whole minute) is the first of the new process;
    it was down for `down` before coming up (0: between two scrapes, no scrape fails)."""

    at: object
    down: object = 0

    def __post_init__(self):
        self.at, self.down = seconds(self.at), seconds(self.down)

    @property
    def start(self):
        """The second the new process starts: its counters are zero from here."""
        return self.at - RESTART_LEAD

    def is_down(self, time):
        return self.start - self.down <= time < self.start

    def holds_closed(self, time):
        """Whether a breaker tripped before the restart reads closed at `time` (the new process before it trips)."""
        return self.start <= time < self.at + RESTART_LEAD


@dataclass
class Key(Breaker):
    """A key of a group: a breaker timeline exported as the circuit_breaker_key_* families, from `created` (its first
    call) until `evicted` (None: never)."""

    created: object = 0
    evicted: object = None

    def __post_init__(self):
        super().__post_init__()
        self.created = seconds(self.created)
        self.evicted = seconds(self.evicted) if self.evicted is not None else None

    def present(self, time):
        return self.created <= time and (self.evicted is None or time < self.evicted)


@dataclass
class KeyedGroup:
    """A group of keyed breakers: its keys, and its cap (circuit_breaker_group_max_keys)."""

    name: str
    keys: list
    maximum_keys: int = 1000


@dataclass
class Target:
    """A scrape target: its target labels, breakers, groups of keyed breakers, scrape schedule, restarts and
    registrations-rejected counter (None: the series is left out). The counter reads 0 at the first scrape of a
    restarted process, and its value again from the next (the breakers are refused again once created)."""

    labels: dict
    breakers: list = field(default_factory=list)
    scrape: object = good
    registrations_rejected: object = None
    groups: list = field(default_factory=list)
    restarts: list = field(default_factory=list)

    def status(self, time):
        """'ok', 'fail' (up 0), 'empty' (up 1 without breaker series), 'gone' (not discovered) or 'silent' (its
        Prometheus stopped) at `time`; a restarting process fails its scrapes while it is down."""
        status = self.scrape(time)
        if status == "ok" and any(restart.is_down(time) for restart in self.restarts):
            return "fail"
        return status

    def rejected_registrations(self, time):
        if any(restart.start <= time < restart.at + RESTART_LEAD for restart in self.restarts):
            return 0
        return self.registrations_rejected


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


def down_from(start):
    """Good until `start`, then every scrape fails."""
    limit = seconds(start)
    return lambda time: "fail" if time >= limit else "ok"


def silent_from(start, until=None):
    """Nothing at all from `start` on (until `until`, when given), not even staleness markers: the Prometheus that
    scraped the target (an edge server that remote-writes to a global tier) was killed, and later restarted."""
    begin, end = seconds(start), seconds(until) if until is not None else None
    return lambda time: "silent" if time >= begin and (end is None or time < end) else "ok"


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
    key_presence = {}  # series text of a key -> [whether the key exists at each scrape time]
    for breaker in target.breakers:
        timeline = breaker.counters(duration, target.restarts)
        base = dict(target.labels, breaker=breaker.name)
        for state in STATES:
            breaker_series[series_name("circuit_breaker_state", dict(base, state=state))] = [
                1 if timeline[t][0] == state else 0 for t in times]
            breaker_series[series_name("circuit_breaker_state_seconds_total", dict(base, state=state))] = [
                timeline[t][1][("state_seconds", state)] for t in times]
        for outcome in ("success", "rejected") + (("shadow_rejected",) if breaker.shadow else ()):
            breaker_series[series_name("circuit_breaker_calls_total", dict(base, outcome=outcome))] = [
                timeline[t][1][("calls", outcome)] for t in times]
        pairs = sorted({key[1] for _, values in timeline for key in values if key[0] == "transitions"})
        for source, destination in pairs:
            labels = dict(base, **{"from": source, "to": destination})
            breaker_series[series_name("circuit_breaker_transitions_total", labels)] = [
                timeline[t][1].get(("transitions", (source, destination)), 0) for t in times]
        if breaker.overrides is not None:
            for action in OVERRIDE_ACTIONS:
                name = series_name("circuit_breaker_overrides_total", dict(base, action=action))
                breaker_series[name] = [timeline[t][1][("overrides", action)] for t in times]
            name = series_name("circuit_breaker_override_expiry_timestamp_seconds", base)
            breaker_series[name] = [timeline[t][1][("expiry",)] for t in times]
        if breaker.histogram:  # every call that ran took under 100 ms; none timed out
            for outcome, count in (("success", lambda t: timeline[t][1][("calls", "success")]), ("timeout", None)):
                for le in ("0.1", "+Inf"):
                    labels = dict(base, outcome=outcome, le=le)
                    name = series_name("circuit_breaker_call_duration_seconds_bucket", labels)
                    breaker_series[name] = [count(t) if count else 0 for t in times]
    if target.registrations_rejected is not None:
        name = series_name("circuit_breaker_registrations_rejected_total", target.labels)
        breaker_series[name] = [target.rejected_registrations(t) for t in times]
    for group in target.groups:
        _group_samples(group, target, times, duration, breaker_series, key_presence)

    statuses = [target.status(t) for t in times]
    samples = {}
    for name, values in breaker_series.items():
        present = key_presence.get(name)
        scheduled = statuses if present is None else [
            status if exists or status != "ok" else "empty" for status, exists in zip(statuses, present)]
        samples[name] = _apply_schedule(values, scheduled, {"ok"})
    up = [1 if status in ("ok", "empty") else 0 for status in statuses]
    samples[series_name("up", target.labels)] = _apply_schedule(up, statuses, {"ok", "empty", "fail"})
    return samples


def _group_samples(group, target, times, duration, breaker_series, key_presence):
    """The key and group series of `group` into `breaker_series`, with each key series' presence in
    `key_presence`."""
    base = dict(target.labels, breaker=group.name)
    for key in group.keys:
        timeline = key.counters(duration, target.restarts)
        labels = dict(base, key=key.name)
        present = [key.present(t) for t in times]
        series = {}
        for state in STATES:
            series[series_name("circuit_breaker_key_state", dict(labels, state=state))] = [
                1 if timeline[t][0] == state else 0 for t in times]
        for outcome in ("success", "rejected"):
            series[series_name("circuit_breaker_key_calls_total", dict(labels, outcome=outcome))] = [
                timeline[t][1][("calls", outcome)] for t in times]
        pairs = sorted({k[1] for _, values in timeline for k in values if k[0] == "transitions"})
        for source, destination in pairs:
            name = series_name("circuit_breaker_key_transitions_total",
                               dict(labels, **{"from": source, "to": destination}))
            series[name] = [timeline[t][1].get(("transitions", (source, destination)), 0) for t in times]
        for name, values in series.items():
            breaker_series[name] = values
            key_presence[name] = present
    restarts = sorted(restart.start for restart in target.restarts)

    def evicted_since_start(time):
        began = max([start for start in restarts if start <= time], default=0)
        return sum(1 for key in group.keys if key.evicted is not None and began <= key.evicted <= time)

    breaker_series[series_name("circuit_breaker_group_keys", base)] = [
        sum(1 for key in group.keys if key.present(t)) for t in times]
    breaker_series[series_name("circuit_breaker_group_max_keys", base)] = [group.maximum_keys for _ in times]
    breaker_series[series_name("circuit_breaker_group_evictions_total", base)] = [
        evicted_since_start(t) for t in times]


def _apply_schedule(values, statuses, present_when):
    """The stored samples: the value where the series is scraped, one staleness marker where it stops being
    scraped, nothing after that until it is scraped again; nothing at all where its scraper is silent."""
    stored, present = [], False
    for value, status in zip(values, statuses):
        if status == "silent":  # a restarted scraper has no memory of the series: no staleness marker later
            stored.append(MISSING)
            present = False
        elif status in present_when:
            stored.append(value)
            present = True
        else:
            stored.append(STALE if present else MISSING)
            present = False
    return stored

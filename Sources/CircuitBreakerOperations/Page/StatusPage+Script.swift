extension StatusPage {
    /// The page's script, inline: fetches `api/v1/breakers` every refresh interval and re-renders the table
    /// (with `textContent`, so no breaker name or reason is ever parsed as HTML), derives call and rejection rates
    /// from successive counts, applies the filter, and — on the admin page — asks for a reason and a TTL and calls
    /// the override API, always with `Content-Type: application/json` (the server refuses state-changing requests
    /// without it). `body[data-refreshes]` counts completed refreshes (the browser test waits for one). The page's
    /// Content-Security-Policy allows this script by its hash (``contentSecurityPolicy``): it must stay one static
    /// text, with nothing interpolated. It also fetches `api/v1/groups` and renders the groups' table (a row per
    /// group, one per key that is not closed), with per-group and per-key override buttons on the admin page.
    static let script = #"""
        (function () {
          "use strict";
          var body = document.body, admin = body.dataset.admin === "true";
          var interval = Number(body.dataset.refreshMs) || 2000;
          var filter = document.getElementById("filter"), tbody = document.querySelector("#breakers tbody");
          var summary = document.getElementById("summary"), updated = document.getElementById("updated");
          var message = document.getElementById("message");
          var gbody = document.querySelector("#groups tbody"), gsummary = document.getElementById("groups-summary");
          var symbols = {closed: "\u2713", open: "\u2715", half_open: "\u25D0", forced_open: "\u2298", disabled: "\u2016"};
          var previous = {}, latest = null, groups = null, refreshes = 0;

          function words(state) { return state.replace(/_/g, " "); }
          function pad(n) { return (n < 10 ? "0" : "") + n; }
          function clock(t) {
            var d = new Date(t * 1000);
            return pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes()) + ":" + pad(d.getUTCSeconds()) + "Z";
          }
          function duration(s) {
            s = Math.max(0, Math.floor(s));
            if (s < 60) return s + " s";
            if (s < 3600) return Math.floor(s / 60) + " m " + (s % 60) + " s";
            if (s < 86400) return Math.floor(s / 3600) + " h " + Math.floor(s % 3600 / 60) + " m";
            return Math.floor(s / 86400) + " d " + Math.floor(s % 86400 / 3600) + " h";
          }
          function ratio(value, threshold) {
            if (threshold === null) return "\u2013";
            return value.toFixed(2) + " / " + threshold.toFixed(2);
          }
          function cell(row, text, tag) {
            var c = document.createElement(tag || "td");
            if (text !== undefined) c.textContent = text;
            row.appendChild(c);
            return c;
          }
          function rates(b, now) {
            if (!b.calls) return ["\u2013", "\u2013"];
            var p = previous[b.name], total = b.calls.executed + b.calls.rejected;
            previous[b.name] = {t: now, total: total, rejected: b.calls.rejected};
            if (!p || now <= p.t) return ["\u2026", "\u2026"];
            var dt = now - p.t;
            return [((total - p.total) / dt).toFixed(1), ((b.calls.rejected - p.rejected) / dt).toFixed(1)];
          }
          function row(b, rate) {
            var tr = document.createElement("tr");
            tr.dataset.breaker = b.name;
            tr.dataset.state = b.state;
            var name = cell(tr, b.name, "th");
            name.scope = "row";
            var state = cell(tr), badge = document.createElement("span");
            badge.className = "badge " + b.state;
            badge.textContent = symbols[b.state] + " " + words(b.state);
            state.appendChild(badge);
            if (b.policy.enforcement === "shadow") state.appendChild(document.createTextNode(" (shadow)"));
            var failure = cell(tr, ratio(b.window.failure_ratio, b.policy.failure_ratio_threshold));
            if (b.policy.failure_ratio_threshold !== null && b.window.failure_ratio >= b.policy.failure_ratio_threshold) failure.className = "over";
            cell(tr, ratio(b.window.slow_call_ratio, b.policy.slow_call_ratio_threshold));
            cell(tr, rate[0]);
            cell(tr, rate[1]);
            cell(tr, duration(b.time_in_state_seconds));
            var recent = b.recent_transitions.length ? b.recent_transitions : (b.last_transition ? [b.last_transition] : []);
            cell(tr, recent.length ? recent.slice(0, 3).map(function (t) {
              return words(t.from) + " \u2192 " + words(t.to) + " (" + t.reason + ") " + clock(t.timestamp);
            }).join("\n") : "none").style.whiteSpace = "pre-line";
            var o = b.override;
            cell(tr, o ? o.action + " by " + o.actor + " until " + clock(o.expires_at) + ": " + o.reason : "none");
            if (admin) actions(cell(tr), b);
            return tr;
          }
          function button(parent, label, name, handler) {
            var el = document.createElement("button");
            el.type = "button";
            el.textContent = label;
            el.setAttribute("aria-label", label + " " + name);
            el.addEventListener("click", handler);
            parent.appendChild(el);
          }
          function actions(c, b) {
            [["force_open", "Force open"], ["disable", "Disable"], ["reset", "Reset"]].forEach(function (a) {
              button(c, a[1], b.name, function () { override(b.name, a[0], a[1]); });
            });
            if (b.override) button(c, "Clear override", b.name, function () { clear(b.name); });
          }
          function path(name) { return "api/v1/breakers/" + encodeURIComponent(name) + "/override"; }
          function groupPath(group, key) {
            return "api/v1/groups/" + encodeURIComponent(group) +
              (key === undefined ? "" : "/keys/" + encodeURIComponent(key)) + "/override";
          }
          function report(response) {
            return response.json().then(function (doc) {
              if (!response.ok) throw new Error(doc.error ? doc.error.code + ": " + doc.error.message : response.status);
              if (doc.key !== undefined && doc.key !== null) message.textContent = doc.group + " key " + doc.key + " is now " + words(doc.state) + ".";
              else if (doc.state) message.textContent = doc.name + " is now " + words(doc.state) + ".";
              else message.textContent = "Every key of " + doc.name + ": " + (doc.override ? doc.override.action : "no group override") + ".";
              refresh();
            });
          }
          function failed(e) { message.textContent = "Failed: " + e.message; }
          function override(name, action, label, target) {
            var reason = window.prompt(label + " " + name + ": why?");
            if (!reason) return;
            var ttl = window.prompt("For how long? (e.g. 30m, 2h)", "30m");
            if (!ttl) return;
            fetch(target || path(name), {method: "POST", credentials: "same-origin", headers: {"Content-Type": "application/json"},
              body: JSON.stringify({action: action, reason: reason, ttl: ttl})}).then(report).catch(failed);
          }
          function clear(name, target) {
            if (!window.confirm("Clear the override of " + name + "?")) return;
            fetch(target || path(name), {method: "DELETE", credentials: "same-origin", headers: {"Content-Type": "application/json"}})
              .then(report).catch(failed);
          }
          function groupActions(c, label, target, hasOverride) {
            [["force_open", "Force open"], ["disable", "Disable"], ["reset", "Reset"]].forEach(function (a) {
              button(c, a[1], label, function () { override(label, a[0], a[1], target); });
            });
            if (hasOverride) button(c, "Clear override", label, function () { clear(label, target); });
          }
          function describe(o, every) {
            return o ? o.action + (every ? " (every key)" : "") + " by " + o.actor + " until " + clock(o.expires_at) + ": " + o.reason : "none";
          }
          function groupRow(g) {
            var tr = document.createElement("tr");
            tr.className = "group";
            tr.dataset.group = g.name;
            cell(tr, g.name, "th").scope = "row";
            var states = Object.keys(g.state_counts).filter(function (s) { return g.state_counts[s] > 0; })
              .map(function (s) { return g.state_counts[s] + " " + words(s); }).join(", ");
            cell(tr, states || "no keys");
            cell(tr, g.key_count + " / " + g.maximum_keys);
            cell(tr, "\u2013");
            cell(tr, g.evictions + " / " + g.overflows);
            cell(tr, "\u2013");
            cell(tr, describe(g.override, true));
            if (admin) groupActions(cell(tr), "every key of " + g.name, groupPath(g.name), !!g.override);
            return tr;
          }
          function keyRow(g, k) {
            var tr = document.createElement("tr");
            tr.className = "key";
            tr.dataset.group = g.name;
            tr.dataset.key = k.key;
            tr.dataset.state = k.state;
            cell(tr, g.name + " \u00b7 " + k.key, "th").scope = "row";
            var state = cell(tr), badge = document.createElement("span");
            badge.className = "badge " + k.state;
            badge.textContent = symbols[k.state] + " " + words(k.state);
            state.appendChild(badge);
            cell(tr, "");
            cell(tr, ratio(k.window.failure_ratio, k.policy.failure_ratio_threshold));
            cell(tr, "");
            cell(tr, duration(k.time_in_state_seconds));
            cell(tr, describe(k.override, false));
            if (admin) groupActions(cell(tr), g.name + " key " + k.key, groupPath(g.name, k.key), !!k.override);
            return tr;
          }
          function renderGroups() {
            if (!groups || !gbody) return;
            var fragment = document.createDocumentFragment(), keys = 0, notClosed = 0;
            groups.groups.forEach(function (g) {
              keys += g.key_count;
              notClosed += g.keys_not_closed;
              fragment.appendChild(groupRow(g));
              g.not_closed_keys.forEach(function (k) { fragment.appendChild(keyRow(g, k)); });
            });
            gbody.replaceChildren(fragment);
            var n = groups.groups.length;
            gsummary.textContent = n + " group" + (n === 1 ? "" : "s") + ": " + keys + " keys, " + notClosed + " not closed";
          }
          function render() {
            if (!latest) return;
            var now = latest.generated_at, query = filter.value.trim().toLowerCase(), counts = {};
            var list = latest.breakers.slice().sort(function (a, b) {
              var ac = a.state === "closed", bc = b.state === "closed";
              if (ac !== bc) return ac ? 1 : -1;
              return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
            });
            var fragment = document.createDocumentFragment(), shown = 0;
            list.forEach(function (b) {
              counts[b.state] = (counts[b.state] || 0) + 1;
              var rate = latest.rates[b.name];
              if (query && b.name.toLowerCase().indexOf(query) < 0 && words(b.state).indexOf(query) < 0) return;
              fragment.appendChild(row(b, rate));
              shown++;
            });
            tbody.replaceChildren(fragment);
            summary.textContent = list.length + " breakers" + (Object.keys(counts).length ? ": " : "") +
              Object.keys(counts).map(function (s) { return counts[s] + " " + words(s); }).join(", ") +
              (query ? " (" + shown + " shown)" : "");
            updated.textContent = "Updated " + clock(now) + "; refreshes every " + interval / 1000 + " s." +
              (latest.event_stream.dropped_clients ? " Event-stream clients dropped: " + latest.event_stream.dropped_clients + "." : "");
          }
          function load(url) {
            return fetch(url, {cache: "no-store", credentials: "same-origin"}).then(function (r) {
              if (!r.ok) throw new Error("status API answered " + r.status);
              return r.json();
            });
          }
          function refresh() {
            return Promise.all([load("api/v1/breakers"), load("api/v1/groups")]).then(function (docs) {
              var doc = docs[0];
              doc.rates = {};
              doc.breakers.forEach(function (b) { doc.rates[b.name] = rates(b, doc.generated_at); });
              latest = doc;
              groups = docs[1];
              render();
              renderGroups();
              body.dataset.refreshes = String(++refreshes);
            }).catch(function (e) { updated.textContent = "Refresh failed (" + e.message + "); retrying."; });
          }
          filter.addEventListener("input", render);
          function loop() { refresh().then(function () { window.setTimeout(loop, interval); }); }
          loop();
        })();
        """#
}

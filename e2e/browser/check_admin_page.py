#!/usr/bin/env python3
"""The admin page under its Content-Security-Policy in a real Chromium, and two attacks a browser carries out.

Usage: check_admin_page.py PROFILE_DIR DEMO_URL USER PASSWORD
  PROFILE_DIR  the --user-data-dir of a Chromium started with --remote-debugging-port=0 (see run.sh)
  DEMO_URL     the demo, e.g. http://127.0.0.1:9464 (with USER an admin user)

Checks, each printed as PASS or FAIL:
  1. /admin loads with its CSP, its inline script runs (the table refreshes) and no CSP violation is reported;
  2. the Force open button of `payments`, clicked with real mouse events and its two prompts answered, forces the
     breaker open (seen in the page and in the API), and Clear override (confirmed) ends it;
  3. a page on another origin that frames /admin gets an empty frame: Chromium refuses it (frame-ancestors 'none'),
     while the same page can frame the JSON API (which proves the frame itself works);
  4. a page on another origin that auto-submits an HTML form (text/plain, the override's JSON as its body) to the
     override API, with the admin's credentials attached as a browser attaches cached ones, is refused (403 or
     415) and the breaker's state does not change.
Exits 1 if any check failed.
"""
import base64
import http.server
import json
import sys
import threading
import urllib.request

import cdp

failures = 0


def check(description, condition, detail=""):
    global failures
    if condition:
        print(f"PASS {description} {detail}".rstrip())
    else:
        failures += 1
        print(f"FAIL {description} {detail}")


def api_state(base, authorization, name):
    request = urllib.request.Request(f"{base}/api/v1/breakers/{name}", headers={"Authorization": authorization})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["state"]


class AttackerPages(http.server.BaseHTTPRequestHandler):
    """Serves the attacker's pages on another origin (another port of 127.0.0.1)."""
    target = ""

    def do_GET(self):
        if self.path == "/frame":
            body = (f'<!DOCTYPE html><p>innocent page</p>'
                    f'<iframe id="admin" src="{self.target}/admin" width="600" height="300"></iframe>'
                    f'<iframe id="api" src="{self.target}/api/v1/breakers" width="600" height="300"></iframe>')
        elif self.path == "/form":
            # What a form can send: text/plain, the JSON as a field name and an empty value ("...=").
            body = (f'<!DOCTYPE html><form id="f" method="POST" enctype="text/plain" '
                    f'action="{self.target}/api/v1/breakers/catalog/override">'
                    '<input name=\'{"action":"force_open","reason":"csrf","ttl":"5m","x":"\' value=\'"}\'>'
                    '</form><script>document.getElementById("f").submit();</script>')
        else:
            self.send_error(404)
            return
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *arguments):
        pass


def main(profile, base, user, password):
    authorization = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    page = cdp.connect(profile)
    # The admin's credentials on every request of this browser, as it attaches cached basic-auth credentials.
    page.call("Network.setExtraHTTPHeaders", headers={"Authorization": authorization})

    # 1. The admin page under its policy.
    page.call("Page.navigate", url=f"{base}/admin")
    refreshed = page.wait_for("Number(document.body && document.body.dataset.refreshes) >= 1")
    check("the admin page's inline script runs under its CSP (the table refreshed)", refreshed)
    policy = [p["response"]["headers"] for m, p in page.events
              if m == "Network.responseReceived" and p["response"]["url"] == f"{base}/admin"]
    headers = {k.lower(): v for k, v in (policy[0] if policy else {}).items()}
    csp = headers.get("content-security-policy", "")
    check("the admin page carries default-src 'none' and frame-ancestors 'none'",
          csp.startswith("default-src 'none'") and "frame-ancestors 'none'" in csp, csp)
    check("the admin page carries nosniff and no-referrer",
          headers.get("x-content-type-options") == "nosniff" and headers.get("referrer-policy") == "no-referrer")
    violations = [t for t in page.console_messages() if "Content Security Policy" in t]
    check("no CSP violation reported on the admin page", not violations, violations[:3])

    # 2. The buttons, clicked for real.
    page.dialog_answers = [(True, "browser e2e drill"), (True, "5m")]
    clicked = page.click('button[aria-label="Force open payments"]')
    check("the Force open button of payments is on the admin page", clicked)
    shown = page.wait_for("document.getElementById('message').textContent.indexOf('payments is now forced open') >= 0")
    check("the page reports payments forced open", shown, page.dialogs)
    check("the API shows payments forced open", api_state(base, authorization, "payments") == "forced_open")
    page.wait_for("!!document.querySelector('button[aria-label=\"Clear override payments\"]')")
    page.dialog_answers = [(True, "")]
    check("the Clear override button of payments is shown", page.click('button[aria-label="Clear override payments"]'))
    cleared = page.wait_for("document.getElementById('message').textContent.indexOf('payments is now closed') >= 0")
    check("Clear override ends it (the page and the API say closed)",
          cleared and api_state(base, authorization, "payments") == "closed", page.dialogs)
    violations = [t for t in page.console_messages() if "Content Security Policy" in t]
    check("still no CSP violation after the clicks", not violations, violations[:3])

    # 3 and 4: the attacker's origin.
    AttackerPages.target = base
    attacker = http.server.ThreadingHTTPServer(("127.0.0.1", 0), AttackerPages)
    threading.Thread(target=attacker.serve_forever, daemon=True).start()
    evil = f"http://127.0.0.1:{attacker.server_address[1]}"
    try:
        before = len(page.events)
        page.call("Page.navigate", url=f"{evil}/frame")
        page.wait_for("document.readyState === 'complete'")
        page.pump(2)
        refused = [t for t in page.console_messages()
                   if "frame-ancestors 'none'" in t and ("blocked" in t or "Refused to frame" in t)]
        check("Chromium refuses to frame /admin from another origin (frame-ancestors 'none')", refused,
              page.console_messages()[-5:])
        tree = page.call("Page.getFrameTree")["frameTree"]
        frames = {child["frame"].get("name") or child["frame"].get("url"): child["frame"]["url"]
                  for child in tree.get("childFrames", [])}
        admin_frames = [url for url in frames.values() if url.endswith("/admin")]
        loaded = page.evaluate("(function(){try{return document.getElementById('admin').contentDocument !== null}"
                               "catch(e){return 'cross-origin'}})()")
        check("the framed admin page never loaded (its frame holds no admin page)", not admin_frames,
              f"frames {frames}, admin frame document: {loaded}")
        api_loaded = [url for url in frames.values() if url.endswith("/api/v1/breakers")]
        check("the same page can frame the JSON API (the frame itself works)", api_loaded, frames)
        del page.events[:before]

        state_before = api_state(base, authorization, "catalog")
        page.call("Page.navigate", url=f"{evil}/form")
        page.pump(3)
        posted = [(url, status) for url, status in page.responses() if url.endswith("/catalog/override")]
        check("the cross-site form post was sent and refused (403 or 415)",
              posted and all(status in (403, 415) for _, status in posted), posted)
        check("the cross-site form post changed nothing (catalog still %s)" % state_before,
              api_state(base, authorization, "catalog") == state_before)
    finally:
        attacker.shutdown()
        page.close()
    print(f"admin page and attacks: {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(*sys.argv[1:]))

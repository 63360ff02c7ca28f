"""A small Chrome DevTools Protocol client over websocket-client: enough to drive Debian's headless Chromium from the
browser tests (navigate, evaluate, click, answer dialogs, read console and network events).

Chromium is started by the caller with --remote-debugging-port=0 and a --user-data-dir; it writes the port it
chose to DevToolsActivePort in that directory, which `connect()` reads.
"""
import json
import os
import time
import urllib.request

import websocket


class Page:
    """One page target. Events are kept in `events` (method, params) as they arrive."""

    def __init__(self, url):
        self.socket = websocket.create_connection(url, timeout=60, suppress_origin=True)
        self.next_id = 0
        self.events = []
        self.dialog_answers = []  # (accept, prompt text) for the dialogs to come, in order
        self.dialogs = []  # the messages of the dialogs answered

    def call(self, method, **params):
        """Sends a command and returns its result (events that arrive meanwhile are kept)."""
        self.next_id += 1
        ident = self.next_id
        self.socket.send(json.dumps({"id": ident, "method": method, "params": params}))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            message = json.loads(self.socket.recv())
            if message.get("id") == ident:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self._event(message)
        raise TimeoutError(method)

    def _event(self, message):
        if "method" not in message:
            return
        self.events.append((message["method"], message.get("params", {})))
        if message["method"] == "Page.javascriptDialogOpening":
            self.dialogs.append(message["params"].get("message", ""))
            accept, text = self.dialog_answers.pop(0) if self.dialog_answers else (False, "")
            # Answered from the event loop: the page is blocked until the dialog is closed.
            self.next_id += 1
            self.socket.send(json.dumps({"id": self.next_id, "method": "Page.handleJavaScriptDialog",
                                         "params": {"accept": accept, "promptText": text}}))

    def pump(self, seconds):
        """Reads events for `seconds` (wall clock: only to let the browser work, never a speed assertion)."""
        deadline = time.monotonic() + seconds
        self.socket.settimeout(0.1)
        try:
            while time.monotonic() < deadline:
                try:
                    self._event(json.loads(self.socket.recv()))
                except websocket.WebSocketTimeoutException:
                    pass
        finally:
            self.socket.settimeout(60)

    def evaluate(self, expression):
        """The value of a JavaScript expression in the page (CDP's evaluation is not subject to the page's CSP)."""
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        return result.get("result", {}).get("value")

    def wait_for(self, expression, seconds=60):
        """Polls `expression` until it is truthy; returns its value, or None after `seconds` (a bound on a hang)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            self.pump(0.2)
        return None

    def click(self, selector):
        """Clicks the centre of the element `selector` with real mouse events; False if there is none."""
        box = self.evaluate(
            f"(function(){{var e=document.querySelector({json.dumps(selector)}); if(!e) return null;"
            "e.scrollIntoView({block:'center'}); var r=e.getBoundingClientRect();"
            "return [r.left + r.width / 2, r.top + r.height / 2];})()")
        if not box:
            return False
        x, y = box
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=x, y=y, button="left", clickCount=1)
        return True

    def console_messages(self):
        """Text of the console and log messages so far."""
        texts = []
        for method, params in self.events:
            if method == "Log.entryAdded":
                texts.append(params["entry"].get("text", ""))
            elif method == "Runtime.consoleAPICalled":
                texts.append(" ".join(str(a.get("value", "")) for a in params.get("args", [])))
            elif method == "Runtime.exceptionThrown":
                texts.append(params.get("exceptionDetails", {}).get("text", ""))
        return texts

    def responses(self):
        """(url, status, method?) of the network responses so far."""
        return [(p["response"]["url"], p["response"]["status"]) for m, p in self.events
                if m == "Network.responseReceived"]

    def close(self):
        self.socket.close()


def connect(profile_directory, seconds=30):
    """A new page of the Chromium whose profile is `profile_directory`, with the domains the tests read enabled."""
    port_file = os.path.join(profile_directory, "DevToolsActivePort")
    deadline = time.monotonic() + seconds
    while not os.path.exists(port_file) and time.monotonic() < deadline:
        time.sleep(0.1)
    with open(port_file, encoding="utf-8") as handle:
        port = handle.readline().strip()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/json/new?about:blank", method="PUT")
    with urllib.request.urlopen(request, timeout=30) as response:
        target = json.load(response)
    page = Page(target["webSocketDebuggerUrl"])
    for domain in ("Page", "Runtime", "Network", "Log"):
        page.call(f"{domain}.enable")
    return page

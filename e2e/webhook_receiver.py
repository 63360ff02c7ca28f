#!/usr/bin/env python3
"""A webhook receiver for Alertmanager notifications, for the end-to-end test (standard library only).

Every POST body is appended to --output as one line of JSON (JSON Lines), flushed at once.
GET /-/healthy answers 200; GET /notifications returns the recorded bodies as a JSON array.
With --port 0 the system picks a free port; --port-file receives the port actually bound.
Stops on SIGTERM or SIGINT.
"""

import argparse
import json
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Receiver(BaseHTTPRequestHandler):
    server_version = "webhook-receiver/1"
    lock = threading.Lock()
    output = None

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        try:
            document = json.loads(body)
        except ValueError:
            self._reply(400, b"body is not JSON\n")
            return
        line = json.dumps(document, separators=(",", ":"), sort_keys=True) + "\n"
        with self.lock, open(self.output, "a", encoding="utf-8") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())
        self.log_message("recorded %s notification with %d alert(s)",
                         document.get("status"), len(document.get("alerts") or []))
        self._reply(200, b"ok\n")

    def do_GET(self):
        if self.path == "/-/healthy":
            self._reply(200, b"ok\n")
        elif self.path == "/notifications":
            with self.lock:
                try:
                    with open(self.output, encoding="utf-8") as handle:
                        bodies = [json.loads(line) for line in handle if line.strip()]
                except FileNotFoundError:
                    bodies = []
            self._reply(200, json.dumps(bodies).encode() + b"\n", "application/json")
        else:
            self._reply(404, b"not found\n")

    def _reply(self, code, body, content_type="text/plain; charset=utf-8"):
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format, *args):
        sys.stderr.write("webhook_receiver: %s\n" % (format % args))
        sys.stderr.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bind", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, required=True, help="port to listen on; 0 for any free port")
    parser.add_argument("--output", required=True, help="file the notifications are appended to (JSON Lines)")
    parser.add_argument("--port-file", help="write the bound port to this file once listening")
    args = parser.parse_args()

    Receiver.output = args.output
    open(args.output, "a").close()
    server = ThreadingHTTPServer((args.bind, args.port), Receiver)
    server.daemon_threads = True
    port = server.server_address[1]
    if args.port_file:
        temporary = args.port_file + ".tmp"
        with open(temporary, "w") as handle:
            handle.write(f"{port}\n")
        os.replace(temporary, args.port_file)

    def stop(signum, frame):
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    sys.stderr.write(f"webhook_receiver: listening on {args.bind}:{port}, recording to {args.output}\n")
    sys.stderr.flush()
    server.serve_forever(poll_interval=0.2)
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

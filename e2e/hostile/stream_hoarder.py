#!/usr/bin/env python3
"""A client that hoards event streams, and one that stops reading, against the demo.

Usage: stream_hoarder.py URL ADMIN_USER ADMIN_PASSWORD STREAMS_PER_ADDRESS

The demo must run with --streams-per-address STREAMS_PER_ADDRESS, a short --heartbeat-interval (1s) and a short
--request-timeout (3s). Checks, printed as PASS or FAIL:
  1. one address opens STREAMS_PER_ADDRESS streams; one more is 429 with the JSON error too_many_streams and
     Retry-After; another address still gets a stream;
  2. a quiet stream receives heartbeat comments;
  3. a client that stops reading (a small receive window, never read) while events flow is cut by the server,
     and leaves the status API's client count;
  4. when the hoarder lets go, the count goes back down.
Exits 1 if any failed. Bounded: every wait has a limit.
"""
import base64
import json
import socket
import sys
import time
import urllib.request
from urllib.parse import urlparse

failures = 0


def check(description, condition, detail=""):
    global failures
    print(("PASS " if condition else "FAIL ") + description + (f" {detail}" if not condition else ""))
    if not condition:
        failures += 1


def open_stream(host, port, source, receive_buffer=None):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if receive_buffer:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.bind((source, 0))
    sock.settimeout(10)
    sock.connect((host, port))
    sock.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: demo\r\n\r\n")
    return sock


def read_until(sock, marker, seconds):
    data = b""
    deadline = time.monotonic() + seconds
    sock.settimeout(0.5)
    while marker not in data and time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except socket.timeout:
            continue
        if not chunk:
            break
        data += chunk
    return data


def clients(base):
    with urllib.request.urlopen(f"{base}/api/v1/breakers", timeout=10) as response:
        return json.load(response)["event_stream"]["clients"]


def wait_until(condition, seconds):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def main(base, user, password, limit):
    limit = int(limit)
    target = urlparse(base)
    host, port = target.hostname, target.port
    hoarded = []
    for _ in range(limit):
        sock = open_stream(host, port, "127.0.0.1")
        head = read_until(sock, b"retry: 2000", 10)
        hoarded.append(sock)
        if not head.startswith(b"HTTP/1.1 200"):
            check("each of the address's streams is accepted", False, head[:80])
    check(f"one address holds {limit} streams", wait_until(lambda: clients(base) >= limit, 10), clients(base))
    extra = open_stream(host, port, "127.0.0.1")
    answer = read_until(extra, b"}}", 10)
    extra.close()
    body = answer.split(b"\r\n\r\n", 1)[-1]
    check("one more from the same address is 429", answer.startswith(b"HTTP/1.1 429"), answer[:60])
    check("with Retry-After and the JSON error too_many_streams",
          b"Retry-After:" in answer and b'"code":"too_many_streams"' in body, answer[:300])
    other = open_stream(host, port, "127.0.0.2")
    check("another address still gets a stream", read_until(other, b"retry: 2000", 10).startswith(b"HTTP/1.1 200"))
    check("a quiet stream gets heartbeat comments", b": keep-alive" in read_until(other, b": keep-alive", 10))

    # A client that stops reading while events flow.
    before = clients(base)
    stalled = open_stream(host, port, "127.0.0.3", receive_buffer=2048)
    check("the non-reader's stream is open", wait_until(lambda: clients(base) == before + 1, 10))
    authorization = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
    reason = "r" * 400
    for index in range(80):
        for method, body in (("POST", json.dumps({"action": "disable", "reason": reason, "ttl": "5m"})), ("DELETE", None)):
            request = urllib.request.Request(f"{base}/api/v1/breakers/catalog/override", method=method,
                                             data=body.encode() if body else None,
                                             headers={"Authorization": authorization,
                                                      "Content-Type": "application/json"})
            with urllib.request.urlopen(request, timeout=10) as response:
                response.read()
    # At most `before`: the hoarder's own streams do not read either, and may be cut for it too once their
    # (larger) receive windows fill.
    check("the server cuts the client that stopped reading (it leaves the client count)",
          wait_until(lambda: clients(base) <= before, 30), f"{clients(base)} clients, {before} before")
    received = b""
    stalled.settimeout(5)
    closed = False
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            chunk = stalled.recv(65536)
        except socket.timeout:
            break
        except ConnectionError:
            closed = True
            break
        if not chunk:
            closed = True
            break
        received += chunk
    check("its connection is closed (after what the kernel had buffered)", closed, len(received))
    stalled.close()

    for sock in hoarded + [other]:
        sock.close()
    check("the hoarder's streams are released when it lets go", wait_until(lambda: clients(base) == 0, 20),
          clients(base))
    print(f"stream hoarder: {failures} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    if len(sys.argv) != 5:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(*sys.argv[1:]))

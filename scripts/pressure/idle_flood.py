#!/usr/bin/env python3
"""Holds a flood of idle TCP connections from many loopback addresses, and times a scrape and a health check from
another address while they are held.

The flood opens SOCKETS connections spread over ADDRESSES source addresses (127.0.0.2 onwards) and never sends a
byte. A connection the server closes (its deadline, or eviction) is opened again at once, so that SOCKETS stay
held, as an attacker would do. Once they are all connected, the probes run from 127.0.0.1: `GET /metrics` and
`GET /-/healthy`, each on a new connection, several times; every probe must be a complete 200 within LIMIT seconds.

    scripts/pressure/idle_flood.py --port 9464 --sockets 600 --addresses 20 --probes 5

Prints the slowest probe of each kind; exits 1 if a probe failed or took longer than --limit.
"""

import argparse
import selectors
import socket
import sys
import threading
import time

from http_client import source_addresses, timed_get


class Flood(threading.Thread):
    """Keeps `count` idle connections open, re-opening any the server closes."""

    def __init__(self, port, count, addresses):
        super().__init__(daemon=True)
        self.port = port
        self.count = count
        self.addresses = addresses
        self.selector = selectors.DefaultSelector()
        self.connected = 0
        self.reopened = 0
        self.failed = 0
        self.stopping = threading.Event()
        self.lock = threading.Lock()

    def open(self, index):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.bind((self.addresses[index % len(self.addresses)], 0))
        sock.connect_ex(("127.0.0.1", self.port))
        self.selector.register(sock, selectors.EVENT_WRITE, (index, False))

    def run(self):
        for index in range(self.count):
            self.open(index)
        buffer = bytearray(4096)
        while not self.stopping.is_set():
            for key, events in self.selector.select(timeout=0.2):
                index, established = key.data
                sock = key.fileobj
                if not established:
                    error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if error == 0:
                        with self.lock:
                            self.connected += 1
                        self.selector.modify(sock, selectors.EVENT_READ, (index, True))
                        continue
                    with self.lock:
                        self.failed += 1
                else:
                    try:
                        if sock.recv_into(buffer) > 0:
                            continue  # the server said something (an error page): keep waiting for its close
                    except BlockingIOError:
                        continue
                    except OSError:
                        pass
                    with self.lock:
                        self.connected -= 1
                        self.reopened += 1
                self.selector.unregister(sock)
                sock.close()
                self.open(index)
        for key in list(self.selector.get_map().values()):
            key.fileobj.close()
        self.selector.close()

    def held(self):
        with self.lock:
            return self.connected


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--sockets", type=int, default=600)
    parser.add_argument("--addresses", type=int, default=20, help="source addresses 127.0.0.2 onwards")
    parser.add_argument("--probes", type=int, default=5, help="scrapes and health checks while the flood is held")
    parser.add_argument("--limit", type=float, default=1.0, help="seconds a probe may take")
    arguments = parser.parse_args()

    flood = Flood(arguments.port, arguments.sockets, source_addresses(arguments.addresses))
    flood.start()
    deadline = time.monotonic() + 30
    while flood.held() < arguments.sockets and time.monotonic() < deadline:
        time.sleep(0.05)
    print(f"flood: {flood.held()} of {arguments.sockets} idle sockets held from {arguments.addresses} addresses",
          flush=True)
    failures = 0
    slowest = {}
    for _ in range(arguments.probes):
        for path in ("/metrics", "/-/healthy"):
            seconds, response = timed_get(arguments.port, path, source="127.0.0.1", timeout=10)
            held = flood.held()
            ok = response.status == 200 and response.complete and seconds < arguments.limit
            failures += 0 if ok else 1
            slowest[path] = max(slowest.get(path, 0), seconds)
            print(f"  {path}: {response.status} {'complete' if response.complete else 'INCOMPLETE'} "
                  f"{response.body_length} B in {seconds * 1000:.0f} ms with {held} idle sockets held"
                  f"{'' if ok else '  <- FAILED'}", flush=True)
        time.sleep(0.5)
    flood.stopping.set()
    flood.join()
    print(f"flood: the server closed {flood.reopened} idle sockets (re-opened), {flood.failed} connects failed")
    for path, seconds in slowest.items():
        print(f"slowest {path}: {seconds * 1000:.0f} ms (limit {arguments.limit * 1000:.0f} ms)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

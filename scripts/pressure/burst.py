#!/usr/bin/env python3
"""Repeated bursts of simultaneous scrapes from many loopback addresses, with the server's peak memory.

Each burst opens N connections at once (source addresses 127.0.0.2 onwards, round robin), sends `GET PATH` on all of
them, and reads every response to its last byte on one thread (selectors), so that the server sends N large bodies
at the same time. A thread samples the server's VmRSS every 50 ms; VmHWM is the kernel's lifetime peak.

Prints one line per burst (complete, truncated, other statuses) and a summary; exits 1 if any response was not a
complete 200, or the peak passed --limit-mb.

    scripts/pressure/burst.py --port 9464 --pid PID --clients 500 --bursts 5 --addresses 25 --limit-mb 250
"""

import argparse
import selectors
import socket
import sys
import threading
import time

from http_client import memory_kb, parse_head, request_bytes, source_addresses


class Scrape:
    def __init__(self, sock):
        self.sock = sock
        self.head = bytearray()
        self.status = 0
        self.length = -1
        self.received = 0
        self.done = False
        self.outcome = None


def run_burst(port, clients, addresses, path, timeout, gzip):
    selector = selectors.DefaultSelector()
    scrapes = []
    headers = {"Connection": "close"}
    if gzip:
        headers["Accept-Encoding"] = "gzip"
    request = request_bytes(path, headers=headers)
    for index in range(clients):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind((addresses[index % len(addresses)], 0))
        sock.setblocking(False)
        sock.connect_ex(("127.0.0.1", port))
        scrape = Scrape(sock)
        scrapes.append(scrape)
        selector.register(sock, selectors.EVENT_WRITE, scrape)
    buffer = bytearray(1 << 20)
    view = memoryview(buffer)
    started = time.monotonic()
    pending = clients
    while pending and time.monotonic() - started < timeout:
        for key, events in selector.select(timeout=0.5):
            scrape = key.data
            if events & selectors.EVENT_WRITE:
                try:
                    scrape.sock.send(request)  # a few dozen bytes: fits the empty send buffer at once
                except OSError as error:
                    finish(selector, scrape, f"connect/send: {error.strerror}")
                    pending -= 1
                    continue
                selector.modify(scrape.sock, selectors.EVENT_READ, scrape)
                continue
            try:
                count = scrape.sock.recv_into(view)
            except BlockingIOError:
                continue
            except OSError:
                count = 0
            if count == 0:
                finish(selector, scrape, classify(scrape, closed=True))
                pending -= 1
                continue
            if scrape.length < 0 and scrape.status == 0:
                scrape.head += view[:count]
                end = scrape.head.find(b"\r\n\r\n")
                if end < 0:
                    continue
                scrape.status, headers = parse_head(bytes(scrape.head[:end]))
                scrape.length = int(headers.get("content-length", "-1"))
                scrape.received = len(scrape.head) - end - 4
                scrape.head = bytearray()
            else:
                scrape.received += count
            if scrape.length >= 0 and scrape.received >= scrape.length:
                finish(selector, scrape, classify(scrape, closed=False))
                pending -= 1
    for scrape in scrapes:
        if not scrape.done:
            finish(selector, scrape, "timeout")
    selector.close()
    outcomes = {}
    for scrape in scrapes:
        outcomes[scrape.outcome] = outcomes.get(scrape.outcome, 0) + 1
    return time.monotonic() - started, outcomes, scrapes


def classify(scrape, closed):
    if scrape.status == 0:
        return "no response"
    if scrape.status != 200:
        return f"status {scrape.status}"
    if scrape.length >= 0 and scrape.received == scrape.length:
        return "complete"
    return "truncated"


def finish(selector, scrape, outcome):
    scrape.done = True
    scrape.outcome = outcome
    try:
        selector.unregister(scrape.sock)
    except (KeyError, ValueError):
        pass
    scrape.sock.close()


class Sampler(threading.Thread):
    """Samples VmRSS every 50 ms and keeps the highest value."""

    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.peak = 0
        self.stopping = threading.Event()

    def run(self):
        while not self.stopping.is_set():
            try:
                self.peak = max(self.peak, memory_kb(self.pid).get("VmRSS", 0))
            except OSError:
                return
            self.stopping.wait(0.05)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True, help="the server process, for its memory")
    parser.add_argument("--clients", type=int, default=500)
    parser.add_argument("--bursts", type=int, default=5)
    parser.add_argument("--addresses", type=int, default=25, help="source addresses 127.0.0.2 onwards")
    parser.add_argument("--path", default="/metrics")
    parser.add_argument("--gzip", action="store_true", help="ask for gzip (default: plain, the larger body)")
    parser.add_argument("--timeout", type=float, default=120.0, help="seconds one burst may take")
    parser.add_argument("--pause", type=float, default=1.0, help="seconds between bursts")
    parser.add_argument("--limit-mb", type=int, default=0, help="fail if the peak (VmHWM) exceeds this many MB")
    arguments = parser.parse_args()

    addresses = source_addresses(arguments.addresses)
    before = memory_kb(arguments.pid)
    sampler = Sampler(arguments.pid)
    sampler.start()
    failures = 0
    for burst in range(1, arguments.bursts + 1):
        seconds, outcomes, _ = run_burst(arguments.port, arguments.clients, addresses, arguments.path,
                                         arguments.timeout, arguments.gzip)
        failures += sum(count for outcome, count in outcomes.items() if outcome != "complete")
        summary = ", ".join(f"{count} {outcome}" for outcome, count in sorted(outcomes.items()))
        print(f"burst {burst}: {seconds:.1f} s: {summary}; VmRSS now {memory_kb(arguments.pid)['VmRSS'] // 1024} MB",
              flush=True)
        time.sleep(arguments.pause)
    sampler.stopping.set()
    sampler.join()
    after = memory_kb(arguments.pid)
    print(f"memory: VmRSS before {before['VmRSS'] // 1024} MB, highest sampled {sampler.peak // 1024} MB, "
          f"after {after['VmRSS'] // 1024} MB; VmHWM (lifetime peak) {after['VmHWM'] // 1024} MB")
    print(f"responses not complete: {failures}")
    peak_mb = max(after["VmHWM"], sampler.peak) // 1024
    over = arguments.limit_mb and peak_mb >= arguments.limit_mb
    if arguments.limit_mb:
        print(f"peak RSS {peak_mb} MB (limit {arguments.limit_mb} MB){'  <- FAILED' if over else ''}")
    return 1 if failures or over else 0


if __name__ == "__main__":
    sys.exit(main())

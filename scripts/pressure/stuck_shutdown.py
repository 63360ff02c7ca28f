#!/usr/bin/env python3
"""SIGTERM with a render stuck: how long the demo takes to exit, and what its clients see meanwhile.

Starts the demo with `--hang-renders-after 1` (a hidden, test-only flag: every render after the first blocks
forever, as a source that hangs would), warms it with one scrape, then:
- opens KEEPALIVE keep-alive connections that each send `GET /metrics` again as soon as they get an answer (a
  scraper in a hurry), and one idle keep-alive connection that has made one health check;
- waits until the scrapes are waiting for the stuck render, sends SIGTERM, and times the exit.

Passes when the demo exits within the grace period + 1 s, and no keep-alive connection gets more than one answer
after the signal (they are closed, not served a stream of 503s).

    scripts/pressure/stuck_shutdown.py --demo .build/release/breaker-demo --port 9464 --grace 5
"""

import argparse
import os
import signal
import socket
import subprocess
import sys
import threading
import time

from http_client import connect, read_response, request_bytes, timed_get


class KeepAliveScraper(threading.Thread):
    """Sends `GET /metrics` on one connection again and again; counts the answers that arrive after `signalled`."""

    def __init__(self, port, signalled):
        super().__init__(daemon=True)
        self.port = port
        self.signalled = signalled
        self.after_signal = []
        self.closed_after_signal = False
        self.waiting = threading.Event()

    def run(self):
        sock = connect(self.port, timeout=60)
        while True:
            try:
                sock.sendall(request_bytes("/metrics"))
            except OSError:
                self.closed_after_signal = self.signalled.is_set()
                return
            self.waiting.set()
            response = read_response(sock, deadline=time.monotonic() + 60)
            if self.signalled.is_set() and response.status:
                self.after_signal.append(response.status)
            if response.closed or response.status == 0 or response.headers.get("connection") == "close":
                self.closed_after_signal = self.signalled.is_set()
                return


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--demo", required=True, help="the breaker-demo executable")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--breakers", type=int, default=1000)
    parser.add_argument("--grace", type=float, default=5.0, help="the server's shutdown grace period (the default)")
    parser.add_argument("--keepalive", type=int, default=4, help="keep-alive scrapers")
    arguments = parser.parse_args()

    demo = subprocess.Popen(
        [arguments.demo, "--port", str(arguments.port), "--quiet", "--rate", "5",
         "--extra-breakers", str(arguments.breakers - 3), "--hang-renders-after", "1"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(200):
            seconds, response = timed_get(arguments.port, "/-/healthy", timeout=1)
            if response.status == 200:
                break
            time.sleep(0.05)
        seconds, warm = timed_get(arguments.port, "/metrics", timeout=30)
        print(f"warm-up scrape (render 1): {warm.status}, {warm.body_length} B in {seconds * 1000:.0f} ms")

        idle = connect(arguments.port, timeout=30)
        idle.sendall(request_bytes("/-/healthy"))
        first = read_response(idle, deadline=time.monotonic() + 10)
        print(f"idle keep-alive connection: health check {first.status}, then idle")

        signalled = threading.Event()
        scrapers = [KeepAliveScraper(arguments.port, signalled) for _ in range(arguments.keepalive)]
        for scraper in scrapers:
            scraper.start()
        for scraper in scrapers:
            scraper.waiting.wait(10)
        time.sleep(0.5)  # their scrapes are now waiting for render 2, which never finishes
        started = time.monotonic()
        signalled.set()
        demo.send_signal(signal.SIGTERM)
        try:
            status = demo.wait(timeout=arguments.grace + 30)
        except subprocess.TimeoutExpired:
            status = None
        elapsed = time.monotonic() - started
        idle.settimeout(1)
        try:
            idle_closed = idle.recv(4096) == b""
        except (socket.timeout, OSError):
            idle_closed = False
        for scraper in scrapers:
            scraper.join(5)
        answers = [len(scraper.after_signal) for scraper in scrapers]
        statuses = sorted({code for scraper in scrapers for code in scraper.after_signal})
        print(f"keep-alive scrapers: answers after SIGTERM per connection {answers} (status {statuses}), "
              f"closed: {sum(scraper.closed_after_signal for scraper in scrapers)}/{len(scrapers)}")
        print(f"idle keep-alive connection closed by the server: {idle_closed}")
        limit = arguments.grace + 1
        ok = status is not None and elapsed <= limit and max(answers, default=0) <= 1
        print(f"SIGTERM to exit: {elapsed:.2f} s (exit status {status}; limit: grace {arguments.grace:.0f} s + 1 s)"
              f"{'' if ok else '  <- FAILED'}")
        return 0 if ok else 1
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait()


if __name__ == "__main__":
    sys.exit(main())

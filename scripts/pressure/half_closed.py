#!/usr/bin/env python3
"""Half-closed requests: each client sends `GET PATH`, then shuts down its sending side (HTTP/1.1 allows it), and
reads until the server closes the connection. A request passes when its response is complete (the body as long as
its Content-Length) and the server closes the connection within --close-limit seconds of the last byte.

    scripts/pressure/half_closed.py --port 9464 --concurrent 16 /metrics /-/healthy /healthz / /no-such-page

For each path, CONCURRENT clients run at once. Prints complete/total per path and the slowest close; exits 1 unless
every response was complete and promptly closed.
"""

import argparse
import socket
import sys
import threading
import time

from http_client import connect, read_response, request_bytes


def half_closed(port, path, results, index, timeout):
    started = time.monotonic()
    try:
        sock = connect(port, timeout=timeout)
        sock.sendall(request_bytes(path))
        sock.shutdown(socket.SHUT_WR)
        response = read_response(sock, deadline=started + timeout)
        last_byte = time.monotonic()
        closed = response.closed
        if response.complete and not closed:
            # The body is complete; now the server should close.
            closed = read_response_end(sock, started + timeout)
        results[index] = (response, closed, time.monotonic() - last_byte)
        sock.close()
    except OSError as error:
        results[index] = (None, False, 0.0, str(error))


def read_response_end(sock, deadline):
    """Whether the server closes the connection before the deadline (sending nothing more)."""
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        sock.settimeout(remaining)
        try:
            if not sock.recv(4096):
                return True
        except socket.timeout:
            return False
        except OSError:
            return True


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--concurrent", type=int, default=16)
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds one request may take in all")
    parser.add_argument("--close-limit", type=float, default=1.0, help="seconds from the last byte to the close")
    parser.add_argument("paths", nargs="+")
    arguments = parser.parse_args()

    failed = 0
    for path in arguments.paths:
        results = [None] * arguments.concurrent
        threads = [threading.Thread(target=half_closed, args=(arguments.port, path, results, index, arguments.timeout))
                   for index in range(arguments.concurrent)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        complete = sum(1 for result in results if result and result[0] and result[0].complete)
        closed = sum(1 for result in results if result and result[1] and result[2] <= arguments.close_limit)
        statuses = sorted({result[0].status for result in results if result and result[0]})
        slowest_close = max((result[2] for result in results if result and result[1]), default=0)
        ok = complete == arguments.concurrent and closed == arguments.concurrent
        failed += 0 if ok else 1
        print(f"{path}: {complete}/{arguments.concurrent} complete responses (status {statuses}), "
              f"{closed}/{arguments.concurrent} closed within {arguments.close_limit:.1f} s "
              f"(slowest close {slowest_close * 1000:.0f} ms after the last byte){'' if ok else '  <- FAILED'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

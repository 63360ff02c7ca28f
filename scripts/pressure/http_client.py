"""Small raw-socket HTTP/1.1 client helpers for the exporter's pressure tests (standard library only).

The pressure tests need what ordinary clients hide: the source address of each connection (127.0.0.x on loopback,
so that a flood looks like many hosts), half-closing the sending side, and reading a response to its last byte to
tell a complete body from a truncated one.
"""

import socket
import time


def connect(port, source="127.0.0.1", host="127.0.0.1", timeout=10.0):
    """A TCP connection to host:port from the loopback address `source` (any 127.0.0.0/8 address works)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    sock.bind((source, 0))
    sock.connect((host, port))
    return sock


def request_bytes(path, method="GET", headers=None):
    """A request head; `Host` is always sent."""
    lines = [f"{method} {path} HTTP/1.1", "Host: pressure"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class Response:
    """What arrived: the status (0 if no head), the headers, the body length, and whether the body is complete."""

    def __init__(self, status=0, headers=None, body_length=0, complete=False, closed=False, error=None):
        self.status = status
        self.headers = headers or {}
        self.body_length = body_length
        self.complete = complete
        self.closed = closed
        self.error = error

    def __repr__(self):
        return (f"Response(status={self.status}, body={self.body_length}, complete={self.complete}, "
                f"closed={self.closed}, error={self.error})")


def parse_head(head):
    """(status, lower-cased headers) of a response head without its final blank line."""
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else -1
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers


def read_response(sock, method="GET", deadline=None, until_close=False):
    """Reads one response with a Content-Length body (the exporter's responses have one). With `until_close`, keeps
    reading after the body until the server closes the connection (or the deadline), and reports whether it did."""
    buffer = bytearray()
    chunk = bytearray(1 << 20)
    view = memoryview(chunk)
    head_end = -1
    while head_end < 0:
        data = _recv(sock, view, deadline)
        if data is None:
            return Response(error="timeout before the head")
        if data == 0:
            return Response(closed=True, error="closed before the head")
        buffer += view[:data]
        head_end = buffer.find(b"\r\n\r\n")
    status, headers = parse_head(bytes(buffer[:head_end]))
    length = 0 if method == "HEAD" else int(headers.get("content-length", "-1"))
    received = len(buffer) - head_end - 4
    closed = False
    while length < 0 or received < length:
        data = _recv(sock, view, deadline)
        if data is None:
            return Response(status, headers, received, False, False, "timeout in the body")
        if data == 0:
            closed = True
            break
        received += data
    complete = length >= 0 and received == length
    if until_close and not closed:
        while True:
            data = _recv(sock, view, deadline)
            if data is None:
                break
            if data == 0:
                closed = True
                break
            received += data
            complete = False  # bytes after the response
    return Response(status, headers, received, complete, closed)


def _recv(sock, view, deadline):
    """recv_into with the socket's timeout capped by `deadline`: the byte count, 0 at EOF, None on timeout."""
    if deadline is not None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        sock.settimeout(remaining)
    try:
        return sock.recv_into(view)
    except socket.timeout:
        return None
    except (ConnectionResetError, BrokenPipeError):
        return 0


def timed_get(port, path, source="127.0.0.1", timeout=10.0):
    """(seconds, Response) of one GET on a fresh connection from `source`, measured from connect to last byte."""
    started = time.monotonic()
    try:
        sock = connect(port, source, timeout=timeout)
    except OSError as error:
        return time.monotonic() - started, Response(error=f"connect: {error}")
    try:
        sock.sendall(request_bytes(path, headers={"Connection": "close"}))
        response = read_response(sock, deadline=started + timeout)
    except OSError as error:
        response = Response(error=str(error))
    finally:
        sock.close()
    return time.monotonic() - started, response


def source_addresses(count, first=2):
    """`count` loopback source addresses: 127.0.0.<first> onwards."""
    return [f"127.0.0.{first + index}" for index in range(count)]


def memory_kb(pid):
    """{'VmRSS': kB, 'VmHWM': kB} of a process, from /proc/PID/status."""
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, rest = line.partition(":")
            if name in ("VmRSS", "VmHWM"):
                values[name] = int(rest.split()[0])
    return values

#!/usr/bin/python3
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
"""Clients for tests/e2e/test_http.sh that curl cannot be: raw requests,
a 1 MB header, a slowloris, an idle connection, a flood of connections, and
a reader that swaps the server's body while it reads.

http_client.py raw HOST PORT            request on stdin (sent as is), answer on stdout
http_client.py bigheader HOST PORT SIZE a header field of SIZE bytes; prints the status line
http_client.py slowloris HOST PORT      one byte per second until answered or closed
http_client.py idle HOST PORT           connect, send nothing, report what happens
http_client.py flood HOST PORT N DIR [full]
                                        N connections each with half a request (or a
                                        whole one, the answer never read); writes
                                        DIR/open, waits for DIR/done, reports how many
                                        the server closed
http_client.py hold HOST PORT RATE SECONDS SOURCES
                                        RATE connections a second, each with a whole
                                        request, a small receive window, and the answer
                                        never read; all held to the end; prints how many.
                                        SOURCES: their addresses, 127.0.1.1 and up
http_client.py swap HOST PORT PID LOG SIZE
                                        GET /metrics, after 64 KiB signal PID (SIGUSR1),
                                        wait for "swapped" in LOG, read the rest: the body
                                        must be SIZE bytes of 'A'
"""
import os
import signal
import socket
import sys
import threading
import time


def connect(host, port, timeout=5.0):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((host, int(port)))
    return s


def read_all(s):
    data = bytearray()
    while True:
        try:
            chunk = s.recv(1 << 20)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return bytes(data)


def status_line(data):
    return data.split(b"\r\n", 1)[0].decode("latin-1")


def cmd_raw(host, port):
    s = connect(host, port)
    s.sendall(sys.stdin.buffer.read())
    sys.stdout.buffer.write(read_all(s))


def cmd_bigheader(host, port, size):
    s = connect(host, port, timeout=10)
    head = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * int(size) + b"\r\n\r\n"
    sent = [0]

    def send():
        try:
            view = memoryview(head)
            while view:
                n = s.send(view)
                sent[0] += n
                view = view[n:]
        except OSError:
            pass

    t = threading.Thread(target=send, daemon=True)
    t.start()
    data = read_all(s)
    t.join(5)
    print(status_line(data) if data else "no answer")


def cmd_slowloris(host, port):
    req = b"GET /metrics HTTP/1.1\r\nHost: x\r\n"
    s = connect(host, port)
    s.settimeout(1.0)
    n = 0
    start = time.monotonic()
    while time.monotonic() - start < 30:
        if n < len(req):
            try:
                s.send(req[n:n + 1])
                n += 1
                print("sent %d" % n, flush=True)
            except OSError:
                print("closed after %d bytes" % n, flush=True)
                return
        try:
            data = s.recv(4096)
        except socket.timeout:
            continue
        except ConnectionResetError:
            print("reset after %d bytes" % n, flush=True)
            return
        if data:
            print("answered after %d bytes in %.0f s: %s" %
                  (n, time.monotonic() - start, status_line(data)), flush=True)
        else:
            print("closed after %d bytes" % n, flush=True)
        return
    print("still open after 30 s", flush=True)


def cmd_idle(host, port):
    s = connect(host, port, timeout=15)
    start = time.monotonic()
    try:
        data = read_all(s)
    except socket.timeout:
        print("still open after 15 s")
        return
    print("closed after %.0f s: %s" % (time.monotonic() - start,
                                        status_line(data) if data else "no answer"))


def cmd_flood(host, port, n, d, mode="half"):
    req = b"GET /metrics HTTP/1.1\r\n"
    if mode == "full":  # a whole request, and then never read the answer
        req += b"Host: x\r\n\r\n"
    socks = []
    for _ in range(int(n)):
        try:
            s = connect(host, port)
        except OSError as e:
            print("connect failed: %s" % e)
            break
        socks.append(s)
        try:
            s.send(req)
            if mode == "full":  # the answer has begun: busy, not reading
                s.recv(1)
        except OSError:
            pass  # closed to make room for a newer one, or refused
    with open(os.path.join(d, "open"), "w") as f:
        f.write("%d\n" % len(socks))
    for _ in range(600):
        if os.path.exists(os.path.join(d, "done")):
            break
        time.sleep(0.05)
    closed = 0
    for s in socks:
        s.setblocking(False)
        try:
            if s.recv(4096) == b"":
                closed += 1
        except BlockingIOError:
            pass
        except OSError:
            closed += 1
        s.close()
    print("opened %d closed_by_server %d" % (len(socks), closed))


def cmd_hold(host, port, rate, seconds, sources):
    req = b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n"
    socks = []
    start = time.monotonic()
    n = 0
    while time.monotonic() - start < float(seconds):
        due = start + n / float(rate)
        time.sleep(max(0.0, due - time.monotonic()))
        src = "127.0.1.%d" % (1 + n % int(sources))
        n += 1
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        s = socket.socket(fam, socket.SOCK_STREAM)
        # a small window: the answer stays in the server's send buffer
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1024)
        s.settimeout(1.0)
        try:
            s.bind((src, 0))
            s.connect((host, int(port)))
            s.send(req)
        except OSError:
            pass
        socks.append(s)
    print("opened %d" % len(socks), flush=True)
    for s in socks:
        s.close()


def cmd_swap(host, port, pid, log, size):
    s = connect(host, port)
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while len(data) < 65536:
        chunk = s.recv(65536 - len(data))
        if not chunk:
            break
        data += chunk
    os.kill(int(pid), signal.SIGUSR1)
    for _ in range(100):
        with open(log) as f:
            if "swapped" in f.read():
                break
        time.sleep(0.05)
    else:
        print("the server did not swap")
        return
    data += read_all(s)
    head, _, body = data.partition(b"\r\n\r\n")
    print("%s; body %d bytes, %s" % (status_line(head), len(body),
                                     "all A" if body == b"A" * int(size) else "NOT all A"))


def main():
    cmds = {"raw": cmd_raw, "bigheader": cmd_bigheader, "slowloris": cmd_slowloris,
            "idle": cmd_idle, "flood": cmd_flood, "hold": cmd_hold, "swap": cmd_swap}
    if len(sys.argv) < 2 or sys.argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    cmds[sys.argv[1]](*sys.argv[2:])


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The two ends of a migration through xsavectl relay, played without QEMU.

usage: relay-peers.py STREAM RELAY_PORT DEST_PORT OUT [PAUSE_AT]

A destination listening on DEST_PORT reads what the relay passes on until it holds as many
bytes as STREAM (the relay changes no length) or the relay closes, writes them to OUT, then
answers on the same connection (as a destination's return path does after a load) and waits
for the end.  The source connects to RELAY_PORT and sends STREAM, pausing 1 s after its
first PAUSE_AT bytes (PAUSE seconds in the environment), and then, like a source with the return path, keeps its connection
open until the destination's answer comes back through the relay.  Prints "answered" when
the answer reached the source, else what it saw; exits 0 either way (the caller judges).
"""
import socket
import sys
import threading
import time

ANSWER = b"loaded\n"
LIMIT_S = 30


def destination(lsock, size, out, seen):
    lsock.settimeout(LIMIT_S)
    try:
        conn, _ = lsock.accept()
    except OSError as e:
        seen.append("destination: no connection (%s)" % e)
        return
    conn.settimeout(LIMIT_S)
    got = bytearray()
    try:
        while len(got) < size:
            b = conn.recv(1 << 16)
            if not b:
                break
            got += b
        with open(out, "wb") as f:
            f.write(got)
        if len(got) == size:
            conn.sendall(ANSWER)
            conn.shutdown(socket.SHUT_WR)
            while conn.recv(1 << 16):
                pass
    except OSError as e:
        seen.append("destination: %s after %d bytes" % (e, len(got)))
    conn.close()


def main():
    stream, rport, dport, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    pause_at = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    data = open(stream, "rb").read()
    seen = []
    lsock = socket.socket()
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind(("127.0.0.1", dport))
    lsock.listen(1)
    t = threading.Thread(target=destination, args=(lsock, len(data), out, seen))
    t.start()
    src = socket.create_connection(("127.0.0.1", rport), timeout=LIMIT_S)
    try:
        if pause_at:
            src.sendall(data[:pause_at])
            time.sleep(float(__import__("os").environ.get("PAUSE", "1")))
        src.sendall(data[pause_at:])
        back = bytearray()
        while len(back) < len(ANSWER):
            b = src.recv(64)
            if not b:
                break
            back += b
        print("answered" if bytes(back) == ANSWER else "source: %r back" % bytes(back))
    except OSError as e:
        print("source: %s" % e)
    src.close()
    t.join()
    lsock.close()
    for s in seen:
        print(s)


main()

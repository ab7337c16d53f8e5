#!/usr/bin/env python3
# A datagram socket standing for /dev/log in the hook's tests: every message a
# logger sends to it, one per line in the file, as the system logger receives it.
# usage: syslog-sink.py SOCKET FILE
import socket
import sys

s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "ab", buffering=0) as f:
    while True:
        f.write(s.recv(65536) + b"\n")

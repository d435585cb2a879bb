#!/usr/bin/python3
"""Hostile real servers for checker tests (127.0.0.1 only, bounded by the test's kill).
Modes, one listening port each, printed as JSON on stdout:
  smtp-flood:   "220-" then a line that never ends, ~20 MB/s
  smtp-trickle: "220-..." one byte every 200 ms, forever
  http-flood:   "HTTP/1.0 200 OK" and a header that never ends, ~20 MB/s
  http-trickle: a header one byte every 200 ms, forever
"""
import json, socket, sys, threading, time

def flood(c, first):
    c.sendall(first)
    chunk = b'A' * 65536
    while True:
        c.sendall(chunk)
        time.sleep(0.003)

def trickle(c, first):
    for b in first:
        c.sendall(bytes([b]))
        time.sleep(0.2)
    while True:
        c.sendall(b'A')
        time.sleep(0.2)

MODES = {
    'smtp-flood': lambda c: flood(c, b'220-'),
    'smtp-trickle': lambda c: trickle(c, b'220-hello'),
    'http-flood': lambda c: (c.recv(4096), flood(c, b'HTTP/1.0 200 OK\r\nX-A: ')),
    'http-trickle': lambda c: (c.recv(4096), trickle(c, b'HTTP/1.0 200 OK\r\nX-A: ')),
}

def serve(ls, fn):
    while True:
        c, _ = ls.accept()
        def run(c=c):
            try:
                fn(c)
            except OSError:
                pass
            finally:
                c.close()
        threading.Thread(target=run, daemon=True).start()

ports = {}
for name, fn in MODES.items():
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(('127.0.0.1', 0))
    ls.listen(64)
    ports[name] = ls.getsockname()[1]
    threading.Thread(target=serve, args=(ls, fn), daemon=True).start()
print(json.dumps(ports), flush=True)
time.sleep(float(sys.argv[1]) if len(sys.argv) > 1 else 60)

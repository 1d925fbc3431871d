#!/usr/bin/env python3
"""rawxmpp.py - a minimal XMPP client for the tests: it plays a stranger
who sends hand-written stanzas (plain bodies, extensions, spoofed carbons,
spoofed PEP events, queries) that no real client would.

    rawxmpp.py PORT USER PASSWORD [WAIT_SECONDS] < stanzas

Connects to 127.0.0.1:PORT without TLS, authenticates USER@localhost with
SCRAM-SHA-1, binds a resource, sends every line of standard input as one
raw stanza ({me} is replaced by its full JID), then prints whatever the
server sends for WAIT_SECONDS (default 1) and closes the stream.
Only for the loopback test server.
"""
import base64
import hashlib
import hmac
import os
import re
import socket
import sys
import time


def recv_until(sock, buf, pattern, timeout=10.0):
    end = time.time() + timeout
    while not re.search(pattern, buf):
        sock.settimeout(max(0.05, end - time.time()))
        try:
            data = sock.recv(65536)
        except socket.timeout:
            data = b""
        if not data and time.time() >= end:
            raise SystemExit("rawxmpp: timed out waiting for %r" % pattern)
        buf += data.decode("utf-8", "replace")
    return buf


def open_stream(sock, buf):
    sock.sendall(b"<?xml version='1.0'?><stream:stream to='localhost' "
                 b"xmlns='jabber:client' "
                 b"xmlns:stream='http://etherx.jabber.org/streams' "
                 b"version='1.0'>")
    return recv_until(sock, buf, r"</stream:features>")


def scram(sock, buf, user, password):
    nonce = base64.b64encode(os.urandom(18)).decode()
    first = "n=%s,r=%s" % (user, nonce)
    msg = base64.b64encode(("n,," + first).encode()).decode()
    sock.sendall(("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' "
                  "mechanism='SCRAM-SHA-1'>%s</auth>" % msg).encode())
    buf = recv_until(sock, buf, r"</challenge>|<failure")
    m = re.search(r"<challenge[^>]*>([^<]*)</challenge>", buf)
    if not m:
        raise SystemExit("rawxmpp: SCRAM refused")
    buf = buf[m.end():]
    server_first = base64.b64decode(m.group(1)).decode()
    parts = dict(p.split("=", 1) for p in server_first.split(","))
    salted = hashlib.pbkdf2_hmac("sha1", password.encode(),
                                 base64.b64decode(parts["s"]),
                                 int(parts["i"]))
    client_key = hmac.new(salted, b"Client Key", hashlib.sha1).digest()
    stored = hashlib.sha1(client_key).digest()
    final_wo_proof = "c=biws,r=%s" % parts["r"]
    auth_msg = ",".join([first, server_first, final_wo_proof]).encode()
    sig = hmac.new(stored, auth_msg, hashlib.sha1).digest()
    proof = bytes(a ^ b for a, b in zip(client_key, sig))
    final = "%s,p=%s" % (final_wo_proof, base64.b64encode(proof).decode())
    sock.sendall(("<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>%s"
                  "</response>" % base64.b64encode(final.encode()).decode())
                 .encode())
    buf = recv_until(sock, buf, r"<success|<failure")
    if "<success" not in buf:
        raise SystemExit("rawxmpp: authentication failed")
    return ""


def main():
    port, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    wait = float(sys.argv[4]) if len(sys.argv) > 4 else 1.0
    sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    buf = open_stream(sock, "")
    buf = scram(sock, buf, user, password)
    buf = open_stream(sock, buf)
    sock.sendall(b"<iq type='set' id='bind1'><bind "
                 b"xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
                 b"<resource>raw</resource></bind></iq>")
    buf = recv_until(sock, buf, r"</jid>")
    me = re.search(r"<jid>([^<]*)</jid>", buf).group(1)
    for line in sys.stdin:
        line = line.strip()
        if line:
            sock.sendall(line.replace("{me}", me).encode())
    end = time.time() + wait
    out = ""
    while time.time() < end:
        sock.settimeout(max(0.05, end - time.time()))
        try:
            data = sock.recv(65536)
        except socket.timeout:
            continue
        if not data:
            break
        out += data.decode("utf-8", "replace")
    sys.stdout.write(out)
    sock.sendall(b"</stream:stream>")
    sock.close()


if __name__ == "__main__":
    main()

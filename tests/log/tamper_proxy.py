#!/usr/bin/env python3
"""A malicious mirror of hallmarkd's log routes, for tests/log/log_e2e.sh.

    tamper_proxy.py UPSTREAM_URL PKI_DIR PORT_FILE MODE_FILE

Serves HTTPS on 127.0.0.1 (an ephemeral port written to PORT_FILE) with the test PKI's server
certificate and forwards every GET to UPSTREAM_URL over mutual TLS (client ci-acme).  Before it
answers, it applies the attack named in MODE_FILE (read on every request):

  none       pass everything through
  rewrite    in entry bundles (tile/entries/...), the last '"version":"' value changes one
             digit: the entry served is not the one the log's tree holds
  gap        entry bundles lose their last record
  badsig     the checkpoint's signature line has one base64 character changed
"""
import http.server
import os
import ssl
import sys
import urllib.error
import urllib.request

UPSTREAM, PKI, PORT_FILE, MODE_FILE = sys.argv[1:5]

up_ctx = ssl.create_default_context(cafile=os.path.join(PKI, "ca.pem"))
up_ctx.load_cert_chain(os.path.join(PKI, "ci-acme.pem"), os.path.join(PKI, "ci-acme.key"))


def drop_last_record(body):
    pos, last = 0, 0
    while pos + 2 <= len(body):
        last = pos
        pos += 2 + int.from_bytes(body[pos:pos + 2], "big")
    return body[:last]


def rewrite(body):
    i = body.rfind(b'"version":"')  # the newest entry: the one a monitor is about to walk
    if i < 0:
        return body
    j = i + len(b'"version":"')
    digit = body[j:j + 1]
    other = b"9" if digit != b"9" else b"8"
    return body[:j] + other + body[j + 1:]


def badsig(body):
    i = body.rfind(b" ") + 10  # inside the base64 of the signature line
    c = body[i:i + 1]
    return body[:i] + (b"A" if c != b"A" else b"B") + body[i + 1:]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        with open(MODE_FILE) as f:
            mode = f.read().strip()
        try:
            with urllib.request.urlopen(UPSTREAM + self.path, context=up_ctx, timeout=10) as r:
                status, body, ctype = r.status, r.read(), r.headers.get("Content-Type", "")
        except urllib.error.HTTPError as e:
            status, body, ctype = e.code, e.read(), e.headers.get("Content-Type", "")
        if status == 200 and "/tile/entries/" in self.path:
            if mode == "rewrite":
                body = rewrite(body)
            elif mode == "gap":
                body = drop_last_record(body)
        if status == 200 and self.path.endswith("/checkpoint") and mode == "badsig":
            body = badsig(body)
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(os.path.join(PKI, "server.pem"), os.path.join(PKI, "server.key"))
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
os.rename(PORT_FILE + ".tmp", PORT_FILE)
srv.serve_forever()

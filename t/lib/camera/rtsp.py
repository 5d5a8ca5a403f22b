#!/usr/bin/env python3
"""A stand-in for a legacy Axis camera's RTSP server, for the tests: RTSP
1.0 over TCP, and RTSP over HTTP (the /axis-media/media.amp tunnel), as an
Axis camera answers them.

  OPTIONS    200, the methods it takes
  DESCRIBE   401 with a Digest challenge, then (Digest, MD5) 200 with an
             SDP naming the camera (--name)
  SETUP      RTP/AVP/TCP interleaved: 200 with a Session
  PLAY       200, then 3 interleaved RTP packets ($, channel 0, length,
             bytes) on the same connection
  TEARDOWN   200

  RTSP over HTTP: GET /axis-media/media.amp with x-sessioncookie answers
  200 application/x-rtsp-tunnelled and stays open; a POST with the same
  cookie carries the client's RTSP requests in base64; the answers (and
  packets) go out on the GET.

Every request it received and every byte it sent is logged to --log, one
JSON line each: {"channel": "tcp" | "http", "dir": "in" | "out",
"data": base64}.

  rtsp.py --rtsp-port P --http-port H --user U --password W --name N --log F
"""

import argparse
import base64
import hashlib
import json
import re
import secrets
import socket
import socketserver
import threading

REALM = "AXIS_ACCC8E012345"
args = None
log_lock = threading.Lock()
tunnels = {}            # session cookie -> the GET's socket
tunnels_cond = threading.Condition()
nonces = set()


def log(channel, direction, data):
    with log_lock, open(args.log, "a") as f:
        f.write(json.dumps({"channel": channel, "dir": direction,
                            "data": base64.b64encode(data).decode()}) + "\n")


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


def authorized(method, headers):
    h = headers.get("authorization", "")
    if not h.startswith("Digest "):
        return False
    f = {k: a or b for k, a, b in
         re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]*))', h[7:])}
    if f.get("username") != args.user or f.get("nonce") not in nonces:
        return False
    ha1 = md5("%s:%s:%s" % (args.user, REALM, args.password))
    ha2 = md5("%s:%s" % (method, f.get("uri", "")))
    return f.get("response") == md5("%s:%s:%s" % (ha1, f["nonce"], ha2))


def answer(method, url, headers):
    """the response's bytes, and the packets to follow it"""
    cseq = headers.get("cseq", "0")
    head = ["RTSP/1.0 200 OK", "CSeq: %s" % cseq,
            "Server: GStreamer RTSP server",
            "Date: Sun, 29 Nov 2026 12:00:00 GMT"]
    body = b""
    packets = []
    if method == "OPTIONS":
        head.append("Public: OPTIONS, DESCRIBE, ANNOUNCE, GET_PARAMETER, "
                    "PAUSE, PLAY, RECORD, SETUP, SET_PARAMETER, TEARDOWN")
    elif method == "DESCRIBE" and not authorized(method, headers):
        nonce = secrets.token_hex(16)
        nonces.add(nonce)
        head = ["RTSP/1.0 401 Unauthorized", "CSeq: %s" % cseq,
                'WWW-Authenticate: Digest realm="%s", nonce="%s", '
                'stale="FALSE"' % (REALM, nonce),
                "Server: GStreamer RTSP server",
                "Date: Sun, 29 Nov 2026 12:00:00 GMT"]
    elif method == "DESCRIBE":
        body = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=%s\r\nt=0 0\r\n"
                "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\n"
                "a=control:trackID=1\r\n" % args.name).encode()
        head += ["Content-Type: application/sdp",
                 "Content-Base: %s/" % url,
                 "Content-Length: %d" % len(body)]
    elif method == "SETUP":
        head += ["Transport: RTP/AVP/TCP;unicast;interleaved=0-1",
                 "Session: 12345678;timeout=60"]
    elif method == "PLAY":
        head += ["Session: 12345678", "RTP-Info: url=%s/trackID=1" % url]
        packets = [b"$\x00" + (16).to_bytes(2, "big")
                   + bytes([0x80, 0x60, 0, i]) + (b"\xff\x00\x7f" * 4)
                   for i in range(3)]
    elif method == "TEARDOWN":
        head.append("Session: 12345678")
    else:
        head[0] = "RTSP/1.0 405 Method Not Allowed"
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body, packets


class Requests:
    """RTSP requests out of a byte stream"""

    def __init__(self):
        self.buf = b""

    def feed(self, data):
        self.buf += data
        out = []
        while b"\r\n\r\n" in self.buf:
            head, rest = self.buf.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            headers = {}
            for line in lines[1:]:
                if ":" in line:
                    k, v = line.split(":", 1)
                    headers[k.strip().lower()] = v.strip()
            n = int(headers.get("content-length", "0"))
            if len(rest) < n:
                break
            raw = head + b"\r\n\r\n" + rest[:n]
            self.buf = rest[n:]
            method, url = (lines[0].split(" ") + ["", ""])[:2]
            out.append((raw, method, url, headers))
        return out


class Rtsp(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        parser = Requests()
        while True:
            data = self.request.recv(65536)
            if not data:
                return
            for raw, method, url, headers in parser.feed(data):
                log("tcp", "in", raw)
                response, packets = answer(method, url, headers)
                for chunk in [response] + packets:
                    log("tcp", "out", chunk)
                    self.request.sendall(chunk)


class Http(socketserver.BaseRequestHandler):
    """the tunnel's two halves"""

    def handle(self):
        sock = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                return
            data += chunk
        head, rest = data.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, v in
                   (l.split(":", 1) for l in lines[1:] if ":" in l)}
        method = lines[0].split(" ")[0]
        cookie = headers.get("x-sessioncookie", "")
        if method == "GET":
            sock.sendall(b"HTTP/1.0 200 OK\r\nServer: GStreamer RTSP server\r\n"
                         b"Cache-Control: no-store\r\nPragma: no-cache\r\n"
                         b"Content-Type: application/x-rtsp-tunnelled\r\n\r\n")
            with tunnels_cond:
                tunnels[cookie] = sock
                tunnels_cond.notify_all()
            # held open until the client goes
            while sock.recv(65536):
                pass
            return
        with tunnels_cond:
            tunnels_cond.wait_for(lambda: cookie in tunnels, timeout=5)
            out = tunnels.get(cookie)
        if out is None:
            return
        parser = Requests()
        text = rest
        while True:
            # base64 in, as it comes (whole quads only)
            usable = len(text) - len(text) % 4
            decoded, text = base64.b64decode(text[:usable]), text[usable:]
            for raw, method, url, headers in parser.feed(decoded):
                log("http", "in", raw)
                response, packets = answer(method, url, headers)
                for chunk in [response] + packets:
                    log("http", "out", chunk)
                    out.sendall(chunk)
            data = sock.recv(65536)
            if not data:
                return
            text += data.replace(b"\r", b"").replace(b"\n", b"")


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    global args
    p = argparse.ArgumentParser()
    p.add_argument("--rtsp-port", type=int, required=True)
    p.add_argument("--http-port", type=int, required=True)
    p.add_argument("--user", default="root")
    p.add_argument("--password", default="pass")
    p.add_argument("--name", default="camera")
    p.add_argument("--log", required=True)
    args = p.parse_args()
    rtsp = Server(("127.0.0.1", args.rtsp_port), Rtsp)
    http = Server(("127.0.0.1", args.http_port), Http)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    print("rtsp on %d, http on %d" % (args.rtsp_port, args.http_port),
          flush=True)
    rtsp.serve_forever()


if __name__ == "__main__":
    main()

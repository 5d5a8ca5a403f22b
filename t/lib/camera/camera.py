#!/usr/bin/env python3
"""A stand-in for a legacy Axis camera's event service, for the tests and
the demo: ONVIF PullPoint over SOAP 1.2 behind HTTP Digest, as an Axis
camera answers it.

  POST /onvif/services   CreatePullPointSubscription, PullMessages, Renew,
                         Unsubscribe (Digest, MD5, qop=auth).  Every request
                         but a create must echo the subscription's
                         SubscriptionId reference parameter (Axis namespace)
                         as a SOAP header, or it is a SOAP fault.  A pull
                         waits up to its Timeout for an event; a new
                         subscription first gets every property's current
                         state as "Initialized".

  GET /axis-cgi/virtualinput/activate.cgi?schemaversion=1&port=N
  GET /axis-cgi/virtualinput/deactivate.cgi?schemaversion=1&port=N
                         (Digest) the VAPIX virtual inputs 1..32: answered
                         with a VirtualInputResponse, as an Axis camera
                         does (HTTP 200, Success with StateChanged, or an
                         Error); a change is a tns1:Device/tnsaxis:IO/
                         VirtualInput event (source port, data active).

For the tests (no authentication, on the same port):
  POST /test/event   {"topic": "tns1:Device/tnsaxis:IO/Port",
                      "source": [["port", "1"]], "data": [["state", "1"]],
                      "property": "Changed" | null}: to every subscription
                     (a property's state is also kept for new ones)
  POST /test/burst   {"count": N, "topic": ..., "source": [...]}: N
                     stateless events at once, data "seq" 0..N-1
  POST /test/fault   {"count": N, "status": 500}: the next N requests to
                     /onvif/services are SOAP faults with that status
  POST /test/mute    {"seconds": S}: requests (and the pulls waiting) hang
                     that long
  POST /test/inputfault {"count": N, "status": 200 | 500}: the next N
                     virtual input calls fail: an Error answer (200) or
                     that HTTP status
  GET  /test/calls   the requests received: [{"action", "auth", "sub"}];
                     a virtual input call: [{"action": "activate" |
                     "deactivate", "auth", "port", "at", "changed"}]
  GET  /test/sent    when pulled events left (small pulls only): [{"data", "at"}]

  camera.py --port P --user U --password W [--every SECONDS] [--lifetime S]
--every: a demo camera: input port 1 and virtual input 1 change state
every SECONDS.  --lifetime: subscriptions granted for S seconds at most.
"""

import argparse
import hashlib
import json
import os
import re
import secrets
import socket
import sys
import threading
import time
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape, quoteattr

REALM = "AXIS_ACCC8E012345"
NS_EVENT = "http://www.axis.com/2009/event"

lock = threading.Condition()
subscriptions = {}      # id -> {"queue": [...], "expires": t}
properties = {}         # (topic, source) -> event
calls = []
sent = []               # when each pulled event left: [{"data", "at"}]
faults = {"count": 0, "status": 500}
input_faults = {"count": 0, "status": 200}
inputs = {}             # virtual input port -> 0 | 1
NS_VI = "http://www.axis.com/vapix/http_cgi/virtualinput1"
mute = {"until": 0.0}
nonces = set()
next_id = [1]
args = None


def now_iso(t=None):
    t = time.time() if t is None else t
    return datetime.fromtimestamp(t, timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.") + "%03dZ" % int((t % 1) * 1000)


def seconds(text, default):
    m = re.search(r"PT(\d+)S", text or "")
    return int(m.group(1)) if m else default


def envelope(body, header=""):
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<SOAP-ENV:Envelope'
            ' xmlns:SOAP-ENV="http://www.w3.org/2003/05/soap-envelope"'
            ' xmlns:wsa5="http://www.w3.org/2005/08/addressing"'
            ' xmlns:wsnt="http://docs.oasis-open.org/wsn/b-2"'
            ' xmlns:tt="http://www.onvif.org/ver10/schema"'
            ' xmlns:tev="http://www.onvif.org/ver10/events/wsdl"'
            ' xmlns:tns1="http://www.onvif.org/ver10/topics"'
            ' xmlns:tnsaxis="http://www.axis.com/2009/event/topics">'
            '<SOAP-ENV:Header>%s</SOAP-ENV:Header>'
            '<SOAP-ENV:Body>%s</SOAP-ENV:Body></SOAP-ENV:Envelope>'
            % (header, body))


def fault(reason):
    return envelope('<SOAP-ENV:Fault><SOAP-ENV:Code><SOAP-ENV:Value>'
                    'SOAP-ENV:Sender</SOAP-ENV:Value></SOAP-ENV:Code>'
                    '<SOAP-ENV:Reason><SOAP-ENV:Text xml:lang="en">%s'
                    '</SOAP-ENV:Text></SOAP-ENV:Reason></SOAP-ENV:Fault>'
                    % escape(reason))


def items(name, pairs):
    return "<tt:%s>%s</tt:%s>" % (name, "".join(
        "<tt:SimpleItem Name=%s Value=%s/>" % (quoteattr(k), quoteattr(v))
        for k, v in pairs), name)


def notification(ev):
    op = (' PropertyOperation="%s"' % ev["property"]) if ev.get("property") \
        else ""
    return ('<wsnt:NotificationMessage><wsnt:Topic Dialect="http://www.onvif'
            '.org/ver10/tev/topicExpression/ConcreteSet">%s</wsnt:Topic>'
            '<wsnt:Message><tt:Message UtcTime="%s"%s>%s%s%s</tt:Message>'
            '</wsnt:Message></wsnt:NotificationMessage>'
            % (escape(ev["topic"]), ev.get("time") or now_iso(), op,
               items("Source", ev.get("source", [])),
               items("Key", ev.get("key", [])),
               items("Data", ev.get("data", []))))


def inject(ev):
    with lock:
        if ev.get("property"):
            key = (ev["topic"], json.dumps(ev.get("source", [])))
            if ev["property"] == "Deleted":
                properties.pop(key, None)
            else:
                properties[key] = dict(ev)
        for sub in subscriptions.values():
            sub["queue"].append(dict(ev, time=now_iso()))
        lock.notify_all()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        # headers and body are two writes: without this, Nagle holds the
        # body until the peer's delayed ACK (40 ms)
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *a):
        pass

    def reply(self, status, body, ctype="application/soap+xml; charset=utf-8",
              headers=()):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n).decode("utf-8", "replace")

    def do_GET(self):
        if self.path.startswith("/axis-cgi/virtualinput/"):
            return self.virtual_input()
        if self.path == "/test/calls":
            with lock:
                self.reply(200, json.dumps(calls), "application/json")
        elif self.path == "/test/sent":
            with lock:
                self.reply(200, json.dumps(sent), "application/json")
        else:
            self.reply(404, "not found", "text/plain")

    def authorized(self):
        if not args.user:
            return True
        h = self.headers.get("Authorization") or ""
        if not h.startswith("Digest "):
            return False
        f = {k: a or b for k, a, b in
             re.findall(r'(\w+)=(?:"([^"]*)"|([^,\s]*))', h[7:])}
        if f.get("username") != args.user or f.get("nonce") not in nonces:
            return False
        md5 = lambda s: hashlib.md5(s.encode()).hexdigest()
        ha1 = md5("%s:%s:%s" % (args.user, REALM, args.password))
        ha2 = md5("%s:%s" % (self.command, f.get("uri", "")))
        want = md5("%s:%s:%s:%s:%s:%s" % (ha1, f["nonce"], f.get("nc", ""),
                                          f.get("cnonce", ""),
                                          f.get("qop", ""), ha2))
        return f.get("response") == want

    def do_POST(self):
        text = self.body()
        if self.path == "/test/event":
            inject(json.loads(text))
            return self.reply(200, "{}", "application/json")
        if self.path == "/test/burst":
            # count stateless events at once: data "seq" 0..count-1
            req = json.loads(text)
            with lock:
                stamp = now_iso()
                for sub in subscriptions.values():
                    sub["queue"].extend(
                        {"topic": req["topic"], "source": req.get("source", []),
                         "data": [["seq", str(i)]], "time": stamp}
                        for i in range(req["count"]))
                lock.notify_all()
            return self.reply(200, "{}", "application/json")
        if self.path == "/test/fault":
            req = json.loads(text)
            faults.update(count=req.get("count", 1),
                          status=req.get("status", 500))
            return self.reply(200, "{}", "application/json")
        if self.path == "/test/inputfault":
            req = json.loads(text)
            input_faults.update(count=req.get("count", 1),
                                status=req.get("status", 200))
            return self.reply(200, "{}", "application/json")
        if self.path == "/test/mute":
            mute["until"] = time.time() + json.loads(text)["seconds"]
            return self.reply(200, "{}", "application/json")
        if self.path != "/onvif/services":
            return self.reply(404, "not found", "text/plain")

        action = next((a for a in ("CreatePullPointSubscription",
                                   "PullMessages", "Renew", "Unsubscribe")
                       if re.search(r"<[\w-]*:?%s[\s>/]" % a, text)),
                      "unknown")
        m = re.search(r'SubscriptionId[^>]*>\s*(\d+)\s*<', text)
        sub_id = int(m.group(1)) if m else None
        authorized = self.authorized()
        with lock:
            calls.append({"action": action, "auth": authorized,
                          "sub": sub_id})

        if not authorized:
            return self.unauthorized()
        if time.time() < mute["until"]:
            time.sleep(mute["until"] - time.time())
        if faults["count"] > 0:
            faults["count"] -= 1
            return self.reply(faults["status"], fault("Action failed"))

        if action == "CreatePullPointSubscription":
            return self.create(text)
        with lock:
            sub = subscriptions.get(sub_id)
        if sub is None or sub["expires"] < time.time():
            return self.reply(400, fault("The subscription is unknown"))
        if action == "PullMessages":
            return self.pull(sub, text)
        if action == "Renew":
            with lock:
                sub["expires"] = time.time() + min(seconds(text, 60),
                                                   args.lifetime)
            return self.reply(200, envelope(
                "<wsnt:RenewResponse><wsnt:TerminationTime>%s"
                "</wsnt:TerminationTime><wsnt:CurrentTime>%s"
                "</wsnt:CurrentTime></wsnt:RenewResponse>"
                % (now_iso(sub["expires"]), now_iso())))
        if action == "Unsubscribe":
            with lock:
                subscriptions.pop(sub_id, None)
            return self.reply(200, envelope("<wsnt:UnsubscribeResponse/>"))
        return self.reply(400, fault("Action not supported"))

    def unauthorized(self):
        nonce = secrets.token_hex(16)
        nonces.add(nonce)
        return self.reply(401, "unauthorized", "text/plain", [(
            "WWW-Authenticate",
            'Digest realm="%s", nonce="%s", algorithm=MD5, qop="auth"'
            % (REALM, nonce))])

    def virtual_input(self):
        m = re.match(r"/axis-cgi/virtualinput/(activate|deactivate)\.cgi"
                     r"\?(.*)$", self.path)
        if not m:
            return self.reply(404, "not found", "text/plain")
        action = m.group(1)
        query = dict(kv.split("=", 1) for kv in m.group(2).split("&")
                     if "=" in kv)
        authorized = self.authorized()
        call = {"action": action, "auth": authorized, "at": time.time(),
                "port": int(query["port"]) if query.get("port", "").isdigit()
                else query.get("port")}
        with lock:
            calls.append(call)
        if not authorized:
            return self.unauthorized()
        if time.time() < mute["until"]:
            time.sleep(mute["until"] - time.time())
        if input_faults["count"] > 0:
            input_faults["count"] -= 1
            if input_faults["status"] != 200:
                return self.reply(input_faults["status"], "failed",
                                  "text/plain")
            return self.input_answer(None, "Camera busy", 10)
        port = call["port"]
        if query.get("schemaversion") != "1":
            return self.input_answer(None, "Unsupported schema version", 20)
        if not isinstance(port, int) or not 1 <= port <= 32:
            return self.input_answer(None, "Invalid port", 10)
        state = 1 if action == "activate" else 0
        with lock:
            changed = inputs.get(port, 0) != state
            inputs[port] = state
            call["changed"] = changed
        if changed:
            inject({"topic": "tns1:Device/tnsaxis:IO/VirtualInput",
                    "source": [["port", str(port)]],
                    "data": [["active", str(state)]], "property": "Changed"})
        return self.input_answer(
            "%sSuccess" % action.capitalize(), changed, None)

    def input_answer(self, success, changed, code):
        if success:
            inner = ("<Success><%s><StateChanged>%s</StateChanged></%s>"
                     "</Success>" % (success, "true" if changed else "false",
                                     success))
        else:
            inner = ("<Error><GeneralError><ErrorCode>%d</ErrorCode>"
                     "<ErrorDescription>%s</ErrorDescription></GeneralError>"
                     "</Error>" % (code, escape(changed)))
        self.reply(200, '<?xml version="1.0" encoding="UTF-8"?>'
                   '<VirtualInputResponse xmlns="%s" SchemaVersion="1.0">%s'
                   '</VirtualInputResponse>' % (NS_VI, inner),
                   "text/xml")

    def create(self, text):
        lifetime = min(seconds(text, 60), args.lifetime)
        with lock:
            sub_id = next_id[0]
            next_id[0] += 1
            subscriptions[sub_id] = {
                "expires": time.time() + lifetime,
                "queue": [dict(ev, property="Initialized", time=now_iso())
                          for ev in properties.values()]}
        host = "127.0.0.1:%d" % args.port
        self.reply(200, envelope(
            "<tev:CreatePullPointSubscriptionResponse>"
            "<tev:SubscriptionReference><wsa5:Address>http://%s/onvif/services"
            "</wsa5:Address><wsa5:ReferenceParameters><dom0:SubscriptionId"
            ' xmlns:dom0="%s">%d</dom0:SubscriptionId>'
            "</wsa5:ReferenceParameters></tev:SubscriptionReference>"
            "<wsnt:CurrentTime>%s</wsnt:CurrentTime>"
            "<wsnt:TerminationTime>%s</wsnt:TerminationTime>"
            "</tev:CreatePullPointSubscriptionResponse>"
            % (host, NS_EVENT, sub_id, now_iso(),
               now_iso(time.time() + lifetime))))

    def pull(self, sub, text):
        timeout = seconds(text, 10)
        m = re.search(r"MessageLimit>\s*(\d+)", text)
        limit = int(m.group(1)) if m else 100
        deadline = time.time() + timeout
        with lock:
            while not sub["queue"] and time.time() < deadline:
                lock.wait(deadline - time.time())
            events, sub["queue"] = sub["queue"][:limit], sub["queue"][limit:]
        # muted meanwhile: the camera stops answering mid-pull
        if time.time() < mute["until"]:
            time.sleep(mute["until"] - time.time())
        self.reply(200, envelope(
            "<tev:PullMessagesResponse><tev:CurrentTime>%s</tev:CurrentTime>"
            "<tev:TerminationTime>%s</tev:TerminationTime>%s"
            "</tev:PullMessagesResponse>"
            % (now_iso(), now_iso(sub["expires"]),
               "".join(notification(ev) for ev in events))))
        if events and len(events) < 10:
            at = time.time()
            with lock:
                sent.extend({"data": ev.get("data", []), "at": at}
                            for ev in events)
                del sent[:-1000]


def demo(every):
    state = 0
    while True:
        time.sleep(every)
        state ^= 1
        inject({"topic": "tns1:Device/tnsaxis:IO/Port",
                "source": [["port", "1"]], "data": [["state", str(state)]],
                "property": "Changed"})
        inject({"topic": "tns1:Device/tnsaxis:IO/VirtualInput",
                "source": [["port", "1"]], "data": [["active", str(state)]],
                "property": "Changed"})


def main():
    global args
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--user", default="")
    p.add_argument("--password", default="")
    p.add_argument("--every", type=float, default=0)
    p.add_argument("--lifetime", type=int, default=3600,
                   help="the longest subscription granted, in seconds")
    args = p.parse_args()
    # a waiting pull answers at once, not at the GIL's next switch (5 ms)
    sys.setswitchinterval(0.0001)
    # the states every new subscription starts with
    inject({"topic": "tns1:Device/tnsaxis:IO/Port", "source": [["port", "1"]],
            "data": [["state", "0"]], "property": "Initialized"})
    if args.every:
        threading.Thread(target=demo, args=(args.every,), daemon=True).start()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print("camera listening on 127.0.0.1:%d" % args.port, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

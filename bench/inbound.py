#!/usr/bin/env python3
"""MQTT to camera through the gateway, measured (called by bench/inbound.sh).

  inbound.py CAMERA_URL MQTT_PORT TOPIC INPUT N
      N states ("on", "off", ...) written one at a time to a running
      mosquitto_pub -l (QoS 1) on TOPIC, each once the one before reached
      the camera.  Module: from the write to the stand-in camera's record of
      the virtual input call it makes (activate.cgi or deactivate.cgi of
      INPUT).  Reference: from the same write to a mosquitto_sub subscriber
      of TOPIC (the broker's hop alone).  Prints "module p50 p99 reference
      p50 p99" in ms.
"""

import json
import subprocess
import sys
import threading
import time
import urllib.request


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def calls(camera, port):
    data = urllib.request.urlopen(camera + "/test/calls", timeout=5).read()
    return [c for c in json.loads(data)
            if c["action"] in ("activate", "deactivate") and c["auth"]
            and c["port"] == port]


def main(camera, mqtt_port, topic, port, n):
    sub = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p",
                            str(mqtt_port), "-q", "1", "-t", topic],
                           stdout=subprocess.PIPE, text=True, bufsize=1)
    seen = []
    cond = threading.Condition()

    def read():
        for _ in sub.stdout:
            with cond:
                seen.append(time.time())
                cond.notify_all()

    threading.Thread(target=read, daemon=True).start()
    pub = subprocess.Popen(["mosquitto_pub", "-h", "127.0.0.1", "-p",
                            str(mqtt_port), "-q", "1", "-t", topic, "-l"],
                           stdin=subprocess.PIPE, text=True, bufsize=1)
    time.sleep(0.5)     # both connected, subscribed

    before = len(calls(camera, port))
    sent = []
    for i in range(n):
        sent.append(time.time())
        pub.stdin.write("on\n" if i % 2 == 0 else "off\n")
        pub.stdin.flush()
        deadline = time.time() + 10
        with cond:
            while len(seen) < i + 1 and time.time() < deadline:
                cond.wait(0.1)
        # the call reached the camera: then the next state
        while len(calls(camera, port)) < before + i + 1:
            if time.time() > deadline:
                sys.exit("a state did not reach the camera")
            time.sleep(0.02)

    made = calls(camera, port)[before:]
    module = [(c["at"] - t) * 1000 for c, t in zip(made, sent)]
    reference = [(s - t) * 1000 for s, t in zip(seen, sent)]
    pub.stdin.close()
    pub.wait()
    sub.terminate()
    print("%.1f %.1f %.1f %.1f" % (pct(module, 50), pct(module, 99),
                                   pct(reference, 50), pct(reference, 99)))


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]),
         int(sys.argv[5]))

#!/usr/bin/env python3
"""Camera events through the gateway, measured (called by bench/events.sh).

  events.py latency CAMERA_URL MQTT_PORT TOPIC N
      N camera events (curl POST to the stand-in camera) and N messages of
      the same payload with mosquitto_pub, each to a subscriber that was
      subscribed before: "module p50 p99 end_to_end p50 p99 reference p50
      p99" in ms (see latency()).
  events.py burst CAMERA_URL MQTT_PORT PREFIX DEVICES N
      N stateless events at once at the camera, which every device
      (PREFIX<i>, i = 1..DEVICES) publishes at QoS 1: "received expected
      in_order seconds events_per_s" (per device topic, seq in order).
"""

import json
import subprocess
import sys
import threading
import time
import urllib.request


def subscriber(port, topics, count=0, qos=0):
    cmd = ["mosquitto_sub", "-h", "127.0.0.1", "-p", str(port), "-q", str(qos),
           "-F", "%t %p"]
    for t in topics:
        cmd += ["-t", t]
    if count:
        cmd += ["-C", str(count)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, bufsize=1)
    lines = []
    cond = threading.Condition()

    def read():
        for line in proc.stdout:
            with cond:
                lines.append((time.time(), line.rstrip("\n")))
                cond.notify_all()

    threading.Thread(target=read, daemon=True).start()
    time.sleep(0.5)     # subscribed
    return proc, lines, cond


def wait_lines(lines, cond, n, timeout):
    deadline = time.time() + timeout
    with cond:
        while len(lines) < n and time.time() < deadline:
            cond.wait(max(deadline - time.time(), 0))
    return len(lines) >= n


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


def latency(camera, port, topic, n):
    """module: from the camera's answer to the gateway's pull to the
    subscriber (the gateway and the broker); end to end: from the curl
    that makes the event; reference: from mosquitto_pub's start."""
    ref_topic = "bench/reference"
    proc, lines, cond = subscriber(port, [topic, ref_topic])
    module, end_to_end, reference = [], [], []
    for i in range(n):
        ev = json.dumps({"topic": "tnsaxis:Storage/Alert",
                         "data": [["disk_id", "SD_DISK"], ["alert", str(i)]]})
        seen = len(lines)
        t0 = time.time()
        subprocess.run(["curl", "-s", "-o", "/dev/null", "-d", ev,
                        camera + "/test/event"], check=True)
        if not wait_lines(lines, cond, seen + 1, 10):
            sys.exit("an event did not arrive")
        received = lines[seen][0]
        payload = lines[seen][1].split(" ", 1)[1]
        left = [s["at"] for s in json.loads(urllib.request.urlopen(
                    camera + "/test/sent", timeout=5).read())
                if ["alert", str(i)] in s["data"]]
        if not left:
            sys.exit("the camera did not say when the event left")
        module.append((received - left[-1]) * 1000)
        end_to_end.append((received - t0) * 1000)

        seen = len(lines)
        t0 = time.time()
        subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port),
                        "-q", "1", "-t", ref_topic, "-m", payload], check=True)
        if not wait_lines(lines, cond, seen + 1, 10):
            sys.exit("a reference message did not arrive")
        reference.append((lines[seen][0] - t0) * 1000)
        time.sleep(0.05)
    proc.terminate()
    print("%.1f %.1f %.1f %.1f %.1f %.1f" % (
        pct(module, 50), pct(module, 99), pct(end_to_end, 50),
        pct(end_to_end, 99), pct(reference, 50), pct(reference, 99)))


def burst(camera, port, prefix, devices, n):
    expected = devices * n
    # the burst's topic only: a device's states may come again meanwhile
    proc, lines, cond = subscriber(
        port, ["%s/+/event/tns:axis/Storage/Alert" % prefix.rsplit("/", 1)[0]],
        expected, 1)
    body = json.dumps({"topic": "tnsaxis:Storage/Alert", "count": n}).encode()
    t0 = time.time()
    urllib.request.urlopen(camera + "/test/burst", body, timeout=10).read()
    if proc.poll() not in (None, 0):
        sys.exit("the subscriber did not start")
    wait_lines(lines, cond, expected, 120)
    received = len(lines)
    seconds = (lines[-1][0] - t0) if lines else 0
    proc.terminate()

    last = {}
    in_order = True
    for _, line in lines:
        topic, payload = line.split(" ", 1)
        seq = int(json.loads(payload)["message"]["data"]["seq"])
        if seq != last.get(topic, -1) + 1:
            in_order = False
        last[topic] = seq
    print("%d %d %s %.2f %.0f" % (received, expected,
                                  "yes" if in_order else "no", seconds,
                                  received / seconds if seconds else 0))


if __name__ == "__main__":
    if sys.argv[1] == "latency":
        latency(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]))
    else:
        burst(sys.argv[2], int(sys.argv[3]), sys.argv[4], int(sys.argv[5]),
              int(sys.argv[6]))

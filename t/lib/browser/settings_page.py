#!/usr/bin/python3
"""The settings page in a real browser (Debian's Chromium, headless, driven
through chromedriver with Selenium), for t/700-settings-page.t.

  settings_page.py --url URL --user U --password P --broker-port N
                   --closed-port N --camera CAMERA_URL --serial S --shots DIR

Prints one JSON line per check: {"ok": true|false, "name": ..., "diag": ...};
a screenshot of each main state goes to DIR (not committed).
"""

import argparse
import base64
import json
import subprocess
import sys
import time
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

args = None
driver = None


def check(ok, name, diag=""):
    print(json.dumps({"ok": bool(ok), "name": name, "diag": str(diag)}),
          flush=True)
    return ok


def shot(name):
    driver.save_screenshot("%s/%s.png" % (args.shots, name))


def el(css):
    return driver.find_element(By.CSS_SELECTOR, css)


def field(path):
    """a control by the API parameter it edits"""
    return '[data-path="%s"]' % path


def text(css):
    return el(css).text


def until(cond, timeout=15):
    try:
        WebDriverWait(driver, timeout, poll_frequency=0.1).until(
            lambda d: cond())
        return True
    except Exception:
        return False


def typed(css, value):
    e = el(css)
    e.clear()
    e.send_keys(value)


def form_msg(form):
    return text("#%s > .msg" % form)


def saved(form):
    return until(lambda: form_msg(form) == "Saved.", 10)


def api(method):
    """the page's own API, from the page (same origin, same credentials)"""
    return driver.execute_async_script("""
        const done = arguments[arguments.length - 1];
        fetch('../axis-cgi/mqtt/client.cgi', {method: 'POST',
              headers: {'Content-Type': 'application/json'},
              body: JSON.stringify({apiVersion: '1.0', method: arguments[0]})})
          .then(r => r.json()).then(done, e => done({error: String(e)}));
    """, method)


def main():
    global args, driver
    p = argparse.ArgumentParser()
    for a in ("url", "user", "password", "camera", "serial", "shots"):
        p.add_argument("--" + a, required=True)
    p.add_argument("--broker-port", type=int, required=True)
    p.add_argument("--closed-port", type=int, required=True)
    args = p.parse_args()

    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for a in ("--headless=new", "--no-sandbox", "--disable-gpu",
              "--ignore-certificate-errors", "--window-size=1280,2400",
              "--disable-dev-shm-usage"):
        opts.add_argument(a)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"),
                              options=opts)
    driver.set_script_timeout(10)
    try:
        run()
    finally:
        driver.quit()


def run():
    # the gateway's Basic credentials on every request of the page
    auth = base64.b64encode(
        ("%s:%s" % (args.user, args.password)).encode()).decode()
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.setExtraHTTPHeaders",
                           {"headers": {"Authorization": "Basic " + auth}})

    driver.get(args.url)
    check(until(lambda: text("#st-state") in ("active", "inactive")),
          "the page loads and shows the client's state", text("#st-state"))
    check(driver.execute_script(
        "return Array.from(document.querySelectorAll('input, select'))"
        ".every(e => e.labels && e.labels.length > 0)"),
        "every field has a label")
    shot("1-loaded")

    # a broker that refuses: the page says why it is not connected
    Select(el(field("server.protocol"))).select_by_value("tcp")
    typed(field("server.host"), "127.0.0.1")
    typed(field("server.port"), str(args.closed_port))
    typed(field("clientId"), "settings-page")
    typed(field("password"), "s3cret-pw")
    Select(el('[data-path="connectMessage"]')).select_by_value("default")
    el("#client button[type=submit]").click()
    check(saved("client"), "the client's settings are saved",
          form_msg("client"))
    el("#activate").click()
    check(until(lambda: "failed" in text("#st-cause")),
          "activated against a closed port: the cause is shown",
          text("#st-cause"))
    shot("2-refused")

    # the right port: connected
    typed(field("server.port"), str(args.broker_port))
    el("#client button[type=submit]").click()
    check(saved("client"), "the port is corrected", form_msg("client"))
    check(until(lambda: text("#st-connection") == "connected", 20),
          "the status says connected", text("#st-connection"))
    check(text("#st-cause") == "–", "no cause while connected",
          text("#st-cause"))
    check(el(field("password")).get_attribute("value") == ""
          and "set" in el(field("password")).get_attribute("placeholder"),
          "the password is never shown, only that one is set",
          el(field("password")).get_attribute("placeholder"))
    status = api("getClientStatus")
    check(status.get("data", {}).get("config", {}).get("password") == "*****",
          "a save that left the password alone kept it (keepExistingPassword)",
          json.dumps(status))
    shot("3-connected")

    # an event filter: the camera's event reaches a subscriber
    topic = "axis/%s/event/tns:onvif/Device/tns:axis/IO/Port/$source/port/1" \
            % args.serial
    sub = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p",
                            str(args.broker_port), "-t", topic, "-C", "2",
                            "-W", "20", "-F", "%t %p"],
                           stdout=subprocess.PIPE, text=True)
    time.sleep(0.5)
    el("#p-add").click()
    typed(field("eventFilterList[0].topicFilter"), "onvif:Device/axis:IO//.")
    Select(el(field("eventFilterList[0].qos"))).select_by_value("1")
    el("#publication button[type=submit]").click()
    check(saved("publication"), "the event filter is saved",
          form_msg("publication"))
    time.sleep(1)
    urllib.request.urlopen(args.camera + "/test/event", json.dumps({
        "topic": "tns1:Device/tnsaxis:IO/Port", "source": [["port", "1"]],
        "data": [["state", "1"]], "property": "Changed"}).encode(),
        timeout=5).read()
    try:
        out, _ = sub.communicate(timeout=25)
    except subprocess.TimeoutExpired:
        sub.kill()
        out = ""
    # the port's Initialized state first, then the event made here
    check(out.startswith(topic + " {") and '"state":"1"' in out,
          "the stand-in camera's event arrives at a subscriber", out)
    shot("4-event")

    # a subscription, saved and echoed
    el("#s-add").click()
    typed(field("mqttFilterList[0].topicFilter"), "site/door/1")
    el(field("mqttFilterList[0].isStateData")).click()
    typed(field("mqttFilterList[0].virtualInput"), "2")
    el("#subscriptions button[type=submit]").click()
    check(saved("subscriptions"), "a subscription is saved",
          form_msg("subscriptions"))
    check(el(field("mqttFilterList[0].virtualInput")).get_attribute("value")
          == "2", "... and read back with its virtual input")

    # a bad port: the API's error next to the field
    typed(field("server.port"), "70000")
    el("#client button[type=submit]").click()
    err = field("server.port") + " ~ .err"
    check(until(lambda: "server.port" in text(err), 10),
          "a bad port: the API's error is shown next to the port field",
          text(err))
    check(el(field("server.port")).get_attribute("aria-invalid") == "true",
          "... and the field is marked invalid")
    shot("5-error")
    status = api("getClientStatus")
    check(status.get("data", {}).get("config", {}).get("server", {})
          .get("port") == args.broker_port,
          "the refused save changed nothing", json.dumps(status))

    # phone width: nothing wider than the screen
    driver.set_window_size(390, 844)
    time.sleep(0.3)
    width = driver.execute_script(
        "return [document.documentElement.scrollWidth, window.innerWidth]")
    check(width[0] <= width[1], "usable at phone width (no sideways scroll)",
          width)
    shot("6-phone")

    el("#deactivate").click()
    check(until(lambda: text("#st-state") == "inactive"),
          "deactivated from the page", text("#st-state"))


if __name__ == "__main__":
    main()

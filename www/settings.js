/*
 * The gateway's MQTT settings page.  It talks to the device's own
 * client.cgi and event.cgi, and nothing else: what it can do is what the
 * API allows, for whom the API allows it.  Every error the API returns is
 * shown next to the field its message names (the API's messages name the
 * parameter by its path: "server.port", "eventFilterList[1].qos").
 */

"use strict";

const API = "../axis-cgi/mqtt/";
const VERSIONS = { client: "1.0", event: "1.1" };
const ANNOUNCEMENTS = [
  ["lastWillTestament", "Last will"],
  ["connectMessage", "Connect message"],
  ["disconnectMessage", "Disconnect message"],
];
const POLL_MS = 2000;

let uid = 0;

/* ------------------------------------------------------------- the API */

async function call(cgi, method, params) {
  const body = { apiVersion: VERSIONS[cgi], context: "settings", method };
  if (params !== undefined) {
    body.params = params;
  }
  const res = await fetch(API + cgi + ".cgi", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  let answer;
  try {
    answer = await res.json();
  } catch (e) {
    throw new Error("the gateway answered HTTP " + res.status);
  }
  if (answer.error) {
    const err = new Error(answer.error.message);
    err.code = answer.error.code;
    throw err;
  }
  return answer.data;
}

/* --------------------------------------------------- fields and errors */

function byId(id) {
  return document.getElementById(id);
}

/* the element of a form that holds a parameter's path */
function field(form, path) {
  return form.querySelector('[data-path="' + CSS.escape(path) + '"]');
}

function value(form, path) {
  const el = field(form, path);
  return el.type === "checkbox" ? el.checked : el.value;
}

function setValue(form, path, v) {
  const el = field(form, path);
  if (el.type === "checkbox") {
    el.checked = Boolean(v);
  } else {
    el.value = v === undefined || v === null ? "" : String(v);
  }
}

/* a number as typed: a number when it is one, else the text as it is,
 * which the API then refuses with its own words */
function numberOf(text) {
  const t = text.trim();
  return /^-?\d+$/.test(t) ? Number(t) : t;
}

function clearErrors(form) {
  form.querySelectorAll(".err").forEach((e) => (e.textContent = ""));
  form.querySelectorAll("[aria-invalid]").forEach((e) =>
    e.removeAttribute("aria-invalid"));
  say(form, "");
}

function say(form, text, bad) {
  const msg = form.querySelector(":scope > .msg");
  msg.textContent = text;
  msg.classList.toggle("bad", Boolean(bad));
}

/* the API's error, next to the field it names, or under the form */
function showError(form, err) {
  const message = err.message || String(err);
  let best = null;
  form.querySelectorAll("[data-path]").forEach((el) => {
    const path = el.dataset.path;
    const at = message.indexOf(path);
    const after = message.charAt(at + path.length);
    if (at >= 0 && (at === 0 || /[\s:(]/.test(message.charAt(at - 1)))
        && !/[\w.\[]/.test(after)
        && (best === null || path.length > best.dataset.path.length)) {
      best = el;
    }
  });
  if (best === null) {
    say(form, message, true);
    return;
  }
  const err_el = best.closest(".row").querySelector(".err");
  if (err_el === null) {
    say(form, message, true);
    return;
  }
  err_el.textContent = message;
  best.setAttribute("aria-invalid", "true");
  if (err_el.id === "") {
    err_el.id = "err-" + ++uid;
  }
  best.setAttribute("aria-describedby", err_el.id);
  best.focus();
  say(form, "Not saved: see the field marked.", true);
}

/* a template's copy, its labels tied to their inputs, each part's path */
function instance(templateId, legend, prefix) {
  const node = byId(templateId).content.firstElementChild.cloneNode(true);
  node.querySelector("legend").textContent = legend;
  node.querySelectorAll(".row").forEach((row) => {
    const input = row.querySelector("[data-part]");
    const label = row.querySelector("label");
    input.id = "f-" + ++uid;
    label.htmlFor = input.id;
    input.dataset.path = prefix + input.dataset.part;
  });
  return node;
}

function part(node, name) {
  return node.querySelector('[data-part="' + name + '"]');
}

/* ------------------------------------------------------------- status */

async function refreshStatus() {
  try {
    const d = await call("client", "getClientDiagnostics");
    byId("st-state").textContent = d.state;
    byId("st-connection").textContent = d.connectionStatus;
    byId("st-cause").textContent =
      d.state === "active" && d.connectionStatus !== "connected" && d.cause
        ? d.cause + (d.causeTime ? " (" + d.causeTime + ")" : "")
        : "–";
  } catch (e) {
    byId("st-connection").textContent = "unknown: " + e.message;
  }
}

async function setActive(method) {
  const msg = byId("status-msg");
  msg.textContent = "";
  msg.classList.remove("bad");
  try {
    await call("client", method);
    msg.textContent = method === "activateClient" ? "Activated." : "Deactivated.";
  } catch (e) {
    msg.textContent = e.message;
    msg.classList.add("bad");
  }
  refreshStatus();
}

/* ------------------------------------------------------------- client */

const CLIENT_FIELDS = [
  "server.protocol", "server.host", "server.basepath", "server.alpnProtocol",
  "username", "clientId", "deviceTopicPrefix", "httpProxy", "httpsProxy",
  "ssl.clientCertID", "ssl.CACertID",
];
const CLIENT_NUMBERS = ["server.port", "keepAliveInterval", "connectTimeout"];
const CLIENT_BOOLS = [
  "cleanSession", "autoReconnect", "activateOnReboot", "ssl.validateServerCert",
];

function at(obj, path) {
  return path.split(".").reduce((o, k) => (o === undefined ? o : o[k]), obj);
}

function put(obj, path, v) {
  const keys = path.split(".");
  const last = keys.pop();
  let o = obj;
  keys.forEach((k) => (o = o[k] = o[k] || {}));
  o[last] = v;
}

function fillClient(config) {
  const form = byId("client");
  CLIENT_FIELDS.concat(CLIENT_NUMBERS, CLIENT_BOOLS).forEach((p) =>
    setValue(form, p, at(config, p)));
  const pw = byId("c-password");
  pw.value = "";
  pw.dataset.touched = "";
  pw.placeholder = config.password ? "unchanged (set)" : "none";
  ANNOUNCEMENTS.forEach(([key]) => {
    const node = form.querySelector('[data-announcement="' + key + '"]');
    const m = config[key];
    part(node, "mode").value = !m ? "none" : m.useDefault ? "default" : "custom";
    part(node, "topic").value = (m && m.topic) || "";
    part(node, "message").value = (m && m.message) || "";
    part(node, "qos").value = String((m && m.qos) || 0);
    part(node, "retain").checked = Boolean(m && m.retain);
    showMode(node);
  });
}

function showMode(node) {
  const custom = part(node, "mode").value === "custom";
  node.querySelectorAll(".custom").forEach((r) => (r.hidden = !custom));
}

function clientParams() {
  const form = byId("client");
  const p = {};
  CLIENT_FIELDS.forEach((path) => put(p, path, value(form, path)));
  CLIENT_BOOLS.forEach((path) => put(p, path, value(form, path)));
  CLIENT_NUMBERS.forEach((path) => {
    const text = value(form, path);
    if (text.trim() !== "") {
      put(p, path, numberOf(text));
    }
  });
  const pw = byId("c-password");
  if (pw.dataset.touched) {
    p.password = pw.value;
  } else {
    p.keepExistingPassword = true;
  }
  ANNOUNCEMENTS.forEach(([key]) => {
    const node = form.querySelector('[data-announcement="' + key + '"]');
    const mode = part(node, "mode").value;
    if (mode === "default") {
      p[key] = { useDefault: true };
    } else if (mode === "custom") {
      p[key] = {
        useDefault: false,
        topic: part(node, "topic").value,
        message: part(node, "message").value,
        qos: Number(part(node, "qos").value),
        retain: part(node, "retain").checked,
      };
    }
  });
  return p;
}

async function saveClient(ev) {
  ev.preventDefault();
  const form = byId("client");
  clearErrors(form);
  try {
    await call("client", "configureClient", clientParams());
    say(form, "Saved.");
    fillClient((await call("client", "getClientStatus")).config);
  } catch (e) {
    showError(form, e);
  }
  refreshStatus();
}

/* -------------------------------------------------- lists of filters */

function addEventFilter(f) {
  const list = byId("p-filters");
  const i = list.children.length;
  const node = instance("event-filter", "Event filter " + (i + 1),
                        "eventFilterList[" + i + "].");
  part(node, "topicFilter").value = (f && f.topicFilter) || "";
  part(node, "qos").value = String((f && f.qos) || 0);
  part(node, "retain").value = (f && f.retain) || "none";
  node.querySelector(".remove").addEventListener("click", () => {
    node.remove();
    renumber(list, "Event filter", "eventFilterList");
  });
  node.querySelector(".remove").setAttribute("aria-label",
                                             "Remove event filter " + (i + 1));
  list.appendChild(node);
  return node;
}

function addSubscription(f) {
  const list = byId("s-filters");
  const i = list.children.length;
  const node = instance("subscription", "Subscription " + (i + 1),
                        "mqttFilterList[" + i + "].");
  part(node, "topicFilter").value = (f && f.topicFilter) || "";
  part(node, "useDeviceTopicPrefix").checked = Boolean(f && f.useDeviceTopicPrefix);
  part(node, "qos").value = String((f && f.qos) || 0);
  part(node, "isStateData").checked = Boolean(f && f.isStateData);
  part(node, "virtualInput").value = (f && f.virtualInput) || "";
  node.querySelector(".remove").addEventListener("click", () => {
    node.remove();
    renumber(list, "Subscription", "mqttFilterList");
  });
  node.querySelector(".remove").setAttribute("aria-label",
                                             "Remove subscription " + (i + 1));
  list.appendChild(node);
  return node;
}

/* after a removal: legends and paths follow the rows' places */
function renumber(list, legend, key) {
  Array.from(list.children).forEach((node, i) => {
    node.querySelector("legend").textContent = legend + " " + (i + 1);
    node.querySelectorAll("[data-part]").forEach((el) =>
      (el.dataset.path = key + "[" + i + "]." + el.dataset.part));
  });
}

function fillPublication(c) {
  const form = byId("publication");
  ["topicPrefix", "customTopicPrefix", "appendEventTopic",
   "includeTopicNamespaces", "includeSerialNumberInPayload"].forEach((p) =>
    setValue(form, p, c[p]));
  byId("p-filters").replaceChildren();
  c.eventFilterList.forEach(addEventFilter);
}

function publicationParams() {
  const form = byId("publication");
  return {
    topicPrefix: value(form, "topicPrefix"),
    customTopicPrefix: value(form, "customTopicPrefix"),
    appendEventTopic: value(form, "appendEventTopic"),
    includeTopicNamespaces: value(form, "includeTopicNamespaces"),
    includeSerialNumberInPayload: value(form, "includeSerialNumberInPayload"),
    eventFilterList: Array.from(byId("p-filters").children).map((n) => ({
      topicFilter: part(n, "topicFilter").value,
      qos: Number(part(n, "qos").value),
      retain: part(n, "retain").value,
    })),
  };
}

function fillSubscriptions(c) {
  byId("s-filters").replaceChildren();
  c.mqttFilterList.forEach(addSubscription);
}

function subscriptionParams() {
  return {
    mqttFilterList: Array.from(byId("s-filters").children).map((n) => {
      const f = {
        topicFilter: part(n, "topicFilter").value,
        useDeviceTopicPrefix: part(n, "useDeviceTopicPrefix").checked,
        qos: Number(part(n, "qos").value),
        isStateData: part(n, "isStateData").checked,
      };
      const vi = part(n, "virtualInput").value;
      if (vi.trim() !== "") {
        f.virtualInput = numberOf(vi);
      }
      return f;
    }),
  };
}

async function save(ev, formId, method, params, get, key, fill) {
  ev.preventDefault();
  const form = byId(formId);
  clearErrors(form);
  try {
    await call("event", method, params());
    say(form, "Saved.");
    fill((await call("event", get))[key]);
  } catch (e) {
    showError(form, e);
  }
}

/* ---------------------------------------------------------------- start */

async function load() {
  try {
    fillClient((await call("client", "getClientStatus")).config);
    fillPublication((await call("event", "getEventPublicationConfig"))
                    .eventPublicationConfig);
    fillSubscriptions((await call("event", "getMqttSubscriptionConfig"))
                      .mqttSubscriptionConfig);
  } catch (e) {
    byId("status-msg").textContent = "Could not read the settings: " + e.message;
    byId("status-msg").classList.add("bad");
  }
}

function setUp() {
  const client = byId("client");
  const box = byId("announcements");
  ANNOUNCEMENTS.forEach(([key, legend]) => {
    const node = instance("announcement", legend, key + ".");
    node.dataset.announcement = key;
    part(node, "mode").dataset.path = key;
    part(node, "mode").addEventListener("change", () => showMode(node));
    box.appendChild(node);
  });
  byId("c-password").addEventListener("input", (e) =>
    (e.target.dataset.touched = "1"));
  client.addEventListener("submit", saveClient);
  byId("activate").addEventListener("click", () => setActive("activateClient"));
  byId("deactivate").addEventListener("click", () => setActive("deactivateClient"));
  byId("p-add").addEventListener("click", () =>
    part(addEventFilter(), "topicFilter").focus());
  byId("s-add").addEventListener("click", () =>
    part(addSubscription(), "topicFilter").focus());
  byId("publication").addEventListener("submit", (ev) =>
    save(ev, "publication", "configureEventPublication", publicationParams,
         "getEventPublicationConfig", "eventPublicationConfig", fillPublication));
  byId("subscriptions").addEventListener("submit", (ev) =>
    save(ev, "subscriptions", "configureMqttSubscription", subscriptionParams,
         "getMqttSubscriptionConfig", "mqttSubscriptionConfig", fillSubscriptions));
  load();
  refreshStatus();
  setInterval(refreshStatus, POLL_MS);
}

setUp();

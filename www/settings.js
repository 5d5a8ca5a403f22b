/*
 * The gateway's MQTT settings page.  It talks to the device's own
 * client.cgi and event.cgi, and nothing else: what it can do is what the
 * API allows, for whom the API allows it.
 *
 * One table per API object (CLIENT, PUBLICATION, EVENT_FILTER,
 * SUBSCRIPTION) says each field's path, label and kind; the same table
 * makes the form, fills it from a get method's answer and makes the
 * configure method's params from it.  Every error the API returns is
 * shown next to the field its message names (the API's messages name the
 * parameter by its path: "server.port", "eventFilterList[1].qos").
 */

"use strict";

const API = "../axis-cgi/mqtt/";
const VERSIONS = { client: "1.0", event: "1.1" };
const POLL_MS = 2000;
const QOS = ["0", "1", "2"];

/*
 * kind: "text" (the default), "number" (sent as a number when it is one,
 * left out when empty), "check", "select" (options: [value, text]), "qos",
 * "secret" (write-only), "optional-number" (virtualInput: left out when
 * empty), "message" (an announcement: none, the default or custom).
 */
const CLIENT = [
  ["Broker", [
    { path: "server.protocol", label: "Protocol", kind: "select",
      options: [["tcp", "tcp"], ["ssl", "ssl"], ["ws", "ws"], ["wss", "wss"]] },
    { path: "server.host", label: "Host" },
    { path: "server.port", label: "Port", kind: "number",
      placeholder: "the protocol's default" },
    { path: "server.basepath", label: "Base path (ws, wss)",
      placeholder: "/mqtt" },
    { path: "server.alpnProtocol", label: "ALPN protocol" },
  ]],
  ["Credentials", [
    { path: "username", label: "User name" },
    { path: "password", label: "Password", kind: "secret",
      help: "Never shown; left empty, the saved one is kept." },
    { path: "clientId", label: "Client ID", placeholder: "the serial number" },
  ]],
  ["Connection", [
    { path: "keepAliveInterval", label: "Keep-alive interval (s)",
      kind: "number" },
    { path: "connectTimeout", label: "Connect timeout (s)", kind: "number" },
    { path: "cleanSession", label: "Clean session", kind: "check" },
    { path: "autoReconnect", label: "Reconnect automatically", kind: "check" },
    { path: "activateOnReboot", label: "Activate on reboot", kind: "check" },
    { path: "deviceTopicPrefix", label: "Device topic prefix" },
    { path: "httpProxy", label: "HTTP proxy", placeholder: "none" },
    { path: "httpsProxy", label: "HTTPS proxy", placeholder: "none" },
  ]],
  ["TLS", [
    { path: "ssl.validateServerCert",
      label: "Validate the broker's certificate", kind: "check" },
    { path: "ssl.CACertID", label: "CA certificate ID",
      placeholder: "the system's CAs" },
    { path: "ssl.clientCertID", label: "Client certificate ID",
      placeholder: "none" },
  ]],
  ["Last will", [{ path: "lastWillTestament", kind: "message" }]],
  ["Connect message", [{ path: "connectMessage", kind: "message" }]],
  ["Disconnect message", [{ path: "disconnectMessage", kind: "message" }]],
];

const MESSAGE = [
  { path: "topic", label: "Topic" },
  { path: "message", label: "Payload" },
  { path: "qos", label: "QoS", kind: "qos" },
  { path: "retain", label: "Retain", kind: "check" },
];

const PUBLICATION = [
  ["Prefix", [
    { path: "topicPrefix", label: "Topic prefix", kind: "select",
      options: [["default", "the device topic prefix, then /event"],
                ["custom", "custom"]] },
    { path: "customTopicPrefix", label: "Custom topic prefix" },
    { path: "appendEventTopic", label: "Append the event's topic",
      kind: "check" },
    { path: "includeTopicNamespaces", label: "Include topic namespaces",
      kind: "check" },
    { path: "includeSerialNumberInPayload",
      label: "Include the serial number in the payload", kind: "check" },
  ]],
];

const EVENT_FILTER = [
  { path: "topicFilter", label: "Topic filter",
    placeholder: "onvif:Device/axis:IO//." },
  { path: "qos", label: "QoS", kind: "qos" },
  { path: "retain", label: "Retain", kind: "select",
    options: [["none", "none"], ["property", "stateful events"],
              ["all", "all"]] },
];

const SUBSCRIPTION = [
  { path: "topicFilter", label: "Topic filter", placeholder: "site/door/1" },
  { path: "useDeviceTopicPrefix", label: "After the device topic prefix",
    kind: "check" },
  { path: "qos", label: "QoS", kind: "qos" },
  { path: "isStateData", label: "The message is a state", kind: "check" },
  { path: "virtualInput", label: "Virtual input", kind: "optional-number",
    placeholder: "none" },
];

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

/* ---------------------------------------------------- making the form */

function byId(id) {
  return document.getElementById(id);
}

function make(tag, props, children) {
  const e = Object.assign(document.createElement(tag), props || {});
  (children || []).forEach((c) => e.appendChild(c));
  return e;
}

function options(pairs) {
  return pairs.map(([value, text]) => make("option", { value, textContent: text }));
}

/* one field's row: its label, its control (data-path: prefix + path), its
 * error; a "message" field is a fieldset of its own */
function row(f, prefix) {
  const path = prefix + f.path;
  const id = "f-" + ++uid;
  let input;

  switch (f.kind) {
  case "message":
    return messageRows(f, path, id);
  case "select":
    input = make("select", { id }, options(f.options));
    break;
  case "qos":
    input = make("select", { id }, options(QOS.map((q) => [q, q])));
    break;
  case "check":
    input = make("input", { id, type: "checkbox" });
    break;
  case "secret":
    input = make("input", { id, type: "password", autocomplete: "new-password" });
    input.addEventListener("input", () => (input.dataset.touched = "1"));
    break;
  default:
    input = make("input", { id, autocomplete: "off" });
    if (f.kind === "number" || f.kind === "optional-number") {
      input.inputMode = "numeric";
    }
  }

  input.dataset.path = path;
  input.dataset.kind = f.kind || "text";
  if (f.placeholder) {
    input.placeholder = f.placeholder;
  }

  const label = make("label", { htmlFor: id, textContent: f.label });
  const err = make("span", { className: "err", id: id + "-err" });
  err.setAttribute("aria-live", "polite");

  if (f.kind === "check") {
    return make("div", { className: "row check" }, [input, label, err]);
  }

  const parts = [label, input];
  if (f.help) {
    const help = make("span", { className: "help", id: id + "-help",
                                textContent: f.help });
    input.setAttribute("aria-describedby", help.id);
    parts.push(help);
  }
  parts.push(err);
  return make("div", { className: "row" }, parts);
}

/* an announcement: a mode, and the custom message's fields when custom */
function messageRows(f, path, id) {
  const mode = make("select", { id }, options([
    ["none", "none"], ["default", "the default"], ["custom", "custom"]]));
  mode.dataset.path = path;
  mode.dataset.kind = "message";
  const custom = make("div", { className: "custom" },
                      MESSAGE.map((m) => row(m, path + ".")));
  mode.addEventListener("change", () =>
    (custom.hidden = mode.value !== "custom"));
  return make("div", {}, [
    make("div", { className: "row" }, [
      make("label", { htmlFor: id, textContent: "Message" }), mode]),
    custom]);
}

function fieldsets(table, prefix) {
  return table.map(([legend, fields]) =>
    make("fieldset", {}, [make("legend", { textContent: legend })]
                         .concat(fields.map((f) => row(f, prefix)))));
}

/* ----------------------------------------- from answers, to parameters */

function at(obj, path) {
  return path.split(".").reduce((o, k) => (o == null ? undefined : o[k]), obj);
}

function put(obj, path, v) {
  const keys = path.split(".");
  const last = keys.pop();
  let o = obj;
  keys.forEach((k) => (o = o[k] = o[k] || {}));
  o[last] = v;
}

/* a number as typed: a number when it is one, else the text as it is,
 * which the API then refuses with its own words */
function numberOf(text) {
  const t = text.trim();
  return /^-?\d+$/.test(t) ? Number(t) : t;
}

/* the controls of a table's fields under root, each with its own path */
function controls(root, table, prefix, each) {
  table.forEach((f) => {
    const el = root.querySelector('[data-path="' + CSS.escape(prefix + f.path)
                                  + '"]');
    each(f, el);
  });
}

function fill(root, table, prefix, obj) {
  controls(root, table, prefix, (f, el) => {
    const v = at(obj, f.path);
    switch (f.kind) {
    case "check":
      el.checked = Boolean(v);
      break;
    case "secret":
      el.value = "";
      el.dataset.touched = "";
      el.placeholder = v ? "unchanged (set)" : "none";
      break;
    case "message":
      el.value = !v ? "none" : v.useDefault ? "default" : "custom";
      fill(root, MESSAGE, prefix + f.path + ".", v || {});
      el.dispatchEvent(new Event("change"));
      break;
    case "qos":
      el.value = String(v || 0);
      break;
    case "select":
      /* a new item: the API's default, its first option */
      el.value = v == null ? f.options[0][0] : String(v);
      break;
    default:
      el.value = v == null ? "" : String(v);
    }
  });
}

function params(root, table, prefix) {
  const p = {};
  controls(root, table, prefix, (f, el) => {
    switch (f.kind) {
    case "check":
      put(p, f.path, el.checked);
      break;
    case "qos":
      put(p, f.path, Number(el.value));
      break;
    case "number":
    case "optional-number":
      if (el.value.trim() !== "") {
        put(p, f.path, numberOf(el.value));
      }
      break;
    case "secret":
      if (el.dataset.touched) {
        put(p, f.path, el.value);
      } else {
        p.keepExistingPassword = true;
      }
      break;
    case "message":
      if (el.value === "default") {
        put(p, f.path, { useDefault: true });
      } else if (el.value === "custom") {
        put(p, f.path, Object.assign({ useDefault: false },
                                     params(root, MESSAGE, prefix + f.path + ".")));
      }
      break;
    default:
      put(p, f.path, el.value);
    }
  });
  return p;
}

const flat = (table) => table.flatMap(([, fields]) => fields);

/* --------------------------------------------------- lists of filters */

/* a list of items of one table: "key[i]." in front of each item's paths */
function list(box, key, table, legend) {
  const self = {
    add(item) {
      const i = box.children.length;
      const remove = make("button", { type: "button", className: "remove",
                                      textContent: "Remove" });
      const node = make("fieldset", { className: "item" },
                        [make("legend")].concat(
                          table.map((f) => row(f, key + "[" + i + "]."))));
      node.appendChild(remove);
      remove.addEventListener("click", () => {
        node.remove();
        self.renumber();
      });
      box.appendChild(node);
      self.renumber();
      fill(node, table, key + "[" + i + "].", item || {});
      return node;
    },
    /* legends and paths follow the items' places */
    renumber() {
      Array.from(box.children).forEach((node, i) => {
        node.querySelector("legend").textContent = legend + " " + (i + 1);
        node.querySelector(".remove").setAttribute(
          "aria-label", "Remove " + legend.toLowerCase() + " " + (i + 1));
        node.querySelectorAll("[data-path]").forEach((el) =>
          (el.dataset.path = el.dataset.path.replace(/^\w+\[\d+\]/,
                                                     key + "[" + i + "]")));
      });
    },
    fill(items) {
      box.replaceChildren();
      items.forEach((item) => self.add(item));
    },
    params() {
      return Array.from(box.children).map((node, i) =>
        params(node, table, key + "[" + i + "]."));
    },
  };
  return self;
}

/* ------------------------------------------------------------- errors */

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

/* the API's error, next to the field its message names, or under the form */
function showError(form, err) {
  const message = err.message || String(err);
  let best = null;
  form.querySelectorAll("[data-path]").forEach((el) => {
    const path = el.dataset.path;
    const i = message.indexOf(path);
    if (i >= 0 && (i === 0 || /[\s:(]/.test(message.charAt(i - 1)))
        && !/[\w.\[]/.test(message.charAt(i + path.length))
        && (best === null || path.length > best.dataset.path.length)) {
      best = el;
    }
  });
  const errEl = best && best.closest(".row").querySelector(".err");
  if (!errEl) {
    say(form, message, true);
    return;
  }
  errEl.textContent = message;
  best.setAttribute("aria-invalid", "true");
  best.setAttribute("aria-describedby", errEl.id);
  best.focus();
  say(form, "Not saved: see the field marked.", true);
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

/* ---------------------------------------------------------- the forms */

/*
 * A form of the page: its get method and answer key, its configure
 * method, and how its params are made and its answer shown.
 */
function form(id, cgi, get, key, configure, toParams, show) {
  const el = byId(id);
  const self = {
    async load() {
      show(at(await call(cgi, get), key));
    },
  };
  el.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    clearErrors(el);
    try {
      await call(cgi, configure, toParams());
      say(el, "Saved.");
      await self.load();
    } catch (e) {
      showError(el, e);
    }
    refreshStatus();
  });
  return self;
}

function setUp() {
  const client = byId("client");
  byId("c-fields").replaceChildren(...fieldsets(CLIENT, ""));
  byId("p-fields").replaceChildren(...fieldsets(PUBLICATION, ""));

  const filters = list(byId("p-filters"), "eventFilterList", EVENT_FILTER,
                       "Event filter");
  const subscriptions = list(byId("s-filters"), "mqttFilterList",
                             SUBSCRIPTION, "Subscription");

  const forms = [
    form("client", "client", "getClientStatus", "config", "configureClient",
         () => params(client, flat(CLIENT), ""),
         (c) => fill(client, flat(CLIENT), "", c)),
    form("publication", "event", "getEventPublicationConfig",
         "eventPublicationConfig", "configureEventPublication",
         () => Object.assign(params(byId("publication"), flat(PUBLICATION), ""),
                             { eventFilterList: filters.params() }),
         (c) => {
           fill(byId("publication"), flat(PUBLICATION), "", c);
           filters.fill(c.eventFilterList);
         }),
    form("subscriptions", "event", "getMqttSubscriptionConfig",
         "mqttSubscriptionConfig", "configureMqttSubscription",
         () => ({ mqttFilterList: subscriptions.params() }),
         (c) => subscriptions.fill(c.mqttFilterList)),
  ];

  byId("activate").addEventListener("click", () => setActive("activateClient"));
  byId("deactivate").addEventListener("click", () => setActive("deactivateClient"));
  byId("p-add").addEventListener("click", () =>
    filters.add().querySelector("input").focus());
  byId("s-add").addEventListener("click", () =>
    subscriptions.add().querySelector("input").focus());

  forms.forEach((f) => f.load().catch((e) => {
    byId("status-msg").textContent = "Could not read the settings: " + e.message;
    byId("status-msg").classList.add("bad");
  }));
  refreshStatus();
  setInterval(refreshStatus, POLL_MS);
}

setUp();

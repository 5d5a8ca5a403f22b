
/*
 * The client.cgi request/response cycle of the MQTT client API.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "axis_mqtt_api.h"


typedef struct {
    const char              *name;
    axis_mqtt_api_e          api;
    axis_mqtt_method_e       method;
} axis_mqtt_method_name_t;


static void axis_mqtt_request_check(axis_mqtt_request_t *req,
    axis_mqtt_api_e api, json_t *root, const char *serial);
static int axis_mqtt_version_supported(const char *version);
static json_t *axis_mqtt_status_json(const axis_mqtt_state_t *state,
    int connected);
static json_t *axis_mqtt_response_data(const axis_mqtt_request_t *req,
    const axis_mqtt_state_t *state, int connected);


static const axis_mqtt_method_name_t  axis_mqtt_methods[] = {
    { "configureClient",       AXIS_MQTT_API_CLIENT,
                               AXIS_MQTT_METHOD_CONFIGURE },
    { "activateClient",        AXIS_MQTT_API_CLIENT,
                               AXIS_MQTT_METHOD_ACTIVATE },
    { "deactivateClient",      AXIS_MQTT_API_CLIENT,
                               AXIS_MQTT_METHOD_DEACTIVATE },
    { "getClientStatus",       AXIS_MQTT_API_CLIENT,
                               AXIS_MQTT_METHOD_GET_STATUS },
    { "getSupportedVersions",  AXIS_MQTT_API_CLIENT,
                               AXIS_MQTT_METHOD_GET_VERSIONS },
    { "getClientDiagnostics",  AXIS_MQTT_API_CLIENT,
                               AXIS_MQTT_METHOD_GET_DIAGNOSTICS },
    { "getApiList",            AXIS_MQTT_API_DISCOVERY,
                               AXIS_MQTT_METHOD_GET_API_LIST },
    { "getSupportedVersions",  AXIS_MQTT_API_DISCOVERY,
                               AXIS_MQTT_METHOD_GET_VERSIONS },
    { "configureEventPublication", AXIS_MQTT_API_EVENT,
                               AXIS_MQTT_METHOD_CONFIGURE_EVENTS },
    { "getEventPublicationConfig", AXIS_MQTT_API_EVENT,
                               AXIS_MQTT_METHOD_GET_EVENTS },
    { "configureMqttSubscription", AXIS_MQTT_API_EVENT,
                               AXIS_MQTT_METHOD_CONFIGURE_INBOUND },
    { "getMqttSubscriptionConfig", AXIS_MQTT_API_EVENT,
                               AXIS_MQTT_METHOD_GET_INBOUND },
    { "getSupportedVersions",  AXIS_MQTT_API_EVENT,
                               AXIS_MQTT_METHOD_GET_VERSIONS },
    { NULL,                    AXIS_MQTT_API_CLIENT,
                               AXIS_MQTT_METHOD_UNKNOWN }
};


static json_t *
axis_mqtt_string_or_null(json_t *obj, const char *key)
{
    json_t  *value;

    value = json_object_get(obj, key);

    return json_is_string(value) ? json_incref(value) : NULL;
}


void
axis_mqtt_request_parse(axis_mqtt_request_t *req, const char *body,
    size_t len, int admin, const char *serial)
{
    axis_mqtt_request_parse_api(req, AXIS_MQTT_API_CLIENT, body, len, admin,
                                serial);
}


void
axis_mqtt_request_parse_api(axis_mqtt_request_t *req, axis_mqtt_api_e api,
    const char *body, size_t len, int admin, const char *serial)
{
    json_t        *root;
    json_error_t   jerr;

    req->api = api;
    req->method = AXIS_MQTT_METHOD_UNKNOWN;
    req->error.code = AXIS_MQTT_OK;
    req->error.message[0] = '\0';
    req->api_version = NULL;
    req->context = NULL;
    req->method_name = NULL;
    req->envelope = NULL;
    req->keep_password = 0;

    /*
     * A key given twice is refused: a proxy, a logger or a rule in front
     * of the gateway could read the other value than the one acted on.
     */
    root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);

    if (json_is_object(root)) {
        req->api_version = axis_mqtt_string_or_null(root, "apiVersion");
        req->context = axis_mqtt_string_or_null(root, "context");
        req->method_name = axis_mqtt_string_or_null(root, "method");
    }

    /* nothing but the echo is looked at for a caller who is not Admin */

    if (!admin) {
        axis_mqtt_error_set(&req->error, AXIS_MQTT_ERR_AUTH,
                            "Authorization failure: Admin access required");

    } else if (root == NULL) {
        axis_mqtt_error_set(&req->error, AXIS_MQTT_ERR_JSON,
                            "Invalid JSON format: %s at line %d column %d",
                            jerr.text, jerr.line, jerr.column);

    } else if (!json_is_object(root)) {
        axis_mqtt_error_set(&req->error, AXIS_MQTT_ERR_JSON,
                            "Invalid JSON format: the request is not an "
                            "object");

    } else {
        axis_mqtt_request_check(req, api, root, serial);
    }

    json_decref(root);
}


static void
axis_mqtt_request_check(axis_mqtt_request_t *req, axis_mqtt_api_e api,
    json_t *root, const char *serial)
{
    json_t                         *context;
    const axis_mqtt_method_name_t  *m;

    if (req->method_name == NULL) {
        axis_mqtt_error_set(&req->error, AXIS_MQTT_ERR_PARAM_MISSING,
                            "Required parameter missing or invalid: method");
        return;
    }

    for (m = axis_mqtt_methods; m->name != NULL; m++) {
        if (m->api == api
            && strcmp(json_string_value(req->method_name), m->name) == 0)
        {
            break;
        }
    }

    if (m->name == NULL) {
        axis_mqtt_error_set(&req->error, AXIS_MQTT_ERR_METHOD,
                            "Method not supported: %.64s",
                            json_string_value(req->method_name));
        return;
    }

    req->method = m->method;

    context = json_object_get(root, "context");

    if (context != NULL && !json_is_null(context) && !json_is_string(context))
    {
        axis_mqtt_error_set(&req->error, AXIS_MQTT_ERR_PARAM_MISSING,
                            "Required parameter missing or invalid: "
                            "context must be a string");
        return;
    }

    /* the versions can be asked for without knowing one */

    if (req->method == AXIS_MQTT_METHOD_GET_VERSIONS) {
        return;
    }

    if (req->api_version == NULL) {
        axis_mqtt_error_set(&req->error, AXIS_MQTT_ERR_PARAM_MISSING,
                            "Required parameter missing or invalid: "
                            "apiVersion");
        return;
    }

    if (!axis_mqtt_version_supported(json_string_value(req->api_version))) {
        axis_mqtt_error_set(&req->error, AXIS_MQTT_ERR_VERSION,
                            "API version not supported: %.32s",
                            json_string_value(req->api_version));
        return;
    }

    if (req->method == AXIS_MQTT_METHOD_CONFIGURE) {
        (void) axis_mqtt_conf_from_json(&req->conf,
                                        json_object_get(root, "params"),
                                        serial, &req->keep_password,
                                        &req->error);

    } else if (req->method == AXIS_MQTT_METHOD_CONFIGURE_EVENTS) {
        (void) axis_mqtt_event_conf_from_json(&req->events,
                                              json_object_get(root, "params"),
                                              &req->error);

    } else if (req->method == AXIS_MQTT_METHOD_CONFIGURE_INBOUND) {
        (void) axis_mqtt_inbound_conf_from_json(&req->inbound,
                                                json_object_get(root,
                                                                "params"),
                                                &req->error);
    }
}


/* "<major>.<minor>", both decimal; every minor of major 1 is served */

static int
axis_mqtt_version_supported(const char *version)
{
    const char  *p, *dot;

    dot = strchr(version, '.');

    if (dot == NULL || dot == version || dot[1] == '\0') {
        return 0;
    }

    for (p = version; *p != '\0'; p++) {
        if (p != dot && (*p < '0' || *p > '9')) {
            return 0;
        }
    }

    /* leading zeros are tolerated: "01.0" is major 1 */

    for (p = version; p < dot - 1 && *p == '0'; p++) { /* void */ }

    return dot - p == 1 && *p == '1';
}


void
axis_mqtt_request_free(axis_mqtt_request_t *req)
{
    json_malloc_t  alloc;
    json_free_t    release;

    json_decref(req->api_version);
    json_decref(req->context);
    json_decref(req->method_name);

    if (req->envelope != NULL) {
        json_get_alloc_funcs(&alloc, &release);
        release(req->envelope);
    }

    req->api_version = NULL;
    req->context = NULL;
    req->method_name = NULL;
    req->envelope = NULL;
}


int
axis_mqtt_request_writes(const axis_mqtt_request_t *req)
{
    return req->method == AXIS_MQTT_METHOD_CONFIGURE
           || req->method == AXIS_MQTT_METHOD_ACTIVATE
           || req->method == AXIS_MQTT_METHOD_DEACTIVATE
           || req->method == AXIS_MQTT_METHOD_CONFIGURE_EVENTS
           || req->method == AXIS_MQTT_METHOD_CONFIGURE_INBOUND;
}


int
axis_mqtt_request_apply(const axis_mqtt_request_t *req,
    const axis_mqtt_state_t *current, axis_mqtt_state_t *next,
    axis_mqtt_error_t *err)
{
    switch (req->method) {

    case AXIS_MQTT_METHOD_CONFIGURE:
        *next = *current;
        next->conf = req->conf;

        if (req->keep_password) {
            memcpy(next->conf.password, current->conf.password,
                   sizeof(next->conf.password));
        }

        return 0;

    case AXIS_MQTT_METHOD_ACTIVATE:
        if (current->conf.host[0] == '\0') {
            axis_mqtt_error_set(err, AXIS_MQTT_ERR_PARAM_MISSING,
                                "Required parameter missing or invalid: "
                                "no broker is configured (server.host)");
            return -1;
        }

        *next = *current;
        next->active = 1;
        return 0;

    case AXIS_MQTT_METHOD_DEACTIVATE:
        *next = *current;
        next->active = 0;
        return 0;

    case AXIS_MQTT_METHOD_CONFIGURE_EVENTS:
        *next = *current;
        next->events = req->events;
        return 0;

    case AXIS_MQTT_METHOD_CONFIGURE_INBOUND:
        *next = *current;
        next->inbound = req->inbound;
        return 0;

    default:
        axis_mqtt_error_set(err, AXIS_MQTT_ERR_INTERNAL,
                            "Internal error: not a write method");
        return -1;
    }
}


char *
axis_mqtt_response(axis_mqtt_request_t *req,
    const axis_mqtt_error_t *err, const axis_mqtt_state_t *state,
    int connected)
{
    json_t  *data;

    data = NULL;

    if (err == NULL || err->code == AXIS_MQTT_OK) {
        data = axis_mqtt_response_data(req, state, connected);
        if (data == NULL) {
            return NULL;
        }
    }

    return axis_mqtt_response_with(req, err, data);
}


char *
axis_mqtt_response_with(axis_mqtt_request_t *req,
    const axis_mqtt_error_t *err, json_t *data)
{
    char                *text, *answer;
    size_t               len;
    const char          *envelope, *key;
    json_malloc_t        alloc;
    json_free_t          release;

    key = "data";

    if (err != NULL && err->code != AXIS_MQTT_OK) {
        json_decref(data);
        data = json_pack("{s:i, s:s}", "code", err->code,
                         "message", err->message);
        key = "error";
    }

    envelope = axis_mqtt_request_envelope(req);
    text = data ? json_dumps(data, JSON_COMPACT) : NULL;
    json_decref(data);

    if (envelope == NULL || text == NULL) {
        json_get_alloc_funcs(&alloc, &release);
        release(text);
        return NULL;
    }

    /* jansson's allocator, as for every other text it writes */
    json_get_alloc_funcs(&alloc, &release);

    len = axis_mqtt_response_around(envelope, key, text, NULL, 0);
    answer = alloc(len + 1);

    if (answer != NULL) {
        (void) axis_mqtt_response_around(envelope, key, text, answer,
                                         len + 1);
    }

    release(text);

    return answer;
}


char *
axis_mqtt_status_data(const axis_mqtt_state_t *state, int connected)
{
    char    *text;
    json_t  *data;

    data = axis_mqtt_status_json(state, connected);
    if (data == NULL) {
        return NULL;
    }

    text = json_dumps(data, JSON_COMPACT);
    json_decref(data);

    return text;
}


/*
 * The opening of every answer to this request, up to the key of its
 * "data" or "error": what the request gave of apiVersion, context and
 * method, as jansson writes it.  Made once per request: a request kept
 * to answer again (the worker's last getClientStatus) keeps it too.
 */

const char *
axis_mqtt_request_envelope(axis_mqtt_request_t *req)
{
    size_t   len;
    json_t  *root;

    if (req->envelope != NULL) {
        return req->envelope;
    }

    root = json_object();

    if (root == NULL
        || json_object_set_new(root, "apiVersion",
                               req->api_version
                               ? json_incref(req->api_version)
                               : json_string(AXIS_MQTT_API_VERSION))
           != 0
        || (req->context
            && json_object_set(root, "context", req->context) != 0)
        || (req->method_name
            && json_object_set(root, "method", req->method_name) != 0))
    {
        json_decref(root);
        return NULL;
    }

    req->envelope = json_dumps(root, JSON_COMPACT);
    json_decref(root);

    if (req->envelope != NULL) {
        /* "{...}" becomes "{...,": the answer's own key follows */
        len = strlen(req->envelope);
        req->envelope[len - 1] = ',';
    }

    return req->envelope;
}


/*
 * Like snprintf(): envelope, "key":text, and the closing brace.  Copied
 * piece by piece: snprintf() itself parses its format on every answer.
 */

size_t
axis_mqtt_response_around(const char *envelope, const char *key,
    const char *text, char *buf, size_t size)
{
    size_t       i, len, n[6];
    const char  *piece[6];

    piece[0] = envelope;
    piece[1] = "\"";
    piece[2] = key;
    piece[3] = "\":";
    piece[4] = text;
    piece[5] = "}";

    len = 0;

    for (i = 0; i < 6; i++) {
        n[i] = strlen(piece[i]);
        len += n[i];
    }

    if (len < size) {
        for (i = 0; i < 6; i++) {
            memcpy(buf, piece[i], n[i]);
            buf += n[i];
        }

        *buf = '\0';
    }

    return len;
}


static json_t *
axis_mqtt_response_data(const axis_mqtt_request_t *req,
    const axis_mqtt_state_t *state, int connected)
{
    switch (req->method) {

    case AXIS_MQTT_METHOD_GET_VERSIONS:
        return json_pack("{s:[s]}", "apiVersions",
                         req->api == AXIS_MQTT_API_EVENT
                         ? AXIS_MQTT_EVENT_API_VERSION
                         : AXIS_MQTT_API_VERSION);

    case AXIS_MQTT_METHOD_GET_STATUS:
        return axis_mqtt_status_json(state, connected);

    case AXIS_MQTT_METHOD_GET_EVENTS:
        return json_pack("{s:o}", "eventPublicationConfig",
                         axis_mqtt_event_conf_to_json(&state->events));

    case AXIS_MQTT_METHOD_GET_INBOUND:
        return json_pack("{s:o}", "mqttSubscriptionConfig",
                         axis_mqtt_inbound_conf_to_json(&state->inbound));

    case AXIS_MQTT_METHOD_GET_DIAGNOSTICS:
        /* without a cause: the module answers it with the zone's */
        return axis_mqtt_diagnostics_json(state->active, connected, NULL, 0);

    default:
        return json_object();
    }
}


static json_t *
axis_mqtt_status_json(const axis_mqtt_state_t *state, int connected)
{
    return json_pack("{s:{s:s, s:s}, s:o}",
                     "status",
                     "state", state->active ? "active" : "inactive",
                     "connectionStatus",
                     connected ? "connected" : "disconnected",
                     "config", axis_mqtt_conf_to_json(&state->conf, 0));
}


json_t *
axis_mqtt_diagnostics_json(int active, int connected, const char *cause,
    int64_t cause_at)
{
    char       stamp[32];
    json_t    *data;
    time_t     sec;
    struct tm  tm;

    if (connected || cause == NULL || cause[0] == '\0') {
        return json_pack("{s:s, s:s, s:n, s:n}",
                         "state", active ? "active" : "inactive",
                         "connectionStatus",
                         connected ? "connected" : "disconnected",
                         "cause", "causeTime");
    }

    sec = (time_t) (cause_at / 1000);
    gmtime_r(&sec, &tm);
    strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);

    /* NULL when the cause is not UTF-8: then as if there were none */
    data = json_pack("{s:s, s:s, s:s, s:s}",
                     "state", active ? "active" : "inactive",
                     "connectionStatus", "disconnected",
                     "cause", cause, "causeTime", stamp);

    return data ? data : axis_mqtt_diagnostics_json(active, 0, NULL, 0);
}


/*
 * The client.cgi request/response cycle of the MQTT client API.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axis_mqtt_api.h"


typedef struct {
    const char              *name;
    axis_mqtt_api_e          api;
    axis_mqtt_method_e       method;
} axis_mqtt_method_name_t;


static void axis_mqtt_request_check(axis_mqtt_request_t *req,
    axis_mqtt_api_e api, json_t *root, const char *serial);
static int axis_mqtt_version_supported(const char *version);
static size_t axis_mqtt_append(char *buf, size_t size, size_t len,
    const char *s, size_t n);
static size_t axis_mqtt_append_string(char *buf, size_t size, size_t len,
    const json_t *string);
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
    { "getApiList",            AXIS_MQTT_API_DISCOVERY,
                               AXIS_MQTT_METHOD_GET_API_LIST },
    { "getSupportedVersions",  AXIS_MQTT_API_DISCOVERY,
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

    req->method = AXIS_MQTT_METHOD_UNKNOWN;
    req->error.code = AXIS_MQTT_OK;
    req->error.message[0] = '\0';
    req->api_version = NULL;
    req->context = NULL;
    req->method_name = NULL;
    req->keep_password = 0;

    root = json_loadb(body, len, 0, &jerr);

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
    json_decref(req->api_version);
    json_decref(req->context);
    json_decref(req->method_name);

    req->api_version = NULL;
    req->context = NULL;
    req->method_name = NULL;
}


int
axis_mqtt_request_writes(const axis_mqtt_request_t *req)
{
    return req->method == AXIS_MQTT_METHOD_CONFIGURE
           || req->method == AXIS_MQTT_METHOD_ACTIVATE
           || req->method == AXIS_MQTT_METHOD_DEACTIVATE;
}


int
axis_mqtt_request_apply(const axis_mqtt_request_t *req,
    const axis_mqtt_state_t *current, axis_mqtt_state_t *next,
    axis_mqtt_error_t *err)
{
    switch (req->method) {

    case AXIS_MQTT_METHOD_CONFIGURE:
        next->conf = req->conf;
        next->active = current->active;

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

    default:
        axis_mqtt_error_set(err, AXIS_MQTT_ERR_INTERNAL,
                            "Internal error: not a write method");
        return -1;
    }
}


char *
axis_mqtt_response(const axis_mqtt_request_t *req,
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
axis_mqtt_response_with(const axis_mqtt_request_t *req,
    const axis_mqtt_error_t *err, json_t *data)
{
    char    *text;
    json_t  *root;

    root = json_object();
    if (root == NULL) {
        json_decref(data);
        return NULL;
    }

    if (json_object_set_new(root, "apiVersion",
                            req->api_version
                            ? json_incref(req->api_version)
                            : json_string(AXIS_MQTT_API_VERSION))
        != 0
        || (req->context
            && json_object_set(root, "context", req->context) != 0)
        || (req->method_name
            && json_object_set(root, "method", req->method_name) != 0))
    {
        json_decref(data);
        goto failed;
    }

    if (err != NULL && err->code != AXIS_MQTT_OK) {
        json_decref(data);

        if (json_object_set_new(root, "error",
                                json_pack("{s:i, s:s}", "code", err->code,
                                          "message", err->message))
            != 0)
        {
            goto failed;
        }

    } else if (json_object_set_new(root, "data", data) != 0) {
        goto failed;
    }

    text = json_dumps(root, JSON_COMPACT);
    json_decref(root);

    return text;

failed:

    json_decref(root);
    return NULL;
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


size_t
axis_mqtt_response_around(const axis_mqtt_request_t *req, const char *data,
    char *buf, size_t size)
{
    size_t       len, i;
    const char  *text[4];
    json_t      *value[4];

    /* the envelope of axis_mqtt_response_with(), without building it */

    text[0] = "{\"apiVersion\":";
    value[0] = req->api_version;
    text[1] = ",\"context\":";
    value[1] = req->context;
    text[2] = ",\"method\":";
    value[2] = req->method_name;
    text[3] = ",\"data\":";
    value[3] = NULL;

    len = 0;

    for (i = 0; i < 4; i++) {
        if (i > 0 && i < 3 && value[i] == NULL) {
            continue;
        }

        len += axis_mqtt_append(buf, size, len, text[i], strlen(text[i]));

        if (i == 0 && value[i] == NULL) {
            len += axis_mqtt_append(buf, size, len,
                                    "\"" AXIS_MQTT_API_VERSION "\"",
                                    sizeof(AXIS_MQTT_API_VERSION) + 1);

        } else if (value[i] != NULL) {
            len += axis_mqtt_append_string(buf, size, len, value[i]);
        }
    }

    len += axis_mqtt_append(buf, size, len, data, strlen(data));
    len += axis_mqtt_append(buf, size, len, "}", 1);

    return len;
}


/*
 * A JSON string as json_dumps() writes it: quotes, backslash escapes,
 * \\u00XX for the other control characters, UTF-8 as it is.  Written
 * here because json_dumpb() sets up cycle detection on every call, which
 * costs more than the rest of a getClientStatus answer.
 */

static size_t
axis_mqtt_append_string(char *buf, size_t size, size_t len,
    const json_t *string)
{
    char           esc[8];
    size_t         n, i, start, slen;
    const char    *s;
    unsigned char  c;

    s = json_string_value(string);
    slen = json_string_length(string);

    n = axis_mqtt_append(buf, size, len, "\"", 1);

    for (start = 0, i = 0; i < slen; i++) {
        c = (unsigned char) s[i];

        if (c >= 0x20 && c != '"' && c != '\\') {
            continue;
        }

        n += axis_mqtt_append(buf, size, len + n, s + start, i - start);

        switch (c) {
        case '"':  memcpy(esc, "\\\"", 3); break;
        case '\\': memcpy(esc, "\\\\", 3); break;
        case '\b': memcpy(esc, "\\b", 3); break;
        case '\f': memcpy(esc, "\\f", 3); break;
        case '\n': memcpy(esc, "\\n", 3); break;
        case '\r': memcpy(esc, "\\r", 3); break;
        case '\t': memcpy(esc, "\\t", 3); break;
        default:   snprintf(esc, sizeof(esc), "\\u%04X", c); break;
        }

        n += axis_mqtt_append(buf, size, len + n, esc, strlen(esc));
        start = i + 1;
    }

    n += axis_mqtt_append(buf, size, len + n, s + start, slen - start);
    n += axis_mqtt_append(buf, size, len + n, "\"", 1);

    return n;
}


/* appends n bytes at buf + len if they fit in size; returns n */

static size_t
axis_mqtt_append(char *buf, size_t size, size_t len, const char *s, size_t n)
{
    if (len + n <= size) {
        memcpy(buf + len, s, n);
    }

    return n;
}


static json_t *
axis_mqtt_response_data(const axis_mqtt_request_t *req,
    const axis_mqtt_state_t *state, int connected)
{
    switch (req->method) {

    case AXIS_MQTT_METHOD_GET_VERSIONS:
        return json_pack("{s:[s]}", "apiVersions", AXIS_MQTT_API_VERSION);

    case AXIS_MQTT_METHOD_GET_STATUS:
        return axis_mqtt_status_json(state, connected);

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

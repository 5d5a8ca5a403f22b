
/*
 * The MQTT client configuration: defaults, validation of the
 * configureClient parameters and the JSON form shown by getClientStatus
 * and kept in the state file.
 */

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "axis_mqtt_conf.h"


#define AXIS_MQTT_PATH_LEN  64


typedef enum {
    AXIS_MQTT_TEXT_ANY = 0,       /* any UTF-8 (jansson already refused NUL) */
    AXIS_MQTT_TEXT_PRINTABLE,     /* no control characters */
    AXIS_MQTT_TEXT_HOST,          /* printable, none of " /?#@" */
    AXIS_MQTT_TEXT_FILE_NAME,     /* printable, no '/', not "." or ".." */
    AXIS_MQTT_TEXT_TOPIC          /* a topic to publish to: no wildcards */
} axis_mqtt_text_e;


static size_t axis_mqtt_utf8_prefix(const char *s);
static int axis_mqtt_read_value(const json_t *obj, const char *key,
    const char *where, int required, json_t **value, axis_mqtt_error_t *err);
static int axis_mqtt_read_string(const json_t *obj, const char *key,
    const char *where, int required, axis_mqtt_text_e text, char *buf,
    size_t max, axis_mqtt_error_t *err);
static int axis_mqtt_read_bool(const json_t *obj, const char *key,
    const char *where, int required, int *out, axis_mqtt_error_t *err);
static int axis_mqtt_read_int(const json_t *obj, const char *key,
    const char *where, int required, int min, int max, int *out,
    axis_mqtt_error_t *err);
static int axis_mqtt_read_object(const json_t *obj, const char *key,
    const char *where, int required, json_t **out, axis_mqtt_error_t *err);
static int axis_mqtt_text_valid(const char *s, size_t len,
    axis_mqtt_text_e text);
static int axis_mqtt_message_from_json(axis_mqtt_message_t *msg,
    const json_t *params, const char *key, axis_mqtt_error_t *err);
static int axis_mqtt_server_from_json(axis_mqtt_conf_t *conf,
    const json_t *params, axis_mqtt_error_t *err);
static int axis_mqtt_ssl_from_json(axis_mqtt_conf_t *conf,
    const json_t *params, axis_mqtt_error_t *err);
static json_t *axis_mqtt_message_to_json(const axis_mqtt_message_t *msg);


static const char  *axis_mqtt_protocols[] = { "tcp", "ssl", "ws", "wss" };
static const int    axis_mqtt_default_ports[] = { 1883, 8883, 80, 443 };


void
axis_mqtt_error_set(axis_mqtt_error_t *err, int code, const char *fmt, ...)
{
    va_list  args;

    err->code = code;

    va_start(args, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, args);
    va_end(args);

    /*
     * The message quotes request bytes and parser text, and may have cut
     * a character in two: it is JSON text, so it ends where UTF-8 does.
     */
    err->message[axis_mqtt_utf8_prefix(err->message)] = '\0';
}


/* the length of the longest valid UTF-8 prefix of s */

static size_t
axis_mqtt_utf8_prefix(const char *s)
{
    size_t                i, n, k;
    uint32_t              cp;
    const unsigned char  *p = (const unsigned char *) s;

    for (i = 0; p[i] != '\0'; i += n) {

        if (p[i] < 0x80) {
            n = 1;
            continue;
        }

        n = (p[i] & 0xe0) == 0xc0 ? 2
            : (p[i] & 0xf0) == 0xe0 ? 3
            : (p[i] & 0xf8) == 0xf0 ? 4 : 0;

        if (n == 0) {
            return i;
        }

        cp = p[i] & (0xff >> (n + 1));

        for (k = 1; k < n; k++) {
            if ((p[i + k] & 0xc0) != 0x80) {
                return i;
            }

            cp = (cp << 6) | (p[i + k] & 0x3f);
        }

        /* overlong forms, surrogates and beyond U+10FFFF */
        if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800)
            || (n == 4 && cp < 0x10000) || cp > 0x10ffff
            || (cp >= 0xd800 && cp <= 0xdfff))
        {
            return i;
        }
    }

    return i;
}


const char *
axis_mqtt_protocol_name(axis_mqtt_protocol_e protocol)
{
    return axis_mqtt_protocols[protocol];
}


void
axis_mqtt_conf_init(axis_mqtt_conf_t *conf, const char *serial)
{
    memset(conf, 0, sizeof(axis_mqtt_conf_t));

    conf->protocol = AXIS_MQTT_TCP;
    conf->port = axis_mqtt_default_ports[AXIS_MQTT_TCP];
    conf->keep_alive_interval = 60;
    conf->connect_timeout = 60;
    conf->clean_session = 1;
    conf->auto_reconnect = 1;
    conf->activate_on_reboot = 1;
    conf->validate_server_cert = 1;

    snprintf(conf->device_topic_prefix, sizeof(conf->device_topic_prefix),
             "axis/%s", serial);
}


int
axis_mqtt_conf_from_json(axis_mqtt_conf_t *conf, const json_t *params,
    const char *serial, int *keep_password, axis_mqtt_error_t *err)
{
    axis_mqtt_conf_init(conf, serial);
    *keep_password = 0;

    if (!json_is_object(params)) {
        axis_mqtt_error_set(err, AXIS_MQTT_ERR_PARAM_MISSING,
                            "Required parameter missing or invalid: params");
        return -1;
    }

    if (axis_mqtt_server_from_json(conf, params, err) != 0

        || axis_mqtt_read_string(params, "httpProxy", "", 0,
                                 AXIS_MQTT_TEXT_PRINTABLE, conf->http_proxy,
                                 AXIS_MQTT_NAME_LEN, err) < 0
        || axis_mqtt_read_string(params, "httpsProxy", "", 0,
                                 AXIS_MQTT_TEXT_PRINTABLE, conf->https_proxy,
                                 AXIS_MQTT_NAME_LEN, err) < 0

        || axis_mqtt_read_string(params, "username", "", 0,
                                 AXIS_MQTT_TEXT_ANY, conf->username,
                                 AXIS_MQTT_STRING_LEN, err) < 0
        || axis_mqtt_read_string(params, "password", "", 0,
                                 AXIS_MQTT_TEXT_ANY, conf->password,
                                 AXIS_MQTT_STRING_LEN, err) < 0
        || axis_mqtt_read_bool(params, "keepExistingPassword", "", 0,
                               keep_password, err) < 0
        || axis_mqtt_read_string(params, "clientId", "", 0,
                                 AXIS_MQTT_TEXT_ANY, conf->client_id,
                                 AXIS_MQTT_STRING_LEN, err) < 0

        || axis_mqtt_read_int(params, "keepAliveInterval", "", 0, 0,
                              AXIS_MQTT_INTERVAL_MAX,
                              &conf->keep_alive_interval, err) < 0
        || axis_mqtt_read_int(params, "connectTimeout", "", 0, 0,
                              AXIS_MQTT_INTERVAL_MAX,
                              &conf->connect_timeout, err) < 0
        || axis_mqtt_read_bool(params, "cleanSession", "", 0,
                               &conf->clean_session, err) < 0
        || axis_mqtt_read_bool(params, "autoReconnect", "", 0,
                               &conf->auto_reconnect, err) < 0
        || axis_mqtt_read_bool(params, "activateOnReboot", "", 0,
                               &conf->activate_on_reboot, err) < 0
        || axis_mqtt_read_string(params, "deviceTopicPrefix", "", 0,
                                 AXIS_MQTT_TEXT_TOPIC,
                                 conf->device_topic_prefix,
                                 AXIS_MQTT_STRING_LEN, err) < 0

        || axis_mqtt_message_from_json(&conf->last_will, params,
                                       "lastWillTestament", err) != 0
        || axis_mqtt_message_from_json(&conf->connect_message, params,
                                       "connectMessage", err) != 0
        || axis_mqtt_message_from_json(&conf->disconnect_message, params,
                                       "disconnectMessage", err) != 0

        || axis_mqtt_ssl_from_json(conf, params, err) != 0)
    {
        return -1;
    }

    if (*keep_password) {
        /* the caller carries over the saved one; "password" is discarded */
        conf->password[0] = '\0';
    }

    return 0;
}


static int
axis_mqtt_server_from_json(axis_mqtt_conf_t *conf, const json_t *params,
    axis_mqtt_error_t *err)
{
    int      found;
    char     protocol[8];
    json_t  *server;
    size_t   i;

    if (axis_mqtt_read_object(params, "server", "", 1, &server, err) < 0
        || axis_mqtt_read_string(server, "protocol", "server.", 1,
                                 AXIS_MQTT_TEXT_ANY, protocol,
                                 sizeof(protocol) - 1, err) < 0)
    {
        return -1;
    }

    found = 0;

    for (i = 0; i < sizeof(axis_mqtt_protocols) / sizeof(char *); i++) {
        if (strcmp(protocol, axis_mqtt_protocols[i]) == 0) {
            conf->protocol = (axis_mqtt_protocol_e) i;
            found = 1;
            break;
        }
    }

    if (!found) {
        axis_mqtt_error_set(err, AXIS_MQTT_ERR_PARAM_VALUE,
                            "Invalid parameter value specified: "
                            "server.protocol must be tcp, ssl, ws or wss");
        return -1;
    }

    conf->port = axis_mqtt_default_ports[conf->protocol];

    if (axis_mqtt_read_string(server, "host", "server.", 1,
                              AXIS_MQTT_TEXT_HOST, conf->host,
                              AXIS_MQTT_HOST_LEN, err) < 0
        || axis_mqtt_read_int(server, "port", "server.", 0, 1, 65535,
                              &conf->port, err) < 0
        || axis_mqtt_read_string(server, "basepath", "server.", 0,
                                 AXIS_MQTT_TEXT_PRINTABLE, conf->basepath,
                                 AXIS_MQTT_STRING_LEN, err) < 0
        || axis_mqtt_read_string(server, "alpnProtocol", "server.", 0,
                                 AXIS_MQTT_TEXT_PRINTABLE,
                                 conf->alpn_protocol, AXIS_MQTT_NAME_LEN,
                                 err) < 0)
    {
        return -1;
    }

    if (conf->host[0] == '\0') {
        axis_mqtt_error_set(err, AXIS_MQTT_ERR_PARAM_VALUE,
                            "Invalid parameter value specified: "
                            "server.host is empty");
        return -1;
    }

    return 0;
}


static int
axis_mqtt_ssl_from_json(axis_mqtt_conf_t *conf, const json_t *params,
    axis_mqtt_error_t *err)
{
    int      rc;
    json_t  *ssl;

    rc = axis_mqtt_read_object(params, "ssl", "", 0, &ssl, err);
    if (rc <= 0) {
        return rc;
    }

    if (axis_mqtt_read_bool(ssl, "validateServerCert", "ssl.", 0,
                            &conf->validate_server_cert, err) < 0
        || axis_mqtt_read_string(ssl, "clientCertID", "ssl.", 0,
                                 AXIS_MQTT_TEXT_FILE_NAME,
                                 conf->client_cert_id, AXIS_MQTT_NAME_LEN,
                                 err) < 0
        || axis_mqtt_read_string(ssl, "CACertID", "ssl.", 0,
                                 AXIS_MQTT_TEXT_FILE_NAME, conf->ca_cert_id,
                                 AXIS_MQTT_NAME_LEN, err) < 0)
    {
        return -1;
    }

    return 0;
}


static int
axis_mqtt_message_from_json(axis_mqtt_message_t *msg, const json_t *params,
    const char *key, axis_mqtt_error_t *err)
{
    int      rc;
    char     where[AXIS_MQTT_PATH_LEN];
    json_t  *obj;

    memset(msg, 0, sizeof(axis_mqtt_message_t));

    rc = axis_mqtt_read_object(params, key, "", 0, &obj, err);
    if (rc <= 0) {
        return rc;
    }

    snprintf(where, sizeof(where), "%s.", key);

    msg->configured = 1;

    if (axis_mqtt_read_bool(obj, "useDefault", where, 0, &msg->use_default,
                            err) < 0)
    {
        return -1;
    }

    if (msg->use_default) {
        /* the defaults are built when published; the rest is discarded */
        return 0;
    }

    if (axis_mqtt_read_string(obj, "topic", where, 1, AXIS_MQTT_TEXT_TOPIC,
                              msg->topic, AXIS_MQTT_STRING_LEN, err) < 0
        || axis_mqtt_read_string(obj, "message", where, 1, AXIS_MQTT_TEXT_ANY,
                                 msg->message, AXIS_MQTT_PAYLOAD_LEN, err) < 0
        || axis_mqtt_read_bool(obj, "retain", where, 1, &msg->retain, err) < 0
        || axis_mqtt_read_int(obj, "qos", where, 1, 0, AXIS_MQTT_QOS_MAX,
                              &msg->qos, err) < 0)
    {
        return -1;
    }

    if (msg->topic[0] == '\0') {
        axis_mqtt_error_set(err, AXIS_MQTT_ERR_PARAM_VALUE,
                            "Invalid parameter value specified: "
                            "%stopic is empty", where);
        return -1;
    }

    return 0;
}


/*
 * The readers return 1 when the value was read, 0 when it is absent
 * (or null) and optional, and -1 with err set otherwise.
 */

static int
axis_mqtt_read_value(const json_t *obj, const char *key, const char *where,
    int required, json_t **value, axis_mqtt_error_t *err)
{
    *value = json_object_get(obj, key);

    if (*value != NULL && !json_is_null(*value)) {
        return 1;
    }

    if (required) {
        axis_mqtt_error_set(err, AXIS_MQTT_ERR_PARAM_MISSING,
                            "Required parameter missing or invalid: %s%s",
                            where, key);
        return -1;
    }

    return 0;
}


static int
axis_mqtt_wrong_type(const char *key, const char *where, const char *type,
    axis_mqtt_error_t *err)
{
    axis_mqtt_error_set(err, AXIS_MQTT_ERR_PARAM_MISSING,
                        "Required parameter missing or invalid: "
                        "%s%s must be %s", where, key, type);
    return -1;
}


static int
axis_mqtt_read_string(const json_t *obj, const char *key, const char *where,
    int required, axis_mqtt_text_e text, char *buf, size_t max,
    axis_mqtt_error_t *err)
{
    int      rc;
    size_t   len;
    json_t  *value;

    rc = axis_mqtt_read_value(obj, key, where, required, &value, err);
    if (rc <= 0) {
        return rc;
    }

    if (!json_is_string(value)) {
        return axis_mqtt_wrong_type(key, where, "a string", err);
    }

    len = json_string_length(value);

    if (len > max) {
        axis_mqtt_error_set(err, AXIS_MQTT_ERR_PARAM_VALUE,
                            "Invalid parameter value specified: "
                            "%s%s is longer than %zu bytes", where, key, max);
        return -1;
    }

    if (!axis_mqtt_text_valid(json_string_value(value), len, text)) {
        axis_mqtt_error_set(err, AXIS_MQTT_ERR_PARAM_VALUE,
                            "Invalid parameter value specified: "
                            "%s%s has a character that is not allowed",
                            where, key);
        return -1;
    }

    memcpy(buf, json_string_value(value), len);
    buf[len] = '\0';

    return 1;
}


static int
axis_mqtt_text_valid(const char *s, size_t len, axis_mqtt_text_e text)
{
    size_t         i;
    unsigned char  c;

    if (memchr(s, '\0', len) != NULL) {
        return 0;
    }

    if (text == AXIS_MQTT_TEXT_FILE_NAME
        && (strcmp(s, ".") == 0 || strcmp(s, "..") == 0))
    {
        return 0;
    }

    for (i = 0; i < len; i++) {
        c = (unsigned char) s[i];

        switch (text) {

        case AXIS_MQTT_TEXT_ANY:
            break;

        case AXIS_MQTT_TEXT_TOPIC:
            if (c == '+' || c == '#') {
                return 0;
            }
            break;

        case AXIS_MQTT_TEXT_HOST:
            if (c == ' ' || c == '/' || c == '?' || c == '#' || c == '@') {
                return 0;
            }
            /* fall through */

        case AXIS_MQTT_TEXT_FILE_NAME:
            if (c == '/' || c == '\\') {
                return 0;
            }
            /* fall through */

        case AXIS_MQTT_TEXT_PRINTABLE:
            if (c < 0x20 || c == 0x7f) {
                return 0;
            }
            break;
        }
    }

    return 1;
}


static int
axis_mqtt_read_bool(const json_t *obj, const char *key, const char *where,
    int required, int *out, axis_mqtt_error_t *err)
{
    int      rc;
    json_t  *value;

    rc = axis_mqtt_read_value(obj, key, where, required, &value, err);
    if (rc <= 0) {
        return rc;
    }

    if (!json_is_boolean(value)) {
        return axis_mqtt_wrong_type(key, where, "a boolean", err);
    }

    *out = json_is_true(value);

    return 1;
}


static int
axis_mqtt_read_int(const json_t *obj, const char *key, const char *where,
    int required, int min, int max, int *out, axis_mqtt_error_t *err)
{
    int          rc;
    json_t      *value;
    json_int_t   n;

    rc = axis_mqtt_read_value(obj, key, where, required, &value, err);
    if (rc <= 0) {
        return rc;
    }

    if (!json_is_integer(value)) {
        return axis_mqtt_wrong_type(key, where, "an integer", err);
    }

    n = json_integer_value(value);

    if (n < min || n > max) {
        axis_mqtt_error_set(err, AXIS_MQTT_ERR_PARAM_VALUE,
                            "Invalid parameter value specified: "
                            "%s%s must be %d..%d", where, key, min, max);
        return -1;
    }

    *out = (int) n;

    return 1;
}


static int
axis_mqtt_read_object(const json_t *obj, const char *key, const char *where,
    int required, json_t **out, axis_mqtt_error_t *err)
{
    int  rc;

    rc = axis_mqtt_read_value(obj, key, where, required, out, err);
    if (rc <= 0) {
        return rc;
    }

    if (!json_is_object(*out)) {
        return axis_mqtt_wrong_type(key, where, "an object", err);
    }

    return 1;
}


json_t *
axis_mqtt_conf_to_json(const axis_mqtt_conf_t *conf, int reveal_password)
{
    json_t  *root;

    /* in the order of the spec's configureClient parameters */

    root = json_pack("{s:{s:s, s:s, s:i, s:s, s:s}, s:s, s:s, s:s}",
                     "server",
                     "protocol", axis_mqtt_protocols[conf->protocol],
                     "host", conf->host,
                     "port", conf->port,
                     "basepath", conf->basepath,
                     "alpnProtocol", conf->alpn_protocol,
                     "httpProxy", conf->http_proxy,
                     "httpsProxy", conf->https_proxy,
                     "username", conf->username);
    if (root == NULL) {
        return NULL;
    }

    if ((conf->password[0] != '\0'
         && json_object_set_new(root, "password",
                                json_string(reveal_password ? conf->password
                                                            : "*****")) != 0)
        || json_object_update_missing_new(root,
               json_pack("{s:s, s:i, s:i, s:b, s:b, s:b, s:s}",
                         "clientId", conf->client_id,
                         "keepAliveInterval", conf->keep_alive_interval,
                         "connectTimeout", conf->connect_timeout,
                         "cleanSession", conf->clean_session,
                         "autoReconnect", conf->auto_reconnect,
                         "activateOnReboot", conf->activate_on_reboot,
                         "deviceTopicPrefix", conf->device_topic_prefix))
           != 0
        || (conf->last_will.configured
            && json_object_set_new(root, "lastWillTestament",
                       axis_mqtt_message_to_json(&conf->last_will)) != 0)
        || (conf->connect_message.configured
            && json_object_set_new(root, "connectMessage",
                       axis_mqtt_message_to_json(&conf->connect_message)) != 0)
        || (conf->disconnect_message.configured
            && json_object_set_new(root, "disconnectMessage",
                    axis_mqtt_message_to_json(&conf->disconnect_message)) != 0)
        || json_object_set_new(root, "ssl",
               json_pack("{s:b, s:s, s:s}",
                         "validateServerCert", conf->validate_server_cert,
                         "clientCertID", conf->client_cert_id,
                         "CACertID", conf->ca_cert_id)) != 0)
    {
        json_decref(root);
        return NULL;
    }

    return root;
}


static json_t *
axis_mqtt_message_to_json(const axis_mqtt_message_t *msg)
{
    if (msg->use_default) {
        return json_pack("{s:b}", "useDefault", 1);
    }

    return json_pack("{s:b, s:s, s:s, s:b, s:i}",
                     "useDefault", 0,
                     "topic", msg->topic,
                     "message", msg->message,
                     "retain", msg->retain,
                     "qos", msg->qos);
}

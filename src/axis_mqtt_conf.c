
/*
 * The MQTT client configuration: defaults, validation of the
 * configureClient parameters and the JSON form shown by getClientStatus
 * and kept in the state file.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axis_mqtt_conf.h"
#include "axis_mqtt_inbound.h"
#include "axis_mqtt_topic.h"


#define AXIS_MQTT_PATH_LEN  64


typedef enum {
    AXIS_MQTT_TEXT_ANY = 0,       /* any UTF-8 (jansson already refused NUL) */
    AXIS_MQTT_TEXT_PRINTABLE,     /* no control characters */
    AXIS_MQTT_TEXT_HOST,          /* printable, none of " /?#@" */
    AXIS_MQTT_TEXT_FILE_NAME,     /* printable, no '/', not "." or ".." */
    AXIS_MQTT_TEXT_TOPIC,         /* a topic to publish to: no wildcards */
    AXIS_MQTT_TEXT_EVENT_FILTER,  /* an event filter (axis_mqtt_topic.h) */
    AXIS_MQTT_TEXT_MQTT_FILTER    /* an MQTT one (axis_mqtt_inbound.h) */
} axis_mqtt_text_e;


/*
 * The schema: one table per JSON object, read by configureClient and the
 * state file, written by getClientStatus and the state file, and walked
 * to pack a state.  A table lists its object's keys in the spec's order,
 * which is the order they are read (the first error wins), written, and
 * laid out in the struct (packing relies on it; the unit tests check).
 */

typedef enum {
    AXIS_MQTT_FIELD_END = 0,
    AXIS_MQTT_FIELD_OBJECT,       /* its own table, at "offset" */
    AXIS_MQTT_FIELD_PRESENT,      /* no key: 1 when the object was given */
    AXIS_MQTT_FIELD_STRING,
    AXIS_MQTT_FIELD_INT,
    AXIS_MQTT_FIELD_BOOL,
    AXIS_MQTT_FIELD_PROTOCOL,     /* a name of axis_mqtt_protocol_e */
    AXIS_MQTT_FIELD_ENUM,         /* a name of "names", kept as its index */
    AXIS_MQTT_FIELD_LIST,         /* an array of objects of table "sub" */
    AXIS_MQTT_FIELD_KEEP          /* keepExistingPassword: read, not kept */
} axis_mqtt_field_e;

#define AXIS_MQTT_REQUIRED   0x01
#define AXIS_MQTT_NOT_EMPTY  0x02     /* a string: "" is refused */
#define AXIS_MQTT_SECRET     0x04     /* a string: written masked, if set */
#define AXIS_MQTT_ENOUGH     0x08     /* a bool: when true, the rest of the
                                         object is neither read nor written */
#define AXIS_MQTT_UNSET      0x10     /* an int: 0 stands for "not given",
                                         and is not written */

typedef struct axis_mqtt_field_s  axis_mqtt_field_t;

struct axis_mqtt_field_s {
    const char               *name;
    axis_mqtt_field_e         type;
    unsigned                  flags;
    size_t                    offset;     /* in the object's struct */
    size_t                    size;       /* a string's buffer, a list's
                                             element */
    axis_mqtt_text_e          text;
    int                       min;        /* an int's range, a list's */
    int                       max;        /* most elements */
    const axis_mqtt_field_t  *sub;        /* an object's, an element's table */
    size_t                    count;      /* a list: where its length is */
    const char *const        *names;      /* an enum's, NULL-terminated */
};


#define axis_mqtt_string(name_, st, field, text_, flags_)                     \
    { .name = name_, .type = AXIS_MQTT_FIELD_STRING, .flags = flags_,         \
      .offset = offsetof(st, field), .size = sizeof(((st *) 0)->field),       \
      .text = text_ }

#define axis_mqtt_int(name_, st, field, min_, max_, flags_)                   \
    { .name = name_, .type = AXIS_MQTT_FIELD_INT, .flags = flags_,            \
      .offset = offsetof(st, field), .min = min_, .max = max_ }

#define axis_mqtt_bool(name_, st, field, flags_)                              \
    { .name = name_, .type = AXIS_MQTT_FIELD_BOOL, .flags = flags_,           \
      .offset = offsetof(st, field) }

#define axis_mqtt_enum(name_, st, field, names_)                              \
    { .name = name_, .type = AXIS_MQTT_FIELD_ENUM,                            \
      .offset = offsetof(st, field), .names = names_ }

#define axis_mqtt_object(name_, offset_, sub_, flags_)                        \
    { .name = name_, .type = AXIS_MQTT_FIELD_OBJECT, .flags = flags_,         \
      .offset = offset_, .sub = sub_ }

#define axis_mqtt_list(name_, st, field, counter, sub_, flags_)               \
    { .name = name_, .type = AXIS_MQTT_FIELD_LIST, .flags = flags_,           \
      .offset = offsetof(st, field), .size = sizeof(((st *) 0)->field[0]),    \
      .max = sizeof(((st *) 0)->field) / sizeof(((st *) 0)->field[0]),        \
      .count = offsetof(st, counter), .sub = sub_ }

#define axis_mqtt_field_end                                                   \
    { .name = NULL, .type = AXIS_MQTT_FIELD_END }


/* the server's fields are the configuration's own (offset 0) */
static const axis_mqtt_field_t  axis_mqtt_server_fields[] = {
    { .name = "protocol", .type = AXIS_MQTT_FIELD_PROTOCOL,
      .flags = AXIS_MQTT_REQUIRED,
      .offset = offsetof(axis_mqtt_conf_t, protocol) },
    axis_mqtt_string("host", axis_mqtt_conf_t, host, AXIS_MQTT_TEXT_HOST,
                     AXIS_MQTT_REQUIRED | AXIS_MQTT_NOT_EMPTY),
    axis_mqtt_int("port", axis_mqtt_conf_t, port, 1, 65535, 0),
    axis_mqtt_string("basepath", axis_mqtt_conf_t, basepath,
                     AXIS_MQTT_TEXT_PRINTABLE, 0),
    axis_mqtt_string("alpnProtocol", axis_mqtt_conf_t, alpn_protocol,
                     AXIS_MQTT_TEXT_PRINTABLE, 0),
    axis_mqtt_field_end
};


/* a message's "useDefault": true stands for the defaults, built when sent */
static const axis_mqtt_field_t  axis_mqtt_message_fields[] = {
    { .name = NULL, .type = AXIS_MQTT_FIELD_PRESENT,
      .offset = offsetof(axis_mqtt_message_t, configured) },
    axis_mqtt_bool("useDefault", axis_mqtt_message_t, use_default,
                   AXIS_MQTT_ENOUGH),
    axis_mqtt_string("topic", axis_mqtt_message_t, topic, AXIS_MQTT_TEXT_TOPIC,
                     AXIS_MQTT_REQUIRED | AXIS_MQTT_NOT_EMPTY),
    axis_mqtt_string("message", axis_mqtt_message_t, message,
                     AXIS_MQTT_TEXT_ANY, AXIS_MQTT_REQUIRED),
    axis_mqtt_bool("retain", axis_mqtt_message_t, retain, AXIS_MQTT_REQUIRED),
    axis_mqtt_int("qos", axis_mqtt_message_t, qos, 0, AXIS_MQTT_QOS_MAX,
                  AXIS_MQTT_REQUIRED),
    axis_mqtt_field_end
};


static const axis_mqtt_field_t  axis_mqtt_ssl_fields[] = {
    axis_mqtt_bool("validateServerCert", axis_mqtt_conf_t,
                   validate_server_cert, 0),
    axis_mqtt_string("clientCertID", axis_mqtt_conf_t, client_cert_id,
                     AXIS_MQTT_TEXT_FILE_NAME, 0),
    axis_mqtt_string("CACertID", axis_mqtt_conf_t, ca_cert_id,
                     AXIS_MQTT_TEXT_FILE_NAME, 0),
    axis_mqtt_field_end
};


/* the configureClient "params" */
static const axis_mqtt_field_t  axis_mqtt_conf_fields[] = {
    axis_mqtt_object("server", 0, axis_mqtt_server_fields,
                     AXIS_MQTT_REQUIRED),
    axis_mqtt_string("httpProxy", axis_mqtt_conf_t, http_proxy,
                     AXIS_MQTT_TEXT_PRINTABLE, 0),
    axis_mqtt_string("httpsProxy", axis_mqtt_conf_t, https_proxy,
                     AXIS_MQTT_TEXT_PRINTABLE, 0),
    axis_mqtt_string("username", axis_mqtt_conf_t, username,
                     AXIS_MQTT_TEXT_ANY, 0),
    axis_mqtt_string("password", axis_mqtt_conf_t, password,
                     AXIS_MQTT_TEXT_ANY, AXIS_MQTT_SECRET),
    { .name = "keepExistingPassword", .type = AXIS_MQTT_FIELD_KEEP },
    axis_mqtt_string("clientId", axis_mqtt_conf_t, client_id,
                     AXIS_MQTT_TEXT_ANY, 0),
    axis_mqtt_int("keepAliveInterval", axis_mqtt_conf_t, keep_alive_interval,
                  0, AXIS_MQTT_INTERVAL_MAX, 0),
    axis_mqtt_int("connectTimeout", axis_mqtt_conf_t, connect_timeout,
                  0, AXIS_MQTT_INTERVAL_MAX, 0),
    axis_mqtt_bool("cleanSession", axis_mqtt_conf_t, clean_session, 0),
    axis_mqtt_bool("autoReconnect", axis_mqtt_conf_t, auto_reconnect, 0),
    axis_mqtt_bool("activateOnReboot", axis_mqtt_conf_t, activate_on_reboot,
                   0),
    axis_mqtt_string("deviceTopicPrefix", axis_mqtt_conf_t,
                     device_topic_prefix, AXIS_MQTT_TEXT_TOPIC, 0),
    axis_mqtt_object("lastWillTestament",
                     offsetof(axis_mqtt_conf_t, last_will),
                     axis_mqtt_message_fields, 0),
    axis_mqtt_object("connectMessage",
                     offsetof(axis_mqtt_conf_t, connect_message),
                     axis_mqtt_message_fields, 0),
    axis_mqtt_object("disconnectMessage",
                     offsetof(axis_mqtt_conf_t, disconnect_message),
                     axis_mqtt_message_fields, 0),
    axis_mqtt_object("ssl", 0, axis_mqtt_ssl_fields, 0),
    axis_mqtt_field_end
};


static const char *const  axis_mqtt_retain_names[] = {
    "none", "property", "all", NULL
};

static const char *const  axis_mqtt_prefix_names[] = {
    "default", "custom", NULL
};


static const axis_mqtt_field_t  axis_mqtt_event_filter_fields[] = {
    axis_mqtt_string("topicFilter", axis_mqtt_event_filter_t, topic_filter,
                     AXIS_MQTT_TEXT_EVENT_FILTER,
                     AXIS_MQTT_REQUIRED | AXIS_MQTT_NOT_EMPTY),
    axis_mqtt_int("qos", axis_mqtt_event_filter_t, qos, 0, AXIS_MQTT_QOS_MAX,
                  0),
    axis_mqtt_enum("retain", axis_mqtt_event_filter_t, retain,
                   axis_mqtt_retain_names),
    axis_mqtt_field_end
};


/* the configureEventPublication "params" */
static const axis_mqtt_field_t  axis_mqtt_event_fields[] = {
    axis_mqtt_enum("topicPrefix", axis_mqtt_event_conf_t, topic_prefix,
                   axis_mqtt_prefix_names),
    axis_mqtt_string("customTopicPrefix", axis_mqtt_event_conf_t,
                     custom_topic_prefix, AXIS_MQTT_TEXT_TOPIC, 0),
    axis_mqtt_bool("appendEventTopic", axis_mqtt_event_conf_t,
                   append_event_topic, 0),
    axis_mqtt_bool("includeTopicNamespaces", axis_mqtt_event_conf_t,
                   include_topic_namespaces, 0),
    axis_mqtt_bool("includeSerialNumberInPayload", axis_mqtt_event_conf_t,
                   include_serial_number, 0),
    axis_mqtt_list("eventFilterList", axis_mqtt_event_conf_t, filters,
                   nfilters, axis_mqtt_event_filter_fields, 0),
    axis_mqtt_field_end
};


static const axis_mqtt_field_t  axis_mqtt_inbound_filter_fields[] = {
    axis_mqtt_string("topicFilter", axis_mqtt_inbound_filter_t, topic_filter,
                     AXIS_MQTT_TEXT_MQTT_FILTER,
                     AXIS_MQTT_REQUIRED | AXIS_MQTT_NOT_EMPTY),
    axis_mqtt_bool("useDeviceTopicPrefix", axis_mqtt_inbound_filter_t,
                   use_device_topic_prefix, 0),
    axis_mqtt_int("qos", axis_mqtt_inbound_filter_t, qos, 0,
                  AXIS_MQTT_QOS_MAX, 0),
    axis_mqtt_bool("isStateData", axis_mqtt_inbound_filter_t, is_state_data,
                   0),
    axis_mqtt_int("virtualInput", axis_mqtt_inbound_filter_t, virtual_input,
                  1, AXIS_MQTT_VIRTUAL_INPUTS, AXIS_MQTT_UNSET),
    axis_mqtt_field_end
};


/* the configureMqttSubscription "params" */
static const axis_mqtt_field_t  axis_mqtt_inbound_fields[] = {
    axis_mqtt_list("mqttFilterList", axis_mqtt_inbound_conf_t, filters,
                   nfilters, axis_mqtt_inbound_filter_fields,
                   AXIS_MQTT_REQUIRED),
    axis_mqtt_field_end
};


/* a whole state, for packing: the client's part, then event.cgi's */
static const axis_mqtt_field_t  axis_mqtt_state_fields[] = {
    axis_mqtt_object(NULL, offsetof(axis_mqtt_state_t, conf),
                     axis_mqtt_conf_fields, 0),
    axis_mqtt_object(NULL, offsetof(axis_mqtt_state_t, events),
                     axis_mqtt_event_fields, 0),
    axis_mqtt_object(NULL, offsetof(axis_mqtt_state_t, inbound),
                     axis_mqtt_inbound_fields, 0),
    axis_mqtt_field_end
};


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
static int axis_mqtt_read_protocol(const json_t *obj, const char *key,
    const char *where, axis_mqtt_conf_t *conf, axis_mqtt_error_t *err);
static int axis_mqtt_read_enum(const json_t *obj, const axis_mqtt_field_t *f,
    const char *where, int *out, axis_mqtt_error_t *err);
static int axis_mqtt_read_list(const json_t *obj, const axis_mqtt_field_t *f,
    const char *where, char *at, int *count, axis_mqtt_error_t *err);
static int axis_mqtt_wrong_type(const char *key, const char *where,
    const char *type, axis_mqtt_error_t *err);
static int axis_mqtt_fields_read(const axis_mqtt_field_t *fields, char *base,
    const json_t *obj, const char *where, int *keep_password,
    axis_mqtt_error_t *err);
static int axis_mqtt_fields_check(const axis_mqtt_field_t *fields,
    const char *base, const char *where, axis_mqtt_error_t *err);
static int axis_mqtt_fields_write(const axis_mqtt_field_t *fields,
    const char *base, int reveal_password, json_t *obj);
static json_t *axis_mqtt_object_json(const axis_mqtt_field_t *fields,
    const char *base, int reveal_password);
static json_t *axis_mqtt_list_value(const axis_mqtt_field_t *f,
    const char *at, int n, int reveal_password);
static json_t *axis_mqtt_field_value(const axis_mqtt_field_t *f,
    const char *at, int reveal_password);
static size_t axis_mqtt_pack_gap(const char *state, char *out,
    size_t *from, size_t to);
static int axis_mqtt_unpack_gap(char *state, const char *in, size_t len,
    size_t *from, size_t *pos, size_t to);
static size_t axis_mqtt_fields_pack(const axis_mqtt_field_t *fields,
    size_t base, const char *state, char *out, size_t *from);
static int axis_mqtt_fields_unpack(const axis_mqtt_field_t *fields,
    size_t base, char *state, const char *in, size_t len, size_t *from,
    size_t *pos);


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


size_t
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

    if (axis_mqtt_fields_read(axis_mqtt_conf_fields, (char *) conf, params,
                              "", keep_password, err) != 0)
    {
        return -1;
    }

    if (*keep_password) {
        /* the caller carries over the saved one; "password" is discarded */
        conf->password[0] = '\0';
    }

    return 0;
}


/* an object's fields into the struct at base: 0, or -1 with err set */

static int
axis_mqtt_fields_read(const axis_mqtt_field_t *fields, char *base,
    const json_t *obj, const char *where, int *keep_password,
    axis_mqtt_error_t *err)
{
    int                       rc, required;
    char                     *at, path[AXIS_MQTT_PATH_LEN];
    json_t                   *child;
    const axis_mqtt_field_t  *f;

    for (f = fields; f->type != AXIS_MQTT_FIELD_END; f++) {
        at = base + f->offset;
        required = f->flags & AXIS_MQTT_REQUIRED;

        switch (f->type) {

        case AXIS_MQTT_FIELD_PRESENT:
            *(int *) at = 1;
            rc = 1;
            break;

        case AXIS_MQTT_FIELD_OBJECT:
            rc = axis_mqtt_read_object(obj, f->name, where, required, &child,
                                       err);
            if (rc == 1) {
                snprintf(path, sizeof(path), "%s%s.", where, f->name);
                rc = axis_mqtt_fields_read(f->sub, at, child, path,
                                           keep_password, err);
            }
            break;

        case AXIS_MQTT_FIELD_STRING:
            rc = axis_mqtt_read_string(obj, f->name, where, required, f->text,
                                       at, f->size - 1, err);
            break;

        case AXIS_MQTT_FIELD_INT:
            rc = axis_mqtt_read_int(obj, f->name, where, required, f->min,
                                    f->max, (int *) at, err);
            break;

        case AXIS_MQTT_FIELD_BOOL:
            rc = axis_mqtt_read_bool(obj, f->name, where, required,
                                     (int *) at, err);
            break;

        case AXIS_MQTT_FIELD_PROTOCOL:
            rc = axis_mqtt_read_protocol(obj, f->name, where,
                                         (axis_mqtt_conf_t *) base, err);
            break;

        case AXIS_MQTT_FIELD_ENUM:
            rc = axis_mqtt_read_enum(obj, f, where, (int *) at, err);
            break;

        case AXIS_MQTT_FIELD_LIST:
            rc = axis_mqtt_read_list(obj, f, where, at,
                                     (int *) (base + f->count), err);
            break;

        default: /* AXIS_MQTT_FIELD_KEEP */
            rc = axis_mqtt_read_bool(obj, f->name, where, required,
                                     keep_password, err);
            break;
        }

        if (rc < 0) {
            return -1;
        }

        if ((f->flags & AXIS_MQTT_ENOUGH) && *(int *) at) {
            /* the rest is discarded */
            return 0;
        }
    }

    return axis_mqtt_fields_check(fields, base, where, err);
}


/* what holds only for the object as a whole, once it is read */

static int
axis_mqtt_fields_check(const axis_mqtt_field_t *fields, const char *base,
    const char *where, axis_mqtt_error_t *err)
{
    const axis_mqtt_field_t  *f;

    for (f = fields; f->type != AXIS_MQTT_FIELD_END; f++) {
        if ((f->flags & AXIS_MQTT_NOT_EMPTY) && base[f->offset] == '\0') {
            axis_mqtt_error_set(err, AXIS_MQTT_ERR_PARAM_VALUE,
                                "Invalid parameter value specified: "
                                "%s%s is empty", where, f->name);
            return -1;
        }
    }

    return 0;
}


static int
axis_mqtt_read_enum(const json_t *obj, const axis_mqtt_field_t *f,
    const char *where, int *out, axis_mqtt_error_t *err)
{
    int   i, rc;
    char  name[32], list[128];

    rc = axis_mqtt_read_string(obj, f->name, where, 0, AXIS_MQTT_TEXT_ANY,
                               name, sizeof(name) - 1, err);
    if (rc <= 0) {
        return rc;
    }

    list[0] = '\0';

    for (i = 0; f->names[i] != NULL; i++) {
        if (strcmp(name, f->names[i]) == 0) {
            *out = i;
            return 1;
        }

        snprintf(list + strlen(list), sizeof(list) - strlen(list), "%s%s",
                 i ? ", " : "", f->names[i]);
    }

    axis_mqtt_error_set(err, AXIS_MQTT_ERR_PARAM_VALUE,
                        "Invalid parameter value specified: "
                        "%s%s must be one of %s", where, f->name, list);
    return -1;
}


/* an array of objects, each read with the element's table */

static int
axis_mqtt_read_list(const json_t *obj, const axis_mqtt_field_t *f,
    const char *where, char *at, int *count, axis_mqtt_error_t *err)
{
    int      rc;
    char     path[AXIS_MQTT_PATH_LEN];
    size_t   i, n;
    json_t  *list, *element;

    rc = axis_mqtt_read_value(obj, f->name, where,
                              f->flags & AXIS_MQTT_REQUIRED, &list, err);
    if (rc <= 0) {
        return rc;
    }

    if (!json_is_array(list)) {
        return axis_mqtt_wrong_type(f->name, where, "an array", err);
    }

    n = json_array_size(list);

    if (n > (size_t) f->max) {
        axis_mqtt_error_set(err, AXIS_MQTT_ERR_PARAM_VALUE,
                            "Invalid parameter value specified: "
                            "%s%s has more than %d entries", where, f->name,
                            f->max);
        return -1;
    }

    json_array_foreach(list, i, element) {
        snprintf(path, sizeof(path), "%s%s[%zu]", where, f->name, i);

        if (!json_is_object(element)) {
            return axis_mqtt_wrong_type(path, "", "an object", err);
        }

        snprintf(path, sizeof(path), "%s%s[%zu].", where, f->name, i);
        memset(at + i * f->size, 0, f->size);

        if (axis_mqtt_fields_read(f->sub, at + i * f->size, element, path,
                                  NULL, err)
            != 0)
        {
            return -1;
        }
    }

    *count = (int) n;

    return 1;
}


/* the protocol, and with it the default port that "port" may override */

static int
axis_mqtt_read_protocol(const json_t *obj, const char *key, const char *where,
    axis_mqtt_conf_t *conf, axis_mqtt_error_t *err)
{
    char    protocol[8];
    size_t  i;

    if (axis_mqtt_read_string(obj, key, where, 1, AXIS_MQTT_TEXT_ANY,
                              protocol, sizeof(protocol) - 1, err) < 0)
    {
        return -1;
    }

    for (i = 0; i < sizeof(axis_mqtt_protocols) / sizeof(char *); i++) {
        if (strcmp(protocol, axis_mqtt_protocols[i]) == 0) {
            conf->protocol = (axis_mqtt_protocol_e) i;
            conf->port = axis_mqtt_default_ports[i];
            return 1;
        }
    }

    axis_mqtt_error_set(err, AXIS_MQTT_ERR_PARAM_VALUE,
                        "Invalid parameter value specified: "
                        "%s%s must be tcp, ssl, ws or wss", where, key);
    return -1;
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

    if (text == AXIS_MQTT_TEXT_EVENT_FILTER) {
        return axis_mqtt_topic_filter_valid(s, len);
    }

    if (text == AXIS_MQTT_TEXT_MQTT_FILTER) {
        return axis_mqtt_inbound_filter_valid(s, len);
    }

    for (i = 0; i < len; i++) {
        c = (unsigned char) s[i];

        switch (text) {

        case AXIS_MQTT_TEXT_ANY:
        case AXIS_MQTT_TEXT_EVENT_FILTER:
        case AXIS_MQTT_TEXT_MQTT_FILTER:
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


void
axis_mqtt_state_init(axis_mqtt_state_t *state, const char *serial)
{
    axis_mqtt_conf_init(&state->conf, serial);
    state->active = 0;
    axis_mqtt_event_conf_init(&state->events);
    axis_mqtt_inbound_conf_init(&state->inbound);
}


void
axis_mqtt_event_conf_init(axis_mqtt_event_conf_t *events)
{
    memset(events, 0, sizeof(axis_mqtt_event_conf_t));

    events->topic_prefix = AXIS_MQTT_PREFIX_DEFAULT;
    events->append_event_topic = 1;
    events->include_topic_namespaces = 1;
}


int
axis_mqtt_event_conf_from_json(axis_mqtt_event_conf_t *events,
    const json_t *params, axis_mqtt_error_t *err)
{
    axis_mqtt_event_conf_init(events);

    if (params == NULL || json_is_null(params)) {
        /* every parameter is optional: the defaults */
        return 0;
    }

    if (!json_is_object(params)) {
        axis_mqtt_error_set(err, AXIS_MQTT_ERR_PARAM_MISSING,
                            "Required parameter missing or invalid: params");
        return -1;
    }

    if (axis_mqtt_fields_read(axis_mqtt_event_fields, (char *) events,
                              params, "", NULL, err)
        != 0)
    {
        return -1;
    }

    if (events->topic_prefix == AXIS_MQTT_PREFIX_CUSTOM
        && events->custom_topic_prefix[0] == '\0')
    {
        axis_mqtt_error_set(err, AXIS_MQTT_ERR_PARAM_MISSING,
                            "Required parameter missing or invalid: "
                            "customTopicPrefix (topicPrefix is custom)");
        return -1;
    }

    return 0;
}


json_t *
axis_mqtt_event_conf_to_json(const axis_mqtt_event_conf_t *events)
{
    return axis_mqtt_object_json(axis_mqtt_event_fields, (const char *) events,
                                 0);
}


void
axis_mqtt_inbound_conf_init(axis_mqtt_inbound_conf_t *inbound)
{
    memset(inbound, 0, sizeof(axis_mqtt_inbound_conf_t));
}


int
axis_mqtt_inbound_conf_from_json(axis_mqtt_inbound_conf_t *inbound,
    const json_t *params, axis_mqtt_error_t *err)
{
    int                          i;
    axis_mqtt_inbound_filter_t  *f;

    axis_mqtt_inbound_conf_init(inbound);

    if (!json_is_object(params)) {
        axis_mqtt_error_set(err, AXIS_MQTT_ERR_PARAM_MISSING,
                            "Required parameter missing or invalid: params");
        return -1;
    }

    if (axis_mqtt_fields_read(axis_mqtt_inbound_fields, (char *) inbound,
                              params, "", NULL, err)
        != 0)
    {
        return -1;
    }

    /* a state is one topic's: a wildcard would mix several */

    for (i = 0; i < inbound->nfilters; i++) {
        f = &inbound->filters[i];

        if (f->is_state_data && strpbrk(f->topic_filter, "+#") != NULL) {
            axis_mqtt_error_set(err, AXIS_MQTT_ERR_PARAM_VALUE,
                                "Invalid parameter value specified: "
                                "mqttFilterList[%d].topicFilter has a "
                                "wildcard, which isStateData does not allow",
                                i);
            return -1;
        }
    }

    return 0;
}


json_t *
axis_mqtt_inbound_conf_to_json(
    const axis_mqtt_inbound_conf_t *inbound)
{
    return axis_mqtt_object_json(axis_mqtt_inbound_fields,
                                 (const char *) inbound, 0);
}


json_t *
axis_mqtt_conf_to_json(const axis_mqtt_conf_t *conf, int reveal_password)
{
    return axis_mqtt_object_json(axis_mqtt_conf_fields, (const char *) conf,
                                 reveal_password);
}


/* a new JSON object of the table's fields in the struct at base */

static json_t *
axis_mqtt_object_json(const axis_mqtt_field_t *fields, const char *base,
    int reveal_password)
{
    json_t  *root;

    root = json_object();

    if (root == NULL
        || axis_mqtt_fields_write(fields, base, reveal_password, root) != 0)
    {
        json_decref(root);
        return NULL;
    }

    return root;
}


/* an object's fields from the struct at base into obj: 0, or -1 */

static int
axis_mqtt_fields_write(const axis_mqtt_field_t *fields, const char *base,
    int reveal_password, json_t *obj)
{
    json_t                   *value;
    const char               *at;
    const axis_mqtt_field_t  *f;

    for (f = fields; f->type != AXIS_MQTT_FIELD_END; f++) {
        at = base + f->offset;

        if (f->type == AXIS_MQTT_FIELD_PRESENT
            || f->type == AXIS_MQTT_FIELD_KEEP
            || ((f->flags & AXIS_MQTT_SECRET) && at[0] == '\0')
            || ((f->flags & AXIS_MQTT_UNSET) && *(const int *) at == 0))
        {
            continue;
        }

        if (f->type == AXIS_MQTT_FIELD_OBJECT
            && f->sub[0].type == AXIS_MQTT_FIELD_PRESENT
            && *(const int *) (at + f->sub[0].offset) == 0)
        {
            /* an optional object that was not given */
            continue;
        }

        value = f->type == AXIS_MQTT_FIELD_LIST
                ? axis_mqtt_list_value(f, at, *(const int *) (base + f->count),
                                       reveal_password)
                : axis_mqtt_field_value(f, at, reveal_password);

        if (value == NULL
            || (f->type == AXIS_MQTT_FIELD_OBJECT
                && axis_mqtt_fields_write(f->sub, at, reveal_password, value)
                   != 0))
        {
            json_decref(value);
            return -1;
        }

        if (json_object_set_new(obj, f->name, value) != 0) {
            return -1;
        }

        if ((f->flags & AXIS_MQTT_ENOUGH) && *(const int *) at) {
            return 0;
        }
    }

    return 0;
}


static json_t *
axis_mqtt_field_value(const axis_mqtt_field_t *f, const char *at,
    int reveal_password)
{
    switch (f->type) {

    case AXIS_MQTT_FIELD_OBJECT:
        return json_object();

    case AXIS_MQTT_FIELD_STRING:
        if ((f->flags & AXIS_MQTT_SECRET) && !reveal_password) {
            return json_string("*****");
        }

        return json_string(at);

    case AXIS_MQTT_FIELD_INT:
        return json_integer(*(const int *) at);

    case AXIS_MQTT_FIELD_BOOL:
        return json_boolean(*(const int *) at);

    case AXIS_MQTT_FIELD_PROTOCOL:
        return json_string(
                   axis_mqtt_protocols[*(const axis_mqtt_protocol_e *) at]);

    case AXIS_MQTT_FIELD_ENUM:
        return json_string(f->names[*(const int *) at]);

    default:
        return NULL;
    }
}


static json_t *
axis_mqtt_list_value(const axis_mqtt_field_t *f, const char *at, int n,
    int reveal_password)
{
    int      i;
    json_t  *list, *element;

    list = json_array();

    for (i = 0; list != NULL && i < n; i++) {
        element = json_object();

        if (element == NULL
            || axis_mqtt_fields_write(f->sub, at + i * f->size,
                                      reveal_password, element) != 0
            || json_array_append_new(list, element) != 0)
        {
            json_decref(element);
            json_decref(list);
            return NULL;
        }
    }

    return list;
}


/*
 * Packing: the bytes between the strings (the numbers) as they are, and
 * each string up to its NUL.  The tables list the strings in the order of
 * the struct, so the walk goes through the state once, forwards; "from"
 * is where the bytes not yet packed begin.
 */

size_t
axis_mqtt_state_packed_size(const axis_mqtt_state_t *state)
{
    size_t  from = 0, len;

    len = axis_mqtt_fields_pack(axis_mqtt_state_fields, 0,
                                (const char *) state, NULL, &from);

    return offsetof(axis_mqtt_packed_t, data) + len
           + sizeof(axis_mqtt_state_t) - from;
}


void
axis_mqtt_state_pack(const axis_mqtt_state_t *state,
    axis_mqtt_packed_t *packed)
{
    size_t       from = 0, len;
    const char  *in = (const char *) state;

    len = axis_mqtt_fields_pack(axis_mqtt_state_fields, 0, in, packed->data,
                                &from);

    memcpy(packed->data + len, in + from, sizeof(axis_mqtt_state_t) - from);
    packed->len = len + sizeof(axis_mqtt_state_t) - from;
}


axis_mqtt_packed_t *
axis_mqtt_state_pack_alloc(const axis_mqtt_state_t *state)
{
    axis_mqtt_packed_t  *packed;

    packed = malloc(axis_mqtt_state_packed_size(state));
    if (packed != NULL) {
        axis_mqtt_state_pack(state, packed);
    }

    return packed;
}


/* out NULL: only counts */

static size_t
axis_mqtt_fields_pack(const axis_mqtt_field_t *fields, size_t base,
    const char *state, char *out, size_t *from)
{
    int                       i, elements;
    size_t                    at, n, len = 0;
    const axis_mqtt_field_t  *f;

    for (f = fields; f->type != AXIS_MQTT_FIELD_END; f++) {
        at = base + f->offset;

        if (f->type == AXIS_MQTT_FIELD_OBJECT) {
            len += axis_mqtt_fields_pack(f->sub, at, state,
                                         out ? out + len : NULL, from);
            continue;
        }

        if (f->type == AXIS_MQTT_FIELD_LIST) {
            /* the elements in use; the rest of the array is not kept */
            elements = *(const int *) (state + base + f->count);

            for (i = 0; i < elements; i++) {
                len += axis_mqtt_fields_pack(f->sub, at + i * f->size, state,
                                             out ? out + len : NULL, from);
            }

            len += axis_mqtt_pack_gap(state, out ? out + len : NULL, from,
                                      at + elements * f->size);
            *from = at + f->max * f->size;
            continue;
        }

        if (f->type != AXIS_MQTT_FIELD_STRING) {
            continue;
        }

        /* the bytes before it, then its used bytes and a NUL */
        len += axis_mqtt_pack_gap(state, out ? out + len : NULL, from, at);
        n = strnlen(state + at, f->size - 1);

        if (out != NULL) {
            memcpy(out + len, state + at, n);
            out[len + n] = '\0';
        }

        len += n + 1;
        *from = at + f->size;
    }

    return len;
}


/* the bytes from *from up to "to", as they are */

static size_t
axis_mqtt_pack_gap(const char *state, char *out, size_t *from, size_t to)
{
    size_t  gap = to - *from;

    if (out != NULL) {
        memcpy(out, state + *from, gap);
    }

    *from = to;

    return gap;
}


int
axis_mqtt_state_unpack(axis_mqtt_state_t *state,
    const axis_mqtt_packed_t *packed)
{
    size_t  from = 0, pos = 0, rest;
    char   *out = (char *) state;

    memset(state, 0, sizeof(axis_mqtt_state_t));

    if (axis_mqtt_fields_unpack(axis_mqtt_state_fields, 0, out,
                                packed->data, packed->len, &from, &pos)
        != 0)
    {
        return -1;
    }

    rest = sizeof(axis_mqtt_state_t) - from;

    if (packed->len - pos != rest) {
        return -1;
    }

    memcpy(out + from, packed->data + pos, rest);

    return 0;
}


static int
axis_mqtt_fields_unpack(const axis_mqtt_field_t *fields, size_t base,
    char *state, const char *in, size_t len, size_t *from, size_t *pos)
{
    int                       i, elements;
    size_t                    at, n;
    const axis_mqtt_field_t  *f;

    for (f = fields; f->type != AXIS_MQTT_FIELD_END; f++) {
        at = base + f->offset;

        if (f->type == AXIS_MQTT_FIELD_OBJECT) {
            if (axis_mqtt_fields_unpack(f->sub, at, state, in, len, from, pos)
                != 0)
            {
                return -1;
            }

            continue;
        }

        if (f->type == AXIS_MQTT_FIELD_LIST) {
            /* its length is in the bytes before it */
            if (axis_mqtt_unpack_gap(state, in, len, from, pos, at) != 0) {
                return -1;
            }

            elements = *(const int *) (state + base + f->count);

            if (elements < 0 || elements > f->max) {
                return -1;
            }

            for (i = 0; i < elements; i++) {
                if (axis_mqtt_fields_unpack(f->sub, at + i * f->size, state,
                                            in, len, from, pos)
                    != 0)
                {
                    return -1;
                }
            }

            if (axis_mqtt_unpack_gap(state, in, len, from, pos,
                                     at + elements * f->size)
                != 0)
            {
                return -1;
            }

            *from = at + f->max * f->size;
            continue;
        }

        if (f->type != AXIS_MQTT_FIELD_STRING) {
            continue;
        }

        if (axis_mqtt_unpack_gap(state, in, len, from, pos, at) != 0) {
            return -1;
        }

        /* its bytes up to a NUL, which must come within its size */
        n = strnlen(in + *pos, (len - *pos < f->size ? len - *pos : f->size));
        if (n == len - *pos || n == f->size) {
            return -1;
        }

        memcpy(state + at, in + *pos, n);
        *pos += n + 1;
        *from = at + f->size;
    }

    return 0;
}


/* the packed bytes at *pos into the state from *from up to "to"; -1 when
 * they are not there */

static int
axis_mqtt_unpack_gap(char *state, const char *in, size_t len, size_t *from,
    size_t *pos, size_t to)
{
    size_t  gap;

    if (to < *from || len - *pos < to - *from) {
        return -1;
    }

    gap = to - *from;
    memcpy(state + *from, in + *pos, gap);
    *pos += gap;
    *from = to;

    return 0;
}


int
axis_mqtt_packed_equal(const axis_mqtt_packed_t *a,
    const axis_mqtt_packed_t *b)
{
    return a->len == b->len && memcmp(a->data, b->data, a->len) == 0;
}


void
axis_mqtt_packed_copy(axis_mqtt_packed_t *dst, const axis_mqtt_packed_t *src)
{
    dst->len = src->len;
    memcpy(dst->data, src->data, src->len);
}

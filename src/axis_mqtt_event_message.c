
/*
 * A camera's event as MQTT (see the header).  The topic renders each
 * namespace as a level of its own ("tns:onvif", "tns:axis"), the payload
 * names them with the short prefixes ("onvif:", "axis:"): Home
 * Assistant's parser rewrites those with a plain string replace.
 */

#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "axis_mqtt_event_message.h"


static int axis_mqtt_event_append(char *buf, size_t size, size_t *len,
    const char *a, const char *b);
static const char *axis_mqtt_event_ns(const axis_mqtt_level_t *level);
static json_t *axis_mqtt_event_items(const axis_mqtt_items_t *items);


int
axis_mqtt_event_prefix(const axis_mqtt_event_conf_t *pub,
    const char *device_topic_prefix, char *buf, size_t size, size_t *len)
{
    if (pub->topic_prefix == AXIS_MQTT_PREFIX_CUSTOM) {
        return axis_mqtt_event_append(buf, size, len,
                                      pub->custom_topic_prefix, NULL);
    }

    return axis_mqtt_event_append(buf, size, len, device_topic_prefix,
                                  "/event");
}


int
axis_mqtt_event_topic(const axis_mqtt_notification_t *ev,
    const axis_mqtt_event_conf_t *pub, const char *device_topic_prefix,
    char *buf, size_t size)
{
    size_t                    len;
    unsigned                  i;
    const axis_mqtt_level_t  *level;

    len = 0;
    buf[0] = '\0';

    if (axis_mqtt_event_prefix(pub, device_topic_prefix, buf, size, &len)
        != 0)
    {
        return -1;
    }

    if (!pub->append_event_topic) {
        return (int) len;
    }

    for (i = 0; i < ev->nlevels; i++) {
        level = &ev->levels[i];

        if (pub->include_topic_namespaces && level->ns != AXIS_MQTT_NS_NONE
            && axis_mqtt_event_append(buf, size, &len, "/tns:",
                                      axis_mqtt_event_ns(level)) != 0)
        {
            return -1;
        }

        if (axis_mqtt_event_append(buf, size, &len, "/", level->name) != 0) {
            return -1;
        }
    }

    for (i = 0; i < ev->source.n; i++) {
        if (axis_mqtt_event_append(buf, size, &len, "/$source/",
                                   ev->source.items[i].name) != 0
            || axis_mqtt_event_append(buf, size, &len, "/",
                                      ev->source.items[i].value) != 0)
        {
            return -1;
        }
    }

    return (int) len;
}


/* a then b (either may be NULL) after buf's len bytes, if they fit */

static int
axis_mqtt_event_append(char *buf, size_t size, size_t *len, const char *a,
    const char *b)
{
    size_t       n;
    const char  *s[2];
    unsigned     i;

    s[0] = a;
    s[1] = b;

    for (i = 0; i < 2; i++) {
        if (s[i] == NULL) {
            continue;
        }

        n = strlen(s[i]);

        /* a wildcard is no part of a topic to publish to */
        if (strpbrk(s[i], "+#") != NULL || *len + n + 1 > size
            || *len + n > AXIS_MQTT_EVENT_TOPIC_MAX)
        {
            return -1;
        }

        memcpy(buf + *len, s[i], n + 1);
        *len += n;
    }

    return 0;
}


char *
axis_mqtt_event_payload(const axis_mqtt_notification_t *ev,
    const axis_mqtt_event_conf_t *pub, const char *serial)
{
    char                     *text;
    json_t                   *root, *message;
    size_t                    len;
    unsigned                  i;
    char                      topic[4096];
    const axis_mqtt_level_t  *level;

    len = 0;
    topic[0] = '\0';

    for (i = 0; i < ev->nlevels; i++) {
        level = &ev->levels[i];
        len += snprintf(topic + len, sizeof(topic) - len, "%s%s%s%s",
                        i ? "/" : "",
                        level->ns != AXIS_MQTT_NS_NONE
                        ? axis_mqtt_event_ns(level) : "",
                        level->ns != AXIS_MQTT_NS_NONE ? ":" : "",
                        level->name);

        if (len >= sizeof(topic)) {
            return NULL;
        }
    }

    message = json_pack("{s:o, s:o, s:o}",
                        "source", axis_mqtt_event_items(&ev->source),
                        "key", axis_mqtt_event_items(&ev->key),
                        "data", axis_mqtt_event_items(&ev->data));

    root = json_pack("{s:s, s:I, s:o}", "topic", topic,
                     "timestamp", (json_int_t) ev->time_ms,
                     "message", message);

    if (root != NULL && pub->include_serial_number
        && json_object_set_new(root, "serialNumber", json_string(serial)) != 0)
    {
        json_decref(root);
        root = NULL;
    }

    text = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);

    return text;
}


/* the camera's order, values as the strings they are */

static json_t *
axis_mqtt_event_items(const axis_mqtt_items_t *items)
{
    json_t    *obj;
    unsigned   i;

    obj = json_object();

    for (i = 0; obj != NULL && i < items->n; i++) {
        if (json_object_set_new(obj, items->items[i].name,
                                json_string(items->items[i].value)) != 0)
        {
            json_decref(obj);
            return NULL;
        }
    }

    return obj;
}


static const char *
axis_mqtt_event_ns(const axis_mqtt_level_t *level)
{
    switch (level->ns) {

    case AXIS_MQTT_NS_ID_ONVIF:
        return "onvif";

    case AXIS_MQTT_NS_ID_AXIS:
        return "axis";

    default:
        /* a namespace nobody filters by: the camera's own prefix */
        return level->prefix;
    }
}


int
axis_mqtt_event_retained(const axis_mqtt_notification_t *ev, int retain)
{
    switch (retain) {

    case AXIS_MQTT_RETAIN_ALL:
        return 1;

    case AXIS_MQTT_RETAIN_PROPERTY:
        return ev->operation != AXIS_MQTT_OP_NONE;

    default:
        return 0;
    }
}


/*
 * Default and custom announcements.  The defaults are the spec's:
 *
 *     topic    {deviceTopicPrefix}/event/connection, QoS 1, retained
 *     payload  {"serialNumber": "...", "connected": false,
 *               "description": "Connection Lost", "timestamp": null}
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axis_mqtt_message.h"


static const axis_mqtt_message_t *axis_mqtt_message_of(
    const axis_mqtt_conf_t *conf, axis_mqtt_announcement_e which);


static const char  *axis_mqtt_descriptions[] = {
    "Connection Lost", "Connected", "Disconnected"
};


int
axis_mqtt_message_topic(const axis_mqtt_conf_t *conf,
    axis_mqtt_announcement_e which, char *buf, size_t size)
{
    const axis_mqtt_message_t  *msg;

    msg = axis_mqtt_message_of(conf, which);

    if (!msg->configured) {
        return 0;
    }

    if (msg->use_default) {
        snprintf(buf, size, "%s/event/connection", conf->device_topic_prefix);

    } else {
        snprintf(buf, size, "%s", msg->topic);
    }

    return 1;
}


int
axis_mqtt_message_build(axis_mqtt_publication_t *pub,
    const axis_mqtt_conf_t *conf, axis_mqtt_announcement_e which,
    const char *serial, time_t now)
{
    char                       *text, stamp[32];
    json_t                     *payload, *timestamp;
    struct tm                   tm;
    const axis_mqtt_message_t  *msg;

    msg = axis_mqtt_message_of(conf, which);

    /* the custom topic or the default one, whichever it is */
    if (!axis_mqtt_message_topic(conf, which, pub->topic, sizeof(pub->topic)))
    {
        return 0;
    }

    if (!msg->use_default) {
        pub->qos = msg->qos;
        pub->retain = msg->retain;
        memcpy(pub->payload, msg->message, sizeof(msg->message));
        return 1;
    }

    pub->qos = 1;
    pub->retain = 1;

    if (which == AXIS_MQTT_LAST_WILL) {
        /* the broker sends it later: no time is known now */
        timestamp = json_null();

    } else {
        gmtime_r(&now, &tm);
        strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
        timestamp = json_string(stamp);
    }

    payload = json_pack("{s:s, s:b, s:s, s:o}",
                        "serialNumber", serial,
                        "connected", which == AXIS_MQTT_CONNECT_MESSAGE,
                        "description", axis_mqtt_descriptions[which],
                        "timestamp", timestamp);

    text = payload ? json_dumps(payload, JSON_COMPACT) : NULL;
    json_decref(payload);

    if (text == NULL || strlen(text) >= sizeof(pub->payload)) {
        free(text);
        return -1;
    }

    strcpy(pub->payload, text);
    free(text);

    return 1;
}


static const axis_mqtt_message_t *
axis_mqtt_message_of(const axis_mqtt_conf_t *conf,
    axis_mqtt_announcement_e which)
{
    return (which == AXIS_MQTT_LAST_WILL) ? &conf->last_will
           : (which == AXIS_MQTT_CONNECT_MESSAGE) ? &conf->connect_message
           : &conf->disconnect_message;
}


/*
 * The three announcements of the client (last will, connect, disconnect)
 * as they go on the wire: the user's custom message, or the spec's
 * default on {deviceTopicPrefix}/event/connection.  Plain C.
 */

#ifndef _AXIS_MQTT_MESSAGE_H_INCLUDED_
#define _AXIS_MQTT_MESSAGE_H_INCLUDED_


#include <time.h>

#include "axis_mqtt_conf.h"


typedef enum {
    AXIS_MQTT_LAST_WILL = 0,
    AXIS_MQTT_CONNECT_MESSAGE,
    AXIS_MQTT_DISCONNECT_MESSAGE
} axis_mqtt_announcement_e;


typedef struct {
    int                      qos;
    int                      retain;
    char                     topic[AXIS_MQTT_STRING_LEN + 32];
    char                     payload[AXIS_MQTT_PAYLOAD_LEN + 1];
} axis_mqtt_publication_t;


/* the announcement's topic into buf: 0 when it is not configured */
int axis_mqtt_message_topic(const axis_mqtt_conf_t *conf,
    axis_mqtt_announcement_e which, char *buf, size_t size);

/*
 * Fills *pub with the announcement as configured in conf, stamped with
 * "now" (the last will carries a null timestamp).  Returns 0 when the
 * announcement is not configured, 1 when *pub is set, -1 on failure.
 */
int axis_mqtt_message_build(axis_mqtt_publication_t *pub,
    const axis_mqtt_conf_t *conf, axis_mqtt_announcement_e which,
    const char *serial, time_t now);


#endif /* _AXIS_MQTT_MESSAGE_H_INCLUDED_ */

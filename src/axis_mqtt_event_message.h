
/*
 * A camera's event as a modern Axis device publishes it on MQTT (see
 * ../shared/spec/mqtt-event-bridge.md, "What a device publishes"): the
 * topic, the JSON payload and whether a filter's policy retains it.
 * Plain C, unit-tested and fuzzed with the notification parser.
 */

#ifndef _AXIS_MQTT_EVENT_MESSAGE_H_INCLUDED_
#define _AXIS_MQTT_EVENT_MESSAGE_H_INCLUDED_


#include "axis_mqtt_conf.h"
#include "axis_mqtt_onvif.h"


/* MQTT's limit for a topic */
#define AXIS_MQTT_EVENT_TOPIC_MAX   65535


/*
 * What every event topic of the publication starts with, appended to buf
 * at *len: the custom prefix, or "<deviceTopicPrefix>/event".  -1: it
 * does not fit.
 */
int axis_mqtt_event_prefix(const axis_mqtt_event_conf_t *pub,
    const char *device_topic_prefix, char *buf, size_t size, size_t *len);

/*
 * "<prefix>/tns:onvif/Device/tns:axis/IO/Port/$source/port/1".  Returns
 * its length, or -1 when it cannot be an MQTT topic (a wildcard or a NUL
 * in a name or value, too long): such an event is not published.
 */
int axis_mqtt_event_topic(const axis_mqtt_notification_t *ev,
    const axis_mqtt_event_conf_t *pub, const char *device_topic_prefix,
    char *buf, size_t size);

/* {"topic":"onvif:Device/axis:IO/Port","timestamp":...,"message":{...}} */
char *axis_mqtt_event_payload(const axis_mqtt_notification_t *ev,
    const axis_mqtt_event_conf_t *pub, const char *serial);

/* 1: a filter with this retain policy publishes the event retained */
int axis_mqtt_event_retained(const axis_mqtt_notification_t *ev, int retain);


#endif /* _AXIS_MQTT_EVENT_MESSAGE_H_INCLUDED_ */

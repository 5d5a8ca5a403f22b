
/*
 * Event topic filters, the ONVIF "ConcreteSet" expressions that
 * event.cgi's eventFilterList holds: "onvif:Device/axis:IO//." (that topic
 * and everything below it), "axis:Storage/Alert" (exactly that topic),
 * "//." (every event), several joined by "|": their syntax, and which
 * events they match (by namespace, not by the prefix a camera chose).
 * Plain C, unit-tested and fuzzed.
 */

#ifndef _AXIS_MQTT_TOPIC_H_INCLUDED_
#define _AXIS_MQTT_TOPIC_H_INCLUDED_


#include <stddef.h>

#include "axis_mqtt_onvif.h"




/* 1: s (len bytes) is a filter the gateway can match events against */
int axis_mqtt_topic_filter_valid(const char *s, size_t len);

/* 1: the event's topic is one the (valid) filter names */
int axis_mqtt_topic_filter_match(const char *filter,
    const axis_mqtt_notification_t *ev);


#endif /* _AXIS_MQTT_TOPIC_H_INCLUDED_ */


/*
 * Event topic filters, the ONVIF "ConcreteSet" expressions that
 * event.cgi's eventFilterList holds: "onvif:Device/axis:IO//." (that topic
 * and everything below it), "axis:Storage/Alert" (exactly that topic),
 * "//." (every event), several joined by "|".  Plain C, unit-tested and
 * fuzzed.
 */

#ifndef _AXIS_MQTT_TOPIC_H_INCLUDED_
#define _AXIS_MQTT_TOPIC_H_INCLUDED_


#include <stddef.h>


/* the namespaces a filter names by prefix, and how topics are written */
#define AXIS_MQTT_NS_ONVIF       "http://www.onvif.org/ver10/topics"
#define AXIS_MQTT_NS_AXIS        "http://www.axis.com/2009/event/topics"


/* 1: s (len bytes) is a filter the gateway can match events against */
int axis_mqtt_topic_filter_valid(const char *s, size_t len);


#endif /* _AXIS_MQTT_TOPIC_H_INCLUDED_ */

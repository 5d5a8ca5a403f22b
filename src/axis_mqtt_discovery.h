
/*
 * The gateway's part of API Discovery (apidiscovery.cgi): the
 * "mqtt-client" entry, and "event-mqtt-bridge" for a server that answers
 * event.cgi, merged into the firmware's own list when the firmware
 * answers, or a list of their own when it cannot.  Plain C.
 */

#ifndef _AXIS_MQTT_DISCOVERY_H_INCLUDED_
#define _AXIS_MQTT_DISCOVERY_H_INCLUDED_


#include <stddef.h>

#include "axis_mqtt_api.h"


#define AXIS_MQTT_DISCOVERY_ID         "mqtt-client"
#define AXIS_MQTT_DISCOVERY_EVENTS_ID  "event-mqtt-bridge"

/* the APIs besides mqtt-client that a server answers */
#define AXIS_MQTT_DISCOVERY_EVENTS     0x01


/*
 * The answer to a parsed apidiscovery.cgi request (axis_mqtt_request_parse_api
 * with AXIS_MQTT_API_DISCOVERY).  firmware is the firmware's answer to the
 * same request, or NULL when it gave none.  Returns malloc()ed JSON (the
 * firmware's own bytes when they are used unchanged), NULL when out of
 * memory.  apis: AXIS_MQTT_DISCOVERY_EVENTS, or 0.
 */
char *axis_mqtt_discovery_response(axis_mqtt_request_t *req,
    const char *firmware, size_t len, unsigned apis);


#endif /* _AXIS_MQTT_DISCOVERY_H_INCLUDED_ */

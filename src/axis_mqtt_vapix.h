
/*
 * The camera's virtual input CGIs (VAPIX Virtual input API), which the
 * gateway calls to drive the camera's action rules: the request's path,
 * and what the camera's XML answer says.  Plain C with libxml2,
 * unit-tested and fuzzed.
 */

#ifndef _AXIS_MQTT_VAPIX_H_INCLUDED_
#define _AXIS_MQTT_VAPIX_H_INCLUDED_


#include <stddef.h>


/* "/axis-cgi/virtualinput/activate.cgi?schemaversion=1&port=3" */
void axis_mqtt_vapix_path(int activate, int port, char *buf, size_t size);

/*
 * A VirtualInputResponse: 0 on Success (*changed: the input's state
 * changed), -1 on an Error or anything else, with the cause in buf.
 */
int axis_mqtt_vapix_answer(const char *xml, size_t len, int *changed,
    char *buf, size_t size);


#endif /* _AXIS_MQTT_VAPIX_H_INCLUDED_ */

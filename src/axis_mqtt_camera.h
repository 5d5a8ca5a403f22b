
/*
 * The cameras' events: one thread for every device that has a camera
 * (axis_mqtt_camera), with libcurl's multi interface, keeps each device's
 * PullPoint subscription (axis_mqtt_pull.c decides, this carries out),
 * and hands the events that match the device's publication to the bridge
 * (axis_mqtt_mailbox_publish()); and it makes the virtual input calls
 * that the devices' MQTT subscriptions ask for (axis_mqtt_input.c).
 * Started and stopped by the owner.
 */

#ifndef _AXIS_MQTT_CAMERA_H_INCLUDED_
#define _AXIS_MQTT_CAMERA_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "axis_mqtt_shm.h"


/* axis_mqtt_camera's URL and this: the camera's ONVIF event service */
#define AXIS_MQTT_CAMERA_EVENT_PATH  "/onvif/services"


/* the thread, if a device has a camera; NGX_ERROR: it could not start */
ngx_int_t axis_mqtt_camera_start(axis_mqtt_runtime_t *rt, ngx_log_t *log);

/* a device's saved state (at start, or changed): subscribe or not */
void axis_mqtt_camera_apply(ngx_uint_t dev, const axis_mqtt_state_t *state);

/*
 * The device's client is connected (again): the camera's current states
 * are published anew (the subscription is made again, which starts with
 * them), once the request in flight is done.  Any thread.
 */
void axis_mqtt_camera_refresh(ngx_uint_t dev);

/* the owner quits: unsubscribed (bounded), then the thread ends */
void axis_mqtt_camera_stop(void);
void axis_mqtt_camera_join(void);


#endif /* _AXIS_MQTT_CAMERA_H_INCLUDED_ */

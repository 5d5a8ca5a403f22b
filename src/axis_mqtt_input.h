
/*
 * MQTT to camera, the camera's side: each device's virtual input calls.
 * The bridge thread posts what a message asks (axis_mqtt_inbound.h); the
 * camera thread calls the camera's activate.cgi and deactivate.cgi
 * (axis_mqtt_vapix.h), one call at a time per device and in the order
 * posted, so that a camera sees an input's changes in the order of their
 * messages.  A trigger (DRIVE_PULSE) is both calls, the deactivate sent
 * as soon as the activate is answered.  The MQTT client never waits: a
 * call that finds AXIS_MQTT_INPUT_QUEUE waiting is dropped and counted.
 * A camera's refusal is logged once per cause and device; the calls after
 * it go on.
 */

#ifndef _AXIS_MQTT_INPUT_H_INCLUDED_
#define _AXIS_MQTT_INPUT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include <curl/curl.h>

#include "axis_mqtt_shm.h"


#define AXIS_MQTT_INPUT_QUEUE   256         /* calls waiting, per device */
#define AXIS_MQTT_INPUT_WAIT    5000        /* ms, a call's longest */


/* the event loop, before the camera thread starts; NGX_ERROR: no memory */
ngx_int_t axis_mqtt_input_open(axis_mqtt_runtime_t *rt, CURLM *multi,
    ngx_log_t *log);
/* ... and once it runs: calls are taken from now on */
void axis_mqtt_input_enable(void);

/*
 * Any thread: a call (an axis_mqtt_drive_e of virtual input 1..32) for
 * the device's camera, after those posted before.  NGX_DECLINED: the
 * device has no camera, or its queue is full (then counted).
 */
ngx_int_t axis_mqtt_input_post(ngx_uint_t dev, int input, int drive);


/* the camera thread's side */

/* the next calls of the devices that have none in flight, started */
void axis_mqtt_input_run(void);

/* 1: the request was a virtual input call, and is dealt with */
ngx_uint_t axis_mqtt_input_done(CURL *easy, CURLcode result);

/* the thread ends: calls in flight cut short, the queues left */
void axis_mqtt_input_close(void);


#endif /* _AXIS_MQTT_INPUT_H_INCLUDED_ */

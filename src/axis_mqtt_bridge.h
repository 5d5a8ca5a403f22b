
/*
 * The owner's MQTT client (Eclipse Paho, async) on a thread of its own:
 * connects as the saved state asks, reconnects with backoff, announces,
 * and reports the connection in the shared zone.  Runs only in the owner
 * process; no Paho call is made in the nginx event loop.
 */

#ifndef _AXIS_MQTT_BRIDGE_H_INCLUDED_
#define _AXIS_MQTT_BRIDGE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "axis_mqtt_shm.h"


/* ownership began: start the bridge thread on the saved state */
ngx_int_t axis_mqtt_bridge_start(axis_mqtt_shm_ctx_t *shm, ngx_fd_t wake_fd,
    ngx_log_t *log, const axis_mqtt_state_t *state);

/* the saved state changed: act on it */
void axis_mqtt_bridge_apply(const axis_mqtt_state_t *state);

/*
 * Ownership ends: a clean DISCONNECT, no announcement, no last will.
 * Once it is out, axis_mqtt_bridge_stopped() is true and the wake FIFO
 * is written to.
 */
void axis_mqtt_bridge_stop(void);
ngx_int_t axis_mqtt_bridge_stopped(void);

/* the process exits: stop, and wait a bounded time for the thread */
void axis_mqtt_bridge_join(void);


#endif /* _AXIS_MQTT_BRIDGE_H_INCLUDED_ */

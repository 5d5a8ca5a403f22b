
/*
 * The owner's MQTT clients (Eclipse Paho, async), one per device, on one
 * thread of their own: each connects as its device's saved state asks,
 * reconnects with back-off, announces, and reports its connection in the
 * shared zone.  Runs only in the owner process; no Paho call is made in
 * the nginx event loop.
 */

#ifndef _AXIS_MQTT_BRIDGE_H_INCLUDED_
#define _AXIS_MQTT_BRIDGE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "axis_mqtt_shm.h"


/* ownership began: start the bridge thread for the zone's devices */
ngx_int_t axis_mqtt_bridge_start(axis_mqtt_shm_ctx_t *shm, ngx_fd_t wake_fd,
    ngx_log_t *log);

/* a device's saved state (at start, or changed): act on it */
void axis_mqtt_bridge_apply(ngx_uint_t dev, const axis_mqtt_state_t *state);

/*
 * In the event loop, woken through the wake FIFO: the connection statuses
 * the sessions changed go to the zone.  The zone has this one writer of
 * "connected": the bridge thread never takes the zone's lock.
 */
void axis_mqtt_bridge_publish_status(void);

/*
 * Ownership ends: a clean DISCONNECT of every client, no announcement, no
 * last will.  Once they are out, axis_mqtt_bridge_stopped() is true and
 * the wake FIFO is written to.
 */
void axis_mqtt_bridge_stop(void);
ngx_int_t axis_mqtt_bridge_stopped(void);

/* the process exits: stop, and wait a bounded time for the thread */
void axis_mqtt_bridge_join(void);


#endif /* _AXIS_MQTT_BRIDGE_H_INCLUDED_ */


/*
 * The owner's MQTT client (Eclipse Paho, async): connects as the saved
 * state asks, reconnects with backoff, announces, and reports the
 * connection in the shared zone.  Runs only in the owner process.
 *
 * Paho calls back from its own threads: the callbacks only queue an event
 * and write to the owner's wake FIFO; everything else happens in the
 * nginx event loop.
 */

#ifndef _AXIS_MQTT_BRIDGE_H_INCLUDED_
#define _AXIS_MQTT_BRIDGE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "axis_mqtt_shm.h"


void axis_mqtt_bridge_start(axis_mqtt_shm_ctx_t *shm, ngx_fd_t wake_fd,
    ngx_log_t *log);

/* the saved state changed (or ownership began): act on it */
void axis_mqtt_bridge_apply(const axis_mqtt_state_t *state);

/* the wake FIFO fired: handle what Paho reported */
void axis_mqtt_bridge_process_events(void);

/*
 * Ownership ends: a clean DISCONNECT, no announcement, no last will.
 * NGX_OK: nothing was connected; NGX_DONE: disconnected now, stopped()
 * was called; NGX_AGAIN: stopped(data) is called once the DISCONNECT is
 * out (or given up on), from the event loop.
 */
ngx_int_t axis_mqtt_bridge_stop(void (*stopped)(void *data), void *data);

/* the process exits: disconnect now, whatever is under way */
void axis_mqtt_bridge_stop_now(void);


#endif /* _AXIS_MQTT_BRIDGE_H_INCLUDED_ */

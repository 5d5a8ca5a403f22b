
/*
 * The owner: the one process of the nginx instance, across generations,
 * that saves the state file (and holds the broker connection).
 *
 * Ownership is an fcntl lock on <state_dir>/owner.lock, which the kernel
 * drops when the process dies; the candidate (worker 0) polls for it.
 * Other workers wake the owner through the FIFO <state_dir>/wake.
 */

#ifndef _AXIS_MQTT_OWNER_H_INCLUDED_
#define _AXIS_MQTT_OWNER_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "axis_mqtt_shm.h"


/* in the candidate process: start competing for ownership */
ngx_int_t axis_mqtt_owner_start(ngx_cycle_t *cycle,
    axis_mqtt_shm_ctx_t *shm);

/* release ownership, if held, at process exit */
void axis_mqtt_owner_stop(ngx_cycle_t *cycle);

/*
 * In any process: is an owner alive?  One killed outright leaves its
 * "connected" in the zone until its successor starts; its lock, and its
 * connection, died with it.
 */
ngx_int_t axis_mqtt_owner_alive(axis_mqtt_shm_ctx_t *shm, ngx_log_t *log);

/* in any process: tell the owner that a command is waiting */
void axis_mqtt_owner_wake(axis_mqtt_shm_ctx_t *shm, ngx_log_t *log);


#endif /* _AXIS_MQTT_OWNER_H_INCLUDED_ */

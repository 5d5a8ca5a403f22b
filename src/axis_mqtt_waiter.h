
/*
 * A worker's wake-up for the writes it waits for: the FIFO
 * <state_dir>/wake-<pid>, created when the worker starts and removed when
 * it exits.  The owner writes to it when it has completed a write this
 * worker submitted, so the worker answers at once instead of polling.
 */

#ifndef _AXIS_MQTT_WAITER_H_INCLUDED_
#define _AXIS_MQTT_WAITER_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/* in every worker; handler runs in the event loop on each wake-up */
ngx_int_t axis_mqtt_waiter_start(ngx_cycle_t *cycle, const char *state_dir,
    void (*handler)(void));
void axis_mqtt_waiter_stop(void);

/* in the owner: pid's write is done (a worker gone is no error) */
void axis_mqtt_waiter_notify(const char *state_dir, ngx_pid_t pid);

/* in the owner, when it starts: the FIFOs of workers that died */
void axis_mqtt_waiter_sweep(const char *state_dir, ngx_log_t *log);


#endif /* _AXIS_MQTT_WAITER_H_INCLUDED_ */

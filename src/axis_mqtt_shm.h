
/*
 * The shared zone: the one truth every worker answers from.
 *
 * "saved" is the state last persisted by the owner.  A write request is a
 * command: the worker computes the next state under the zone's lock into
 * the single "pending" slot and bumps "submitted"; the owner saves it and
 * moves "completed" up to it, with the result.  The slot is free again
 * when completed == submitted, so writes are serialised and a failed one
 * leaves "saved" untouched.
 */

#ifndef _AXIS_MQTT_SHM_H_INCLUDED_
#define _AXIS_MQTT_SHM_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "axis_mqtt_api.h"


/* the outcomes of the last writes, for their submitters to pick up */
#define AXIS_MQTT_SHM_RESULTS  32


typedef struct {
    uint64_t                 seq;
    axis_mqtt_error_t        error;
} axis_mqtt_shm_result_t;


typedef struct {
    ngx_uint_t               layout;
    axis_mqtt_state_t        saved;
    uint64_t                 version;       /* of "saved", from 1 */
    axis_mqtt_state_t        pending;
    uint64_t                 submitted;
    uint64_t                 taken;         /* the owner is saving it */
    uint64_t                 completed;
    axis_mqtt_shm_result_t   results[AXIS_MQTT_SHM_RESULTS];
    ngx_pid_t                owner;         /* 0: nobody owns the client */
    ngx_uint_t               connected;     /* the broker accepted us */
} axis_mqtt_shm_t;


typedef struct {
    axis_mqtt_shm_t         *sh;
    ngx_slab_pool_t         *shpool;
    char                    *state_dir;     /* NUL-terminated */
    char                    *cert_dir;
    char                    *serial;
} axis_mqtt_shm_ctx_t;


ngx_shm_zone_t *axis_mqtt_shm_add(ngx_conf_t *cf, void *tag);

/*
 * The saved state and the connection.  *version is the version of *state
 * the caller has: the state is copied only when the zone's is another.
 */
void axis_mqtt_shm_snapshot(axis_mqtt_shm_ctx_t *ctx,
    axis_mqtt_state_t *state, uint64_t *version, ngx_uint_t *connected);

/* worker side: NGX_OK submitted, NGX_BUSY slot taken, NGX_DECLINED err */
ngx_int_t axis_mqtt_shm_submit(axis_mqtt_shm_ctx_t *ctx,
    const axis_mqtt_request_t *req, uint64_t *seq, axis_mqtt_error_t *err);
/* NGX_OK with *err the outcome, NGX_AGAIN not yet */
ngx_int_t axis_mqtt_shm_result(axis_mqtt_shm_ctx_t *ctx, uint64_t seq,
    axis_mqtt_error_t *err);
/* NGX_OK withdrawn, NGX_AGAIN the owner is already saving it */
ngx_int_t axis_mqtt_shm_withdraw(axis_mqtt_shm_ctx_t *ctx, uint64_t seq);

/* owner side: NGX_OK a command to save was copied out, NGX_DONE none */
ngx_int_t axis_mqtt_shm_take(axis_mqtt_shm_ctx_t *ctx,
    axis_mqtt_state_t *state, uint64_t *seq);
void axis_mqtt_shm_complete(axis_mqtt_shm_ctx_t *ctx, uint64_t seq,
    const axis_mqtt_state_t *state, const axis_mqtt_error_t *err);
void axis_mqtt_shm_set_owner(axis_mqtt_shm_ctx_t *ctx, ngx_pid_t pid);
void axis_mqtt_shm_set_connected(axis_mqtt_shm_ctx_t *ctx,
    ngx_uint_t connected);


#endif /* _AXIS_MQTT_SHM_H_INCLUDED_ */

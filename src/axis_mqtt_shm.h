
/*
 * The shared zone: the one truth every worker answers from, a part per
 * device.
 *
 * A device's "saved" is the state last persisted by the owner.  A write
 * request is a command: the worker computes the next state under the
 * zone's lock into the device's single "pending" slot and bumps
 * "submitted"; the owner saves it and moves "completed" up to it, with the
 * result.  The slot is free again when completed == submitted, so a
 * device's writes are serialised, a failed one leaves "saved" untouched,
 * and one device's write never waits for another's.
 *
 * "connected" has one writer: the owner's event loop, publishing what the
 * device's session decided (axis_mqtt_bridge_publish_status()).  Workers
 * only read it; the bridge thread never takes the zone's lock.
 */

#ifndef _AXIS_MQTT_SHM_H_INCLUDED_
#define _AXIS_MQTT_SHM_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "axis_mqtt_api.h"


/* the outcomes of a device's last writes, for their submitters to pick up */
#define AXIS_MQTT_SHM_RESULTS   32
#define AXIS_MQTT_SERIAL_LEN    64

/* the most devices an instance serves (a callback's context holds one) */
#define AXIS_MQTT_DEVICES_MAX   4096


typedef struct {
    uint64_t                 seq;
    axis_mqtt_error_t        error;
} axis_mqtt_shm_result_t;


/*
 * A device's connection as the owner's event loop publishes it: whether
 * the broker accepted its client, and while not, the last cause of that
 * the logs gave ("" when none) and when (epoch ms).
 */
#define AXIS_MQTT_STATUS_CAUSE_LEN  400

typedef struct {
    ngx_uint_t               connected;
    int64_t                  cause_at;
    char                     cause[AXIS_MQTT_STATUS_CAUSE_LEN];
} axis_mqtt_status_t;


typedef struct {
    char                     serial[AXIS_MQTT_SERIAL_LEN + 1];
    uint64_t                 version;       /* of "saved", from 1 */
    uint64_t                 submitted;
    ngx_pid_t                submitter;     /* the worker that waits for it */
    uint64_t                 taken;         /* the owner is saving it */
    uint64_t                 completed;
    axis_mqtt_status_t       status;        /* the connection */
    ngx_uint_t               active;        /* saved's, set with it */
    axis_mqtt_shm_result_t   results[AXIS_MQTT_SHM_RESULTS];

    /*
     * Packed, last: a slot's pages past the bytes in use are never
     * touched, so they take no memory (the zone is not zeroed ahead).
     */
    axis_mqtt_packed_t       saved;
    axis_mqtt_packed_t       pending;
} axis_mqtt_shm_device_t;


typedef struct {
    ngx_uint_t               layout;
    ngx_pid_t                owner;         /* 0: nobody owns the clients */
    ngx_uint_t               ndevices;
    axis_mqtt_shm_device_t   devices[1];    /* ndevices of them */
} axis_mqtt_shm_t;


/* a device as configured: never in the zone, the same in every process */
typedef struct {
    char                    *serial;        /* NUL-terminated */
    char                    *cert_dir;
    char                    *store_name;    /* client-<serial>.json */
    char                    *camera;        /* its address; NULL: none */
    char                    *camera_events; /* its event service's URL */
    char                    *camera_user;   /* NULL: none */
    char                    *camera_password;   /* never shown */
} axis_mqtt_device_conf_t;


/* the paths and settings of the instance, from its configuration */
typedef struct {
    char                    *state_dir;
    axis_mqtt_device_conf_t *devices;
    ngx_uint_t               ndevices;
    ngx_uint_t               legacy;        /* takes over client.json */
} axis_mqtt_runtime_t;


/* the zone, and the runtime it was made for */
typedef struct {
    axis_mqtt_shm_t         *sh;
    ngx_slab_pool_t         *shpool;
    axis_mqtt_runtime_t     *rt;
} axis_mqtt_shm_ctx_t;


/* the zone for rt's devices, named after them */
ngx_shm_zone_t *axis_mqtt_shm_add(ngx_conf_t *cf, void *tag,
    axis_mqtt_runtime_t *rt);

/* the version of a device's saved state, and its connection */
void axis_mqtt_shm_status(axis_mqtt_shm_ctx_t *ctx, ngx_uint_t dev,
    uint64_t *version, ngx_uint_t *connected);
/* a device's saved state and its version */
void axis_mqtt_shm_saved(axis_mqtt_shm_ctx_t *ctx, ngx_uint_t dev,
    axis_mqtt_state_t *state, uint64_t *version);

/* worker side: NGX_OK submitted, NGX_BUSY slot taken, NGX_DECLINED err */
ngx_int_t axis_mqtt_shm_submit(axis_mqtt_shm_ctx_t *ctx, ngx_uint_t dev,
    const axis_mqtt_request_t *req, uint64_t *seq, axis_mqtt_error_t *err);
/* NGX_OK with *err the outcome, NGX_AGAIN not yet */
ngx_int_t axis_mqtt_shm_result(axis_mqtt_shm_ctx_t *ctx, ngx_uint_t dev,
    uint64_t seq, axis_mqtt_error_t *err);
/* NGX_OK withdrawn, NGX_AGAIN the owner is already saving it */
ngx_int_t axis_mqtt_shm_withdraw(axis_mqtt_shm_ctx_t *ctx, ngx_uint_t dev,
    uint64_t seq);

/* owner side: which devices have a command to save (marks[dev]), how many */
ngx_uint_t axis_mqtt_shm_submitted(axis_mqtt_shm_ctx_t *ctx, u_char *marks);
/*
 * owner side: NGX_OK a command was copied out (err set if it does not
 * unpack: a broken zone, then nothing is to be saved), NGX_DONE none
 */
ngx_int_t axis_mqtt_shm_take(axis_mqtt_shm_ctx_t *ctx, ngx_uint_t dev,
    axis_mqtt_state_t *state, uint64_t *seq, ngx_pid_t *submitter,
    axis_mqtt_error_t *err);
void axis_mqtt_shm_complete(axis_mqtt_shm_ctx_t *ctx, ngx_uint_t dev,
    uint64_t seq, const axis_mqtt_state_t *state,
    const axis_mqtt_error_t *err);
void axis_mqtt_shm_set_owner(axis_mqtt_shm_ctx_t *ctx, ngx_pid_t pid);
void axis_mqtt_shm_set_status(axis_mqtt_shm_ctx_t *ctx, ngx_uint_t dev,
    const axis_mqtt_status_t *status);
/* a device's connection and its cause, as published, and whether its
 * saved state is active */
void axis_mqtt_shm_connection(axis_mqtt_shm_ctx_t *ctx, ngx_uint_t dev,
    axis_mqtt_status_t *status, ngx_uint_t *active);


#endif /* _AXIS_MQTT_SHM_H_INCLUDED_ */


/*
 * The shared zone "axis_mqtt_<crc32 of the serials>".  Every access holds
 * the slab pool's mutex,
 * the one lock nginx releases for a worker that dies holding it; nothing
 * under it allocates, blocks or calls out of the module.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "axis_mqtt_shm.h"
#include "axis_mqtt_store.h"


#define AXIS_MQTT_SHM_LAYOUT  (0x41584d52 ^ sizeof(axis_mqtt_shm_device_t))


static size_t axis_mqtt_shm_size(ngx_uint_t ndevices);
static ngx_int_t axis_mqtt_shm_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static void axis_mqtt_shm_load(axis_mqtt_shm_ctx_t *ctx, ngx_uint_t dev,
    ngx_log_t *log);
static void axis_mqtt_shm_record(axis_mqtt_shm_device_t *d, uint64_t seq,
    const axis_mqtt_error_t *err);
static int axis_mqtt_shm_apply(const axis_mqtt_packed_t *saved,
    const axis_mqtt_request_t *req, axis_mqtt_packed_t *next,
    axis_mqtt_error_t *err);
static void axis_mqtt_shm_unpack(axis_mqtt_shm_device_t *d,
    axis_mqtt_state_t *state, const axis_mqtt_packed_t *packed);


/*
 * The states being worked on, unpacked: this process's own (the zone is
 * only used from the event loop).
 */
static axis_mqtt_state_t   axis_mqtt_shm_current;
static axis_mqtt_state_t   axis_mqtt_shm_next;
/* a slot's bytes, copied under the lock to be unpacked after it */
static axis_mqtt_packed_t  axis_mqtt_shm_copy;
/* a write's next state, packed after the lock, copied in under it */
static axis_mqtt_packed_t  axis_mqtt_shm_proposed;


/*
 * Named after the devices it holds: a reload with the same devices keeps
 * the zone (and what it says), one with other devices gets a new zone
 * loaded from their files, and the old generation keeps the old one
 * until it is gone.
 */

ngx_shm_zone_t *
axis_mqtt_shm_add(ngx_conf_t *cf, void *tag, axis_mqtt_runtime_t *rt)
{
    size_t                size;
    uint32_t              crc;
    ngx_str_t             name;
    ngx_uint_t            i;
    ngx_shm_zone_t       *shm_zone;
    axis_mqtt_shm_ctx_t  *ctx;

    ngx_crc32_init(crc);

    for (i = 0; i < rt->ndevices; i++) {
        ngx_crc32_update(&crc, (u_char *) rt->devices[i].serial,
                         ngx_strlen(rt->devices[i].serial) + 1);
    }

    ngx_crc32_final(crc);

    name.data = ngx_pnalloc(cf->pool, sizeof("axis_mqtt_") + 8);
    if (name.data == NULL) {
        return NULL;
    }

    name.len = ngx_sprintf(name.data, "axis_mqtt_%08xD", crc) - name.data;

    /* the slab pool's page descriptors take about 1/128 of the pages */
    size = axis_mqtt_shm_size(rt->ndevices);
    size = ngx_align(size + size / 64, ngx_pagesize) + 16 * ngx_pagesize;

    shm_zone = ngx_shared_memory_add(cf, &name, size, tag);
    if (shm_zone == NULL) {
        return NULL;
    }

    if (shm_zone->data == NULL) {
        ctx = ngx_pcalloc(cf->pool, sizeof(axis_mqtt_shm_ctx_t));
        if (ctx == NULL) {
            return NULL;
        }

        shm_zone->init = axis_mqtt_shm_init_zone;
        shm_zone->data = ctx;
    }

    ctx = shm_zone->data;
    ctx->rt = rt;

    return shm_zone;
}


static ngx_int_t
axis_mqtt_shm_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    axis_mqtt_shm_ctx_t  *octx = data;

    ngx_uint_t               i;
    axis_mqtt_shm_ctx_t     *ctx;
    axis_mqtt_shm_device_t  *d;

    ctx = shm_zone->data;
    ctx->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (octx != NULL && octx->sh->layout == AXIS_MQTT_SHM_LAYOUT
        && octx->sh->ndevices == ctx->rt->ndevices)
    {
        /* a reload with the same devices: the zone, not a file, is the truth */
        ctx->sh = octx->sh;
        return NGX_OK;
    }

    if (shm_zone->shm.exists) {
        ctx->sh = ctx->shpool->data;
        return NGX_OK;
    }

    /* not zeroed as a whole: see the packed slots in axis_mqtt_shm.h */
    ctx->sh = ngx_slab_alloc(ctx->shpool,
                             axis_mqtt_shm_size(ctx->rt->ndevices));
    if (ctx->sh == NULL) {
        return NGX_ERROR;
    }

    ctx->shpool->data = ctx->sh;
    ctx->sh->layout = AXIS_MQTT_SHM_LAYOUT;
    ctx->sh->owner = 0;
    ctx->sh->ndevices = ctx->rt->ndevices;

    for (i = 0; i < ctx->rt->ndevices; i++) {
        d = &ctx->sh->devices[i];

        ngx_memzero(d, offsetof(axis_mqtt_shm_device_t, saved));
        d->pending.len = 0;

        (void) ngx_cpystrn((u_char *) d->serial,
                           (u_char *) ctx->rt->devices[i].serial,
                           AXIS_MQTT_SERIAL_LEN + 1);
        d->version = 1;

        axis_mqtt_shm_load(ctx, i, shm_zone->shm.log);
    }

    return NGX_OK;
}


/* what the zone's data takes for this many devices */

static size_t
axis_mqtt_shm_size(ngx_uint_t ndevices)
{
    return offsetof(axis_mqtt_shm_t, devices)
           + ndevices * sizeof(axis_mqtt_shm_device_t);
}


/*
 * A device's saved state from its file; the device that takes over the
 * single-device layout reads client.json while it has no file of its own
 * (the owner renames it).  "activateOnReboot": false is honoured when
 * nginx starts, not when a reload brings other devices.
 */

static void
axis_mqtt_shm_load(axis_mqtt_shm_ctx_t *ctx, ngx_uint_t dev, ngx_log_t *log)
{
    ngx_int_t                 rc;
    const char               *name;
    axis_mqtt_error_t         err;
    axis_mqtt_state_t        *state = &axis_mqtt_shm_current;
    axis_mqtt_device_conf_t  *dc;

    dc = &ctx->rt->devices[dev];
    name = dc->store_name;

    rc = axis_mqtt_store_load(ctx->rt->state_dir, name, state, dc->serial,
                              &err);

    if (rc == 0 && dev == ctx->rt->legacy) {
        name = AXIS_MQTT_STORE_LEGACY;
        rc = axis_mqtt_store_load(ctx->rt->state_dir, name, state,
                                  dc->serial, &err);
    }

    if (rc == 1) {
        if (state->active && !state->conf.activate_on_reboot
            && ngx_is_init_cycle((ngx_cycle_t *) ngx_cycle))
        {
            ngx_log_error(NGX_LOG_NOTICE, log, 0,
                          "axis_mqtt: device %s: client starts inactive: "
                          "activateOnReboot is false", dc->serial);
            state->active = 0;
        }

    } else {
        if (rc == -1) {
            ngx_log_error(NGX_LOG_ERR, log, 0,
                          "axis_mqtt: device %s: saved configuration in "
                          "\"%s/%s\" ignored, client inactive with "
                          "defaults: %s",
                          dc->serial, ctx->rt->state_dir, name, err.message);
        }

        axis_mqtt_state_init(state, dc->serial);
    }

    axis_mqtt_state_pack(state, &ctx->sh->devices[dev].saved);
    ctx->sh->devices[dev].active = state->active;
}


void
axis_mqtt_shm_status(axis_mqtt_shm_ctx_t *ctx, ngx_uint_t dev,
    uint64_t *version, ngx_uint_t *connected)
{
    axis_mqtt_shm_device_t  *d = &ctx->sh->devices[dev];

    ngx_shmtx_lock(&ctx->shpool->mutex);

    *version = d->version;
    *connected = d->status.connected;

    ngx_shmtx_unlock(&ctx->shpool->mutex);
}


void
axis_mqtt_shm_saved(axis_mqtt_shm_ctx_t *ctx, ngx_uint_t dev,
    axis_mqtt_state_t *state, uint64_t *version)
{
    axis_mqtt_shm_device_t  *d = &ctx->sh->devices[dev];

    /* the packed bytes under the lock, the unpacking after it */
    ngx_shmtx_lock(&ctx->shpool->mutex);

    axis_mqtt_packed_copy(&axis_mqtt_shm_copy, &d->saved);
    *version = d->version;

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    axis_mqtt_shm_unpack(d, state, &axis_mqtt_shm_copy);
}


/*
 * The saved state's bytes are copied under the lock and the request is
 * applied to them after it: unpacking and packing a state (88 KB) is no
 * work for the lock that every getClientStatus takes.  The slot is filled
 * under the lock again, if it is still free and the saved state still the
 * one the request was applied to; otherwise it is as if the slot had been
 * taken, and the next try applies the request to the state then saved.
 */

ngx_int_t
axis_mqtt_shm_submit(axis_mqtt_shm_ctx_t *ctx, ngx_uint_t dev,
    const axis_mqtt_request_t *req, uint64_t *seq, axis_mqtt_error_t *err)
{
    uint64_t                 version;
    ngx_int_t                rc;
    axis_mqtt_shm_device_t  *d = &ctx->sh->devices[dev];

    ngx_shmtx_lock(&ctx->shpool->mutex);

    rc = d->completed != d->submitted ? NGX_BUSY : NGX_OK;
    axis_mqtt_packed_copy(&axis_mqtt_shm_copy, &d->saved);
    version = d->version;

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    if (rc == NGX_BUSY) {
        return NGX_BUSY;
    }

    if (axis_mqtt_shm_apply(&axis_mqtt_shm_copy, req, &axis_mqtt_shm_proposed,
                            err)
        != 0)
    {
        return NGX_DECLINED;
    }

    ngx_shmtx_lock(&ctx->shpool->mutex);

    if (d->completed != d->submitted || d->version != version) {
        rc = NGX_BUSY;

    } else {
        axis_mqtt_packed_copy(&d->pending, &axis_mqtt_shm_proposed);
        *seq = ++d->submitted;
        d->submitter = ngx_pid;
        rc = NGX_OK;
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    return rc;
}


/* the state a request leads to from a saved one, packed; -1 with err */

static int
axis_mqtt_shm_apply(const axis_mqtt_packed_t *saved,
    const axis_mqtt_request_t *req, axis_mqtt_packed_t *next,
    axis_mqtt_error_t *err)
{
    /* a broken zone: refused, not applied to defaults and saved */
    if (axis_mqtt_state_unpack(&axis_mqtt_shm_current, saved) != 0) {
        axis_mqtt_error_set(err, AXIS_MQTT_ERR_INTERNAL,
                            "Internal error: the shared zone holds a broken "
                            "state");
        return -1;
    }

    if (axis_mqtt_request_apply(req, &axis_mqtt_shm_current,
                                &axis_mqtt_shm_next, err)
        != 0)
    {
        return -1;
    }

    axis_mqtt_state_pack(&axis_mqtt_shm_next, next);

    return 0;
}


ngx_int_t
axis_mqtt_shm_result(axis_mqtt_shm_ctx_t *ctx, ngx_uint_t dev, uint64_t seq,
    axis_mqtt_error_t *err)
{
    ngx_int_t                rc;
    axis_mqtt_shm_result_t  *result;
    axis_mqtt_shm_device_t  *d = &ctx->sh->devices[dev];

    ngx_shmtx_lock(&ctx->shpool->mutex);

    result = &d->results[seq % AXIS_MQTT_SHM_RESULTS];

    if (d->completed < seq) {
        rc = NGX_AGAIN;

    } else if (result->seq == seq) {
        *err = result->error;
        rc = NGX_OK;

    } else {
        /* overwritten: as many writes finished while we looked away */
        axis_mqtt_error_set(err, AXIS_MQTT_ERR_INTERNAL,
                            "the outcome of the write was lost");
        rc = NGX_OK;
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    return rc;
}


ngx_int_t
axis_mqtt_shm_withdraw(axis_mqtt_shm_ctx_t *ctx, ngx_uint_t dev,
    uint64_t seq)
{
    ngx_int_t                rc;
    axis_mqtt_error_t        err;
    axis_mqtt_shm_device_t  *d = &ctx->sh->devices[dev];

    ngx_shmtx_lock(&ctx->shpool->mutex);

    if (d->taken < seq && d->completed < seq) {
        axis_mqtt_error_set(&err, AXIS_MQTT_ERR_INTERNAL,
                            "withdrawn: no owner took it");
        axis_mqtt_shm_record(d, seq, &err);
        rc = NGX_OK;

    } else {
        rc = NGX_AGAIN;
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    return rc;
}


ngx_uint_t
axis_mqtt_shm_submitted(axis_mqtt_shm_ctx_t *ctx, u_char *marks)
{
    ngx_uint_t               i, n;
    axis_mqtt_shm_device_t  *d;

    n = 0;

    ngx_shmtx_lock(&ctx->shpool->mutex);

    for (i = 0; i < ctx->sh->ndevices; i++) {
        d = &ctx->sh->devices[i];
        marks[i] = d->completed != d->submitted;
        n += marks[i];
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    return n;
}


ngx_int_t
axis_mqtt_shm_take(axis_mqtt_shm_ctx_t *ctx, ngx_uint_t dev,
    axis_mqtt_state_t *state, uint64_t *seq, ngx_pid_t *submitter,
    axis_mqtt_error_t *err)
{
    ngx_int_t                rc;
    axis_mqtt_shm_device_t  *d = &ctx->sh->devices[dev];

    ngx_shmtx_lock(&ctx->shpool->mutex);

    if (d->completed == d->submitted) {
        rc = NGX_DONE;

    } else {
        axis_mqtt_packed_copy(&axis_mqtt_shm_copy, &d->pending);
        *seq = d->submitted;
        *submitter = d->submitter;
        d->taken = *seq;
        rc = NGX_OK;
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    if (rc == NGX_OK && axis_mqtt_state_unpack(state, &axis_mqtt_shm_copy)
                        != 0)
    {
        axis_mqtt_error_set(err, AXIS_MQTT_ERR_INTERNAL,
                            "Internal error: the shared zone holds a broken "
                            "state");
    }

    return rc;
}


void
axis_mqtt_shm_complete(axis_mqtt_shm_ctx_t *ctx, ngx_uint_t dev,
    uint64_t seq, const axis_mqtt_state_t *state,
    const axis_mqtt_error_t *err)
{
    axis_mqtt_shm_device_t  *d = &ctx->sh->devices[dev];

    ngx_shmtx_lock(&ctx->shpool->mutex);

    if (err->code == AXIS_MQTT_OK) {
        axis_mqtt_state_pack(state, &d->saved);
        d->active = state->active;
        d->version++;
    }

    axis_mqtt_shm_record(d, seq, err);

    ngx_shmtx_unlock(&ctx->shpool->mutex);
}


/* under the lock: the write "seq" is over, with this outcome */

static void
axis_mqtt_shm_record(axis_mqtt_shm_device_t *d, uint64_t seq,
    const axis_mqtt_error_t *err)
{
    axis_mqtt_shm_result_t  *result;

    result = &d->results[seq % AXIS_MQTT_SHM_RESULTS];
    result->seq = seq;
    result->error = *err;

    d->completed = seq;
}


void
axis_mqtt_shm_set_owner(axis_mqtt_shm_ctx_t *ctx, ngx_pid_t pid)
{
    ngx_uint_t  i;

    ngx_shmtx_lock(&ctx->shpool->mutex);

    /* a new owner starts unconnected, whatever a dead one left behind */
    ctx->sh->owner = pid;

    for (i = 0; i < ctx->sh->ndevices; i++) {
        ctx->sh->devices[i].status.connected = 0;
        ctx->sh->devices[i].status.cause[0] = '\0';
        ctx->sh->devices[i].status.cause_at = 0;
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);
}


void
axis_mqtt_shm_set_status(axis_mqtt_shm_ctx_t *ctx, ngx_uint_t dev,
    const axis_mqtt_status_t *status)
{
    ngx_shmtx_lock(&ctx->shpool->mutex);

    ctx->sh->devices[dev].status = *status;

    ngx_shmtx_unlock(&ctx->shpool->mutex);
}


void
axis_mqtt_shm_connection(axis_mqtt_shm_ctx_t *ctx, ngx_uint_t dev,
    axis_mqtt_status_t *status, ngx_uint_t *active)
{
    ngx_shmtx_lock(&ctx->shpool->mutex);

    *status = ctx->sh->devices[dev].status;
    *active = ctx->sh->devices[dev].active;

    ngx_shmtx_unlock(&ctx->shpool->mutex);
}


/*
 * Only this file packs into the zone, so a state that does not unpack is
 * a broken zone: said loudly, and for a reader the device's defaults
 * stand in (a write refuses it instead: see apply() and take()).
 */

static void
axis_mqtt_shm_unpack(axis_mqtt_shm_device_t *d, axis_mqtt_state_t *state,
    const axis_mqtt_packed_t *packed)
{
    if (axis_mqtt_state_unpack(state, packed) == 0) {
        return;
    }

    ngx_log_error(NGX_LOG_ALERT, ngx_cycle->log, 0,
                  "axis_mqtt: device %s: the shared zone holds a broken "
                  "state, defaults used", d->serial);

    axis_mqtt_state_init(state, d->serial);
}


/*
 * The shared zone "axis_mqtt".  Every access holds the slab pool's mutex,
 * the one lock nginx releases for a worker that dies holding it; nothing
 * under it allocates, blocks or calls out of the module.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "axis_mqtt_shm.h"
#include "axis_mqtt_store.h"


#define AXIS_MQTT_SHM_NAME    "axis_mqtt"
#define AXIS_MQTT_SHM_LAYOUT  (0x41584d51 ^ sizeof(axis_mqtt_shm_t))


static ngx_int_t axis_mqtt_shm_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static void axis_mqtt_shm_load(axis_mqtt_shm_ctx_t *ctx, ngx_log_t *log);
static void axis_mqtt_shm_record(axis_mqtt_shm_ctx_t *ctx, uint64_t seq,
    const axis_mqtt_error_t *err);


ngx_shm_zone_t *
axis_mqtt_shm_add(ngx_conf_t *cf, void *tag)
{
    size_t                size;
    ngx_str_t             name = ngx_string(AXIS_MQTT_SHM_NAME);
    ngx_shm_zone_t       *shm_zone;
    axis_mqtt_shm_ctx_t  *ctx;

    /* derived from the layout, so a reload keeps the zone of the same build */
    size = ngx_align(sizeof(axis_mqtt_shm_t), ngx_pagesize) + 16 * ngx_pagesize;

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

    return shm_zone;
}


static ngx_int_t
axis_mqtt_shm_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    axis_mqtt_shm_ctx_t  *octx = data;

    axis_mqtt_shm_ctx_t  *ctx;

    ctx = shm_zone->data;
    ctx->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (octx != NULL && octx->sh->layout == AXIS_MQTT_SHM_LAYOUT) {
        /* a reload: the zone, not the file, is the truth */
        ctx->sh = octx->sh;
        return NGX_OK;
    }

    if (shm_zone->shm.exists) {
        ctx->sh = ctx->shpool->data;
        return NGX_OK;
    }

    ctx->sh = ngx_slab_calloc(ctx->shpool, sizeof(axis_mqtt_shm_t));
    if (ctx->sh == NULL) {
        return NGX_ERROR;
    }

    ctx->shpool->data = ctx->sh;
    ctx->sh->layout = AXIS_MQTT_SHM_LAYOUT;
    ctx->sh->version = 1;

    axis_mqtt_shm_load(ctx, shm_zone->shm.log);

    return NGX_OK;
}


static void
axis_mqtt_shm_load(axis_mqtt_shm_ctx_t *ctx, ngx_log_t *log)
{
    ngx_int_t          rc;
    axis_mqtt_error_t  err;

    rc = axis_mqtt_store_load(ctx->state_dir, &ctx->sh->saved, ctx->serial,
                              &err);

    if (rc == 1) {
        if (ctx->sh->saved.active && !ctx->sh->saved.conf.activate_on_reboot)
        {
            ngx_log_error(NGX_LOG_NOTICE, log, 0,
                          "axis_mqtt: client starts inactive: "
                          "activateOnReboot is false");
            ctx->sh->saved.active = 0;
        }

        return;
    }

    if (rc == -1) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "axis_mqtt: saved configuration in \"%s/%s\" ignored, "
                      "client inactive with defaults: %s",
                      ctx->state_dir, AXIS_MQTT_STORE_FILE, err.message);
    }

    axis_mqtt_conf_init(&ctx->sh->saved.conf, ctx->serial);
    ctx->sh->saved.active = 0;
}


void
axis_mqtt_shm_snapshot(axis_mqtt_shm_ctx_t *ctx, axis_mqtt_state_t *state,
    uint64_t *version, ngx_uint_t *connected)
{
    ngx_shmtx_lock(&ctx->shpool->mutex);

    if (*version != ctx->sh->version) {
        *state = ctx->sh->saved;
        *version = ctx->sh->version;
    }

    *connected = ctx->sh->connected;

    ngx_shmtx_unlock(&ctx->shpool->mutex);
}


ngx_int_t
axis_mqtt_shm_submit(axis_mqtt_shm_ctx_t *ctx, const axis_mqtt_request_t *req,
    uint64_t *seq, axis_mqtt_error_t *err)
{
    ngx_int_t         rc;
    axis_mqtt_shm_t  *sh;

    sh = ctx->sh;

    ngx_shmtx_lock(&ctx->shpool->mutex);

    if (sh->completed != sh->submitted) {
        rc = NGX_BUSY;

    } else if (axis_mqtt_request_apply(req, &sh->saved, &sh->pending, err)
               != 0)
    {
        rc = NGX_DECLINED;

    } else {
        *seq = ++sh->submitted;
        rc = NGX_OK;
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    return rc;
}


ngx_int_t
axis_mqtt_shm_result(axis_mqtt_shm_ctx_t *ctx, uint64_t seq,
    axis_mqtt_error_t *err)
{
    ngx_int_t                rc;
    axis_mqtt_shm_result_t  *result;

    ngx_shmtx_lock(&ctx->shpool->mutex);

    result = &ctx->sh->results[seq % AXIS_MQTT_SHM_RESULTS];

    if (ctx->sh->completed < seq) {
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
axis_mqtt_shm_withdraw(axis_mqtt_shm_ctx_t *ctx, uint64_t seq)
{
    ngx_int_t          rc;
    axis_mqtt_error_t  err;

    ngx_shmtx_lock(&ctx->shpool->mutex);

    if (ctx->sh->taken < seq && ctx->sh->completed < seq) {
        axis_mqtt_error_set(&err, AXIS_MQTT_ERR_INTERNAL,
                            "withdrawn: no owner took it");
        axis_mqtt_shm_record(ctx, seq, &err);
        rc = NGX_OK;

    } else {
        rc = NGX_AGAIN;
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    return rc;
}


ngx_int_t
axis_mqtt_shm_take(axis_mqtt_shm_ctx_t *ctx, axis_mqtt_state_t *state,
    uint64_t *seq)
{
    ngx_int_t  rc;

    ngx_shmtx_lock(&ctx->shpool->mutex);

    if (ctx->sh->completed == ctx->sh->submitted) {
        rc = NGX_DONE;

    } else {
        *state = ctx->sh->pending;
        *seq = ctx->sh->submitted;
        ctx->sh->taken = *seq;
        rc = NGX_OK;
    }

    ngx_shmtx_unlock(&ctx->shpool->mutex);

    return rc;
}


void
axis_mqtt_shm_complete(axis_mqtt_shm_ctx_t *ctx, uint64_t seq,
    const axis_mqtt_state_t *state, const axis_mqtt_error_t *err)
{
    ngx_shmtx_lock(&ctx->shpool->mutex);

    if (err->code == AXIS_MQTT_OK) {
        ctx->sh->saved = *state;
        ctx->sh->version++;
    }

    axis_mqtt_shm_record(ctx, seq, err);

    ngx_shmtx_unlock(&ctx->shpool->mutex);
}


/* under the lock: the write "seq" is over, with this outcome */

static void
axis_mqtt_shm_record(axis_mqtt_shm_ctx_t *ctx, uint64_t seq,
    const axis_mqtt_error_t *err)
{
    axis_mqtt_shm_result_t  *result;

    result = &ctx->sh->results[seq % AXIS_MQTT_SHM_RESULTS];
    result->seq = seq;
    result->error = *err;

    ctx->sh->completed = seq;
}


void
axis_mqtt_shm_set_owner(axis_mqtt_shm_ctx_t *ctx, ngx_pid_t pid)
{
    ngx_shmtx_lock(&ctx->shpool->mutex);

    /* a new owner starts unconnected, whatever a dead one left behind */
    ctx->sh->owner = pid;
    ctx->sh->connected = 0;

    ngx_shmtx_unlock(&ctx->shpool->mutex);
}


void
axis_mqtt_shm_set_connected(axis_mqtt_shm_ctx_t *ctx, ngx_uint_t connected)
{
    ngx_shmtx_lock(&ctx->shpool->mutex);

    ctx->sh->connected = connected;

    ngx_shmtx_unlock(&ctx->shpool->mutex);
}

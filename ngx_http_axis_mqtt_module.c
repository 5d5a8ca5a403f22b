
/*
 * The Axis VAPIX MQTT client API (/axis-cgi/mqtt/client.cgi) for nginx:
 * directives, the devices they configure, the request handler and the
 * process hooks.  The API itself is in src/axis_mqtt_api.c, the shared
 * state in src/axis_mqtt_shm.c.
 *
 * A device is a serial: each server whose locations answer the API stands
 * for the device of its axis_mqtt_serial, and servers with the same serial
 * (the http and the https server of one camera) are the same device.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "axis_mqtt_api.h"
#include "axis_mqtt_camera.h"
#include "axis_mqtt_discovery.h"
#include "axis_mqtt_http.h"
#include "axis_mqtt_shm.h"
#include "axis_mqtt_owner.h"
#include "axis_mqtt_store.h"
#include "axis_mqtt_waiter.h"


/*
 * A write submitted is woken by the owner when its result is there (the
 * worker's wake FIFO); it looks by itself only every AXIS_MQTT_WAIT_STEP
 * ms, in case the wake-up was lost.  One waiting for the device's slot to
 * be free looks every AXIS_MQTT_WAIT_SLOT ms.
 */
#define AXIS_MQTT_WAIT_STEP      50
#define AXIS_MQTT_WAIT_SLOT      1
#define AXIS_MQTT_WAIT_TIMEOUT   10000


typedef struct {
    ngx_str_t                state_dir;
    axis_mqtt_runtime_t      runtime;
    ngx_shm_zone_t          *shm_zone;      /* NULL: no device */
} ngx_http_axis_mqtt_main_conf_t;


typedef struct {
    ngx_str_t                serial;
    ngx_str_t                cert_dir;
    ngx_flag_t               answers;       /* a location answers the API */
    ngx_flag_t               event_bridge;  /* ... and one event.cgi */
    ngx_uint_t               device;        /* in the runtime's devices */

    /* axis_mqtt_camera: the event service's URL, and who asks it */
    ngx_str_t                camera;        /* data NULL: not set */
    ngx_str_t                camera_user;
    ngx_str_t                camera_password;
} ngx_http_axis_mqtt_srv_conf_t;


typedef struct {
    ngx_http_complex_value_t  *admin;
    size_t                     max_request_size;
    ngx_uint_t                 api;         /* axis_mqtt_api_e: the CGI a
                                               location answers */
} ngx_http_axis_mqtt_loc_conf_t;


/*
 * This worker's last getClientStatus request, parsed: a client polling
 * the status sends the same bytes every time, and parsing them costs
 * more than the rest of the answer.
 */
#define NGX_HTTP_AXIS_MQTT_REPEAT_LEN  512

typedef struct {
    u_char                   body[NGX_HTTP_AXIS_MQTT_REPEAT_LEN];
    size_t                   len;           /* 0: none */
    ngx_uint_t               admin;
    axis_mqtt_request_t      request;       /* its API, method, echo fields,
                                               envelope */
} ngx_http_axis_mqtt_repeat_t;


/* this worker's last getClientStatus data of a device, and what it shows */
typedef struct {
    char                    *data;
    uint64_t                 data_version;
    ngx_uint_t               data_connected;
} ngx_http_axis_mqtt_status_cache_t;


typedef struct {
    ngx_http_request_t      *request;
    axis_mqtt_request_t     *api;
    uint64_t                 seq;          /* 0: not submitted yet */
    ngx_msec_t               deadline;
    ngx_event_t              wait;
    ngx_queue_t              queue;        /* in the waiting writes */
} ngx_http_axis_mqtt_ctx_t;


static ngx_int_t ngx_http_axis_mqtt_handler(ngx_http_request_t *r);
static void ngx_http_axis_mqtt_body_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_axis_mqtt_is_admin(ngx_http_request_t *r);
static void ngx_http_axis_mqtt_remember(axis_mqtt_request_t *parsed,
    ngx_str_t *body, ngx_uint_t admin);
static ngx_int_t ngx_http_axis_mqtt_too_large(ngx_http_request_t *r);
static void ngx_http_axis_mqtt_write(ngx_http_axis_mqtt_ctx_t *ctx);
static void ngx_http_axis_mqtt_saved(ngx_http_axis_mqtt_ctx_t *ctx,
    axis_mqtt_error_t *err);
static void ngx_http_axis_mqtt_wait_handler(ngx_event_t *ev);
static void ngx_http_axis_mqtt_woken(void);
static void ngx_http_axis_mqtt_wait_cleanup(void *data);
static void ngx_http_axis_mqtt_finish(ngx_http_request_t *r,
    axis_mqtt_request_t *api, axis_mqtt_error_t *err);
static ngx_int_t ngx_http_axis_mqtt_send(ngx_http_request_t *r,
    axis_mqtt_request_t *api, axis_mqtt_error_t *err);
static char *ngx_http_axis_mqtt_status(ngx_http_request_t *r);
static ngx_int_t ngx_http_axis_mqtt_send_saved(ngx_http_request_t *r,
    axis_mqtt_request_t *api);
static ngx_int_t ngx_http_axis_mqtt_send_diagnostics(ngx_http_request_t *r,
    axis_mqtt_request_t *api);
static ngx_uint_t ngx_http_axis_mqtt_connected(ngx_http_request_t *r,
    axis_mqtt_shm_ctx_t *shm, ngx_uint_t connected);
static axis_mqtt_shm_ctx_t *ngx_http_axis_mqtt_shm(ngx_http_request_t *r,
    ngx_uint_t *dev);

static ngx_int_t ngx_http_axis_mqtt_init(ngx_conf_t *cf);
static ngx_uint_t ngx_http_axis_mqtt_same_camera(
    axis_mqtt_device_conf_t *dc, ngx_http_axis_mqtt_srv_conf_t *ascf);
static ngx_int_t ngx_http_axis_mqtt_add_device(ngx_conf_t *cf,
    ngx_http_axis_mqtt_main_conf_t *amcf, ngx_array_t *devices,
    ngx_http_axis_mqtt_srv_conf_t *ascf);
static ngx_uint_t ngx_http_axis_mqtt_legacy(ngx_conf_t *cf,
    axis_mqtt_runtime_t *rt);
static char *ngx_http_axis_mqtt_cstring(ngx_conf_t *cf, ngx_str_t *s);
static ngx_uint_t ngx_http_axis_mqtt_same(const char *c, ngx_str_t *s);
static void *ngx_http_axis_mqtt_create_main_conf(ngx_conf_t *cf);
static char *ngx_http_axis_mqtt_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_http_axis_mqtt_create_srv_conf(ngx_conf_t *cf);
static char *ngx_http_axis_mqtt_merge_srv_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_axis_mqtt_check_serial(ngx_conf_t *cf,
    ngx_str_t *serial);
static void *ngx_http_axis_mqtt_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_axis_mqtt_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_http_axis_mqtt_client(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_axis_mqtt_camera(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_axis_mqtt_read_secret(ngx_conf_t *cf, ngx_str_t *path,
    ngx_str_t *secret);
static char *ngx_http_axis_mqtt_check_state_dir(ngx_conf_t *cf,
    ngx_str_t *dir);
static ngx_int_t ngx_http_axis_mqtt_init_process(ngx_cycle_t *cycle);
static void ngx_http_axis_mqtt_exit_process(ngx_cycle_t *cycle);


/* this worker's writes waiting for their result */
static ngx_queue_t  ngx_http_axis_mqtt_waiting;

/* one per device, allocated at the first status */
static ngx_http_axis_mqtt_status_cache_t *ngx_http_axis_mqtt_cache;
/* the state a status is rendered from: unpacked for it, and only then */
static axis_mqtt_state_t                  ngx_http_axis_mqtt_state;
static ngx_uint_t                         ngx_http_axis_mqtt_ncache;
static ngx_http_axis_mqtt_repeat_t        ngx_http_axis_mqtt_repeat;


/* which API a location answers, as its directive says */
static ngx_uint_t  ngx_http_axis_mqtt_api_client = AXIS_MQTT_API_CLIENT;
static ngx_uint_t  ngx_http_axis_mqtt_api_event = AXIS_MQTT_API_EVENT;


static ngx_command_t  ngx_http_axis_mqtt_commands[] = {

    { ngx_string("axis_mqtt_state_dir"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_http_axis_mqtt_main_conf_t, state_dir),
      NULL },

    { ngx_string("axis_mqtt_serial"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_SRV_CONF_OFFSET,
      offsetof(ngx_http_axis_mqtt_srv_conf_t, serial),
      NULL },

    { ngx_string("axis_mqtt_cert_dir"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_SRV_CONF_OFFSET,
      offsetof(ngx_http_axis_mqtt_srv_conf_t, cert_dir),
      NULL },

    { ngx_string("axis_mqtt_camera"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_TAKE123,
      ngx_http_axis_mqtt_camera,
      NGX_HTTP_SRV_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("axis_mqtt_client"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_axis_mqtt_client,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      &ngx_http_axis_mqtt_api_client },

    { ngx_string("axis_mqtt_event_bridge"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_axis_mqtt_client,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      &ngx_http_axis_mqtt_api_event },

    { ngx_string("axis_mqtt_admin"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_axis_mqtt_loc_conf_t, admin),
      NULL },

    { ngx_string("axis_mqtt_max_request_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_axis_mqtt_loc_conf_t, max_request_size),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_axis_mqtt_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_axis_mqtt_init,               /* postconfiguration */

    ngx_http_axis_mqtt_create_main_conf,   /* create main configuration */
    ngx_http_axis_mqtt_init_main_conf,     /* init main configuration */

    ngx_http_axis_mqtt_create_srv_conf,    /* create server configuration */
    ngx_http_axis_mqtt_merge_srv_conf,     /* merge server configuration */

    ngx_http_axis_mqtt_create_loc_conf,    /* create location configuration */
    ngx_http_axis_mqtt_merge_loc_conf      /* merge location configuration */
};


ngx_module_t  ngx_http_axis_mqtt_module = {
    NGX_MODULE_V1,
    &ngx_http_axis_mqtt_module_ctx,        /* module context */
    ngx_http_axis_mqtt_commands,           /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_axis_mqtt_init_process,       /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_http_axis_mqtt_exit_process,       /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_int_t
ngx_http_axis_mqtt_handler(ngx_http_request_t *r)
{
    ngx_int_t                       rc;
    ngx_http_axis_mqtt_loc_conf_t  *alcf;

    if (r->method != NGX_HTTP_POST) {
        return axis_mqtt_http_not_allowed(r);
    }

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_axis_mqtt_module);

    if (r->headers_in.content_length_n > (off_t) alcf->max_request_size) {
        /* answered without reading what would be refused anyway */
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_http_axis_mqtt_too_large(r);
    }

    rc = ngx_http_read_client_request_body(r,
                                           ngx_http_axis_mqtt_body_handler);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_axis_mqtt_body_handler(ngx_http_request_t *r)
{
    ngx_str_t                        body;
    ngx_uint_t                       admin;
    ngx_pool_cleanup_t              *cln;
    ngx_uint_t                       dev;
    axis_mqtt_request_t             *api;
    ngx_http_axis_mqtt_repeat_t     *repeat;
    axis_mqtt_error_t                err;
    axis_mqtt_shm_ctx_t             *shm;
    ngx_http_axis_mqtt_ctx_t        *ctx;
    ngx_http_axis_mqtt_loc_conf_t   *alcf;

    /*
     * Parsed here, in one go with the answer of all but the writes: the
     * request holds a whole configuration, too large to allocate for
     * every getClientStatus.
     */
    static axis_mqtt_request_t  parsed;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_axis_mqtt_module);
    shm = ngx_http_axis_mqtt_shm(r, &dev);

    if (axis_mqtt_http_read_body(r, &body) != NGX_OK) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (body.len > alcf->max_request_size) {
        ngx_http_finalize_request(r, ngx_http_axis_mqtt_too_large(r));
        return;
    }

    admin = ngx_http_axis_mqtt_is_admin(r);
    repeat = &ngx_http_axis_mqtt_repeat;

    if (repeat->len != 0 && repeat->len == body.len && repeat->admin == admin
        && repeat->request.api == alcf->api
        && ngx_memcmp(repeat->body, body.data, body.len) == 0)
    {
        ngx_http_finalize_request(r, ngx_http_axis_mqtt_send(r,
                                                  &repeat->request,
                                                  &repeat->request.error));
        return;
    }

    /*
     * The serial fills in a configuration's defaults ("axis/<serial>"); a
     * getClientStatus, as repeated above, needs none.
     */
    axis_mqtt_request_parse_api(&parsed, alcf->api, (char *) body.data,
                                body.len, admin,
                                shm->rt->devices[dev].serial);

    if (parsed.error.code == AXIS_MQTT_OK
        && parsed.method == AXIS_MQTT_METHOD_GET_STATUS
        && body.len <= NGX_HTTP_AXIS_MQTT_REPEAT_LEN)
    {
        ngx_http_axis_mqtt_remember(&parsed, &body, admin);
    }

    if (parsed.error.code != AXIS_MQTT_OK
        || !axis_mqtt_request_writes(&parsed))
    {
        ngx_http_axis_mqtt_finish(r, &parsed, &parsed.error);
        return;
    }

    /* a write waits for the owner: it keeps a copy of its own */

    api = ngx_palloc(r->pool, sizeof(axis_mqtt_request_t));
    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_axis_mqtt_ctx_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);

    if (api == NULL || ctx == NULL || cln == NULL) {
        axis_mqtt_error_set(&err, AXIS_MQTT_ERR_INTERNAL, "Internal error");
        ngx_http_axis_mqtt_finish(r, &parsed, &err);
        return;
    }

    *api = parsed;

    ctx->request = r;
    ctx->api = api;
    ctx->deadline = ngx_current_msec + AXIS_MQTT_WAIT_TIMEOUT;
    ctx->wait.handler = ngx_http_axis_mqtt_wait_handler;
    ctx->wait.data = ctx;
    ctx->wait.log = r->connection->log;

    cln->handler = ngx_http_axis_mqtt_wait_cleanup;
    cln->data = ctx;

    ngx_http_axis_mqtt_write(ctx);
}


static void
ngx_http_axis_mqtt_remember(axis_mqtt_request_t *parsed, ngx_str_t *body,
    ngx_uint_t admin)
{
    ngx_http_axis_mqtt_repeat_t  *repeat = &ngx_http_axis_mqtt_repeat;

    axis_mqtt_request_free(&repeat->request);

    repeat->request.api = parsed->api;
    repeat->request.method = parsed->method;
    repeat->request.error = parsed->error;
    repeat->request.api_version = json_incref(parsed->api_version);
    repeat->request.context = json_incref(parsed->context);
    repeat->request.method_name = json_incref(parsed->method_name);

    ngx_memcpy(repeat->body, body->data, body->len);
    repeat->len = body->len;
    repeat->admin = admin;
}


/* Admin unless axis_mqtt_admin is set and evaluates to "" or "0" */

static ngx_int_t
ngx_http_axis_mqtt_is_admin(ngx_http_request_t *r)
{
    ngx_str_t                       value;
    ngx_http_axis_mqtt_loc_conf_t  *alcf;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_axis_mqtt_module);

    if (alcf->admin == NULL) {
        return 1;
    }

    if (ngx_http_complex_value(r, alcf->admin, &value) != NGX_OK) {
        return 0;
    }

    return value.len > 0 && !(value.len == 1 && value.data[0] == '0');
}


static ngx_int_t
ngx_http_axis_mqtt_too_large(ngx_http_request_t *r)
{
    ngx_int_t                       rc;
    ngx_http_axis_mqtt_loc_conf_t  *alcf;

    static axis_mqtt_request_t  api;

    alcf = ngx_http_get_module_loc_conf(r, ngx_http_axis_mqtt_module);

    /* nothing of the body is read: nothing is echoed */
    axis_mqtt_request_parse(&api, "", 0, 1, "");
    axis_mqtt_error_set(&api.error, AXIS_MQTT_ERR_SIZE,
                        "Request size too large: the limit is %zu bytes",
                        alcf->max_request_size);

    rc = ngx_http_axis_mqtt_send(r, &api, &api.error);
    axis_mqtt_request_free(&api);

    return rc;
}


/*
 * A write: hand the command to the owner through the zone, then look for
 * its result until it is saved.  A command no owner took in time is
 * withdrawn, so a timed-out request changes nothing.
 */

static void
ngx_http_axis_mqtt_write(ngx_http_axis_mqtt_ctx_t *ctx)
{
    ngx_int_t             rc;
    ngx_uint_t            dev;
    axis_mqtt_error_t     err;
    axis_mqtt_shm_ctx_t  *shm;
    ngx_http_request_t   *r;

    r = ctx->request;
    shm = ngx_http_axis_mqtt_shm(r, &dev);

    err.code = AXIS_MQTT_OK;

    if (ctx->seq == 0) {
        rc = axis_mqtt_shm_submit(shm, dev, ctx->api, &ctx->seq, &err);

        if (rc == NGX_DECLINED) {
            ngx_http_axis_mqtt_finish(r, ctx->api, &err);
            return;
        }

        if (rc == NGX_OK) {
            ngx_queue_insert_tail(&ngx_http_axis_mqtt_waiting, &ctx->queue);
            axis_mqtt_owner_wake(shm, r->connection->log);
        }

        /* NGX_BUSY: another write is in the slot; wait for our turn */

    } else if (axis_mqtt_shm_result(shm, dev, ctx->seq, &err) == NGX_OK) {
        ngx_http_axis_mqtt_saved(ctx, &err);
        return;
    }

    if ((ngx_msec_int_t) (ctx->deadline - ngx_current_msec) <= 0
        && (ctx->seq == 0
            || axis_mqtt_shm_withdraw(shm, dev, ctx->seq) == NGX_OK))
    {
        axis_mqtt_error_set(&err, AXIS_MQTT_ERR_INTERNAL,
                            "no owner process took it within %d ms",
                            AXIS_MQTT_WAIT_TIMEOUT);
        ngx_http_axis_mqtt_saved(ctx, &err);
        return;
    }

    ngx_add_timer(&ctx->wait, ctx->seq ? AXIS_MQTT_WAIT_STEP
                                       : AXIS_MQTT_WAIT_SLOT);
}


/* the outcome of a write: its cause, if it failed, in error_log only */

static void
ngx_http_axis_mqtt_saved(ngx_http_axis_mqtt_ctx_t *ctx,
    axis_mqtt_error_t *err)
{
    ngx_http_request_t  *r = ctx->request;

    if (ctx->queue.next != NULL) {
        ngx_queue_remove(&ctx->queue);
        ctx->queue.next = NULL;
    }

    if (ctx->wait.timer_set) {
        ngx_del_timer(&ctx->wait);
    }

    if (err->code != AXIS_MQTT_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "axis_mqtt: configuration not saved: %s",
                      err->message);

        axis_mqtt_error_set(err, AXIS_MQTT_ERR_INTERNAL,
                            "Internal error: the configuration could not "
                            "be saved");
    }

    ngx_http_axis_mqtt_finish(r, ctx->api, err);
}


static void
ngx_http_axis_mqtt_wait_handler(ngx_event_t *ev)
{
    ngx_http_axis_mqtt_ctx_t  *ctx = ev->data;

    ngx_http_axis_mqtt_write(ctx);
}


/* the owner has completed a write of this worker's: each looks for its own */

static void
ngx_http_axis_mqtt_woken(void)
{
    ngx_queue_t               *q, *next;
    ngx_http_axis_mqtt_ctx_t  *ctx;

    ngx_log_debug0(NGX_LOG_DEBUG_HTTP, ngx_cycle->log, 0,
                   "axis_mqtt: woken: a write of this worker is done");

    for (q = ngx_queue_head(&ngx_http_axis_mqtt_waiting);
         q != ngx_queue_sentinel(&ngx_http_axis_mqtt_waiting);
         q = next)
    {
        next = ngx_queue_next(q);
        ctx = ngx_queue_data(q, ngx_http_axis_mqtt_ctx_t, queue);

        ngx_http_axis_mqtt_write(ctx);
    }
}


static void
ngx_http_axis_mqtt_wait_cleanup(void *data)
{
    ngx_http_axis_mqtt_ctx_t  *ctx = data;

    if (ctx->queue.next != NULL) {
        ngx_queue_remove(&ctx->queue);
        ctx->queue.next = NULL;
    }

    if (ctx->wait.timer_set) {
        ngx_del_timer(&ctx->wait);
    }
}


static void
ngx_http_axis_mqtt_finish(ngx_http_request_t *r, axis_mqtt_request_t *api,
    axis_mqtt_error_t *err)
{
    ngx_int_t  rc;

    rc = ngx_http_axis_mqtt_send(r, api, err);
    axis_mqtt_request_free(api);

    ngx_http_finalize_request(r, rc);
}


static ngx_int_t
ngx_http_axis_mqtt_send(ngx_http_request_t *r, axis_mqtt_request_t *api,
    axis_mqtt_error_t *err)
{
    char        *data;
    size_t       len;
    ngx_buf_t   *b;
    const char  *envelope;

    if (err->code == AXIS_MQTT_OK
        && (api->method == AXIS_MQTT_METHOD_GET_EVENTS
            || api->method == AXIS_MQTT_METHOD_GET_INBOUND))
    {
        return ngx_http_axis_mqtt_send_saved(r, api);
    }

    if (err->code == AXIS_MQTT_OK
        && api->method == AXIS_MQTT_METHOD_GET_DIAGNOSTICS)
    {
        return ngx_http_axis_mqtt_send_diagnostics(r, api);
    }

    if (err->code != AXIS_MQTT_OK
        || api->method != AXIS_MQTT_METHOD_GET_STATUS)
    {
        return axis_mqtt_http_send_json(r, axis_mqtt_response(api, err, NULL,
                                                              0));
    }

    /* a repeated request brings its envelope along: see the repeat */
    data = ngx_http_axis_mqtt_status(r);
    envelope = axis_mqtt_request_envelope(api);

    if (data == NULL || envelope == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* measured, then written into the buffer that is sent */

    len = axis_mqtt_response_around(envelope, "data", data, NULL, 0);

    b = ngx_create_temp_buf(r->pool, len + 1);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last += axis_mqtt_response_around(envelope, "data", data,
                                         (char *) b->pos, len + 1);

    return axis_mqtt_http_send_buf(r, b);
}


/* an answer from the device's saved state, as it is now */

static ngx_int_t
ngx_http_axis_mqtt_send_saved(ngx_http_request_t *r, axis_mqtt_request_t *api)
{
    uint64_t              version;
    ngx_uint_t            dev;
    axis_mqtt_shm_ctx_t  *shm;

    shm = ngx_http_axis_mqtt_shm(r, &dev);

    axis_mqtt_shm_saved(shm, dev, &ngx_http_axis_mqtt_state, &version);

    /* the publication's and the subscriptions' answers: no connection */
    return axis_mqtt_http_send_json(r, axis_mqtt_response(api, NULL,
                                                &ngx_http_axis_mqtt_state,
                                                0));
}


/*
 * A device is never reported connected by an owner that died: its lock,
 * checked here, goes with it (the zone's "connected" may not have).
 */

static ngx_uint_t
ngx_http_axis_mqtt_connected(ngx_http_request_t *r, axis_mqtt_shm_ctx_t *shm,
    ngx_uint_t connected)
{
    return connected && axis_mqtt_owner_alive(shm, r->connection->log);
}


/* getClientDiagnostics: the connection and its cause, as published */

static ngx_int_t
ngx_http_axis_mqtt_send_diagnostics(ngx_http_request_t *r,
    axis_mqtt_request_t *api)
{
    ngx_uint_t            dev, active;
    axis_mqtt_status_t    status;
    axis_mqtt_shm_ctx_t  *shm;

    shm = ngx_http_axis_mqtt_shm(r, &dev);

    axis_mqtt_shm_connection(shm, dev, &status, &active);

    if (status.connected
        && !ngx_http_axis_mqtt_connected(r, shm, status.connected))
    {
        status.connected = 0;
        ngx_cpystrn((u_char *) status.cause,
                    (u_char *) "the process that held the MQTT clients "
                    "is gone; its successor takes over",
                    sizeof(status.cause));
        status.cause_at = (int64_t) ngx_time() * 1000;
    }

    return axis_mqtt_http_send_json(r, axis_mqtt_response_with(api, NULL,
               axis_mqtt_diagnostics_json(active, status.connected,
                                          status.cause,
                                          status.cause_at)));
}


/*
 * The "data" of getClientStatus, rendered again only when the saved state
 * or the connection changed: most answers are this text in a new envelope.
 */

static char *
ngx_http_axis_mqtt_status(ngx_http_request_t *r)
{
    uint64_t                            version;
    ngx_uint_t                          dev, connected;
    axis_mqtt_shm_ctx_t                *shm;
    ngx_http_axis_mqtt_status_cache_t  *cache;

    shm = ngx_http_axis_mqtt_shm(r, &dev);

    if (ngx_http_axis_mqtt_cache == NULL) {
        ngx_http_axis_mqtt_cache = calloc(shm->rt->ndevices,
                                          sizeof(*ngx_http_axis_mqtt_cache));
        if (ngx_http_axis_mqtt_cache == NULL) {
            return NULL;
        }

        ngx_http_axis_mqtt_ncache = shm->rt->ndevices;
    }

    cache = &ngx_http_axis_mqtt_cache[dev];

    axis_mqtt_shm_status(shm, dev, &version, &connected);

    connected = ngx_http_axis_mqtt_connected(r, shm, connected);

    if (cache->data == NULL || cache->data_version != version
        || cache->data_connected != connected)
    {
        /* the state as it is now (it may be newer than "version" by now) */
        axis_mqtt_shm_saved(shm, dev, &ngx_http_axis_mqtt_state, &version);

        free(cache->data);

        cache->data = axis_mqtt_status_data(&ngx_http_axis_mqtt_state,
                                            connected);
        cache->data_version = version;
        cache->data_connected = connected;
    }

    return cache->data;
}


/* the zone, and the device of the request's server */

static axis_mqtt_shm_ctx_t *
ngx_http_axis_mqtt_shm(ngx_http_request_t *r, ngx_uint_t *dev)
{
    ngx_http_axis_mqtt_srv_conf_t   *ascf;
    ngx_http_axis_mqtt_main_conf_t  *amcf;

    amcf = ngx_http_get_module_main_conf(r, ngx_http_axis_mqtt_module);
    ascf = ngx_http_get_module_srv_conf(r, ngx_http_axis_mqtt_module);

    *dev = ascf->device;

    return amcf->shm_zone->data;
}


/*
 * After the servers are merged: one device per serial of the servers that
 * answer the API, the zone sized and named for them.
 */

static ngx_int_t
ngx_http_axis_mqtt_init(ngx_conf_t *cf)
{
    ngx_uint_t                        s;
    ngx_array_t                       devices;
    axis_mqtt_runtime_t              *rt;
    ngx_http_core_srv_conf_t        **cscfp;
    ngx_http_core_main_conf_t        *cmcf;
    ngx_http_axis_mqtt_srv_conf_t    *ascf;
    ngx_http_axis_mqtt_main_conf_t   *amcf;

    amcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_axis_mqtt_module);
    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);
    rt = &amcf->runtime;

    if (ngx_array_init(&devices, cf->pool, 4, sizeof(axis_mqtt_device_conf_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    cscfp = cmcf->servers.elts;

    for (s = 0; s < cmcf->servers.nelts; s++) {
        ascf = cscfp[s]->ctx->srv_conf[ngx_http_axis_mqtt_module.ctx_index];

        if (ascf->answers
            && ngx_http_axis_mqtt_add_device(cf, amcf, &devices, ascf)
               != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    if (devices.nelts == 0) {
        /* the API is not served here: no zone, no owner */
        return NGX_OK;
    }

    if (devices.nelts > AXIS_MQTT_DEVICES_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "axis_mqtt: %ui devices, at most %d are served",
                           devices.nelts, AXIS_MQTT_DEVICES_MAX);
        return NGX_ERROR;
    }

    if (ngx_conf_full_name(cf->cycle, &amcf->state_dir, 0) != NGX_OK
        || ngx_http_axis_mqtt_check_state_dir(cf, &amcf->state_dir)
           != NGX_CONF_OK)
    {
        return NGX_ERROR;
    }

    rt->state_dir = ngx_http_axis_mqtt_cstring(cf, &amcf->state_dir);
    rt->devices = devices.elts;
    rt->ndevices = devices.nelts;
    rt->legacy = ngx_http_axis_mqtt_legacy(cf, rt);

    if (rt->state_dir == NULL) {
        return NGX_ERROR;
    }

    amcf->shm_zone = axis_mqtt_shm_add(cf, &ngx_http_axis_mqtt_module, rt);

    return amcf->shm_zone ? NGX_OK : NGX_ERROR;
}


/* the same camera, or none on both */

static ngx_uint_t
ngx_http_axis_mqtt_same_camera(axis_mqtt_device_conf_t *dc,
    ngx_http_axis_mqtt_srv_conf_t *ascf)
{
    if (dc->camera == NULL || ascf->camera.data == NULL) {
        return dc->camera == NULL && ascf->camera.data == NULL;
    }

    return ngx_http_axis_mqtt_same(dc->camera, &ascf->camera)
           && (dc->camera_user ? ngx_http_axis_mqtt_same(dc->camera_user,
                                                         &ascf->camera_user)
                               : ascf->camera_user.data == NULL);
}


/* the server's device: a new one, or the one of its serial */

static ngx_int_t
ngx_http_axis_mqtt_add_device(ngx_conf_t *cf,
    ngx_http_axis_mqtt_main_conf_t *amcf, ngx_array_t *devices,
    ngx_http_axis_mqtt_srv_conf_t *ascf)
{
    u_char                   *name;
    ngx_str_t                 cert_dir;
    ngx_uint_t                i;
    axis_mqtt_device_conf_t  *dc;

    cert_dir = ascf->cert_dir;

    if (ngx_conf_full_name(cf->cycle, &cert_dir, 0) != NGX_OK) {
        return NGX_ERROR;
    }

    dc = devices->elts;

    for (i = 0; i < devices->nelts; i++) {
        if (!ngx_http_axis_mqtt_same(dc[i].serial, &ascf->serial)) {
            continue;
        }

        /* the same device: its servers must agree on what it is */

        if (!ngx_http_axis_mqtt_same_camera(&dc[i], ascf)) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "axis_mqtt: the servers of device \"%V\" "
                               "name different cameras (axis_mqtt_camera)",
                               &ascf->serial);
            return NGX_ERROR;
        }

        if (!ngx_http_axis_mqtt_same(dc[i].cert_dir, &cert_dir)) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "axis_mqtt: the servers of device \"%V\" "
                               "have different axis_mqtt_cert_dir: \"%s\" "
                               "and \"%V\"", &ascf->serial, dc[i].cert_dir,
                               &cert_dir);
            return NGX_ERROR;
        }

        ascf->device = i;
        return NGX_OK;
    }

    dc = ngx_array_push(devices);
    name = ngx_pnalloc(cf->pool, AXIS_MQTT_STORE_NAME_LEN);

    if (dc == NULL || name == NULL) {
        return NGX_ERROR;
    }

    dc->serial = ngx_http_axis_mqtt_cstring(cf, &ascf->serial);
    dc->cert_dir = ngx_http_axis_mqtt_cstring(cf, &cert_dir);

    if (dc->serial == NULL || dc->cert_dir == NULL) {
        return NGX_ERROR;
    }

    dc->camera = NULL;
    dc->camera_events = NULL;
    dc->camera_user = NULL;
    dc->camera_password = NULL;

    if (ascf->camera.data != NULL) {
        dc->camera = ngx_http_axis_mqtt_cstring(cf, &ascf->camera);
        dc->camera_events = ngx_pnalloc(cf->pool, ascf->camera.len
                                        + sizeof(AXIS_MQTT_CAMERA_EVENT_PATH));
        if (dc->camera_events != NULL) {
            ngx_sprintf((u_char *) dc->camera_events, "%V%s%Z",
                        &ascf->camera, AXIS_MQTT_CAMERA_EVENT_PATH);
        }

        dc->camera_user = ascf->camera_user.data
                          ? ngx_http_axis_mqtt_cstring(cf, &ascf->camera_user)
                          : NULL;
        dc->camera_password = ascf->camera_password.data
                              ? ngx_http_axis_mqtt_cstring(cf,
                                                   &ascf->camera_password)
                              : NULL;

        if (dc->camera == NULL || dc->camera_events == NULL) {
            return NGX_ERROR;
        }
    }

    axis_mqtt_store_name((char *) name, AXIS_MQTT_STORE_NAME_LEN, dc->serial);
    dc->store_name = (char *) name;

    ascf->device = devices->nelts - 1;

    return NGX_OK;
}


/*
 * The device that takes over the single-device layout's client.json: the
 * one of the http level's serial, as before; if no server stands for it,
 * the first device.
 */

static ngx_uint_t
ngx_http_axis_mqtt_legacy(ngx_conf_t *cf, axis_mqtt_runtime_t *rt)
{
    ngx_str_t                       serial;
    ngx_uint_t                      i;
    ngx_http_axis_mqtt_srv_conf_t  *ascf;

    ascf = ngx_http_conf_get_module_srv_conf(cf, ngx_http_axis_mqtt_module);

    serial = ascf->serial.data ? ascf->serial : cf->cycle->hostname;

    for (i = 0; i < rt->ndevices; i++) {
        if (ngx_http_axis_mqtt_same(rt->devices[i].serial, &serial)) {
            return i;
        }
    }

    return 0;
}


static char *
ngx_http_axis_mqtt_cstring(ngx_conf_t *cf, ngx_str_t *s)
{
    u_char  *p;

    p = ngx_pnalloc(cf->pool, s->len + 1);
    if (p == NULL) {
        return NULL;
    }

    (void) ngx_cpystrn(p, s->data, s->len + 1);

    return (char *) p;
}


static ngx_uint_t
ngx_http_axis_mqtt_same(const char *c, ngx_str_t *s)
{
    return ngx_strlen(c) == s->len && ngx_strncmp(c, s->data, s->len) == 0;
}


static void *
ngx_http_axis_mqtt_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_axis_mqtt_main_conf_t  *amcf;

    amcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_axis_mqtt_main_conf_t));
    if (amcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     amcf->state_dir = { 0, NULL };
     *     amcf->runtime = { NULL, NULL, 0, 0 };
     *     amcf->shm_zone = NULL;
     */

    return amcf;
}


static char *
ngx_http_axis_mqtt_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_http_axis_mqtt_main_conf_t  *amcf = conf;

    if (amcf->state_dir.data == NULL) {
        ngx_str_set(&amcf->state_dir, "/var/lib/nginx/axis-mqtt");
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_axis_mqtt_create_srv_conf(ngx_conf_t *cf)
{
    ngx_http_axis_mqtt_srv_conf_t  *ascf;

    ascf = ngx_pcalloc(cf->pool, sizeof(ngx_http_axis_mqtt_srv_conf_t));
    if (ascf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     ascf->serial = { 0, NULL };
     *     ascf->cert_dir = { 0, NULL };
     *     ascf->answers = 0;
     *     ascf->device = 0;
     */

    return ascf;
}


static char *
ngx_http_axis_mqtt_merge_srv_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_axis_mqtt_srv_conf_t  *prev = parent;
    ngx_http_axis_mqtt_srv_conf_t  *conf = child;

    if (conf->serial.data == NULL) {
        /* the gateway's host name stands in for a device serial */
        conf->serial = prev->serial.data ? prev->serial
                                         : cf->cycle->hostname;
    }

    ngx_conf_merge_str_value(conf->cert_dir, prev->cert_dir,
                             "/etc/nginx/axis-mqtt/certs");

    if (conf->camera.data == NULL) {
        conf->camera = prev->camera;
        conf->camera_user = prev->camera_user;
        conf->camera_password = prev->camera_password;
    }

    return ngx_http_axis_mqtt_check_serial(cf, &conf->serial);
}


/* a serial names the device's file: letters, digits, "-", "_", "." */

static char *
ngx_http_axis_mqtt_check_serial(ngx_conf_t *cf, ngx_str_t *serial)
{
    ngx_uint_t  i;
    u_char      c;

    if (serial->len == 0 || serial->len > AXIS_MQTT_SERIAL_LEN) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "axis_mqtt_serial must be 1 to %d characters",
                           AXIS_MQTT_SERIAL_LEN);
        return NGX_CONF_ERROR;
    }

    for (i = 0; i < serial->len; i++) {
        c = serial->data[i];

        if (!(isalnum(c) || c == '-' || c == '_' || c == '.')
            || (i == 0 && c == '.'))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "axis_mqtt_serial \"%V\" may have only "
                               "letters, digits, \"-\", \"_\" and \".\" "
                               "(not first)", serial);
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


/*
 * The state directory must exist and be writable by the workers' user:
 * found out now by "nginx -t", not at the first configureClient.
 */

static char *
ngx_http_axis_mqtt_check_state_dir(ngx_conf_t *cf, ngx_str_t *dir)
{
    u_char            *path;
    ngx_uid_t          uid;
    ngx_gid_t          gid;
    ngx_uint_t         mode;
    struct passwd     *pwd;
    ngx_file_info_t    fi;
    ngx_core_conf_t   *ccf;

    path = ngx_pnalloc(cf->pool, dir->len + 1);
    if (path == NULL) {
        return NGX_CONF_ERROR;
    }

    (void) ngx_cpystrn(path, dir->data, dir->len + 1);

    if (ngx_file_info(path, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "axis_mqtt_state_dir \"%s\" is not usable", path);
        return NGX_CONF_ERROR;
    }

    if (!ngx_is_dir(&fi)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "axis_mqtt_state_dir \"%s\" is not a directory",
                           path);
        return NGX_CONF_ERROR;
    }

    /* the "user" directive precedes "http"; unset, it defaults as in core */

    ccf = (ngx_core_conf_t *) ngx_get_conf(cf->cycle->conf_ctx,
                                           ngx_core_module);
    uid = ccf->user;
    gid = ccf->group;

    if (uid == (ngx_uid_t) NGX_CONF_UNSET_UINT) {
        uid = geteuid();
        gid = getegid();

        if (uid == 0) {
            pwd = getpwnam(NGX_USER);
            if (pwd != NULL) {
                uid = pwd->pw_uid;
                gid = pwd->pw_gid;
            }
        }
    }

    if (uid == 0) {
        return NGX_CONF_OK;
    }

    mode = (fi.st_uid == uid) ? (S_IWUSR|S_IXUSR)
           : (fi.st_gid == gid) ? (S_IWGRP|S_IXGRP)
           : (S_IWOTH|S_IXOTH);

    if ((fi.st_mode & mode) != mode) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "axis_mqtt_state_dir \"%s\" is not writable by "
                           "the worker processes' user (uid %d)",
                           path, (int) uid);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void *
ngx_http_axis_mqtt_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_axis_mqtt_loc_conf_t  *alcf;

    alcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_axis_mqtt_loc_conf_t));
    if (alcf == NULL) {
        return NULL;
    }

    alcf->admin = NGX_CONF_UNSET_PTR;
    alcf->max_request_size = NGX_CONF_UNSET_SIZE;

    return alcf;
}


static char *
ngx_http_axis_mqtt_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_http_axis_mqtt_loc_conf_t  *prev = parent;
    ngx_http_axis_mqtt_loc_conf_t  *conf = child;

    ngx_conf_merge_ptr_value(conf->admin, prev->admin, NULL);
    ngx_conf_merge_size_value(conf->max_request_size,
                              prev->max_request_size, 16 * 1024);

    if (conf->max_request_size == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "axis_mqtt_max_request_size must not be zero");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


unsigned
ngx_http_axis_mqtt_apis(ngx_http_request_t *r)
{
    ngx_http_axis_mqtt_srv_conf_t  *ascf;

    ascf = ngx_http_get_module_srv_conf(r, ngx_http_axis_mqtt_module);

    return ascf->event_bridge ? AXIS_MQTT_DISCOVERY_EVENTS : 0;
}


/*
 * axis_mqtt_camera URL [user=NAME] [password_file=PATH]: the legacy
 * camera of the server's device; its events come from URL/onvif/services.
 * The password is read here, once (the file may be root's alone), and is
 * never shown again.
 */

static char *
ngx_http_axis_mqtt_camera(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_axis_mqtt_srv_conf_t  *ascf = conf;

    size_t       len;
    ngx_str_t   *value, url, path;
    ngx_uint_t   i;

    if (ascf->camera.data != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;
    url = value[1];

    /* without a path of its own: the camera's event service is added */
    while (url.len > 0 && url.data[url.len - 1] == '/') {
        url.len--;
    }

    len = url.len > 8 && ngx_strncmp(url.data, "https://", 8) == 0 ? 8
          : url.len > 7 && ngx_strncmp(url.data, "http://", 7) == 0 ? 7 : 0;

    if (len == 0 || url.len == len
        || ngx_strlchr(url.data + len, url.data + url.len, '/') != NULL
        || ngx_strlchr(url.data, url.data + url.len, '@') != NULL)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "axis_mqtt_camera: \"%V\" is not a camera's "
                           "address such as http://10.0.0.11 or "
                           "https://camera-1:8443", &value[1]);
        return NGX_CONF_ERROR;
    }

    /* the camera's address; its services' paths are added where used */
    ascf->camera = url;

    ngx_str_null(&ascf->camera_user);
    ngx_str_null(&ascf->camera_password);

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "user=", 5) == 0
            && value[i].len > 5)
        {
            ascf->camera_user.data = value[i].data + 5;
            ascf->camera_user.len = value[i].len - 5;
            continue;
        }

        if (ngx_strncmp(value[i].data, "password_file=", 14) == 0
            && value[i].len > 14)
        {
            path.data = value[i].data + 14;
            path.len = value[i].len - 14;

            if (ngx_http_axis_mqtt_read_secret(cf, &path,
                                               &ascf->camera_password)
                != NGX_CONF_OK)
            {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "axis_mqtt_camera: \"%V\" is neither user=NAME "
                           "nor password_file=PATH", &value[i]);
        return NGX_CONF_ERROR;
    }

    if (ascf->camera_password.data != NULL && ascf->camera_user.data == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "axis_mqtt_camera: a password_file needs a user=");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* a file's first line, read at configuration time */

static char *
ngx_http_axis_mqtt_read_secret(ngx_conf_t *cf, ngx_str_t *path,
    ngx_str_t *secret)
{
    u_char     buf[1025];
    ssize_t    n;
    ngx_fd_t   fd;
    ngx_err_t  err;

    if (ngx_conf_full_name(cf->cycle, path, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    fd = ngx_open_file(path->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "axis_mqtt_camera: the password_file \"%V\" "
                           "cannot be opened", path);
        return NGX_CONF_ERROR;
    }

    n = read(fd, buf, sizeof(buf));
    err = ngx_errno;
    (void) ngx_close_file(fd);

    if (n == -1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, err,
                           "axis_mqtt_camera: the password_file \"%V\" "
                           "cannot be read", path);
        return NGX_CONF_ERROR;
    }

    /* the first line: a trailing newline is the editor's, not the password */
    secret->len = 0;

    while ((size_t) n > secret->len && buf[secret->len] != '\n'
           && buf[secret->len] != '\r')
    {
        secret->len++;
    }

    if (secret->len == 0 || secret->len == sizeof(buf)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "axis_mqtt_camera: the password_file \"%V\" "
                           "must hold a password of 1 to %d bytes", path,
                           (int) sizeof(buf) - 1);
        return NGX_CONF_ERROR;
    }

    secret->data = ngx_pnalloc(cf->pool, secret->len);
    if (secret->data == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memcpy(secret->data, buf, secret->len);
    ngx_explicit_memzero(buf, sizeof(buf));

    return NGX_CONF_OK;
}


/* axis_mqtt_client and axis_mqtt_event_bridge: the CGI is the command's post */

static char *
ngx_http_axis_mqtt_client(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_axis_mqtt_loc_conf_t  *alcf = conf;

    ngx_http_core_loc_conf_t       *clcf;
    ngx_http_axis_mqtt_srv_conf_t  *ascf;

    /* the server stands for a device (see ngx_http_axis_mqtt_init()) */
    ascf = ngx_http_conf_get_module_srv_conf(cf, ngx_http_axis_mqtt_module);
    ascf->answers = 1;

    /* the directive's API: its command's "post" */
    alcf->api = *(const ngx_uint_t *) cmd->post;
    if (alcf->api == AXIS_MQTT_API_EVENT) {
        ascf->event_bridge = 1;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_http_axis_mqtt_handler;

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_axis_mqtt_init_process(ngx_cycle_t *cycle)
{
    ngx_http_axis_mqtt_main_conf_t  *amcf;

    ngx_queue_init(&ngx_http_axis_mqtt_waiting);

    /* cache manager and loader run this hook too */

    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    amcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_http_axis_mqtt_module);

    if (amcf == NULL || amcf->shm_zone == NULL) {
        return NGX_OK;
    }

    if (axis_mqtt_waiter_start(cycle, amcf->runtime.state_dir,
                               ngx_http_axis_mqtt_woken)
        != NGX_OK)
    {
        /* its writes find their results by looking, later */
        ngx_log_error(NGX_LOG_ALERT, cycle->log, 0,
                      "axis_mqtt: no wake-up for this worker's writes");
    }

    if (ngx_process == NGX_PROCESS_WORKER && ngx_worker != 0) {
        return NGX_OK;
    }

    return axis_mqtt_owner_start(cycle, amcf->shm_zone->data);
}


static void
ngx_http_axis_mqtt_exit_process(ngx_cycle_t *cycle)
{
    ngx_uint_t  i;

    axis_mqtt_owner_stop(cycle);
    axis_mqtt_waiter_stop();

    for (i = 0; i < ngx_http_axis_mqtt_ncache; i++) {
        free(ngx_http_axis_mqtt_cache[i].data);
    }

    free(ngx_http_axis_mqtt_cache);
    ngx_http_axis_mqtt_cache = NULL;
    ngx_http_axis_mqtt_ncache = 0;

    axis_mqtt_request_free(&ngx_http_axis_mqtt_repeat.request);
    ngx_http_axis_mqtt_repeat.len = 0;
}

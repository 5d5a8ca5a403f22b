
/*
 * "axis_mqtt_api_discovery on;" in the location of
 * /axis-cgi/apidiscovery.cgi makes clients see the mqtt-client API.
 *
 * With a proxy_pass to the firmware there, the firmware's getApiList
 * answer is held back by the filters below and answered again with the
 * mqtt-client entry added; when the firmware fails or answers garbage,
 * the gateway answers alone.  Without a proxy_pass, the location's handler
 * answers alone.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "axis_mqtt_discovery.h"
#include "axis_mqtt_http.h"


/* a firmware answer larger than this is not a list to merge into */
#define AXIS_MQTT_DISCOVERY_MAX  (1024 * 1024)


typedef struct {
    ngx_flag_t               enable;
} ngx_http_axis_mqtt_discovery_loc_conf_t;


typedef struct {
    axis_mqtt_request_t     *api;
    ngx_uint_t               firmware_ok;   /* unsigned firmware_ok:1 */
    u_char                  *buf;           /* the firmware's answer */
    size_t                   len;
    size_t                   size;
} ngx_http_axis_mqtt_discovery_ctx_t;


static ngx_int_t ngx_http_axis_mqtt_discovery_handler(ngx_http_request_t *r);
static void ngx_http_axis_mqtt_discovery_body_handler(ngx_http_request_t *r);
static axis_mqtt_request_t *ngx_http_axis_mqtt_discovery_parse(
    ngx_http_request_t *r);
static void ngx_http_axis_mqtt_discovery_cleanup(void *data);
static ngx_int_t ngx_http_axis_mqtt_discovery_header_filter(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_axis_mqtt_discovery_body_filter(
    ngx_http_request_t *r, ngx_chain_t *in);
static ngx_int_t ngx_http_axis_mqtt_discovery_keep(ngx_http_request_t *r,
    ngx_http_axis_mqtt_discovery_ctx_t *ctx, ngx_buf_t *b);
static ngx_int_t ngx_http_axis_mqtt_discovery_answer(ngx_http_request_t *r,
    ngx_http_axis_mqtt_discovery_ctx_t *ctx);
static void ngx_http_axis_mqtt_discovery_clear_headers(ngx_http_request_t *r);

static void *ngx_http_axis_mqtt_discovery_create_loc_conf(ngx_conf_t *cf);
static char *ngx_http_axis_mqtt_discovery_merge_loc_conf(ngx_conf_t *cf,
    void *parent, void *child);
static char *ngx_http_axis_mqtt_discovery(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_axis_mqtt_discovery_init(ngx_conf_t *cf);


static ngx_command_t  ngx_http_axis_mqtt_discovery_commands[] = {

    { ngx_string("axis_mqtt_api_discovery"),
      NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_http_axis_mqtt_discovery,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_http_axis_mqtt_discovery_loc_conf_t, enable),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_axis_mqtt_discovery_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_axis_mqtt_discovery_init,     /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_http_axis_mqtt_discovery_create_loc_conf,
    ngx_http_axis_mqtt_discovery_merge_loc_conf
};


ngx_module_t  ngx_http_axis_mqtt_discovery_module = {
    NGX_MODULE_V1,
    &ngx_http_axis_mqtt_discovery_module_ctx, /* module context */
    ngx_http_axis_mqtt_discovery_commands, /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


/* the gateway alone: no firmware behind this location */

static ngx_int_t
ngx_http_axis_mqtt_discovery_handler(ngx_http_request_t *r)
{
    ngx_int_t  rc;

    if (r->method != NGX_HTTP_POST) {
        return axis_mqtt_http_not_allowed(r);
    }

    rc = ngx_http_read_client_request_body(r,
                                  ngx_http_axis_mqtt_discovery_body_handler);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_http_axis_mqtt_discovery_body_handler(ngx_http_request_t *r)
{
    char                 *json;
    axis_mqtt_request_t  *api;

    api = ngx_http_axis_mqtt_discovery_parse(r);
    if (api == NULL) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    json = axis_mqtt_discovery_response(api, NULL, 0,
                                        ngx_http_axis_mqtt_apis(r));
    axis_mqtt_request_free(api);

    ngx_http_finalize_request(r, axis_mqtt_http_send_json(r, json));
}


static axis_mqtt_request_t *
ngx_http_axis_mqtt_discovery_parse(ngx_http_request_t *r)
{
    ngx_str_t             body;
    axis_mqtt_request_t  *api;

    if (axis_mqtt_http_read_body(r, &body) != NGX_OK) {
        return NULL;
    }

    api = ngx_palloc(r->pool, sizeof(axis_mqtt_request_t));
    if (api == NULL) {
        return NULL;
    }

    /* discovery is not Admin-only: anybody may ask what the device has */
    axis_mqtt_request_parse_api(api, AXIS_MQTT_API_DISCOVERY,
                                (char *) body.data, body.len, 1, "");

    return api;
}


static void
ngx_http_axis_mqtt_discovery_cleanup(void *data)
{
    axis_mqtt_request_free(data);
}


/*
 * The firmware answered (or nginx answers for it with an error page):
 * hold back what getApiList needs to merge into, and what fails.
 */

static ngx_int_t
ngx_http_axis_mqtt_discovery_header_filter(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t                       *cln;
    axis_mqtt_request_t                      *api;
    ngx_http_core_loc_conf_t                 *clcf;
    ngx_http_axis_mqtt_discovery_ctx_t       *ctx;
    ngx_http_axis_mqtt_discovery_loc_conf_t  *dlcf;

    dlcf = ngx_http_get_module_loc_conf(r, ngx_http_axis_mqtt_discovery_module);
    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    /*
     * Only what the firmware answered, or failed to: nginx's own refusals
     * before that (401 of auth_basic, 413) stay what they are.
     */

    if (!dlcf->enable
        || clcf->handler == ngx_http_axis_mqtt_discovery_handler
        || r->upstream == NULL
        || r != r->main
        || r->method != NGX_HTTP_POST)
    {
        return ngx_http_next_header_filter(r);
    }

    api = ngx_http_axis_mqtt_discovery_parse(r);
    if (api == NULL) {
        return NGX_ERROR;
    }

    if (r->headers_out.status == NGX_HTTP_OK
        && api->method == AXIS_MQTT_METHOD_UNKNOWN)
    {
        /* the firmware's own methods are its business */
        axis_mqtt_request_free(api);
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_axis_mqtt_discovery_ctx_t));
    cln = ngx_pool_cleanup_add(r->pool, 0);

    if (ctx == NULL || cln == NULL) {
        axis_mqtt_request_free(api);
        return NGX_ERROR;
    }

    cln->handler = ngx_http_axis_mqtt_discovery_cleanup;
    cln->data = api;

    ctx->api = api;
    ctx->firmware_ok = (r->headers_out.status == NGX_HTTP_OK);

    ngx_http_set_ctx(r, ctx, ngx_http_axis_mqtt_discovery_module);

    /* the body decides the header: sent with the answer */
    return NGX_OK;
}


static ngx_int_t
ngx_http_axis_mqtt_discovery_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in)
{
    ngx_uint_t                           last;
    ngx_chain_t                         *cl;
    ngx_http_axis_mqtt_discovery_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_http_axis_mqtt_discovery_module);

    if (ctx == NULL) {
        return ngx_http_next_body_filter(r, in);
    }

    if (ctx->api == NULL) {
        /* answered already */
        return NGX_OK;
    }

    last = 0;

    for (cl = in; cl; cl = cl->next) {
        if (ngx_http_axis_mqtt_discovery_keep(r, ctx, cl->buf) != NGX_OK) {
            return NGX_ERROR;
        }

        if (cl->buf->last_buf) {
            last = 1;
        }
    }

    if (!last) {
        return NGX_OK;
    }

    return ngx_http_axis_mqtt_discovery_answer(r, ctx);
}


/* copies the buffer's bytes and marks them consumed for the upstream */

static ngx_int_t
ngx_http_axis_mqtt_discovery_keep(ngx_http_request_t *r,
    ngx_http_axis_mqtt_discovery_ctx_t *ctx, ngx_buf_t *b)
{
    u_char   *p;
    size_t    size;
    ssize_t   n;

    size = ngx_buf_size(b);

    if (!ctx->firmware_ok || size == 0) {
        goto consumed;
    }

    if (ctx->len + size > AXIS_MQTT_DISCOVERY_MAX) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "axis_mqtt: firmware API list larger than %d bytes "
                      "ignored", AXIS_MQTT_DISCOVERY_MAX);
        ctx->firmware_ok = 0;
        goto consumed;
    }

    if (ctx->len + size > ctx->size) {
        ctx->size = ngx_max(2 * ctx->size, ctx->len + size);

        p = ngx_pnalloc(r->pool, ctx->size);
        if (p == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(p, ctx->buf, ctx->len);
        ctx->buf = p;
    }

    if (ngx_buf_in_memory(b)) {
        ngx_memcpy(ctx->buf + ctx->len, b->pos, size);

    } else {
        n = ngx_read_file(b->file, ctx->buf + ctx->len, size, b->file_pos);
        if (n != (ssize_t) size) {
            return NGX_ERROR;
        }
    }

    ctx->len += size;

consumed:

    b->pos = b->last;
    b->file_pos = b->file_last;

    return NGX_OK;
}


static ngx_int_t
ngx_http_axis_mqtt_discovery_answer(ngx_http_request_t *r,
    ngx_http_axis_mqtt_discovery_ctx_t *ctx)
{
    char         *json;
    size_t        len;
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    if (!ctx->firmware_ok) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "axis_mqtt: the firmware gave no API list (status %ui), "
                      "the gateway answers alone", r->headers_out.status);

        /* nothing of a failed answer (a challenge, a redirect) carries on */
        ngx_http_axis_mqtt_discovery_clear_headers(r);
    }

    json = axis_mqtt_discovery_response(ctx->api,
                                        ctx->firmware_ok ? (char *) ctx->buf
                                                         : NULL,
                                        ctx->len,
                                        ngx_http_axis_mqtt_apis(r));
    ctx->api = NULL;

    if (json == NULL) {
        return NGX_ERROR;
    }

    len = ngx_strlen(json);

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        free(json);
        return NGX_ERROR;
    }

    b->last = ngx_cpymem(b->last, json, len);
    b->last_buf = 1;
    free(json);

    axis_mqtt_http_json_headers(r, b->last - b->pos);

    if (r->headers_out.content_length) {
        r->headers_out.content_length->hash = 0;
        r->headers_out.content_length = NULL;
    }

    if (r->headers_out.content_encoding) {
        r->headers_out.content_encoding->hash = 0;
        r->headers_out.content_encoding = NULL;
    }

    ngx_http_clear_accept_ranges(r);
    ngx_http_clear_last_modified(r);
    ngx_http_clear_etag(r);

    rc = ngx_http_next_header_filter(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_next_body_filter(r, &out);
}


static void
ngx_http_axis_mqtt_discovery_clear_headers(ngx_http_request_t *r)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_out.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        h[i].hash = 0;
    }

    r->headers_out.location = NULL;
    r->headers_out.www_authenticate = NULL;
    r->headers_out.refresh = NULL;
    r->headers_out.expires = NULL;
}


static void *
ngx_http_axis_mqtt_discovery_create_loc_conf(ngx_conf_t *cf)
{
    ngx_http_axis_mqtt_discovery_loc_conf_t  *dlcf;

    dlcf = ngx_palloc(cf->pool,
                      sizeof(ngx_http_axis_mqtt_discovery_loc_conf_t));
    if (dlcf == NULL) {
        return NULL;
    }

    dlcf->enable = NGX_CONF_UNSET;

    return dlcf;
}


static char *
ngx_http_axis_mqtt_discovery_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_http_axis_mqtt_discovery_loc_conf_t  *prev = parent;
    ngx_http_axis_mqtt_discovery_loc_conf_t  *conf = child;

    ngx_conf_merge_value(conf->enable, prev->enable, 0);

    return NGX_CONF_OK;
}


/*
 * Without a content handler of its own (proxy_pass), the location is
 * answered by the gateway; proxy_pass, before or after, takes precedence.
 */

static char *
ngx_http_axis_mqtt_discovery(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_axis_mqtt_discovery_loc_conf_t  *dlcf = conf;

    char                      *rv;
    ngx_http_core_loc_conf_t  *clcf;

    rv = ngx_conf_set_flag_slot(cf, cmd, conf);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (dlcf->enable && clcf->handler == NULL) {
        clcf->handler = ngx_http_axis_mqtt_discovery_handler;
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_http_axis_mqtt_discovery_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_http_axis_mqtt_discovery_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_http_axis_mqtt_discovery_body_filter;

    return NGX_OK;
}


/*
 * HTTP pieces shared by the module's handlers: the request body in one
 * piece, a JSON answer, the answer to a method other than POST.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "axis_mqtt_http.h"


/* bounded by client_max_body_size, which nginx enforces while reading */

ngx_int_t
axis_mqtt_http_read_body(ngx_http_request_t *r, ngx_str_t *body)
{
    size_t        len;
    u_char       *p;
    ssize_t       n;
    ngx_buf_t    *b;
    ngx_chain_t  *cl;

    body->len = 0;
    body->data = (u_char *) "";

    if (r->request_body == NULL || r->request_body->bufs == NULL) {
        return NGX_OK;
    }

    b = r->request_body->bufs->buf;

    if (r->request_body->bufs->next == NULL && !b->in_file) {
        /* the usual small body, read with the header: no copy */
        body->data = b->pos;
        body->len = b->last - b->pos;
        return NGX_OK;
    }

    len = 0;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;
        len += b->in_file ? (size_t) (b->file_last - b->file_pos)
                          : (size_t) (b->last - b->pos);
    }

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    body->data = p;
    body->len = len;

    for (cl = r->request_body->bufs; cl; cl = cl->next) {
        b = cl->buf;

        if (b->in_file) {
            n = ngx_read_file(b->file, p, b->file_last - b->file_pos,
                              b->file_pos);

            if (n != b->file_last - b->file_pos) {
                return NGX_ERROR;
            }

            p += n;

        } else {
            p = ngx_cpymem(p, b->pos, b->last - b->pos);
        }
    }

    return NGX_OK;
}


ngx_int_t
axis_mqtt_http_send_json(ngx_http_request_t *r, char *json)
{
    size_t      len;
    ngx_buf_t  *b;

    if (json == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = ngx_strlen(json);

    b = ngx_create_temp_buf(r->pool, len + 1);
    if (b == NULL) {
        free(json);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_cpymem(b->last, json, len);
    free(json);

    return axis_mqtt_http_send_buf(r, b);
}


void
axis_mqtt_http_json_headers(ngx_http_request_t *r, off_t len)
{
    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.status_line.len = 0;
    r->headers_out.content_length_n = len;
    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;
}


ngx_int_t
axis_mqtt_http_send_buf(ngx_http_request_t *r, ngx_buf_t *b)
{
    ngx_int_t     rc;
    ngx_chain_t   out;

    /* one byte of room is left for the newline that ends the answer */
    *b->last++ = '\n';

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    axis_mqtt_http_json_headers(r, b->last - b->pos);

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


ngx_int_t
axis_mqtt_http_not_allowed(ngx_http_request_t *r)
{
    ngx_int_t         rc;
    ngx_table_elt_t  *allow;

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    allow = ngx_list_push(&r->headers_out.headers);
    if (allow == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    allow->hash = 1;
    ngx_str_set(&allow->key, "Allow");
    ngx_str_set(&allow->value, "POST");

    return NGX_HTTP_NOT_ALLOWED;
}

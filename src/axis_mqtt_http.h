
/*
 * HTTP pieces shared by the module's handlers.
 */

#ifndef _AXIS_MQTT_HTTP_H_INCLUDED_
#define _AXIS_MQTT_HTTP_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


/* the request body in one piece, from memory or file */
ngx_int_t axis_mqtt_http_read_body(ngx_http_request_t *r, ngx_str_t *body);

/* answers 200 application/json with the malloc()ed text, then frees it */
ngx_int_t axis_mqtt_http_send_json(ngx_http_request_t *r, char *json);

/* 200 application/json of len bytes, whatever the headers said before */
void axis_mqtt_http_json_headers(ngx_http_request_t *r, off_t len);

/* the same with the text in b, which has room for one byte more */
ngx_int_t axis_mqtt_http_send_buf(ngx_http_request_t *r, ngx_buf_t *b);

/* 405 with "Allow: POST" */
ngx_int_t axis_mqtt_http_not_allowed(ngx_http_request_t *r);

/*
 * The APIs the request's server answers besides client.cgi, for API
 * Discovery: AXIS_MQTT_DISCOVERY_EVENTS when it has event.cgi.  (Defined
 * in ngx_http_axis_mqtt_module.c, which owns the server's configuration.)
 */
unsigned ngx_http_axis_mqtt_apis(ngx_http_request_t *r);


#endif /* _AXIS_MQTT_HTTP_H_INCLUDED_ */

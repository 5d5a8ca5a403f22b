
/*
 * A request to a camera with libcurl, as every one is made: to the URL
 * given, with the camera's credentials (Digest or Basic, whichever it
 * asks for), bounded in time, its answer kept up to
 * AXIS_MQTT_ONVIF_MAX_BYTES; and the cause of one that got no answer
 * worth reading.  Camera thread only.
 */

#ifndef _AXIS_MQTT_CURL_H_INCLUDED_
#define _AXIS_MQTT_CURL_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include <curl/curl.h>

#include "axis_mqtt_shm.h"


#define AXIS_MQTT_CURL_CONNECT_WAIT   5000      /* ms */


/* what the camera answered, NUL-terminated */
typedef struct {
    char                    *data;
    size_t                   len;
    size_t                   size;
} axis_mqtt_curl_answer_t;


/*
 * easy set for one request to the device's camera: a POST of body with
 * headers, or a GET when body is NULL; "private" is CURLINFO_PRIVATE's.
 */
void axis_mqtt_curl_prepare(CURL *easy, const axis_mqtt_device_conf_t *conf,
    const char *url, const char *body, struct curl_slist *headers,
    long wait, axis_mqtt_curl_answer_t *answer, void *private);

/*
 * A request is over: 0 when the camera answered with a body (*status its
 * HTTP status), -1 with the cause in buf (no answer, too large, the
 * credentials refused, no body).
 */
int axis_mqtt_curl_result(CURL *easy, CURLcode result, const char *url,
    const axis_mqtt_curl_answer_t *answer, long *status, char *buf,
    size_t size);

void axis_mqtt_curl_answer_free(axis_mqtt_curl_answer_t *answer);


#endif /* _AXIS_MQTT_CURL_H_INCLUDED_ */

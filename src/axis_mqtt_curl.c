
/*
 * A request to a camera with libcurl (see the header).
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "axis_mqtt_curl.h"
#include "axis_mqtt_onvif.h"


static size_t axis_mqtt_curl_write(char *ptr, size_t size, size_t n,
    void *data);


void
axis_mqtt_curl_prepare(CURL *easy, const axis_mqtt_device_conf_t *conf,
    const char *url, const char *body, struct curl_slist *headers,
    long wait, axis_mqtt_curl_answer_t *answer, void *private)
{
    answer->len = 0;

    curl_easy_setopt(easy, CURLOPT_URL, url);
    curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");

    if (body != NULL) {
        curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE,
                         (long) ngx_strlen(body));

    } else {
        curl_easy_setopt(easy, CURLOPT_HTTPGET, 1L);
    }

    curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, wait);
    curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS,
                     (long) AXIS_MQTT_CURL_CONNECT_WAIT);
    curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, axis_mqtt_curl_write);
    curl_easy_setopt(easy, CURLOPT_WRITEDATA, answer);
    curl_easy_setopt(easy, CURLOPT_PRIVATE, private);

    if (conf->camera_user != NULL) {
        /* Digest or Basic, whichever the camera asks for */
        curl_easy_setopt(easy, CURLOPT_HTTPAUTH,
                         (long) (CURLAUTH_DIGEST | CURLAUTH_BASIC));
        curl_easy_setopt(easy, CURLOPT_USERNAME, conf->camera_user);
        curl_easy_setopt(easy, CURLOPT_PASSWORD,
                         conf->camera_password ? conf->camera_password : "");
    }
}


static size_t
axis_mqtt_curl_write(char *ptr, size_t size, size_t n, void *data)
{
    axis_mqtt_curl_answer_t  *a = data;

    char    *p;
    size_t   len, want;

    len = size * n;

    if (a->len + len > AXIS_MQTT_ONVIF_MAX_BYTES) {
        /* a short count ends the transfer: refused, not read on */
        return 0;
    }

    if (a->len + len + 1 > a->size) {
        want = ngx_max(a->size * 2, a->len + len + 1);
        want = ngx_max(want, 16384);

        p = realloc(a->data, want);
        if (p == NULL) {
            return 0;
        }

        a->data = p;
        a->size = want;
    }

    ngx_memcpy(a->data + a->len, ptr, len);
    a->len += len;
    a->data[a->len] = '\0';

    return len;
}


int
axis_mqtt_curl_result(CURL *easy, CURLcode result, const char *url,
    const axis_mqtt_curl_answer_t *answer, long *status, char *buf,
    size_t size)
{
    *status = 0;
    (void) curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, status);

    if (result == CURLE_WRITE_ERROR) {
        snprintf(buf, size, "the camera's answer is larger than %d bytes",
                 AXIS_MQTT_ONVIF_MAX_BYTES);

    } else if (result != CURLE_OK) {
        /* cut, if it must be, in the URL rather than in the cause */
        snprintf(buf, size, "the camera at %.200s did not answer: %s", url,
                 curl_easy_strerror(result));

    } else if (*status == 401 || *status == 403) {
        snprintf(buf, size,
                 "the camera refused the user name or password (HTTP %ld)",
                 *status);

    } else if (answer->len == 0) {
        snprintf(buf, size, "the camera answered HTTP %ld without a body",
                 *status);

    } else {
        return 0;
    }

    return -1;
}


void
axis_mqtt_curl_answer_free(axis_mqtt_curl_answer_t *answer)
{
    free(answer->data);
    answer->data = NULL;
    answer->len = 0;
    answer->size = 0;
}


/*
 * The devices' virtual input calls (see the header).
 *
 * Ownership: the queues are the bridge thread's and the camera thread's,
 * under "lock", and live as long as the process; the channels (a call in
 * flight, its easy handle, the causes logged) are the camera thread's
 * alone once it runs.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include <pthread.h>

#include "axis_mqtt_camera.h"
#include "axis_mqtt_curl.h"
#include "axis_mqtt_inbound.h"
#include "axis_mqtt_input.h"
#include "axis_mqtt_log.h"
#include "axis_mqtt_machine.h"
#include "axis_mqtt_vapix.h"


#define AXIS_MQTT_INPUT_PATH_LEN  80


typedef struct {
    int                       input;
    int                       drive;        /* axis_mqtt_drive_e */
} axis_mqtt_input_call_t;


/* a device's calls waiting: a ring */
typedef struct {
    axis_mqtt_input_call_t    calls[AXIS_MQTT_INPUT_QUEUE];
    ngx_uint_t                head;
    ngx_uint_t                n;
    ngx_uint_t                dropped;
} axis_mqtt_input_queue_t;


/* a device's call in flight */
typedef struct {
    axis_mqtt_device_conf_t  *conf;         /* NULL: no camera */
    CURL                     *easy;
    ngx_uint_t                busy;
    axis_mqtt_input_call_t    call;
    ngx_uint_t                activating;   /* activate.cgi is out */
    char                     *url;          /* the camera's, and a path */
    size_t                    base;         /* the camera's part */
    axis_mqtt_curl_answer_t   answer;
    axis_mqtt_causes_t        causes;       /* logged since a success */
    ngx_uint_t                taken;        /* "call" is to be started */
    ngx_uint_t                dropped;      /* to be logged */
} axis_mqtt_input_channel_t;


typedef struct {
    /* the bridge's and the camera thread's, under "lock" */
    pthread_mutex_t           lock;
    axis_mqtt_input_queue_t  *queues;       /* NULL: no camera thread */

    axis_mqtt_input_queue_t  *idle;         /* the queues, until enabled */

    /* set before the camera thread starts, then its own */
    ngx_uint_t                ndevices;
    CURLM                    *multi;
    ngx_log_t                *log;
    axis_mqtt_input_channel_t *channels;
} axis_mqtt_inputs_t;


static ngx_int_t axis_mqtt_input_channel(axis_mqtt_input_channel_t *ch,
    axis_mqtt_device_conf_t *conf);
static void axis_mqtt_input_call(axis_mqtt_inputs_t *in,
    axis_mqtt_input_channel_t *ch, ngx_uint_t activate);
static void axis_mqtt_input_failed(axis_mqtt_inputs_t *in,
    axis_mqtt_input_channel_t *ch, const char *cause);
static const char *axis_mqtt_input_cgi(ngx_uint_t activate);


static axis_mqtt_inputs_t  axis_mqtt_inputs = {
    .lock = PTHREAD_MUTEX_INITIALIZER
};


ngx_int_t
axis_mqtt_input_open(axis_mqtt_runtime_t *rt, CURLM *multi, ngx_log_t *log)
{
    ngx_uint_t           i;
    axis_mqtt_inputs_t  *in = &axis_mqtt_inputs;

    in->ndevices = rt->ndevices;
    in->multi = multi;
    in->log = log;

    /* a queue's pages are touched when its device's first call comes */
    in->channels = calloc(rt->ndevices, sizeof(axis_mqtt_input_channel_t));

    if (in->channels == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < rt->ndevices; i++) {
        if (rt->devices[i].camera != NULL
            && axis_mqtt_input_channel(&in->channels[i], &rt->devices[i])
               != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    /* taken by the bridge once the camera thread runs: see enable() */
    in->idle = calloc(rt->ndevices, sizeof(axis_mqtt_input_queue_t));

    return in->idle ? NGX_OK : NGX_ERROR;
}


void
axis_mqtt_input_enable(void)
{
    axis_mqtt_inputs_t  *in = &axis_mqtt_inputs;

    pthread_mutex_lock(&in->lock);
    in->queues = in->idle;
    pthread_mutex_unlock(&in->lock);
}


/* the camera's address, and room for a CGI's path after it */

static ngx_int_t
axis_mqtt_input_channel(axis_mqtt_input_channel_t *ch,
    axis_mqtt_device_conf_t *conf)
{
    ch->conf = conf;
    ch->base = ngx_strlen(conf->camera);
    ch->url = malloc(ch->base + AXIS_MQTT_INPUT_PATH_LEN);
    ch->easy = curl_easy_init();

    if (ch->url == NULL || ch->easy == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(ch->url, conf->camera, ch->base);

    return NGX_OK;
}


ngx_int_t
axis_mqtt_input_post(ngx_uint_t dev, int input, int drive)
{
    ngx_int_t                 rc;
    axis_mqtt_inputs_t       *in = &axis_mqtt_inputs;
    axis_mqtt_input_queue_t  *q;

    rc = NGX_DECLINED;

    pthread_mutex_lock(&in->lock);

    /* a channel's conf is set before the camera thread starts, then kept */
    if (in->queues != NULL && in->channels[dev].conf != NULL) {
        q = &in->queues[dev];

        if (q->n < AXIS_MQTT_INPUT_QUEUE) {
            q->calls[(q->head + q->n) % AXIS_MQTT_INPUT_QUEUE].input = input;
            q->calls[(q->head + q->n) % AXIS_MQTT_INPUT_QUEUE].drive = drive;
            q->n++;
            rc = NGX_OK;

        } else {
            q->dropped++;
        }
    }

    pthread_mutex_unlock(&in->lock);

    if (rc == NGX_OK) {
        curl_multi_wakeup(in->multi);
    }

    return rc;
}


/* the camera thread */

void
axis_mqtt_input_run(void)
{
    ngx_uint_t                  i;
    axis_mqtt_inputs_t         *in = &axis_mqtt_inputs;
    axis_mqtt_input_queue_t    *q;
    axis_mqtt_input_channel_t  *ch;

    /* one look under the lock: each free channel's next call */
    pthread_mutex_lock(&in->lock);

    for (i = 0; in->queues != NULL && i < in->ndevices; i++) {
        q = &in->queues[i];
        ch = &in->channels[i];

        ch->dropped = q->dropped;
        q->dropped = 0;

        if (!ch->busy && q->n > 0) {
            ch->call = q->calls[q->head];
            q->head = (q->head + 1) % AXIS_MQTT_INPUT_QUEUE;
            q->n--;
            ch->taken = 1;
        }
    }

    pthread_mutex_unlock(&in->lock);

    for (i = 0; i < in->ndevices; i++) {
        ch = &in->channels[i];

        if (ch->dropped) {
            axis_mqtt_log(in->log, NGX_LOG_WARN,
                          "axis_mqtt: device %s: %ui virtual input calls "
                          "dropped: more than %d were waiting for the "
                          "camera", ch->conf->serial, ch->dropped,
                          AXIS_MQTT_INPUT_QUEUE);
        }

        if (ch->taken) {
            ch->taken = 0;
            axis_mqtt_input_call(in, ch, ch->call.drive
                                         != AXIS_MQTT_DRIVE_DEACTIVATE);
        }
    }
}


/* activate.cgi or deactivate.cgi of the call's input, started */

static void
axis_mqtt_input_call(axis_mqtt_inputs_t *in, axis_mqtt_input_channel_t *ch,
    ngx_uint_t activate)
{
    axis_mqtt_vapix_path(activate, ch->call.input, ch->url + ch->base,
                         AXIS_MQTT_INPUT_PATH_LEN);

    axis_mqtt_curl_prepare(ch->easy, ch->conf, ch->url, NULL, NULL,
                           AXIS_MQTT_INPUT_WAIT, &ch->answer, ch);

    ch->activating = activate;
    ch->busy = 1;

    if (curl_multi_add_handle(in->multi, ch->easy) != CURLM_OK) {
        ch->busy = 0;
        axis_mqtt_input_failed(in, ch, "libcurl could not start the call");

        /* the device's next call: at the loop's next turn, now */
        curl_multi_wakeup(in->multi);
    }
}


ngx_uint_t
axis_mqtt_input_done(CURL *easy, CURLcode result)
{
    int                         changed;
    long                        status;
    char                        cause[AXIS_MQTT_ACTION_TEXT_LEN];
    char                        parsed[300];
    axis_mqtt_inputs_t         *in = &axis_mqtt_inputs;
    axis_mqtt_input_channel_t  *ch;

    ch = NULL;
    (void) curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **) &ch);

    if (in->channels == NULL || ch < in->channels
        || ch >= in->channels + in->ndevices)
    {
        return 0;
    }

    curl_multi_remove_handle(in->multi, easy);
    ch->busy = 0;

    if (axis_mqtt_curl_result(easy, result, ch->url, &ch->answer, &status,
                              cause, sizeof(cause))
        != 0)
    {
        axis_mqtt_input_failed(in, ch, cause);

    } else if (status != 200
               || axis_mqtt_vapix_answer(ch->answer.data, ch->answer.len,
                                         &changed, parsed, sizeof(parsed))
                  != 0)
    {
        if (status != 200) {
            ngx_cpystrn((u_char *) parsed, (u_char *) "not a success",
                        sizeof(parsed));
        }

        snprintf(cause, sizeof(cause), "the camera answered HTTP %ld to "
                 "%s of virtual input %d: %s", status,
                 axis_mqtt_input_cgi(ch->activating), ch->call.input,
                 parsed);
        axis_mqtt_input_failed(in, ch, cause);

    } else {
        axis_mqtt_log(in->log, NGX_LOG_DEBUG,
                      "axis_mqtt: device %s: %s of virtual input %d: %s",
                      ch->conf->serial, axis_mqtt_input_cgi(ch->activating),
                      ch->call.input, changed ? "changed" : "unchanged");

        ch->causes.n = 0;
    }

    /*
     * A trigger: the input goes back as soon as it went, and also after
     * a failed activate (the camera may have acted on it all the same,
     * say before a timeout).
     */
    if (ch->activating && ch->call.drive == AXIS_MQTT_DRIVE_PULSE) {
        axis_mqtt_input_call(in, ch, 0);
        return 1;
    }

    /* the device's next call, if one waits */
    axis_mqtt_input_run();

    return 1;
}


static void
axis_mqtt_input_failed(axis_mqtt_inputs_t *in, axis_mqtt_input_channel_t *ch,
    const char *cause)
{
    if (axis_mqtt_causes_new(&ch->causes, cause)) {
        axis_mqtt_log(in->log, NGX_LOG_ERR,
                      "axis_mqtt: device %s: virtual input %d not driven: "
                      "%s", ch->conf->serial, ch->call.input, cause);
    }
}


static const char *
axis_mqtt_input_cgi(ngx_uint_t activate)
{
    return activate ? "activate.cgi" : "deactivate.cgi";
}


void
axis_mqtt_input_close(void)
{
    ngx_uint_t                  i;
    axis_mqtt_inputs_t         *in = &axis_mqtt_inputs;
    axis_mqtt_input_channel_t  *ch;

    for (i = 0; in->channels != NULL && i < in->ndevices; i++) {
        ch = &in->channels[i];

        if (ch->easy == NULL) {
            continue;
        }

        if (ch->busy) {
            curl_multi_remove_handle(in->multi, ch->easy);
            ch->busy = 0;
        }

        curl_easy_cleanup(ch->easy);
        ch->easy = NULL;
        axis_mqtt_curl_answer_free(&ch->answer);
        free(ch->url);
        ch->url = NULL;
    }
}

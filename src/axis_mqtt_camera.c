
/*
 * The cameras' events (see the header): the camera thread.
 *
 * Ownership: the inbox (each device's latest state, the stop request) is
 * the event loop's and the thread's, under its lock, and lives as long
 * as the process; everything else here is the thread's alone once it
 * runs.  The thread calls no Paho function: events go to the bridge
 * thread through its mailbox.  libcurl is driven with the multi
 * interface, one connection per device, reused; a request is always
 * bounded by a timeout.
 *
 * Every request goes to the configured event service's URL: the camera's
 * own idea of its address may not be reachable from here (NAT), and the
 * credentials go nowhere else.  The subscription's address is sent as the
 * WS-Addressing To, and its reference parameters as headers.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include <pthread.h>

#include <curl/curl.h>

#include "axis_mqtt_camera.h"
#include "axis_mqtt_curl.h"
#include "axis_mqtt_event_message.h"
#include "axis_mqtt_input.h"
#include "axis_mqtt_log.h"
#include "axis_mqtt_mailbox.h"
#include "axis_mqtt_onvif.h"
#include "axis_mqtt_pull.h"
#include "axis_mqtt_thread.h"
#include "axis_mqtt_topic.h"


#define AXIS_MQTT_CAMERA_PULL_TIMEOUT   10      /* s, a pull's longest wait */
#define AXIS_MQTT_CAMERA_REQUEST_WAIT   10000   /* ms, any other request */
#define AXIS_MQTT_CAMERA_STOP_WAIT      3000    /* ms, the last unsubscribe */
#define AXIS_MQTT_CAMERA_JOIN_WAIT      5       /* s */


/* a device with a camera, as the thread keeps it */
typedef struct {
    ngx_uint_t                  index;
    axis_mqtt_device_conf_t    *conf;
    axis_mqtt_pull_t            pull;
    ngx_uint_t                  released;
    axis_mqtt_packed_t         *next;       /* taken from the inbox */
    u_char                      refresh;

    CURL                       *easy;
    ngx_uint_t                  busy;       /* easy is in the multi */
    axis_mqtt_onvif_request_e   request;
    char                       *body;
    struct curl_slist          *headers;
    axis_mqtt_curl_answer_t     answer;

    axis_mqtt_subscription_t    sub;
    axis_mqtt_event_conf_t     *events;     /* its publication */
    char                        prefix[AXIS_MQTT_STRING_LEN + 1];
    ngx_uint_t                  topic_refused;  /* logged once */
} axis_mqtt_camera_dev_t;


typedef struct {
    /* the inbox: the event loop's and the thread's, under "lock" */
    pthread_mutex_t             lock;
    axis_mqtt_packed_t        **next;       /* each device's latest state */
    u_char                     *refresh;    /* each device's client is back */
    ngx_uint_t                  stop;

    /* set before the thread starts, then the thread's */
    ngx_log_t                  *log;
    axis_mqtt_runtime_t        *rt;
    pthread_t                   thread;
    ngx_uint_t                  started;
    CURLM                      *multi;
    axis_mqtt_camera_dev_t     *devices;    /* rt->ndevices, NULL: none */
    axis_mqtt_state_t           state;      /* one at a time, unpacked */
    axis_mqtt_notifications_t   notifications;
    uint64_t                    stop_at;    /* 0: not stopping */
} axis_mqtt_camera_t;


static void *axis_mqtt_camera_main(void *data);
static void axis_mqtt_camera_take(axis_mqtt_camera_t *c, ngx_uint_t *stop);
static void axis_mqtt_camera_feed(axis_mqtt_camera_t *c,
    axis_mqtt_camera_dev_t *d, axis_mqtt_pull_in_e type, int value,
    int64_t lifetime, int drained, const char *text);
static void axis_mqtt_camera_send(axis_mqtt_camera_t *c,
    axis_mqtt_camera_dev_t *d, axis_mqtt_onvif_request_e type);
static void axis_mqtt_camera_done(axis_mqtt_camera_t *c,
    axis_mqtt_camera_dev_t *d, CURLcode result);
static void axis_mqtt_camera_publish(axis_mqtt_camera_t *c,
    axis_mqtt_camera_dev_t *d);
static void axis_mqtt_camera_abort(axis_mqtt_camera_t *c,
    axis_mqtt_camera_dev_t *d);
static ngx_msec_t axis_mqtt_camera_wait(axis_mqtt_camera_t *c);


static axis_mqtt_camera_t  axis_mqtt_camera = {
    .lock = PTHREAD_MUTEX_INITIALIZER
};


ngx_int_t
axis_mqtt_camera_start(axis_mqtt_runtime_t *rt, ngx_log_t *log)
{
    int                      err;
    ngx_uint_t               i, n;
    axis_mqtt_camera_t      *c = &axis_mqtt_camera;
    axis_mqtt_camera_dev_t  *d;

    for (i = 0, n = 0; i < rt->ndevices; i++) {
        n += rt->devices[i].camera != NULL;
    }

    if (n == 0 || c->started) {
        return NGX_OK;
    }

    c->log = log;
    c->rt = rt;

    /* before any thread: libcurl's global state is not thread-safe */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        return NGX_ERROR;
    }

    c->next = calloc(rt->ndevices, sizeof(axis_mqtt_packed_t *));
    c->refresh = calloc(rt->ndevices, 1);
    c->devices = calloc(rt->ndevices, sizeof(axis_mqtt_camera_dev_t));
    c->multi = curl_multi_init();

    if (c->next == NULL || c->refresh == NULL || c->devices == NULL
        || c->multi == NULL
        || axis_mqtt_input_open(rt, c->multi, log) != NGX_OK)
    {
        return NGX_ERROR;
    }

    for (i = 0; i < rt->ndevices; i++) {
        d = &c->devices[i];
        d->index = i;
        d->conf = &rt->devices[i];
        axis_mqtt_pull_init(&d->pull);

        /* a device without a camera is skipped wherever devices are */
        if (d->conf->camera == NULL) {
            continue;
        }

        d->easy = curl_easy_init();
        d->events = calloc(1, sizeof(axis_mqtt_event_conf_t));

        if (d->easy == NULL || d->events == NULL) {
            return NGX_ERROR;
        }
    }

    /* the thread, and libcurl's resolver threads, leave signals to nginx */
    err = axis_mqtt_thread_start(&c->thread, axis_mqtt_camera_main, c);

    if (err != 0) {
        return NGX_ERROR;
    }

    c->started = 1;
    axis_mqtt_input_enable();

    return NGX_OK;
}


void
axis_mqtt_camera_apply(ngx_uint_t dev, const axis_mqtt_state_t *state)
{
    axis_mqtt_packed_t  *packed, *old;
    axis_mqtt_camera_t  *c = &axis_mqtt_camera;

    if (!c->started || c->rt->devices[dev].camera == NULL) {
        return;
    }

    packed = axis_mqtt_state_pack_alloc(state);
    if (packed == NULL) {
        ngx_log_error(NGX_LOG_ALERT, c->log, 0,
                      "axis_mqtt: device %s: out of memory, the camera "
                      "goes on with the publication before",
                      c->rt->devices[dev].serial);
        return;
    }

    pthread_mutex_lock(&c->lock);
    old = c->next[dev];
    c->next[dev] = packed;
    pthread_mutex_unlock(&c->lock);

    free(old);
    curl_multi_wakeup(c->multi);
}


void
axis_mqtt_camera_refresh(ngx_uint_t dev)
{
    axis_mqtt_camera_t  *c = &axis_mqtt_camera;

    if (!c->started || c->rt->devices[dev].camera == NULL) {
        return;
    }

    pthread_mutex_lock(&c->lock);
    c->refresh[dev] = 1;
    pthread_mutex_unlock(&c->lock);

    curl_multi_wakeup(c->multi);
}


void
axis_mqtt_camera_stop(void)
{
    axis_mqtt_camera_t  *c = &axis_mqtt_camera;

    if (!c->started) {
        return;
    }

    pthread_mutex_lock(&c->lock);
    c->stop = 1;
    pthread_mutex_unlock(&c->lock);

    curl_multi_wakeup(c->multi);
}


void
axis_mqtt_camera_join(void)
{
    axis_mqtt_camera_t  *c = &axis_mqtt_camera;

    if (!c->started) {
        return;
    }

    axis_mqtt_camera_stop();

    if (axis_mqtt_thread_join(c->thread, AXIS_MQTT_CAMERA_JOIN_WAIT, c->log,
                              "the camera thread")
        != NGX_OK)
    {
        /* still running: its state stays as it is */
        return;
    }

    c->started = 0;
}


/* the thread */

static void *
axis_mqtt_camera_main(void *data)
{
    axis_mqtt_camera_t  *c = data;

    int                      left, running;
    CURLMsg                 *msg;
    uint64_t                 now;
    ngx_uint_t               i, stop, done;
    axis_mqtt_camera_dev_t  *d;

    for ( ;; ) {
        axis_mqtt_camera_take(c, &stop);
        now = axis_mqtt_now();

        if (stop && c->stop_at == 0) {
            c->stop_at = now + AXIS_MQTT_CAMERA_STOP_WAIT;

            for (i = 0; i < c->rt->ndevices; i++) {
                d = &c->devices[i];

                if (d->conf->camera != NULL) {
                    /* stopping first: a request cut short is then final */
                    axis_mqtt_camera_feed(c, d, AXIS_MQTT_PULL_IN_STOP, 0, 0,
                                          0, NULL);
                    axis_mqtt_camera_abort(c, d);
                }
            }
        }

        done = 1;

        for (i = 0; i < c->rt->ndevices; i++) {
            d = &c->devices[i];

            if (d->conf->camera == NULL) {
                continue;
            }

            if (axis_mqtt_pull_timer(&d->pull) != 0
                && axis_mqtt_pull_timer(&d->pull) <= now)
            {
                axis_mqtt_camera_feed(c, d, AXIS_MQTT_PULL_IN_TIMER, 0, 0, 0,
                                      NULL);
            }

            done &= d->released;
        }

        if (c->stop_at != 0 && (done || now >= c->stop_at)) {
            break;
        }

        axis_mqtt_input_run();

        (void) curl_multi_perform(c->multi, &running);

        while ((msg = curl_multi_info_read(c->multi, &left)) != NULL) {
            if (msg->msg != CURLMSG_DONE
                || axis_mqtt_input_done(msg->easy_handle, msg->data.result))
            {
                continue;
            }

            (void) curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
                                     (char **) &d);
            axis_mqtt_camera_done(c, d, msg->data.result);
        }

        (void) curl_multi_poll(c->multi, NULL, 0,
                               (int) axis_mqtt_camera_wait(c), NULL);
    }

    for (i = 0; i < c->rt->ndevices; i++) {
        d = &c->devices[i];

        if (d->easy != NULL) {
            axis_mqtt_camera_abort(c, d);
            curl_easy_cleanup(d->easy);
            d->easy = NULL;
            axis_mqtt_curl_answer_free(&d->answer);
        }
    }

    axis_mqtt_input_close();

    return NULL;
}


/* the states applied since the last look, and whether to stop */

static void
axis_mqtt_camera_take(axis_mqtt_camera_t *c, ngx_uint_t *stop)
{
    int                      wanted;
    ngx_uint_t               i;
    axis_mqtt_packed_t      *packed;
    axis_mqtt_camera_dev_t  *d;

    /* one look under the lock: what came, moved to the devices' own */
    pthread_mutex_lock(&c->lock);

    for (i = 0; i < c->rt->ndevices; i++) {
        d = &c->devices[i];
        d->next = c->next[i];
        d->refresh = c->refresh[i];
        c->next[i] = NULL;
        c->refresh[i] = 0;
    }

    *stop = c->stop;

    pthread_mutex_unlock(&c->lock);

    for (i = 0; i < c->rt->ndevices; i++) {
        d = &c->devices[i];

        if (d->refresh) {
            axis_mqtt_camera_feed(c, d, AXIS_MQTT_PULL_IN_REFRESH, 0, 0, 0,
                                  NULL);
        }

        packed = d->next;
        d->next = NULL;

        if (packed == NULL) {
            continue;
        }

        /* only the camera's apply() packs it */
        (void) axis_mqtt_state_unpack(&c->state, packed);
        free(packed);

        *d->events = c->state.events;
        ngx_cpystrn((u_char *) d->prefix,
                    (u_char *) c->state.conf.device_topic_prefix,
                    sizeof(d->prefix));

        wanted = c->state.active && c->state.events.nfilters > 0;

        axis_mqtt_camera_feed(c, d, AXIS_MQTT_PULL_IN_WANTED, wanted, 0, 0,
                              NULL);
    }
}


/* one input for the device's subscription, and its actions carried out */

static void
axis_mqtt_camera_feed(axis_mqtt_camera_t *c, axis_mqtt_camera_dev_t *d,
    axis_mqtt_pull_in_e type, int value, int64_t lifetime, int drained,
    const char *text)
{
    unsigned                 i;
    axis_mqtt_actions_t      out;
    axis_mqtt_action_t      *a;
    axis_mqtt_pull_input_t   in;

    in.type = type;
    in.now = axis_mqtt_now();
    in.value = value;
    in.lifetime = lifetime;
    in.drained = drained;
    in.text = text;
    out.n = 0;

    axis_mqtt_pull_handle(&d->pull, &in, &out);

    for (i = 0; i < out.n; i++) {
        a = &out.actions[i];

        switch (a->type) {

        case AXIS_MQTT_PULL_DO_CREATE:
            d->topic_refused = 0;
            axis_mqtt_camera_send(c, d, AXIS_MQTT_ONVIF_CREATE);
            break;

        case AXIS_MQTT_PULL_DO_PULL:
            axis_mqtt_camera_send(c, d, AXIS_MQTT_ONVIF_PULL);
            break;

        case AXIS_MQTT_PULL_DO_RENEW:
            axis_mqtt_camera_send(c, d, AXIS_MQTT_ONVIF_RENEW);
            break;

        case AXIS_MQTT_PULL_DO_UNSUBSCRIBE:
            axis_mqtt_camera_send(c, d, AXIS_MQTT_ONVIF_UNSUBSCRIBE);
            break;

        case AXIS_MQTT_PULL_DO_LOG:
            axis_mqtt_log(c->log, a->value ? NGX_LOG_INFO : NGX_LOG_ERR,
                          "axis_mqtt: device %s: %s", d->conf->serial,
                          a->text);
            break;

        default: /* AXIS_MQTT_PULL_DO_RELEASE */
            d->released = 1;
            break;
        }
    }
}


static void
axis_mqtt_camera_send(axis_mqtt_camera_t *c, axis_mqtt_camera_dev_t *d,
    axis_mqtt_onvif_request_e type)
{
    char       header[256];
    long       wait;
    int64_t    pull;
    CURL      *easy = d->easy;
    CURLcode   rc;

    free(d->body);
    curl_slist_free_all(d->headers);
    d->headers = NULL;
    d->request = type;

    /*
     * A pull waits at most a third of the subscription's life, so that it
     * is back in time for the renewal (a camera may grant less than the
     * minute asked for).
     */
    pull = AXIS_MQTT_CAMERA_PULL_TIMEOUT;

    if (d->sub.lifetime_ms > 0 && d->sub.lifetime_ms / 3000 < pull) {
        pull = ngx_max(d->sub.lifetime_ms / 3000, 1);
    }

    d->body = axis_mqtt_onvif_request(type, d->conf->camera_events, &d->sub,
                                      type == AXIS_MQTT_ONVIF_PULL
                                      ? (int) pull : AXIS_MQTT_PULL_LIFETIME);

    snprintf(header, sizeof(header),
             "Content-Type: application/soap+xml; charset=utf-8; "
             "action=\"%s\"", axis_mqtt_onvif_action(type));

    d->headers = curl_slist_append(NULL, header);

    wait = type == AXIS_MQTT_ONVIF_PULL
           ? (long) pull * 1000 + 5000
           : type == AXIS_MQTT_ONVIF_UNSUBSCRIBE && c->stop_at
             ? AXIS_MQTT_CAMERA_STOP_WAIT : AXIS_MQTT_CAMERA_REQUEST_WAIT;

    rc = d->body && d->headers ? CURLE_OK : CURLE_OUT_OF_MEMORY;

    if (rc == CURLE_OK) {
        axis_mqtt_curl_prepare(easy, d->conf, d->conf->camera_events,
                               d->body, d->headers, wait, &d->answer, d);

        if (curl_multi_add_handle(c->multi, easy) != CURLM_OK) {
            rc = CURLE_FAILED_INIT;
        }
    }

    if (rc != CURLE_OK) {
        axis_mqtt_camera_feed(c, d, AXIS_MQTT_PULL_IN_DONE, 0, 0, 0,
                              "out of memory");
        return;
    }

    d->busy = 1;
}


/* a request is over: what it says, to the device's subscription */

static void
axis_mqtt_camera_done(axis_mqtt_camera_t *c, axis_mqtt_camera_dev_t *d,
    CURLcode result)
{
    int       rc, drained;
    long      status;
    char      cause[AXIS_MQTT_ACTION_TEXT_LEN], parsed[300], *text;
    size_t    len;
    int64_t   lifetime;

    curl_multi_remove_handle(c->multi, d->easy);
    d->busy = 0;

    rc = -1;
    lifetime = 0;
    drained = 0;
    parsed[0] = '\0';

    text = d->answer.data;
    len = d->answer.len;

    if (axis_mqtt_curl_result(d->easy, result, d->conf->camera_events,
                              &d->answer, &status, cause, sizeof(cause))
        == 0)
    {
        switch (d->request) {

        case AXIS_MQTT_ONVIF_CREATE:
            rc = axis_mqtt_onvif_subscription(text, len, &d->sub, parsed,
                                              sizeof(parsed));
            lifetime = d->sub.lifetime_ms;
            break;

        case AXIS_MQTT_ONVIF_PULL:
            rc = axis_mqtt_onvif_notifications(text, len,
                                               &c->notifications, parsed,
                                               sizeof(parsed));
            if (rc == 0) {
                axis_mqtt_camera_publish(c, d);

                /* fewer than asked for: nothing is left at the camera */
                drained = c->notifications.n + c->notifications.skipped
                          < AXIS_MQTT_ONVIF_PULL_LIMIT;
            }

            axis_mqtt_notifications_free(&c->notifications);
            break;

        default:
            rc = axis_mqtt_onvif_acknowledged(text, len, parsed,
                                              sizeof(parsed));

            /* renewed for as long as the camera granted at the start */
            lifetime = d->sub.lifetime_ms;
            break;
        }

        if (rc == 0 && status != 200) {
            rc = -1;
            ngx_cpystrn((u_char *) parsed, (u_char *) "not a SOAP fault",
                        sizeof(parsed));
        }

        snprintf(cause, sizeof(cause), "the camera answered HTTP %ld: %s",
                 status, parsed);
    }

    axis_mqtt_camera_feed(c, d, AXIS_MQTT_PULL_IN_DONE, rc == 0, lifetime,
                          drained, cause);
}


/*
 * The pulled events that match the device's publication: once per
 * matching filter, in the camera's order, with the filter's QoS and
 * retain policy.  A deleted property clears its retained message.
 */

static void
axis_mqtt_camera_publish(axis_mqtt_camera_t *c, axis_mqtt_camera_dev_t *d)
{
    int                              retain;
    char                            *payload;
    unsigned                         i;
    ngx_uint_t                       f;
    axis_mqtt_event_filter_t        *filter;
    const axis_mqtt_notification_t  *ev;

    static char  topic[AXIS_MQTT_EVENT_TOPIC_MAX + 1];

    for (i = 0; i < c->notifications.n; i++) {
        ev = &c->notifications.events[i];
        payload = NULL;

        for (f = 0; f < (ngx_uint_t) d->events->nfilters; f++) {
            filter = &d->events->filters[f];

            if (!axis_mqtt_topic_filter_match(filter->topic_filter, ev)) {
                continue;
            }

            if (payload == NULL) {
                if (axis_mqtt_event_topic(ev, d->events, d->prefix, topic,
                                          sizeof(topic)) < 0
                    || (payload = axis_mqtt_event_payload(ev, d->events,
                                                          d->conf->serial))
                       == NULL)
                {
                    if (!d->topic_refused) {
                        d->topic_refused = 1;
                        axis_mqtt_log(c->log, NGX_LOG_WARN,
                                      "axis_mqtt: device %s: a camera event "
                                      "cannot be an MQTT message (its topic "
                                      "has a wildcard or is too long)",
                                      d->conf->serial);
                    }

                    break;
                }
            }

            retain = axis_mqtt_event_retained(ev, filter->retain);

            (void) axis_mqtt_mailbox_publish(d->index, topic,
                                             retain
                                             && ev->operation
                                                == AXIS_MQTT_OP_DELETED
                                             ? "" : payload,
                                             filter->qos, retain);
        }

        free(payload);
    }
}


/* the request in flight, if any, cut short: the subscription is told */

static void
axis_mqtt_camera_abort(axis_mqtt_camera_t *c, axis_mqtt_camera_dev_t *d)
{
    if (!d->busy) {
        return;
    }

    curl_multi_remove_handle(c->multi, d->easy);
    d->busy = 0;

    if (c->stop_at != 0 && !d->released) {
        axis_mqtt_camera_feed(c, d, AXIS_MQTT_PULL_IN_DONE, 0, 0, 0,
                              "stopped");
    }
}


/* until the earliest subscription timer, at most a second */

static ngx_msec_t
axis_mqtt_camera_wait(axis_mqtt_camera_t *c)
{
    uint64_t    now, due, t;
    ngx_uint_t  i;

    now = axis_mqtt_now();
    due = now + 1000;

    for (i = 0; i < c->rt->ndevices; i++) {
        t = axis_mqtt_pull_timer(&c->devices[i].pull);

        if (t != 0 && t < due) {
            due = t;
        }
    }

    if (c->stop_at != 0 && c->stop_at < due) {
        due = c->stop_at;
    }

    return due > now ? (ngx_msec_t) (due - now) : 0;
}

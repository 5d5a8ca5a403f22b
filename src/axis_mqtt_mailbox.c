
/*
 * The bridge thread's mailbox, and Paho's callbacks, which post to it and
 * do nothing else (see axis_mqtt_mailbox.h for the rule).  This file must
 * not include the bridge: it is the whole of what runs on Paho's threads.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include <pthread.h>

#include "axis_mqtt_mailbox.h"


/* allocated for the devices when ownership begins, kept to the end */
typedef struct {
    pthread_mutex_t          lock;
    pthread_cond_t           cond;
    pthread_cond_t           room;          /* the outgoing queue emptied */
    ngx_uint_t               ndevices;

    axis_mqtt_packed_t     **next;          /* each device's latest state */
    u_char                  *next_set;
    ngx_uint_t               stop;          /* the owner quits ... */
    ngx_uint_t               stop_taken;    /* ... the bridge knows */
    ngx_uint_t               stopped;       /* ... and it may let go */

    axis_mqtt_event_t       *events;
    ngx_uint_t               nevents;
    ngx_uint_t               capacity;
    ngx_uint_t               dropped;

    axis_mqtt_outgoing_t    *outgoing;      /* the camera thread's, FIFO */
    axis_mqtt_outgoing_t   **outgoing_last;
    ngx_uint_t               noutgoing;
    ngx_uint_t               outgoing_dropped;

    axis_mqtt_incoming_t    *incoming;      /* Paho's, FIFO */
    axis_mqtt_incoming_t   **incoming_last;
    ngx_uint_t               nincoming;
    ngx_uint_t               incoming_dropped;

    axis_mqtt_refusal_t     *refusals;      /* room for "capacity" */
    ngx_uint_t               nrefusals;

    char                   (*tls_error)[AXIS_MQTT_CAUSE_LEN];
    uint64_t                *tls_error_generation;

    axis_mqtt_status_t      *statuses;      /* for the event loop */
    u_char                  *status_set;
} axis_mqtt_mailbox_t;


static void axis_mqtt_mailbox_post(void *context, axis_mqtt_session_in_e type,
    int code, const char *message);
static ngx_uint_t axis_mqtt_mailbox_has_mail(axis_mqtt_mailbox_t *mb);
static void axis_mqtt_mailbox_wake(ngx_fd_t wake_fd);
static void axis_mqtt_mailbox_deadline(ngx_msec_t deadline,
    struct timespec *ts);


static axis_mqtt_mailbox_t  axis_mqtt_mailbox = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .cond = PTHREAD_COND_INITIALIZER,
    .room = PTHREAD_COND_INITIALIZER
};


/* the event loop's side */

ngx_int_t
axis_mqtt_mailbox_open(ngx_uint_t ndevices)
{
    axis_mqtt_mailbox_t  *mb = &axis_mqtt_mailbox;

    /* once per process: ownership is taken once, and held to the end */

    if (mb->next == NULL) {
        mb->ndevices = ndevices;
        mb->capacity = ndevices * AXIS_MQTT_MAILBOX_EVENTS_PER_DEVICE;

        mb->next = calloc(ndevices, sizeof(axis_mqtt_packed_t *));
        mb->next_set = calloc(ndevices, 1);
        mb->events = calloc(mb->capacity, sizeof(axis_mqtt_event_t));
        mb->refusals = calloc(mb->capacity, sizeof(axis_mqtt_refusal_t));
        mb->tls_error = calloc(ndevices, AXIS_MQTT_CAUSE_LEN);
        mb->tls_error_generation = calloc(ndevices, sizeof(uint64_t));
        mb->statuses = calloc(ndevices, sizeof(axis_mqtt_status_t));
        mb->status_set = calloc(ndevices, 1);

        if (mb->next == NULL || mb->next_set == NULL || mb->events == NULL
            || mb->refusals == NULL
            || mb->tls_error == NULL || mb->tls_error_generation == NULL
            || mb->statuses == NULL || mb->status_set == NULL)
        {
            return NGX_ERROR;
        }
    }

    pthread_mutex_lock(&mb->lock);

    mb->stop = 0;
    mb->stop_taken = 0;
    mb->stopped = 0;
    mb->nevents = 0;
    mb->dropped = 0;
    mb->outgoing_last = &mb->outgoing;
    mb->incoming_last = &mb->incoming;
    mb->nrefusals = 0;
    ngx_memzero(mb->next_set, ndevices);
    ngx_memzero(mb->statuses, ndevices * sizeof(axis_mqtt_status_t));
    ngx_memzero(mb->status_set, ndevices);

    pthread_mutex_unlock(&mb->lock);

    return NGX_OK;
}


ngx_uint_t
axis_mqtt_mailbox_capacity(void)
{
    return axis_mqtt_mailbox.capacity;
}


ngx_int_t
axis_mqtt_mailbox_apply(ngx_uint_t dev, const axis_mqtt_state_t *state)
{
    axis_mqtt_packed_t   *packed, *old;
    axis_mqtt_mailbox_t  *mb = &axis_mqtt_mailbox;

    packed = axis_mqtt_state_pack_alloc(state);
    if (packed == NULL) {
        return NGX_ERROR;
    }

    pthread_mutex_lock(&mb->lock);

    old = mb->next[dev];
    mb->next[dev] = packed;
    mb->next_set[dev] = 1;
    pthread_cond_signal(&mb->cond);

    pthread_mutex_unlock(&mb->lock);

    free(old);

    return NGX_OK;
}


ngx_int_t
axis_mqtt_mailbox_publish(ngx_uint_t dev, const char *topic,
    const char *payload, int qos, int retain)
{
    size_t                 tlen, plen;
    ngx_int_t              rc;
    struct timespec        ts;
    axis_mqtt_outgoing_t  *m;
    axis_mqtt_mailbox_t   *mb = &axis_mqtt_mailbox;

    tlen = ngx_strlen(topic);
    plen = ngx_strlen(payload);

    m = malloc(sizeof(axis_mqtt_outgoing_t) + tlen + plen + 1);
    if (m == NULL) {
        return NGX_ERROR;
    }

    m->next = NULL;
    m->dev = dev;
    m->qos = qos;
    m->retain = retain;
    ngx_memcpy(m->topic, topic, tlen + 1);
    m->payload = m->topic + tlen + 1;
    ngx_memcpy(m->payload, payload, plen + 1);

    pthread_mutex_lock(&mb->lock);

    /* a burst waits for the bridge (at most a second), not dropped */
    axis_mqtt_mailbox_deadline(axis_mqtt_now() + 1000, &ts);

    while (mb->noutgoing >= AXIS_MQTT_MAILBOX_OUTGOING_MAX
           && mb->outgoing_last != NULL
           && pthread_cond_timedwait(&mb->room, &mb->lock, &ts) == 0)
    {
        /* void */
    }

    if (mb->noutgoing < AXIS_MQTT_MAILBOX_OUTGOING_MAX
        && mb->outgoing_last != NULL)
    {
        *mb->outgoing_last = m;
        mb->outgoing_last = &m->next;
        mb->noutgoing++;
        pthread_cond_signal(&mb->cond);
        m = NULL;
        rc = NGX_OK;

    } else {
        mb->outgoing_dropped++;
        rc = NGX_DECLINED;
    }

    pthread_mutex_unlock(&mb->lock);

    free(m);

    return rc;
}


void
axis_mqtt_mailbox_stop(void)
{
    axis_mqtt_mailbox_t  *mb = &axis_mqtt_mailbox;

    pthread_mutex_lock(&mb->lock);

    mb->stop = 1;
    pthread_cond_signal(&mb->cond);

    pthread_mutex_unlock(&mb->lock);
}


ngx_uint_t
axis_mqtt_mailbox_stopped(void)
{
    ngx_uint_t            stopped;
    axis_mqtt_mailbox_t  *mb = &axis_mqtt_mailbox;

    pthread_mutex_lock(&mb->lock);
    stopped = mb->stopped;
    pthread_mutex_unlock(&mb->lock);

    return stopped;
}


void
axis_mqtt_mailbox_statuses(axis_mqtt_status_t *statuses, u_char *changed)
{
    ngx_uint_t            i;
    axis_mqtt_mailbox_t  *mb = &axis_mqtt_mailbox;

    pthread_mutex_lock(&mb->lock);

    for (i = 0; i < mb->ndevices; i++) {
        changed[i] = mb->status_set[i];

        if (changed[i]) {
            statuses[i] = mb->statuses[i];
            mb->status_set[i] = 0;
        }
    }

    pthread_mutex_unlock(&mb->lock);
}


/* the bridge thread's side */

void
axis_mqtt_mailbox_take(ngx_msec_t deadline, axis_mqtt_mail_t *mail)
{
    ngx_uint_t            i;
    struct timespec       ts;
    axis_mqtt_mailbox_t  *mb = &axis_mqtt_mailbox;

    pthread_mutex_lock(&mb->lock);

    while (!axis_mqtt_mailbox_has_mail(mb)) {

        if (deadline == 0) {
            pthread_cond_wait(&mb->cond, &mb->lock);
            continue;
        }

        if ((ngx_msec_int_t) (deadline - axis_mqtt_now()) <= 0) {
            break;
        }

        axis_mqtt_mailbox_deadline(deadline, &ts);
        (void) pthread_cond_timedwait(&mb->cond, &mb->lock, &ts);
    }

    mail->nevents = mb->nevents;
    ngx_memcpy(mail->events, mb->events,
               mb->nevents * sizeof(axis_mqtt_event_t));
    mb->nevents = 0;

    mail->dropped = mb->dropped;
    mb->dropped = 0;

    mail->nchanged = 0;

    for (i = 0; i < mb->ndevices; i++) {
        if (mb->next_set[i]) {
            mb->next_set[i] = 0;
            mail->changed[mail->nchanged++] = i;
        }
    }

    mail->stop = mb->stop && !mb->stop_taken;
    mb->stop_taken |= mb->stop;

    mail->outgoing = mb->outgoing;
    mail->outgoing_dropped = mb->outgoing_dropped;
    mb->outgoing = NULL;
    mb->outgoing_last = &mb->outgoing;
    mb->noutgoing = 0;
    mb->outgoing_dropped = 0;
    pthread_cond_broadcast(&mb->room);

    mail->incoming = mb->incoming;
    mail->incoming_dropped = mb->incoming_dropped;
    mb->incoming = NULL;
    mb->incoming_last = &mb->incoming;
    mb->nincoming = 0;
    mb->incoming_dropped = 0;

    mail->nrefusals = mb->nrefusals;
    ngx_memcpy(mail->refusals, mb->refusals,
               mb->nrefusals * sizeof(axis_mqtt_refusal_t));
    mb->nrefusals = 0;

    pthread_mutex_unlock(&mb->lock);
}


/* the latest: a state applied meanwhile is listed again by the next take */

void
axis_mqtt_mailbox_state(ngx_uint_t dev, axis_mqtt_state_t *state)
{
    axis_mqtt_mailbox_t  *mb = &axis_mqtt_mailbox;

    /* the bridge thread's: the bytes under the lock, unpacked after it */
    static axis_mqtt_packed_t  copy;

    pthread_mutex_lock(&mb->lock);
    axis_mqtt_packed_copy(&copy, mb->next[dev]);
    pthread_mutex_unlock(&mb->lock);

    /* only apply() packs it */
    (void) axis_mqtt_state_unpack(state, &copy);
}


/* under the lock */

static ngx_uint_t
axis_mqtt_mailbox_has_mail(axis_mqtt_mailbox_t *mb)
{
    ngx_uint_t  i;

    if (mb->nevents || (mb->stop && !mb->stop_taken) || mb->outgoing
        || mb->incoming || mb->nrefusals)
    {
        return 1;
    }

    for (i = 0; i < mb->ndevices; i++) {
        if (mb->next_set[i]) {
            return 1;
        }
    }

    return 0;
}


/* the realtime clock's time of a monotonic deadline, for the cond wait */

static void
axis_mqtt_mailbox_deadline(ngx_msec_t deadline, struct timespec *ts)
{
    ngx_msec_t  left;

    left = deadline - axis_mqtt_now();

    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += left / 1000;
    ts->tv_nsec += (left % 1000) * 1000000;

    if (ts->tv_nsec >= 1000000000) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000;
    }
}


void
axis_mqtt_mailbox_set_status(ngx_uint_t dev, ngx_uint_t connected,
    ngx_fd_t wake_fd)
{
    axis_mqtt_status_t   *st;
    axis_mqtt_mailbox_t  *mb = &axis_mqtt_mailbox;

    pthread_mutex_lock(&mb->lock);

    st = &mb->statuses[dev];
    st->connected = connected;

    if (connected) {
        st->cause[0] = '\0';
        st->cause_at = 0;
    }

    mb->status_set[dev] = 1;
    axis_mqtt_mailbox_wake(wake_fd);

    pthread_mutex_unlock(&mb->lock);
}


void
axis_mqtt_mailbox_set_cause(ngx_uint_t dev, const char *cause,
    ngx_fd_t wake_fd)
{
    struct timespec       ts;
    axis_mqtt_status_t   *st;
    axis_mqtt_mailbox_t  *mb = &axis_mqtt_mailbox;

    clock_gettime(CLOCK_REALTIME, &ts);

    pthread_mutex_lock(&mb->lock);

    st = &mb->statuses[dev];
    ngx_cpystrn((u_char *) st->cause, (u_char *) cause, sizeof(st->cause));

    /* cut short, a character may have been split: the answer is JSON */
    st->cause[axis_mqtt_utf8_prefix(st->cause)] = '\0';
    st->cause_at = (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
    mb->status_set[dev] = 1;
    axis_mqtt_mailbox_wake(wake_fd);

    pthread_mutex_unlock(&mb->lock);
}


void
axis_mqtt_mailbox_set_stopped(ngx_fd_t wake_fd)
{
    axis_mqtt_mailbox_t  *mb = &axis_mqtt_mailbox;

    pthread_mutex_lock(&mb->lock);

    mb->stopped = 1;
    axis_mqtt_mailbox_wake(wake_fd);

    pthread_mutex_unlock(&mb->lock);
}


/*
 * Under the lock: once "stopped" is seen, the event loop closes the FIFO,
 * and nothing writes to it after "stopped".
 */

static void
axis_mqtt_mailbox_wake(ngx_fd_t wake_fd)
{
    if (write(wake_fd, "!", 1) == -1) {
        /* EAGAIN: the full FIFO already holds a wake-up */
    }
}


void
axis_mqtt_mailbox_tls_error(ngx_uint_t dev, uint64_t generation, char *buf,
    size_t size)
{
    axis_mqtt_mailbox_t  *mb = &axis_mqtt_mailbox;

    pthread_mutex_lock(&mb->lock);

    buf[0] = '\0';

    if (mb->tls_error_generation[dev] == generation) {
        ngx_cpystrn((u_char *) buf, (u_char *) mb->tls_error[dev], size);
    }

    pthread_mutex_unlock(&mb->lock);
}


ngx_msec_t
axis_mqtt_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return (ngx_msec_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}


/* Paho's threads: post and signal, nothing more */

static void
axis_mqtt_mailbox_post(void *context, axis_mqtt_session_in_e type, int code,
    const char *message)
{
    axis_mqtt_event_t    *ev;
    axis_mqtt_mailbox_t  *mb = &axis_mqtt_mailbox;

    pthread_mutex_lock(&mb->lock);

    /*
     * Full: dropped, and counted.  The bridge thread empties it whenever
     * it wakes, and a client has at most a handful of operations out.
     */

    if (mb->nevents < mb->capacity) {
        ev = &mb->events[mb->nevents++];
        ev->type = type;
        ev->dev = (uintptr_t) context % AXIS_MQTT_DEVICES_MAX;
        ev->generation = (uintptr_t) context / AXIS_MQTT_DEVICES_MAX;
        ev->code = code;
        ev->message[0] = '\0';

        if (message != NULL) {
            ngx_cpystrn((u_char *) ev->message, (u_char *) message,
                        sizeof(ev->message));
        }

    } else {
        mb->dropped++;
    }

    pthread_cond_signal(&mb->cond);

    pthread_mutex_unlock(&mb->lock);
}


void
axis_mqtt_paho_on_connect(void *context, MQTTAsync_successData *data)
{
    axis_mqtt_mailbox_post(context, AXIS_MQTT_IN_CONNECTED, 0, NULL);
}


void
axis_mqtt_paho_on_connect_failure(void *context, MQTTAsync_failureData *data)
{
    axis_mqtt_mailbox_post(context, AXIS_MQTT_IN_CONNECT_FAILED,
                           data ? data->code : MQTTASYNC_FAILURE,
                           data ? data->message : NULL);
}


void
axis_mqtt_paho_on_connection_lost(void *context, char *cause)
{
    axis_mqtt_mailbox_post(context, AXIS_MQTT_IN_LOST, 0, NULL);
}


int
axis_mqtt_paho_on_message(void *context, char *topic, int topic_len,
    MQTTAsync_message *message)
{
    size_t                 tlen, plen;
    axis_mqtt_incoming_t  *m;
    axis_mqtt_mailbox_t   *mb = &axis_mqtt_mailbox;

    /* topic_len 0: NUL-terminated (MQTTAsync.h) */
    tlen = topic_len > 0 ? (size_t) topic_len : ngx_strlen(topic);
    plen = message->payloadlen > 0 ? (size_t) message->payloadlen : 0;

    m = malloc(sizeof(axis_mqtt_incoming_t) + tlen + plen + 1);

    if (m != NULL) {
        m->next = NULL;
        m->dev = (uintptr_t) context % AXIS_MQTT_DEVICES_MAX;
        m->generation = (uintptr_t) context / AXIS_MQTT_DEVICES_MAX;
        ngx_memcpy(m->topic, topic, tlen);
        m->topic[tlen] = '\0';
        m->payload = m->topic + tlen + 1;
        ngx_memcpy(m->payload, message->payload, plen);
        m->payload[plen] = '\0';
        m->len = plen;
    }

    MQTTAsync_freeMessage(&message);
    MQTTAsync_free(topic);

    pthread_mutex_lock(&mb->lock);

    /* never waited for: Paho's receive thread serves every client */
    if (m != NULL && mb->nincoming < AXIS_MQTT_MAILBOX_INCOMING_MAX
        && mb->incoming_last != NULL)
    {
        *mb->incoming_last = m;
        mb->incoming_last = &m->next;
        mb->nincoming++;
        pthread_cond_signal(&mb->cond);
        m = NULL;

    } else {
        mb->incoming_dropped++;
    }

    pthread_mutex_unlock(&mb->lock);

    free(m);

    /* taken: Paho frees nothing more of it */
    return 1;
}


void
axis_mqtt_paho_on_subscribe_failure(void *context,
    MQTTAsync_failureData *data)
{
    axis_mqtt_refusal_t  *r;
    axis_mqtt_mailbox_t  *mb = &axis_mqtt_mailbox;

    pthread_mutex_lock(&mb->lock);

    if (mb->nrefusals < mb->capacity) {
        r = &mb->refusals[mb->nrefusals++];
        r->dev = (uintptr_t) context % AXIS_MQTT_DEVICES_MAX;
        r->hash = (uintptr_t) context / AXIS_MQTT_DEVICES_MAX;
        r->code = data ? data->code : MQTTASYNC_FAILURE;

    } else {
        mb->dropped++;
    }

    pthread_cond_signal(&mb->cond);

    pthread_mutex_unlock(&mb->lock);
}


void
axis_mqtt_paho_on_farewell(void *context, MQTTAsync_successData *data)
{
    axis_mqtt_mailbox_post(context, AXIS_MQTT_IN_FAREWELL_DONE, 0, NULL);
}


void
axis_mqtt_paho_on_farewell_failure(void *context, MQTTAsync_failureData *data)
{
    axis_mqtt_mailbox_post(context, AXIS_MQTT_IN_FAREWELL_DONE,
                           data ? data->code : MQTTASYNC_FAILURE, NULL);
}


void
axis_mqtt_paho_on_disconnected(void *context, MQTTAsync_successData *data)
{
    axis_mqtt_mailbox_post(context, AXIS_MQTT_IN_DISCONNECTED, 0, NULL);
}


void
axis_mqtt_paho_on_disconnected_failure(void *context,
    MQTTAsync_failureData *data)
{
    axis_mqtt_mailbox_post(context, AXIS_MQTT_IN_DISCONNECTED,
                           data ? data->code : MQTTASYNC_FAILURE, NULL);
}


void
axis_mqtt_paho_on_alive(void *context, MQTTAsync_successData *data)
{
    axis_mqtt_mailbox_post(context, AXIS_MQTT_IN_ALIVE, 0, NULL);
}


/*
 * OpenSSL's error queue, line by line:
 * "<id>:error:<code>:<library>:<function>:<reason>:<file>:<line>:";
 * the first reason of an attempt is the cause.
 */

int
axis_mqtt_paho_on_tls_error(const char *str, size_t len, void *context)
{
    size_t                i, field, start;
    uint64_t              generation;
    ngx_uint_t            dev;
    axis_mqtt_mailbox_t  *mb = &axis_mqtt_mailbox;

    start = 0;
    field = 0;

    for (i = 0; i < len && field < 6; i++) {
        if (str[i] == ':' && ++field == 5) {
            start = i + 1;
        }
    }

    if (field < 6) {
        return 0;
    }

    dev = (uintptr_t) context % AXIS_MQTT_DEVICES_MAX;
    generation = (uintptr_t) context / AXIS_MQTT_DEVICES_MAX;

    pthread_mutex_lock(&mb->lock);

    if (dev < mb->ndevices && mb->tls_error_generation[dev] != generation) {
        mb->tls_error_generation[dev] = generation;
        len = ngx_min(i - 1 - start, AXIS_MQTT_CAUSE_LEN - 1);
        ngx_memcpy(mb->tls_error[dev], str + start, len);
        mb->tls_error[dev][len] = '\0';
    }

    pthread_mutex_unlock(&mb->lock);

    return 0;
}

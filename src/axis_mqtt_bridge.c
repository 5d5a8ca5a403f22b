
/*
 * The broker connections: the bridge thread, and the adapter between each
 * device's session (axis_mqtt_session.c decides what to do) and Paho
 * (which does it).  One thread serves every device: it takes what the
 * event loop and Paho's callbacks left in its mailbox
 * (axis_mqtt_mailbox.c), hands it to the devices' sessions as events, and
 * carries out the sessions' actions with Paho.
 *
 * Paho's calls can block: MQTTAsync_destroy() sleeps 100-225 ms when the
 * last client goes (it stops Paho's threads), and its send thread holds
 * Paho's mutex through a blocking DNS lookup.  So no Paho call is made in
 * the nginx event loop, and every Paho call of the process is made here.
 *
 * One Paho client per connection attempt: it is created for the
 * configuration it connects with and destroyed when that attempt ends,
 * which keeps clear of Paho's leaks on repeated connect calls and of its
 * disconnect-while-reconnecting bug.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include <pthread.h>

#include <MQTTAsync.h>
#include <jansson.h>

#include "axis_mqtt_bridge.h"
#include "axis_mqtt_camera.h"
#include "axis_mqtt_inbound.h"
#include "axis_mqtt_input.h"
#include "axis_mqtt_log.h"
#include "axis_mqtt_mailbox.h"
#include "axis_mqtt_message.h"
#include "axis_mqtt_paho.h"
#include "axis_mqtt_session.h"
#include "axis_mqtt_thread.h"


#define AXIS_MQTT_JOIN_WAIT        3
#define AXIS_MQTT_KICK_EVERY       1         /* ms, while a client connects */

/*
 * Paho finds a silent broker only 2 keep-alive intervals after its last
 * word.  When the session asks, the bridge asks the broker itself: an
 * UNSUBSCRIBE from a topic nobody subscribed, which changes nothing on
 * the broker and is answered at once.  The topic ends in a number of the
 * process's own (b->alive_topic), so that no filter of a user's is it.
 */
#define AXIS_MQTT_ALIVE_TOPIC      "axis-mqtt-gateway/alive/"


/*
 * A device: its session, the Paho client the session asked for, and its
 * MQTT subscriptions: "inbound" as saved (what messages are decided
 * by), "subscribed" what the broker holds for the device's client as far
 * as the bridge knows (NULL: nothing; kept over a loss of a session the
 * broker keeps, cleanSession false, to be unsubscribed from what was
 * removed meanwhile).  Either may be the other; a list goes when neither
 * holds it.
 */
typedef struct {
    ngx_uint_t                index;
    axis_mqtt_device_conf_t  *conf;
    axis_mqtt_session_t       session;
    MQTTAsync                 client;       /* NULL: none */
    ngx_uint_t                events_dropped;   /* the broker away */

    axis_mqtt_inbound_t      *inbound;
    axis_mqtt_inbound_t      *subscribed;
    axis_mqtt_causes_t        inbound_causes;   /* logged since saved */
} axis_mqtt_device_t;


/*
 * Nothing here is shared with Paho's threads: what they hand over goes
 * through the mailbox.
 */

typedef struct {
    /* the event loop's, set before the thread starts */
    axis_mqtt_shm_ctx_t      *shm;
    ngx_log_t                *log;
    ngx_fd_t                  wake_fd;
    pthread_t                 thread;
    ngx_uint_t                started;      /* the thread runs */
    ngx_uint_t                paho_ready;   /* MQTTAsync_global_init done */
    axis_mqtt_status_t       *statuses;     /* being published */
    u_char                   *changed;

    /* allocated once, with the mailbox; then the bridge thread's own */
    axis_mqtt_device_t       *devices;
    ngx_uint_t                ndevices;
    ngx_msec_t                kick_at;      /* 0: no client connecting */
    ngx_msec_t                kick_sent;    /* 0: its answer is back */
    char                      alive_topic[64];

    /*
     * What is being handed to Paho, for one device at a time: the state
     * unpacked (from the mailbox, or a session's running one), and what
     * is made of it.  Paho copies what it keeps (1.3.12: the server URI,
     * client identifier, user name, password, will, TLS options, proxies
     * and messages), so nothing of a device's lives here between calls.
     */
    axis_mqtt_state_t         state;
    axis_mqtt_paho_options_t  options;
    axis_mqtt_publication_t   message;
    axis_mqtt_mail_t          mail;
} axis_mqtt_bridge_t;


static ngx_int_t axis_mqtt_bridge_alloc(axis_mqtt_bridge_t *b);
static void *axis_mqtt_bridge_main(void *data);
static ngx_msec_t axis_mqtt_bridge_next_timer(axis_mqtt_bridge_t *b);
static ngx_uint_t axis_mqtt_bridge_done(axis_mqtt_bridge_t *b);
static void axis_mqtt_bridge_feed_all(axis_mqtt_bridge_t *b,
    axis_mqtt_session_in_e type);
static void axis_mqtt_bridge_event(axis_mqtt_bridge_t *b,
    axis_mqtt_device_t *d, axis_mqtt_event_t *ev);
static void axis_mqtt_bridge_feed(axis_mqtt_bridge_t *b,
    axis_mqtt_device_t *d, axis_mqtt_session_in_e type, uint64_t generation,
    const axis_mqtt_state_t *state, const char *text);
static void axis_mqtt_bridge_run(axis_mqtt_bridge_t *b,
    axis_mqtt_device_t *d, axis_mqtt_actions_t *out);
static void axis_mqtt_bridge_connect(axis_mqtt_bridge_t *b,
    axis_mqtt_device_t *d);
static void axis_mqtt_bridge_running(axis_mqtt_bridge_t *b,
    axis_mqtt_device_t *d);
static void axis_mqtt_bridge_send_events(axis_mqtt_bridge_t *b,
    axis_mqtt_mail_t *mail);
static void axis_mqtt_bridge_configured(axis_mqtt_bridge_t *b,
    axis_mqtt_device_t *d);
static void axis_mqtt_bridge_subscribe(axis_mqtt_bridge_t *b,
    axis_mqtt_device_t *d, axis_mqtt_inbound_t *next, ngx_uint_t all);
static ngx_uint_t axis_mqtt_bridge_kept(axis_mqtt_device_t *d);
static void axis_mqtt_bridge_forget(axis_mqtt_device_t *d);
static void axis_mqtt_bridge_let_go(axis_mqtt_device_t *d,
    axis_mqtt_inbound_t *in);
static void axis_mqtt_bridge_receive(axis_mqtt_bridge_t *b,
    axis_mqtt_mail_t *mail);
static void axis_mqtt_bridge_drive(axis_mqtt_bridge_t *b,
    axis_mqtt_device_t *d, axis_mqtt_incoming_t *m);
static void axis_mqtt_bridge_refused(axis_mqtt_bridge_t *b,
    axis_mqtt_refusal_t *r);
static void axis_mqtt_bridge_inbound_log(axis_mqtt_bridge_t *b,
    axis_mqtt_device_t *d, ngx_uint_t level, const char *fmt, ...);
static ngx_int_t axis_mqtt_bridge_publish(axis_mqtt_bridge_t *b,
    axis_mqtt_device_t *d, axis_mqtt_announcement_e which,
    MQTTAsync_responseOptions *resp);
static ngx_int_t axis_mqtt_bridge_disconnect(axis_mqtt_device_t *d);
static void axis_mqtt_bridge_ask(axis_mqtt_device_t *d);
static void axis_mqtt_bridge_kick(axis_mqtt_bridge_t *b);
static void axis_mqtt_bridge_destroy(axis_mqtt_device_t *d);
static void axis_mqtt_bridge_log(axis_mqtt_bridge_t *b,
    axis_mqtt_device_t *d, int level, const char *text);
static void axis_mqtt_bridge_release(axis_mqtt_bridge_t *b);
static void *axis_mqtt_bridge_context(axis_mqtt_device_t *d);


static axis_mqtt_bridge_t  axis_mqtt_bridge;


/* the event loop's side */

ngx_int_t
axis_mqtt_bridge_start(axis_mqtt_shm_ctx_t *shm, ngx_fd_t wake_fd,
    ngx_log_t *log)
{
    int                      err;
    axis_mqtt_bridge_t      *b = &axis_mqtt_bridge;
    MQTTAsync_init_options   init = MQTTAsync_init_options_initializer;

    b->shm = shm;
    b->wake_fd = wake_fd;
    b->log = log;
    b->ndevices = shm->rt->ndevices;

    if (axis_mqtt_mailbox_open(b->ndevices) != NGX_OK
        || axis_mqtt_bridge_alloc(b) != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "axis_mqtt: no memory for %ui devices' clients",
                      b->ndevices);
        return NGX_ERROR;
    }

    /*
     * jansson seeds its hash tables at the first object it makes, in
     * whichever thread that is (DRD saw the event loop read the seed the
     * bridge thread was writing): seeded here, before the thread exists.
     */
    json_object_seed(0);

    if (!b->paho_ready) {
        /* nginx has initialised OpenSSL already */
        init.do_openssl_init = 0;
        MQTTAsync_global_init(&init);
        b->paho_ready = 1;
    }

    /* the thread, and Paho's threads it starts, leave signals to nginx */
    err = axis_mqtt_thread_start(&b->thread, axis_mqtt_bridge_main, b);

    if (err != 0) {
        ngx_log_error(NGX_LOG_ALERT, log, err,
                      "axis_mqtt: pthread_create() failed");
        return NGX_ERROR;
    }

    b->started = 1;

    return NGX_OK;
}


/* once per process, as the mailbox: the thread's working memory */

static ngx_int_t
axis_mqtt_bridge_alloc(axis_mqtt_bridge_t *b)
{
    if (b->devices != NULL) {
        return NGX_OK;
    }

    b->devices = calloc(b->ndevices, sizeof(axis_mqtt_device_t));
    b->mail.events = calloc(axis_mqtt_mailbox_capacity(),
                            sizeof(axis_mqtt_event_t));
    b->mail.changed = calloc(b->ndevices, sizeof(ngx_uint_t));
    b->mail.refusals = calloc(axis_mqtt_mailbox_capacity(),
                              sizeof(axis_mqtt_refusal_t));
    b->statuses = calloc(b->ndevices, sizeof(axis_mqtt_status_t));
    b->changed = calloc(b->ndevices, 1);

    if (b->devices == NULL || b->mail.events == NULL
        || b->mail.refusals == NULL || b->mail.changed == NULL
        || b->statuses == NULL || b->changed == NULL)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


void
axis_mqtt_bridge_apply(ngx_uint_t dev, const axis_mqtt_state_t *state)
{
    axis_mqtt_bridge_t  *b = &axis_mqtt_bridge;

    if (b->started && axis_mqtt_mailbox_apply(dev, state) != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, b->log, 0,
                      "axis_mqtt: device %s: out of memory, the client "
                      "goes on with its configuration before",
                      b->shm->rt->devices[dev].serial);
    }
}


void
axis_mqtt_bridge_stop(void)
{
    if (axis_mqtt_bridge.started) {
        axis_mqtt_mailbox_stop();
    }
}


void
axis_mqtt_bridge_publish_status(void)
{
    ngx_uint_t           i;
    axis_mqtt_bridge_t  *b = &axis_mqtt_bridge;

    if (!b->started) {
        return;
    }

    axis_mqtt_mailbox_statuses(b->statuses, b->changed);

    for (i = 0; i < b->ndevices; i++) {
        if (b->changed[i]) {
            axis_mqtt_shm_set_status(b->shm, i, &b->statuses[i]);
        }
    }
}


ngx_int_t
axis_mqtt_bridge_stopped(void)
{
    if (!axis_mqtt_bridge.started) {
        return 1;
    }

    return axis_mqtt_mailbox_stopped();
}


void
axis_mqtt_bridge_join(void)
{
    axis_mqtt_bridge_t  *b = &axis_mqtt_bridge;

    if (!b->started) {
        return;
    }

    axis_mqtt_bridge_stop();

    /* a Paho call stuck in the network does not keep us */
    (void) axis_mqtt_thread_join(b->thread, AXIS_MQTT_JOIN_WAIT, b->log,
                                 "the MQTT client");

    b->started = 0;
}


/* the bridge thread */

static void *
axis_mqtt_bridge_main(void *data)
{
    axis_mqtt_bridge_t  *b = data;

    ngx_uint_t            i;
    axis_mqtt_mail_t     *mail;
    axis_mqtt_device_t   *d;
    axis_mqtt_inbound_t  *in;

    mail = &b->mail;

    snprintf(b->alive_topic, sizeof(b->alive_topic), "%s%08x%08x",
             AXIS_MQTT_ALIVE_TOPIC, (unsigned) ngx_random(),
             (unsigned) ngx_random());

    for (i = 0; i < b->ndevices; i++) {
        d = &b->devices[i];
        d->index = i;
        d->conf = &b->shm->rt->devices[i];
        d->client = NULL;
        d->events_dropped = 0;

        /* the jitter's seed: devices that lost one broker retry apart */
        axis_mqtt_session_init(&d->session,
                               ngx_crc32_short((u_char *) d->conf->serial,
                                               ngx_strlen(d->conf->serial)));
    }

    for ( ;; ) {
        axis_mqtt_mailbox_take(axis_mqtt_bridge_next_timer(b), mail);

        if (b->kick_at
            && (ngx_msec_int_t) (b->kick_at - axis_mqtt_now()) <= 0)
        {
            axis_mqtt_bridge_kick(b);
        }

        if (mail->dropped) {
            axis_mqtt_log(b->log, NGX_LOG_ALERT,
                          "axis_mqtt: %ui events of the MQTT clients lost",
                          mail->dropped);
        }

        for (i = 0; i < mail->nevents; i++) {
            d = &b->devices[mail->events[i].dev];
            axis_mqtt_bridge_event(b, d, &mail->events[i]);
        }

        /* a quitting owner's last states are kept, not acted on */

        if (mail->stop) {
            axis_mqtt_bridge_feed_all(b, AXIS_MQTT_IN_STOP);
        }

        for (i = 0; i < mail->nchanged; i++) {
            d = &b->devices[mail->changed[i]];
            axis_mqtt_mailbox_state(d->index, &b->state);
            axis_mqtt_bridge_configured(b, d);
            axis_mqtt_bridge_feed(b, d, AXIS_MQTT_IN_CONFIGURED, 0,
                                  &b->state, NULL);
        }

        for (i = 0; i < mail->nrefusals; i++) {
            axis_mqtt_bridge_refused(b, &mail->refusals[i]);
        }

        axis_mqtt_bridge_receive(b, mail);
        axis_mqtt_bridge_send_events(b, mail);

        /* a session acts only on a timer that is due */
        axis_mqtt_bridge_feed_all(b, AXIS_MQTT_IN_TIMER);

        if (axis_mqtt_bridge_done(b)) {
            for (i = 0; i < b->ndevices; i++) {
                d = &b->devices[i];
                axis_mqtt_session_free(&d->session);
                axis_mqtt_bridge_forget(d);
                in = d->inbound;
                d->inbound = NULL;
                axis_mqtt_bridge_let_go(d, in);
            }

            return NULL;
        }
    }
}


/* the earliest of the sessions' timers and the kick; 0: none */

static ngx_msec_t
axis_mqtt_bridge_next_timer(axis_mqtt_bridge_t *b)
{
    uint64_t    due, timer;
    ngx_uint_t  i;

    due = b->kick_at;

    for (i = 0; i < b->ndevices; i++) {
        timer = axis_mqtt_session_timer(&b->devices[i].session);

        if (timer != 0 && (due == 0 || timer < due)) {
            due = timer;
        }
    }

    return (ngx_msec_t) due;
}


/* the owner quits, and every device has let go of its client */

static ngx_uint_t
axis_mqtt_bridge_done(axis_mqtt_bridge_t *b)
{
    ngx_uint_t  i;

    for (i = 0; i < b->ndevices; i++) {
        if (!axis_mqtt_session_released(&b->devices[i].session)
            || b->devices[i].client != NULL)
        {
            return 0;
        }
    }

    return 1;
}


static void
axis_mqtt_bridge_feed_all(axis_mqtt_bridge_t *b, axis_mqtt_session_in_e type)
{
    ngx_uint_t  i;

    for (i = 0; i < b->ndevices; i++) {
        axis_mqtt_bridge_feed(b, &b->devices[i], type, 0, NULL, NULL);
    }
}


/* what Paho said, as the session's event; a failure explained first */

static void
axis_mqtt_bridge_event(axis_mqtt_bridge_t *b, axis_mqtt_device_t *d,
    axis_mqtt_event_t *ev)
{
    char  tls[AXIS_MQTT_CAUSE_LEN], cause[AXIS_MQTT_SESSION_TEXT_LEN];

    if (ev->type != AXIS_MQTT_IN_CONNECT_FAILED) {
        if (ev->type == AXIS_MQTT_IN_ALIVE) {
            b->kick_sent = 0;
        }

        axis_mqtt_bridge_feed(b, d, ev->type, ev->generation, NULL, NULL);
        return;
    }

    if (ev->generation != d->session.generation) {
        /* an old client's: the session drops it, no need to explain it */
        return;
    }

    axis_mqtt_mailbox_tls_error(d->index, ev->generation, tls, sizeof(tls));

    /* the options the client was made with, made again to retrace them */
    axis_mqtt_bridge_running(b, d);
    (void) axis_mqtt_paho_options(&b->options, &b->state.conf,
                                  d->conf->cert_dir, d->conf->serial,
                                  axis_mqtt_bridge_context(d), cause,
                                  sizeof(cause));
    axis_mqtt_paho_explain(&b->options, &b->state.conf, ev->code,
                           ev->message, tls, cause, sizeof(cause));

    axis_mqtt_bridge_feed(b, d, AXIS_MQTT_IN_CONNECT_FAILED, ev->generation,
                          NULL, cause);
}


/* one event for the session, about the client of that generation */

static void
axis_mqtt_bridge_feed(axis_mqtt_bridge_t *b, axis_mqtt_device_t *d,
    axis_mqtt_session_in_e type, uint64_t generation,
    const axis_mqtt_state_t *state, const char *text)
{
    axis_mqtt_session_in_t   in;
    axis_mqtt_actions_t  out;

    in.type = type;
    in.now = axis_mqtt_now();
    in.generation = generation;
    in.state = state;
    in.text = text;

    out.n = 0;

    axis_mqtt_session_handle(&d->session, &in, &out);
    axis_mqtt_bridge_run(b, d, &out);
}


/* the session's actions, in order; a call that fails at once is an event */

static void
axis_mqtt_bridge_run(axis_mqtt_bridge_t *b, axis_mqtt_device_t *d,
    axis_mqtt_actions_t *out)
{
    unsigned                     i;
    axis_mqtt_action_t  *a;
    MQTTAsync_responseOptions    resp = MQTTAsync_responseOptions_initializer;

    for (i = 0; i < out->n; i++) {
        a = &out->actions[i];

        switch (a->type) {

        case AXIS_MQTT_DO_CONNECT:
            axis_mqtt_bridge_connect(b, d);
            break;

        case AXIS_MQTT_DO_ANNOUNCE:
            (void) axis_mqtt_bridge_publish(b, d, AXIS_MQTT_CONNECT_MESSAGE,
                                            NULL);
            break;

        case AXIS_MQTT_DO_FAREWELL:
            resp.context = axis_mqtt_bridge_context(d);
            resp.onSuccess = axis_mqtt_paho_on_farewell;
            resp.onFailure = axis_mqtt_paho_on_farewell_failure;

            if (axis_mqtt_bridge_publish(b, d, AXIS_MQTT_DISCONNECT_MESSAGE,
                                         &resp)
                != NGX_OK)
            {
                axis_mqtt_bridge_feed(b, d, AXIS_MQTT_IN_FAREWELL_DONE,
                                      d->session.generation, NULL, NULL);
            }
            break;

        case AXIS_MQTT_DO_DISCONNECT:
            if (axis_mqtt_bridge_disconnect(d) != NGX_OK) {
                axis_mqtt_bridge_feed(b, d, AXIS_MQTT_IN_DISCONNECTED,
                                      d->session.generation, NULL, NULL);
            }
            break;

        case AXIS_MQTT_DO_DESTROY:
            axis_mqtt_bridge_destroy(d);
            break;

        case AXIS_MQTT_DO_ASK:
            axis_mqtt_bridge_ask(d);
            break;

        case AXIS_MQTT_DO_STATUS:
            axis_mqtt_mailbox_set_status(d->index, a->value, b->wake_fd);

            if (a->value) {
                /*
                 * A new connection: everything subscribed (the broker may
                 * have lost a session it was to keep), and what was
                 * removed meanwhile from a session it kept unsubscribed.
                 */
                if (!axis_mqtt_bridge_kept(d)) {
                    axis_mqtt_bridge_forget(d);
                }

                axis_mqtt_bridge_subscribe(b, d, d->inbound, 1);

                /* what the broker retained may be gone: the states again */
                axis_mqtt_camera_refresh(d->index);

            } else if (!axis_mqtt_bridge_kept(d)) {
                /* the connection is gone, and with it what it subscribed */
                axis_mqtt_bridge_forget(d);
            }
            break;

        case AXIS_MQTT_DO_LOG:
            axis_mqtt_bridge_log(b, d, a->value, a->text);

            /* a failure or a loss: why the device is not connected */
            if (a->value != AXIS_MQTT_LOG_INFO) {
                axis_mqtt_mailbox_set_cause(d->index, a->text, b->wake_fd);
            }
            break;

        case AXIS_MQTT_DO_RELEASE:
            axis_mqtt_bridge_release(b);
            break;
        }
    }
}


static void
axis_mqtt_bridge_connect(axis_mqtt_bridge_t *b, axis_mqtt_device_t *d)
{
    int                  rc;
    char                 cause[AXIS_MQTT_SESSION_TEXT_LEN];
    const char          *client_id, *uri;
    axis_mqtt_conf_t    *conf = &b->state.conf;

    axis_mqtt_bridge_destroy(d);
    axis_mqtt_bridge_running(b, d);
    uri = axis_mqtt_session_running_uri(&d->session);

    if (axis_mqtt_paho_options(&b->options, conf, d->conf->cert_dir,
                               d->conf->serial, axis_mqtt_bridge_context(d),
                               cause, sizeof(cause))
        != NGX_OK)
    {
        axis_mqtt_bridge_feed(b, d, AXIS_MQTT_IN_CONNECT_FAILED,
                              d->session.generation, NULL, cause);
        return;
    }

    /* an empty client identifier stands for the device's serial number */
    client_id = conf->client_id[0] ? conf->client_id : d->conf->serial;

    rc = MQTTAsync_createWithOptions(&d->client, uri, client_id,
                                     MQTTCLIENT_PERSISTENCE_NONE, NULL,
                                     &b->options.create);
    if (rc != MQTTASYNC_SUCCESS) {
        d->client = NULL;
        goto failed;
    }

    rc = MQTTAsync_setCallbacks(d->client, axis_mqtt_bridge_context(d),
                                axis_mqtt_paho_on_connection_lost,
                                axis_mqtt_paho_on_message, NULL);
    if (rc != MQTTASYNC_SUCCESS) {
        goto failed;
    }

    b->options.connect.onSuccess = axis_mqtt_paho_on_connect;
    b->options.connect.onFailure = axis_mqtt_paho_on_connect_failure;

    rc = MQTTAsync_connect(d->client, &b->options.connect);

    if (rc != MQTTASYNC_SUCCESS) {
        goto failed;
    }

    axis_mqtt_log(b->log, NGX_LOG_DEBUG,
                  "axis_mqtt: device %s: connecting to %s as \"%s\"",
                  d->conf->serial, uri, client_id);

    if (b->kick_at == 0) {
        b->kick_at = axis_mqtt_now();
    }

    return;

failed:

    axis_mqtt_bridge_feed(b, d, AXIS_MQTT_IN_CONNECT_FAILED,
                          d->session.generation, NULL,
                          MQTTAsync_strerror(rc));
}


/*
 * The cameras' events, each on its device's client when it is connected;
 * the others are dropped and counted, and said once the device is
 * connected again (events are news: late ones are not delivered).
 */

static void
axis_mqtt_bridge_send_events(axis_mqtt_bridge_t *b, axis_mqtt_mail_t *mail)
{
    int                    rc;
    axis_mqtt_device_t    *d;
    axis_mqtt_outgoing_t  *m, *next;
    MQTTAsync_message      msg = MQTTAsync_message_initializer;

    if (mail->outgoing_dropped) {
        axis_mqtt_log(b->log, NGX_LOG_WARN,
                      "axis_mqtt: %ui camera events dropped: too many "
                      "waiting for the MQTT clients", mail->outgoing_dropped);
    }

    for (m = mail->outgoing; m != NULL; m = next) {
        next = m->next;
        d = &b->devices[m->dev];

        if (d->client == NULL || !axis_mqtt_session_connected(&d->session)) {
            d->events_dropped++;
            free(m);
            continue;
        }

        if (d->events_dropped) {
            axis_mqtt_log(b->log, NGX_LOG_WARN,
                          "axis_mqtt: device %s: %ui camera events were "
                          "dropped while the broker was away",
                          d->conf->serial, d->events_dropped);
            d->events_dropped = 0;
        }

        msg.payload = m->payload;
        msg.payloadlen = (int) ngx_strlen(m->payload);
        msg.qos = m->qos;
        msg.retained = m->retain;

        /* Paho copies the topic and the payload */
        rc = MQTTAsync_sendMessage(d->client, m->topic, &msg, NULL);

        if (rc != MQTTASYNC_SUCCESS) {
            axis_mqtt_log(b->log, NGX_LOG_WARN,
                          "axis_mqtt: device %s: a camera event could not "
                          "be sent: %s", d->conf->serial,
                          MQTTAsync_strerror(rc));
        }

        free(m);
    }

    mail->outgoing = NULL;
}


/*
 * A new saved state (in b->state): its subscriptions, and the current
 * client's made to follow them at once, without reconnecting.
 */

static void
axis_mqtt_bridge_configured(axis_mqtt_bridge_t *b, axis_mqtt_device_t *d)
{
    axis_mqtt_inbound_t  *next, *before;

    next = axis_mqtt_inbound_make(&b->state);

    if (next == NULL) {
        axis_mqtt_log(b->log, NGX_LOG_ALERT,
                      "axis_mqtt: device %s: out of memory, the MQTT "
                      "subscriptions before are kept", d->conf->serial);
        return;
    }

    /* the causes logged are the list's: said again for another list */
    if (!axis_mqtt_inbound_same(d->inbound, next)) {
        d->inbound_causes.n = 0;
    }

    /* each holder lets go as soon as it holds another: once, then */
    before = d->inbound;
    d->inbound = next;
    axis_mqtt_bridge_let_go(d, before);

    /* a quitting owner's connections are going: left as they are */
    if (d->client != NULL && axis_mqtt_session_connected(&d->session)
        && !d->session.stopping)
    {
        axis_mqtt_bridge_subscribe(b, d, next, 0);
    }
}


/* the broker keeps the client's subscriptions over a loss (cleanSession
 * false in the configuration the client was made of) */

static ngx_uint_t
axis_mqtt_bridge_kept(axis_mqtt_device_t *d)
{
    return d->session.running != NULL && !d->session.running->clean_session;
}


/*
 * The connected client's subscriptions from d->subscribed to "next": what
 * is gone unsubscribed, and what is new or at another QoS subscribed
 * (all: every topic of "next" subscribed).
 */

static void
axis_mqtt_bridge_subscribe(axis_mqtt_bridge_t *b, axis_mqtt_device_t *d,
    axis_mqtt_inbound_t *next, ngx_uint_t all)
{
    int                         i, rc, nsub, nunsub;
    int                         sub[AXIS_MQTT_INBOUND_FILTERS_MAX];
    int                         unsub[AXIS_MQTT_INBOUND_FILTERS_MAX];
    int                         none[AXIS_MQTT_INBOUND_FILTERS_MAX];
    const char                 *topic;
    axis_mqtt_inbound_t        *before;
    MQTTAsync_responseOptions   resp;

    before = d->subscribed;

    axis_mqtt_inbound_diff(before, next, sub, &nsub, unsub, &nunsub);

    if (all) {
        axis_mqtt_inbound_diff(NULL, next, sub, &nsub, none, &i);
    }

    d->subscribed = next;

    for (i = 0; i < nunsub; i++) {
        topic = before->entries[unsub[i]].topic;

        /* not sent: the connection is going, and the topic with it */
        (void) MQTTAsync_unsubscribe(d->client, topic, NULL);
    }

    for (i = 0; i < nsub; i++) {
        topic = next->entries[sub[i]].topic;

        resp = (MQTTAsync_responseOptions)
                   MQTTAsync_responseOptions_initializer;
        resp.onFailure = axis_mqtt_paho_on_subscribe_failure;
        resp.context = axis_mqtt_subscribe_context(
                           d->index, axis_mqtt_inbound_hash(topic));

        rc = MQTTAsync_subscribe(d->client, topic,
                                 axis_mqtt_inbound_qos(next, sub[i]), &resp);

        if (rc != MQTTASYNC_SUCCESS) {
            axis_mqtt_bridge_inbound_log(b, d, NGX_LOG_WARN,
                                         "the subscription to \"%s\" "
                                         "could not be sent: %s", topic,
                                         MQTTAsync_strerror(rc));
        }
    }

    axis_mqtt_bridge_let_go(d, before);
}


/* the client is gone: nothing is subscribed */

static void
axis_mqtt_bridge_forget(axis_mqtt_device_t *d)
{
    axis_mqtt_inbound_t  *before;

    before = d->subscribed;
    d->subscribed = NULL;
    axis_mqtt_bridge_let_go(d, before);
}


/* "in" is no longer held where it was: it goes unless held elsewhere */

static void
axis_mqtt_bridge_let_go(axis_mqtt_device_t *d, axis_mqtt_inbound_t *in)
{
    if (in != d->inbound && in != d->subscribed) {
        free(in);
    }
}


/*
 * What the brokers delivered: each message to the filters of its
 * device's current client, and what they ask to the camera's virtual
 * inputs; a late message of a client gone is dropped.
 */

static void
axis_mqtt_bridge_receive(axis_mqtt_bridge_t *b, axis_mqtt_mail_t *mail)
{
    axis_mqtt_device_t    *d;
    axis_mqtt_incoming_t  *m, *next;

    if (mail->incoming_dropped) {
        axis_mqtt_log(b->log, NGX_LOG_WARN,
                      "axis_mqtt: %ui MQTT messages to the cameras dropped: "
                      "more than %d were waiting", mail->incoming_dropped,
                      AXIS_MQTT_MAILBOX_INCOMING_MAX);
    }

    for (m = mail->incoming; m != NULL; m = next) {
        next = m->next;
        d = &b->devices[m->dev];

        /* decided by the list as saved: a topic removed drives nothing */
        if (m->generation == d->session.generation && d->inbound != NULL
            && !d->session.stopping)
        {
            axis_mqtt_bridge_drive(b, d, m);
        }

        free(m);
    }

    mail->incoming = NULL;
}


static void
axis_mqtt_bridge_drive(axis_mqtt_bridge_t *b, axis_mqtt_device_t *d,
    axis_mqtt_incoming_t *m)
{
    int                   i, n;
    axis_mqtt_drive_t     out[AXIS_MQTT_INBOUND_FILTERS_MAX];
    axis_mqtt_inbound_t  *in = d->inbound;

    n = axis_mqtt_inbound_decide(in, m->topic, m->payload, m->len, out);

    /* nothing decided on one of the device's own topics: the loop guard */
    if (n == 0 && axis_mqtt_inbound_own(in, m->topic)) {
        for (i = 0; i < in->n; i++) {
            if (axis_mqtt_inbound_match(in->entries[i].topic, m->topic)) {
                axis_mqtt_bridge_inbound_log(b, d, NGX_LOG_WARN,
                    "mqttFilterList[%d] (\"%s\") matches the device's own "
                    "topics: their messages are not applied, they would "
                    "loop back", i, in->entries[i].topic);
            }
        }

        return;
    }

    for (i = 0; i < n; i++) {

        if (out[i].drive == AXIS_MQTT_DRIVE_NONE) {
            axis_mqtt_bridge_inbound_log(b, d, NGX_LOG_WARN,
                "a message to mqttFilterList[%d] (\"%s\") is ignored: %s",
                out[i].filter, in->entries[out[i].filter].topic,
                out[i].cause);
            continue;
        }

        if (d->conf->camera == NULL) {
            axis_mqtt_bridge_inbound_log(b, d, NGX_LOG_WARN,
                "mqttFilterList[%d] drives virtual input %d, but the device "
                "has no axis_mqtt_camera", out[i].filter,
                out[i].virtual_input);
            continue;
        }

        (void) axis_mqtt_input_post(d->index, out[i].virtual_input,
                                    out[i].drive);
    }
}


/* the broker refused a subscription of a topic still in the list */

static void
axis_mqtt_bridge_refused(axis_mqtt_bridge_t *b, axis_mqtt_refusal_t *r)
{
    int                  i;
    axis_mqtt_device_t  *d;

    d = &b->devices[r->dev];
    i = axis_mqtt_inbound_find_hash(d->inbound, r->hash);

    if (i < 0) {
        /* of a topic removed since */
        return;
    }

    axis_mqtt_bridge_inbound_log(b, d, NGX_LOG_ERR,
                                 "the broker refused the subscription to "
                                 "\"%s\" (%s)", d->inbound->entries[i].topic,
                                 r->code == MQTT_BAD_SUBSCRIBE
                                 ? "not allowed" : MQTTAsync_strerror(r->code));
}


/* once per device and cause until other subscriptions are saved */

static void
axis_mqtt_bridge_inbound_log(axis_mqtt_bridge_t *b, axis_mqtt_device_t *d,
    ngx_uint_t level, const char *fmt, ...)
{
    char     text[AXIS_MQTT_ACTION_TEXT_LEN];
    va_list  args;

    va_start(args, fmt);
    vsnprintf(text, sizeof(text), fmt, args);
    va_end(args);

    if (axis_mqtt_causes_new(&d->inbound_causes, text)) {
        axis_mqtt_log(b->log, level, "axis_mqtt: device %s: %s",
                      d->conf->serial, text);
    }
}


/* the configuration the device's client is made of, into b->state */

static void
axis_mqtt_bridge_running(axis_mqtt_bridge_t *b, axis_mqtt_device_t *d)
{
    /* the session packed it itself */
    (void) axis_mqtt_state_unpack(&b->state,
                                  axis_mqtt_session_running(&d->session));
}


static ngx_int_t
axis_mqtt_bridge_publish(axis_mqtt_bridge_t *b, axis_mqtt_device_t *d,
    axis_mqtt_announcement_e which, MQTTAsync_responseOptions *resp)
{
    int                rc;
    MQTTAsync_message  msg = MQTTAsync_message_initializer;

    axis_mqtt_bridge_running(b, d);

    if (axis_mqtt_message_build(&b->message, &b->state.conf, which,
                                d->conf->serial, time(NULL))
        != 1)
    {
        return NGX_ERROR;
    }

    msg.payload = b->message.payload;
    msg.payloadlen = ngx_strlen(b->message.payload);
    msg.qos = b->message.qos;
    msg.retained = b->message.retain;

    rc = MQTTAsync_sendMessage(d->client, b->message.topic, &msg, resp);

    if (rc != MQTTASYNC_SUCCESS) {
        axis_mqtt_log(b->log, NGX_LOG_WARN,
                      "axis_mqtt: device %s: the %s message could not be "
                      "sent: %s", d->conf->serial,
                      which == AXIS_MQTT_CONNECT_MESSAGE ? "connect"
                                                         : "disconnect",
                      MQTTAsync_strerror(rc));
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* a clean DISCONNECT: destroying a connected client would send one too */

static ngx_int_t
axis_mqtt_bridge_disconnect(axis_mqtt_device_t *d)
{
    MQTTAsync_disconnectOptions  opts = MQTTAsync_disconnectOptions_initializer;

    opts.timeout = AXIS_MQTT_GUARD_WAIT / 2;
    opts.context = axis_mqtt_bridge_context(d);
    opts.onSuccess = axis_mqtt_paho_on_disconnected;
    opts.onFailure = axis_mqtt_paho_on_disconnected_failure;

    return MQTTAsync_disconnect(d->client, &opts) == MQTTASYNC_SUCCESS
           ? NGX_OK : NGX_ERROR;
}


static void
axis_mqtt_bridge_ask(axis_mqtt_device_t *d)
{
    MQTTAsync_responseOptions  resp = MQTTAsync_responseOptions_initializer;

    resp.context = axis_mqtt_bridge_context(d);
    resp.onSuccess = axis_mqtt_paho_on_alive;

    /* not sent: the session's deadline finds the connection gone */
    (void) MQTTAsync_unsubscribe(d->client, axis_mqtt_bridge.alive_topic,
                                 &resp);
}


/*
 * Paho's receive thread, when it runs for other clients, waits in a poll
 * of up to 1 s (and then sleeps 100 ms) on the sockets it had: a new
 * client's socket joins only at its next turn, so a connect took about
 * 1-2 s while another device was connected (bench/creep.sh).  An answer
 * on a connected client ends the wait: while a client connects, every
 * AXIS_MQTT_KICK_EVERY ms a connected device asks its liveness question,
 * answered at once (and counted for it as any other answer).
 */

static void
axis_mqtt_bridge_kick(axis_mqtt_bridge_t *b)
{
    ngx_uint_t           i;
    axis_mqtt_device_t  *d, *connected;

    connected = NULL;

    for (i = 0; i < b->ndevices; i++) {
        d = &b->devices[i];

        if (d->session.phase == AXIS_MQTT_SESSION_CONNECTING) {
            b->kick_at = axis_mqtt_now() + AXIS_MQTT_KICK_EVERY;

        } else if (d->session.phase == AXIS_MQTT_SESSION_CONNECTED
                   && d->client != NULL && connected == NULL)
        {
            connected = d;
        }
    }

    if (connected == NULL
        || (ngx_msec_int_t) (b->kick_at - axis_mqtt_now()) <= 0)
    {
        /* nobody to ask, or nobody connecting */
        b->kick_at = 0;
        return;
    }

    /* one question out at a time (or a lost one given up after 100 ms) */
    if (b->kick_sent != 0
        && (ngx_msec_int_t) (axis_mqtt_now() - b->kick_sent) < 100)
    {
        return;
    }

    b->kick_sent = axis_mqtt_now();
    axis_mqtt_bridge_ask(connected);
}


static void
axis_mqtt_bridge_destroy(axis_mqtt_device_t *d)
{
    if (d->client != NULL) {
        MQTTAsync_destroy(&d->client);
        d->client = NULL;
    }
}


/* once every device has let go: the owner may release the lock */

static void
axis_mqtt_bridge_release(axis_mqtt_bridge_t *b)
{
    ngx_uint_t  i;

    for (i = 0; i < b->ndevices; i++) {
        if (!axis_mqtt_session_released(&b->devices[i].session)) {
            return;
        }
    }

    axis_mqtt_mailbox_set_stopped(b->wake_fd);
}


static void
axis_mqtt_bridge_log(axis_mqtt_bridge_t *b, axis_mqtt_device_t *d, int level,
    const char *text)
{
    static const ngx_uint_t  levels[] = {
        NGX_LOG_ERR, NGX_LOG_WARN, NGX_LOG_INFO
    };

    axis_mqtt_log(b->log, levels[level], "axis_mqtt: device %s: %s",
                  d->conf->serial, text);
}


/* what Paho's callbacks are given: the client's generation, no pointer */

static void *
axis_mqtt_bridge_context(axis_mqtt_device_t *d)
{
    return axis_mqtt_context(d->index, d->session.generation);
}

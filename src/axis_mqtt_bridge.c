
/*
 * The broker connection, on a thread of its own.
 *
 * Paho's calls can block: MQTTAsync_destroy() sleeps 100-225 ms when the
 * last client goes (it stops Paho's threads), and its send thread holds
 * Paho's mutex through a blocking DNS lookup.  So no Paho call is made in
 * the nginx event loop: the bridge thread owns the client and its state
 * machine, the event loop hands it the saved state, and Paho's callbacks
 * post their events to its mailbox (axis_mqtt_mailbox.c, which says
 * what a callback may touch: the mailbox and nothing else).
 *
 * One Paho client per connection attempt: it is created for the
 * configuration it connects with and destroyed when that attempt ends,
 * which keeps clear of Paho's leaks on repeated connect calls and of its
 * disconnect-while-reconnecting bug.  Retries are timed here (Paho's own
 * retry runs on a coarse 3 s tick).
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>

#include <MQTTAsync.h>

#include "axis_mqtt_bridge.h"
#include "axis_mqtt_mailbox.h"
#include "axis_mqtt_message.h"
#include "axis_mqtt_probe.h"


/*
 * Retries: the first after 500 ms, then one a second through the first
 * minute of an outage (a broker that restarts is back within it), then
 * doubling up to 10 s.
 */
#define AXIS_MQTT_RETRY_FIRST      500
#define AXIS_MQTT_RETRY_STEADY     1000
#define AXIS_MQTT_RETRY_STEADY_FOR 60000
#define AXIS_MQTT_RETRY_MAX        10000
#define AXIS_MQTT_GUARD_WAIT       3000
#define AXIS_MQTT_JOIN_WAIT        3
#define AXIS_MQTT_CAUSES           8
#define AXIS_MQTT_PROBE_WAIT       3000

/*
 * Paho finds a silent broker only 2 keep-alive intervals after its last
 * word.  Every half interval the bridge asks the broker itself: an
 * UNSUBSCRIBE from a topic nobody subscribed, which changes nothing on
 * the broker and is answered at once; unanswered within half an interval,
 * the broker is gone.  Detection: within one interval, Paho's PINGREQs
 * are not needed.
 */
#define AXIS_MQTT_ALIVE_TOPIC      "axis-mqtt-gateway/alive"


typedef enum {
    AXIS_MQTT_IDLE = 0,          /* no client */
    AXIS_MQTT_CONNECTING,
    AXIS_MQTT_CONNECTED,
    AXIS_MQTT_RETRY_WAIT,        /* no client, a retry is due */
    AXIS_MQTT_FAREWELL,          /* publishing the disconnect message */
    AXIS_MQTT_STOPPING           /* DISCONNECT on its way */
} axis_mqtt_phase_e;


/*
 * Nothing here is shared with Paho's threads: what they hand over goes
 * through the mailbox.
 */

typedef struct {
    /* the event loop's, set before the thread starts */
    axis_mqtt_shm_ctx_t     *shm;
    ngx_log_t               *log;
    ngx_fd_t                 wake_fd;
    pthread_t                thread;
    ngx_uint_t               started;       /* the thread runs */
    ngx_uint_t               paho_ready;    /* MQTTAsync_global_init done */

    /* the bridge thread's own */
    MQTTAsync                client;
    ngx_uint_t               generation;    /* of the client; tags events */
    axis_mqtt_phase_e        phase;
    ngx_uint_t               stopping;
    axis_mqtt_state_t        desired;       /* as saved */
    axis_mqtt_conf_t         running;       /* what the client was made of */

    ngx_msec_t               backoff;       /* 0: not failing */
    ngx_msec_t               failing_since;
    ngx_msec_t               retry_at;      /* 0: none */
    ngx_msec_t               guard_at;
    ngx_msec_t               ask_at;        /* the next liveness question */
    ngx_msec_t               answer_by;     /* ... its deadline */

    /* the causes logged since the last connection, as CRC32 */
    uint32_t                 causes[AXIS_MQTT_CAUSES];
    ngx_uint_t               ncauses;

    /* what the connect options point to, alive as long as the client */
    char                     uri[AXIS_MQTT_HOST_LEN
                                 + AXIS_MQTT_STRING_LEN + 32];
    char                     proxy[AXIS_MQTT_NAME_LEN + 16];
    char                     trust_store[NGX_MAX_PATH];
    char                     key_store[NGX_MAX_PATH];
    char                     private_key[NGX_MAX_PATH];
    unsigned char            alpn[AXIS_MQTT_NAME_LEN + 2];
    axis_mqtt_publication_t  will;
    axis_mqtt_publication_t  farewell;
    axis_mqtt_publication_t  announcement;
} axis_mqtt_bridge_t;


static void axis_mqtt_bridge_pin(void);
static void *axis_mqtt_bridge_main(void *data);
static ngx_msec_t axis_mqtt_bridge_next_deadline(axis_mqtt_bridge_t *b);
static void axis_mqtt_bridge_event(axis_mqtt_bridge_t *b,
    axis_mqtt_event_t *ev);
static void axis_mqtt_bridge_act(axis_mqtt_bridge_t *b);
static void axis_mqtt_bridge_connect(axis_mqtt_bridge_t *b);
static void axis_mqtt_bridge_announce(axis_mqtt_bridge_t *b);
static ngx_int_t axis_mqtt_bridge_options(axis_mqtt_bridge_t *b,
    MQTTAsync_connectOptions *opts, MQTTAsync_SSLOptions *ssl,
    MQTTAsync_willOptions *will);
static ngx_int_t axis_mqtt_bridge_readable(axis_mqtt_bridge_t *b,
    const char *path, const char *what);
static void axis_mqtt_bridge_farewell(axis_mqtt_bridge_t *b);
static void axis_mqtt_bridge_leave(axis_mqtt_bridge_t *b);
static void axis_mqtt_bridge_left(axis_mqtt_bridge_t *b);
static void axis_mqtt_bridge_teardown(axis_mqtt_bridge_t *b);
static void axis_mqtt_bridge_explain(axis_mqtt_bridge_t *b,
    axis_mqtt_event_t *ev, char *cause, size_t size);
static void axis_mqtt_bridge_failed(axis_mqtt_bridge_t *b,
    const char *cause);
static void axis_mqtt_bridge_schedule_retry(axis_mqtt_bridge_t *b);
static void axis_mqtt_bridge_timers(axis_mqtt_bridge_t *b);
static void axis_mqtt_bridge_ask(axis_mqtt_bridge_t *b);
static void axis_mqtt_bridge_lost(axis_mqtt_bridge_t *b);
static ngx_msec_t axis_mqtt_bridge_half_interval(axis_mqtt_bridge_t *b);


static axis_mqtt_bridge_t  axis_mqtt_bridge;


static const char  *axis_mqtt_connack_causes[] = {
    "accepted",
    "the broker refused the protocol version",
    "the broker rejected the client identifier",
    "the broker is unavailable",
    "the broker refused the user name or password",
    "the broker refused: not authorized"
};


/* the event loop's side */

ngx_int_t
axis_mqtt_bridge_start(axis_mqtt_shm_ctx_t *shm, ngx_fd_t wake_fd,
    ngx_log_t *log, const axis_mqtt_state_t *state)
{
    int                      err;
    sigset_t                 all, saved;
    axis_mqtt_bridge_t      *b = &axis_mqtt_bridge;
    MQTTAsync_init_options   init = MQTTAsync_init_options_initializer;

    b->shm = shm;
    b->wake_fd = wake_fd;
    b->log = log;

    axis_mqtt_mailbox_open(state);

    if (!b->paho_ready) {
        /* nginx has initialised OpenSSL already */
        init.do_openssl_init = 0;
        MQTTAsync_global_init(&init);
        b->paho_ready = 1;
    }

    /* the thread, and Paho's threads it starts, leave signals to nginx */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &saved);

    err = pthread_create(&b->thread, NULL, axis_mqtt_bridge_main, b);

    pthread_sigmask(SIG_SETMASK, &saved, NULL);

    if (err != 0) {
        ngx_log_error(NGX_LOG_ALERT, log, err,
                      "axis_mqtt: pthread_create() failed");
        return NGX_ERROR;
    }

    b->started = 1;

    return NGX_OK;
}


void
axis_mqtt_bridge_apply(const axis_mqtt_state_t *state)
{
    if (axis_mqtt_bridge.started) {
        axis_mqtt_mailbox_apply(state);
    }
}


void
axis_mqtt_bridge_stop(void)
{
    if (axis_mqtt_bridge.started) {
        axis_mqtt_mailbox_stop();
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
    int                  err;
    struct timespec      deadline;
    axis_mqtt_bridge_t  *b = &axis_mqtt_bridge;

    if (!b->started) {
        return;
    }

    axis_mqtt_bridge_stop();

    /* bounded: a Paho call stuck in the network does not keep us */
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += AXIS_MQTT_JOIN_WAIT;

    err = pthread_timedjoin_np(b->thread, NULL, &deadline);

    if (err != 0) {
        ngx_log_error(NGX_LOG_WARN, b->log, err,
                      "axis_mqtt: the MQTT client did not stop in %d s",
                      AXIS_MQTT_JOIN_WAIT);

        /*
         * Its threads run on while the process exits: the module's code
         * and Paho's must not be unloaded under them.
         */
        axis_mqtt_bridge_pin();
    }

    b->started = 0;
}


static void
axis_mqtt_bridge_pin(void)
{
    Dl_info  info;

    if (dladdr((void *) axis_mqtt_bridge_pin, &info) != 0
        && info.dli_fname != NULL)
    {
        (void) dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
    }
}


/* the bridge thread */

static void *
axis_mqtt_bridge_main(void *data)
{
    axis_mqtt_bridge_t  *b = data;

    ngx_uint_t        i;
    axis_mqtt_mail_t  mail;

    b->client = NULL;
    b->phase = AXIS_MQTT_IDLE;
    b->stopping = 0;
    b->retry_at = 0;
    b->guard_at = 0;
    b->backoff = 0;
    b->ncauses = 0;

    for ( ;; ) {
        axis_mqtt_mailbox_take(axis_mqtt_bridge_next_deadline(b), &mail,
                               &b->desired);

        for (i = 0; i < mail.nevents; i++) {
            if (mail.events[i].generation == b->generation) {
                axis_mqtt_bridge_event(b, &mail.events[i]);
            }
        }

        if (mail.stop && !b->stopping) {
            b->stopping = 1;
            b->desired.active = 0;

            if (b->client != NULL) {
                ngx_log_error(NGX_LOG_INFO, b->log, 0,
                              "axis_mqtt: disconnecting from %s", b->uri);
            }

            if (b->phase == AXIS_MQTT_CONNECTED) {
                axis_mqtt_bridge_leave(b);

            } else if (b->phase != AXIS_MQTT_FAREWELL
                       && b->phase != AXIS_MQTT_STOPPING)
            {
                axis_mqtt_bridge_left(b);
            }

        } else if (mail.have_next && !b->stopping) {
            axis_mqtt_bridge_act(b);
        }

        axis_mqtt_bridge_timers(b);

        if (b->stopping && b->phase == AXIS_MQTT_IDLE) {
            return NULL;
        }
    }
}


/* the earliest of the bridge's deadlines; 0: none */

static ngx_msec_t
axis_mqtt_bridge_next_deadline(axis_mqtt_bridge_t *b)
{
    ngx_uint_t  i;
    ngx_msec_t  due, deadlines[4];

    deadlines[0] = b->retry_at;
    deadlines[1] = b->guard_at;
    deadlines[2] = b->ask_at;
    deadlines[3] = b->answer_by;

    due = 0;

    for (i = 0; i < 4; i++) {
        if (deadlines[i] && (due == 0 || deadlines[i] < due)) {
            due = deadlines[i];
        }
    }

    return due;
}


static void
axis_mqtt_bridge_event(axis_mqtt_bridge_t *b, axis_mqtt_event_t *ev)
{
    char  cause[AXIS_MQTT_CAUSE_LEN];

    switch (ev->type) {

    case AXIS_MQTT_EV_CONNECTED:
        b->phase = AXIS_MQTT_CONNECTED;
        b->backoff = 0;
        b->ncauses = 0;
        b->ask_at = axis_mqtt_bridge_half_interval(b);
        axis_mqtt_shm_set_connected(b->shm, 1);

        ngx_log_error(NGX_LOG_INFO, b->log, 0,
                      "axis_mqtt: connected to %s", b->uri);

        axis_mqtt_bridge_announce(b);

        /* saved meanwhile: inactive, or another configuration */
        axis_mqtt_bridge_act(b);
        break;

    case AXIS_MQTT_EV_CONNECT_FAILED:
        axis_mqtt_bridge_explain(b, ev, cause, sizeof(cause));
        axis_mqtt_bridge_failed(b, cause);
        break;

    case AXIS_MQTT_EV_LOST:
        ngx_log_error(NGX_LOG_WARN, b->log, 0,
                      "axis_mqtt: connection to %s lost", b->uri);

        axis_mqtt_bridge_lost(b);
        break;

    case AXIS_MQTT_EV_ALIVE:
        if (b->phase == AXIS_MQTT_CONNECTED) {
            b->answer_by = 0;
            b->ask_at = axis_mqtt_bridge_half_interval(b);
        }
        break;

    case AXIS_MQTT_EV_FAREWELL_DONE:
        axis_mqtt_bridge_leave(b);
        break;

    case AXIS_MQTT_EV_STOPPED:
        axis_mqtt_bridge_left(b);
        break;
    }
}


/* the desired state changed: bring the connection in line with it */

static void
axis_mqtt_bridge_act(axis_mqtt_bridge_t *b)
{
    switch (b->phase) {

    case AXIS_MQTT_FAREWELL:
    case AXIS_MQTT_STOPPING:
        /* acted on when the connection is left */
        return;

    case AXIS_MQTT_IDLE:
        if (b->desired.active) {
            b->backoff = 0;
            b->ncauses = 0;
            axis_mqtt_bridge_connect(b);
        }
        return;

    case AXIS_MQTT_RETRY_WAIT:
        axis_mqtt_bridge_teardown(b);

        if (!b->desired.active) {
            ngx_log_error(NGX_LOG_INFO, b->log, 0,
                          "axis_mqtt: client deactivated");
            return;
        }

        /* a new command is a reason to try again now */
        b->backoff = 0;
        b->ncauses = 0;
        axis_mqtt_bridge_connect(b);
        return;

    case AXIS_MQTT_CONNECTING:
    case AXIS_MQTT_CONNECTED:
        if (!b->desired.active) {
            axis_mqtt_bridge_farewell(b);
            return;
        }

        if (ngx_memcmp(&b->running, &b->desired.conf,
                       sizeof(axis_mqtt_conf_t))
            == 0)
        {
            return;
        }

        ngx_log_error(NGX_LOG_INFO, b->log, 0,
                      "axis_mqtt: configuration changed, reconnecting");

        b->backoff = 0;
        b->ncauses = 0;

        /* the new client connects once the old one has left */
        axis_mqtt_bridge_leave(b);
        return;
    }
}


static void
axis_mqtt_bridge_connect(axis_mqtt_bridge_t *b)
{
    int                       rc;
    char                     *client_id;
    MQTTAsync_SSLOptions      ssl = MQTTAsync_SSLOptions_initializer;
    MQTTAsync_willOptions     will = MQTTAsync_willOptions_initializer;
    MQTTAsync_createOptions   create = MQTTAsync_createOptions_initializer;
    MQTTAsync_connectOptions  opts = MQTTAsync_connectOptions_initializer;

    b->running = b->desired.conf;
    b->generation++;

    if (axis_mqtt_bridge_options(b, &opts, &ssl, &will) != NGX_OK) {
        return;
    }

    /* an empty client identifier stands for the device's serial number */
    client_id = b->running.client_id[0] ? b->running.client_id
                                        : b->shm->serial;

    /* 3.1.1 only: the default also retries 3.1, hiding the CONNACK code */
    create.MQTTVersion = MQTTVERSION_3_1_1;

    rc = MQTTAsync_createWithOptions(&b->client, b->uri, client_id,
                                     MQTTCLIENT_PERSISTENCE_NONE, NULL,
                                     &create);
    if (rc != MQTTASYNC_SUCCESS) {
        b->client = NULL;
        axis_mqtt_bridge_failed(b, MQTTAsync_strerror(rc));
        return;
    }

    rc = MQTTAsync_setCallbacks(b->client,
                                (void *) (uintptr_t) b->generation,
                                axis_mqtt_paho_on_connection_lost,
                                axis_mqtt_paho_on_message, NULL);
    if (rc != MQTTASYNC_SUCCESS) {
        axis_mqtt_bridge_failed(b, MQTTAsync_strerror(rc));
        return;
    }

    opts.context = (void *) (uintptr_t) b->generation;
    opts.onSuccess = axis_mqtt_paho_on_connect;
    opts.onFailure = axis_mqtt_paho_on_connect_failure;

    rc = MQTTAsync_connect(b->client, &opts);

    if (rc != MQTTASYNC_SUCCESS) {
        axis_mqtt_bridge_failed(b, MQTTAsync_strerror(rc));
        return;
    }

    b->phase = AXIS_MQTT_CONNECTING;

    ngx_log_debug2(NGX_LOG_DEBUG_CORE, b->log, 0,
                   "axis_mqtt: connecting to %s as \"%s\"", b->uri,
                   client_id);
}


/*
 * The connect message, before anything else is sent on the connection;
 * the first thing the bridge does once the broker has accepted it.
 */

static void
axis_mqtt_bridge_announce(axis_mqtt_bridge_t *b)
{
    int                rc;
    MQTTAsync_message  msg = MQTTAsync_message_initializer;

    if (axis_mqtt_message_build(&b->announcement, &b->running,
                                AXIS_MQTT_CONNECT_MESSAGE, b->shm->serial,
                                time(NULL)) != 1)
    {
        return;
    }

    msg.payload = b->announcement.payload;
    msg.payloadlen = ngx_strlen(b->announcement.payload);
    msg.qos = b->announcement.qos;
    msg.retained = b->announcement.retain;

    rc = MQTTAsync_sendMessage(b->client, b->announcement.topic, &msg, NULL);

    if (rc != MQTTASYNC_SUCCESS) {
        ngx_log_error(NGX_LOG_WARN, b->log, 0,
                      "axis_mqtt: the connect message could not be sent: %s",
                      MQTTAsync_strerror(rc));
    }
}


static ngx_int_t
axis_mqtt_bridge_options(axis_mqtt_bridge_t *b,
    MQTTAsync_connectOptions *opts, MQTTAsync_SSLOptions *ssl,
    MQTTAsync_willOptions *will)
{
    int                secure, websocket;
    size_t             len;
    const char        *host_open, *host_close, *proxy;
    axis_mqtt_conf_t  *conf = &b->running;

    secure = conf->protocol == AXIS_MQTT_SSL
             || conf->protocol == AXIS_MQTT_WSS;
    websocket = conf->protocol == AXIS_MQTT_WS
                || conf->protocol == AXIS_MQTT_WSS;

    /* an IPv6 address goes in brackets */
    host_open = strchr(conf->host, ':') && conf->host[0] != '[' ? "[" : "";
    host_close = host_open[0] ? "]" : "";

    /* no path: Paho asks for the customary /mqtt */
    ngx_snprintf((u_char *) b->uri, sizeof(b->uri) - 1, "%s://%s%s%s:%d%s%s%Z",
                 axis_mqtt_protocol_name(conf->protocol),
                 host_open, conf->host, host_close, conf->port,
                 websocket && conf->basepath[0] != '\0'
                 && conf->basepath[0] != '/' ? "/" : "",
                 websocket ? conf->basepath : "");

    opts->keepAliveInterval = conf->keep_alive_interval;
    opts->cleansession = conf->clean_session;
    opts->connectTimeout = ngx_max(conf->connect_timeout, 1);
    opts->MQTTVersion = MQTTVERSION_3_1_1;
    opts->automaticReconnect = 0;
    /* MQTT 3.1.1 allows no password without a user name */
    if (conf->username[0] != '\0') {
        opts->username = conf->username;
        opts->password = conf->password[0] ? conf->password : NULL;
    }

    if (axis_mqtt_message_build(&b->will, conf, AXIS_MQTT_LAST_WILL,
                                b->shm->serial, 0) == 1)
    {
        will->topicName = b->will.topic;
        will->message = b->will.payload;
        will->qos = b->will.qos;
        will->retained = b->will.retain;
        opts->will = will;
    }

    /*
     * Paho reads the environment when both proxies are NULL; nginx has
     * cleared it, so NULL means "no proxy".  The HTTPS proxy takes only
     * "host:port": a scheme the user gave is dropped.
     */

    proxy = secure ? conf->https_proxy : conf->http_proxy;

    if (proxy[0] != '\0') {
        if (ngx_strncmp(proxy, "http://", 7) == 0) {
            proxy += 7;
        } else if (ngx_strncmp(proxy, "https://", 8) == 0) {
            proxy += 8;
        }

        ngx_snprintf((u_char *) b->proxy, sizeof(b->proxy) - 1, "%s%s%Z",
                     secure ? "" : "http://", proxy);

        if (secure) {
            opts->httpsProxy = b->proxy;
        } else {
            opts->httpProxy = b->proxy;
        }
    }

    if (!secure) {
        return NGX_OK;
    }

    ssl->enableServerCertAuth = conf->validate_server_cert;
    ssl->verify = conf->validate_server_cert;   /* the host name, too */
    ssl->ssl_error_cb = axis_mqtt_paho_on_tls_error;
    ssl->ssl_error_context = (void *) (uintptr_t) b->generation;

    if (conf->ca_cert_id[0] != '\0') {
        ngx_snprintf((u_char *) b->trust_store, sizeof(b->trust_store) - 1,
                     "%s/%s.crt%Z", b->shm->cert_dir, conf->ca_cert_id);
        ssl->trustStore = b->trust_store;
    }

    if (conf->client_cert_id[0] != '\0') {
        ngx_snprintf((u_char *) b->key_store, sizeof(b->key_store) - 1,
                     "%s/%s.crt%Z", b->shm->cert_dir, conf->client_cert_id);
        ngx_snprintf((u_char *) b->private_key, sizeof(b->private_key) - 1,
                     "%s/%s.key%Z", b->shm->cert_dir, conf->client_cert_id);
        ssl->keyStore = b->key_store;
        ssl->privateKey = b->private_key;
    }

    /* a missing file is named, not left to a "TLS connect failure" */

    if (axis_mqtt_bridge_readable(b, ssl->trustStore, "the CA certificate")
        != NGX_OK
        || axis_mqtt_bridge_readable(b, ssl->keyStore,
                                     "the client certificate") != NGX_OK
        || axis_mqtt_bridge_readable(b, ssl->privateKey,
                                     "the client key") != NGX_OK)
    {
        return NGX_ERROR;
    }

    len = ngx_strlen(conf->alpn_protocol);

    if (len > 0) {
        /* the wire format: one length-prefixed name */
        b->alpn[0] = (unsigned char) len;
        ngx_memcpy(&b->alpn[1], conf->alpn_protocol, len);
        b->alpn[len + 1] = '\0';
        ssl->protos = b->alpn;
        ssl->protos_len = len + 1;
    }

    opts->ssl = ssl;

    return NGX_OK;
}


/* a manual deactivation: publish the disconnect message, then leave */

static void
axis_mqtt_bridge_farewell(axis_mqtt_bridge_t *b)
{
    int                         rc;
    MQTTAsync_message           msg = MQTTAsync_message_initializer;
    MQTTAsync_responseOptions   resp = MQTTAsync_responseOptions_initializer;

    /* no more liveness questions: their deadlines would never be looked at */
    b->ask_at = 0;
    b->answer_by = 0;

    if (b->phase != AXIS_MQTT_CONNECTED
        || axis_mqtt_message_build(&b->farewell, &b->running,
                                   AXIS_MQTT_DISCONNECT_MESSAGE,
                                   b->shm->serial, time(NULL)) != 1)
    {
        axis_mqtt_bridge_leave(b);
        return;
    }

    msg.payload = b->farewell.payload;
    msg.payloadlen = ngx_strlen(b->farewell.payload);
    msg.qos = b->farewell.qos;
    msg.retained = b->farewell.retain;

    resp.context = (void *) (uintptr_t) b->generation;
    resp.onSuccess = axis_mqtt_paho_on_farewell;
    resp.onFailure = axis_mqtt_paho_on_farewell_failure;

    rc = MQTTAsync_sendMessage(b->client, b->farewell.topic, &msg, &resp);

    if (rc != MQTTASYNC_SUCCESS) {
        ngx_log_error(NGX_LOG_WARN, b->log, 0,
                      "axis_mqtt: the disconnect message could not be sent: "
                      "%s", MQTTAsync_strerror(rc));
        axis_mqtt_bridge_leave(b);
        return;
    }

    b->phase = AXIS_MQTT_FAREWELL;

    /* bounded: a broker that never acknowledges does not keep us */
    b->guard_at = axis_mqtt_now() + AXIS_MQTT_GUARD_WAIT;
}


/* a clean DISCONNECT, then left() */

static void
axis_mqtt_bridge_leave(axis_mqtt_bridge_t *b)
{
    int                           rc;
    MQTTAsync_disconnectOptions   opts = MQTTAsync_disconnectOptions_initializer;

    b->guard_at = 0;
    b->ask_at = 0;
    b->answer_by = 0;

    if (b->phase != AXIS_MQTT_CONNECTED && b->phase != AXIS_MQTT_FAREWELL) {
        axis_mqtt_bridge_left(b);
        return;
    }

    opts.timeout = AXIS_MQTT_GUARD_WAIT / 2;
    opts.context = (void *) (uintptr_t) b->generation;
    opts.onSuccess = axis_mqtt_paho_on_stopped;
    opts.onFailure = axis_mqtt_paho_on_stopped_failure;

    rc = MQTTAsync_disconnect(b->client, &opts);

    if (rc != MQTTASYNC_SUCCESS) {
        axis_mqtt_bridge_left(b);
        return;
    }

    b->phase = AXIS_MQTT_STOPPING;
    b->guard_at = axis_mqtt_now() + AXIS_MQTT_GUARD_WAIT;
}


/*
 * The connection is left.  Paho stops its threads, sleeping 100-225 ms,
 * when the last client goes: a quitting owner is told to let go before
 * that.  A successor connects after it: Paho's threads, started afresh,
 * see its socket at once, where running ones would poll for up to 1 s.
 */

static void
axis_mqtt_bridge_left(axis_mqtt_bridge_t *b)
{
    MQTTAsync  old;

    old = b->client;
    b->client = NULL;

    axis_mqtt_bridge_teardown(b);

    if (b->stopping) {
        axis_mqtt_mailbox_set_stopped(b->wake_fd);
    }

    if (old != NULL) {
        MQTTAsync_destroy(&old);
    }

    if (b->stopping) {
        return;
    }

    if (b->desired.active) {
        axis_mqtt_bridge_connect(b);

    } else {
        ngx_log_error(NGX_LOG_INFO, b->log, 0,
                      "axis_mqtt: client deactivated");
    }
}


/* destroying a connected client sends DISCONNECT: no last will */

static void
axis_mqtt_bridge_teardown(axis_mqtt_bridge_t *b)
{
    if (b->client != NULL) {
        MQTTAsync_destroy(&b->client);
        b->client = NULL;
    }

    b->retry_at = 0;
    b->guard_at = 0;
    b->ask_at = 0;
    b->answer_by = 0;

    /* late events of the old client are told apart by this */
    b->generation++;
    b->phase = AXIS_MQTT_IDLE;

    axis_mqtt_shm_set_connected(b->shm, 0);
}


static ngx_int_t
axis_mqtt_bridge_readable(axis_mqtt_bridge_t *b, const char *path,
    const char *what)
{
    u_char  cause[AXIS_MQTT_CAUSE_LEN];

    if (path == NULL || access(path, R_OK) == 0) {
        return NGX_OK;
    }

    ngx_snprintf(cause, sizeof(cause) - 1, "%s \"%s\" cannot be read: %s%Z",
                 what, path, strerror(errno));

    axis_mqtt_bridge_failed(b, (char *) cause);

    return NGX_ERROR;
}


/*
 * The cause of a failed connect in words: the broker's CONNACK code,
 * OpenSSL's reason, or what retracing the way finds; Paho's own words
 * ("TCP/TLS connect failure") only when nothing else is known.
 */

static void
axis_mqtt_bridge_explain(axis_mqtt_bridge_t *b, axis_mqtt_event_t *ev,
    char *cause, size_t size)
{
    int                     secure;
    char                    tls[AXIS_MQTT_CAUSE_LEN];
    const char             *proxy;
    axis_mqtt_probe_tls_t   probe;

    if (ev->code > 0 && ev->code <= 5) {
        ngx_snprintf((u_char *) cause, size - 1, "%s (CONNACK %d)%Z",
                     axis_mqtt_connack_causes[ev->code], ev->code);
        return;
    }

    axis_mqtt_mailbox_tls_error(ev->generation, tls, sizeof(tls));

    /* "certificate verify failed" is all OpenSSL says: the probe says why */

    secure = (b->running.protocol == AXIS_MQTT_SSL
              || b->running.protocol == AXIS_MQTT_WSS);

    proxy = secure ? b->running.https_proxy : b->running.http_proxy;

    probe.ca_file = b->running.ca_cert_id[0] ? b->trust_store : NULL;
    probe.cert_file = b->running.client_cert_id[0] ? b->key_store : NULL;
    probe.key_file = b->private_key;
    probe.verify = b->running.validate_server_cert;

    if (axis_mqtt_probe(b->running.host, b->running.port, proxy,
                        secure ? &probe : NULL,
                        ngx_min((ngx_msec_t) b->running.connect_timeout * 1000,
                                AXIS_MQTT_PROBE_WAIT),
                        cause, size)
        == 1)
    {
        return;
    }

    if (tls[0] != '\0') {
        ngx_snprintf((u_char *) cause, size - 1, "TLS: %s%Z", tls);
        return;
    }

    /* the way is open: what Paho calls a connect timeout is the CONNACK's */

    if (ngx_strstr(ev->message, "timeout") != NULL) {
        ngx_snprintf((u_char *) cause, size - 1,
                     "the broker did not answer CONNECT within %d s%Z",
                     b->running.connect_timeout);
        return;
    }

    ngx_snprintf((u_char *) cause, size - 1, "%s (%d)%Z",
                 ev->message[0] ? ev->message : MQTTAsync_strerror(ev->code),
                 ev->code);
}


static void
axis_mqtt_bridge_failed(axis_mqtt_bridge_t *b, const char *cause)
{
    uint32_t    crc;
    ngx_uint_t  i;

    /* once per cause, not once per retry: a flapping pair stays quiet */

    crc = ngx_crc32_short((u_char *) cause, ngx_strlen(cause));

    for (i = 0; i < b->ncauses; i++) {
        if (b->causes[i] == crc) {
            break;
        }
    }

    if (i == b->ncauses) {
        ngx_log_error(NGX_LOG_ERR, b->log, 0,
                      "axis_mqtt: connecting to %s failed: %s", b->uri,
                      cause);

        b->causes[b->ncauses++ % AXIS_MQTT_CAUSES] = crc;
        b->ncauses = ngx_min(b->ncauses, AXIS_MQTT_CAUSES);
    }

    axis_mqtt_bridge_teardown(b);
    axis_mqtt_bridge_schedule_retry(b);
}


static void
axis_mqtt_bridge_schedule_retry(axis_mqtt_bridge_t *b)
{
    ngx_msec_t  now;

    if (!b->desired.active || b->stopping) {
        return;
    }

    now = axis_mqtt_now();

    if (b->backoff == 0) {
        b->failing_since = now;
        b->backoff = AXIS_MQTT_RETRY_FIRST;

    } else if (now - b->failing_since < AXIS_MQTT_RETRY_STEADY_FOR) {
        b->backoff = AXIS_MQTT_RETRY_STEADY;

    } else {
        b->backoff = ngx_min(b->backoff * 2, AXIS_MQTT_RETRY_MAX);
    }

    b->phase = AXIS_MQTT_RETRY_WAIT;
    b->retry_at = now + b->backoff;
}


static void
axis_mqtt_bridge_timers(axis_mqtt_bridge_t *b)
{
    ngx_msec_t  now;

    now = axis_mqtt_now();

    if (b->retry_at && (ngx_msec_int_t) (b->retry_at - now) <= 0) {
        b->retry_at = 0;
        b->phase = AXIS_MQTT_IDLE;

        if (b->desired.active && !b->stopping) {
            axis_mqtt_bridge_connect(b);
        }
    }

    if (b->phase == AXIS_MQTT_CONNECTED) {

        if (b->answer_by && (ngx_msec_int_t) (b->answer_by - now) <= 0) {
            ngx_log_error(NGX_LOG_WARN, b->log, 0,
                          "axis_mqtt: connection to %s lost: the broker did "
                          "not answer within %d s", b->uri,
                          (b->running.keep_alive_interval + 1) / 2);

            axis_mqtt_bridge_lost(b);

        } else if (b->ask_at && (ngx_msec_int_t) (b->ask_at - now) <= 0) {
            axis_mqtt_bridge_ask(b);
        }
    }

    if (b->guard_at && (ngx_msec_int_t) (b->guard_at - now) <= 0) {
        b->guard_at = 0;

        ngx_log_error(NGX_LOG_WARN, b->log, 0,
                      "axis_mqtt: the broker did not acknowledge the %s "
                      "within %d ms",
                      b->phase == AXIS_MQTT_FAREWELL ? "disconnect message"
                                                     : "DISCONNECT",
                      AXIS_MQTT_GUARD_WAIT);

        if (b->phase == AXIS_MQTT_FAREWELL) {
            axis_mqtt_bridge_leave(b);

        } else {
            axis_mqtt_bridge_left(b);
        }
    }
}


static void
axis_mqtt_bridge_lost(axis_mqtt_bridge_t *b)
{
    axis_mqtt_bridge_teardown(b);

    if (b->running.auto_reconnect) {
        axis_mqtt_bridge_schedule_retry(b);
    }
}


/* when the next liveness question is due; 0: keep-alive is off */

static ngx_msec_t
axis_mqtt_bridge_half_interval(axis_mqtt_bridge_t *b)
{
    if (b->running.keep_alive_interval == 0) {
        return 0;
    }

    return axis_mqtt_now() + (ngx_msec_t) b->running.keep_alive_interval * 500;
}


static void
axis_mqtt_bridge_ask(axis_mqtt_bridge_t *b)
{
    MQTTAsync_responseOptions  resp = MQTTAsync_responseOptions_initializer;

    resp.context = (void *) (uintptr_t) b->generation;
    resp.onSuccess = axis_mqtt_paho_on_alive;

    b->ask_at = 0;

    if (MQTTAsync_unsubscribe(b->client, AXIS_MQTT_ALIVE_TOPIC, &resp)
        == MQTTASYNC_SUCCESS)
    {
        b->answer_by = axis_mqtt_bridge_half_interval(b);
    }
}

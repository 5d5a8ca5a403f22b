
/*
 * One device's broker session: the state machine (see the header).
 *
 *   IDLE --configured active--> CONNECTING --connected--> CONNECTED
 *   CONNECTING --failed--> RETRY_WAIT --timer--> CONNECTING
 *   CONNECTED --lost--> RETRY_WAIT (autoReconnect) or IDLE
 *   CONNECTED --deactivated--> FAREWELL --done--> DISCONNECTING
 *   CONNECTED --reconfigured, stop--> DISCONNECTING
 *   DISCONNECTING --disconnected--> IDLE, then as the desired state says
 *
 * Every way out of a phase that had a client goes through
 * axis_mqtt_session_drop(), and every way into CONNECTING through
 * axis_mqtt_session_connect(): the client's life and the status it shows
 * are decided in those two places.  Times are monotonic milliseconds
 * from the caller; the session never reads a clock.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "axis_mqtt_session.h"


static void axis_mqtt_session_configured(axis_mqtt_session_t *s,
    const axis_mqtt_state_t *state, axis_mqtt_actions_t *out);
static axis_mqtt_session_conf_t *axis_mqtt_session_conf(
    const axis_mqtt_state_t *state);
static void axis_mqtt_session_let_go(axis_mqtt_session_t *s,
    axis_mqtt_session_conf_t *c);
static int axis_mqtt_session_wanted(const axis_mqtt_session_t *s);
static void axis_mqtt_session_act(axis_mqtt_session_t *s, uint64_t now,
    axis_mqtt_actions_t *out);
static void axis_mqtt_session_connect(axis_mqtt_session_t *s,
    axis_mqtt_actions_t *out);
static void axis_mqtt_session_leave(axis_mqtt_session_t *s, uint64_t now,
    axis_mqtt_actions_t *out);
static void axis_mqtt_session_disconnect(axis_mqtt_session_t *s,
    uint64_t now, axis_mqtt_actions_t *out);
static void axis_mqtt_session_drop(axis_mqtt_session_t *s,
    axis_mqtt_actions_t *out);
static void axis_mqtt_session_left(axis_mqtt_session_t *s, uint64_t now,
    axis_mqtt_actions_t *out);
static void axis_mqtt_session_failed(axis_mqtt_session_t *s, uint64_t now,
    const char *cause, axis_mqtt_actions_t *out);
static void axis_mqtt_session_lost(axis_mqtt_session_t *s, uint64_t now,
    axis_mqtt_actions_t *out);
static void axis_mqtt_session_retry(axis_mqtt_session_t *s, uint64_t now);
static void axis_mqtt_session_timer_due(axis_mqtt_session_t *s,
    uint64_t now, axis_mqtt_actions_t *out);
static void axis_mqtt_session_stop(axis_mqtt_session_t *s, uint64_t now,
    axis_mqtt_actions_t *out);
static uint64_t axis_mqtt_session_half_interval(axis_mqtt_session_t *s,
    uint64_t now);
static void axis_mqtt_session_healthy(axis_mqtt_session_t *s);
static uint32_t axis_mqtt_session_random(axis_mqtt_session_t *s);


void
axis_mqtt_session_init(axis_mqtt_session_t *s, uint32_t seed)
{
    memset(s, 0, sizeof(axis_mqtt_session_t));

    s->phase = AXIS_MQTT_SESSION_IDLE;
    s->random = seed ? seed : 0x9e3779b9;
}


void
axis_mqtt_session_free(axis_mqtt_session_t *s)
{
    axis_mqtt_session_conf_t  *desired = s->desired;

    s->desired = NULL;
    axis_mqtt_session_let_go(s, desired);

    desired = s->running;
    s->running = NULL;
    axis_mqtt_session_let_go(s, desired);
}


uint64_t
axis_mqtt_session_timer(const axis_mqtt_session_t *s)
{
    return s->timer;
}


int
axis_mqtt_session_connected(const axis_mqtt_session_t *s)
{
    return s->phase == AXIS_MQTT_SESSION_CONNECTED;
}


int
axis_mqtt_session_released(const axis_mqtt_session_t *s)
{
    /* a stopping session never connects again */
    return s->stopping && s->phase == AXIS_MQTT_SESSION_IDLE;
}


void
axis_mqtt_session_handle(axis_mqtt_session_t *s,
    const axis_mqtt_session_in_t *in, axis_mqtt_actions_t *out)
{
    int  current;

    /* a client's event is about the current client, or about nothing */
    current = in->generation == s->generation
              && s->phase != AXIS_MQTT_SESSION_IDLE
              && s->phase != AXIS_MQTT_SESSION_RETRY_WAIT;

    switch (in->type) {

    case AXIS_MQTT_IN_CONFIGURED:
        axis_mqtt_session_configured(s, in->state, out);

        if (!s->stopping) {
            axis_mqtt_session_act(s, in->now, out);
        }
        break;

    case AXIS_MQTT_IN_CONNECTED:
        if (!current || s->phase != AXIS_MQTT_SESSION_CONNECTING) {
            break;
        }

        s->phase = AXIS_MQTT_SESSION_CONNECTED;
        axis_mqtt_session_healthy(s);
        s->asking = 0;
        s->timer = axis_mqtt_session_half_interval(s, in->now);

        axis_mqtt_actions_emit(out, AXIS_MQTT_DO_LOG, AXIS_MQTT_LOG_INFO,
                               "connected to %s", s->running->uri);
        axis_mqtt_actions_emit(out, AXIS_MQTT_DO_STATUS, 1, NULL);

        /* the first thing on the connection, before anything else */
        if (s->running->announce) {
            axis_mqtt_actions_emit(out, AXIS_MQTT_DO_ANNOUNCE, 0, NULL);
        }

        /* saved meanwhile: inactive, or another configuration */
        axis_mqtt_session_act(s, in->now, out);
        break;

    case AXIS_MQTT_IN_CONNECT_FAILED:
        if (current && s->phase == AXIS_MQTT_SESSION_CONNECTING) {
            axis_mqtt_session_failed(s, in->now, in->text, out);
        }
        break;

    case AXIS_MQTT_IN_LOST:
        if (!current) {
            break;
        }

        if (s->phase == AXIS_MQTT_SESSION_CONNECTING) {
            axis_mqtt_session_failed(s, in->now, "the connection was lost",
                                     out);

        } else if (s->phase == AXIS_MQTT_SESSION_CONNECTED) {
            axis_mqtt_actions_emit(out, AXIS_MQTT_DO_LOG, AXIS_MQTT_LOG_WARN,
                                   "connection to %s lost", s->running->uri);
            axis_mqtt_session_lost(s, in->now, out);

        } else {
            /* leaving anyway: the connection is left */
            axis_mqtt_session_left(s, in->now, out);
        }
        break;

    case AXIS_MQTT_IN_FAREWELL_DONE:
        if (current && s->phase == AXIS_MQTT_SESSION_FAREWELL) {
            axis_mqtt_session_disconnect(s, in->now, out);
        }
        break;

    case AXIS_MQTT_IN_DISCONNECTED:
        if (current && s->phase == AXIS_MQTT_SESSION_DISCONNECTING) {
            axis_mqtt_session_left(s, in->now, out);
        }
        break;

    case AXIS_MQTT_IN_ALIVE:
        if (current && s->phase == AXIS_MQTT_SESSION_CONNECTED && s->asking) {
            s->asking = 0;
            s->timer = axis_mqtt_session_half_interval(s, in->now);
        }
        break;

    case AXIS_MQTT_IN_TIMER:
        if (s->timer != 0 && s->timer <= in->now) {
            s->timer = 0;
            axis_mqtt_session_timer_due(s, in->now, out);
        }
        break;

    case AXIS_MQTT_IN_STOP:
        axis_mqtt_session_stop(s, in->now, out);
        break;
    }
}


/* a new desired state, kept; the one before goes unless it runs */

static void
axis_mqtt_session_configured(axis_mqtt_session_t *s,
    const axis_mqtt_state_t *state, axis_mqtt_actions_t *out)
{
    axis_mqtt_session_conf_t  *c, *before;

    c = axis_mqtt_session_conf(state);

    if (c == NULL) {
        axis_mqtt_actions_emit(out, AXIS_MQTT_DO_LOG, AXIS_MQTT_LOG_ERR,
                               "out of memory: the configuration saved "
                               "last is not acted on");
        return;
    }

    before = s->desired;
    s->desired = c;
    axis_mqtt_session_let_go(s, before);
}


/*
 * The client's part of the state: the publication of events changes
 * without the connection noticing.
 */

static axis_mqtt_session_conf_t *
axis_mqtt_session_conf(const axis_mqtt_state_t *state)
{
    size_t                     packed;
    char                       uri[AXIS_MQTT_URI_LEN];
    axis_mqtt_session_conf_t  *c;

    /*
     * The caller's thread's alone (the bridge's; a unit test's): a state
     * is 88 KB, and its event.cgi parts stay the clean device's.
     */
    static axis_mqtt_state_t   client;
    static int                 client_ready;

    if (!client_ready) {
        axis_mqtt_event_conf_init(&client.events);
        axis_mqtt_inbound_conf_init(&client.inbound);
        client_ready = 1;
    }

    client.conf = state->conf;
    client.active = state->active;
    state = &client;

    axis_mqtt_session_uri(&state->conf, uri, sizeof(uri));

    packed = axis_mqtt_state_packed_size(state);

    c = malloc(offsetof(axis_mqtt_session_conf_t, packed) + packed
               + strlen(uri) + 1);
    if (c == NULL) {
        return NULL;
    }

    c->active = state->active;
    c->announce = state->conf.connect_message.configured;
    c->farewell = state->conf.disconnect_message.configured;
    c->auto_reconnect = state->conf.auto_reconnect;
    c->clean_session = state->conf.clean_session;
    c->keep_alive_interval = state->conf.keep_alive_interval;

    axis_mqtt_state_pack(state, &c->packed);

    c->uri = (char *) &c->packed + packed;
    memcpy(c->uri, uri, strlen(uri) + 1);

    return c;
}


/* c is no longer held where it was: it goes unless held elsewhere */

static void
axis_mqtt_session_let_go(axis_mqtt_session_t *s, axis_mqtt_session_conf_t *c)
{
    if (c != s->desired && c != s->running) {
        free(c);
    }
}


/* the client is wanted: active as saved, and the owner does not quit */

static int
axis_mqtt_session_wanted(const axis_mqtt_session_t *s)
{
    return s->desired != NULL && s->desired->active && !s->stopping;
}


const axis_mqtt_packed_t *
axis_mqtt_session_running(const axis_mqtt_session_t *s)
{
    return &s->running->packed;
}


const char *
axis_mqtt_session_running_uri(const axis_mqtt_session_t *s)
{
    return s->running->uri;
}


/* bring the connection in line with the desired state */

static void
axis_mqtt_session_act(axis_mqtt_session_t *s, uint64_t now,
    axis_mqtt_actions_t *out)
{
    switch (s->phase) {

    case AXIS_MQTT_SESSION_FAREWELL:
    case AXIS_MQTT_SESSION_DISCONNECTING:
        /* acted on once the connection is left */
        return;

    case AXIS_MQTT_SESSION_IDLE:
    case AXIS_MQTT_SESSION_RETRY_WAIT:
        if (axis_mqtt_session_wanted(s)) {
            /* a new command is a reason to try again now */
            axis_mqtt_session_healthy(s);
            axis_mqtt_session_connect(s, out);

        } else if (s->phase == AXIS_MQTT_SESSION_RETRY_WAIT) {
            s->phase = AXIS_MQTT_SESSION_IDLE;
            s->timer = 0;
            axis_mqtt_actions_emit(out, AXIS_MQTT_DO_LOG, AXIS_MQTT_LOG_INFO,
                                   "client deactivated");
        }
        return;

    case AXIS_MQTT_SESSION_CONNECTING:
    case AXIS_MQTT_SESSION_CONNECTED:
        if (!axis_mqtt_session_wanted(s)) {
            axis_mqtt_session_leave(s, now, out);
            return;
        }

        /* both active: the same bytes are the same configuration */
        if (s->running == s->desired
            || axis_mqtt_packed_equal(&s->running->packed,
                                      &s->desired->packed))
        {
            return;
        }

        axis_mqtt_actions_emit(out, AXIS_MQTT_DO_LOG, AXIS_MQTT_LOG_INFO,
                               "configuration changed, reconnecting");
        axis_mqtt_session_healthy(s);

        if (s->phase == AXIS_MQTT_SESSION_CONNECTED) {
            /* the new client connects once the old one has left */
            axis_mqtt_session_disconnect(s, now, out);
            return;
        }

        axis_mqtt_session_drop(s, out);
        axis_mqtt_session_connect(s, out);
        return;
    }
}


static void
axis_mqtt_session_connect(axis_mqtt_session_t *s,
    axis_mqtt_actions_t *out)
{
    axis_mqtt_session_conf_t  *before = s->running;

    s->running = s->desired;
    axis_mqtt_session_let_go(s, before);

    s->generation++;
    s->phase = AXIS_MQTT_SESSION_CONNECTING;
    s->timer = 0;               /* Paho's connectTimeout bounds it */

    axis_mqtt_actions_emit(out, AXIS_MQTT_DO_CONNECT, 0, NULL);
}


/* a deactivation: the disconnect message if there is one, then DISCONNECT */

static void
axis_mqtt_session_leave(axis_mqtt_session_t *s, uint64_t now,
    axis_mqtt_actions_t *out)
{
    if (s->phase == AXIS_MQTT_SESSION_CONNECTED
        && s->running->farewell)
    {
        s->phase = AXIS_MQTT_SESSION_FAREWELL;
        s->asking = 0;
        s->timer = now + AXIS_MQTT_GUARD_WAIT;

        axis_mqtt_actions_emit(out, AXIS_MQTT_DO_FAREWELL, 0, NULL);
        return;
    }

    axis_mqtt_session_disconnect(s, now, out);
}


/* a clean DISCONNECT from a connection; a client still connecting is dropped */

static void
axis_mqtt_session_disconnect(axis_mqtt_session_t *s, uint64_t now,
    axis_mqtt_actions_t *out)
{
    if (s->phase != AXIS_MQTT_SESSION_CONNECTED
        && s->phase != AXIS_MQTT_SESSION_FAREWELL)
    {
        axis_mqtt_session_left(s, now, out);
        return;
    }

    s->phase = AXIS_MQTT_SESSION_DISCONNECTING;
    s->asking = 0;
    s->timer = now + AXIS_MQTT_GUARD_WAIT;

    axis_mqtt_actions_emit(out, AXIS_MQTT_DO_DISCONNECT, 0, NULL);
}


/*
 * The client goes.  The status says so first: nothing is reported
 * connected that is going, and a quitting owner writes nothing after it
 * has let go (its successor may have connected by then).  A quitting
 * owner is released before the client goes: destroying Paho's last
 * client sleeps 100-225 ms while its threads stop, and the next owner
 * need not wait for that.  The generation moves on, so that whatever the
 * old client still reports is not taken for the next one's.
 */

static void
axis_mqtt_session_drop(axis_mqtt_session_t *s, axis_mqtt_actions_t *out)
{
    if (s->phase == AXIS_MQTT_SESSION_IDLE
        || s->phase == AXIS_MQTT_SESSION_RETRY_WAIT)
    {
        return;
    }

    if (s->phase != AXIS_MQTT_SESSION_CONNECTING) {
        axis_mqtt_actions_emit(out, AXIS_MQTT_DO_STATUS, 0, NULL);
    }

    if (s->stopping) {
        axis_mqtt_actions_emit(out, AXIS_MQTT_DO_RELEASE, 0, NULL);
    }

    axis_mqtt_actions_emit(out, AXIS_MQTT_DO_DESTROY, 0, NULL);

    s->generation++;
    s->phase = AXIS_MQTT_SESSION_IDLE;
    s->asking = 0;
    s->timer = 0;
}


/* the connection is left: the client goes, the desired state says what next */

static void
axis_mqtt_session_left(axis_mqtt_session_t *s, uint64_t now,
    axis_mqtt_actions_t *out)
{
    axis_mqtt_session_drop(s, out);

    if (s->stopping) {
        return;
    }

    if (axis_mqtt_session_wanted(s)) {
        axis_mqtt_session_connect(s, out);
        return;
    }

    axis_mqtt_actions_emit(out, AXIS_MQTT_DO_LOG, AXIS_MQTT_LOG_INFO,
                           "client deactivated");
}


/* each cause is logged once until the next connection: retries stay quiet */

static void
axis_mqtt_session_failed(axis_mqtt_session_t *s, uint64_t now,
    const char *cause, axis_mqtt_actions_t *out)
{
    cause = cause ? cause : "unknown cause";

    if (axis_mqtt_causes_new(&s->causes, cause)) {
        axis_mqtt_actions_emit(out, AXIS_MQTT_DO_LOG, AXIS_MQTT_LOG_ERR,
                               "connecting to %s failed: %s",
                               s->running->uri, cause);
    }

    axis_mqtt_session_drop(s, out);

    if (axis_mqtt_session_wanted(s)) {
        axis_mqtt_session_retry(s, now);
    }
}


static void
axis_mqtt_session_lost(axis_mqtt_session_t *s, uint64_t now,
    axis_mqtt_actions_t *out)
{
    axis_mqtt_session_drop(s, out);

    if (s->running->auto_reconnect && axis_mqtt_session_wanted(s)) {
        axis_mqtt_session_retry(s, now);
    }
}


static void
axis_mqtt_session_retry(axis_mqtt_session_t *s, uint64_t now)
{
    uint64_t  wait, spread;

    if (s->backoff == 0) {
        s->failing_since = now;
        s->backoff = AXIS_MQTT_RETRY_FIRST;

    } else if (now - s->failing_since < AXIS_MQTT_RETRY_STEADY_FOR) {
        s->backoff = AXIS_MQTT_RETRY_STEADY;

    } else {
        s->backoff = s->backoff * 2 < AXIS_MQTT_RETRY_MAX
                     ? s->backoff * 2 : AXIS_MQTT_RETRY_MAX;
    }

    /* many devices that lost one broker do not all come back at once */
    spread = s->backoff * AXIS_MQTT_RETRY_JITTER / 100;
    wait = s->backoff - spread
           + axis_mqtt_session_random(s) % (2 * spread + 1);

    s->phase = AXIS_MQTT_SESSION_RETRY_WAIT;
    s->timer = now + wait;
}


static void
axis_mqtt_session_timer_due(axis_mqtt_session_t *s, uint64_t now,
    axis_mqtt_actions_t *out)
{
    switch (s->phase) {

    case AXIS_MQTT_SESSION_RETRY_WAIT:
        s->phase = AXIS_MQTT_SESSION_IDLE;

        if (axis_mqtt_session_wanted(s)) {
            axis_mqtt_session_connect(s, out);
        }
        return;

    case AXIS_MQTT_SESSION_CONNECTED:
        if (s->asking) {
            axis_mqtt_actions_emit(out, AXIS_MQTT_DO_LOG, AXIS_MQTT_LOG_WARN,
                                   "connection to %s lost: the broker did "
                                   "not answer within %d s", s->running->uri,
                                   (s->running->keep_alive_interval + 1) / 2);
            axis_mqtt_session_lost(s, now, out);
            return;
        }

        s->asking = 1;
        s->timer = axis_mqtt_session_half_interval(s, now);

        axis_mqtt_actions_emit(out, AXIS_MQTT_DO_ASK, 0, NULL);
        return;

    case AXIS_MQTT_SESSION_FAREWELL:
    case AXIS_MQTT_SESSION_DISCONNECTING:
        axis_mqtt_actions_emit(out, AXIS_MQTT_DO_LOG, AXIS_MQTT_LOG_WARN,
                               "the broker did not acknowledge the %s "
                               "within %d ms",
                               s->phase == AXIS_MQTT_SESSION_FAREWELL
                               ? "disconnect message" : "DISCONNECT",
                               AXIS_MQTT_GUARD_WAIT);

        if (s->phase == AXIS_MQTT_SESSION_FAREWELL) {
            axis_mqtt_session_disconnect(s, now, out);

        } else {
            axis_mqtt_session_left(s, now, out);
        }
        return;

    default:
        return;
    }
}


/* the owner quits: a clean DISCONNECT, no farewell, no last will */

static void
axis_mqtt_session_stop(axis_mqtt_session_t *s, uint64_t now,
    axis_mqtt_actions_t *out)
{
    if (s->stopping) {
        return;
    }

    s->stopping = 1;

    switch (s->phase) {

    case AXIS_MQTT_SESSION_IDLE:
    case AXIS_MQTT_SESSION_RETRY_WAIT:
        s->phase = AXIS_MQTT_SESSION_IDLE;
        s->timer = 0;
        axis_mqtt_actions_emit(out, AXIS_MQTT_DO_RELEASE, 0, NULL);
        return;

    case AXIS_MQTT_SESSION_FAREWELL:
    case AXIS_MQTT_SESSION_DISCONNECTING:
        /* released once the DISCONNECT is out */
        return;

    case AXIS_MQTT_SESSION_CONNECTING:
    case AXIS_MQTT_SESSION_CONNECTED:
        axis_mqtt_actions_emit(out, AXIS_MQTT_DO_LOG, AXIS_MQTT_LOG_INFO,
                               "disconnecting from %s", s->running->uri);
        axis_mqtt_session_disconnect(s, now, out);
        return;
    }
}


/* when the next liveness question is due; 0: keep-alive is off */

static uint64_t
axis_mqtt_session_half_interval(axis_mqtt_session_t *s, uint64_t now)
{
    if (s->running->keep_alive_interval == 0) {
        return 0;
    }

    return now + (uint64_t) s->running->keep_alive_interval * 500;
}


/* connected, or told to try again now: back-off and causes start afresh */

static void
axis_mqtt_session_healthy(axis_mqtt_session_t *s)
{
    s->backoff = 0;
    s->causes.n = 0;
}


static uint32_t
axis_mqtt_session_random(axis_mqtt_session_t *s)
{
    uint32_t  x;

    x = s->random;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    s->random = x;

    return x;
}


void
axis_mqtt_session_uri(const axis_mqtt_conf_t *conf, char *buf, size_t size)
{
    int          websocket;
    const char  *open, *close, *slash;

    websocket = conf->protocol == AXIS_MQTT_WS
                || conf->protocol == AXIS_MQTT_WSS;

    /* an IPv6 address goes in brackets */
    open = strchr(conf->host, ':') && conf->host[0] != '[' ? "[" : "";
    close = open[0] ? "]" : "";

    /* no path: Paho asks for the customary /mqtt */
    slash = websocket && conf->basepath[0] != '\0'
            && conf->basepath[0] != '/' ? "/" : "";

    snprintf(buf, size, "%s://%s%s%s:%d%s%s",
             axis_mqtt_protocol_name(conf->protocol), open, conf->host,
             close, conf->port, slash, websocket ? conf->basepath : "");
}

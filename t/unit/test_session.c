
/*
 * The broker session's state machine: activation, deactivation with and
 * without the disconnect message, reconfiguration, failures and back-off
 * with jitter, causes logged once, liveness, the guards, reload (stop),
 * owner crash and broker restart sequences, and late events of an old
 * client (the race of issue 8: a client's callback arriving after a
 * reconfiguration replaced it).
 *
 * Each step's actions are compared as one line of words: "connect",
 * "announce", "farewell", "disconnect", "destroy", "ask", "status=N",
 * "release", and "err:", "warn:", "info:" followed by a log line.
 */

#include <stdio.h>
#include <string.h>

#include "unit.h"
#include "axis_mqtt_session.h"


#define T_BROKER    "{\"server\": {\"protocol\": \"tcp\", \"host\": \"b\"},"  \
                    " \"keepAliveInterval\": 10"
#define T_PLAIN     T_BROKER "}"
#define T_ANNOUNCED T_BROKER ", \"connectMessage\": {\"useDefault\": true}," \
                    " \"disconnectMessage\": {\"useDefault\": true}}"
#define T_OTHER     "{\"server\": {\"protocol\": \"tcp\", \"host\": \"c\"}}"
#define T_NO_RETRY  T_BROKER ", \"autoReconnect\": false}"
#define T_URI       "tcp://b:1883"

#define T_T0        1000000


typedef struct {
    axis_mqtt_session_t      s;
    axis_mqtt_state_t        state;
    uint64_t                 now;
    char                     line[4096];
} t_session_t;


static const char *
t_words(const axis_mqtt_actions_t *out, char *line, size_t size)
{
    size_t                             len;
    unsigned                           i;
    const axis_mqtt_action_t  *a;

    static const char  *names[] = {
        "connect", "announce", "farewell", "disconnect", "destroy", "ask",
        "status", "log", "release"
    };
    static const char  *levels[] = { "err", "warn", "info" };

    line[0] = '\0';
    len = 0;

    for (i = 0; i < out->n; i++) {
        a = &out->actions[i];

        if (a->type == AXIS_MQTT_DO_LOG) {
            len += snprintf(line + len, size - len, "%s%s:%s", i ? " " : "",
                            levels[a->value], a->text);

        } else if (a->type == AXIS_MQTT_DO_STATUS) {
            len += snprintf(line + len, size - len, "%sstatus=%d",
                            i ? " " : "", a->value);

        } else {
            len += snprintf(line + len, size - len, "%s%s", i ? " " : "",
                            names[a->type]);
        }
    }

    return line;
}


/* one event for the current client at the current time: its actions */
static const char *
t_in(t_session_t *t, axis_mqtt_session_in_e type, const char *text)
{
    axis_mqtt_session_in_t   in;
    axis_mqtt_actions_t  out;

    memset(&in, 0, sizeof(in));
    in.type = type;
    in.now = t->now;
    in.generation = t->s.generation;
    in.state = &t->state;
    in.text = text;

    out.n = 0;
    axis_mqtt_session_handle(&t->s, &in, &out);

    return t_words(&out, t->line, sizeof(t->line));
}


static const char *
t_save(t_session_t *t, const char *params, int active)
{
    t_state(&t->state, params, active);

    return t_in(t, AXIS_MQTT_IN_CONFIGURED, NULL);
}


/* the clock moves on to the timer; the timer's actions */
static const char *
t_timer(t_session_t *t)
{
    uint64_t  due;

    due = axis_mqtt_session_timer(&t->s);
    assert_true(due > 0);
    assert_true(due >= t->now);

    /* a moment early: nothing */
    t->now = due - 1;
    assert_string_equal(t_in(t, AXIS_MQTT_IN_TIMER, NULL), "");

    t->now = due;

    return t_in(t, AXIS_MQTT_IN_TIMER, NULL);
}


static void
t_init(t_session_t *t, uint32_t seed)
{
    memset(t, 0, sizeof(t_session_t));
    axis_mqtt_session_init(&t->s, seed);
    t->now = T_T0;
}


/* what the session's client is made of */
static const axis_mqtt_state_t *
t_running(t_session_t *t)
{
    assert_int_equal(axis_mqtt_state_unpack(&t->state,
                                            axis_mqtt_session_running(&t->s)),
                     0);
    return &t->state;
}


static void
t_done(t_session_t *t)
{
    axis_mqtt_session_free(&t->s);
    assert_null(t->s.desired);
    assert_null(t->s.running);
}


static void
t_connected(t_session_t *t, const char *params)
{
    assert_string_equal(t_save(t, params, 1), "connect");
    assert_int_equal(t->s.phase, AXIS_MQTT_SESSION_CONNECTING);
    assert_string_equal(t_in(t, AXIS_MQTT_IN_CONNECTED, NULL),
                        strstr(params, "connectMessage")
                        ? "info:connected to " T_URI " status=1 announce"
                        : "info:connected to " T_URI " status=1");
    assert_int_equal(t->s.phase, AXIS_MQTT_SESSION_CONNECTED);
}


static void
test_activate_and_deactivate(void **unused)
{
    t_session_t  t;

    t_init(&t, 1);
    assert_int_equal(axis_mqtt_session_timer(&t.s), 0);

    /* inactive: nothing to do */
    assert_string_equal(t_save(&t, T_ANNOUNCED, 0), "");

    t_connected(&t, T_ANNOUNCED);
    assert_string_equal(axis_mqtt_session_running_uri(&t.s), T_URI);

    /* the same state again: nothing */
    assert_string_equal(t_save(&t, T_ANNOUNCED, 1), "");

    /* another publication of events: the connection does not notice */
    t_state(&t.state, T_ANNOUNCED, 1);
    t.state.events.nfilters = 1;
    strcpy(t.state.events.filters[0].topic_filter, "//.");
    t.state.events.include_serial_number = 1;
    assert_string_equal(t_in(&t, AXIS_MQTT_IN_CONFIGURED, NULL), "");

    /* the disconnect message first, acknowledged, then DISCONNECT */
    assert_string_equal(t_save(&t, T_ANNOUNCED, 0), "farewell");
    assert_int_equal(t.s.phase, AXIS_MQTT_SESSION_FAREWELL);
    assert_string_equal(t_in(&t, AXIS_MQTT_IN_FAREWELL_DONE, NULL),
                        "disconnect");
    assert_string_equal(t_in(&t, AXIS_MQTT_IN_DISCONNECTED, NULL),
                        "status=0 destroy info:client deactivated");
    assert_int_equal(t.s.phase, AXIS_MQTT_SESSION_IDLE);
    assert_int_equal(axis_mqtt_session_timer(&t.s), 0);

    /* no disconnect message: DISCONNECT at once */
    t_connected(&t, T_PLAIN);
    assert_string_equal(t_save(&t, T_PLAIN, 0), "disconnect");
    assert_string_equal(t_in(&t, AXIS_MQTT_IN_DISCONNECTED, NULL),
                        "status=0 destroy info:client deactivated");

    t_done(&t);
}


static void
test_reconfigure(void **unused)
{
    uint64_t     gen;
    t_session_t  t;

    t_init(&t, 1);
    t_connected(&t, T_PLAIN);

    /* connected: a clean DISCONNECT, then the new client */
    assert_string_equal(t_save(&t, T_OTHER, 1),
                        "info:configuration changed, reconnecting "
                        "disconnect");
    gen = t.s.generation;
    assert_string_equal(t_in(&t, AXIS_MQTT_IN_DISCONNECTED, NULL),
                        "status=0 destroy connect");
    assert_true(t.s.generation > gen);
    assert_string_equal(axis_mqtt_session_running_uri(&t.s), "tcp://c:1883");
    assert_string_equal(t_running(&t)->conf.host, "c");

    /* connecting: dropped and replaced at once */
    assert_string_equal(t_save(&t, T_PLAIN, 1),
                        "info:configuration changed, reconnecting "
                        "destroy connect");
    assert_string_equal(axis_mqtt_session_running_uri(&t.s), T_URI);

    t_done(&t);
}


/*
 * Issue 8: the broker accepts the client as a reconfiguration replaces
 * it.  Whatever the old client reports afterwards is about nothing.
 */
static void
test_late_events_of_an_old_client(void **unused)
{
    uint64_t                 old;
    t_session_t              t;
    axis_mqtt_session_in_t   in;
    axis_mqtt_actions_t  out;

    t_init(&t, 1);
    assert_string_equal(t_save(&t, T_ANNOUNCED, 1), "connect");
    old = t.s.generation;

    assert_string_equal(t_save(&t, T_OTHER, 1),
                        "info:configuration changed, reconnecting "
                        "destroy connect");

    memset(&in, 0, sizeof(in));
    in.now = t.now;
    in.generation = old;
    in.text = "late";

    for (in.type = AXIS_MQTT_IN_CONNECTED;
         in.type <= AXIS_MQTT_IN_ALIVE;
         in.type++)
    {
        out.n = 0;
        axis_mqtt_session_handle(&t.s, &in, &out);
        assert_int_equal(out.n, 0);
        assert_int_equal(t.s.phase, AXIS_MQTT_SESSION_CONNECTING);
    }

    /* the current one's still counts, and announces on its own */
    assert_string_equal(t_in(&t, AXIS_MQTT_IN_CONNECTED, NULL),
                        "info:connected to tcp://c:1883 status=1");

    /* events that do not fit the phase are ignored too */
    assert_string_equal(t_in(&t, AXIS_MQTT_IN_CONNECTED, NULL), "");
    assert_string_equal(t_in(&t, AXIS_MQTT_IN_FAREWELL_DONE, NULL), "");
    assert_string_equal(t_in(&t, AXIS_MQTT_IN_DISCONNECTED, NULL), "");
    assert_string_equal(t_in(&t, AXIS_MQTT_IN_CONNECT_FAILED, "x"), "");

    t_done(&t);
}


static void
test_retry_backoff_and_causes(void **unused)
{
    int          i;
    uint64_t     wait;
    t_session_t  t;

    t_init(&t, 7);
    assert_string_equal(t_save(&t, T_PLAIN, 1), "connect");

    assert_string_equal(t_in(&t, AXIS_MQTT_IN_CONNECT_FAILED,
                             "Connection refused"),
                        "err:connecting to " T_URI " failed: "
                        "Connection refused destroy");
    assert_int_equal(t.s.phase, AXIS_MQTT_SESSION_RETRY_WAIT);

    /* the first retry after 500 ms +- 20 % */
    wait = axis_mqtt_session_timer(&t.s) - t.now;
    assert_true(wait >= 400 && wait <= 600);
    assert_string_equal(t_timer(&t), "connect");

    /* the same cause again: not logged again; one a second now */
    for (i = 0; i < 50; i++) {
        assert_string_equal(t_in(&t, AXIS_MQTT_IN_CONNECT_FAILED,
                                 "Connection refused"), "destroy");
        wait = axis_mqtt_session_timer(&t.s) - t.now;
        assert_true(wait >= 800 && wait <= 1200);
        assert_string_equal(t_timer(&t), "connect");
    }

    /* another cause is logged */
    assert_string_equal(t_in(&t, AXIS_MQTT_IN_CONNECT_FAILED, "timeout"),
                        "err:connecting to " T_URI " failed: timeout "
                        "destroy");

    /* after a minute of failing: doubling up to 10 s */
    t.now += 60000;
    assert_string_equal(t_in(&t, AXIS_MQTT_IN_TIMER, NULL), "connect");

    for (i = 0; i < 8; i++) {
        assert_string_equal(t_in(&t, AXIS_MQTT_IN_CONNECT_FAILED,
                                 "timeout"), "destroy");
        wait = axis_mqtt_session_timer(&t.s) - t.now;
        assert_true(wait >= (uint64_t) (t.s.backoff * 80 / 100)
                    && wait <= (uint64_t) (t.s.backoff * 120 / 100));
        assert_string_equal(t_timer(&t), "connect");
    }

    assert_int_equal(t.s.backoff, AXIS_MQTT_RETRY_MAX);

    /* connected: the causes are forgotten, the back-off too */
    assert_string_equal(t_in(&t, AXIS_MQTT_IN_CONNECTED, NULL),
                        "info:connected to " T_URI " status=1");
    assert_int_equal(t.s.backoff, 0);
    assert_string_equal(t_in(&t, AXIS_MQTT_IN_LOST, NULL),
                        "warn:connection to " T_URI " lost status=0 "
                        "destroy");
    wait = axis_mqtt_session_timer(&t.s) - t.now;
    assert_true(wait >= 400 && wait <= 600);
    assert_string_equal(t_timer(&t), "connect");
    assert_string_equal(t_in(&t, AXIS_MQTT_IN_CONNECT_FAILED, "timeout"),
                        "err:connecting to " T_URI " failed: timeout "
                        "destroy");

    t_done(&t);
}


static void
test_jitter_spreads_devices(void **unused)
{
    int          i, j, distinct;
    uint64_t     waits[16];
    t_session_t  t;

    /* 16 devices that lost one broker at the same moment */
    for (i = 0; i < 16; i++) {
        t_init(&t, 1000 + i * 7919);
        t_connected(&t, T_PLAIN);
        assert_string_equal(t_in(&t, AXIS_MQTT_IN_LOST, NULL),
                            "warn:connection to " T_URI " lost status=0 "
                            "destroy");
        waits[i] = axis_mqtt_session_timer(&t.s) - t.now;
        assert_true(waits[i] >= 400 && waits[i] <= 600);
    }

    distinct = 0;

    for (i = 0; i < 16; i++) {
        for (j = 0; j < i && waits[j] != waits[i]; j++) { /* void */ }
        distinct += (j == i);
    }

    assert_true(distinct >= 12);

    t_done(&t);
}


static void
test_new_command_retries_now(void **unused)
{
    t_session_t  t;

    t_init(&t, 1);
    assert_string_equal(t_save(&t, T_PLAIN, 1), "connect");
    (void) t_in(&t, AXIS_MQTT_IN_CONNECT_FAILED, "Connection refused");
    assert_int_equal(t.s.phase, AXIS_MQTT_SESSION_RETRY_WAIT);

    /* a configuration while waiting: a try at once, the cause logged anew */
    assert_string_equal(t_save(&t, T_OTHER, 1), "connect");
    assert_int_equal(axis_mqtt_session_timer(&t.s), 0);
    assert_string_equal(t_in(&t, AXIS_MQTT_IN_CONNECT_FAILED,
                             "Connection refused"),
                        "err:connecting to tcp://c:1883 failed: "
                        "Connection refused destroy");

    /* deactivated while waiting: no more retries */
    assert_string_equal(t_save(&t, T_OTHER, 0),
                        "info:client deactivated");
    assert_int_equal(t.s.phase, AXIS_MQTT_SESSION_IDLE);
    assert_int_equal(axis_mqtt_session_timer(&t.s), 0);

    /* deactivated while connecting: dropped */
    assert_string_equal(t_save(&t, T_OTHER, 1), "connect");
    assert_string_equal(t_save(&t, T_OTHER, 0),
                        "destroy info:client deactivated");

    t_done(&t);
}


static void
test_lost_without_auto_reconnect(void **unused)
{
    t_session_t  t;

    t_init(&t, 1);
    t_connected(&t, T_NO_RETRY);

    assert_string_equal(t_in(&t, AXIS_MQTT_IN_LOST, NULL),
                        "warn:connection to " T_URI " lost status=0 "
                        "destroy");
    assert_int_equal(t.s.phase, AXIS_MQTT_SESSION_IDLE);
    assert_int_equal(axis_mqtt_session_timer(&t.s), 0);

    /* a first connection is always retried */
    assert_string_equal(t_save(&t, T_PLAIN, 1), "connect");
    assert_string_equal(t_in(&t, AXIS_MQTT_IN_CONNECT_FAILED, "x"),
                        "err:connecting to " T_URI " failed: x destroy");
    assert_int_equal(t.s.phase, AXIS_MQTT_SESSION_RETRY_WAIT);

    t_done(&t);
}


static void
test_liveness(void **unused)
{
    t_session_t  t;

    t_init(&t, 1);
    t_connected(&t, T_PLAIN);

    /* every half keep-alive interval a question, answered */
    assert_int_equal(axis_mqtt_session_timer(&t.s), t.now + 5000);
    assert_string_equal(t_timer(&t), "ask");
    assert_int_equal(axis_mqtt_session_timer(&t.s), t.now + 5000);
    t.now += 3;
    assert_string_equal(t_in(&t, AXIS_MQTT_IN_ALIVE, NULL), "");
    assert_int_equal(axis_mqtt_session_timer(&t.s), t.now + 5000);

    /* an answer nobody asked for changes nothing */
    assert_string_equal(t_in(&t, AXIS_MQTT_IN_ALIVE, NULL), "");
    assert_int_equal(axis_mqtt_session_timer(&t.s), t.now + 5000);

    /* unanswered within half an interval: lost */
    assert_string_equal(t_timer(&t), "ask");
    assert_string_equal(t_timer(&t),
                        "warn:connection to " T_URI " lost: the broker did "
                        "not answer within 5 s status=0 destroy");
    assert_int_equal(t.s.phase, AXIS_MQTT_SESSION_RETRY_WAIT);

    /* keep-alive off: no questions */
    t_init(&t, 1);
    t_connected(&t, "{\"server\": {\"protocol\": \"tcp\", \"host\": \"b\"},"
                    " \"keepAliveInterval\": 0}");
    assert_int_equal(axis_mqtt_session_timer(&t.s), 0);

    t_done(&t);
}


static void
test_guards(void **unused)
{
    t_session_t  t;

    t_init(&t, 1);
    t_connected(&t, T_ANNOUNCED);

    assert_string_equal(t_save(&t, T_ANNOUNCED, 0), "farewell");
    assert_int_equal(axis_mqtt_session_timer(&t.s),
                     t.now + AXIS_MQTT_GUARD_WAIT);
    assert_string_equal(t_timer(&t),
                        "warn:the broker did not acknowledge the disconnect "
                        "message within 3000 ms disconnect");
    assert_string_equal(t_timer(&t),
                        "warn:the broker did not acknowledge the DISCONNECT "
                        "within 3000 ms status=0 destroy "
                        "info:client deactivated");

    /* a connection lost while leaving: left */
    t_connected(&t, T_ANNOUNCED);
    assert_string_equal(t_save(&t, T_ANNOUNCED, 0), "farewell");
    assert_string_equal(t_in(&t, AXIS_MQTT_IN_LOST, NULL),
                        "status=0 destroy info:client deactivated");

    /* activated again while leaving: connects once it has left */
    t_connected(&t, T_ANNOUNCED);
    assert_string_equal(t_save(&t, T_ANNOUNCED, 0), "farewell");
    assert_string_equal(t_save(&t, T_ANNOUNCED, 1), "");
    assert_string_equal(t_in(&t, AXIS_MQTT_IN_FAREWELL_DONE, NULL),
                        "disconnect");
    assert_string_equal(t_in(&t, AXIS_MQTT_IN_DISCONNECTED, NULL),
                        "status=0 destroy connect");

    t_done(&t);
}


/* a reload: the old owner's DISCONNECT, no farewell, then it lets go */
static void
test_reload(void **unused)
{
    t_session_t  t;

    t_init(&t, 1);
    t_connected(&t, T_ANNOUNCED);

    assert_string_equal(t_in(&t, AXIS_MQTT_IN_STOP, NULL),
                        "info:disconnecting from " T_URI " disconnect");
    assert_string_equal(t_in(&t, AXIS_MQTT_IN_STOP, NULL), "");
    assert_false(axis_mqtt_session_released(&t.s));

    /* nothing more is acted on */
    assert_string_equal(t_save(&t, T_OTHER, 1), "");

    /* released before the client is destroyed (that may sleep) */
    assert_string_equal(t_in(&t, AXIS_MQTT_IN_DISCONNECTED, NULL),
                        "status=0 release destroy");
    assert_int_equal(t.s.phase, AXIS_MQTT_SESSION_IDLE);
    assert_true(axis_mqtt_session_released(&t.s));

    /* the new owner: a new session on the saved state */
    t_init(&t, 2);
    t_connected(&t, T_ANNOUNCED);

    /* a broker that does not acknowledge: released after the guard */
    assert_string_equal(t_in(&t, AXIS_MQTT_IN_STOP, NULL),
                        "info:disconnecting from " T_URI " disconnect");
    assert_string_equal(t_timer(&t),
                        "warn:the broker did not acknowledge the DISCONNECT "
                        "within 3000 ms status=0 release destroy");

    t_done(&t);
}


static void
test_stop_in_every_phase(void **unused)
{
    t_session_t  t;

    t_init(&t, 1);
    assert_false(axis_mqtt_session_released(&t.s));
    assert_string_equal(t_in(&t, AXIS_MQTT_IN_STOP, NULL), "release");
    assert_true(axis_mqtt_session_released(&t.s));

    t_init(&t, 1);
    assert_string_equal(t_save(&t, T_PLAIN, 1), "connect");
    assert_string_equal(t_in(&t, AXIS_MQTT_IN_STOP, NULL),
                        "info:disconnecting from " T_URI " release destroy");

    t_init(&t, 1);
    assert_string_equal(t_save(&t, T_PLAIN, 1), "connect");
    (void) t_in(&t, AXIS_MQTT_IN_CONNECT_FAILED, "x");
    assert_string_equal(t_in(&t, AXIS_MQTT_IN_STOP, NULL), "release");
    assert_int_equal(axis_mqtt_session_timer(&t.s), 0);

    /* stopped while the farewell is out: released once it has left */
    t_init(&t, 1);
    t_connected(&t, T_ANNOUNCED);
    assert_string_equal(t_save(&t, T_ANNOUNCED, 0), "farewell");
    assert_string_equal(t_in(&t, AXIS_MQTT_IN_STOP, NULL), "");
    assert_string_equal(t_in(&t, AXIS_MQTT_IN_FAREWELL_DONE, NULL),
                        "disconnect");
    assert_string_equal(t_in(&t, AXIS_MQTT_IN_DISCONNECTED, NULL),
                        "status=0 release destroy");

    t_done(&t);
}


/*
 * The owner killed: the broker publishes the last will; the respawned
 * worker's new session connects on the saved state.  Then the broker
 * restarts: lost, refused while it is down, back.
 */
static void
test_crash_and_broker_restart(void **unused)
{
    t_session_t  t;

    t_init(&t, 3);
    t_connected(&t, T_ANNOUNCED);

    assert_string_equal(t_in(&t, AXIS_MQTT_IN_LOST, NULL),
                        "warn:connection to " T_URI " lost status=0 "
                        "destroy");
    assert_string_equal(t_timer(&t), "connect");
    assert_string_equal(t_in(&t, AXIS_MQTT_IN_CONNECT_FAILED,
                             "Connection refused"),
                        "err:connecting to " T_URI " failed: "
                        "Connection refused destroy");
    assert_string_equal(t_timer(&t), "connect");
    assert_string_equal(t_in(&t, AXIS_MQTT_IN_CONNECT_FAILED,
                             "Connection refused"), "destroy");
    assert_string_equal(t_timer(&t), "connect");
    assert_string_equal(t_in(&t, AXIS_MQTT_IN_CONNECTED, NULL),
                        "info:connected to " T_URI " status=1 announce");

    t_done(&t);
}


static void
test_uri(void **unused)
{
    char               uri[AXIS_MQTT_URI_LEN];
    axis_mqtt_state_t  state;

    t_state(&state, "{\"server\": {\"protocol\": \"ssl\","
                    " \"host\": \"::1\", \"port\": 8883}}", 1);
    axis_mqtt_session_uri(&state.conf, uri, sizeof(uri));
    assert_string_equal(uri, "ssl://[::1]:8883");

    t_state(&state, "{\"server\": {\"protocol\": \"wss\","
                    " \"host\": \"b\", \"basepath\": \"ws\"}}", 1);
    axis_mqtt_session_uri(&state.conf, uri, sizeof(uri));
    assert_string_equal(uri, "wss://b:443/ws");

    t_state(&state, "{\"server\": {\"protocol\": \"ws\","
                    " \"host\": \"b\", \"basepath\": \"\"}}", 1);
    axis_mqtt_session_uri(&state.conf, uri, sizeof(uri));
    assert_string_equal(uri, "ws://b:80");

    /* a path only for websockets */
    t_state(&state, "{\"server\": {\"protocol\": \"tcp\","
                    " \"host\": \"b\", \"basepath\": \"/x\"}}", 1);
    axis_mqtt_session_uri(&state.conf, uri, sizeof(uri));
    assert_string_equal(uri, "tcp://b:1883");
}


int
t_run_session_tests(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_activate_and_deactivate),
        cmocka_unit_test(test_reconfigure),
        cmocka_unit_test(test_late_events_of_an_old_client),
        cmocka_unit_test(test_retry_backoff_and_causes),
        cmocka_unit_test(test_jitter_spreads_devices),
        cmocka_unit_test(test_new_command_retries_now),
        cmocka_unit_test(test_lost_without_auto_reconnect),
        cmocka_unit_test(test_liveness),
        cmocka_unit_test(test_guards),
        cmocka_unit_test(test_reload),
        cmocka_unit_test(test_stop_in_every_phase),
        cmocka_unit_test(test_crash_and_broker_restart),
        cmocka_unit_test(test_uri),
    };

    return cmocka_run_group_tests_name("session", tests, NULL, NULL);
}

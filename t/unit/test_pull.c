
/*
 * A device's PullPoint subscription as a state machine: subscribed while
 * wanted, pulled in a loop, renewed at half its life, made again after a
 * failure with a back-off (each cause logged once), unsubscribed when no
 * longer wanted and when the owner quits, one request at a time.
 *
 * Each step's actions as one line of words: "create", "pull", "renew",
 * "unsubscribe", "release", "err:" or "info:" and the log line.
 */

#include <stdio.h>
#include <string.h>

#include "unit.h"
#include "axis_mqtt_pull.h"


#define T_T0  1000000


typedef struct {
    axis_mqtt_pull_t  p;
    int               drained;      /* what the next pulls leave behind */
    uint64_t          now;
    char              line[2048];
} t_pull_t;


static const char *
t_step(t_pull_t *t, axis_mqtt_pull_in_e type, int value, int64_t lifetime,
    const char *text)
{
    size_t                  len;
    unsigned                i;
    axis_mqtt_actions_t    out;
    axis_mqtt_pull_input_t  in;

    static const char  *names[] = {
        "create", "pull", "renew", "unsubscribe", "log", "release"
    };

    in.type = type;
    in.now = t->now;
    in.value = value;
    in.lifetime = lifetime;
    in.drained = t->drained;
    in.text = text;
    out.n = 0;

    axis_mqtt_pull_handle(&t->p, &in, &out);

    t->line[0] = '\0';

    for (i = 0, len = 0; i < out.n; i++) {
        if (out.actions[i].type == AXIS_MQTT_PULL_DO_LOG) {
            len += snprintf(t->line + len, sizeof(t->line) - len, "%s%s:%s",
                            i ? " " : "",
                            out.actions[i].value ? "info" : "err",
                            out.actions[i].text);

        } else {
            len += snprintf(t->line + len, sizeof(t->line) - len, "%s%s",
                            i ? " " : "", names[out.actions[i].type]);
        }
    }

    return t->line;
}


#define t_wanted(t, v)     t_step(t, AXIS_MQTT_PULL_IN_WANTED, v, 0, NULL)
#define t_ok(t)            t_step(t, AXIS_MQTT_PULL_IN_DONE, 1, 0, NULL)
#define t_created(t, ms)   t_step(t, AXIS_MQTT_PULL_IN_DONE, 1, ms, NULL)
#define t_failed(t, why)   t_step(t, AXIS_MQTT_PULL_IN_DONE, 0, 0, why)
#define t_stop(t)          t_step(t, AXIS_MQTT_PULL_IN_STOP, 0, 0, NULL)


static const char *
t_timer(t_pull_t *t)
{
    uint64_t  due = axis_mqtt_pull_timer(&t->p);

    assert_true(due > t->now);

    t->now = due - 1;
    assert_string_equal(t_step(t, AXIS_MQTT_PULL_IN_TIMER, 0, 0, NULL), "");
    t->now = due;

    return t_step(t, AXIS_MQTT_PULL_IN_TIMER, 0, 0, NULL);
}


static void
t_init(t_pull_t *t)
{
    memset(t, 0, sizeof(t_pull_t));
    axis_mqtt_pull_init(&t->p);
    t->now = T_T0;
}


static void
test_pull_loop_and_renewal(void **unused)
{
    t_pull_t  t;

    t_init(&t);
    assert_string_equal(t_wanted(&t, 0), "");
    assert_string_equal(t_wanted(&t, 1), "create");

    /* one request at a time: wanted again while creating changes nothing */
    assert_string_equal(t_wanted(&t, 1), "");
    assert_string_equal(t_created(&t, 60000), "pull");
    assert_int_equal(axis_mqtt_pull_busy(&t.p), 1);
    assert_int_equal(axis_mqtt_pull_timer(&t.p), 0);

    t.now += 10000;
    assert_string_equal(t_ok(&t), "pull");

    /* half the camera's lifetime: renewed, then pulled again */
    t.now = T_T0 + 30000;
    assert_string_equal(t_ok(&t), "renew");
    assert_string_equal(t_created(&t, 10000), "pull");
    t.now += 4999;
    assert_string_equal(t_ok(&t), "pull");
    t.now += 1;
    assert_string_equal(t_ok(&t), "renew");

    /* a camera that gives no lifetime: ours (60 s), renewed at 30 s */
    assert_string_equal(t_created(&t, 0), "pull");
    t.now += 29999;
    assert_string_equal(t_ok(&t), "pull");
    t.now += 1;
    assert_string_equal(t_ok(&t), "renew");
}


static void
test_pull_failures_and_backoff(void **unused)
{
    t_pull_t  t;

    t_init(&t);
    assert_string_equal(t_wanted(&t, 1), "create");
    assert_string_equal(t_failed(&t, "the camera refused the user name or "
                                     "password (401)"),
                        "err:camera events: the camera refused the user "
                        "name or password (401)");
    assert_int_equal(axis_mqtt_pull_busy(&t.p), 0);
    assert_int_equal(axis_mqtt_pull_timer(&t.p), T_T0 + 1000);

    /* the same cause again: quiet, and the wait doubles up to 30 s */
    assert_string_equal(t_timer(&t), "create");
    assert_string_equal(t_failed(&t, "the camera refused the user name or "
                                     "password (401)"), "");
    assert_int_equal(axis_mqtt_pull_timer(&t.p) - t.now, 2000);

    assert_string_equal(t_timer(&t), "create");
    assert_string_equal(t_failed(&t, "connection refused"),
                        "err:camera events: connection refused");
    assert_int_equal(axis_mqtt_pull_timer(&t.p) - t.now, 4000);

    for (int i = 0; i < 10; i++) {
        assert_string_equal(t_timer(&t), "create");
        t_failed(&t, "connection refused");
    }
    assert_int_equal(axis_mqtt_pull_timer(&t.p) - t.now, 30000);

    /* subscribed again: said once; a pull that goes well starts afresh */
    assert_string_equal(t_timer(&t), "create");
    assert_string_equal(t_created(&t, 60000),
                        "info:subscribed to the camera's events again pull");
    assert_string_equal(t_ok(&t), "pull");

    /* a pull that fails: the subscription is made anew after 1 s */
    assert_string_equal(t_failed(&t, "the camera stopped answering"),
                        "err:camera events: the camera stopped answering");
    assert_int_equal(axis_mqtt_pull_timer(&t.p) - t.now, 1000);

    /* not wanted while waiting: nothing more */
    assert_string_equal(t_wanted(&t, 0), "");
    assert_int_equal(axis_mqtt_pull_timer(&t.p), 0);

    /* wanted again while waiting: at once, afresh */
    assert_string_equal(t_failed(&t, "late"), "");
    assert_string_equal(t_wanted(&t, 1), "create");
}


static void
test_pull_not_wanted_and_stop(void **unused)
{
    t_pull_t  t;

    t_init(&t);
    assert_string_equal(t_wanted(&t, 1), "create");
    assert_string_equal(t_created(&t, 60000), "pull");

    /* not wanted while pulling: unsubscribed once the pull is back */
    assert_string_equal(t_wanted(&t, 0), "");
    assert_string_equal(t_ok(&t), "unsubscribe");

    /* wanted again while unsubscribing: a new subscription after it */
    assert_string_equal(t_wanted(&t, 1), "");
    assert_string_equal(t_failed(&t, "the camera did not answer"), "create");
    assert_string_equal(t_created(&t, 60000), "pull");

    /* the owner quits while pulling: the pull is cut short, unsubscribed */
    assert_string_equal(t_stop(&t), "");
    assert_string_equal(t_failed(&t, "stopped"), "unsubscribe");
    assert_string_equal(t_failed(&t, "the camera did not answer"),
                        "release");
    assert_int_equal(axis_mqtt_pull_busy(&t.p), 0);

    /* cut short while creating: nothing to unsubscribe */
    t_init(&t);
    t_wanted(&t, 1);
    assert_string_equal(t_stop(&t), "");
    assert_string_equal(t_failed(&t, "stopped"), "release");

    /* stopped: nothing is made again */
    assert_string_equal(t_wanted(&t, 0), "");
    assert_string_equal(t_wanted(&t, 1), "");

    /* a pull that comes back while quitting: unsubscribed, then let go */
    t_init(&t);
    t_wanted(&t, 1);
    t_created(&t, 60000);
    assert_string_equal(t_stop(&t), "");
    assert_string_equal(t_ok(&t), "unsubscribe");
    assert_string_equal(t_ok(&t), "release");

    /* quitting with nothing in flight, or while waiting to retry */
    t_init(&t);
    assert_string_equal(t_stop(&t), "release");
    t_init(&t);
    t_wanted(&t, 1);
    t_failed(&t, "refused");
    assert_string_equal(t_stop(&t), "release");
    assert_int_equal(axis_mqtt_pull_timer(&t.p), 0);
    assert_string_equal(t_stop(&t), "");
}


static void
test_pull_refresh(void **unused)
{
    t_pull_t  t;

    t_init(&t);
    t.drained = 1;

    /* not subscribed, or subscribing: a new subscription starts afresh */
    assert_string_equal(t_step(&t, AXIS_MQTT_PULL_IN_REFRESH, 0, 0, NULL),
                        "");
    assert_string_equal(t_wanted(&t, 1), "create");
    assert_string_equal(t_step(&t, AXIS_MQTT_PULL_IN_REFRESH, 0, 0, NULL),
                        "");
    assert_string_equal(t_created(&t, 60000), "pull");

    /* pulling: not while the camera still has events queued ... */
    assert_string_equal(t_step(&t, AXIS_MQTT_PULL_IN_REFRESH, 0, 0, NULL),
                        "");
    t.drained = 0;
    assert_string_equal(t_ok(&t), "pull");
    assert_string_equal(t_ok(&t), "pull");

    /* ... but once a pull drained them: unsubscribed and made again */
    t.drained = 1;
    assert_string_equal(t_ok(&t), "unsubscribe");
    assert_string_equal(t_ok(&t), "create");
    assert_string_equal(t_created(&t, 60000), "pull");
    assert_string_equal(t_ok(&t), "pull");
}


/* a camera that takes creates but fails every pull: no loop every second */
static void
test_pull_failing_pulls(void **unused)
{
    int       i;
    t_pull_t  t;

    t_init(&t);
    assert_string_equal(t_wanted(&t, 1), "create");

    assert_string_equal(t_created(&t, 60000), "pull");
    assert_string_equal(t_failed(&t, "SOAP fault: Action failed"),
                        "err:camera events: SOAP fault: Action failed");
    assert_int_equal(axis_mqtt_pull_timer(&t.p) - t.now, 1000);

    assert_string_equal(t_timer(&t), "create");
    assert_string_equal(t_created(&t, 60000),
                        "info:subscribed to the camera's events again pull");
    assert_string_equal(t_failed(&t, "SOAP fault: Action failed"), "");
    assert_int_equal(axis_mqtt_pull_timer(&t.p) - t.now, 2000);

    for (i = 0; i < 8; i++) {
        assert_string_equal(t_timer(&t), "create");
        assert_string_equal(t_created(&t, 60000), "pull");
        assert_string_equal(t_failed(&t, "SOAP fault: Action failed"), "");
    }

    assert_int_equal(axis_mqtt_pull_timer(&t.p) - t.now, 30000);

    /* a refresh asked meanwhile is met by the new subscription */
    assert_string_equal(t_timer(&t), "create");
    assert_string_equal(t_created(&t, 60000), "pull");
    assert_string_equal(t_step(&t, AXIS_MQTT_PULL_IN_REFRESH, 0, 0, NULL),
                        "");
    t.drained = 1;
    assert_string_equal(t_failed(&t, "late"),
                        "err:camera events: late");
    assert_string_equal(t_timer(&t), "create");
    assert_string_equal(t_created(&t, 60000), "pull");
    assert_string_equal(t_ok(&t), "pull");
}


int
t_run_pull_tests(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_pull_loop_and_renewal),
        cmocka_unit_test(test_pull_failures_and_backoff),
        cmocka_unit_test(test_pull_not_wanted_and_stop),
        cmocka_unit_test(test_pull_refresh),
        cmocka_unit_test(test_pull_failing_pulls),
    };

    return cmocka_run_group_tests_name("pull", tests, NULL, NULL);
}

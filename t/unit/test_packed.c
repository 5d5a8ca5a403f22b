
/*
 * The packed form of a state: what the zone, the mailbox and the sessions
 * keep.  It must give back the state it was made of, whatever the strings
 * hold and however long they are, be the same bytes for the same state
 * (what follows a string's NUL does not count), and refuse bytes that are
 * not a packed state rather than read past them.
 */

#include <stdlib.h>
#include <string.h>

#include "unit.h"


/* every string of conf at its longest, each of another letter */
static void
t_fill_strings(axis_mqtt_conf_t *conf)
{
    char    *p, c = 'a';
    size_t   i;
    struct {
        char    *s;
        size_t   size;
    } strings[] = {
        { conf->host, sizeof(conf->host) },
        { conf->basepath, sizeof(conf->basepath) },
        { conf->alpn_protocol, sizeof(conf->alpn_protocol) },
        { conf->http_proxy, sizeof(conf->http_proxy) },
        { conf->https_proxy, sizeof(conf->https_proxy) },
        { conf->username, sizeof(conf->username) },
        { conf->password, sizeof(conf->password) },
        { conf->client_id, sizeof(conf->client_id) },
        { conf->device_topic_prefix, sizeof(conf->device_topic_prefix) },
        { conf->last_will.topic, sizeof(conf->last_will.topic) },
        { conf->last_will.message, sizeof(conf->last_will.message) },
        { conf->connect_message.topic, sizeof(conf->connect_message.topic) },
        { conf->connect_message.message,
          sizeof(conf->connect_message.message) },
        { conf->disconnect_message.topic,
          sizeof(conf->disconnect_message.topic) },
        { conf->disconnect_message.message,
          sizeof(conf->disconnect_message.message) },
        { conf->client_cert_id, sizeof(conf->client_cert_id) },
        { conf->ca_cert_id, sizeof(conf->ca_cert_id) }
    };

    for (i = 0; i < T_NELTS(strings); i++) {
        p = strings[i].s;
        memset(p, c++, strings[i].size - 1);
        p[strings[i].size - 1] = '\0';
    }
}


/* n filters, each as long as it may be, of another letter */
static void
t_fill_filters(axis_mqtt_event_conf_t *events, int n)
{
    int  i;

    events->nfilters = n;

    for (i = 0; i < n; i++) {
        memset(events->filters[i].topic_filter, 'A' + i % 26,
               AXIS_MQTT_EVENT_FILTER_LEN);
        events->filters[i].topic_filter[AXIS_MQTT_EVENT_FILTER_LEN] = '\0';
        events->filters[i].qos = i % 3;
        events->filters[i].retain = (i + 1) % 3;
    }
}


static void
t_assert_round_trip(const axis_mqtt_state_t *st)
{
    axis_mqtt_state_t    back;
    axis_mqtt_packed_t  *packed, again;

    packed = axis_mqtt_state_pack_alloc(st);
    assert_non_null(packed);

    assert_int_equal(axis_mqtt_state_packed_size(st),
                     offsetof(axis_mqtt_packed_t, data) + packed->len);
    assert_true(packed->len <= AXIS_MQTT_PACKED_MAX);

    assert_int_equal(axis_mqtt_state_unpack(&back, packed), 0);
    t_assert_conf_equal(&back.conf, &st->conf);
    assert_int_equal(back.active, st->active);
    assert_int_equal(back.events.nfilters, st->events.nfilters);
    assert_memory_equal(&back.events, &st->events,
                        offsetof(axis_mqtt_event_conf_t, filters)
                        + st->events.nfilters
                          * sizeof(axis_mqtt_event_filter_t));

    /* what follows a string's NUL is not kept: the same bytes again */
    axis_mqtt_state_pack(&back, &again);
    assert_true(axis_mqtt_packed_equal(packed, &again));

    free(packed);
}


static void
test_packed_round_trip(void **state)
{
    axis_mqtt_state_t  st;

    (void) state;

    memset(&st, 0, sizeof(st));
    axis_mqtt_state_init(&st, T_SERIAL);
    t_assert_round_trip(&st);

    memset(&st, 0, sizeof(st));
    t_state(&st, T_PARAMS_FULL, 1);
    t_assert_round_trip(&st);

    /* a few filters: the unused ones are not kept */
    t_fill_filters(&st.events, 3);
    t_assert_round_trip(&st);
    assert_true(axis_mqtt_state_packed_size(&st)
                < 4 * (AXIS_MQTT_EVENT_FILTER_LEN + 1) + 2048);

    /* every string full: the table walks the struct forwards, in order */
    t_fill_strings(&st.conf);
    t_fill_filters(&st.events, AXIS_MQTT_EVENT_FILTERS_MAX);
    strcpy(st.events.custom_topic_prefix, "site/cam");
    st.active = 1;
    t_assert_round_trip(&st);
}


static void
test_packed_is_small(void **state)
{
    axis_mqtt_state_t   st;
    axis_mqtt_packed_t  packed;

    (void) state;

    memset(&st, 0, sizeof(st));
    t_state(&st, T_PARAMS_FULL, 1);
    axis_mqtt_state_pack(&st, &packed);

    /* the numbers and the strings' bytes, not their buffers */
    assert_true(packed.len < 1024);
    assert_true(sizeof(axis_mqtt_state_t) > 15 * 1024);
}


static void
test_packed_equal(void **state)
{
    axis_mqtt_state_t   a, b;
    axis_mqtt_packed_t  pa, pb;

    (void) state;

    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    t_state(&a, T_PARAMS_FULL, 1);
    t_state(&b, T_PARAMS_FULL, 1);

    /* what follows a string's NUL does not count */
    strcpy(b.conf.host, "a-much-longer-host-name.example");
    strcpy(b.conf.host, a.conf.host);

    axis_mqtt_state_pack(&a, &pa);
    axis_mqtt_state_pack(&b, &pb);
    assert_true(axis_mqtt_packed_equal(&pa, &pb));

    /* a string one byte longer, a number, the active flag */
    strcat(b.conf.client_id, "x");
    axis_mqtt_state_pack(&b, &pb);
    assert_false(axis_mqtt_packed_equal(&pa, &pb));

    b = a;
    b.conf.port++;
    axis_mqtt_state_pack(&b, &pb);
    assert_false(axis_mqtt_packed_equal(&pa, &pb));

    b = a;
    b.active = 0;
    axis_mqtt_state_pack(&b, &pb);
    assert_false(axis_mqtt_packed_equal(&pa, &pb));

    axis_mqtt_packed_copy(&pb, &pa);
    assert_true(axis_mqtt_packed_equal(&pa, &pb));
}


static void
test_packed_refuses_garbage(void **state)
{
    size_t              len;
    axis_mqtt_state_t   st, back;
    axis_mqtt_packed_t  packed, bad;

    (void) state;

    memset(&st, 0, sizeof(st));
    t_state(&st, T_PARAMS_FULL, 1);
    axis_mqtt_state_pack(&st, &packed);

    /* cut anywhere: refused, never read past the end */
    for (len = 0; len < packed.len; len++) {
        axis_mqtt_packed_copy(&bad, &packed);
        bad.len = len;
        assert_int_equal(axis_mqtt_state_unpack(&back, &bad), -1);
    }

    /* one byte too many */
    axis_mqtt_packed_copy(&bad, &packed);
    bad.data[bad.len++] = 'x';
    assert_int_equal(axis_mqtt_state_unpack(&back, &bad), -1);

    /* a string without its NUL runs into the next one: refused */
    memset(&bad, 'x', sizeof(bad));
    bad.len = AXIS_MQTT_PACKED_MAX;
    assert_int_equal(axis_mqtt_state_unpack(&back, &bad), -1);
}


int
t_run_packed_tests(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_packed_round_trip),
        cmocka_unit_test(test_packed_is_small),
        cmocka_unit_test(test_packed_equal),
        cmocka_unit_test(test_packed_refuses_garbage),
    };

    return cmocka_run_group_tests_name("packed", tests, NULL, NULL);
}

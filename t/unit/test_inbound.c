
/*
 * MQTT to camera: configureMqttSubscription and getMqttSubscriptionConfig
 * (every field echoed, the errors that change nothing, the state file),
 * the MQTT filter syntax and matching, the subscriptions a state makes
 * and how a change reaches the broker, what a message asks of the
 * virtual inputs, the loop guard, and the camera's virtual input answers.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "axis_mqtt_inbound.h"
#include "axis_mqtt_vapix.h"


#define T_GET  "{\"apiVersion\":\"1.1\","                                  \
               "\"method\":\"getMqttSubscriptionConfig\"}"


static char *
t_subscriptions(axis_mqtt_state_t *state)
{
    int      code;
    char    *text;
    json_t  *resp;

    resp = t_api_call(AXIS_MQTT_API_EVENT, T_GET, state, &code);
    assert_int_equal(code, 0);

    text = json_dumps(json_object_get(json_object_get(resp, "data"),
                                      "mqttSubscriptionConfig"),
                      JSON_COMPACT);
    json_decref(resp);

    return text;
}


static int
t_configure_inbound(axis_mqtt_state_t *state, const char *params)
{
    int      code;
    char     body[8192];
    json_t  *resp;

    snprintf(body, sizeof(body), "{\"apiVersion\":\"1.0\","
             "\"method\":\"configureMqttSubscription\",\"params\":%s}",
             params);

    resp = t_api_call(AXIS_MQTT_API_EVENT, body, state, &code);
    json_decref(resp);

    return code;
}


static void
test_inbound_configure_and_echo(void **unused)
{
    int                 code;
    char               *text;
    json_t             *resp;
    axis_mqtt_state_t  *state;

    state = calloc(1, sizeof(axis_mqtt_state_t));
    t_state(state, T_PARAMS_FULL, 1);

    text = t_subscriptions(state);
    assert_string_equal(text, "{\"mqttFilterList\":[]}");
    t_alloc_free(text);

    assert_int_equal(t_configure_inbound(state,
        "{\"mqttFilterList\":["
        "{\"topicFilter\":\"site/door/10\",\"isStateData\":true,"
        "\"virtualInput\":3,\"qos\":1},"
        "{\"topicFilter\":\"cmd/+/snap\",\"useDeviceTopicPrefix\":true},"
        "{\"topicFilter\":\"alarms/#\",\"qos\":2,\"virtualInput\":32}]}"),
        0);

    /* every field with its effective value; virtualInput when given */
    text = t_subscriptions(state);
    assert_string_equal(text, "{\"mqttFilterList\":["
        "{\"topicFilter\":\"site/door/10\",\"useDeviceTopicPrefix\":false,"
        "\"qos\":1,\"isStateData\":true,\"virtualInput\":3},"
        "{\"topicFilter\":\"cmd/+/snap\",\"useDeviceTopicPrefix\":true,"
        "\"qos\":0,\"isStateData\":false},"
        "{\"topicFilter\":\"alarms/#\",\"useDeviceTopicPrefix\":false,"
        "\"qos\":2,\"isStateData\":false,\"virtualInput\":32}]}");
    t_alloc_free(text);

    /* the rest of the device is untouched */
    assert_int_equal(state->active, 1);
    assert_string_equal(state->conf.host, "broker.example");
    assert_int_equal(state->events.nfilters, 0);

    /* the whole list is replaced */
    assert_int_equal(t_configure_inbound(state, "{\"mqttFilterList\":[]}"),
                     0);
    text = t_subscriptions(state);
    assert_string_equal(text, "{\"mqttFilterList\":[]}");
    t_alloc_free(text);

    /* event.cgi is 1.1; client.cgi stays 1.0 */
    resp = t_api_call(AXIS_MQTT_API_EVENT,
                      "{\"method\":\"getSupportedVersions\"}", state, &code);
    text = json_dumps(json_object_get(resp, "data"), JSON_COMPACT);
    assert_string_equal(text, "{\"apiVersions\":[\"1.1\"]}");
    t_alloc_free(text);
    json_decref(resp);

    resp = t_api_call(AXIS_MQTT_API_CLIENT,
                      "{\"method\":\"getSupportedVersions\"}", state, &code);
    text = json_dumps(json_object_get(resp, "data"), JSON_COMPACT);
    assert_string_equal(text, "{\"apiVersions\":[\"1.0\"]}");
    t_alloc_free(text);
    json_decref(resp);

    free(state);
}


static void
test_inbound_errors_change_nothing(void **unused)
{
    int                 code;
    char               *before, *after, body[8192];
    size_t              i, n;
    json_t             *resp;
    axis_mqtt_state_t  *state;

    static const struct {
        const char  *params;
        int          code;
    } cases[] = {
        { "[]", 2103 },
        { "{}", 2103 },
        { "{\"mqttFilterList\":{}}", 2103 },
        { "{\"mqttFilterList\":[{}]}", 2103 },
        { "{\"mqttFilterList\":[{\"topicFilter\":\"\"}]}", 2104 },
        { "{\"mqttFilterList\":[{\"topicFilter\":\"a/b#\"}]}", 2104 },
        { "{\"mqttFilterList\":[{\"topicFilter\":\"a/#/b\"}]}", 2104 },
        { "{\"mqttFilterList\":[{\"topicFilter\":\"a+/b\"}]}", 2104 },
        { "{\"mqttFilterList\":[{\"topicFilter\":\"a/+\","
          "\"isStateData\":true}]}", 2104 },
        { "{\"mqttFilterList\":[{\"topicFilter\":\"#\","
          "\"isStateData\":true}]}", 2104 },
        { "{\"mqttFilterList\":[{\"topicFilter\":\"a\",\"qos\":3}]}", 2104 },
        { "{\"mqttFilterList\":[{\"topicFilter\":\"a\",\"qos\":\"1\"}]}",
          2103 },
        { "{\"mqttFilterList\":[{\"topicFilter\":\"a\","
          "\"virtualInput\":0}]}", 2104 },
        { "{\"mqttFilterList\":[{\"topicFilter\":\"a\","
          "\"virtualInput\":33}]}", 2104 },
        { "{\"mqttFilterList\":[{\"topicFilter\":\"a\","
          "\"virtualInput\":\"1\"}]}", 2103 },
        { "{\"mqttFilterList\":[{\"topicFilter\":\"a\","
          "\"isStateData\":1}]}", 2103 },
        { "{\"mqttFilterList\":[{\"topicFilter\":\"a\"},"
          "{\"topicFilter\":\"b/#/c\"}]}", 2104 },
    };

    state = calloc(1, sizeof(axis_mqtt_state_t));
    t_state(state, T_PARAMS_FULL, 1);

    assert_int_equal(t_configure_inbound(state,
        "{\"mqttFilterList\":[{\"topicFilter\":\"keep/me\","
        "\"virtualInput\":1}]}"), 0);
    before = t_subscriptions(state);

    for (i = 0; i < T_NELTS(cases); i++) {
        code = t_configure_inbound(state, cases[i].params);
        if (code != cases[i].code) {
            fail_msg("%s: %d, not %d", cases[i].params, code, cases[i].code);
        }

        after = t_subscriptions(state);
        assert_string_equal(after, before);
        t_alloc_free(after);
    }

    /* no params at all */
    resp = t_api_call(AXIS_MQTT_API_EVENT, "{\"apiVersion\":\"1.1\","
                      "\"method\":\"configureMqttSubscription\"}", state,
                      &code);
    assert_int_equal(code, 2103);
    json_decref(resp);

    /* 32 filters are taken, 33 are not */
    for (n = 32; n <= 33; n++) {
        strcpy(body, "{\"mqttFilterList\":[");

        for (i = 0; i < n; i++) {
            snprintf(body + strlen(body), sizeof(body) - strlen(body),
                     "%s{\"topicFilter\":\"t/%zu\"}", i ? "," : "", i);
        }

        strcat(body, "]}");
        assert_int_equal(t_configure_inbound(state, body),
                         n == 32 ? 0 : 2104);
    }

    assert_int_equal(state->inbound.nfilters, 32);

    t_alloc_free(before);
    free(state);
}


static void
test_inbound_state_file(void **unused)
{
    const char         *text;
    axis_mqtt_error_t   err;
    axis_mqtt_state_t  *state, *back;

    state = calloc(1, sizeof(axis_mqtt_state_t));
    back = calloc(1, sizeof(axis_mqtt_state_t));
    t_state(state, T_PARAMS_FULL, 1);

    assert_int_equal(t_configure_inbound(state,
        "{\"mqttFilterList\":[{\"topicFilter\":\"door/+\",\"qos\":2,"
        "\"useDeviceTopicPrefix\":true,\"virtualInput\":7}]}"), 0);

    t_store_round_trip(state, back);

    assert_int_equal(back->inbound.nfilters, 1);
    assert_string_equal(back->inbound.filters[0].topic_filter, "door/+");
    assert_int_equal(back->inbound.filters[0].qos, 2);
    assert_int_equal(back->inbound.filters[0].use_device_topic_prefix, 1);
    assert_int_equal(back->inbound.filters[0].virtual_input, 7);

    /* a file of before the subscriptions: none */
    text = "{\"active\":true,\"config\":null}";
    assert_int_equal(axis_mqtt_store_parse(back, text, strlen(text),
                                           T_SERIAL, &err), 0);
    assert_int_equal(back->inbound.nfilters, 0);

    /* a broken list in the file: the file is refused */
    text = "{\"active\":true,\"config\":null,"
           "\"mqttSubscription\":{\"mqttFilterList\":[{\"qos\":1}]}}";
    assert_int_equal(axis_mqtt_store_parse(back, text, strlen(text),
                                           T_SERIAL, &err), -1);

    free(state);
    free(back);
}


static void
test_inbound_filter_syntax_and_match(void **unused)
{
    size_t  i;

    static const char  *valid[] = {
        "a", "a/b", "#", "+", "a/#", "+/+", "/a", "a/", "a//b", "+/b/#",
        "$SYS/#", "sport/tennis/+/player1",
    };
    static const char  *invalid[] = {
        "", "a#", "a/#/b", "a+", "+a", "a/b+", "##", "a/++", "#/a",
    };
    static const struct {
        const char  *filter;
        const char  *topic;
        int          match;
    } cases[] = {
        { "a/b", "a/b", 1 },           { "a/b", "a/c", 0 },
        { "a/b", "a/b/c", 0 },         { "a/b/c", "a/b", 0 },
        { "a/+", "a/b", 1 },           { "a/+", "a/b/c", 0 },
        { "a/+", "a/", 1 },            { "+/+", "/x", 1 },
        { "a/#", "a", 1 },             { "a/#", "a/b/c", 1 },
        { "a/#", "ab", 0 },            { "#", "x/y", 1 },
        { "#", "$SYS/x", 0 },          { "+/x", "$SYS/x", 0 },
        { "$SYS/#", "$SYS/x", 1 },     { "ab", "a", 0 },
        { "a", "ab", 0 },              { "+/b/#", "x/b", 1 },
        { "+/b/#", "x/c/d", 0 },       { "a//b", "a//b", 1 },
    };

    for (i = 0; i < T_NELTS(valid); i++) {
        if (!axis_mqtt_inbound_filter_valid(valid[i], strlen(valid[i]))) {
            fail_msg("refused: \"%s\"", valid[i]);
        }
    }

    for (i = 0; i < T_NELTS(invalid); i++) {
        if (axis_mqtt_inbound_filter_valid(invalid[i], strlen(invalid[i]))) {
            fail_msg("taken: \"%s\"", invalid[i]);
        }
    }

    for (i = 0; i < T_NELTS(cases); i++) {
        if (axis_mqtt_inbound_match(cases[i].filter, cases[i].topic)
            != cases[i].match)
        {
            fail_msg("\"%s\" on \"%s\": not %d", cases[i].filter,
                     cases[i].topic, cases[i].match);
        }
    }
}


/* a state with these subscriptions, active */
static axis_mqtt_inbound_t *
t_inbound(axis_mqtt_state_t *state, const char *params)
{
    assert_int_equal(t_configure_inbound(state, params), 0);

    return axis_mqtt_inbound_make(state);
}


static void
test_inbound_subscriptions_and_diff(void **unused)
{
    int                   sub[32], unsub[32], nsub, nunsub;
    axis_mqtt_state_t    *state;
    axis_mqtt_inbound_t  *a, *b, *off;

    state = calloc(1, sizeof(axis_mqtt_state_t));
    t_state(state, T_PARAMS_FULL, 1);       /* prefix site/cam1 */

    a = t_inbound(state, "{\"mqttFilterList\":["
                  "{\"topicFilter\":\"door\",\"useDeviceTopicPrefix\":true},"
                  "{\"topicFilter\":\"x/#\",\"qos\":1},"
                  "{\"topicFilter\":\"x/#\",\"qos\":2,\"virtualInput\":2},"
                  "{\"topicFilter\":\"gone\"}]}");
    assert_int_equal(a->n, 4);
    assert_string_equal(a->entries[0].topic, "site/cam1/door");
    assert_string_equal(a->entries[1].topic, "x/#");

    /* from nothing: every topic once, at its filters' highest QoS */
    axis_mqtt_inbound_diff(NULL, a, sub, &nsub, unsub, &nunsub);
    assert_int_equal(nsub, 3);
    assert_int_equal(nunsub, 0);
    assert_int_equal(sub[0], 0);
    assert_int_equal(sub[1], 1);
    assert_int_equal(sub[2], 3);
    assert_int_equal(axis_mqtt_inbound_qos(a, 1), 2);

    /* one more, one QoS lower, one gone, one the same */
    b = t_inbound(state, "{\"mqttFilterList\":["
                  "{\"topicFilter\":\"door\",\"useDeviceTopicPrefix\":true,"
                  "\"virtualInput\":4},"
                  "{\"topicFilter\":\"x/#\",\"qos\":1},"
                  "{\"topicFilter\":\"new\"}]}");
    axis_mqtt_inbound_diff(a, b, sub, &nsub, unsub, &nunsub);
    assert_int_equal(nsub, 2);
    assert_int_equal(sub[0], 1);            /* x/# at QoS 1 now */
    assert_int_equal(sub[1], 2);            /* new */
    assert_int_equal(nunsub, 1);
    assert_int_equal(unsub[0], 3);          /* gone */

    /* to nothing */
    axis_mqtt_inbound_diff(b, NULL, sub, &nsub, unsub, &nunsub);
    assert_int_equal(nsub, 0);
    assert_int_equal(nunsub, 3);

    /* a refusal names a topic by its hash: found while it is listed */
    assert_true(axis_mqtt_inbound_hash("x/#")
                < (1u << AXIS_MQTT_INBOUND_HASH_BITS));
    assert_int_equal(axis_mqtt_inbound_find_hash(b,
                         axis_mqtt_inbound_hash("new")), 2);
    assert_int_equal(axis_mqtt_inbound_find_hash(b,
                         axis_mqtt_inbound_hash("gone")), -1);
    assert_int_equal(axis_mqtt_inbound_find_hash(NULL, 0), -1);

    /* the same list, made again, is the same; another is not */
    off = t_inbound(state, "{\"mqttFilterList\":["
                    "{\"topicFilter\":\"door\",\"useDeviceTopicPrefix\":true,"
                    "\"virtualInput\":4},"
                    "{\"topicFilter\":\"x/#\",\"qos\":1},"
                    "{\"topicFilter\":\"new\"}]}");
    assert_true(axis_mqtt_inbound_same(b, off));
    assert_false(axis_mqtt_inbound_same(a, b));
    assert_false(axis_mqtt_inbound_same(NULL, b));
    free(off);

    /* an inactive client subscribes to nothing */
    state->active = 0;
    off = axis_mqtt_inbound_make(state);
    assert_int_equal(off->n, 0);

    free(a);
    free(b);
    free(off);
    free(state);
}


static void
test_inbound_decide(void **unused)
{
    int                   n;
    size_t                i;
    axis_mqtt_drive_t     out[32];
    axis_mqtt_state_t    *state;
    axis_mqtt_inbound_t  *in;

    static const struct {
        const char  *payload;
        int          drive;
    } states[] = {
        { "1", AXIS_MQTT_DRIVE_ACTIVATE },
        { "TRUE", AXIS_MQTT_DRIVE_ACTIVATE },
        { " On\n", AXIS_MQTT_DRIVE_ACTIVATE },
        { "\"active\"", AXIS_MQTT_DRIVE_ACTIVATE },
        { "0", AXIS_MQTT_DRIVE_DEACTIVATE },
        { "false", AXIS_MQTT_DRIVE_DEACTIVATE },
        { "\"OFF\"", AXIS_MQTT_DRIVE_DEACTIVATE },
        { "Inactive", AXIS_MQTT_DRIVE_DEACTIVATE },
        { "", AXIS_MQTT_DRIVE_NONE },
        { "2", AXIS_MQTT_DRIVE_NONE },
        { "open", AXIS_MQTT_DRIVE_NONE },
        { "\"", AXIS_MQTT_DRIVE_NONE },
        { "{\"state\":1}", AXIS_MQTT_DRIVE_NONE },
        { "activeactiveactive", AXIS_MQTT_DRIVE_NONE },
    };

    state = calloc(1, sizeof(axis_mqtt_state_t));
    t_state(state, T_PARAMS_FULL, 1);       /* prefix site/cam1 */

    in = t_inbound(state, "{\"mqttFilterList\":["
                   "{\"topicFilter\":\"door/10\",\"isStateData\":true,"
                   "\"virtualInput\":3},"
                   "{\"topicFilter\":\"door/+\",\"virtualInput\":4},"
                   "{\"topicFilter\":\"#\"}]}");

    for (i = 0; i < T_NELTS(states); i++) {
        n = axis_mqtt_inbound_decide(in, "door/10", states[i].payload,
                                     strlen(states[i].payload), out);
        assert_int_equal(n, 3);
        assert_int_equal(out[0].filter, 0);
        assert_int_equal(out[0].virtual_input, 3);

        if ((int) out[0].drive != states[i].drive) {
            fail_msg("\"%s\": %d, not %d", states[i].payload, out[0].drive,
                     states[i].drive);
        }

        assert_true(out[0].drive != AXIS_MQTT_DRIVE_NONE
                    || out[0].cause != NULL);

        /* a trigger, whatever it says */
        assert_int_equal(out[1].drive, AXIS_MQTT_DRIVE_PULSE);
        assert_int_equal(out[1].virtual_input, 4);

        /* subscribed, with nothing to drive */
        assert_int_equal(out[2].drive, AXIS_MQTT_DRIVE_NONE);
        assert_non_null(strstr(out[2].cause, "virtualInput"));
    }

    /* a NUL in the payload is not a state */
    n = axis_mqtt_inbound_decide(in, "door/10", "1\0", 2, out);
    assert_int_equal(out[0].drive, AXIS_MQTT_DRIVE_NONE);

    n = axis_mqtt_inbound_decide(in, "window/1", "1", 1, out);
    assert_int_equal(n, 1);
    assert_int_equal(out[0].filter, 2);

    /* the loop guard: the device's own event topics and announcements */
    assert_int_equal(axis_mqtt_inbound_decide(in,
        "site/cam1/event/tns:onvif/Device/tns:axis/IO/VirtualInput/"
        "$source/port/3", "{}", 2, out), 0);
    assert_int_equal(axis_mqtt_inbound_decide(in, "site/cam1/event", "1", 1,
                                              out), 0);
    assert_int_equal(axis_mqtt_inbound_decide(in, "cam/up", "1", 1, out),
                     0);
    assert_int_equal(axis_mqtt_inbound_decide(in, "cam/lwt", "1", 1, out),
                     0);
    assert_int_equal(axis_mqtt_inbound_decide(in, "site/cam1/events", "1",
                                              1, out), 1);
    free(in);

    /* a custom publication prefix is the device's own instead */
    strcpy(state->events.custom_topic_prefix, "site/events");
    state->events.topic_prefix = AXIS_MQTT_PREFIX_CUSTOM;
    in = axis_mqtt_inbound_make(state);
    assert_true(axis_mqtt_inbound_own(in, "site/events/x"));
    assert_false(axis_mqtt_inbound_own(in, "site/eventsx"));
    assert_false(axis_mqtt_inbound_own(in, "site/cam1/event/x"));
    free(in);

    /* the default announcements are under the device's prefix */
    state->conf.connect_message.use_default = 1;
    state->events.topic_prefix = AXIS_MQTT_PREFIX_DEFAULT;
    in = axis_mqtt_inbound_make(state);
    assert_true(axis_mqtt_inbound_own(in, "site/cam1/event/connection"));
    free(in);

    free(state);
}


static void
test_vapix_answers(void **unused)
{
    int          changed;
    char         buf[300];
    const char  *text;

    axis_mqtt_vapix_path(1, 3, buf, sizeof(buf));
    assert_string_equal(buf,
        "/axis-cgi/virtualinput/activate.cgi?schemaversion=1&port=3");
    axis_mqtt_vapix_path(0, 32, buf, sizeof(buf));
    assert_string_equal(buf,
        "/axis-cgi/virtualinput/deactivate.cgi?schemaversion=1&port=32");

    text = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
           "<VirtualInputResponse xmlns=\"http://www.axis.com/vapix/"
           "http_cgi/virtualinput1\" SchemaVersion=\"1.0\"><Success>"
           "<ActivateSuccess><StateChanged>true</StateChanged>"
           "</ActivateSuccess></Success></VirtualInputResponse>";
    assert_int_equal(axis_mqtt_vapix_answer(text, strlen(text), &changed,
                                            buf, sizeof(buf)), 0);
    assert_int_equal(changed, 1);

    text = "<VirtualInputResponse><Success>\n <DeactivateSuccess>"
           "<StateChanged>false</StateChanged></DeactivateSuccess>"
           "</Success></VirtualInputResponse>";
    assert_int_equal(axis_mqtt_vapix_answer(text, strlen(text), &changed,
                                            buf, sizeof(buf)), 0);
    assert_int_equal(changed, 0);

    text = "<VirtualInputResponse><Error><GeneralError>"
           "<ErrorCode>10</ErrorCode><ErrorDescription>Invalid port"
           "</ErrorDescription></GeneralError></Error>"
           "</VirtualInputResponse>";
    assert_int_equal(axis_mqtt_vapix_answer(text, strlen(text), &changed,
                                            buf, sizeof(buf)), -1);
    assert_string_equal(buf, "the camera refused: Invalid port (error 10)");

    text = "<html>no</html>";
    assert_int_equal(axis_mqtt_vapix_answer(text, strlen(text), &changed,
                                            buf, sizeof(buf)), -1);
    assert_string_equal(buf, "not a VirtualInputResponse");

    text = "Error: not allowed";
    assert_int_equal(axis_mqtt_vapix_answer(text, strlen(text), &changed,
                                            buf, sizeof(buf)), -1);
    assert_non_null(strstr(buf, "not XML"));

    text = "<!DOCTYPE VirtualInputResponse [<!ENTITY a \"b\">]>"
           "<VirtualInputResponse><Success/></VirtualInputResponse>";
    assert_int_equal(axis_mqtt_vapix_answer(text, strlen(text), &changed,
                                            buf, sizeof(buf)), -1);
    assert_string_equal(buf, "the response has a DTD");
}


int
t_run_inbound_tests(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_inbound_configure_and_echo),
        cmocka_unit_test(test_inbound_errors_change_nothing),
        cmocka_unit_test(test_inbound_state_file),
        cmocka_unit_test(test_inbound_filter_syntax_and_match),
        cmocka_unit_test(test_inbound_subscriptions_and_diff),
        cmocka_unit_test(test_inbound_decide),
        cmocka_unit_test(test_vapix_answers),
    };

    return cmocka_run_group_tests_name("inbound", tests, NULL, NULL);
}

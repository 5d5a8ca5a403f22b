
/*
 * event.cgi's publication of events: the defaults of a clean device,
 * every field read and echoed with its effective value, the errors
 * (2103, 2104) that change nothing, the topic filter syntax, and a
 * publication kept across configureClient, activation and the state
 * file.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "axis_mqtt_topic.h"


#define T_CLEAN  "{\"topicPrefix\":\"default\",\"customTopicPrefix\":\"\","  \
                 "\"appendEventTopic\":true,\"includeTopicNamespaces\":true," \
                 "\"includeSerialNumberInPayload\":false,"                   \
                 "\"eventFilterList\":[]}"


/* event.cgi with this body: the response, parsed; a write applied */
#define t_event_call(body, state, code)                                       \
    t_api_call(AXIS_MQTT_API_EVENT, body, state, code)


#define T_ACTIVATE    "{\"apiVersion\":\"1.0\",\"method\":\"activateClient\"}"
#define T_GET_EVENTS  "{\"apiVersion\":\"1.0\","                            \
                      "\"method\":\"getEventPublicationConfig\"}"


static char *
t_publication(axis_mqtt_state_t *state)
{
    int      code;
    char    *text;
    json_t  *resp;

    resp = t_event_call("{\"apiVersion\":\"1.0\","
                        "\"method\":\"getEventPublicationConfig\"}",
                        state, &code);
    assert_int_equal(code, 0);

    text = json_dumps(json_object_get(json_object_get(resp, "data"),
                                      "eventPublicationConfig"),
                      JSON_COMPACT);
    json_decref(resp);

    return text;
}


static void
test_events_clean_device(void **unused)
{
    char               *text;
    axis_mqtt_state_t  *state;

    state = calloc(1, sizeof(axis_mqtt_state_t));
    axis_mqtt_state_init(state, T_SERIAL);

    text = t_publication(state);
    assert_string_equal(text, T_CLEAN);
    t_alloc_free(text);

    free(state);
}


static void
test_events_configure_and_echo(void **unused)
{
    int                 code;
    char               *text;
    json_t             *resp;
    axis_mqtt_state_t  *state;

    state = calloc(1, sizeof(axis_mqtt_state_t));
    t_state(state, T_PARAMS_FULL, 1);

    resp = t_event_call("{\"apiVersion\":\"1.1\",\"context\":\"c\","
                        "\"method\":\"configureEventPublication\","
                        "\"params\":{\"topicPrefix\":\"custom\","
                        "\"customTopicPrefix\":\"site/cam1/events\","
                        "\"appendEventTopic\":false,"
                        "\"includeTopicNamespaces\":false,"
                        "\"includeSerialNumberInPayload\":true,"
                        "\"eventFilterList\":["
                        "{\"topicFilter\":\"onvif:Device/axis:IO//.\"},"
                        "{\"topicFilter\":\"//.\",\"qos\":1,"
                        "\"retain\":\"property\"},"
                        "{\"topicFilter\":\"axis:Storage/Alert|"
                        "onvif:VideoSource/MotionAlarm\",\"qos\":2,"
                        "\"retain\":\"all\"}]}}",
                        state, &code);
    assert_int_equal(code, 0);
    assert_string_equal(json_string_value(json_object_get(resp, "context")),
                        "c");
    assert_int_equal(json_object_size(json_object_get(resp, "data")), 0);
    json_decref(resp);

    /* every filter with its effective qos and retain */
    text = t_publication(state);
    assert_string_equal(text,
        "{\"topicPrefix\":\"custom\",\"customTopicPrefix\":\"site/cam1/events\","
        "\"appendEventTopic\":false,\"includeTopicNamespaces\":false,"
        "\"includeSerialNumberInPayload\":true,\"eventFilterList\":["
        "{\"topicFilter\":\"onvif:Device/axis:IO//.\",\"qos\":0,"
        "\"retain\":\"none\"},"
        "{\"topicFilter\":\"//.\",\"qos\":1,\"retain\":\"property\"},"
        "{\"topicFilter\":\"axis:Storage/Alert|onvif:VideoSource/MotionAlarm\","
        "\"qos\":2,\"retain\":\"all\"}]}");
    t_alloc_free(text);

    /* the client's configuration and state are untouched */
    assert_int_equal(state->active, 1);
    assert_string_equal(state->conf.host, "broker.example");

    /* no params: the whole publication goes back to the defaults */
    resp = t_event_call("{\"apiVersion\":\"1.0\","
                        "\"method\":\"configureEventPublication\"}",
                        state, &code);
    assert_int_equal(code, 0);
    json_decref(resp);

    text = t_publication(state);
    assert_string_equal(text, T_CLEAN);
    t_alloc_free(text);

    free(state);
}


static void
test_events_errors_change_nothing(void **unused)
{
    int                 code;
    char               *before, *after;
    size_t              i;
    json_t             *resp;
    axis_mqtt_state_t  *state;
    char                body[8192];

    static const struct {
        const char  *params;
        int          code;
    } cases[] = {
        { "[]", 2103 },
        { "{\"topicPrefix\":\"other\"}", 2104 },
        { "{\"topicPrefix\":1}", 2103 },
        { "{\"topicPrefix\":\"custom\"}", 2103 },
        { "{\"topicPrefix\":\"custom\",\"customTopicPrefix\":\"\"}", 2103 },
        { "{\"customTopicPrefix\":\"a/#\"}", 2104 },
        { "{\"appendEventTopic\":\"yes\"}", 2103 },
        { "{\"eventFilterList\":{}}", 2103 },
        { "{\"eventFilterList\":[1]}", 2103 },
        { "{\"eventFilterList\":[{}]}", 2103 },
        { "{\"eventFilterList\":[{\"topicFilter\":\"\"}]}", 2104 },
        { "{\"eventFilterList\":[{\"topicFilter\":7}]}", 2103 },
        { "{\"eventFilterList\":[{\"topicFilter\":\"//.\",\"qos\":3}]}", 2104 },
        { "{\"eventFilterList\":[{\"topicFilter\":\"//.\",\"qos\":\"1\"}]}",
          2103 },
        { "{\"eventFilterList\":[{\"topicFilter\":\"//.\","
          "\"retain\":\"some\"}]}", 2104 },
        { "{\"eventFilterList\":[{\"topicFilter\":\"//.\",\"retain\":true}]}",
          2103 },
        { "{\"eventFilterList\":[{\"topicFilter\":\"foo:Bar\"}]}", 2104 },
        { "{\"eventFilterList\":[{\"topicFilter\":\"onvif:Device//\"}]}",
          2104 },
        { "{\"eventFilterList\":[{\"topicFilter\":\"//.\"},"
          "{\"topicFilter\":\"a b\"}]}", 2104 },
    };

    state = calloc(1, sizeof(axis_mqtt_state_t));
    t_state(state, T_PARAMS_FULL, 1);

    resp = t_event_call("{\"apiVersion\":\"1.0\","
                        "\"method\":\"configureEventPublication\","
                        "\"params\":{\"eventFilterList\":"
                        "[{\"topicFilter\":\"//.\",\"qos\":1}]}}",
                        state, &code);
    assert_int_equal(code, 0);
    json_decref(resp);
    before = t_publication(state);

    for (i = 0; i < T_NELTS(cases); i++) {
        snprintf(body, sizeof(body), "{\"apiVersion\":\"1.0\","
                 "\"method\":\"configureEventPublication\",\"params\":%s}",
                 cases[i].params);

        resp = t_event_call(body, state, &code);
        if (code != cases[i].code) {
            fail_msg("%s: %d, not %d", cases[i].params, code, cases[i].code);
        }
        json_decref(resp);

        after = t_publication(state);
        assert_string_equal(after, before);
        t_alloc_free(after);
    }

    t_alloc_free(before);
    free(state);
}


static void
test_events_limits(void **unused)
{
    int                 code;
    char               *body, *p, *filter;
    size_t              i;
    json_t             *resp;
    axis_mqtt_state_t  *state;

    state = calloc(1, sizeof(axis_mqtt_state_t));
    axis_mqtt_state_init(state, T_SERIAL);
    body = malloc(64 * 1024);
    assert_non_null(body);

    /* as many filters as there is room for, each as long as it may be */
    filter = t_fill(AXIS_MQTT_EVENT_FILTER_LEN, 'a');
    p = body + sprintf(body, "{\"apiVersion\":\"1.0\","
                       "\"method\":\"configureEventPublication\","
                       "\"params\":{\"eventFilterList\":[");

    for (i = 0; i < AXIS_MQTT_EVENT_FILTERS_MAX; i++) {
        p += sprintf(p, "%s{\"topicFilter\":\"%s\"}", i ? "," : "", filter);
    }

    strcpy(p, "]}}");
    resp = t_event_call(body, state, &code);
    assert_int_equal(code, 0);
    json_decref(resp);
    assert_int_equal(state->events.nfilters, AXIS_MQTT_EVENT_FILTERS_MAX);

    /* one more filter, or one byte more: refused */
    strcpy(p, ",{\"topicFilter\":\"//.\"}]}}");
    resp = t_event_call(body, state, &code);
    assert_int_equal(code, 2104);
    json_decref(resp);

    sprintf(body, "{\"apiVersion\":\"1.0\","
            "\"method\":\"configureEventPublication\","
            "\"params\":{\"eventFilterList\":[{\"topicFilter\":\"%sa\"}]}}",
            filter);
    resp = t_event_call(body, state, &code);
    assert_int_equal(code, 2104);
    json_decref(resp);
    assert_int_equal(state->events.nfilters, AXIS_MQTT_EVENT_FILTERS_MAX);

    free(filter);
    free(body);
    free(state);
}


static void
test_events_kept_by_client_writes(void **unused)
{
    int                  code;
    json_t              *resp;
    axis_mqtt_state_t   *state, *next;
    axis_mqtt_request_t  req;

    state = calloc(1, sizeof(axis_mqtt_state_t));
    next = calloc(1, sizeof(axis_mqtt_state_t));
    t_state(state, T_PARAMS_FULL, 0);

    resp = t_event_call("{\"apiVersion\":\"1.0\","
                        "\"method\":\"configureEventPublication\","
                        "\"params\":{\"eventFilterList\":"
                        "[{\"topicFilter\":\"//.\"}]}}",
                        state, &code);
    json_decref(resp);

    /* configureClient and activateClient carry the publication along */
    t_configure(&req, T_PARAMS_FULL);
    assert_int_equal(axis_mqtt_request_apply(&req, state, next, &req.error),
                     0);
    axis_mqtt_request_free(&req);
    assert_int_equal(next->events.nfilters, 1);
    assert_string_equal(next->events.filters[0].topic_filter, "//.");

    axis_mqtt_request_parse(&req, T_ACTIVATE, strlen(T_ACTIVATE), 1,
                            T_SERIAL);
    assert_int_equal(req.error.code, 0);
    assert_int_equal(axis_mqtt_request_apply(&req, next, state, &req.error),
                     0);
    axis_mqtt_request_free(&req);
    assert_int_equal(state->events.nfilters, 1);

    /* event.cgi's methods are not client.cgi's, and the other way round */
    axis_mqtt_request_parse(&req, T_GET_EVENTS, strlen(T_GET_EVENTS), 1,
                            T_SERIAL);
    assert_int_equal(req.error.code, 2102);
    axis_mqtt_request_free(&req);

    resp = t_event_call("{\"apiVersion\":\"1.0\","
                        "\"method\":\"getClientStatus\"}", state, &code);
    assert_int_equal(code, 2102);
    json_decref(resp);

    /* Admin only, every method */
    axis_mqtt_request_parse_api(&req, AXIS_MQTT_API_EVENT, T_GET_EVENTS,
                                strlen(T_GET_EVENTS), 0, T_SERIAL);
    assert_int_equal(req.error.code, 2105);
    axis_mqtt_request_free(&req);

    free(state);
    free(next);
}


static void
test_events_state_file(void **unused)
{
    int                 code;
    json_t             *resp;
    const char         *text;
    axis_mqtt_error_t   err;
    axis_mqtt_state_t  *state, *back;

    state = calloc(1, sizeof(axis_mqtt_state_t));
    back = calloc(1, sizeof(axis_mqtt_state_t));
    t_state(state, T_PARAMS_FULL, 1);

    resp = t_event_call("{\"apiVersion\":\"1.0\","
                        "\"method\":\"configureEventPublication\","
                        "\"params\":{\"includeSerialNumberInPayload\":true,"
                        "\"eventFilterList\":[{\"topicFilter\":"
                        "\"onvif:Device//.\",\"retain\":\"all\"}]}}",
                        state, &code);
    json_decref(resp);

    /* the file a save writes reads back to the same publication */
    t_store_round_trip(state, back);
    assert_int_equal(back->events.include_serial_number, 1);
    assert_int_equal(back->events.nfilters, 1);
    assert_int_equal(back->events.filters[0].retain, AXIS_MQTT_RETAIN_ALL);
    assert_string_equal(back->events.filters[0].topic_filter,
                        "onvif:Device//.");

    /* a file of before the event bridge: a clean publication */
    text = "{\"active\":true,\"config\":null}";
    assert_int_equal(axis_mqtt_store_parse(back, text, strlen(text),
                                           T_SERIAL, &err), 0);
    assert_int_equal(back->events.nfilters, 0);
    assert_int_equal(back->events.append_event_topic, 1);

    /* a broken publication in the file: the file is refused */
    text = "{\"active\":true,\"config\":null,"
           "\"eventPublication\":{\"eventFilterList\":[{\"qos\":1}]}}";
    assert_int_equal(axis_mqtt_store_parse(back, text, strlen(text),
                                           T_SERIAL, &err), -1);

    free(state);
    free(back);
}


static void
test_topic_filter_syntax(void **unused)
{
    size_t  i;

    static const char  *valid[] = {
        "//.", "onvif:Device/axis:IO//.", "axis:Storage/Alert",
        "onvif:Device/axis:IO/Port|axis:Storage//.",
        "tns1:Device/tnsaxis:IO/VirtualInput", "Device", "a.b-c/d_e",
        "onvif:VideoSource/MotionAlarm|//.",
    };
    static const char  *invalid[] = {
        "", "|", "//", "/", "onvif:", "foo:Bar", "onvif:Device/",
        "onvif:Device//", "onvif:Device//.x", "a||b", "a|", "|a", " a",
        "a b", "1a", "onvif::a", "a:b:c", "onvif:a/axis:", "a/-b", "a/#",
        "a/+/b", "a\n",
    };

    for (i = 0; i < T_NELTS(valid); i++) {
        if (!axis_mqtt_topic_filter_valid(valid[i], strlen(valid[i]))) {
            fail_msg("refused: \"%s\"", valid[i]);
        }
    }

    for (i = 0; i < T_NELTS(invalid); i++) {
        if (axis_mqtt_topic_filter_valid(invalid[i], strlen(invalid[i]))) {
            fail_msg("taken: \"%s\"", invalid[i]);
        }
    }

    /* a NUL inside is refused, whatever follows */
    assert_false(axis_mqtt_topic_filter_valid("//.\0x", 5));
}


int
t_run_events_tests(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_events_clean_device),
        cmocka_unit_test(test_events_configure_and_echo),
        cmocka_unit_test(test_events_errors_change_nothing),
        cmocka_unit_test(test_events_limits),
        cmocka_unit_test(test_events_kept_by_client_writes),
        cmocka_unit_test(test_events_state_file),
        cmocka_unit_test(test_topic_filter_syntax),
    };

    return cmocka_run_group_tests_name("events", tests, NULL, NULL);
}

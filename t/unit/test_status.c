
/*
 * getClientStatus in two steps (the data rendered once, the envelope per
 * request) answers exactly what axis_mqtt_response() answers; the
 * gateway's getClientDiagnostics says why a device is not connected.
 */

#include <stdlib.h>
#include <string.h>

#include "unit.h"


static void
test_around_equals_response(void **unused)
{
    char                 *expected, *data, *buf;
    const char           *envelope;
    size_t                i, len;
    axis_mqtt_state_t     state;
    axis_mqtt_request_t   req;
    const char           *bodies[] = {
        "{\"apiVersion\": \"1.0\", \"method\": \"getClientStatus\"}",
        "{\"apiVersion\": \"1.3\", \"context\": \"Axis library\","
        " \"method\": \"getClientStatus\"}",
        "{\"apiVersion\": \"1.0\", \"context\": \"quote \\\" slash \\\\ "
        "\\u00e9 \\u20ac \\n \\t \\r \\b \\f \\u0001 \\u001f /\","
        " \"method\": \"getClientStatus\","
        " \"params\": {}}",
    };

    t_state(&state, T_PARAMS_FULL, 1);

    for (i = 0; i < T_NELTS(bodies); i++) {
        axis_mqtt_request_parse(&req, bodies[i], strlen(bodies[i]), 1,
                                T_SERIAL);
        assert_int_equal(req.error.code, 0);

        expected = axis_mqtt_response(&req, NULL, &state, 1);
        data = axis_mqtt_status_data(&state, 1);
        envelope = axis_mqtt_request_envelope(&req);
        assert_non_null(expected);
        assert_non_null(data);
        assert_non_null(envelope);

        /* made once: the same text again */
        assert_ptr_equal(axis_mqtt_request_envelope(&req), envelope);

        len = axis_mqtt_response_around(envelope, "data", data, NULL, 0);
        assert_int_equal(len, strlen(expected));

        buf = calloc(1, len + 1);
        assert_non_null(buf);

        /* too small: nothing past size is written */
        buf[len - 1] = '#';
        assert_int_equal(axis_mqtt_response_around(envelope, "data", data,
                                                   buf, len - 1),
                         len);
        assert_int_equal(buf[len - 1], '#');

        assert_int_equal(axis_mqtt_response_around(envelope, "data", data,
                                                   buf, len + 1),
                         len);
        assert_string_equal(buf, expected);

        free(buf);
        t_alloc_free(data);
        t_alloc_free(expected);
        axis_mqtt_request_free(&req);
    }
}


static void
test_diagnostics(void **unused)
{
    char    *text;
    json_t  *data;

    static const struct {
        int          active;
        int          connected;
        const char  *cause;
        int64_t      at;
        const char  *expected;
    } cases[] = {
        { 1, 1, "", 0,
          "{\"state\":\"active\",\"connectionStatus\":\"connected\","
          "\"cause\":null,\"causeTime\":null}" },
        /* connected: a cause left over is not one */
        { 1, 1, "connection lost", 1785325150144,
          "{\"state\":\"active\",\"connectionStatus\":\"connected\","
          "\"cause\":null,\"causeTime\":null}" },
        { 1, 0, "connecting to tcp://b:1883 failed: Connection refused",
          1785325150144,
          "{\"state\":\"active\",\"connectionStatus\":\"disconnected\","
          "\"cause\":\"connecting to tcp://b:1883 failed: Connection "
          "refused\",\"causeTime\":\"2026-07-29T11:39:10Z\"}" },
        { 0, 0, NULL, 0,
          "{\"state\":\"inactive\",\"connectionStatus\":\"disconnected\","
          "\"cause\":null,\"causeTime\":null}" },
        /* not UTF-8: no cause rather than no answer */
        { 1, 0, "bad \xff byte", 1,
          "{\"state\":\"active\",\"connectionStatus\":\"disconnected\","
          "\"cause\":null,\"causeTime\":null}" },
    };
    size_t  i;

    for (i = 0; i < T_NELTS(cases); i++) {
        data = axis_mqtt_diagnostics_json(cases[i].active, cases[i].connected,
                                          cases[i].cause, cases[i].at);
        assert_non_null(data);
        text = json_dumps(data, JSON_COMPACT | JSON_PRESERVE_ORDER);
        assert_string_equal(text, cases[i].expected);
        t_alloc_free(text);
        json_decref(data);
    }
}


int
t_run_status_tests(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_around_equals_response),
        cmocka_unit_test(test_diagnostics),
    };

    return cmocka_run_group_tests_name("status fast path", tests, NULL,
                                       NULL);
}

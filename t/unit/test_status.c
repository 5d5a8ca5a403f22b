
/*
 * getClientStatus in two steps (the data rendered once, the envelope per
 * request) answers exactly what axis_mqtt_response() answers.
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


int
t_run_status_tests(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_around_equals_response),
    };

    return cmocka_run_group_tests_name("status fast path", tests, NULL,
                                       NULL);
}


/*
 * The request envelope: the echoed fields, the methods, the error codes
 * of the request itself, the API versions, Admin, robustness.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"


/* a member of the response: a string equal to value, or absent if NULL */
static void
t_assert_member(const json_t *resp, const char *key, const char *value)
{
    json_t  *member;

    member = json_object_get(resp, key);

    if (value == NULL) {
        if (member != NULL) {
            fail_msg("\"%s\" must be absent", key);
        }

        return;
    }

    if (!json_is_string(member)) {
        fail_msg("\"%s\" must be a string", key);
    }

    assert_string_equal(json_string_value(member), value);
}


static void
t_assert_envelope(const json_t *resp, const char *api_version,
    const char *context, const char *method)
{
    t_assert_member(resp, "apiVersion", api_version);
    t_assert_member(resp, "context", context);
    t_assert_member(resp, "method", method);
}


static void
test_supported_versions(void **state)
{
    json_t  *resp, *versions;

    resp = t_call("{\"context\": \"c1\","
                  " \"method\": \"getSupportedVersions\"}", 1);

    assert_int_equal(t_code(resp), 0);
    t_assert_envelope(resp, "1.0", "c1", "getSupportedVersions");

    versions = json_object_get(json_object_get(resp, "data"), "apiVersions");
    assert_true(json_is_array(versions));
    assert_int_equal(json_array_size(versions), 1);
    assert_true(json_is_string(json_array_get(versions, 0)));
    assert_string_equal(json_string_value(json_array_get(versions, 0)),
                        "1.0");

    json_decref(resp);
}


static void
test_supported_versions_ignores_version(void **state)
{
    json_t  *resp;

    /* the versions can be asked with any apiVersion, which is echoed */

    resp = t_call("{\"apiVersion\": \"2.0\","
                  " \"method\": \"getSupportedVersions\"}", 1);

    assert_int_equal(t_code(resp), 0);
    t_assert_envelope(resp, "2.0", NULL, "getSupportedVersions");

    json_decref(resp);
}


static void
test_envelope_echo(void **state)
{
    json_t  *resp;

    /* success: everything echoed, data is an (empty) object */

    resp = t_call("{\"apiVersion\": \"1.5\", \"context\": \"ctx-1\","
                  " \"method\": \"deactivateClient\", \"params\": {}}", 1);
    assert_int_equal(t_code(resp), 0);
    t_assert_envelope(resp, "1.5", "ctx-1", "deactivateClient");
    json_decref(resp);

    resp = t_call("{\"apiVersion\": \"1.0\", \"context\": \"ctx-c\","
                  " \"method\": \"configureClient\", \"params\":"
                  " {\"server\": {\"protocol\": \"tcp\", \"host\": \"h\"}}}",
                  1);
    assert_int_equal(t_code(resp), 0);
    t_assert_envelope(resp, "1.0", "ctx-c", "configureClient");
    assert_int_equal(json_object_size(json_object_get(resp, "data")), 0);
    json_decref(resp);

    /* no context given: none in the response */

    resp = t_call("{\"apiVersion\": \"1.0\", \"method\": \"getClientStatus\"}",
                  1);
    assert_int_equal(t_code(resp), 0);
    t_assert_envelope(resp, "1.0", NULL, "getClientStatus");
    json_decref(resp);

    /* errors are echoed as well, the unknown method and version included */

    resp = t_call("{\"apiVersion\": \"1.0\", \"context\": \"ctx-2\","
                  " \"method\": \"rebootCamera\"}", 1);
    assert_int_equal(t_code(resp), AXIS_MQTT_ERR_METHOD);
    t_assert_envelope(resp, "1.0", "ctx-2", "rebootCamera");
    json_decref(resp);

    resp = t_call("{\"apiVersion\": \"2.0\", \"context\": \"ctx-3\","
                  " \"method\": \"getClientStatus\"}", 1);
    assert_int_equal(t_code(resp), AXIS_MQTT_ERR_VERSION);
    t_assert_envelope(resp, "2.0", "ctx-3", "getClientStatus");
    json_decref(resp);
}


static void
test_envelope_not_strings(void **state)
{
    json_t  *resp;

    /* apiVersion not a string: "1.0"; method not a string: not echoed */

    resp = t_call("{\"apiVersion\": 1, \"context\": \"ctx\","
                  " \"method\": 7}", 1);
    assert_int_equal(t_code(resp), AXIS_MQTT_ERR_PARAM_MISSING);
    t_assert_envelope(resp, "1.0", "ctx", NULL);
    json_decref(resp);

    /* a context that is not a string is an error, and not echoed */

    resp = t_call("{\"apiVersion\": \"1.0\", \"context\": 42,"
                  " \"method\": \"getClientStatus\"}", 1);
    assert_int_equal(t_code(resp), AXIS_MQTT_ERR_PARAM_MISSING);
    t_assert_envelope(resp, "1.0", NULL, "getClientStatus");
    json_decref(resp);

    /* not JSON at all: the bare envelope */

    resp = t_call("{\"apiVersion\": \"1.0\", \"context\": \"c\"", 1);
    assert_int_equal(t_code(resp), AXIS_MQTT_ERR_JSON);
    t_assert_envelope(resp, "1.0", NULL, NULL);
    json_decref(resp);
}


static void
test_request_errors(void **state)
{
    static const t_body_case_t  cases[] = {

        /* not JSON, or not an object */
        { "", AXIS_MQTT_ERR_JSON },
        { "   ", AXIS_MQTT_ERR_JSON },
        { "not json", AXIS_MQTT_ERR_JSON },
        { "{\"apiVersion\": \"1.0\",", AXIS_MQTT_ERR_JSON },
        { "{\"method\": \"getSupportedVersions\"} x", AXIS_MQTT_ERR_JSON },
        { "[]", AXIS_MQTT_ERR_JSON },
        { "[{\"method\": \"getSupportedVersions\"}]", AXIS_MQTT_ERR_JSON },
        { "\"getSupportedVersions\"", AXIS_MQTT_ERR_JSON },
        { "42", AXIS_MQTT_ERR_JSON },
        { "null", AXIS_MQTT_ERR_JSON },

        /* the method */
        { "{\"apiVersion\": \"1.0\", \"method\": \"bogus\"}",
          AXIS_MQTT_ERR_METHOD },
        { "{\"apiVersion\": \"1.0\", \"method\": \"\"}",
          AXIS_MQTT_ERR_METHOD },
        { "{\"apiVersion\": \"1.0\", \"method\": \"getclientstatus\"}",
          AXIS_MQTT_ERR_METHOD },
        { "{\"apiVersion\": \"1.0\"}", AXIS_MQTT_ERR_PARAM_MISSING },
        { "{}", AXIS_MQTT_ERR_PARAM_MISSING },
        { "{\"apiVersion\": \"1.0\", \"method\": null}",
          AXIS_MQTT_ERR_PARAM_MISSING },
        { "{\"apiVersion\": \"1.0\", \"method\": 3}",
          AXIS_MQTT_ERR_PARAM_MISSING },
        { "{\"apiVersion\": \"1.0\", \"method\": [\"getClientStatus\"]}",
          AXIS_MQTT_ERR_PARAM_MISSING },

        /* the context */
        { "{\"apiVersion\": \"1.0\", \"context\": 1,"
          " \"method\": \"getClientStatus\"}", AXIS_MQTT_ERR_PARAM_MISSING },
        { "{\"context\": {}, \"method\": \"getSupportedVersions\"}",
          AXIS_MQTT_ERR_PARAM_MISSING },
        { "{\"apiVersion\": \"1.0\", \"context\": null,"
          " \"method\": \"getClientStatus\"}", 0 },

        /* the version is required except by getSupportedVersions */
        { "{\"method\": \"getClientStatus\"}", AXIS_MQTT_ERR_PARAM_MISSING },
        { "{\"method\": \"activateClient\"}", AXIS_MQTT_ERR_PARAM_MISSING },
        { "{\"apiVersion\": 1.0, \"method\": \"getClientStatus\"}",
          AXIS_MQTT_ERR_PARAM_MISSING },
        { "{\"apiVersion\": null, \"method\": \"getClientStatus\"}",
          AXIS_MQTT_ERR_PARAM_MISSING },
        { "{\"method\": \"getSupportedVersions\"}", 0 },

        /* configureClient needs params, an object */
        { "{\"apiVersion\": \"1.0\", \"method\": \"configureClient\"}",
          AXIS_MQTT_ERR_PARAM_MISSING },
        { "{\"apiVersion\": \"1.0\", \"method\": \"configureClient\","
          " \"params\": null}", AXIS_MQTT_ERR_PARAM_MISSING },
        { "{\"apiVersion\": \"1.0\", \"method\": \"configureClient\","
          " \"params\": \"server\"}", AXIS_MQTT_ERR_PARAM_MISSING },
        { "{\"apiVersion\": \"1.0\", \"method\": \"configureClient\","
          " \"params\": []}", AXIS_MQTT_ERR_PARAM_MISSING },
        { "{\"apiVersion\": \"1.0\", \"method\": \"configureClient\","
          " \"params\": {}}", AXIS_MQTT_ERR_PARAM_MISSING },

        /* the other methods ignore params */
        { "{\"apiVersion\": \"1.0\", \"method\": \"deactivateClient\","
          " \"params\": 5}", 0 },
    };

    t_check_bodies(cases, T_NELTS(cases), 1);
}


static void
test_api_versions(void **state)
{
    static const t_body_case_t  cases[] = {
        { "{\"apiVersion\": \"1.0\", \"method\": \"getClientStatus\"}", 0 },
        { "{\"apiVersion\": \"1.5\", \"method\": \"getClientStatus\"}", 0 },
        { "{\"apiVersion\": \"1.10\", \"method\": \"getClientStatus\"}", 0 },
        { "{\"apiVersion\": \"2.0\", \"method\": \"getClientStatus\"}",
          AXIS_MQTT_ERR_VERSION },
        { "{\"apiVersion\": \"0.9\", \"method\": \"getClientStatus\"}",
          AXIS_MQTT_ERR_VERSION },
        { "{\"apiVersion\": \"11.0\", \"method\": \"getClientStatus\"}",
          AXIS_MQTT_ERR_VERSION },
        { "{\"apiVersion\": \"abc\", \"method\": \"getClientStatus\"}",
          AXIS_MQTT_ERR_VERSION },
        { "{\"apiVersion\": \"1\", \"method\": \"getClientStatus\"}",
          AXIS_MQTT_ERR_VERSION },
        { "{\"apiVersion\": \"1.\", \"method\": \"getClientStatus\"}",
          AXIS_MQTT_ERR_VERSION },
        { "{\"apiVersion\": \".1\", \"method\": \"getClientStatus\"}",
          AXIS_MQTT_ERR_VERSION },
        { "{\"apiVersion\": \"x.0\", \"method\": \"getClientStatus\"}",
          AXIS_MQTT_ERR_VERSION },
        { "{\"apiVersion\": \"1.x\", \"method\": \"getClientStatus\"}",
          AXIS_MQTT_ERR_VERSION },
        { "{\"apiVersion\": \"1.0.0\", \"method\": \"getClientStatus\"}",
          AXIS_MQTT_ERR_VERSION },
        { "{\"apiVersion\": \" 1.0\", \"method\": \"getClientStatus\"}",
          AXIS_MQTT_ERR_VERSION },
        { "{\"apiVersion\": \"-1.0\", \"method\": \"getClientStatus\"}",
          AXIS_MQTT_ERR_VERSION },
        { "{\"apiVersion\": \"\", \"method\": \"getClientStatus\"}",
          AXIS_MQTT_ERR_VERSION },
        { "{\"apiVersion\": \".\", \"method\": \"getClientStatus\"}",
          AXIS_MQTT_ERR_VERSION },
        { "{\"apiVersion\": \"2.0\", \"method\": \"configureClient\","
          " \"params\": {}}", AXIS_MQTT_ERR_VERSION },
    };

    t_check_bodies(cases, T_NELTS(cases), 1);
}


static void
test_not_admin(void **state)
{
    static const t_body_case_t  cases[] = {
        { "{\"method\": \"getSupportedVersions\"}", AXIS_MQTT_ERR_AUTH },
        { "{\"apiVersion\": \"1.0\", \"method\": \"getClientStatus\"}",
          AXIS_MQTT_ERR_AUTH },
        { "{\"apiVersion\": \"1.0\", \"method\": \"activateClient\"}",
          AXIS_MQTT_ERR_AUTH },
        { "{\"apiVersion\": \"1.0\", \"method\": \"configureClient\","
          " \"params\": {\"server\": {\"protocol\": \"tcp\","
          " \"host\": \"h\"}}}", AXIS_MQTT_ERR_AUTH },
        { "{\"apiVersion\": \"1.0\", \"method\": \"configureClient\"}",
          AXIS_MQTT_ERR_AUTH },
        { "{\"apiVersion\": \"9.9\", \"method\": \"bogus\"}",
          AXIS_MQTT_ERR_AUTH },
        { "{}", AXIS_MQTT_ERR_AUTH },
        { "[]", AXIS_MQTT_ERR_AUTH },
        { "", AXIS_MQTT_ERR_AUTH },
        { "not json", AXIS_MQTT_ERR_AUTH },
        { "{\"method\": ", AXIS_MQTT_ERR_AUTH },
    };

    t_check_bodies(cases, T_NELTS(cases), 0);
}


static void
test_not_admin_echo(void **state)
{
    json_t  *resp;

    resp = t_call("{\"apiVersion\": \"1.0\", \"context\": \"who\","
                  " \"method\": \"configureClient\", \"params\": 1}", 0);
    assert_int_equal(t_code(resp), AXIS_MQTT_ERR_AUTH);
    t_assert_envelope(resp, "1.0", "who", "configureClient");
    json_decref(resp);

    resp = t_call("{\"context\": \"who\", \"method\": \"nope\"}", 0);
    assert_int_equal(t_code(resp), AXIS_MQTT_ERR_AUTH);
    t_assert_envelope(resp, "1.0", "who", "nope");
    json_decref(resp);

    resp = t_call("{\"context\": \"who\", \"method\": ", 0);
    assert_int_equal(t_code(resp), AXIS_MQTT_ERR_AUTH);
    t_assert_envelope(resp, "1.0", NULL, NULL);
    json_decref(resp);
}


static void
test_writes(void **state)
{
    static const struct {
        const char          *method;
        int                  writes;
    } cases[] = {
        { "activateClient", 1 },
        { "deactivateClient", 1 },
        { "getClientStatus", 0 },
        { "getSupportedVersions", 0 },
    };

    char                  body[128];
    size_t                i;
    axis_mqtt_request_t   req;

    for (i = 0; i < T_NELTS(cases); i++) {
        snprintf(body, sizeof(body),
                 "{\"apiVersion\": \"1.0\", \"method\": \"%s\"}",
                 cases[i].method);

        axis_mqtt_request_parse(&req, body, strlen(body), 1, T_SERIAL);
        axis_mqtt_request_free(&req);

        assert_int_equal(req.error.code, AXIS_MQTT_OK);
        assert_int_equal(axis_mqtt_request_writes(&req), cases[i].writes);
    }

    t_configure(&req, "{\"server\": {\"protocol\": \"tcp\", \"host\": \"h\"}}");
    axis_mqtt_request_free(&req);

    assert_int_equal(req.error.code, AXIS_MQTT_OK);
    assert_int_equal(req.method, AXIS_MQTT_METHOD_CONFIGURE);
    assert_true(axis_mqtt_request_writes(&req));
}


static void
test_random_bytes(void **state)
{
    int            admin;
    char           body[512];
    size_t         i, j, len;
    json_t        *resp;
    unsigned int   seed;

    seed = 20240601;

    for (i = 0; i < 2000; i++) {
        len = rand_r(&seed) % sizeof(body);

        for (j = 0; j < len; j++) {
            body[j] = (char) (rand_r(&seed) & 0xff);
        }

        /* half of them start like an object, to get past the first byte */

        if (len > 0 && i % 2) {
            body[0] = '{';
        }

        admin = i % 5 != 0;

        resp = t_call_len(body, len, admin);
        assert_int_not_equal(t_code(resp), 0);
        json_decref(resp);
    }
}


static void
test_deep_nesting(void **state)
{
    char    *body;
    size_t   i, n;
    json_t  *resp;

    n = 10000;

    /* [[[[... */

    body = t_fill(n, '[');
    resp = t_call_len(body, n, 1);
    assert_int_equal(t_code(resp), AXIS_MQTT_ERR_JSON);
    json_decref(resp);
    free(body);

    /* [[[[...]]]]: complete, but too deep to be parsed */

    body = t_fill(2 * n, ']');
    memset(body, '[', n);
    resp = t_call_len(body, 2 * n, 1);
    assert_int_equal(t_code(resp), AXIS_MQTT_ERR_JSON);
    json_decref(resp);
    free(body);

    /* {"a":{"a":{"a":... */

    body = malloc(5 * n + 1);
    assert_non_null(body);

    for (i = 0; i < n; i++) {
        memcpy(body + 5 * i, "{\"a\":", 5);
    }

    resp = t_call_len(body, 5 * n, 1);
    assert_int_equal(t_code(resp), AXIS_MQTT_ERR_JSON);
    json_decref(resp);
    free(body);
}


static void
test_empty_body(void **state)
{
    json_t  *resp;

    resp = t_call_len("", 0, 1);
    assert_int_equal(t_code(resp), AXIS_MQTT_ERR_JSON);
    t_assert_envelope(resp, "1.0", NULL, NULL);
    json_decref(resp);

    /* a handler may have no buffer at all for an empty body */

    resp = t_call_len(NULL, 0, 1);
    assert_int_equal(t_code(resp), AXIS_MQTT_ERR_JSON);
    json_decref(resp);

    resp = t_call_len(NULL, 0, 0);
    assert_int_equal(t_code(resp), AXIS_MQTT_ERR_AUTH);
    json_decref(resp);
}


static void
test_nul_byte(void **state)
{
    static const char  between[] = "{\"apiVersion\": \"1.0\",\0"
                                   " \"method\": \"getClientStatus\"}";
    static const char  inside[] = "{\"apiVersion\": \"1.0\","
                                  " \"method\": \"getClient\0Status\"}";
    static const char  after[] = "{\"method\": \"getSupportedVersions\"}"
                                 "\0{}";
    static const char  escaped[] = "{\"apiVersion\": \"1.0\","
                                   " \"method\": \"getClient\\u0000Status\"}";
    static const char  value[] = "{\"apiVersion\": \"1.0\","
                                 " \"method\": \"configureClient\","
                                 " \"params\": {\"server\":"
                                 " {\"protocol\": \"tcp\","
                                 " \"host\": \"a\\u0000b\"}}}";

    static const struct {
        const char          *body;
        size_t               len;
    } cases[] = {
        { between, sizeof(between) - 1 },
        { inside, sizeof(inside) - 1 },
        { after, sizeof(after) - 1 },
        { escaped, sizeof(escaped) - 1 },
        { value, sizeof(value) - 1 },
    };

    int      code;
    size_t   i, failed;
    json_t  *resp;

    failed = 0;

    for (i = 0; i < T_NELTS(cases); i++) {
        resp = t_call_len(cases[i].body, cases[i].len, 1);
        code = t_code(resp);
        json_decref(resp);

        if (code == 0) {
            print_error("NUL case %zu was accepted\n", i);
            failed++;
        }
    }

    assert_int_equal(failed, 0);
}


/*
 * Every allocation a request and its response make is released by
 * axis_mqtt_request_free() and by freeing the response text.
 */

static void
test_response_frees_everything(void **state)
{
    static const struct {
        const char          *body;
        int                  admin;
    } cases[] = {
        { "{\"apiVersion\": \"1.0\", \"context\": \"c\","
          " \"method\": \"getSupportedVersions\"}", 1 },
        { "{\"apiVersion\": \"1.0\", \"method\": \"getClientStatus\"}", 1 },
        { "{\"apiVersion\": \"1.0\", \"method\": \"bogus\"}", 1 },
        { "{\"context\": \"c\", \"method\": \"getSupportedVersions\"}", 1 },
        { "{\"method\": \"getClientStatus\"}", 1 },
        { "not json", 1 },
        { "{\"apiVersion\": \"1.0\", \"method\": \"getClientStatus\"}", 0 },
        { "not json", 0 },
    };

    char                 *text;
    long                  before, leaked;
    size_t                i, failed;
    axis_mqtt_state_t     st;
    axis_mqtt_request_t   req;

    axis_mqtt_state_init(&st, T_SERIAL);
    st.active = 0;

    failed = 0;

    for (i = 0; i < T_NELTS(cases); i++) {
        before = t_alloc_live();

        axis_mqtt_request_parse(&req, cases[i].body, strlen(cases[i].body),
                                cases[i].admin, T_SERIAL);
        text = axis_mqtt_response(&req,
                                  req.error.code ? &req.error : NULL,
                                  &st, 0);
        axis_mqtt_request_free(&req);

        assert_non_null(text);
        t_alloc_free(text);

        leaked = t_alloc_live() - before;

        if (leaked != 0) {
            print_error("%s body %s: %ld jansson allocations not freed\n",
                        cases[i].admin ? "admin" : "non-admin",
                        cases[i].body, leaked);
            failed++;
        }
    }

    assert_int_equal(failed, 0);
}


int
t_run_request_tests(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_supported_versions),
        cmocka_unit_test(test_supported_versions_ignores_version),
        cmocka_unit_test(test_envelope_echo),
        cmocka_unit_test(test_envelope_not_strings),
        cmocka_unit_test(test_request_errors),
        cmocka_unit_test(test_api_versions),
        cmocka_unit_test(test_not_admin),
        cmocka_unit_test(test_not_admin_echo),
        cmocka_unit_test(test_writes),
        cmocka_unit_test(test_random_bytes),
        cmocka_unit_test(test_deep_nesting),
        cmocka_unit_test(test_empty_body),
        cmocka_unit_test(test_nul_byte),
        cmocka_unit_test(test_response_frees_everything),
    };

    return cmocka_run_group_tests_name("request", tests, NULL, NULL);
}


/*
 * The write methods applied to a state, and getClientStatus rendering it.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"


#define T_MINIMAL  "{\"server\": {\"protocol\": \"tcp\", \"host\": \"h\"}}"


/* the request for a method without params */
static void
t_method(axis_mqtt_request_t *req, const char *method)
{
    char  body[128];

    snprintf(body, sizeof(body),
             "{\"apiVersion\": \"1.0\", \"method\": \"%s\"}", method);

    axis_mqtt_request_parse(req, body, strlen(body), 1, T_SERIAL);
    axis_mqtt_request_free(req);

    assert_int_equal(req->error.code, AXIS_MQTT_OK);
}


/* configureClient with params applied to *current */
static int
t_apply_configure(const axis_mqtt_state_t *current, const char *params,
    axis_mqtt_state_t *next, axis_mqtt_error_t *err)
{
    axis_mqtt_request_t  req;

    t_configure(&req, params);
    axis_mqtt_request_free(&req);

    if (req.error.code != AXIS_MQTT_OK) {
        fail_msg("bad test params: %s", req.error.message);
    }

    return axis_mqtt_request_apply(&req, current, next, err);
}


static void
test_apply_configure_replaces(void **state)
{
    int                   active;
    axis_mqtt_state_t     cur, next, want;
    axis_mqtt_error_t     err;

    for (active = 0; active <= 1; active++) {
        t_state(&cur, T_PARAMS_FULL, active);
        t_state(&want, T_MINIMAL, active);

        memset(&next, 0, sizeof(next));
        next.active = !active;

        assert_int_equal(t_apply_configure(&cur, T_MINIMAL, &next, &err), 0);

        /* nothing of the previous configuration is left, but the flag */

        t_assert_conf_equal(&next.conf, &want.conf);
        assert_int_equal(next.active, active);
    }
}


static void
test_apply_keep_password(void **state)
{
    axis_mqtt_state_t     cur, next;
    axis_mqtt_error_t     err;
    axis_mqtt_request_t   req;

    t_state(&cur, T_PARAMS_FULL, 1);

    t_configure(&req,
        "{\"server\": {\"protocol\": \"tcp\", \"host\": \"other\"},"
        " \"username\": \"u2\", \"password\": \"ignored-one\","
        " \"keepExistingPassword\": true}");
    axis_mqtt_request_free(&req);

    assert_int_equal(req.error.code, AXIS_MQTT_OK);
    assert_int_equal(req.keep_password, 1);

    assert_int_equal(axis_mqtt_request_apply(&req, &cur, &next, &err), 0);
    assert_string_equal(next.conf.password, T_PASSWORD_FULL);
    assert_string_equal(next.conf.username, "u2");
    assert_string_equal(next.conf.host, "other");
    assert_int_equal(next.active, 1);

    /* without a password in the request */

    assert_int_equal(t_apply_configure(&cur,
                         "{\"server\": {\"protocol\": \"tcp\","
                         " \"host\": \"h\"}, \"keepExistingPassword\": true}",
                         &next, &err), 0);
    assert_string_equal(next.conf.password, T_PASSWORD_FULL);
}


static void
test_apply_replace_password(void **state)
{
    static const struct {
        const char          *params;
        const char          *password;
    } cases[] = {
        { "{\"server\": {\"protocol\": \"tcp\", \"host\": \"h\"},"
          " \"keepExistingPassword\": false}", "" },
        { T_MINIMAL, "" },
        { "{\"server\": {\"protocol\": \"tcp\", \"host\": \"h\"},"
          " \"password\": \"new-one\", \"keepExistingPassword\": false}",
          "new-one" },
        { "{\"server\": {\"protocol\": \"tcp\", \"host\": \"h\"},"
          " \"password\": \"new-two\"}", "new-two" },
        { "{\"server\": {\"protocol\": \"tcp\", \"host\": \"h\"},"
          " \"password\": \"\", \"keepExistingPassword\": false}", "" },
    };

    size_t               i;
    axis_mqtt_state_t    cur, next;
    axis_mqtt_error_t    err;

    t_state(&cur, T_PARAMS_FULL, 0);

    for (i = 0; i < T_NELTS(cases); i++) {
        assert_int_equal(t_apply_configure(&cur, cases[i].params, &next,
                                           &err), 0);
        assert_string_equal(next.conf.password, cases[i].password);
    }
}


static void
test_apply_activate(void **state)
{
    axis_mqtt_state_t     cur, next;
    axis_mqtt_error_t     err;
    axis_mqtt_request_t   req;

    t_method(&req, "activateClient");

    /* nothing configured: nothing to activate */

    axis_mqtt_state_init(&cur, T_SERIAL);
    cur.active = 0;
    err.code = AXIS_MQTT_OK;
    err.message[0] = '\0';

    assert_int_equal(axis_mqtt_request_apply(&req, &cur, &next, &err), -1);
    assert_int_equal(err.code, AXIS_MQTT_ERR_PARAM_MISSING);
    assert_true(strlen(err.message) > 0);

    /* configured: active, configuration untouched; and once more */

    t_state(&cur, T_PARAMS_FULL, 0);

    assert_int_equal(axis_mqtt_request_apply(&req, &cur, &next, &err), 0);
    assert_int_equal(next.active, 1);
    t_assert_conf_equal(&next.conf, &cur.conf);

    cur = next;

    assert_int_equal(axis_mqtt_request_apply(&req, &cur, &next, &err), 0);
    assert_int_equal(next.active, 1);
    t_assert_conf_equal(&next.conf, &cur.conf);
}


static void
test_apply_deactivate(void **state)
{
    axis_mqtt_state_t     cur, next;
    axis_mqtt_error_t     err;
    axis_mqtt_request_t   req;

    t_method(&req, "deactivateClient");

    t_state(&cur, T_PARAMS_FULL, 1);

    assert_int_equal(axis_mqtt_request_apply(&req, &cur, &next, &err), 0);
    assert_int_equal(next.active, 0);
    t_assert_conf_equal(&next.conf, &cur.conf);

    cur = next;

    assert_int_equal(axis_mqtt_request_apply(&req, &cur, &next, &err), 0);
    assert_int_equal(next.active, 0);
    t_assert_conf_equal(&next.conf, &cur.conf);

    /* nothing configured: already inactive, fine */

    axis_mqtt_state_init(&cur, T_SERIAL);
    cur.active = 0;

    assert_int_equal(axis_mqtt_request_apply(&req, &cur, &next, &err), 0);
    assert_int_equal(next.active, 0);
}


static void
test_apply_read_method(void **state)
{
    axis_mqtt_state_t     cur, next;
    axis_mqtt_error_t     err;
    axis_mqtt_request_t   req;

    t_method(&req, "getClientStatus");
    t_state(&cur, T_PARAMS_FULL, 1);

    err.code = AXIS_MQTT_OK;

    assert_int_equal(axis_mqtt_request_apply(&req, &cur, &next, &err), -1);
    assert_int_equal(err.code, AXIS_MQTT_ERR_INTERNAL);
}


static void
test_status_state(void **state)
{
    static const struct {
        int                  active;
        int                  connected;
        const char          *state;
        const char          *connection;
    } cases[] = {
        { 0, 0, "inactive", "disconnected" },
        { 1, 0, "active", "disconnected" },
        { 1, 1, "active", "connected" },
        { 0, 1, "inactive", "connected" },
    };

    size_t              i;
    json_t             *resp, *status;
    axis_mqtt_state_t   st;

    for (i = 0; i < T_NELTS(cases); i++) {
        t_state(&st, T_MINIMAL, cases[i].active);

        resp = t_status(&st, cases[i].connected, NULL);
        assert_int_equal(t_code(resp), 0);

        status = json_object_get(json_object_get(resp, "data"), "status");
        assert_true(json_is_object(status));
        t_assert_string_at(status, "state", cases[i].state);
        t_assert_string_at(status, "connectionStatus", cases[i].connection);

        json_decref(resp);
    }
}


static void
t_assert_message(const json_t *config, const char *key, const char *topic,
    const char *message, int retain, int qos)
{
    json_t  *msg;

    msg = json_object_get(config, key);

    if (!json_is_object(msg)) {
        fail_msg("\"%s\" must be an object", key);
    }

    assert_int_equal(json_object_size(msg), 5);
    t_assert_bool_at(msg, "useDefault", 0);
    t_assert_string_at(msg, "topic", topic);
    t_assert_string_at(msg, "message", message);
    t_assert_bool_at(msg, "retain", retain);
    t_assert_int_at(msg, "qos", qos);
}


static void
test_status_config_complete(void **state)
{
    json_t             *resp, *config, *server, *ssl;
    axis_mqtt_state_t   st;

    t_state(&st, T_PARAMS_FULL, 1);

    resp = t_status(&st, 1, NULL);
    config = json_object_get(json_object_get(resp, "data"), "config");
    assert_true(json_is_object(config));

    server = json_object_get(config, "server");
    assert_true(json_is_object(server));
    t_assert_string_at(server, "protocol", "ssl");
    t_assert_string_at(server, "host", "broker.example");
    t_assert_int_at(server, "port", 8884);
    t_assert_string_at(server, "basepath", "/mqtt");
    t_assert_string_at(server, "alpnProtocol", "mqtt");

    t_assert_string_at(config, "httpProxy", "http-proxy:3128");
    t_assert_string_at(config, "httpsProxy", "https-proxy:3129");
    t_assert_string_at(config, "username", "camera");
    t_assert_string_at(config, "password", "*****");
    t_assert_string_at(config, "clientId", "camera-1");
    t_assert_int_at(config, "keepAliveInterval", 20);
    t_assert_int_at(config, "connectTimeout", 30);
    t_assert_bool_at(config, "cleanSession", 0);
    t_assert_bool_at(config, "autoReconnect", 0);
    t_assert_bool_at(config, "activateOnReboot", 0);
    t_assert_string_at(config, "deviceTopicPrefix", "site/cam1");

    t_assert_message(config, "lastWillTestament", "cam/lwt", "gone", 1, 1);
    t_assert_message(config, "connectMessage", "cam/up", "up", 0, 2);
    t_assert_message(config, "disconnectMessage", "cam/down", "down", 1, 0);

    ssl = json_object_get(config, "ssl");
    assert_true(json_is_object(ssl));
    t_assert_bool_at(ssl, "validateServerCert", 0);
    t_assert_string_at(ssl, "clientCertID", "client");
    t_assert_string_at(ssl, "CACertID", "ca");

    json_decref(resp);
}


static void
test_status_password_hidden(void **state)
{
    static const char  *passwords[] = {
        T_PASSWORD_FULL,
        "p\"w\\d/\xe2\x82\xac",     /* escaped in JSON, several ways */
        "*",
        "x",
    };

    char                *text, *encoded;
    size_t               i;
    json_t              *resp, *config, *pw;
    axis_mqtt_state_t    st;

    for (i = 0; i < T_NELTS(passwords); i++) {
        t_state(&st, T_MINIMAL, 1);
        strcpy(st.conf.password, passwords[i]);

        resp = t_status(&st, 1, &text);
        config = json_object_get(json_object_get(resp, "data"), "config");
        t_assert_string_at(config, "password", "*****");
        json_decref(resp);

        /* neither raw nor as a JSON string (e.g. "\u20ac" or "\/") */

        pw = json_string(passwords[i]);
        encoded = json_dumps(pw, JSON_ENCODE_ANY);
        json_decref(pw);
        assert_non_null(encoded);

        if (strlen(passwords[i]) > 1) {
            assert_null(strstr(text, passwords[i]));
        }

        assert_null(strstr(text, encoded));

        free(encoded);
        free(text);
    }

    /* no password: no key */

    t_state(&st, T_MINIMAL, 1);
    assert_string_equal(st.conf.password, "");

    resp = t_status(&st, 0, NULL);
    config = json_object_get(json_object_get(resp, "data"), "config");
    assert_true(json_is_object(config));
    assert_null(json_object_get(config, "password"));
    json_decref(resp);
}


static void
test_status_after_configure(void **state)
{
    char                 *text;
    json_t               *resp, *data;
    axis_mqtt_state_t     cur, next;
    axis_mqtt_error_t     err;

    /* the whole path: configure, apply, getClientStatus */

    axis_mqtt_state_init(&cur, T_SERIAL);
    cur.active = 0;

    assert_int_equal(t_apply_configure(&cur, T_PARAMS_FULL, &next, &err), 0);

    resp = t_status(&next, 0, &text);
    assert_int_equal(t_code(resp), 0);
    assert_null(strstr(text, T_PASSWORD_FULL));

    data = json_object_get(resp, "data");
    t_assert_string_at(json_object_get(data, "status"), "state",
                       "inactive");
    t_assert_string_at(json_object_get(data, "config"), "password",
                       "*****");

    json_decref(resp);
    free(text);
}


int
t_run_state_tests(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_apply_configure_replaces),
        cmocka_unit_test(test_apply_keep_password),
        cmocka_unit_test(test_apply_replace_password),
        cmocka_unit_test(test_apply_activate),
        cmocka_unit_test(test_apply_deactivate),
        cmocka_unit_test(test_apply_read_method),
        cmocka_unit_test(test_status_state),
        cmocka_unit_test(test_status_config_complete),
        cmocka_unit_test(test_status_password_hidden),
        cmocka_unit_test(test_status_after_configure),
    };

    return cmocka_run_group_tests_name("apply and getClientStatus", tests,
                                       NULL, NULL);
}

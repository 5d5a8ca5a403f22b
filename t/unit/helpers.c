
/*
 * Helpers shared by the unit tests.
 */

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "unit.h"


#define T_PATH_LEN  128


static long  t_alloc_count;


static void *
t_alloc_malloc(size_t size)
{
    void  *p;

    p = malloc(size);

    if (p != NULL) {
        t_alloc_count++;
    }

    return p;
}


void
t_alloc_free(void *p)
{
    if (p != NULL) {
        t_alloc_count--;
        free(p);
    }
}


void
t_alloc_install(void)
{
    json_set_alloc_funcs(t_alloc_malloc, t_alloc_free);
}


long
t_alloc_live(void)
{
    return t_alloc_count;
}


char *
t_fill(size_t n, char c)
{
    char  *s;

    s = malloc(n + 1);
    assert_non_null(s);

    memset(s, c, n);
    s[n] = '\0';

    return s;
}


json_t *
t_call(const char *body, int admin)
{
    return t_call_len(body, strlen(body), admin);
}


json_t *
t_call_len(const char *body, size_t len, int admin)
{
    char                 *text;
    json_t               *resp;
    json_error_t          jerr;
    axis_mqtt_state_t     state;
    axis_mqtt_request_t   req;

    axis_mqtt_state_init(&state, T_SERIAL);
    state.active = 0;

    axis_mqtt_request_parse(&req, body, len, admin, T_SERIAL);

    text = axis_mqtt_response(&req, req.error.code ? &req.error : NULL,
                              &state, 0);

    axis_mqtt_request_free(&req);

    assert_non_null(text);

    resp = json_loads(text, 0, &jerr);
    free(text);

    if (!json_is_object(resp)) {
        fail_msg("the response is not a JSON object: %s", jerr.text);
    }

    return resp;
}


void
t_assert_string_at(const json_t *obj, const char *key, const char *value)
{
    json_t  *v;

    v = json_object_get(obj, key);

    if (!json_is_string(v)) {
        fail_msg("\"%s\" must be a string", key);
    }

    assert_string_equal(json_string_value(v), value);
}


void
t_assert_bool_at(const json_t *obj, const char *key, int value)
{
    json_t  *v;

    v = json_object_get(obj, key);

    if (!json_is_boolean(v)) {
        fail_msg("\"%s\" must be a boolean", key);
    }

    assert_int_equal(json_is_true(v), value);
}


void
t_assert_int_at(const json_t *obj, const char *key, json_int_t value)
{
    json_t  *v;

    v = json_object_get(obj, key);

    if (!json_is_integer(v)) {
        fail_msg("\"%s\" must be an integer", key);
    }

    assert_int_equal(json_integer_value(v), value);
}


int
t_code(const json_t *resp)
{
    json_t  *data, *error, *code, *message;

    data = json_object_get(resp, "data");
    error = json_object_get(resp, "error");

    if ((data == NULL) == (error == NULL)) {
        fail_msg("a response has either \"data\" or \"error\"");
    }

    if (data != NULL) {
        assert_true(json_is_object(data));
        return 0;
    }

    assert_true(json_is_object(error));

    code = json_object_get(error, "code");
    message = json_object_get(error, "message");

    assert_true(json_is_integer(code));
    assert_true(json_is_string(message));
    assert_true(json_string_length(message) > 0);

    return (int) json_integer_value(code);
}


void
t_check_bodies(const t_body_case_t *cases, size_t n, int admin)
{
    int      code;
    size_t   i, failed;
    json_t  *resp;

    failed = 0;

    for (i = 0; i < n; i++) {
        resp = t_call(cases[i].body, admin);
        code = t_code(resp);
        json_decref(resp);

        if (code != cases[i].code) {
            print_error("body %s: expected %d, got %d\n",
                        cases[i].body, cases[i].code, code);
            failed++;
        }
    }

    assert_int_equal(failed, 0);
}


void
t_check_params(const t_param_case_t *cases, size_t n)
{
    int                   code;
    size_t                i, failed;
    json_t               *params;
    axis_mqtt_request_t   req;

    failed = 0;

    for (i = 0; i < n; i++) {
        params = t_params(T_PARAMS_FULL);
        t_params_set(params, cases[i].path, cases[i].value, cases[i].fill);

        t_configure_json(&req, params);
        code = req.error.code;

        axis_mqtt_request_free(&req);
        json_decref(params);

        if (code != cases[i].code) {
            if (cases[i].fill) {
                print_error("%s = string of %zu bytes: expected %d, got %d"
                            " (%s)\n", cases[i].path, cases[i].fill,
                            cases[i].code, code, req.error.message);
            } else {
                print_error("%s = %s: expected %d, got %d (%s)\n",
                            cases[i].path,
                            cases[i].value ? cases[i].value : "(removed)",
                            cases[i].code, code, req.error.message);
            }

            failed++;
        }
    }

    assert_int_equal(failed, 0);
}


json_t *
t_params(const char *text)
{
    json_t        *params;
    json_error_t   jerr;

    params = json_loads(text, JSON_DECODE_ANY, &jerr);

    if (params == NULL) {
        fail_msg("bad test params: %s: %s", jerr.text, text);
    }

    return params;
}


void
t_params_set(json_t *params, const char *path, const char *value,
    size_t fill)
{
    char    *key, *dot, *s, buf[T_PATH_LEN];
    json_t  *obj, *next;

    assert_true(strlen(path) < sizeof(buf));
    strcpy(buf, path);

    obj = params;
    key = buf;

    for ( ;; ) {
        dot = strchr(key, '.');
        if (dot == NULL) {
            break;
        }

        *dot = '\0';

        next = json_object_get(obj, key);

        if (!json_is_object(next)) {
            next = json_object();
            assert_int_equal(json_object_set_new(obj, key, next), 0);
        }

        obj = next;
        key = dot + 1;
    }

    if (fill) {
        s = t_fill(fill, 'x');
        assert_int_equal(json_object_set_new(obj, key, json_string(s)), 0);
        free(s);

    } else if (value == NULL) {
        (void) json_object_del(obj, key);

    } else {
        assert_int_equal(json_object_set_new(obj, key, t_params(value)), 0);
    }
}


void
t_configure(axis_mqtt_request_t *req, const char *params)
{
    json_t  *obj;

    obj = t_params(params);
    t_configure_json(req, obj);
    json_decref(obj);
}


void
t_configure_json(axis_mqtt_request_t *req, const json_t *params)
{
    char    *body;
    json_t  *root;

    root = json_pack("{s:s, s:s, s:O}", "apiVersion", "1.0",
                     "method", "configureClient", "params", params);
    assert_non_null(root);

    body = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    assert_non_null(body);

    axis_mqtt_request_parse(req, body, strlen(body), 1, T_SERIAL);
    free(body);
}


void
t_state(axis_mqtt_state_t *state, const char *params, int active)
{
    axis_mqtt_request_t  req;

    t_configure(&req, params);
    axis_mqtt_request_free(&req);

    if (req.error.code != AXIS_MQTT_OK) {
        fail_msg("bad test params: %s", req.error.message);
    }

    state->conf = req.conf;
    state->active = active;
    axis_mqtt_event_conf_init(&state->events);
}


json_t *
t_status(const axis_mqtt_state_t *state, int connected, char **text)
{
    static const char     body[] = "{\"apiVersion\": \"1.0\","
                                   " \"method\": \"getClientStatus\"}";
    char                 *s;
    json_t               *resp;
    axis_mqtt_request_t   req;

    axis_mqtt_request_parse(&req, body, sizeof(body) - 1, 1, T_SERIAL);
    assert_int_equal(req.error.code, AXIS_MQTT_OK);

    s = axis_mqtt_response(&req, NULL, state, connected);
    axis_mqtt_request_free(&req);
    assert_non_null(s);

    resp = json_loads(s, 0, NULL);
    assert_true(json_is_object(resp));

    if (text != NULL) {
        *text = s;

    } else {
        free(s);
    }

    return resp;
}


static void
t_assert_message_equal(const axis_mqtt_message_t *a,
    const axis_mqtt_message_t *b)
{
    assert_int_equal(a->configured, b->configured);
    assert_int_equal(a->use_default, b->use_default);
    assert_int_equal(a->retain, b->retain);
    assert_int_equal(a->qos, b->qos);
    assert_string_equal(a->topic, b->topic);
    assert_string_equal(a->message, b->message);
}


void
t_assert_conf_equal(const axis_mqtt_conf_t *a, const axis_mqtt_conf_t *b)
{
    assert_int_equal(a->protocol, b->protocol);
    assert_int_equal(a->port, b->port);
    assert_string_equal(a->host, b->host);
    assert_string_equal(a->basepath, b->basepath);
    assert_string_equal(a->alpn_protocol, b->alpn_protocol);
    assert_string_equal(a->http_proxy, b->http_proxy);
    assert_string_equal(a->https_proxy, b->https_proxy);
    assert_string_equal(a->username, b->username);
    assert_string_equal(a->password, b->password);
    assert_string_equal(a->client_id, b->client_id);
    assert_int_equal(a->keep_alive_interval, b->keep_alive_interval);
    assert_int_equal(a->connect_timeout, b->connect_timeout);
    assert_int_equal(a->clean_session, b->clean_session);
    assert_int_equal(a->auto_reconnect, b->auto_reconnect);
    assert_int_equal(a->activate_on_reboot, b->activate_on_reboot);
    assert_string_equal(a->device_topic_prefix, b->device_topic_prefix);
    t_assert_message_equal(&a->last_will, &b->last_will);
    t_assert_message_equal(&a->connect_message, &b->connect_message);
    t_assert_message_equal(&a->disconnect_message, &b->disconnect_message);
    assert_int_equal(a->validate_server_cert, b->validate_server_cert);
    assert_string_equal(a->client_cert_id, b->client_cert_id);
    assert_string_equal(a->ca_cert_id, b->ca_cert_id);
}


/* one call to that API: the response, parsed; a write applied to *state */

json_t *
t_api_call(axis_mqtt_api_e api, const char *body, axis_mqtt_state_t *state,
    int *code)
{
    char                 *text;
    json_t               *resp;
    axis_mqtt_state_t    *next;
    axis_mqtt_request_t   req;

    axis_mqtt_request_parse_api(&req, api, body, strlen(body), 1, T_SERIAL);

    if (req.error.code == AXIS_MQTT_OK && axis_mqtt_request_writes(&req)) {
        next = malloc(sizeof(axis_mqtt_state_t));
        assert_non_null(next);
        assert_int_equal(axis_mqtt_request_apply(&req, state, next,
                                                 &req.error), 0);
        *state = *next;
        free(next);
    }

    *code = req.error.code;
    text = axis_mqtt_response(&req, req.error.code ? &req.error : NULL,
                              state, 0);
    axis_mqtt_request_free(&req);

    assert_non_null(text);
    resp = json_loads(text, 0, NULL);
    t_alloc_free(text);
    assert_non_null(resp);

    return resp;
}


/* *back: what a state file of *state reads back to, through a temp dir */

void
t_store_round_trip(const axis_mqtt_state_t *state, axis_mqtt_state_t *back)
{
    char               dir[] = "/tmp/axis-mqtt-unit-XXXXXX";
    char               path[128];
    axis_mqtt_error_t  err;

    assert_non_null(mkdtemp(dir));
    assert_int_equal(axis_mqtt_store_save(dir, "client-t.json", state, &err),
                     0);
    assert_int_equal(axis_mqtt_store_load(dir, "client-t.json", back,
                                          T_SERIAL, &err), 1);
    snprintf(path, sizeof(path), "%s/client-t.json", dir);
    unlink(path);
    rmdir(dir);
}


/*
 * configureClient: the validation of params, the defaults, the stored
 * values and how they are rendered.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"


#define T_MINIMAL  "{\"server\": {\"protocol\": \"tcp\", \"host\": \"h\"}}"
#define T_UTF8     "Kamera-B\xc3\xbcr\xe2\x82\xac"     /* Kamera-Bür€ */


static json_t *
t_rendered_config(const axis_mqtt_conf_t *conf)
{
    json_t             *resp, *config;
    axis_mqtt_state_t   st;

    st.conf = *conf;
    st.active = 0;

    resp = t_status(&st, 0, NULL);

    config = json_object_get(json_object_get(resp, "data"), "config");
    assert_true(json_is_object(config));

    json_incref(config);
    json_decref(resp);

    return config;
}


static void
test_param_types(void **state)
{
    static const t_param_case_t  cases[] = {
        { "server", NULL, 0, AXIS_MQTT_ERR_PARAM_MISSING },
        { "server", "null", 0, AXIS_MQTT_ERR_PARAM_MISSING },
        { "server", "\"broker\"", 0, AXIS_MQTT_ERR_PARAM_MISSING },
        { "server", "[]", 0, AXIS_MQTT_ERR_PARAM_MISSING },
        { "server.host", NULL, 0, AXIS_MQTT_ERR_PARAM_MISSING },
        { "server.host", "null", 0, AXIS_MQTT_ERR_PARAM_MISSING },
        { "server.host", "5", 0, AXIS_MQTT_ERR_PARAM_MISSING },
        { "server.protocol", NULL, 0, AXIS_MQTT_ERR_PARAM_MISSING },
        { "server.protocol", "1", 0, AXIS_MQTT_ERR_PARAM_MISSING },
        { "server.port", "\"1883\"", 0, AXIS_MQTT_ERR_PARAM_MISSING },
        { "server.port", "1883.0", 0, AXIS_MQTT_ERR_PARAM_MISSING },
        { "server.port", "true", 0, AXIS_MQTT_ERR_PARAM_MISSING },
        { "server.basepath", "[]", 0, AXIS_MQTT_ERR_PARAM_MISSING },
        { "server.alpnProtocol", "1", 0, AXIS_MQTT_ERR_PARAM_MISSING },
        { "httpProxy", "false", 0, AXIS_MQTT_ERR_PARAM_MISSING },
        { "httpsProxy", "{}", 0, AXIS_MQTT_ERR_PARAM_MISSING },
        { "username", "5", 0, AXIS_MQTT_ERR_PARAM_MISSING },
        { "password", "true", 0, AXIS_MQTT_ERR_PARAM_MISSING },
        { "keepExistingPassword", "\"yes\"", 0,
          AXIS_MQTT_ERR_PARAM_MISSING },
        { "clientId", "1", 0, AXIS_MQTT_ERR_PARAM_MISSING },
        { "keepAliveInterval", "\"60\"", 0, AXIS_MQTT_ERR_PARAM_MISSING },
        { "connectTimeout", "1.5", 0, AXIS_MQTT_ERR_PARAM_MISSING },
        { "cleanSession", "1", 0, AXIS_MQTT_ERR_PARAM_MISSING },
        { "autoReconnect", "\"true\"", 0, AXIS_MQTT_ERR_PARAM_MISSING },
        { "activateOnReboot", "0", 0, AXIS_MQTT_ERR_PARAM_MISSING },
        { "deviceTopicPrefix", "1", 0, AXIS_MQTT_ERR_PARAM_MISSING },
        { "lastWillTestament", "\"default\"", 0,
          AXIS_MQTT_ERR_PARAM_MISSING },
        { "lastWillTestament", "true", 0, AXIS_MQTT_ERR_PARAM_MISSING },
        { "lastWillTestament.useDefault", "\"no\"", 0,
          AXIS_MQTT_ERR_PARAM_MISSING },
        { "lastWillTestament.topic", NULL, 0, AXIS_MQTT_ERR_PARAM_MISSING },
        { "lastWillTestament.message", NULL, 0,
          AXIS_MQTT_ERR_PARAM_MISSING },
        { "lastWillTestament.retain", NULL, 0, AXIS_MQTT_ERR_PARAM_MISSING },
        { "lastWillTestament.qos", NULL, 0, AXIS_MQTT_ERR_PARAM_MISSING },
        { "lastWillTestament.qos", "\"1\"", 0, AXIS_MQTT_ERR_PARAM_MISSING },
        { "lastWillTestament.retain", "\"true\"", 0,
          AXIS_MQTT_ERR_PARAM_MISSING },
        { "connectMessage.topic", NULL, 0, AXIS_MQTT_ERR_PARAM_MISSING },
        { "connectMessage.message", "null", 0, AXIS_MQTT_ERR_PARAM_MISSING },
        { "connectMessage.qos", "\"2\"", 0, AXIS_MQTT_ERR_PARAM_MISSING },
        { "disconnectMessage.retain", NULL, 0, AXIS_MQTT_ERR_PARAM_MISSING },
        { "disconnectMessage.qos", NULL, 0, AXIS_MQTT_ERR_PARAM_MISSING },
        { "disconnectMessage.message", "7", 0, AXIS_MQTT_ERR_PARAM_MISSING },
        { "ssl", "\"on\"", 0, AXIS_MQTT_ERR_PARAM_MISSING },
        { "ssl.validateServerCert", "\"true\"", 0,
          AXIS_MQTT_ERR_PARAM_MISSING },
        { "ssl.clientCertID", "1", 0, AXIS_MQTT_ERR_PARAM_MISSING },
        { "ssl.CACertID", "[]", 0, AXIS_MQTT_ERR_PARAM_MISSING },
    };

    t_check_params(cases, T_NELTS(cases));
}


static void
test_param_values(void **state)
{
    static const t_param_case_t  cases[] = {
        { "server.protocol", "\"mqtt\"", 0, AXIS_MQTT_ERR_PARAM_VALUE },
        { "server.protocol", "\"TCP\"", 0, AXIS_MQTT_ERR_PARAM_VALUE },
        { "server.protocol", "\"\"", 0, AXIS_MQTT_ERR_PARAM_VALUE },
        { "server.protocol", "\"tcp-and-more\"", 0,
          AXIS_MQTT_ERR_PARAM_VALUE },
        { "server.host", "\"\"", 0, AXIS_MQTT_ERR_PARAM_VALUE },
        { "server.host", "\"a b\"", 0, AXIS_MQTT_ERR_PARAM_VALUE },
        { "server.host", "\"broker/x\"", 0, AXIS_MQTT_ERR_PARAM_VALUE },
        { "server.host", "\"user@broker\"", 0, AXIS_MQTT_ERR_PARAM_VALUE },
        { "server.host", "\"bro\\nker\"", 0, AXIS_MQTT_ERR_PARAM_VALUE },
        { "server.host", NULL, 256, AXIS_MQTT_ERR_PARAM_VALUE },
        { "server.port", "0", 0, AXIS_MQTT_ERR_PARAM_VALUE },
        { "server.port", "65536", 0, AXIS_MQTT_ERR_PARAM_VALUE },
        { "server.port", "-1", 0, AXIS_MQTT_ERR_PARAM_VALUE },
        { "server.port", "4294968179", 0, AXIS_MQTT_ERR_PARAM_VALUE },
        { "server.alpnProtocol", NULL, 256, AXIS_MQTT_ERR_PARAM_VALUE },
        { "server.basepath", NULL, 1025, AXIS_MQTT_ERR_PARAM_VALUE },
        { "httpProxy", NULL, 256, AXIS_MQTT_ERR_PARAM_VALUE },
        { "httpsProxy", NULL, 256, AXIS_MQTT_ERR_PARAM_VALUE },
        { "username", NULL, 1025, AXIS_MQTT_ERR_PARAM_VALUE },
        { "password", NULL, 1025, AXIS_MQTT_ERR_PARAM_VALUE },
        { "clientId", NULL, 1025, AXIS_MQTT_ERR_PARAM_VALUE },
        { "keepAliveInterval", "-1", 0, AXIS_MQTT_ERR_PARAM_VALUE },
        { "keepAliveInterval", "65536", 0, AXIS_MQTT_ERR_PARAM_VALUE },
        { "connectTimeout", "-1", 0, AXIS_MQTT_ERR_PARAM_VALUE },
        { "connectTimeout", "65536", 0, AXIS_MQTT_ERR_PARAM_VALUE },
        { "deviceTopicPrefix", "\"axis/#\"", 0, AXIS_MQTT_ERR_PARAM_VALUE },
        { "deviceTopicPrefix", "\"axis/+/x\"", 0,
          AXIS_MQTT_ERR_PARAM_VALUE },
        { "deviceTopicPrefix", NULL, 1025, AXIS_MQTT_ERR_PARAM_VALUE },
        { "lastWillTestament.qos", "3", 0, AXIS_MQTT_ERR_PARAM_VALUE },
        { "lastWillTestament.qos", "-1", 0, AXIS_MQTT_ERR_PARAM_VALUE },
        { "lastWillTestament.topic", "\"cam/+/lwt\"", 0,
          AXIS_MQTT_ERR_PARAM_VALUE },
        { "lastWillTestament.topic", "\"cam/#\"", 0,
          AXIS_MQTT_ERR_PARAM_VALUE },
        { "lastWillTestament.topic", "\"\"", 0, AXIS_MQTT_ERR_PARAM_VALUE },
        { "lastWillTestament.topic", NULL, 1025, AXIS_MQTT_ERR_PARAM_VALUE },
        { "lastWillTestament.message", NULL, 4097,
          AXIS_MQTT_ERR_PARAM_VALUE },
        { "connectMessage.qos", "3", 0, AXIS_MQTT_ERR_PARAM_VALUE },
        { "connectMessage.topic", "\"#\"", 0, AXIS_MQTT_ERR_PARAM_VALUE },
        { "connectMessage.message", NULL, 4097, AXIS_MQTT_ERR_PARAM_VALUE },
        { "disconnectMessage.qos", "-1", 0, AXIS_MQTT_ERR_PARAM_VALUE },
        { "disconnectMessage.topic", "\"+\"", 0, AXIS_MQTT_ERR_PARAM_VALUE },
        { "ssl.clientCertID", "\"../x\"", 0, AXIS_MQTT_ERR_PARAM_VALUE },
        { "ssl.clientCertID", "\"a/b\"", 0, AXIS_MQTT_ERR_PARAM_VALUE },
        { "ssl.clientCertID", "\".\"", 0, AXIS_MQTT_ERR_PARAM_VALUE },
        { "ssl.clientCertID", "\"..\"", 0, AXIS_MQTT_ERR_PARAM_VALUE },
        { "ssl.clientCertID", NULL, 256, AXIS_MQTT_ERR_PARAM_VALUE },
        { "ssl.CACertID", "\"../x\"", 0, AXIS_MQTT_ERR_PARAM_VALUE },
        { "ssl.CACertID", "\"a/b\"", 0, AXIS_MQTT_ERR_PARAM_VALUE },
        { "ssl.CACertID", "\".\"", 0, AXIS_MQTT_ERR_PARAM_VALUE },
        { "ssl.CACertID", "\"..\"", 0, AXIS_MQTT_ERR_PARAM_VALUE },
        { "ssl.CACertID", "\"a\\\\b\"", 0, AXIS_MQTT_ERR_PARAM_VALUE },
    };

    t_check_params(cases, T_NELTS(cases));
}


static void
test_param_accepted(void **state)
{
    static const t_param_case_t  cases[] = {
        { "server.protocol", "\"tcp\"", 0, 0 },
        { "server.protocol", "\"ws\"", 0, 0 },
        { "server.protocol", "\"wss\"", 0, 0 },
        { "server.port", "1", 0, 0 },
        { "server.port", "65535", 0, 0 },
        { "server.port", "null", 0, 0 },
        { "server.host", NULL, 255, 0 },
        { "server.host", "\"192.0.2.1\"", 0, 0 },
        { "server.alpnProtocol", NULL, 255, 0 },
        { "server.basepath", NULL, 1024, 0 },
        { "httpProxy", NULL, 255, 0 },
        { "httpsProxy", NULL, 255, 0 },
        { "username", NULL, 1024, 0 },
        { "password", NULL, 1024, 0 },
        { "clientId", NULL, 1024, 0 },
        { "keepAliveInterval", "0", 0, 0 },
        { "keepAliveInterval", "65535", 0, 0 },
        { "connectTimeout", "0", 0, 0 },
        { "deviceTopicPrefix", "\"\"", 0, 0 },
        { "deviceTopicPrefix", NULL, 1024, 0 },
        { "lastWillTestament.qos", "0", 0, 0 },
        { "lastWillTestament.qos", "2", 0, 0 },
        { "lastWillTestament.topic", NULL, 1024, 0 },
        { "lastWillTestament.message", NULL, 4096, 0 },
        { "lastWillTestament.message", "\"\"", 0, 0 },
        { "lastWillTestament.useDefault", NULL, 0, 0 },
        { "lastWillTestament.useDefault", "null", 0, 0 },
        { "lastWillTestament", "null", 0, 0 },
        { "connectMessage", NULL, 0, 0 },
        { "ssl", NULL, 0, 0 },
        { "ssl", "null", 0, 0 },
        { "ssl", "{}", 0, 0 },
        { "ssl.clientCertID", NULL, 255, 0 },
        { "ssl.clientCertID", "\"my..cert.pem\"", 0, 0 },
        { "ssl.CACertID", "\"\"", 0, 0 },

        /* unknown fields are ignored, wherever they are */
        { "unknownField", "{\"x\": [1, 2]}", 0, 0 },
        { "server.unknown", "1", 0, 0 },
        { "lastWillTestament.unknown", "\"x\"", 0, 0 },
        { "ssl.unknown", "null", 0, 0 },
    };

    t_check_params(cases, T_NELTS(cases));
}


static void
test_defaults(void **state)
{
    json_t               *config, *server, *ssl;
    axis_mqtt_conf_t     *c;
    axis_mqtt_request_t   req;

    t_configure(&req, T_MINIMAL);
    axis_mqtt_request_free(&req);
    assert_int_equal(req.error.code, AXIS_MQTT_OK);

    c = &req.conf;

    assert_int_equal(c->protocol, AXIS_MQTT_TCP);
    assert_string_equal(c->host, "h");
    assert_int_equal(c->port, 1883);
    assert_string_equal(c->basepath, "");
    assert_string_equal(c->alpn_protocol, "");
    assert_string_equal(c->http_proxy, "");
    assert_string_equal(c->https_proxy, "");
    assert_string_equal(c->username, "");
    assert_string_equal(c->password, "");
    assert_string_equal(c->client_id, "");
    assert_int_equal(c->keep_alive_interval, 60);
    assert_int_equal(c->connect_timeout, 60);
    assert_int_equal(c->clean_session, 1);
    assert_int_equal(c->auto_reconnect, 1);
    assert_int_equal(c->activate_on_reboot, 1);
    assert_string_equal(c->device_topic_prefix, "axis/" T_SERIAL);
    assert_int_equal(c->last_will.configured, 0);
    assert_int_equal(c->connect_message.configured, 0);
    assert_int_equal(c->disconnect_message.configured, 0);
    assert_int_equal(c->validate_server_cert, 1);
    assert_string_equal(c->client_cert_id, "");
    assert_string_equal(c->ca_cert_id, "");
    assert_int_equal(req.keep_password, 0);

    /* and as getClientStatus shows them */

    config = t_rendered_config(c);

    server = json_object_get(config, "server");
    t_assert_string_at(server, "protocol", "tcp");
    t_assert_string_at(server, "host", "h");
    t_assert_int_at(server, "port", 1883);
    t_assert_string_at(server, "basepath", "");
    t_assert_string_at(server, "alpnProtocol", "");
    t_assert_string_at(config, "httpProxy", "");
    t_assert_string_at(config, "httpsProxy", "");
    t_assert_string_at(config, "username", "");
    t_assert_string_at(config, "clientId", "");
    t_assert_int_at(config, "keepAliveInterval", 60);
    t_assert_int_at(config, "connectTimeout", 60);
    t_assert_bool_at(config, "cleanSession", 1);
    t_assert_bool_at(config, "autoReconnect", 1);
    t_assert_bool_at(config, "activateOnReboot", 1);
    t_assert_string_at(config, "deviceTopicPrefix", "axis/" T_SERIAL);

    ssl = json_object_get(config, "ssl");
    t_assert_bool_at(ssl, "validateServerCert", 1);

    assert_null(json_object_get(config, "password"));
    assert_null(json_object_get(config, "lastWillTestament"));
    assert_null(json_object_get(config, "connectMessage"));
    assert_null(json_object_get(config, "disconnectMessage"));

    json_decref(config);
}


static void
test_nulls_are_absent(void **state)
{
    axis_mqtt_request_t  req, ref;

    t_configure(&req,
        "{\"server\": {\"protocol\": \"tcp\", \"host\": \"h\","
        "             \"port\": null, \"basepath\": null,"
        "             \"alpnProtocol\": null},"
        " \"httpProxy\": null, \"httpsProxy\": null, \"username\": null,"
        " \"password\": null, \"keepExistingPassword\": null,"
        " \"clientId\": null, \"keepAliveInterval\": null,"
        " \"connectTimeout\": null, \"cleanSession\": null,"
        " \"autoReconnect\": null, \"activateOnReboot\": null,"
        " \"deviceTopicPrefix\": null, \"lastWillTestament\": null,"
        " \"connectMessage\": null, \"disconnectMessage\": null,"
        " \"ssl\": null}");
    axis_mqtt_request_free(&req);
    assert_int_equal(req.error.code, AXIS_MQTT_OK);

    t_configure(&ref, T_MINIMAL);
    axis_mqtt_request_free(&ref);
    assert_int_equal(ref.error.code, AXIS_MQTT_OK);

    t_assert_conf_equal(&req.conf, &ref.conf);
    assert_int_equal(req.keep_password, 0);

    /* inside an ssl object too */

    t_configure(&req,
        "{\"server\": {\"protocol\": \"tcp\", \"host\": \"h\"},"
        " \"ssl\": {\"validateServerCert\": null, \"clientCertID\": null,"
        "          \"CACertID\": null}}");
    axis_mqtt_request_free(&req);
    assert_int_equal(req.error.code, AXIS_MQTT_OK);

    t_assert_conf_equal(&req.conf, &ref.conf);
}


static void
test_default_ports(void **state)
{
    static const struct {
        const char          *protocol;
        axis_mqtt_protocol_e  value;
        int                  port;
    } cases[] = {
        { "tcp", AXIS_MQTT_TCP, 1883 },
        { "ssl", AXIS_MQTT_SSL, 8883 },
        { "ws", AXIS_MQTT_WS, 80 },
        { "wss", AXIS_MQTT_WSS, 443 },
    };

    char                  params[128];
    size_t                i;
    json_t               *config;
    axis_mqtt_request_t   req;

    for (i = 0; i < T_NELTS(cases); i++) {
        snprintf(params, sizeof(params),
                 "{\"server\": {\"protocol\": \"%s\", \"host\": \"h\"}}",
                 cases[i].protocol);

        t_configure(&req, params);
        axis_mqtt_request_free(&req);

        assert_int_equal(req.error.code, AXIS_MQTT_OK);
        assert_int_equal(req.conf.protocol, cases[i].value);
        assert_int_equal(req.conf.port, cases[i].port);
        assert_string_equal(axis_mqtt_protocol_name(req.conf.protocol),
                            cases[i].protocol);

        config = t_rendered_config(&req.conf);
        t_assert_string_at(json_object_get(config, "server"), "protocol",
                           cases[i].protocol);
        t_assert_int_at(json_object_get(config, "server"), "port",
                        cases[i].port);
        json_decref(config);

        /* an explicit port is kept */

        snprintf(params, sizeof(params),
                 "{\"server\": {\"protocol\": \"%s\", \"host\": \"h\","
                 " \"port\": 1234}}", cases[i].protocol);

        t_configure(&req, params);
        axis_mqtt_request_free(&req);

        assert_int_equal(req.error.code, AXIS_MQTT_OK);
        assert_int_equal(req.conf.port, 1234);
    }
}


static void
test_full_params(void **state)
{
    axis_mqtt_conf_t     *c;
    axis_mqtt_request_t   req;

    t_configure(&req, T_PARAMS_FULL);
    axis_mqtt_request_free(&req);
    assert_int_equal(req.error.code, AXIS_MQTT_OK);

    c = &req.conf;

    assert_int_equal(c->protocol, AXIS_MQTT_SSL);
    assert_string_equal(c->host, "broker.example");
    assert_int_equal(c->port, 8884);
    assert_string_equal(c->basepath, "/mqtt");
    assert_string_equal(c->alpn_protocol, "mqtt");
    assert_string_equal(c->http_proxy, "http-proxy:3128");
    assert_string_equal(c->https_proxy, "https-proxy:3129");
    assert_string_equal(c->username, "camera");
    assert_string_equal(c->password, T_PASSWORD_FULL);
    assert_string_equal(c->client_id, "camera-1");
    assert_int_equal(c->keep_alive_interval, 20);
    assert_int_equal(c->connect_timeout, 30);
    assert_int_equal(c->clean_session, 0);
    assert_int_equal(c->auto_reconnect, 0);
    assert_int_equal(c->activate_on_reboot, 0);
    assert_string_equal(c->device_topic_prefix, "site/cam1");

    assert_int_equal(c->last_will.configured, 1);
    assert_int_equal(c->last_will.use_default, 0);
    assert_string_equal(c->last_will.topic, "cam/lwt");
    assert_string_equal(c->last_will.message, "gone");
    assert_int_equal(c->last_will.retain, 1);
    assert_int_equal(c->last_will.qos, 1);

    assert_int_equal(c->connect_message.configured, 1);
    assert_string_equal(c->connect_message.topic, "cam/up");
    assert_string_equal(c->connect_message.message, "up");
    assert_int_equal(c->connect_message.retain, 0);
    assert_int_equal(c->connect_message.qos, 2);

    assert_int_equal(c->disconnect_message.configured, 1);
    assert_string_equal(c->disconnect_message.topic, "cam/down");
    assert_string_equal(c->disconnect_message.message, "down");
    assert_int_equal(c->disconnect_message.retain, 1);
    assert_int_equal(c->disconnect_message.qos, 0);

    assert_int_equal(c->validate_server_cert, 0);
    assert_string_equal(c->client_cert_id, "client");
    assert_string_equal(c->ca_cert_id, "ca");
}


static void
test_unknown_fields_ignored(void **state)
{
    json_t               *params;
    axis_mqtt_request_t   req, ref;

    params = t_params(T_PARAMS_FULL);
    t_params_set(params, "color", "\"blue\"", 0);
    t_params_set(params, "server.weight", "{\"kg\": 1}", 0);
    t_params_set(params, "connectMessage.extra", "[]", 0);
    t_params_set(params, "ssl.pinning", "true", 0);

    t_configure_json(&req, params);
    axis_mqtt_request_free(&req);
    json_decref(params);
    assert_int_equal(req.error.code, AXIS_MQTT_OK);

    t_configure(&ref, T_PARAMS_FULL);
    axis_mqtt_request_free(&ref);
    assert_int_equal(ref.error.code, AXIS_MQTT_OK);

    t_assert_conf_equal(&req.conf, &ref.conf);
}


static void
test_message_use_default(void **state)
{
    static const char  *keys[] = {
        "lastWillTestament", "connectMessage", "disconnectMessage"
    };

    size_t                i;
    json_t               *params, *config, *msg;
    axis_mqtt_request_t   req;

    params = t_params(T_MINIMAL);

    for (i = 0; i < T_NELTS(keys); i++) {
        t_params_set(params, keys[i],
                     "{\"useDefault\": true, \"topic\": \"x/y\","
                     " \"message\": \"m\", \"retain\": true, \"qos\": 1}",
                     0);
    }

    t_configure_json(&req, params);
    axis_mqtt_request_free(&req);
    json_decref(params);
    assert_int_equal(req.error.code, AXIS_MQTT_OK);

    assert_int_equal(req.conf.last_will.configured, 1);
    assert_int_equal(req.conf.last_will.use_default, 1);
    assert_string_equal(req.conf.last_will.topic, "");
    assert_string_equal(req.conf.last_will.message, "");
    assert_int_equal(req.conf.last_will.retain, 0);
    assert_int_equal(req.conf.last_will.qos, 0);
    assert_int_equal(req.conf.connect_message.use_default, 1);
    assert_int_equal(req.conf.disconnect_message.use_default, 1);

    config = t_rendered_config(&req.conf);

    for (i = 0; i < T_NELTS(keys); i++) {
        msg = json_object_get(config, keys[i]);

        if (!json_is_object(msg)) {
            fail_msg("\"%s\" must be an object", keys[i]);
        }

        assert_int_equal(json_object_size(msg), 1);
        t_assert_bool_at(msg, "useDefault", 1);
    }

    json_decref(config);
}


static void
test_message_explicit(void **state)
{
    json_t               *config, *msg;
    axis_mqtt_request_t   req;

    /* useDefault absent is useDefault false: all four fields needed */

    t_configure(&req,
        "{\"server\": {\"protocol\": \"tcp\", \"host\": \"h\"},"
        " \"connectMessage\": {\"topic\": \"t\", \"message\": \"m\","
        "                      \"retain\": false}}");
    axis_mqtt_request_free(&req);
    assert_int_equal(req.error.code, AXIS_MQTT_ERR_PARAM_MISSING);

    t_configure(&req,
        "{\"server\": {\"protocol\": \"tcp\", \"host\": \"h\"},"
        " \"lastWillTestament\": {\"useDefault\": false}}");
    axis_mqtt_request_free(&req);
    assert_int_equal(req.error.code, AXIS_MQTT_ERR_PARAM_MISSING);

    t_configure(&req,
        "{\"server\": {\"protocol\": \"tcp\", \"host\": \"h\"},"
        " \"disconnectMessage\": {\"topic\": \"cam/bye\","
        "                         \"message\": \"bye\", \"retain\": true,"
        "                         \"qos\": 2}}");
    axis_mqtt_request_free(&req);
    assert_int_equal(req.error.code, AXIS_MQTT_OK);

    config = t_rendered_config(&req.conf);

    assert_null(json_object_get(config, "lastWillTestament"));
    assert_null(json_object_get(config, "connectMessage"));

    msg = json_object_get(config, "disconnectMessage");
    assert_true(json_is_object(msg));
    assert_int_equal(json_object_size(msg), 5);
    t_assert_bool_at(msg, "useDefault", 0);
    t_assert_string_at(msg, "topic", "cam/bye");
    t_assert_string_at(msg, "message", "bye");
    t_assert_bool_at(msg, "retain", 1);
    t_assert_int_at(msg, "qos", 2);

    json_decref(config);
}


static void
test_activate_on_reboot_false(void **state)
{
    json_t               *config;
    axis_mqtt_request_t   req;

    t_configure(&req,
        "{\"server\": {\"protocol\": \"tcp\", \"host\": \"h\"},"
        " \"activateOnReboot\": false}");
    axis_mqtt_request_free(&req);
    assert_int_equal(req.error.code, AXIS_MQTT_OK);
    assert_int_equal(req.conf.activate_on_reboot, 0);

    config = t_rendered_config(&req.conf);
    t_assert_bool_at(config, "activateOnReboot", 0);
    json_decref(config);
}


static void
test_ssl_with_tcp(void **state)
{
    json_t               *config, *ssl;
    axis_mqtt_request_t   req;

    t_configure(&req,
        "{\"server\": {\"protocol\": \"tcp\", \"host\": \"h\"},"
        " \"ssl\": {\"validateServerCert\": false,"
        "          \"clientCertID\": \"client-cert\","
        "          \"CACertID\": \"ca-cert\"}}");
    axis_mqtt_request_free(&req);
    assert_int_equal(req.error.code, AXIS_MQTT_OK);

    assert_int_equal(req.conf.protocol, AXIS_MQTT_TCP);
    assert_int_equal(req.conf.validate_server_cert, 0);
    assert_string_equal(req.conf.client_cert_id, "client-cert");
    assert_string_equal(req.conf.ca_cert_id, "ca-cert");

    config = t_rendered_config(&req.conf);
    ssl = json_object_get(config, "ssl");
    t_assert_bool_at(ssl, "validateServerCert", 0);
    t_assert_string_at(ssl, "clientCertID", "client-cert");
    t_assert_string_at(ssl, "CACertID", "ca-cert");
    json_decref(config);
}


static void
test_client_id_length(void **state)
{
    char                 *s;
    json_t               *params;
    axis_mqtt_request_t   req;

    s = t_fill(1025, 'i');

    /* 1024 bytes, the last three a "€": stored whole */

    memcpy(s + 1021, "\xe2\x82\xac", 3);
    s[1024] = '\0';

    params = t_params(T_MINIMAL);
    assert_int_equal(json_object_set_new(params, "clientId", json_string(s)),
                     0);
    t_configure_json(&req, params);
    axis_mqtt_request_free(&req);
    json_decref(params);

    assert_int_equal(req.error.code, AXIS_MQTT_OK);
    assert_int_equal(strlen(req.conf.client_id), 1024);
    assert_string_equal(req.conf.client_id, s);

    /* 1025 bytes: rejected, never truncated */

    memset(s, 'i', 1025);
    memcpy(s + 1022, "\xe2\x82\xac", 3);
    s[1025] = '\0';

    params = t_params(T_MINIMAL);
    assert_int_equal(json_object_set_new(params, "clientId", json_string(s)),
                     0);
    t_configure_json(&req, params);
    axis_mqtt_request_free(&req);
    json_decref(params);
    free(s);

    assert_int_equal(req.error.code, AXIS_MQTT_ERR_PARAM_VALUE);
}


static void
test_payload_length(void **state)
{
    char                 *s;
    json_t               *params, *msg;
    axis_mqtt_request_t   req;

    s = t_fill(4097, 'p');

    s[4096] = '\0';

    params = t_params(T_MINIMAL);
    msg = json_pack("{s:b, s:s, s:s, s:b, s:i}", "useDefault", 0,
                    "topic", "cam/big", "message", s, "retain", 0, "qos", 0);
    assert_non_null(msg);
    assert_int_equal(json_object_set_new(params, "connectMessage", msg), 0);

    t_configure_json(&req, params);
    axis_mqtt_request_free(&req);
    json_decref(params);

    assert_int_equal(req.error.code, AXIS_MQTT_OK);
    assert_int_equal(strlen(req.conf.connect_message.message), 4096);
    assert_string_equal(req.conf.connect_message.message, s);

    s[4096] = 'p';

    params = t_params(T_MINIMAL);
    msg = json_pack("{s:b, s:s, s:s, s:b, s:i}", "useDefault", 0,
                    "topic", "cam/big", "message", s, "retain", 0, "qos", 0);
    assert_non_null(msg);
    assert_int_equal(json_object_set_new(params, "connectMessage", msg), 0);

    t_configure_json(&req, params);
    axis_mqtt_request_free(&req);
    json_decref(params);
    free(s);

    assert_int_equal(req.error.code, AXIS_MQTT_ERR_PARAM_VALUE);
}


static void
test_utf8_round_trip(void **state)
{
    json_t               *resp, *config, *server, *msg;
    axis_mqtt_state_t     cur, next;
    axis_mqtt_error_t     err;
    axis_mqtt_request_t   req;

    t_configure(&req,
        "{\"server\": {\"protocol\": \"ws\", \"host\": \"" T_UTF8 "\","
        "             \"basepath\": \"/" T_UTF8 "\"},"
        " \"username\": \"" T_UTF8 "\", \"clientId\": \"" T_UTF8 "\","
        " \"deviceTopicPrefix\": \"" T_UTF8 "/\\u00e9\","
        " \"lastWillTestament\": {\"topic\": \"" T_UTF8 "/lwt\","
        "                         \"message\": \"" T_UTF8 " \\ud83d\\ude00\","
        "                         \"retain\": false, \"qos\": 0}}");
    axis_mqtt_request_free(&req);
    assert_int_equal(req.error.code, AXIS_MQTT_OK);

    axis_mqtt_state_init(&cur, T_SERIAL);
    cur.active = 0;

    assert_int_equal(axis_mqtt_request_apply(&req, &cur, &next, &err), 0);

    resp = t_status(&next, 0, NULL);
    config = json_object_get(json_object_get(resp, "data"), "config");
    server = json_object_get(config, "server");
    msg = json_object_get(config, "lastWillTestament");

    t_assert_string_at(server, "host", T_UTF8);
    t_assert_string_at(server, "basepath", "/" T_UTF8);
    t_assert_string_at(config, "username", T_UTF8);
    t_assert_string_at(config, "clientId", T_UTF8);
    t_assert_string_at(config, "deviceTopicPrefix", T_UTF8 "/\xc3\xa9");
    t_assert_string_at(msg, "topic", T_UTF8 "/lwt");
    t_assert_string_at(msg, "message", T_UTF8 " \xf0\x9f\x98\x80");

    json_decref(resp);
}


int
t_run_configure_tests(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_param_types),
        cmocka_unit_test(test_param_values),
        cmocka_unit_test(test_param_accepted),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_nulls_are_absent),
        cmocka_unit_test(test_default_ports),
        cmocka_unit_test(test_full_params),
        cmocka_unit_test(test_unknown_fields_ignored),
        cmocka_unit_test(test_message_use_default),
        cmocka_unit_test(test_message_explicit),
        cmocka_unit_test(test_activate_on_reboot_false),
        cmocka_unit_test(test_ssl_with_tcp),
        cmocka_unit_test(test_client_id_length),
        cmocka_unit_test(test_payload_length),
        cmocka_unit_test(test_utf8_round_trip),
    };

    return cmocka_run_group_tests_name("configureClient", tests, NULL, NULL);
}

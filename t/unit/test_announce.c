
/*
 * The announcements: the spec's defaults and the user's own messages.
 */

#include <string.h>

#include "unit.h"
#include "axis_mqtt_message.h"


#define T_PARAMS_DEFAULTS                                                    \
    "{\"server\": {\"protocol\": \"tcp\", \"host\": \"b\"},"                 \
    " \"deviceTopicPrefix\": \"site/cam1\","                                 \
    " \"lastWillTestament\": {\"useDefault\": true},"                        \
    " \"connectMessage\": {\"useDefault\": true},"                           \
    " \"disconnectMessage\": {\"useDefault\": true}}"

/* 2020-09-04T11:02:55Z, the spec's example */
#define T_NOW  1599217375


static json_t *
t_announce(const char *params, axis_mqtt_announcement_e which,
    axis_mqtt_publication_t *pub)
{
    json_t             *payload;
    axis_mqtt_state_t   state;

    t_state(&state, params, 1);

    assert_int_equal(axis_mqtt_message_build(pub, &state.conf, which,
                                             T_SERIAL, T_NOW), 1);

    payload = json_loads(pub->payload, 0, NULL);
    assert_non_null(payload);

    return payload;
}


static void
test_default_last_will(void **unused)
{
    json_t                   *payload;
    axis_mqtt_publication_t   pub;

    payload = t_announce(T_PARAMS_DEFAULTS, AXIS_MQTT_LAST_WILL, &pub);

    assert_string_equal(pub.topic, "site/cam1/event/connection");
    assert_int_equal(pub.qos, 1);
    assert_int_equal(pub.retain, 1);

    t_assert_string_at(payload, "serialNumber", T_SERIAL);
    t_assert_bool_at(payload, "connected", 0);
    t_assert_string_at(payload, "description", "Connection Lost");
    assert_true(json_is_null(json_object_get(payload, "timestamp")));
    assert_int_equal(json_object_size(payload), 4);

    json_decref(payload);
}


static void
test_default_connect_and_disconnect(void **unused)
{
    json_t                   *payload;
    axis_mqtt_publication_t   pub;

    payload = t_announce(T_PARAMS_DEFAULTS, AXIS_MQTT_CONNECT_MESSAGE, &pub);

    assert_string_equal(pub.topic, "site/cam1/event/connection");
    assert_int_equal(pub.qos, 1);
    assert_int_equal(pub.retain, 1);
    t_assert_bool_at(payload, "connected", 1);
    t_assert_string_at(payload, "description", "Connected");
    t_assert_string_at(payload, "timestamp", "2020-09-04T11:02:55Z");
    json_decref(payload);

    payload = t_announce(T_PARAMS_DEFAULTS, AXIS_MQTT_DISCONNECT_MESSAGE,
                         &pub);

    t_assert_bool_at(payload, "connected", 0);
    t_assert_string_at(payload, "description", "Disconnected");
    t_assert_string_at(payload, "timestamp", "2020-09-04T11:02:55Z");
    json_decref(payload);
}


static void
test_custom_messages(void **unused)
{
    axis_mqtt_state_t         state;
    axis_mqtt_publication_t   pub;

    t_state(&state, T_PARAMS_FULL, 1);

    assert_int_equal(axis_mqtt_message_build(&pub, &state.conf,
                                             AXIS_MQTT_CONNECT_MESSAGE,
                                             T_SERIAL, T_NOW), 1);
    assert_string_equal(pub.topic, "cam/up");
    assert_string_equal(pub.payload, "up");
    assert_int_equal(pub.qos, 2);
    assert_int_equal(pub.retain, 0);

    assert_int_equal(axis_mqtt_message_build(&pub, &state.conf,
                                             AXIS_MQTT_DISCONNECT_MESSAGE,
                                             T_SERIAL, T_NOW), 1);
    assert_string_equal(pub.topic, "cam/down");
    assert_int_equal(pub.qos, 0);
    assert_int_equal(pub.retain, 1);
}


static void
test_absent_messages(void **unused)
{
    axis_mqtt_state_t         state;
    axis_mqtt_publication_t   pub;

    t_state(&state, "{\"server\": {\"protocol\": \"tcp\", \"host\": \"b\"}}",
            1);

    assert_int_equal(axis_mqtt_message_build(&pub, &state.conf,
                                             AXIS_MQTT_LAST_WILL, T_SERIAL,
                                             T_NOW), 0);
    assert_int_equal(axis_mqtt_message_build(&pub, &state.conf,
                                             AXIS_MQTT_CONNECT_MESSAGE,
                                             T_SERIAL, T_NOW), 0);
    assert_int_equal(axis_mqtt_message_build(&pub, &state.conf,
                                             AXIS_MQTT_DISCONNECT_MESSAGE,
                                             T_SERIAL, T_NOW), 0);
}


int
t_run_announce_tests(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_default_last_will),
        cmocka_unit_test(test_default_connect_and_disconnect),
        cmocka_unit_test(test_custom_messages),
        cmocka_unit_test(test_absent_messages),
    };

    return cmocka_run_group_tests_name("announcements", tests, NULL, NULL);
}

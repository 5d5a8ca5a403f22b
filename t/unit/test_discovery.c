
/*
 * API Discovery: the mqtt-client entry alone, or merged into the
 * firmware's list.
 */

#include <string.h>

#include "unit.h"
#include "axis_mqtt_discovery.h"


#define T_GET_API_LIST                                                       \
    "{\"apiVersion\": \"1.0\", \"context\": \"Axis library\","               \
    " \"method\": \"getApiList\"}"

#define T_FIRMWARE_LIST                                                      \
    "{\"apiVersion\": \"1.0\", \"context\": \"Axis library\","               \
    " \"method\": \"getApiList\", \"data\": {\"apiList\": ["                 \
    "  {\"id\": \"io-port-management\", \"version\": \"1.0\","               \
    "   \"name\": \"IO Port Management\", \"docLink\": \"d1\"},"             \
    "  {\"id\": \"param-cgi\", \"version\": \"1.1\", \"name\": \"Params\","  \
    "   \"docLink\": \"d2\", \"status\": \"official\"}],"                    \
    " \"extra\": 7}}"


/* the answer to body, given the firmware's; the caller decrefs it */
static json_t *
t_discover(const char *body, const char *firmware)
{
    char                 *text;
    json_t               *resp;
    axis_mqtt_request_t   req;

    axis_mqtt_request_parse_api(&req, AXIS_MQTT_API_DISCOVERY, body,
                                strlen(body), 1, "");

    text = axis_mqtt_discovery_response(&req, firmware,
                                        firmware ? strlen(firmware) : 0, 0);
    axis_mqtt_request_free(&req);

    assert_non_null(text);
    resp = json_loads(text, 0, NULL);
    t_alloc_free(text);

    assert_non_null(resp);

    return resp;
}


static json_t *
t_api_list(json_t *resp)
{
    json_t  *list;

    list = json_object_get(json_object_get(resp, "data"), "apiList");
    assert_true(json_is_array(list));

    return list;
}


static void
t_assert_mqtt_entry(const json_t *entry)
{
    t_assert_string_at(entry, "id", "mqtt-client");
    t_assert_string_at(entry, "version", "1.0");
    t_assert_string_at(entry, "name", "MQTT Client API");
    assert_true(json_is_string(json_object_get(entry, "docLink")));
}


static void
test_alone(void **unused)
{
    json_t  *resp, *list;

    resp = t_discover(T_GET_API_LIST, NULL);

    t_assert_string_at(resp, "context", "Axis library");
    t_assert_string_at(resp, "method", "getApiList");

    list = t_api_list(resp);
    assert_int_equal(json_array_size(list), 1);
    t_assert_mqtt_entry(json_array_get(list, 0));

    json_decref(resp);
}


static void
test_merged(void **unused)
{
    json_t  *resp, *list, *firmware;

    resp = t_discover(T_GET_API_LIST, T_FIRMWARE_LIST);
    firmware = json_loads(T_FIRMWARE_LIST, 0, NULL);

    list = t_api_list(resp);
    assert_int_equal(json_array_size(list), 3);

    /* the firmware's entries and fields as they were */
    assert_true(json_equal(json_array_get(list, 0),
                           json_array_get(t_api_list(firmware), 0)));
    assert_true(json_equal(json_array_get(list, 1),
                           json_array_get(t_api_list(firmware), 1)));
    t_assert_int_at(json_object_get(resp, "data"), "extra", 7);
    t_assert_mqtt_entry(json_array_get(list, 2));

    json_decref(firmware);
    json_decref(resp);
}


static void
test_never_duplicated(void **unused)
{
    json_t  *resp, *list;

    resp = t_discover(T_GET_API_LIST,
                      "{\"apiVersion\": \"1.0\", \"method\": \"getApiList\","
                      " \"data\": {\"apiList\": [{\"id\": \"mqtt-client\","
                      " \"version\": \"1.1\", \"name\": \"MQTT Client API\"}"
                      "]}}");

    list = t_api_list(resp);
    assert_int_equal(json_array_size(list), 1);
    t_assert_string_at(json_array_get(list, 0), "version", "1.1");

    json_decref(resp);
}


static void
test_firmware_unusable(void **unused)
{
    size_t       i;
    json_t      *resp, *list;
    const char  *firmware[] = {
        "<html>404</html>",
        "",
        "[]",
        "{\"apiVersion\": \"1.0\", \"error\": {\"code\": 2102,"
        " \"message\": \"Method not supported\"}}",
        "{\"data\": {\"apiList\": {}}}",
        "{\"data\": {}}",
    };

    for (i = 0; i < T_NELTS(firmware); i++) {
        resp = t_discover(T_GET_API_LIST, firmware[i]);

        list = t_api_list(resp);
        assert_int_equal(json_array_size(list), 1);
        t_assert_mqtt_entry(json_array_get(list, 0));

        json_decref(resp);
    }
}


static void
test_supported_versions_and_errors(void **unused)
{
    json_t  *resp, *versions;

    resp = t_discover("{\"method\": \"getSupportedVersions\"}", NULL);
    versions = json_object_get(json_object_get(resp, "data"), "apiVersions");
    assert_int_equal(json_array_size(versions), 1);
    assert_string_equal(json_string_value(json_array_get(versions, 0)),
                        "1.0");
    json_decref(resp);

    /* the client API's methods are not discovery's */
    resp = t_discover("{\"apiVersion\": \"1.0\","
                      " \"method\": \"getClientStatus\"}", T_FIRMWARE_LIST);
    assert_int_equal(t_code(resp), AXIS_MQTT_ERR_METHOD);
    json_decref(resp);

    resp = t_discover("{\"apiVersion\": \"2.0\", \"method\": \"getApiList\"}",
                      NULL);
    assert_int_equal(t_code(resp), AXIS_MQTT_ERR_VERSION);
    json_decref(resp);
}


int
t_run_discovery_tests(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_alone),
        cmocka_unit_test(test_merged),
        cmocka_unit_test(test_never_duplicated),
        cmocka_unit_test(test_firmware_unusable),
        cmocka_unit_test(test_supported_versions_and_errors),
    };

    return cmocka_run_group_tests_name("api discovery", tests, NULL, NULL);
}


/*
 * API Discovery: getApiList lists the mqtt-client API exactly once, next
 * to whatever the firmware lists; the firmware's other entries and
 * fields are left as they are.
 */

#include <string.h>

#include "axis_mqtt_discovery.h"


static json_t *axis_mqtt_discovery_entry(void);
static char *axis_mqtt_discovery_merge(const char *firmware, size_t len);
static json_t *axis_mqtt_discovery_data(const char *firmware, size_t len,
    const char *key);


char *
axis_mqtt_discovery_response(axis_mqtt_request_t *req,
    const char *firmware, size_t len)
{
    char    *text;
    json_t  *data;

    if (req->error.code != AXIS_MQTT_OK) {
        return axis_mqtt_response_with(req, &req->error, NULL);
    }

    if (req->method == AXIS_MQTT_METHOD_GET_API_LIST) {

        if (firmware != NULL) {
            text = axis_mqtt_discovery_merge(firmware, len);
            if (text != NULL) {
                return text;
            }
        }

        /* old firmware without API Discovery: the gateway's list alone */
        data = json_pack("{s:[o]}", "apiList", axis_mqtt_discovery_entry());

    } else {
        /* the firmware's versions of API Discovery, when it knows them */
        if (firmware != NULL) {
            data = axis_mqtt_discovery_data(firmware, len, "apiVersions");
            if (data != NULL) {
                json_decref(data);
                return strndup(firmware, len);
            }
        }

        data = json_pack("{s:[s]}", "apiVersions", AXIS_MQTT_API_VERSION);
    }

    if (data == NULL) {
        return NULL;
    }

    return axis_mqtt_response_with(req, NULL, data);
}


/*
 * The firmware's answer when it is a success whose data has an array
 * under key; NULL otherwise.
 */

static json_t *
axis_mqtt_discovery_data(const char *firmware, size_t len, const char *key)
{
    json_t        *root;
    json_error_t   jerr;

    root = json_loadb(firmware, len, 0, &jerr);

    if (!json_is_object(root) || json_object_get(root, "error") != NULL
        || !json_is_array(json_object_get(json_object_get(root, "data"),
                                           key)))
    {
        json_decref(root);
        return NULL;
    }

    return root;
}


static char *
axis_mqtt_discovery_merge(const char *firmware, size_t len)
{
    char    *text;
    size_t   i;
    json_t  *root, *list, *entry;

    root = axis_mqtt_discovery_data(firmware, len, "apiList");
    if (root == NULL) {
        return NULL;
    }

    list = json_object_get(json_object_get(root, "data"), "apiList");

    json_array_foreach(list, i, entry) {
        if (json_is_string(json_object_get(entry, "id"))
            && strcmp(json_string_value(json_object_get(entry, "id")),
                      AXIS_MQTT_DISCOVERY_ID) == 0)
        {
            break;
        }
    }

    if (i == json_array_size(list)
        && json_array_append_new(list, axis_mqtt_discovery_entry()) != 0)
    {
        json_decref(root);
        return NULL;
    }

    text = json_dumps(root, JSON_COMPACT);
    json_decref(root);

    return text;
}


static json_t *
axis_mqtt_discovery_entry(void)
{
    return json_pack("{s:s, s:s, s:s, s:s}",
                     "id", AXIS_MQTT_DISCOVERY_ID,
                     "version", AXIS_MQTT_API_VERSION,
                     "name", "MQTT Client API",
                     "docLink", "https://www.axis.com/vapix-library/");
}

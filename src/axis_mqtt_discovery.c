
/*
 * API Discovery: getApiList lists the mqtt-client API exactly once, next
 * to whatever the firmware lists; the firmware's other entries and
 * fields are left as they are.
 */

#include <string.h>

#include "axis_mqtt_discovery.h"


static json_t *axis_mqtt_discovery_entry(void);
static char *axis_mqtt_discovery_merge(const char *firmware, size_t len);


char *
axis_mqtt_discovery_response(const axis_mqtt_request_t *req,
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
        data = json_pack("{s:[s]}", "apiVersions", AXIS_MQTT_API_VERSION);
    }

    if (data == NULL) {
        return NULL;
    }

    return axis_mqtt_response_with(req, NULL, data);
}


/* NULL when the firmware's answer is not a getApiList success */

static char *
axis_mqtt_discovery_merge(const char *firmware, size_t len)
{
    char          *text;
    size_t         i;
    json_t        *root, *list, *entry;
    json_error_t   jerr;

    root = json_loadb(firmware, len, 0, &jerr);

    list = json_object_get(json_object_get(root, "data"), "apiList");

    if (!json_is_object(root) || json_object_get(root, "error") != NULL
        || !json_is_array(list))
    {
        json_decref(root);
        return NULL;
    }

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

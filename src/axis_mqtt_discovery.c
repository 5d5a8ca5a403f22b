
/*
 * API Discovery: getApiList lists the mqtt-client API exactly once, next
 * to whatever the firmware lists; the firmware's other entries and
 * fields are left as they are.
 */

#include <string.h>

#include "axis_mqtt_discovery.h"


static json_t *axis_mqtt_discovery_entries(unsigned apis);
static char *axis_mqtt_discovery_merge(const char *firmware, size_t len,
    unsigned apis);
static json_t *axis_mqtt_discovery_data(const char *firmware, size_t len,
    const char *key);


char *
axis_mqtt_discovery_response(axis_mqtt_request_t *req,
    const char *firmware, size_t len, unsigned apis)
{
    char    *text;
    json_t  *data;

    if (req->error.code != AXIS_MQTT_OK) {
        return axis_mqtt_response_with(req, &req->error, NULL);
    }

    if (req->method == AXIS_MQTT_METHOD_GET_API_LIST) {

        if (firmware != NULL) {
            text = axis_mqtt_discovery_merge(firmware, len, apis);
            if (text != NULL) {
                return text;
            }
        }

        /* old firmware without API Discovery: the gateway's list alone */
        data = json_pack("{s:o}", "apiList",
                         axis_mqtt_discovery_entries(apis));

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
axis_mqtt_discovery_merge(const char *firmware, size_t len, unsigned apis)
{
    char        *text;
    size_t       i, k;
    json_t      *root, *list, *ours, *entry, *mine;
    const char  *id;

    root = axis_mqtt_discovery_data(firmware, len, "apiList");
    if (root == NULL) {
        return NULL;
    }

    list = json_object_get(json_object_get(root, "data"), "apiList");
    ours = axis_mqtt_discovery_entries(apis);

    if (ours == NULL) {
        json_decref(root);
        return NULL;
    }

    /* each of ours the firmware does not list already */

    json_array_foreach(ours, k, mine) {
        id = json_string_value(json_object_get(mine, "id"));

        json_array_foreach(list, i, entry) {
            if (json_is_string(json_object_get(entry, "id"))
                && strcmp(json_string_value(json_object_get(entry, "id")),
                          id) == 0)
            {
                break;
            }
        }

        if (i == json_array_size(list)
            && json_array_append(list, mine) != 0)
        {
            json_decref(ours);
            json_decref(root);
            return NULL;
        }
    }

    json_decref(ours);

    text = json_dumps(root, JSON_COMPACT);
    json_decref(root);

    return text;
}


static json_t *
axis_mqtt_discovery_entries(unsigned apis)
{
    json_t  *list;

    list = json_pack("[{s:s, s:s, s:s, s:s}]",
                     "id", AXIS_MQTT_DISCOVERY_ID,
                     "version", AXIS_MQTT_API_VERSION,
                     "name", "MQTT Client API",
                     "docLink", "https://www.axis.com/vapix-library/");

    if (list != NULL && (apis & AXIS_MQTT_DISCOVERY_EVENTS)
        && json_array_append_new(list,
               json_pack("{s:s, s:s, s:s, s:s}",
                         "id", AXIS_MQTT_DISCOVERY_EVENTS_ID,
                         "version", AXIS_MQTT_EVENT_API_VERSION,
                         "name", "MQTT Event Bridge",
                         "docLink", "https://www.axis.com/vapix-library/"))
           != 0)
    {
        json_decref(list);
        return NULL;
    }

    return list;
}

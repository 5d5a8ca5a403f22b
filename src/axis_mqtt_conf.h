
/*
 * The MQTT client configuration as the API defines it: defaults, a
 * validating JSON reader, a JSON writer and a packed form, all driven by
 * one table of its fields.  Plain C: no nginx types, so it is unit-tested
 * and fuzzed on its own.
 *
 * The configuration lives in a fixed-size struct because it is copied
 * into the shared zone; a string that does not fit is rejected, never cut.
 */

#ifndef _AXIS_MQTT_CONF_H_INCLUDED_
#define _AXIS_MQTT_CONF_H_INCLUDED_


#include <jansson.h>


/* the longest accepted value of each kind of string, in bytes */
#define AXIS_MQTT_HOST_LEN       255
#define AXIS_MQTT_NAME_LEN       255      /* ALPN, proxies, certificate IDs */
#define AXIS_MQTT_STRING_LEN     1024     /* paths, credentials, topics */
#define AXIS_MQTT_PAYLOAD_LEN    4096     /* message payloads */

#define AXIS_MQTT_QOS_MAX        2
#define AXIS_MQTT_INTERVAL_MAX   65535    /* MQTT keep-alive is 16 bits */


/* the spec's error codes */
#define AXIS_MQTT_OK                  0
#define AXIS_MQTT_ERR_INTERNAL        1100
#define AXIS_MQTT_ERR_VERSION         2100
#define AXIS_MQTT_ERR_JSON            2101
#define AXIS_MQTT_ERR_METHOD          2102
#define AXIS_MQTT_ERR_PARAM_MISSING   2103
#define AXIS_MQTT_ERR_PARAM_VALUE     2104
#define AXIS_MQTT_ERR_AUTH            2105
#define AXIS_MQTT_ERR_SIZE            2106


typedef struct {
    int                      code;
    char                     message[256];
} axis_mqtt_error_t;


typedef enum {
    AXIS_MQTT_TCP = 0,
    AXIS_MQTT_SSL,
    AXIS_MQTT_WS,
    AXIS_MQTT_WSS
} axis_mqtt_protocol_e;


typedef struct {
    int                      configured;   /* the object was given */
    int                      use_default;
    int                      retain;
    int                      qos;
    char                     topic[AXIS_MQTT_STRING_LEN + 1];
    char                     message[AXIS_MQTT_PAYLOAD_LEN + 1];
} axis_mqtt_message_t;


typedef struct {
    axis_mqtt_protocol_e     protocol;
    int                      port;
    char                     host[AXIS_MQTT_HOST_LEN + 1];
    char                     basepath[AXIS_MQTT_STRING_LEN + 1];
    char                     alpn_protocol[AXIS_MQTT_NAME_LEN + 1];

    char                     http_proxy[AXIS_MQTT_NAME_LEN + 1];
    char                     https_proxy[AXIS_MQTT_NAME_LEN + 1];

    char                     username[AXIS_MQTT_STRING_LEN + 1];
    char                     password[AXIS_MQTT_STRING_LEN + 1];
    char                     client_id[AXIS_MQTT_STRING_LEN + 1];

    int                      keep_alive_interval;
    int                      connect_timeout;
    int                      clean_session;
    int                      auto_reconnect;
    int                      activate_on_reboot;

    char                     device_topic_prefix[AXIS_MQTT_STRING_LEN + 1];

    axis_mqtt_message_t      last_will;
    axis_mqtt_message_t      connect_message;
    axis_mqtt_message_t      disconnect_message;

    int                      validate_server_cert;
    char                     client_cert_id[AXIS_MQTT_NAME_LEN + 1];
    char                     ca_cert_id[AXIS_MQTT_NAME_LEN + 1];
} axis_mqtt_conf_t;


/* event.cgi's publication of the camera's events */
#define AXIS_MQTT_EVENT_FILTERS_MAX   32
#define AXIS_MQTT_EVENT_FILTER_LEN    1024

typedef enum {
    AXIS_MQTT_RETAIN_NONE = 0,
    AXIS_MQTT_RETAIN_PROPERTY,          /* stateful events only */
    AXIS_MQTT_RETAIN_ALL
} axis_mqtt_retain_e;

typedef enum {
    AXIS_MQTT_PREFIX_DEFAULT = 0,       /* <deviceTopicPrefix>/event */
    AXIS_MQTT_PREFIX_CUSTOM             /* customTopicPrefix */
} axis_mqtt_prefix_e;

typedef struct {
    int                      qos;
    int                      retain;        /* axis_mqtt_retain_e */
    char                     topic_filter[AXIS_MQTT_EVENT_FILTER_LEN + 1];
} axis_mqtt_event_filter_t;

typedef struct {
    int                      topic_prefix;  /* axis_mqtt_prefix_e */
    char                     custom_topic_prefix[AXIS_MQTT_STRING_LEN + 1];
    int                      append_event_topic;
    int                      include_topic_namespaces;
    int                      include_serial_number;
    int                      nfilters;
    axis_mqtt_event_filter_t filters[AXIS_MQTT_EVENT_FILTERS_MAX];
} axis_mqtt_event_conf_t;


/*
 * event.cgi's MQTT subscriptions (configureMqttSubscription): what the
 * device's client subscribes to, and the camera's virtual input that each
 * filter's messages drive (a gateway extension; 0: none).
 */
#define AXIS_MQTT_INBOUND_FILTERS_MAX  32
#define AXIS_MQTT_VIRTUAL_INPUTS       32

typedef struct {
    char                     topic_filter[AXIS_MQTT_STRING_LEN + 1];
    int                      use_device_topic_prefix;
    int                      qos;
    int                      is_state_data;
    int                      virtual_input;
} axis_mqtt_inbound_filter_t;

typedef struct {
    int                         nfilters;
    axis_mqtt_inbound_filter_t  filters[AXIS_MQTT_INBOUND_FILTERS_MAX];
} axis_mqtt_inbound_conf_t;


/* what is saved and shared: the client's configuration, its active flag,
 * the publication of events and the subscriptions */
typedef struct {
    axis_mqtt_conf_t           conf;
    int                        active;
    axis_mqtt_event_conf_t     events;
    axis_mqtt_inbound_conf_t   inbound;
} axis_mqtt_state_t;


/*
 * A state as it is kept: without the unused bytes of its strings (a
 * state is 88 KB, a packed one mostly a few hundred bytes).  Its bytes
 * are those of one state only, so two packed states are equal when their
 * bytes are.  Kept in a slot of AXIS_MQTT_PACKED_MAX bytes, or allocated
 * to its size (axis_mqtt_state_pack_alloc()).
 */
#define AXIS_MQTT_PACKED_MAX     sizeof(axis_mqtt_state_t)

typedef struct {
    size_t                   len;
    char                     data[AXIS_MQTT_PACKED_MAX];
} axis_mqtt_packed_t;


void axis_mqtt_error_set(axis_mqtt_error_t *err, int code, const char *fmt,
    ...);

/* the length of the longest valid UTF-8 prefix of s (a text cut short may
 * have split a character) */
size_t axis_mqtt_utf8_prefix(const char *s);

void axis_mqtt_conf_init(axis_mqtt_conf_t *conf, const char *serial);

/*
 * Replaces *conf with the configureClient "params" object, defaults filled.
 * On error returns -1 with err set and *conf undefined.  *keep_password
 * tells that the caller must carry over the saved password.
 */
int axis_mqtt_conf_from_json(axis_mqtt_conf_t *conf, const json_t *params,
    const char *serial, int *keep_password, axis_mqtt_error_t *err);

/* reveal_password: 1 for the state file, 0 for getClientStatus */
json_t *axis_mqtt_conf_to_json(const axis_mqtt_conf_t *conf,
    int reveal_password);

const char *axis_mqtt_protocol_name(axis_mqtt_protocol_e protocol);

/* a clean device: the defaults, inactive, nothing published */
void axis_mqtt_state_init(axis_mqtt_state_t *state, const char *serial);
/* the clean device's publication: nothing published */
void axis_mqtt_event_conf_init(axis_mqtt_event_conf_t *events);
/* the configureEventPublication "params" (NULL: the defaults); -1, err */
int axis_mqtt_event_conf_from_json(axis_mqtt_event_conf_t *events,
    const json_t *params, axis_mqtt_error_t *err);
/* every field with its effective value */
json_t *axis_mqtt_event_conf_to_json(const axis_mqtt_event_conf_t *events);

/* the clean device's subscriptions: none */
void axis_mqtt_inbound_conf_init(axis_mqtt_inbound_conf_t *inbound);
/* the configureMqttSubscription "params"; -1, err */
int axis_mqtt_inbound_conf_from_json(axis_mqtt_inbound_conf_t *inbound,
    const json_t *params, axis_mqtt_error_t *err);
/* {"mqttFilterList": [...]}, every field with its effective value */
json_t *axis_mqtt_inbound_conf_to_json(
    const axis_mqtt_inbound_conf_t *inbound);

/* what a packed state takes, from the start of axis_mqtt_packed_t */
size_t axis_mqtt_state_packed_size(const axis_mqtt_state_t *state);
void axis_mqtt_state_pack(const axis_mqtt_state_t *state,
    axis_mqtt_packed_t *packed);
/* malloc()ed, of its size; NULL: no memory */
axis_mqtt_packed_t *axis_mqtt_state_pack_alloc(const axis_mqtt_state_t *state);
/* -1: not a packed state (*state undefined) */
int axis_mqtt_state_unpack(axis_mqtt_state_t *state,
    const axis_mqtt_packed_t *packed);
int axis_mqtt_packed_equal(const axis_mqtt_packed_t *a,
    const axis_mqtt_packed_t *b);
/* dst has room for AXIS_MQTT_PACKED_MAX; only src's bytes are written */
void axis_mqtt_packed_copy(axis_mqtt_packed_t *dst,
    const axis_mqtt_packed_t *src);


#endif /* _AXIS_MQTT_CONF_H_INCLUDED_ */

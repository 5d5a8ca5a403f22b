
/*
 * One client.cgi request: parse and validate the JSON body, compute the
 * state a write method leads to, and render the JSON response.  Plain C:
 * bytes in, bytes out, no nginx types.
 */

#ifndef _AXIS_MQTT_API_H_INCLUDED_
#define _AXIS_MQTT_API_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include "axis_mqtt_conf.h"


#define AXIS_MQTT_API_VERSION        "1.0"
#define AXIS_MQTT_EVENT_API_VERSION  "1.1"      /* event.cgi */


/* the APIs answered: client.cgi, event.cgi, and apidiscovery.cgi's entries */
typedef enum {
    AXIS_MQTT_API_CLIENT = 0,
    AXIS_MQTT_API_DISCOVERY,
    AXIS_MQTT_API_EVENT                     /* event.cgi */
} axis_mqtt_api_e;


typedef enum {
    AXIS_MQTT_METHOD_UNKNOWN = 0,
    AXIS_MQTT_METHOD_CONFIGURE,
    AXIS_MQTT_METHOD_ACTIVATE,
    AXIS_MQTT_METHOD_DEACTIVATE,
    AXIS_MQTT_METHOD_GET_STATUS,
    AXIS_MQTT_METHOD_GET_VERSIONS,
    AXIS_MQTT_METHOD_GET_API_LIST,
    AXIS_MQTT_METHOD_CONFIGURE_EVENTS,
    AXIS_MQTT_METHOD_GET_EVENTS,
    AXIS_MQTT_METHOD_CONFIGURE_INBOUND,     /* configureMqttSubscription */
    AXIS_MQTT_METHOD_GET_INBOUND,           /* getMqttSubscriptionConfig */
    AXIS_MQTT_METHOD_GET_DIAGNOSTICS        /* getClientDiagnostics (ours) */
} axis_mqtt_method_e;


typedef struct {
    axis_mqtt_api_e          api;
    axis_mqtt_method_e       method;
    axis_mqtt_error_t        error;         /* code 0: valid so far */

    /* echoed in the response; NULL when the request did not carry them */
    json_t                  *api_version;
    json_t                  *context;
    json_t                  *method_name;
    char                    *envelope;      /* made on first need */

    int                      keep_password;

    /* what a write method validated: one of them, its method's */
    union {
        axis_mqtt_conf_t          conf;         /* configureClient */
        axis_mqtt_event_conf_t    events;       /* configureEventPublication */
        axis_mqtt_inbound_conf_t  inbound;      /* configureMqttSubscription */
    };
} axis_mqtt_request_t;


/*
 * Fills *req from the body.  A request that fails (bad JSON, not admin,
 * bad parameters) has req->error.code set; it is still answered with
 * axis_mqtt_response().  axis_mqtt_request_free() releases it either way.
 */
void axis_mqtt_request_parse(axis_mqtt_request_t *req, const char *body,
    size_t len, int admin, const char *serial);
void axis_mqtt_request_parse_api(axis_mqtt_request_t *req,
    axis_mqtt_api_e api, const char *body, size_t len, int admin,
    const char *serial);

void axis_mqtt_request_free(axis_mqtt_request_t *req);

int axis_mqtt_request_writes(const axis_mqtt_request_t *req);

/*
 * The state a valid write request leads to from the current one.
 * Returns -1 with err set if the request cannot apply to it.
 */
int axis_mqtt_request_apply(const axis_mqtt_request_t *req,
    const axis_mqtt_state_t *current, axis_mqtt_state_t *next,
    axis_mqtt_error_t *err);

/*
 * Every answer is the request's envelope (its apiVersion, context and
 * method) around a "data" or an "error": written by the one function
 * below, so that the answers of the cached getClientStatus and the rest
 * agree byte for byte.
 *
 * The response body, NUL-terminated, from jansson's allocator (freed like
 * a json_dumps() text); NULL if out of memory.  err NULL means success;
 * state and connected are read by getClientStatus,
 * getEventPublicationConfig and getMqttSubscriptionConfig only.
 */
char *axis_mqtt_response(axis_mqtt_request_t *req,
    const axis_mqtt_error_t *err, const axis_mqtt_state_t *state,
    int connected);

/* the same envelope around a "data" object of the caller's (stolen) */
char *axis_mqtt_response_with(axis_mqtt_request_t *req,
    const axis_mqtt_error_t *err, json_t *data);

/*
 * getClientStatus in two steps, for callers that answer it often from an
 * unchanged state: the "data" text, made again only when the state
 * changed, then the envelope (kept with the request) around it.
 */
char *axis_mqtt_status_data(const axis_mqtt_state_t *state, int connected);

/*
 * getClientDiagnostics' "data" (a gateway extension of client.cgi, read
 * only): the state, the connection, and while not connected the last
 * cause the logs gave (NULL or "": none) and its time (epoch ms).
 */
json_t *axis_mqtt_diagnostics_json(int active, int connected,
    const char *cause, int64_t cause_at);

/* the answer's opening, up to its own key; NULL if out of memory */
const char *axis_mqtt_request_envelope(axis_mqtt_request_t *req);

/* like snprintf(): the answer of this envelope around "key":text */
size_t axis_mqtt_response_around(const char *envelope, const char *key,
    const char *text, char *buf, size_t size);


#endif /* _AXIS_MQTT_API_H_INCLUDED_ */

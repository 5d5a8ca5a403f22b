
/*
 * Unit tests of the API core: the helpers shared by the test files and
 * the groups main() runs.
 */

#ifndef _UNIT_H_INCLUDED_
#define _UNIT_H_INCLUDED_


#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>

#include "axis_mqtt_api.h"
#include "axis_mqtt_conf.h"
#include "axis_mqtt_store.h"


#define T_SERIAL          "ACCC8E012345"
#define T_NELTS(a)        (sizeof(a) / sizeof((a)[0]))

/* a configureClient "params" object that is valid as it is */
#define T_PARAMS_FULL                                                        \
    "{\"server\": {\"protocol\": \"ssl\", \"host\": \"broker.example\","     \
    "              \"port\": 8884, \"basepath\": \"/mqtt\","                 \
    "              \"alpnProtocol\": \"mqtt\"},"                             \
    " \"httpProxy\": \"http-proxy:3128\","                                   \
    " \"httpsProxy\": \"https-proxy:3129\","                                 \
    " \"username\": \"camera\", \"password\": \"s3cr3t-Pa55\","              \
    " \"clientId\": \"camera-1\", \"keepAliveInterval\": 20,"                \
    " \"connectTimeout\": 30, \"cleanSession\": false,"                      \
    " \"autoReconnect\": false, \"activateOnReboot\": false,"                \
    " \"deviceTopicPrefix\": \"site/cam1\","                                 \
    " \"lastWillTestament\": {\"useDefault\": false, \"topic\": \"cam/lwt\","\
    "                         \"message\": \"gone\", \"retain\": true,"      \
    "                         \"qos\": 1},"                                  \
    " \"connectMessage\": {\"useDefault\": false, \"topic\": \"cam/up\","    \
    "                      \"message\": \"up\", \"retain\": false,"          \
    "                      \"qos\": 2},"                                     \
    " \"disconnectMessage\": {\"useDefault\": false,"                        \
    "                         \"topic\": \"cam/down\","                      \
    "                         \"message\": \"down\", \"retain\": true,"      \
    "                         \"qos\": 0},"                                  \
    " \"ssl\": {\"validateServerCert\": false, \"clientCertID\": \"client\","\
    "           \"CACertID\": \"ca\"}}"

#define T_PASSWORD_FULL   "s3cr3t-Pa55"


/* a whole request body and the error code it must get (0: data) */
typedef struct {
    const char              *body;
    int                      code;
} t_body_case_t;


/*
 * One change to T_PARAMS_FULL and the code configureClient must get:
 * path is dotted ("server.port"); value is JSON text, NULL to remove the
 * key; fill > 0 makes the value a string of that many 'x' instead.
 */
typedef struct {
    const char              *path;
    const char              *value;
    size_t                   fill;
    int                      code;
} t_param_case_t;


/* jansson's allocations, counted (installed by main() before any use) */
void t_alloc_install(void);
long t_alloc_live(void);
void t_alloc_free(void *p);

char *t_fill(size_t n, char c);

/* the parsed response to a body, a JSON object; the caller decrefs it */
json_t *t_call(const char *body, int admin);
json_t *t_call_len(const char *body, size_t len, int admin);

/* obj has key with that value and type */
void t_assert_string_at(const json_t *obj, const char *key,
    const char *value);
void t_assert_bool_at(const json_t *obj, const char *key, int value);
void t_assert_int_at(const json_t *obj, const char *key, json_int_t value);

/* error.code of a response, 0 for data; checks that it has one or other */
int t_code(const json_t *resp);

void t_check_bodies(const t_body_case_t *cases, size_t n, int admin);
void t_check_params(const t_param_case_t *cases, size_t n);

json_t *t_params(const char *text);
void t_params_set(json_t *params, const char *path, const char *value,
    size_t fill);

/* configureClient with these params; axis_mqtt_request_free() it */
void t_configure(axis_mqtt_request_t *req, const char *params);
void t_configure_json(axis_mqtt_request_t *req, const json_t *params);

/* *state with the configuration of a valid configureClient */
void t_state(axis_mqtt_state_t *state, const char *params, int active);

/* *back: what a state file of *state reads back to */
void t_store_round_trip(const axis_mqtt_state_t *state,
    axis_mqtt_state_t *back);

/* one call to that API, a write applied to *state: the parsed answer */
json_t *t_api_call(axis_mqtt_api_e api, const char *body,
    axis_mqtt_state_t *state, int *code);

/* the parsed getClientStatus response; *text (if not NULL) its text */
json_t *t_status(const axis_mqtt_state_t *state, int connected,
    char **text);

void t_assert_conf_equal(const axis_mqtt_conf_t *a,
    const axis_mqtt_conf_t *b);

int t_run_request_tests(void);
int t_run_configure_tests(void);
int t_run_state_tests(void);
int t_run_store_tests(void);
int t_run_announce_tests(void);
int t_run_discovery_tests(void);
int t_run_regress_tests(void);
int t_run_status_tests(void);
int t_run_session_tests(void);
int t_run_packed_tests(void);
int t_run_events_tests(void);
int t_run_onvif_tests(void);
int t_run_pull_tests(void);
int t_run_inbound_tests(void);


#endif /* _UNIT_H_INCLUDED_ */

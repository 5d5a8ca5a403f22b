
/*
 * libFuzzer target: one client.cgi request body through the API core,
 * as the module runs it (parse, apply, respond), with the spec's
 * invariants checked on every answer.  A violation aborts, so libFuzzer
 * keeps the input as a crash artifact.
 *
 * Each input is independent: the "previous" state is made once from a
 * fixed configureClient, so every artifact replays on its own.
 */

#define _GNU_SOURCE                     /* memmem() */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "axis_mqtt_api.h"
#include "axis_mqtt_conf.h"
#include "axis_mqtt_inbound.h"
#include "axis_mqtt_message.h"


#define FUZZ_SERIAL    "ACCC8E012345"
#define FUZZ_PASSWORD  "Pw-s3cr3t-XYZ"

/* the state saved by an earlier configureClient + activateClient */
#define FUZZ_PREVIOUS                                                        \
    "{\"apiVersion\": \"1.0\", \"method\": \"configureClient\","             \
    " \"params\": {\"server\": {\"protocol\": \"ssl\","                      \
    "                           \"host\": \"broker.example\"},"              \
    "              \"username\": \"camera\","                                \
    "              \"password\": \"" FUZZ_PASSWORD "\","                     \
    "              \"clientId\": \"camera-1\","                              \
    "              \"lastWillTestament\": {\"useDefault\": true},"           \
    "              \"connectMessage\": {\"useDefault\": false,"              \
    "                                   \"topic\": \"cam/up\","              \
    "                                   \"message\": \"up\","                \
    "                                   \"retain\": true, \"qos\": 1}}}"


typedef struct {
    const char              *what;      /* the stage, for the report */
    int                      mentions;  /* the input holds FUZZ_PASSWORD */
} fuzz_ctx_t;


static void fuzz_request(fuzz_ctx_t *ctx, const uint8_t *data, size_t size,
    int admin);
static void fuzz_fail(const fuzz_ctx_t *ctx, int line, const char *check,
    const char *text) __attribute__((noreturn));
static void fuzz_check_response(const fuzz_ctx_t *ctx,
    axis_mqtt_request_t *req, const axis_mqtt_error_t *err,
    const axis_mqtt_state_t *state, int connected);
static void fuzz_check_state(const fuzz_ctx_t *ctx,
    const axis_mqtt_request_t *req, const axis_mqtt_state_t *state);
static void fuzz_check_round_trip(const fuzz_ctx_t *ctx,
    const axis_mqtt_conf_t *conf);
static void fuzz_check_packed(const fuzz_ctx_t *ctx,
    const axis_mqtt_conf_t *conf, const char *text);
static void fuzz_check_messages(const fuzz_ctx_t *ctx,
    const axis_mqtt_conf_t *conf);
static void fuzz_inbound(fuzz_ctx_t *ctx, const axis_mqtt_state_t *next,
    const char *data, size_t size);
static void fuzz_event_request(fuzz_ctx_t *ctx, const uint8_t *data,
    size_t size);
static int fuzz_error_code_valid(json_int_t code);
static int fuzz_input_mentions(const uint8_t *data, size_t size);


#define fuzz_check(ctx, cond, text)                                          \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fuzz_fail(ctx, __LINE__, #cond, text);                           \
        }                                                                    \
    } while (0)


static axis_mqtt_state_t  fuzz_default;
static axis_mqtt_state_t  fuzz_previous;


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_ctx_t           ctx = { "initialize", 0 };
    axis_mqtt_error_t    err;
    axis_mqtt_request_t  req;

    axis_mqtt_state_init(&fuzz_default, FUZZ_SERIAL);
    fuzz_default.active = 0;

    axis_mqtt_request_parse(&req, FUZZ_PREVIOUS, strlen(FUZZ_PREVIOUS), 1,
                            FUZZ_SERIAL);

    fuzz_check(&ctx, req.error.code == AXIS_MQTT_OK, req.error.message);
    fuzz_check(&ctx, axis_mqtt_request_apply(&req, &fuzz_default,
                                             &fuzz_previous, &err) == 0,
               err.message);

    fuzz_previous.active = 1;
    axis_mqtt_request_free(&req);

    fuzz_check_round_trip(&ctx, &fuzz_previous.conf);
    fuzz_check_messages(&ctx, &fuzz_previous.conf);

    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_ctx_t  ctx;

    ctx.mentions = fuzz_input_mentions(data, size);

    fuzz_request(&ctx, data, size, 1);
    fuzz_event_request(&ctx, data, size);

    /* a few inputs as a non-admin caller too: the last byte picks them */

    if (size > 0 && (data[size - 1] & 0x03) == 0) {
        fuzz_request(&ctx, data, size, 0);
    }

    return 0;
}


static void
fuzz_request(fuzz_ctx_t *ctx, const uint8_t *data, size_t size, int admin)
{
    int                        rc;
    size_t                     i;
    axis_mqtt_error_t          err, internal;
    axis_mqtt_state_t          next;
    axis_mqtt_request_t        req;
    const axis_mqtt_state_t   *current[2] = { &fuzz_default, &fuzz_previous };
    static const char         *stages[2] = { "write on the default state",
                                             "write on the previous state" };

    ctx->what = admin ? "admin request" : "non-admin request";

    axis_mqtt_request_parse(&req, (const char *) data, size, admin,
                            FUZZ_SERIAL);

    if (!admin) {
        fuzz_check(ctx, req.error.code == AXIS_MQTT_ERR_AUTH, NULL);
    }

    if (req.error.code != AXIS_MQTT_OK) {
        fuzz_check_response(ctx, &req, &req.error, &fuzz_previous, 1);
        goto done;
    }

    fuzz_check(ctx, req.method != AXIS_MQTT_METHOD_UNKNOWN, NULL);

    /* a valid request can still fail later, in the save: 1100 */
    ctx->what = "internal error response";
    axis_mqtt_error_set(&internal, AXIS_MQTT_ERR_INTERNAL, "Internal error");
    fuzz_check_response(ctx, &req, &internal, &fuzz_previous, 0);

    if (!axis_mqtt_request_writes(&req)) {
        ctx->what = "read on the default state";
        fuzz_check_response(ctx, &req, NULL, &fuzz_default, 0);
        ctx->what = "read on the previous state";
        fuzz_check_response(ctx, &req, NULL, &fuzz_previous, 1);
        goto done;
    }

    for (i = 0; i < 2; i++) {
        ctx->what = stages[i];

        memset(&err, 0, sizeof(axis_mqtt_error_t));

        rc = axis_mqtt_request_apply(&req, current[i], &next, &err);

        if (rc != 0) {
            fuzz_check(ctx, rc == -1, NULL);
            fuzz_check(ctx, err.code != AXIS_MQTT_OK, NULL);
            fuzz_check_response(ctx, &req, &err, current[i], 0);
            continue;
        }

        fuzz_check_response(ctx, &req, NULL, current[i], 0);
        fuzz_check_state(ctx, &req, &next);
    }

done:

    axis_mqtt_request_free(&req);
}


/* what a later request sees of a state a write has made */

static void
fuzz_check_state(const fuzz_ctx_t *ctx, const axis_mqtt_request_t *req,
    const axis_mqtt_state_t *state)
{
    axis_mqtt_request_t  status;

    /* the same echo fields, answered as getClientStatus (an envelope of
     * its own, freed here: the request keeps its) */
    status = *req;
    status.method = AXIS_MQTT_METHOD_GET_STATUS;
    status.envelope = NULL;

    fuzz_check_response(ctx, &status, NULL, state, 0);
    fuzz_check_response(ctx, &status, NULL, state, 1);

    free(status.envelope);

    if (req->method == AXIS_MQTT_METHOD_CONFIGURE) {
        /* with the kept password, if any */
        fuzz_check_round_trip(ctx, &state->conf);
    }

    fuzz_check_messages(ctx, &state->conf);
}


static void
fuzz_check_response(const fuzz_ctx_t *ctx, axis_mqtt_request_t *req,
    const axis_mqtt_error_t *err, const axis_mqtt_state_t *state,
    int connected)
{
    int            has_data, has_error;
    char          *text;
    json_t        *root, *error, *code;
    json_error_t   jerr;

    text = axis_mqtt_response(req, err, state, connected);

    /* an error message that jansson refuses (not UTF-8) ends up here */
    fuzz_check(ctx, text != NULL, err ? err->message : NULL);

    root = json_loads(text, 0, &jerr);

    fuzz_check(ctx, root != NULL, text);
    fuzz_check(ctx, json_is_object(root), text);
    fuzz_check(ctx, json_is_string(json_object_get(root, "apiVersion")),
               text);

    has_data = json_object_get(root, "data") != NULL;
    has_error = json_object_get(root, "error") != NULL;

    fuzz_check(ctx, has_data + has_error == 1, text);

    if (has_error) {
        error = json_object_get(root, "error");
        code = json_object_get(error, "code");

        fuzz_check(ctx, json_is_integer(code), text);
        fuzz_check(ctx, fuzz_error_code_valid(json_integer_value(code)),
                   text);
        fuzz_check(ctx, err != NULL && err->code != AXIS_MQTT_OK, text);

    } else {
        fuzz_check(ctx, json_is_object(json_object_get(root, "data")), text);
        fuzz_check(ctx, err == NULL || err->code == AXIS_MQTT_OK, text);
    }

    /* the echo of the request may carry it; nothing else may */

    if (!ctx->mentions && strcmp(state->conf.password, FUZZ_PASSWORD) == 0) {
        fuzz_check(ctx, strstr(text, FUZZ_PASSWORD) == NULL, text);
    }

    json_decref(root);
    free(text);
}


/* the state file form must read back to the same configuration */

static void
fuzz_check_round_trip(const fuzz_ctx_t *ctx, const axis_mqtt_conf_t *conf)
{
    int                 keep_password, rc;
    char               *first, *second;
    json_t             *json;
    axis_mqtt_conf_t    again;
    axis_mqtt_error_t   err;

    json = axis_mqtt_conf_to_json(conf, 1);
    fuzz_check(ctx, json != NULL, NULL);

    first = json_dumps(json, JSON_COMPACT);
    fuzz_check(ctx, first != NULL, NULL);

    memset(&err, 0, sizeof(axis_mqtt_error_t));

    rc = axis_mqtt_conf_from_json(&again, json, FUZZ_SERIAL, &keep_password,
                                  &err);
    json_decref(json);

    fuzz_check(ctx, rc == 0, err.code ? err.message : first);
    fuzz_check(ctx, keep_password == 0, first);

    json = axis_mqtt_conf_to_json(&again, 1);
    fuzz_check(ctx, json != NULL, first);

    second = json_dumps(json, JSON_COMPACT);
    json_decref(json);

    fuzz_check(ctx, second != NULL, first);

    if (strcmp(first, second) != 0) {
        fprintf(stderr, "first:  %s\nsecond: %s\n", first, second);
        fuzz_check(ctx, strcmp(first, second) == 0, NULL);
    }

    fuzz_check_packed(ctx, conf, first);

    free(first);
    free(second);
}


/* the packed form gives back the same configuration, as the same bytes */

static void
fuzz_check_packed(const fuzz_ctx_t *ctx, const axis_mqtt_conf_t *conf,
    const char *text)
{
    char                       *json;
    json_t                     *back;
    static axis_mqtt_state_t    state, unpacked;
    static axis_mqtt_packed_t   packed, again;

    state.conf = *conf;
    state.active = 1;
    axis_mqtt_state_pack(&state, &packed);

    fuzz_check(ctx, packed.len <= AXIS_MQTT_PACKED_MAX, text);
    fuzz_check(ctx, axis_mqtt_state_unpack(&unpacked, &packed) == 0, text);
    fuzz_check(ctx, unpacked.active == 1, text);

    axis_mqtt_state_pack(&unpacked, &again);
    fuzz_check(ctx, axis_mqtt_packed_equal(&packed, &again), text);

    back = axis_mqtt_conf_to_json(&unpacked.conf, 1);
    json = back ? json_dumps(back, JSON_COMPACT) : NULL;
    json_decref(back);

    fuzz_check(ctx, json != NULL && strcmp(json, text) == 0, text);
    free(json);
}


static void
fuzz_check_messages(const fuzz_ctx_t *ctx, const axis_mqtt_conf_t *conf)
{
    int                        rc;
    json_t                    *payload;
    axis_mqtt_announcement_e   which;
    axis_mqtt_publication_t    pub;
    const axis_mqtt_message_t *msg;

    for (which = AXIS_MQTT_LAST_WILL; which <= AXIS_MQTT_DISCONNECT_MESSAGE;
         which++)
    {
        msg = (which == AXIS_MQTT_LAST_WILL) ? &conf->last_will
              : (which == AXIS_MQTT_CONNECT_MESSAGE) ? &conf->connect_message
              : &conf->disconnect_message;

        rc = axis_mqtt_message_build(&pub, conf, which, FUZZ_SERIAL,
                                     (time_t) 1700000000);

        fuzz_check(ctx, rc == 0 || rc == 1, NULL);
        fuzz_check(ctx, rc == msg->configured, NULL);

        if (rc == 0) {
            continue;
        }

        fuzz_check(ctx, memchr(pub.topic, '\0', sizeof(pub.topic)) != NULL,
                   NULL);
        fuzz_check(ctx, memchr(pub.payload, '\0', sizeof(pub.payload))
                        != NULL, NULL);
        fuzz_check(ctx, pub.qos >= 0 && pub.qos <= AXIS_MQTT_QOS_MAX,
                   pub.topic);

        if (msg->use_default) {
            payload = json_loads(pub.payload, 0, NULL);
            fuzz_check(ctx, json_is_object(payload), pub.payload);
            json_decref(payload);
        }
    }
}


static int
fuzz_error_code_valid(json_int_t code)
{
    return code == AXIS_MQTT_ERR_INTERNAL
           || (code >= AXIS_MQTT_ERR_VERSION && code <= AXIS_MQTT_ERR_SIZE);
}


/*
 * Whether the request could bring FUZZ_PASSWORD in by itself (as is or
 * through JSON escapes), so that its echo is not taken for a leak.
 */

static int
fuzz_input_mentions(const uint8_t *data, size_t size)
{
    int      found;
    char    *text;
    json_t  *root;

    if (memmem(data, size, FUZZ_PASSWORD, sizeof(FUZZ_PASSWORD) - 1)
        != NULL)
    {
        return 1;
    }

    root = json_loadb((const char *) data, size, 0, NULL);
    if (root == NULL) {
        return 0;
    }

    text = json_dumps(root, JSON_COMPACT);
    json_decref(root);

    found = (text != NULL && strstr(text, FUZZ_PASSWORD) != NULL);
    free(text);

    return found;
}


static void
fuzz_fail(const fuzz_ctx_t *ctx, int line, const char *check,
    const char *text)
{
    const unsigned char  *p;

    fprintf(stderr, "\nINVARIANT VIOLATED (fuzz_request.c:%d, %s): %s\n",
            line, ctx->what, check);

    if (text != NULL) {
        /* escaped: the detail may be the very text that is not UTF-8 */
        fprintf(stderr, "  detail: ");

        for (p = (const unsigned char *) text; *p != '\0'; p++) {
            if (*p < 0x20 || *p > 0x7e || *p == '\\') {
                fprintf(stderr, "\\x%02x", *p);

            } else {
                fputc(*p, stderr);
            }
        }

        fputc('\n', stderr);
    }

    abort();
}


/*
 * The same bytes to event.cgi: the answer is an answer, and a publication
 * it takes is echoed by getEventPublicationConfig as params that
 * configureEventPublication takes back to the same publication, and
 * packs and unpacks to itself.
 */

static void
fuzz_event_request(fuzz_ctx_t *ctx, const uint8_t *data, size_t size)
{
    char                        *text, *again;
    json_t                      *echo;
    axis_mqtt_error_t            err;
    axis_mqtt_request_t          req;
    static axis_mqtt_state_t     next, unpacked;
    static axis_mqtt_packed_t    packed;
    static axis_mqtt_event_conf_t  back;

    ctx->what = "event.cgi request";

    axis_mqtt_request_parse_api(&req, AXIS_MQTT_API_EVENT,
                                (const char *) data, size, 1, FUZZ_SERIAL);

    fuzz_check_response(ctx, &req, req.error.code ? &req.error : NULL,
                        &fuzz_previous, 1);

    if (req.error.code != AXIS_MQTT_OK || !axis_mqtt_request_writes(&req)) {
        axis_mqtt_request_free(&req);
        return;
    }

    fuzz_check(ctx, axis_mqtt_request_apply(&req, &fuzz_previous, &next,
                                            &err) == 0, err.message);
    axis_mqtt_request_free(&req);

    echo = axis_mqtt_event_conf_to_json(&next.events);
    fuzz_check(ctx, echo != NULL, NULL);
    text = json_dumps(echo, JSON_COMPACT);

    memset(&err, 0, sizeof(err));
    fuzz_check(ctx, axis_mqtt_event_conf_from_json(&back, echo, &err) == 0,
               err.message);
    json_decref(echo);

    echo = axis_mqtt_event_conf_to_json(&back);
    again = echo ? json_dumps(echo, JSON_COMPACT) : NULL;
    json_decref(echo);

    fuzz_check(ctx, text != NULL && again != NULL
                    && strcmp(text, again) == 0, text);

    axis_mqtt_state_pack(&next, &packed);
    fuzz_check(ctx, axis_mqtt_state_unpack(&unpacked, &packed) == 0, text);
    echo = axis_mqtt_event_conf_to_json(&unpacked.events);
    free(again);
    again = echo ? json_dumps(echo, JSON_COMPACT) : NULL;
    json_decref(echo);

    fuzz_check(ctx, again != NULL && strcmp(text, again) == 0, text);

    free(text);
    free(again);

    fuzz_inbound(ctx, &next, (const char *) data, size);
}


/*
 * The subscriptions taken: echoed as params that configureMqttSubscription
 * takes back to the same list, packed and unpacked to themselves, and
 * each filter without a wildcard matches its own topic; the request's
 * bytes, as a message's payload on each filter's topic, get a decision
 * from every filter that matches, and none on the device's own topics.
 */

static void
fuzz_inbound(fuzz_ctx_t *ctx, const axis_mqtt_state_t *next,
    const char *data, size_t size)
{
    int                                i, k, n;
    axis_mqtt_drive_t                  out[AXIS_MQTT_INBOUND_FILTERS_MAX];
    char                              *text, *again;
    json_t                            *echo;
    axis_mqtt_error_t                  err;
    axis_mqtt_inbound_t               *in;
    static axis_mqtt_state_t           unpacked;
    static axis_mqtt_packed_t          packed;
    static axis_mqtt_inbound_conf_t    back;

    echo = axis_mqtt_inbound_conf_to_json(&next->inbound);
    fuzz_check(ctx, echo != NULL, NULL);
    text = json_dumps(echo, JSON_COMPACT);

    memset(&err, 0, sizeof(err));
    fuzz_check(ctx, axis_mqtt_inbound_conf_from_json(&back, echo, &err) == 0,
               err.message);
    json_decref(echo);

    axis_mqtt_state_pack(next, &packed);
    fuzz_check(ctx, axis_mqtt_state_unpack(&unpacked, &packed) == 0, text);

    echo = axis_mqtt_inbound_conf_to_json(&unpacked.inbound);
    again = echo ? json_dumps(echo, JSON_COMPACT) : NULL;
    json_decref(echo);
    fuzz_check(ctx, text != NULL && again != NULL
                    && strcmp(text, again) == 0, text);

    unpacked.active = 1;
    in = axis_mqtt_inbound_make(&unpacked);
    fuzz_check(ctx, in != NULL && in->n == back.nfilters, text);

    for (i = 0; i < in->n; i++) {
        fuzz_check(ctx, axis_mqtt_inbound_filter_valid(in->entries[i].topic,
                                           strlen(in->entries[i].topic)),
                   in->entries[i].topic);

        if (strpbrk(in->entries[i].topic, "+#") == NULL
            && in->entries[i].topic[0] != '$')
        {
            fuzz_check(ctx, axis_mqtt_inbound_match(in->entries[i].topic,
                                                    in->entries[i].topic),
                       in->entries[i].topic);

            n = axis_mqtt_inbound_decide(in, in->entries[i].topic, data,
                                         size, out);
            fuzz_check(ctx, n >= 0 && n <= in->n, in->entries[i].topic);
            fuzz_check(ctx, n > 0
                            || axis_mqtt_inbound_own(in,
                                                     in->entries[i].topic),
                       in->entries[i].topic);

            for (k = 0; k < n; k++) {
                fuzz_check(ctx, out[k].drive != AXIS_MQTT_DRIVE_NONE
                                || out[k].cause != NULL, NULL);
                fuzz_check(ctx, out[k].virtual_input >= 0
                                && out[k].virtual_input
                                   <= AXIS_MQTT_VIRTUAL_INPUTS, NULL);
            }
        }
    }

    free(in);
    free(text);
    free(again);
}

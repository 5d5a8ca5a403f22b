
/*
 * libFuzzer target: a camera's PullMessagesResponse (and the other SOAP
 * answers, and a virtual input CGI's), from the network.
 * Whatever the bytes, the parser must not crash, read past them or leak;
 * every event it takes must render to an MQTT topic without wildcards
 * under the publication's prefix (or be refused), to a payload that is
 * JSON naming the event's topic, and match "//." and the filters built
 * from its own topic.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "axis_mqtt_event_message.h"
#include "axis_mqtt_onvif.h"
#include "axis_mqtt_topic.h"
#include "axis_mqtt_vapix.h"


#define FUZZ_PREFIX  "axis/ACCC8E012345"


static void fuzz_event(const axis_mqtt_notification_t *ev, int variant);
static void fuzz_fail(int line, const char *check)
    __attribute__((noreturn));


#define fuzz_check(cond)                                                     \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fuzz_fail(__LINE__, #cond);                                      \
        }                                                                    \
    } while (0)


static axis_mqtt_notifications_t  fuzz_n;


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                       changed;
    char                      cause[256];
    unsigned                  i;
    axis_mqtt_subscription_t  sub;

    /* the same bytes as the answer to a create, a renew */
    cause[0] = '\0';

    if (axis_mqtt_onvif_subscription((const char *) data, size, &sub, cause,
                                     sizeof(cause))
        == 0)
    {
        fuzz_check(strncmp(sub.address, "http", 4) == 0);
        fuzz_check(strlen(sub.headers) < sizeof(sub.headers));
        fuzz_check(sub.lifetime_ms >= 0);

    } else {
        fuzz_check(cause[0] != '\0' && strchr(cause, '\n') == NULL);
    }

    (void) axis_mqtt_onvif_acknowledged((const char *) data, size, cause,
                                        sizeof(cause));

    /* ... and as the answer to a virtual input's activate.cgi */
    cause[0] = '\0';

    if (axis_mqtt_vapix_answer((const char *) data, size, &changed, cause,
                               sizeof(cause))
        == 0)
    {
        fuzz_check(changed == 0 || changed == 1);

    } else {
        fuzz_check(cause[0] != '\0' && strchr(cause, '\n') == NULL);
    }

    cause[0] = '\0';

    if (axis_mqtt_onvif_notifications((const char *) data, size, &fuzz_n,
                                      cause, sizeof(cause))
        != 0)
    {
        /* a cause is a line of text */
        fuzz_check(cause[0] != '\0' && strchr(cause, '\n') == NULL);
        axis_mqtt_notifications_free(&fuzz_n);
        return 0;
    }

    fuzz_check(fuzz_n.n <= AXIS_MQTT_ONVIF_EVENTS);

    for (i = 0; i < fuzz_n.n; i++) {
        fuzz_event(&fuzz_n.events[i], (int) i);
    }

    axis_mqtt_notifications_free(&fuzz_n);

    return 0;
}


static void
fuzz_event(const axis_mqtt_notification_t *ev, int variant)
{
    int                     len;
    char                   *payload, filter[4096];
    json_t                 *root;
    size_t                  n;
    unsigned                i;
    axis_mqtt_event_conf_t  pub;
    static char             topic[AXIS_MQTT_EVENT_TOPIC_MAX + 1];

    fuzz_check(ev->nlevels > 0 && ev->nlevels <= AXIS_MQTT_ONVIF_LEVELS);
    fuzz_check(ev->time_ms >= 0);

    axis_mqtt_event_conf_init(&pub);
    pub.include_topic_namespaces = variant & 1;
    pub.include_serial_number = variant & 2;

    len = axis_mqtt_event_topic(ev, &pub, FUZZ_PREFIX, topic, sizeof(topic));

    if (len >= 0) {
        fuzz_check((size_t) len == strlen(topic));
        fuzz_check(strpbrk(topic, "+#") == NULL);
        fuzz_check(strncmp(topic, FUZZ_PREFIX "/event",
                           sizeof(FUZZ_PREFIX "/event") - 1) == 0);
    }

    payload = axis_mqtt_event_payload(ev, &pub, "ACCC8E012345");

    if (payload != NULL) {
        root = json_loads(payload, 0, NULL);
        fuzz_check(root != NULL);
        fuzz_check(json_is_string(json_object_get(root, "topic")));
        fuzz_check(json_is_integer(json_object_get(root, "timestamp")));
        json_decref(root);
        free(payload);
    }

    fuzz_check(axis_mqtt_topic_filter_match("//.", ev));

    /* the event's own topic, as a filter of onvif:/axis: names */
    n = 0;

    for (i = 0; i < ev->nlevels && n < sizeof(filter) - 300; i++) {
        if (ev->levels[i].ns == AXIS_MQTT_NS_OTHER) {
            return;
        }

        /* a name a filter cannot spell (say "Al|rt"), or that this
         * buffer cuts: nothing to check */
        if (strspn(ev->levels[i].name, "abcdefghijklmnopqrstuvwxyz"
                   "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
            != strlen(ev->levels[i].name)
            || strlen(ev->levels[i].name) > 200)
        {
            return;
        }

        n += snprintf(filter + n, sizeof(filter) - n, "%s%s%s",
                      i ? "/" : "",
                      ev->levels[i].ns == AXIS_MQTT_NS_ID_ONVIF ? "onvif:"
                      : ev->levels[i].ns == AXIS_MQTT_NS_ID_AXIS ? "axis:"
                      : "", ev->levels[i].name);
    }

    if (i < ev->nlevels
        || !axis_mqtt_topic_filter_valid(filter, strlen(filter)))
    {
        /* names a filter cannot spell */
        return;
    }

    fuzz_check(axis_mqtt_topic_filter_match(filter, ev));

    snprintf(filter + n, sizeof(filter) - n, "//.");
    fuzz_check(axis_mqtt_topic_filter_match(filter, ev));
}


static void
fuzz_fail(int line, const char *check)
{
    fprintf(stderr, "INVARIANT fuzz_onvif.c:%d: %s\n", line, check);
    abort();
}

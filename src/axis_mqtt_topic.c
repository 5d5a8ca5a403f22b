
/*
 * Event topic filters (see the header): their syntax, and matching.
 *
 *   filter := path ( "|" path )*
 *   path   := "//." | step ( "/" step )* [ "//." ]
 *   step   := [ prefix ":" ] name
 *   prefix := "onvif" | "axis"      (also "tns1", "tnsaxis": the same URIs)
 *   name   := [A-Za-z_] [A-Za-z0-9_.-]*
 */

#include <string.h>

#include "axis_mqtt_topic.h"


static const char *axis_mqtt_topic_path(const char *p, const char *end);
static const char *axis_mqtt_topic_step(const char *p, const char *end);
static int axis_mqtt_topic_prefix(const char *p, size_t len);
static int axis_mqtt_topic_path_match(const char *p, const char *end,
    const axis_mqtt_notification_t *ev);


int
axis_mqtt_topic_filter_valid(const char *s, size_t len)
{
    const char  *p, *end;

    end = s + len;

    if (len == 0 || memchr(s, '\0', len) != NULL) {
        return 0;
    }

    for (p = s; /* void */ ; p++) {
        p = axis_mqtt_topic_path(p, end);

        if (p == NULL) {
            return 0;
        }

        if (p == end) {
            return 1;
        }

        if (*p != '|') {
            return 0;
        }
    }
}


/* one path from p: where it ends, or NULL */

static const char *
axis_mqtt_topic_path(const char *p, const char *end)
{
    if (end - p >= 3 && memcmp(p, "//.", 3) == 0) {
        return p + 3;
    }

    for ( ;; ) {
        p = axis_mqtt_topic_step(p, end);

        if (p == NULL) {
            return NULL;
        }

        if (end - p >= 3 && memcmp(p, "//.", 3) == 0) {
            return p + 3;
        }

        if (p == end || *p != '/') {
            return p;
        }

        p++;
    }
}


static const char *
axis_mqtt_topic_step(const char *p, const char *end)
{
    int          prefixed;
    const char  *name;

    prefixed = 0;
    name = p;

    for ( /* void */ ; p < end; p++) {

        if (*p == ':' && !prefixed) {
            if (!axis_mqtt_topic_prefix(name, p - name)) {
                return NULL;
            }

            prefixed = 1;
            name = p + 1;
            continue;
        }

        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')
            || *p == '_')
        {
            continue;
        }

        /* not first in a name */
        if (((*p >= '0' && *p <= '9') || *p == '.' || *p == '-')
            && p != name)
        {
            continue;
        }

        break;
    }

    return p == name ? NULL : p;
}


/* the namespace a filter's prefix names; 0 (AXIS_MQTT_NS_NONE): none */

static int
axis_mqtt_topic_prefix(const char *p, size_t len)
{
    static const struct {
        const char      *prefix;
        axis_mqtt_ns_e   ns;
    } prefixes[] = {
        { "onvif", AXIS_MQTT_NS_ID_ONVIF }, { "tns1", AXIS_MQTT_NS_ID_ONVIF },
        { "axis", AXIS_MQTT_NS_ID_AXIS }, { "tnsaxis", AXIS_MQTT_NS_ID_AXIS }
    };

    size_t  i;

    for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        if (strlen(prefixes[i].prefix) == len
            && memcmp(p, prefixes[i].prefix, len) == 0)
        {
            return prefixes[i].ns;
        }
    }

    return AXIS_MQTT_NS_NONE;
}


int
axis_mqtt_topic_filter_match(const char *filter,
    const axis_mqtt_notification_t *ev)
{
    const char  *p, *bar;

    for (p = filter; /* void */ ; p = bar + 1) {
        bar = strchr(p, '|');

        if (axis_mqtt_topic_path_match(p, bar ? bar : p + strlen(p), ev)) {
            return 1;
        }

        if (bar == NULL) {
            return 0;
        }
    }
}


/* one path of a filter, p to end, against the event's levels */

static int
axis_mqtt_topic_path_match(const char *p, const char *end,
    const axis_mqtt_notification_t *ev)
{
    int                       below;
    size_t                    len;
    unsigned                  i;
    const char               *step, *colon, *slash;
    axis_mqtt_ns_e            ns;
    const axis_mqtt_level_t  *level;

    /* "//." at the end: this topic and every topic below it */
    below = end - p >= 3 && memcmp(end - 3, "//.", 3) == 0;

    if (below) {
        end -= 3;
    }

    for (i = 0, step = p; step < end; i++, step = slash + 1) {
        slash = memchr(step, '/', end - step);
        slash = slash ? slash : end;

        if (i == ev->nlevels) {
            return 0;
        }

        colon = memchr(step, ':', slash - step);
        ns = colon ? axis_mqtt_topic_prefix(step, colon - step)
                   : AXIS_MQTT_NS_NONE;
        step = colon ? colon + 1 : step;
        len = slash - step;
        level = &ev->levels[i];

        if (level->ns != ns || strlen(level->name) != len
            || memcmp(level->name, step, len) != 0)
        {
            return 0;
        }
    }

    return below ? i <= ev->nlevels : i == ev->nlevels;
}

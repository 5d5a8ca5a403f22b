
/*
 * Event topic filters (see the header): their syntax.
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


static int
axis_mqtt_topic_prefix(const char *p, size_t len)
{
    static const char  *prefixes[] = { "onvif", "axis", "tns1", "tnsaxis" };

    size_t  i;

    for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
        if (strlen(prefixes[i]) == len && memcmp(p, prefixes[i], len) == 0) {
            return 1;
        }
    }

    return 0;
}

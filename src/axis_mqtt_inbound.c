
/*
 * MQTT to camera (see the header): the subscriptions derived from a
 * state, MQTT filter syntax and matching, and a message's decisions.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "axis_mqtt_event_message.h"
#include "axis_mqtt_inbound.h"
#include "axis_mqtt_machine.h"
#include "axis_mqtt_message.h"


/* a topic, as subscribed: the device topic prefix may come in front */
#define AXIS_MQTT_INBOUND_TOPIC_LEN  (2 * AXIS_MQTT_STRING_LEN + 2)
#define AXIS_MQTT_INBOUND_OWN_LEN    (AXIS_MQTT_STRING_LEN + 32)


static char *axis_mqtt_inbound_keep(char **at, const char *s);
static int axis_mqtt_inbound_find(const axis_mqtt_inbound_t *in,
    const char *topic);
static int axis_mqtt_inbound_first(const axis_mqtt_inbound_t *in, int entry);
static void axis_mqtt_inbound_drive(const axis_mqtt_inbound_entry_t *e,
    const char *payload, size_t len, axis_mqtt_drive_t *d);


static const char  *axis_mqtt_inbound_on[] = {
    "1", "true", "on", "active", NULL
};

static const char  *axis_mqtt_inbound_off[] = {
    "0", "false", "off", "inactive", NULL
};


/*
 * MQTT 3.1.1, 4.7.1: "+" is a whole level, "#" the whole last level;
 * jansson has refused NUL and bad UTF-8 already.
 */

int
axis_mqtt_inbound_filter_valid(const char *s, size_t len)
{
    size_t  i;

    if (len == 0 || memchr(s, '\0', len) != NULL) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (s[i] != '+' && s[i] != '#') {
            continue;
        }

        if (i > 0 && s[i - 1] != '/') {
            return 0;
        }

        if (s[i] == '+' && i + 1 < len && s[i + 1] != '/') {
            return 0;
        }

        if (s[i] == '#' && i + 1 != len) {
            return 0;
        }
    }

    return 1;
}


int
axis_mqtt_inbound_match(const char *filter, const char *topic)
{
    const char  *f, *t;

    /* a wildcard at the start does not match the broker's "$" topics */
    if (topic[0] == '$' && (filter[0] == '+' || filter[0] == '#')) {
        return 0;
    }

    f = filter;
    t = topic;

    for ( ;; ) {
        if (f[0] == '#') {
            return 1;
        }

        if (f[0] == '+') {
            /* one whole level, maybe empty */
            f++;
            t += strcspn(t, "/");

        } else {
            while (*f != '\0' && *f != '/' && *f == *t) {
                f++;
                t++;
            }

            if ((*f != '\0' && *f != '/') || (*t != '\0' && *t != '/')) {
                return 0;
            }
        }

        if (*f == '\0' || *t == '\0') {
            break;
        }

        /* both at a '/': the next level */
        f++;
        t++;
    }

    if (*f == '\0' && *t == '\0') {
        return 1;
    }

    /* "a/#" matches "a" too */
    return *t == '\0' && strcmp(f, "/#") == 0;
}


axis_mqtt_inbound_t *
axis_mqtt_inbound_make(const axis_mqtt_state_t *state)
{
    int                                i, n;
    char                              *at, topic[AXIS_MQTT_INBOUND_TOPIC_LEN];
    char                               own[AXIS_MQTT_INBOUND_OWN_LEN];
    size_t                             size, len;
    const char                        *prefix;
    axis_mqtt_inbound_t               *in;
    axis_mqtt_inbound_entry_t         *e;
    const axis_mqtt_inbound_filter_t  *f;

    n = state->active ? state->inbound.nfilters : 0;
    prefix = state->conf.device_topic_prefix;

    /* room for every string: the topics, the guard's four */
    size = sizeof(axis_mqtt_inbound_t) + 4 * sizeof(own);

    for (i = 0; i < n; i++) {
        size += sizeof(topic);
    }

    in = malloc(size);
    if (in == NULL) {
        return NULL;
    }

    memset(in, 0, sizeof(axis_mqtt_inbound_t));
    at = (char *) (in + 1);

    for (i = 0; i < n; i++) {
        f = &state->inbound.filters[i];
        e = &in->entries[i];

        if (f->use_device_topic_prefix && prefix[0] != '\0') {
            snprintf(topic, sizeof(topic), "%s/%s", prefix, f->topic_filter);

        } else {
            snprintf(topic, sizeof(topic), "%s", f->topic_filter);
        }

        e->topic = axis_mqtt_inbound_keep(&at, topic);
        e->qos = f->qos;
        e->is_state_data = f->is_state_data;
        e->virtual_input = f->virtual_input;
    }

    in->n = n;

    len = 0;
    own[0] = '\0';
    (void) axis_mqtt_event_prefix(&state->events, prefix, own, sizeof(own),
                                  &len);
    in->own_prefix = axis_mqtt_inbound_keep(&at, own);

    for (i = AXIS_MQTT_LAST_WILL; i <= AXIS_MQTT_DISCONNECT_MESSAGE; i++) {
        if (axis_mqtt_message_topic(&state->conf, i, own, sizeof(own))) {
            in->own_topics[in->nown_topics++] =
                                          axis_mqtt_inbound_keep(&at, own);
        }
    }

    return in;
}


/* s copied to *at, which moves on past it */

static char *
axis_mqtt_inbound_keep(char **at, const char *s)
{
    char    *kept;
    size_t   len;

    len = strlen(s) + 1;
    kept = memcpy(*at, s, len);
    *at += len;

    return kept;
}


void
axis_mqtt_inbound_diff(const axis_mqtt_inbound_t *before,
    const axis_mqtt_inbound_t *after, int *subscribe, int *nsubscribe,
    int *unsubscribe, int *nunsubscribe)
{
    int  i, j;

    *nsubscribe = 0;
    *nunsubscribe = 0;

    for (i = 0; after != NULL && i < after->n; i++) {
        if (!axis_mqtt_inbound_first(after, i)) {
            continue;
        }

        j = before ? axis_mqtt_inbound_find(before, after->entries[i].topic)
                   : -1;

        if (j < 0
            || axis_mqtt_inbound_qos(before, j)
               != axis_mqtt_inbound_qos(after, i))
        {
            subscribe[(*nsubscribe)++] = i;
        }
    }

    for (i = 0; before != NULL && i < before->n; i++) {
        if (axis_mqtt_inbound_first(before, i)
            && (after == NULL
                || axis_mqtt_inbound_find(after, before->entries[i].topic)
                   < 0))
        {
            unsubscribe[(*nunsubscribe)++] = i;
        }
    }
}


int
axis_mqtt_inbound_qos(const axis_mqtt_inbound_t *in, int entry)
{
    int  i, qos;

    qos = 0;

    for (i = 0; i < in->n; i++) {
        if (strcmp(in->entries[i].topic, in->entries[entry].topic) == 0
            && in->entries[i].qos > qos)
        {
            qos = in->entries[i].qos;
        }
    }

    return qos;
}


/* the first entry of this topic, -1: none */

static int
axis_mqtt_inbound_find(const axis_mqtt_inbound_t *in, const char *topic)
{
    int  i;

    for (i = 0; i < in->n; i++) {
        if (strcmp(in->entries[i].topic, topic) == 0) {
            return i;
        }
    }

    return -1;
}


static int
axis_mqtt_inbound_first(const axis_mqtt_inbound_t *in, int entry)
{
    return axis_mqtt_inbound_find(in, in->entries[entry].topic) == entry;
}


unsigned
axis_mqtt_inbound_hash(const char *topic)
{
    return axis_mqtt_fnv1a(topic) & ((1u << AXIS_MQTT_INBOUND_HASH_BITS) - 1);
}


int
axis_mqtt_inbound_find_hash(const axis_mqtt_inbound_t *in, unsigned hash)
{
    int  i;

    for (i = 0; in != NULL && i < in->n; i++) {
        if (axis_mqtt_inbound_hash(in->entries[i].topic) == hash) {
            return i;
        }
    }

    return -1;
}


int
axis_mqtt_inbound_same(const axis_mqtt_inbound_t *a,
    const axis_mqtt_inbound_t *b)
{
    int                               i;
    const axis_mqtt_inbound_entry_t  *x, *y;

    if (a == NULL || b == NULL || a->n != b->n
        || a->nown_topics != b->nown_topics
        || strcmp(a->own_prefix, b->own_prefix) != 0)
    {
        return a == b;
    }

    for (i = 0; i < a->nown_topics; i++) {
        if (strcmp(a->own_topics[i], b->own_topics[i]) != 0) {
            return 0;
        }
    }

    for (i = 0; i < a->n; i++) {
        x = &a->entries[i];
        y = &b->entries[i];

        if (strcmp(x->topic, y->topic) != 0 || x->qos != y->qos
            || x->is_state_data != y->is_state_data
            || x->virtual_input != y->virtual_input)
        {
            return 0;
        }
    }

    return 1;
}


int
axis_mqtt_inbound_own(const axis_mqtt_inbound_t *in, const char *topic)
{
    int     i;
    size_t  len;

    len = strlen(in->own_prefix);

    if (len > 0 && strncmp(topic, in->own_prefix, len) == 0
        && (topic[len] == '\0' || topic[len] == '/'))
    {
        return 1;
    }

    for (i = 0; i < in->nown_topics; i++) {
        if (strcmp(topic, in->own_topics[i]) == 0) {
            return 1;
        }
    }

    return 0;
}


int
axis_mqtt_inbound_decide(const axis_mqtt_inbound_t *in, const char *topic,
    const char *payload, size_t len, axis_mqtt_drive_t *out)
{
    int  i, n;

    if (axis_mqtt_inbound_own(in, topic)) {
        return 0;
    }

    n = 0;

    for (i = 0; i < in->n; i++) {
        if (!axis_mqtt_inbound_match(in->entries[i].topic, topic)) {
            continue;
        }

        out[n].filter = i;
        axis_mqtt_inbound_drive(&in->entries[i], payload, len, &out[n]);
        n++;
    }

    return n;
}


static void
axis_mqtt_inbound_drive(const axis_mqtt_inbound_entry_t *e,
    const char *payload, size_t len, axis_mqtt_drive_t *d)
{
    d->virtual_input = e->virtual_input;
    d->cause = NULL;

    if (e->virtual_input == 0) {
        d->drive = AXIS_MQTT_DRIVE_NONE;
        d->cause = "the filter has no virtualInput to drive";
        return;
    }

    if (!e->is_state_data) {
        /* a trigger: whatever it says */
        d->drive = AXIS_MQTT_DRIVE_PULSE;
        return;
    }

    switch (axis_mqtt_inbound_state(payload, len)) {

    case 1:
        d->drive = AXIS_MQTT_DRIVE_ACTIVATE;
        break;

    case 0:
        d->drive = AXIS_MQTT_DRIVE_DEACTIVATE;
        break;

    default:
        d->drive = AXIS_MQTT_DRIVE_NONE;
        d->cause = "a state that is none of 1, true, on, active, 0, false, "
                   "off, inactive";
        break;
    }
}


/* "on", "ON", " true ", "\"active\"", 1 ... in any case */

int
axis_mqtt_inbound_state(const char *payload, size_t len)
{
    int          i;
    char         word[16];
    const char  *p, *end;

    p = payload;
    end = payload + len;

    while (p < end && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')) {
        p++;
    }

    while (end > p
           && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'
               || end[-1] == '\n'))
    {
        end--;
    }

    /* a JSON string */
    if (end - p >= 2 && *p == '"' && end[-1] == '"') {
        p++;
        end--;
    }

    if (end - p <= 0 || (size_t) (end - p) >= sizeof(word)
        || memchr(p, '\0', end - p) != NULL)
    {
        return -1;
    }

    memcpy(word, p, end - p);
    word[end - p] = '\0';

    for (i = 0; axis_mqtt_inbound_on[i] != NULL; i++) {
        if (strcasecmp(word, axis_mqtt_inbound_on[i]) == 0) {
            return 1;
        }

        if (strcasecmp(word, axis_mqtt_inbound_off[i]) == 0) {
            return 0;
        }
    }

    return -1;
}

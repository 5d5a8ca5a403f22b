
/*
 * What the pure state machines share (see the header).
 */

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "axis_mqtt_machine.h"


void
axis_mqtt_actions_emit(axis_mqtt_actions_t *out, int type, int value,
    const char *fmt, ...)
{
    va_list              args;
    axis_mqtt_action_t  *a;

    if (out->n == AXIS_MQTT_ACTIONS_MAX) {
        /* no event makes that many: a bug, shown in the tests */
        return;
    }

    a = &out->actions[out->n++];
    a->type = type;
    a->value = value;
    a->text[0] = '\0';

    if (fmt != NULL) {
        va_start(args, fmt);
        vsnprintf(a->text, sizeof(a->text), fmt, args);
        va_end(args);
    }
}


int
axis_mqtt_causes_new(axis_mqtt_causes_t *causes, const char *cause)
{
    unsigned  i;
    uint32_t  hash;

    /* a cause is told from another by its words */
    hash = axis_mqtt_fnv1a(cause);

    for (i = 0; i < causes->n; i++) {
        if (causes->hashes[i] == hash) {
            return 0;
        }
    }

    if (causes->n == AXIS_MQTT_CAUSES) {
        /* the oldest goes */
        memmove(&causes->hashes[0], &causes->hashes[1],
                (AXIS_MQTT_CAUSES - 1) * sizeof(uint32_t));
        causes->n--;
    }

    causes->hashes[causes->n++] = hash;

    return 1;
}

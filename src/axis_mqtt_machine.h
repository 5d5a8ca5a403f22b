
/*
 * What the pure state machines (the broker session, the camera's
 * PullPoint subscription) share: the actions they hand out, and the
 * failure causes they have logged already.  Plain C.
 */

#ifndef _AXIS_MQTT_MACHINE_H_INCLUDED_
#define _AXIS_MQTT_MACHINE_H_INCLUDED_


#include <stdint.h>


#define AXIS_MQTT_ACTION_TEXT_LEN   400
#define AXIS_MQTT_ACTIONS_MAX       12
#define AXIS_MQTT_CAUSES            8


/* "type" is the machine's own enum of actions */
typedef struct {
    int                      type;
    int                      value;
    char                     text[AXIS_MQTT_ACTION_TEXT_LEN];
} axis_mqtt_action_t;


typedef struct {
    axis_mqtt_action_t       actions[AXIS_MQTT_ACTIONS_MAX];
    unsigned                 n;
} axis_mqtt_actions_t;


/* the causes logged since the last success (FNV-1a of their words) */
typedef struct {
    uint32_t                 hashes[AXIS_MQTT_CAUSES];
    unsigned                 n;
} axis_mqtt_causes_t;


/* FNV-1a of a text: how a text is told from another by a number */
static inline uint32_t
axis_mqtt_fnv1a(const char *s)
{
    uint32_t  hash;

    for (hash = 2166136261u; *s != '\0'; s++) {
        hash = (hash ^ (unsigned char) *s) * 16777619u;
    }

    return hash;
}


/* appends an action; fmt (may be NULL) makes its text */
void axis_mqtt_actions_emit(axis_mqtt_actions_t *out, int type, int value,
    const char *fmt, ...)
#ifdef __GNUC__
    __attribute__ ((format (printf, 4, 5)))
#endif
    ;

/* 1: not logged yet, and now remembered (the oldest of 8 goes) */
int axis_mqtt_causes_new(axis_mqtt_causes_t *causes, const char *cause);


#endif /* _AXIS_MQTT_MACHINE_H_INCLUDED_ */

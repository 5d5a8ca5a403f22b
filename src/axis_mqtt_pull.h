
/*
 * One device's PullPoint subscription on its camera as a pure state
 * machine, like the broker session (axis_mqtt_session.h): events in (the
 * subscription is wanted or not, a request is done, the timer is due, the
 * owner quits, the client is back), actions out (create, pull, renew,
 * unsubscribe, log, release), and a timer the caller reads
 * (axis_mqtt_pull_timer()).  It owns the phase, the renewal deadline, the
 * back-off after failures and the causes already logged.  No libcurl, no
 * threads, no clock: the caller says what happened and when.
 */

#ifndef _AXIS_MQTT_PULL_H_INCLUDED_
#define _AXIS_MQTT_PULL_H_INCLUDED_


#include <stdint.h>

#include "axis_mqtt_machine.h"


/* a failed subscription is made again after 1 s, doubling up to 30 s */
#define AXIS_MQTT_PULL_RETRY_FIRST    1000
#define AXIS_MQTT_PULL_RETRY_MAX      30000

/* the lifetime asked for, and renewed at half of what the camera gave */
#define AXIS_MQTT_PULL_LIFETIME       60         /* s */


typedef enum {
    AXIS_MQTT_PULL_IDLE = 0,            /* no subscription */
    AXIS_MQTT_PULL_CREATING,
    AXIS_MQTT_PULL_PULLING,
    AXIS_MQTT_PULL_RENEWING,
    AXIS_MQTT_PULL_UNSUBSCRIBING,
    AXIS_MQTT_PULL_RETRY_WAIT           /* the timer makes it again */
} axis_mqtt_pull_phase_e;


typedef enum {
    AXIS_MQTT_PULL_IN_WANTED = 0,       /* "value": wanted (1) or not */
    AXIS_MQTT_PULL_IN_DONE,             /* the request in flight is done:
                                           "value" 1 ok, 0 failed ("text");
                                           a create's "lifetime" in ms; a
                                           pull's "drained": it left
                                           nothing at the camera */
    AXIS_MQTT_PULL_IN_TIMER,
    AXIS_MQTT_PULL_IN_REFRESH,          /* the current states are wanted
                                           again: subscribed anew */
    AXIS_MQTT_PULL_IN_STOP              /* the owner quits */
} axis_mqtt_pull_in_e;


typedef struct {
    axis_mqtt_pull_in_e      type;
    uint64_t                 now;       /* monotonic ms */
    int                      value;
    int64_t                  lifetime;
    int                      drained;
    const char              *text;
} axis_mqtt_pull_input_t;


typedef enum {
    AXIS_MQTT_PULL_DO_CREATE = 0,
    AXIS_MQTT_PULL_DO_PULL,
    AXIS_MQTT_PULL_DO_RENEW,
    AXIS_MQTT_PULL_DO_UNSUBSCRIBE,
    AXIS_MQTT_PULL_DO_LOG,              /* "text" at "value" (0 err, 1 info) */
    AXIS_MQTT_PULL_DO_RELEASE           /* stopped: nothing more to do */
} axis_mqtt_pull_do_e;


typedef struct {
    axis_mqtt_pull_phase_e   phase;
    int                      wanted;
    int                      refresh;       /* subscribe anew, drained */
    int                      drained;       /* the last pull left nothing */
    int                      stopping;
    uint64_t                 timer;         /* due at; 0: none */
    uint64_t                 renew_at;      /* while subscribed */
    uint64_t                 backoff;       /* 0: not failing */
    axis_mqtt_causes_t       causes;        /* logged since subscribed */
} axis_mqtt_pull_t;


void axis_mqtt_pull_init(axis_mqtt_pull_t *p);
void axis_mqtt_pull_handle(axis_mqtt_pull_t *p,
    const axis_mqtt_pull_input_t *in, axis_mqtt_actions_t *out);
/* when the timer is due; 0: none */
uint64_t axis_mqtt_pull_timer(const axis_mqtt_pull_t *p);
/* a request is in flight */
int axis_mqtt_pull_busy(const axis_mqtt_pull_t *p);


#endif /* _AXIS_MQTT_PULL_H_INCLUDED_ */


/*
 * One device's PullPoint subscription (see the header).
 *
 *   IDLE --wanted--> CREATING --done--> PULLING --done--> PULLING ...
 *   PULLING --done, renewal due--> RENEWING --done--> PULLING
 *   any request --failed--> RETRY_WAIT --timer--> CREATING
 *   PULLING, RENEWING --done, no longer wanted or stopping--> UNSUBSCRIBING
 *   UNSUBSCRIBING --done--> IDLE, then as wanted
 *   PULLING --refresh, a pull that drained--> UNSUBSCRIBING --done-->
 *   CREATING (the states come first on a new subscription)
 *
 * One request at a time: a change of mind is acted on when the request in
 * flight is done.  A pull returns at the latest after its timeout, so
 * that is never long.
 */

#include <stdio.h>
#include <string.h>

#include "axis_mqtt_pull.h"


static void axis_mqtt_pull_done(axis_mqtt_pull_t *p,
    const axis_mqtt_pull_input_t *in, axis_mqtt_actions_t *out);
static void axis_mqtt_pull_failed(axis_mqtt_pull_t *p, uint64_t now,
    const char *cause, axis_mqtt_actions_t *out);
static void axis_mqtt_pull_next(axis_mqtt_pull_t *p, uint64_t now,
    axis_mqtt_actions_t *out);
static void axis_mqtt_pull_request(axis_mqtt_pull_t *p,
    axis_mqtt_pull_phase_e phase, axis_mqtt_pull_do_e type,
    axis_mqtt_actions_t *out);
static void axis_mqtt_pull_idle(axis_mqtt_pull_t *p,
    axis_mqtt_actions_t *out);


void
axis_mqtt_pull_init(axis_mqtt_pull_t *p)
{
    memset(p, 0, sizeof(axis_mqtt_pull_t));
    p->phase = AXIS_MQTT_PULL_IDLE;
}


uint64_t
axis_mqtt_pull_timer(const axis_mqtt_pull_t *p)
{
    return p->timer;
}


int
axis_mqtt_pull_busy(const axis_mqtt_pull_t *p)
{
    return p->phase != AXIS_MQTT_PULL_IDLE
           && p->phase != AXIS_MQTT_PULL_RETRY_WAIT;
}


void
axis_mqtt_pull_handle(axis_mqtt_pull_t *p, const axis_mqtt_pull_input_t *in,
    axis_mqtt_actions_t *out)
{
    switch (in->type) {

    case AXIS_MQTT_PULL_IN_WANTED:
        p->wanted = in->value;

        if (p->stopping || axis_mqtt_pull_busy(p)) {
            /* acted on when the request in flight is done */
            break;
        }

        if (p->wanted) {
            /* a new configuration is a reason to try again now */
            p->backoff = 0;
            p->causes.n = 0;
            axis_mqtt_pull_request(p, AXIS_MQTT_PULL_CREATING,
                                   AXIS_MQTT_PULL_DO_CREATE, out);

        } else {
            p->phase = AXIS_MQTT_PULL_IDLE;
            p->timer = 0;
            p->backoff = 0;
        }
        break;

    case AXIS_MQTT_PULL_IN_DONE:
        if (axis_mqtt_pull_busy(p)) {
            axis_mqtt_pull_done(p, in, out);
        }
        break;

    case AXIS_MQTT_PULL_IN_TIMER:
        if (p->phase != AXIS_MQTT_PULL_RETRY_WAIT || p->timer == 0
            || in->now < p->timer)
        {
            break;
        }

        p->timer = 0;

        if (p->wanted && !p->stopping) {
            axis_mqtt_pull_request(p, AXIS_MQTT_PULL_CREATING,
                                   AXIS_MQTT_PULL_DO_CREATE, out);

        } else {
            p->phase = AXIS_MQTT_PULL_IDLE;
        }
        break;

    case AXIS_MQTT_PULL_IN_REFRESH:
        /* a subscription being made starts with the states anyway */
        if (p->phase == AXIS_MQTT_PULL_PULLING
            || p->phase == AXIS_MQTT_PULL_RENEWING)
        {
            p->refresh = 1;
        }
        break;

    case AXIS_MQTT_PULL_IN_STOP:
        if (p->stopping) {
            break;
        }

        p->stopping = 1;

        if (!axis_mqtt_pull_busy(p)) {
            axis_mqtt_pull_idle(p, out);
        }
        break;
    }
}


static void
axis_mqtt_pull_done(axis_mqtt_pull_t *p, const axis_mqtt_pull_input_t *in,
    axis_mqtt_actions_t *out)
{
    int64_t  half;

    if (p->phase == AXIS_MQTT_PULL_UNSUBSCRIBING) {
        /* whatever the answer: the subscription ends by itself anyway */
        axis_mqtt_pull_idle(p, out);
        return;
    }

    if (!in->value) {
        axis_mqtt_pull_failed(p, in->now, in->text, out);
        return;
    }

    if (p->phase == AXIS_MQTT_PULL_CREATING
        || p->phase == AXIS_MQTT_PULL_RENEWING)
    {
        /* renewed at half its life; a camera that says nothing: ours */
        half = in->lifetime > 0 ? in->lifetime / 2
                                : AXIS_MQTT_PULL_LIFETIME * 1000 / 2;
        p->renew_at = in->now + (uint64_t) half;
    }

    if (p->phase == AXIS_MQTT_PULL_CREATING) {
        p->drained = 0;
        p->refresh = 0;     /* a new subscription starts with the states */

        /* said once: a camera that takes creates but fails pulls says it
         * no more than the failure */
        if (p->backoff != 0
            && axis_mqtt_causes_new(&p->causes, "subscribed again"))
        {
            axis_mqtt_actions_emit(out, AXIS_MQTT_PULL_DO_LOG, 1,
                                "subscribed to the camera's events again");
        }
    }

    if (p->phase == AXIS_MQTT_PULL_PULLING) {
        p->drained = in->drained;

        /* only a pull that went well ends a run of failures */
        p->backoff = 0;
        p->causes.n = 0;
    }

    axis_mqtt_pull_next(p, in->now, out);
}


/* each cause once until the next subscription; made again after a wait */

static void
axis_mqtt_pull_failed(axis_mqtt_pull_t *p, uint64_t now, const char *cause,
    axis_mqtt_actions_t *out)
{
    cause = cause ? cause : "unknown cause";

    if (p->stopping) {
        /* a pull or renewal cut short: the subscription is still there */
        if (p->phase == AXIS_MQTT_PULL_PULLING
            || p->phase == AXIS_MQTT_PULL_RENEWING)
        {
            axis_mqtt_pull_request(p, AXIS_MQTT_PULL_UNSUBSCRIBING,
                                   AXIS_MQTT_PULL_DO_UNSUBSCRIBE, out);
            return;
        }

        axis_mqtt_pull_idle(p, out);
        return;
    }

    if (axis_mqtt_causes_new(&p->causes, cause)) {
        axis_mqtt_actions_emit(out, AXIS_MQTT_PULL_DO_LOG, 0,
                            "camera events: %s", cause);
    }

    p->backoff = p->backoff == 0 ? AXIS_MQTT_PULL_RETRY_FIRST
                 : p->backoff * 2 > AXIS_MQTT_PULL_RETRY_MAX
                   ? AXIS_MQTT_PULL_RETRY_MAX : p->backoff * 2;

    p->phase = AXIS_MQTT_PULL_RETRY_WAIT;
    p->timer = now + p->backoff;
}


/* subscribed, and the last request went well: what next */

static void
axis_mqtt_pull_next(axis_mqtt_pull_t *p, uint64_t now,
    axis_mqtt_actions_t *out)
{
    /* a refresh waits until the camera has nothing queued: no event lost */
    if (p->stopping || !p->wanted || (p->refresh && p->drained)) {
        /* unsubscribed; made again at once if still wanted */
        p->refresh = 0;
        axis_mqtt_pull_request(p, AXIS_MQTT_PULL_UNSUBSCRIBING,
                               AXIS_MQTT_PULL_DO_UNSUBSCRIBE, out);

    } else if (now >= p->renew_at) {
        axis_mqtt_pull_request(p, AXIS_MQTT_PULL_RENEWING,
                               AXIS_MQTT_PULL_DO_RENEW, out);

    } else {
        axis_mqtt_pull_request(p, AXIS_MQTT_PULL_PULLING,
                               AXIS_MQTT_PULL_DO_PULL, out);
    }
}


static void
axis_mqtt_pull_request(axis_mqtt_pull_t *p, axis_mqtt_pull_phase_e phase,
    axis_mqtt_pull_do_e type, axis_mqtt_actions_t *out)
{
    p->phase = phase;
    p->timer = 0;
    axis_mqtt_actions_emit(out, type, 0, NULL);
}


/* no subscription: released when stopping, made again if wanted */

static void
axis_mqtt_pull_idle(axis_mqtt_pull_t *p, axis_mqtt_actions_t *out)
{
    p->phase = AXIS_MQTT_PULL_IDLE;
    p->timer = 0;

    if (p->stopping) {
        axis_mqtt_actions_emit(out, AXIS_MQTT_PULL_DO_RELEASE, 0, NULL);

    } else if (p->wanted) {
        axis_mqtt_pull_request(p, AXIS_MQTT_PULL_CREATING,
                               AXIS_MQTT_PULL_DO_CREATE, out);
    }
}


/*
 * One device's broker session as a pure state machine: events in, actions
 * out.  No Paho, no nginx, no threads and no clock: the caller says what
 * happened and what time it is, and carries out the actions in order (the
 * bridge does, with Paho).  The session owns everything that decides:
 * the phase, the generation that tells a current client's events from a
 * late one's, its single timer (retry back-off with jitter, the liveness
 * question and its deadline, the guard on a farewell or a DISCONNECT) and
 * the failure causes already logged.  Plain C, unit-tested on its own.
 */

#ifndef _AXIS_MQTT_SESSION_H_INCLUDED_
#define _AXIS_MQTT_SESSION_H_INCLUDED_


#include <stdint.h>

#include "axis_mqtt_conf.h"
#include "axis_mqtt_machine.h"


/* retries: the first after 500 ms, then one a second through the first
 * minute of an outage, then doubling up to 10 s; each +-20 % at random */
#define AXIS_MQTT_RETRY_FIRST       500
#define AXIS_MQTT_RETRY_STEADY      1000
#define AXIS_MQTT_RETRY_STEADY_FOR  60000
#define AXIS_MQTT_RETRY_MAX         10000
#define AXIS_MQTT_RETRY_JITTER      20      /* percent */

/* how long a farewell or a DISCONNECT may wait for the broker */
#define AXIS_MQTT_GUARD_WAIT        3000

#define AXIS_MQTT_SESSION_TEXT_LEN  AXIS_MQTT_ACTION_TEXT_LEN
#define AXIS_MQTT_URI_LEN           (AXIS_MQTT_HOST_LEN                     \
                                     + AXIS_MQTT_STRING_LEN + 32)


typedef enum {
    AXIS_MQTT_SESSION_IDLE = 0,         /* no client */
    AXIS_MQTT_SESSION_CONNECTING,
    AXIS_MQTT_SESSION_CONNECTED,
    AXIS_MQTT_SESSION_RETRY_WAIT,       /* no client; the timer retries */
    AXIS_MQTT_SESSION_FAREWELL,         /* the disconnect message is out */
    AXIS_MQTT_SESSION_DISCONNECTING     /* the DISCONNECT is out */
} axis_mqtt_session_phase_e;


typedef enum {
    AXIS_MQTT_IN_CONFIGURED = 0,        /* the saved state changed */
    AXIS_MQTT_IN_CONNECTED,             /* the broker accepted us */
    AXIS_MQTT_IN_CONNECT_FAILED,        /* ... did not: "text" says why */
    AXIS_MQTT_IN_LOST,                  /* the connection went */
    AXIS_MQTT_IN_FAREWELL_DONE,         /* acknowledged, or failed */
    AXIS_MQTT_IN_DISCONNECTED,          /* the DISCONNECT is out */
    AXIS_MQTT_IN_ALIVE,                 /* the liveness question answered */
    AXIS_MQTT_IN_TIMER,                 /* the timer is due */
    AXIS_MQTT_IN_STOP                   /* the owner quits */
} axis_mqtt_session_in_e;


typedef struct {
    axis_mqtt_session_in_e   type;
    uint64_t                 now;           /* monotonic ms */
    uint64_t                 generation;    /* of the client it is about */
    const axis_mqtt_state_t *state;         /* IN_CONFIGURED */
    const char              *text;          /* IN_CONNECT_FAILED */
} axis_mqtt_session_in_t;


typedef enum {
    AXIS_MQTT_DO_CONNECT = 0,   /* a client for "running" and "generation" */
    AXIS_MQTT_DO_ANNOUNCE,      /* publish the connect message */
    AXIS_MQTT_DO_FAREWELL,      /* publish the disconnect message, acked */
    AXIS_MQTT_DO_DISCONNECT,    /* a clean DISCONNECT (no last will), acked */
    AXIS_MQTT_DO_DESTROY,       /* drop the client, whatever its state */
    AXIS_MQTT_DO_ASK,           /* the liveness question */
    AXIS_MQTT_DO_STATUS,        /* "connected" is now "value" */
    AXIS_MQTT_DO_LOG,           /* "text" at "value" (AXIS_MQTT_LOG_*) */
    AXIS_MQTT_DO_RELEASE        /* stopped: the owner may let go, as far as
                                   this session is concerned */
} axis_mqtt_session_do_e;


typedef enum {
    AXIS_MQTT_LOG_ERR = 0,
    AXIS_MQTT_LOG_WARN,
    AXIS_MQTT_LOG_INFO
} axis_mqtt_log_level_e;


/*
 * A configuration as a session keeps it: packed, with what the session
 * decides by taken out once.  Never changed once made; "desired" and
 * "running" may be the same one.
 */
typedef struct {
    int                        active;
    int                        announce;        /* a connect message */
    int                        farewell;        /* a disconnect message */
    int                        auto_reconnect;
    int                        clean_session;   /* the broker forgets the
                                                   subscriptions on a loss */
    int                        keep_alive_interval;
    char                      *uri;             /* in the same allocation */
    axis_mqtt_packed_t         packed;          /* allocated to its length */
} axis_mqtt_session_conf_t;


typedef struct {
    axis_mqtt_session_phase_e  phase;
    uint64_t                   generation;  /* of the current client */
    int                        stopping;
    int                        asking;      /* a liveness question is out */
    uint64_t                   timer;       /* due at; 0: none */

    uint64_t                   backoff;     /* 0: not failing */
    uint64_t                   failing_since;
    uint32_t                   random;      /* xorshift32 state */

    axis_mqtt_causes_t         causes;      /* logged since connected */

    axis_mqtt_session_conf_t  *desired;     /* as saved; NULL: not yet */
    axis_mqtt_session_conf_t  *running;     /* what the client was made of */
} axis_mqtt_session_t;


/* seed: anything that differs between devices (the jitter's seed) */
void axis_mqtt_session_init(axis_mqtt_session_t *s, uint32_t seed);

/* the configurations it holds go */
void axis_mqtt_session_free(axis_mqtt_session_t *s);

/* one event in; its actions appended to *out */
void axis_mqtt_session_handle(axis_mqtt_session_t *s,
    const axis_mqtt_session_in_t *in, axis_mqtt_actions_t *out);

/* when the timer is due (monotonic ms), 0: no timer */
uint64_t axis_mqtt_session_timer(const axis_mqtt_session_t *s);

/* connected: what is published now reaches the broker */
int axis_mqtt_session_connected(const axis_mqtt_session_t *s);

/* stopped, and its client gone: it no longer keeps the owner */
int axis_mqtt_session_released(const axis_mqtt_session_t *s);

/* what the current (or last) client was made of: DO_CONNECT's and after */
const axis_mqtt_packed_t *axis_mqtt_session_running(
    const axis_mqtt_session_t *s);
const char *axis_mqtt_session_running_uri(const axis_mqtt_session_t *s);

/* the broker's URI as Paho takes it: "tcp://host:1883", "wss://h:443/mqtt" */
void axis_mqtt_session_uri(const axis_mqtt_conf_t *conf, char *buf,
    size_t size);


#endif /* _AXIS_MQTT_SESSION_H_INCLUDED_ */

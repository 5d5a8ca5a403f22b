
/*
 * The bridge thread's mailbox: everything the event loop and Paho's
 * threads hand to the bridge thread, and the only state they share with
 * it.  It owns itself: every field is under its own lock, and it lives as
 * long as the process, so nothing in it can be destroyed under a caller.
 *
 * The rule for Paho's callbacks (they run on Paho's threads, concurrently
 * with the bridge thread creating and destroying clients): a callback
 * touches nothing but the mailbox.  It is handed its client's device and
 * generation number, never a pointer, and posts an event tagged with
 * them; a device's session drops the events of any generation but its
 * current client's.
 * The callbacks are defined in axis_mqtt_mailbox.c and nowhere else, so
 * that the rule holds by construction: that file cannot see the bridge.
 */

#ifndef _AXIS_MQTT_MAILBOX_H_INCLUDED_
#define _AXIS_MQTT_MAILBOX_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include <MQTTAsync.h>

#include "axis_mqtt_conf.h"
#include "axis_mqtt_session.h"
#include "axis_mqtt_shm.h"


/* events a device may have outstanding at once, and then some */
#define AXIS_MQTT_MAILBOX_EVENTS_PER_DEVICE  8
#define AXIS_MQTT_CAUSE_LEN                  200

/* a callback's context: its client's generation and device, no pointer */
#define axis_mqtt_context(dev, generation)                                    \
    ((void *) (uintptr_t) ((generation) * AXIS_MQTT_DEVICES_MAX + (dev)))

/*
 * A subscription's: its device and its topic's hash
 * (axis_mqtt_inbound_hash()), no generation: a refusal is the broker's
 * word on a topic, whichever client asked.  32 bits are enough.
 */
#define axis_mqtt_subscribe_context(dev, hash)                                \
    ((void *) (uintptr_t) ((hash) * AXIS_MQTT_DEVICES_MAX + (dev)))


/* what Paho said about a client: a session's input (IN_CONNECTED ...) */
typedef struct {
    axis_mqtt_session_in_e   type;
    ngx_uint_t               dev;
    uint64_t                 generation;
    int                      code;
    char                     message[AXIS_MQTT_CAUSE_LEN];
} axis_mqtt_event_t;


/*
 * A camera's event for a device's client, from the camera thread (the
 * topic, then the payload, in the same allocation).  Published by the
 * bridge if the client is connected, else dropped and counted.
 */
typedef struct axis_mqtt_outgoing_s  axis_mqtt_outgoing_t;

struct axis_mqtt_outgoing_s {
    axis_mqtt_outgoing_t    *next;
    ngx_uint_t               dev;
    int                      qos;
    int                      retain;
    char                    *payload;
    char                     topic[1];
};

/* messages waiting for the bridge, at most: more wait up to 1 s, then
 * are dropped */
#define AXIS_MQTT_MAILBOX_OUTGOING_MAX       8192


/*
 * A message the broker delivered to a device's client, from Paho's
 * receive thread (the topic, then the payload and a NUL, in the same
 * allocation).  Never waited for: past AXIS_MQTT_MAILBOX_INCOMING_MAX
 * waiting, dropped and counted.
 */
typedef struct axis_mqtt_incoming_s  axis_mqtt_incoming_t;

struct axis_mqtt_incoming_s {
    axis_mqtt_incoming_t    *next;
    ngx_uint_t               dev;
    uint64_t                 generation;
    char                    *payload;
    size_t                   len;
    char                     topic[1];
};

#define AXIS_MQTT_MAILBOX_INCOMING_MAX       8192


/* the broker refused a subscription (its SUBACK said 0x80, or it failed) */
typedef struct {
    ngx_uint_t               dev;
    unsigned                 hash;          /* the topic's */
    int                      code;
} axis_mqtt_refusal_t;


/* what the bridge thread takes out of the mailbox in one go */
typedef struct {
    axis_mqtt_outgoing_t    *outgoing;      /* in the order posted; freed
                                               by the taker */
    ngx_uint_t               outgoing_dropped;
    axis_mqtt_incoming_t    *incoming;      /* the same */
    ngx_uint_t               incoming_dropped;
    axis_mqtt_refusal_t     *refusals;      /* room for the mailbox's */
    ngx_uint_t               nrefusals;
    axis_mqtt_event_t       *events;        /* room for the mailbox's */
    ngx_uint_t               nevents;
    ngx_uint_t              *changed;       /* devices with a new state */
    ngx_uint_t               nchanged;
    ngx_uint_t               dropped;       /* events lost to a full box */
    ngx_uint_t               stop;          /* the owner quits */
} axis_mqtt_mail_t;


/* the event loop's side */

/* for a new bridge thread of ndevices; NGX_ERROR: out of memory */
ngx_int_t axis_mqtt_mailbox_open(ngx_uint_t ndevices);
/* how many events the mailbox holds at most: the room mail->events needs */
ngx_uint_t axis_mqtt_mailbox_capacity(void);
/* kept packed; NGX_ERROR: out of memory, the state before stays */
ngx_int_t axis_mqtt_mailbox_apply(ngx_uint_t dev,
    const axis_mqtt_state_t *state);
void axis_mqtt_mailbox_stop(void);

/*
 * The camera thread's side: waits (at most 1 s) while the box is full;
 * NGX_DECLINED still full, NGX_ERROR out of memory.
 */
ngx_int_t axis_mqtt_mailbox_publish(ngx_uint_t dev, const char *topic,
    const char *payload, int qos, int retain);
ngx_uint_t axis_mqtt_mailbox_stopped(void);

/*
 * The devices' connection statuses that changed since the last call:
 * changed[dev] set, statuses[dev] the status.  The event loop writes them
 * to the zone: the bridge thread never takes the zone's lock.
 */
void axis_mqtt_mailbox_statuses(axis_mqtt_status_t *statuses,
    u_char *changed);


/* the bridge thread's side */

/*
 * Waits until there is mail or the deadline (a monotonic ms time, 0: none)
 * is due.  The devices with a new state are listed in mail->changed; each
 * state is then copied out with axis_mqtt_mailbox_state().
 */
void axis_mqtt_mailbox_take(ngx_msec_t deadline, axis_mqtt_mail_t *mail);
void axis_mqtt_mailbox_state(ngx_uint_t dev, axis_mqtt_state_t *state);

/*
 * For the event loop, woken through the wake FIFO: a device's session
 * changed its status, or logged why it is not connected; every session
 * has let go ("stopped", after the statuses it set).
 */
void axis_mqtt_mailbox_set_status(ngx_uint_t dev, ngx_uint_t connected,
    ngx_fd_t wake_fd);
/* why the device is not connected, as just logged; a connection clears it */
void axis_mqtt_mailbox_set_cause(ngx_uint_t dev, const char *cause,
    ngx_fd_t wake_fd);
void axis_mqtt_mailbox_set_stopped(ngx_fd_t wake_fd);

/* OpenSSL's first reason of this client's attempt, or "" */
void axis_mqtt_mailbox_tls_error(ngx_uint_t dev, uint64_t generation,
    char *buf, size_t size);


/* Paho's callbacks: their context is axis_mqtt_context(dev, generation) */

void axis_mqtt_paho_on_connect(void *context, MQTTAsync_successData *data);
void axis_mqtt_paho_on_connect_failure(void *context,
    MQTTAsync_failureData *data);
void axis_mqtt_paho_on_connection_lost(void *context, char *cause);
int axis_mqtt_paho_on_message(void *context, char *topic, int topic_len,
    MQTTAsync_message *message);
void axis_mqtt_paho_on_farewell(void *context, MQTTAsync_successData *data);
void axis_mqtt_paho_on_farewell_failure(void *context,
    MQTTAsync_failureData *data);
void axis_mqtt_paho_on_disconnected(void *context,
    MQTTAsync_successData *data);
void axis_mqtt_paho_on_disconnected_failure(void *context,
    MQTTAsync_failureData *data);
void axis_mqtt_paho_on_alive(void *context, MQTTAsync_successData *data);
/* its context is axis_mqtt_subscribe_context() */
void axis_mqtt_paho_on_subscribe_failure(void *context,
    MQTTAsync_failureData *data);
int axis_mqtt_paho_on_tls_error(const char *str, size_t len, void *context);


ngx_msec_t axis_mqtt_now(void);


#endif /* _AXIS_MQTT_MAILBOX_H_INCLUDED_ */

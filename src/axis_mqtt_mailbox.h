
/*
 * The bridge thread's mailbox: everything the event loop and Paho's
 * threads hand to the bridge thread, and the only state they share with
 * it.  It owns itself: every field is under its own lock, and it lives as
 * long as the process, so nothing in it can be destroyed under a caller.
 *
 * The rule for Paho's callbacks (they run on Paho's threads, concurrently
 * with the bridge thread creating and destroying clients): a callback
 * touches nothing but the mailbox.  It is handed its client's generation
 * number, never a pointer, and posts an event tagged with it; the bridge
 * thread drops the events of any generation but its current client's.
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


#define AXIS_MQTT_MAILBOX_EVENTS  32
#define AXIS_MQTT_CAUSE_LEN       200


/* what Paho said about a client: a session's input (IN_CONNECTED ...) */
typedef struct {
    axis_mqtt_session_in_e   type;
    ngx_uint_t               generation;
    int                      code;
    char                     message[AXIS_MQTT_CAUSE_LEN];
} axis_mqtt_event_t;


/* what the bridge thread takes out of the mailbox in one go */
typedef struct {
    axis_mqtt_event_t        events[AXIS_MQTT_MAILBOX_EVENTS];
    ngx_uint_t               nevents;
    ngx_uint_t               have_next;     /* "next" holds a new state */
    ngx_uint_t               stop;          /* the owner quits */
} axis_mqtt_mail_t;


/* the event loop's side */

/* a new bridge thread starts on this state */
void axis_mqtt_mailbox_open(const axis_mqtt_state_t *state);
void axis_mqtt_mailbox_apply(const axis_mqtt_state_t *state);
void axis_mqtt_mailbox_stop(void);
ngx_uint_t axis_mqtt_mailbox_stopped(void);


/* the bridge thread's side */

/*
 * Waits until there is mail or the deadline (a monotonic ms time, 0: none)
 * is due; the latest state goes to *next when mail->have_next.
 */
void axis_mqtt_mailbox_take(ngx_msec_t deadline, axis_mqtt_mail_t *mail,
    axis_mqtt_state_t *next);

/* ownership is let go: "stopped" is set and the wake FIFO written, at once */
void axis_mqtt_mailbox_set_stopped(ngx_fd_t wake_fd);

/* OpenSSL's first reason of this generation's attempt, or "" */
void axis_mqtt_mailbox_tls_error(ngx_uint_t generation, char *buf,
    size_t size);


/* Paho's callbacks: the context they are given is a generation number */

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
int axis_mqtt_paho_on_tls_error(const char *str, size_t len, void *context);


ngx_msec_t axis_mqtt_now(void);


#endif /* _AXIS_MQTT_MAILBOX_H_INCLUDED_ */

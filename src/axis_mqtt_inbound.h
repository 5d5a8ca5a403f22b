
/*
 * MQTT to camera (event.cgi's configureMqttSubscription): a device's
 * subscriptions as its client keeps them, derived once from a saved
 * state; the MQTT filter syntax and matching; what a message asks of the
 * camera's virtual inputs; and the loop guard.  Plain C, no threads:
 * unit-tested and fuzzed on its own.
 *
 * The loop guard: a message on a topic this device publishes to itself
 * (its events, under the publication's prefix, and its connection
 * announcements) is never applied.  A virtual input the gateway drives
 * comes back as a VirtualInput event on that prefix; applying it again
 * would drive the input forever.
 */

#ifndef _AXIS_MQTT_INBOUND_H_INCLUDED_
#define _AXIS_MQTT_INBOUND_H_INCLUDED_


#include <stddef.h>

#include "axis_mqtt_conf.h"


typedef enum {
    AXIS_MQTT_DRIVE_NONE = 0,           /* nothing to drive: "cause" says */
    AXIS_MQTT_DRIVE_ACTIVATE,
    AXIS_MQTT_DRIVE_DEACTIVATE,
    AXIS_MQTT_DRIVE_PULSE               /* activate, then deactivate */
} axis_mqtt_drive_e;


/* one filter as subscribed */
typedef struct {
    const char                 *topic;      /* the prefix in front if asked */
    int                         qos;
    int                         is_state_data;
    int                         virtual_input;      /* 0: none */
} axis_mqtt_inbound_entry_t;


/* never changed once made; one allocation, strings included */
typedef struct {
    int                         n;
    axis_mqtt_inbound_entry_t   entries[AXIS_MQTT_INBOUND_FILTERS_MAX];

    /* the loop guard: the device's own topics */
    const char                 *own_prefix;
    const char                 *own_topics[3];
    int                         nown_topics;
} axis_mqtt_inbound_t;


/* what a message asks of one filter's virtual input */
typedef struct {
    int                         filter;     /* its index */
    int                         virtual_input;
    axis_mqtt_drive_e           drive;
    const char                 *cause;      /* DRIVE_NONE: why */
} axis_mqtt_drive_t;


/* 1: s (len bytes) is an MQTT subscription filter (wildcards as MQTT) */
int axis_mqtt_inbound_filter_valid(const char *s, size_t len);

/* 1: the topic is one the (valid) MQTT filter names */
int axis_mqtt_inbound_match(const char *filter, const char *topic);

/*
 * The state's subscriptions (none when it is inactive); malloc()ed, freed
 * with free().  NULL: out of memory.
 */
axis_mqtt_inbound_t *axis_mqtt_inbound_make(const axis_mqtt_state_t *state);

/*
 * The broker's side of a change from "before" to "after" (either NULL:
 * nothing subscribed): the indices of after's entries to subscribe (a new
 * topic, or another QoS) and of before's to unsubscribe.  A topic named
 * by several filters is subscribed once, at the highest of their QoS.
 */
void axis_mqtt_inbound_diff(const axis_mqtt_inbound_t *before,
    const axis_mqtt_inbound_t *after, int *subscribe, int *nsubscribe,
    int *unsubscribe, int *nunsubscribe);

/*
 * A subscribed topic's 20-bit hash (FNV-1a), which a subscription's
 * callback context carries; the entry of the first topic with that hash,
 * -1: none (a refusal of a topic since removed).
 */
#define AXIS_MQTT_INBOUND_HASH_BITS  20
unsigned axis_mqtt_inbound_hash(const char *topic);
int axis_mqtt_inbound_find_hash(const axis_mqtt_inbound_t *in, unsigned hash);

/* 1: the two lists ask the same of the same topics, and guard the same */
int axis_mqtt_inbound_same(const axis_mqtt_inbound_t *a,
    const axis_mqtt_inbound_t *b);

/* the QoS a topic is subscribed at: the highest of its filters' */
int axis_mqtt_inbound_qos(const axis_mqtt_inbound_t *in, int entry);

/* 1: the topic is one of the device's own (the loop guard) */
int axis_mqtt_inbound_own(const axis_mqtt_inbound_t *in, const char *topic);

/*
 * A message, filter by filter: what each matching filter asks (out has
 * room for AXIS_MQTT_INBOUND_FILTERS_MAX).  The count of matches; none on
 * one of the device's own topics.
 */
int axis_mqtt_inbound_decide(const axis_mqtt_inbound_t *in,
    const char *topic, const char *payload, size_t len,
    axis_mqtt_drive_t *out);

/* a state's payload: 1 active, 0 inactive, -1 neither */
int axis_mqtt_inbound_state(const char *payload, size_t len);


#endif /* _AXIS_MQTT_INBOUND_H_INCLUDED_ */

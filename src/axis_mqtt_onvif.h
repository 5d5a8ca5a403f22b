
/*
 * ONVIF event notifications as a legacy camera sends them in a
 * PullMessagesResponse: the SOAP bytes in, the events out (topic levels
 * with their namespaces, time, property operation, and the Source, Key
 * and Data items in the camera's order).  Plain C on libxml2, unit-tested
 * and fuzzed: the bytes come from the network.
 */

#ifndef _AXIS_MQTT_ONVIF_H_INCLUDED_
#define _AXIS_MQTT_ONVIF_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


/* the namespaces of the topics that filters name */
#define AXIS_MQTT_NS_ONVIF          "http://www.onvif.org/ver10/topics"
#define AXIS_MQTT_NS_AXIS           "http://www.axis.com/2009/event/topics"

#define AXIS_MQTT_ONVIF_MAX_BYTES   (1024 * 1024)   /* a response, at most */
#define AXIS_MQTT_ONVIF_EVENTS      128             /* per response */
#define AXIS_MQTT_ONVIF_LEVELS      16              /* per topic */
#define AXIS_MQTT_ONVIF_ITEMS       16              /* per Source, Key, Data */


typedef enum {
    AXIS_MQTT_NS_NONE = 0,          /* no prefix */
    AXIS_MQTT_NS_ID_ONVIF,          /* http://www.onvif.org/ver10/topics */
    AXIS_MQTT_NS_ID_AXIS,           /* http://www.axis.com/2009/event/topics */
    AXIS_MQTT_NS_OTHER              /* another URI: "prefix" says which */
} axis_mqtt_ns_e;


typedef enum {
    AXIS_MQTT_OP_NONE = 0,          /* not a property: a stateless event */
    AXIS_MQTT_OP_INITIALIZED,
    AXIS_MQTT_OP_CHANGED,
    AXIS_MQTT_OP_DELETED
} axis_mqtt_operation_e;


typedef struct {
    axis_mqtt_ns_e           ns;
    const char              *prefix;    /* as the camera wrote it, or "" */
    const char              *name;
} axis_mqtt_level_t;


typedef struct {
    const char              *name;
    const char              *value;
} axis_mqtt_item_t;


typedef struct {
    unsigned                 n;
    axis_mqtt_item_t         items[AXIS_MQTT_ONVIF_ITEMS];
} axis_mqtt_items_t;


typedef struct {
    unsigned                 nlevels;
    axis_mqtt_level_t        levels[AXIS_MQTT_ONVIF_LEVELS];
    int64_t                  time_ms;   /* UtcTime, epoch ms */
    axis_mqtt_operation_e    operation;
    axis_mqtt_items_t        source;
    axis_mqtt_items_t        key;
    axis_mqtt_items_t        data;
} axis_mqtt_event_t;


/* the events of one response; their strings live in "strings" */
typedef struct {
    unsigned                 n;
    unsigned                 skipped;   /* notifications not understood */
    axis_mqtt_event_t        events[AXIS_MQTT_ONVIF_EVENTS];
    char                    *strings;
    size_t                   size;
    size_t                   used;
} axis_mqtt_notifications_t;


/*
 * Parses a PullMessagesResponse.  0: *out holds its events (none is
 * fine); -1: not one (a SOAP fault, not XML, too large, a DTD), with the
 * cause in buf.  axis_mqtt_notifications_free() either way.
 */
int axis_mqtt_onvif_notifications(const char *xml, size_t len,
    axis_mqtt_notifications_t *out, char *buf, size_t size);
void axis_mqtt_notifications_free(axis_mqtt_notifications_t *n);

/* "2026-11-29T14:33:21.123Z" (or with an offset): epoch ms; -1: not one */
int64_t axis_mqtt_onvif_time(const char *s);


#endif /* _AXIS_MQTT_ONVIF_H_INCLUDED_ */

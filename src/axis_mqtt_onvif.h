
/*
 * The ONVIF PullPoint conversation with a legacy camera, as SOAP bytes:
 * the requests (create a subscription, pull, renew, unsubscribe), the
 * subscription a create answers with, and the events of a
 * PullMessagesResponse (topic levels with their namespaces, time,
 * property operation, and the Source, Key and Data items in the camera's
 * order).  Plain C on libxml2, unit-tested and fuzzed: the bytes come
 * from the network.
 */

#ifndef _AXIS_MQTT_ONVIF_H_INCLUDED_
#define _AXIS_MQTT_ONVIF_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>


/* libxml2's, for those who read XML with the helpers below */
struct _xmlNode;
struct _xmlDoc;


/* the namespaces of the topics that filters name */
#define AXIS_MQTT_NS_ONVIF          "http://www.onvif.org/ver10/topics"
#define AXIS_MQTT_NS_AXIS           "http://www.axis.com/2009/event/topics"

#define AXIS_MQTT_ONVIF_MAX_BYTES   (1024 * 1024)   /* a response, at most */
#define AXIS_MQTT_ONVIF_EVENTS      128             /* per response */
#define AXIS_MQTT_ONVIF_PULL_LIMIT  100             /* asked per pull */
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
} axis_mqtt_notification_t;


/* the events of one response; their strings live in "strings" */
typedef struct {
    unsigned                 n;
    unsigned                 skipped;   /* notifications not understood */
    axis_mqtt_notification_t        events[AXIS_MQTT_ONVIF_EVENTS];
    char                    *strings;
    size_t                   size;
    size_t                   used;
} axis_mqtt_notifications_t;


/* a subscription, as CreatePullPointSubscriptionResponse gives it */
#define AXIS_MQTT_ONVIF_ADDRESS_LEN  1024
#define AXIS_MQTT_ONVIF_HEADERS_LEN  2048

typedef struct {
    char                     address[AXIS_MQTT_ONVIF_ADDRESS_LEN];
    /* its reference parameters (Axis: SubscriptionId), as SOAP headers */
    char                     headers[AXIS_MQTT_ONVIF_HEADERS_LEN];
    int64_t                  lifetime_ms;   /* termination - current time */
} axis_mqtt_subscription_t;


typedef enum {
    AXIS_MQTT_ONVIF_CREATE = 0,     /* to the event service's URL */
    AXIS_MQTT_ONVIF_PULL,           /* the rest to the subscription's */
    AXIS_MQTT_ONVIF_RENEW,
    AXIS_MQTT_ONVIF_UNSUBSCRIBE
} axis_mqtt_onvif_request_e;


/*
 * The SOAP request (malloc()ed; NULL: no memory): "to" is the event
 * service's URL for CREATE, sub the subscription for the rest.  seconds:
 * the subscription's lifetime (CREATE, RENEW) or the pull's timeout.
 */
char *axis_mqtt_onvif_request(axis_mqtt_onvif_request_e type,
    const char *to, const axis_mqtt_subscription_t *sub, int seconds);

/* the SOAPAction of a request, for the Content-Type's action= */
const char *axis_mqtt_onvif_action(axis_mqtt_onvif_request_e type);

/* a CreatePullPointSubscriptionResponse; -1 with the cause in buf */
int axis_mqtt_onvif_subscription(const char *xml, size_t len,
    axis_mqtt_subscription_t *sub, char *buf, size_t size);

/*
 * A response without content that matters (Renew, Unsubscribe): 0 when it
 * is not a SOAP fault or garbage; -1 with the cause in buf.
 */
int axis_mqtt_onvif_acknowledged(const char *xml, size_t len, char *buf,
    size_t size);

/*
 * Parses a PullMessagesResponse.  0: *out holds its events (none is
 * fine); -1: not one (a SOAP fault, not XML, too large, a DTD), with the
 * cause in buf.  axis_mqtt_notifications_free() either way.
 */
int axis_mqtt_onvif_notifications(const char *xml, size_t len,
    axis_mqtt_notifications_t *out, char *buf, size_t size);
void axis_mqtt_notifications_free(axis_mqtt_notifications_t *n);

/*
 * A camera's XML answer, read as every one is: at most
 * AXIS_MQTT_ONVIF_MAX_BYTES, no DTD, nothing from the network.  Its root
 * element, or NULL with the cause in buf; *doc is to be freed with
 * xmlFreeDoc() when the root is not NULL.
 */
struct _xmlNode *axis_mqtt_xml_read(const char *xml, size_t len,
    struct _xmlDoc **doc, char *buf, size_t size);

/* the first child element of this local name (any namespace), or NULL */
struct _xmlNode *axis_mqtt_xml_child(struct _xmlNode *node,
    const char *name);

/* that child's text, to be xmlFree()d; NULL: no such child */
unsigned char *axis_mqtt_xml_text(struct _xmlNode *node, const char *name);

/* "2026-11-29T14:33:21.123Z" (or with an offset): epoch ms; -1: not one */
int64_t axis_mqtt_onvif_time(const char *s);


#endif /* _AXIS_MQTT_ONVIF_H_INCLUDED_ */


/*
 * The PullPoint conversation (see the header): requests written here,
 * answers read with libxml2.  Elements are found by their local names
 * (cameras choose their prefixes); a topic's levels are resolved to
 * namespace URIs with the declarations in scope, because filters name
 * namespaces, not the letters a camera picked.  No network access, no
 * DTD (so no entity of the document's own), at most
 * AXIS_MQTT_ONVIF_MAX_BYTES.
 */

#define _DEFAULT_SOURCE         /* timegm() */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/entities.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include "axis_mqtt_onvif.h"
#include "axis_mqtt_topic.h"


#define AXIS_MQTT_ONVIF_STR(n)      AXIS_MQTT_ONVIF_STR2(n)
#define AXIS_MQTT_ONVIF_STR2(n)     #n


/* action, To, reference parameters, body */
#define AXIS_MQTT_ONVIF_ENVELOPE                                              \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"                           \
    "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\""        \
    " xmlns:a=\"http://www.w3.org/2005/08/addressing\""                      \
    " xmlns:tev=\"http://www.onvif.org/ver10/events/wsdl\""                  \
    " xmlns:wsnt=\"http://docs.oasis-open.org/wsn/b-2\">"                    \
    "<s:Header><a:Action s:mustUnderstand=\"1\">%s</a:Action>"               \
    "<a:To s:mustUnderstand=\"1\">%s</a:To>%s</s:Header>"                    \
    "<s:Body>%s</s:Body></s:Envelope>"


static xmlNode *axis_mqtt_onvif_body(const char *xml, size_t len,
    xmlDoc **doc, char *buf, size_t size);
static int axis_mqtt_onvif_header(char *buf, size_t size, xmlNode *node,
    const char *text);
static int axis_mqtt_onvif_escape(const char *s, char *buf, size_t size);
static int64_t axis_mqtt_onvif_child_time(xmlNode *node, const char *name);
static int axis_mqtt_onvif_is(xmlNode *node, const char *name);
static void axis_mqtt_onvif_fault(xmlNode *fault, char *buf, size_t size);
static int axis_mqtt_onvif_event(axis_mqtt_notifications_t *out,
    xmlNode *msg, axis_mqtt_notification_t *ev);
static int axis_mqtt_onvif_topic(axis_mqtt_notifications_t *out,
    xmlNode *topic, axis_mqtt_notification_t *ev);
static int axis_mqtt_onvif_items(axis_mqtt_notifications_t *out,
    xmlNode *node, axis_mqtt_items_t *items);
static const char *axis_mqtt_onvif_keep(axis_mqtt_notifications_t *out,
    const char *s, size_t len);


int
axis_mqtt_onvif_notifications(const char *xml, size_t len,
    axis_mqtt_notifications_t *out, char *buf, size_t size)
{
    int       rc;
    xmlDoc   *doc;
    xmlNode  *body, *resp, *node;

    out->n = 0;
    out->skipped = 0;
    out->strings = NULL;
    out->used = 0;
    out->size = 0;

    body = axis_mqtt_onvif_body(xml, len, &doc, buf, size);
    if (body == NULL) {
        return -1;
    }

    rc = -1;

    resp = axis_mqtt_xml_child(body, "PullMessagesResponse");
    if (resp == NULL) {
        snprintf(buf, size, "not a PullMessagesResponse");
        goto done;
    }

    /* every string kept is a piece of the document's text */
    out->size = len + 2 * AXIS_MQTT_ONVIF_LEVELS + 64;
    out->strings = malloc(out->size);

    if (out->strings == NULL) {
        snprintf(buf, size, "out of memory");
        goto done;
    }

    for (node = resp->children; node != NULL; node = node->next) {
        if (!axis_mqtt_onvif_is(node, "NotificationMessage")) {
            continue;
        }

        if (out->n == AXIS_MQTT_ONVIF_EVENTS
            || axis_mqtt_onvif_event(out, node, &out->events[out->n]) != 0)
        {
            out->skipped++;
            continue;
        }

        out->n++;
    }

    rc = 0;

done:

    xmlFreeDoc(doc);

    return rc;
}


/*
 * The Body of a SOAP envelope that is not a fault; NULL with the cause in
 * buf.  *doc is to be freed when the Body is.
 */

static xmlNode *
axis_mqtt_onvif_body(const char *xml, size_t len, xmlDoc **doc, char *buf,
    size_t size)
{
    xmlNode  *root, *body, *fault;

    root = axis_mqtt_xml_read(xml, len, doc, buf, size);
    if (root == NULL) {
        return NULL;
    }

    body = NULL;

    if (!axis_mqtt_onvif_is(root, "Envelope")
        || (body = axis_mqtt_xml_child(root, "Body")) == NULL)
    {
        snprintf(buf, size, "not a SOAP envelope");

    } else if ((fault = axis_mqtt_xml_child(body, "Fault")) != NULL) {
        axis_mqtt_onvif_fault(fault, buf, size);
        body = NULL;
    }

    if (body == NULL) {
        xmlFreeDoc(*doc);
        *doc = NULL;
    }

    return body;
}


xmlNode *
axis_mqtt_xml_read(const char *xml, size_t len, xmlDoc **doc, char *buf,
    size_t size)
{
    xmlNode         *root;
    const xmlError  *xerr;

    *doc = NULL;

    if (len > AXIS_MQTT_ONVIF_MAX_BYTES) {
        snprintf(buf, size, "the response is larger than %d bytes",
                 AXIS_MQTT_ONVIF_MAX_BYTES);
        return NULL;
    }

    *doc = xmlReadMemory(xml, (int) len, "response", NULL,
                         XML_PARSE_NONET | XML_PARSE_NOERROR
                         | XML_PARSE_NOWARNING);

    if (*doc == NULL) {
        xerr = xmlGetLastError();
        snprintf(buf, size, "not XML: %.*s", 120,
                 xerr && xerr->message ? xerr->message : "unknown error");
        buf[strcspn(buf, "\n")] = '\0';
        return NULL;
    }

    root = xmlDocGetRootElement(*doc);

    if ((*doc)->intSubset != NULL || (*doc)->extSubset != NULL) {
        snprintf(buf, size, "the response has a DTD");
        root = NULL;

    } else if (root == NULL) {
        snprintf(buf, size, "an XML document without an element");
    }

    if (root == NULL) {
        xmlFreeDoc(*doc);
        *doc = NULL;
    }

    return root;
}


int
axis_mqtt_onvif_acknowledged(const char *xml, size_t len, char *buf,
    size_t size)
{
    xmlDoc   *doc;
    xmlNode  *body;

    body = axis_mqtt_onvif_body(xml, len, &doc, buf, size);
    xmlFreeDoc(doc);

    return body != NULL ? 0 : -1;
}


/*
 * The subscription's address, its reference parameters (each echoed as
 * a SOAP header with WS-Addressing's IsReferenceParameter), and how long
 * it lives by the camera's own clock.
 */

int
axis_mqtt_onvif_subscription(const char *xml, size_t len,
    axis_mqtt_subscription_t *sub, char *buf, size_t size)
{
    int       rc, n;
    char     *address;
    size_t    used;
    int64_t   current, termination;
    xmlDoc   *doc;
    xmlNode  *body, *resp, *ref, *params, *node;
    xmlChar  *text;

    body = axis_mqtt_onvif_body(xml, len, &doc, buf, size);
    if (body == NULL) {
        return -1;
    }

    rc = -1;
    sub->address[0] = '\0';
    sub->headers[0] = '\0';

    resp = axis_mqtt_xml_child(body, "CreatePullPointSubscriptionResponse");
    ref = resp ? axis_mqtt_xml_child(resp, "SubscriptionReference") : NULL;
    text = ref ? axis_mqtt_xml_text(ref, "Address") : NULL;

    /* a pretty-printed answer may put blanks around it */
    address = text ? (char *) text + strspn((char *) text, " \t\r\n")
                   : NULL;

    if (address == NULL || strlen(address) >= sizeof(sub->address)
        || strncmp(address, "http", 4) != 0)
    {
        snprintf(buf, size, "no subscription address in the answer to "
                 "CreatePullPointSubscription");
        xmlFree(text);
        goto done;
    }

    strcpy(sub->address, address);
    sub->address[strcspn(sub->address, " \t\r\n")] = '\0';
    xmlFree(text);

    params = axis_mqtt_xml_child(ref, "ReferenceParameters");
    used = 0;

    for (node = params ? params->children : NULL; node; node = node->next) {
        if (node->type != XML_ELEMENT_NODE) {
            continue;
        }

        text = xmlNodeGetContent(node);
        n = axis_mqtt_onvif_header(sub->headers + used,
                                   sizeof(sub->headers) - used, node,
                                   text ? (char *) text : "");
        xmlFree(text);

        if (n < 0) {
            snprintf(buf, size, "the subscription's reference parameters "
                     "are too long");
            goto done;
        }

        used += n;
    }

    current = axis_mqtt_onvif_child_time(resp, "CurrentTime");
    termination = axis_mqtt_onvif_child_time(resp, "TerminationTime");

    sub->lifetime_ms = current >= 0 && termination > current
                       ? termination - current : 0;

    rc = 0;

done:

    xmlFreeDoc(doc);

    return rc;
}


/* <p:Name xmlns:p="URI" a:IsReferenceParameter="true">text</p:Name> */

static int
axis_mqtt_onvif_header(char *buf, size_t size, xmlNode *node,
    const char *text)
{
    size_t  n, len;
    char    uri[512], value[512], name[128];

    if (axis_mqtt_onvif_escape((const char *) node->name, name, sizeof(name))
        != 0
        || axis_mqtt_onvif_escape(node->ns && node->ns->href
                                  ? (const char *) node->ns->href : "",
                                  uri, sizeof(uri)) != 0
        || axis_mqtt_onvif_escape(text, value, sizeof(value)) != 0)
    {
        return -1;
    }

    /* xmlns:rp="" is no declaration: a parameter of no namespace as is */
    n = uri[0] != '\0'
        ? snprintf(buf, size, "<rp:%s xmlns:rp=\"%s\" "
                   "a:IsReferenceParameter=\"true\">%s</rp:%s>",
                   name, uri, value, name)
        : snprintf(buf, size, "<%s a:IsReferenceParameter=\"true\">%s</%s>",
                   name, value, name);
    len = n;

    return len < size ? (int) len : -1;
}


/* s as XML text (libxml2's escaping), into buf; -1: it does not fit */

static int
axis_mqtt_onvif_escape(const char *s, char *buf, size_t size)
{
    int       rc;
    size_t    len;
    xmlChar  *esc;

    esc = xmlEncodeSpecialChars(NULL, (const xmlChar *) s);
    len = esc ? (size_t) xmlStrlen(esc) : 0;
    rc = esc != NULL && len < size ? 0 : -1;

    if (rc == 0) {
        memcpy(buf, esc, len + 1);
    }

    xmlFree(esc);

    return rc;
}


static int64_t
axis_mqtt_onvif_child_time(xmlNode *node, const char *name)
{
    int64_t   t;
    xmlChar  *text;

    text = node ? axis_mqtt_xml_text(node, name) : NULL;
    t = text ? axis_mqtt_onvif_time((const char *) text) : -1;
    xmlFree(text);

    return t;
}


static const struct {
    const char  *action;
    const char  *body;
} axis_mqtt_onvif_requests[] = {
    { "http://www.onvif.org/ver10/events/wsdl/EventPortType/"
      "CreatePullPointSubscriptionRequest",
      "<tev:CreatePullPointSubscription><tev:InitialTerminationTime>"
      "PT%dS</tev:InitialTerminationTime></tev:CreatePullPointSubscription>" },
    { "http://www.onvif.org/ver10/events/wsdl/PullPointSubscription/"
      "PullMessagesRequest",
      "<tev:PullMessages><tev:Timeout>PT%dS</tev:Timeout>"
      "<tev:MessageLimit>" AXIS_MQTT_ONVIF_STR(AXIS_MQTT_ONVIF_PULL_LIMIT)
      "</tev:MessageLimit></tev:PullMessages>" },
    { "http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/RenewRequest",
      "<wsnt:Renew><wsnt:TerminationTime>PT%dS</wsnt:TerminationTime>"
      "</wsnt:Renew>" },
    { "http://docs.oasis-open.org/wsn/bw-2/SubscriptionManager/"
      "UnsubscribeRequest",
      "<wsnt:Unsubscribe/>" }
};


const char *
axis_mqtt_onvif_action(axis_mqtt_onvif_request_e type)
{
    return axis_mqtt_onvif_requests[type].action;
}


char *
axis_mqtt_onvif_request(axis_mqtt_onvif_request_e type, const char *to,
    const axis_mqtt_subscription_t *sub, int seconds)
{
    int    n;
    char  *buf, body[256], address[AXIS_MQTT_ONVIF_ADDRESS_LEN * 6];

    if (axis_mqtt_onvif_escape(type == AXIS_MQTT_ONVIF_CREATE
                               ? to : sub->address,
                               address, sizeof(address)) != 0)
    {
        return NULL;
    }

    if (type == AXIS_MQTT_ONVIF_UNSUBSCRIBE) {
        snprintf(body, sizeof(body), "%s",
                 axis_mqtt_onvif_requests[type].body);

    } else {
        snprintf(body, sizeof(body), axis_mqtt_onvif_requests[type].body,
                 seconds);
    }

    n = snprintf(NULL, 0, AXIS_MQTT_ONVIF_ENVELOPE,
                 axis_mqtt_onvif_requests[type].action, address,
                 type == AXIS_MQTT_ONVIF_CREATE ? "" : sub->headers, body);

    buf = malloc(n + 1);

    if (buf != NULL) {
        snprintf(buf, n + 1, AXIS_MQTT_ONVIF_ENVELOPE,
                 axis_mqtt_onvif_requests[type].action, address,
                 type == AXIS_MQTT_ONVIF_CREATE ? "" : sub->headers, body);
    }

    return buf;
}


void
axis_mqtt_notifications_free(axis_mqtt_notifications_t *n)
{
    free(n->strings);
    n->strings = NULL;
    n->n = 0;
}


/* one NotificationMessage: Topic, and Message/Message */

static int
axis_mqtt_onvif_event(axis_mqtt_notifications_t *out, xmlNode *msg,
    axis_mqtt_notification_t *ev)
{
    xmlChar  *attr;
    xmlNode  *topic, *message, *node;

    memset(ev, 0, offsetof(axis_mqtt_notification_t, source));
    ev->source.n = 0;
    ev->key.n = 0;
    ev->data.n = 0;

    topic = axis_mqtt_xml_child(msg, "Topic");
    message = axis_mqtt_xml_child(msg, "Message");
    message = message ? axis_mqtt_xml_child(message, "Message") : NULL;

    if (topic == NULL || message == NULL
        || axis_mqtt_onvif_topic(out, topic, ev) != 0)
    {
        return -1;
    }

    attr = xmlGetProp(message, (const xmlChar *) "UtcTime");
    ev->time_ms = attr ? axis_mqtt_onvif_time((const char *) attr) : -1;
    xmlFree(attr);

    if (ev->time_ms < 0) {
        return -1;
    }

    attr = xmlGetProp(message, (const xmlChar *) "PropertyOperation");

    if (attr == NULL) {
        ev->operation = AXIS_MQTT_OP_NONE;

    } else if (xmlStrcmp(attr, (const xmlChar *) "Initialized") == 0) {
        ev->operation = AXIS_MQTT_OP_INITIALIZED;

    } else if (xmlStrcmp(attr, (const xmlChar *) "Changed") == 0) {
        ev->operation = AXIS_MQTT_OP_CHANGED;

    } else if (xmlStrcmp(attr, (const xmlChar *) "Deleted") == 0) {
        ev->operation = AXIS_MQTT_OP_DELETED;

    } else {
        xmlFree(attr);
        return -1;
    }

    xmlFree(attr);

    for (node = message->children; node != NULL; node = node->next) {
        if ((axis_mqtt_onvif_is(node, "Source")
             && axis_mqtt_onvif_items(out, node, &ev->source) != 0)
            || (axis_mqtt_onvif_is(node, "Key")
                && axis_mqtt_onvif_items(out, node, &ev->key) != 0)
            || (axis_mqtt_onvif_is(node, "Data")
                && axis_mqtt_onvif_items(out, node, &ev->data) != 0))
        {
            return -1;
        }
    }

    return 0;
}


/*
 * "tns1:Device/tnsaxis:IO/Port": each level's prefix resolved where the
 * Topic element is (a prefix bound nowhere makes the event unreadable).
 */

static int
axis_mqtt_onvif_topic(axis_mqtt_notifications_t *out, xmlNode *topic,
    axis_mqtt_notification_t *ev)
{
    int                 rc;
    char               *text, *p, *end, *slash, *colon;
    xmlNs              *ns;
    axis_mqtt_level_t  *level;

    text = (char *) xmlNodeGetContent(topic);
    if (text == NULL) {
        return -1;
    }

    rc = -1;

    /* the text may be surrounded by blanks */
    p = text + strspn(text, " \t\r\n");
    end = p + strlen(p);

    while (end > p && strchr(" \t\r\n", end[-1]) != NULL) {
        end--;
    }

    *end = '\0';

    if (p == end) {
        goto done;
    }

    for ( /* void */ ; p < end; p = slash + 1) {
        slash = strchr(p, '/');
        slash = slash ? slash : end;
        *slash = '\0';

        if (ev->nlevels == AXIS_MQTT_ONVIF_LEVELS || *p == '\0') {
            goto done;
        }

        level = &ev->levels[ev->nlevels++];
        colon = strchr(p, ':');

        if (colon == NULL) {
            level->ns = AXIS_MQTT_NS_NONE;
            level->prefix = "";
            level->name = axis_mqtt_onvif_keep(out, p, slash - p);

        } else {
            *colon = '\0';
            ns = xmlSearchNs(topic->doc, topic, (const xmlChar *) p);

            if (ns == NULL || ns->href == NULL || colon[1] == '\0') {
                goto done;
            }

            level->ns = xmlStrcmp(ns->href,
                                  (const xmlChar *) AXIS_MQTT_NS_ONVIF) == 0
                        ? AXIS_MQTT_NS_ID_ONVIF
                        : xmlStrcmp(ns->href,
                                    (const xmlChar *) AXIS_MQTT_NS_AXIS) == 0
                          ? AXIS_MQTT_NS_ID_AXIS : AXIS_MQTT_NS_OTHER;
            level->prefix = axis_mqtt_onvif_keep(out, p, colon - p);
            level->name = axis_mqtt_onvif_keep(out, colon + 1,
                                               slash - colon - 1);
        }

        if (level->name == NULL || level->prefix == NULL) {
            goto done;
        }
    }

    rc = 0;

done:

    xmlFree(text);

    return rc;
}


/* the SimpleItem Name/Value pairs of a Source, Key or Data */

static int
axis_mqtt_onvif_items(axis_mqtt_notifications_t *out, xmlNode *node,
    axis_mqtt_items_t *items)
{
    int                rc;
    xmlChar           *name, *value;
    xmlNode           *item;
    axis_mqtt_item_t  *it;

    for (item = node->children; item != NULL; item = item->next) {
        if (!axis_mqtt_onvif_is(item, "SimpleItem")) {
            continue;
        }

        name = xmlGetProp(item, (const xmlChar *) "Name");
        value = xmlGetProp(item, (const xmlChar *) "Value");
        rc = -1;

        if (name != NULL && value != NULL && name[0] != '\0'
            && items->n < AXIS_MQTT_ONVIF_ITEMS)
        {
            it = &items->items[items->n];
            it->name = axis_mqtt_onvif_keep(out, (const char *) name,
                                            strlen((const char *) name));
            it->value = axis_mqtt_onvif_keep(out, (const char *) value,
                                             strlen((const char *) value));

            if (it->name != NULL && it->value != NULL) {
                items->n++;
                rc = 0;
            }
        }

        xmlFree(name);
        xmlFree(value);

        if (rc != 0) {
            return -1;
        }
    }

    return 0;
}


/* a copy in the response's strings; NULL when they are full */

static const char *
axis_mqtt_onvif_keep(axis_mqtt_notifications_t *out, const char *s,
    size_t len)
{
    char  *p;

    if (out->size - out->used < len + 1) {
        return NULL;
    }

    p = out->strings + out->used;
    memcpy(p, s, len);
    p[len] = '\0';
    out->used += len + 1;

    return p;
}


static void
axis_mqtt_onvif_fault(xmlNode *fault, char *buf, size_t size)
{
    xmlNode  *reason;
    xmlChar  *text;

    /* SOAP 1.2: Reason/Text; SOAP 1.1: faultstring */
    reason = axis_mqtt_xml_child(fault, "Reason");
    reason = reason ? axis_mqtt_xml_child(reason, "Text")
                    : axis_mqtt_xml_child(fault, "faultstring");

    text = reason ? xmlNodeGetContent(reason) : NULL;

    snprintf(buf, size, "SOAP fault: %.200s",
             text ? (const char *) text : "no reason given");
    buf[strcspn(buf, "\r\n")] = '\0';

    xmlFree(text);
}


xmlNode *
axis_mqtt_xml_child(xmlNode *node, const char *name)
{
    xmlNode  *child;

    for (child = node->children; child != NULL; child = child->next) {
        if (axis_mqtt_onvif_is(child, name)) {
            return child;
        }
    }

    return NULL;
}


xmlChar *
axis_mqtt_xml_text(xmlNode *node, const char *name)
{
    xmlNode  *child;

    child = axis_mqtt_xml_child(node, name);

    return child ? xmlNodeGetContent(child) : NULL;
}


static int
axis_mqtt_onvif_is(xmlNode *node, const char *name)
{
    return node->type == XML_ELEMENT_NODE
           && xmlStrcmp(node->name, (const xmlChar *) name) == 0;
}


int64_t
axis_mqtt_onvif_time(const char *s)
{
    int        n, ms, digits, sign, oh, om;
    char       tail[16];
    time_t     t;
    struct tm  tm;

    memset(&tm, 0, sizeof(tm));
    n = 0;

    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon,
               &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6
        || n != 19)
    {
        return -1;
    }

    s += n;
    ms = 0;

    if (*s == '.') {
        for (s++, digits = 0; *s >= '0' && *s <= '9'; s++, digits++) {
            if (digits < 3) {
                ms = ms * 10 + (*s - '0');
            }
        }

        if (digits == 0) {
            return -1;
        }

        for ( /* void */ ; digits < 3; digits++) {
            ms *= 10;
        }
    }

    sign = 0;
    oh = 0;
    om = 0;

    if (*s == 'Z') {
        s++;

    } else if (*s == '+' || *s == '-') {
        sign = *s == '+' ? 1 : -1;

        if (sscanf(s + 1, "%2d:%2d%n", &oh, &om, &n) != 2 || n != 5
            || oh > 23 || om > 59)
        {
            return -1;
        }

        s += 6;
    }

    if (sscanf(s, "%15s", tail) == 1) {
        return -1;
    }

    if (tm.tm_year < 1970 || tm.tm_mon < 1 || tm.tm_mon > 12
        || tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23
        || tm.tm_min > 59 || tm.tm_sec > 60)
    {
        return -1;
    }

    tm.tm_year -= 1900;
    tm.tm_mon -= 1;

    t = timegm(&tm);
    if (t == (time_t) -1) {
        return -1;
    }

    t -= sign * (oh * 3600 + om * 60);

    return (int64_t) t * 1000 + ms;
}

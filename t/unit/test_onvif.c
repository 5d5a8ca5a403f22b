
/*
 * A camera's events, from the SOAP of a PullMessagesResponse to the MQTT
 * messages: the notification parser (namespaces resolved whatever the
 * prefixes, items in the camera's order, property operations, faults,
 * garbage and hostile XML refused), the topic filters' matching, and the
 * topic and payload a modern Axis device publishes (decoded the way Home
 * Assistant's parser does).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "axis_mqtt_event_message.h"
#include "axis_mqtt_onvif.h"
#include "axis_mqtt_topic.h"


#define T_ENVELOPE_OPEN                                                      \
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                           \
    "<SOAP-ENV:Envelope"                                                     \
    " xmlns:SOAP-ENV=\"http://www.w3.org/2003/05/soap-envelope\""           \
    " xmlns:wsnt=\"http://docs.oasis-open.org/wsn/b-2\""                     \
    " xmlns:tt=\"http://www.onvif.org/ver10/schema\""                        \
    " xmlns:tev=\"http://www.onvif.org/ver10/events/wsdl\""                  \
    " xmlns:tns1=\"http://www.onvif.org/ver10/topics\""                      \
    " xmlns:tnsaxis=\"http://www.axis.com/2009/event/topics\">"              \
    "<SOAP-ENV:Body><tev:PullMessagesResponse>"                              \
    "<tev:CurrentTime>2026-11-29T10:00:00Z</tev:CurrentTime>"                \
    "<tev:TerminationTime>2026-11-29T10:01:00Z</tev:TerminationTime>"

#define T_ENVELOPE_CLOSE                                                     \
    "</tev:PullMessagesResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>"

/* an input port, as the camera first reports it */
#define T_PORT                                                               \
    "<wsnt:NotificationMessage>"                                             \
    "<wsnt:Topic Dialect=\"http://www.onvif.org/ver10/tev/topicExpression/"  \
    "ConcreteSet\">tns1:Device/tnsaxis:IO/Port</wsnt:Topic>"                 \
    "<wsnt:Message><tt:Message UtcTime=\"2026-11-29T10:00:00.144Z\""         \
    " PropertyOperation=\"Initialized\">"                                    \
    "<tt:Source><tt:SimpleItem Name=\"port\" Value=\"1\"/></tt:Source>"      \
    "<tt:Key></tt:Key>"                                                      \
    "<tt:Data><tt:SimpleItem Name=\"state\" Value=\"0\"/></tt:Data>"         \
    "</tt:Message></wsnt:Message></wsnt:NotificationMessage>"

/* a virtual input, with prefixes of the camera's own choosing */
#define T_VIRTUAL                                                            \
    "<wsnt:NotificationMessage xmlns:a=\"http://www.onvif.org/ver10/topics\"" \
    " xmlns:b=\"http://www.axis.com/2009/event/topics\">"                    \
    "<wsnt:Topic>\n  a:Device/b:IO/VirtualInput  \n</wsnt:Topic>"            \
    "<wsnt:Message><tt:Message UtcTime=\"2026-11-29T11:00:00+01:00\""        \
    " PropertyOperation=\"Changed\">"                                        \
    "<tt:Source><tt:SimpleItem Name=\"port\" Value=\"3\"/></tt:Source>"      \
    "<tt:Data><tt:SimpleItem Name=\"active\" Value=\"1\"/>"                  \
    "<tt:SimpleItem Name=\"reason\" Value=\"rule &amp; go\"/></tt:Data>"     \
    "</tt:Message></wsnt:Message></wsnt:NotificationMessage>"

/* a stateless event without a source */
#define T_ALERT                                                              \
    "<wsnt:NotificationMessage>"                                             \
    "<wsnt:Topic>tnsaxis:Storage/Alert</wsnt:Topic>"                         \
    "<wsnt:Message><tt:Message UtcTime=\"2026-11-29T10:00:01Z\">"            \
    "<tt:Data><tt:SimpleItem Name=\"disk_id\" Value=\"SD_DISK\"/>"           \
    "<tt:SimpleItem Name=\"alert\" Value=\"1\"/></tt:Data>"                  \
    "</tt:Message></wsnt:Message></wsnt:NotificationMessage>"


static axis_mqtt_notifications_t  t_n;


static int
t_parse(const char *xml, char *cause)
{
    char  buf[256];

    axis_mqtt_notifications_free(&t_n);

    if (axis_mqtt_onvif_notifications(xml, strlen(xml), &t_n, buf,
                                      sizeof(buf))
        != 0)
    {
        if (cause != NULL) {
            strcpy(cause, buf);
        }

        return -1;
    }

    return 0;
}


static void
test_onvif_parse(void **unused)
{
    const axis_mqtt_notification_t  *ev;

    assert_int_equal(t_parse(T_ENVELOPE_OPEN T_PORT T_VIRTUAL T_ALERT
                             T_ENVELOPE_CLOSE, NULL), 0);
    assert_int_equal(t_n.n, 3);
    assert_int_equal(t_n.skipped, 0);

    ev = &t_n.events[0];
    assert_int_equal(ev->nlevels, 3);
    assert_int_equal(ev->levels[0].ns, AXIS_MQTT_NS_ID_ONVIF);
    assert_string_equal(ev->levels[0].name, "Device");
    assert_int_equal(ev->levels[1].ns, AXIS_MQTT_NS_ID_AXIS);
    assert_string_equal(ev->levels[1].name, "IO");
    assert_int_equal(ev->levels[2].ns, AXIS_MQTT_NS_NONE);
    assert_string_equal(ev->levels[2].name, "Port");
    assert_int_equal(ev->time_ms, 1795946400144LL);
    assert_int_equal(ev->operation, AXIS_MQTT_OP_INITIALIZED);
    assert_int_equal(ev->source.n, 1);
    assert_string_equal(ev->source.items[0].name, "port");
    assert_string_equal(ev->source.items[0].value, "1");
    assert_int_equal(ev->key.n, 0);
    assert_int_equal(ev->data.n, 1);

    /* the same namespaces under other prefixes; blanks around the topic */
    ev = &t_n.events[1];
    assert_int_equal(ev->levels[0].ns, AXIS_MQTT_NS_ID_ONVIF);
    assert_string_equal(ev->levels[0].prefix, "a");
    assert_int_equal(ev->levels[1].ns, AXIS_MQTT_NS_ID_AXIS);
    assert_string_equal(ev->levels[2].name, "VirtualInput");
    assert_int_equal(ev->time_ms, 1795946400000LL);
    assert_int_equal(ev->operation, AXIS_MQTT_OP_CHANGED);
    assert_int_equal(ev->data.n, 2);
    assert_string_equal(ev->data.items[1].value, "rule & go");

    ev = &t_n.events[2];
    assert_int_equal(ev->operation, AXIS_MQTT_OP_NONE);
    assert_int_equal(ev->source.n, 0);

    /* no events at all is an answer too */
    assert_int_equal(t_parse(T_ENVELOPE_OPEN T_ENVELOPE_CLOSE, NULL), 0);
    assert_int_equal(t_n.n, 0);

    axis_mqtt_notifications_free(&t_n);
}


static void
test_onvif_refused(void **unused)
{
    char   cause[256];
    char  *big;

    assert_int_equal(t_parse("<SOAP-ENV:Envelope xmlns:SOAP-ENV="
        "\"http://www.w3.org/2003/05/soap-envelope\"><SOAP-ENV:Body>"
        "<SOAP-ENV:Fault><SOAP-ENV:Code><SOAP-ENV:Value>SOAP-ENV:Sender"
        "</SOAP-ENV:Value></SOAP-ENV:Code><SOAP-ENV:Reason>"
        "<SOAP-ENV:Text xml:lang=\"en\">Sender not authorized</SOAP-ENV:Text>"
        "</SOAP-ENV:Reason></SOAP-ENV:Fault></SOAP-ENV:Body>"
        "</SOAP-ENV:Envelope>", cause), -1);
    assert_string_equal(cause, "SOAP fault: Sender not authorized");

    assert_int_equal(t_parse("HTTP/1.1 200 OK", cause), -1);
    assert_non_null(strstr(cause, "not XML"));

    assert_int_equal(t_parse("<html><body>login</body></html>", cause), -1);
    assert_string_equal(cause, "not a SOAP envelope");

    /* entities of its own (the billion laughs): no DTD is taken */
    assert_int_equal(t_parse("<?xml version=\"1.0\"?><!DOCTYPE e ["
        "<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;\">"
        "]><e>&b;</e>", cause), -1);
    assert_string_equal(cause, "the response has a DTD");

    big = malloc(AXIS_MQTT_ONVIF_MAX_BYTES + 2);
    memset(big, ' ', AXIS_MQTT_ONVIF_MAX_BYTES + 1);
    big[AXIS_MQTT_ONVIF_MAX_BYTES + 1] = '\0';
    assert_int_equal(t_parse(big, cause), -1);
    assert_non_null(strstr(cause, "larger than"));
    free(big);

    /* a notification that cannot be read is skipped, the rest kept */
    assert_int_equal(t_parse(T_ENVELOPE_OPEN
        "<wsnt:NotificationMessage><wsnt:Topic>zz:Device</wsnt:Topic>"
        "<wsnt:Message><tt:Message UtcTime=\"2026-11-29T10:00:00Z\"/>"
        "</wsnt:Message></wsnt:NotificationMessage>"
        "<wsnt:NotificationMessage><wsnt:Topic>tns1:Device</wsnt:Topic>"
        "<wsnt:Message><tt:Message UtcTime=\"yesterday\"/>"
        "</wsnt:Message></wsnt:NotificationMessage>"
        "<wsnt:NotificationMessage><wsnt:Topic>tns1:Device</wsnt:Topic>"
        "<wsnt:Message><tt:Message UtcTime=\"2026-11-29T10:00:00Z\""
        " PropertyOperation=\"Sideways\"/>"
        "</wsnt:Message></wsnt:NotificationMessage>"
        T_ALERT T_ENVELOPE_CLOSE, NULL), 0);
    assert_int_equal(t_n.n, 1);
    assert_int_equal(t_n.skipped, 3);

    axis_mqtt_notifications_free(&t_n);
}


static void
test_onvif_time(void **unused)
{
    assert_int_equal(axis_mqtt_onvif_time("1970-01-01T00:00:00Z"), 0);
    assert_int_equal(axis_mqtt_onvif_time("1970-01-01T00:00:01.5Z"), 1500);
    assert_int_equal(axis_mqtt_onvif_time("1970-01-01T00:00:01.123456Z"),
                     1123);
    assert_int_equal(axis_mqtt_onvif_time("1970-01-01T01:00:00+01:00"), 0);
    assert_int_equal(axis_mqtt_onvif_time("1970-01-01T00:00:00-00:30"),
                     1800000);
    assert_int_equal(axis_mqtt_onvif_time("1970-01-01T00:00:00"), 0);
    assert_int_equal(axis_mqtt_onvif_time("1970-01-01 00:00:00Z"), -1);
    assert_int_equal(axis_mqtt_onvif_time("1970-13-01T00:00:00Z"), -1);
    assert_int_equal(axis_mqtt_onvif_time("1970-01-01T00:00:00.Z"), -1);
    assert_int_equal(axis_mqtt_onvif_time("1970-01-01T00:00:00Zjunk"), -1);
    assert_int_equal(axis_mqtt_onvif_time(""), -1);
}


static void
test_onvif_filters_match(void **unused)
{
    size_t                    i;
    const axis_mqtt_notification_t  *port, *virt, *alert;

    static const struct {
        const char  *filter;
        int          port, virt, alert;
    } cases[] = {
        { "//.", 1, 1, 1 },
        { "onvif:Device//.", 1, 1, 0 },
        { "onvif:Device/axis:IO//.", 1, 1, 0 },
        { "onvif:Device/axis:IO/Port", 1, 0, 0 },
        { "tns1:Device/tnsaxis:IO/VirtualInput", 0, 1, 0 },
        { "onvif:Device/axis:IO", 0, 0, 0 },
        { "onvif:Device/axis:IO/Port//.", 1, 0, 0 },
        { "axis:Device//.", 0, 0, 0 },
        { "onvif:Device/IO//.", 0, 0, 0 },
        { "axis:Storage/Alert", 0, 0, 1 },
        { "axis:Storage/Alert|onvif:Device/axis:IO/Port", 1, 0, 1 },
        { "axis:Storage//.|//.", 1, 1, 1 },
        { "onvif:Device/axis:IO/Port/Extra", 0, 0, 0 },
    };

    assert_int_equal(t_parse(T_ENVELOPE_OPEN T_PORT T_VIRTUAL T_ALERT
                             T_ENVELOPE_CLOSE, NULL), 0);
    port = &t_n.events[0];
    virt = &t_n.events[1];
    alert = &t_n.events[2];

    for (i = 0; i < T_NELTS(cases); i++) {
        assert_true(axis_mqtt_topic_filter_valid(cases[i].filter,
                                                 strlen(cases[i].filter)));

        if (axis_mqtt_topic_filter_match(cases[i].filter, port)
                != cases[i].port
            || axis_mqtt_topic_filter_match(cases[i].filter, virt)
               != cases[i].virt
            || axis_mqtt_topic_filter_match(cases[i].filter, alert)
               != cases[i].alert)
        {
            fail_msg("%s: not %d %d %d", cases[i].filter, cases[i].port,
                     cases[i].virt, cases[i].alert);
        }
    }

    axis_mqtt_notifications_free(&t_n);
}


static void
test_onvif_topic_and_payload(void **unused)
{
    char                    topic[1024];
    char                   *payload;
    json_t                 *p, *source, *data;
    const char             *first_key;
    axis_mqtt_event_conf_t  pub;

    assert_int_equal(t_parse(T_ENVELOPE_OPEN T_PORT T_VIRTUAL T_ALERT
                             T_ENVELOPE_CLOSE, NULL), 0);

    axis_mqtt_event_conf_init(&pub);

    /* the defaults, as measured on a device */
    assert_true(axis_mqtt_event_topic(&t_n.events[0], &pub,
                                      "axis/ACCC8E012345", topic,
                                      sizeof(topic)) > 0);
    assert_string_equal(topic, "axis/ACCC8E012345/event/tns:onvif/Device/"
                               "tns:axis/IO/Port/$source/port/1");

    payload = axis_mqtt_event_payload(&t_n.events[0], &pub, "ACCC8E012345");
    assert_string_equal(payload,
        "{\"topic\":\"onvif:Device/axis:IO/Port\",\"timestamp\":1795946400144,"
        "\"message\":{\"source\":{\"port\":\"1\"},\"key\":{},"
        "\"data\":{\"state\":\"0\"}}}");
    t_alloc_free(payload);

    /* no namespaces; a camera's own prefixes do not show */
    pub.include_topic_namespaces = 0;
    assert_true(axis_mqtt_event_topic(&t_n.events[1], &pub, "axis/X", topic,
                                      sizeof(topic)) > 0);
    assert_string_equal(topic,
                        "axis/X/event/Device/IO/VirtualInput/$source/port/3");

    /* no source: no $source; a custom prefix; no event topic */
    pub.include_topic_namespaces = 1;
    pub.topic_prefix = AXIS_MQTT_PREFIX_CUSTOM;
    strcpy(pub.custom_topic_prefix, "site/cam1");
    assert_true(axis_mqtt_event_topic(&t_n.events[2], &pub, "axis/X", topic,
                                      sizeof(topic)) > 0);
    assert_string_equal(topic, "site/cam1/tns:axis/Storage/Alert");

    pub.append_event_topic = 0;
    assert_true(axis_mqtt_event_topic(&t_n.events[2], &pub, "axis/X", topic,
                                      sizeof(topic)) > 0);
    assert_string_equal(topic, "site/cam1");

    /* the serial, and Home Assistant's way of reading a payload */
    pub.include_serial_number = 1;
    payload = axis_mqtt_event_payload(&t_n.events[1], &pub, "ACCC8E012345");
    p = json_loads(payload, JSON_PRESERVE_ORDER, NULL);
    t_alloc_free(payload);
    assert_non_null(p);

    assert_string_equal(json_string_value(json_object_get(p, "serialNumber")),
                        "ACCC8E012345");
    source = json_object_get(json_object_get(p, "message"), "source");
    data = json_object_get(json_object_get(p, "message"), "data");
    first_key = json_object_iter_key(json_object_iter(source));
    assert_string_equal(first_key, "port");
    assert_string_equal(json_string_value(json_object_get(source, first_key)),
                        "3");
    /* "active" is preferred, else the first data key */
    assert_string_equal(json_string_value(json_object_get(data, "active")),
                        "1");
    assert_string_equal(json_object_iter_key(json_object_iter(data)),
                        "active");
    assert_string_equal(json_string_value(json_object_get(p, "topic")),
                        "onvif:Device/axis:IO/VirtualInput");
    json_decref(p);

    /* retained: by the filter's policy */
    assert_int_equal(axis_mqtt_event_retained(&t_n.events[0],
                                              AXIS_MQTT_RETAIN_NONE), 0);
    assert_int_equal(axis_mqtt_event_retained(&t_n.events[0],
                                              AXIS_MQTT_RETAIN_PROPERTY), 1);
    assert_int_equal(axis_mqtt_event_retained(&t_n.events[2],
                                              AXIS_MQTT_RETAIN_PROPERTY), 0);
    assert_int_equal(axis_mqtt_event_retained(&t_n.events[2],
                                              AXIS_MQTT_RETAIN_ALL), 1);

    axis_mqtt_notifications_free(&t_n);
}


static void
test_onvif_topic_refused(void **unused)
{
    char                    topic[64];
    axis_mqtt_event_conf_t  pub;

    axis_mqtt_event_conf_init(&pub);

    /* a wildcard in a source value cannot be in a topic to publish to */
    assert_int_equal(t_parse(T_ENVELOPE_OPEN
        "<wsnt:NotificationMessage><wsnt:Topic>tns1:Device</wsnt:Topic>"
        "<wsnt:Message><tt:Message UtcTime=\"2026-11-29T10:00:00Z\">"
        "<tt:Source><tt:SimpleItem Name=\"n\" Value=\"a#b\"/></tt:Source>"
        "</tt:Message></wsnt:Message></wsnt:NotificationMessage>"
        T_PORT T_ENVELOPE_CLOSE, NULL), 0);
    assert_int_equal(axis_mqtt_event_topic(&t_n.events[0], &pub, "axis/X",
                                           topic, sizeof(topic)), -1);

    /* too long for the buffer: refused, not cut */
    assert_int_equal(axis_mqtt_event_topic(&t_n.events[1], &pub,
                                           "axis/a-rather-long-prefix",
                                           topic, 40), -1);

    axis_mqtt_notifications_free(&t_n);
}


#define T_CREATED                                                            \
    "<SOAP-ENV:Envelope"                                                     \
    " xmlns:SOAP-ENV=\"http://www.w3.org/2003/05/soap-envelope\""           \
    " xmlns:wsa5=\"http://www.w3.org/2005/08/addressing\""                   \
    " xmlns:tev=\"http://www.onvif.org/ver10/events/wsdl\""                  \
    " xmlns:wsnt=\"http://docs.oasis-open.org/wsn/b-2\"><SOAP-ENV:Body>"      \
    "<tev:CreatePullPointSubscriptionResponse><tev:SubscriptionReference>"   \
    "<wsa5:Address>http://10.0.0.11/onvif/services</wsa5:Address>"           \
    "<wsa5:ReferenceParameters><dom0:SubscriptionId"                         \
    " xmlns:dom0=\"http://www.axis.com/2009/event\">17</dom0:SubscriptionId>" \
    "</wsa5:ReferenceParameters></tev:SubscriptionReference>"                \
    "<wsnt:CurrentTime>2026-11-29T10:00:00Z</wsnt:CurrentTime>"              \
    "<wsnt:TerminationTime>2026-11-29T10:01:00Z</wsnt:TerminationTime>"      \
    "</tev:CreatePullPointSubscriptionResponse></SOAP-ENV:Body>"             \
    "</SOAP-ENV:Envelope>"


static void
test_onvif_subscription_and_requests(void **unused)
{
    char                      cause[256], *req;
    axis_mqtt_subscription_t  sub;

    assert_int_equal(axis_mqtt_onvif_subscription(T_CREATED,
                         strlen(T_CREATED), &sub, cause, sizeof(cause)), 0);
    assert_string_equal(sub.address, "http://10.0.0.11/onvif/services");
    assert_string_equal(sub.headers,
        "<rp:SubscriptionId xmlns:rp=\"http://www.axis.com/2009/event\" "
        "a:IsReferenceParameter=\"true\">17</rp:SubscriptionId>");
    assert_int_equal(sub.lifetime_ms, 60000);

    /* every later request echoes the reference parameter */
    req = axis_mqtt_onvif_request(AXIS_MQTT_ONVIF_PULL, NULL, &sub, 10);
    assert_non_null(strstr(req, "<a:To s:mustUnderstand=\"1\">"
                                "http://10.0.0.11/onvif/services</a:To>"));
    assert_non_null(strstr(req, sub.headers));
    assert_non_null(strstr(req, "<tev:Timeout>PT10S</tev:Timeout>"));
    assert_non_null(strstr(req, axis_mqtt_onvif_action(AXIS_MQTT_ONVIF_PULL)));
    free(req);

    req = axis_mqtt_onvif_request(AXIS_MQTT_ONVIF_RENEW, NULL, &sub, 60);
    assert_non_null(strstr(req, "<wsnt:Renew><wsnt:TerminationTime>PT60S"));
    assert_non_null(strstr(req, sub.headers));
    free(req);

    req = axis_mqtt_onvif_request(AXIS_MQTT_ONVIF_UNSUBSCRIBE, NULL, &sub, 0);
    assert_non_null(strstr(req, "<s:Body><wsnt:Unsubscribe/></s:Body>"));
    free(req);

    /* a create goes to the service, escaped, without a subscription */
    req = axis_mqtt_onvif_request(AXIS_MQTT_ONVIF_CREATE,
                                  "http://cam/onvif/services?a=1&b=2", NULL,
                                  60);
    assert_non_null(strstr(req, ">http://cam/onvif/services?a=1&amp;b=2<"));
    assert_non_null(strstr(req, "<tev:InitialTerminationTime>PT60S"));
    assert_null(strstr(req, "IsReferenceParameter"));
    free(req);

    /* pretty-printed, a parameter of no namespace: still a subscription */
    {
        const char  *pretty =
            "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\""
            " xmlns:a=\"http://www.w3.org/2005/08/addressing\"><s:Body>"
            "<CreatePullPointSubscriptionResponse><SubscriptionReference>"
            "<a:Address>\n   http://cam/onvif/Subscription?Idx=3\n </a:Address>"
            "<a:ReferenceParameters><Idx>3</Idx></a:ReferenceParameters>"
            "</SubscriptionReference></CreatePullPointSubscriptionResponse>"
            "</s:Body></s:Envelope>";

        assert_int_equal(axis_mqtt_onvif_subscription(pretty, strlen(pretty),
                             &sub, cause, sizeof(cause)), 0);
        assert_string_equal(sub.address,
                            "http://cam/onvif/Subscription?Idx=3");
        assert_string_equal(sub.headers,
                            "<Idx a:IsReferenceParameter=\"true\">3</Idx>");
        assert_int_equal(sub.lifetime_ms, 0);
    }

    /* the other answers: a fault, nothing to go on with, or fine */
    assert_int_equal(axis_mqtt_onvif_subscription("<x/>", 4, &sub, cause,
                                                  sizeof(cause)), -1);
    assert_string_equal(cause, "not a SOAP envelope");
    assert_int_equal(axis_mqtt_onvif_subscription(
                         T_ENVELOPE_OPEN T_ENVELOPE_CLOSE,
                         strlen(T_ENVELOPE_OPEN T_ENVELOPE_CLOSE), &sub,
                         cause, sizeof(cause)), -1);
    assert_non_null(strstr(cause, "no subscription address"));
    assert_int_equal(axis_mqtt_onvif_acknowledged(T_CREATED,
                         strlen(T_CREATED), cause, sizeof(cause)), 0);
    assert_int_equal(axis_mqtt_onvif_acknowledged("junk", 4, cause,
                                                  sizeof(cause)), -1);
}


int
t_run_onvif_tests(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_onvif_parse),
        cmocka_unit_test(test_onvif_refused),
        cmocka_unit_test(test_onvif_time),
        cmocka_unit_test(test_onvif_filters_match),
        cmocka_unit_test(test_onvif_topic_and_payload),
        cmocka_unit_test(test_onvif_topic_refused),
        cmocka_unit_test(test_onvif_subscription_and_requests),
    };

    return cmocka_run_group_tests_name("onvif", tests, NULL, NULL);
}

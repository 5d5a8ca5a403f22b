
/*
 * A configuration in Paho's terms: the connect options a device's client
 * is made with, and the cause of a failed connect in words.  Bridge
 * thread only (the cause retraces the way to the broker, blocking).
 */

#ifndef _AXIS_MQTT_PAHO_H_INCLUDED_
#define _AXIS_MQTT_PAHO_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include <MQTTAsync.h>

#include "axis_mqtt_conf.h"
#include "axis_mqtt_message.h"


/* the options, and what they point to: alive as long as the client */
typedef struct {
    MQTTAsync_connectOptions  connect;
    MQTTAsync_SSLOptions      ssl;
    MQTTAsync_willOptions     will;
    MQTTAsync_createOptions   create;

    char                      proxy[AXIS_MQTT_NAME_LEN + 16];
    char                      trust_store[NGX_MAX_PATH];
    char                      key_store[NGX_MAX_PATH];
    char                      private_key[NGX_MAX_PATH];
    unsigned char             alpn[AXIS_MQTT_NAME_LEN + 2];
    axis_mqtt_publication_t   last_will;
} axis_mqtt_paho_options_t;


/*
 * Fills *po for conf; "context" goes to every callback.  NGX_ERROR with
 * the cause in buf when a certificate file named cannot be read.
 */
ngx_int_t axis_mqtt_paho_options(axis_mqtt_paho_options_t *po,
    const axis_mqtt_conf_t *conf, const char *cert_dir, const char *serial,
    void *context, char *buf, size_t size);

/*
 * Why the connect failed: the CONNACK code, what retracing the way finds,
 * OpenSSL's first reason ("tls", may be empty), or Paho's own words.
 */
void axis_mqtt_paho_explain(const axis_mqtt_paho_options_t *po,
    const axis_mqtt_conf_t *conf, int code, const char *message,
    const char *tls, char *buf, size_t size);


#endif /* _AXIS_MQTT_PAHO_H_INCLUDED_ */

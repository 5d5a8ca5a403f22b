
/*
 * Why a connection to the broker fails, in words.  Paho reports most
 * failures as "TCP/TLS connect failure"; after one, the bridge thread
 * retraces the way itself: name resolution, the TCP connection, the
 * proxy's answer to CONNECT.  Blocking, bounded: bridge thread only.
 */

#ifndef _AXIS_MQTT_PROBE_H_INCLUDED_
#define _AXIS_MQTT_PROBE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/* how the TLS handshake is tried, as the client would; NULL for none */
typedef struct {
    const char              *ca_file;       /* NULL: the system's */
    const char              *cert_file;
    const char              *key_file;
    int                      verify;        /* the chain and the name */
} axis_mqtt_probe_tls_t;


/*
 * host:port reached directly, or through proxy ("[http://][user:pass@]
 * host:port", empty for none), then the TLS handshake.  Returns 1 with
 * the cause in buf when a step fails, 0 when the way is open (the
 * failure is further on).
 */
ngx_int_t axis_mqtt_probe(const char *host, int port, const char *proxy,
    const axis_mqtt_probe_tls_t *tls, ngx_msec_t timeout, char *buf,
    size_t size);


#endif /* _AXIS_MQTT_PROBE_H_INCLUDED_ */

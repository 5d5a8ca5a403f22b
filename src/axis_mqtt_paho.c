
/*
 * A configuration in Paho's terms (see the header): connect options, and
 * the cause of a failed connect.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "axis_mqtt_mailbox.h"
#include "axis_mqtt_paho.h"
#include "axis_mqtt_probe.h"


#define AXIS_MQTT_PROBE_WAIT      3000
#define AXIS_MQTT_PAHO_BUFFERED   65536


static void axis_mqtt_paho_proxy(axis_mqtt_paho_options_t *po,
    const axis_mqtt_conf_t *conf, int secure);
static ngx_int_t axis_mqtt_paho_tls(axis_mqtt_paho_options_t *po,
    const axis_mqtt_conf_t *conf, const char *cert_dir, void *context,
    char *buf, size_t size);
static ngx_int_t axis_mqtt_paho_readable(const char *path, const char *what,
    char *buf, size_t size);
static int axis_mqtt_paho_secure(const axis_mqtt_conf_t *conf);


static const char  *axis_mqtt_connack_causes[] = {
    "accepted",
    "the broker refused the protocol version",
    "the broker rejected the client identifier",
    "the broker is unavailable",
    "the broker refused the user name or password",
    "the broker refused: not authorized"
};


ngx_int_t
axis_mqtt_paho_options(axis_mqtt_paho_options_t *po,
    const axis_mqtt_conf_t *conf, const char *cert_dir, const char *serial,
    void *context, char *buf, size_t size)
{
    MQTTAsync_connectOptions  *opts = &po->connect;

    MQTTAsync_connectOptions  connect = MQTTAsync_connectOptions_initializer;
    MQTTAsync_SSLOptions      ssl = MQTTAsync_SSLOptions_initializer;
    MQTTAsync_willOptions     will = MQTTAsync_willOptions_initializer;
    MQTTAsync_createOptions   create = MQTTAsync_createOptions_initializer;

    po->connect = connect;
    po->ssl = ssl;
    po->will = will;
    po->create = create;

    /* 3.1.1 only: the default also retries 3.1, hiding the CONNACK code */
    po->create.MQTTVersion = MQTTVERSION_3_1_1;

    /*
     * What Paho queues for the connection before the broker takes it:
     * the default (100) refuses a camera's burst of events.  A bound
     * still: the camera thread waits for room in the bridge's mailbox.
     */
    po->create.maxBufferedMessages = AXIS_MQTT_PAHO_BUFFERED;

    opts->keepAliveInterval = conf->keep_alive_interval;
    opts->cleansession = conf->clean_session;
    opts->connectTimeout = ngx_max(conf->connect_timeout, 1);
    opts->MQTTVersion = MQTTVERSION_3_1_1;
    opts->automaticReconnect = 0;
    opts->context = context;

    /* MQTT 3.1.1 allows no password without a user name */
    if (conf->username[0] != '\0') {
        opts->username = conf->username;
        opts->password = conf->password[0] ? conf->password : NULL;
    }

    if (axis_mqtt_message_build(&po->last_will, conf, AXIS_MQTT_LAST_WILL,
                                serial, 0) == 1)
    {
        po->will.topicName = po->last_will.topic;
        po->will.message = po->last_will.payload;
        po->will.qos = po->last_will.qos;
        po->will.retained = po->last_will.retain;
        opts->will = &po->will;
    }

    axis_mqtt_paho_proxy(po, conf, axis_mqtt_paho_secure(conf));

    if (!axis_mqtt_paho_secure(conf)) {
        return NGX_OK;
    }

    return axis_mqtt_paho_tls(po, conf, cert_dir, context, buf, size);
}


/*
 * Paho reads the environment when both proxies are NULL; nginx has
 * cleared it, so NULL means "no proxy".  The HTTPS proxy takes only
 * "host:port": a scheme the user gave is dropped.
 */

static void
axis_mqtt_paho_proxy(axis_mqtt_paho_options_t *po,
    const axis_mqtt_conf_t *conf, int secure)
{
    const char  *proxy;

    proxy = secure ? conf->https_proxy : conf->http_proxy;

    if (proxy[0] == '\0') {
        return;
    }

    if (ngx_strncmp(proxy, "http://", 7) == 0) {
        proxy += 7;

    } else if (ngx_strncmp(proxy, "https://", 8) == 0) {
        proxy += 8;
    }

    ngx_snprintf((u_char *) po->proxy, sizeof(po->proxy) - 1, "%s%s%Z",
                 secure ? "" : "http://", proxy);

    if (secure) {
        po->connect.httpsProxy = po->proxy;

    } else {
        po->connect.httpProxy = po->proxy;
    }
}


static ngx_int_t
axis_mqtt_paho_tls(axis_mqtt_paho_options_t *po,
    const axis_mqtt_conf_t *conf, const char *cert_dir, void *context,
    char *buf, size_t size)
{
    size_t                 len;
    MQTTAsync_SSLOptions  *ssl = &po->ssl;

    ssl->enableServerCertAuth = conf->validate_server_cert;
    ssl->verify = conf->validate_server_cert;   /* the host name, too */
    ssl->ssl_error_cb = axis_mqtt_paho_on_tls_error;
    ssl->ssl_error_context = context;

    if (conf->ca_cert_id[0] != '\0') {
        ngx_snprintf((u_char *) po->trust_store, sizeof(po->trust_store) - 1,
                     "%s/%s.crt%Z", cert_dir, conf->ca_cert_id);
        ssl->trustStore = po->trust_store;
    }

    if (conf->client_cert_id[0] != '\0') {
        ngx_snprintf((u_char *) po->key_store, sizeof(po->key_store) - 1,
                     "%s/%s.crt%Z", cert_dir, conf->client_cert_id);
        ngx_snprintf((u_char *) po->private_key, sizeof(po->private_key) - 1,
                     "%s/%s.key%Z", cert_dir, conf->client_cert_id);
        ssl->keyStore = po->key_store;
        ssl->privateKey = po->private_key;
    }

    /* a missing file is named, not left to a "TLS connect failure" */

    if (axis_mqtt_paho_readable(ssl->trustStore, "the CA certificate", buf,
                                size) != NGX_OK
        || axis_mqtt_paho_readable(ssl->keyStore, "the client certificate",
                                   buf, size) != NGX_OK
        || axis_mqtt_paho_readable(ssl->privateKey, "the client key", buf,
                                   size) != NGX_OK)
    {
        return NGX_ERROR;
    }

    len = ngx_strlen(conf->alpn_protocol);

    if (len > 0) {
        /* the wire format: one length-prefixed name */
        po->alpn[0] = (unsigned char) len;
        ngx_memcpy(&po->alpn[1], conf->alpn_protocol, len);
        po->alpn[len + 1] = '\0';
        ssl->protos = po->alpn;
        ssl->protos_len = len + 1;
    }

    po->connect.ssl = ssl;

    return NGX_OK;
}


static ngx_int_t
axis_mqtt_paho_readable(const char *path, const char *what, char *buf,
    size_t size)
{
    if (path == NULL || access(path, R_OK) == 0) {
        return NGX_OK;
    }

    ngx_snprintf((u_char *) buf, size - 1, "%s \"%s\" cannot be read: %s%Z",
                 what, path, strerror(errno));

    return NGX_ERROR;
}


/*
 * "certificate verify failed" is all OpenSSL says, and "TCP/TLS connect
 * failure" all Paho says: retracing the way says why.
 */

void
axis_mqtt_paho_explain(const axis_mqtt_paho_options_t *po,
    const axis_mqtt_conf_t *conf, int code, const char *message,
    const char *tls, char *buf, size_t size)
{
    int                     secure;
    axis_mqtt_probe_tls_t   probe;

    if (code > 0 && code <= 5) {
        ngx_snprintf((u_char *) buf, size - 1, "%s (CONNACK %d)%Z",
                     axis_mqtt_connack_causes[code], code);
        return;
    }

    secure = axis_mqtt_paho_secure(conf);

    probe.ca_file = conf->ca_cert_id[0] ? po->trust_store : NULL;
    probe.cert_file = conf->client_cert_id[0] ? po->key_store : NULL;
    probe.key_file = po->private_key;
    probe.verify = conf->validate_server_cert;

    if (axis_mqtt_probe(conf->host, conf->port,
                        secure ? conf->https_proxy : conf->http_proxy,
                        secure ? &probe : NULL,
                        ngx_min((ngx_msec_t) conf->connect_timeout * 1000,
                                AXIS_MQTT_PROBE_WAIT),
                        buf, size)
        == 1)
    {
        return;
    }

    if (tls[0] != '\0') {
        ngx_snprintf((u_char *) buf, size - 1, "TLS: %s%Z", tls);
        return;
    }

    /* the way is open: what Paho calls a connect timeout is the CONNACK's */

    if (ngx_strstr(message, "timeout") != NULL) {
        ngx_snprintf((u_char *) buf, size - 1,
                     "the broker did not answer CONNECT within %d s%Z",
                     conf->connect_timeout);
        return;
    }

    ngx_snprintf((u_char *) buf, size - 1, "%s (%d)%Z",
                 message[0] ? message : MQTTAsync_strerror(code), code);
}


static int
axis_mqtt_paho_secure(const axis_mqtt_conf_t *conf)
{
    return conf->protocol == AXIS_MQTT_SSL || conf->protocol == AXIS_MQTT_WSS;
}


/*
 * Retracing a failed connection: resolve, connect, ask the proxy.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include <netdb.h>
#include <poll.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "axis_mqtt_probe.h"


#define AXIS_MQTT_PROBE_ANSWER  512


static ngx_int_t axis_mqtt_probe_connect(const char *what, const char *host,
    const char *port, ngx_msec_t timeout, int *fd, char *buf, size_t size);
static ngx_int_t axis_mqtt_probe_tunnel(int fd, const char *host, int port,
    const char *credentials, ngx_msec_t timeout, char *buf, size_t size);
static ngx_int_t axis_mqtt_probe_tls(int fd, const char *host,
    const axis_mqtt_probe_tls_t *tls, ngx_msec_t timeout, char *buf,
    size_t size);
static ngx_int_t axis_mqtt_probe_wait(int fd, short events,
    ngx_msec_t timeout);


ngx_int_t
axis_mqtt_probe(const char *host, int port, const char *proxy,
    const axis_mqtt_probe_tls_t *tls, ngx_msec_t timeout, char *buf,
    size_t size)
{
    int          fd;
    char         address[NGX_MAX_PATH], port_text[NGX_INT_T_LEN + 1];
    char        *at, *colon, *credentials;
    ngx_int_t    rc;
    const char  *proxy_host;

    if (proxy[0] == '\0') {
        ngx_snprintf((u_char *) port_text, sizeof(port_text), "%d%Z", port);

        rc = axis_mqtt_probe_connect("the broker", host, port_text, timeout,
                                     &fd, buf, size);
        if (rc != 0) {
            return rc;
        }

        rc = axis_mqtt_probe_tls(fd, host, tls, timeout, buf, size);
        close(fd);

        return rc;
    }

    /* [http://][user:pass@]host:port */

    if (ngx_strncmp(proxy, "http://", 7) == 0) {
        proxy += 7;

    } else if (ngx_strncmp(proxy, "https://", 8) == 0) {
        proxy += 8;
    }

    ngx_cpystrn((u_char *) address, (u_char *) proxy, sizeof(address));

    credentials = NULL;
    proxy_host = address;

    at = strrchr(address, '@');
    if (at != NULL) {
        *at = '\0';
        credentials = address;
        proxy_host = at + 1;
    }

    colon = strrchr(proxy_host, ':');
    if (colon == NULL) {
        ngx_snprintf((u_char *) buf, size - 1,
                     "the proxy has no port: \"%s\"%Z", proxy_host);
        return 1;
    }

    *colon = '\0';

    rc = axis_mqtt_probe_connect("the proxy", proxy_host, colon + 1, timeout,
                                 &fd, buf, size);
    if (rc != 0) {
        return rc;
    }

    rc = axis_mqtt_probe_tunnel(fd, host, port, credentials, timeout, buf,
                                size);
    if (rc == 0) {
        rc = axis_mqtt_probe_tls(fd, host, tls, timeout, buf, size);
    }

    close(fd);

    return rc;
}


static ngx_int_t
axis_mqtt_probe_connect(const char *what, const char *host, const char *port,
    ngx_msec_t timeout, int *fd, char *buf, size_t size)
{
    int               rc, err;
    socklen_t         len;
    struct addrinfo   hints, *ai;

    ngx_memzero(&hints, sizeof(struct addrinfo));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;

    rc = getaddrinfo(host, port, &hints, &ai);
    if (rc != 0) {
        ngx_snprintf((u_char *) buf, size - 1,
                     "%s's name \"%s\" does not resolve: %s%Z",
                     what, host, gai_strerror(rc));
        return 1;
    }

    *fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
                 0);
    if (*fd == -1) {
        freeaddrinfo(ai);
        return 0;
    }

    err = 0;

    if (connect(*fd, ai->ai_addr, ai->ai_addrlen) == -1) {
        err = errno;

        if (err == EINPROGRESS) {
            if (axis_mqtt_probe_wait(*fd, POLLOUT, timeout) != NGX_OK) {
                err = ETIMEDOUT;

            } else {
                len = sizeof(int);
                (void) getsockopt(*fd, SOL_SOCKET, SO_ERROR, &err, &len);
            }
        }
    }

    freeaddrinfo(ai);

    if (err == 0) {
        return 0;
    }

    close(*fd);

    if (err == ETIMEDOUT) {
        ngx_snprintf((u_char *) buf, size - 1,
                     "%s %s:%s did not answer within %M ms%Z",
                     what, host, port, timeout);

    } else {
        ngx_snprintf((u_char *) buf, size - 1, "%s %s:%s: %s%Z",
                     what, host, port, strerror(err));
    }

    return 1;
}


/* the proxy's answer to CONNECT, as the client would see it */

static ngx_int_t
axis_mqtt_probe_tunnel(int fd, const char *host, int port,
    const char *credentials, ngx_msec_t timeout, char *buf, size_t size)
{
    u_char      *p, *eol;
    ssize_t      n;
    ngx_str_t    plain, encoded;
    const char  *open, *close_;
    u_char       request[NGX_MAX_PATH + 512], answer[AXIS_MQTT_PROBE_ANSWER];
    u_char       auth[NGX_MAX_PATH];

    open = strchr(host, ':') ? "[" : "";
    close_ = open[0] ? "]" : "";

    p = ngx_snprintf(request, sizeof(request) - 64,
                     "CONNECT %s%s%s:%d HTTP/1.1\r\nHost: %s%s%s:%d\r\n",
                     open, host, close_, port, open, host, close_, port);

    if (credentials != NULL
        && ngx_base64_encoded_length(ngx_strlen(credentials)) < sizeof(auth))
    {
        plain.data = (u_char *) credentials;
        plain.len = ngx_strlen(credentials);
        encoded.data = auth;
        ngx_encode_base64(&encoded, &plain);

        p = ngx_snprintf(p, request + sizeof(request) - p - 3,
                         "Proxy-Authorization: Basic %V\r\n", &encoded);
    }

    p = ngx_cpymem(p, "\r\n", 2);

    if (write(fd, request, p - request) != p - request
        || axis_mqtt_probe_wait(fd, POLLIN, timeout) != NGX_OK)
    {
        ngx_snprintf((u_char *) buf, size - 1,
                     "the proxy did not answer CONNECT within %M ms%Z",
                     timeout);
        return 1;
    }

    n = read(fd, answer, sizeof(answer) - 1);

    if (n <= 0) {
        ngx_snprintf((u_char *) buf, size - 1,
                     "the proxy closed the connection at CONNECT%Z");
        return 1;
    }

    answer[n] = '\0';

    /* "HTTP/1.x 200 ..." opens the tunnel */

    p = (u_char *) ngx_strchr(answer, ' ');

    if (p != NULL && ngx_strncmp(p + 1, "200", 3) == 0) {
        return 0;
    }

    eol = (u_char *) ngx_strchr(answer, '\r');
    if (eol != NULL) {
        *eol = '\0';
    }

    ngx_snprintf((u_char *) buf, size - 1,
                 "the proxy refused the tunnel: \"%s\"%Z", answer);

    return 1;
}


/*
 * The handshake, and a moment after it: a TLS 1.3 server that wants a
 * client certificate says so only then.
 */

static ngx_int_t
axis_mqtt_probe_tls(int fd, const char *host,
    const axis_mqtt_probe_tls_t *tls, ngx_msec_t timeout, char *buf,
    size_t size)
{
    int            n, err, handshaken;
    u_char         byte;
    long           verify;
    SSL           *ssl;
    SSL_CTX       *ctx;
    ngx_int_t      rc;
    unsigned long  e;

    if (tls == NULL) {
        return 0;
    }

    rc = 0;
    ssl = NULL;
    ERR_clear_error();

    ctx = SSL_CTX_new(TLS_client_method());
    if (ctx == NULL) {
        return 0;
    }

    if (tls->verify) {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);

        if ((tls->ca_file
             ? SSL_CTX_load_verify_locations(ctx, tls->ca_file, NULL)
             : SSL_CTX_set_default_verify_paths(ctx)) != 1)
        {
            goto done;
        }
    }

    if (tls->cert_file
        && (SSL_CTX_use_certificate_chain_file(ctx, tls->cert_file) != 1
            || SSL_CTX_use_PrivateKey_file(ctx, tls->key_file,
                                           SSL_FILETYPE_PEM) != 1))
    {
        ngx_snprintf((u_char *) buf, size - 1,
                     "TLS: the client certificate or key is not usable: %s%Z",
                     ERR_reason_error_string(ERR_peek_last_error()));
        rc = 1;
        goto done;
    }

    ssl = SSL_new(ctx);
    if (ssl == NULL || SSL_set_fd(ssl, fd) != 1) {
        goto done;
    }

    (void) SSL_set_tlsext_host_name(ssl, host);

    if (tls->verify) {
        (void) SSL_set1_host(ssl, host);
    }

    handshaken = 0;

    for ( ;; ) {
        n = handshaken ? SSL_read(ssl, &byte, 1) : SSL_connect(ssl);

        if (n == 1 && !handshaken) {
            handshaken = 1;
            timeout = ngx_min(timeout, 300);
            continue;
        }

        err = SSL_get_error(ssl, n);

        if (n == 1 || (err != SSL_ERROR_WANT_READ
                       && err != SSL_ERROR_WANT_WRITE))
        {
            break;
        }

        if (axis_mqtt_probe_wait(fd, err == SSL_ERROR_WANT_READ ? POLLIN
                                                                : POLLOUT,
                                 timeout)
            != NGX_OK)
        {
            /* quiet after the handshake: TLS is not the problem */
            if (!handshaken) {
                ngx_snprintf((u_char *) buf, size - 1,
                             "TLS: no handshake within %M ms%Z", timeout);
                rc = 1;
            }

            goto done;
        }
    }

    verify = SSL_get_verify_result(ssl);
    e = ERR_peek_last_error();

    if (verify != X509_V_OK) {
        ngx_snprintf((u_char *) buf, size - 1,
                     "TLS: the broker's certificate: %s%Z",
                     X509_verify_cert_error_string(verify));
        rc = 1;

    } else if (e != 0) {
        ngx_snprintf((u_char *) buf, size - 1, "TLS: %s%Z",
                     ERR_reason_error_string(e));
        rc = 1;
    }

done:

    if (ssl != NULL) {
        SSL_free(ssl);
    }

    SSL_CTX_free(ctx);
    ERR_clear_error();

    return rc;
}


static ngx_int_t
axis_mqtt_probe_wait(int fd, short events, ngx_msec_t timeout)
{
    int            n;
    struct pollfd  pfd;

    pfd.fd = fd;
    pfd.events = events;

    do {
        n = poll(&pfd, 1, (int) timeout);
    } while (n == -1 && errno == EINTR);

    return n == 1 ? NGX_OK : NGX_ERROR;
}

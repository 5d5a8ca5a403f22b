
/*
 * A worker's wake-up FIFO for the writes it waits for (see the header).
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include <dirent.h>

#include "axis_mqtt_waiter.h"


#define AXIS_MQTT_WAITER_PREFIX  "wake-"


typedef struct {
    ngx_connection_t        *connection;
    char                     path[NGX_MAX_PATH];
    void                   (*handler)(void);
} axis_mqtt_waiter_t;


static void axis_mqtt_waiter_read(ngx_event_t *ev);
static void axis_mqtt_waiter_path(const char *state_dir, ngx_pid_t pid,
    char *buf, size_t size);


static axis_mqtt_waiter_t  axis_mqtt_waiter;


ngx_int_t
axis_mqtt_waiter_start(ngx_cycle_t *cycle, const char *state_dir,
    void (*handler)(void))
{
    ngx_fd_t             fd;
    ngx_connection_t    *c;
    axis_mqtt_waiter_t  *w = &axis_mqtt_waiter;

    axis_mqtt_waiter_path(state_dir, ngx_pid, w->path, sizeof(w->path));

    (void) unlink(w->path);

    if (mkfifo(w->path, 0600) == -1) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, ngx_errno,
                      "axis_mqtt: mkfifo(\"%s\") failed", w->path);
        return NGX_ERROR;
    }

    /* read-write, so the FIFO never reports end of file to us */
    fd = open(w->path, O_RDWR | O_NONBLOCK | O_CLOEXEC);

    if (fd == -1) {
        ngx_log_error(NGX_LOG_ALERT, cycle->log, ngx_errno,
                      "axis_mqtt: open(\"%s\") failed", w->path);
        (void) unlink(w->path);
        return NGX_ERROR;
    }

    c = ngx_get_connection(fd, cycle->log);
    if (c == NULL) {
        (void) close(fd);
        (void) unlink(w->path);
        return NGX_ERROR;
    }

    /* idle: a graceful shutdown does not wait for it */
    c->idle = 1;
    c->read->handler = axis_mqtt_waiter_read;
    c->read->log = cycle->log;

    if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
        ngx_close_connection(c);
        (void) unlink(w->path);
        return NGX_ERROR;
    }

    w->connection = c;
    w->handler = handler;

    return NGX_OK;
}


void
axis_mqtt_waiter_stop(void)
{
    axis_mqtt_waiter_t  *w = &axis_mqtt_waiter;

    if (w->connection == NULL) {
        return;
    }

    ngx_close_connection(w->connection);
    w->connection = NULL;

    (void) unlink(w->path);
}


static void
axis_mqtt_waiter_read(ngx_event_t *ev)
{
    u_char               buf[64];
    ngx_connection_t    *c = ev->data;
    axis_mqtt_waiter_t  *w = &axis_mqtt_waiter;

    if (c->close) {
        /* a graceful shutdown: the waiting requests keep their timers */
        c->close = 0;
        return;
    }

    while (read(c->fd, buf, sizeof(buf)) > 0) { /* drain */ }

    w->handler();

    (void) ngx_handle_read_event(ev, 0);
}


void
axis_mqtt_waiter_notify(const char *state_dir, ngx_pid_t pid)
{
    char      path[NGX_MAX_PATH];
    ngx_fd_t  fd;

    axis_mqtt_waiter_path(state_dir, pid, path, sizeof(path));

    /* no reader (ENXIO) or no FIFO: the worker is gone, or polls */
    fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd == -1) {
        return;
    }

    if (write(fd, "!", 1) == -1) {
        /* EAGAIN: the full FIFO already holds a wake-up */
    }

    (void) close(fd);
}


void
axis_mqtt_waiter_sweep(const char *state_dir, ngx_log_t *log)
{
    char            path[NGX_MAX_PATH];
    DIR            *dir;
    ngx_pid_t       pid;
    struct dirent  *de;

    dir = opendir(state_dir);
    if (dir == NULL) {
        return;
    }

    while ((de = readdir(dir)) != NULL) {

        if (ngx_strncmp(de->d_name, AXIS_MQTT_WAITER_PREFIX,
                        sizeof(AXIS_MQTT_WAITER_PREFIX) - 1) != 0)
        {
            continue;
        }

        pid = ngx_atoi((u_char *) de->d_name + sizeof(AXIS_MQTT_WAITER_PREFIX)
                                             - 1,
                       ngx_strlen(de->d_name)
                       - (sizeof(AXIS_MQTT_WAITER_PREFIX) - 1));

        if (pid <= 0 || kill(pid, 0) == 0 || ngx_errno != ESRCH) {
            continue;
        }

        axis_mqtt_waiter_path(state_dir, pid, path, sizeof(path));
        (void) unlink(path);

        ngx_log_debug1(NGX_LOG_DEBUG_CORE, log, 0,
                       "axis_mqtt: removed \"%s\" of a dead worker", path);
    }

    (void) closedir(dir);
}


static void
axis_mqtt_waiter_path(const char *state_dir, ngx_pid_t pid, char *buf,
    size_t size)
{
    (void) ngx_snprintf((u_char *) buf, size - 1, "%s/" AXIS_MQTT_WAITER_PREFIX
                        "%P%Z", state_dir, pid);
    buf[size - 1] = '\0';
}


/*
 * Owner election and the owner's command loop: it saves every device's
 * commands and hands each device's new state to the bridge.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include "axis_mqtt_owner.h"
#include "axis_mqtt_store.h"
#include "axis_mqtt_bridge.h"
#include "axis_mqtt_camera.h"
#include "axis_mqtt_waiter.h"


#define AXIS_MQTT_OWNER_LOCK       "owner.lock"
#define AXIS_MQTT_OWNER_FIFO       "wake"

/* poll fast while an old generation is handing over, then back off */
#define AXIS_MQTT_OWNER_POLL_FAST  10
#define AXIS_MQTT_OWNER_POLL_SLOW  500
#define AXIS_MQTT_OWNER_FAST_FOR   10000

#define AXIS_MQTT_OWNER_QUIT_WAIT  5000


typedef struct {
    axis_mqtt_shm_ctx_t     *shm;
    ngx_log_t               *log;
    ngx_fd_t                 lock_fd;
    ngx_connection_t        *wake;
    ngx_event_t              poll;
    ngx_event_t              quit_guard;
    ngx_msec_t               started;
    ngx_uint_t               owner;         /* unsigned owner:1 */
    ngx_uint_t               quitting;      /* unsigned quitting:1 */

    /* the command being saved: too large for the stack of a handler */
    axis_mqtt_state_t        command;
    u_char                  *submitted;     /* the devices that have one */
} axis_mqtt_owner_t;


static void axis_mqtt_owner_poll(ngx_event_t *ev);
static ngx_int_t axis_mqtt_owner_acquire(axis_mqtt_owner_t *own);
static ngx_int_t axis_mqtt_owner_listen(axis_mqtt_owner_t *own);
static void axis_mqtt_owner_wake_handler(ngx_event_t *ev);
static void axis_mqtt_owner_run_commands(axis_mqtt_owner_t *own);
static void axis_mqtt_owner_quit(axis_mqtt_owner_t *own);
static void axis_mqtt_owner_quit_guard(ngx_event_t *ev);
static void axis_mqtt_owner_let_go(axis_mqtt_owner_t *own);
static void axis_mqtt_owner_adopt_legacy(axis_mqtt_owner_t *own);
static void axis_mqtt_owner_path(axis_mqtt_shm_ctx_t *shm, const char *name,
    char *buf, size_t size);


static axis_mqtt_owner_t  axis_mqtt_owner = { .lock_fd = NGX_INVALID_FILE };


ngx_int_t
axis_mqtt_owner_start(ngx_cycle_t *cycle, axis_mqtt_shm_ctx_t *shm)
{
    axis_mqtt_owner_t  *own = &axis_mqtt_owner;

    own->shm = shm;
    own->log = cycle->log;
    own->started = ngx_current_msec;

    own->submitted = ngx_pcalloc(cycle->pool, shm->rt->ndevices);
    if (own->submitted == NULL) {
        return NGX_ERROR;
    }

    own->poll.handler = axis_mqtt_owner_poll;
    own->poll.data = own;
    own->poll.log = cycle->log;
    own->poll.cancelable = 1;

    /* not cancelable: the quitting owner stays until its DISCONNECT is out */
    own->quit_guard.handler = axis_mqtt_owner_quit_guard;
    own->quit_guard.data = own;
    own->quit_guard.log = cycle->log;

    axis_mqtt_owner_poll(&own->poll);

    return NGX_OK;
}


static void
axis_mqtt_owner_poll(ngx_event_t *ev)
{
    axis_mqtt_owner_t  *own = ev->data;

    if (ngx_exiting || ngx_quit || ngx_terminate) {
        return;
    }

    if (axis_mqtt_owner_acquire(own) == NGX_OK) {
        return;
    }

    ngx_add_timer(ev, ngx_current_msec - own->started
                      < AXIS_MQTT_OWNER_FAST_FOR
                      ? AXIS_MQTT_OWNER_POLL_FAST
                      : AXIS_MQTT_OWNER_POLL_SLOW);
}


static ngx_int_t
axis_mqtt_owner_acquire(axis_mqtt_owner_t *own)
{
    char        path[NGX_MAX_PATH];
    uint64_t    version;
    ngx_err_t   err;
    ngx_uint_t  i;

    if (own->lock_fd == NGX_INVALID_FILE) {
        axis_mqtt_owner_path(own->shm, AXIS_MQTT_OWNER_LOCK, path,
                             sizeof(path));

        own->lock_fd = ngx_open_file(path, NGX_FILE_RDWR,
                                     NGX_FILE_CREATE_OR_OPEN | O_CLOEXEC,
                                     NGX_FILE_OWNER_ACCESS);

        if (own->lock_fd == NGX_INVALID_FILE) {
            ngx_log_error(NGX_LOG_ALERT, own->log, ngx_errno,
                          "axis_mqtt: open(\"%s\") failed", path);
            return NGX_ERROR;
        }
    }

    err = ngx_trylock_fd(own->lock_fd);

    if (err == NGX_EAGAIN || err == NGX_EACCES) {
        return NGX_AGAIN;
    }

    if (err != 0) {
        ngx_log_error(NGX_LOG_ALERT, own->log, err,
                      "axis_mqtt: locking the owner lock failed");
        return NGX_ERROR;
    }

    if (axis_mqtt_owner_listen(own) != NGX_OK) {
        /* give it up: a later poll, or the next candidate, tries again */
        (void) ngx_close_file(own->lock_fd);
        own->lock_fd = NGX_INVALID_FILE;
        return NGX_ERROR;
    }

    own->owner = 1;
    axis_mqtt_shm_set_owner(own->shm, ngx_pid);

    ngx_log_error(NGX_LOG_INFO, own->log, 0,
                  "axis_mqtt: process %P owns the MQTT client", ngx_pid);

    axis_mqtt_owner_adopt_legacy(own);
    axis_mqtt_waiter_sweep(own->shm->rt->state_dir, own->log);

    if (axis_mqtt_bridge_start(own->shm, own->wake->fd, own->log) != NGX_OK)
    {
        /* the configurations are still saved; only the broker goes without */
        ngx_log_error(NGX_LOG_ALERT, own->log, 0,
                      "axis_mqtt: the MQTT clients could not start");
    }

    if (axis_mqtt_camera_start(own->shm->rt, own->log) != NGX_OK) {
        ngx_log_error(NGX_LOG_ALERT, own->log, 0,
                      "axis_mqtt: the cameras' events could not start");
    }

    for (i = 0; i < own->shm->rt->ndevices; i++) {
        axis_mqtt_shm_saved(own->shm, i, &own->command, &version);
        axis_mqtt_bridge_apply(i, &own->command);
        axis_mqtt_camera_apply(i, &own->command);
    }

    /* commands may have waited for an owner */
    axis_mqtt_owner_run_commands(own);

    return NGX_OK;
}


static ngx_int_t
axis_mqtt_owner_listen(axis_mqtt_owner_t *own)
{
    char               path[NGX_MAX_PATH];
    ngx_fd_t           fd;
    ngx_file_info_t    fi;
    ngx_connection_t  *c;

    axis_mqtt_owner_path(own->shm, AXIS_MQTT_OWNER_FIFO, path, sizeof(path));

    if (ngx_file_info(path, &fi) == 0 && !S_ISFIFO(fi.st_mode)) {
        (void) ngx_delete_file(path);
    }

    if (mkfifo(path, 0600) == -1 && ngx_errno != NGX_EEXIST) {
        ngx_log_error(NGX_LOG_ALERT, own->log, ngx_errno,
                      "axis_mqtt: mkfifo(\"%s\") failed", path);
        return NGX_ERROR;
    }

    /* read-write, so the FIFO never reports end of file to us */
    fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);

    if (fd == -1) {
        ngx_log_error(NGX_LOG_ALERT, own->log, ngx_errno,
                      "axis_mqtt: open(\"%s\") failed", path);
        return NGX_ERROR;
    }

    c = ngx_get_connection(fd, own->log);
    if (c == NULL) {
        (void) close(fd);
        return NGX_ERROR;
    }

    /* idle: a graceful shutdown calls the handler at once with c->close */
    c->idle = 1;
    c->data = own;
    c->read->handler = axis_mqtt_owner_wake_handler;
    c->read->log = own->log;

    if (ngx_handle_read_event(c->read, 0) != NGX_OK) {
        ngx_close_connection(c);
        return NGX_ERROR;
    }

    own->wake = c;

    return NGX_OK;
}


static void
axis_mqtt_owner_wake_handler(ngx_event_t *ev)
{
    u_char              buf[64];
    ngx_connection_t   *c = ev->data;
    axis_mqtt_owner_t  *own = c->data;

    if (c->close) {
        axis_mqtt_owner_quit(own);
        return;
    }

    while (read(c->fd, buf, sizeof(buf)) > 0) { /* drain */ }

    /* the statuses first: a bridge that stopped set its last ones before */
    axis_mqtt_bridge_publish_status();

    if (own->quitting && axis_mqtt_bridge_stopped()) {
        axis_mqtt_owner_let_go(own);
        return;
    }

    axis_mqtt_owner_run_commands(own);

    if (ngx_handle_read_event(ev, 0) != NGX_OK) {
        axis_mqtt_owner_let_go(own);
    }
}


static void
axis_mqtt_owner_run_commands(axis_mqtt_owner_t *own)
{
    uint64_t              seq;
    ngx_pid_t             submitter;
    ngx_uint_t            i;
    axis_mqtt_error_t     err;
    axis_mqtt_runtime_t  *rt = own->shm->rt;

    /* one look at every device, then only those with a command */
    if (axis_mqtt_shm_submitted(own->shm, own->submitted) == 0) {
        return;
    }

    for (i = 0; i < rt->ndevices; i++) {

        for ( ;; ) {
            err.code = AXIS_MQTT_OK;
            err.message[0] = '\0';

            if (!own->submitted[i]
                || axis_mqtt_shm_take(own->shm, i, &own->command, &seq,
                                      &submitter, &err)
                   != NGX_OK)
            {
                break;
            }

            /* a failure's cause is logged by the worker that answers it */
            if (err.code == AXIS_MQTT_OK) {
                (void) axis_mqtt_store_save(rt->state_dir,
                                            rt->devices[i].store_name,
                                            &own->command, &err);
            }

            axis_mqtt_shm_complete(own->shm, i, seq, &own->command, &err);
            axis_mqtt_waiter_notify(rt->state_dir, submitter);

            if (err.code == AXIS_MQTT_OK) {
                axis_mqtt_bridge_apply(i, &own->command);
                axis_mqtt_camera_apply(i, &own->command);
            }
        }
    }
}


/*
 * The single-device layout's client.json becomes its device's file: the
 * zone read it already (see axis_mqtt_shm_load()); renamed here, by the
 * workers' user, so that the next save replaces it in the same directory.
 */

static void
axis_mqtt_owner_adopt_legacy(axis_mqtt_owner_t *own)
{
    char                      from[NGX_MAX_PATH], to[NGX_MAX_PATH];
    axis_mqtt_device_conf_t  *dc;

    dc = &own->shm->rt->devices[own->shm->rt->legacy];

    axis_mqtt_owner_path(own->shm, AXIS_MQTT_STORE_LEGACY, from,
                         sizeof(from));
    axis_mqtt_owner_path(own->shm, dc->store_name, to, sizeof(to));

    if (access(from, F_OK) != 0 || access(to, F_OK) == 0) {
        return;
    }

    if (rename(from, to) == -1) {
        ngx_log_error(NGX_LOG_ALERT, own->log, ngx_errno,
                      "axis_mqtt: rename(\"%s\", \"%s\") failed", from, to);
        return;
    }

    ngx_log_error(NGX_LOG_NOTICE, own->log, 0,
                  "axis_mqtt: device %s: \"%s\" is now \"%s\"", dc->serial,
                  from, to);
}


/*
 * A graceful shutdown or reload: the DISCONNECT goes out first, then the
 * lock, so the next owner neither overlaps with us nor waits long.
 */

static void
axis_mqtt_owner_quit(axis_mqtt_owner_t *own)
{
    ngx_connection_t  *c = own->wake;

    /* from now on an ordinary connection again, for the bridge's word */
    c->close = 0;
    c->idle = 0;
    own->quitting = 1;

    axis_mqtt_bridge_stop();
    axis_mqtt_camera_stop();

    if (axis_mqtt_bridge_stopped()
        || ngx_handle_read_event(c->read, 0) != NGX_OK)
    {
        axis_mqtt_owner_let_go(own);
        return;
    }

    ngx_add_timer(&own->quit_guard, AXIS_MQTT_OWNER_QUIT_WAIT);
}


static void
axis_mqtt_owner_quit_guard(ngx_event_t *ev)
{
    axis_mqtt_owner_t  *own = ev->data;

    ngx_log_error(NGX_LOG_WARN, own->log, 0,
                  "axis_mqtt: the MQTT client did not disconnect within "
                  "%d ms", AXIS_MQTT_OWNER_QUIT_WAIT);

    axis_mqtt_owner_let_go(own);
}


static void
axis_mqtt_owner_let_go(axis_mqtt_owner_t *own)
{
    if (own->poll.timer_set) {
        ngx_del_timer(&own->poll);
    }

    if (own->quit_guard.timer_set) {
        ngx_del_timer(&own->quit_guard);
    }

    /* exiting without a quit: the DISCONNECT first */
    if (!axis_mqtt_bridge_stopped()) {
        axis_mqtt_bridge_join();
    }

    /*
     * The lock next: the next owner may connect now, while Paho here
     * takes its time to wind down.  The last statuses are ours to write
     * until then.
     */

    axis_mqtt_bridge_publish_status();

    if (own->owner) {
        axis_mqtt_shm_set_owner(own->shm, 0);
        own->owner = 0;

        ngx_log_error(NGX_LOG_INFO, own->log, 0,
                      "axis_mqtt: process %P released the MQTT client",
                      ngx_pid);
    }

    if (own->lock_fd != NGX_INVALID_FILE) {
        (void) ngx_close_file(own->lock_fd);
        own->lock_fd = NGX_INVALID_FILE;
    }

    /* the thread may write to the wake FIFO until it ends */
    axis_mqtt_bridge_join();

    /* the cameras' unsubscribes, bounded, after the lock: off the path */
    axis_mqtt_camera_join();

    if (own->wake != NULL) {
        ngx_close_connection(own->wake);
        own->wake = NULL;
    }
}


void
axis_mqtt_owner_stop(ngx_cycle_t *cycle)
{
    axis_mqtt_owner_let_go(&axis_mqtt_owner);
}


ngx_int_t
axis_mqtt_owner_alive(axis_mqtt_shm_ctx_t *shm, ngx_log_t *log)
{
    char          path[NGX_MAX_PATH];
    struct flock  fl;

    /* kept open: closing it would drop a lock this process holds */
    static ngx_fd_t    probe = NGX_INVALID_FILE;

    /* asked once a millisecond at most, however busy the worker */
    static ngx_msec_t  asked;
    static ngx_int_t   alive;

    if (axis_mqtt_owner.owner) {
        return 1;
    }

    if (asked == ngx_current_msec && probe != NGX_INVALID_FILE) {
        return alive;
    }

    asked = ngx_current_msec;
    alive = 0;

    if (probe == NGX_INVALID_FILE) {
        axis_mqtt_owner_path(shm, AXIS_MQTT_OWNER_LOCK, path, sizeof(path));

        probe = ngx_open_file(path, NGX_FILE_RDWR, NGX_FILE_OPEN | O_CLOEXEC,
                              0);
        if (probe == NGX_INVALID_FILE) {
            /* no lock file: nobody has ever owned the client */
            return 0;
        }
    }

    ngx_memzero(&fl, sizeof(struct flock));
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;

    if (fcntl(probe, F_GETLK, &fl) == -1) {
        ngx_log_error(NGX_LOG_ALERT, log, ngx_errno,
                      "axis_mqtt: fcntl(F_GETLK) on the owner lock failed");
        return 0;
    }

    alive = (fl.l_type != F_UNLCK);

    return alive;
}


void
axis_mqtt_owner_wake(axis_mqtt_shm_ctx_t *shm, ngx_log_t *log)
{
    char      path[NGX_MAX_PATH];
    ngx_fd_t  fd;

    axis_mqtt_owner_path(shm, AXIS_MQTT_OWNER_FIFO, path, sizeof(path));

    /* no reader (ENXIO) or no FIFO yet: the next owner runs it on start */
    fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd == -1) {
        ngx_log_debug1(NGX_LOG_DEBUG_CORE, log, ngx_errno,
                       "axis_mqtt: no owner to wake at \"%s\"", path);
        return;
    }

    if (write(fd, "!", 1) == -1) {
        /* EAGAIN: the full FIFO already holds a wake-up */
    }

    (void) close(fd);
}


static void
axis_mqtt_owner_path(axis_mqtt_shm_ctx_t *shm, const char *name, char *buf,
    size_t size)
{
    (void) ngx_snprintf((u_char *) buf, size - 1, "%s/%s%Z",
                        shm->rt->state_dir, name);
    buf[size - 1] = '\0';
}

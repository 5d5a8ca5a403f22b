
/*
 * The module's own threads (see the header).
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include <dlfcn.h>
#include <signal.h>

#include "axis_mqtt_thread.h"


static void axis_mqtt_thread_pin(void);


int
axis_mqtt_thread_start(pthread_t *thread, void *(*main)(void *), void *data)
{
    int       err;
    sigset_t  all, saved;

    /* the thread, and the threads its libraries start, inherit the mask */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &saved);

    err = pthread_create(thread, NULL, main, data);

    pthread_sigmask(SIG_SETMASK, &saved, NULL);

    return err;
}


ngx_int_t
axis_mqtt_thread_join(pthread_t thread, int seconds, ngx_log_t *log,
    const char *what)
{
    int              err;
    struct timespec  deadline;

    /* bounded: a call stuck in the network does not keep the process */
    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += seconds;

    err = pthread_timedjoin_np(thread, NULL, &deadline);

    if (err == 0) {
        return NGX_OK;
    }

    ngx_log_error(NGX_LOG_WARN, log, err, "axis_mqtt: %s did not stop in %d s",
                  what, seconds);

    /* it runs on while the process exits: its code stays loaded */
    axis_mqtt_thread_pin();

    return NGX_ERROR;
}


static void
axis_mqtt_thread_pin(void)
{
    Dl_info  info;

    if (dladdr((void *) axis_mqtt_thread_pin, &info) != 0
        && info.dli_fname != NULL)
    {
        (void) dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
    }
}

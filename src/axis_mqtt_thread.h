
/*
 * The module's own threads (the bridge's, the cameras'): started with
 * every signal left to nginx's threads, and joined within a bound; a
 * thread that does not end in time pins the module in memory, so that
 * its code is not unloaded under it when the process exits.
 */

#ifndef _AXIS_MQTT_THREAD_H_INCLUDED_
#define _AXIS_MQTT_THREAD_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include <pthread.h>


/* 0, or pthread_create()'s error */
int axis_mqtt_thread_start(pthread_t *thread, void *(*main)(void *),
    void *data);

/* NGX_OK joined; NGX_ERROR not within "seconds": said, and pinned */
ngx_int_t axis_mqtt_thread_join(pthread_t thread, int seconds, ngx_log_t *log,
    const char *what);


#endif /* _AXIS_MQTT_THREAD_H_INCLUDED_ */

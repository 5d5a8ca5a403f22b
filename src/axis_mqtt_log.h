
/*
 * Logging from the bridge thread.  ngx_log_error() reads nginx's time
 * cache, which the event loop rewrites on every turn (DRD reported the
 * race): this writes the same line, "2026/11/29 12:00:00 [error] pid#tid:
 * ...", with its own clock, to the error logs that are files.  An error
 * log that is not a file (syslog, memory) gets nothing from this thread.
 */

#ifndef _AXIS_MQTT_LOG_H_INCLUDED_
#define _AXIS_MQTT_LOG_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


/* level: NGX_LOG_ERR ... NGX_LOG_INFO, or NGX_LOG_DEBUG for a debug line */
void axis_mqtt_log(ngx_log_t *log, ngx_uint_t level, const char *fmt, ...);


#endif /* _AXIS_MQTT_LOG_H_INCLUDED_ */


/*
 * Logging from the bridge thread (see the header): nginx's format, our
 * clock.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include <sys/syscall.h>

#include "axis_mqtt_log.h"


static ngx_str_t  axis_mqtt_log_levels[] = {
    ngx_null_string,
    ngx_string("emerg"),
    ngx_string("alert"),
    ngx_string("crit"),
    ngx_string("error"),
    ngx_string("warn"),
    ngx_string("notice"),
    ngx_string("info"),
    ngx_string("debug")
};


void
axis_mqtt_log(ngx_log_t *log, ngx_uint_t level, const char *fmt, ...)
{
    u_char      line[NGX_MAX_ERROR_STR], *p, *last;
    time_t      now;
    va_list     args;
    struct tm   tm;
    ngx_log_t  *l;

    now = time(NULL);
    localtime_r(&now, &tm);

    last = line + sizeof(line) - 1;     /* room for the line feed */

    p = ngx_slprintf(line, last, "%4d/%02d/%02d %02d:%02d:%02d [%V] %P#%d: ",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                     tm.tm_hour, tm.tm_min, tm.tm_sec,
                     &axis_mqtt_log_levels[level], ngx_pid,
                     (int) syscall(SYS_gettid));

    va_start(args, fmt);
    p = ngx_vslprintf(p, last, fmt, args);
    va_end(args);

    *p++ = LF;

    for (l = log; l != NULL; l = l->next) {

        if (level == NGX_LOG_DEBUG ? !(l->log_level & NGX_LOG_DEBUG_CORE)
                                   : l->log_level < level)
        {
            continue;
        }

        if (l->writer != NULL || l->file == NULL
            || l->file->fd == NGX_INVALID_FILE)
        {
            continue;
        }

        if (write(l->file->fd, line, p - line) == -1) {
            /* nowhere to say it */
        }
    }
}

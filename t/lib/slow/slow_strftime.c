/*
 * Fault injection for t/410-stress.t: strftime() made slow.  Loaded into
 * nginx with LD_PRELOAD; only the module's announcements call strftime()
 * (for their timestamp), nginx itself never does.  A slow announcement
 * widens a race on the announcement's path from microseconds to the
 * AXIS_MQTT_SLOW_US (5000) microseconds given, as a preempted thread on a
 * loaded machine does; it changes no result.
 */

#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

typedef size_t (*strftime_pt)(char *s, size_t max, const char *format,
    const struct tm *tm);

static useconds_t  slow_us = 5000;

__attribute__ ((constructor))
static void
slow_init(void)
{
    const char  *v = getenv("AXIS_MQTT_SLOW_US");

    if (v != NULL) {
        slow_us = (useconds_t) atoi(v);
    }
}

size_t
strftime(char *s, size_t max, const char *format, const struct tm *tm)
{
    static strftime_pt  next;

    if (next == NULL) {
        next = (strftime_pt) dlsym(RTLD_NEXT, "strftime");
    }

    usleep(slow_us);

    return next(s, max, format, tm);
}


/*
 * The state file: the saved configuration and active flag, read at
 * start and replaced atomically on every change.  Plain C (POSIX).
 */

#ifndef _AXIS_MQTT_STORE_H_INCLUDED_
#define _AXIS_MQTT_STORE_H_INCLUDED_


#include "axis_mqtt_conf.h"


#define AXIS_MQTT_STORE_FILE  "client.json"


/*
 * Parses a state file's contents.  Returns -1 with err set if the text is
 * not a valid state; *state is then undefined.
 */
int axis_mqtt_store_parse(axis_mqtt_state_t *state, const char *text,
    size_t len, const char *serial, axis_mqtt_error_t *err);

/*
 * Reads <dir>/client.json.  Returns 1 if loaded, 0 if there is no file
 * yet, -1 with err set if it cannot be read or is not a valid state.
 */
int axis_mqtt_store_load(const char *dir, axis_mqtt_state_t *state,
    const char *serial, axis_mqtt_error_t *err);

/*
 * Replaces <dir>/client.json: temporary file (mode 0600), fsync, rename,
 * fsync of the directory.  Returns -1 with err set (code 1100) on failure,
 * leaving the previous file as it was.
 */
int axis_mqtt_store_save(const char *dir, const axis_mqtt_state_t *state,
    axis_mqtt_error_t *err);


#endif /* _AXIS_MQTT_STORE_H_INCLUDED_ */


/*
 * A device's state file: the saved configuration and active flag, read
 * at start and replaced atomically on every change.  Plain C (POSIX).
 */

#ifndef _AXIS_MQTT_STORE_H_INCLUDED_
#define _AXIS_MQTT_STORE_H_INCLUDED_


#include "axis_mqtt_conf.h"


/* <state_dir>/client-<serial>.json; the single-device layout's file was: */
#define AXIS_MQTT_STORE_LEGACY  "client.json"
#define AXIS_MQTT_STORE_NAME_LEN  (64 + 16)


/* the state file's name of the device with this serial */
void axis_mqtt_store_name(char *buf, size_t size, const char *serial);


/*
 * Parses a state file's contents.  Returns -1 with err set if the text is
 * not a valid state; *state is then undefined.
 */
int axis_mqtt_store_parse(axis_mqtt_state_t *state, const char *text,
    size_t len, const char *serial, axis_mqtt_error_t *err);

/*
 * Reads <dir>/<name>.  Returns 1 if loaded, 0 if there is no file yet,
 * -1 with err set if it cannot be read or is not a valid state.
 */
int axis_mqtt_store_load(const char *dir, const char *name,
    axis_mqtt_state_t *state, const char *serial, axis_mqtt_error_t *err);

/*
 * Replaces <dir>/<name>: temporary file (mode 0600), fsync, rename, fsync
 * of the directory.  Returns -1 with err set (code 1100) on failure,
 * leaving the previous file as it was.
 */
int axis_mqtt_store_save(const char *dir, const char *name,
    const axis_mqtt_state_t *state, axis_mqtt_error_t *err);


#endif /* _AXIS_MQTT_STORE_H_INCLUDED_ */


/*
 * A device's state file <state_dir>/client-<serial>.json:
 *
 *     {"active": true, "config": { ...configureClient params... }}
 *
 * with "config": null before the first configureClient.
 * It holds the broker password in clear, so it is created 0600; the
 * configuration is read back through the same validation as a request.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "axis_mqtt_store.h"


#define AXIS_MQTT_STORE_MAX   (256 * 1024)
#define AXIS_MQTT_PATH_MAX    4096


static int axis_mqtt_write_all(int fd, const char *buf, size_t len);
static int axis_mqtt_fsync_dir(const char *dir);


int
axis_mqtt_store_parse(axis_mqtt_state_t *state, const char *text, size_t len,
    const char *serial, axis_mqtt_error_t *err)
{
    int            keep_password, rc;
    json_t        *root, *active, *events, *inbound;
    json_error_t   jerr;

    root = json_loadb(text, len, 0, &jerr);

    if (!json_is_object(root)) {
        axis_mqtt_error_set(err, AXIS_MQTT_ERR_JSON,
                            "not a JSON object (%s, line %d)",
                            root ? "wrong type" : jerr.text, jerr.line);
        json_decref(root);
        return -1;
    }

    active = json_object_get(root, "active");

    if (!json_is_boolean(active)) {
        axis_mqtt_error_set(err, AXIS_MQTT_ERR_PARAM_MISSING,
                            "\"active\" missing or not a boolean");
        json_decref(root);
        return -1;
    }

    axis_mqtt_state_init(state, serial);
    state->active = json_is_true(active);

    /* absent in the files of the versions before the event bridge */
    events = json_object_get(root, "eventPublication");

    if (axis_mqtt_event_conf_from_json(&state->events, events, err) != 0) {
        json_decref(root);
        return -1;
    }

    /* absent in the files of the versions before the subscriptions */
    inbound = json_object_get(root, "mqttSubscription");

    if (inbound != NULL
        && axis_mqtt_inbound_conf_from_json(&state->inbound, inbound, err)
           != 0)
    {
        json_decref(root);
        return -1;
    }

    if (json_is_null(json_object_get(root, "config"))) {
        /* never configured: the defaults */
        json_decref(root);
        return 0;
    }

    rc = axis_mqtt_conf_from_json(&state->conf,
                                  json_object_get(root, "config"), serial,
                                  &keep_password, err);

    if (rc == 0 && keep_password) {
        axis_mqtt_error_set(err, AXIS_MQTT_ERR_PARAM_VALUE,
                            "a saved configuration cannot keep a password");
        rc = -1;
    }

    json_decref(root);

    return rc;
}


void
axis_mqtt_store_name(char *buf, size_t size, const char *serial)
{
    snprintf(buf, size, "client-%s.json", serial);
}


int
axis_mqtt_store_load(const char *dir, const char *name,
    axis_mqtt_state_t *state, const char *serial, axis_mqtt_error_t *err)
{
    int          fd, rc;
    char        *text, path[AXIS_MQTT_PATH_MAX];
    ssize_t      n;
    struct stat  st;

    snprintf(path, sizeof(path), "%s/%s", dir, name);

    fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd == -1) {
        if (errno == ENOENT) {
            return 0;
        }

        axis_mqtt_error_set(err, AXIS_MQTT_ERR_INTERNAL,
                            "open(\"%s\") failed: %s", path, strerror(errno));
        return -1;
    }

    if (fstat(fd, &st) == -1 || st.st_size > AXIS_MQTT_STORE_MAX) {
        axis_mqtt_error_set(err, AXIS_MQTT_ERR_INTERNAL,
                            "\"%s\" is not a readable file of at most %d "
                            "bytes", path, AXIS_MQTT_STORE_MAX);
        close(fd);
        return -1;
    }

    text = malloc(st.st_size + 1);
    if (text == NULL) {
        axis_mqtt_error_set(err, AXIS_MQTT_ERR_INTERNAL, "out of memory");
        close(fd);
        return -1;
    }

    n = read(fd, text, st.st_size);
    close(fd);

    if (n != st.st_size) {
        axis_mqtt_error_set(err, AXIS_MQTT_ERR_INTERNAL,
                            "read(\"%s\") failed: %s", path,
                            n == -1 ? strerror(errno) : "short read");
        free(text);
        return -1;
    }

    rc = axis_mqtt_store_parse(state, text, n, serial, err);
    free(text);

    return rc == 0 ? 1 : -1;
}


int
axis_mqtt_store_save(const char *dir, const char *name,
    const axis_mqtt_state_t *state, axis_mqtt_error_t *err)
{
    int      fd;
    char    *text, path[AXIS_MQTT_PATH_MAX], temp[AXIS_MQTT_PATH_MAX];
    json_t  *root;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    snprintf(temp, sizeof(temp), "%s/.%s.tmp", dir, name);

    /* a configuration always has a broker; without one it is the defaults */
    root = json_pack("{s:b, s:o, s:o, s:o}", "active", state->active,
                     "config", state->conf.host[0] != '\0'
                               ? axis_mqtt_conf_to_json(&state->conf, 1)
                               : json_null(),
                     "eventPublication",
                     axis_mqtt_event_conf_to_json(&state->events),
                     "mqttSubscription",
                     axis_mqtt_inbound_conf_to_json(&state->inbound));

    text = root ? json_dumps(root, JSON_INDENT(2)) : NULL;
    json_decref(root);

    if (text == NULL) {
        axis_mqtt_error_set(err, AXIS_MQTT_ERR_INTERNAL,
                            "out of memory while saving \"%s\"", path);
        return -1;
    }

    fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

    if (fd == -1) {
        axis_mqtt_error_set(err, AXIS_MQTT_ERR_INTERNAL,
                            "open(\"%s\") failed: %s", temp, strerror(errno));
        free(text);
        return -1;
    }

    /* an older file of the same name may have had wider permissions */

    if (fchmod(fd, 0600) == -1
        || axis_mqtt_write_all(fd, text, strlen(text)) == -1
        || axis_mqtt_write_all(fd, "\n", 1) == -1
        || fsync(fd) == -1)
    {
        axis_mqtt_error_set(err, AXIS_MQTT_ERR_INTERNAL,
                            "writing \"%s\" failed: %s", temp,
                            strerror(errno));
        goto failed;
    }

    if (close(fd) == -1) {
        fd = -1;
        axis_mqtt_error_set(err, AXIS_MQTT_ERR_INTERNAL,
                            "close(\"%s\") failed: %s", temp,
                            strerror(errno));
        goto failed;
    }

    fd = -1;

    if (rename(temp, path) == -1) {
        axis_mqtt_error_set(err, AXIS_MQTT_ERR_INTERNAL,
                            "rename(\"%s\", \"%s\") failed: %s", temp, path,
                            strerror(errno));
        goto failed;
    }

    free(text);

    /*
     * The new file is in place from here on: failing the request now would
     * make the answer disagree with the disk, so a directory that cannot
     * be synced only loses durability of the rename, not its atomicity.
     */

    (void) axis_mqtt_fsync_dir(dir);

    return 0;

failed:

    if (fd != -1) {
        close(fd);
    }

    unlink(temp);
    free(text);

    return -1;
}


static int
axis_mqtt_write_all(int fd, const char *buf, size_t len)
{
    ssize_t  n;

    while (len > 0) {
        n = write(fd, buf, len);

        if (n == -1) {
            if (errno == EINTR) {
                continue;
            }

            return -1;
        }

        buf += n;
        len -= n;
    }

    return 0;
}


static int
axis_mqtt_fsync_dir(const char *dir)
{
    int  fd, rc;

    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd == -1) {
        return -1;
    }

    rc = fsync(fd);
    close(fd);

    return rc;
}

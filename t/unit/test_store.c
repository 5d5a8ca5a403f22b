
/*
 * The state file: save, load, and what load refuses.
 */

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"


#define T_DIR_LEN     256
#define T_STORE_FILE  "client-" T_SERIAL ".json"


typedef struct {
    char                     dir[T_DIR_LEN];
    char                     path[T_DIR_LEN + 32];     /* dir/client-*.json */
} t_store_t;


static int
t_store_setup(void **state)
{
    t_store_t  *ts;

    ts = malloc(sizeof(t_store_t));
    if (ts == NULL) {
        return -1;
    }

    strcpy(ts->dir, "/tmp/axis-mqtt-unit-XXXXXX");

    if (mkdtemp(ts->dir) == NULL) {
        free(ts);
        return -1;
    }

    snprintf(ts->path, sizeof(ts->path), "%s/%s", ts->dir,
             T_STORE_FILE);

    *state = ts;

    return 0;
}


static int
t_store_teardown(void **state)
{
    char            path[T_DIR_LEN + 300];
    DIR            *d;
    t_store_t      *ts;
    struct dirent  *de;

    ts = *state;

    d = opendir(ts->dir);

    if (d != NULL) {
        while ((de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0
                || strcmp(de->d_name, "..") == 0)
            {
                continue;
            }

            snprintf(path, sizeof(path), "%s/%s", ts->dir, de->d_name);

            if (unlink(path) == -1) {
                (void) rmdir(path);
            }
        }

        closedir(d);
    }

    (void) rmdir(ts->dir);
    free(ts);

    return 0;
}


/* the entries of dir, "." and ".." aside; *name gets the first one */
static int
t_dir_count(const char *dir, char *name, size_t size)
{
    int             n;
    DIR            *d;
    struct dirent  *de;

    d = opendir(dir);
    assert_non_null(d);

    n = 0;

    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0) {
            continue;
        }

        if (n++ == 0 && name != NULL) {
            snprintf(name, size, "%s", de->d_name);
        }
    }

    closedir(d);

    return n;
}


static void
t_write_file(const char *path, const char *text, size_t len, mode_t mode)
{
    int  fd;

    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    assert_true(fd != -1);
    assert_int_equal(write(fd, text, len), (ssize_t) len);
    assert_int_equal(fchmod(fd, mode), 0);
    assert_int_equal(close(fd), 0);
}


/* the whole file, malloc()ed and NUL-terminated */
static char *
t_read_file(const char *path, size_t *len)
{
    int          fd;
    char        *text;
    struct stat  st;

    fd = open(path, O_RDONLY);
    assert_true(fd != -1);
    assert_int_equal(fstat(fd, &st), 0);

    text = malloc(st.st_size + 1);
    assert_non_null(text);

    assert_int_equal(read(fd, text, st.st_size), st.st_size);
    close(fd);

    text[st.st_size] = '\0';
    *len = st.st_size;

    return text;
}


static void
t_assert_load_fails(const t_store_t *ts, const char *what)
{
    int                  rc;
    axis_mqtt_error_t    err;
    axis_mqtt_state_t    st;

    err.code = AXIS_MQTT_OK;
    err.message[0] = '\0';

    rc = axis_mqtt_store_load(ts->dir, T_STORE_FILE, &st, T_SERIAL, &err);

    if (rc != -1 || err.message[0] == '\0') {
        fail_msg("loading %s: returned %d, error \"%s\"", what, rc,
                 err.message);
    }
}


static void
test_store_save_file(void **state)
{
    char                 name[sizeof(((struct dirent *) 0)->d_name)];
    mode_t               old;
    t_store_t           *ts;
    struct stat          st;
    axis_mqtt_state_t    s;
    axis_mqtt_error_t    err;

    ts = *state;

    t_state(&s, T_PARAMS_FULL, 1);

    /* a permissive umask does not widen the file */

    old = umask(0);
    assert_int_equal(axis_mqtt_store_save(ts->dir, T_STORE_FILE, &s, &err), 0);
    umask(old);

    assert_int_equal(stat(ts->path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0600);

    /* client.json and nothing else: no temporary file left behind */

    assert_int_equal(t_dir_count(ts->dir, name, sizeof(name)), 1);
    assert_string_equal(name, T_STORE_FILE);
}


static void
test_store_save_narrows_mode(void **state)
{
    t_store_t           *ts;
    struct stat          st;
    axis_mqtt_state_t    s, loaded;
    axis_mqtt_error_t    err;

    ts = *state;

    t_write_file(ts->path, "{}", 2, 0644);

    t_state(&s, T_PARAMS_FULL, 0);
    assert_int_equal(axis_mqtt_store_save(ts->dir, T_STORE_FILE, &s, &err), 0);

    assert_int_equal(stat(ts->path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(t_dir_count(ts->dir, NULL, 0), 1);

    assert_int_equal(axis_mqtt_store_load(ts->dir, T_STORE_FILE, &loaded, T_SERIAL, &err),
                     1);
    t_assert_conf_equal(&loaded.conf, &s.conf);
}


static void
test_store_round_trip(void **state)
{
    static const struct {
        const char          *params;
        int                  active;
    } cases[] = {
        { T_PARAMS_FULL, 1 },
        { T_PARAMS_FULL, 0 },
        { "{\"server\": {\"protocol\": \"tcp\", \"host\": \"h\"}}", 0 },
        { "{\"server\": {\"protocol\": \"wss\", \"host\": \"b\xc3\xbcr\","
          "             \"basepath\": \"/\xe2\x82\xac\"},"
          " \"clientId\": \"Kamera-B\xc3\xbcr\xe2\x82\xac\","
          " \"username\": \"\\\"quoted\\\" \\\\ \\u0001\","
          " \"deviceTopicPrefix\": \"\","
          " \"lastWillTestament\": {\"useDefault\": true},"
          " \"connectMessage\": {\"useDefault\": true},"
          " \"disconnectMessage\": {\"topic\": \"a/b\", \"message\": \"\","
          "                         \"retain\": false, \"qos\": 0},"
          " \"ssl\": {\"CACertID\": \"ca.pem\"}}", 1 },
    };

    size_t               i;
    t_store_t           *ts;
    axis_mqtt_state_t    s, loaded;
    axis_mqtt_error_t    err;

    ts = *state;

    for (i = 0; i < T_NELTS(cases); i++) {
        t_state(&s, cases[i].params, cases[i].active);

        assert_int_equal(axis_mqtt_store_save(ts->dir, T_STORE_FILE, &s, &err), 0);

        memset(&loaded, 0xa5, sizeof(loaded));
        err.code = AXIS_MQTT_OK;

        if (axis_mqtt_store_load(ts->dir, T_STORE_FILE, &loaded, T_SERIAL, &err) != 1) {
            fail_msg("case %zu: load failed: %s", i, err.message);
        }

        t_assert_conf_equal(&loaded.conf, &s.conf);
        assert_int_equal(loaded.active, cases[i].active);
    }
}


static void
test_store_round_trip_longest(void **state)
{
    char                *s1024, *s4096;
    t_store_t           *ts;
    axis_mqtt_state_t    s, loaded;
    axis_mqtt_error_t    err;

    ts = *state;

    s1024 = t_fill(1024, 'l');
    s4096 = t_fill(4096, 'm');

    t_state(&s, T_PARAMS_FULL, 1);
    strcpy(s.conf.client_id, s1024);
    strcpy(s.conf.password, s1024);
    strcpy(s.conf.last_will.message, s4096);
    strcpy(s.conf.connect_message.topic, s1024);

    free(s1024);
    free(s4096);

    assert_int_equal(axis_mqtt_store_save(ts->dir, T_STORE_FILE, &s, &err), 0);
    assert_int_equal(axis_mqtt_store_load(ts->dir, T_STORE_FILE, &loaded, T_SERIAL, &err),
                     1);

    t_assert_conf_equal(&loaded.conf, &s.conf);
    assert_int_equal(loaded.active, 1);
}


static void
test_store_password_survives(void **state)
{
    t_store_t           *ts;
    axis_mqtt_state_t    s, loaded;
    axis_mqtt_error_t    err;

    ts = *state;

    t_state(&s, T_PARAMS_FULL, 1);
    assert_string_equal(s.conf.password, T_PASSWORD_FULL);

    assert_int_equal(axis_mqtt_store_save(ts->dir, T_STORE_FILE, &s, &err), 0);
    assert_int_equal(axis_mqtt_store_load(ts->dir, T_STORE_FILE, &loaded, T_SERIAL, &err),
                     1);
    assert_string_equal(loaded.conf.password, T_PASSWORD_FULL);

    /* and no password stays no password */

    s.conf.password[0] = '\0';

    assert_int_equal(axis_mqtt_store_save(ts->dir, T_STORE_FILE, &s, &err), 0);
    assert_int_equal(axis_mqtt_store_load(ts->dir, T_STORE_FILE, &loaded, T_SERIAL, &err),
                     1);
    assert_string_equal(loaded.conf.password, "");
}


static void
test_store_load_missing(void **state)
{
    t_store_t           *ts;
    axis_mqtt_state_t    s;
    axis_mqtt_error_t    err;

    ts = *state;

    assert_int_equal(axis_mqtt_store_load(ts->dir, T_STORE_FILE, &s, T_SERIAL, &err), 0);

    /* nothing is created by looking */

    assert_int_equal(t_dir_count(ts->dir, NULL, 0), 0);
}


static void
test_store_load_invalid(void **state)
{
    static const char  *cases[] = {
        "garbage",
        "\x01\xff\xfe binary",
        "",
        "[]",
        "null",
        "{}",
        "{\"active\": \"yes\", \"config\": " T_PARAMS_FULL "}",
        "{\"active\": 1, \"config\": " T_PARAMS_FULL "}",
        "{\"config\": " T_PARAMS_FULL "}",
        "{\"active\": true}",
        "{\"active\": true, \"config\": []}",
        "{\"active\": true, \"config\": {\"server\": {\"protocol\": \"tcp\","
        " \"host\": \"h\", \"port\": 0}}}",
        "{\"active\": true, \"config\": {\"server\": {\"protocol\": \"tcp\","
        " \"host\": \"h\", \"port\": 70000}}}",
        "{\"active\": true, \"config\": {\"server\": {\"protocol\": \"tcp\","
        " \"host\": \"h\", \"port\": \"1883\"}}}",
        "{\"active\": true, \"config\": {\"server\": {\"protocol\": \"tcp\","
        " \"host\": \"h\"}, \"keepExistingPassword\": true}}",
    };

    size_t      i;
    t_store_t  *ts;

    ts = *state;

    for (i = 0; i < T_NELTS(cases); i++) {
        t_write_file(ts->path, cases[i], strlen(cases[i]), 0600);
        t_assert_load_fails(ts, cases[i]);
    }
}


static void
test_store_load_truncated(void **state)
{
    char                *text;
    size_t               len;
    t_store_t           *ts;
    axis_mqtt_state_t    s;
    axis_mqtt_error_t    err;

    ts = *state;

    t_state(&s, T_PARAMS_FULL, 1);
    assert_int_equal(axis_mqtt_store_save(ts->dir, T_STORE_FILE, &s, &err), 0);

    text = t_read_file(ts->path, &len);
    t_write_file(ts->path, text, len / 2, 0600);
    free(text);

    t_assert_load_fails(ts, "the first half of a valid file");
}


static void
test_store_save_no_dir(void **state)
{
    char                 dir[T_DIR_LEN + 16];
    t_store_t           *ts;
    struct stat          st;
    axis_mqtt_state_t    s;
    axis_mqtt_error_t    err;

    ts = *state;

    snprintf(dir, sizeof(dir), "%s/missing", ts->dir);

    t_state(&s, T_PARAMS_FULL, 1);

    err.code = AXIS_MQTT_OK;
    err.message[0] = '\0';

    assert_int_equal(axis_mqtt_store_save(dir, T_STORE_FILE, &s, &err), -1);
    assert_int_equal(err.code, AXIS_MQTT_ERR_INTERNAL);
    assert_true(strlen(err.message) > 0);

    assert_int_equal(stat(dir, &st), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(t_dir_count(ts->dir, NULL, 0), 0);
}


static void
test_store_save_failure_keeps_file(void **state)
{
    char                 temp[T_DIR_LEN + 32];
    t_store_t           *ts;
    axis_mqtt_state_t    s, other, loaded;
    axis_mqtt_error_t    err;

    ts = *state;

    t_state(&s, T_PARAMS_FULL, 1);
    assert_int_equal(axis_mqtt_store_save(ts->dir, T_STORE_FILE, &s, &err), 0);

    /* the temporary file cannot be created: a directory is in its way */

    snprintf(temp, sizeof(temp), "%s/.%s.tmp", ts->dir,
             T_STORE_FILE);
    assert_int_equal(mkdir(temp, 0700), 0);

    t_state(&other, "{\"server\": {\"protocol\": \"tcp\", \"host\": \"h\"}}",
            0);

    err.code = AXIS_MQTT_OK;
    assert_int_equal(axis_mqtt_store_save(ts->dir, T_STORE_FILE, &other, &err), -1);
    assert_int_equal(err.code, AXIS_MQTT_ERR_INTERNAL);

    assert_int_equal(axis_mqtt_store_load(ts->dir, T_STORE_FILE, &loaded, T_SERIAL, &err),
                     1);
    t_assert_conf_equal(&loaded.conf, &s.conf);
    assert_int_equal(loaded.active, 1);
}


/*
 * The state a fresh device starts with (defaults, no broker) is what
 * deactivateClient saves when it is the first write: it must load back.
 */

static void
test_store_round_trip_unconfigured(void **state)
{
    int                  rc;
    t_store_t           *ts;
    axis_mqtt_state_t    s, loaded;
    axis_mqtt_error_t    err;

    ts = *state;

    axis_mqtt_state_init(&s, T_SERIAL);
    s.active = 0;

    assert_int_equal(axis_mqtt_store_save(ts->dir, T_STORE_FILE, &s, &err), 0);

    err.code = AXIS_MQTT_OK;
    err.message[0] = '\0';

    rc = axis_mqtt_store_load(ts->dir, T_STORE_FILE, &loaded, T_SERIAL, &err);

    if (rc != 1) {
        fail_msg("a saved unconfigured state does not load: %d, %d \"%s\"",
                 rc, err.code, err.message);
    }

    t_assert_conf_equal(&loaded.conf, &s.conf);
    assert_int_equal(loaded.active, 0);
}


static void
test_store_name(void **unused)
{
    char  name[AXIS_MQTT_STORE_NAME_LEN];

    axis_mqtt_store_name(name, sizeof(name), T_SERIAL);
    assert_string_equal(name, T_STORE_FILE);

    /* the longest serial fits */
    axis_mqtt_store_name(name, sizeof(name),
                         "0123456789012345678901234567890123456789"
                         "012345678901234567890123");
    assert_int_equal(strlen(name), 64 + strlen("client-.json"));
}


int
t_run_store_tests(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_store_name),
        cmocka_unit_test_setup_teardown(test_store_save_file,
                                        t_store_setup, t_store_teardown),
        cmocka_unit_test_setup_teardown(test_store_save_narrows_mode,
                                        t_store_setup, t_store_teardown),
        cmocka_unit_test_setup_teardown(test_store_round_trip,
                                        t_store_setup, t_store_teardown),
        cmocka_unit_test_setup_teardown(test_store_round_trip_longest,
                                        t_store_setup, t_store_teardown),
        cmocka_unit_test_setup_teardown(test_store_password_survives,
                                        t_store_setup, t_store_teardown),
        cmocka_unit_test_setup_teardown(test_store_load_missing,
                                        t_store_setup, t_store_teardown),
        cmocka_unit_test_setup_teardown(test_store_load_invalid,
                                        t_store_setup, t_store_teardown),
        cmocka_unit_test_setup_teardown(test_store_load_truncated,
                                        t_store_setup, t_store_teardown),
        cmocka_unit_test_setup_teardown(test_store_save_no_dir,
                                        t_store_setup, t_store_teardown),
        cmocka_unit_test_setup_teardown(test_store_save_failure_keeps_file,
                                        t_store_setup, t_store_teardown),
        cmocka_unit_test_setup_teardown(test_store_round_trip_unconfigured,
                                        t_store_setup, t_store_teardown),
    };

    return cmocka_run_group_tests_name("state file", tests, NULL, NULL);
}

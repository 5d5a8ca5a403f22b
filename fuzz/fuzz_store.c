
/*
 * libFuzzer target: the state file loader.  Whatever the file holds, the
 * loader must not crash; a state it accepts must save and load again to
 * the very same file, or a restart would change the configuration.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jansson.h>

#include "axis_mqtt_conf.h"
#include "axis_mqtt_store.h"


#define FUZZ_SERIAL      "ACCC8E012345"
#define FUZZ_STORE_FILE  "client-" FUZZ_SERIAL ".json"


static char *fuzz_save(const axis_mqtt_state_t *state);
static void fuzz_cleanup(void);
static void fuzz_fail(int line, const char *check, const char *text)
    __attribute__((noreturn));


#define fuzz_check(cond, text)                                               \
    do {                                                                     \
        if (!(cond)) {                                                       \
            fuzz_fail(__LINE__, #cond, text);                                \
        }                                                                    \
    } while (0)


/* the real writer and reader, in a private directory: tmpfs if there is */
static char  fuzz_dir[64];
static char  fuzz_file[128];


int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char  *base;

    base = (access("/dev/shm", W_OK) == 0) ? "/dev/shm" : "/tmp";

    snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/fuzz-store.XXXXXX", base);

    if (mkdtemp(fuzz_dir) == NULL) {
        perror("mkdtemp");
        exit(1);
    }

    snprintf(fuzz_file, sizeof(fuzz_file), "%s/%s", fuzz_dir,
             FUZZ_STORE_FILE);

    atexit(fuzz_cleanup);

    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                 rc;
    char               *first, *second;
    axis_mqtt_error_t   err;
    axis_mqtt_state_t   state, again;

    memset(&err, 0, sizeof(axis_mqtt_error_t));

    if (axis_mqtt_store_parse(&state, (const char *) data, size, FUZZ_SERIAL,
                              &err)
        != 0)
    {
        fuzz_check(err.code != AXIS_MQTT_OK, NULL);
        fuzz_check(memchr(err.message, '\0', sizeof(err.message)) != NULL,
                   NULL);
        return 0;
    }

    fuzz_check(state.active == 0 || state.active == 1, NULL);

    /* saved, loaded and saved again: the same file */

    first = fuzz_save(&state);

    memset(&err, 0, sizeof(axis_mqtt_error_t));
    rc = axis_mqtt_store_load(fuzz_dir, FUZZ_STORE_FILE, &again, FUZZ_SERIAL,
                              &err);

    fuzz_check(rc == 1, err.code ? err.message : first);
    fuzz_check(again.active == state.active, first);

    second = fuzz_save(&again);

    if (strcmp(first, second) != 0) {
        fprintf(stderr, "first:  %s\nsecond: %s\n", first, second);
        fuzz_check(strcmp(first, second) == 0, NULL);
    }

    free(first);
    free(second);

    return 0;
}


/* axis_mqtt_store_save(), and the text it wrote */

static char *
fuzz_save(const axis_mqtt_state_t *state)
{
    char               *text;
    long                len;
    FILE               *f;
    axis_mqtt_error_t   err;

    memset(&err, 0, sizeof(axis_mqtt_error_t));

    fuzz_check(axis_mqtt_store_save(fuzz_dir, FUZZ_STORE_FILE, state, &err)
               == 0,
               err.message);

    f = fopen(fuzz_file, "r");
    fuzz_check(f != NULL, fuzz_file);

    fuzz_check(fseek(f, 0, SEEK_END) == 0, fuzz_file);

    len = ftell(f);
    fuzz_check(len > 0, fuzz_file);

    rewind(f);

    text = malloc(len + 1);
    fuzz_check(text != NULL, NULL);
    fuzz_check(fread(text, 1, len, f) == (size_t) len, fuzz_file);

    text[len] = '\0';
    fclose(f);

    return text;
}


static void
fuzz_cleanup(void)
{
    (void) unlink(fuzz_file);
    (void) rmdir(fuzz_dir);
}


static void
fuzz_fail(int line, const char *check, const char *text)
{
    fprintf(stderr, "\nINVARIANT VIOLATED (fuzz_store.c:%d): %s\n",
            line, check);

    if (text != NULL) {
        fprintf(stderr, "  detail: %s\n", text);
    }

    abort();
}

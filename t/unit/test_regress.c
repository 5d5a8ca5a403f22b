
/*
 * Inputs the fuzzers found, kept in t/unit/regress/: each must still be
 * answered with valid JSON carrying exactly one of data and error.
 */

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "unit.h"


/* the binary runs from build/, beside t/ */
#define T_REGRESS_DIR  "../t/unit/regress"


static char *
t_read_file(const char *path, size_t *len)
{
    FILE  *f;
    char  *buf;
    long   size;

    f = fopen(path, "rb");
    assert_non_null(f);

    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    size = ftell(f);
    assert_true(size >= 0);
    rewind(f);

    buf = malloc(size + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, size, f), (size_t) size);
    fclose(f);

    *len = size;
    return buf;
}


static void
test_regress_requests(void **unused)
{
    DIR            *dir;
    int             n;
    char           *body, path[512];
    size_t          len;
    json_t         *resp;
    struct dirent  *de;

    dir = opendir(T_REGRESS_DIR);
    assert_non_null(dir);

    n = 0;

    while ((de = readdir(dir)) != NULL) {
        if (strncmp(de->d_name, "request-", 8) != 0) {
            continue;
        }

        snprintf(path, sizeof(path), "%s/%s", T_REGRESS_DIR, de->d_name);
        body = t_read_file(path, &len);

        /* t_call_len fails the test unless the answer is such JSON */
        resp = t_call_len(body, len, 1);
        assert_true(t_code(resp) >= 2100);

        json_decref(resp);
        free(body);
        n++;
    }

    closedir(dir);

    assert_true(n > 0);
}


int
t_run_regress_tests(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_regress_requests),
    };

    return cmocka_run_group_tests_name("fuzzer findings", tests, NULL, NULL);
}

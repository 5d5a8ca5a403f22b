/*
 * The floor under configureClient: the same durable replace the module's
 * store does (axis_mqtt_store_save: write a temp file, fsync, rename over,
 * fsync the directory), without nginx, JSON or the shared zone.
 *
 *     fsync_baseline <dir> <bytes> <count>
 *
 * Prints the time of each of <count> replaces of a <bytes>-byte file in
 * <dir>, in microseconds, one a line: bench/bench.pl interleaves runs of it
 * with configureClient requests and computes the percentiles of both.
 */

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>


static void
die(const char *what, const char *path)
{
    perror(path ? path : what);
    exit(1);
}


static double
now_us(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}


int
main(int argc, char **argv)
{
    int      i, n, fd, dfd;
    char     path[4096], temp[4096], *text;
    size_t   size;
    double   t0;

    if (argc != 4) {
        fprintf(stderr, "usage: %s <dir> <bytes> <count>\n", argv[0]);
        return 2;
    }

    size = strtoul(argv[2], NULL, 10);
    n = atoi(argv[3]);

    if (size < 1 || n < 1) {
        fprintf(stderr, "bytes and count must be positive\n");
        return 2;
    }

    /* own names: the module's client.json in the same dir stays untouched */
    snprintf(path, sizeof(path), "%s/baseline.json", argv[1]);
    snprintf(temp, sizeof(temp), "%s/.baseline.json.tmp", argv[1]);

    text = malloc(size);
    if (text == NULL) {
        die("malloc", NULL);
    }

    memset(text, 'x', size);

    for (i = 0; i < n; i++) {
        t0 = now_us();

        /* the store's syscalls, in its order: body and newline separately */
        fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd == -1
            || fchmod(fd, 0600) == -1
            || write(fd, text, size - 1) != (ssize_t) (size - 1)
            || write(fd, "\n", 1) != 1
            || fsync(fd) == -1
            || close(fd) == -1)
        {
            die("write", temp);
        }

        if (rename(temp, path) == -1) {
            die("rename", path);
        }

        dfd = open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd == -1 || fsync(dfd) == -1 || close(dfd) == -1) {
            die("fsync", argv[1]);
        }

        printf("%.0f\n", now_us() - t0);
    }

    unlink(path);
    free(text);

    return 0;
}

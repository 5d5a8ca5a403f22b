#!/usr/bin/env bash
# nginx under valgrind (memcheck, or a thread checker), for the test harness:
#
#   TEST_NGINX_BINARY=$PWD/bench/valgrind-nginx.sh prove t/...
#
# t/lib/Test/AxisNginx.pm runs $TEST_NGINX_BINARY with nginx's own arguments
# (-p, -c, -e, maybe -t); this script execs valgrind in the same process, so
# the pid the harness waits for and signals is the nginx master, and the
# workers are its children as usual.  One log per process (master, each
# worker, each `nginx -t`): <dir>/vg.<pid>.log, dir from AXIS_MQTT_VG_DIR.
#
#   AXIS_MQTT_VG_DIR        where the logs go (default: bench/work-valgrind/logs)
#   AXIS_MQTT_VG_EXITCODE   exit status when memcheck found errors (default
#                           99; 0 = the program's own status)
#   AXIS_MQTT_VG_NGINX      the nginx binary (default /usr/sbin/nginx)
#   AXIS_MQTT_VG_ARGS       more valgrind options, split on blanks
#   AXIS_MQTT_VG_TOOL       memcheck (default), drd or helgrind: the thread
#                           checkers report races and lock misuse between
#                           the event loop, the bridge thread and Paho's
#
# --keep-debuginfo: a reload dlclose()s the old cycle's modules; the stacks
# of blocks allocated by them must still name file:line.
set -eu

bench=$(cd "$(dirname "$0")" && pwd)
dir=${AXIS_MQTT_VG_DIR:-$bench/work-valgrind/logs}
mkdir -p "$dir"

tool=${AXIS_MQTT_VG_TOOL:-memcheck}
case "$tool" in
    memcheck) checks="--leak-check=full --show-leak-kinds=definite
                      --errors-for-leak-kinds=definite --track-origins=yes" ;;
    drd)      checks="--check-stack-var=no --segment-merging=yes" ;;
    helgrind) checks="--history-level=approx" ;;
    *)        echo "valgrind-nginx.sh: no tool $tool" >&2; exit 2 ;;
esac

# shellcheck disable=SC2086
exec valgrind --tool="$tool" --trace-children=yes $checks \
    --error-exitcode="${AXIS_MQTT_VG_EXITCODE:-99}" \
    --num-callers=30 --keep-debuginfo=yes \
    --log-file="$dir/vg.%p.log" \
    ${AXIS_MQTT_VG_ARGS:-} \
    "${AXIS_MQTT_VG_NGINX:-/usr/sbin/nginx}" "$@"

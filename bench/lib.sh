# shellcheck shell=bash
# Helpers shared by bench/run.sh and bench/soak.sh; sourced, not run.
#
# Both scripts start their own mosquitto and nginx on free loopback ports,
# everything under $work (which the caller sets before calling any of these),
# and stop all of it on any exit.  This file holds what the two do the same
# way; what they do differently (how the broker logs, what nginx serves, what
# is measured and reported) stays in each script.
#
# The caller keeps the pids of what it started in nginx_pid, plain_pid,
# broker_pid and the array client_pids (empty when nothing runs): cleanup
# stops whatever they name at exit.

log() { printf '==> %s\n' "$*" >&2; }   # text...: a progress line on stderr

require_tools() {   # who hint tool...: exit 1 on the first tool not on PATH
    local who=$1 hint=$2 tool
    shift 2
    for tool in "$@"; do
        command -v "$tool" > /dev/null \
            || { echo "$who: $tool is missing ($hint)" >&2; exit 1; }
    done
}

invocation_of() {   # build.sh-command script: how we were called, for the report
    if tr '\0' ' ' < /proc/$PPID/cmdline 2>/dev/null | grep -q "build.sh $1"; then
        echo "./build.sh $1"
    else
        echo "bash bench/$2"
    fi
}


# --- processes: everything started here is stopped on any exit ----------

stop_pid() {    # pid [signal]: stop one process we started and reap it
    local pid=$1 sig=${2:-TERM}
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    kill "-$sig" "$pid" 2>/dev/null || true
    # a QUIT lets the owner disconnect cleanly; give it 5 s, then insist
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# what cleanup stops: each script sets these as it starts and stops things
nginx_pid="" plain_pid="" broker_pid="" client_pids=()

cleanup() {     # the EXIT trap: the clients, then nginx (QUIT), then the broker
    trap - EXIT INT TERM
    local pid
    for pid in "${client_pids[@]}"; do
        stop_pid "$pid"
    done
    stop_pid "$nginx_pid" QUIT
    stop_pid "$plain_pid" QUIT
    stop_pid "$broker_pid"
}

stop_on_exit() {    # run cleanup on any exit; INT and TERM exit as a shell would
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
}

make_work() {   # a new empty $work with logs/, tmp/ and state/ (0700, as installed)
    rm -rf "${work:?}"
    mkdir -p "$work/logs" "$work/tmp" "$work/state"
    chmod 0700 "$work/state"
}

free_ports() {  # n: n distinct free loopback ports on one line
    # all bound at once, then released, so that no two are the same
    perl -MIO::Socket::INET -e '
        my @s = map { IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1:0")
                      or die "bind: $!\n" } 1 .. $ARGV[0];
        print join(" ", map { $_->sockport } @s), "\n"' "$1"
}

wait_port() {   # port [seconds]: until something accepts on 127.0.0.1:port (5 s)
    perl -MIO::Socket::INET -MTime::HiRes=sleep -e '
        for (1 .. $ARGV[1] * 100) {
            exit 0 if IO::Socket::INET->new("127.0.0.1:$ARGV[0]");
            sleep 0.01;
        }
        die "nothing listens on port $ARGV[0]\n"' "$1" "${2:-5}"
}

workers_of() {  # master pid: its live children (the workers), one a line, sorted
    # a worker that has exited (a reload) but is not reaped yet is a zombie:
    # not counted
    local f pid state ppid
    for f in /proc/[0-9]*/stat; do
        read -r pid _ state ppid _ < "$f" 2>/dev/null || continue
        if [ "$ppid" = "$1" ] && [ "$state" != Z ]; then
            echo "$pid"
        fi
    done 2>/dev/null | sort -n
}


# --- configs and servers ----------------------------------------------------

# As root, nginx's workers would switch to nobody and mosquitto to its own
# user, neither of whom may write under $work (state/ is 0700): both stay root.
nginx_user="" broker_user=""
if [ "$(id -u)" -eq 0 ]; then
    nginx_user="user root;"
    broker_user="user root"
fi

write_broker_conf() {   # port < log settings: $work/mosquitto.conf, anonymous on loopback
    {
        cat <<EOF
listener             $1 127.0.0.1
allow_anonymous      true
persistence          false
EOF
        cat
        echo "$broker_user"
    } > "$work/mosquitto.conf"
}

launch_broker() {    # port: mosquitto on $work/mosquitto.conf, its pid in broker_pid
    mosquitto -c "$work/mosquitto.conf" >> "$work/logs/mosquitto.stderr" 2>&1 &
    broker_pid=$!
    wait_port "$1" 10
}

start_stand_in_camera() {   # port: the tests' camera (Digest, gateway / $work/camera.pass) in client_pids
    python3 "$repo/t/lib/camera/camera.py" --port "$1" \
        --user gateway --password bench-pass > "$work/logs/camera.log" 2>&1 &
    client_pids+=($!)
    wait_port "$1" 10
    printf 'bench-pass\n' > "$work/camera.pass"
    chmod 0600 "$work/camera.pass"
}

# Access logs are off: a log write per request would dilute what is measured
# (and be the same for the module and any reference).  The temp paths keep
# nginx out of its compiled-in prefix, which we may not write to.
write_nginx_conf() {    # name workers connections log-level [module] < http{} body: $work/name.conf
    local name=$1 workers=$2 connections=$3 level=$4 module=${5:-}
    {
        cat <<EOF
daemon            off;
master_process    on;
worker_processes  $workers;
$nginx_user
error_log  $work/logs/$name-error.log $level;
pid        $work/logs/$name.pid;

${module:+load_module  $module;}

events {
    worker_connections  $connections;
}

http {
    access_log             off;
    client_body_temp_path  $work/tmp/body;
    proxy_temp_path        $work/tmp/proxy;
    fastcgi_temp_path      $work/tmp/fastcgi;
    uwsgi_temp_path        $work/tmp/uwsgi;
    scgi_temp_path         $work/tmp/scgi;

EOF
        cat
        echo "}"
    } > "$work/$name.conf"
}

start_nginx() {     # var name port [seconds]: nginx on $work/name.conf, its pid in $var
    # the pid is stored before the wait, so that cleanup stops an nginx that
    # never came up
    nginx -p "$work/" -c "$work/$2.conf" -e "$work/logs/$2-error.log" &
    printf -v "$1" '%s' "$!"
    wait_port "$3" "${4:-5}" || { cat "$work/logs/$2-error.log" >&2; return 1; }
}

cpu_model() { awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo; }   # for the report

#!/usr/bin/env bash
# Many devices on one gateway (issue 9), on loopback: for each count in
# SCALE_DEVICES ("1 16 256"), nginx with 2 workers and one server (port)
# per device, one mosquitto; every device configured (plain tcp, connect
# message and last will) and activated through its own server, then:
#
#   - activation: seconds from the first activateClient until the broker
#     has a connection per device;
#   - start: nginx stopped and started again (the state is persisted):
#     seconds until every device is connected;
#   - broker restart: seconds from the broker listening again until every
#     device is connected; the first and the last reconnection (the retries'
#     jitter spreads them); connections at rest 3 s later;
#   - reload: a takeover or a last will at the broker (none expected), and
#     seconds until every device is back;
#   - getClientStatus of the last device with wrk (2 threads, 32 connections,
#     4 s, the better of two runs after a warm-up) against \`return 200\` of
#     the same bytes in the same server;
#   - RSS of the owner worker and of the other worker, active (private
#     and zone pages), and of a worker of the same servers without the
#     module (nginx's own cost of a server block).
#
# Connections are counted with ss (ESTABLISHED to the broker's port).
# Prints a table and writes bench/SCALE.md.  Usually called by
# `./build.sh bench` (after bench/run.sh).  No thresholds.
set -euo pipefail

bench=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$bench")
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$bench/lib.sh"
module=$repo/build/ngx_http_axis_mqtt_module.so
work=$bench/work-scale
counts=${SCALE_DEVICES:-1 16 256}

require_tools scale "./build.sh deps" nginx mosquitto curl ss perl bc wrk
[ -f "$module" ] || "$repo/build.sh" build
invocation=$(invocation_of bench scale.sh)

stop_on_exit

now() { perl -MTime::HiRes=time -e 'printf "%.3f\n", time'; }
since() { echo "$(now) - $1" | bc; }

connections() {     # ESTABLISHED connections to the broker
    ss -Htn state established "( sport = :$mqtt_port )" | wc -l
}

wait_connections() {    # n seconds: until n connections (or the time is up)
    local deadline
    deadline=$(echo "$(now) + $2" | bc)
    while [ "$(connections)" -ne "$1" ] \
          && [ "$(echo "$(now) < $deadline" | bc)" = 1 ]; do
        sleep 0.02
    done
    [ "$(connections)" -eq "$1" ]
}

# "RSS (private + shared)": the zone is the shared part
rss() {
    awk '/^VmRSS:/ { t = $2 } /^RssAnon:/ { a = $2 } /^RssShmem:/ { s = $2 }
         END { printf "%d (%d + %d)", t, a, s }' "/proc/$1/status"
}

owner_of() {
    grep -o 'process [0-9]* owns' "$work/logs/nginx-error.log" | tail -1 | awk '{ print $2 }'
}

rows=""

for n in $counts; do
    make_work
    # free ports, all bound at once: the broker's, then one per device
    read -r -a ports <<< "$(free_ports $((n + 1)))"
    mqtt_port=${ports[$n]}
    port() { echo "${ports[$1 - 1]}"; }

    write_broker_conf "$mqtt_port" <<EOF
max_connections      -1
log_dest             file $work/logs/mosquitto.log
log_type             notice
log_type             information
EOF

    {
        for i in $(seq 1 "$n"); do
            printf 'server { listen 127.0.0.1:%d; axis_mqtt_serial SCALE%05d;\n' \
                "$(port "$i")" "$i"
            printf '         location = /c { axis_mqtt_client; }\n'
            [ "$i" -eq "$n" ] && printf '         include %s/ceiling.conf;\n' "$work"
            printf '}\n'
        done
        echo "axis_mqtt_state_dir $work/state;"
    } | write_nginx_conf nginx 2 4096 info "$module"

    # the ceiling's body is known once the device runs: empty for now
    echo 'location = /ceiling { return 200 ""; }' > "$work/ceiling.conf"
    launch_broker "$mqtt_port"
    start_nginx nginx_pid nginx "$(port 1)" 10

    log "$n devices: configure and activate"
    for i in $(seq 1 "$n"); do
        curl -s -o /dev/null "http://127.0.0.1:$(port "$i")/c" -d '{"apiVersion":"1.0","method":"configureClient","params":{"server":{"protocol":"tcp","host":"127.0.0.1","port":'"$mqtt_port"'},"connectMessage":{"useDefault":true},"lastWillTestament":{"useDefault":true}}}'
    done
    t0=$(now)
    for i in $(seq 1 "$n"); do
        curl -s -o /dev/null "http://127.0.0.1:$(port "$i")/c" \
            -d '{"apiVersion":"1.0","method":"activateClient"}'
    done
    wait_connections "$n" 30 || log "not all connected: $(connections)"
    activation=$(since "$t0")
    owner=$(owner_of)
    other=$(workers_of "$nginx_pid" | grep -v "^$owner$" | head -1)
    rss_owner=$(rss "$owner") rss_other=$(rss "$other")
    owner_kb=${rss_owner%% *} other_kb=${rss_other%% *}
    if [ -z "${first_n:-}" ]; then
        first_n=$n first_owner_kb=$owner_kb first_other_kb=$other_kb
    fi
    last_n=$n last_owner_kb=$owner_kb last_other_kb=$other_kb

    # the last device's status, as the ceiling will serve it
    status_url="http://127.0.0.1:$(port "$n")"
    curl -s -o "$work/status.json" "$status_url/c" \
        -d '{"apiVersion":"1.0","context":"bench","method":"getClientStatus"}'
    printf "location = /ceiling {\n    default_type  application/json;\n    return 200 '%s\n';\n}\n" \
        "$(cat "$work/status.json")" > "$work/ceiling.conf"

    log "$n devices: restart of nginx"
    stop_pid "$nginx_pid" QUIT
    wait_connections 0 10 || true
    t0=$(now)
    start_nginx nginx_pid nginx "$(port 1)" 10
    wait_connections "$n" 30 || log "not all connected: $(connections)"
    start_time=$(since "$t0")

    log "$n devices: getClientStatus with wrk"
    rps() {     # url: req/s of a 4 s wrk run
        wrk -t2 -c32 -d4s -s "$bench/status.lua" "$1" \
            | awk '/^Requests\/sec:/ { printf "%.0f", $2 }'
    }
    rps "$status_url/c" > /dev/null            # warm-up of both
    rps "$status_url/ceiling" > /dev/null
    # in turns, the better of two each: the machine's noise hits both
    module_rps=$(printf '%s\n%s\n' "$(rps "$status_url/c")" \
                 "$(rps "$status_url/c")" | sort -n | tail -1)
    ceiling_rps=$(printf '%s\n%s\n' "$(rps "$status_url/ceiling")" \
                  "$(rps "$status_url/ceiling")" | sort -n | tail -1)
    curl -s -o "$work/status-after.json" "$status_url/c" \
        -d '{"apiVersion":"1.0","context":"bench","method":"getClientStatus"}'
    cmp -s "$work/status.json" "$work/status-after.json" \
        || log "the status changed under wrk: the ceiling is not the same bytes"
    ratio=$(echo "scale=2; $module_rps / $ceiling_rps" | bc)

    log "$n devices: broker restart"
    stop_pid "$broker_pid"
    wait_connections 0 10 || true
    mark=$(wc -l < "$work/logs/mosquitto.log")
    launch_broker "$mqtt_port"
    t0=$(now)
    wait_connections "$n" 60 || log "not all connected: $(connections)"
    restart=$(since "$t0")
    # first and last "New client connected" after the restart, in s (1 s steps)
    spread=$(tail -n +"$mark" "$work/logs/mosquitto.log" \
             | awk '/New client connected/ { t = $1 + 0; if (!f) f = t; l = t }
                    END { print (l - f) }')
    sleep 3
    at_rest=$(connections)

    log "$n devices: reload"
    mark=$(wc -l < "$work/logs/mosquitto.log")
    t0=$(now)
    kill -HUP "$nginx_pid"
    # every device connected again: n new connections at the broker
    deadline=$(echo "$t0 + 30" | bc)
    while [ "$(tail -n +"$mark" "$work/logs/mosquitto.log" | grep -c 'New client connected' || true)" -lt "$n" ] \
          && [ "$(echo "$(now) < $deadline" | bc)" = 1 ]; do
        sleep 0.02
    done
    reload=$(since "$t0")
    wait_connections "$n" 10 || log "not all connected: $(connections)"
    takeovers=$(tail -n +"$mark" "$work/logs/mosquitto.log" \
                | grep -c 'already connected, closing old connection' || true)
    unclean=$(tail -n +"$mark" "$work/logs/mosquitto.log" \
              | grep -c 'closed its connection\|exceeded timeout' || true)

    stop_pid "$nginx_pid" QUIT
    stop_pid "$broker_pid"
    nginx_pid="" broker_pid=""

    log "$n devices: the same servers without the module"
    {
        for i in $(seq 1 "$n"); do
            printf 'server { listen 127.0.0.1:%d;\n' "$(port "$i")"
            printf '         location = /c { return 200 "{}"; } }\n'
        done
    } | write_nginx_conf plain 2 4096 info
    start_nginx nginx_pid plain "$(port 1)" 10
    for i in $(seq 1 "$n"); do
        curl -s -o /dev/null "http://127.0.0.1:$(port "$i")/c" -d '{}'
        curl -s -o /dev/null "http://127.0.0.1:$(port "$i")/c" -d '{}'
    done
    rss_plain=$(for w in $(workers_of "$nginx_pid"); do rss "$w"; echo; done \
                | sort -n | tail -1)
    plain_kb=${rss_plain%% *}
    [ "$n" = "$first_n" ] && first_plain_kb=$plain_kb
    last_plain_kb=$plain_kb
    stop_pid "$nginx_pid" QUIT
    nginx_pid=""

    row="| $n | $activation | $start_time | $restart (spread $spread s) | $at_rest | $reload | $takeovers / $unclean | $module_rps / $ceiling_rps = $ratio | $rss_owner | $rss_other | $rss_plain |"
    echo "$row"
    rows+="$row"$'\n'
done

per_device=""
if [ "$last_n" -gt "$first_n" ]; then
    per_device="Per additional device ($first_n to $last_n devices): owner worker \
$(( (last_owner_kb - first_owner_kb) / (last_n - first_n) )) KB, other worker \
$(( (last_other_kb - first_other_kb) / (last_n - first_n) )) KB, a worker of the \
same servers without the module $(( (last_plain_kb - first_plain_kb) / (last_n - first_n) )) KB \
(RSS, the zone's pages included; the goal is 64 KB for the owner, and \
the other worker flat but for the zone)."
fi

table="| devices | activation: all connected (s) | nginx start: all connected (s) | broker restart: all back (s) | connections at rest | reload: all back (s) | takeovers / unclean closes at reload | getClientStatus req/s: module / ceiling | owner RSS KB (private + zone) | other worker RSS KB (private + zone) | worker RSS KB without the module |
|---|---|---|---|---|---|---|---|---|---|---|
$rows"

cat > "$bench/SCALE.md" <<EOF
# Many devices on one gateway

Machine: $(cpu_model), $(nproc) CPUs; nginx $(nginx -v 2>&1 | sed 's|.*/||'), $(mosquitto -h 2>/dev/null | head -1 | sed 's/ (build.*//').
Date: $(date -u '+%Y-%m-%d %H:%M UTC'); checkout $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown).
Command: \`$invocation\` (bench/scale.sh, SCALE_DEVICES="$counts").

nginx with 2 workers and a server per device, one mosquitto, loopback; every device plain tcp
with the connect message and the last will.  Times are from the first activateClient, from
starting nginx on the saved state, from the broker listening again, from the SIGHUP.  The
spread is between the first and the last reconnection the broker logged (1 s resolution).
An "unclean close" is a connection the broker saw end without DISCONNECT.

$table

$per_device
EOF
printf '\n%s\n%s\n' "$table" "$per_device"
log "wrote bench/SCALE.md"

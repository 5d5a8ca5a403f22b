#!/usr/bin/env bash
# Camera events through the gateway (issue 10), on loopback, with the
# stand-in camera (t/lib/camera/camera.py, Digest), one mosquitto and
# nginx with 2 workers:
#
#   - latency: from the moment the stand-in camera answers the gateway's
#     pull with an event until a subscriber has it (the gateway's part and
#     the broker's), against the same payload published with mosquitto_pub
#     (from its start), N=$EVENTS_N each, p50 and p99; and the same from
#     the curl that makes the event at the stand-in camera (Python);
#   - burst: $EVENTS_BURST stateless events at once at the camera, which
#     every device (1, then 16, each with its own subscription and a //.
#     filter at QoS 1) publishes: messages received of expected, in order
#     per device, events/s, and the owner's RSS before and after.
#
# Writes bench/EVENTS.md.  Usually called by `./build.sh bench`.  No
# thresholds: benchmarks, not tests.
set -euo pipefail

bench=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$bench")
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$bench/lib.sh"
module=$repo/build/ngx_http_axis_mqtt_module.so
work=$bench/work-events
latency_n=${EVENTS_N:-30}
burst_n=${EVENTS_BURST:-10000}
counts=${EVENTS_DEVICES:-1 16}

require_tools events "./build.sh deps" nginx mosquitto mosquitto_sub \
    mosquitto_pub curl python3
[ -f "$module" ] || "$repo/build.sh" build
invocation=$(invocation_of bench events.sh)

stop_on_exit
make_work
cp "$module" "$work/"
module=$work/$(basename "$module")

rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
owner_of() {
    grep -o 'process [0-9]* owns' "$work/logs/nginx-error.log" | tail -1 | awk '{ print $2 }'
}

rows=""
latency_row=""

for n in $counts; do
    read -r -a ports <<< "$(free_ports $((n + 2)))"
    mqtt_port=${ports[$n]}
    camera_port=${ports[$((n + 1))]}
    camera=http://127.0.0.1:$camera_port

    write_broker_conf "$mqtt_port" <<CONF
max_queued_messages  0
log_dest             file $work/logs/mosquitto.log
log_type             error
CONF
    launch_broker "$mqtt_port"

    start_stand_in_camera "$camera_port"

    {
        echo "axis_mqtt_state_dir $work/state;"
        echo "axis_mqtt_camera $camera user=gateway password_file=$work/camera.pass;"
        for i in $(seq 1 "$n"); do
            printf 'server { listen 127.0.0.1:%d; axis_mqtt_serial BENCH%03d;\n' \
                "${ports[$((i - 1))]}" "$i"
            printf '         location = /c { axis_mqtt_client; }\n'
            printf '         location = /e { axis_mqtt_event_bridge; } }\n'
        done
    } | write_nginx_conf nginx 2 4096 info "$module"
    start_nginx nginx_pid nginx "${ports[0]}" 10

    log "$n devices: configure, publish, activate"
    for i in $(seq 1 "$n"); do
        url=http://127.0.0.1:${ports[$((i - 1))]}
        curl -s -o /dev/null "$url/c" -d '{"apiVersion":"1.0","method":"configureClient","params":{"server":{"protocol":"tcp","host":"127.0.0.1","port":'"$mqtt_port"'},"deviceTopicPrefix":"bench/dev'"$i"'"}}'
        curl -s -o /dev/null "$url/e" -d '{"apiVersion":"1.0","method":"configureEventPublication","params":{"eventFilterList":[{"topicFilter":"//.","qos":1}]}}'
        curl -s -o /dev/null "$url/c" -d '{"apiVersion":"1.0","method":"activateClient"}'
    done

    # every device settled: subscribed, connected, and subscribed again
    # for its connection (the states anew: once its first pull is back)
    deadline=$((SECONDS + 40))
    while [ "$(curl -s "$camera/test/calls" | grep -o '"CreatePullPointSubscription", "auth": true' | wc -l)" -lt $((2 * n)) ] \
          && [ "$SECONDS" -lt "$deadline" ]; do
        sleep 0.2
    done
    sleep 1

    if [ -z "$latency_row" ]; then
        log "$n device: event latency, x$latency_n"
        read -r mod50 mod99 e2e50 e2e99 ref50 ref99 <<< \
            "$(python3 "$bench/events.py" latency "$camera" "$mqtt_port" \
                   'bench/dev1/event/tns:axis/Storage/Alert' "$latency_n")"
        latency_row="| the camera's answer to a pull -> subscriber, p50 / p99 (N=$latency_n) | $mod50 / $mod99 ms | $ref50 / $ref99 ms (mosquitto_pub -q 1 start -> subscriber, same payload) | $(echo "$mod50 - $ref50" | bc) ms (p50) |
| the same from the curl that makes the event at the stand-in camera | $e2e50 / $e2e99 ms | | |"
    fi

    owner=$(owner_of)
    rss_before=$(rss "$owner")
    log "$n devices: a burst of $burst_n events"
    out=$(python3 "$bench/events.py" burst "$camera" "$mqtt_port" bench/dev "$n" "$burst_n" 2>&1) \
        || log "the burst failed: $out"
    read -r received expected in_order seconds rate <<< "$out"
    sleep 1
    rss_after=$(rss "$owner")

    row="| $n | $burst_n x $n = $expected | $received | $in_order | $seconds | $rate | $rss_before -> $rss_after |"
    echo "$row"
    rows+="$row"$'\n'

    stop_pid "$nginx_pid" QUIT
    stop_pid "${client_pids[0]}"
    stop_pid "$broker_pid"
    nginx_pid="" broker_pid="" client_pids=()
done

table="| measurement | module | reference | difference |
|---|---|---|---|
$latency_row

| devices | messages expected (QoS 1) | received | in order per device | seconds | messages/s | owner RSS KB before -> after |
|---|---|---|---|---|---|---|
$rows"

cat > "$bench/EVENTS.md" <<DOC
# Camera events through the gateway

Machine: $(cpu_model), $(nproc) CPUs; nginx $(nginx -v 2>&1 | sed 's|.*/||'), $(mosquitto -h 2>/dev/null | head -1 | sed 's/ (build.*//').
Date: $(date -u '+%Y-%m-%d %H:%M UTC'); checkout $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown).
Command: \`$invocation\` (bench/events.sh, EVENTS_DEVICES="$counts", EVENTS_BURST=$burst_n).

The stand-in camera (t/lib/camera/camera.py, Python, HTTP Digest) on loopback, one mosquitto,
nginx with 2 workers.  Latency: from the stand-in camera's answer to the gateway's waiting pull
(wall clock, recorded by the camera) to the subscriber's line, against mosquitto_pub's start to
the subscriber's line; the second row adds the stand-in camera itself (curl's start, Python's
HTTP server).  Burst: the camera queues the events at once; the gateway pulls them 100 at a time and
every device publishes each at QoS 1 to a subscriber at QoS 1.

$table
DOC
printf '\n%s\n' "$table"
log "wrote bench/EVENTS.md"

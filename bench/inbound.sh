#!/usr/bin/env bash
# MQTT to camera through the gateway (issue 11), on loopback, with the
# stand-in camera (t/lib/camera/camera.py, Digest), one mosquitto and
# nginx with 2 workers: the latency from a state message's publication
# (a running mosquitto_pub, QoS 1) to the virtual input call it makes at
# the camera, against the broker's hop alone (the same message to a
# subscriber), N=$INBOUND_N, p50 and p99.
#
# Writes bench/INBOUND.md.  Usually called by `./build.sh bench`.  No
# thresholds: benchmarks, not tests.
set -euo pipefail

bench=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$bench")
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$bench/lib.sh"
module=$repo/build/ngx_http_axis_mqtt_module.so
work=$bench/work-inbound
n=${INBOUND_N:-200}

require_tools inbound "./build.sh deps" nginx mosquitto mosquitto_sub \
    mosquitto_pub curl python3
[ -f "$module" ] || "$repo/build.sh" build
invocation=$(invocation_of bench inbound.sh)

stop_on_exit
make_work
cp "$module" "$work/"
module=$work/$(basename "$module")

read -r http_port mqtt_port camera_port <<< "$(free_ports 3)"
camera=http://127.0.0.1:$camera_port

write_broker_conf "$mqtt_port" <<CONF
log_dest             file $work/logs/mosquitto.log
log_type             error
CONF
launch_broker "$mqtt_port"

start_stand_in_camera "$camera_port"

{
    echo "axis_mqtt_state_dir $work/state;"
    printf 'server { listen 127.0.0.1:%d; axis_mqtt_serial BENCH001;\n' "$http_port"
    printf '         axis_mqtt_camera %s user=gateway password_file=%s;\n' \
        "$camera" "$work/camera.pass"
    printf '         location = /c { axis_mqtt_client; }\n'
    printf '         location = /e { axis_mqtt_event_bridge; } }\n'
} | write_nginx_conf nginx 2 1024 info "$module"
start_nginx nginx_pid nginx "$http_port" 10

url=http://127.0.0.1:$http_port
curl -s -o /dev/null "$url/c" -d '{"apiVersion":"1.0","method":"configureClient","params":{"server":{"protocol":"tcp","host":"127.0.0.1","port":'"$mqtt_port"'}}}'
curl -s -o /dev/null "$url/e" -d '{"apiVersion":"1.1","method":"configureMqttSubscription","params":{"mqttFilterList":[{"topicFilter":"bench/door","isStateData":true,"virtualInput":1,"qos":1}]}}'
curl -s -o /dev/null "$url/c" -d '{"apiVersion":"1.0","method":"activateClient"}'

deadline=$((SECONDS + 20))
until curl -s "$url/c" -d '{"apiVersion":"1.0","method":"getClientStatus"}' \
        | grep -q '"connected"'; do
    [ "$SECONDS" -lt "$deadline" ] || { log "the device did not connect"; exit 1; }
    sleep 0.1
done
sleep 0.5

log "message -> virtual input call, x$n"
read -r mod50 mod99 ref50 ref99 <<< \
    "$(python3 "$bench/inbound.py" "$camera" "$mqtt_port" bench/door 1 "$n")"

table="| measurement | module | reference | difference |
|---|---|---|---|
| a state's publication -> the virtual input call at the camera, p50 / p99 (N=$n) | $mod50 / $mod99 ms | $ref50 / $ref99 ms (the same publication -> a subscriber) | $(printf "%.1f" "$(echo "$mod50 - $ref50" | bc)") ms (p50) |"

cat > "$bench/INBOUND.md" <<DOC
# MQTT to camera through the gateway

Machine: $(cpu_model), $(nproc) CPUs; nginx $(nginx -v 2>&1 | sed 's|.*/||'), $(mosquitto -h 2>/dev/null | head -1 | sed 's/ (build.*//').
Date: $(date -u '+%Y-%m-%d %H:%M UTC'); checkout $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown).
Command: \`$invocation\` (bench/inbound.sh, INBOUND_N=$n).

The stand-in camera (t/lib/camera/camera.py, Python, HTTP Digest) on loopback, one mosquitto,
nginx with 2 workers, one device subscribed to \`bench/door\` (isStateData, virtualInput 1, QoS 1).
A running \`mosquitto_pub -l\` publishes "on" and "off" in turn, one at a time; the module's
figure runs from the write to mosquitto_pub to the camera's record of the activate.cgi or
deactivate.cgi call (the broker, the gateway's client, bridge and camera threads, libcurl with
Digest: two requests, the first answered 401), the reference's from the same write to a
subscriber's line (the broker alone).

$table
DOC
printf '\n%s\n' "$table"
log "wrote bench/INBOUND.md"

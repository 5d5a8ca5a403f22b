#!/usr/bin/env bash
# Benchmarks of the axis-mqtt module (issue 4), on loopback, in one run:
#
#   1. getClientStatus with wrk        vs the same bytes from `return 200`
#   2. configureClient (fsync'd save)  vs write+fsync+rename+dir fsync in C
#   3. activateClient -> announcement  vs mosquitto_pub -r -> subscriber
#   4. reconnect after a broker restart; the gap of an nginx reload
#   5. RSS per worker                  vs the same nginx without the module
#
# Prints a table and writes bench/RESULTS.md.  Everything runs under
# bench/work/ on free ports and is stopped on any exit.  No thresholds:
# numbers to compare, not a test.  Usually called by `./build.sh bench`.
set -euo pipefail

bench=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$bench")
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$bench/lib.sh"
module=$repo/build/ngx_http_axis_mqtt_module.so
work=$bench/work

# knobs: long enough for stable medians, short enough for ~75 s in all
wrk_args=(-t2 -c32 -d10s --latency)
configure_n=200
announce_n=10
restart_n=5
reload_n=5

serial=ACCC8E012345
client_id=bench-gateway

require_tools bench "./build.sh deps; apt-get install wrk" \
    nginx mosquitto mosquitto_sub mosquitto_pub wrk curl gcc perl stdbuf

# up to date with the sources (a no-op when it is)
"$repo/build.sh" build
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
git -C "$repo" diff --quiet HEAD -- config ngx_http_axis_mqtt_module.c src 2>/dev/null \
    || commit="$commit + uncommitted changes"

invocation=$(invocation_of bench run.sh)


# --- processes: everything started here is stopped on any exit ----------

# their pids go in nginx_pid, plain_pid, broker_pid (cleanup in lib.sh)
stop_on_exit

make_work

# a private copy: a rebuild during the run must not reach the reloads
cp "$module" "$work/"
module=$work/$(basename "$module")

out=$(free_ports 4)
read -r http_port plain_port mqtt_port neighbour_port <<< "$out"

url=http://127.0.0.1:$http_port/axis-cgi/mqtt/client.cgi
ceiling_url=http://127.0.0.1:$http_port/ceiling

wait_workers() {    # master pid: until exactly the 2 new workers remain
    local i
    for i in $(seq 100); do
        [ "$(workers_of "$1" | wc -l)" -eq 2 ] && return 0
        sleep 0.1
    done
    echo "bench: old workers of $1 did not exit" >&2
    return 1
}


# --- configs ------------------------------------------------------------

# The broker logs to stdout, line-buffered (stdbuf), and each line is stamped
# with its arrival time: mosquitto's own log timestamps have whole seconds
# only (log_timestamp_format is strftime, %N is printed as is).
write_broker_conf "$mqtt_port" <<EOF
log_dest             stdout
log_type             all
log_timestamp        false
EOF

start_broker() {
    stdbuf -oL mosquitto -c "$work/mosquitto.conf" \
        > >(perl -MTime::HiRes=time -ne '$| = 1; printf "%.6f %s", time, $_' \
              >> "$work/logs/mosquitto.log") 2>&1 &
    broker_pid=$!
    wait_port "$mqtt_port"
}

# nginx.conf with the module, or the same without it (item 5); access logs
# are off on both sides (lib.sh), so the ratio is the module's own cost
bench_nginx_conf() {    # with|without, port, name
    local with=$1 port=$2 name=$3 load="" http="" location="" neighbour=""
    if [ "$with" = with ]; then
        load=$module
        http="axis_mqtt_state_dir  $work/state;
    axis_mqtt_serial     $serial;"
        location="location = /axis-cgi/mqtt/client.cgi {
            axis_mqtt_client;
        }"
        # a second device, for item 3's activation next to a connected one
        neighbour="server {
        listen  127.0.0.1:$neighbour_port;
        axis_mqtt_serial  ${serial}N;
        location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
    }"
    fi
    write_nginx_conf "$name" 2 256 notice "$load" <<EOF
    $http

    server {
        listen  127.0.0.1:$port;

        $location

        include  $work/ceiling.conf;
    }

    $neighbour
EOF
}

api() {     # JSON body -> answer
    curl -sf -H 'Content-Type: application/json' -d "$1" "$url"
}

configure_body='{"apiVersion":"1.0","context":"bench","method":"configureClient","params":{"server":{"protocol":"tcp","host":"127.0.0.1","port":'$mqtt_port'},"clientId":"'$client_id'","keepAliveInterval":60,"lastWillTestament":{"useDefault":true},"connectMessage":{"useDefault":true},"disconnectMessage":{"useDefault":true}}}'
status_body='{"apiVersion":"1.0","context":"bench","method":"getClientStatus"}'

gcc -O2 -Wall -Wextra -o "$work/fsync_baseline" "$bench/fsync_baseline.c"

log "broker on :$mqtt_port, nginx on :$http_port (logs in bench/work/logs)"
start_broker
# the ceiling's body is known only once the client runs: empty for now
echo 'location = /ceiling { return 200 ""; }' > "$work/ceiling.conf"
bench_nginx_conf with "$http_port" nginx
start_nginx nginx_pid nginx "$http_port"

api "$configure_body" > /dev/null
api '{"apiVersion":"1.0","method":"activateClient"}' > /dev/null
perl "$bench/bench.pl" wait "$url" connected "$(perl "$bench/bench.pl" now)" 10 > /dev/null


# --- 1. getClientStatus vs the ceiling -----------------------------------

# the ceiling serves exactly the bytes the module answers with now
curl -sf -H 'Content-Type: application/json' -d "$status_body" "$url" \
    > "$work/status.json"
if grep -q "[\$'\\\\]" "$work/status.json"; then
    echo "bench: the status body has \$, ' or \\: it cannot be quoted for return" >&2
    exit 1
fi
# nginx's quoted strings know \n; $(cat) would drop the final newline
newline=""
[ "$(tail -c1 "$work/status.json" | od -An -c | tr -d ' ')" = '\n' ] && newline='\n'
printf "location = /ceiling {\n    default_type  application/json;\n    return 200 '%s%s';\n}\n" \
    "$(cat "$work/status.json")" "$newline" > "$work/ceiling.conf"
kill -HUP "$nginx_pid"
wait_workers "$nginx_pid"
perl "$bench/bench.pl" wait "$url" connected "$(perl "$bench/bench.pl" now)" 10 > /dev/null

curl -sf -D "$work/module.headers" -o "$work/module.body" \
    -H 'Content-Type: application/json' -d "$status_body" "$url"
curl -sf -D "$work/ceiling.headers" -o "$work/ceiling.body" \
    -H 'Content-Type: application/json' -d "$status_body" "$ceiling_url"
cmp -s "$work/module.body" "$work/ceiling.body" \
    || { echo "bench: the ceiling does not serve the module's bytes" >&2; exit 1; }
body_bytes=$(wc -c < "$work/module.body")

to_ms() {   # wrk's "405.12us" / "1.20ms" / "1.01s" -> ms
    awk -v v="$1" 'BEGIN {
        n = v + 0
        if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) ; else if (v ~ /s$/) n *= 1000
        printf "%.3f", n }'
}

run_wrk() {     # name url -> rps p50 p99 (ms) errors
    local file=$work/wrk-$1.txt
    wrk "${wrk_args[@]}" -s "$bench/status.lua" "$2" > "$file"
    local rps p50 p99 errors
    rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$file")
    p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$file")")
    p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$file")")
    errors=$(awk '/Non-2xx|Socket errors/ { printf "%s; ", $0 }' "$file")
    echo "$rps $p50 $p99 ${errors:-none}"
}

log "1/5 getClientStatus: wrk ${wrk_args[*]} (a short warm-up each first)"
wrk -t2 -c32 -d2s -s "$bench/status.lua" "$url" > /dev/null
wrk -t2 -c32 -d2s -s "$bench/status.lua" "$ceiling_url" > /dev/null
out=$(run_wrk module "$url")
read -r mod_rps mod_p50 mod_p99 mod_err <<< "$out"
out=$(run_wrk ceiling "$ceiling_url")
read -r ceil_rps ceil_p50 ceil_p99 ceil_err <<< "$out"
rps_ratio=$(awk -v a="$mod_rps" -v b="$ceil_rps" 'BEGIN { printf "%.2f", a / b }')


# --- 2. configureClient vs a bare durable replace ------------------------

# inactive, so a configuration change is a save and nothing else (an
# active client would also reconnect)
log "2/5 configureClient x$configure_n vs write+fsync+rename+dir fsync"
api '{"apiVersion":"1.0","method":"deactivateClient"}' > /dev/null
out=$(perl "$bench/bench.pl" configure "$url" "$configure_n" "$configure_body" \
    "$work/state" "$work/fsync_baseline")
read -r cfg_p50 cfg_p99 fs_p50 fs_p99 state_bytes <<< "$out"
# the difference is steadier than the ratio when other jobs load the disk
cfg_ratio=$(awk -v a="$cfg_p50" -v b="$fs_p50" \
    'BEGIN { printf "%.2f (p50; %+.2f ms)", a / b, a - b }')


# --- 3. activateClient -> connect message vs mosquitto_pub ---------------

log "3/5 activateClient -> subscriber vs mosquitto_pub -r -> subscriber, x$announce_n"
out=$(perl "$bench/bench.pl" announce \
    "$url" "$mqtt_port" "axis/$serial" "$announce_n")
read -r ann_mod_min ann_mod ann_mod_max ann_pub_min ann_pub ann_pub_max <<< "$out"
ann_ratio=$(awk -v a="$ann_mod" -v b="$ann_pub" 'BEGIN { printf "%.2f", a / b }')

log "3/5 the same while another device of the gateway is connected"
neighbour_url=http://127.0.0.1:$neighbour_port/axis-cgi/mqtt/client.cgi
curl -sf -d "${configure_body/$client_id/$client_id-n}" "$neighbour_url" > /dev/null
curl -sf -d '{"apiVersion":"1.0","method":"activateClient"}' "$neighbour_url" > /dev/null
perl "$bench/bench.pl" wait "$neighbour_url" connected "$(perl "$bench/bench.pl" now)" 10 > /dev/null
out=$(perl "$bench/bench.pl" announce \
    "$url" "$mqtt_port" "axis/$serial" "$announce_n")
read -r nb_mod_min nb_mod nb_mod_max nb_pub_min nb_pub nb_pub_max <<< "$out"
nb_ratio=$(awk -v a="$nb_mod" -v b="$nb_pub" 'BEGIN { printf "%.2f", a / b }')
curl -sf -d '{"apiVersion":"1.0","method":"deactivateClient"}' "$neighbour_url" > /dev/null


# --- 4. broker restart and reload ----------------------------------------

median_max() {  # numbers on stdin -> "median max" (nearest rank)
    sort -g | awk '{ v[NR] = $1 } END {
        k = int(NR / 2 + 0.5); if (k < 1) k = 1
        printf "%.1f %.1f\n", v[k], v[NR] }'
}

log "4/5 reconnect after a 2 s broker outage x$restart_n, reload gap x$reload_n"
: > "$work/reconnect.txt"
for i in $(seq "$restart_n"); do
    stop_pid "$broker_pid"
    sleep 2
    t0=$(perl "$bench/bench.pl" now)
    start_broker
    perl "$bench/bench.pl" wait "$url" connected "$t0" 30 >> "$work/reconnect.txt"
done
out=$(median_max < "$work/reconnect.txt")
read -r rec_p50 rec_max <<< "$out"

: > "$work/reload.txt"
for i in $(seq "$reload_n"); do
    perl "$bench/bench.pl" reload "$url" "$nginx_pid" "$work/logs/mosquitto.log" \
        "$client_id" >> "$work/reload.txt"
    wait_workers "$nginx_pid"
done
out=$(awk '{ print $1 }' "$work/reload.txt" | median_max)
read -r poll_p50 poll_max <<< "$out"
if grep -q nan "$work/reload.txt"; then
    brk_p50=n/a brk_max=n/a
else
    out=$(awk '{ print $2 }' "$work/reload.txt" | median_max)
    read -r brk_p50 brk_max <<< "$out"
fi


# --- 5. RSS per worker, with and without the module ----------------------

rss_of() {      # master pid -> "kb threads" per worker, largest first
    local pid
    for pid in $(workers_of "$1"); do
        awk '/^VmRSS:/ { kb = $2 } /^Threads:/ { t = $2 }
             END { print kb, t }' "/proc/$pid/status"
    done | sort -rn
}

warm() {    # url: the same little traffic before each RSS reading
    wrk -t2 -c8 -d1s -s "$bench/status.lua" "$1" > /dev/null
}

log "5/5 RSS per worker: module loaded and client connected vs no module"
perl "$bench/bench.pl" wait "$url" connected "$(perl "$bench/bench.pl" now)" 10 > /dev/null
warm "$url"
mapfile -t rss_with < <(rss_of "$nginx_pid")
stop_pid "$nginx_pid" QUIT
nginx_pid=""

bench_nginx_conf without "$plain_port" plain
start_nginx plain_pid plain "$plain_port"
warm "http://127.0.0.1:$plain_port/ceiling"
mapfile -t rss_without < <(rss_of "$plain_pid")
stop_pid "$plain_pid" QUIT
plain_pid=""


# --- report --------------------------------------------------------------

# worker lines: the owner (Paho's 2 threads make it >1) first
rss_rows=""
for i in 0 1; do
    read -r with_kb with_threads <<< "${rss_with[$i]:-0 0}"
    read -r without_kb _ <<< "${rss_without[$i]:-0 0}"
    role="worker"
    [ "$with_threads" -gt 1 ] && role="owner worker ($with_threads threads)"
    rss_rows+="| RSS $role | ${with_kb} KB | ${without_kb} KB (no module) | +$((with_kb - without_kb)) KB |
"
done

table="| measurement | module | reference | ratio |
|---|---|---|---|
| getClientStatus req/s (wrk ${wrk_args[*]}) | $mod_rps | $ceil_rps (return 200, same $body_bytes bytes) | $rps_ratio (target ≥ 0.9) |
| getClientStatus p50 / p99 | $mod_p50 / $mod_p99 ms | $ceil_p50 / $ceil_p99 ms | |
| configureClient p50 / p99 (N=$configure_n) | $cfg_p50 / $cfg_p99 ms | $fs_p50 / $fs_p99 ms (write+fsync+rename+dir fsync, $state_bytes B) | $cfg_ratio |
| activate -> connect message at subscriber, min / median / max (N=$announce_n) | $ann_mod_min / $ann_mod / $ann_mod_max ms | $ann_pub_min / $ann_pub / $ann_pub_max ms (mosquitto_pub -q 1 -r) | $ann_ratio (median) |
| the same, another device of the gateway connected | $nb_mod_min / $nb_mod / $nb_mod_max ms | $nb_pub_min / $nb_pub / $nb_pub_max ms | $nb_ratio (median) |
| reconnect after broker restart, median / max (N=$restart_n) | $rec_p50 / $rec_max ms | | |
| reload gap, getClientStatus not connected, median / max (N=$reload_n) | $poll_p50 / $poll_max ms | | |
| reload gap, broker DISCONNECT -> CONNECT, median / max (N=$reload_n) | $brk_p50 / $brk_max ms | | |
${rss_rows}"

printf '\n%s\n' "$table"
[ "$mod_err$ceil_err" = nonenone ] || echo "wrk errors: module: $mod_err ceiling: $ceil_err"

model=$(cpu_model)

cat > "$bench/RESULTS.md" <<EOF
# Benchmark results

- machine: $(nproc) CPUs, ${model:-unknown CPU}, Linux $(uname -r)
- $(nginx -v 2>&1), $(mosquitto -h 2>/dev/null | head -1 || true), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)
- module: commit $commit
- state dir on: $(df -T "$work/state" | awk 'NR == 2 { print $2 " (" $1 ")" }')
- date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')
- command: \`$invocation\` (from the repository root; takes about 75 s)

Everything on loopback, \`worker_processes 2\`, access logs off, one
mosquitto (default settings, so Nagle on) on the same machine, wrk on the
same CPUs as nginx. Benchmarks, not tests: no thresholds. Other jobs on the
machine move the figures, the disk ones most: compare within one run.

$table
wrk errors: module: $mod_err; ceiling: $ceil_err

## How each figure is taken

1. wrk POSTs \`bench/status.lua\`'s getClientStatus to the module and to
   \`location = /ceiling { return 200 '<the same body>'; }\` in the same
   nginx (the two bodies are compared byte for byte first; the headers are
   nginx's own on both sides), 2 s warm-up each.
2. \`bench/bench.pl configure\`: configureClient back to back on one
   keep-alive connection (TCP_NODELAY, one write per request), client
   inactive, so each request is a save and not a reconnect. Reference:
   \`bench/fsync_baseline.c\`, the store's own syscalls (open, fchmod, write,
   fsync, close, rename, fsync of the directory) on a file of the state file's
   size in the same state directory, in turns with the requests (20 and
   20) so that both meet the same disk load.
3. \`bench/bench.pl announce\`: a \`mosquitto_sub -d -R -C 1\` is subscribed
   (SUBACK seen, then 250 ms so its delayed ACK is out) before the clock
   starts; the clock stops at its non-retained PUBLISH. Module: \`curl\`
   activateClient after a deactivateClient. Reference: \`mosquitto_pub -q 1
   -r\` of a payload of the same size. Both include starting a process.
4. Reconnect: mosquitto stopped, 2 s later started again; from just before
   its start until getClientStatus (polled every 20 ms) says connected.
   Reload: SIGHUP to the master while getClientStatus is polled every 10 ms
   on fresh connections (the longest not-connected run), and on the broker:
   the old client's DISCONNECT to the new client's CONNECT in mosquitto's
   log, which goes to a pipe line-buffered and is stamped on arrival
   (mosquitto's own \`log_timestamp_format\` is strftime: whole seconds,
   \`%N\` comes out literally).
5. VmRSS of each worker after 1 s of wrk traffic, client connected, vs the
   same nginx.conf without \`load_module\` and \`axis_mqtt_*\` (same ceiling).

## Where the time goes

The paths as the code is at the commit above; the CPU shares were last
profiled with \`perf record -g\` at commit c6dd5f4 and re-checked with
callgrind at 44bd0fa, before the states were packed and grew the event
publication and the MQTT subscriptions.

- getClientStatus: the worker keeps the parse of the last status request
  with its envelope (written by jansson once) and each device's rendered
  status data, reads a device's version and connection from the zone (one
  lock, two words), copies the saved slot's packed bytes and unpacks and
  renders them again only when one of the two changed, and asks the
  owner's liveness (\`F_GETLK\` on its lock) at most once a millisecond;
  what is left is copying the envelope and the data into the answer, and
  nginx's own request handling, which the \`return 200\` ceiling shares.
- configureClient: the worker reads the request into its static request
  (jansson, then the schema's tables), copies the device's saved bytes
  under the zone's lock, unpacks them, applies the request and packs the
  result outside it (a state is 88 KB unpacked; the packed form a few
  hundred bytes), then copies that into the device's pending slot under
  the lock, if the slot is still free and the saved state unchanged.
  On top of the bare replace, the owner is woken through its FIFO, copies
  the pending bytes out under one lock for every device, unpacks, saves
  (jansson writes the file, then write, fsync, rename, directory fsync),
  hands the state to the bridge and the camera thread (each packs its own
  copy), and wakes the requesting worker through that worker's own FIFO
  (\`<state_dir>/wake-<pid>\`): two FIFO writes and two event loop turns,
  about +0.15 ms.  A write waiting for its device's slot (another write of
  the same device in flight) still looks every 1 ms.
- activateClient -> connect message: one fsync'd save (about 1 ms with
  the directory's), then the bridge thread creates a Paho client and
  connects.  Paho deals with a connecting socket only when its receive
  thread's poll ends.  Next to a connected device, that poll is ended
  within 1 ms by the liveness question the bridge has a connected device
  ask while a client connects (the second row).  A device alone has Paho's
  threads started for it: the receive thread's first poll lasts 10 ms, and
  when that thread looks before the socket exists it sleeps 100 ms (the
  ~120 ms samples; some runs have none, some most).  Paho's loop is the gap
  to mosquitto_pub.
- Reload gap: the old owner's sessions send DISCONNECT and the owner frees
  the lock as soon as every one is out (the new worker 0 holds it ~1 ms
  later), so the gap is the new clients' connect: ~20 ms, or ~120 ms when
  Paho's 100 ms nap hits.  The old worker's 100-200 ms in
  \`MQTTAsync_destroy\` come after, off the path.
- Reconnect: each session retries 0.5 s after the loss, then every 1 s
  through the first minute (each +-20 %), so a broker back after a short
  outage is found within about a second.
EOF
log "wrote bench/RESULTS.md"

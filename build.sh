#!/usr/bin/env bash
# axis-mqtt for nginx: one entry point for every task.
#
#   ./build.sh deps     install what the build, the tests and the demo need
#   ./build.sh [build]  build build/ngx_http_axis_mqtt_module.so
#   ./build.sh unit     build and run the C unit tests of the API core
#   ./build.sh test     deps, build, unit tests, then the nginx tests (prove)
#   ./build.sh run      deps, build, then the gateway with a local broker and a
#                       stand-in camera, in run/
#   ./build.sh deb      the Debian package, build/deb/libnginx-mod-http-axis-mqtt_*.deb
#   ./build.sh fuzz [s] the libFuzzer targets of the API core, s seconds
#   ./build.sh bench    the benchmarks; figures to bench/RESULTS.md,
#                       (many devices) bench/SCALE.md, (camera events)
#                       bench/EVENTS.md, (MQTT to camera) bench/INBOUND.md
#   ./build.sh soak     10 min of mixed load, reloads, broker restarts; bench/SOAK.md
#                       then 10000 reconnects' memory; bench/CREEP.md
#   ./build.sh valgrind the nginx tests with nginx under valgrind memcheck
set -euo pipefail

repo=$(cd "$(dirname "$0")" && pwd)
build="$repo/build"
module="$build/ngx_http_axis_mqtt_module.so"

# Debian 12 package names, exactly; nothing else is fetched.
packages=(
    # the module and its libraries
    gcc make nginx nginx-dev libjansson-dev libpaho-mqtt-dev libssl-dev
    libxml2-dev libcurl4-openssl-dev
    # the Debian package; RTSP through the gateway (nginx's stream module)
    build-essential debhelper dpkg-dev libnginx-mod-stream
    # C unit tests
    libcmocka-dev
    # the nginx tests: prove, the harness's Perl modules, real peers
    perl libtest-base-perl libtext-diff-perl liblist-moreutils-perl
    libtest-longstring-perl liburi-perl libipc-run-perl libwww-perl
    libhttp-message-perl liblwp-protocol-https-perl libio-socket-ssl-perl
    mosquitto mosquitto-clients openssl curl
    # the stand-in camera (t/lib/camera/camera.py)
    python3
    # the settings page's browser test: Debian's Chromium, driven
    chromium chromium-driver python3-selenium
    # fuzzing and benchmarks
    clang libclang-rt-14-dev wrk valgrind bc iproute2
)

cflags=(-O2 -g -Wall -Wextra -Werror -Wno-unused-parameter
        -Wno-missing-field-initializers)

log() { printf '==> %s\n' "$*" >&2; }

deps() {
    local missing=()
    for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
            | grep -q 'install ok installed' || missing+=("$p")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        return
    fi
    log "installing: ${missing[*]}"
    local sudo=()
    [ "$(id -u)" -eq 0 ] || sudo=(sudo)
    "${sudo[@]}" apt-get update -q
    # the packaged nginx must not start a system server as a side effect
    RUNLEVEL=1 DEBIAN_FRONTEND=noninteractive \
        "${sudo[@]}" apt-get install -y -q --no-install-recommends \
        "${missing[@]}"
}

build() {
    local src="$build/nginx-src" stamp
    stamp=$(cat "$repo/config" /usr/share/nginx/src/conf_flags | md5sum)

    if [ ! -f "$src/objs/Makefile" ] || [ "$(cat "$build/.configured" 2>/dev/null)" != "$stamp" ]; then
        log "configuring against Debian's nginx $(nginx -v 2>&1 | sed 's/.*\///')"
        rm -rf "$src"
        mkdir -p "$build"
        cp -r /usr/share/nginx/src "$src"
        # shellcheck disable=SC1091
        (cd "$src" && . ./conf_flags \
            && ./configure "${NGX_CONF_FLAGS[@]}" \
                   --with-cc-opt="${cflags[*]}" \
                   --add-dynamic-module="$repo" > "$build/configure.log" 2>&1) \
            || { cat "$build/configure.log"; exit 1; }
        echo "$stamp" > "$build/.configured"
    fi

    make -s -C "$src" -f objs/Makefile modules
    # a new inode: running nginx processes keep the file they mapped
    cp "$src/objs/ngx_http_axis_mqtt_module.so" "$module.tmp"
    mv -f "$module.tmp" "$module"
    log "built $module"
}

unit() {
    mkdir -p "$build"
    gcc "${cflags[@]}" -I"$repo/src" -o "$build/unit-tests" \
        "$repo"/t/unit/*.c "$repo/src/axis_mqtt_conf.c" \
        "$repo/src/axis_mqtt_api.c" "$repo/src/axis_mqtt_store.c" \
        "$repo/src/axis_mqtt_message.c" "$repo/src/axis_mqtt_discovery.c" \
        "$repo/src/axis_mqtt_session.c" "$repo/src/axis_mqtt_topic.c" \
        "$repo/src/axis_mqtt_onvif.c" "$repo/src/axis_mqtt_event_message.c" \
        "$repo/src/axis_mqtt_pull.c" "$repo/src/axis_mqtt_machine.c" \
        "$repo/src/axis_mqtt_inbound.c" "$repo/src/axis_mqtt_vapix.c" \
        $(xml2-config --cflags) -ljansson -lxml2 -lcmocka
    (cd "$build" && ./unit-tests)
}

test_all() {
    deps
    build
    unit
    # a short fuzz run: the reproducers of past findings, then new inputs
    bash "$repo/fuzz/run.sh" 10
    cd "$repo"
    prove -j2 -r t/
}

# The gateway, running: conf/gateway-cameras.conf (two cameras) and
# conf/camera.conf moved into run/, two stand-in cameras and a local broker.
run() {
    local run="$repo/run" etc="$repo/run/etc"
    local http_port=${AXIS_MQTT_HTTP_PORT:-8080}
    local https_port=${AXIS_MQTT_HTTPS_PORT:-8443}
    local firmware_port=${AXIS_MQTT_FIRMWARE_PORT:-8081}
    local http_port_2=${AXIS_MQTT_HTTP_PORT_2:-8082}
    local https_port_2=${AXIS_MQTT_HTTPS_PORT_2:-8444}
    local firmware_port_2=${AXIS_MQTT_FIRMWARE_PORT_2:-8083}
    local mqtt_port=${AXIS_MQTT_MQTT_PORT:-1883}
    local events_port=${AXIS_MQTT_EVENTS_PORT:-8091}
    local events_port_2=${AXIS_MQTT_EVENTS_PORT_2:-8093}
    local user="" mqtt_user="" camera_pids=()

    # a demo that was not stopped cleanly
    for pidfile in "$run/logs/nginx.pid" "$run/logs/mosquitto.pid" \
                   "$run/logs/camera-1.pid" "$run/logs/camera-2.pid"; do
        if [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null; then
            sleep 1
        fi
        rm -f "$pidfile"
    done

    mkdir -p "$run/logs" "$run/tmp" "$run/state" "$etc/certs"
    chmod 0700 "$run/state" "$etc"
    if [ "$(id -u)" -eq 0 ]; then
        # the demo keeps everything in the checkout; an install uses www-data
        user="user root;"
        mqtt_user="user root"
    fi

    if [ ! -f "$etc/gateway.crt" ]; then
        openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj /CN=localhost \
            -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
            -keyout "$etc/gateway.key" -out "$etc/gateway.crt" 2>/dev/null
    fi
    # root is Admin, viewer is not (see the map in conf/gateway.conf)
    printf 'root:%s\nviewer:%s\n' "$(openssl passwd -apr1 pass)" \
        "$(openssl passwd -apr1 viewer)" > "$etc/htpasswd"
    # the ONVIF user the gateway asks each camera's events with
    printf 'camera-1-pass\n' > "$etc/camera-1.pass"
    printf 'camera-2-pass\n' > "$etc/camera-2.pass"
    chmod 0600 "$etc/camera-1.pass" "$etc/camera-2.pass"

    sed -e "s|/var/lib/nginx/axis-mqtt|$run/state|" \
        -e "s|/etc/nginx/axis-mqtt|$etc|g" \
        -e "s|192.0.2.11:80|127.0.0.1:$firmware_port|" \
        -e "s|192.0.2.12:80|127.0.0.1:$firmware_port_2|" \
        -e "s|listen  80;|listen  127.0.0.1:$http_port;|" \
        -e "s|listen  443 ssl;|listen  127.0.0.1:$https_port ssl;|" \
        -e "s|https://\$host\$request_uri|https://\$host:$https_port\$request_uri|" \
        -e "s|listen  8080;|listen  127.0.0.1:$http_port_2;|" \
        -e "s|listen  8443 ssl;|listen  127.0.0.1:$https_port_2 ssl;|" \
        -e "s|https://\$host:8443\$request_uri|https://\$host:$https_port_2\$request_uri|" \
        "$repo/conf/gateway-cameras.conf" > "$run/gateway.conf"
    sed -e "s|/etc/nginx/axis-mqtt|$etc|g" \
        -e "s|/usr/share/libnginx-mod-http-axis-mqtt/settings/|$repo/www/|" \
        "$repo/conf/camera.conf" > "$etc/camera.conf"
    cp "$repo/conf/rtsp-over-http.conf" "$etc/"
    {
        sed -e "s|@FIRMWARE_PORT@|$firmware_port|g" -e "s|@SERIAL@|ACCC8E000001|g" \
            -e "s|@EVENTS_PORT@|$events_port|g" "$repo/conf/demo-firmware.conf.in"
        sed -e "s|@FIRMWARE_PORT@|$firmware_port_2|g" -e "s|@SERIAL@|ACCC8E000002|g" \
            -e "s|@EVENTS_PORT@|$events_port_2|g" "$repo/conf/demo-firmware.conf.in"
    } > "$run/firmware.conf"
    sed -e "s|@RUN@|$run|g" -e "s|@MODULE@|$module|g" -e "s|@USER@|$user|g" \
        "$repo/conf/demo-nginx.conf.in" > "$run/nginx.conf"
    sed -e "s|@RUN@|$run|g" -e "s|@MQTT_PORT@|$mqtt_port|g" \
        -e "s|@MQTT_USER@|$mqtt_user|g" \
        "$repo/conf/demo-mosquitto.conf.in" > "$run/mosquitto.conf"

    nginx -t -q -p "$run" -c "$run/nginx.conf"

    mosquitto -c "$run/mosquitto.conf" &
    echo $! > "$run/logs/mosquitto.pid"
    # the cameras' event services: an input and a virtual input change
    # every 5 s (the stand-in camera of the tests, t/lib/camera/camera.py)
    python3 "$repo/t/lib/camera/camera.py" --port "$events_port" --user gateway \
        --password camera-1-pass --every 5 > "$run/logs/camera-1.log" 2>&1 &
    echo $! > "$run/logs/camera-1.pid"
    python3 "$repo/t/lib/camera/camera.py" --port "$events_port_2" --user gateway \
        --password camera-2-pass --every 5 > "$run/logs/camera-2.log" 2>&1 &
    echo $! > "$run/logs/camera-2.pid"
    nginx -p "$run" -c "$run/nginx.conf" &
    local nginx_pid=$!

    stop() {
        trap - INT TERM EXIT
        log "stopping"
        kill -QUIT "$nginx_pid" 2>/dev/null || true
        wait "$nginx_pid" 2>/dev/null || true
        for name in mosquitto camera-1 camera-2; do
            kill "$(cat "$run/logs/$name.pid")" 2>/dev/null || true
            rm -f "$run/logs/$name.pid"
        done
    }
    trap stop INT TERM EXIT

    sleep 1
    kill -0 "$nginx_pid" 2>/dev/null || { cat "$run/logs/error.log"; exit 1; }

    local url="https://localhost:$https_port/axis-cgi/mqtt/client.cgi"
    local url_2="https://localhost:$https_port_2/axis-cgi/mqtt/client.cgi"
    local curl="curl -s --cacert $etc/gateway.crt -u root:pass"
    local broker='"server":{"protocol":"tcp","host":"127.0.0.1","port":'"$mqtt_port"'}'
    cat <<TXT

Two cameras behind one gateway; each is a device of its own (its serial, MQTT client, state file):
  camera 1, ACCC8E000001: https://localhost:$https_port/ (http://127.0.0.1:$http_port/ redirects)
  camera 2, ACCC8E000002: https://localhost:$https_port_2/ (http://127.0.0.1:$http_port_2/ redirects)
  Admin: root / pass      viewer (gets error 2105): viewer / viewer
  everything but the MQTT API goes to the stand-in cameras at 127.0.0.1:$firmware_port and :$firmware_port_2
The broker listens on 127.0.0.1:$mqtt_port. Logs: $run/logs/

The settings page of each camera (root / pass): https://localhost:$https_port/axis-mqtt/
  and https://localhost:$https_port_2/axis-mqtt/

Watch the broker (both cameras' topics):
  mosquitto_sub -h 127.0.0.1 -p $mqtt_port -t 'axis/#' -v

Camera 1: API Discovery (the camera's list plus mqtt-client), configure, activate, ask, deactivate:
  $curl https://localhost:$https_port/axis-cgi/apidiscovery.cgi -d '{"apiVersion":"1.0","method":"getApiList"}'
  $curl $url -d '{"apiVersion":"1.0","context":"demo","method":"configureClient","params":{$broker,"clientId":"gateway-demo","lastWillTestament":{"useDefault":true},"connectMessage":{"useDefault":true},"disconnectMessage":{"useDefault":true}}}'
  $curl $url -d '{"apiVersion":"1.0","method":"activateClient"}'
  $curl $url -d '{"apiVersion":"1.0","method":"getClientStatus"}'
  $curl $url -d '{"apiVersion":"1.0","method":"deactivateClient"}'
  $curl $url -d '{"method":"getSupportedVersions"}'

Camera 1's events on MQTT (its stand-in changes an input and a virtual input every 5 s):
  $curl https://localhost:$https_port/axis-cgi/mqtt/event.cgi -d '{"apiVersion":"1.0","method":"configureEventPublication","params":{"eventFilterList":[{"topicFilter":"onvif:Device/axis:IO//.","qos":1,"retain":"property"}]}}'
  $curl https://localhost:$https_port/axis-cgi/mqtt/event.cgi -d '{"apiVersion":"1.0","method":"getEventPublicationConfig"}'
  mosquitto_sub -h 127.0.0.1 -p $mqtt_port -t 'axis/ACCC8E000001/event/#' -v
  (the client must be active: the activateClient above)

MQTT to camera 1: a message on site/door/1 sets the camera's virtual input 2, which its action
rules react to (its VirtualInput event comes back on MQTT with the publication above); then the
calls the stand-in camera received:
  $curl https://localhost:$https_port/axis-cgi/mqtt/event.cgi -d '{"apiVersion":"1.1","method":"configureMqttSubscription","params":{"mqttFilterList":[{"topicFilter":"site/door/1","isStateData":true,"virtualInput":2}]}}'
  mosquitto_pub -h 127.0.0.1 -p $mqtt_port -t site/door/1 -m on
  curl -s http://127.0.0.1:$events_port/test/calls

Camera 2: its own client, on its own topics (axis/ACCC8E000002/...):
  $curl $url_2 -d '{"apiVersion":"1.0","context":"demo-2","method":"configureClient","params":{$broker,"clientId":"gateway-demo-2","connectMessage":{"useDefault":true}}}'
  $curl $url_2 -d '{"apiVersion":"1.0","method":"activateClient"}'
  $curl $url_2 -d '{"apiVersion":"1.0","method":"getClientStatus"}'

Ctrl-C stops the gateway, the broker and the stand-in cameras.
TXT
    wait "$nginx_pid"
}

# The Debian package, binary only, unsigned, with Debian's own module
# tooling (debian/: dh --with nginx, the nginx_mod build system), built in
# a copy of the tree (dpkg-buildpackage writes beside the source):
# build/deb/libnginx-mod-http-axis-mqtt_<version>_<arch>.deb.
deb() {
    local out="$build/deb" src="$build/deb/src"
    rm -rf "$out"
    mkdir -p "$src"
    (cd "$repo" && git ls-files -co --exclude-standard -z \
        | grep -zv '^bench/\|^t/\|^fuzz/' \
        | xargs -0 cp --parents -t "$src")
    (cd "$src" && dpkg-buildpackage -b -us -uc > "$out/build.log" 2>&1) \
        || { tail -40 "$out/build.log"; exit 1; }
    log "built $(ls "$out"/*.deb)"
}

case "${1:-build}" in
    deps)  deps ;;
    build) build ;;
    unit)  unit ;;
    test)  test_all ;;
    run)     deps; build; run ;;
    deb)     deps; deb ;;
    fuzz)    deps; bash "$repo/fuzz/run.sh" "${2:-60}" ;;
    bench)   deps; build; bash "$repo/bench/run.sh"; bash "$repo/bench/scale.sh"
             bash "$repo/bench/events.sh"; bash "$repo/bench/inbound.sh" ;;
    soak)    deps; build; bash "$repo/bench/soak.sh"; bash "$repo/bench/creep.sh" ;;
    valgrind) deps; build; bash "$repo/bench/valgrind.sh" ;;
    *)     echo "usage: $0 [deps|build|unit|test|run|deb|fuzz|bench|soak|valgrind]" >&2; exit 2 ;;
esac

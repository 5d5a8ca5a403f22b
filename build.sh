#!/usr/bin/env bash
# axis-mqtt for nginx: one entry point for every task.
#
#   ./build.sh deps     install what the build, the tests and the demo need
#   ./build.sh [build]  build build/ngx_http_axis_mqtt_module.so
#   ./build.sh unit     build and run the C unit tests of the API core
#   ./build.sh test     deps, build, unit tests, then the nginx tests (prove)
#   ./build.sh run      deps, build, then a local broker and nginx with the module
set -euo pipefail

repo=$(cd "$(dirname "$0")" && pwd)
build="$repo/build"
module="$build/ngx_http_axis_mqtt_module.so"

# Debian 12 package names, exactly; nothing else is fetched.
packages=(
    # the module and its libraries
    gcc make nginx nginx-dev libjansson-dev libpaho-mqtt-dev libssl-dev
    # C unit tests
    libcmocka-dev
    # the nginx tests: prove, the harness's Perl modules, real peers
    perl libtest-base-perl libtext-diff-perl liblist-moreutils-perl
    libtest-longstring-perl liburi-perl libipc-run-perl libwww-perl
    libhttp-message-perl mosquitto mosquitto-clients openssl curl
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
        -ljansson -lcmocka
    (cd "$build" && ./unit-tests)
}

test_all() {
    deps
    build
    unit
    cd "$repo"
    prove -j2 -r t/
}

# The gateway, running: a local broker and nginx with the module, in run/.
run() {
    local run="$repo/run" http_port=${AXIS_MQTT_HTTP_PORT:-8080}
    local mqtt_port=${AXIS_MQTT_MQTT_PORT:-1883} user="" mqtt_user=""

    # a previous demo that was not stopped cleanly
    for pidfile in "$run/logs/nginx.pid" "$run/logs/mosquitto.pid"; do
        [ -f "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null && sleep 0.5
        rm -f "$pidfile"
    done

    mkdir -p "$run/logs" "$run/tmp" "$run/certs" "$run/state"
    chmod 0700 "$run/state"
    if [ "$(id -u)" -eq 0 ]; then
        # the demo keeps everything in the checkout; a real install uses www-data
        user="user root;"
        mqtt_user="user root"
    fi

    sed -e "s|@RUN@|$run|g" -e "s|@MODULE@|$module|g" \
        -e "s|@HTTP_PORT@|$http_port|g" -e "s|@USER@|$user|g" \
        "$repo/conf/demo-nginx.conf.in" > "$run/nginx.conf"
    sed -e "s|@RUN@|$run|g" -e "s|@MQTT_PORT@|$mqtt_port|g" \
        -e "s|@MQTT_USER@|$mqtt_user|g" \
        "$repo/conf/demo-mosquitto.conf.in" > "$run/mosquitto.conf"

    mosquitto -c "$run/mosquitto.conf" &
    echo $! > "$run/logs/mosquitto.pid"
    nginx -p "$run" -c "$run/nginx.conf" &
    local nginx_pid=$!

    stop() {
        trap - INT TERM EXIT
        log "stopping"
        kill -QUIT "$nginx_pid" 2>/dev/null || true
        wait "$nginx_pid" 2>/dev/null || true
        kill "$(cat "$run/logs/mosquitto.pid")" 2>/dev/null || true
        rm -f "$run/logs/mosquitto.pid"
    }
    trap stop INT TERM EXIT

    sleep 1
    kill -0 "$nginx_pid" 2>/dev/null || { cat "$run/logs/error.log"; exit 1; }

    local url="http://127.0.0.1:$http_port/axis-cgi/mqtt/client.cgi"
    cat <<TXT

The gateway answers the Axis MQTT client API at $url
The broker listens on 127.0.0.1:$mqtt_port. Logs: $run/logs/

Watch the broker:
  mosquitto_sub -h 127.0.0.1 -p $mqtt_port -t 'axis/#' -v

Configure, activate, ask, deactivate:
  curl -s $url -d '{"apiVersion":"1.0","context":"demo","method":"configureClient","params":{"server":{"protocol":"tcp","host":"127.0.0.1","port":$mqtt_port},"clientId":"gateway-demo","lastWillTestament":{"useDefault":true},"connectMessage":{"useDefault":true},"disconnectMessage":{"useDefault":true}}}'
  curl -s $url -d '{"apiVersion":"1.0","method":"activateClient"}'
  curl -s $url -d '{"apiVersion":"1.0","method":"getClientStatus"}'
  curl -s $url -d '{"apiVersion":"1.0","method":"deactivateClient"}'
  curl -s $url -d '{"method":"getSupportedVersions"}'

Ctrl-C stops the gateway and the broker.
TXT
    wait "$nginx_pid"
}

case "${1:-build}" in
    deps)  deps ;;
    build) build ;;
    unit)  unit ;;
    test)  test_all ;;
    run)   deps; build; run ;;
    *)     echo "usage: $0 [deps|build|unit|test|run]" >&2; exit 2 ;;
esac

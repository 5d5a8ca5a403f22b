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
    cp "$src/objs/ngx_http_axis_mqtt_module.so" "$module"
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

case "${1:-build}" in
    deps)  deps ;;
    build) build ;;
    unit)  unit ;;
    test)  test_all ;;
    run)   deps; build; exec "$repo/conf/run-demo.sh" "$module" ;;
    *)     echo "usage: $0 [deps|build|unit|test|run]" >&2; exit 2 ;;
esac

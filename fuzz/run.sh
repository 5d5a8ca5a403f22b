#!/usr/bin/env bash
# Fuzz the API core with libFuzzer (clang, ASan + UBSan).
#
#   fuzz/run.sh [seconds]       default 60
#
# Three targets: fuzz_request (a client.cgi or event.cgi body -> response,
# with the spec's invariants), fuzz_store (the state file loader) and
# fuzz_onvif (a camera's PullMessagesResponse -> MQTT topics and
# payloads).  They run at
# the same time, each for the full number of seconds, so the wall time is
# about that long.  Everything goes to build/fuzz/: the binaries, a
# writable corpus per target (seeded from fuzz/corpus/ and kept between
# runs; remove it for a fresh start), the logs and any crash artifacts.
# The reproducers of past findings, t/unit/regress/<target>-*, are
# replayed first.  Exits non-zero if a reproducer fails again or a target
# crashes or breaks an invariant.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
out="$repo/build/fuzz"
seconds=${1:-60}
targets=(request store onvif)

cc=${CC_FUZZ:-clang}
# shellcheck disable=SC2054  # the commas belong to -fsanitize=
cflags=(-g -O1 -fsanitize=fuzzer,address,undefined
        -fno-sanitize-recover=undefined -Wall -Wextra
        -Wno-unused-parameter -I"$repo/src")
sources=("$repo/src/axis_mqtt_conf.c" "$repo/src/axis_mqtt_topic.c"
         "$repo/src/axis_mqtt_onvif.c" "$repo/src/axis_mqtt_event_message.c"
         "$repo/src/axis_mqtt_api.c" "$repo/src/axis_mqtt_inbound.c"
         "$repo/src/axis_mqtt_vapix.c"
         "$repo/src/axis_mqtt_store.c" "$repo/src/axis_mqtt_message.c")

log() { printf '==> %s\n' "$*" >&2; }

case "$seconds" in
    ''|*[!0-9]*|0) echo "usage: $0 [seconds > 0]" >&2; exit 2 ;;
esac

mkdir -p "$out/artifacts"

for t in "${targets[@]}"; do
    "$cc" "${cflags[@]}" $(xml2-config --cflags) -o "$out/fuzz_$t" \
        "$repo/fuzz/fuzz_$t.c" "${sources[@]}" -ljansson -lxml2
    mkdir -p "$out/corpus-$t"
    cp "$repo/fuzz/corpus/$t"/* "$out/corpus-$t/"
done
log "built $out/fuzz_*; fuzzing ${seconds}s per target, in parallel"

# UBSan reports are fatal already (-fno-sanitize-recover); show where
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}

failed=0

# what a failure report is summed up by
report='INVARIANT|  detail:|runtime error|(ERROR|SUMMARY): [A-Za-z]+Sanitizer'
report+='|libFuzzer: (timeout|out-of-memory)'

# past findings first: t/unit/regress/<target>-*.json, each run once
for t in "${targets[@]}"; do
    shopt -s nullglob
    cases=("$repo/t/unit/regress/$t"-*)
    shopt -u nullglob

    for c in "${cases[@]}"; do
        if ! "$out/fuzz_$t" "$c" > "$out/regress.log" 2>&1; then
            failed=1
            echo "regress ${c#"$repo/"}: FAILED"
            { grep -E "$report" "$out/regress.log" || true; } \
                | head -n 3 | sed 's/^/    /'
        fi
    done
done

pids=()
for t in "${targets[@]}"; do
    (cd "$out" && exec "./fuzz_$t" \
        -max_total_time="$seconds" -print_final_stats=1 \
        -dict="$repo/fuzz/mqtt.dict" -max_len=8192 -timeout=10 \
        -artifact_prefix="$out/artifacts/$t-" \
        "corpus-$t") > "$out/$t.log" 2>&1 &
    pids+=($!)
done

for i in "${!targets[@]}"; do
    t=${targets[$i]}
    rc=0
    wait "${pids[$i]}" || rc=$?

    # the last status line ("#N DONE cov: C ft: F corp: ...") and the stats
    last=$(grep -E '^#[0-9]+' "$out/$t.log" | tail -n 1 || true)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t.log")
    speed=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out/$t.log")
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<< "$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<< "$last")
    corp=$(sed -n 's/.* corp: \([0-9]*\/[0-9a-zA-Z]*\).*/\1/p' <<< "$last")

    printf 'fuzz_%-8s %s: execs %s (%s/s), cov %s, ft %s, corpus %s\n' \
        "$t" "$([ "$rc" -eq 0 ] && echo ok || echo FAILED)" \
        "${execs:-?}" "${speed:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}"

    if [ "$rc" -ne 0 ]; then
        failed=1
        { grep -E "$report" "$out/$t.log" || true; } | head -n 3 \
            | sed 's/^/    /'
        { grep -E 'Test unit written to' "$out/$t.log" || true; } \
            | sed 's/^/    /'
        echo "    log: $out/$t.log"
    fi
done

exit "$failed"

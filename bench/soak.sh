#!/usr/bin/env bash
# Soak of the axis-mqtt module (issues 4 and 8), on loopback, bounded in
# time:
#
#   nginx with 4 workers and a real mosquitto; the client configured and
#   active; then SOAK_SECONDS (600) of mixed load from several clients:
#     - status load: wrk with SOAK_WRK_CONNECTIONS (8) keep-alive
#       connections, every answer checked (bench/status-check.lua),
#     - status readers on fresh connections,
#     - status readers on keep-alive connections,
#     - one configuration writer: configureClient with one of a fixed set of
#       configurations (keep-alive, timeouts, topic prefix, user, password,
#       clean session all varied), every SOAK_WRITER_PAUSE (0.1) s, each one
#       a reconnect, each followed by reads on fresh connections that must
#       show exactly that write,
#     - one activator: activateClient / deactivateClient in turn, each
#       followed by reads that must show the new state,
#   while the broker is stopped and started again twice (at 1/3 and 2/3 of
#   the run, down for SOAK_OUTAGE s each) and nginx is reloaded every
#   SOAK_RELOAD_EVERY (120) s.  This is the mix that crashed the owner
#   (issue 8): status load + reconnections + reloads + broker restarts.
#   nginx runs with t/lib/slow/slow_strftime.c preloaded, which makes the
#   announcements' strftime() take SOAK_SLOW_US (5000) us: it widens races
#   on the announcements' path as a preempted thread would (0: off).
#
# Checks (any failure: exit 1):
#   - zero failed requests: every answer HTTP 200, application/json, the
#     request's method and context, "data" and no "error";
#   - zero inconsistent answers: every status shows one of the written
#     configurations, whole (never a mix of two), and a writer's next reads
#     on any worker show its write;
#   - wrk: every answer well-formed, no error, connections closed only by
#     the reloads;
#   - every worker answered; no worker exited on a signal (error.log);
#   - RSS of each worker, sampled every 5 s under load, is flat: the last
#     sample <= the first + max(10 %, 1 MB);
#   - open fds of all workers (idle, connected) before and after: +/- 2
#     per worker;
#   - error.log without [alert], [crit] or [emerg];
#   - the client is active and connected again at the end.
#
# Prints a table; writes bench/SOAK.md.  Everything runs under
# bench/work-soak/ on free ports and is stopped on any exit.  Usually called
# by `./build.sh soak`.
set -euo pipefail

bench=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$bench")
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$bench/lib.sh"
module=${AXIS_MQTT_MODULE:-$repo/build/ngx_http_axis_mqtt_module.so}
work=$bench/work-soak

# knobs
seconds=${SOAK_SECONDS:-600}
outage=${SOAK_OUTAGE:-1}
fresh_readers=${SOAK_FRESH_READERS:-2}
keepalive_readers=${SOAK_KEEPALIVE_READERS:-1}
wrk_connections=${SOAK_WRK_CONNECTIONS:-8}
reload_every=${SOAK_RELOAD_EVERY:-120}
slow_us=${SOAK_SLOW_US:-5000}
writer_pause=${SOAK_WRITER_PAUSE:-0.1}
toggle_pause=${SOAK_TOGGLE_PAUSE:-2}
sample_every=5
workers=4
serial=ACCC8E012345
client_id=soak-gateway

require_tools soak "./build.sh deps" nginx mosquitto perl wrk
[ -f "$module" ] || "$repo/build.sh" build

invocation=$(invocation_of soak soak.sh)


# --- processes: everything started here is stopped on any exit ----------

# their pids go in nginx_pid, broker_pid, client_pids (cleanup in lib.sh)
stop_on_exit

make_work
mkdir "$work/clients"

out=$(free_ports 2)
read -r http_port mqtt_port <<< "$out"
url=http://127.0.0.1:$http_port/axis-cgi/mqtt/client.cgi

now() { perl -MTime::HiRes=time -e 'printf "%.3f\n", time'; }


# --- broker and nginx ----------------------------------------------------

write_broker_conf "$mqtt_port" <<EOF
log_dest             file $work/logs/mosquitto.log
log_type             error
log_type             warning
log_type             notice
log_type             information
EOF

# reuseport: each worker has its own listening socket, so fresh connections
# spread over all of them (and keep-alive ones stay where they landed)
write_nginx_conf nginx "$workers" 1024 info "$module" <<EOF
    axis_mqtt_state_dir  $work/state;
    axis_mqtt_serial     $serial;

    server {
        listen  127.0.0.1:$http_port reuseport;

        location = /axis-cgi/mqtt/client.cgi {
            axis_mqtt_client;
            add_header  X-Worker  \$pid  always;
        }
    }
EOF


# --- the clients (one Perl script, a role per process) -------------------

cat > "$work/client.pl" <<'PERL'
# client.pl ROLE URL DEADLINE OUT [KNOWN]: requests until DEADLINE (epoch s),
# then a JSON summary to OUT.  Roles: setup, fresh, keepalive, writer,
# activator.  KNOWN: the configurations as every status must show them.
use strict;
use warnings;
use HTTP::Tiny;
use JSON::PP;
use Time::HiRes qw(time sleep);

my ($role, $url, $deadline, $out, $known_file) = @ARGV;
my $J  = JSON::PP->new->canonical;
my $mqtt_port   = $ENV{SOAK_MQTT_PORT};
my $client_id   = $ENV{SOAK_CLIENT_ID};
my $n_configs   = 8;

# configuration k of the fixed set: every field we set carries k
sub params {
    my ($k) = @_;
    return {
        server => { protocol => 'tcp', host => '127.0.0.1', port => $mqtt_port + 0 },
        clientId => $client_id,
        keepAliveInterval => 20 + 5 * $k, connectTimeout => 3 + $k,
        cleanSession => $k % 2 ? JSON::PP::false : JSON::PP::true,
        autoReconnect => JSON::PP::true,
        username => "soak-user-$k", password => "soak-pw-$k",
        deviceTopicPrefix => "soak/$k",
        connectMessage => { useDefault => JSON::PP::true },
        lastWillTestament => { useDefault => JSON::PP::true },
    };
}

my %s = (role => $role, requests => 0, failed => 0, inconsistent => 0,
         by_method => {}, by_worker => {}, by_status => {}, failures => [],
         inconsistencies => [], max_ms => 0);
my $fresh = HTTP::Tiny->new(keep_alive => 0, timeout => 10);
my $kept  = HTTP::Tiny->new(keep_alive => 1, timeout => 10);
my $seq = 0;

sub note {
    my ($list, $text) = @_;
    push @{ $s{$list} }, sprintf('%.3f %s', time, $text) if @{ $s{$list} } < 20;
}

# one request; the decoded answer (undef if it failed: counted)
sub call {
    my ($ua, $method, $params) = @_;
    my $ctx = "$role-$$-" . ++$seq;
    my %req = (apiVersion => '1.0', context => $ctx, method => $method);
    $req{params} = $params if $params;
    my $t0 = time;
    my $res = $ua->request('POST', $url, {
        headers => { 'Content-Type' => 'application/json' },
        content => $J->encode(\%req) });
    my $ms = (time - $t0) * 1000;
    $s{max_ms} = $ms if $ms > $s{max_ms};
    $s{requests}++;
    $s{by_method}{$method}++;
    $s{by_worker}{ $res->{headers}{'x-worker'} // 'none' }++;
    my $d = eval { decode_json($res->{content}) };
    my $why = $res->{status} != 200 ? "HTTP $res->{status} $res->{reason}"
            : ($res->{headers}{'content-type'} // '') ne 'application/json'
                                    ? 'content-type ' . ($res->{headers}{'content-type'} // 'none')
            : ref $d ne 'HASH'      ? 'not JSON'
            : $d->{error}           ? 'error ' . $J->encode($d->{error})
            : ref $d->{data} ne 'HASH' ? 'no data'
            : ($d->{method} // '') ne $method ? 'method ' . ($d->{method} // 'none')
            : ($d->{context} // '') ne $ctx   ? 'context ' . ($d->{context} // 'none')
            : undef;
    if ($why) {
        $s{failed}++;
        note(failures => "$method: $why: " . substr($res->{content} // '', 0, 200));
        return undef;
    }
    return $d->{data};
}

my %known;    # canonical config JSON => k
if ($known_file) {
    open my $fh, '<', $known_file or die "$known_file: $!";
    my $list = decode_json(do { local $/; <$fh> });
    $known{ $list->[$_] } = $_ for 0 .. $#$list;
}

# a status read; (k of its config, state) or () if inconsistent (counted)
sub status {
    my ($ua) = @_;
    my $d = call($ua, 'getClientStatus') // return;
    my $st = $d->{status} // {};
    my $state = ($st->{state} // '?') . '/' . ($st->{connectionStatus} // '?');
    $s{by_status}{$state}++;
    my $conf = $J->encode($d->{config} // {});
    my $k = $known{$conf};
    if ($state !~ m{^(?:active|inactive)/(?:connected|disconnected)$}) {
        $s{inconsistent}++;
        note(inconsistencies => "status $state");
        return;
    }
    unless (defined $k) {
        $s{inconsistent}++;
        note(inconsistencies => "a configuration that was never written: $conf");
        return;
    }
    return ($k, $state);
}

if ($role eq 'setup') {
    # write each configuration once and keep it as the status shows it
    my @list;
    for my $k (0 .. $n_configs - 1) {
        call($fresh, 'configureClient', params($k)) or die "setup: configure $k failed\n";
        my $d = call($fresh, 'getClientStatus') or die "setup: status failed\n";
        push @list, $J->encode($d->{config});
    }
    call($fresh, 'activateClient') or die "setup: activate failed\n";
    open my $fh, '>', $out or die "$out: $!";
    print {$fh} $J->encode(\@list);
    exit 0;
}

my $i = 0;
while (time < $deadline) {
    $i++;
    if ($role eq 'fresh' || $role eq 'keepalive') {
        status($role eq 'fresh' ? $fresh : $kept);
    } elsif ($role eq 'writer') {
        # the only writer of the configuration: its next reads, on fresh
        # connections and so on any worker, show exactly its write
        my $k = $i % $n_configs;
        my $ua = $i % 2 ? $kept : $fresh;
        if (call($ua, 'configureClient', params($k))) {
            for (1 .. 4) {
                my ($got) = status($fresh);
                next unless defined $got;
                next if $got == $k;
                $s{inconsistent}++;
                note(inconsistencies => "wrote configuration $k, then read $got");
            }
        }
        sleep $ENV{SOAK_WRITER_PAUSE};
    } elsif ($role eq 'activator') {
        # the only writer of the state; ends active
        my $on = $i % 2 == 0 || time + $ENV{SOAK_TOGGLE_PAUSE} * 2 >= $deadline;
        if (call($fresh, $on ? 'activateClient' : 'deactivateClient')) {
            for (1 .. 4) {
                my (undef, $state) = status($fresh);
                next unless defined $state;
                next if $state =~ /^\Q@{[ $on ? 'active' : 'inactive' ]}\E\//;
                $s{inconsistent}++;
                note(inconsistencies => ($on ? 'activated' : 'deactivated')
                                        . ", then read $state");
            }
        }
        sleep $ENV{SOAK_TOGGLE_PAUSE};
    }
}
if ($role eq 'activator') {    # whatever happened: active at the end
    call($fresh, 'activateClient');
}
open my $fh, '>', $out or die "$out: $!";
print {$fh} $J->encode(\%s);
PERL

export SOAK_MQTT_PORT=$mqtt_port SOAK_CLIENT_ID=$client_id
export SOAK_WRITER_PAUSE=$writer_pause SOAK_TOGGLE_PAUSE=$toggle_pause

# Wait until a status says $1 (e.g. active/connected) on every worker.
wait_status() {   # want timeout
    perl -MHTTP::Tiny -MJSON::PP -MTime::HiRes=time,sleep -e '
        my ($url, $want, $timeout, $n) = @ARGV;
        my $deadline = time + $timeout;
        my %last;
        while (time < $deadline) {
            my $r = HTTP::Tiny->new(keep_alive => 0)->post($url, {
                content => q({"apiVersion":"1.0","method":"getClientStatus"}) });
            my $d = eval { decode_json($r->{content}) } // {};
            my $s = $d->{data}{status} // {};
            $last{ $r->{headers}{"x-worker"} // "?" }
                = ($s->{state} // "?") . "/" . ($s->{connectionStatus} // "?");
            exit 0 if keys %last >= $n && !grep { $_ ne $want } values %last;
            sleep 0.01;
        }
        print STDERR "soak: not $want after $timeout s: ",
            join(", ", map { "$_=$last{$_}" } sort keys %last), "\n";
        exit 1' "$url" "$1" "$2" "$workers"
}

sample() {    # label: "label pid rss_kb fds threads" per worker
    local pid
    for pid in $(workers_of "$nginx_pid"); do
        printf '%s %s %s %s %s\n' "$1" "$pid" \
            "$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)" \
            "$(ls "/proc/$pid/fd" 2>/dev/null | wc -l)" \
            "$(awk '/^Threads:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)"
    done
}


# --- run -----------------------------------------------------------------

log "broker on :$mqtt_port, nginx ($workers workers) on :$http_port; logs in bench/work-soak/logs"
launch_broker "$mqtt_port"
nginx -t -q -p "$work/" -c "$work/nginx.conf" -e "$work/logs/nginx-error.log"
preload=""
if [ "$slow_us" -gt 0 ]; then
    gcc -shared -fPIC -O2 -o "$work/slow_strftime.so" \
        "$repo/t/lib/slow/slow_strftime.c" -ldl
    preload="$work/slow_strftime.so"
fi
LD_PRELOAD=$preload AXIS_MQTT_SLOW_US=$slow_us \
    start_nginx nginx_pid nginx "$http_port" 10

perl "$work/client.pl" setup "$url" 0 "$work/known.json"
wait_status active/connected 15
workers_before=$(workers_of "$nginx_pid" | tr '\n' ' ')
sample idle-before > "$work/fds.txt"

start=$(now)
deadline=$(awk -v s="$start" -v d="$seconds" 'BEGIN { printf "%.3f", s + d }')
spawn() {   # role index
    perl "$work/client.pl" "$1" "$url" "$deadline" "$work/clients/$1-$2.json" \
        "$work/known.json" 2>> "$work/clients/$1-$2.err" &
    client_pids+=($!)
}
for i in $(seq "$fresh_readers"); do spawn fresh "$i"; done
for i in $(seq "$keepalive_readers"); do spawn keepalive "$i"; done
spawn writer 1
spawn activator 1
wrk -t2 -c"$wrk_connections" -d"${seconds}s" -s "$bench/status-check.lua" "$url" \
    > "$work/clients/wrk.out" 2>&1 &
client_pids+=($!)
log "load for $seconds s: wrk ($wrk_connections connections), $fresh_readers fresh +" \
    "$keepalive_readers keep-alive readers, 1 configuration writer, 1 activator;" \
    "broker restarts at $((seconds / 3)) s and $((2 * seconds / 3)) s, a reload every $reload_every s"

# the timeline: samples every 5 s, the broker restarted at 1/3 and 2/3
: > "$work/rss.txt"
restarts=0 reloads=0
restart_at=("$((seconds / 3))" "$((2 * seconds / 3))")
t=0
while [ "$t" -le "$seconds" ]; do
    sample "$t" >> "$work/rss.txt"
    if [ "$t" -gt 0 ] && [ $((t % reload_every)) -eq 0 ] && [ "$t" -lt "$seconds" ]; then
        log "$(date +%T) reload $((reloads + 1))"
        kill -HUP "$nginx_pid"
        reloads=$((reloads + 1))
    fi
    for r in "${restart_at[@]}"; do
        if [ "$r" -ge "$t" ] && [ "$r" -lt $((t + sample_every)) ]; then
            perl -MTime::HiRes=sleep -e 'sleep $ARGV[0] + $ARGV[1] - $ARGV[2]' \
                "$start" "$r" "$(now)" 2> /dev/null || true
            log "$(date +%T) broker restart $((restarts + 1)) (down ${outage} s)"
            stop_pid "$broker_pid"
            sleep "$outage"
            launch_broker "$mqtt_port"
            restarts=$((restarts + 1))
        fi
    done
    t=$((t + sample_every))
    [ "$t" -le "$seconds" ] || break
    wait_s=$(awk -v s="$start" -v t="$t" -v n="$(now)" 'BEGIN { w = s + t - n; printf "%.3f", (w > 0 ? w : 0) }')
    sleep "$wait_s"
done

clients_ok=1
for pid in "${client_pids[@]}"; do
    wait "$pid" || clients_ok=0
done
client_pids=()
elapsed=$(awk -v s="$start" -v n="$(now)" 'BEGIN { printf "%.1f", n - s }')

connected_at_end=yes
wait_status active/connected 15 || connected_at_end=no
sleep 0.5    # the clients' connections closed, the workers idle
sample idle-after >> "$work/fds.txt"
workers_after=$(workers_of "$nginx_pid" | tr '\n' ' ')


# --- evaluate ------------------------------------------------------------

report=$(perl -MJSON::PP -e '
    my ($work, $seconds, $elapsed) = @ARGV;
    my (%t, %methods, %workers, %status, @fail, @incons);
    my $clients = 0;
    for my $f (glob "$work/clients/*.json") {
        my $s = eval { open my $fh, "<", $f or die; local $/; decode_json(<$fh>) }
            or do { push @fail, "$f: no summary"; next };
        $clients++;
        $t{$_} += $s->{$_} for qw(requests failed inconsistent);
        $t{max_ms} = $s->{max_ms} if $s->{max_ms} > ($t{max_ms} // 0);
        $methods{$_} += $s->{by_method}{$_} for keys %{ $s->{by_method} };
        $workers{$_} += $s->{by_worker}{$_} for keys %{ $s->{by_worker} };
        $status{$_}  += $s->{by_status}{$_} for keys %{ $s->{by_status} };
        push @fail, map { "$s->{role}: $_" } @{ $s->{failures} };
        push @incons, map { "$s->{role}: $_" } @{ $s->{inconsistencies} };
    }
    printf "clients %d\nrequests %d\nrate %.0f\nfailed %d\ninconsistent %d\nmax_ms %.1f\n",
        $clients, $t{requests} // 0, ($t{requests} // 0) / ($elapsed || 1),
        $t{failed} // 0, $t{inconsistent} // 0, $t{max_ms} // 0;
    print "methods ", join(", ", map { "$_ $methods{$_}" } sort keys %methods), "\n";
    print "workers ", join(", ", map { "$_ $workers{$_}" } sort keys %workers), "\n";
    print "answered ", scalar(grep { $_ ne "none" } keys %workers), "\n";
    print "statuses ", join(", ", map { "$_ $status{$_}" } sort keys %status), "\n";
    print "failure $_\n" for @fail[0 .. ($#fail < 9 ? $#fail : 9)];
    print "inconsistency $_\n" for @incons[0 .. ($#incons < 9 ? $#incons : 9)];
' "$work" "$seconds" "$elapsed")
field() { awk -v k="$1" '$1 == k { sub(/^[^ ]+ /, ""); print; exit }' <<< "$report"; }

failures=0
check() {   # ok? description
    if [ "$1" = 1 ]; then
        checks+="| $2 | ok |"$'\n'
    else
        checks+="| $2 | **FAILED** |"$'\n'
        failures=$((failures + 1))
    fi
}
checks=""

read -r _ wrk_good _ wrk_bad _ wrk_errors _ wrk_closed \
    <<< "$(grep -E '^good ' "$work/clients/wrk.out" || echo 'good 0 bad ? errors ? closed ?')"
crashes=$(grep -c 'exited on signal' "$work/logs/nginx-error.log" || true)
requests=$(field requests)
failed=$(field failed)
inconsistent=$(field inconsistent)
check "$([ "$clients_ok" = 1 ] && [ "$(field clients)" -eq $((fresh_readers + keepalive_readers + 2)) ] && echo 1)" \
    "every client ran to the end and reported"
check "$([ "$wrk_good" -gt 0 ] && [ "$wrk_bad" = 0 ] && [ "$wrk_errors" = 0 ] && echo 1)" \
    "wrk: $wrk_good well-formed status answers, $wrk_bad not, $wrk_errors errors"
check "$([ "$wrk_closed" != "?" ] && [ "$wrk_closed" -le $((2 * reloads * wrk_connections)) ] && echo 1)" \
    "wrk: $wrk_closed connections closed by nginx, at most $((2 * wrk_connections)) per reload ($reloads reloads)"
check "$([ "$failed" -eq 0 ] && [ "$requests" -gt 0 ] && echo 1)" "failed requests: $failed of $requests"
check "$([ "$inconsistent" -eq 0 ] && echo 1)" "inconsistent answers: $inconsistent"
check "$([ "$(field answered)" -ge "$workers" ] && echo 1)" "workers that answered: $(field answered) ($workers a generation, $reloads reloads)"
check "$([ "$crashes" -eq 0 ] && echo 1)" "workers that exited on a signal: $crashes"
[ "$reloads" -gt 0 ] || [ "$workers_before" = "$workers_after" ] \
    || check 0 "the same workers before and after without a reload: $workers_before / $workers_after"
check "$([ "$restarts" -eq 2 ] && [ "$connected_at_end" = yes ] && echo 1)" \
    "broker restarted $restarts times; active/connected on every worker at the end: $connected_at_end"

# per worker: RSS first / last / max under load, fds and threads idle before / after
rows=""
rss_ok=1
fds_before=$(awk '$1 == "idle-before" { n += $4 } END { print n + 0 }' "$work/fds.txt")
fds_after=$(awk '$1 == "idle-after" { n += $4 } END { print n + 0 }' "$work/fds.txt")
fd_ok=0
[ $((fds_after - fds_before)) -le $((2 * workers)) ] \
    && [ $((fds_before - fds_after)) -le $((2 * workers)) ] && fd_ok=1
for pid in $workers_after; do
    read -r first last max <<< "$(awk -v p="$pid" '$2 == p { if (!n++) f = $3; l = $3; if ($3 > m) m = $3 }
                                      END { print f + 0, l + 0, m + 0 }' "$work/rss.txt")"
    read -r fd0 th0 <<< "$(awk -v p="$pid" '$1 == "idle-before" && $2 == p { print $4, $5 }' "$work/fds.txt")"
    read -r fd1 th1 <<< "$(awk -v p="$pid" '$1 == "idle-after" && $2 == p { print $4, $5 }' "$work/fds.txt")"
    allowed=$(( first / 10 > 1024 ? first / 10 : 1024 ))
    flat=yes
    [ "$last" -le $((first + allowed)) ] || { flat=no; rss_ok=0; }
    rows+="| $pid | $first | $last | $max | $((last - first)) | $flat | ${fd0:-new} / ${fd1:-?} | ${th0:-new} / ${th1:-?} |"$'\n'
done
check "$rss_ok" "RSS flat on every worker (last <= first + max(10 %, 1 MB))"
check "$fd_ok" "open fds of all workers before / after, idle: $fds_before / $fds_after (+/- 2 per worker)"

alerts=$(grep -cE '\[(alert|crit|emerg)\]' "$work/logs/nginx-error.log" || true)
check "$([ "$alerts" -eq 0 ] && echo 1)" "error.log: $alerts [alert]/[crit]/[emerg] lines"

# every worker that lived during the run, from its first sample: "t:rss/fds"
series=$(awk '!($2 in seen) { seen[$2] = 1; order[++n] = $2 }
              { s[$2] = s[$2] sprintf("%s:%s/%s ", $1, $3, $4) }
              END { for (i = 1; i <= n; i++) printf "    %s: %s\n", order[i], s[order[i]] }' \
              "$work/rss.txt")$'\n'

table="| check | result |
|---|---|
${checks}
| worker | RSS first KB | RSS last KB | RSS max KB | last - first KB | flat | fds before / after (idle) | threads before / after |
|---|---|---|---|---|---|---|---|
${rows}
| load | |
|---|---|
| duration | ${elapsed} s (${seconds} s asked), broker down ${outage} s at $((seconds / 3)) s and $((2 * seconds / 3)) s, $reloads reloads |
| clients | wrk on getClientStatus ($wrk_connections keep-alive connections), $fresh_readers status readers on fresh connections, $keepalive_readers on keep-alive, 1 configuration writer (every ${writer_pause} s + reads), 1 activator (every ${toggle_pause} s + reads) |
| wrk | $wrk_good answers ($((wrk_good / ${elapsed%.*}))/s), $wrk_bad malformed, $wrk_errors errors, $wrk_closed connections closed by reloads |
| crashes | $crashes workers exited on a signal |
| requests (Perl clients) | $requests ($(field rate)/s), slowest answer $(field max_ms) ms |
| by method | $(field methods) |
| by worker | $(field workers) |
| status answers | $(field statuses) |"

printf '\n%s\n\nRSS (KB) / open fds of each worker every %s s under load (seconds:RSS/fds):\n%s' "$table" "$sample_every" "$series"
details=$(grep -E '^(failure|inconsistency) ' <<< "$report" || true)
if [ -n "$details" ]; then
    printf '\nfirst failures / inconsistencies:\n%s\n' "$details"
fi
if [ "$alerts" -gt 0 ]; then
    printf '\nerror.log:\n'
    grep -E '\[(alert|crit|emerg)\]' "$work/logs/nginx-error.log" | head -10
fi

model=$(cpu_model)
revision=$(cd "$repo" && git rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(cd "$repo" && git status --short -- src ngx_http_axis_mqtt_module.c config 2>/dev/null)" ] \
    || revision="$revision + local changes"
built=$(date -u -r "$module" '+%Y-%m-%d %H:%M UTC')
cat > "$bench/SOAK.md" <<EOF
# Soak figures

Machine: ${model:-unknown CPU}, $(nproc) CPUs, $(awk '/^MemTotal/ { printf "%.0f MB", $2 / 1024 }' /proc/meminfo),
$(uname -sr); nginx $(nginx -v 2>&1 | sed 's|.*/||'), $(mosquitto -h 2>/dev/null | head -1 | sed 's/ (build.*//').
Date: $(date -u '+%Y-%m-%d %H:%M UTC'); module built $built, checkout $revision.
Command: \`$invocation\` (bench/soak.sh; knobs: SOAK_SECONDS=$seconds SOAK_OUTAGE=$outage
SOAK_FRESH_READERS=$fresh_readers SOAK_KEEPALIVE_READERS=$keepalive_readers
SOAK_WRK_CONNECTIONS=$wrk_connections SOAK_RELOAD_EVERY=$reload_every SOAK_SLOW_US=$slow_us
SOAK_WRITER_PAUSE=$writer_pause SOAK_TOGGLE_PAUSE=$toggle_pause).

Result: $([ "$failures" -eq 0 ] && echo "every check passed" || echo "$failures check(s) FAILED").

RSS is sampled every $sample_every s under load (first sample when the load starts; a worker
of a later generation from its first sample); fds and threads are counted with the workers idle
and the client connected, before and after.  The series below also has the open fds.

$table

RSS (KB) / open fds of each worker every $sample_every s under load (seconds:RSS/fds):

$series
EOF

if [ "$failures" -ne 0 ]; then
    log "soak: $failures check(s) failed; logs in bench/work-soak/logs"
    exit 1
fi
log "soak: every check passed (bench/SOAK.md)"

#!/usr/bin/env bash
# Memory over many reconnections (issue 9): does the owner grow with each
# reconnect?  nginx with 1 worker (the owner) and two devices against one
# mosquitto with four listeners (tcp, ssl, ws, wss).  Device A stays
# connected (so Paho's threads keep running, as on a site); device B is
# reconfigured CREEP_RECONNECTS (10000) times, each configuration a
# reconnect with the next transport in turn: tcp, ssl with ALPN "mqtt",
# ws, wss (TLS without server validation: the handshake is what counts).
# Each reconfiguration waits for the broker to log B's new connection.
#
# The owner's RSS is sampled every CREEP_SAMPLE (500) reconnects; the
# figures go to bench/CREEP.md: first and last samples after a warm-up of
# one sample, the growth per reconnect, and the series.  No thresholds.
#
# Each reconnect takes about 60 ms (HTTP, save, DISCONNECT, connect): 10000
# take about 10 minutes.  Run by `./build.sh soak` after bench/soak.sh.
set -euo pipefail

bench=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$bench")
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$bench/lib.sh"
module=${AXIS_MQTT_MODULE:-$repo/build/ngx_http_axis_mqtt_module.so}
work=$bench/work-creep
reconnects=${CREEP_RECONNECTS:-10000}
sample=${CREEP_SAMPLE:-500}

require_tools creep "./build.sh deps" nginx mosquitto openssl perl
[ -f "$module" ] || "$repo/build.sh" build
invocation=$(invocation_of soak creep.sh)

stop_on_exit
make_work

out=$(free_ports 6)
read -r http_a http_b tcp ssl ws wss <<< "$out"

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 \
    -keyout "$work/broker.key" -out "$work/broker.crt" 2> /dev/null

write_broker_conf "$tcp" <<EOF
listener             $ssl 127.0.0.1
certfile             $work/broker.crt
keyfile              $work/broker.key
listener             $ws 127.0.0.1
protocol             websockets
listener             $wss 127.0.0.1
protocol             websockets
certfile             $work/broker.crt
keyfile              $work/broker.key
log_dest             file $work/logs/mosquitto.log
log_type             notice
log_type             information
EOF
launch_broker "$tcp"

write_nginx_conf nginx 1 256 notice "$module" <<EOF
    axis_mqtt_state_dir  $work/state;
    server { listen 127.0.0.1:$http_a; axis_mqtt_serial CREEP0000A;
             location = /c { axis_mqtt_client; } }
    server { listen 127.0.0.1:$http_b; axis_mqtt_serial CREEP0000B;
             location = /c { axis_mqtt_client; } }
EOF
start_nginx nginx_pid nginx "$http_a" 10

log "device B: $reconnects reconnects over tcp, ssl+ALPN, ws, wss; RSS every $sample"

perl - "$work" "$http_a" "$http_b" "$tcp" "$ssl" "$ws" "$wss" "$reconnects" "$sample" \
    "$nginx_pid" > "$work/series.txt" <<'PERL'
use strict;
use warnings;
use HTTP::Tiny;
use Time::HiRes qw(sleep time);

my ($work, $http_a, $http_b, $tcp, $ssl, $ws, $wss, $n, $sample, $master) = @ARGV;
my $ua = HTTP::Tiny->new(keep_alive => 1, timeout => 10);
my $log = "$work/logs/mosquitto.log";

sub call {
    my ($port, $body) = @_;
    my $r = $ua->post("http://127.0.0.1:$port/c", { content => $body });
    die "HTTP $r->{status}: $r->{content}\n" unless $r->{content} =~ /"data"/;
}

sub connects {     # B's connections the broker logged so far
    open my $fh, '<', $log or return 0;
    my $c = 0;
    while (<$fh>) { $c++ if /New client connected from \S+ as creep-b / }
    return $c;
}

sub rss {
    my @w = grep { my $s = `cat /proc/$_/stat 2>/dev/null`; $s =~ /^\d+ \(.*\) \S (\d+)/ && $1 == $master }
            map { m{/proc/(\d+)/} ? $1 : () } glob '/proc/[0-9]*/stat';
    my ($kb) = `cat /proc/$w[0]/status` =~ /^VmRSS:\s+(\d+)/m;
    return $kb;
}

my @transports = (
    qq{"server":{"protocol":"tcp","host":"127.0.0.1","port":$tcp}},
    qq{"server":{"protocol":"ssl","host":"127.0.0.1","port":$ssl,"alpnProtocol":"mqtt"},"ssl":{"validateServerCert":false}},
    qq{"server":{"protocol":"ws","host":"127.0.0.1","port":$ws}},
    qq{"server":{"protocol":"wss","host":"127.0.0.1","port":$wss},"ssl":{"validateServerCert":false}},
);

call($http_a, qq({"apiVersion":"1.0","method":"configureClient","params":{"server":{"protocol":"tcp","host":"127.0.0.1","port":$tcp},"clientId":"creep-a"}}));
call($http_a, '{"apiVersion":"1.0","method":"activateClient"}');
call($http_b, qq({"apiVersion":"1.0","method":"configureClient","params":{$transports[0],"clientId":"creep-b"}}));
call($http_b, '{"apiVersion":"1.0","method":"activateClient"}');

my $seen = 0;
my $t0 = time;
for my $i (0 .. $n) {
    my $want = $seen + 1;
    my $deadline = time + 10;
    sleep 0.002 while ($seen = connects()) < $want && time < $deadline;
    die "reconnect $i: B did not connect within 10 s\n" if $seen < $want;
    printf "%d %d %.1f\n", $i, rss(), time - $t0 if $i % $sample == 0;
    last if $i == $n;
    my $k = ($i + 1) % @transports;
    call($http_b, qq({"apiVersion":"1.0","method":"configureClient","params":{$transports[$k],"clientId":"creep-b","keepAliveInterval":@{[30 + ($i % 2)]}}}));
}
PERL

first=$(awk -v s="$sample" '$1 == s { print $2 }' "$work/series.txt")
last=$(awk 'END { print $2 }' "$work/series.txt")
secs=$(awk 'END { print $3 }' "$work/series.txt")
per=$(echo "scale=1; ($last - $first) * 1024 / ($reconnects - $sample)" | bc)
alerts=$(grep -cE '\[(alert|crit|emerg)\]' "$work/logs/nginx-error.log" || true)

series=$(awk '{ printf "%s:%s ", $1, $2 } END { print "" }' "$work/series.txt")
cat > "$bench/CREEP.md" <<EOF
# Memory over reconnections

Machine: $(cpu_model), $(nproc) CPUs; nginx $(nginx -v 2>&1 | sed 's|.*/||'), $(mosquitto -h 2>/dev/null | head -1 | sed 's/ (build.*//').
Date: $(date -u '+%Y-%m-%d %H:%M UTC'); checkout $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown).
Command: \`$invocation\` (bench/creep.sh, CREEP_RECONNECTS=$reconnects CREEP_SAMPLE=$sample).

nginx with one worker (the owner) and two devices; A stays connected, B is reconfigured
$reconnects times, each a reconnect over the next of tcp, ssl with ALPN, ws, wss, in $secs s.

| owner RSS after $sample reconnects | after $reconnects | growth per reconnect | alert/crit/emerg |
|---|---|---|---|
| $first KB | $last KB | $per bytes | $alerts |

RSS (KB) every $sample reconnects (reconnects:KB):

$series
EOF
cat "$bench/CREEP.md"
log "wrote bench/CREEP.md"

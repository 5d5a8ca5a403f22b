# The bridge's transports against real peers: MQTT over tcp, ssl, ws and wss
# (Debian's mosquitto, one listener per protocol), the default port of each
# protocol, the websocket basepath (seen by an nginx reverse proxy in front
# of mosquitto's websockets listener, which itself accepts any path), ALPN
# (seen by `openssl s_server`).  Certificates are made here with the openssl
# CLI; nothing binary is committed.  t/201-transports-tls-proxy.t covers
# certificate validation, client certificates and the HTTP(S) proxies.
use strict;
use warnings;

use lib 't/lib';
use Test::AxisNginx;
use Test::AxisNginx::Tls;    # make_certs, gw_start, call_ok, params, wait_status, ...

BEGIN { *subtest = \&Test::More::subtest }    # Test::Base does not export it

plan('no_plan');

# ------------------------------------------------------------------ setup

my $certs = make_certs("$ROOT/certs");
my ($ssl_port, $ws_port, $wss_port) = (free_port(), free_port(), free_port());
my $broker = start_mosquitto(config => <<"CONF");
listener $ssl_port 127.0.0.1
certfile $certs/server.crt
keyfile $certs/server.key
listener $ws_port 127.0.0.1
protocol websockets
listener $wss_port 127.0.0.1
protocol websockets
certfile $certs/server.crt
keyfile $certs/server.key
CONF
# start_mosquitto waits for the first listener only: the others follow
my $ws_opened = wait_for(sub {
    mosquitto_log($broker) =~ /Opening websockets listen socket on port $ws_port\b/
}, 5);
ok($ws_opened, "Debian's mosquitto has websockets");
my $gw = gw_start($certs);
my $tcp_port = $broker->{port};

# ------------------------------------------------------------------ tests

subtest 'each protocol connects and announces' => sub {
    my $first = 1;
    for my $case (['tcp', $tcp_port, {}],
                  ['ssl', $ssl_port, { ssl => { CACertID => 'ca' } }],
                  ['ws', $ws_port, {}],
                  ['wss', $wss_port, { ssl => { CACertID => 'ca' } }]) {
        my ($proto, $port, $extra) = @$case;
        my $id = "gw-$proto-$$";
        my $topic = "axis-test/transports/$proto";
        my $from = length mosquitto_log($broker);
        my $sub = sub_start(port => $tcp_port, topic => $topic, count => 1, timeout => 8);
        call_ok($gw, configureClient => params($proto, 'localhost', $port,
            clientId => $id, %$extra,
            connectMessage => { useDefault => $FALSE, topic => $topic,
                                message => "hello over $proto", retain => $FALSE,
                                qos => 1 }), "$proto: configureClient");
        call_ok($gw, 'activateClient') if $first;
        $first = 0;
        ok(wait_status($gw, 'connected', 8), "$proto: connected");
        my (undef, $conf) = status($gw);
        is($conf->{server}{protocol}, $proto, "$proto: status shows the protocol");
        my @msgs = sub_collect($sub);
        is_deeply([map { [$_->{topic}, $_->{payload}] } @msgs],
                  [[$topic, "hello over $proto"]],
                  "$proto: the connect message arrived at a subscriber");
        my $blog = substr(mosquitto_log($broker), $from);
        ok($blog =~ /New client connected from (\S+) as \Q$id\E \(/,
           "$proto: the broker saw the client") or diag($blog);
        my $peer = $1 // '?';
        if ($proto eq 'tcp' || $proto eq 'ssl') {
            like($blog, qr/New connection from \Q$peer\E on port $port\./,
                 "$proto: on the $proto listener");
        }
    }
};

# The module's defaults (1883/8883/80/443) cannot be bound by a test, so the
# default is checked where it is used: the status and the URI Paho is given
# (logged when connecting, and in the failure line).
subtest 'default ports' => sub {
    for my $case ([tcp => 1883], [ssl => 8883], [ws => 80], [wss => 443]) {
        my ($proto, $port) = @$case;
        my $mark = log_mark($gw);
        call_ok($gw, configureClient => params($proto, '127.0.0.1', undef,
            clientId => "gw-default-$proto", connectTimeout => 2,
            $proto =~ /ss/ ? (ssl => { CACertID => 'ca' }) : ()),
            "$proto without a port: configureClient");
        my (undef, $conf) = status($gw);
        is($conf->{server}{port}, $port, "$proto: status shows port $port");
        my $uri = qr{connecting to \Q$proto\E://127\.0\.0\.1:(\d+)[/ ]};
        my $seen = wait_for(sub { log_since($gw, $mark) =~ $uri && $1 }, 5);
        is($seen, $port, "$proto: Paho is given port $port")
            or diag(axis_lines(log_since($gw, $mark)));
    }
};

# mosquitto's websockets listener accepts any path, so an nginx reverse
# proxy that forwards only some paths to it (plain for ws, terminating TLS
# for wss) and logs each request line tells which path the module asks for.
subtest 'ws/wss basepath' => sub {
    my $tls_port = free_port();
    my $locations = join "\n", (map {
        "location = $_ { proxy_pass http://127.0.0.1:$ws_port;"
        . ' proxy_http_version 1.1; proxy_set_header Upgrade $http_upgrade;'
        . ' proxy_set_header Connection "upgrade"; proxy_read_timeout 1h; }'
    } '/custom/path', '/mqtt'), 'location / { return 404; }';
    my $px = start_nginx(workers => 1, config => $locations, http_config => <<"CONF");
server {
    listen 127.0.0.1:$tls_port ssl;
    ssl_certificate $certs/server.crt;
    ssl_certificate_key $certs/server.key;
    $locations
}
CONF
    my %proxy_port = (ws => $px->{port}, wss => $tls_port);
    # the request paths the proxy was asked for since $mark
    my $paths = sub {
        my ($mark) = @_;
        return [ log_since($px, $mark) =~ /http request line: "GET (\S+) HTTP/g ];
    };

    my $n = 0;
    for my $case (['ws', '/custom/path', '/custom/path', 1],
                  ['ws', 'custom/path', '/custom/path', 1],   # the "/" is added
                  ['ws', '/wrong/path', '/wrong/path', 0],
                  ['ws', '', '/mqtt', 1],                     # Paho's default
                  ['wss', '/custom/path', '/custom/path', 1],
                  ['wss', '/wrong/path', '/wrong/path', 0],
                  ['wss', '', '/mqtt', 1]) {
        my ($proto, $basepath, $want_path, $connects) = @$case;
        my $label = "$proto, basepath \"$basepath\"";
        my $id = 'gw-basepath-' . ++$n;
        my ($mark, $gmark, $from) = (log_mark($px), log_mark($gw),
                                     length mosquitto_log($broker));
        my $access = length slurp("$px->{servroot}/logs/access.log");
        call_ok($gw, configureClient => params($proto, 'localhost', $proxy_port{$proto},
            clientId => $id, server => { basepath => $basepath },
            $proto eq 'wss' ? (ssl => { CACertID => 'ca' }) : ()),
            "$label: configureClient");
        my $got = wait_for(sub { my $p = $paths->($mark); @$p ? $p : undef }, 5) // [];
        is($got->[0], $want_path, "$label: the websocket request is for $want_path");
        if ($connects) {
            ok(wait_status($gw, 'connected', 5), "$label: connected through the proxy")
                or diag(axis_lines(log_since($gw, $gmark)));
            like(substr(mosquitto_log($broker), $from), qr/ as \Q$id\E \(/,
                 "$label: the broker saw $id");
        } else {
            ok(wait_for(sub { log_since($gw, $gmark)
                              =~ /axis_mqtt: device \S+: connecting to \S+ failed: (.*)/ && $1 }, 5),
               "$label: the failure is logged");
            like(substr(slurp("$px->{servroot}/logs/access.log"), $access),
                 qr{"GET \Q$want_path\E HTTP/1\.1" 404 }, "$label: the proxy answered 404");
            my ($st) = status($gw);
            is($st, 'disconnected', "$label: not connected");
            diag("$label: error.log: $_")
                for axis_lines(log_since($gw, $gmark)) =~ /(axis_mqtt: device \S+: connecting to \S+ failed: .*)/g;
        }
    }
    # its websocket connections would hold up a graceful quit
    stop_nginx($px, signal => 'TERM');
};

# openssl s_server stands in for the broker: it prints the ALPN protocols
# the client offered (the MQTT connect itself does not complete there).
subtest 'alpnProtocol' => sub {
    for my $case (['ssl', 'x-amzn-mqtt-ca'], ['wss', 'x-amzn-mqtt-ca'], ['ssl', '']) {
        my ($proto, $alpn) = @$case;
        my $label = "$proto, alpnProtocol \"$alpn\"";
        my $port = free_port();
        my $out = "$ROOT/s_server-$proto-$port.out";
        unlink $out;
        my $pid = spawn_bg('s_server', $out, 'openssl', 's_server',
            '-accept', "127.0.0.1:$port", '-cert', "$certs/server.crt",
            '-key', "$certs/server.key", '-alpn', 'x-amzn-mqtt-ca', '-trace');
        ok(wait_for(sub { slurp($out) =~ /^ACCEPT/m }, 5), "$label: s_server listens")
            or diag(slurp($out));
        call_ok($gw, configureClient => params($proto, 'localhost', $port,
            clientId => "gw-alpn-$proto", ssl => { CACertID => 'ca' },
            server => { alpnProtocol => $alpn }), "$label: configureClient");
        ok(wait_for(sub { slurp($out) =~ /ClientHello/ }, 5), "$label: a TLS handshake came")
            or diag(slurp($out));
        # the trace of the ClientHello is complete once the server answers
        wait_for(sub { slurp($out) =~ /ServerHello|ALPN protocols advertised/ }, 5);
        my $text = slurp($out);
        if (length $alpn) {
            like($text, qr/^ALPN protocols advertised by the client: \Q$alpn\E$/m,
                 "$label: offered exactly $alpn");
            like($text, qr/^ALPN protocols selected: \Q$alpn\E$/m, "$label: negotiated");
        } else {
            unlike($text, qr/application_layer_protocol_negotiation|ALPN protocols advertised/,
                   "$label: no ALPN extension offered");
        }
        stop_bg($pid);
    }
};

subtest 'the broker password never shows in error.log' => sub {
    my $log = error_log_text($gw);
    ok(index($log, $PASSWORD) < 0, 'not in error.log');
};

call_ok($gw, 'deactivateClient');
is(stop_nginx($gw), 0, "nginx stopped cleanly")
    or diag(log_tail($gw));
stop_mosquitto($broker);

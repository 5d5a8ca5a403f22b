# The bridge's TLS and proxy settings against real peers: server certificate
# validation (right CA, unrelated CA, validation off, host name check),
# client certificates (a broker with require_certificate), and the HTTP
# CONNECT proxies httpProxy (tcp, ws) and httpsProxy (ssl, wss), through a
# small logging CONNECT proxy written here.  Each failure must be logged
# once, with its cause; no password (broker or proxy) may reach error.log.
# Certificates are made here with the openssl CLI.
use strict;
use warnings;

use lib 't/lib';
use Test::AxisNginx;
use Test::AxisNginx::Tls;    # make_certs, gw_start, call_ok, params, wait_status, ...
use MIME::Base64 qw(encode_base64);
use POSIX ();
use Time::HiRes qw(sleep time);

BEGIN { *subtest = \&Test::More::subtest }    # Test::Base does not export it

plan('no_plan');

# ------------------------------------------------------------------ setup

# An HTTP CONNECT proxy: one process per connection; logs each request line
# (and a Proxy-Authorization value) to $log.  Mode "pass" relays, "refuse"
# answers 403, "silent" never answers.
my $PROXY_CODE = <<'PERL';
use strict; use warnings; use IO::Socket::INET; use IO::Select; use POSIX ();
my ($port, $log, $mode) = @ARGV;
setpgrp(0, 0);
$SIG{CHLD} = 'IGNORE';
$SIG{TERM} = sub { local $SIG{TERM} = 'IGNORE'; kill 'TERM', -$$; POSIX::_exit(0) };
my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => $port,
                              Listen => 32, ReuseAddr => 1) or die "listen $port: $!";
print STDERR "listening on $port\n";
sub note { open my $fh, '>>', $log or return; print {$fh} "@_\n"; close $fh }
sub put { my ($s, $d) = @_; while (length $d) { my $n = syswrite($s, $d) // return 0;
          substr($d, 0, $n) = '' } 1 }
while (1) {
    my $c = $l->accept or next;
    my $pid = fork;
    if (!defined $pid || $pid) { close $c; next }
    close $l;
    my ($buf, $sel) = ('', IO::Select->new($c));
    while ($buf !~ /\r\n\r\n/) {
        $sel->can_read(10) && sysread($c, $buf, 4096, length $buf) or POSIX::_exit(0);
    }
    my ($head, $rest) = split /\r\n\r\n/, $buf, 2;
    my ($line, @headers) = split /\r\n/, $head;
    my ($auth) = map { /^Proxy-Authorization:\s*(.*)$/i ? $1 : () } @headers;
    note($line . (defined $auth ? " [auth $auth]" : ''));
    my ($host, $to) = $line =~ m{^CONNECT (\S+):(\d+) HTTP/1\.[01]$};
    if ($mode eq 'silent') { sleep 3600; POSIX::_exit(0) }
    if ($mode eq 'refuse' || !$to) {
        put($c, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        POSIX::_exit(0);
    }
    my $u = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $to, Timeout => 5);
    unless ($u) { put($c, "HTTP/1.1 502 Bad Gateway\r\n\r\n"); POSIX::_exit(0) }
    put($c, "HTTP/1.1 200 Connection established\r\n\r\n");
    put($u, $rest) if length $rest;
    my $both = IO::Select->new($c, $u);
    while (1) {
        for my $r ($both->can_read) {
            sysread($r, my $data, 65536) or POSIX::_exit(0);
            put($r == $c ? $u : $c, $data) or POSIX::_exit(0);
        }
    }
}
PERL

sub start_proxy {
    my ($mode) = @_;
    my $port = free_port();
    my $log = "$ROOT/proxy-$mode-$port.log";
    unlink $log;
    unlink "$ROOT/proxy-$mode-$port.err";
    my $pid = spawn_bg("proxy $mode", "$ROOT/proxy-$mode-$port.err",
                       $^X, '-e', $PROXY_CODE, $port, $log, $mode);
    # its own word, not a connect: the port could be someone else's
    wait_for(sub { slurp("$ROOT/proxy-$mode-$port.err") =~ /^listening on $port$/m
                   || waitpid($pid, POSIX::WNOHANG()) }, 5);
    slurp("$ROOT/proxy-$mode-$port.err") =~ /^listening on $port$/m && kill(0, $pid)
        or die "the $mode proxy did not start: " . slurp("$ROOT/proxy-$mode-$port.err");
    return { pid => $pid, port => $port, log => $log, mode => $mode };
}

sub proxy_log { slurp($_[0]{log}) }

# ------------------------------------------------------------------ setup

my $certs = make_certs("$ROOT/certs");
my %port = map { $_ => free_port() } qw(ssl name mtls ws wss);
my $broker = start_mosquitto(config => <<"CONF");
listener $port{ssl} 127.0.0.1
certfile $certs/server.crt
keyfile $certs/server.key
listener $port{name} 127.0.0.1
certfile $certs/server-name.crt
keyfile $certs/server-name.key
listener $port{mtls} 127.0.0.1
certfile $certs/server.crt
keyfile $certs/server.key
cafile $certs/ca.crt
require_certificate true
use_identity_as_username true
listener $port{ws} 127.0.0.1
protocol websockets
listener $port{wss} 127.0.0.1
protocol websockets
certfile $certs/server.crt
keyfile $certs/server.key
CONF
$port{tcp} = $broker->{port};
my $gw = gw_start($certs);
call_ok($gw, configureClient => params('tcp', '127.0.0.1', $port{tcp}, clientId => 'gw-start'));
call_ok($gw, 'activateClient');
ok(wait_status($gw, 'connected', 5), 'connected over tcp to begin with');

my $Case = 0;

# Configure; expect a connection (to the broker, as a fresh client id).
# Returns the broker log lines of this case.
sub expect_connected {
    my ($label, $params) = @_;
    my $id = sprintf 'gw-%02d', ++$Case;
    my ($from, $mark) = (length mosquitto_log($broker), log_mark($gw));
    call_ok($gw, configureClient => { %$params, clientId => $id }, "$label: configureClient");
    ok(wait_status($gw, 'connected', 6), "$label: connected")
        or diag(axis_lines(log_since($gw, $mark)));
    my $blog = wait_for(sub { my $t = substr(mosquitto_log($broker), $from);
                              $t =~ /New client connected from .* as \Q$id\E \(/ && $t }, 3);
    ok($blog, "$label: the broker saw client $id")
        or diag(substr(mosquitto_log($broker), $from));
    return $blog // '';
}

# Configure; expect no connection and one error.log line with the cause.
# Returns (cause, broker log of this case).
sub expect_failure {
    my ($label, $params) = @_;
    my $id = sprintf 'gw-%02d', ++$Case;
    my ($from, $mark) = (length mosquitto_log($broker), log_mark($gw));
    call_ok($gw, configureClient => { %$params, clientId => $id }, "$label: configureClient");
    my $fail = qr/^.*axis_mqtt: device \S+: connecting to \S+ failed: (.*)$/m;
    my $cause = wait_for(sub { log_since($gw, $mark) =~ $fail && $1 }, 8);
    ok($cause, "$label: the failure is logged with a cause")
        or diag(axis_lines(log_since($gw, $mark)));
    # let two retries run: each cause must stay logged once
    wait_for(sub { my @n = log_since($gw, $mark) =~ /axis_mqtt: device \S+: connecting to \S+ as/g;
                   @n >= 3 }, 6);
    my $text = log_since($gw, $mark);
    my @causes = $text =~ /axis_mqtt: device \S+: connecting to \S+ failed: (.*)$/mg;
    my %seen;
    ok(@causes && !grep({ $seen{$_}++ } @causes),
       "$label: each cause logged once, not once per retry") or diag(axis_lines($text));
    my ($st) = status($gw);
    is($st, 'disconnected', "$label: status disconnected");
    my $blog = substr(mosquitto_log($broker), $from);
    unlike($blog, qr/New client connected from .* as \Q$id\E \(/,
           "$label: the broker never accepted $id");
    diag("$label: error.log: $_") for axis_lines($text) =~ /(axis_mqtt: device \S+: connecting to \S+ failed: .*)/g;
    return ($cause // '', $blog);
}

sub ssl_params {
    my ($host, $port, %ssl) = @_;
    return params('ssl', $host, $port, ssl => \%ssl);
}

# ------------------------------------------------------------------ tests

subtest 'server certificate validation' => sub {
    expect_connected('right CA', ssl_params('localhost', $port{ssl},
        validateServerCert => $TRUE, CACertID => 'ca'));

    my ($cause, $blog) = expect_failure('unrelated CA', ssl_params('localhost', $port{ssl},
        validateServerCert => $TRUE, CACertID => 'wrong-ca'));
    like($blog, qr/alert unknown ca|certificate unknown|bad certificate/,
         'unrelated CA: the broker saw the client reject its certificate');
    like($cause, qr/certificate|verif/i, 'unrelated CA: the cause names the certificate');

    expect_connected('unrelated CA, validateServerCert false', ssl_params('localhost',
        $port{ssl}, validateServerCert => $FALSE, CACertID => 'wrong-ca'));

    # on by default; the system's trust store does not know the test CA
    ($cause) = expect_failure('no CACertID, validateServerCert omitted',
        params('ssl', 'localhost', $port{ssl}));
    like($cause, qr/certificate|verif/i, 'no CACertID: the cause names the certificate');

    expect_connected('no CACertID, validateServerCert false', ssl_params('localhost',
        $port{ssl}, validateServerCert => $FALSE));

    # host name verification: a certificate for "localhost" only
    expect_connected('name-only certificate, host localhost', ssl_params('localhost',
        $port{name}, validateServerCert => $TRUE, CACertID => 'ca'));
    ($cause) = expect_failure('name-only certificate, host 127.0.0.1',
        ssl_params('127.0.0.1', $port{name}, validateServerCert => $TRUE, CACertID => 'ca'));
    like($cause, qr/host|name|verif|certificate/i,
         'host name mismatch: the cause names the host name check');
    expect_connected('name-only certificate, host 127.0.0.1, validateServerCert false',
        ssl_params('127.0.0.1', $port{name}, validateServerCert => $FALSE, CACertID => 'ca'));
    expect_connected('certificate with the IP address, host 127.0.0.1',
        ssl_params('127.0.0.1', $port{ssl}, validateServerCert => $TRUE, CACertID => 'ca'));

    expect_connected('wss, right CA', params('wss', 'localhost', $port{wss},
        ssl => { validateServerCert => $TRUE, CACertID => 'ca' }));
    expect_failure('wss, unrelated CA', params('wss', 'localhost', $port{wss},
        ssl => { validateServerCert => $TRUE, CACertID => 'wrong-ca' }));
};

subtest 'client certificate' => sub {
    my ($cause, $blog) = expect_failure('require_certificate, no clientCertID',
        ssl_params('localhost', $port{mtls}, CACertID => 'ca'));
    like($blog, qr/peer did not return a certificate|certificate required/,
         'no clientCertID: the broker asked for a certificate');
    like($cause, qr/certificate|handshake|alert/i, 'no clientCertID: the cause says why');

    $blog = expect_connected('require_certificate, clientCertID', ssl_params('localhost',
        $port{mtls}, CACertID => 'ca', clientCertID => 'client'));
    like($blog, qr/as gw-\d+ \(.*u'axis-gateway-client'\)/,
         'clientCertID: the broker took the certificate CN as the user name');

    ($cause) = expect_failure('clientCertID of a missing file', ssl_params('localhost',
        $port{mtls}, CACertID => 'ca', clientCertID => 'no-such-cert'));
    like($cause, qr/no-such-cert|file|certificate/i, 'missing file: the cause says why');
};

subtest 'httpProxy and httpsProxy' => sub {
    my $px = start_proxy('pass');
    my $through = sub {
        my ($label, $target, $from) = @_;
        my @lines = grep { /^CONNECT / } split /\n/, substr(proxy_log($px), $from);
        ok(scalar(grep { m{^CONNECT 127\.0\.0\.1:$target HTTP/1\.[01]\b} } @lines),
           "$label: the proxy got CONNECT 127.0.0.1:$target")
            or diag("proxy log: @lines");
        return \@lines;
    };

    for my $case (['tcp', 'httpProxy', "http://127.0.0.1:$px->{port}"],
                  ['tcp', 'httpProxy', "127.0.0.1:$px->{port}"],
                  ['ws', 'httpProxy', "http://127.0.0.1:$px->{port}"],
                  ['ssl', 'httpsProxy', "127.0.0.1:$px->{port}"],
                  ['ssl', 'httpsProxy', "http://127.0.0.1:$px->{port}"],
                  ['wss', 'httpsProxy', "127.0.0.1:$px->{port}"]) {
        my ($proto, $key, $proxy) = @$case;
        my $label = "$proto via $key \"$proxy\"";
        my $from = length proxy_log($px);
        expect_connected($label, params($proto, '127.0.0.1', $port{$proto}, $key => $proxy,
            $proto =~ /ss/ ? (ssl => { CACertID => 'ca' }) : ()));
        $through->($label, $port{$proto}, $from);
    }

    # each protocol uses only its own proxy setting
    for my $case (['tcp', 'httpsProxy'], ['ssl', 'httpProxy']) {
        my ($proto, $key) = @$case;
        my $label = "$proto with only $key set";
        my $from = length proxy_log($px);
        expect_connected($label, params($proto, '127.0.0.1', $port{$proto},
            $key => "127.0.0.1:$px->{port}",
            $proto eq 'ssl' ? (ssl => { CACertID => 'ca' }) : ()));
        is(substr(proxy_log($px), $from), '', "$label: the proxy is not used");
    }

    # credentials in the proxy URL go to the proxy, and nowhere else
    my $secret = 'proxy-pw-Hy3nV8';
    for my $case (['tcp', 'httpProxy', "http://puser:$secret\@127.0.0.1:$px->{port}"],
                  ['ssl', 'httpsProxy', "puser:$secret\@127.0.0.1:$px->{port}"]) {
        my ($proto, $key, $proxy) = @$case;
        my $label = "$proto via $key with credentials";
        my $from = length proxy_log($px);
        expect_connected($label, params($proto, '127.0.0.1', $port{$proto}, $key => $proxy,
            $proto eq 'ssl' ? (ssl => { CACertID => 'ca' }) : ()));
        my $lines = $through->($label, $port{$proto}, $from);
        my $basic = encode_base64("puser:$secret", '');
        ok(scalar(grep { /\[auth Basic \Q$basic\E\]$/ } @$lines),
           "$label: the proxy got the credentials") or diag("proxy log: @$lines");
    }
    my $log = error_log_text($gw);
    ok(index($log, $secret) < 0 && index($log, encode_base64("puser:$secret", '')) < 0,
       'the proxy password never shows in error.log');

    my $no = start_proxy('refuse');
    for my $case (['tcp', 'httpProxy', "http://127.0.0.1:$no->{port}"],
                  ['ssl', 'httpsProxy', "127.0.0.1:$no->{port}"]) {
        my ($proto, $key, $proxy) = @$case;
        my $label = "$proto via a $key that refuses (403)";
        my $from = length proxy_log($no);
        my ($cause) = expect_failure($label, params($proto, '127.0.0.1', $port{$proto},
            $key => $proxy, $proto eq 'ssl' ? (ssl => { CACertID => 'ca' }) : ()));
        like(substr(proxy_log($no), $from), qr{^CONNECT 127\.0\.0\.1:$port{$proto} }m,
             "$label: the proxy was asked");
        like($cause, qr/proxy|403|forbidden/i, "$label: the cause names the proxy");
    }
    # not through a proxy when they go away
    expect_connected('direct tcp again', params('tcp', '127.0.0.1', $port{tcp}));
    stop_bg($px->{pid});
    stop_bg($no->{pid});
};

subtest 'the broker password never shows in error.log' => sub {
    ok(index(error_log_text($gw), $PASSWORD) < 0, 'not in error.log');
};

# Paho waits up to 10 s for a proxy's answer, holding its global mutex (any
# Paho call waits for it).  The gateway must not wait with it: every worker
# keeps answering, a new configuration gets through, nginx quits in time.
subtest 'a proxy that never answers does not hold up the gateway' => sub {
    my $px = start_proxy('silent');
    my $through_silent = sub {
        my ($label) = @_;
        my $from = length proxy_log($px);
        call_ok($gw, configureClient => params('tcp', '127.0.0.1', $port{tcp},
            clientId => 'gw-silent-proxy', httpProxy => "127.0.0.1:$px->{port}"),
            "$label: configureClient through a proxy that never answers");
        ok(wait_for(sub { substr(proxy_log($px), $from) =~ /^CONNECT /m }, 5),
           "$label: the proxy got the CONNECT");
        sleep 0.3;    # Paho is waiting for the answer now
    };

    $through_silent->('reconfigure');
    my $from = length mosquitto_log($broker);
    my $t0 = time;
    call_ok($gw, configureClient => params('tcp', '127.0.0.1', $port{tcp},
        clientId => 'gw-after-silent-proxy'), 'configureClient without the proxy');
    ok(time - $t0 < 2, sprintf 'the new configuration was answered in %.1f s (< 2 s)',
       time - $t0);

    # meanwhile (Paho still waits for the proxy) every worker answers
    my %slowest;
    my $t1 = time;
    while (keys %slowest < 4 && time < $t1 + 5) {
        my $t = time;
        my (undef, $res) = api($gw->{port}, { apiVersion => '1.0', method => 'getClientStatus' });
        my $w = $res->header('X-Worker') // '?';
        $slowest{$w} = time - $t if ($slowest{$w} // -1) < time - $t;
    }
    is(scalar(grep { $_ ne '?' } keys %slowest), 4, 'all 4 workers answered meanwhile')
        or diag('answered (pid => slowest s): ' . Test::More::explain(\%slowest)
                . 'workers: ' . join(' ', worker_pids($gw)));
    my ($max) = sort { $b <=> $a } values %slowest;
    ok(defined $max && $max < 1, sprintf 'each within 1 s (slowest %.1f s)', $max // -1);

    # Paho gives up on the proxy after 10 s: no sooner than that, maybe
    ok(wait_status($gw, 'connected', 13), 'connected without the proxy');
    like(substr(mosquitto_log($broker), $from), qr/as gw-after-silent-proxy \(/,
         'the broker saw the new client');
    diag(sprintf 'status connected %.1f s after the reconfiguration', time - $t0);

    $through_silent->('quit');
    $t0 = time;
    my $status = stop_nginx($gw, timeout => 8);
    my $took = time - $t0;
    is($status, 0, 'quit: nginx stopped cleanly') or diag(log_tail($gw));
    ok($took < 6, sprintf 'quit: in %.1f s (< 6 s)', $took);
    stop_bg($px->{pid});
};

stop_mosquitto($broker);

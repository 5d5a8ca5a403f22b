# One gateway, many devices (issue 9): nginx with 4 workers and three
# servers, against a real mosquitto:
#   - port A   (http)  axis_mqtt_serial ACCC8E00000A,
#   - port A2  (https) axis_mqtt_serial ACCC8E00000A: the same device,
#   - port B   (http)  axis_mqtt_serial ACCC8E00000B.
# Each device has its own configuration, status, activation, state file,
# messages on its own topic prefix and broker connection; deactivating one
# leaves the other connected; a reload, a restart and a kill -9 of the owner
# bring back each device's own state (and the broker publishes each active
# device's last will after the kill).  A gateway upgraded from the
# single-device layout keeps its client.json as its device's file.  A
# failure is logged for its device only.  Bad setups are nginx -t errors.
use strict;
use warnings;

use lib 't/lib';
use Test::AxisNginx;
use Test::AxisNginx::Bridge qw(wait_blog blog count_re);
use Test::AxisNginx::Gateway qw(gateway_cert slurp spew);
use File::Path qw(make_path);
use HTTP::Tiny;
use JSON::PP ();
use Time::HiRes qw(sleep time);

BEGIN { *subtest = \&Test::More::subtest }    # Test::Base does not export it

plan('no_plan');

my ($SA, $SB) = ('ACCC8E00000A', 'ACCC8E00000B');
my $CGI  = '/axis-cgi/mqtt/client.cgi';
my $TRUE = JSON::PP::true;
my $LOC  = "location = $CGI { axis_mqtt_client; add_header X-Worker \$pid always; }";

my $b = start_mosquitto();
my ($port_a2, $port_b) = (free_port(), free_port());
my $certs = "$ENV{PWD}/t/servroot/500-devices/certs";
make_path($certs);
gateway_cert($certs);

my $HTTPS = HTTP::Tiny->new(verify_SSL => 0, timeout => 10);

sub gw_start {
    return start_nginx(workers => 4, log_level => 'info',
        http_config => "axis_mqtt_serial $SA;\n"
            . "server { listen 127.0.0.1:$port_a2 ssl; axis_mqtt_serial $SA;\n"
            . "  ssl_certificate $certs/gateway.crt; ssl_certificate_key $certs/gateway.key;\n"
            . "  $LOC }\n"
            . "server { listen 127.0.0.1:$port_b; axis_mqtt_serial $SB; $LOC }",
        config => $LOC, @_);
}

# one request to a port (A2 over https): the decoded answer
sub call {
    my ($port, $method, $params) = @_;
    my %req = (apiVersion => '1.0', context => 'd', method => $method);
    $req{params} = $params if $params;
    if ($port == $port_a2) {
        my $res = $HTTPS->post("https://127.0.0.1:$port$CGI",
                               { content => JSON::PP->new->encode(\%req) });
        return eval { JSON::PP->new->decode($res->{content}) } // { _error => $res->{content} };
    }
    return scalar api($port, \%req);
}

sub call_ok {
    my ($port, $method, $params, $label) = @_;
    my $data = call($port, $method, $params);
    ok(ref $data->{data} eq 'HASH' && !$data->{error}, $label // "$method on :$port")
        or diag(Test::More::explain($data));
    return $data;
}

sub params {
    my ($id, %over) = @_;
    return { server => { protocol => 'tcp', host => '127.0.0.1', port => $b->{port} },
             clientId => $id, connectTimeout => 5, keepAliveInterval => 30,
             lastWillTestament => { useDefault => $TRUE },
             connectMessage => { useDefault => $TRUE },
             disconnectMessage => { useDefault => $TRUE }, %over };
}

sub status {
    my ($port) = @_;
    my $d = call($port, 'getClientStatus');
    my $s = ref $d->{data} eq 'HASH' ? $d->{data}{status} // {} : {};
    return (($s->{state} // '?') . '/' . ($s->{connectionStatus} // '?'), $d->{data}{config});
}

# until every port's answers (from several workers) are $want
sub wait_status {
    my ($want, $timeout, @ports) = @_;
    my $deadline = time + ($timeout // 10);
    my %last;
    while (time < $deadline) {
        my $all = 1;
        for my $p (@ports) {
            for (1 .. 4) {
                ($last{$p}) = status($p);
                $all = 0 if $last{$p} ne $want;
            }
        }
        return 1 if $all;
        sleep 0.02;
    }
    diag("waiting for $want: " . join(', ', map { ":$_ $last{$_}" } @ports));
    return 0;
}

# ESTABLISHED connections to the broker (nothing else connects to it)
sub connections {
    my $local = sprintf '0100007F:%04X', $b->{port};
    return scalar grep { my @f = split ' '; @f > 3 && $f[1] eq $local && $f[3] eq '01' }
        split /\n/, slurp('/proc/net/tcp') // '';
}

sub wait_connections {
    my ($n) = @_;
    my $deadline = time + 10;
    sleep 0.05 while connections() != $n && time < $deadline;
    return connections() == $n;
}

# ------------------------------------------------------------------ tests

my $h = gw_start();
my $port_a = $h->{port};

subtest 'each device its own configuration and status' => sub {
    call_ok($port_a, 'configureClient', params('cam-a'));
    call_ok($port_b, 'configureClient', params('cam-b', deviceTopicPrefix => 'site/b'));

    my (undef, $ca) = status($port_a);
    my (undef, $ca2) = status($port_a2);
    my (undef, $cb) = status($port_b);
    is($ca->{clientId}, 'cam-a', 'A: its configuration');
    is($ca2->{clientId}, 'cam-a', 'A over https: the same device');
    is($cb->{clientId}, 'cam-b', 'B: its own');
    is($ca->{deviceTopicPrefix}, "axis/$SA", "A: the default prefix has A's serial");
    is($cb->{deviceTopicPrefix}, 'site/b', 'B: its prefix');

    for my $s ($SA, $SB) {
        my $f = state_file_of($h, $s);
        ok(-f $f, "client-$s.json saved");
        is(sprintf('%04o', (stat $f)[2] & 07777), '0600', "client-$s.json is 0600");
    }
    ok(!-e "$h->{state_dir}/client.json", 'no single-device file');

    # a write to A over https shows on A's http server
    call_ok($port_a2, 'configureClient', params('cam-a2'));
    (undef, $ca) = status($port_a);
    is($ca->{clientId}, 'cam-a2', 'written over https, read over http: one device');
    (undef, $cb) = status($port_b);
    is($cb->{clientId}, 'cam-b', 'B untouched');
    call_ok($port_a, 'configureClient', params('cam-a'));
};

subtest 'activation, a connection per device, messages on each prefix' => sub {
    my $sub = sub_start(port => $b->{port}, topic => ["axis/$SA/#", 'site/b/#'],
                        count => 2, timeout => 10);
    call_ok($port_a, 'activateClient');
    ok(wait_status('active/connected', 10, $port_a, $port_a2), 'A: active/connected');
    my ($sb) = status($port_b);
    is($sb, 'inactive/disconnected', 'B: still inactive');
    unlike(blog($b), qr/as cam-b/, 'the broker saw nothing of cam-b');

    call_ok($port_b, 'activateClient');
    ok(wait_status('active/connected', 10, $port_a, $port_a2, $port_b), 'both connected');

    # the subscriber gone, only the devices are connected to the broker
    my @msgs = sub_collect($sub);
    ok(wait_connections(2), 'two connections at the broker, one per device');
    my %by = map { $_->{topic} => JSON::PP->new->decode($_->{payload}) } @msgs;
    diag(join "\n", map { "$_->{topic} $_->{payload}" } @msgs) if keys %by != 2;
    is($by{"axis/$SA/event/connection"}{serialNumber}, $SA, "A announced on axis/$SA with its serial");
    is($by{'site/b/event/connection'}{serialNumber}, $SB, 'B announced on site/b with its serial');
    like(blog($b), qr/New client connected from \S+ as cam-a \(/, 'broker: cam-a');
    like(blog($b), qr/New client connected from \S+ as cam-b \(/, 'broker: cam-b');
};

subtest 'deactivating one leaves the other connected' => sub {
    my $mark = length blog($b);
    my $sub = sub_start(port => $b->{port}, topic => "axis/$SA/#", count => 1, timeout => 10,
                        extra => ['-R']);
    call_ok($port_a, 'deactivateClient');
    ok(wait_status('inactive/disconnected', 10, $port_a), 'A: inactive');
    my ($msg) = sub_collect($sub);
    like($msg->{payload} // '', qr/"Disconnected"/, "A's disconnect message");
    ok(wait_connections(1), 'one connection left');
    my ($sb) = status($port_b);
    is($sb, 'active/connected', 'B: still connected');
    unlike(blog($b, $mark), qr/cam-b/, 'the broker saw nothing of cam-b');
    call_ok($port_a, 'activateClient');
    ok(wait_status('active/connected', 10, $port_a, $port_b), 'A back');
};

subtest 'a failure is logged for its device only' => sub {
    my $closed = free_port();
    call_ok($port_b, 'configureClient', params('cam-b', server => {
        protocol => 'tcp', host => '127.0.0.1', port => $closed }));
    my $deadline = time + 10;
    sleep 0.05 until error_log_text($h) =~ /device $SB: connecting to tcp:\/\/127\.0\.0\.1:$closed failed: /
                     || time > $deadline;
    like(error_log_text($h), qr/\[error\] .*axis_mqtt: device $SB: connecting to tcp:\/\/127\.0\.0\.1:$closed failed: .*refused/,
         'B: the cause, with its device');
    unlike(error_log_text($h), qr/device $SA: connecting to .* failed/, 'nothing failed for A');
    my ($sa) = status($port_a);
    is($sa, 'active/connected', 'A: unaffected');
    call_ok($port_b, 'configureClient', params('cam-b', deviceTopicPrefix => 'site/b'));
    ok(wait_status('active/connected', 15, $port_a, $port_b), 'B back');
};

subtest 'reload: each device back, no last will' => sub {
    my $mark = length blog($b);
    ok(reload_nginx($h, wait_old => 1, timeout => 15), 'a new generation');
    ok(wait_status('active/connected', 15, $port_a, $port_b), 'both connected again');
    ok(wait_connections(2), 'two connections');
    my $log = blog($b, $mark);
    is(count_re($log, qr/Received DISCONNECT from cam-a/), 1, 'A: a clean DISCONNECT');
    is(count_re($log, qr/Received DISCONNECT from cam-b/), 1, 'B: a clean DISCONNECT');
    unlike($log, qr/already connected, closing old connection/, 'no takeover');
};

subtest 'kill -9 of the owner: each last will, each reconnection' => sub {
    my ($owner) = (error_log_text($h) =~ /axis_mqtt: process (\d+) owns the MQTT client/g)[-1];
    ok($owner, "owner $owner");
    my $sub = sub_start(port => $b->{port}, topic => ["axis/$SA/#", 'site/b/#'],
                        count => 4, timeout => 15);
    kill 'KILL', $owner;
    ok(wait_status('active/connected', 15, $port_a, $port_b), 'both connected again');
    my @msgs = sub_collect($sub);
    my @lwt = grep { $_->{payload} =~ /Connection Lost/ } @msgs;
    is(join(' ', sort map { $_->{topic} } @lwt),
       "axis/$SA/event/connection site/b/event/connection", "each device's last will");
    my @up = grep { $_->{payload} =~ /"Connected"/ } @msgs;
    is(scalar @up, 2, 'each device announced again');
    ok(wait_connections(2), 'two connections');
};

subtest 'restart: each device from its own file' => sub {
    is(stop_nginx($h), 0, 'nginx stops');
    ok(wait_connections(0), 'no connection left');
    $h = gw_start(keep_state => 1, port => $port_a);
    ok(wait_status('active/connected', 15, $port_a, $port_b), 'both active and connected');
    my (undef, $ca) = status($port_a);
    my (undef, $cb) = status($port_b);
    is($ca->{clientId}, 'cam-a', 'A: its configuration');
    is($cb->{clientId}, 'cam-b', 'B: its configuration');
    is(stop_nginx($h), 0, 'nginx stops');
};

subtest 'upgrade from the single-device layout' => sub {
    # the old layout: client.json of the http level's device, A
    my $old = slurp(state_file_of($h, $SA));
    my $sd = $h->{state_dir};
    unlink glob("$sd/client-*.json");
    spew("$sd/client.json", $old);
    chmod 0600, "$sd/client.json";

    $h = gw_start(keep_state => 1, port => $port_a);
    ok(wait_status('active/connected', 15, $port_a), 'A: active and connected');
    my (undef, $ca) = status($port_a);
    is($ca->{clientId}, 'cam-a', "A: client.json's configuration");
    my ($sb, $cb) = status($port_b);
    is($sb, 'inactive/disconnected', 'B: a new device, inactive');
    is($cb->{clientId}, '', 'B: defaults');
    ok(!-e "$sd/client.json", 'client.json is gone ...');
    is(slurp(state_file_of($h, $SA)), $old, "... renamed to client-$SA.json");
    like(error_log_text($h), qr/device $SA: "\Q$sd\E\/client\.json" is now "\Q$sd\E\/client-$SA\.json"/,
         'the rename is logged');
    is(stop_nginx($h), 0, 'nginx stops');
};

subtest 'bad setups: nginx -t errors' => sub {
    my %bad = (
        'a serial that is no file name' =>
            ["axis_mqtt_serial ../x;", qr/axis_mqtt_serial "\.\.\/x" may have only/],
        'one device, two certificate directories' =>
            ["axis_mqtt_serial $SA; server { listen 127.0.0.1:$port_b; axis_mqtt_serial $SA;"
             . " axis_mqtt_cert_dir /tmp/other; $LOC }",
             qr/the servers of device "$SA" have different axis_mqtt_cert_dir/],
        'a serial too long' =>
            ['axis_mqtt_serial ' . ('x' x 65) . ';', qr/axis_mqtt_serial must be 1 to 64 characters/],
    );
    for my $label (sort keys %bad) {
        my ($conf, $re) = @{ $bad{$label} };
        my $sr = "$ENV{PWD}/t/servroot/500-devices/bad";
        make_path("$sr/logs", "$sr/state");
        chmod 0700, "$sr/state";
        spew("$sr/nginx.conf", join "\n",
             "load_module $ENV{PWD}/build/ngx_http_axis_mqtt_module.so;",
             'events {}', ($> == 0 ? 'user root;' : ()),
             "error_log $sr/logs/error.log;",
             "http { axis_mqtt_state_dir $sr/state; $conf",
             "server { listen 127.0.0.1:$port_a; $LOC } }", '');
        my $out = `nginx -t -p $sr/ -c $sr/nginx.conf 2>&1`;
        isnt($? >> 8, 0, "$label: nginx -t fails");
        like($out, $re, "$label: it says why") or diag($out);
    }
};

stop_mosquitto($b);

# Fault injection: with two devices on the gateway, each with its client
# configured (connect message and last will by default) and active, nginx
# with 4 workers and a real mosquitto (log_type all) go through
#   (a) 20 broker restarts (stop mosquitto, start it again on the same port),
#   (b) 20 kill -9 of the worker that owns the MQTT client,
#   (c) 20 reloads (SIGHUP, until the new generation runs alone),
# and after EACH one, within a deadline, for each device:
#   - the broker has exactly one connection of its clientId: its log holds
#     exactly one open session of the id (every "New client connected ... as
#     <id>" closed by a disconnect / close / socket error, but the last), and
#     exactly one ESTABLISHED TCP connection per device to the broker port
#     exists (read from /proc/net/tcp: nothing else connects to this broker);
#   - the broker log never shows the id connecting while it is still
#     connected, nor a takeover ("already connected, closing old connection");
#   - every current worker answers getClientStatus of the device with
#     active/connected and the configuration as it was configured;
#   - the device's state file is byte-identical to the file after configure
#     + activate.
# The time each recovery took is printed (median / max per kind); the only
# timing assertions are the generous deadlines.
#
# The broker's $SYS/broker/clients/connected (with sys_interval 1) is not
# used: it is published at most once a second, so it lags a reconnect, and
# it counts every client (a mosquitto_sub reading it counts itself).
#
# Disk full / unwritable state dir during configureClient -> 1100 with the
# old saved configuration intact is covered by t/040-persistence.t (a 16k
# tmpfs when `mount -t tmpfs` works, and a save that fails because the temp
# file name is taken): not repeated here.
use strict;
use warnings;

use lib 't/lib';
use Test::AxisNginx;
use JSON::PP ();
use List::Util qw(max);
use Time::HiRes qw(sleep time);

BEGIN { *subtest = \&Test::More::subtest }    # Test::Base does not export it

plan('no_plan');

my $ROUNDS    = $ENV{AXIS_MQTT_FAULT_ROUNDS} || 20;
my $DEADLINE  = 15;        # per recovery, seconds: generous on purpose
my $WORKERS   = 4;
my $CGI       = '/axis-cgi/mqtt/client.cgi';
my $TRUE      = JSON::PP::true;
my $JC        = JSON::PP->new->canonical;

# ------------------------------------------------------------------ helpers

# The devices.  Each has a server with reuseport: each worker has its own
# listening socket and the kernel spreads fresh connections over all of
# them, so a handful of requests reaches every worker.
my @DEVICES = (
    { serial => 'ACCC8E012345', id => 'gw-faults',   spread => free_port() },
    { serial => 'ACCC8E0FA175', id => 'gw-faults-2', spread => free_port() },
);

sub gw_start {
    my $loc = "location = $CGI { axis_mqtt_client; add_header X-Worker \$pid always; }";
    return start_nginx(workers => $WORKERS,
        http_config => "axis_mqtt_serial $DEVICES[0]{serial};\n"
            . join('', map { "server { listen 127.0.0.1:$_->{spread} reuseport;"
                             . " axis_mqtt_serial $_->{serial}; $loc }\n" } @DEVICES),
        config => $loc, @_);
}

sub call {
    my ($port, $method, $params) = @_;
    my %req = (apiVersion => '1.0', context => 'f', method => $method);
    $req{params} = $params if $params;
    my ($data, $res) = api($port, \%req);
    return ($data, $res->header('X-Worker'));
}

sub call_ok {
    my ($port, $method, $params) = @_;
    my ($data) = call($port, $method, $params);
    ok(ref $data->{data} eq 'HASH' && !$data->{error} && !$data->{_error}, "$method succeeds")
        or diag(Test::More::explain($data));
    return $data;
}

sub slurp {
    open my $fh, '<', $_[0] or return undef;
    local $/;
    return scalar <$fh>;
}

sub owner_pid {
    my ($h) = @_;
    my @owners = error_log_text($h) =~ /axis_mqtt: process (\d+) owns the MQTT client/g;
    return $owners[-1];
}

# ESTABLISHED TCP connections whose local end is 127.0.0.1:$port (the
# broker's side of each client connection).
sub established_to {
    my ($port) = @_;
    my $local = sprintf '0100007F:%04X', $port;
    my $n = 0;
    for my $line (split /\n/, slurp('/proc/net/tcp') // '') {
        my (undef, $l, undef, $st) = split ' ', $line;
        $n++ if defined $st && $l eq $local && $st eq '01';
    }
    return $n;
}

# From a broker log: (open sessions of $id at the end, overlap lines).
sub sessions {
    my ($log, $id) = @_;
    my ($open, @bad) = (0);
    for (split /\n/, $log) {
        if (/New client connected from \S+ as \Q$id\E \(/) {
            push @bad, $_ if $open;
            $open = 1;
        } elsif (/Client \Q$id\E (?:disconnected|closed its connection|has exceeded timeout|been disconnected)/
                 || /Socket error on client \Q$id\E,|Bad socket read\/write on client \Q$id\E:/) {
            $open = 0;
        }
        push @bad, $_ if /Client \Q$id\E already connected, closing old connection/;
    }
    return ($open, @bad);
}

# getClientStatus through a device's reuseport server: (state/connection, worker, config)
sub status {
    my ($dev) = @_;
    my ($data, $worker) = call($dev->{spread}, 'getClientStatus');
    my $d = ref $data->{data} eq 'HASH' ? $data->{data} : {};
    my $s = $d->{status} // {};
    return (($s->{state} // '?') . '/' . ($s->{connectionStatus} // '?'),
            $worker // '?', $d->{config} ? $JC->encode($d->{config}) : '');
}

# Poll until the fault is over: for each device, one connection of its id
# at the broker (log and TCP), every current worker answering
# active/connected with its configuration; exactly $WORKERS workers.  The
# time since $t0, or undef (with a diag).
sub wait_recovered {
    my ($h, $b, $t0) = @_;
    my $deadline = time + $DEADLINE;
    my (%last, $why);
    while (1) {
        for my $dev (@DEVICES) {
            my ($st, $worker, $conf) = status($dev);
            $last{"$dev->{id}\@$worker"} = $conf eq $dev->{config} ? $st
                                                                  : "$st (other config: $conf)";
        }
        my @pids = worker_pids($h);
        my $log = mosquitto_log($b);
        my @open = map { (sessions($log, $_->{id}))[0] } @DEVICES;
        my $tcp = established_to($b->{port});
        my @not = grep { ($last{$_} // '') ne 'active/connected' }
                  map { my $p = $_; map { "$_->{id}\@$p" } @DEVICES } @pids;
        if (@pids == $WORKERS && !@not && !grep({ $_ != 1 } @open) && $tcp == @DEVICES) {
            # the broker side again, now that every worker is content
            $log = mosquitto_log($b);
            return time - $t0
                if !grep({ (sessions($log, $_->{id}))[0] != 1 } @DEVICES)
                   && established_to($b->{port}) == @DEVICES;
        }
        $why = sprintf 'workers %s; not yet connected: %s; broker log: %s open; TCP: %d',
            join(' ', @pids), join(', ', map { "$_=" . ($last{$_} // 'no answer') } @not),
            join('/', @open), $tcp;
        last if time > $deadline;
        sleep 0.01;
    }
    diag("not recovered after $DEADLINE s: $why");
    return undef;
}

sub check_round {
    my ($kind, $n, $took, $h, $b, $times) = @_;
    ok(defined $took, "$kind $n: one connection of each device, every worker active/connected");
    push @$times, $took if defined $took;
    my $log = mosquitto_log($b);
    for my $dev (@DEVICES) {
        my (undef, @bad) = sessions($log, $dev->{id});
        is(join("\n", @bad), '', "$kind $n: the broker never had two connections of $dev->{id}");
        my $now = slurp(state_file_of($h, $dev->{serial}));
        ok(defined $now && $now eq $dev->{saved}, "$kind $n: $dev->{serial}'s state file unchanged")
            or diag("now:\n" . ($now // '(missing)') . "\nafter configure:\n$dev->{saved}");
    }
}

sub median {
    my @s = sort { $a <=> $b } @_;
    return @s % 2 ? $s[$#s / 2] : ($s[@s / 2 - 1] + $s[@s / 2]) / 2;
}

my %times;    # kind => [seconds, ...]

sub report {
    my ($kind, $what) = @_;
    my $t = $times{$kind} // [];
    return diag("$kind: no recovery measured") unless @$t;
    diag(sprintf '%-15s %2d rounds: median %6.3f s, max %6.3f s (%s)',
                 $kind, scalar @$t, median(@$t), max(@$t), $what);
}

# ------------------------------------------------------------------ test

my $b = start_mosquitto();
my $h = gw_start();
my $port = $b->{port};

for my $dev (@DEVICES) {
    call_ok($dev->{spread}, 'configureClient', {
        server => { protocol => 'tcp', host => '127.0.0.1', port => $port },
        clientId => $dev->{id}, connectTimeout => 5, keepAliveInterval => 30,
        connectMessage => { useDefault => $TRUE },
        lastWillTestament => { useDefault => $TRUE } });
    call_ok($dev->{spread}, 'activateClient');
    my ($data) = call($dev->{spread}, 'getClientStatus');
    $dev->{config} = $JC->encode($data->{data}{config} // {});
}

{
    my $took = wait_recovered($h, $b, time);
    ok(defined $took, 'activated: one connection each, every worker active/connected')
        or BAIL_OUT('the clients do not connect: nothing to inject faults into');
    for my $dev (@DEVICES) {
        $dev->{saved} = slurp(state_file_of($h, $dev->{serial}));
        like($dev->{saved} // '', qr/"active"\s*:\s*true/, "$dev->{serial}'s state file says active");
    }
}

subtest "(a) $ROUNDS broker restarts" => sub {
    for my $n (1 .. $ROUNDS) {
        stop_mosquitto($b);
        $b = start_mosquitto(port => $port);
        my $took = wait_recovered($h, $b, time);
        check_round('restart', $n, $took, $h, $b, $times{restart} //= []);
    }
};

subtest "(b) $ROUNDS kill -9 of the owning worker" => sub {
    for my $n (1 .. $ROUNDS) {
        my $owner = owner_pid($h);
        unless (ok($owner && grep({ $_ == $owner } worker_pids($h)), "kill $n: owner " . ($owner // "none") . " is a worker")) {
            diag(join ' ', 'workers:', worker_pids($h));
            last;
        }
        my $off = length mosquitto_log($b);
        kill 'KILL', $owner;
        my $t0 = time;
        my $took = wait_recovered($h, $b, $t0);
        # the new owner must be the respawned worker, logged after the kill
        my $deadline = time + $DEADLINE;
        sleep 0.01 while (owner_pid($h) // 0) == $owner && time < $deadline;
        my $new = owner_pid($h) // 0;
        ok($new != $owner && grep({ $_ == $new } worker_pids($h)), "kill $n: a new owner ($new)");
        for my $dev (@DEVICES) {
            like(substr(mosquitto_log($b), $off), qr/New client connected from \S+ as \Q$dev->{id}\E /,
                 "kill $n: the broker saw $dev->{id}'s new connection");
        }
        check_round('kill -9', $n, $took, $h, $b, $times{'kill -9'} //= []);
    }
};

subtest "(c) $ROUNDS reloads" => sub {
    for my $n (1 .. $ROUNDS) {
        my $owner = owner_pid($h);
        my $off = length mosquitto_log($b);
        my $t0 = time;
        ok(reload_nginx($h, wait_old => 1, timeout => $DEADLINE),
           "reload $n: a new generation, the old one gone");
        my $took = wait_recovered($h, $b, $t0);
        my $new = owner_pid($h) // 0;
        ok($new != ($owner // 0) && grep({ $_ == $new } worker_pids($h)),
           "reload $n: a new-generation owner ($new)");
        my $log = substr(mosquitto_log($b), $off);
        for my $dev (@DEVICES) {
            like($log, qr/Received DISCONNECT from \Q$dev->{id}\E\n(?:.*\n)*.*New client connected from \S+ as \Q$dev->{id}\E /,
                 "reload $n: $dev->{id}: the old owner disconnected before the new one connected");
        }
        check_round('reload', $n, $took, $h, $b, $times{reload} //= []);
    }
};

report('restart', 'from the broker listening again');
report('kill -9', 'from the kill');
report('reload', 'from the SIGHUP, new generation included');

is(stop_nginx($h), 0, 'nginx stops cleanly');
my @alerts = grep { !/worker process \d+ exited on signal 9/ }
    error_log_text($h) =~ /^.*\[(?:alert|crit|emerg)\].*$/mg;
is(join("\n", @alerts), '', 'error.log: no alert/crit/emerg beyond the killed workers');
stop_mosquitto($b);

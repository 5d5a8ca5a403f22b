# The demo as a user runs it: `./build.sh run` (ports from the
# AXIS_MQTT_*_PORT variables, all free ones), wait for its "Ctrl-C stops"
# line, paste the printed curl commands into a shell and check the answers
# (camera 1: configure, activate, status active + connected, deactivate,
# versions, API Discovery with mqtt-client and the stand-in camera's APIs;
# camera 2, a device of its own: configure, activate, status), watch the
# broker with the printed mosquitto_sub command, then Ctrl-C (SIGINT to the
# process group): the script exits and no nginx or mosquitto of the demo
# is left.  A second run on the same ports works as well, and is stopped
# with SIGINT to the script alone (kill -INT).
# The demo writes into run/ of the checkout (git-ignored).
use strict;
use warnings;

use lib 't/lib';
use Test::AxisNginx;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use IPC::Run ();
use IO::Socket::INET;
use JSON::PP ();
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);

BEGIN { *subtest = \&Test::More::subtest }    # Test::Base does not export it

plan('no_plan');

my $REPO = abs_path(dirname(__FILE__) . '/..');
my $RUN  = "$REPO/run";
my $OUT_DIR = "$REPO/t/servroot/340-demo";
system('mkdir', '-p', $OUT_DIR) == 0 or die;

my %PORTS = map { $_ => free_port() }
    qw(AXIS_MQTT_HTTP_PORT AXIS_MQTT_HTTPS_PORT AXIS_MQTT_FIRMWARE_PORT
       AXIS_MQTT_HTTP_PORT_2 AXIS_MQTT_HTTPS_PORT_2 AXIS_MQTT_FIRMWARE_PORT_2
       AXIS_MQTT_MQTT_PORT AXIS_MQTT_EVENTS_PORT AXIS_MQTT_EVENTS_PORT_2);
my %SEEN_PIDS;     # every nginx / mosquitto pid of the demo we saw: none may survive
my ($demo_pid);    # the running ./build.sh

sub slurp {
    my ($f) = @_;
    open my $fh, '<', $f or return '';
    local $/;
    return scalar <$fh>;
}

sub alive {
    my ($pid) = @_;
    my $stat = slurp("/proc/$pid/stat");
    return 0 unless $stat;
    my ($state) = $stat =~ /^\d+ \(.*\) (\S)/s;
    return ($state // 'Z') ne 'Z';
}

sub children_of {
    my ($ppid) = @_;
    my @pids;
    for my $stat (glob '/proc/[0-9]*/stat') {
        my ($pid, $state, $parent) = slurp($stat) =~ /^(\d+) \(.*\) (\S) (\d+)/s or next;
        push @pids, $pid if $parent == $ppid && $state ne 'Z';
    }
    return @pids;
}

# nginx masters, mosquittos and stand-in cameras of the demo
sub demo_processes {
    my @found;
    for my $cmdline (glob '/proc/[0-9]*/cmdline') {
        my ($pid) = $cmdline =~ m{/proc/(\d+)/} or next;
        my $cmd = slurp($cmdline) =~ tr/\0/ /r;
        push @found, "$pid: $cmd"
            if alive($pid) && ($cmd =~ m{\Q$RUN\E/(nginx|mosquitto)\.conf}
                               || $cmd =~ m{\Q$REPO\E/t/lib/camera/camera\.py});
    }
    return @found;
}

sub port_open {
    my ($port) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Timeout => 1);
    close $s if $s;
    return !!$s;
}

# Start ./build.sh run in a process group of its own, output to $log.
sub start_demo {
    my ($log) = @_;
    unlink $log;
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        setpgrp(0, 0);
        chdir $REPO or POSIX::_exit(126);
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', $log or POSIX::_exit(126);
        open STDERR, '>&', \*STDOUT;
        @ENV{keys %PORTS} = values %PORTS;
        exec './build.sh', 'run' or POSIX::_exit(127);
    }
    return $pid;
}

# Wait for $re in $log; false if the demo exits or the time runs out.
sub wait_output {
    my ($pid, $log, $re, $timeout) = @_;
    my $deadline = time + $timeout;
    while (time < $deadline) {
        return 1 if slurp($log) =~ $re;
        return 0 if waitpid($pid, WNOHANG) == $pid;
        sleep 0.1;
    }
    return 0;
}

sub wait_exit {
    my ($pid, $timeout) = @_;
    my $deadline = time + $timeout;
    while (time < $deadline) {
        my $r = waitpid($pid, WNOHANG);
        return $? if $r == $pid;
        return -1 if $r == -1;
        sleep 0.05;
    }
    return undef;
}

sub shell {
    my ($cmd, $timeout) = @_;
    my ($out, $err) = ('', '');
    my $ok = eval {
        IPC::Run::run(['sh', '-c', $cmd], '<', \undef, '>', \$out, '2>', \$err,
                      IPC::Run::timeout($timeout // 20));
        1;
    };
    diag("command failed: $cmd\n$@$err") unless $ok;
    return $out;
}

sub json_of {
    my ($text) = @_;
    return eval { JSON::PP->new->utf8->decode($text) } // { _not_json => $text };
}

# The pids of the demo's nginx (master and workers) and mosquitto now.
sub note_pids {
    my $master = slurp("$RUN/logs/nginx.pid") =~ s/\s+//gr;
    my $mosq = slurp("$RUN/logs/mosquitto.pid") =~ s/\s+//gr;
    for my $pid (grep { /^\d+$/ } $master, $mosq) {
        $SEEN_PIDS{$pid} = 1;
    }
    $SEEN_PIDS{$_} = 1 for $master =~ /^\d+$/ ? children_of($master) : ();
}

END {
    # a test that died half-way: stop what it started
    if ($demo_pid && kill 0, $demo_pid) {
        kill 'INT', -$demo_pid;
        sleep 2;
        kill 'KILL', -$demo_pid;
    }
    kill 'KILL', grep { alive($_) } keys %SEEN_PIDS;
}

# ------------------------------------------------------------ one run

sub demo_run {
    my ($n, $stop_how) = @_;
    my $log = "$OUT_DIR/run-$n.log";
    my @before = demo_processes();
    is(scalar @before, 0, "run $n: no demo running before") or diag(join "\n", @before);

    my $t0 = time;
    $demo_pid = start_demo($log);
    my $ready = wait_output($demo_pid, $log, qr/^Ctrl-C stops/m, 900);
    ok($ready, "run $n: the demo prints its \"Ctrl-C stops\" line")
        or return diag(slurp($log) . "\nerror.log:\n" . slurp("$RUN/logs/error.log"));
    diag(sprintf "run %d: ready after %.1f s", $n, time - $t0);
    my $text = slurp($log);
    note_pids();

    like($text, qr{camera 1, ACCC8E000001: https://localhost:$PORTS{AXIS_MQTT_HTTPS_PORT}/},
         "run $n: camera 1's URL on its HTTPS port");
    like($text, qr{camera 2, ACCC8E000002: https://localhost:$PORTS{AXIS_MQTT_HTTPS_PORT_2}/},
         "run $n: camera 2's URL on its HTTPS port");
    like($text, qr{root / pass}, "run $n: the Admin's credentials");
    ok(port_open($PORTS{$_}), "run $n: $_ listens") for sort keys %PORTS;

    my ($one, $rest) = split /^Camera 1's events/m, $text, 2;
    my ($events_in, $two) = split /^Camera 2:/m, $rest // '', 2;
    my ($events, $inbound) = split /^MQTT to camera 1/m, $events_in // '', 2;
    my @curls_in = ($inbound // '') =~ /^\s+(curl .*)$/mg;
    my ($pub_in) = ($inbound // '') =~ /^\s+(mosquitto_pub .*)$/m;
    my @curls = $one =~ /^\s+(curl .*)$/mg;
    my @curls_ev = ($events // '') =~ /^\s+(curl .*)$/mg;
    my @curls_2 = ($two // '') =~ /^\s+(curl .*)$/mg;
    my ($sub_cmd) = $text =~ /^\s+(mosquitto_sub .*)$/m;
    my ($sub_ev) = ($events // '') =~ /^\s+(mosquitto_sub .*)$/m;
    is(scalar @curls, 6, "run $n: six curl commands for camera 1") or diag($text);
    is(scalar @curls_ev, 2, "run $n: two for camera 1's events") or diag($text);
    is(scalar @curls_2, 3, "run $n: three for camera 2") or diag($text);
    ok($sub_cmd, "run $n: a mosquitto_sub command printed");
    ok($sub_ev, "run $n: one for the events");
    is(scalar @curls_in, 2, "run $n: two curl commands for MQTT to camera 1") or diag($text);
    ok($pub_in, "run $n: a mosquitto_pub command for it");

    my %by;
    for my $c (@curls) {
        my ($m) = $c =~ /"method":"(\w+)"/;
        $by{$m // '?'} = $c;
    }
    is_deeply([sort keys %by], [sort qw(getApiList configureClient activateClient
                                        getClientStatus deactivateClient getSupportedVersions)],
              "run $n: one command per method") or return;

    subtest "run $n: the printed commands, pasted into a shell" => sub {
        my $d = json_of(shell($by{getApiList}));
        my @ids = map { $_->{id} } @{ $d->{data}{apiList} // [] };
        is_deeply(\@ids, [qw(basic-device-info io-port-management param-cgi mqtt-client
                             event-mqtt-bridge)],
                  'API Discovery: the stand-in camera\'s APIs, mqtt-client, event-mqtt-bridge')
            or diag(JSON::PP->new->encode($d));

        $d = json_of(shell($by{configureClient}));
        is_deeply($d->{data}, {}, 'configureClient: data {}') or diag(JSON::PP->new->encode($d));
        is($d->{context}, 'demo', 'configureClient: context echoed');

        (my $as_viewer = $by{configureClient}) =~ s/-u root:pass/-u viewer:viewer/;
        isnt($as_viewer, $by{configureClient}, 'the command as the viewer');
        $d = json_of(shell($as_viewer));
        is($d->{error}{code}, 2105, 'configureClient as viewer: error 2105');

        $d = json_of(shell($by{activateClient}));
        is_deeply($d->{data}, {}, 'activateClient: data {}') or diag(JSON::PP->new->encode($d));

        my ($st, $deadline) = ('', time + 10);
        while (time < $deadline) {
            $d = json_of(shell($by{getClientStatus}));
            my $s = $d->{data}{status} // {};
            $st = ($s->{state} // '?') . '/' . ($s->{connectionStatus} // '?');
            last if $st eq 'active/connected';
            sleep 0.1;
        }
        is($st, 'active/connected', 'getClientStatus: active and connected within 10 s')
            or diag(JSON::PP->new->encode($d) . "\n" . slurp("$RUN/logs/error.log"));
        is($d->{data}{config}{clientId}, 'gateway-demo', 'getClientStatus: the configuration');

        # the printed watch command, bounded: the retained connect message
        # (camera 2's filtered out: active since run 1, it may be first)
        my $watched = shell("$sub_cmd -C 1 -W 10 -T 'axis/ACCC8E000002/#'"
                            . " -T 'axis/ACCC8E000001/event/tns:onvif/#'", 15);
        like($watched, qr{^axis/ACCC8E000001/event/connection \{}m,
             'mosquitto_sub as printed sees the connect announcement');

        # the camera's events, as printed: the port's state comes first
        $d = json_of(shell($curls_ev[0] // 'false'));
        is_deeply($d->{data}, {}, 'configureEventPublication: data {}')
            or diag(JSON::PP->new->encode($d));
        $d = json_of(shell($curls_ev[1] // 'false'));
        is($d->{data}{eventPublicationConfig}{eventFilterList}[0]{retain}, 'property',
           'getEventPublicationConfig: the filter');
        $watched = shell("$sub_ev -C 1 -W 15 -T 'axis/ACCC8E000001/event/connection'", 20);
        like($watched, qr{^axis/ACCC8E000001/event/tns:onvif/Device/tns:axis/IO/(Port|VirtualInput)/\$source/port/1 \{"topic":"onvif:Device/axis:IO/}m,
             'mosquitto_sub as printed sees the stand-in camera\'s event')
            or diag(slurp("$RUN/logs/error.log"));

        # MQTT to camera 1, as printed: the message drives virtual input 2
        $d = json_of(shell($curls_in[0] // 'false'));
        is_deeply($d->{data}, {}, 'configureMqttSubscription: data {}')
            or diag(JSON::PP->new->encode($d));
        my $driven;
        $deadline = time + 10;
        while (!$driven && time < $deadline) {
            shell($pub_in // 'false');
            sleep 0.3;
            my $calls = json_of(shell($curls_in[1] // 'false'));
            $driven = ref $calls eq 'ARRAY'
                      && grep { ($_->{action} // '') eq 'activate' && ($_->{port} // 0) == 2
                                && $_->{auth} } @$calls;
        }
        ok($driven, 'mosquitto_pub as printed: the stand-in camera\'s virtual input 2 is '
                    . 'activated (Digest, through the firmware)')
            or diag(slurp("$RUN/logs/error.log"));

        $d = json_of(shell($by{deactivateClient}));
        is_deeply($d->{data}, {}, 'deactivateClient: data {}');
        $d = json_of(shell($by{getClientStatus}));
        is($d->{data}{status}{state}, 'inactive', 'inactive after deactivateClient');

        $d = json_of(shell($by{getSupportedVersions}));
        is_deeply($d->{data}{apiVersions}, ['1.0'], 'getSupportedVersions');

        # camera 2: a device of its own
        my %by_2;
        for my $c (@curls_2) {
            my ($m) = $c =~ /"method":"(\w+)"/;
            $by_2{$m // '?'} = $c;
        }
        $d = json_of(shell($by_2{configureClient} // 'false'));
        is($d->{context}, 'demo-2', 'camera 2: configureClient') or diag(JSON::PP->new->encode($d));
        $d = json_of(shell($by_2{activateClient} // 'false'));
        is_deeply($d->{data}, {}, 'camera 2: activateClient');
        ($st, $deadline) = ('', time + 10);
        while (time < $deadline) {
            $d = json_of(shell($by_2{getClientStatus} // 'false'));
            my $s = $d->{data}{status} // {};
            $st = ($s->{state} // '?') . '/' . ($s->{connectionStatus} // '?');
            last if $st eq 'active/connected';
            sleep 0.1;
        }
        is($st, 'active/connected', 'camera 2: active and connected within 10 s');
        is($d->{data}{config}{clientId}, 'gateway-demo-2', 'camera 2: its own configuration');
        is($d->{data}{config}{deviceTopicPrefix}, 'axis/ACCC8E000002', 'camera 2: its own topics');
        $watched = shell("$sub_cmd -C 1 -W 10 -t 'axis/ACCC8E000002/#' -T 'axis/ACCC8E000001/#'", 15);
        like($watched, qr{^axis/ACCC8E000002/event/connection \{"serialNumber":"ACCC8E000002"}m,
             'camera 2 announced on its own topic');
        $d = json_of(shell($by{getClientStatus}));
        is($d->{data}{status}{state}, 'inactive', 'camera 1 still inactive');

        # plain HTTP redirects
        my $head = shell("curl -s -o /dev/null -w '%{http_code} %{redirect_url}' "
                         . "http://127.0.0.1:$PORTS{AXIS_MQTT_HTTP_PORT}/axis-cgi/mqtt/client.cgi");
        is($head, "301 https://127.0.0.1:$PORTS{AXIS_MQTT_HTTPS_PORT}/axis-cgi/mqtt/client.cgi",
           'http:// redirects to the HTTPS port');
    };
    note_pids();

    # Ctrl-C
    my $t_stop = time;
    if ($stop_how eq 'group') {
        kill 'INT', -$demo_pid;
    } else {
        kill 'INT', $demo_pid;
    }
    my $status = wait_exit($demo_pid, 20);
    ok(defined $status, "run $n: SIGINT ($stop_how) ends ./build.sh run")
        or diag(slurp($log));
    diag(sprintf "run %d: exited %.1f s after SIGINT (wait status %s)",
         $n, time - $t_stop, $status // 'none');
    undef $demo_pid if defined $status;
    like(slurp($log), qr/==> stopping/, "run $n: it says it stops");

    my $deadline = time + 10;
    my (@left, @pids);
    while (1) {
        @left = demo_processes();
        @pids = grep { alive($_) } sort keys %SEEN_PIDS;
        last if (!@left && !@pids) || time > $deadline;
        sleep 0.1;
    }
    is(scalar @left, 0, "run $n: no nginx or mosquitto of the demo left") or diag(join "\n", @left);
    is(scalar @pids, 0, "run $n: none of its processes (master, workers, broker) left")
        or diag(join "\n", map { "$_: " . (slurp("/proc/$_/cmdline") =~ tr/\0/ /r) } @pids);
    ok(!port_open($PORTS{$_}), "run $n: $_ closed") for sort keys %PORTS;
    ok(!-e "$RUN/logs/mosquitto.pid", "run $n: no stale mosquitto.pid");
}

demo_run(1, 'group');
demo_run(2, 'script');

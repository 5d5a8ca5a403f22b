# The MQTT bridge over the lifetime of its peers, with a real mosquitto over
# plain TCP and nginx with 4 workers: broker restart (with and without
# autoReconnect), kill -9 of the owning worker (LWT, respawn, no stale
# status), nginx reload (no overlapping connections, no LWT, no disconnect
# message; the gap the broker sees is printed), nginx quit and start again
# from the saved state (activateOnReboot true and false).
use strict;
use warnings;

use lib 't/lib';
use Test::AxisNginx;
use Test::AxisNginx::Bridge;    # gw_start, call_ok, params_for, status, ...
use Time::HiRes qw(sleep time);
use Time::Local qw(timegm);
use Cwd ();
use POSIX ();

BEGIN { *subtest = \&Test::More::subtest }    # Test::Base does not export it

plan('no_plan');

# ------------------------------------------------------------------ this file's

# Timestamp broker log lines as they appear: a forked poller (1 ms period).
sub tail_start {
    my ($b) = @_;
    my $out = "$b->{dir}/tail-" . int(time * 1000) . '.txt';
    my $off = length mosquitto_log($b);
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        $SIG{TERM} = sub { POSIX::_exit(0) };
        open my $o, '>', $out or POSIX::_exit(1);
        $o->autoflush(1);
        my $deadline = time + 30;
        while (time < $deadline) {
            my $new = substr(mosquitto_log($b), $off);
            my $end = rindex($new, "\n");
            if ($end >= 0) {
                my $now = time;
                printf {$o} "%.6f\t%s\n", $now, $_ for split /\n/, substr($new, 0, $end);
                $off += $end + 1;
            }
            sleep 0.001;
        }
        POSIX::_exit(0);
    }
    return { pid => $pid, out => $out };
}

# The lines seen: [[time, text], ...]
sub tail_stop {
    my ($t) = @_;
    sleep 0.05;
    kill 'TERM', $t->{pid};
    waitpid $t->{pid}, 0;
    open my $fh, '<', $t->{out} or return ();
    return map { chomp; [split /\t/, $_, 2] } <$fh>;
}

# Lines of the broker log where $id connects while it is still connected.
sub overlaps {
    my ($log, $id) = @_;
    my ($open, @bad) = (0);
    for (split /\n/, $log) {
        if (/New client connected from \S+ as \Q$id\E /) {
            push @bad, $_ if $open;
            $open = 1;
        } elsif (/Client \Q$id\E (?:disconnected|closed its connection|has exceeded timeout)|Socket error on client \Q$id\E,/) {
            $open = 0;
        }
        push @bad, $_ if /\Q$id\E already connected|closing old connection/;
    }
    return @bad;
}

# ------------------------------------------------------------------ tests

subtest 'broker restart: disconnected, then reconnects and re-announces' => sub {
    my $b = start_mosquitto();
    my $h = gw_start();
    call_ok($h, 'configureClient', params_for($b, clientId => 'gw-restart'));
    call_ok($h, 'activateClient');
    ok(wait_all_workers($h, 'active/connected'), 'all workers: connected');
    my $port = $b->{port};

    stop_mosquitto($b);
    ok(wait_all_workers($h, 'active/disconnected', 5), 'broker stopped: all workers say disconnected');
    like(error_log_text($h), qr/axis_mqtt: device \S+: connection to tcp:\/\/127\.0\.0\.1:$port lost/,
         'error.log: connection lost');
    sleep 1.6;    # an outage: the retries 0.5 s and 1.5 s after the loss are refused
    my $up = time;
    $b = start_mosquitto(port => $port);
    my $sub = live_sub($b, count => 1, timeout => 8);
    my $took = wait_status($h, 'active/connected', 10);
    ok(defined $took, 'reconnected on its own');
    diag(sprintf 'reconnected %.3f s after the broker was back', time - $up) if defined $took;
    like(blog($b), connected_re('gw-restart'), 'new broker: gw-restart connected');
    my ($msg) = sub_collect($sub);
    my $p = check_default($msg, 'connect', 'connect message after the restart');
    my $ts = $p && $p->{timestamp} && $p->{timestamp} =~ /^(\d+)-(\d+)-(\d+)T(\d+):(\d+):(\d+)Z$/
           ? timegm($6, $5, $4, $3, $2 - 1, $1) : 0;
    ok($ts >= int($up) - 1, 'its timestamp is from the reconnect') or diag($p->{timestamp} // 'none');
    ok(wait_all_workers($h, 'active/connected'), 'all workers: connected');

    my @failed = error_log_text($h) =~ /^.*axis_mqtt: device \S+: connecting to .* failed: .*$/mg;
    is(scalar @failed, 1, 'refused retries logged once') or diag(join "\n", @failed);
    stop_nginx($h);
    stop_mosquitto($b);
};

subtest 'autoReconnect false: stays disconnected after a broker restart' => sub {
    my $b = start_mosquitto();
    my $h = gw_start();
    call_ok($h, 'configureClient', params_for($b, clientId => 'gw-noauto', autoReconnect => $FALSE));
    call_ok($h, 'activateClient');
    ok(defined wait_status($h, 'active/connected'), 'connected');
    my $port = $b->{port};
    stop_mosquitto($b);
    $b = start_mosquitto(port => $port);
    ok(wait_all_workers($h, 'active/disconnected', 5), 'all workers: active/disconnected');
    ok(stays_status($h, 'active/disconnected', 3), 'stays disconnected, still active');
    unlike(blog($b), qr/as gw-noauto /, 'the new broker saw no connection from gw-noauto');

    # a new command is what brings it back
    call_ok($h, 'activateClient');
    ok(defined wait_status($h, 'active/connected'), 'activateClient again: connected');
    stop_nginx($h);
    stop_mosquitto($b);
};

# killed and its files closed: gone, or a zombie the master has not reaped
sub dead {
    my ($pid) = @_;
    open my $fh, '<', "/proc/$pid/stat" or return 1;
    my $stat = <$fh> // '';
    return $stat =~ /^\d+ \(.*\) Z /;
}

subtest 'crash of the owner: LWT, the respawned worker reconnects, no stale status' => sub {
    my $b = start_mosquitto();
    my $h = gw_start();
    call_ok($h, 'configureClient', params_for($b, clientId => 'gw-crash'));
    call_ok($h, 'activateClient');
    ok(wait_all_workers($h, 'active/connected'), 'all workers: connected');
    my $owner = owner_pid($h);
    ok($owner && grep({ $_ == $owner } worker_pids($h)), "owner is worker $owner")
        or return;

    my $sub = live_sub($b, count => 3, timeout => 8);   # retained, LWT, connect
    my $before = count_re(blog($b), connected_re('gw-crash'));
    my $off = length mosquitto_log($b);
    my %old = map { $_ => 1 } worker_pids($h);
    kill 'KILL', $owner;
    my $t0 = time;
    # any "connected" before the broker saw the new connection is stale
    my ($disc, $reconnected, %stale) = (0);
    while (time < $t0 + 8) {
        # until the kernel has closed its files, the owner's connection and
        # lock are still there: only answers asked for after that count
        my $gone = dead($owner);
        my ($st, $w) = status($h);
        if ($st eq 'active/connected') {
            next unless $gone;
            if (count_re(blog($b), connected_re('gw-crash')) > $before) {
                $reconnected = time - $t0;
                last;
            }
            # which phase: old owner not yet replaced, or a respawned one running
            my $phase = (grep { !$old{$_} } worker_pids($h))
                      ? (owner_pid($h) != $owner ? 'new owner connecting'
                                                 : 'respawned, not owner yet')
                      : 'no respawned worker yet';
            $stale{$phase} //= [time - $t0, $w, 0];
            $stale{$phase}[2]++;
        } else {
            $disc++;
        }
    }
    is(scalar keys %stale, 0, 'no worker said connected while the owner was dead or not yet reconnected')
        or diag(join "\n", map { sprintf '%d stale "connected" answers while %s (first %.4f s after the kill, worker %s)',
                                          $stale{$_}[2], $_, @{ $stale{$_} }[0, 1] } sort keys %stale);
    ok(defined $reconnected, 'the respawned owner reconnected');
    diag(sprintf 'reconnected %.3f s after the kill; %d disconnected answers meanwhile',
                 $reconnected // -1, $disc);
    my $log = blog($b, $off);
    like($log, qr/Client gw-crash closed its connection|Socket error on client gw-crash/,
         'broker: the old connection was not closed cleanly');
    unlike($log, qr/Received DISCONNECT from gw-crash/, 'broker: no DISCONNECT from the dead owner');
    my @got = grep { !$_->{retain} } sub_collect($sub);
    is(descriptions(@got), 'Connection Lost,Connected', 'subscriber: LWT, then the new connect message');
    check_default($got[0], 'lwt', 'LWT', retain => 0);
    check_default($got[1], 'connect', 'connect message after the respawn', retain => 0);
    my $new_owner = owner_pid($h);
    ok($new_owner && $new_owner != $owner, "a new owner ($new_owner)");
    ok(wait_all_workers($h, 'active/connected'), 'all workers: connected');
    is(count_re(error_log_text($h), qr/owns the MQTT client/), 2, 'two owners in the log in all');
    stop_nginx($h);
    stop_mosquitto($b);
};

subtest 'crash of the owner while the broker is frozen: never a stale connected' => sub {
    my $b = start_mosquitto();
    my $h = gw_start();
    call_ok($h, 'configureClient', params_for($b, clientId => 'gw-crash2', connectTimeout => 10));
    call_ok($h, 'activateClient');
    ok(wait_all_workers($h, 'active/connected'), 'all workers: connected');
    my $owner = owner_pid($h);
    kill 'STOP', $b->{pid};
    kill 'KILL', $owner;
    my $t0 = time;
    my ($stale, %seen, @first);
    while (time < $t0 + 2) {
        my $gone = dead($owner);
        my ($st, $w) = status($h);
        $seen{$st}++;
        if ($st eq 'active/connected' && $gone) {
            $stale++;
            @first = (time - $t0, $w) unless @first;
        }
        sleep 0.002;
    }
    my $respawned = owner_pid($h);
    kill 'CONT', $b->{pid};
    is($stale // 0, 0, 'nobody can be connected to a frozen broker: status never says connected')
        or diag(sprintf('first "connected" %.4f s after the kill from worker %s; ', @first)
                . 'answers: ' . join(', ', map { "$_ x$seen{$_}" } sort keys %seen)
                . "; owner before $owner, after " . ($respawned // 'none'));
    ok($respawned && $respawned != $owner, 'a respawned worker owns the client');
    ok(defined wait_status($h, 'active/connected', 10), 'broker resumed: connected');
    stop_nginx($h);
    stop_mosquitto($b);
};

subtest 'reload: no overlap, no LWT, no disconnect message, connected again' => sub {
    my $b = start_mosquitto();
    my $h = gw_start();
    call_ok($h, 'configureClient', params_for($b, clientId => 'gw-reload'));
    call_ok($h, 'activateClient');
    ok(wait_all_workers($h, 'active/connected'), 'all workers: connected');
    ok(wait_blog($b, connected_re('gw-reload')), 'broker: gw-reload connected');
    my $sub = live_sub($b, count => 100, timeout => 30);
    my @gaps;
    for my $n (1 .. 3) {
        my $owner = owner_pid($h);
        my $off = length mosquitto_log($b);
        my $tail = tail_start($b);
        ok(reload_nginx($h, wait_old => 1, timeout => 10), "reload $n: new workers, old ones gone");
        my $connected = wait_blog($b, connected_re('gw-reload'), 5, $off);
        my @lines = tail_stop($tail);
        ok($connected, "reload $n: broker saw gw-reload connect again");
        my $log = blog($b, $off);
        like($log, qr/Received DISCONNECT from gw-reload\n(?:.*\n)*.*New client connected from \S+ as gw-reload /,
             "reload $n: the old connection sent DISCONNECT before the new one connected");
        unlike($log, qr/Socket error on client gw-reload|Client gw-reload closed its connection/,
               "reload $n: no unclean close");
        unlike($log, qr/Received PUBLISH from gw-reload \([^)]*\bq\d, r\d, m\d+, '[^']*', \.\.\. \(\d+ bytes\)\)\n(?:.*\n)*?.*Received DISCONNECT from gw-reload/,
               "reload $n: nothing published before the DISCONNECT (no disconnect message)");
        my ($disc) = grep { $_->[1] =~ /Received DISCONNECT from gw-reload$/ } @lines;
        my ($conn) = grep { $_->[1] =~ /New client connected from \S+ as gw-reload / } @lines;
        if ($disc && $conn) {
            push @gaps, ($conn->[0] - $disc->[0]) * 1000;
            diag(sprintf 'reload %d: broker saw %.1f ms between the DISCONNECT and the new connection',
                         $n, $gaps[-1]);
        }
        my $new_owner = owner_pid($h);
        ok($new_owner && $new_owner != $owner && grep({ $_ == $new_owner } worker_pids($h)),
           "reload $n: a new-generation worker ($new_owner) owns the client");
        ok(wait_all_workers($h, 'active/connected', 5), "reload $n: all workers connected");
    }
    diag(sprintf 'reload gap as the broker saw it: %s ms', join(', ', map { sprintf '%.1f', $_ } @gaps))
        if @gaps;
    is(join("\n", overlaps(mosquitto_log($b), 'gw-reload')), '',
       'broker never had two connections of gw-reload at once');
    is(count_re(blog($b), connected_re('gw-reload')), 4, 'four connections in all');
    my @got = grep { !$_->{retain} } sub_stop($sub);
    is(descriptions(@got), 'Connected,Connected,Connected',
       'subscriber: a connect message per reload, no LWT, no disconnect message');
    is(stop_nginx($h), 0, 'nginx stops cleanly');
    unlike(error_log_text($h), qr/\[(?:alert|crit|emerg)\]/, 'no alerts in error.log');
    stop_mosquitto($b);
};

subtest 'restart of nginx: clean DISCONNECT on quit, reconnects from the saved state' => sub {
    my $b = start_mosquitto();
    my $h = gw_start();
    call_ok($h, 'configureClient', params_for($b, clientId => 'gw-persist'));
    call_ok($h, 'activateClient');
    ok(defined wait_status($h, 'active/connected'), 'connected');
    ok(wait_blog($b, connected_re('gw-persist')), 'broker: gw-persist connected');

    # 1 retained connect message, then whatever the quit publishes
    my $sub = live_sub($b, count => 3, timeout => 2);
    my $off = length mosquitto_log($b);
    my $t0 = time;
    is(stop_nginx($h), 0, 'nginx quits cleanly');
    my $took = time - $t0;
    ok($took < 5 && !$h->{killed}, sprintf 'quit took %.3f s', $took);
    my $log = blog($b, $off);
    like($log, qr/Received DISCONNECT from gw-persist\n/, 'broker: clean DISCONNECT on quit');
    unlike($log, qr/Socket error on client gw-persist|Client gw-persist closed its connection/,
           'broker: no unclean close');
    unlike($log, qr/Received PUBLISH from gw-persist/, 'nothing published on quit');
    my @got = grep { !$_->{retain} } sub_collect($sub);
    is(scalar @got, 0, 'no LWT, no disconnect message on quit') or diag(descriptions(@got));

    $off = length mosquitto_log($b);
    $sub = live_sub($b, count => 2, timeout => 8);   # retained + the new announcement
    $h = gw_start(keep_state => 1);
    ok(defined wait_status($h, 'active/connected', 8), 'started again: active and connected by itself');
    like(blog($b, $off), connected_re('gw-persist'), 'broker: gw-persist connected again');
    @got = grep { !$_->{retain} } sub_collect($sub);
    check_default($got[0], 'connect', 're-announced after the restart', retain => 0);
    ok(wait_all_workers($h, 'active/connected'), 'all workers: connected');

    stop_nginx($h);

    # activateOnReboot false: a restart starts it inactive
    $h = gw_start();
    $off = length mosquitto_log($b);
    call_ok($h, 'configureClient',
            params_for($b, clientId => 'gw-persist', activateOnReboot => $FALSE));
    call_ok($h, 'activateClient');
    ok(defined wait_status($h, 'active/connected'), 'activateOnReboot false: connected');
    ok(wait_blog($b, connected_re('gw-persist'), 5, $off), 'broker: gw-persist connected');
    $off = length mosquitto_log($b);
    is(stop_nginx($h), 0, 'nginx quits cleanly');
    like(blog($b, $off), qr/Received DISCONNECT from gw-persist\n/, 'broker: clean DISCONNECT on quit');
    $off = length mosquitto_log($b);
    $h = gw_start(keep_state => 1);
    ok(stays_status($h, 'inactive/disconnected', 2), 'started again: inactive, disconnected');
    unlike(blog($b, $off), qr/as gw-persist/, 'broker: no connection after the restart');
    like(error_log_text($h), qr/client starts inactive: activateOnReboot is false/,
         'error.log says why');
    my ($data) = call($h, 'getClientStatus');
    ok(($data->{data}{config}{activateOnReboot} // 1) ? 0 : 1, 'the configuration is kept')
        or diag(Test::More::explain($data));
    stop_nginx($h);
    stop_mosquitto($b);
};

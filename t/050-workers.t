# Several workers, one truth: every worker answers the same, a write is
# visible to the next read on any worker, concurrent writers never mix
# their configurations, and a reload or a crashed owner keeps it all.
use strict;
use warnings;

use lib 't/lib';
use Test::AxisNginx;
# (status, configure and call are this file's own: they take a port)
use Test::AxisNginx::Client qw($CGI $JU $T $F cgi slurp saved_config with_tmpfs);
use POSIX ();
use File::Path qw(make_path remove_tree);
use Time::HiRes qw(sleep time);

$ENV{TEST_NGINX_DEAD_PORT} = free_port();

my $WORKERS = 4;

plan('no_plan');
run_tests();

# ------------------------------------------------ hand-written tests

# A second server on its own port with reuseport: each worker has its own
# listening socket and the kernel spreads fresh connections over them.
my $spread_port = free_port();
my $http_config = <<"CONF";
axis_mqtt_serial ACCC8E012345;
server {
    listen 127.0.0.1:$spread_port reuseport;
    location = $CGI {
        axis_mqtt_client;
        add_header X-Worker \$pid always;
    }
}
CONF
my $loc = "location = $CGI { axis_mqtt_client; add_header X-Worker \$pid always; }";

sub call {
    my ($port, $req) = @_;
    my $res = http_post($port, $CGI, $JU->encode($req), { 'Content-Type' => 'application/json' });
    my $data = eval { $JU->decode($res->content) };
    return ($data, $res);
}

sub status { call($_[0], { apiVersion => '1.0', method => 'getClientStatus' }) }

sub configure {
    my ($port, $params, $context) = @_;
    return call($port, { apiVersion => '1.0', context => $context, method => 'configureClient',
                         params => $params });
}

# The configuration writer $w writes in its iteration $i: every field tagged.
sub tagged_params {
    my ($w, $i) = @_;
    my $n = $w * 100 + $i;
    return {
        server => { protocol => 'tcp', host => "h$w-$i.example", port => 1000 + $n },
        username => "u$w-$i", password => "p$w-$i", clientId => "c$w-$i",
        keepAliveInterval => $n, connectTimeout => $n,
        cleanSession => $w % 2 ? $T : $F, autoReconnect => $w % 2 ? $F : $T,
        deviceTopicPrefix => "pre/$w/$i",
        lastWillTestament => { useDefault => $F, topic => "lwt/$w/$i",
                               message => "m$w-$i", retain => $w % 2 ? $T : $F,
                               qos => $w % 3 },
        ($w % 2 ? (connectMessage => { useDefault => $T }) : ()),
    };
}

# "w-i" if every field of a shown configuration carries the same tag.
sub tag_of {
    my ($c) = @_;
    return (undef, 'no config') unless ref $c eq 'HASH' && ref $c->{server} eq 'HASH';
    my ($w, $i) = ($c->{clientId} // '') =~ /^c(\d+)-(\d+)$/
        or return (undef, "clientId $c->{clientId}");
    my $want = tagged_params($w, $i);
    delete $want->{password};
    my %got = %$c;
    my $pw = delete $got{password};
    # what the status adds: defaults of the fields the writers do not set
    delete @got{qw(httpProxy httpsProxy activateOnReboot ssl)};
    delete @{ $got{server} = { %{ $got{server} } } }{qw(basepath alpnProtocol)};
    my $a = $JU->encode(\%got);
    my $b = $JU->encode($want);
    return (undef, "mixed: $a") unless $a eq $b && ($pw // '') eq '*****';
    return ("$w-$i");
}

# ---- one write, then 200 reads on fresh connections over all workers
{
    my $h = start_nginx(workers => $WORKERS, http_config => $http_config, config => $loc);
    my ($d) = configure($spread_port, tagged_params(7, 7), 'first');
    is_deeply($d, { apiVersion => '1.0', context => 'first', method => 'configureClient',
                    data => {} }, 'configured');
    my (%bodies, %pids);
    for (1 .. 200) {
        my ($s, $res) = status($spread_port);
        $bodies{ $res->content }++;
        $pids{ $res->header('X-Worker') // 'none' }++;
    }
    is(scalar keys %pids, $WORKERS, "all $WORKERS workers answered")
        or diag($JU->encode(\%pids));
    is(scalar keys %bodies, 1, '200 answers, all identical')
        or diag(join "\n", keys %bodies);
    my ($body) = keys %bodies;
    my $s = eval { $JU->decode($body) };
    is((tag_of($s->{data}{config}))[0], '7-7', 'and they show the write');
    is($s->{data}{status}{state}, 'inactive', 'inactive');

    # ---- read-your-write: each write is seen by the next reads, on any worker
    my (%seen_by, @stale);
    for my $i (1 .. 40) {
        my $port = $i % 2 ? $spread_port : $h->{port};
        my ($w) = configure($port, tagged_params(1, $i), "ryw-$i");
        push @stale, "write $i: " . $JU->encode($w) unless $w && $w->{data};
        my $active = $i % 3 == 0;
        my ($a) = call($port, { apiVersion => '1.0',
                                method => $active ? 'activateClient' : 'deactivateClient' });
        push @stale, "state $i: " . $JU->encode($a) unless $a && $a->{data};
        for (1 .. 6) {
            my ($r, $res) = status($spread_port);
            $seen_by{ $res->header('X-Worker') // 'none' }++;
            my ($tag, $why) = tag_of($r->{data}{config});
            push @stale, "read after write $i: " . ($tag // $why)
                unless ($tag // '') eq "1-$i";
            push @stale, "read after write $i: state $r->{data}{status}{state}"
                unless $r->{data}{status}{state} eq ($active ? 'active' : 'inactive');
        }
    }
    is_deeply(\@stale, [], 'every read right after a write shows it (240 reads)');
    is(scalar keys %seen_by, $WORKERS, 'those reads came from every worker')
        or diag($JU->encode(\%seen_by));
    is(stop_nginx($h), 0, 'stopped');
}

# ---- concurrent writers and readers
{
    my $h = start_nginx(workers => $WORKERS, http_config => $http_config, config => $loc);
    my $dir = "$h->{servroot}/race";
    remove_tree($dir);
    make_path($dir);
    my ($d) = configure($spread_port, tagged_params(0, 0), 'start');
    ok($d && $d->{data}, 'initial configuration');

    my ($writers, $per_writer, $readers) = (8, 20, 3);
    my $child = sub {
        my ($name, $code) = @_;
        my $pid = fork // die "fork: $!";
        return $pid if $pid;
        my @problems = eval { $code->() };
        push @problems, "died: $@" if $@;
        open my $out, '>', "$dir/$name.out" or POSIX::_exit(2);
        print {$out} "$_\n" for @problems;
        print {$out} "DONE\n";
        close $out;
        POSIX::_exit(0);
    };
    my $check_read = sub {
        my ($who) = @_;
        my ($r, $res) = status($spread_port);
        my ($tag, $why) = tag_of($r && $r->{data} && $r->{data}{config});
        return defined $tag ? () : ("$who read: $why / " . $res->content);
    };

    my @pids;
    for my $w (1 .. $writers) {
        push @pids, $child->("writer-$w", sub {
            my @p;
            for my $i (1 .. $per_writer) {
                my $port = ($w + $i) % 2 ? $spread_port : $h->{port};
                my ($r, $res) = configure($port, tagged_params($w, $i), "w$w-$i");
                my $want = { apiVersion => '1.0', context => "w$w-$i",
                             method => 'configureClient', data => {} };
                push @p, "write $w-$i: " . $res->code . ' ' . $res->content
                    unless $r && $JU->encode($r) eq $JU->encode($want);
                push @p, $check_read->("writer $w");
            }
            return @p;
        });
    }
    for my $n (1 .. $readers) {
        push @pids, $child->("reader-$n", sub {
            my (@p, $reads);
            until (-e "$dir/stop") {
                push @p, $check_read->("reader $n");
                $reads++;
            }
            push @p, 'too few reads' if $reads < 10;
            return @p;
        });
    }
    my $t0 = time;
    my @writer_pids = @pids[0 .. $writers - 1];
    waitpid($_, 0) for @writer_pids;
    my $took = time - $t0;
    open my $stop, '>', "$dir/stop" or die $!;
    close $stop;
    waitpid($_, 0) for @pids[$writers .. $#pids];

    my @problems;
    for my $name ((map { "writer-$_" } 1 .. $writers), (map { "reader-$_" } 1 .. $readers)) {
        my $out = slurp("$dir/$name.out");
        if (!defined $out || $out !~ /DONE\n\z/) {
            push @problems, "$name: no result";
            next;
        }
        push @problems, grep { $_ ne 'DONE' } split /\n/, $out;
    }
    is_deeply(\@problems, [], sprintf('%d concurrent writes (%.1f s): all succeeded, '
        . 'every read showed one whole configuration', $writers * $per_writer, $took))
        or diag(join "\n", @problems[0 .. ($#problems < 20 ? $#problems : 20)]);

    my ($final, $res) = status($h->{port});
    my ($tag, $why) = tag_of($final->{data}{config});
    like($tag // $why, qr/^\d+-$per_writer$/, 'the final configuration is the last write of a writer');
    my ($w, $i) = split /-/, $tag // '0-0';
    my $saved = saved_config(state_file_of($h));
    is(delete $saved->{password}, "p$w-$i", 'the state file has the password of that same write');
    my %shown = %{ $final->{data}{config} };
    delete $shown{password};
    is($JU->encode($saved), $JU->encode(\%shown), 'the state file equals the final status config');
    is(stop_nginx($h), 0, 'stopped');

    $h = start_nginx(workers => $WORKERS, http_config => $http_config, config => $loc,
                     keep_state => 1);
    my ($again) = status($h->{port});
    is_deeply($again, $final, 'after a restart the same configuration is back');
    is(stop_nginx($h), 0, 'stopped');
}

# ---- concurrent writes of which some cannot be saved: each answer must be
# the outcome of that request's own save.  The state dir is a 16k tmpfs
# with one free page: a small configuration always fits, a big one (a 4k
# message: a 2-page file) never does.
with_tmpfs('mixed outcome test', sub {
    my ($mnt, $run) = @_;
    my $h = $run->{nginx} = start_nginx(workers => $WORKERS, config => $loc,
                                        http_config => "$http_config\naxis_mqtt_state_dir $mnt;");
    my $params = sub {
        my ($tag, $big) = @_;
        return { server => { protocol => 'tcp', host => 'h' }, clientId => $tag,
                 ($big ? (connectMessage => { useDefault => $F, topic => 't',
                                              message => 'x' x 4090, retain => $F,
                                              qos => 0 }) : ()) };
    };
    my ($d) = configure($h->{port}, $params->('small-0', 0), 'init');
    ok($d && $d->{data}, 'mixed: initial small configuration saved');
    open my $fill, '>', "$mnt/fill" or die "fill: $!";
    syswrite($fill, "\0" x 8192) == 8192 or die "fill: $!";
    close $fill;
    ($d) = configure($h->{port}, $params->('big-0', 1), 'big');
    is($d->{error}{code}, 1100, 'mixed: alone, a big configuration cannot be saved');
    ($d) = configure($h->{port}, $params->('small-1', 0), 'small');
    is_deeply($d->{data}, {}, 'mixed: alone, a small one can');

    my $dir = "$h->{servroot}/race-mixed";
    remove_tree($dir);
    make_path($dir);
    my @pids;
    for my $w (1 .. 8) {
        my $pid = fork // die "fork: $!";
        if (!$pid) {
            open my $out, '>', "$dir/$w.out" or POSIX::_exit(2);
            for my $i (1 .. 20) {
                my $big = ($w + $i) % 2;
                my $tag = ($big ? 'big' : 'small') . "-$w-$i";
                my ($r, $res) = configure($spread_port, $params->($tag, $big), $tag);
                my $got = !$r ? 'no JSON' : $r->{data} ? 'saved' : "error $r->{error}{code}";
                print {$out} "$tag $got\n";
            }
            close $out;
            POSIX::_exit(0);
        }
        push @pids, $pid;
    }
    waitpid($_, 0) for @pids;
    my (@wrong, $n);
    for my $w (1 .. 8) {
        for (split /\n/, slurp("$dir/$w.out") // '') {
            $n++;
            my ($tag, $got) = split / /, $_, 2;
            my $want = $tag =~ /^big/ ? 'error 1100' : 'saved';
            push @wrong, "$tag: answered '$got', its own save: '$want'" if $got ne $want;
        }
    }
    is($n, 160, 'mixed: 160 answers');
    is_deeply(\@wrong, [], 'mixed: every write is answered with its own outcome')
        or diag(scalar(@wrong) . " wrong answers, e.g.\n"
                . join "\n", @wrong[0 .. ($#wrong < 9 ? $#wrong : 9)]);
    my ($s) = status($h->{port});
    like($s->{data}{config}{clientId}, qr/^small-/, 'mixed: the saved configuration is a small one');
    is(stop_nginx($h), 0, 'mixed: stopped');
});

# ---- reload: the zone and the saved state survive, the owner is handed over
{
    my $h = start_nginx(workers => $WORKERS, http_config => $http_config, config => $loc);
    my $p = tagged_params(3, 3);
    $p->{server} = { protocol => 'tcp', host => '127.0.0.1', port => 0 + $ENV{TEST_NGINX_DEAD_PORT} };
    my ($d) = configure($h->{port}, $p, 'before-reload');
    ok($d && $d->{data}, 'configured');
    ($d) = call($h->{port}, { apiVersion => '1.0', method => 'activateClient' });
    ok($d && $d->{data}, 'activated');
    my (undef, $before) = status($h->{port});
    my $file = slurp(state_file_of($h));

    for my $round (1, 2) {
        my %old = map { $_ => 1 } worker_pids($h);
        ok(reload_nginx($h, wait_old => 1), "reload $round: new workers, old ones gone");
        my @new = worker_pids($h);
        my ($after, $res) = status($h->{port});
        is($res->content, $before->content, "reload $round: same answer, still active");
        is($after->{data}{status}{state}, 'active', "reload $round: active");
        is(slurp(state_file_of($h)), $file, "reload $round: state file untouched");

        # the owner lock changes hands: a new worker announces it
        my $log = '';
        my $deadline = time + 5;
        my ($owner);
        while (time < $deadline) {
            $log = error_log_text($h);
            my @owners = $log =~ /process (\d+) owns the MQTT client/g;
            $owner = $owners[-1];
            last if $owner && !$old{$owner};
            sleep 0.05;
        }
        ok($owner && (grep { $_ == $owner } @new), "reload $round: new worker $owner owns the client")
            or diag($log =~ /(.*(?:owns|released).*)/g);

        # and saves: a write after the reload works and is seen by all
        my $q = tagged_params(4, $round);
        ($d) = configure($spread_port, $q, "after-reload-$round");
        ok($d && $d->{data}, "reload $round: a write succeeds");
        my %tags;
        for (1 .. 20) {
            my ($s) = status($spread_port);
            $tags{ (tag_of($s->{data}{config}))[0] // 'mixed' }++;
        }
        is_deeply(\%tags, { "4-$round" => 20 }, "reload $round: every worker shows it");
        ($d) = configure($h->{port}, $p, 'back');
        ($after, $res) = status($h->{port});
        $before = $res;
        $file = slurp(state_file_of($h));
        is($after->{data}{status}{state}, 'active', "reload $round: still active after writes");
    }
    is(stop_nginx($h), 0, 'stopped');
    my $log = error_log_text($h);
    unlike($log, qr/\[(alert|emerg|crit)\]/, 'no alert during reloads');
}

# ---- the owner dies: the respawned worker takes over and saves
{
    my $h = start_nginx(workers => $WORKERS, http_config => $http_config, config => $loc);
    my ($d) = configure($h->{port}, tagged_params(5, 1), 'x');
    ok($d && $d->{data}, 'configured');
    my ($owner) = error_log_text($h) =~ /process (\d+) owns the MQTT client/;
    ok($owner, "owner is $owner");
    kill 'KILL', $owner;
    ($d) = configure($spread_port, tagged_params(5, 2), 'after-crash');
    is_deeply($d && $d->{data}, {}, 'a write after the owner was killed succeeds')
        or diag($JU->encode($d));
    my %tags;
    for (1 .. 20) {
        my ($s) = status($spread_port);
        $tags{ (tag_of($s->{data}{config}))[0] // 'mixed' }++;
    }
    is_deeply(\%tags, { '5-2' => 20 }, 'and every worker shows it');
    my @owners = error_log_text($h) =~ /process (\d+) owns the MQTT client/g;
    ok(@owners >= 2 && $owners[-1] != $owner, "a new process ($owners[-1]) owns the client");
    like(slurp(state_file_of($h)), qr/c5-2/, 'saved by the new owner');
    is(stop_nginx($h), 0, 'stopped');
}


# Each worker's wake-up FIFO for its writes: one per worker, kept by the
# worker while it lives; a killed worker's is swept by the next owner; none
# is left when nginx stops.
{
    my $h = start_nginx(workers => $WORKERS, http_config => $http_config, config => $loc);
    my $fifos = sub { sort map { /wake-(\d+)$/ ? $1 : () } glob "$h->{state_dir}/wake-*" };
    my $deadline = time + 5;
    sleep 0.05 until join(' ', $fifos->()) eq join(' ', worker_pids($h)) || time > $deadline;
    is(join(' ', $fifos->()), join(' ', worker_pids($h)), 'a wake-up FIFO per worker');
    ok(-p "$h->{state_dir}/wake-" . (worker_pids($h))[0], 'a FIFO');
    for my $i (1 .. 8) {
        my ($d) = configure($spread_port, tagged_params(7, $i));
        is_deeply($d->{data}, {}, "write $i answered") or diag(explain($d));
    }
    my ($d) = status($spread_port);
    is((tag_of($d->{data}{config}))[0], '7-8', 'the last write in force');
    my @woken = error_log_text($h) =~ /axis_mqtt: woken: a write of this worker is done/g;
    ok(@woken >= 8, 'each writer was woken by the owner (' . scalar(@woken) . ' wake-ups)');

    my ($owner) = (error_log_text($h) =~ /process (\d+) owns the MQTT client/g)[-1];
    kill 'KILL', $owner;
    $deadline = time + 10;
    sleep 0.05 until (grep { $_ == $owner } $fifos->()) == 0 && worker_pids($h) == $WORKERS
                     || time > $deadline;
    is(join(' ', $fifos->()), join(' ', worker_pids($h)), 'the killed owner\'s FIFO swept by the next');
    is(stop_nginx($h), 0, 'stopped');
    is(join(' ', $fifos->()), '', 'no FIFO left');
}

__DATA__

=== TEST 1: four workers, one write, forty reads: all the same
--- workers: 4
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- request eval
[main::cgi({ apiVersion => '1.0', method => 'configureClient',
             params => { server => { protocol => 'ssl', host => 'four.example' },
                         clientId => 'four-workers' } }),
 map { main::cgi({ apiVersion => '1.0', context => "r$_", method => 'getClientStatus' }) } 1 .. 40]
--- response_json eval
['{"data":{}}',
 map { qq{{"context":"r$_","data":{"status":{"state":"inactive"},
           "config":{"server":{"protocol":"ssl","host":"four.example","port":8883},
                     "clientId":"four-workers"}}}} } 1 .. 40]
--- check
is(scalar(worker_pids($nginx)), 4, 'four workers ran');

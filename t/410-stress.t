# Load, reconfiguration, activation and reloads at once (issue 8): the owner
# worker crashed (SIGSEGV) when a reconfiguration destroyed the Paho client
# while Paho's thread was in its connect callback, publishing the connect
# message on that very client.  The crash needed the status load: with the
# CPUs busy the callback is preempted long enough for the race.  That
# window is microseconds wide on an idle machine, so the test widens it as
# a loaded machine does: nginx runs with t/lib/slow/slow_strftime.c
# preloaded, which makes strftime() (called only for the announcements'
# timestamps) take 5 ms.
#
# For AXIS_MQTT_STRESS_SECONDS (40), against nginx with 4 workers and a real
# mosquitto, with the client active:
#   - status load: wrk (2 threads, 8 connections) on getClientStatus, every
#     answer checked (bench/status-check.lua: HTTP 200, the status envelope);
#   - 2 configurers: configureClient in a loop with random pauses
#     (50-500 ms, so that a reconfiguration lands as the broker's CONNACK
#     does), the configuration alternating (each one a reconnect), the
#     connect message and last will on;
#   - 1 activator: deactivateClient / activateClient in turn, with random
#     pauses (20-200 ms);
#   - a reload every 10 s.
# Then: no worker exited on a signal, every answer of every client was
# well-formed, the client is active and connected again afterwards with the
# last configuration written, and exactly one connection is at the broker.
use strict;
use warnings;

use lib 't/lib';
use Test::AxisNginx;
use Test::AxisNginx::Bridge;
use HTTP::Tiny;
use JSON::PP ();
use POSIX ();
use Time::HiRes qw(sleep time);
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(make_path);

plan('no_plan');

my $SECONDS   = $ENV{AXIS_MQTT_STRESS_SECONDS} || 40;
my $RELOAD    = 10;
my $CGI       = '/axis-cgi/mqtt/client.cgi';
my $CLIENT_ID = 'gw-stress';
my $repo      = abs_path(dirname(__FILE__) . '/..');

my $work_root = "$repo/t/servroot/410-stress";
make_path($work_root);
my $b = start_mosquitto();
my $slow = "$work_root/slow_strftime.so";
system('gcc', '-shared', '-fPIC', '-O2', '-o', $slow,
       "$repo/t/lib/slow/slow_strftime.c", '-ldl') == 0
    or BAIL_OUT('cannot build the slow strftime()');

# no debug log and no access log: at this load they would be gigabytes, and
# the disk, not the module, would set the pace
my $h = do {
    local $ENV{LD_PRELOAD} = $slow;
    gw_start(log_level => 'info', access_log => 0);
};
my $url = "http://127.0.0.1:$h->{port}$CGI";
my $work = "$h->{servroot}/stress";
mkdir $work;

sub config_of {
    my ($n) = @_;
    return params_for($b, clientId => $CLIENT_ID, keepAliveInterval => 10 + $n % 2,
                      connectTimeout => 5 + $n % 3);
}

call_ok($h, 'configureClient', config_of(0));
call_ok($h, 'activateClient');
ok(wait_status($h, 'active/connected', 10), 'connected before the load');

# --- the load -------------------------------------------------------------


# A client process: ROLE until the deadline, then "good bad" to its file.
sub client {
    my ($role, $n, $deadline) = @_;
    my $pid = fork // die "fork: $!";
    return $pid if $pid;
    # fresh connections: a reload may close an idle keep-alive one under a POST
    my $http = HTTP::Tiny->new(keep_alive => 0, timeout => 10);
    my ($good, $bad, $i, @why) = (0, 0, $n * 1000);
    while (time < $deadline) {
        $i++;
        my ($method, $params) = $role eq 'configure' ? ('configureClient', config_of($i))
                              : ('deactivateClient', undef);
        $method = 'activateClient' if $role eq 'activate' && $i % 2;
        my %req = (apiVersion => '1.0', context => "$role$n", method => $method,
                   $params ? (params => $params) : ());
        my $res = $http->post($url, { content => JSON::PP->new->encode(\%req),
                                      headers => { 'Content-Type' => 'application/json' } });
        my $data = eval { JSON::PP->new->decode($res->{content}) } // {};
        if ($res->{status} == 200 && ($data->{context} // '') eq "$role$n"
            && ($data->{method} // '') eq $method && ref $data->{data} eq 'HASH')
        {
            $good++;
        } else {
            $bad++;
            push @why, "$res->{status} $res->{content}" if @why < 3;
        }
        # spaced at random: a reconfiguration must land as the broker's
        # CONNACK does, not while the previous client is still going
        sleep($role eq 'activate' ? 0.02 + rand 0.18 : 0.05 + rand 0.45);
    }
    open my $out, '>', "$work/$role$n.out" or POSIX::_exit(1);
    print {$out} "$good $bad\n", map { "$_\n" } @why;
    close $out;
    POSIX::_exit(0);
}

my $t0 = time;
my $deadline = $t0 + $SECONDS;
my $wrk = fork // die "fork: $!";
if ($wrk == 0) {
    open STDOUT, '>', "$work/wrk.out" or POSIX::_exit(1);
    open STDERR, '>&', \*STDOUT;
    exec 'wrk', '-t2', '-c8', "-d${SECONDS}s", '-s', "$repo/bench/status-check.lua", $url
        or POSIX::_exit(127);
}
my @clients = (client('configure', 1, $deadline), client('configure', 2, $deadline),
               client('activate', 1, $deadline));

my $reloads = 0;
while (time < $deadline - 1) {
    sleep 0.2;
    if (time - $t0 > $RELOAD * ($reloads + 1) && time < $deadline - 3) {
        $reloads++;
        ok(reload_nginx($h, timeout => 10), "reload $reloads: a new generation");
    }
}
waitpid($_, 0) for $wrk, @clients;

# --- what the clients saw -------------------------------------------------

my $wrk_out = Test::AxisNginx::_slurp("$work/wrk.out");
my ($good, $bad, $errors, $closed) =
    $wrk_out =~ /^good (\d+) bad (\d+) errors (\d+) closed (\d+)$/m;
ok(defined $good && $good > 0, 'wrk: answers') or diag($wrk_out);
is($bad, 0, 'wrk: every getClientStatus answer well-formed');
is($errors, 0, 'wrk: no connect, write, status or timeout error');
# a reload closes the old generation's keep-alive connections, which wrk
# counts as read errors: its 8 connections, and those it opened again to
# the old workers before they stopped accepting; a crash shows in error.log
ok(($closed // 0) <= 16 * $reloads, 'wrk: connections closed only by reloads')
    or diag("$closed closed after $reloads reloads");
diag("getClientStatus: $good answers in $SECONDS s, $reloads reloads") if $good;

my %total;
for my $name (qw(configure1 configure2 activate1)) {
    my ($line, @why) = split /\n/, Test::AxisNginx::_slurp("$work/$name.out");
    my ($g, $x) = split ' ', $line // '';
    ok(defined $g && $g > 0, "$name: answers");
    is($x, 0, "$name: every answer well-formed") or diag(join "\n", @why);
    ($total{$name =~ s/\d$//r} //= 0) += $g // 0;
}
diag("configureClient: $total{configure}, activate/deactivate: $total{activate}");

# --- afterwards -----------------------------------------------------------

my @crashes = error_log_text($h) =~ /^.*exited on signal.*$/mg;
is(join("\n", @crashes), '', 'no worker exited on a signal');

call_ok($h, 'configureClient', config_of(7));
call_ok($h, 'activateClient');
ok(wait_all_workers($h, 'active/connected', 15), 'every worker: active/connected');
my ($data) = call($h, 'getClientStatus');
is($data->{data}{config}{connectTimeout}, config_of(7)->{connectTimeout},
   'the last configuration written is the one in force');

my $tcp = sub {
    my $local = sprintf '0100007F:%04X', $b->{port};
    scalar grep { my @f = split ' '; @f > 3 && $f[1] eq $local && $f[3] eq '01' }
        split /\n/, Test::AxisNginx::_slurp('/proc/net/tcp');
};
my $wait = time + 10;
sleep 0.1 while $tcp->() != 1 && time < $wait;
is($tcp->(), 1, 'exactly one connection at the broker');

is(stop_nginx($h), 0, 'nginx stops cleanly');
my @alerts = error_log_text($h) =~ /^.*\[(?:alert|crit|emerg)\].*$/mg;
is(join("\n", @alerts), '', 'error.log: no alert, crit or emerg');
stop_mosquitto($b);

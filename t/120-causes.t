# Why a connection fails, as error.log tells it: with the client active
# (tcp, connectTimeout 2) each cause is logged once, in words, in the line
# "axis_mqtt: device <serial>: connecting to <uri> failed: <cause>", not once per retry:
# a closed port (refused), a name that does not resolve, a server that
# accepts and never answers (no CONNACK), a wrong password (the broker's
# CONNACK code).  The configured password never reaches error.log.  The
# gateway's getClientDiagnostics answers the same cause from every worker.
# nginx runs with 4 workers (t/lib/Test/AxisNginx/Bridge.pm).
use strict;
use warnings;

use lib 't/lib';
use Test::AxisNginx;
use Test::AxisNginx::Bridge;    # gw_start, call_ok, params_for, status, ...
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(sleep time);

BEGIN { *subtest = \&Test::More::subtest }    # Test::Base does not export it

plan('no_plan');

my $PASSWORD = 'Cause-Pw-7hQz#Kx4';    # must never reach error.log
my ($PARENT, $Silent) = ($$);            # the silent server's pid while it runs
END { kill 'TERM', $Silent if $Silent && $$ == $PARENT }

# Attempts so far: one debug line "connecting to <uri> as ..." each.
sub attempts { scalar(() = error_log_text($_[0]) =~ /axis_mqtt: device \S+: connecting to \S+ as /g) }

# The "connecting to <uri> failed: <cause>" lines: ([uri, cause], ...)
sub failures {
    my ($h) = @_;
    my ($text, @f) = (error_log_text($h));
    push @f, [$1, $2] while $text =~ /axis_mqtt: device \S+: connecting to (\S+) failed: (.*)$/mg;
    return @f;
}

sub axis_lines { join "\n", grep { /axis_mqtt:/ && !/\[debug\]/ } split /\n/, error_log_text($_[0]) }

# Activate against tcp://$host:$port, wait until at least 3 attempts failed (a
# 4th has started: the retries come 0.5 s, then 1 s after each failure) and
# check that the cause is logged once.  Returns the cause ('' if none).
sub one_cause {
    my ($label, $host, $port) = @_;
    my $h = gw_start();
    call_ok($h, 'configureClient',
            params_for({ port => $port }, server => { protocol => 'tcp', host => $host,
                                                      port => $port },
                       clientId => 'gw-cause', connectTimeout => 2,
                       username => 'gwuser', password => $PASSWORD),
            "$label: configureClient");
    call_ok($h, 'activateClient', undef, "$label: activateClient");
    my $t0 = time;
    my $n = 0;
    while (time < $t0 + 15) {
        last if ($n = attempts($h)) >= 4;
        sleep 0.05;
    }
    ok($n >= 4, "$label: retried (3 attempts failed, a 4th started)")
        or diag("$n attempts in 15 s\n" . axis_lines($h));
    diag(sprintf '%s: %d attempts in %.1f s', $label, $n, time - $t0);
    my ($st) = status($h);
    is($st, 'active/disconnected', "$label: status active/disconnected");

    my $uri = "tcp://$host:$port";
    my @failed = failures($h);
    is(scalar @failed, 1, "$label: the failure is logged once, not once per retry")
        or diag(axis_lines($h));
    is($failed[0][0] // '', $uri, "$label: the line names the broker's URI");
    like(error_log_text($h), qr/\[error\] .*axis_mqtt: device \S+: connecting to \Q$uri\E failed: /,
         "$label: logged at level error");
    my $cause = $failed[0][1] // '';
    diag("$label: error.log: axis_mqtt: device ...: connecting to $uri failed: $cause");
    ok(index(error_log_text($h), $PASSWORD) < 0, "$label: the password is not in error.log");

    # the gateway's getClientDiagnostics: the same words, from every worker
    my %answered;
    for (1 .. 200) {
        my ($d, $worker) = call($h, 'getClientDiagnostics');
        next if $answered{$worker}++;
        is_deeply([ @{ $d->{data} // {} }{qw(state connectionStatus cause)} ],
                  [ 'active', 'disconnected', "connecting to $uri failed: $cause" ],
                  "$label: getClientDiagnostics says why (worker $worker)")
            or diag(Test::More::explain($d));
        like($d->{data}{causeTime} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
             "$label: ... and since when");
        last if keys %answered == $h->{workers};
    }
    is(scalar keys %answered, $h->{workers}, "$label: every worker answered it");
    is(stop_nginx($h), 0, "$label: nginx stops cleanly while retrying");
    return $cause;
}

# ------------------------------------------------------------------ tests

subtest 'a closed port: refused' => sub {
    my $port = free_port();    # bound and closed again: nobody listens
    my $cause = one_cause('closed port', '127.0.0.1', $port);
    like($cause, qr/\brefused\b/i, 'closed port: the cause says refused');
    like($cause, qr/127\.0\.0\.1:$port\b/, 'closed port: the cause names the address');
};

subtest 'a name that does not resolve' => sub {
    my $cause = one_cause('unknown host', 'no-such-host.invalid', free_port());
    like($cause, qr/does not resolve/, 'unknown host: the cause says the name does not resolve');
    like($cause, qr/no-such-host\.invalid/, 'unknown host: the cause names the host');
};

# A TCP server that accepts and never answers: the MQTT CONNECT gets no
# CONNACK; Paho gives up after connectTimeout.
subtest 'a server that accepts and never answers' => sub {
    my $l = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Proto => 'tcp',
                                  Listen => 32, ReuseAddr => 1) or die "listen: $!";
    my $port = $l->sockport;
    my $pid = $Silent = fork // die "fork: $!";
    if ($pid == 0) {
        $SIG{TERM} = sub { POSIX::_exit(0) };
        my @held;    # open, never read, never written
        while (1) { my $c = $l->accept or next; push @held, $c }
    }
    close $l;
    my $cause = eval { one_cause('silent server', '127.0.0.1', $port) };
    my $err = $@;
    kill 'TERM', $pid;
    waitpid $pid, 0;
    $Silent = undef;
    die $err if $err;
    ok(length $cause, 'silent server: a cause is given');
    unlike($cause, qr/refused|does not resolve/i,
           'silent server: not the refused or unresolved cause');
    like($cause, qr/did not answer CONNECT within 2 s/,
         'silent server: the cause says the CONNACK never came');
};

subtest 'a wrong password: the broker\'s CONNACK code in words' => sub {
    my $b = password_broker('gwuser', 'Right-Pa55-word');
    my $cause = one_cause('wrong password', '127.0.0.1', $b->{port});
    like($cause, qr/user name or password|not authori[sz]ed/,
         'wrong password: the cause says the credentials were refused');
    like($cause, qr/\(CONNACK \d\)/, 'wrong password: with the CONNACK code');
    my $refused = count_re(blog($b), qr/Sending CONNACK to \S+ \(0, [45]\)/);
    ok($refused >= 3, "wrong password: the broker refused $refused attempts (>= 3)");
    stop_mosquitto($b);
};

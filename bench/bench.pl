#!/usr/bin/perl
# Timing helper of bench/run.sh: the measurements that need sub-millisecond
# clocks or a process to watch while another one runs.  Core Perl only, so
# it runs wherever build.sh deps has run.  Each subcommand prints one line
# of numbers (milliseconds) for run.sh to put into its table.
#
#   bench.pl configure  URL N BODY STATE_DIR FSYNC_BASELINE
#                                              -> median p99, bare: median
#                                                 p99, state file bytes
#   bench.pl announce   URL MQTT_PORT PREFIX N -> module min median max,
#                                                 mosquitto_pub min median max
#   bench.pl wait       URL STATE T0 TIMEOUT   -> ms from T0 to STATE
#   bench.pl reload     URL MASTER_PID BROKER_LOG CLIENT_ID
#                                              -> poll_gap broker_gap
#   bench.pl now                               -> epoch seconds, µs precision

use strict;
use warnings;

use IO::Select;
use IO::Socket::INET;
use Socket qw(IPPROTO_TCP TCP_NODELAY);
use POSIX qw(ceil);
use Time::HiRes qw(time sleep);

my @children;

# a subscriber or client left behind would keep the broker's port busy
END { kill 'TERM', grep { $_ } @children if @children }
$SIG{$_} = sub { exit 1 } for qw(INT TERM);

my %commands = (
    configure => \&configure,
    announce  => \&announce,
    wait      => \&wait_state,
    reload    => \&reload,
    now       => sub { printf "%.6f\n", time },
);

my $name = shift // '';
my $command = $commands{$name} or die "usage: $0 configure|announce|wait|reload|now ...\n";
$command->(@ARGV);
exit 0;


# A minimal HTTP/1.1 client.  Not HTTP::Tiny: it writes the headers and the
# body in two send()s without TCP_NODELAY, so Nagle holds the body until
# nginx's delayed ACK (~40 ms per request on Linux loopback), which would
# swamp every figure here.  One write per request, TCP_NODELAY on.
sub http_client {
    my ($url, $keep_alive) = @_;
    my ($host, $port, $path) = $url =~ m{^http://([^:/]+):(\d+)(/.*)$}
        or die "bad url $url\n";
    return { host => $host, port => $port, path => $path,
             keep_alive => $keep_alive, sock => undef };
}

sub api {
    my ($c, $body) = @_;

    my $request = "POST $c->{path} HTTP/1.1\r\n"
                . "Host: $c->{host}:$c->{port}\r\n"
                . "Content-Type: application/json\r\n"
                . "Content-Length: " . length($body) . "\r\n"
                . ($c->{keep_alive} ? '' : "Connection: close\r\n")
                . "\r\n$body";

    # a kept-alive connection the server closed meanwhile: one new try
    for my $try (1, 2) {
        my $fresh = !$c->{sock};
        $c->{sock} //= IO::Socket::INET->new(PeerAddr => $c->{host},
                                             PeerPort => $c->{port},
                                             Timeout  => 5)
            or return;
        setsockopt($c->{sock}, IPPROTO_TCP, TCP_NODELAY, 1);

        my $answer = exchange($c->{sock}, $request);

        if (!defined $answer || !$c->{keep_alive}) {
            close $c->{sock};
            undef $c->{sock};
        }

        return $answer if defined $answer || $fresh;
    }

    return;
}

# send one request, read one response; the body of a 200, else undef
sub exchange {
    my ($sock, $request) = @_;
    my $select = IO::Select->new($sock);

    syswrite($sock, $request) == length $request or return;

    my ($buf, $length) = ('', undef);
    while (1) {
        if (!defined $length && $buf =~ /\r\n\r\n/) {
            my ($head) = $buf =~ /^(.*?\r\n)\r\n/s;
            $head =~ m{^HTTP/1\.\d 200 } or return;
            ($length) = $head =~ /^Content-Length:\s*(\d+)/mi or return;
            $buf = substr $buf, length($head) + 2;
        }
        return substr($buf, 0, $length)
            if defined $length && length $buf >= $length;

        $select->can_read(10) or return;
        sysread($sock, $buf, 65536, length $buf) or return;
    }
}

sub method_body {
    my ($method) = @_;
    return qq({"apiVersion":"1.0","context":"bench","method":"$method"});
}

# "connected", "disconnected", or undef while no worker answers (reload)
sub connection_status {
    my ($client) = @_;
    my $answer = api($client, method_body('getClientStatus')) // return;
    return $answer =~ /"connectionStatus":\s*"(\w+)"/ ? $1 : undef;
}

sub nearest_rank {
    my ($p, @values) = @_;
    my @sorted = sort { $a <=> $b } @values;
    my $k = ceil($p * @sorted);
    return $sorted[($k < 1 ? 1 : $k) - 1];
}

sub median { nearest_rank(0.5, @_) }

sub min_of { nearest_rank(0, @_) }

sub max_of { nearest_rank(1, @_) }


# configureClient N times on one keep-alive connection, so each sample is
# the module's work (parse, hand to the owner, fsync'd save) plus one
# loopback round trip, not a TCP handshake.  The bare replace of the same
# size (fsync_baseline) runs in turns with it, 20 at a time, so both see
# the same disk weather: other jobs' fsyncs move these figures a lot.
sub configure {
    my ($url, $n, $body, $state_dir, $baseline) = @_;
    my $client = http_client($url, 1);
    my (@module, @bare, $bytes);

    while (@module < $n) {
        for (1 .. 20) {
            my $t0 = time;
            my $answer = api($client, $body);
            push @module, (time - $t0) * 1000;
            die "configureClient failed: ", $answer // 'no answer', "\n"
                unless defined $answer && $answer =~ /"data"/;
        }

        # the device's state file (one device here)
        my ($file) = glob "$state_dir/client-*.json";
        $bytes = ($file && -s $file) or die "no client-<serial>.json\n";
        open my $fh, '-|', $baseline, $state_dir, $bytes, 20
            or die "$baseline: $!\n";
        push @bare, map { $_ / 1000 } <$fh>;
        close $fh or die "$baseline failed\n";
    }

    printf "%.3f %.3f %.3f %.3f %d\n", median(@module),
           nearest_rank(0.99, @module), median(@bare),
           nearest_rank(0.99, @bare), $bytes;
}


# Time from starting one process (curl activateClient, or mosquitto_pub) to
# a subscriber that was already subscribed receiving the announcement.
# mosquitto_sub -d says when its SUBACK arrived, so the clock starts only
# once the subscription is in place; -R and the r0 check skip the retained
# copy of the previous announcement, which a new subscription gets at once.
sub time_to_message {
    my ($port, $topic, @argv) = @_;

    my $sub_pid = open(my $sub, '-|', 'stdbuf', '-oL', 'mosquitto_sub',
                       '-h', '127.0.0.1', '-p', $port, '-t', $topic,
                       '-d', '-R', '-C', '1', '-W', '10')
        or die "mosquitto_sub: $!\n";
    push @children, $sub_pid;

    while (my $line = <$sub>) {
        last if $line =~ /received SUBACK/;
    }

    # mosquitto leaves Nagle on (set_tcp_nodelay false): a PUBLISH sent
    # while the SUBACK is unacknowledged waits for the subscriber's delayed
    # ACK, ~40 ms.  Let that ACK go out before the clock starts.
    sleep 0.25;

    my $t0 = time;
    my $pid = fork // die "fork: $!\n";
    if ($pid == 0) {
        open STDOUT, '>', '/dev/null';
        exec @argv or POSIX::_exit(127);
    }
    push @children, $pid;

    my $t1;
    while (my $line = <$sub>) {
        # a copy sent because of the subscription would say r1
        if ($line =~ /received PUBLISH \(d\d, q\d, r0/) {
            $t1 = time;
            last;
        }
    }

    waitpid $pid, 0;
    close $sub;
    @children = ();

    die "no announcement on $topic after: @argv\n" unless defined $t1;
    return ($t1 - $t0) * 1000;
}

sub announce {
    my ($url, $port, $prefix, $n) = @_;
    my $client = http_client($url, 1);
    my (@module, @pub);

    # the module's default connect message: QoS 1, retained, about this size
    my $payload = '{"serialNumber":"ACCC8E012345","connected":true,'
                . '"description":"Connected","timestamp":"2024-01-01T00:00:00Z"}';

    for (1 .. $n) {
        api($client, method_body('deactivateClient')) // die "deactivate\n";
        wait_until($client, 'disconnected', 5);

        push @module, time_to_message($port, "$prefix/#",
            'curl', '-s', '-H', 'Content-Type: application/json',
            '-d', method_body('activateClient'), $url);

        push @pub, time_to_message($port, "bench/pub/#",
            'mosquitto_pub', '-h', '127.0.0.1', '-p', $port, '-q', '1', '-r',
            '-t', 'bench/pub/event/connection', '-m', $payload);
    }

    wait_until($client, 'connected', 5);
    printf "%.1f %.1f %.1f %.1f %.1f %.1f\n",
           min_of(@module), median(@module), max_of(@module),
           min_of(@pub), median(@pub), max_of(@pub);
}


sub wait_until {
    my ($client, $state, $timeout) = @_;
    my $deadline = time + $timeout;

    until ((connection_status($client) // '') eq $state) {
        die "not $state after ${timeout}s\n" if time > $deadline;
        sleep 0.02;
    }
}

# poll getClientStatus every 20 ms; report when it first said STATE
sub wait_state {
    my ($url, $state, $t0, $timeout) = @_;
    my $client = http_client($url, 1);

    wait_until($client, $state, $timeout);
    printf "%.1f\n", (time - $t0) * 1000;
}


# One reload (SIGHUP to the master) while polling getClientStatus every
# 10 ms, each poll on a new connection (old workers close kept-alive ones).
# Two views of the gap:
#   poll_gap   the longest run of answers that were not "connected"
#   broker_gap from the broker's DISCONNECT/close of CLIENT_ID to its next
#              CONNECT, from run.sh's arrival-stamped mosquitto log
#              (negative: the new connection came first and mosquitto
#              kicked the old one off)
sub reload {
    my ($url, $master, $log, $client_id) = @_;
    my $client = http_client($url, 0);
    my $log_start = -s $log;

    my ($hup, $down_since, $gap) = (undef, undef, 0);
    my $t_start = time;

    # poll before (a baseline), through, and well after the reload: the old
    # owner lets go only when it exits, the new one polls for the lock
    while (time - $t_start < 3) {
        if (!defined $hup && time - $t_start >= 0.3) {
            kill 'HUP', $master or die "SIGHUP $master: $!\n";
            $hup = time;
        }

        my $t = time;
        my $status = connection_status($client) // 'no answer';

        if ($status ne 'connected') {
            $down_since //= $t;
        } elsif (defined $down_since) {
            $gap = $t - $down_since if $t - $down_since > $gap;
            undef $down_since;
        }

        sleep 0.01;
    }

    die "still not connected 2.7 s after the reload\n" if defined $down_since;

    # the broker log is written by another process: give it a moment
    sleep 0.1;
    open my $fh, '<', $log or die "$log: $!\n";
    seek $fh, $log_start, 0;

    my ($gone, $back);
    while (my $line = <$fh>) {
        my ($t) = $line =~ /^(\d+\.\d+) / or next;
        if ($line =~ /Received DISCONNECT from \Q$client_id\E\s*$/
            || $line =~ /Client \Q$client_id\E (?:disconnected|closed its)/) {
            $gone //= $t;
        } elsif ($line =~ /New client connected from \S+ as \Q$client_id\E /) {
            $back //= $t;
        }
    }

    printf "%.1f %s\n", $gap * 1000,
           defined $gone && defined $back
           ? sprintf('%.1f', ($back - $gone) * 1000) : 'nan';
}

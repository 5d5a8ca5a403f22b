package Test::AxisNginx::Bridge;

# Helpers for the MQTT bridge tests against a real mosquitto over plain TCP
# (t/100-bridge.t, t/110-bridge-lifecycle.t, t/120-causes.t): an nginx with
# the API and 4 workers, API calls, configureClient params for a broker,
# polling the status (any worker, every worker), the broker log, live
# subscribers, and checks of the default announcements.

use strict;
use warnings;

use Test::AxisNginx;
use Exporter 'import';
use Cwd ();
use File::Basename ();
use File::Path ();
use JSON::PP ();
use Time::HiRes qw(sleep time);
use Time::Local qw(timegm);

our @EXPORT = qw(
    $SERIAL $TOPIC $TRUE $FALSE %DEFAULT_MESSAGES
    gw_start call call_ok params_for status wait_all_workers wait_status
    stays_status blog wait_blog count_re connected_re owner_pid live_sub
    sub_stop check_default descriptions password_broker
);

our $SERIAL = 'ACCC8E012345';
our $TOPIC  = "axis/$SERIAL/event/connection";
our $TRUE   = JSON::PP::true;
our $FALSE  = JSON::PP::false;
our %DEFAULT_MESSAGES = map { $_ => { useDefault => $TRUE } }
    qw(lastWillTestament connectMessage disconnectMessage);

# nginx with the API; X-Worker tells which worker answered
sub gw_start {
    return start_nginx(workers => 4, http_config => "axis_mqtt_serial $SERIAL;",
        config => 'location = /axis-cgi/mqtt/client.cgi {'
                . ' axis_mqtt_client; add_header X-Worker $pid always; }', @_);
}

# (reply, answering worker pid)
sub call {
    my ($h, $method, $params) = @_;
    my %req = (apiVersion => '1.0', context => 't', method => $method);
    $req{params} = $params if $params;
    my ($data, $res) = api($h->{port}, \%req);
    return ($data, $res->header('X-Worker'));
}

sub call_ok {
    my ($h, $method, $params, $label) = @_;
    my ($data) = call($h, $method, $params);
    ok(ref $data->{data} eq 'HASH' && !$data->{error} && !$data->{_error},
       $label // "$method succeeds")
        or diag(Test::More::explain($data));
    return $data;
}

# configureClient params for broker $b; a key given as undef is left out
sub params_for {
    my ($b, %over) = @_;
    my %p = (server => { protocol => 'tcp', host => '127.0.0.1', port => $b->{port} },
             clientId => 'axis-gw', connectTimeout => 5, %DEFAULT_MESSAGES, %over);
    delete $p{$_} for grep { !defined $p{$_} } keys %p;
    return \%p;
}

# "state/connectionStatus" and the worker that answered
sub status {
    my ($h) = @_;
    my ($data, $worker) = call($h, 'getClientStatus');
    my $s = ref $data->{data} eq 'HASH' ? $data->{data}{status} // {} : {};
    return (($s->{state} // '?') . '/' . ($s->{connectionStatus} // '?'), $worker);
}

# Poll until every current worker's latest answer is $want ("active/connected").
sub wait_all_workers {
    my ($h, $want, $timeout) = @_;
    my $deadline = time + ($timeout // 5);
    my %last;
    while (1) {
        my ($st, $worker) = status($h);
        $last{ $worker // '?' } = $st;
        my @pids = worker_pids($h);
        return 1 if @pids == 4 && !grep { ($last{$_} // '') ne $want } @pids;
        last if time > $deadline;
        sleep 0.005;
    }
    diag("waiting for $want; latest answer per worker: "
         . join(', ', map { "$_=$last{$_}" } sort keys %last)
         . '; workers now: ' . join(' ', worker_pids($h)));
    return 0;
}

# Poll (any worker) until the status is $want; the time it took, or undef.
sub wait_status {
    my ($h, $want, $timeout) = @_;
    my ($t0, $st) = (time);
    while (time < $t0 + ($timeout // 5)) {
        ($st) = status($h);
        return time - $t0 if $st eq $want;
        sleep 0.01;
    }
    diag("status is $st, not $want, after " . ($timeout // 5) . ' s');
    return undef;
}

# The status must stay $want for $secs (from any worker).
sub stays_status {
    my ($h, $want, $secs) = @_;
    my $t0 = time;
    while (time < $t0 + $secs) {
        my ($st, $w) = status($h);
        if ($st ne $want) {
            diag(sprintf 'status %s from worker %s after %.3f s', $st, $w // '?', time - $t0);
            return 0;
        }
        sleep 0.02;
    }
    return 1;
}

sub blog { my ($b, $from) = @_; return substr(mosquitto_log($b), $from // 0) }

# Poll the broker log (from offset $from) until it matches $re.
sub wait_blog {
    my ($b, $re, $timeout, $from) = @_;
    my $deadline = time + ($timeout // 5);
    while (time < $deadline) {
        return 1 if blog($b, $from) =~ $re;
        sleep 0.01;
    }
    return blog($b, $from) =~ $re ? 1 : 0;
}

sub count_re { my ($text, $re) = @_; my $n = 0; $n++ while $text =~ /$re/g; return $n }

sub connected_re {
    my ($id) = @_;
    return qr/New client connected from \S+ as \Q$id\E \(p2, c(\d), k(\d+)(?:, u'([^']*)')?\)/;
}

sub owner_pid {
    my ($h) = @_;
    my @owners = error_log_text($h) =~ /axis_mqtt: process (\d+) owns the MQTT client/g;
    return $owners[-1];
}

# A live subscriber on $topic at QoS 1.
sub live_sub {
    my ($b, %a) = @_;
    return sub_start(port => $b->{port}, topic => $a{topic} // $TOPIC,
                     count => $a{count} // 1, timeout => $a{timeout} // 5,
                     extra => ['-q', '1']);
}

# Stop a subscriber that waits for more than will come; its messages.
sub sub_stop { my ($s) = @_; kill 'TERM', $s->{pid}; return sub_collect($s) }

# Check one default announcement: kind connect | disconnect | lwt.
sub check_default {
    my ($msg, $kind, $label, %o) = @_;
    unless ($msg) { fail("$label: a message arrived"); return }
    my $p = eval { JSON::PP->new->decode($msg->{payload}) };
    ok(ref $p eq 'HASH', "$label: payload is a JSON object")
        or return diag("payload: $msg->{payload}");
    is($msg->{topic}, $TOPIC, "$label: topic");
    is($msg->{qos}, 1, "$label: QoS 1");
    is($msg->{retain}, $o{retain}, "$label: retain flag $o{retain}") if defined $o{retain};
    is(join(',', sort keys %$p), 'connected,description,serialNumber,timestamp',
       "$label: exactly the four fields");
    is($p->{serialNumber}, $SERIAL, "$label: serialNumber");
    ok(JSON::PP::is_bool($p->{connected}) && ($p->{connected} ? 1 : 0) == ($kind eq 'connect'),
       "$label: connected is " . ($kind eq 'connect' ? 'true' : 'false'));
    my %desc = (connect => 'Connected', disconnect => 'Disconnected', lwt => 'Connection Lost');
    is($p->{description}, $desc{$kind}, "$label: description");
    if ($kind eq 'lwt') {
        like($msg->{payload}, qr/"timestamp"\s*:\s*null/, "$label: timestamp null");
    } elsif (ok(defined $p->{timestamp}
                && $p->{timestamp} =~ /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)Z$/,
                "$label: timestamp YYYY-MM-DDTHH:MM:SSZ")) {
        my $t = eval { timegm($6, $5, $4, $3, $2 - 1, $1) } // 0;
        ok(abs($t - time) < 60, "$label: timestamp is now, in UTC")
            or diag("timestamp $p->{timestamp}, now " . gmtime());
    } else {
        diag('timestamp: ' . ($p->{timestamp} // 'null'));
    }
    return $p;
}

sub descriptions { join ',', map { (eval { JSON::PP->new->decode($_->{payload}) } // {})->{description} // $_->{payload} } @_ }

# A mosquitto that lets in only $user with $password (a password_file in
# t/servroot/<test>/passwd).
sub password_broker {
    my ($user, $password) = @_;
    my $dir = 't/servroot/' . File::Basename::basename($0, '.t');
    File::Path::make_path($dir);
    my $pwfile = Cwd::abs_path($dir) . '/passwd';
    unlink $pwfile;
    system('mosquitto_passwd', '-b', '-c', $pwfile, $user, $password) == 0
        or die "mosquitto_passwd failed";
    return start_mosquitto(config => "allow_anonymous false\npassword_file $pwfile");
}

1;

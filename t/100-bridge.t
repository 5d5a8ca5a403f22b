# The MQTT bridge against a real mosquitto over plain TCP: connect and
# status, announcements (default and custom), connection settings seen by
# the broker, credentials, reconfiguration while active, broker gone.
# nginx runs with 4 workers; the broker log and mosquitto_sub observe.
use strict;
use warnings;

use lib 't/lib';
use Test::AxisNginx;
use JSON::PP ();
use Time::HiRes qw(sleep time);
use Time::Local qw(timegm);
use Cwd ();
use File::Path ();

BEGIN { *subtest = \&Test::More::subtest }    # Test::Base does not export it

plan('no_plan');

# ------------------------------------------------------------------ helpers
# (the same block heads t/100-bridge.t and t/110-bridge-lifecycle.t:
# keep them alike)

my $SERIAL = 'ACCC8E012345';
my $TOPIC  = "axis/$SERIAL/event/connection";
my $TRUE   = JSON::PP::true;
my $FALSE  = JSON::PP::false;
my %DEFAULT_MESSAGES = map { $_ => { useDefault => $TRUE } }
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

# ------------------------------------------------------------------ tests

subtest 'activate: connected once the broker accepted, default announcements, deactivate' => sub {
    my $b = start_mosquitto();
    my $h = gw_start();
    call_ok($h, 'configureClient', params_for($b, clientId => 'gw-basic'));
    ok(stays_status($h, 'inactive/disconnected', 0.5), 'configured, not active: disconnected');
    unlike(blog($b), qr/as gw-basic/, 'nothing connects before activateClient');

    my $sub = live_sub($b);
    call_ok($h, 'activateClient');
    # every "connected" must come after the broker logged the accepted connection
    my ($early, $t0, $seen) = (0, time, 0);
    while (time < $t0 + 5) {
        my ($st) = status($h);
        if ($st eq 'active/connected') {
            $seen = 1;
            $early++ unless blog($b) =~ connected_re('gw-basic');
            last;
        }
        sleep 0.002;
    }
    ok($seen, 'status says connected within 5 s');
    is($early, 0, 'status said connected only after the broker accepted the connection');
    ok(wait_all_workers($h, 'active/connected'), 'all 4 workers say active/connected');
    like(blog($b), qr/as gw-basic \(p2, c1, k60\)\.\n.*Will message specified \(\d+ bytes\) \(r1, q1\)\.\n.*\t\Q$TOPIC\E\n/,
         'broker: client gw-basic, MQTT 3.1.1, default will retained QoS 1 on the connection topic');

    my @live = sub_collect($sub);
    is(scalar @live, 1, 'live subscriber got one message');
    check_default($live[0], 'connect', 'connect message (live)', retain => 0);
    like(blog($b), qr/Received PUBLISH from gw-basic \(d0, q1, r1, m\d+, '\Q$TOPIC\E'/,
         'broker: connect message published with QoS 1, retain');
    my @late = sub_messages(port => $b->{port}, topic => $TOPIC, count => 1, timeout => 3,
                            extra => ['-q', '1']);
    check_default($late[0], 'connect', 'connect message (subscribed after)', retain => 1);

    # deactivate: disconnect message published and delivered, then DISCONNECT, no LWT
    my $off = length mosquitto_log($b);
    # (it gets the retained connect message first: flagged retain 1)
    $sub = live_sub($b, count => 3, timeout => 2);
    call_ok($h, 'deactivateClient');
    ok(wait_blog($b, qr/Received DISCONNECT from gw-basic\n/, 5, $off),
       'broker: clean DISCONNECT after deactivateClient');
    like(blog($b, $off), qr/Received PUBLISH from gw-basic \(d0, q1, r1, m\d+, '\Q$TOPIC\E'.*\n(?:.*\n)*.*Received DISCONNECT from gw-basic\n/,
         'broker: the disconnect message came before the DISCONNECT');
    unlike(blog($b, $off), qr/Socket error on client gw-basic|Client gw-basic closed its connection/,
           'broker: no unclean close');
    @live = grep { !$_->{retain} } sub_collect($sub);
    is(descriptions(@live), 'Disconnected', 'subscriber got the disconnect message and no LWT');
    check_default($live[0], 'disconnect', 'disconnect message (live)', retain => 0);
    @late = sub_messages(port => $b->{port}, topic => $TOPIC, count => 1, timeout => 3,
                         extra => ['-q', '1']);
    check_default($late[0], 'disconnect', 'disconnect message (subscribed after)', retain => 1);
    ok(wait_all_workers($h, 'inactive/disconnected'), 'all 4 workers say inactive/disconnected');

    is(stop_nginx($h), 0, 'nginx stops cleanly');
    unlike(error_log_text($h), qr/\[(?:alert|crit|emerg)\]/, 'no alerts in error.log');
    stop_mosquitto($b);
};

subtest 'connected is not reported before the CONNACK (frozen broker)' => sub {
    my $b = start_mosquitto();
    my $h = gw_start();
    call_ok($h, 'configureClient', params_for($b, clientId => 'gw-frozen', connectTimeout => 10));
    kill 'STOP', $b->{pid};
    call_ok($h, 'activateClient');
    my $ok = stays_status($h, 'active/disconnected', 1.5);
    kill 'CONT', $b->{pid};
    ok($ok, 'broker frozen (TCP accepted by the kernel, no CONNACK): status stays disconnected');
    ok(defined wait_status($h, 'active/connected', 8), 'broker resumed: connected');
    like(blog($b), connected_re('gw-frozen'), 'broker accepted gw-frozen');
    stop_nginx($h);
    stop_mosquitto($b);
};

subtest 'custom messages: topic, payload, QoS 0, not retained' => sub {
    my $b = start_mosquitto();
    my $h = gw_start();
    my %msg = map { my ($k, $text) = @$_;
                    ($k => { useDefault => $FALSE, topic => "gw/custom/$text",
                             message => "custom $text", retain => $FALSE, qos => 0 }) }
        ['lastWillTestament', 'lost'], ['connectMessage', 'online'],
        ['disconnectMessage', 'offline'];
    call_ok($h, 'configureClient', params_for($b, clientId => 'gw-custom', %msg));
    my $sub = live_sub($b, topic => ['gw/custom/#', "$TOPIC"], count => 1);
    call_ok($h, 'activateClient');
    ok(defined wait_status($h, 'active/connected'), 'connected');
    my @live = sub_collect($sub);
    is_deeply([map { [@$_{qw(topic payload qos retain)}] } @live],
              [['gw/custom/online', "custom online", 0, 0]],
              'custom connect message: topic, payload as given, QoS 0, nothing else');
    like(blog($b), qr/as gw-custom \(p2, c1, k60\)\.\n.*Will message specified \(\d+ bytes\) \(r0, q0\)\.\n.*\tgw\/custom\/lost\n/,
         'broker: custom will on gw/custom/lost, not retained, QoS 0');
    like(blog($b), qr/Received PUBLISH from gw-custom \(d0, q0, r0, m\d+, 'gw\/custom\/online', \.\.\. \(13 bytes\)\)/,
         'broker: connect message QoS 0, retain 0, 13 bytes');
    my @late = sub_messages(port => $b->{port}, topic => 'gw/custom/#', timeout => 1);
    is(scalar @late, 0, 'nothing retained on gw/custom/#');

    $sub = live_sub($b, topic => ['gw/custom/#', $TOPIC], count => 2, timeout => 2);
    my $off = length mosquitto_log($b);
    call_ok($h, 'deactivateClient');
    ok(wait_blog($b, qr/Received DISCONNECT from gw-custom\n/, 5, $off), 'broker: clean DISCONNECT');
    @live = sub_collect($sub);
    is_deeply([map { [@$_{qw(topic payload qos retain)}] } @live],
              [['gw/custom/offline', "custom offline", 0, 0]],
              'custom disconnect message delivered, no last will');
    stop_nginx($h);
    stop_mosquitto($b);
};

subtest 'no message objects: nothing is published' => sub {
    my $b = start_mosquitto();
    my $h = gw_start();
    call_ok($h, 'configureClient',
            params_for($b, clientId => 'gw-quiet', lastWillTestament => undef,
                       connectMessage => undef, disconnectMessage => undef));
    my $sub = live_sub($b, topic => '#', count => 1, timeout => 2);
    call_ok($h, 'activateClient');
    ok(defined wait_status($h, 'active/connected'), 'connected');
    like(blog($b), qr/as gw-quiet \(p2, c1, k60\)\.\n.*No will message specified\./,
         'broker: no will message');
    my $off = length mosquitto_log($b);
    call_ok($h, 'deactivateClient');
    ok(wait_blog($b, qr/Received DISCONNECT from gw-quiet\n/, 5, $off), 'broker: clean DISCONNECT');
    my @got = sub_collect($sub);
    is(scalar @got, 0, 'no connect or disconnect message') or diag(descriptions(@got));
    unlike(blog($b), qr/Received PUBLISH from gw-quiet/, 'broker: gw-quiet never published');
    stop_nginx($h);
    stop_mosquitto($b);
};

subtest 'clientId, keepAliveInterval, cleanSession as the broker sees them' => sub {
    my $b = start_mosquitto();
    my $h = gw_start();
    call_ok($h, 'configureClient',
            params_for($b, clientId => 'gw-settings', keepAliveInterval => 17,
                       cleanSession => $FALSE));
    call_ok($h, 'activateClient');
    ok(defined wait_status($h, 'active/connected'), 'connected');
    like(blog($b), qr/New client connected from 127\.0\.0\.1:\d+ as gw-settings \(p2, c0, k17\)\./,
         'broker: as gw-settings (p2, c0, k17)');

    # an empty clientId: the serial number is used
    my $off = length mosquitto_log($b);
    call_ok($h, 'configureClient', params_for($b, clientId => '', keepAliveInterval => 30));
    ok(wait_blog($b, qr/as \Q$SERIAL\E \(p2, c1, k30\)\./, 5, $off),
       "broker: empty clientId connects as $SERIAL (p2, c1, k30)");
    ok(defined wait_status($h, 'active/connected'), 'connected');
    stop_nginx($h);
    stop_mosquitto($b);
};

subtest 'configureClient while active: reconnects with the new settings' => sub {
    my $b = start_mosquitto();
    my $h = gw_start();
    call_ok($h, 'configureClient', params_for($b, clientId => 'gw-old'));
    call_ok($h, 'activateClient');
    ok(defined wait_status($h, 'active/connected'), 'connected as gw-old');
    ok(wait_blog($b, connected_re('gw-old')), 'broker: gw-old connected');

    my $sub = live_sub($b, count => 3, timeout => 3);
    my $off = length mosquitto_log($b);
    my $t0 = time;
    call_ok($h, 'configureClient', params_for($b, clientId => 'gw-new', keepAliveInterval => 25));
    my $took = time - $t0;
    ok($took < 2, sprintf 'configureClient answered in %.3f s', $took);
    ok(wait_blog($b, connected_re('gw-new'), 5, $off), 'broker: gw-new connected');
    my $log = blog($b, $off);
    like($log, qr/Received DISCONNECT from gw-old\n(?:.*\n)*.*as gw-new \(p2, c1, k25\)/,
         'broker: gw-old sent DISCONNECT before gw-new connected with k25');
    unlike($log, qr/Socket error on client gw-old|Client gw-old closed its connection/,
           'broker: gw-old closed cleanly');
    ok(defined wait_status($h, 'active/connected'), 'status connected');
    is(count_re(blog($b), qr/New client connected from \S+ as gw-(?:old|new) /), 2,
       'broker saw exactly two connections');
    my @got = sub_collect($sub);
    unlike(descriptions(@got), qr/Connection Lost/, 'no LWT for the old connection');
    like(descriptions(@got), qr/(?:^|,)Connected$/, 'the new connection announced itself')
        or diag(descriptions(@got));
    my ($data) = call($h, 'getClientStatus');
    is($data->{data}{config}{clientId}, 'gw-new', 'status shows the new clientId');
    stop_nginx($h);
    stop_mosquitto($b);
};

subtest 'credentials: password_file broker, logged once, keepExistingPassword' => sub {
    File::Path::make_path('t/servroot/100-bridge');
    my $pwfile = Cwd::abs_path('t/servroot/100-bridge') . '/passwd';
    unlink $pwfile;
    system('mosquitto_passwd', '-b', '-c', $pwfile, 'gwuser', 'Right-Pa55-word') == 0
        or die "mosquitto_passwd failed";
    my $b = start_mosquitto(config => "allow_anonymous false\npassword_file $pwfile");
    my $h = gw_start();
    my $secret = 'WrOnG-Pa55-word';

    call_ok($h, 'configureClient',
            params_for($b, clientId => 'gw-auth', username => 'gwuser', password => $secret));
    call_ok($h, 'activateClient');
    # let it retry: 0.5 + 1 + 2 s of backoff means 3 or 4 attempts in 3 s
    ok(stays_status($h, 'active/disconnected', 3), 'wrong password: stays disconnected');
    my $refused = count_re(blog($b), qr/Sending CONNACK to \S+ \(0, 5\)/);
    ok($refused >= 3, "broker refused $refused attempts (retried, >= 3)");
    ok($refused <= 6, "no busy loop ($refused attempts in 3 s)");
    my @failed = error_log_text($h) =~ /^(.*axis_mqtt: connecting to .* failed: .*)$/mg;
    is(scalar @failed, 1, 'the failure is logged once') or diag(join "\n", @failed);
    like($failed[0] // '', qr/\[error\].*connecting to tcp:\/\/127\.0\.0\.1:$b->{port} failed: .*(?:user name or password|not authori[sz]ed)/,
         'the log line names the broker and the cause');
    unlike(error_log_text($h), qr/\Q$secret\E/, 'the password is not in error.log');

    # the right password
    my $off = length mosquitto_log($b);
    call_ok($h, 'configureClient',
            params_for($b, clientId => 'gw-auth', username => 'gwuser',
                       password => 'Right-Pa55-word'));
    ok(defined wait_status($h, 'active/connected', 5), 'right password: connected');
    like(blog($b, $off), qr/as gw-auth \(p2, c1, k60, u'gwuser'\)/, "broker: gw-auth as u'gwuser'");
    my ($data) = call($h, 'getClientStatus');
    is($data->{data}{config}{password}, '*****', 'status masks the password');

    # keepExistingPassword: a given password is discarded, the saved one used
    $off = length mosquitto_log($b);
    call_ok($h, 'configureClient',
            params_for($b, clientId => 'gw-auth', username => 'gwuser', password => $secret,
                       keepExistingPassword => $TRUE, keepAliveInterval => 23));
    ok(wait_blog($b, qr/as gw-auth \(p2, c1, k23, u'gwuser'\)/, 5, $off),
       'keepExistingPassword: reconnected with k23 and the saved password');
    ok(defined wait_status($h, 'active/connected', 5), 'connected');
    unlike(blog($b, $off), qr/\(0, 5\)/, 'broker refused nothing');

    my $log = error_log_text($h);
    unlike($log, qr/\QRight-Pa55-word\E|\Q$secret\E/, 'no password in error.log');
    stop_nginx($h);
    stop_mosquitto($b);
};

subtest 'broker gone: every worker says disconnected' => sub {
    my $b = start_mosquitto();
    my $h = gw_start();
    call_ok($h, 'configureClient', params_for($b, clientId => 'gw-gone', keepAliveInterval => 60));
    call_ok($h, 'activateClient');
    ok(wait_all_workers($h, 'active/connected'), 'all workers: connected');
    kill 'KILL', $b->{pid};
    my $t0 = time;
    ok(wait_all_workers($h, 'active/disconnected', 5), 'broker killed: all workers say disconnected');
    diag(sprintf 'disconnected on every worker %.3f s after the broker died', time - $t0);
    stop_mosquitto($b);
    ok(stays_status($h, 'active/disconnected', 1), 'and stays disconnected (still active)');
    like(error_log_text($h), qr/axis_mqtt: connection to tcp:\/\/127\.0\.0\.1:$b->{port} lost/,
         'error.log: connection lost');
    is(stop_nginx($h), 0, 'nginx stops cleanly while retrying');
};

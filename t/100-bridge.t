# The MQTT bridge against a real mosquitto over plain TCP: connect and
# status, announcements (default and custom), connection settings seen by
# the broker, credentials, reconfiguration while active, broker gone.
# nginx runs with 4 workers; the broker log and mosquitto_sub observe.
use strict;
use warnings;

use lib 't/lib';
use Test::AxisNginx;
use Test::AxisNginx::Bridge;    # gw_start, call_ok, params_for, status, ...
use Time::HiRes qw(sleep time);

BEGIN { *subtest = \&Test::More::subtest }    # Test::Base does not export it

plan('no_plan');

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
    my $b = password_broker('gwuser', 'Right-Pa55-word');
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
    my @failed = error_log_text($h) =~ /^(.*axis_mqtt: device \S+: connecting to .* failed: .*)$/mg;
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
    like(error_log_text($h), qr/axis_mqtt: device \S+: connection to tcp:\/\/127\.0\.0\.1:$b->{port} lost/,
         'error.log: connection lost');
    is(stop_nginx($h), 0, 'nginx stops cleanly while retrying');
};

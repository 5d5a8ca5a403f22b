# MQTT to camera (issue 11), end to end: a real mosquitto, nginx with 2
# workers and three devices (two with their own stand-in camera, one
# without), event.cgi's configureMqttSubscription.  A message on a
# subscribed topic drives the camera's virtual input (activate.cgi,
# deactivate.cgi, with Digest), which comes back as a VirtualInput event
# on MQTT; the device's own topics never loop back; subscriptions follow
# a reconfiguration without a reconnect, come back after the broker does,
# and after a reload; camera errors and bad payloads are logged once.
use strict;
use warnings;

use lib 't/lib';
use Test::AxisNginx;
use Test::AxisCamera;
use File::Path qw(make_path);
use JSON::PP ();
use POSIX ();
use Time::HiRes qw(sleep time);

plan('no_plan');

my ($SA, $SB, $SC) = ('ACCC8E0000D1', 'ACCC8E0000D2', 'ACCC8E0000D3');
my ($T, $F) = (JSON::PP::true, JSON::PP::false);
my $JSON = JSON::PP->new->canonical;
my $dir = "$ENV{PWD}/t/servroot/620-mqtt-to-camera";
make_path($dir);

my $camA = start_camera(dir => $dir, user => 'gateway', password => 'pw A');
my $camB = start_camera(dir => $dir);
open my $pw, '>', "$dir/cam-a.pass" or die; print $pw "pw A\n"; close $pw;
chmod 0600, "$dir/cam-a.pass";

my $b = start_mosquitto();
my ($port_b, $port_c) = (free_port(), free_port());

my $LOCS = "location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }\n"
         . "  location = /axis-cgi/mqtt/event.cgi { axis_mqtt_event_bridge; }";

# device A's camera in its server: an http-level one is every server's
my $h = start_nginx(workers => 2, log_level => 'info',
    http_config => "axis_mqtt_serial $SA;\n"
        . "server { listen 127.0.0.1:$port_b; axis_mqtt_serial $SB;\n"
        . "  axis_mqtt_camera $camB->{url};\n"
        . "  $LOCS }\n"
        . "server { listen 127.0.0.1:$port_c; axis_mqtt_serial $SC;\n"
        . "  $LOCS }",
    config => "axis_mqtt_camera $camA->{url} user=gateway password_file=$dir/cam-a.pass;\n"
        . "  $LOCS");
my $port = $h->{port};

sub call {
    my ($p, $cgi, $method, $params, $version) = @_;
    my %req = (apiVersion => $version // '1.1', method => $method);
    $req{params} = $params if $params;
    my $res = http_post($p, "/axis-cgi/mqtt/$cgi.cgi", $JSON->encode(\%req),
                        { 'Content-Type' => 'application/json' });
    return eval { JSON::PP->new->decode($res->content) } // { _error => $res->content };
}

sub connected {
    my ($p) = @_;
    return (call($p, 'client', 'getClientStatus', undef, '1.0')->{data}{status}
            {connectionStatus} // '') eq 'connected';
}

sub wait_until {
    my ($cond, $timeout) = @_;
    my $deadline = time + ($timeout // 10);
    while (time < $deadline) {
        return 1 if $cond->();
        sleep 0.05;
    }
    return 0;
}

sub connect_device {
    my ($p, $id) = @_;
    call($p, 'client', 'configureClient',
         { server => { protocol => 'tcp', host => '127.0.0.1', port => $b->{port} },
           clientId => $id }, '1.0');
    call($p, 'client', 'activateClient', undef, '1.0');
    wait_until(sub { connected($p) });
}

sub subscribe {
    my ($p, @filters) = @_;
    return call($p, 'event', 'configureMqttSubscription', { mqttFilterList => \@filters });
}

sub publish {
    my ($topic, $payload, @opts) = @_;
    system('mosquitto_pub', '-h', '127.0.0.1', '-p', $b->{port}, '-t', $topic,
           '-m', $payload, @opts) == 0 or die "mosquitto_pub: $?";
}

# the virtual input calls the camera received, [action, port] in order
sub input_calls {
    my ($cam, $input) = @_;
    return map { [ $_->{action}, $_->{port} ] }
           grep { $_->{action} =~ /^(de)?activate$/ && $_->{auth}
                  && (!defined $input || $_->{port} eq $input) } camera_calls($cam);
}

sub wait_input_calls {
    my ($cam, $input, $n, $timeout) = @_;
    wait_until(sub { input_calls($cam, $input) >= $n }, $timeout);
    return input_calls($cam, $input);
}

sub subscribes_seen {    # the broker's log: SUBSCRIBE lines of a client
    my ($id) = @_;
    my @seen;
    my $log = mosquitto_log($b);
    while ($log =~ /Received SUBSCRIBE from \Q$id\E\n((?:[^\n]*\t[^\n]*\n)+)/g) {
        push @seen, map { /\t(.*) \(QoS (\d)\)/ ? "$1 q$2" : () } split /\n/, $1;
    }
    return @seen;
}

sub log_count {
    my ($re) = @_;
    return scalar(() = error_log_text($h) =~ /$re/g);
}

# ---------------------------------------------------------------- the API

my $v = call($port, 'event', 'getSupportedVersions');
is_deeply($v->{data}, { apiVersions => ['1.1'] }, 'event.cgi is API 1.1');
is_deeply(call($port, 'event', 'getMqttSubscriptionConfig')->{data},
          { mqttSubscriptionConfig => { mqttFilterList => [] } },
          'a clean device subscribes to nothing');

my $r = subscribe($port,
    { topicFilter => 'site/door/10', isStateData => $T, virtualInput => 3, qos => 1 },
    { topicFilter => 'cmd/snap', useDeviceTopicPrefix => $T, virtualInput => 5 },
    { topicFilter => 'site/alarm/+', virtualInput => 7 },
    { topicFilter => 'site/log' });
is_deeply($r->{data}, {}, 'configureMqttSubscription: data {}') or diag(explain($r));

my $LIST = [
    { topicFilter => 'site/door/10', useDeviceTopicPrefix => $F, qos => 1,
      isStateData => $T, virtualInput => 3 },
    { topicFilter => 'cmd/snap', useDeviceTopicPrefix => $T, qos => 0,
      isStateData => $F, virtualInput => 5 },
    { topicFilter => 'site/alarm/+', useDeviceTopicPrefix => $F, qos => 0,
      isStateData => $F, virtualInput => 7 },
    { topicFilter => 'site/log', useDeviceTopicPrefix => $F, qos => 0,
      isStateData => $F } ];
is_deeply(call($port, 'event', 'getMqttSubscriptionConfig', undef, '1.0')->{data}
          {mqttSubscriptionConfig}{mqttFilterList}, $LIST,
          'every field echoed with its effective value (a 1.0 request too)');

$r = subscribe($port, { topicFilter => 'site/+', isStateData => $T, virtualInput => 1 });
is($r->{error}{code}, 2104, 'a wildcard in a state filter: 2104');
$r = subscribe($port, { topicFilter => 'a/#/b' });
is($r->{error}{code}, 2104, 'not an MQTT filter: 2104');
$r = subscribe($port, { topicFilter => 'a', virtualInput => 33 });
is($r->{error}{code}, 2104, 'virtualInput 33: 2104');
is_deeply(call($port, 'event', 'getMqttSubscriptionConfig')->{data}
          {mqttSubscriptionConfig}{mqttFilterList}, $LIST, '... and nothing changed');

my $state = JSON::PP->new->decode(do {
    local (@ARGV, $/) = (state_file_of($h, $SA)); <> });
is_deeply($state->{mqttSubscription}{mqttFilterList}, $LIST, 'saved in the device\'s state file');

# ------------------------------------------------------- subscribed, driven

ok(connect_device($port, 'dev-a'), 'device A connected');
ok(wait_until(sub { subscribes_seen('dev-a') >= 4 }),
   'the client subscribed to every filter') or diag(mosquitto_log($b));
is_deeply([ sort(subscribes_seen('dev-a')) ],
          [ sort('site/door/10 q1', "axis/$SA/cmd/snap q0", 'site/alarm/+ q0', 'site/log q0') ],
          'at each filter\'s QoS, the device topic prefix in front where asked');

publish('site/door/10', 'on');
is_deeply([ wait_input_calls($camA, 3, 1) ], [ [ 'activate', 3 ] ],
          'state "on": activate.cgi of virtual input 3, with Digest');
publish('site/door/10', '"OFF"');
is_deeply([ wait_input_calls($camA, 3, 2) ], [ [ 'activate', 3 ], [ 'deactivate', 3 ] ],
          'state "OFF" (a JSON string): deactivate.cgi');

publish("axis/$SA/cmd/snap", 'anything');
is_deeply([ wait_input_calls($camA, 5, 2) ], [ [ 'activate', 5 ], [ 'deactivate', 5 ] ],
          'a trigger: activate, then deactivate');
publish('site/alarm/zone-4', '');
is_deeply([ wait_input_calls($camA, 7, 2) ], [ [ 'activate', 7 ], [ 'deactivate', 7 ] ],
          'a wildcard filter\'s message: a trigger too');

publish('site/door/10', 'maybe');
publish('site/door/10', 'perhaps');
publish('site/log', 'x');
publish('site/log', 'y');
publish('site/door/10', '1');
# the bridge takes them in order: once "1" drove its call, "maybe" and
# "perhaps" had their turn; a moment more for a call they made wrongly
wait_input_calls($camA, 3, 3);
sleep 0.5;
is_deeply([ input_calls($camA, 3) ],
          [ [ 'activate', 3 ], [ 'deactivate', 3 ], [ 'activate', 3 ] ],
          'a bad state changes nothing, and the next message is applied');
is(log_count(qr/mqttFilterList\[0\] \("site\/door\/10"\) is ignored: a state that is none/), 1,
   'a bad state is logged once for its filter');
is(log_count(qr/mqttFilterList\[3\] \("site\/log"\) is ignored: the filter has no virtualInput/), 1,
   'a filter with nothing to drive: logged once');

# in message order: 20 states in one connection, QoS 1
my @states = map { $_ % 2 ? 'off' : 'on' } 0 .. 19;
my $before = () = input_calls($camA, 3);
open my $pub, '|-', 'mosquitto_pub', '-h', '127.0.0.1', '-p', $b->{port}, '-q', '1',
     '-t', 'site/door/10', '-l' or die;
print $pub "$_\n" for @states;
close $pub;
my @calls = wait_input_calls($camA, 3, $before + 20);
is_deeply([ map { $_->[0] } @calls[$before .. $#calls] ],
          [ map { $_ eq 'on' ? 'activate' : 'deactivate' } @states ],
          'twenty states: the camera is called in the order of the messages');

# ---------------------------------------------- the full loop, and no loop back

call($port, 'event', 'configureEventPublication',
     { eventFilterList => [ { topicFilter => 'onvif:Device/axis:IO/VirtualInput',
                              retain => 'property' } ] });
ok(wait_calls($camA, 'PullMessages'), 'the publication pulls the camera\'s events');
my $VI_TOPIC = "axis/$SA/event/tns:onvif/Device/tns:axis/IO/VirtualInput/\$source/port/11";
my $sub = sub_start(port => $b->{port}, topic => $VI_TOPIC, count => 1, timeout => 8);
publish('site/gate', 'pulse');    # not subscribed yet: nothing
publish('site/gate/1', '1', '-r');
subscribe($port, @{ $LIST }[0 .. 2],
          { topicFilter => 'site/gate/1', isStateData => $T, virtualInput => 11 },
          { topicFilter => 'event/#', useDeviceTopicPrefix => $T, virtualInput => 9 });
is_deeply([ wait_input_calls($camA, 11, 1) ], [ [ 'activate', 11 ] ],
          'a retained state is applied when subscribed');
my @m = sub_collect($sub);
is(scalar @m, 1, 'message -> virtual input -> VirtualInput event on MQTT');
is_deeply(eval { JSON::PP->new->decode($m[0]{payload})->{message} },
          { source => { port => '11' }, key => {}, data => { active => '1' } },
          '... with the input\'s new state');
sleep 1.5;
is_deeply([ input_calls($camA, 9) ], [],
          'a filter on the device\'s own event topics does not drive its input (no loop)');
is(log_count(qr/mqttFilterList\[4\] \("axis\/$SA\/event\/#"\) matches the device's own topics/),
   1, '... and says so, once');

# ----------------------------------------- reconfigured without a reconnect

my $connects = () = mosquitto_log($b) =~ /New client connected .* as dev-a /g;
subscribe($port, { topicFilter => 'site/door/10', isStateData => $T, virtualInput => 4,
                   qos => 2 },
          { topicFilter => 'site/new', virtualInput => 12 });
ok(wait_until(sub { mosquitto_log($b) =~ /^\d+: dev-a site\/alarm\/\+$/m
                    && mosquitto_log($b) =~ /^\d+: dev-a site\/gate\/1$/m }),
   'removed filters are unsubscribed');
ok(wait_until(sub { grep { $_ eq 'site/new q0' } subscribes_seen('dev-a') }),
   'a new filter is subscribed');
ok((grep { $_ eq 'site/door/10 q2' } subscribes_seen('dev-a')),
   'a filter with another QoS is subscribed again at it');
is(scalar(() = mosquitto_log($b) =~ /New client connected .* as dev-a /g), $connects,
   '... without a reconnect');
publish('site/door/10', 'on');
is_deeply([ wait_input_calls($camA, 4, 1) ], [ [ 'activate', 4 ] ],
          'the same topic now drives virtual input 4')
    or diag(explain([ input_calls($camA) ]));
my $n7 = () = input_calls($camA, 7);
publish('site/alarm/zone-1', 'x');
publish('site/new', 'x');
wait_input_calls($camA, 12, 2);
is(scalar(() = input_calls($camA, 7)), $n7, 'a removed filter drives nothing any more');

# --------------------------------------------- two devices, their own camera

ok(connect_device($port_b, 'dev-b'), 'device B connected');
subscribe($port_b, { topicFilter => 'site/door/10', isStateData => $T, virtualInput => 4 });
ok(wait_until(sub { subscribes_seen('dev-b') >= 1 }), 'device B subscribed');
my $a4 = () = input_calls($camA, 4);
publish('site/door/10', 'off');
is_deeply([ wait_input_calls($camB, 4, 1) ], [ [ 'deactivate', 4 ] ],
          'one message, device B\'s own camera (no credentials)');
is(scalar(wait_input_calls($camA, 4, $a4 + 1)), $a4 + 1, '... and device A\'s');

ok(connect_device($port_c, 'dev-c'), 'device C (no camera) connected');
subscribe($port_c, { topicFilter => 'site/door/10', virtualInput => 2 });
ok(wait_until(sub { subscribes_seen('dev-c') >= 1 }), 'device C subscribed');
publish('site/door/10', 'x');
ok(wait_until(sub { log_count(qr/device $SC: mqttFilterList\[0\] drives virtual input 2, but the device has no axis_mqtt_camera/) == 1 }),
   'a device without a camera says it has nothing to drive')
    or diag(error_log_text($h));

# ---------------------------------------------------------------- camera errors

my $n12 = () = input_calls($camA, 12);
camera_post($camA, '/test/inputfault', { count => 2, status => 200 });
publish('site/new', 'a');
wait_input_calls($camA, 12, $n12 + 2);
ok(wait_until(sub { log_count(qr/device $SA: virtual input 12 not driven: the camera answered HTTP 200 to activate.cgi of virtual input 12: the camera refused: Camera busy \(error 10\)/) == 1 }),
   'the camera\'s Error answer is logged, once') or diag(error_log_text($h));
publish('site/new', 'c');
@calls = wait_input_calls($camA, 12, $n12 + 4);
is_deeply([ @calls[$n12 .. $#calls] ], [ map { [ $_, 12 ] } qw(activate deactivate activate deactivate) ],
          'a refused trigger still sends its deactivate; the next message is driven');
camera_post($camA, '/test/inputfault', { count => 1, status => 500 });
publish('site/new', 'd');
ok(wait_until(sub { log_count(qr/virtual input 12 not driven: the camera answered HTTP 500/) == 1 }),
   'an HTTP error is logged');

# ------------------------------------------- a subscription the broker refuses

# mosquitto's dynamic security plugin refuses a SUBSCRIBE with 0x80 (an
# acl_file never refuses one: it only withholds the messages)
open my $acl, '>', "$dir/dynsec.json" or die;
print $acl JSON::PP->new->encode({
    defaultACLAccess => { publishClientSend => $T, publishClientReceive => $T,
                          subscribe => $T, unsubscribe => $T },
    clients => [], anonymousGroup => 'anonymous',
    groups => [ { groupname => 'anonymous', roles => [ { rolename => 'no-secrets' } ] } ],
    roles => [ { rolename => 'no-secrets',
                 acls => [ { acltype => 'subscribePattern', topic => 'secret/#',
                             priority => 1, allow => $F } ] } ] });
close $acl;
my ($dynsec) = glob('/usr/lib/*/mosquitto_dynamic_security.so');    # Debian's mosquitto
my $acl_broker = start_mosquitto(config =>
    "plugin $dynsec\nplugin_opt_config_file $dir/dynsec.json");
call($port_c, 'client', 'configureClient',
     { server => { protocol => 'tcp', host => '127.0.0.1', port => $acl_broker->{port} },
       clientId => 'dev-c' }, '1.0');
ok(wait_until(sub { connected($port_c) }), 'device C connected to a broker with an ACL');
subscribe($port_c, { topicFilter => 'site/door/10', virtualInput => 2 },
          { topicFilter => 'secret/x', virtualInput => 3 });
ok(wait_until(sub { log_count(qr/device $SC: the broker refused the subscription to "secret\/x" \(not allowed\)/) == 1 }),
   'a subscription the broker refuses (SUBACK 0x80) is logged with its topic')
    or diag(mosquitto_log($acl_broker));
is(log_count(qr/device $SC: the broker refused the subscription to "site/), 0,
   '... and only that one');

# ------------------------------- a session the broker keeps (cleanSession false)

call($port_b, 'client', 'configureClient',
     { server => { protocol => 'tcp', host => '127.0.0.1', port => $b->{port} },
       clientId => 'dev-b', cleanSession => $F }, '1.0');
ok(wait_until(sub { connected($port_b) }), 'device B reconnected, cleanSession false');
subscribe($port_b, { topicFilter => 'site/door/10', isStateData => $T, virtualInput => 4 },
          { topicFilter => 'gone/b', virtualInput => 5 });
ok(wait_until(sub { grep { $_ eq 'gone/b q0' } subscribes_seen('dev-b') }), 'subscribed to gone/b');
stop_mosquitto($b);
ok(wait_until(sub { !connected($port_b) }), 'the broker is away');
subscribe($port_b, { topicFilter => 'site/door/10', isStateData => $T, virtualInput => 4 });
$b = start_mosquitto(port => $b->{port});
ok(wait_until(sub { connected($port_b) }, 15), 'device B is back');
ok(wait_until(sub { mosquitto_log($b) =~ /\bdev-b gone\/b\b/ }),
   'the filter removed while away is unsubscribed from the session the broker kept')
    or diag(mosquitto_log($b));
ok((grep { $_ eq 'site/door/10 q0' } subscribes_seen('dev-b')),
   '... and the list subscribed again (the broker may have lost the session)');

# ----------------------------------------- the broker restarts; nginx reloads

stop_mosquitto($b);
$b = start_mosquitto(port => $b->{port});
ok(wait_until(sub { connected($port) }, 15), 'device A is back');
ok(wait_until(sub { grep { $_ eq 'site/door/10 q2' } subscribes_seen('dev-a') }),
   'and subscribed again');
my $n4 = () = input_calls($camA, 4);
publish('site/door/10', 'active');
is(scalar(wait_input_calls($camA, 4, $n4 + 1)), $n4 + 1, 'messages drive the camera again');

my $subscribes = () = mosquitto_log($b) =~ /Received SUBSCRIBE from dev-a/g;
ok(reload_nginx($h, wait_old => 1), 'nginx reloads, the old workers gone');
ok(wait_until(sub { (() = mosquitto_log($b) =~ /Received SUBSCRIBE from dev-a/g)
                    >= $subscribes + 2 }, 15),
   'after a reload, the new owner subscribes');
$n4 = () = input_calls($camA, 4);
publish('site/door/10', 'inactive');
is(scalar(wait_input_calls($camA, 4, $n4 + 1, 15)), $n4 + 1, '... and drives the camera');

# ------------------- load, reconfiguration, reloads and broker restarts at once

# a stream of messages on three filters' topics, while the subscriptions
# change, nginx reloads and the broker restarts under them
my @lists = (
    [ { topicFilter => 'site/door/10', isStateData => $T, virtualInput => 4 },
      { topicFilter => 'load/+', virtualInput => 13 } ],
    [ { topicFilter => 'load/#', virtualInput => 14, qos => 1 },
      { topicFilter => 'site/door/10', isStateData => $T, virtualInput => 4, qos => 2 },
      { topicFilter => 'event/#', useDeviceTopicPrefix => $T, virtualInput => 15 } ]);
my $loader = fork // die "fork: $!";
if (!$loader) {
    # the broker restarts under it: its complaints are expected
    open STDERR, '>', "$dir/loader.log";
    my $deadline = time + 12;
    while (time < $deadline) {
        open my $out, '|-', 'mosquitto_pub', '-h', '127.0.0.1', '-p', $b->{port},
             '-q', '1', '-t', 'load/x', '-l' or POSIX::_exit(1);
        print $out "$_\n" for 1 .. 200;
        close $out;
        system('mosquitto_pub', '-h', '127.0.0.1', '-p', $b->{port}, '-t', 'site/door/10',
               '-m', time % 2 ? 'on' : 'off');
        sleep 0.05;
    }
    POSIX::_exit(0);
}
for my $round (1 .. 6) {
    subscribe($port, @{ $lists[$round % 2] });
    call($port, 'event', 'configureEventPublication',
         { eventFilterList => $round % 2 ? [ { topicFilter => '//.' } ] : [] });
    if ($round % 3 == 0) {
        stop_mosquitto($b);
        $b = start_mosquitto(port => $b->{port});
    }
    reload_nginx($h) if $round % 2 == 0;
    sleep 1;
}
waitpid($loader, 0);
unlike(error_log_text($h), qr/\[(alert|emerg)\]|exited on signal/,
       'messages, reconfigurations, reloads and broker restarts together: no crash');
ok(wait_until(sub { connected($port) }, 15), 'device A is connected at the end');
ok(wait_until(sub { grep { $_ eq 'load/+ q0' } subscribes_seen('dev-a') }, 15),
   'and subscribed to the last list') or diag(mosquitto_log($b));
my $n13 = () = input_calls($camA, 13);
ok($n13 > 0, "the load drove the camera ($n13 calls of virtual input 13)");
sleep 1;
$n13 = () = input_calls($camA, 13);
publish('load/final', 'x');
is(scalar(wait_input_calls($camA, 13, $n13 + 2)), $n13 + 2,
   'the last list\'s filter drives its input');
is_deeply([ input_calls($camA, 15) ], [],
          'the device\'s own event topics never drove an input, under load either');
is_deeply(call($port, 'event', 'getMqttSubscriptionConfig')->{data}{mqttSubscriptionConfig}
          {mqttFilterList}[1]{virtualInput}, 13, 'the last list saved');

unlike(error_log_text($h), qr/pw A/, 'the camera\'s password is never logged');
unlike(error_log_text($h), qr/\[(alert|emerg)\]|exited on signal/, 'no alert, no crash');

# ----------------------------------------------------------------- a restart

my $args = $h->{args};
my $load_subs = grep { $_ eq 'load/+ q0' } subscribes_seen('dev-a');
is(stop_nginx($h), 0, 'nginx stops cleanly');
$h = start_nginx(%$args, keep_state => 1, port => $port);
is(call($port, 'event', 'getMqttSubscriptionConfig')->{data}{mqttSubscriptionConfig}
   {mqttFilterList}[1]{virtualInput}, 13, 'the subscriptions are restored after a restart');
ok(wait_until(sub { connected($port) }, 15), 'the device connects again');
ok(wait_until(sub { (grep { $_ eq 'load/+ q0' } subscribes_seen('dev-a')) > $load_subs }, 15),
   'and subscribes again');
$n13 = () = input_calls($camA, 13);
publish('load/after', 'x');
is(scalar(wait_input_calls($camA, 13, $n13 + 2)), $n13 + 2, 'and drives the camera again');
unlike(error_log_text($h), qr/\[(alert|emerg)\]|exited on signal/, 'no alert after the restart');

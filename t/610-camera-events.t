# Camera events on MQTT (issue 10), end to end: a stand-in camera
# (t/lib/camera/camera.py: ONVIF PullPoint behind HTTP Digest, with the
# Axis SubscriptionId reference parameter), a real mosquitto, nginx with 2
# workers and three devices, each with its own camera (one with a wrong
# password, one not there).  The gateway
# subscribes while the client is active and the publication has filters,
# publishes every matching event once per filter with its QoS and retain
# policy in the topic and payload format of a modern Axis device (the
# Initialized state first), stops when the publication empties, says a
# wrong password once, and unsubscribes at quit.
use strict;
use warnings;

use lib 't/lib';
use Test::AxisNginx;
use Test::AxisCamera;
use File::Path qw(make_path);
use HTTP::Tiny;
use JSON::PP ();
use POSIX ();
use Time::HiRes qw(sleep time);

plan('no_plan');

my ($SA, $SB) = ('ACCC8E0000C1', 'ACCC8E0000C2');
my ($T, $F) = (JSON::PP::true, JSON::PP::false);
my $JSON = JSON::PP->new->canonical;
my $HTTP = HTTP::Tiny->new(timeout => 15);
my $dir = "$ENV{PWD}/t/servroot/610-camera-events";
make_path($dir);

# ------------------------------------------------------- the stand-in cameras

my $camA = start_camera(dir => $dir, user => 'gateway', password => 's3cret A');
my $camB = start_camera(dir => $dir, user => 'gateway', password => 's3cret B');
# device C's camera grants subscriptions for 4 s: renewed every 2 s
my $camC = start_camera(dir => $dir, user => '', password => '', lifetime => 4);
open my $pw, '>', "$dir/cam-a.pass" or die; print $pw "s3cret A\n"; close $pw;
open $pw, '>', "$dir/cam-b.pass" or die; print $pw "wrong\n"; close $pw;
chmod 0600, "$dir/cam-a.pass", "$dir/cam-b.pass";

my $b = start_mosquitto();
my $port_b = free_port();
my ($port_c, $dead) = (free_port(), free_port());
my $SC = 'ACCC8E0000C3';

my $LOCS = "location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }\n"
         . "  location = /axis-cgi/mqtt/event.cgi { axis_mqtt_event_bridge; }";

my $h = start_nginx(workers => 2, log_level => 'info',
    http_config => "axis_mqtt_serial $SA;\n"
        . "axis_mqtt_camera $camA->{url} user=gateway password_file=$dir/cam-a.pass;\n"
        . "server { listen 127.0.0.1:$port_b; axis_mqtt_serial $SB;\n"
        . "  axis_mqtt_camera $camB->{url}/ user=gateway password_file=$dir/cam-b.pass;\n"
        . "  $LOCS }\n"
        . "server { listen 127.0.0.1:$port_c; axis_mqtt_serial $SC;\n"
        . "  axis_mqtt_camera $camC->{url};\n"
        . "  $LOCS }",
    config => $LOCS);
my $port = $h->{port};

sub call {
    my ($p, $cgi, $method, $params) = @_;
    my %req = (apiVersion => '1.0', method => $method);
    $req{params} = $params if $params;
    my $res = http_post($p, "/axis-cgi/mqtt/$cgi.cgi", $JSON->encode(\%req),
                        { 'Content-Type' => 'application/json' });
    return eval { JSON::PP->new->decode($res->content) } // { _error => $res->content };
}

sub connect_device {
    my ($p, $id) = @_;
    call($p, 'client', 'configureClient',
         { server => { protocol => 'tcp', host => '127.0.0.1', port => $b->{port} },
           clientId => $id });
    call($p, 'client', 'activateClient');
    my $deadline = time + 10;
    sleep 0.05 until time > $deadline
        || (call($p, 'client', 'getClientStatus')->{data}{status}{connectionStatus} // '') eq 'connected';
}

# ------------------------------------------------------ nothing until wanted

connect_device($port, 'cam-a');
sleep 0.5;
is(scalar(grep { $_->{auth} } camera_calls($camA)), 0,
   'active, but no filter: the camera is not asked for anything');

my $PORT_TOPIC = "axis/$SA/event/tns:onvif/Device/tns:axis/IO/Port/\$source/port/1";
my $sub = sub_start(port => $b->{port}, topic => "axis/$SA/event/#", timeout => 8, count => 4,
                    extra => [ '-q', '1' ]);

is(call($port, 'event', 'configureEventPublication',
        { eventFilterList => [ { topicFilter => 'onvif:Device/axis:IO//.', qos => 1,
                                 retain => 'property' },
                               { topicFilter => 'axis:Storage//.' } ] })->{error},
   undef, 'a publication with filters');
ok(wait_calls($camA, 'CreatePullPointSubscription'), 'the gateway subscribed at the camera (Digest)');
ok(wait_calls($camA, 'PullMessages'), '... and pulls');

# the camera's events: a port change, a storage alert, one no filter names
camera_event($camA, topic => 'tns1:Device/tnsaxis:IO/Port', source => [[ 'port', '1' ]],
             data => [[ 'state', '1' ]], property => 'Changed');
camera_event($camA, topic => 'tnsaxis:Storage/Alert', data => [[ 'disk_id', 'SD_DISK' ], [ 'alert', '1' ]]);
camera_event($camA, topic => 'tns1:VideoSource/MotionAlarm', source => [[ 'Source', '0' ]],
             data => [[ 'State', '1' ]], property => 'Changed');
camera_event($camA, topic => 'tns1:Device/tnsaxis:IO/VirtualInput', source => [[ 'port', '3' ]],
             data => [[ 'active', '1' ]], property => 'Changed');

my @m = sub_collect($sub);
is(scalar @m, 4, 'four messages: the Initialized state, then three events a filter names')
    or Test::More::diag(Test::More::explain(\@m));
my ($init, $change, $alert, $virtual) = @m;

is($init->{topic}, $PORT_TOPIC, 'the Initialized state first, on the device\'s topic');
my $p = eval { JSON::PP->new->decode($init->{payload}) } // {};
is($p->{topic}, 'onvif:Device/axis:IO/Port', 'payload: the topic with short prefixes');
ok($p->{timestamp} =~ /^\d{13}$/ && abs($p->{timestamp} / 1000 - time) < 60,
   'payload: the time in epoch ms');
is_deeply($p->{message}, { source => { port => '1' }, key => {}, data => { state => '0' } },
          'payload: source, key and data as strings');
is($init->{qos}, 1, 'QoS 1, the filter\'s');

is($change->{topic}, $PORT_TOPIC, 'the change, on the same topic');
is(JSON::PP->new->decode($change->{payload})->{message}{data}{state}, '1', '... state 1');
is($alert->{topic}, "axis/$SA/event/tns:axis/Storage/Alert", 'a stateless event without a source');
is($alert->{qos}, 0, '... QoS 0, its filter\'s');
is($virtual->{topic}, "axis/$SA/event/tns:onvif/Device/tns:axis/IO/VirtualInput/\$source/port/3",
   'the virtual input');
ok(!grep({ $_->{topic} =~ /MotionAlarm/ } @m), 'an event no filter names is not published');

# retain "property": a subscriber that comes later sees the current states
my @retained;
my $log;
@retained = sub_messages(port => $b->{port}, topic => "axis/$SA/event/#", timeout => 2);
my %ret = map { $_->{topic} => $_ } grep { $_->{retain} } @retained;
ok($ret{$PORT_TOPIC}, 'the port\'s state is retained (retain: property)');
is(JSON::PP->new->decode($ret{$PORT_TOPIC}{payload} // '{}')->{message}{data}{state}, '1',
   '... its last state');
ok(!$ret{"axis/$SA/event/tns:axis/Storage/Alert"}, 'a stateless event is not retained');

# ------------------------------------------------ a deleted property, faults

camera_event($camA, topic => 'tns1:Device/tnsaxis:IO/Port', source => [[ 'port', '1' ]],
             data => [[ 'state', '1' ]], property => 'Deleted');
sleep 1;
@retained = sub_messages(port => $b->{port}, topic => "axis/$SA/event/#", timeout => 2);
ok(!grep({ $_->{retain} && $_->{topic} eq $PORT_TOPIC } @retained),
   'a deleted property clears its retained message');
camera_event($camA, topic => 'tns1:Device/tnsaxis:IO/Port', source => [[ 'port', '1' ]],
             data => [[ 'state', '0' ]], property => 'Initialized');

my $creates = grep { $_->{action} eq 'CreatePullPointSubscription' && $_->{auth} } camera_calls($camA);
$HTTP->post("$camA->{url}/test/fault", { content => '{"count": 3, "status": 500}' });
ok(wait_calls($camA, 'CreatePullPointSubscription', $creates + 3, 30),
   'SOAP faults: the subscription is made again, with a growing wait');
my $deadline = time + 10;
sleep 0.1 until time > $deadline || error_log_text($h) =~ /subscribed to the camera's events again/;
$log = error_log_text($h);
my $said = () = $log =~ /device $SA: camera events: the camera answered HTTP 500: SOAP fault: Action failed/g;
is($said, 1, 'the fault is said once, with the device named');
like($log, qr/device $SA: subscribed to the camera's events again/, '... and the recovery');

# ------------------------------------------- the broker restarted: the states

my $bport = $b->{port};
stop_mosquitto($b);
$b = start_mosquitto(port => $bport);
$deadline = time + 20;
sleep 0.1 until time > $deadline
    || (call($port, 'client', 'getClientStatus')->{data}{status}{connectionStatus} // '') eq 'connected';
$deadline = time + 20;
my %late;
until (time > $deadline || $late{$PORT_TOPIC}) {
    %late = map { $_->{topic} => $_ } grep { $_->{retain} }
            sub_messages(port => $b->{port}, topic => "axis/$SA/event/#", timeout => 1);
}
ok($late{$PORT_TOPIC}, 'after a broker restart the current states are published (and retained) again');

# ------------------------------------------------------- options of the topic

call($port, 'event', 'configureEventPublication',
     { topicPrefix => 'custom', customTopicPrefix => 'site/cam-a', includeTopicNamespaces => $F,
       includeSerialNumberInPayload => $T,
       eventFilterList => [ { topicFilter => '//.' } ] });
sleep 0.3;
$sub = sub_start(port => $b->{port}, topic => 'site/cam-a/#', timeout => 8, count => 1);
camera_event($camA, topic => 'tnsaxis:Storage/Alert', data => [[ 'alert', '0' ]]);
@m = sub_collect($sub);
is($m[0]{topic}, 'site/cam-a/Storage/Alert', 'custom prefix, no namespaces');
is(JSON::PP->new->decode($m[0]{payload} // '{}')->{serialNumber}, $SA, 'the serial in the payload');

# ------------------------------------------------------ the other device's camera

connect_device($port_b, 'cam-b');
call($port_b, 'event', 'configureEventPublication', { eventFilterList => [ { topicFilter => '//.' } ] });
ok(wait_calls_any($camB, 'CreatePullPointSubscription'), 'device B asks its own camera');
sub wait_calls_any {
    my ($cam, $action) = @_;
    my $deadline = time + 10;
    while (time < $deadline) {
        return 1 if grep { $_->{action} eq $action } camera_calls($cam);
        sleep 0.05;
    }
    return 0;
}
sleep 2.5;
$log = error_log_text($h);
my $refused = () = $log =~ /device $SB: camera events: the camera refused the user name or password/g;
is($refused, 1, 'a wrong password is said once, with the device named');
unlike($log, qr/s3cret|wrong/, 'no password in the log');
ok(!grep({ $_->{auth} } camera_calls($camB)), '... and nothing went through');
# an attempt is two requests (libcurl asks without credentials first)
ok(scalar(grep { $_->{action} eq 'CreatePullPointSubscription' } camera_calls($camB)) >= 4,
   '... but it is tried again');

# ------------------------------ a short-lived subscription, then a mute camera

connect_device($port_c, 'cam-c');
call($port_c, 'event', 'configureEventPublication', { eventFilterList => [ { topicFilter => '//.' } ] });
ok(wait_calls($camC, 'Renew', 2, 15), 'a subscription of 4 s is renewed at half its life');
my $c_creates = grep { $_->{action} eq 'CreatePullPointSubscription' } camera_calls($camC);
$sub = sub_start(port => $b->{port}, topic => "axis/$SC/event/tns:axis/Storage/Alert", timeout => 4);
camera_event($camC, topic => 'tnsaxis:Storage/Alert', data => [[ 'alert', 'renewed' ]]);
is(scalar(grep { $_->{payload} =~ /renewed/ } sub_collect($sub)), 1,
   '... and delivers events, without being made again');
is(scalar(grep { $_->{action} eq 'CreatePullPointSubscription' } camera_calls($camC)), $c_creates,
   '... (no new subscription)');

# the camera stops answering mid-pull: said once, made again when it is back
$HTTP->post("$camC->{url}/test/mute", { content => '{"seconds": 12}' });
$deadline = time + 40;
sleep 0.2 until time > $deadline
    || error_log_text($h) =~ /device $SC: subscribed to the camera's events again/;
$log = error_log_text($h);
like($log, qr/device $SC: camera events: the camera at \Q$camC->{url}\E\/onvif\/services did not answer: Timeout was reached/,
     'a camera that stops answering mid-pull is said, with the cause');
like($log, qr/device $SC: subscribed to the camera's events again/, '... and it is subscribed again');

# -------------------------------------------------------------- not wanted

my $before = () = grep { $_->{action} eq 'Unsubscribe' && $_->{auth} } camera_calls($camA);
call($port, 'event', 'configureEventPublication', {});
ok(wait_calls($camA, 'Unsubscribe', $before + 1, 15), 'no filter left: unsubscribed');

$creates = grep { $_->{action} eq 'CreatePullPointSubscription' && $_->{auth} } camera_calls($camA);
call($port, 'event', 'configureEventPublication', { eventFilterList => [ { topicFilter => '//.' } ] });
ok(wait_calls($camA, 'CreatePullPointSubscription', $creates + 1), 'a filter again: subscribed again');
wait_calls($camA, 'PullMessages', 3);

# ----------------------------------------------- a reload: nothing twice

$creates = grep { $_->{action} eq 'CreatePullPointSubscription' && $_->{auth} } camera_calls($camA);
is(reload_nginx($h, wait_old => 1, timeout => 15), 1, 'reload');
ok(wait_calls($camA, 'CreatePullPointSubscription', $creates + 1, 15),
   'the new owner subscribes');
$deadline = time + 20;
sleep 0.1 until time > $deadline
    || (call($port, 'client', 'getClientStatus')->{data}{status}{connectionStatus} // '') eq 'connected';
sleep 1;
$sub = sub_start(port => $b->{port}, topic => "axis/$SA/event/tns:axis/Storage/Alert", timeout => 4);
camera_event($camA, topic => 'tnsaxis:Storage/Alert', data => [[ 'alert', 'after-reload' ]]);
@m = grep { $_->{payload} =~ /after-reload/ } sub_collect($sub);
is(scalar @m, 1, 'an event after a reload is published once');

# a camera that is not there: said once, retried, the client unaffected
call($port_c, 'event', 'configureEventPublication', {});
reload_nginx($h, wait_old => 1, timeout => 15,
    http_config => $h->{args}{http_config} =~ s/\Q$camC->{url}\E/http:\/\/127.0.0.1:$dead/r);
call($port_c, 'event', 'configureEventPublication', { eventFilterList => [ { topicFilter => '//.' } ] });
sleep 8;
$log = error_log_text($h);
$said = () = $log =~ /device $SC: camera events: the camera at http:\/\/127\.0\.0\.1:$dead\/onvif\/services did not answer: /g;
is($said, 1, 'a camera that is not there is said once, with the device and the address');
is(call($port_c, 'client', 'getClientStatus')->{data}{status}{connectionStatus}, 'connected',
   '... and its device\'s client stays connected');

# -------------------------------------- the owner killed: nothing twice

my ($owner) = (error_log_text($h) =~ /axis_mqtt: process (\d+) owns the MQTT client/g)[-1];
ok($owner, 'the owner is known') or BAIL_OUT('no owner in the log: kill would hit the group');
$creates = grep { $_->{action} eq 'CreatePullPointSubscription' && $_->{auth} } camera_calls($camA);
kill 'KILL', $owner;
ok(wait_calls($camA, 'CreatePullPointSubscription', $creates + 1, 20),
   'kill -9 of the owner: the respawned worker subscribes again');
$deadline = time + 20;
sleep 0.1 until time > $deadline
    || (call($port, 'client', 'getClientStatus')->{data}{status}{connectionStatus} // '') eq 'connected';
sleep 1;
$sub = sub_start(port => $b->{port}, topic => "axis/$SA/event/tns:axis/Storage/Alert", timeout => 4);
camera_event($camA, topic => 'tnsaxis:Storage/Alert', data => [[ 'alert', 'after-crash' ]]);
@m = grep { $_->{payload} =~ /after-crash/ } sub_collect($sub);
is(scalar @m, 1, '... and an event after it is published once');

# ------------------------------------------------------------------ quit

my $unsubs = grep { $_->{action} eq 'Unsubscribe' && $_->{auth} } camera_calls($camA);
stop_nginx($h);
ok(scalar(grep { $_->{action} eq 'Unsubscribe' && $_->{auth} } camera_calls($camA)) > $unsubs,
   'at quit the subscription is ended at the camera');
unlike(error_log_text($h) =~ s/^.*exited on signal 9.*$//mr, qr/\[(alert|crit|emerg)\]/,
       'no alert in the error log (but the kill -9)');
stop_mosquitto($b);

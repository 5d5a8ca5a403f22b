# A broker that falls silent (stopped, not closed: no FIN, no RST) is
# found within one keep-alive interval, by the bridge's own questions
# (UNSUBSCRIBE from a topic nobody has), not two as Paho alone would;
# the client reconnects when the broker speaks again.
use strict;
use warnings;

use lib 't/lib';
use Test::AxisNginx;
use Time::HiRes qw(sleep time);

plan('no_plan');

my $KEEP_ALIVE = 4;

my $broker = start_mosquitto();
my $gw = start_nginx(workers => 2,
    http_config => 'axis_mqtt_serial ACCC8E012345;',
    config => 'location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }');

sub status {
    my $r = api($gw->{port}, { apiVersion => '1.0', method => 'getClientStatus' });
    return $r->{data}{status}{connectionStatus} // 'no answer';
}

sub wait_for {
    my ($want, $secs) = @_;
    my $t0 = time;
    while (time - $t0 < $secs) {
        return time - $t0 if status() eq $want;
        sleep 0.05;
    }
    return undef;
}

my $r = api($gw->{port}, { apiVersion => '1.0', method => 'configureClient',
    params => { server => { protocol => 'tcp', host => '127.0.0.1',
                            port => $broker->{port} },
                clientId => 'gw-liveness', keepAliveInterval => $KEEP_ALIVE } });
ok($r->{data}, 'configureClient');
ok(api($gw->{port}, { apiVersion => '1.0', method => 'activateClient' })->{data},
   'activateClient');
ok(defined wait_for('connected', 5), 'connected');

# a quiet while first: the questions must not disturb a healthy connection
sleep $KEEP_ALIVE * 1.5;
is(status(), 'connected', 'still connected after 1.5 keep-alive intervals');
like(mosquitto_log($broker), qr/Received UNSUBSCRIBE from gw-liveness/,
     'the broker was asked (UNSUBSCRIBE)');

kill 'STOP', $broker->{pid};
my $found = wait_for('disconnected', 3 * $KEEP_ALIVE);
kill 'CONT', $broker->{pid};

ok(defined $found, 'a silent broker is found') or diag(error_log_text($gw));
diag(sprintf 'silent broker found after %.2f s (keep-alive %d s)',
     $found // -1, $KEEP_ALIVE);
ok(defined $found && $found <= 1.5 * $KEEP_ALIVE,
   'within 1.5 keep-alive intervals');
like(error_log_text($gw), qr/lost: the broker did not answer within 2 s/,
     'error.log says why');

ok(defined wait_for('connected', 10), 'connected again once the broker speaks');

stop_nginx($gw);
stop_mosquitto($broker);

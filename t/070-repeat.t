# A worker reuses the parse of a getClientStatus body it has just seen
# (pollers send the same bytes every time): the reuse must never change an
# answer.  One worker, so every request meets the previous one.
use strict;
use warnings;

use lib 't/lib';
use Test::AxisNginx;

plan('no_plan');

my $h = start_nginx(workers => 1,
    http_config => 'axis_mqtt_serial ACCC8E012345;',
    config => 'location = /axis-cgi/mqtt/client.cgi {'
            . ' axis_mqtt_client; axis_mqtt_admin $http_x_admin; }');
my $port = $h->{port};
my %admin = ('X-Admin' => '1');

my $status = '{"apiVersion":"1.0","context":"poll","method":"getClientStatus"}';

my $r = api($port, $status, \%admin);
is($r->{data}{status}{state}, 'inactive', 'Admin: the status');
is($r->{context}, 'poll', '... with the context');

$r = api($port, $status);
is($r->{error}{code}, 2105, 'the same bytes without Admin: 2105');
ok(!exists $r->{data}, '... and no data');

$r = api($port, $status, \%admin);
is($r->{data}{status}{state}, 'inactive', 'the same bytes with Admin again: the status');

$r = api($port, { apiVersion => '1.0', method => 'configureClient',
                  params => { server => { protocol => 'tcp', host => 'broker-a' } } },
         \%admin);
ok($r->{data}, 'configureClient');

$r = api($port, $status, \%admin);
is($r->{data}{config}{server}{host}, 'broker-a', 'the same bytes after a write: the new configuration');

(my $other = $status) =~ s/poll/other/;
$r = api($port, $other, \%admin);
is($r->{context}, 'other', 'other bytes: their own context');

$r = api($port, $status, \%admin);
is($r->{context}, 'poll', 'the first bytes again: their context');

$r = api($port, '{"apiVersion":"2.0","context":"poll","method":"getClientStatus"}', \%admin);
is($r->{error}{code}, 2100, 'a bad version right after: 2100');

$r = api($port, '', \%admin);
is($r->{error}{code}, 2101, 'an empty body: 2101');

$r = api($port, '');
is($r->{error}{code}, 2105, 'an empty body without Admin: 2105');

is(stop_nginx($h), 0, 'nginx stopped cleanly');

# event.cgi, the MQTT Event Bridge API (issue 10), through nginx with 2
# workers and two devices: the clean device's publication, a configuration
# echoed with every effective value, the errors that change nothing (the
# state file byte for byte), Admin only, a key given twice, persistence
# across a restart, a publication of one device that is not the other's,
# configureClient and a publication that leave each other alone, the
# broker connection that does not notice a publication change, and API
# Discovery listing event-mqtt-bridge for a server that has event.cgi.
use strict;
use warnings;

use lib 't/lib';
use Test::AxisNginx;
use JSON::PP ();
use Time::HiRes qw(sleep time);

plan('no_plan');

my ($SA, $SB) = ('ACCC8E0000E1', 'ACCC8E0000E2');
my $EV   = '/axis-cgi/mqtt/event.cgi';
my $CL   = '/axis-cgi/mqtt/client.cgi';
my ($T, $F) = (JSON::PP::true, JSON::PP::false);
my $JSON = JSON::PP->new->canonical;
my $port_b = free_port();
my $b = start_mosquitto();

my $LOCS = "location = $CL { axis_mqtt_client; }\n"
         . "  location = $EV { axis_mqtt_event_bridge; axis_mqtt_admin \$http_x_admin; }\n"
         . "  location = /axis-cgi/apidiscovery.cgi { axis_mqtt_api_discovery on; }";

sub gw_start {
    return start_nginx(workers => 2, log_level => 'info',
        http_config => "axis_mqtt_serial $SA;\n"
            . "server { listen 127.0.0.1:$port_b; axis_mqtt_serial $SB;\n"
            . "  location = $CL { axis_mqtt_client; }\n"
            . "  location = /axis-cgi/apidiscovery.cgi { axis_mqtt_api_discovery on; } }",
        config => $LOCS, @_);
}

sub post {
    my ($port, $path, $body, %headers) = @_;
    my $res = http_post($port, $path, ref $body ? $JSON->encode($body) : $body,
                        { 'Content-Type' => 'application/json', 'X-Admin' => '1', %headers });
    my $data = eval { JSON::PP->new->decode($res->content) }
        // { _error => $res->content, _status => $res->code };
    return wantarray ? ($data, $res) : $data;
}

sub ev { my ($port, $method, $params, %h) = @_;
         my %req = (apiVersion => '1.0', context => 'e', method => $method);
         $req{params} = $params if defined $params;
         return post($port, $EV, \%req, %h) }

sub publication { ev($_[0], 'getEventPublicationConfig')->{data}{eventPublicationConfig} }

my $CLEAN = { topicPrefix => 'default', customTopicPrefix => '', appendEventTopic => $T,
              includeTopicNamespaces => $T, includeSerialNumberInPayload => $F,
              eventFilterList => [] };

my $h = gw_start();
my $port = $h->{port};

# ---------------------------------------------------------------- the API

is_deeply(publication($port), $CLEAN, 'a clean device publishes nothing, every field shown');

my $vers = post($port, $EV, { method => 'getSupportedVersions', context => 'v' });
is_deeply($vers, { apiVersion => '1.0', context => 'v', method => 'getSupportedVersions',
                   data => { apiVersions => ['1.1'] } },
          'getSupportedVersions needs no apiVersion');

my $r = ev($port, 'configureEventPublication',
           { topicPrefix => 'custom', customTopicPrefix => 'site/cam1',
             includeSerialNumberInPayload => $T,
             eventFilterList => [ { topicFilter => 'onvif:Device/axis:IO//.' },
                                  { topicFilter => '//.', qos => 1, retain => 'property' } ] });
is_deeply($r, { apiVersion => '1.0', context => 'e', method => 'configureEventPublication',
                data => {} }, 'configureEventPublication: an empty data');

my $want = { %$CLEAN, topicPrefix => 'custom', customTopicPrefix => 'site/cam1',
             includeSerialNumberInPayload => $T,
             eventFilterList => [ { topicFilter => 'onvif:Device/axis:IO//.', qos => 0, retain => 'none' },
                                  { topicFilter => '//.', qos => 1, retain => 'property' } ] };
is_deeply(publication($port), $want, 'every filter echoed with its effective qos and retain');

# API version 1.1 (the axis library sends 1.0 or 1.1) is served as well
$r = post($port, $EV, { apiVersion => '1.1', method => 'getEventPublicationConfig' });
is_deeply($r->{data}{eventPublicationConfig}, $want, 'apiVersion 1.1 is answered');

# ---------------------------------------------------------------- errors

my $file = state_file_of($h, $SA);
my $saved = slurp_file($file);
like($saved, qr/"eventPublication"/, 'the publication is in the device\'s state file');

my @errors = (
    [ 'topicPrefix other',             { topicPrefix => 'other' },                        2104 ],
    [ 'custom without its prefix',     { topicPrefix => 'custom' },                       2103 ],
    [ 'empty topicFilter',             { eventFilterList => [ { topicFilter => '' } ] },  2104 ],
    [ 'no topicFilter',                { eventFilterList => [ { qos => 1 } ] },           2103 ],
    [ 'qos 3',                         { eventFilterList => [ { topicFilter => '//.', qos => 3 } ] }, 2104 ],
    [ 'retain yes',                    { eventFilterList => [ { topicFilter => '//.', retain => 'yes' } ] }, 2104 ],
    [ 'unknown namespace prefix',      { eventFilterList => [ { topicFilter => 'tt:Device//.' } ] }, 2104 ],
    [ 'malformed expression',          { eventFilterList => [ { topicFilter => 'onvif:Device//' } ] }, 2104 ],
    [ 'filters not a list',            { eventFilterList => 'all' },                      2103 ],
    [ 'too many filters',              { eventFilterList => [ map { { topicFilter => '//.' } } 1 .. 33 ] }, 2104 ],
);
for my $e (@errors) {
    my ($label, $params, $code) = @$e;
    my $d = ev($port, 'configureEventPublication', $params);
    is($d->{error}{code}, $code, "$label: $code") or diag explain $d;
    ok(!exists $d->{data}, "$label: no data");
}
is(ev($port, 'getClientStatus')->{error}{code}, 2102, 'client.cgi\'s methods are not event.cgi\'s');
is(post($port, $CL, { apiVersion => '1.0', method => 'getEventPublicationConfig' })->{error}{code},
   2102, '... and the other way round');
is(post($port, $EV, { apiVersion => '2.0', method => 'getEventPublicationConfig' })->{error}{code},
   2100, 'apiVersion 2.0: 2100');
is(post($port, $EV, '{"apiVersion":"1.0","method":"getEventPublicationConfig",'
                  . '"method":"configureEventPublication","params":{}}')->{error}{code},
   2101, 'a key given twice: 2101');
is(ev($port, 'getEventPublicationConfig', undef, 'X-Admin' => '')->{error}{code}, 2105,
   'not Admin (axis_mqtt_admin ""): 2105 for reading');
is(ev($port, 'configureEventPublication', {}, 'X-Admin' => '0')->{error}{code}, 2105,
   '... and for writing');
is(slurp_file($file), $saved, 'after every failed request the state file is byte for byte the same');
is_deeply(publication($port), $want, '... and the publication too');

# ------------------------------------------- the client and the publication

my $params = { server => { protocol => 'tcp', host => '127.0.0.1', port => $b->{port} },
               clientId => 'ev-a', connectMessage => { useDefault => $T } };
is(api($port, { apiVersion => '1.0', method => 'configureClient', params => $params })->{error},
   undef, 'configureClient');
is(api($port, { apiVersion => '1.0', method => 'activateClient' })->{error}, undef, 'activateClient');
is_deeply(publication($port), $want, 'configureClient and activateClient keep the publication');

my $deadline = time + 10;
sleep 0.05 until time > $deadline
    || (api($port, { apiVersion => '1.0', method => 'getClientStatus' })->{data}{status}{connectionStatus} // '') eq 'connected';
my $connects = () = mosquitto_log($b) =~ /New client connected .* as ev-a/g;
is($connects, 1, 'connected once');

ev($port, 'configureEventPublication', { eventFilterList => [ { topicFilter => 'axis:Storage//.' } ] });
is(publication($port)->{eventFilterList}[0]{topicFilter}, 'axis:Storage//.', 'a new publication');
my $cfg = api($port, { apiVersion => '1.0', method => 'getClientStatus' })->{data}{config};
is($cfg->{clientId}, 'ev-a', '... the client\'s configuration is the same');
sleep 1;
$connects = () = mosquitto_log($b) =~ /New client connected .* as ev-a/g;
is($connects, 1, '... and the broker connection did not notice it');
unlike(mosquitto_log($b), qr/Client ev-a (disconnected|closed its connection)/,
       '... not even for a moment');

# ----------------------------------------------------------- the other device

is(post($port_b, $EV, { apiVersion => '1.0', method => 'getEventPublicationConfig' })->{_status},
   404, 'a server without event.cgi does not answer it');
is(post($port_b, $CL, { apiVersion => '1.0', method => 'getClientStatus' })->{data}{config}{clientId},
   '', 'the other device is a device of its own');
# a write of its own, so that it has a file to look into
is(post($port_b, $CL, { apiVersion => '1.0', method => 'deactivateClient' })->{error}, undef,
   'the other device saves its own state');
ok(-f state_file_of($h, $SB), '... in a file of its own');
unlike(slurp_file(state_file_of($h, $SB)) // '', qr/axis:Storage/,
       'the other device\'s file has no publication of the first');

# ------------------------------------------------------------- API Discovery

my @ids = map { $_->{id} } @{ post($port, '/axis-cgi/apidiscovery.cgi',
        { apiVersion => '1.0', method => 'getApiList' })->{data}{apiList} // [] };
is_deeply([ sort @ids ], [ 'event-mqtt-bridge', 'mqtt-client' ],
          'API Discovery: event-mqtt-bridge next to mqtt-client');
@ids = map { $_->{id} } @{ post($port_b, '/axis-cgi/apidiscovery.cgi',
        { apiVersion => '1.0', method => 'getApiList' })->{data}{apiList} // [] };
is_deeply(\@ids, ['mqtt-client'], '... only mqtt-client for a server without event.cgi');

# ------------------------------------------------------------- persistence

stop_nginx($h);
$h = gw_start(keep_state => 1, port => $port);
is_deeply(publication($port)->{eventFilterList},
          [ { topicFilter => 'axis:Storage//.', qos => 0, retain => 'none' } ],
          'the publication is back after a restart');
is(reload_nginx($h), 1, 'reload');
is(publication($port)->{eventFilterList}[0]{topicFilter}, 'axis:Storage//.',
   '... and after a reload');

stop_nginx($h);
stop_mosquitto($b);

sub slurp_file { my ($f) = @_; open my $fh, '<', $f or return undef; local $/; <$fh> }

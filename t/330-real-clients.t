# What the `axis` Python library (used by Home Assistant) sends, byte for
# byte as its request classes serialise it (orjson, compact, its key order:
# "context":"Axis library", "apiVersion":"1.0", no "params" on
# activateClient / deactivateClient / getClientStatus; configureClient
# params from its dataclasses, including the nulls of an older version and
# the server shape of an older one), and checks that every answer passes the
# library's parsers:
#   getClientStatus: apiVersion, context, method, data at top level;
#   data.status.state "active"/"inactive", connectionStatus
#   "connected"/"disconnected"; data.config.server.host and .protocol (one of
#   ssl/tcp/ws/wss); useDefault in every message object present;
#   validateServerCert in ssl; deviceTopicPrefix (Home Assistant subscribes
#   to "{deviceTopicPrefix}/#" once the state is active);
#   API Discovery getApiList: apiVersion, context, method, data.apiList[]
#   with id, name, version; getSupportedVersions without apiVersion.
use strict;
use warnings;

use lib 't/lib';
use Test::AxisNginx;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use JSON::PP ();
use Time::HiRes qw(sleep time);

BEGIN { *subtest = \&Test::More::subtest }    # Test::Base does not export it

plan('no_plan');

my $REPO   = abs_path(dirname(__FILE__) . '/..');
my $SERIAL = 'ACCC8E012345';
my $CTX    = 'Axis library';

# What httpx sends along with the library's requests.
my %HTTPX = ('Content-Type' => 'application/json', 'Accept' => '*/*',
             'Accept-Encoding' => 'gzip, deflate', 'User-Agent' => 'python-httpx/0.27.0');

my $broker = start_mosquitto();
my $fw_port = free_port();

# The camera of the demo (its API Discovery lists 3 APIs without MQTT).
my $firmware = do {
    open my $fh, '<', "$REPO/conf/demo-firmware.conf.in" or die $!;
    local $/;
    my $t = <$fh>;
    $t =~ s/\@FIRMWARE_PORT\@/$fw_port/g;
    $t =~ s/\@EVENTS_PORT\@/9/g;      # no event service here
    $t;
};

my $nginx = start_nginx(workers => 2, http_config => "axis_mqtt_serial $SERIAL;\n$firmware",
                        config => <<"CONF");
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
location = /axis-cgi/apidiscovery.cgi { axis_mqtt_api_discovery on; }
location = /merged/axis-cgi/apidiscovery.cgi {
    axis_mqtt_api_discovery on;
    proxy_pass http://127.0.0.1:$fw_port/axis-cgi/apidiscovery.cgi;
}
CONF
my $port = $nginx->{port};

# POST the exact bytes; (decoded or undef, response)
sub send_raw {
    my ($path, $bytes) = @_;
    my $res = http_post($port, $path, $bytes, \%HTTPX);
    my $data = eval { JSON::PP->new->utf8->decode($res->content) };
    return ($data, $res);
}

sub client { send_raw('/axis-cgi/mqtt/client.cgi', @_) }

# The library's request bodies.
sub lib_request {
    my ($method, $params_json) = @_;
    return qq({"apiVersion":"1.0","context":"$CTX","method":"$method")
         . (defined $params_json ? qq(,"params":$params_json) : '') . '}';
}

# ClientConfig.to_dict() of the library's dataclasses
my $MINIMAL = '{"server":{"host":"192.168.0.1","protocol":"tcp"}}';
sub full_config {
    my ($host, $port_json) = @_;
    return qq({"server":{"host":"$host","protocol":"tcp"$port_json},)
        . '"activateOnReboot":true,"autoReconnect":true,"cleanSession":true,'
        . '"clientId":"homeassistant-axis-ACCC8E012345",'
        . '"connectMessage":{"useDefault":true},"connectTimeout":60,'
        . '"disconnectMessage":{"useDefault":true},"keepAliveInterval":60,'
        . '"lastWillTestament":{"useDefault":true},"ssl":{"validateServerCert":false},'
        . '"username":null,"password":null}';
}
my $OLD_SHAPE = '{"server":{"host":"h","port":1883,"protocol":"tcp"}}';

# The library's success check for configure/activate/deactivate: HTTP 200
# and no "error".
sub accepted {
    my ($label, $method, $data, $res) = @_;
    subtest $label => sub {
        is($res->code, 200, 'HTTP 200');
        like($res->header('Content-Type') // '', qr{^application/json\b}, 'application/json');
        ok(!exists(($data // {})->{error}), 'no error')
            or diag($res->content);
        is(JSON::PP->new->canonical->encode($data // {}),
           JSON::PP->new->canonical->encode({ apiVersion => '1.0', context => $CTX,
                                              method => $method, data => {} }),
           'apiVersion, context, method echoed; data {}');
    };
}

# The checks of GetClientStatusResponse.decode / ClientConfigStatus.from_dict
# and what Home Assistant reads; returns "state/connectionStatus".
sub parses_as_library {
    my ($label, $d, $res) = @_;
    my $state = '?';
    subtest "$label: getClientStatus passes the library's parser" => sub {
        is($res->code, 200, 'HTTP 200');
        ok(ref $d eq 'HASH', 'a JSON object') or return diag($res->content);
        ok(!exists $d->{error}, 'no error') or return diag($res->content);
        for my $k (qw(apiVersion context method data)) {
            ok(exists $d->{$k}, "top-level $k");
        }
        is($d->{context}, $CTX, 'context "Axis library"');
        is($d->{method}, 'getClientStatus', 'method');
        my $status = $d->{data}{status} // {};
        my $config = $d->{data}{config} // {};
        like($status->{state} // '', qr/^(active|inactive)\z/, 'status.state lower-case active/inactive');
        like($status->{connectionStatus} // '', qr/^(connected|disconnected)\z/,
             'status.connectionStatus connected/disconnected');
        my $server = $config->{server};
        is(ref $server, 'HASH', 'config.server') or return;
        ok(defined $server->{host} && !ref $server->{host}, 'config.server.host');
        like($server->{protocol} // '', qr/^(ssl|tcp|ws|wss)\z/, 'config.server.protocol');
        ok(!defined $server->{port} || $server->{port} =~ /^\d+\z/, 'server.port an integer if present');
        for my $m (qw(connectMessage disconnectMessage lastWillTestament)) {
            next unless exists $config->{$m};
            ok(ref $config->{$m} eq 'HASH' && JSON::PP::is_bool($config->{$m}{useDefault}),
               "$m has useDefault (boolean)") or diag(JSON::PP->new->encode($config->{$m}));
        }
        if (exists $config->{ssl}) {
            ok(JSON::PP::is_bool(($config->{ssl} // {})->{validateServerCert}),
               'ssl has validateServerCert (boolean)');
        }
        for my $b (qw(activateOnReboot autoReconnect cleanSession)) {
            ok(JSON::PP::is_bool($config->{$b}), "$b boolean if present") if exists $config->{$b};
        }
        like($config->{deviceTopicPrefix} // '', qr/\S/, 'deviceTopicPrefix present, not empty');
        ok(!exists $config->{password} || $config->{password} ne 'secret',
           'no password in clear');
        $state = ($status->{state} // '?') . '/' . ($status->{connectionStatus} // '?');
    };
    return $state;
}

sub status_as_library {
    my ($label) = @_;
    my ($d, $res) = client(lib_request('getClientStatus'));
    my $st = parses_as_library($label, $d, $res);
    return ($st, $d);
}

sub wait_state {
    my ($want, $timeout) = @_;
    my $deadline = time + ($timeout // 10);
    my $st = '';
    while (time < $deadline) {
        my ($d) = client(lib_request('getClientStatus'));
        my $s = ($d // {})->{data}{status} // {};
        $st = ($s->{state} // '?') . '/' . ($s->{connectionStatus} // '?');
        return 1 if $st eq $want;
        sleep 0.05;
    }
    diag("state $st, not $want");
    return 0;
}

# ------------------------------------------------------------ the sequence

my ($st, $d) = status_as_library('a fresh gateway');
is($st, 'inactive/disconnected', 'a fresh gateway: inactive/disconnected');
is($d->{data}{config}{deviceTopicPrefix}, "axis/$SERIAL", 'the default prefix: axis/{serial}');

# Never activated with these (a private address and a made-up host name):
# configure only, while inactive.
accepted('configureClient, the minimal ClientConfig', 'configureClient',
         client(lib_request('configureClient', $MINIMAL)));
($st, $d) = status_as_library('after the minimal configuration');
is($d->{data}{config}{server}{host}, '192.168.0.1', 'server.host stored');
is($d->{data}{config}{server}{protocol}, 'tcp', 'server.protocol stored');
is($st, 'inactive/disconnected', 'still inactive');

accepted('configureClient, the full ClientConfig with "username":null,"password":null',
         'configureClient', client(lib_request('configureClient', full_config('192.168.0.1', ''))));
($st, $d) = status_as_library('after the full configuration');
is($d->{data}{config}{clientId}, 'homeassistant-axis-ACCC8E012345', 'clientId stored');
is($d->{data}{config}{keepAliveInterval}, 60, 'keepAliveInterval stored');
ok(JSON::PP::is_bool($d->{data}{config}{activateOnReboot}) && $d->{data}{config}{activateOnReboot},
   'activateOnReboot stored');
is_deeply($d->{data}{config}{ssl}{validateServerCert}, JSON::PP::false, 'validateServerCert stored');
is(($d->{data}{config}{username} // ''), '', 'username null: none');

accepted('configureClient, the older library\'s server shape (host, port, protocol)',
         'configureClient', client(lib_request('configureClient', $OLD_SHAPE)));
($st, $d) = status_as_library('after the older shape');
is_deeply([@{ $d->{data}{config}{server} // {} }{qw(host port protocol)}], ['h', 1883, 'tcp'],
          'server host, port, protocol stored');
is($st, 'inactive/disconnected', 'still inactive');

# Now a reachable broker, and the life cycle as Home Assistant sees it.
accepted('configureClient, the full ClientConfig for the test broker', 'configureClient',
         client(lib_request('configureClient',
                            full_config('127.0.0.1', qq(,"port":$broker->{port})))));
accepted('activateClient without params', 'activateClient', client(lib_request('activateClient')));
ok(wait_state('active/connected'), 'active and connected within 10 s');
($st, $d) = status_as_library('active');
is($st, 'active/connected', 'state active, connectionStatus connected');

# Home Assistant: state active -> subscribe to "{deviceTopicPrefix}/#"
my $prefix = $d->{data}{config}{deviceTopicPrefix} // 'none';
my @msgs = sub_messages(port => $broker->{port}, topic => "$prefix/#", count => 1, timeout => 5);
is(scalar @msgs, 1, "Home Assistant's subscription $prefix/# receives the device's messages");
is($msgs[0]{topic}, "$prefix/event/connection", '... the connect announcement')
    if @msgs;

accepted('deactivateClient without params', 'deactivateClient',
         client(lib_request('deactivateClient')));
ok(wait_state('inactive/disconnected'), 'inactive and disconnected');
($st) = status_as_library('inactive again');

# the library's error table covers 1100, 2100-2104: what it would see
{
    my ($e, $res) = client('{"apiVersion":"1.0","context":"Axis library","method":"getEventPublicationConfig"}');
    is($res->code, 200, 'a method of the event API on client.cgi: HTTP 200');
    is(($e // {})->{error}{code}, 2102, '... error 2102 (in the library\'s table)');
    is(($e // {})->{context}, $CTX, '... context echoed');
}

# ------------------------------------------------------------ API Discovery

# ListApisRequest / GetAllApisResponse.decode, GetSupportedVersionsRequest
sub discovery_parses {
    my ($label, $path, $want_ids) = @_;
    my ($d, $res) = send_raw($path, '{"apiVersion":"1.0","context":"Axis library","method":"getApiList"}');
    subtest "$label: getApiList passes the library's parser" => sub {
        is($res->code, 200, 'HTTP 200');
        ok(ref $d eq 'HASH', 'JSON') or return diag($res->content);
        ok(exists $d->{$_}, "top-level $_") for qw(apiVersion context method data);
        my $list = $d->{data}{apiList};
        is(ref $list, 'ARRAY', 'data.apiList') or return;
        for my $e (@$list) {
            ok(defined $e->{$_} && !ref $e->{$_}, "entry $e->{id}: $_") for qw(id name version);
        }
        is_deeply([map { $_->{id} } @$list], $want_ids, 'the APIs');
        my ($mqtt) = grep { $_->{id} eq 'mqtt-client' } @$list;
        is(($mqtt // {})->{version}, '1.0', 'mqtt-client version 1.0');
    };
    my ($v, $res2) = send_raw($path, '{"context":"Axis library","method":"getSupportedVersions"}');
    subtest "$label: getSupportedVersions without apiVersion" => sub {
        is($res2->code, 200, 'HTTP 200');
        ok(exists(($v // {})->{$_}), "top-level $_") for qw(apiVersion context method);
        is(($v // {})->{context}, $CTX, 'context');
        is_deeply(($v // {})->{data}{apiVersions}, ['1.0'], 'data.apiVersions');
    };
}

discovery_parses('the gateway alone', '/axis-cgi/apidiscovery.cgi', ['mqtt-client']);
discovery_parses('merged with the demo camera (conf/demo-firmware.conf.in)', '/merged/axis-cgi/apidiscovery.cgi',
                 [qw(basic-device-info io-port-management param-cgi mqtt-client)]);

unlike(error_log_text($nginx), qr/\[(alert|crit|emerg)\]/, 'no alert, crit or emerg');
is(stop_nginx($nginx), 0, 'nginx stops cleanly');
stop_mosquitto($broker);

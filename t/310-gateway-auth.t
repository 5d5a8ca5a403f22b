# The shipped conf/gateway.conf itself, assembled as `./build.sh run` does
# (state dir, /etc/nginx/axis-mqtt, the camera's address and the listen
# ports replaced), with conf/demo-firmware.conf.in as the camera:
#  - TLS: HTTPS verified against a generated self-signed certificate;
#    plain HTTP is redirected to HTTPS;
#  - auth_basic: no credentials, a wrong password, an unknown user -> 401
#    with a Basic challenge (what the axis library falls back to);
#  - roles: root (in the map) is Admin and may use every method; viewer
#    (not in the map) gets HTTP 200 with error 2105 and changes nothing;
#    API Discovery is open to any authenticated user.
# Then the commented auth_request alternative of the same file, uncommented,
# against a camera whose Admin-only /axis-cgi/admin/param.cgi checks Basic
# credentials itself: admin -> the API works, viewer (403) -> 2105, unknown
# (401) -> 401 with the camera's challenge passed on.
use strict;
use warnings;

use lib 't/lib';
use Test::AxisNginx;
use Test::AxisNginx::Gateway;    # gateway_conf, gateway_cert, apr1, slurp, spew, ...
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use JSON::PP ();
use MIME::Base64 qw(encode_base64);
use LWP::UserAgent;
use HTTP::Request;
use IO::Socket::INET;
use IO::Socket::SSL ();
use LWP::Protocol::https ();    # Debian: liblwp-protocol-https-perl
use Time::HiRes qw(sleep time);

BEGIN { *subtest = \&Test::More::subtest }    # Test::Base does not export it

plan('no_plan');

my $SERIAL = 'ACCC8E012345';
my $JSON = JSON::PP->new->canonical;
my $TRUE = JSON::PP::true;

# ------------------------------------------------------------ the setup

# /etc/nginx/axis-mqtt of the test: a certificate for localhost and
# 127.0.0.1, the htpasswd of build.sh run (root:pass, viewer:viewer).
my $etc = tempdir('axis-gw-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0700, $etc;
make_path("$etc/certs", "$etc/state");
chmod 0700, "$etc/state";

gateway_cert($etc);
spew("$etc/htpasswd", 'root:' . apr1('pass') . "\nviewer:" . apr1('viewer') . "\n");

my %P = (firmware => free_port(), http => free_port(), https => free_port(),
         state => "$etc/state", etc => $etc);

my $UA = LWP::UserAgent->new(keep_alive => 0, timeout => 10, max_redirect => 0,
                             env_proxy => 0,
                             ssl_opts => { SSL_ca_file => "$etc/gateway.crt",
                                           verify_hostname => 1 });
$UA->proxy([qw(http https)], undef);

sub basic { 'Basic ' . encode_base64(join(':', @_), '') }

# POST JSON over HTTPS with optional user/password; (decoded or undef, res)
sub https_post {
    my ($port, $path, $body, @cred) = @_;
    $body = $JSON->encode($body) if ref $body;
    my $req = HTTP::Request->new(POST => "https://127.0.0.1:$port$path",
                                 ['Content-Type' => 'application/json'], $body);
    $req->header(Authorization => basic(@cred)) if @cred;
    my $res = $UA->request($req);
    my $data = eval { JSON::PP->new->utf8->decode($res->content) };
    return ($data, $res);
}

sub client_cgi { https_post($_[0], '/axis-cgi/mqtt/client.cgi', @_[1 .. $#_]) }

sub lwp_ok {
    my ($res) = @_;
    return 1 unless ($res->header('Client-Warning') // '') eq 'Internal response';
    diag('LWP: ' . $res->content);
    return 0;
}

# Poll getClientStatus (as $cred) until "state/connectionStatus" is $want.
sub wait_status {
    my ($port, $want, $cred, $timeout) = @_;
    my $deadline = time + ($timeout // 10);
    my $st = '';
    while (time < $deadline) {
        my ($d) = client_cgi($port, { apiVersion => '1.0', method => 'getClientStatus' }, @$cred);
        my $s = ($d // {})->{data}{status} // {};
        $st = ($s->{state} // '?') . '/' . ($s->{connectionStatus} // '?');
        return 1 if $st eq $want;
        sleep 0.05;
    }
    diag("status $st, not $want");
    return 0;
}

# ============================================================ gateway.conf

my $broker = start_mosquitto();
my $gw_conf = gateway_conf(%P);
my $nginx = start_nginx(http_config => $gw_conf . demo_firmware_conf($P{firmware}));
my $https = $P{https};
my @ROOT = ('root', 'pass');
my @VIEWER = ('viewer', 'viewer');

sub cfg {
    my ($ctx, $client_id, %over) = @_;
    return { apiVersion => '1.0', context => $ctx, method => 'configureClient',
             params => { server => { protocol => 'tcp', host => '127.0.0.1',
                                     port => $broker->{port} },
                         clientId => $client_id, connectTimeout => 5,
                         (map { $_ => { useDefault => $TRUE } }
                              qw(lastWillTestament connectMessage disconnectMessage)),
                         %over } };
}

subtest 'TLS: the certificate verifies, TLSv1.2 and TLSv1.3 are spoken' => sub {
    my ($d, $res) = client_cgi($https, { method => 'getSupportedVersions' }, @ROOT);
    lwp_ok($res);
    is($res->code, 200, 'HTTPS with a verified certificate');
    for my $v (qw(TLSv1_2 TLSv1_3)) {
        my $s = IO::Socket::SSL->new(PeerAddr => '127.0.0.1', PeerPort => $https,
                                     SSL_version => $v, SSL_ca_file => "$etc/gateway.crt",
                                     SSL_verifycn_name => 'localhost');
        ok($s, "$v handshake") or diag(IO::Socket::SSL::errstr());
        close $s if $s;
    }
    # plain HTTP on the TLS port is not served
    my $res2 = Test::AxisNginx::_http($https, 'POST', '/axis-cgi/mqtt/client.cgi', '{}');
    is($res2->code, 400, 'plain HTTP to the TLS port: 400');
};

subtest 'no credentials: 401 with a Basic challenge' => sub {
    for my $path ('/axis-cgi/mqtt/client.cgi', '/axis-cgi/apidiscovery.cgi',
                  '/axis-cgi/basicdeviceinfo.cgi') {
        my ($d, $res) = https_post($https, $path, { apiVersion => '1.0', method => 'getApiList' });
        lwp_ok($res);
        is($res->code, 401, "$path: 401");
        like($res->header('WWW-Authenticate') // '', qr/^Basic realm="[^"]+"/,
             "$path: WWW-Authenticate: Basic realm=...");
    }
    my ($d, $res) = client_cgi($https, { method => 'getSupportedVersions' });
    is($res->header('WWW-Authenticate'), qq{Basic realm="AXIS_$SERIAL"}, 'the realm names the device');
};

subtest 'wrong password, unknown user, empty password: 401' => sub {
    for my $cred (['root', 'wrong'], ['viewer', 'pass'], ['nobody', 'pass'], ['root', ''],
                  ['', '']) {
        my ($d, $res) = client_cgi($https, { apiVersion => '1.0', method => 'getClientStatus' },
                                   @$cred);
        is($res->code, 401, "'$cred->[0]':'$cred->[1]': 401");
        like($res->header('WWW-Authenticate') // '', qr/^Basic /, '... with the challenge');
        ok(!defined $d, '... and no API answer');
    }
    # Digest credentials, as the axis library tries first: not accepted
    my $req = HTTP::Request->new(POST => "https://127.0.0.1:$https/axis-cgi/mqtt/client.cgi",
        [Authorization => 'Digest username="root", realm="x", nonce="n", uri="/", response="0"'],
        '{"method":"getSupportedVersions"}');
    my $res = $UA->request($req);
    is($res->code, 401, 'Digest credentials: 401');
    like($res->header('WWW-Authenticate') // '', qr/^Basic /, '... offering Basic');
};

subtest 'root (Admin): every method works' => sub {
    my ($d, $res) = client_cgi($https, cfg('root-cfg', 'gw-root'), @ROOT);
    lwp_ok($res);
    is($res->code, 200, 'configureClient: 200');
    like($res->header('Content-Type') // '', qr{^application/json}, 'application/json');
    is($JSON->encode($d // {}),
       $JSON->encode({ apiVersion => '1.0', context => 'root-cfg', method => 'configureClient',
                       data => {} }), 'configureClient: data {}');
    ($d) = client_cgi($https, { apiVersion => '1.0', context => 'a', method => 'activateClient' },
                      @ROOT);
    is_deeply(($d // {})->{data}, {}, 'activateClient: data {}') or diag($JSON->encode($d // {}));
    ok(wait_status($https, 'active/connected', \@ROOT), 'getClientStatus: active/connected');
    ($d) = client_cgi($https, { apiVersion => '1.0', method => 'getClientStatus' }, @ROOT);
    is(($d // {})->{data}{config}{clientId}, 'gw-root', 'getClientStatus: the configuration');
    is(($d // {})->{data}{config}{deviceTopicPrefix}, "axis/$SERIAL",
       'the serial of gateway.conf');
    ok(-f "$P{state}/client-ACCC8E012345.json", 'saved in the state dir of gateway.conf');
    ($d) = client_cgi($https, { apiVersion => '1.0', method => 'deactivateClient' }, @ROOT);
    is_deeply(($d // {})->{data}, {}, 'deactivateClient: data {}');
    ok(wait_status($https, 'inactive/disconnected', \@ROOT), 'inactive again');
    ($d) = client_cgi($https, { context => 'v', method => 'getSupportedVersions' }, @ROOT);
    is_deeply(($d // {})->{data}, { apiVersions => ['1.0'] }, 'getSupportedVersions');
    # and it stays active for the viewer checks below
    client_cgi($https, { apiVersion => '1.0', method => 'activateClient' }, @ROOT);
    ok(wait_status($https, 'active/connected', \@ROOT), 'active for the next checks');
};

subtest 'viewer (not in the map): HTTP 200, error 2105, nothing changed' => sub {
    my $state_before = slurp("$P{state}/client-ACCC8E012345.json");
    my ($before) = client_cgi($https, { apiVersion => '1.0', method => 'getClientStatus' }, @ROOT);
    my @reqs = (
        cfg('v-cfg', 'viewer-was-here', deviceTopicPrefix => 'viewer/prefix'),
        { apiVersion => '1.0', context => 'v-deact', method => 'deactivateClient' },
        { apiVersion => '1.0', context => 'v-act', method => 'activateClient' },
        { apiVersion => '1.0', context => 'v-status', method => 'getClientStatus' },
        { context => 'v-versions', method => 'getSupportedVersions' },
    );
    for my $req (@reqs) {
        my ($d, $res) = client_cgi($https, $req, @VIEWER);
        lwp_ok($res);
        is($res->code, 200, "$req->{method}: HTTP 200");
        like($res->header('Content-Type') // '', qr{^application/json}, '... application/json');
        is(($d // {})->{error}{code}, 2105, "$req->{method}: error 2105")
            or diag($res->content);
        is(($d // {})->{context}, $req->{context}, '... context echoed');
        is(($d // {})->{method}, $req->{method}, '... method echoed');
        ok(!exists(($d // {})->{data}), '... no data');
    }
    sleep 0.2;    # a change, if any, would be saved by now
    my ($after) = client_cgi($https, { apiVersion => '1.0', method => 'getClientStatus' }, @ROOT);
    is($JSON->encode($after // {}), $JSON->encode($before // {}),
       'root sees the same status and configuration as before');
    is(($after // {})->{data}{status}{state}, 'active', 'still active (viewer\'s deactivate refused)');
    is(slurp("$P{state}/client-ACCC8E012345.json"), $state_before, 'the state file is unchanged');
};

subtest 'API Discovery: open to any authenticated user, merged with the camera\'s list' => sub {
    for my $cred (\@ROOT, \@VIEWER) {
        my ($d, $res) = https_post($https, '/axis-cgi/apidiscovery.cgi',
            { apiVersion => '1.0', context => 'Axis library', method => 'getApiList' }, @$cred);
        is($res->code, 200, "$cred->[0]: 200");
        my @ids = map { $_->{id} } @{ ($d // {})->{data}{apiList} // [] };
        is_deeply(\@ids, [qw(basic-device-info io-port-management param-cgi mqtt-client
                                 event-mqtt-bridge)],
                  "$cred->[0]: the camera's 3 APIs, mqtt-client and event-mqtt-bridge")
            or diag($res->content);
    }
};

subtest 'everything else goes to the camera (with gateway credentials)' => sub {
    my $req = HTTP::Request->new(GET => "https://127.0.0.1:$https/axis-cgi/basicdeviceinfo.cgi",
                                 [Authorization => basic(@VIEWER)]);
    my $res = $UA->request($req);
    is($res->code, 200, 'GET /axis-cgi/basicdeviceinfo.cgi: 200');
    like($res->content, qr/"SerialNumber":"ACCC8E012345"/, 'the camera\'s answer');
    $req = HTTP::Request->new(GET => "https://127.0.0.1:$https/no/such/cgi",
                              [Authorization => basic(@ROOT)]);
    $res = $UA->request($req);
    is($res->code . ' ' . $res->content, "404 not found on the camera\n", 'the camera\'s 404');
};

subtest 'plain HTTP: 301 to HTTPS, no credentials asked, nothing answered' => sub {
    for my $m (qw(GET POST)) {
        my $res = Test::AxisNginx::_http($P{http}, $m, '/axis-cgi/mqtt/client.cgi?a=1&b=2',
                                         $m eq 'POST' ? '{"method":"getSupportedVersions"}' : undef,
                                         ['Authorization' => basic(@ROOT)]);
        is($res->code, 301, "$m: 301");
        is($res->header('Location'),
           "https://127.0.0.1:$https/axis-cgi/mqtt/client.cgi?a=1&b=2",
           "$m: Location is the same URL on HTTPS");
        unlike($res->content, qr/apiVersion/, "$m: no API answer in clear");
    }
    my $res = Test::AxisNginx::_http($P{http}, 'GET', '/axis-cgi/mqtt/client.cgi', undef,
                                     [Host => 'camera.example']);
    is($res->header('Location'), "https://camera.example:$https/axis-cgi/mqtt/client.cgi",
       'Location follows the Host header');
};

like(error_log_text($nginx), qr/no user\/password was provided for basic authentication/,
     'the missing credentials are logged');
unlike(error_log_text($nginx), qr/\[(alert|crit|emerg)\]/, 'no alert, crit or emerg');
is(stop_nginx($nginx), 0, 'gateway nginx stops cleanly');

# ============================================================ auth_request

# The commented alternative of gateway.conf, applied as its comment says:
# the auth_basic lines go, the client.cgi location is replaced by the
# commented one, and the other two commented locations join it.
sub auth_request_conf {
    my ($text) = @_;
    my $n = $text =~ s/^    location = \/axis-cgi\/mqtt\/client\.cgi \{\n.*?^    \}\n//ms;
    ok($n, 'auth_request: the auth_basic client.cgi location removed');
    $n = ($text =~ s/^[ \t]*auth_basic(?:_user_file)?[ \t]+[^;\n]*;[^\n]*\n//mg);
    is($n, 2, 'auth_request: the two auth_basic lines removed');
    my @lines = split /\n/, $text, -1;
    my ($start) = grep { $lines[$_] =~ /^\s*#\s*location = \/axis-cgi\/mqtt\/client\.cgi \{/ } 0 .. $#lines;
    ok(defined $start, 'auth_request: the commented block found') or return $text;
    my $i = $start;
    while ($i <= $#lines && $lines[$i] =~ /^\s*#/) {
        $lines[$i] =~ s/^(\s*)# ?/$1/;
        $i++;
    }
    my $block = join "\n", @lines[$start .. $i - 1];
    like($block, qr/auth_request\s+\/_axis_admin;/, 'auth_request: the block has auth_request');
    like($block, qr/error_page\s+403 = \@axis_mqtt_not_admin;/, '... and the 403 error_page');
    return join "\n", @lines;
}

# The camera: its Admin-only parameter CGI checks Basic credentials itself
# (admin: 200, viewer: 403, unknown: 401 with its own challenge); what it is
# asked is logged.
spew("$etc/fw-htpasswd", 'admin:' . apr1('adminpass') . "\nviewer:" . apr1('viewerpass') . "\n");
my $fw2 = free_port();
my $fw_log = "$etc/firmware-access.log";
my $firmware = <<"CONF";
map \$remote_user \$fw_is_viewer {
    default  0;
    viewer   1;
}
log_format fw_seen '\$request_method \$request_uri user=\$remote_user len=\$http_content_length';
server {
    listen      127.0.0.1:$fw2;
    access_log  $fw_log fw_seen;
    root        $etc/fw-root;

    location = /axis-cgi/admin/param.cgi {
        auth_basic            "AXIS_FIRMWARE";
        auth_basic_user_file  $etc/fw-htpasswd;
        # after the password check: the role
        try_files  /no-such-file  \@param;
    }
    location \@param {
        if (\$fw_is_viewer) { return 403; }
        default_type  text/plain;
        return 200 "root.Brand.Brand=AXIS\\n";
    }
    location / {
        default_type  text/plain;
        return 404 "not found on the camera\\n";
    }
}
CONF
make_path("$etc/fw-root");

my %P2 = (%P, firmware => $fw2, http => free_port(), https => free_port(),
          state => "$etc/state2");
make_path($P2{state});
chmod 0700, $P2{state};
my $ar_conf = auth_request_conf(gateway_conf(%P2));
my $nginx2 = start_nginx(http_config => $ar_conf . $firmware);
my $https2 = $P2{https};

subtest 'auth_request: the camera\'s admin is Admin' => sub {
    my ($d, $res) = client_cgi($https2, cfg('ar-admin', 'gw-ar-admin'), 'admin', 'adminpass');
    lwp_ok($res);
    is($res->code, 200, 'configureClient: 200') or diag($res->as_string);
    is(($d // {})->{context}, 'ar-admin', 'context');
    is_deeply(($d // {})->{data}, {}, 'configureClient: data {}') or diag($res->content);
    ($d) = client_cgi($https2, { apiVersion => '1.0', method => 'getClientStatus' },
                      'admin', 'adminpass');
    is(($d // {})->{data}{config}{clientId}, 'gw-ar-admin', 'getClientStatus: configured');
    ($d) = client_cgi($https2, { apiVersion => '1.0', method => 'activateClient' },
                      'admin', 'adminpass');
    is_deeply(($d // {})->{data}, {}, 'activateClient: data {}');
    ok(wait_status($https2, 'active/connected', ['admin', 'adminpass']), 'active/connected');
    ($d) = client_cgi($https2, { method => 'getSupportedVersions' }, 'admin', 'adminpass');
    is_deeply(($d // {})->{data}, { apiVersions => ['1.0'] }, 'getSupportedVersions');
};

subtest 'auth_request: the camera\'s viewer gets error 2105 (HTTP 200 JSON)' => sub {
    my ($before) = client_cgi($https2, { apiVersion => '1.0', method => 'getClientStatus' },
                              'admin', 'adminpass');
    for my $req (cfg('ar-viewer', 'viewer-was-here'),
                 { apiVersion => '1.0', context => 'ar-v-deact', method => 'deactivateClient' },
                 { apiVersion => '1.0', context => 'ar-v-status', method => 'getClientStatus' }) {
        my ($d, $res) = client_cgi($https2, $req, 'viewer', 'viewerpass');
        lwp_ok($res);
        is($res->code, 200, "$req->{method}: HTTP 200") or diag($res->as_string);
        like($res->header('Content-Type') // '', qr{^application/json}, '... application/json');
        is(($d // {})->{error}{code}, 2105, "$req->{method}: error 2105") or diag($res->content);
        is(($d // {})->{context}, $req->{context}, '... context echoed');
        is(($d // {})->{method}, $req->{method}, '... method echoed');
    }
    my ($after) = client_cgi($https2, { apiVersion => '1.0', method => 'getClientStatus' },
                             'admin', 'adminpass');
    is($JSON->encode($after // {}), $JSON->encode($before // {}), 'nothing changed');
};

subtest 'auth_request: unknown credentials: 401 with the camera\'s challenge' => sub {
    for my $cred (['nobody', 'x'], ['admin', 'wrong'], ['viewer', 'adminpass'], []) {
        my $who = @$cred ? "'$cred->[0]':'$cred->[1]'" : 'no credentials';
        my ($d, $res) = client_cgi($https2, cfg('ar-unknown', 'unknown-was-here'), @$cred);
        lwp_ok($res);
        is($res->code, 401, "$who: 401");
        is($res->header('WWW-Authenticate'), 'Basic realm="AXIS_FIRMWARE"',
           "$who: the camera's WWW-Authenticate");
        ok(!defined $d, "$who: no API answer");
    }
    my ($d) = client_cgi($https2, { apiVersion => '1.0', method => 'getClientStatus' },
                         'admin', 'adminpass');
    is(($d // {})->{data}{config}{clientId}, 'gw-ar-admin', 'nothing changed');
};

subtest 'auth_request: what the camera was asked' => sub {
    my $log = '';
    my $deadline = time + 5;
    until ($log =~ /user=nobody/ || time > $deadline) { sleep 0.05; $log = slurp($fw_log) // '' }
    like($log, qr{^GET /axis-cgi/admin/param\.cgi\?action=list&group=root\.Brand user=admin len=-$}m,
         'the Admin check: GET param.cgi?action=list&group=root.Brand, with the client\'s '
         . 'credentials, without the body');
    unlike($log, qr{client\.cgi}, 'the API request itself never reaches the camera');
};

unlike(error_log_text($nginx2), qr/\[(alert|crit|emerg)\]/, 'auth_request: no alert, crit or emerg');
is(stop_nginx($nginx2), 0, 'auth_request nginx stops cleanly');
stop_mosquitto($broker);

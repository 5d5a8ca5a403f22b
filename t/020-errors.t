# Every error of the MQTT client API through nginx (2100..2106, 405), and
# that a failed request changes nothing: after each one getClientStatus
# shows the previous configuration and the state file is byte-identical.
# (1100, a save that fails, is in 040-persistence.t.)
use strict;
use warnings;

use lib 't/lib';
use Test::AxisNginx;
use JSON::PP ();
use MIME::Base64 qw(encode_base64);

$ENV{TEST_NGINX_DEAD_PORT} = free_port();

my $CGI = '/axis-cgi/mqtt/client.cgi';
my $JU  = JSON::PP->new->utf8->canonical;
my ($T, $F) = (JSON::PP::true, JSON::PP::false);

# ------------------------------------------------ helpers for the blocks

# A raw HTTP/1.1 POST of $body to the CGI with extra header lines.
sub raw_post {
    my ($body, @headers) = @_;
    return join "\r\n", "POST $CGI HTTP/1.1", 'Host: localhost',
        'Connection: close', 'Content-Type: application/json',
        'Content-Length: ' . length($body), @headers, '', $body;
}

# The same body sent with Transfer-Encoding: chunked, in chunks of $size.
sub raw_chunked {
    my ($body, $size) = @_;
    my @parts = $body =~ /(.{1,$size})/gs;
    return join("\r\n", "POST $CGI HTTP/1.1", 'Host: localhost',
                'Connection: close', 'Content-Type: application/json',
                'Transfer-Encoding: chunked', '', '')
        . join('', map { sprintf("%x\r\n%s\r\n", length, $_) } @parts)
        . "0\r\n\r\n";
}

# A valid configureClient of exactly $len bytes (padded with blanks).
sub configure_body {
    my ($client_id, $len) = @_;
    my $json = '{"apiVersion":"1.0","context":"' . $client_id
             . '","method":"configureClient","params":{"server":'
             . '{"protocol":"tcp","host":"broker.example"},"clientId":"'
             . $client_id . '"}}';
    return $json unless defined $len;
    die "body longer than $len" if length $json > $len;
    return $json . (' ' x ($len - length $json));
}

sub status_body { '{"apiVersion":"1.0","method":"getClientStatus"}' }

sub basic { 'Authorization: Basic ' . encode_base64("$_[0]:$_[1]", '') }

plan('no_plan');
run_tests();

# ------------------------------------------------ hand-written: the matrix

sub call {
    my ($port, $req, $headers) = @_;
    my $body = ref $req ? $JU->encode($req) : $req;
    my $res = http_post($port, $CGI, $body,
                        { 'Content-Type' => 'application/json', %{ $headers // {} } });
    my $data = eval { $JU->decode($res->content) };
    return ($data, $res);
}

sub slurp {
    open my $fh, '<', $_[0] or return undef;
    local $/;
    return scalar <$fh>;
}

# One failing request: HTTP 200 JSON, exactly the envelope keys, the code.
sub check_error {
    my ($port, $name, $req, $codes, %o) = @_;
    my ($data, $res) = call($port, $req, $o{headers});
    $codes = [$codes] unless ref $codes;
    is($res->code, 200, "$name: HTTP 200");
    is(scalar $res->header('Content-Type'), 'application/json', "$name: Content-Type");
    return fail("$name: JSON reply") || diag($res->content) unless ref $data eq 'HASH';

    my %want = (apiVersion => 1, error => 1);
    if (ref $req && !$o{no_echo}) {
        $want{context} = 1 if defined $req->{context} && !ref $req->{context}
                              && $req->{context} !~ /^-?\d+$/;
        $want{method} = 1 if defined $req->{method} && !ref $req->{method}
                             && $req->{method} !~ /^-?\d+$/;
    }
    my @extra = grep { !$want{$_} && !($o{no_echo} && /^(context|method)$/) } keys %$data;
    my @missing = grep { !exists $data->{$_} } keys %want;
    ok(!@extra && !@missing, "$name: envelope keys")
        or diag("extra: @extra missing: @missing\n" . $res->content);
    for my $k (qw(context method)) {
        is($data->{$k}, $req->{$k}, "$name: $k echoed") if $want{$k} || exists $data->{$k} && ref $req;
    }
    # the request's apiVersion when it gave one (a string), else the served one
    my ($given) = ref $req ? $JU->encode($req) =~ /"apiVersion":"([^"]*)"/ : ();
    my $version = defined $given && !$o{no_echo} ? $given : '1.0';
    is($data->{apiVersion}, $version, "$name: apiVersion");
    my $err = $data->{error} // {};
    is_deeply([sort keys %$err], ['code', 'message'], "$name: error has code and message");
    ok((grep { ($err->{code} // -1) == $_ } @$codes), "$name: error code @$codes")
        or diag($res->content);
    ok(defined $err->{message} && !ref $err->{message} && length $err->{message},
       "$name: error message");
    return $data;
}

{
    my $long = 'a' x 256;
    my $base_params = {
        server => { protocol => 'tcp', host => '127.0.0.1',
                    port => 0 + $ENV{TEST_NGINX_DEAD_PORT} },
        username => 'base-user', password => 'base-secret', clientId => 'base-client',
        keepAliveInterval => 33, connectTimeout => 44, cleanSession => $F,
        autoReconnect => $F, activateOnReboot => $T, deviceTopicPrefix => 'base/prefix',
        lastWillTestament => { useDefault => $F, topic => 'base/lwt', message => 'gone',
                               retain => $T, qos => 2 },
        connectMessage => { useDefault => $T },
        ssl => { validateServerCert => $F, CACertID => 'base-ca' },
    };
    # configureClient with $base_params changed by %change (undef deletes)
    my $cfg = sub {
        my (%change) = @_;
        my $p = $JU->decode($JU->encode($base_params));
        for my $path (keys %change) {
            my @k = split /\./, $path;
            my $last = pop @k;
            my $node = $p;
            $node = $node->{$_} for @k;
            if (defined $change{$path}) { $node->{$last} = $change{$path} }
            else { delete $node->{$last} }
        }
        return { apiVersion => '1.0', context => 'cfg', method => 'configureClient',
                 params => $p };
    };

    my $admin = { 'X-Admin' => 1 };
    my $h = start_nginx(workers => 2, http_config => 'axis_mqtt_serial ACCC8E012345;',
                        config => <<'CONF');
location = /axis-cgi/mqtt/client.cgi {
    axis_mqtt_client;
    axis_mqtt_admin $http_x_admin;
    axis_mqtt_max_request_size 4k;
}
CONF
    my $port = $h->{port};
    my $state = state_file_of($h);

    my ($d) = call($port, $cfg->(), $admin);
    is_deeply($d->{data}, {}, 'baseline configured') or diag($JU->encode($d // {}));
    ($d) = call($port, { apiVersion => '1.0', method => 'activateClient' }, $admin);
    is_deeply($d->{data}, {}, 'baseline activated') or diag($JU->encode($d // {}));
    my ($base_status) = call($port, { apiVersion => '1.0', method => 'getClientStatus' }, $admin);
    is($base_status->{data}{status}{state}, 'active', 'baseline is active');
    is($base_status->{data}{config}{clientId}, 'base-client', 'baseline config');
    my $base_file = slurp($state);
    ok(defined $base_file && index($base_file, 'base-secret') >= 0, 'baseline saved');

    my $v = sub { { apiVersion => $_[0], context => 'v', method => $_[1] // 'configureClient',
                    params => $base_params } };
    my @rows = (
        # 2100: API version
        ['apiVersion 2.0 (configure)', $v->('2.0'), 2100],
        ['apiVersion 2.0 (status)', $v->('2.0', 'getClientStatus'), 2100],
        ['apiVersion x', $v->('x'), 2100],
        ['apiVersion 0.9', $v->('0.9'), 2100],
        ['apiVersion 1', $v->('1'), 2100],
        ['apiVersion 1.', $v->('1.'), 2100],
        ['apiVersion .1', $v->('.1'), 2100],
        ['apiVersion 1.0.0', $v->('1.0.0'), 2100],
        ['apiVersion v1.0', $v->('v1.0'), 2100],
        ['apiVersion empty', $v->(''), 2100],
        ['apiVersion 11.0', $v->('11.0'), 2100],
        ['apiVersion 2.0 (activate)', $v->('2.0', 'activateClient'), 2100],
        ['apiVersion 2.0 (deactivate)', $v->('2.0', 'deactivateClient'), 2100],
        # 2101: not JSON, not an object
        ['empty body', '', 2101],
        ['not JSON', 'not json', 2101],
        ['JSON array', '[]', 2101],
        ['array of a request', '[{"apiVersion":"1.0","method":"deactivateClient"}]', 2101],
        ['JSON string', '"deactivateClient"', 2101],
        ['JSON null', 'null', 2101],
        ['JSON number', '42', 2101],
        ['truncated object', '{"apiVersion":"1.0","method":"deactivateClient"', 2101],
        ['trailing comma', '{"apiVersion":"1.0","method":"deactivateClient",}', 2101],
        ['trailing garbage', '{"apiVersion":"1.0","method":"deactivateClient"} x', 2101],
        # a key given twice: read one way by a proxy, another by the module
        ['method twice', '{"apiVersion":"1.0","method":"getClientStatus","method":"configureClient",'
                         . '"params":{"server":{"protocol":"tcp","host":"evil.example"}}}', 2101],
        ['apiVersion twice', '{"apiVersion":"1.0","apiVersion":"2.0","method":"deactivateClient"}', 2101],
        ['params key twice', '{"apiVersion":"1.0","method":"configureClient","params":{"server":'
                             . '{"protocol":"tcp","host":"a","host":"b"}}}', 2101],
        ['invalid UTF-8', qq{{"apiVersion":"1.0","method":"configureClient","params":}
                          . qq{{"server":{"protocol":"tcp","host":"h"},"username":"a\xff\xfeb"}}}, 2101],
        # 2102: method
        ['unknown method', { apiVersion => '1.0', context => 'm', method => 'fooBar' }, 2102],
        ['method case', { apiVersion => '1.0', context => 'm', method => 'DeactivateClient' }, 2102],
        ['method empty', { apiVersion => '1.0', context => 'm', method => '' }, 2102],
        ['method with blank', { apiVersion => '1.0', method => 'deactivateClient ' }, 2102],
        # 2103: missing or wrong JSON type
        ['method missing', { apiVersion => '1.0', context => 'c' }, 2103],
        ['method null', { apiVersion => '1.0', method => undef }, 2103],
        ['method number', { apiVersion => '1.0', method => 5 }, 2103],
        ['apiVersion missing', { context => 'c', method => 'deactivateClient' }, 2103],
        ['apiVersion number', { apiVersion => 1, method => 'deactivateClient' }, 2103],
        ['context number', { apiVersion => '1.0', context => 7, method => 'deactivateClient' }, 2103],
        ['params missing', { apiVersion => '1.0', context => 'c', method => 'configureClient' }, 2103],
        ['params string', { apiVersion => '1.0', method => 'configureClient', params => 'x' }, 2103],
        ['params array', { apiVersion => '1.0', method => 'configureClient', params => [] }, 2103],
        ['server missing', $cfg->(server => undef), 2103],
        ['server string', $cfg->(server => 'tcp://h:1883'), 2103],
        ['server.host missing', $cfg->('server.host' => undef), 2103],
        ['server.protocol missing', $cfg->('server.protocol' => undef), 2103],
        ['server.host number', $cfg->('server.host' => 12), 2103],
        ['server.port string', $cfg->('server.port' => '1883'), 2103],
        ['server.port float', $cfg->('server.port' => 1883.5), 2103],
        ['server.protocol number', $cfg->('server.protocol' => 1), 2103],
        ['server.basepath number', $cfg->('server.basepath' => 1), 2103],
        ['server.alpnProtocol array', $cfg->('server.alpnProtocol' => ['mqtt']), 2103],
        ['httpProxy number', $cfg->(httpProxy => 8080), 2103],
        ['httpsProxy boolean', $cfg->(httpsProxy => $T), 2103],
        ['username number', $cfg->(username => 42), 2103],
        ['password number', $cfg->(password => 42), 2103],
        ['keepExistingPassword string', $cfg->(keepExistingPassword => 'true'), 2103],
        ['clientId array', $cfg->(clientId => ['x']), 2103],
        ['keepAliveInterval string', $cfg->(keepAliveInterval => '60'), 2103],
        ['connectTimeout boolean', $cfg->(connectTimeout => $T), 2103],
        ['cleanSession string', $cfg->(cleanSession => 'true'), 2103],
        ['autoReconnect number', $cfg->(autoReconnect => 1), 2103],
        ['activateOnReboot string', $cfg->(activateOnReboot => 'false'), 2103],
        ['deviceTopicPrefix object', $cfg->(deviceTopicPrefix => {}), 2103],
        ['lastWillTestament string', $cfg->(lastWillTestament => 'default'), 2103],
        ['lastWillTestament without qos', $cfg->('lastWillTestament.qos' => undef), 2103],
        ['lastWillTestament without retain', $cfg->('lastWillTestament.retain' => undef), 2103],
        ['lastWillTestament without topic', $cfg->('lastWillTestament.topic' => undef), 2103],
        ['lastWillTestament without message', $cfg->('lastWillTestament.message' => undef), 2103],
        ['lastWillTestament useDefault string', $cfg->('lastWillTestament.useDefault' => 'false'), 2103],
        ['lastWillTestament qos string', $cfg->('lastWillTestament.qos' => '1'), 2103],
        ['connectMessage useDefault false, nothing else',
         $cfg->(connectMessage => { useDefault => $F }), 2103],
        ['disconnectMessage without topic',
         $cfg->(disconnectMessage => { useDefault => $F, message => 'm', retain => $F, qos => 0 }), 2103],
        ['ssl string', $cfg->(ssl => 'on'), 2103],
        ['ssl.validateServerCert string', $cfg->('ssl.validateServerCert' => 'yes'), 2103],
        ['ssl.CACertID number', $cfg->('ssl.CACertID' => 5), 2103],
        # 2104: values out of range or not allowed
        ['protocol mqtt', $cfg->('server.protocol' => 'mqtt'), 2104],
        ['protocol http', $cfg->('server.protocol' => 'http'), 2104],
        ['protocol tcps', $cfg->('server.protocol' => 'tcps'), 2104],
        ['port 0', $cfg->('server.port' => 0), 2104],
        ['port 65536', $cfg->('server.port' => 65536), 2104],
        ['port 70000', $cfg->('server.port' => 70000), 2104],
        ['port -1', $cfg->('server.port' => -1), 2104],
        ['lastWillTestament qos 3', $cfg->('lastWillTestament.qos' => 3), 2104],
        ['lastWillTestament qos -1', $cfg->('lastWillTestament.qos' => -1), 2104],
        ['connectMessage qos 3', $cfg->(connectMessage => { useDefault => $F, topic => 't',
                                         message => 'm', retain => $F, qos => 3 }), 2104],
        ['disconnectMessage qos 7', $cfg->(disconnectMessage => { useDefault => $F, topic => 't',
                                            message => 'm', retain => $F, qos => 7 }), 2104],
        ['keepAliveInterval -1', $cfg->(keepAliveInterval => -1), 2104],
        ['connectTimeout -5', $cfg->(connectTimeout => -5), 2104],
        ['alpnProtocol 256 bytes', $cfg->('server.alpnProtocol' => $long), 2104],
        ['httpProxy 256 bytes', $cfg->(httpProxy => $long), 2104],
        ['httpsProxy 256 bytes', $cfg->(httpsProxy => $long), 2104],
        ['clientCertID ../etc/passwd', $cfg->('ssl.clientCertID' => '../etc/passwd'), 2104],
        ['CACertID ../etc/passwd', $cfg->('ssl.CACertID' => '../etc/passwd'), 2104],
        ['CACertID absolute path', $cfg->('ssl.CACertID' => '/etc/ssl/certs/ca.pem'), 2104],
        ['CACertID a/b', $cfg->('ssl.CACertID' => 'a/b'), 2104],
        ['clientCertID ..', $cfg->('ssl.clientCertID' => '..'), 2104],
        ['clientCertID .', $cfg->('ssl.clientCertID' => '.'), 2104],
        # 2105: not Admin (the same request succeeds with X-Admin: 1 below)
        ['no X-Admin', $cfg->(clientId => 'not-admin'), 2105, headers => {}],
        ['X-Admin: 0', $cfg->(clientId => 'not-admin'), 2105, headers => { 'X-Admin' => '0' }],
        ['X-Admin empty', $cfg->(clientId => 'not-admin'), 2105, headers => { 'X-Admin' => '' }],
        ['not Admin: deactivate', { apiVersion => '1.0', method => 'deactivateClient' }, 2105,
         headers => {}],
        ['not Admin: status', { apiVersion => '1.0', method => 'getClientStatus' }, 2105,
         headers => { 'X-Admin' => '0' }],
        ['not Admin: versions', { method => 'getSupportedVersions' }, 2105, headers => {}],
        ['not Admin: not JSON', 'garbage', 2105, headers => {}],
        # 2106: over axis_mqtt_max_request_size 4k (the body is a valid configure)
        ['body over 4k', configure_body('too-big', 4097), 2106],
        ['body of 8k', configure_body('too-big', 8192), 2106],
    );

    for my $row (@rows) {
        my ($name, $req, $codes, %o) = @$row;
        $o{headers} //= $admin;
        $o{no_echo} = 1 if (ref $codes ? $codes->[0] : $codes) == 2106;
        check_error($port, $name, $req, $codes, %o);
        my ($st) = call($port, { apiVersion => '1.0', method => 'getClientStatus' }, $admin);
        is_deeply($st, $base_status, "$name: getClientStatus unchanged")
            or diag($JU->encode($st));
        my $now = slurp($state);
        ok(defined $now && $now eq $base_file, "$name: state file unchanged");
    }

    # the requests refused for want of Admin succeed with it
    my ($ok) = call($port, $cfg->(clientId => 'admin-now'), $admin);
    is_deeply($ok->{data}, {}, 'the same configure succeeds as Admin');
    ($d) = call($port, { apiVersion => '1.0', method => 'getClientStatus' }, $admin);
    is($d->{data}{config}{clientId}, 'admin-now', 'and is applied');
    ($d) = call($port, configure_body('fits', 4096), $admin);
    is_deeply($d->{data}, {}, 'a body of exactly 4k is accepted');

    # nothing of the refused requests reached the disk or the log
    my $file = slurp($state);
    unlike($file, qr/not-admin|too-big/, 'state file has none of the refused values');
    is(stop_nginx($h), 0, 'nginx stopped cleanly');
    my $log = error_log_text($h);
    unlike($log, qr/base-secret/, 'password never logged');
    unlike($log, qr/\[(alert|crit|emerg)\]/, 'no alert in error.log');
}

# ------------------------------------------------ activate without a broker
{
    my $h = start_nginx(http_config => 'axis_mqtt_serial ACCC8E012345;',
                        config => "location = $CGI { axis_mqtt_client; }");
    my $port = $h->{port};
    check_error($port, 'activate with no broker configured',
                { apiVersion => '1.0', context => 'nb', method => 'activateClient' }, 2103);
    my ($d) = call($port, { apiVersion => '1.0', method => 'getClientStatus' });
    is($d->{data}{status}{state}, 'inactive', 'still inactive');
    is($d->{data}{config}{server}{host}, '', 'still no broker');
    ok(!-e state_file_of($h), 'nothing saved');
    # a deactivate without a broker is fine (it is inactive already)
    ($d) = call($port, { apiVersion => '1.0', method => 'deactivateClient' });
    is_deeply($d->{data}, {}, 'deactivate without a broker succeeds');
    stop_nginx($h);
}

__DATA__

=== TEST 1: non-POST methods -> 405 with Allow: POST, and nothing is done
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- request eval
["GET /axis-cgi/mqtt/client.cgi",
 "PUT /axis-cgi/mqtt/client.cgi\n" . main::configure_body('via-put'),
 "DELETE /axis-cgi/mqtt/client.cgi",
 "HEAD /axis-cgi/mqtt/client.cgi",
 "PATCH /axis-cgi/mqtt/client.cgi\n" . main::configure_body('via-patch')]
--- error_code eval
[405, 405, 405, 405, 405]
--- response_headers
Allow: POST
--- check
my $st = api($port, { apiVersion => '1.0', method => 'getClientStatus' });
is($st->{data}{config}{clientId}, '', 'PUT/PATCH configured nothing');
ok(!glob("$state_dir/client*.json"), 'no state file');



=== TEST 2: axis_mqtt_admin $http_x_admin: absent, "0" or "" is not Admin; "1" is
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi {
    axis_mqtt_client;
    axis_mqtt_admin $http_x_admin;
}
--- raw_request eval
[main::raw_post(main::configure_body('c1')),
 main::raw_post(main::configure_body('c2'), 'X-Admin: 0'),
 main::raw_post(main::configure_body('c3'), 'X-Admin: '),
 main::raw_post(main::status_body(), 'X-Admin: 0'),
 main::raw_post(main::configure_body('c5'), 'X-Admin: 1'),
 main::raw_post(main::status_body(), 'X-Admin: 1'),
 main::raw_post(main::status_body(), 'X-Admin: yes')]
--- response_headers
Content-Type: application/json
--- response_json eval
['{"context":"c1","method":"configureClient","error":{"code":2105}}',
 '{"context":"c2","method":"configureClient","error":{"code":2105}}',
 '{"context":"c3","method":"configureClient","error":{"code":2105}}',
 '{"method":"getClientStatus","error":{"code":2105}}',
 '{"apiVersion":"1.0","context":"c5","method":"configureClient","data":{}}',
 '{"method":"getClientStatus","data":{"config":{"clientId":"c5"}}}',
 '{"method":"getClientStatus","data":{"config":{"clientId":"c5"}}}']
--- response_body_like eval
[qr/^(?!.*"data")/s, qr/^(?!.*"data")/s, qr/^(?!.*"data")/s, qr/^(?!.*"data")/s,
 undef, undef, undef]



=== TEST 3: the typical use: auth_basic users mapped to Admin
--- init
open my $fh, '>', "$servroot/conf/htpasswd" or die $!;
print {$fh} "root:{PLAIN}rootpass\noperator:{PLAIN}oppass\n";
close $fh;
--- http_config
axis_mqtt_serial ACCC8E012345;
map $remote_user $axis_mqtt_is_admin {
    default  0;
    root     1;
}
--- config
location = /axis-cgi/mqtt/client.cgi {
    auth_basic            "gateway";
    auth_basic_user_file  $servroot/conf/htpasswd;
    axis_mqtt_client;
    axis_mqtt_admin       $axis_mqtt_is_admin;
}
--- raw_request eval
[main::raw_post(main::configure_body('anon')),
 main::raw_post(main::configure_body('op'), main::basic('operator', 'oppass')),
 main::raw_post(main::configure_body('by-root'), main::basic('root', 'rootpass')),
 main::raw_post(main::status_body(), main::basic('operator', 'oppass')),
 main::raw_post(main::status_body(), main::basic('root', 'rootpass'))]
--- error_code eval
[401, 200, 200, 200, 200]
--- response_json eval
[undef,
 '{"context":"op","error":{"code":2105}}',
 '{"context":"by-root","data":{}}',
 '{"error":{"code":2105}}',
 '{"data":{"config":{"clientId":"by-root"}}}']



=== TEST 4: Content-Length over axis_mqtt_max_request_size -> 2106; exactly the limit is fine
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi {
    axis_mqtt_client;
    axis_mqtt_max_request_size 1k;
}
--- raw_request eval
[main::raw_post(main::configure_body('fits', 1024)),
 main::raw_post(main::configure_body('one-too-many', 1025)),
 main::raw_post(main::configure_body('twice', 2048)),
 main::raw_post(main::status_body())]
--- response_headers
Content-Type: application/json
--- response_json eval
['{"context":"fits","method":"configureClient","data":{}}',
 '{"error":{"code":2106}}',
 '{"error":{"code":2106}}',
 '{"data":{"config":{"clientId":"fits"}}}']
--- response_body_like eval
[undef, qr/^(?!.*"data")/s, qr/^(?!.*"data")/s, undef]
--- state_file_like: "fits"



=== TEST 5: a chunked body over the limit -> 2106; a small chunked body works
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi {
    axis_mqtt_client;
    axis_mqtt_max_request_size 1k;
}
--- raw_request eval
[main::raw_chunked(main::configure_body('chunked-big', 2048), 300),
 main::raw_chunked(main::configure_body('chunked-small', 1000), 100),
 main::raw_chunked(main::configure_body('chunked-big2', 1025), 1025),
 main::raw_post(main::status_body())]
--- response_headers
Content-Type: application/json
--- response_json eval
['{"error":{"code":2106}}',
 '{"context":"chunked-small","method":"configureClient","data":{}}',
 '{"error":{"code":2106}}',
 '{"data":{"config":{"clientId":"chunked-small"}}}']
--- response_body_like eval
[qr/^(?!.*"data")/s, undef, qr/^(?!.*"data")/s, undef]



=== TEST 6: the default limit is 16k
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- raw_request eval
[main::raw_post(main::configure_body('sixteen-k', 16384)),
 main::raw_post(main::configure_body('over', 16385)),
 main::raw_chunked(main::configure_body('over-chunked', 16385), 4000),
 main::raw_post(main::status_body())]
--- response_json eval
['{"context":"sixteen-k","data":{}}',
 '{"error":{"code":2106}}',
 '{"error":{"code":2106}}',
 '{"data":{"config":{"clientId":"sixteen-k"}}}']



=== TEST 7: axis_mqtt_max_request_size at server level is inherited
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
axis_mqtt_max_request_size 1k;
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- raw_request eval
[main::raw_post(main::configure_body('big', 2048)),
 main::raw_post(main::configure_body('small', 1000))]
--- response_json eval
['{"error":{"code":2106}}', '{"context":"small","data":{}}']

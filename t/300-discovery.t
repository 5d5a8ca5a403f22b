# API Discovery (POST /axis-cgi/apidiscovery.cgi) with axis_mqtt_api_discovery:
#  - standalone (no proxy_pass): the gateway's own list, getSupportedVersions,
#    the error answers, 405 for other HTTP methods;
#  - merged (proxy_pass to a stand-in firmware, a second server{} in the same
#    nginx): the firmware's list plus mqtt-client exactly once, every other
#    entry and field untouched; whenever the firmware fails (refused, 404,
#    500, garbage, an error JSON, a timeout...) the gateway answers alone;
#    getSupportedVersions answered by the firmware passes through unchanged;
#    stale representation headers (ETag, Content-Encoding, Content-Length)
#    of the firmware's list do not survive the merge; both directive orders.
use strict;
use warnings;

use lib 't/lib';
use Test::AxisNginx;
use JSON::PP ();
use IO::Socket::INET;
use Time::HiRes qw(time);
use File::Temp ();

BEGIN { *subtest = \&Test::More::subtest }    # Test::Base does not export it

plan('no_plan');

my $MQTT_ENTRY = { id => 'mqtt-client', version => '1.0', name => 'MQTT Client API' };
my $JSON  = JSON::PP->new->canonical->allow_nonref;
my $TRUE  = JSON::PP::true;

# The gateway alone: its list has exactly the mqtt-client entry.
sub own_list_ok {
    my ($got, $label) = @_;
    my $list = eval { $got->{data}{apiList} };
    ok(ref $list eq 'ARRAY' && @$list == 1, "$label: exactly one entry")
        or return diag(Test::More::explain($got));
    my %e = %{ $list->[0] };
    is_deeply({ map { $_ => $e{$_} } qw(id version name) }, $MQTT_ENTRY,
              "$label: the mqtt-client entry");
    ok(defined $e{docLink} && !ref $e{docLink}, "$label: docLink is a string");
}

# ======================================================================
# Standalone: no proxy_pass in the location.

run_tests();

# ======================================================================
# Merged: a stand-in firmware in the same nginx, on its own port.

# What the firmware lists besides mqtt-client: fields of every kind, nested
# values, non-ASCII text, escapes, a number with a fraction; compared as
# values after the merge.
my @FW_ENTRIES = (
    '{"id":"basic-device-info","version":"1.1","name":"Basic Device Information",'
        . '"docLink":"https://example.invalid/doc?a=1&b=2","status":"official"}',
    '{"name":"Caf\u00e9 \"Z\u00fcrich\" \\\\ / tab\t","id":"x-vendor-thing",'
        . '"version":"2.10","docLink":"","extra":{"n":[1,2.5,-3,true,false,null],"e":{}}}',
);
my ($E1, $E2) = @FW_ENTRIES;
my $FW_TWO = '{"apiVersion":"1.0","context":"fw-ctx","method":"getApiList",'
           . '"fwExtra":{"k":[1,"two"]},"data":{"apiList":[' . "$E1,$E2" . '],"fwData":7}}';
my $FW_HAS_MQTT = '{"apiVersion":"1.0","context":"fw-ctx","method":"getApiList","data":{"apiList":['
    . "$E1," . '{"id":"mqtt-client","version":"1.0","name":"MQTT Client API","docLink":"fw-own-doc",'
    . '"status":"official"},' . "$E2]}}";
my $FW_VERSIONS = '{"apiVersion":"1.0","context":"fw-versions","method":"getSupportedVersions",'
                . '"data":{"apiVersions":["1.0","1.3","2.0"]},"fwMark":"distinctive body 42"}';
my $FW_ERROR = '{"apiVersion":"1.0","context":"fw","method":"getApiList",'
             . '"error":{"code":8000,"message":"Internal error"}}';
my $FW_NOT_ARRAY = '{"apiVersion":"1.0","method":"getApiList","data":{"apiList":{"id":"x"}}}';

# An nginx quoted string that nginx turns into exactly these bytes
# (no "$" in them: that would be a variable).
sub ngx_quote {
    my ($s) = @_;
    die "\$ in $s" if $s =~ /\$/;
    $s =~ s/\\/\\\\/g;
    $s =~ s/'/\\'/g;
    return "'$s'";
}
my %Q = (two => ngx_quote($FW_TWO), has_mqtt => ngx_quote($FW_HAS_MQTT),
         versions => ngx_quote($FW_VERSIONS), error => ngx_quote($FW_ERROR),
         not_array => ngx_quote($FW_NOT_ARRAY),
         truncated => ngx_quote('{"apiVersion":"1.0","method":"getApiList","data":{"apiList":[' . $E1));

my $fw_port   = free_port();
my $dead_port = free_port();      # nobody listens: connection refused

# A firmware that accepts the connection and never answers.
my $mute = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                 Proto => 'tcp', Listen => 16, ReuseAddr => 1)
    or die "listen: $!";
my $mute_port = $mute->sockport;

# A big firmware list (several of nginx's buffers), served as a static file.
my $big_dir = File::Temp::tempdir(CLEANUP => 1);
my @big_entries = map {
    sprintf '{"id":"big-api-%04d","version":"1.%d","name":"Big API %d %s","docLink":""}',
        $_, $_ % 10, $_, 'x' x 60
} 1 .. 2500;
{
    open my $fh, '>', "$big_dir/big.json" or die $!;
    print {$fh} '{"apiVersion":"1.0","method":"getApiList","data":{"apiList":['
        . join(',', @big_entries) . ']}}';
    close $fh;
    # larger than any API list: 1.5 MB
    open $fh, '>', "$big_dir/huge.json" or die $!;
    print {$fh} '{"apiVersion":"1.0","method":"getApiList","data":{"apiList":['
        . join(',', (@big_entries) x 7) . ']}}';
    close $fh;
}
cmp_ok(-s "$big_dir/big.json", '>', 200_000, 'the big list is big');
{
    open my $fh, '>', "$big_dir/htpasswd" or die $!;
    print {$fh} "root:{PLAIN}pass\n";
    close $fh;
}

my $http_config = <<"CONF";
server {
    listen        127.0.0.1:$fw_port;
    default_type  application/json;

    location = /fw/two         { return 200 $Q{two}; }
    location = /fw/has-mqtt    { return 200 $Q{has_mqtt}; }
    location = /fw/versions    { return 200 $Q{versions}; }
    location = /fw/error-json  { return 200 $Q{error}; }
    location = /fw/not-array   { return 200 $Q{not_array}; }
    location = /fw/404         { default_type text/plain; return 404 "not found on the camera\\n"; }
    location = /fw/500         { return 500 '{"error":"camera on fire"}'; }
    location = /fw/401 {
        add_header  WWW-Authenticate 'Digest realm="cam", nonce="abc", qop="auth"' always;
        add_header  Set-Cookie "fwsession=1" always;
        return 401;
    }
    location = /fw/302         { return 302 https://camera.invalid/login; }
    location = /fw/garbage     { default_type text/html; return 200 "<html><body>{ not json</body></html>"; }
    location = /fw/truncated   { return 200 $Q{truncated}; }
    location = /fw/empty       { return 200 ""; }

    # the list with representation headers of its own
    location = /fw/headers {
        add_header  ETag '"fw-etag-1234"' always;
        add_header  Last-Modified "Mon, 01 Jan 2018 00:00:00 GMT" always;
        add_header  Content-Encoding identity always;
        add_header  Accept-Ranges bytes always;
        add_header  X-Firmware-Header kept always;
        return 200 $Q{two};
    }

    # the list chunked (sub_filter drops the Content-Length)
    location = /fw/chunked {
        sub_filter        'basic-device-info' 'basic-device-info';
        sub_filter_types  application/json;
        return 200 $Q{two};
    }

    # static files answer POST with 405: serve them as GET
    location = /fw/big   { error_page 405 =200 /big.json;  return 405; }
    location = /fw/huge  { error_page 405 =200 /huge.json; return 405; }
    location ~ ^/(big|huge)\\.json\$ { root $big_dir; }

    # what the firmware was sent
    location = /fw/seen {
        return 200 '{"apiVersion":"1.0","method":"getApiList","data":{"apiList":[{"id":"seen","version":"1.0","name":"\$request_method \$http_content_type \$http_x_client","docLink":""}]}}';
    }
}
CONF

my $gw = sub {
    my ($path, $target, %o) = @_;
    my $extra = $o{extra} // '';
    return $o{before}
        ? "location = $path { axis_mqtt_api_discovery on; proxy_pass $target; $extra }\n"
        : "location = $path { proxy_pass $target; axis_mqtt_api_discovery on; $extra }\n";
};
my $fw = "http://127.0.0.1:$fw_port";
my $config = join '',
    # as in conf/gateway.conf
    "location = /axis-cgi/apidiscovery.cgi {\n"
  . "    axis_mqtt_api_discovery on;\n"
  . "    proxy_pass $fw/fw/two;\n"
  . "    proxy_http_version 1.1;\n"
  . "    proxy_set_header Connection \"\";\n"
  . "    proxy_set_header Accept-Encoding \"\";\n"
  . "}\n",
    $gw->('/d/two-after',   "$fw/fw/two"),
    $gw->('/d/two-before',  "$fw/fw/two", before => 1),
    (map { $gw->("/d/$_", "$fw/fw/$_") }
         qw(has-mqtt versions error-json not-array 404 500 401 302 garbage truncated
            empty headers chunked big huge seen)),
    $gw->('/d/refused', "http://127.0.0.1:$dead_port/axis-cgi/apidiscovery.cgi"),
    $gw->('/d/timeout', "http://127.0.0.1:$mute_port/axis-cgi/apidiscovery.cgi",
          extra => 'proxy_read_timeout 1s;'),
    $gw->('/d/unbuffered', "$fw/fw/two", extra => 'proxy_request_buffering off;'),
    # through a named upstream, as the shipped config does
    "location = /d/upstream { axis_mqtt_api_discovery on; proxy_pass http://fw_up/fw/two; }\n",
    # nginx's own refusals, before the body is read
    $gw->('/d/auth', "$fw/fw/two",
          extra => "auth_basic \"gateway\"; auth_basic_user_file $big_dir/htpasswd;"),
    $gw->('/d/deny', "$fw/fw/two", extra => 'deny all;'),
    $gw->('/d/small', "$fw/fw/two", extra => 'client_max_body_size 16;'),
    # the module's off switch: the firmware's answer untouched
    "location = /d/off { axis_mqtt_api_discovery off; proxy_pass $fw/fw/two; }\n",
    # the plain firmware, for comparison
    "location /fw/ { proxy_pass $fw; }\n";

my $nginx = start_nginx(http_config => $http_config
                                     . "upstream fw_up { server 127.0.0.1:$fw_port; keepalive 2; }\n",
                        config => $config);
my $port = $nginx->{port};

# POST a discovery request (hashref or raw string): (decoded or undef, response)
sub disc {
    my ($path, $req, $headers) = @_;
    my $body = ref $req ? $JSON->encode($req) : $req;
    my $res = http_post($port, $path, $body,
                        { 'Content-Type' => 'application/json', %{ $headers // {} } });
    my $data = eval { JSON::PP->new->utf8->decode($res->content) };
    return ($data, $res);
}

my $LIST = { apiVersion => '1.0', context => 'Axis library', method => 'getApiList' };
my $fw_two = JSON::PP->new->decode($FW_TWO);

# The merged answer: the firmware's document, mqtt-client appended once.
sub merged_ok {
    my ($path, $label, %o) = @_;
    my ($got, $res) = disc($path, $o{request} // $LIST);
    subtest $label => sub {
        is($res->code, 200, 'HTTP 200') or diag($res->as_string);
        like($res->header('Content-Type') // '', qr{^application/json\b}, 'application/json');
        ok($got, 'JSON') or return diag($res->content);
        my $list = $got->{data}{apiList};
        is(ref $list, 'ARRAY', 'data.apiList') or return diag(Test::More::explain($got));
        my @fw = @{ $o{firmware}{data}{apiList} };
        is(scalar @$list, @fw + 1, scalar(@fw) . ' firmware entries + mqtt-client');
        for my $i (0 .. $#fw) {
            is($JSON->encode($list->[$i]), $JSON->encode($fw[$i]),
               "firmware entry $i unchanged (values and JSON types)");
        }
        my @mqtt = grep { ($_->{id} // '') eq 'mqtt-client' } @$list;
        is(scalar @mqtt, 1, 'mqtt-client exactly once');
        is_deeply({ map { $_ => $mqtt[0]{$_} } qw(id version name) }, $MQTT_ENTRY,
                  'the mqtt-client entry') if @mqtt;
        # everything else of the firmware's document is kept
        my $rest    = JSON::PP->new->decode($JSON->encode($got));
        my $fw_rest = JSON::PP->new->decode($JSON->encode($o{firmware}));
        delete $_->{data}{apiList} for $rest, $fw_rest;
        is($JSON->encode($rest), $JSON->encode($fw_rest),
           'the firmware\'s other fields unchanged');
        $o{more}->($got, $res) if $o{more};
    };
    return ($got, $res);
}

merged_ok('/axis-cgi/apidiscovery.cgi', 'gateway.conf location: 2 firmware entries + mqtt-client',
          firmware => $fw_two);
merged_ok('/d/two-after', 'proxy_pass, then axis_mqtt_api_discovery on: merged',
          firmware => $fw_two);
merged_ok('/d/two-before', 'axis_mqtt_api_discovery on, then proxy_pass: merged',
          firmware => $fw_two);
merged_ok('/d/upstream', 'through an upstream{} with keepalive: merged', firmware => $fw_two);
merged_ok('/d/chunked', 'a chunked firmware answer: merged', firmware => $fw_two);
merged_ok('/d/two-after', 'a request without context: merged',
          firmware => $fw_two, request => { apiVersion => "1.0", method => "getApiList" });
merged_ok('/d/unbuffered', 'proxy_request_buffering off: merged', firmware => $fw_two);

# the same request again on one connection (keepalive to the upstream) and
# from several requests in a row: always one mqtt-client
for my $n (1 .. 3) {
    my ($got) = disc('/d/upstream', $LIST);
    is(scalar(grep { $_->{id} eq 'mqtt-client' } @{ $got->{data}{apiList} // [] }), 1,
       "repeated request $n: mqtt-client once");
}

{
    my ($got, $res) = disc('/d/has-mqtt', $LIST);
    my $fw = JSON::PP->new->decode($FW_HAS_MQTT);
    subtest 'the firmware lists mqtt-client already: its list as it is, nothing added' => sub {
        is($res->code, 200, 'HTTP 200');
        my $list = ($got // {})->{data}{apiList};
        is(ref $list, 'ARRAY', 'data.apiList') or return diag($res->content);
        is(scalar(grep { $_->{id} eq 'mqtt-client' } @$list), 1, 'mqtt-client exactly once');
        is($JSON->encode($list), $JSON->encode($fw->{data}{apiList}),
           'the list is exactly the firmware\'s (its own mqtt-client entry, in place)');
        delete $_->{data} for $got, $fw;
        is($JSON->encode($got), $JSON->encode($fw), 'the other fields are the firmware\'s');
    };
}

{
    my ($got, $res) = disc('/d/big', $LIST);
    my $list = ($got // {})->{data}{apiList} // [];
    subtest 'a big firmware list (> 200 KB): merged' => sub {
        is($res->code, 200, 'HTTP 200');
        is(scalar @$list, @big_entries + 1, 'all entries + mqtt-client');
        is($JSON->encode([@$list[0 .. $#big_entries]]),
           $JSON->encode([map { JSON::PP->new->decode($_) } @big_entries]),
           'the firmware entries unchanged');
        is(($list->[-1] // {})->{id}, 'mqtt-client', 'mqtt-client last');
        is($res->header('Content-Length'), length $res->content, 'Content-Length');
    };
}

{
    my ($got, $res) = disc('/d/huge', $LIST);
    subtest 'a firmware answer larger than any API list: still one mqtt-client, 200 JSON' => sub {
        is($res->code, 200, 'HTTP 200');
        like($res->header('Content-Type') // '', qr{^application/json\b}, 'application/json');
        my $list = ($got // {})->{data}{apiList} // [];
        is(scalar(grep { $_->{id} eq 'mqtt-client' } @$list), 1, 'mqtt-client once');
    };
}

# the firmware fails: the gateway's own list, 200, application/json, the
# client's context echoed
for my $case (['refused', 'connection refused (502)'],
              ['timeout', 'no answer in proxy_read_timeout (504)'],
              ['404', '404 text/plain'],
              ['500', '500 with a JSON body'],
              ['401', '401 with its own challenge and a cookie'],
              ['302', '302 to a login page'],
              ['garbage', '200 garbage'],
              ['truncated', '200 truncated JSON'],
              ['empty', '200 empty body'],
              ['error-json', '200 {"error":...}'],
              ['not-array', '200 apiList not an array'],
              ['versions', '200 a getSupportedVersions answer to getApiList']) {
    my ($path, $what) = @$case;
    my $t0 = time;
    my ($got, $res) = disc("/d/$path", { %$LIST, context => "ctx-$path" });
    subtest "firmware fails ($what): the gateway answers alone" => sub {
        is($res->code, 200, 'HTTP 200') or diag($res->as_string);
        like($res->header('Content-Type') // '', qr{^application/json\b}, 'application/json');
        # headers of the firmware's failed answer do not belong to the
        # gateway's 200
        ok(!defined $res->header($_), "no $_ of the failed firmware answer")
            or diag("$_: " . $res->header($_))
            for qw(WWW-Authenticate Set-Cookie Location);
        is($res->header('Content-Length'), length $res->content, 'Content-Length matches the body');
        ok($got, 'JSON') or return diag($res->content);
        is($got->{apiVersion}, '1.0', 'apiVersion');
        is($got->{context}, "ctx-$path", 'context echoed');
        is($got->{method}, 'getApiList', 'method');
        own_list_ok($got, 'own list');
        ok(!exists $got->{error}, 'no error');
    };
    cmp_ok(time - $t0, '<', 5, "firmware fails ($what): answered in time");
}

# getSupportedVersions: the firmware's 200 passes through byte for byte
{
    my $req = { context => 'Axis library', method => 'getSupportedVersions' };
    my ($got, $res) = disc('/d/versions', $req);
    is($res->code, 200, 'getSupportedVersions answered by the firmware: 200');
    is($res->content, $FW_VERSIONS, 'getSupportedVersions: the firmware\'s body unchanged');
    like($res->header('Content-Type') // '', qr{^application/json\b}, '... application/json');

    for my $path (qw(404 500 refused timeout)) {
        my ($v, $r) = disc("/d/$path", { %$req, context => "v-$path" });
        is($r->code, 200, "getSupportedVersions, firmware $path: 200");
        is($JSON->encode($v),
           $JSON->encode({ apiVersion => '1.0', context => "v-$path",
                           method => 'getSupportedVersions', data => { apiVersions => ['1.0'] } }),
           "getSupportedVersions, firmware $path: the gateway's answer")
            or diag($r->as_string);
    }
}

# Representation headers of the firmware's list do not describe the merge.
{
    # read to EOF to see the real length of the body
    my $body = $JSON->encode($LIST);
    my $raw = "POST /d/headers HTTP/1.0\r\nHost: localhost\r\nContent-Type: application/json\r\n"
            . 'Content-Length: ' . length($body) . "\r\n\r\n$body";
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Timeout => 10)
        or die "connect: $!";
    print {$s} $raw;
    local $/;
    my $reply = <$s> // '';
    close $s;
    my ($head, $content) = split /\r\n\r\n/, $reply, 2;
    $content //= '';
    my %h;
    for (split /\r\n/, $head // '') {
        $h{lc $1} = $2 if /^([^:]+):\s*(.*)$/;
    }
    subtest 'firmware list with ETag, Content-Encoding, Last-Modified, Accept-Ranges' => sub {
        like($head // '', qr{^HTTP/1\.1 200 }, 'HTTP 200');
        is($h{'content-length'}, length $content, 'Content-Length is the merged body\'s length')
            or diag($reply);
        ok(!exists $h{etag}, 'no (stale) ETag') or diag("ETag: $h{etag}");
        ok(!exists $h{'content-encoding'} || $h{'content-encoding'} eq 'identity',
           'no Content-Encoding of the firmware\'s bytes');
        ok(!exists $h{'accept-ranges'}, 'no Accept-Ranges (ranges of a different body)');
        like($h{'content-type'} // '', qr{^application/json\b}, 'application/json');
        my $got = eval { JSON::PP->new->utf8->decode($content) };
        ok($got, 'the body is JSON') or diag($content);
        is(scalar(grep { $_->{id} eq 'mqtt-client' } @{ $got->{data}{apiList} // [] }), 1,
           'merged');
        is($h{'x-firmware-header'}, 'kept', 'other firmware headers kept');
    };
    # ... and as the firmware sent them, to show the test is meaningful
    my $plain = http_post($port, '/fw/headers', $body);
    is($plain->header('ETag'), '"fw-etag-1234"', 'the firmware itself sends an ETag');
}

# The firmware is sent the client's request as it came.
{
    my ($got, $res) = disc('/d/seen', $LIST, { 'X-Client' => 'axis-lib' });
    is(($got->{data}{apiList}[0] // {})->{name}, 'POST application/json axis-lib',
       'the firmware got the POST with its headers');
}

# nginx's own refusals (authentication, access, size) are not the firmware's
# failures: they reach the client as they are, never as a 200.
{
    my $body = $JSON->encode($LIST);
    my $res = http_post($port, '/d/auth', $body);
    subtest 'auth_basic in the location, no credentials: 401 with the challenge, not a 200' => sub {
        is($res->code, 401, 'HTTP 401') or diag($res->as_string);
        is($res->header('WWW-Authenticate'), 'Basic realm="gateway"', 'the Basic challenge');
        unlike($res->content, qr/"apiVersion"/, 'no API answer');
    };
    my ($got, $res2) = disc('/d/auth', $LIST, { Authorization => 'Basic cm9vdDpwYXNz' });
    is(scalar(grep { $_->{id} eq 'mqtt-client' } @{ ($got // {})->{data}{apiList} // [] }), 1,
       'auth_basic in the location, root:pass: merged');
    $res = http_post($port, '/d/auth', $body, { Authorization => 'Basic cm9vdDp3cm9uZw==' });
    is($res->code, 401, 'auth_basic in the location, a wrong password: 401');
    $res = http_post($port, '/d/deny', $body);
    is($res->code, 403, 'deny all in the location: 403') or diag($res->as_string);
    $res = http_post($port, '/d/small', $body);
    is($res->code, 413, 'a body over client_max_body_size: 413') or diag($res->as_string);
}

# The off switch: the firmware's answer untouched.
{
    my $res = http_post($port, '/d/off', $JSON->encode($LIST));
    is($res->content, $FW_TWO, 'axis_mqtt_api_discovery off: the firmware\'s answer unchanged');
}

# Other HTTP methods go to the firmware untouched when it is there.
{
    my $res = Test::AxisNginx::_http($port, 'GET', '/d/two-after');
    is($res->code . ' ' . $res->content, "200 $FW_TWO", 'GET with proxy_pass: the firmware answers');
}

# A wrong request that the firmware does not answer: the gateway's error.
{
    my ($got) = disc('/d/404', '{"apiVersion":"1.0","method":"getApiList"');
    is(($got // {})->{error}{code}, 2101, 'merged location, bad JSON, firmware 404: 2101');
    ($got) = disc('/d/404', { apiVersion => '1.0', method => 'noSuchMethod', context => 'm' });
    is(($got // {})->{error}{code}, 2102, 'merged location, unknown method, firmware 404: 2102');
    is(($got // {})->{context}, 'm', '... context echoed');
}

like(error_log_text($nginx), qr/axis_mqtt: the firmware gave no API list/,
     'the fallback is logged');
unlike(error_log_text($nginx), qr/\[(alert|crit|emerg)\]/, 'no alert, crit or emerg');
is(stop_nginx($nginx), 0, 'nginx stops cleanly');
close $mute;

__DATA__

=== TEST 1: standalone getApiList: apiVersion and context echoed, only mqtt-client
--- config
location = /axis-cgi/apidiscovery.cgi { axis_mqtt_api_discovery on; }
--- request
POST /axis-cgi/apidiscovery.cgi
{"apiVersion":"1.0","context":"Axis library","method":"getApiList"}
--- response_headers
Content-Type: application/json
--- response_json
{"apiVersion":"1.0","context":"Axis library","method":"getApiList",
 "data":{"apiList":[{"id":"mqtt-client","version":"1.0","name":"MQTT Client API"}]}}
--- check
my $res = http_post($port, '/axis-cgi/apidiscovery.cgi',
                    '{"apiVersion":"1.0","context":"Axis library","method":"getApiList"}');
my $got = JSON::PP->new->decode($res->content);
is_deeply([sort keys %$got], [qw(apiVersion context data method)], 'top-level keys');
is_deeply([sort keys %{ $got->{data} }], ['apiList'], 'data keys');
is_deeply([sort keys %{ $got->{data}{apiList}[0] }], [qw(docLink id name version)],
          'entry keys: id, version, name, docLink');
is($res->header('Content-Length'), length $res->content, 'Content-Length');
--- no_error_log
[alert]
[crit]
[emerg]



=== TEST 2: standalone getApiList without context: none echoed
--- config
location = /axis-cgi/apidiscovery.cgi { axis_mqtt_api_discovery on; }
--- request
POST /axis-cgi/apidiscovery.cgi
{"apiVersion":"1.0","method":"getApiList"}
--- check
my $got = JSON::PP->new->decode(http_post($port, '/axis-cgi/apidiscovery.cgi',
                                          '{"apiVersion":"1.0","method":"getApiList"}')->content);
ok(!exists $got->{context}, 'no context');
is($got->{apiVersion}, '1.0', 'apiVersion');
is(scalar @{ $got->{data}{apiList} }, 1, 'one entry');



=== TEST 3: standalone getSupportedVersions without apiVersion
--- config
location = /axis-cgi/apidiscovery.cgi { axis_mqtt_api_discovery on; }
--- request
POST /axis-cgi/apidiscovery.cgi
{"context":"Axis library","method":"getSupportedVersions"}
--- response_headers
Content-Type: application/json
--- response_json_exact
{"apiVersion":"1.0","context":"Axis library","method":"getSupportedVersions",
 "data":{"apiVersions":["1.0"]}}



=== TEST 4: standalone unknown method: 2102, method and context echoed
--- config
location = /axis-cgi/apidiscovery.cgi { axis_mqtt_api_discovery on; }
--- request
POST /axis-cgi/apidiscovery.cgi
{"apiVersion":"1.0","context":"c4","method":"getClientStatus"}
--- response_headers
Content-Type: application/json
--- response_json
{"apiVersion":"1.0","context":"c4","method":"getClientStatus","error":{"code":2102}}
--- check
my $got = JSON::PP->new->decode(http_post($port, '/axis-cgi/apidiscovery.cgi',
    '{"apiVersion":"1.0","context":"c4","method":"getClientStatus"}')->content);
ok(!exists $got->{data}, 'no data next to the error');
like($got->{error}{message} // '', qr/\S/, 'an error message');



=== TEST 5: standalone invalid JSON: 2101
--- config
location = /axis-cgi/apidiscovery.cgi { axis_mqtt_api_discovery on; }
--- request eval
["POST /axis-cgi/apidiscovery.cgi\n{\"apiVersion\":\"1.0\",\"method\":\"getApiList\"",
 "POST /axis-cgi/apidiscovery.cgi\nnot json at all",
 "POST /axis-cgi/apidiscovery.cgi\n[\"getApiList\"]",
 "POST /axis-cgi/apidiscovery.cgi\n"]
--- response_headers
Content-Type: application/json
--- response_json eval
['{"error":{"code":2101}}', '{"error":{"code":2101}}', '{"error":{"code":2101}}',
 '{"error":{"code":2101}}']



=== TEST 6: standalone GET, PUT, DELETE: 405 with Allow: POST
--- config
location = /axis-cgi/apidiscovery.cgi { axis_mqtt_api_discovery on; }
--- request eval
["GET /axis-cgi/apidiscovery.cgi", "PUT /axis-cgi/apidiscovery.cgi\n{}",
 "DELETE /axis-cgi/apidiscovery.cgi"]
--- error_code: 405
--- response_headers
Allow: POST



=== TEST 7: standalone: a large request body (in a temp file) is read
--- config
location = /axis-cgi/apidiscovery.cgi {
    axis_mqtt_api_discovery on;
    client_body_buffer_size 1k;
}
--- request eval
["POST /axis-cgi/apidiscovery.cgi\n{\"apiVersion\":\"1.0\",\"context\":\"" . ("p" x 20000) . "\",\"method\":\"getApiList\"}"]
--- response_json eval
['{"apiVersion":"1.0","method":"getApiList","data":{"apiList":[{"id":"mqtt-client"}]}}']
--- check
my $res = http_post($port, '/axis-cgi/apidiscovery.cgi',
    '{"apiVersion":"1.0","context":"' . ('p' x 20000) . '","method":"getApiList"}');
is(length(JSON::PP->new->decode($res->content)->{context}), 20000, 'long context echoed');



=== TEST 8: standalone: a wrong apiVersion is refused (2100)
--- config
location = /axis-cgi/apidiscovery.cgi { axis_mqtt_api_discovery on; }
--- request
POST /axis-cgi/apidiscovery.cgi
{"apiVersion":"2.0","context":"v","method":"getApiList"}
--- response_json
{"context":"v","method":"getApiList","error":{"code":2100}}



=== TEST 9: axis_mqtt_api_discovery off: nothing answers (404 of the location)
--- config
location = /axis-cgi/apidiscovery.cgi { axis_mqtt_api_discovery off; }
--- request
POST /axis-cgi/apidiscovery.cgi
{"apiVersion":"1.0","method":"getApiList"}
--- error_code: 404

# configureClient in depth: defaults (port by protocol, intervals, prefix),
# "configure replaces everything", message objects, unknown fields,
# activateOnReboot, ssl with tcp, exact UTF-8 strings, long strings, the
# password (masked, never echoed or logged, keepExistingPassword).
use strict;
use warnings;

use lib 't/lib';
use Test::AxisNginx;
use Test::AxisNginx::Client;    # $CGI $JU $T $F, defaults, status_reply, cgi, call, ...

$ENV{TEST_NGINX_DEAD_PORT} = free_port();

plan('no_plan');
run_tests();

# ------------------------------------------------ hand-written tests

sub get_status { call($_[0], { apiVersion => '1.0', method => 'getClientStatus' }) }

sub do_configure {
    my ($port, $params) = @_;
    return call($port, { apiVersion => '1.0', method => 'configureClient', params => $params });
}

my $conf = "location = $CGI { axis_mqtt_client; client_body_buffer_size 1k; }";

# ---- exact UTF-8 strings, everywhere a string is kept
{
    my $h = start_nginx(http_config => 'axis_mqtt_serial ACCC8E012345;', config => $conf);
    my $port = $h->{port};
    my $weird = "Gr\x{fc}\x{df}e \x{96ea} \x{1F680} \"quoted\" back\\slash tab\t nl\n end";
    my $params = {
        server => { protocol => 'ws', host => "br\x{f6}ker.example", port => 8080,
                    basepath => "/mqtt/\x{e9}t\x{e9}" },
        username => "J\x{f6}rg \x{96ea}", clientId => "cl\x{ef}ent-\x{1F680}",
        deviceTopicPrefix => "caf\x{e9}/\x{2603}",
        lastWillTestament => { useDefault => $F, topic => "t/\x{e5}\x{e4}\x{f6}",
                               message => $weird, retain => $F, qos => 0 },
        connectMessage => { useDefault => $F, topic => "t/\x{1F600}",
                            message => '{"json":"inside","n":1}', retain => $T, qos => 2 },
        disconnectMessage => { useDefault => $F, topic => 'bye', message => '',
                               retain => $T, qos => 1 },
    };
    my ($d, $res) = do_configure($port, $params);
    is_deeply($d, { apiVersion => '1.0', method => 'configureClient', data => {} },
              'UTF-8 configure accepted') or diag($res->content);
    my $st = get_status($port);
    my $want = defaults(protocol => 'ws', host => "br\x{f6}ker.example", port => 8080,
                        basepath => "/mqtt/\x{e9}t\x{e9}");
    $want->{$_} = $params->{$_}
        for qw(username clientId deviceTopicPrefix lastWillTestament connectMessage
               disconnectMessage);
    is_deeply($st, status_reply($want), 'UTF-8 strings come back exactly')
        or diag($JU->encode($st));
    my $saved = saved_config(state_file_of($h));
    is($saved && $saved->{lastWillTestament}{message}, $weird, 'and are saved exactly');
    is($saved && $saved->{username}, "J\x{f6}rg \x{96ea}", 'username saved exactly');
    stop_nginx($h);
}

# ---- long strings: stored whole or refused, never cut
{
    my $h = start_nginx(http_config => 'axis_mqtt_serial ACCC8E012345;', config => $conf);
    my $port = $h->{port};
    my $server = { protocol => 'tcp', host => 'b' };

    # 255 bytes is the spec's maximum for alpnProtocol and the proxies
    my $p255 = { server => { %$server, protocol => 'ssl', alpnProtocol => 'x' x 255 },
                 httpProxy => 'http://' . ('p' x 248), httpsProxy => 'q' x 255 };
    my $d = do_configure($port, $p255);
    is_deeply($d->{data}, {}, '255-byte alpnProtocol and proxies accepted');
    my $st = get_status($port)->{data}{config};
    is($st->{server}{alpnProtocol}, 'x' x 255, '255-byte alpnProtocol kept whole');
    is($st->{httpProxy}, 'http://' . ('p' x 248), '255-byte httpProxy kept whole');
    is($st->{httpsProxy}, 'q' x 255, '255-byte httpsProxy kept whole');

    # multi-byte: 85 x 3 bytes = 255 bytes is fine; one more character is not
    $d = do_configure($port, { server => { %$server, alpnProtocol => "\x{20ac}" x 85 } });
    is_deeply($d->{data}, {}, '255 bytes of UTF-8 alpnProtocol accepted');
    is(get_status($port)->{data}{config}{server}{alpnProtocol}, "\x{20ac}" x 85,
       'multi-byte alpnProtocol kept whole');
    $d = do_configure($port, { server => { %$server, alpnProtocol => "\x{20ac}" x 86 } });
    is($d->{error}{code}, 2104, '258 bytes of UTF-8 alpnProtocol refused (bytes, not chars)');

    # a big valid request, read by nginx through a temp file
    my $payload = join '', map { chr(0x41 + $_ % 26) } 1 .. 4000;
    my %big = (server => $server, username => 'u' x 1000, clientId => 'c' x 1000,
               lastWillTestament => { useDefault => $F, topic => 't' x 1000,
                                      message => $payload, retain => $T, qos => 1 });
    $d = do_configure($port, \%big);
    is_deeply($d->{data}, {}, '8k configure through a temp file accepted');
    $st = get_status($port)->{data}{config};
    is($st->{username}, 'u' x 1000, '1000-byte username kept whole');
    is($st->{clientId}, 'c' x 1000, '1000-byte clientId kept whole');
    is($st->{lastWillTestament}{topic}, 't' x 1000, '1000-byte topic kept whole');
    is($st->{lastWillTestament}{message}, $payload, '4000-byte message kept whole');

    # too long to keep: refused, the previous configuration stays
    for my $case (['username', { username => 'v' x 5000 }],
                  ['clientId', { clientId => 'w' x 5000 }],
                  ['deviceTopicPrefix', { deviceTopicPrefix => 'x' x 5000 }],
                  ['message', { connectMessage => { useDefault => $F, topic => 't',
                                 message => 'm' x 12000, retain => $F, qos => 0 } }]) {
        my ($name, $extra) = @$case;
        my ($r, $res) = do_configure($port, { server => $server, %$extra });
        if ($r->{data}) {
            my $got = get_status($port)->{data}{config};
            my ($k) = keys %$extra;
            is_deeply($got->{$k}, $extra->{$k}, "very long $name: stored whole");
        } else {
            is($r->{error}{code}, 2104, "very long $name: refused with 2104")
                or diag($res->content);
            is(get_status($port)->{data}{config}{lastWillTestament}{message}, $payload,
               "very long $name: previous configuration kept");
        }
    }

    # a NUL inside a string cannot be kept in C strings: refused, not cut
    my ($r) = call($port, '{"apiVersion":"1.0","method":"configureClient","params":'
                        . '{"server":{"protocol":"tcp","host":"b"},"username":"ab\u0000cd"}}');
    ok($r->{error} && grep({ $r->{error}{code} == $_ } 2101, 2103, 2104),
       'NUL in a string is refused') or diag($JU->encode($r));
    is(get_status($port)->{data}{config}{username}, 'u' x 1000, 'and nothing changed');
    stop_nginx($h);
}

# ---- the password: masked, write-only, keepExistingPassword
{
    my $h = start_nginx(http_config => 'axis_mqtt_serial ACCC8E012345;', config => $conf);
    my $port = $h->{port};
    my $file = state_file_of($h);
    my $server = { protocol => 'tcp', host => '127.0.0.1', port => 0 + $ENV{TEST_NGINX_DEAD_PORT} };
    my @secrets = map { "S3cr3t-$_-pw" } qw(one two three four five six);
    my @bodies;
    my $cfg = sub {
        my ($d, $res) = do_configure($port, { server => $server, @_ });
        push @bodies, $res->content;
        is_deeply($d->{data}, {}, 'configure ' . join(' ', map { $_ // 'null' } @_))
            or diag($res->content);
    };
    my $pw = sub {
        my ($d, $res) = get_status($port);
        push @bodies, $res->content;
        return $d->{data}{config}{password};
    };

    $cfg->(password => $secrets[0], username => 'u1');
    is($pw->(), '*****', 'a set password is shown as *****');
    my $mode = (stat $file)[2] & 07777;
    is(sprintf('%04o', $mode), '0600', 'state file is 0600');
    like(slurp($file), qr/\Q$secrets[0]\E/, 'state file has the password');

    $cfg->(password => $secrets[1], keepExistingPassword => $T, username => 'u2');
    is($pw->(), '*****', 'keepExistingPassword true: still set');
    my $text = slurp($file);
    like($text, qr/\Q$secrets[0]\E/, 'keepExistingPassword true keeps the saved password');
    unlike($text, qr/\Q$secrets[1]\E/, 'and ignores the given one');
    like($text, qr/"u2"/, 'while the rest is replaced');

    $cfg->(password => $secrets[2], keepExistingPassword => $F);
    is($pw->(), '*****', 'keepExistingPassword false with a password: set');
    $text = slurp($file);
    like($text, qr/\Q$secrets[2]\E/, 'the new password is saved');
    unlike($text, qr/\Q$secrets[0]\E/, 'the old one is gone');

    $cfg->(keepExistingPassword => $F);
    my $p = $pw->();
    ok(!defined $p || $p eq '', 'keepExistingPassword false without password clears it')
        or diag("password: $p");
    unlike(slurp($file), qr/\Q$secrets[2]\E/, 'cleared in the state file');

    $cfg->(password => $secrets[3], keepExistingPassword => $T);
    $p = $pw->();
    ok(!defined $p || $p eq '', 'keepExistingPassword true with nothing saved: none');
    unlike(slurp($file), qr/\Q$secrets[3]\E/, 'the given password is ignored');

    $cfg->(password => $secrets[4]);
    is($pw->(), '*****', 'password without keepExistingPassword: set');
    $cfg->(username => 'no-password-now');
    $p = $pw->();
    ok(!defined $p || $p eq '', 'a configure without password clears it (default false)');
    unlike(slurp($file), qr/\Q$secrets[4]\E/, 'cleared in the state file');

    $cfg->(password => '');
    $p = $pw->();
    ok(!defined $p || $p eq '', 'an empty password is no password');

    # the bridge uses the password when it connects (to a closed port here)
    $cfg->(password => $secrets[5], username => 'u6', keepExistingPassword => $F);
    my ($d, $res) = call($port, { apiVersion => '1.0', method => 'activateClient' });
    push @bodies, $res->content;
    is_deeply($d->{data}, {}, 'activated with a password');
    is($pw->(), '*****', 'active: still masked');
    select(undef, undef, undef, 0.5);    # let the owner try to connect and log it
    ($d, $res) = call($port, { apiVersion => '1.0', method => 'deactivateClient' });
    push @bodies, $res->content;
    like(slurp($file), qr/\Q$secrets[5]\E/, 'state file has the current password');

    is(stop_nginx($h), 0, 'nginx stopped');
    my $all = join "\n", @bodies;
    my $log = error_log_text($h);
    like($log, qr/\[debug\]/, 'error.log has debug lines');
    for my $s (@secrets) {
        unlike($all, qr/\Q$s\E/, "no response shows $s");
        unlike($log, qr/\Q$s\E/, "error.log never shows $s");
    }
}

__DATA__

=== TEST 1: the port defaults by protocol; a given port wins
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- request eval
[map { (main::configure({ server => { protocol => $_->[0], host => 'h', $_->[1] ? (port => $_->[1]) : () } }),
        main::status()) }
     ['tcp'], ['ssl'], ['ws'], ['wss'], ['ssl', 1883], ['tcp', 65535], ['ws', 1]]
--- response_json eval
[map { ('{"data":{}}',
        qq{{"data":{"config":{"server":{"protocol":"$_->[0]","host":"h","port":$_->[1]}}}}}) }
     ['tcp', 1883], ['ssl', 8883], ['ws', 80], ['wss', 443], ['ssl', 1883], ['tcp', 65535], ['ws', 1]]



=== TEST 2: only a broker given: every other field takes its default
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- request eval
[main::configure({ server => { protocol => 'wss', host => 'broker.example' } }),
 main::status()]
--- response_json_exact eval
['{"apiVersion":"1.0","method":"configureClient","data":{}}',
 main::status_reply(main::defaults(protocol => 'wss', host => 'broker.example', port => 443))]



=== TEST 3: configure REPLACES the whole configuration: absent fields go back to defaults
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- request eval
[main::configure({
    server => { protocol => 'wss', host => 'first.example', port => 9443,
                basepath => '/mqtt', alpnProtocol => 'mqtt' },
    httpProxy => 'http://proxy:3128', httpsProxy => 'proxy:3129',
    username => 'first-user', password => 'first-pass', clientId => 'first-id',
    keepAliveInterval => 5, connectTimeout => 6, cleanSession => $JSON::PP::false,
    autoReconnect => $JSON::PP::false, activateOnReboot => $JSON::PP::false,
    deviceTopicPrefix => 'first/prefix',
    lastWillTestament => { useDefault => $JSON::PP::true },
    connectMessage => { useDefault => $JSON::PP::true },
    disconnectMessage => { useDefault => $JSON::PP::true },
    ssl => { validateServerCert => $JSON::PP::false, clientCertID => 'cc', CACertID => 'ca' } }),
 main::configure({ server => { protocol => 'tcp', host => 'second.example' } }),
 main::status()]
--- response_json_exact eval
['{"apiVersion":"1.0","method":"configureClient","data":{}}',
 '{"apiVersion":"1.0","method":"configureClient","data":{}}',
 main::status_reply(main::defaults(host => 'second.example'))]
--- state_file_mode: 0600
--- check
my $text = do { local (@ARGV, $/) = state_file_of($nginx); <> };
unlike($text, qr/first/, 'nothing of the first configuration is left in the state file');



=== TEST 4: message objects: useDefault true keeps only useDefault, false keeps all, absent is absent
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- request eval
[main::configure({
    server => { protocol => 'tcp', host => 'h' },
    lastWillTestament => { useDefault => $JSON::PP::true, topic => 'ignored/topic',
                           message => 'ignored', retain => $JSON::PP::false, qos => 0 },
    connectMessage => { useDefault => $JSON::PP::false, topic => 'cam/up',
                        message => 'up', retain => $JSON::PP::false, qos => 0 } }),
 main::status(),
 main::configure({
    server => { protocol => 'tcp', host => 'h' },
    disconnectMessage => { useDefault => $JSON::PP::true } }),
 main::status()]
--- response_json_exact eval
my $T = $JSON::PP::true;
my $F = $JSON::PP::false;
my $one = main::defaults(host => 'h');
$one->{lastWillTestament} = { useDefault => $T };
$one->{connectMessage} = { useDefault => $F, topic => 'cam/up', message => 'up',
                           retain => $F, qos => 0 };
my $two = main::defaults(host => 'h');
$two->{disconnectMessage} = { useDefault => $T };
[undef, main::status_reply($one), undef, main::status_reply($two)]



=== TEST 5: unknown fields are ignored; activateOnReboot false is saved and echoed
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- request eval
["POST /axis-cgi/mqtt/client.cgi
{\"apiVersion\":\"1.0\",\"method\":\"configureClient\",\"extra\":[1,2],
 \"params\":{\"server\":{\"protocol\":\"tcp\",\"host\":\"h\",\"weight\":3},
   \"activateOnReboot\":false,\"futureOption\":{\"a\":1},\"retries\":7,
   \"ssl\":{\"validateServerCert\":true,\"pinning\":\"x\"},
   \"connectMessage\":{\"useDefault\":true,\"expiry\":9}}}",
 main::status()]
--- response_json_exact eval
my $c = main::defaults(host => 'h');
$c->{activateOnReboot} = $JSON::PP::false;
$c->{connectMessage} = { useDefault => $JSON::PP::true };
['{"apiVersion":"1.0","method":"configureClient","data":{}}', main::status_reply($c)]
--- state_file_like: "activateOnReboot"\s*:\s*false
--- check
my $text = do { local (@ARGV, $/) = state_file_of($nginx); <> };
unlike($text, qr/futureOption|weight|pinning|expiry|retries/, 'unknown fields are not saved');



=== TEST 6: an ssl object with tcp or ws is accepted and kept
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- request eval
[main::configure({ server => { protocol => 'tcp', host => 'h' },
                   ssl => { validateServerCert => $JSON::PP::false,
                            clientCertID => 'client-1', CACertID => 'ca.pem' } }),
 main::status(),
 main::configure({ server => { protocol => 'ws', host => 'h', basepath => '/ws' },
                   ssl => { validateServerCert => $JSON::PP::false } }),
 main::status()]
--- response_json_exact eval
my $a = main::defaults(host => 'h');
$a->{ssl} = { validateServerCert => $JSON::PP::false, clientCertID => 'client-1',
              CACertID => 'ca.pem' };
my $b = main::defaults(protocol => 'ws', host => 'h', port => 80, basepath => '/ws');
$b->{ssl}{validateServerCert} = $JSON::PP::false;
['{"apiVersion":"1.0","method":"configureClient","data":{}}', main::status_reply($a),
 '{"apiVersion":"1.0","method":"configureClient","data":{}}', main::status_reply($b)]



=== TEST 7: every field round-trips (wss, proxies, intervals, booleans, certificates)
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- request eval
[main::configure({
    server => { protocol => 'wss', host => '192.0.2.7', port => 4443,
                basepath => '/mqtt/ws', alpnProtocol => 'mqtt' },
    httpProxy => 'http://user:pw@proxy.example:3128', httpsProxy => 'proxy.example:3129',
    username => 'cam', clientId => 'gateway-7', keepAliveInterval => 0,
    connectTimeout => 65535, cleanSession => $JSON::PP::false,
    autoReconnect => $JSON::PP::false, deviceTopicPrefix => 'site/7',
    ssl => { validateServerCert => $JSON::PP::true, clientCertID => 'client.pem',
             CACertID => 'ca-bundle.crt' } }),
 main::status()]
--- response_json_exact eval
my $F = $JSON::PP::false;
['{"apiVersion":"1.0","method":"configureClient","data":{}}',
 main::status_reply({
    server => { protocol => 'wss', host => '192.0.2.7', port => 4443,
                basepath => '/mqtt/ws', alpnProtocol => 'mqtt' },
    httpProxy => 'http://user:pw@proxy.example:3128', httpsProxy => 'proxy.example:3129',
    username => 'cam', clientId => 'gateway-7', keepAliveInterval => 0,
    connectTimeout => 65535, cleanSession => $F, autoReconnect => $F,
    activateOnReboot => $JSON::PP::true, deviceTopicPrefix => 'site/7',
    ssl => { validateServerCert => $JSON::PP::true, clientCertID => 'client.pem',
             CACertID => 'ca-bundle.crt' } })]

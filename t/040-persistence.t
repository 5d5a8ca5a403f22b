# The state file: configuration and active state survive a restart
# (activateOnReboot false starts inactive), it is written atomically with
# mode 0600, a corrupt or truncated file is reported once and ignored, and
# a save that fails answers 1100 and changes nothing (also on a real full
# disk, when a tmpfs can be mounted).
use strict;
use warnings;

use lib 't/lib';
use Test::AxisNginx;
use Test::AxisNginx::Client;    # $CGI $JU $T $F, defaults, status_reply, cgi, call, ...
use JSON::PP ();

$ENV{TEST_NGINX_DEAD_PORT} = free_port();

# The configuration the restart blocks save and expect back.
sub saved_params {
    my (%extra) = @_;
    return {
        server => { protocol => 'tcp', host => '127.0.0.1',
                    port => 0 + $ENV{TEST_NGINX_DEAD_PORT} },
        username => 'keeper', password => 'restart-secret', clientId => 'survivor',
        keepAliveInterval => 17, connectTimeout => 18, cleanSession => $F,
        deviceTopicPrefix => 'kept/prefix',
        lastWillTestament => { useDefault => $F, topic => 'kept/lwt', message => 'gone "for" good',
                               retain => $T, qos => 2 },
        disconnectMessage => { useDefault => $T },
        %extra,
    };
}

sub saved_status {
    my ($state, %extra) = @_;
    my $c = defaults(host => '127.0.0.1', port => 0 + $ENV{TEST_NGINX_DEAD_PORT});
    my $p = saved_params(%extra);
    delete $p->{password};
    $c->{$_} = $p->{$_} for grep { $_ ne 'server' } keys %$p;
    $c->{password} = '*****';
    return status_reply($c, $state);
}

# Entries of the state dir other than the module's lock and wake-up files.
sub leftovers {
    my ($dir) = @_;
    opendir my $dh, $dir or return ('(no dir)');
    return sort grep { !/^\.\.?$/ && $_ ne 'client-ACCC8E012345.json' && $_ ne 'owner.lock' && !/^wake(?:-\d+)?$/ }
        readdir $dh;
}

# How often the corrupt-file line is in the log.
sub ignored_lines {
    my @l = $_[0] =~ /saved configuration.*ignored/g;
    return scalar @l;
}

plan('no_plan');
run_tests();

# ------------------------------------------------ hand-written tests

sub get_status { scalar call($_[0], { apiVersion => '1.0', method => 'getClientStatus' }) }

sub do_configure {
    my ($port, $params, $context) = @_;
    return call($port, { apiVersion => '1.0', context => $context // 'cfg',
                         method => 'configureClient', params => $params });
}

my $http_config = 'axis_mqtt_serial ACCC8E012345;';
my $loc = "location = $CGI { axis_mqtt_client; }";

# ---- a restart by hand: stop, start again on the same state dir
{
    my $h = start_nginx(http_config => $http_config, config => $loc, workers => 2);
    # with UTF-8 here: the blocks' JSON checks compare bytes as Latin-1
    my $d = do_configure($h->{port}, saved_params(username => "k\x{e9}eper \x{2620}"));
    is_deeply($d->{data}, {}, 'configured');
    is_deeply(call($h->{port}, { apiVersion => '1.0', method => 'activateClient' })->{data},
              {}, 'activated');
    my $before = get_status($h->{port});
    my $file = slurp(state_file_of($h));
    is(stop_nginx($h), 0, 'stopped');

    for my $round (1, 2) {
        $h = start_nginx(http_config => $http_config, config => $loc, workers => 2,
                         keep_state => 1);
        is_deeply(get_status($h->{port}), $before, "restart $round: same config, active");
        is(slurp(state_file_of($h)), $file,
           "restart $round: the state file is not rewritten by a start");
        is(stop_nginx($h), 0, "restart $round: stopped");
        is(ignored_lines(error_log_text($h)), 0, "restart $round: nothing reported as ignored");
    }
}

# ---- 1100: the save fails (the temp file name is taken by a directory)
{
    my $h = start_nginx(http_config => $http_config, config => $loc, workers => 2);
    my $port = $h->{port};
    my $sd = $h->{state_dir};
    my ($d, $res) = do_configure($port, saved_params(clientId => 'old-one'));
    is_deeply($d->{data}, {}, 'first configure saved');
    my $old_status = get_status($port);
    my $old_file = slurp("$sd/client-ACCC8E012345.json");

    mkdir "$sd/.client-ACCC8E012345.json.tmp" or die "mkdir: $!";
    ($d, $res) = do_configure($port, saved_params(clientId => 'new-one',
                                                  password => 'never-saved-pw'), 'c1100');
    is($res->code, 200, '1100: HTTP 200');
    is(scalar $res->header('Content-Type'), 'application/json', '1100: JSON');
    is($d->{error}{code}, 1100, 'configureClient answers 1100 when the save fails')
        or diag($res->content);
    is($d->{context}, 'c1100', '1100: context echoed');
    is($d->{method}, 'configureClient', '1100: method echoed');
    ok(!exists $d->{data}, '1100: no data');
    like(error_log_text($h), qr/configuration not saved.*Is a directory/,
         'error.log has the cause');
    is_deeply(get_status($port), $old_status, 'getClientStatus still shows the old config');
    is(slurp("$sd/client-ACCC8E012345.json"), $old_file, 'client-ACCC8E012345.json unchanged byte for byte');

    ($d) = call($port, { apiVersion => '1.0', method => 'activateClient' });
    is($d->{error}{code}, 1100, 'activateClient answers 1100 too');
    is(get_status($port)->{data}{status}{state}, 'inactive', 'and the client stays inactive');

    rmdir "$sd/.client-ACCC8E012345.json.tmp" or die "rmdir: $!";
    ($d) = do_configure($port, saved_params(clientId => 'new-one'));
    is_deeply($d->{data}, {}, 'configure works again once the disk is fixed');
    is(get_status($port)->{data}{config}{clientId}, 'new-one', 'and is applied');
    like(slurp("$sd/client-ACCC8E012345.json"), qr/new-one/, 'and saved');
    is_deeply([leftovers($sd)], [], 'no temp file left behind');
    is(stop_nginx($h), 0, 'stopped');
    unlike(error_log_text($h), qr/never-saved-pw|restart-secret/, 'no password in error.log');
}

# ---- 1100 on a real full disk: the state dir on a 16k tmpfs
with_tmpfs('tmpfs test', sub {
    my ($mnt, $run) = @_;
    my $h = $run->{nginx} = start_nginx(
        http_config => "$http_config\naxis_mqtt_state_dir $mnt;", config => $loc, workers => 2);
    my $port = $h->{port};
    my ($d) = do_configure($port, saved_params(clientId => 'before-full'));
    is_deeply($d->{data}, {}, 'tmpfs: first configure saved');
    my $old_status = get_status($port);
    my $old_file = slurp("$mnt/client-ACCC8E012345.json");

    # fill the disk
    open my $fill, '>', "$mnt/fill" or die "fill: $!";
    my $block = 'x' x 4096;
    1 while syswrite($fill, $block);
    close $fill;

    my $res;
    ($d, $res) = do_configure($port, saved_params(clientId => 'after-full'));
    is($d->{error}{code}, 1100, 'disk full: configureClient answers 1100')
        or diag($res->content);
    like(error_log_text($h), qr/configuration not saved.*No space left on device/,
         'disk full: error.log has the cause');
    is_deeply(get_status($port), $old_status, 'disk full: old config still served');
    is(slurp("$mnt/client-ACCC8E012345.json"), $old_file, 'disk full: client-ACCC8E012345.json intact');
    is_deeply([grep { $_ ne 'fill' } leftovers($mnt)], [], 'disk full: no temp file left');

    unlink "$mnt/fill";
    ($d) = do_configure($port, saved_params(clientId => 'after-full'));
    is_deeply($d->{data}, {}, 'space again: configure saved');
    is(get_status($port)->{data}{config}{clientId}, 'after-full', 'space again: applied');
    is(stop_nginx($h), 0, 'tmpfs: stopped');
});

__DATA__

=== TEST 1: configure + activate, saved 0600 with no temp file left
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- request eval
[main::configure(main::saved_params()), main::activate(), main::status()]
--- response_json_exact eval
['{"apiVersion":"1.0","method":"configureClient","data":{}}',
 '{"apiVersion":"1.0","method":"activateClient","data":{}}',
 main::saved_status('active')]
--- state_file_mode: 0600
--- state_file_like: restart-secret
--- check
is_deeply([main::leftovers($state_dir)], [], 'no temp file in the state dir');



=== TEST 2: after a restart the configuration and the active state are back
--- keep_state
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- request eval
[main::status()]
--- response_json_exact eval
[main::saved_status('active')]
--- no_error_log
ignored
restart-secret



=== TEST 3: a client deactivated before the restart
--- keep_state
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- request eval
[main::deactivate(), main::status()]
--- response_json_exact eval
['{"apiVersion":"1.0","method":"deactivateClient","data":{}}',
 main::saved_status('inactive')]



=== TEST 4: ... is inactive after it
--- keep_state
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- request eval
[main::status()]
--- response_json_exact eval
[main::saved_status('inactive')]



=== TEST 5: activateOnReboot false: active before the restart ...
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- request eval
[main::configure(main::saved_params(activateOnReboot => $JSON::PP::false)),
 main::activate(), main::status()]
--- response_json_exact eval
[undef, undef, main::saved_status('active', activateOnReboot => $JSON::PP::false)]



=== TEST 6: ... inactive after it, the configuration kept
--- keep_state
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- request eval
[main::status()]
--- response_json_exact eval
[main::saved_status('inactive', activateOnReboot => $JSON::PP::false)]
--- no_error_log
ignored



=== TEST 7: a state file with wider permissions is saved back as 0600
--- keep_state
--- init
chmod 0644, "$state_dir/client-ACCC8E012345.json" or die "chmod: $!";
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- request eval
[main::configure(main::saved_params())]
--- response_json_exact
{"apiVersion":"1.0","method":"configureClient","data":{}}
--- state_file_mode: 0600



=== TEST 8: a stale temp file (a crash while saving) does not matter
--- keep_state
--- init
open my $fh, '>', "$state_dir/.client-ACCC8E012345.json.tmp" or die $!;
print {$fh} '{"active": tr';
close $fh;
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- request eval
[main::status(), main::configure(main::saved_params(clientId => 'after-crash')), main::status()]
--- response_json eval
['{"data":{"config":{"clientId":"survivor"}}}', '{"data":{}}',
 '{"data":{"config":{"clientId":"after-crash"}}}']
--- no_error_log
ignored
--- check
is_deeply([main::leftovers($state_dir)], [], 'the stale temp file is gone');



=== TEST 9: garbage state file: nginx starts, says so once, client inactive with defaults
--- workers: 4
--- state_file
this is not JSON at all
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- request eval
[main::status()]
--- response_json_exact eval
[main::status_reply(main::defaults())]
--- error_log
qr/saved configuration .*client\.json.* ignored/
--- check
is(main::ignored_lines(error_log_text()), 1, 'reported exactly once');



=== TEST 10: a valid file to truncate in the next block
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- request eval
[main::configure(main::saved_params()), main::activate()]
--- response_json eval
['{"data":{}}', '{"data":{}}']



=== TEST 11: half of a valid state file: ignored once, inactive with defaults
--- keep_state
--- init
my $file = "$state_dir/client-ACCC8E012345.json";
my $text = do { local (@ARGV, $/) = $file; <> };
die "no state file to truncate" unless length $text > 100;
truncate $file, int(length($text) / 2) or die "truncate: $!";
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- request eval
[main::status(), main::activate()]
--- response_json_exact eval
[main::status_reply(main::defaults()), undef]
--- response_json eval
[undef, '{"error":{"code":2103}}']
--- check
is(main::ignored_lines(error_log_text()), 1, 'reported exactly once');



=== TEST 12: a JSON array instead of the object
--- state_file
[{"active":true}]
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- request eval
[main::status()]
--- response_json_exact eval
[main::status_reply(main::defaults())]
--- check
is(main::ignored_lines(error_log_text()), 1, 'reported exactly once');



=== TEST 13: wrong types inside the object
--- state_file
{"active":"yes","config":{"server":{"protocol":"tcp","host":"h"},"clientId":42}}
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- request eval
[main::status()]
--- response_json_exact eval
[main::status_reply(main::defaults())]
--- check
is(main::ignored_lines(error_log_text()), 1, 'reported exactly once');



=== TEST 14: a value out of range inside (port 99999)
--- state_file
{"active":true,"config":{"server":{"protocol":"tcp","host":"h","port":99999}}}
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- request eval
[main::status()]
--- response_json_exact eval
[main::status_reply(main::defaults())]
--- check
is(main::ignored_lines(error_log_text()), 1, 'reported exactly once');



=== TEST 15: an empty state file
--- init
open my $fh, '>', "$state_dir/client-ACCC8E012345.json" or die $!;
close $fh;
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- request eval
[main::status()]
--- response_json_exact eval
[main::status_reply(main::defaults())]
--- check
is(main::ignored_lines(error_log_text()), 1, 'reported exactly once');



=== TEST 16: binary garbage; then a configure replaces it with a good file ...
--- init
open my $fh, '>', "$state_dir/client-ACCC8E012345.json" or die $!;
print {$fh} "\x00\xff\xfe{\"active\":\x00true}" x 50;
close $fh;
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- request eval
[main::status(), main::configure(main::saved_params()), main::activate()]
--- response_json_exact eval
[main::status_reply(main::defaults()), undef, undef]
--- response_json eval
[undef, '{"data":{}}', '{"data":{}}']
--- state_file_mode: 0600
--- check
is(main::ignored_lines(error_log_text()), 1, 'reported exactly once');



=== TEST 17: ... which the next start loads without complaint
--- keep_state
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- request eval
[main::status()]
--- response_json_exact eval
[main::saved_status('active')]
--- no_error_log
ignored



=== TEST 18: no state file at all is not an error
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- request eval
[main::status()]
--- response_json_exact eval
[main::status_reply(main::defaults())]
--- no_error_log
ignored
[error]
[alert]

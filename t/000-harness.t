# Self-test of t/lib/Test/AxisNginx.pm, run without the axis_mqtt module.
use strict;
use warnings;

# Point at a module that does not exist, so no load_module line is emitted.
BEGIN { $ENV{AXIS_MQTT_MODULE} = '/nonexistent/ngx_http_axis_mqtt_module.so' }

use lib 't/lib';
use Test::AxisNginx;
use Cwd qw(abs_path);
use File::Basename qw(basename);
use File::Temp qw(tempdir);

plan('no_plan');
run_tests();

# ------------------------------------------------ hand-written: nginx helpers
{
    my $h = start_nginx(workers => 2, config => <<'CONF');
location = /t { return 200 "one\n"; }
location = /axis-cgi/mqtt/client.cgi {
    default_type application/json;
    return 200 '{"method":"$request_method","ok":true}';
}
CONF
    my @workers = worker_pids($h);
    is(scalar @workers, 2, 'two workers');
    my $res = http_post($h->{port}, '/t', 'x', { 'X-Any' => 1 });
    is($res->code . ' ' . $res->content, "200 one\n", 'http_post');
    my ($data, $res2) = api($h->{port}, { method => 'getSupportedVersions' });
    is($data->{method}, 'POST', 'api decodes the reply');
    ok(JSON::PP::is_bool($data->{ok}) && $data->{ok}, 'api keeps booleans');
    is($res2->header('Content-Type'), 'application/json', 'api returns response too');

    ok(reload_nginx($h, wait_old => 1,
                    config => 'location = /t { return 200 "two\n"; }'), 'reload');
    my @new = worker_pids($h);
    is(scalar @new, 2, 'two workers after reload');
    ok(!(grep { my $n = $_; grep { $_ == $n } @workers } @new), 'new worker pids');
    is(http_post($h->{port}, '/t', '')->content, "two\n", 'new config serves');
    is(stop_nginx($h), 0, 'graceful stop');
    like(error_log_text($h), qr/reconfiguring/, 'error_log_text sees the reload');
    my $bad = eval { start_nginx(config => 'no_such_directive;') };
    like($@, qr/unknown directive "no_such_directive"/, 'start_nginx dies with error.log');
}

# ------------------------------------------------ hand-written: mosquitto
{
    my $b = start_mosquitto();
    my $sub = sub_start(port => $b->{port}, topic => 'axis/test/#', count => 2, timeout => 5);
    system('mosquitto_pub', '-h', '127.0.0.1', '-p', $b->{port}, '-r',
           '-t', 'axis/test/kept', '-m', 'retained value') == 0 or die 'pub failed';
    system('mosquitto_pub', '-h', '127.0.0.1', '-p', $b->{port},
           '-t', 'axis/test/live', '-m', "two\nlines") == 0 or die 'pub failed';
    my @msgs = sub_collect($sub);
    is_deeply([map { [@$_{qw(topic payload retain)}] } @msgs],
              [['axis/test/kept', 'retained value', 0], ['axis/test/live', "two\nlines", 0]],
              'live subscriber got both messages');

    # A new subscriber gets the retained message with the retain flag set.
    my @late = sub_messages(port => $b->{port}, topic => 'axis/test/#', count => 1, timeout => 3);
    is_deeply([map { [@$_{qw(topic payload retain)}] } @late],
              [['axis/test/kept', 'retained value', 1]], 'retained message flagged');
    my @none = sub_messages(port => $b->{port}, topic => 'other/#', timeout => 1);
    is(scalar @none, 0, 'timeout without messages');
    like(mosquitto_log($b), qr/Received SUBSCRIBE/, 'mosquitto_log');
    stop_mosquitto($b);
}

# ------------------------------------------------ a wrong expectation must fail
{
    my $dir = tempdir(CLEANUP => 1);
    my $lib = abs_path('t/lib');
    # named after this file so parallel runs of copies do not share servroots
    my $write = sub {
        my ($name, $data) = @_;
        open my $fh, '>', "$dir/$name" or die $!;
        print {$fh} "use lib '$lib';\nuse Test::AxisNginx;\nrun_tests();\n__DATA__\n$data";
        close $fh;
        return "$dir/$name";
    };
    my $block = "--- config\nlocation = /t { default_type application/json; return 200 '{\"a\":1}'; }\n"
              . "--- request\nGET /t\n";
    my $bad = $write->(basename($0, '.t') . '-must-fail.t',
          "=== TEST 1: wrong body\n$block--- response_body\nnope\n"
        . "=== TEST 2: wrong code\n$block--- error_code: 404\n"
        . "=== TEST 3: wrong json\n$block--- response_json\n{\"a\":2}\n"
        . "=== TEST 4: wrong log\n$block--- no_error_log\nGET /t\n"
        . "=== TEST 5: string is not a number\n$block--- response_json\n{\"a\":\"1\"}\n");
    my $out = `$^X $bad 2>&1`;
    my $status = $? >> 8;
    is($status, 5, 'failing expectations make the test exit non-zero') or diag($out);
    my @not_ok = $out =~ /^not ok/mg;
    is(scalar @not_ok, 5, 'exactly the five wrong checks fail') or diag($out);

    my $good = $write->(basename($0, '.t') . '-must-pass.t',
          "=== TEST 1: right\n$block--- response_json_exact\n{\"a\":1}\n");
    $out = `$^X $good 2>&1`;
    is($? >> 8, 0, 'the same setup with right expectations passes') or diag($out);
}

__DATA__

=== TEST 1: plain response body and headers
--- config
location = /t { return 200 "hello\n"; }
--- request
GET /t
--- response_body
hello
--- response_headers
Content-Type: text/plain
!X-Not-There
--- response_headers_like
Server: ^nginx
--- error_log
GET /t HTTP/1.1
qr/worker process \d+ exited/
--- no_error_log
[alert]
[emerg]



=== TEST 2: body regex and 404 elsewhere
--- config
location = /t { return 200 "hello\n"; }
--- request
GET /other
--- error_code: 404
--- response_body_like: 404 Not Found



=== TEST 3: POST body, headers, workers
--- workers: 3
--- config
location = /t { return 200 "$request_method $content_length $http_content_type $http_x_admin\n"; }
--- request
POST /axis-cgi/mqtt/client.cgi
{"method":"getSupportedVersions"}
--- more_headers
X-Admin: 1
Content-Type: application/json
--- error_code: 404
--- check
is(scalar(worker_pids($Test::AxisNginx::Nginx)), 3, 'workers: 3');
my $res = http_post($port, '/t', '{"x":1}', { 'Content-Type' => 'application/json', 'X-Admin' => 7 });
is($res->content, "POST 7 application/json 7\n", 'POST with body and headers');



=== TEST 4: JSON subset and exact compare
--- config
location = /j { default_type application/json; return 200 '{"a":1,"b":{"c":[1,2]},"t":true}'; }
--- request
GET /j
--- response_headers
Content-Type: application/json
--- response_json
{"b":{"c":[1,2]},"t":true}
--- response_json_exact
{"t":true,"a":1,"b":{"c":[1,2]}}



=== TEST 5: several requests on one nginx
--- config
location = /t { return 200 "hello\n"; }
--- request eval
["GET /t", "GET /nope", "POST /t\nbody"]
--- error_code eval
[200, 404, 200]
--- response_body eval
["hello\n", undef, "hello\n"]



=== TEST 6: raw request
--- config
location = /t { return 200 "raw\n"; }
--- raw_request
GET /t HTTP/1.0
Host: localhost
--- response_body
raw
--- response_headers
Connection: close



=== TEST 7: init, placeholders and env substitution
--- init
$ENV{TEST_NGINX_GREETING} = 'greetings';
--- main_config
env TEST_NGINX_UNUSED;
--- config
location = /t { return 200 "$TEST_NGINX_GREETING $port $servroot $state_dir $repo\n"; }
--- request
GET /t
--- check
is($block->name, 'TEST 7: init, placeholders and env substitution', '$block');
like($servroot, qr{/t/servroot/000-harness$}, 'servroot location');
is(http_post($port, '/t', '')->content, "greetings $port $servroot $state_dir "
   . Cwd::abs_path('.') . "\n", 'placeholders substituted');



=== TEST 8: state file written before start
--- config
location = /t { return 200; }
--- state_file
{"active":true,"port":$port}
--- state_file_mode: 0600
--- state_file_like: ^\{"active":true,"port":\d+\}$



=== TEST 9: keep_state keeps the previous block's state dir
--- keep_state
--- config
location = /t { return 200; }
--- state_file_like: "active":true



=== TEST 10: fresh state dir otherwise
--- config
location = /t { return 200; }
--- check
ok(!glob("$state_dir/client*.json"), 'no state file');
is(sprintf('%o', (stat $state_dir)[2] & 07777), '700', 'state dir is 0700');



=== TEST 11: invalid directive makes nginx die
--- config
no_such_directive on;
--- must_die
--- error_log
unknown directive "no_such_directive"



=== TEST 12: nginx -t on a broken config
--- http_config
no_such_http_directive;
--- nginx_t
--- must_die
--- error_log
unknown directive "no_such_http_directive"
configuration file



=== TEST 13: nginx -t on a good config
--- config
location = /t { return 200; }
--- nginx_t
--- error_log
test is successful

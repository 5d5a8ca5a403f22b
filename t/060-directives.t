# The directives: a bad state directory, a bad size, a directive in the
# wrong context are refused by "nginx -t" (and at start) with a clear
# message; a good configuration passes.
use strict;
use warnings;

use lib 't/lib';
use Test::AxisNginx;
use Cwd qw(abs_path);
use File::Basename qw(dirname basename);
use File::Path qw(make_path remove_tree);

plan('no_plan');
run_tests();

# ------------------------------------------------ hand-written: the workers' user
# The harness runs nginx as "user root"; here a configuration of our own
# runs workers as nobody, so the state dir must be writable by nobody.
SKIP: {
    skip 'needs root to switch users', 1 if $>;
    my ($uid, $gid) = (getpwnam('nobody'))[2, 3];
    skip 'no user nobody', 1 unless defined $uid;
    my $group = getgrgid($gid) // 'nogroup';
    my $sr = abs_path(dirname(__FILE__)) . '/servroot/' . basename($0, '.t') . '/user';
    remove_tree($sr);
    make_path("$sr/conf", "$sr/logs", "$sr/state");
    my $module = abs_path($ENV{AXIS_MQTT_MODULE}
                          // dirname(__FILE__) . '/../build/ngx_http_axis_mqtt_module.so');
    my $port = free_port();
    open my $fh, '>', "$sr/conf/nginx.conf" or die $!;
    print {$fh} <<"CONF";
user nobody $group;
error_log $sr/logs/error.log;
pid $sr/logs/nginx.pid;
load_module $module;
events { worker_connections 64; }
http {
    access_log off;
    client_body_temp_path $sr/logs/body;
    axis_mqtt_state_dir $sr/state;
    axis_mqtt_serial ACCC8E012345;
    server {
        listen 127.0.0.1:$port;
        location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
    }
}
CONF
    close $fh;
    my $nginx_t = sub {
        my $out = `/usr/sbin/nginx -t -p '$sr/' -c '$sr/conf/nginx.conf' -e '$sr/logs/error.log' 2>&1`;
        return ($? >> 8, $out);
    };

    chown 0, 0, "$sr/state";
    chmod 0700, "$sr/state";
    my ($rc, $out) = $nginx_t->();
    isnt($rc, 0, 'a state dir the workers cannot write: nginx -t fails');
    like($out, qr/\[emerg\].*axis_mqtt_state_dir.*\Q$sr\/state\E.*not writable/,
         'and says axis_mqtt_state_dir is not writable') or diag($out);

    chmod 0755, "$sr/state";
    ($rc, $out) = $nginx_t->();
    isnt($rc, 0, 'readable but not writable: nginx -t fails') or diag($out);

    chown $uid, $gid, "$sr/state";
    chmod 0700, "$sr/state";
    ($rc, $out) = $nginx_t->();
    is($rc, 0, 'owned by the workers\' user: nginx -t succeeds') or diag($out);

    chown 0, $gid, "$sr/state";
    chmod 0770, "$sr/state";
    ($rc, $out) = $nginx_t->();
    is($rc, 0, 'writable by the workers\' group: nginx -t succeeds') or diag($out);

    chown 0, 0, "$sr/state";
    chmod 01777, "$sr/state";
    ($rc, $out) = $nginx_t->();
    is($rc, 0, 'writable by everyone: nginx -t succeeds') or diag($out);
}

__DATA__

=== TEST 1: every directive in its place: nginx -t succeeds
--- http_config
axis_mqtt_serial ACCC8E012345;
axis_mqtt_cert_dir $servroot/certs;
--- config
axis_mqtt_max_request_size 8k;
location = /axis-cgi/mqtt/client.cgi {
    axis_mqtt_client;
    axis_mqtt_admin $http_x_admin;
    axis_mqtt_max_request_size 32k;
}
--- nginx_t
--- error_log
test is successful
--- no_error_log
[emerg]



=== TEST 2: a missing state directory: nginx -t fails naming axis_mqtt_state_dir
--- http_config
axis_mqtt_state_dir $servroot/no-such-dir;
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- nginx_t
--- must_die
--- error_log
qr/\[emerg\].*axis_mqtt_state_dir.*no-such-dir.*No such file or directory/



=== TEST 3: ... and nginx does not start with it
--- http_config
axis_mqtt_state_dir $servroot/no-such-dir;
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- must_die
--- error_log
qr/\[emerg\].*axis_mqtt_state_dir.*no-such-dir/



=== TEST 4: a state "directory" that is a file
--- init
open my $fh, '>', "$servroot/a-file" or die $!;
close $fh;
--- http_config
axis_mqtt_state_dir $servroot/a-file;
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- nginx_t
--- must_die
--- error_log
qr/\[emerg\].*axis_mqtt_state_dir.*a-file.*not a directory/



=== TEST 5: axis_mqtt_client at http level
--- http_config
axis_mqtt_serial ACCC8E012345;
axis_mqtt_client;
--- config
location = /t { return 200; }
--- nginx_t
--- must_die
--- error_log
"axis_mqtt_client" directive is not allowed here



=== TEST 6: axis_mqtt_client at server level
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
axis_mqtt_client;
--- nginx_t
--- must_die
--- error_log
"axis_mqtt_client" directive is not allowed here



=== TEST 7: axis_mqtt_client takes no argument
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client on; }
--- nginx_t
--- must_die
--- error_log
invalid number of arguments in "axis_mqtt_client"



=== TEST 8: axis_mqtt_max_request_size abc
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi {
    axis_mqtt_client;
    axis_mqtt_max_request_size abc;
}
--- nginx_t
--- must_die
--- error_log
qr/\[emerg\].*"axis_mqtt_max_request_size" directive invalid value/



=== TEST 9: axis_mqtt_max_request_size 0
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi {
    axis_mqtt_client;
    axis_mqtt_max_request_size 0;
}
--- nginx_t
--- must_die
--- error_log
qr/\[emerg\].*axis_mqtt_max_request_size/



=== TEST 10: axis_mqtt_max_request_size -1k
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi {
    axis_mqtt_client;
    axis_mqtt_max_request_size -1k;
}
--- nginx_t
--- must_die
--- error_log
qr/\[emerg\].*axis_mqtt_max_request_size/



=== TEST 11: axis_mqtt_state_dir inside a server block
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
axis_mqtt_state_dir /tmp;
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- nginx_t
--- must_die
--- error_log
"axis_mqtt_state_dir" directive is not allowed here



=== TEST 12: axis_mqtt_serial inside a location
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; axis_mqtt_serial X; }
--- nginx_t
--- must_die
--- error_log
"axis_mqtt_serial" directive is not allowed here



=== TEST 13: axis_mqtt_state_dir twice
--- http_config
axis_mqtt_state_dir $state_dir;
axis_mqtt_state_dir $state_dir;
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- nginx_t
--- must_die
--- error_log
"axis_mqtt_state_dir" directive is duplicate



=== TEST 14: an empty serial
--- http_config
axis_mqtt_serial "";
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- nginx_t
--- must_die
--- error_log
qr/\[emerg\].*axis_mqtt_serial/



=== TEST 15: axis_mqtt_admin needs a value
--- http_config
axis_mqtt_serial ACCC8E012345;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; axis_mqtt_admin; }
--- nginx_t
--- must_die
--- error_log
invalid number of arguments in "axis_mqtt_admin"



=== TEST 16: without axis_mqtt_client the state directory is not needed
--- http_config
axis_mqtt_state_dir $servroot/no-such-dir;
axis_mqtt_serial ACCC8E012345;
--- config
location = /t { return 200; }
--- nginx_t
--- error_log
test is successful



=== TEST 17: axis_mqtt_camera with a user and a password file: nginx -t succeeds
--- init
open my $fh, '>', "$servroot/cam.pass" or die $!;
print $fh "pw-of-the-camera\n";
close $fh;
chmod 0600, "$servroot/cam.pass";
--- http_config
axis_mqtt_serial ACCC8E012345;
axis_mqtt_camera http://192.0.2.11 user=gateway password_file=$servroot/cam.pass;
--- config
location = /axis-cgi/mqtt/event.cgi { axis_mqtt_event_bridge; }
--- nginx_t
--- error_log
test is successful
--- no_error_log
pw-of-the-camera
[emerg]



=== TEST 18: a password file that is not there
--- http_config
axis_mqtt_serial ACCC8E012345;
axis_mqtt_camera http://192.0.2.11 user=gateway password_file=$servroot/no-such.pass;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- nginx_t
--- must_die
--- error_log
qr/\[emerg\].*axis_mqtt_camera: the password_file ".*no-such\.pass" cannot be opened/



=== TEST 19: an empty password file
--- init
open my $fh, '>', "$servroot/empty.pass" or die $!;
close $fh;
--- http_config
axis_mqtt_serial ACCC8E012345;
axis_mqtt_camera http://192.0.2.11 user=gateway password_file=$servroot/empty.pass;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- nginx_t
--- must_die
--- error_log
qr/\[emerg\].*axis_mqtt_camera: the password_file ".*empty\.pass" must hold a password/



=== TEST 20: a camera's address that is not http(s)://host[:port]
--- http_config
axis_mqtt_serial ACCC8E012345;
axis_mqtt_camera ftp://192.0.2.11;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- nginx_t
--- must_die
--- error_log
qr/\[emerg\].*axis_mqtt_camera: "ftp:\/\/192\.0\.2\.11" is not a camera's address/



=== TEST 21: ... nor one with a path of its own
--- http_config
axis_mqtt_serial ACCC8E012345;
axis_mqtt_camera http://192.0.2.11/onvif/services;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- nginx_t
--- must_die
--- error_log
qr/\[emerg\].*axis_mqtt_camera: "http:\/\/192\.0\.2\.11\/onvif\/services" is not a camera's address/



=== TEST 22: a password file without a user, an unknown argument
--- init
open my $fh, '>', "$servroot/cam.pass" or die $!;
print $fh "pw\n";
close $fh;
--- http_config
axis_mqtt_serial ACCC8E012345;
axis_mqtt_camera http://192.0.2.11 password_file=$servroot/cam.pass;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- nginx_t
--- must_die
--- error_log
qr/\[emerg\].*axis_mqtt_camera: a password_file needs a user=/



=== TEST 23: an argument that is neither user= nor password_file=
--- http_config
axis_mqtt_serial ACCC8E012345;
axis_mqtt_camera http://192.0.2.11 pass=secret;
--- config
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- nginx_t
--- must_die
--- error_log
qr/\[emerg\].*axis_mqtt_camera: "pass=secret" is neither user=NAME nor password_file=PATH/



=== TEST 24: two servers of one device that name different cameras
--- http_config
axis_mqtt_serial ACCC8E012345;
server {
    listen 127.0.0.1:1;
    axis_mqtt_camera http://192.0.2.12;
    location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
}
--- config
axis_mqtt_camera http://192.0.2.11;
location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
--- nginx_t
--- must_die
--- error_log
qr/\[emerg\].*the servers of device "ACCC8E012345" name different cameras/

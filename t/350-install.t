# ./build.sh install, staged with DESTDIR: Debian's layout (the module
# beside the packaged ones, a load file in modules-available linked from
# modules-enabled, a private state directory for www-data), and the
# installed module loads in an nginx whose workers run as www-data.
use strict;
use warnings;

use lib 't/lib';
use Test::AxisNginx;
use Cwd qw(abs_path);
use File::Compare qw(compare);
use File::Path qw(make_path remove_tree);
use File::Temp qw(tempdir);

plan('no_plan');

SKIP: {
    skip 'installing needs root (chown to www-data)', 1 if $> != 0;
    skip 'no www-data user', 1 unless getpwnam('www-data');

    my $repo = abs_path('.');
    my $root = tempdir('axis-mqtt-install-XXXX', TMPDIR => 1, CLEANUP => 1);
    chmod 0755, $root;

    my $out = `DESTDIR=$root ./build.sh install 2>&1`;
    is($?, 0, './build.sh install succeeds') or diag($out);

    my $so = "$root/usr/lib/nginx/modules/ngx_http_axis_mqtt_module.so";
    ok(-f $so, 'the module is in /usr/lib/nginx/modules');
    is(compare($so, "$repo/build/ngx_http_axis_mqtt_module.so"), 0,
       '... and is the one built');
    is((stat $so)[2] & 07777, 0644, '... mode 0644');

    my $load = "$root/usr/share/nginx/modules-available/mod-http-axis-mqtt.conf";
    open my $fh, '<', $load or die "$load: $!";
    is(do { local $/; <$fh> }, "load_module modules/ngx_http_axis_mqtt_module.so;\n",
       'modules-available has the load line, relative to nginx\'s prefix');
    is(readlink("$root/etc/nginx/modules-enabled/50-mod-http-axis-mqtt.conf"),
       '/usr/share/nginx/modules-available/mod-http-axis-mqtt.conf',
       'modules-enabled links to it');

    my $state = "$root/var/lib/nginx/axis-mqtt";
    my @st = stat $state;
    ok(-d $state, 'the state directory exists');
    is($st[2] & 07777, 0700, '... private (0700): it will hold the password');
    is(scalar getpwuid($st[4]), 'www-data', '... owned by www-data');
    ok(-d "$root/etc/nginx/axis-mqtt/certs", 'the certificate directory exists');

    # the installed module in an nginx as Debian runs it (workers: www-data)
    make_path("$root/run/logs");
    my $conf = "$root/run/nginx.conf";
    open my $cf, '>', $conf or die "$conf: $!";
    print $cf <<"CONF";
user www-data;
load_module $so;
error_log $root/run/logs/error.log;
pid $root/run/nginx.pid;
events { }
http {
    axis_mqtt_state_dir $state;
    server {
        listen 127.0.0.1:@{[ free_port() ]};
        location = /axis-cgi/mqtt/client.cgi { axis_mqtt_client; }
    }
}
CONF
    close $cf;
    my $t = `/usr/sbin/nginx -t -p $root/run -c $conf 2>&1`;
    is($?, 0, 'nginx -t accepts the installed module and state directory') or diag($t);

    # the state directory as root made it would be refused
    chown 0, 0, $state;
    $t = `/usr/sbin/nginx -t -p $root/run -c $conf 2>&1`;
    isnt($?, 0, '... and refuses a state directory www-data cannot write');
    like($t, qr/axis_mqtt_state_dir ".*" is not writable by the worker processes' user/,
         '... saying so');
}

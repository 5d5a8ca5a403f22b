# The Debian package (issue 12), for real: ./build.sh deb builds it with
# Debian's module tooling (dh --with nginx); apt-get installs it into this
# machine's nginx; Debian's nginx, its workers www-data, loads it from
# modules-enabled with the packaged example gateway.conf and answers
# client.cgi, saving into the package's state directory; a purge leaves the
# machine's nginx directories exactly as they were.
use strict;
use warnings;

use lib 't/lib';
use Test::AxisNginx;
use Test::AxisNginx::Gateway;    # gateway_conf, gateway_cert, apr1, slurp, spew
use File::Temp qw(tempdir);
use HTTP::Tiny;
use JSON::PP ();
use Time::HiRes qw(sleep time);

plan('no_plan');

my $PKG = 'libnginx-mod-http-axis-mqtt';
my $SO = '/usr/lib/nginx/modules/ngx_http_axis_mqtt_module.so';
my $DOC = "/usr/share/doc/$PKG";
my $STATE = '/var/lib/nginx/axis-mqtt';
my @WATCHED = qw(/etc/nginx /usr/lib/nginx /usr/share/nginx/modules-available
                 /var/lib/nginx /usr/share/doc);

sub installed { `dpkg-query -W -f='\${Status}' $PKG 2>/dev/null` =~ /install ok installed/ }

# what the package may touch, as it is: a file list with modes and owners
# (but nginx's own temporary directories, which any nginx started as root
# gives to its workers' user, say another test's at the same time)
sub snapshot {
    return join "\n", sort grep { !m{^/var/lib/nginx/(body|fastcgi|proxy|scgi|uwsgi) } }
        split /\n/, `find @WATCHED -maxdepth 3 -printf '%p %m %u %l\\n' 2>/dev/null`;
}

my ($we_installed, $nginx_pid);
END {
    local $?;    # the test's own exit status stays
    kill 'QUIT', $nginx_pid if $nginx_pid;
    system("DEBIAN_FRONTEND=noninteractive apt-get purge -y -q $PKG >/dev/null 2>&1")
        if $we_installed && installed();
}

SKIP: {
    skip 'installing a package needs root', 1 if $> != 0;
    skip 'no www-data user', 1 unless getpwnam('www-data');
    skip "$PKG is installed on this machine: the test leaves it alone", 1 if installed();
    skip "$SO is there without the package: the test leaves it alone", 1 if -e $SO;

    # ------------------------------------------------------------ the build
    my $out = `./build.sh deb 2>&1`;
    is($?, 0, './build.sh deb builds the package') or diag($out);
    my ($deb) = glob("build/deb/${PKG}_*.deb");
    ok($deb && -f $deb, "build/deb/${PKG}_<version>_<arch>.deb") or last;

    my $info = `dpkg-deb -f $deb Package Depends Recommends`;
    like($info, qr/^Depends:.*\bnginx-abi-[\d.]+-\d+\b/m, 'Depends on the exact nginx ABI');
    like($info, qr/^Depends:.*\b$_\b/m, "Depends on $_")
        for qw(libjansson4 libpaho-mqtt1.3 libcurl4 libxml2);
    like($info, qr/^Recommends:.*\blibnginx-mod-stream\b/m, 'Recommends the stream module (RTSP)');
    my $files = `dpkg-deb -c $deb`;
    like($files, qr{ \./usr/share/$PKG/settings/$_$}m, "the settings page's $_")
        for qw(index.html settings.js settings.css);
    like($files, qr{ \./usr/lib/nginx/modules/ngx_http_axis_mqtt_module\.so$}m, 'the module');
    like($files, qr{ \./usr/share/nginx/modules-available/mod-http-axis-mqtt\.conf$}m,
         'its load file');
    like($files, qr{ \.$DOC/examples/$_$}m, "the example $_")
        for qw(gateway.conf gateway-cameras.conf camera.conf rtsp-over-http.conf rtsp.conf);
    like($files, qr{ \.$DOC/OPERATOR\.md\.gz$}m, 'the operator\'s guide');

    # ---------------------------------------------------------- the install
    my $before = snapshot();
    $we_installed = 1;
    $out = `DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends ./$deb 2>&1`;
    is($?, 0, 'apt-get install ./...deb') or diag($out);
    ok(installed(), 'dpkg has it installed');
    is(readlink("/etc/nginx/modules-enabled/50-mod-http-axis-mqtt.conf"),
       '/usr/share/nginx/modules-available/mod-http-axis-mqtt.conf',
       'enabled in /etc/nginx/modules-enabled');
    my @st = stat $STATE;
    is(@st ? sprintf('%o', $st[2] & 07777) : '', '700', "the package made $STATE, mode 0700");
    is(@st ? scalar getpwuid($st[4]) : '', 'www-data', '... owned by www-data');
    $out = `nginx -t 2>&1`;
    is($?, 0, 'the machine\'s own nginx configuration still passes nginx -t') or diag($out);

    # ------------------------ Debian's nginx with the packaged gateway.conf
    my $dir = tempdir('axis-mqtt-package-XXXX', TMPDIR => 1, CLEANUP => 1);
    chmod 0755, $dir;    # the workers (www-data) read the htpasswd file
    my %P = (state => $STATE, etc => $dir, examples => "$DOC/examples",
             www => "/usr/share/$PKG/settings/",
             firmware => free_port(), http => free_port(), https => free_port());
    gateway_cert($dir);
    spew("$dir/htpasswd", 'root:' . apr1('pass') . "\n");
    chmod 0644, "$dir/htpasswd";
    spew("$dir/gateway.conf", gateway_conf(%P));
    spew("$dir/nginx.conf", <<"CONF");
user www-data;
worker_processes 2;
pid $dir/nginx.pid;
error_log $dir/error.log info;
include /etc/nginx/modules-enabled/*.conf;
events { }
http {
    access_log off;
    # its own temporary paths: nginx would chown the packaged ones
    # (/var/lib/nginx/*) to its workers' user
    client_body_temp_path $dir/body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    include $dir/gateway.conf;
}
CONF
    $out = `/usr/sbin/nginx -t -c $dir/nginx.conf -e $dir/error.log 2>&1`;
    is($?, 0, 'Debian\'s nginx takes the packaged example') or diag($out);
    $nginx_pid = fork // die "fork: $!";
    if (!$nginx_pid) {
        exec '/usr/sbin/nginx', '-c', "$dir/nginx.conf", '-e', "$dir/error.log",
             '-g', 'daemon off;';
        exit 127;
    }
    my $http = HTTP::Tiny->new(timeout => 10, verify_SSL => 1,
                               SSL_options => { SSL_ca_file => "$dir/gateway.crt" });
    my $url = "https://root:pass\@localhost:$P{https}/axis-cgi/mqtt/client.cgi";
    my ($res, $deadline) = (undef, time + 10);
    do {
        sleep 0.1;
        $res = $http->post($url, { content => '{"apiVersion":"1.0","method":"getClientStatus"}' });
    } until $res->{status} != 599 || time > $deadline;
    my $d = eval { JSON::PP->new->decode($res->{content}) } // {};
    is($d->{data}{status}{state}, 'inactive', 'client.cgi answers over TLS, with the Admin\'s user')
        or diag("$res->{status} $res->{content}\n" . (slurp("$dir/error.log") // ''));
    $res = $http->post($url, { content => '{"apiVersion":"1.0","method":"configureClient",'
                                          . '"params":{"server":{"protocol":"tcp","host":"127.0.0.1"}}}' });
    is($res->{content} =~ /"data":\{\}/ ? 1 : 0, 1, 'configureClient is saved')
        or diag($res->{content});
    $res = $http->get("https://root:pass\@localhost:$P{https}/axis-mqtt/");
    like($res->{content}, qr{<title>MQTT settings</title>}, 'the settings page is served');
    like($res->{headers}{'content-security-policy'} // '', qr/default-src 'self'/,
         '... with a policy that keeps it to its own files');
    my @f = stat "$STATE/client-ACCC8E012345.json";
    is(@f ? sprintf('%o', $f[2] & 07777) : '', '600', '... in the package\'s state directory, mode 0600');
    is(@f ? scalar getpwuid($f[4]) : '', 'www-data', '... written by a www-data worker');
    kill 'QUIT', $nginx_pid;
    waitpid($nginx_pid, 0);
    is($?, 0, 'nginx stops cleanly');
    $nginx_pid = undef;
    unlike(slurp("$dir/error.log") // '', qr/\[(alert|emerg|crit)\]/, 'no alert in its log');

    # ------------------------------------------------------------ the purge
    $out = `DEBIAN_FRONTEND=noninteractive apt-get purge -y -q $PKG 2>&1`;
    is($?, 0, 'apt-get purge') or diag($out);
    ok(!installed(), 'not installed any more');
    ok(!-e $STATE, 'the state directory went with the purge');
    my $after = snapshot();
    is($after, $before, 'the machine\'s nginx directories are as they were before the install')
        or do {
            spew("$dir/before.txt", "$before\n");
            spew("$dir/after.txt", "$after\n");
            diag(`diff $dir/before.txt $dir/after.txt`);
        };
}

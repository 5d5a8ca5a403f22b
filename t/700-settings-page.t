# The settings page (issue 13) in a real browser: Debian's Chromium,
# headless, driven by t/lib/browser/settings_page.py, against the shipped
# conf/gateway.conf (its /axis-mqtt/ location, its users), a real
# mosquitto and the stand-in camera.  The page configures the broker,
# shows why the client is not connected, then "connected", adds an event
# filter whose event reaches a subscriber, saves a subscription, renders
# the API's error for a bad port next to the field, keeps the password
# write-only, and fits a phone's width.  Screenshots of each main state go
# to t/servroot/700-settings-page/shots/ (not committed).
use strict;
use warnings;

use lib 't/lib';
use Test::AxisNginx;
use Test::AxisNginx::Gateway;    # gateway_conf, gateway_cert, apr1, slurp, spew
use Test::AxisCamera;
use File::Path qw(make_path remove_tree);
use JSON::PP ();

plan(skip_all => 'no Chromium (./build.sh deps installs chromium, chromium-driver)')
    unless -x '/usr/bin/chromium' && -x '/usr/bin/chromedriver';
plan('no_plan');

# Debian's Python, which has Debian's Selenium (another python3 may come
# first on PATH)
my $dir = "$ENV{PWD}/t/servroot/700-settings-page";
remove_tree("$dir/shots");
make_path("$dir/shots", "$dir/state");
chmod 0700, "$dir/state";

# the camera's ONVIF user: gateway_conf() writes "camera-pass" for it
my $cam = start_camera(dir => $dir, user => 'gateway', password => 'camera-pass');
my $broker = start_mosquitto();

my %P = (state => "$dir/state", etc => $dir, firmware => $cam->{port},
         http => free_port(), https => free_port());
gateway_cert($dir);
spew("$dir/htpasswd", 'root:' . apr1('pass') . "\nviewer:" . apr1('viewer') . "\n");
my $h = start_nginx(http_config => gateway_conf(%P), log_level => 'info');

my $out = `/usr/bin/python3 t/lib/browser/settings_page.py --url https://localhost:$P{https}/axis-mqtt/ --user root --password pass --broker-port $broker->{port} --closed-port @{[ free_port() ]} --camera $cam->{url} --serial ACCC8E012345 --shots $dir/shots 2>$dir/browser.log`;
my $n = 0;
for my $line (split /\n/, $out) {
    my $r = eval { JSON::PP->new->decode($line) } or next;
    $n++;
    ok($r->{ok}, $r->{name}) or diag($r->{diag});
}
ok($n >= 18, "the browser ran every step ($n checks)")
    or diag(slurp("$dir/browser.log") // '');
ok(-s "$dir/shots/$_.png", "screenshot $_")
    for qw(1-loaded 2-refused 3-connected 4-event 5-error 6-phone);

# the page is on HTTPS only, as the API
my $res = Test::AxisNginx::_http($P{http}, 'GET', '/axis-mqtt/');
is($res->code, 301, 'plain HTTP: the page redirects to HTTPS');

unlike(error_log_text($h), qr/\[(alert|emerg|crit)\]|exited on signal/, 'no alert');
unlike(error_log_text($h), qr/s3cret-pw/, 'the password typed in the page is never logged');

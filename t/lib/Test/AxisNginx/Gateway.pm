package Test::AxisNginx::Gateway;

# Helpers for the tests of the shipped conf/gateway.conf (t/310-gateway-auth.t,
# t/320-firmware-proxy.t): the file assembled as `./build.sh run` does, its
# self-signed certificate and htpasswd entries, and the demo camera.

use strict;
use warnings;

use Test::AxisNginx;
use Exporter 'import';
use Cwd qw(abs_path);
use File::Basename qw(dirname);

our @EXPORT = qw(
    $REPO slurp spew apr1 gateway_cert gateway_conf demo_firmware_conf
);

our $REPO = abs_path(dirname(__FILE__) . '/../../../..');

sub slurp {
    my ($f) = @_;
    open my $fh, '<', $f or return undef;
    local $/;
    return scalar <$fh>;
}

sub spew {
    my ($f, $text) = @_;
    open my $fh, '>', $f or die "$f: $!";
    print {$fh} $text;
    close $fh or die "$f: $!";
}

# $dir/gateway.crt and $dir/gateway.key: self-signed, for localhost and
# 127.0.0.1 (the test "a self-signed certificate").
sub gateway_cert {
    my ($dir) = @_;
    is(system("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=localhost"
              . " -addext subjectAltName=DNS:localhost,IP:127.0.0.1"
              . " -keyout '$dir/gateway.key' -out '$dir/gateway.crt' 2>'$dir/openssl.log'") >> 8,
       0, 'a self-signed certificate')
        or die 'openssl req failed: ' . (slurp("$dir/openssl.log") // '');
}

# An htpasswd hash of $password.
sub apr1 {
    my ($password) = @_;
    my $hash = `openssl passwd -apr1 '$password'`;
    chomp $hash;
    die "openssl passwd failed" unless $hash =~ /^\$apr1\$/;
    return $hash;
}

# conf/gateway.conf with build.sh run's substitutions; every one must hit,
# or the shipped file changed and the test no longer tests it.
# %p: state (dir), etc (for /etc/nginx/axis-mqtt), firmware, http, https (ports);
# examples: where gateway.conf and rtsp-over-http.conf are (default conf/);
# www: the settings page's files (default www/).
sub gateway_conf {
    my (%p) = @_;
    my $examples = $p{examples} // "$REPO/conf";
    my $text = slurp("$examples/gateway.conf") // die "$examples/gateway.conf: $!";
    my @subst = (
        [qr{/var/lib/nginx/axis-mqtt}, $p{state}],
        [qr{/etc/nginx/axis-mqtt}, $p{etc}, 'g'],
        [qr{192\.0\.2\.10:80}, "127.0.0.1:$p{firmware}", 'g'],
        [qr{listen  80;}, "listen  127.0.0.1:$p{http};"],
        [qr{listen  443 ssl;}, "listen  127.0.0.1:$p{https} ssl;"],
        [qr{https://\$host\$request_uri}, "https://\$host:$p{https}\$request_uri"],
        [qr{/usr/share/libnginx-mod-http-axis-mqtt/settings/}, $p{www} // "$REPO/www/"],
    );
    for (@subst) {
        my ($re, $to, $g) = @$_;
        my $n = $g ? ($text =~ s/$re/$to/g) : ($text =~ s/$re/$to/);
        ok($n, "gateway.conf has $re") or diag('conf/gateway.conf changed?');
    }
    # what it names in /etc/nginx/axis-mqtt: the camera's ONVIF password,
    # the RTSP over HTTP snippet
    spew("$p{etc}/camera.pass", "camera-pass\n");
    chmod 0600, "$p{etc}/camera.pass";
    spew("$p{etc}/rtsp-over-http.conf", slurp("$examples/rtsp-over-http.conf"));
    return $text;
}

# conf/demo-firmware.conf.in, as build.sh run makes a camera of firmware.conf
sub demo_firmware_conf {
    my ($port, $serial, $events_port) = @_;
    my $text = slurp("$REPO/conf/demo-firmware.conf.in") // die $!;
    $text =~ s/\@FIRMWARE_PORT\@/$port/g or die 'no @FIRMWARE_PORT@';
    $text =~ s/\@SERIAL\@/$serial \/\/ 'ACCC8E012345'/ge or die 'no @SERIAL@';
    # its event service: none unless the test runs one (refused: 502)
    $text =~ s/\@EVENTS_PORT\@/$events_port \/\/ 9/ge or die 'no @EVENTS_PORT@';
    return $text;
}

1;

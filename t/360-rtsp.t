# Video through the gateway (issue 12): the shipped conf/rtsp.conf (nginx's
# stream module, one port per camera) and conf/rtsp-over-http.conf (the
# /axis-media/ tunnel, in conf/gateway.conf's HTTP and HTTPS servers), in
# front of two stand-ins that answer RTSP like an Axis camera
# (t/lib/camera/rtsp.py: OPTIONS, DESCRIBE behind Digest, SETUP, PLAY with
# interleaved packets).  Every byte the client sends reaches the camera as
# sent, and every byte the camera sends reaches the client as sent.
use strict;
use warnings;

use lib 't/lib';
use Test::AxisNginx;
use Test::AxisNginx::Gateway;    # gateway_conf, gateway_cert, apr1, slurp, spew
use Digest::MD5 qw(md5_hex);
use File::Path qw(make_path);
use IO::Socket::INET;
use IO::Socket::SSL;
use JSON::PP ();
use MIME::Base64 qw(encode_base64 decode_base64);
use POSIX ();
use Time::HiRes qw(sleep time);

my $STREAM = '/usr/lib/nginx/modules/ngx_stream_module.so';
plan(skip_all => "no $STREAM (libnginx-mod-stream)") unless -f $STREAM;
plan('no_plan');

my $dir = "$ENV{PWD}/t/servroot/360-rtsp";
make_path($dir);

# ------------------------------------------------------------ two cameras

my @pids;
END { kill 'TERM', @pids }

sub start_camera {
    my ($name) = @_;
    my ($rtsp, $http) = (free_port(), free_port());
    my $log = "$dir/$name.log";
    unlink $log;
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open STDOUT, '>', "$dir/$name.out";
        open STDERR, '>&', \*STDOUT;
        { exec 'python3', 't/lib/camera/rtsp.py', '--rtsp-port', $rtsp, '--http-port', $http,
             '--name', $name, '--log', $log };
        POSIX::_exit(127);
    }
    push @pids, $pid;
    my $deadline = time + 10;
    sleep 0.05 until IO::Socket::INET->new("127.0.0.1:$http") || time > $deadline;
    return { name => $name, rtsp => $rtsp, http => $http, log => $log };
}

# what the camera logged: the bytes of a channel and direction, joined
sub camera_bytes {
    my ($cam, $channel, $dir) = @_;
    open my $fh, '<', $cam->{log} or return '';
    my $all = '';
    while (my $line = <$fh>) {
        my $e = JSON::PP->new->decode($line);
        $all .= decode_base64($e->{data}) if $e->{channel} eq $channel && $e->{dir} eq $dir;
    }
    return $all;
}

my @cams = map { start_camera("camera-$_") } 1, 2;

# ----------------------------------------- the gateway, as the files ship

my %P = (state => "$dir/state", etc => $dir, firmware => $cams[0]{http},
         http => free_port(), https => free_port());
make_path($P{state});
gateway_cert($dir);
spew("$dir/htpasswd", 'root:' . apr1('pass') . "\n");

my @rtsp_ports = (free_port(), free_port());
my $rtsp_conf = slurp("$REPO/conf/rtsp.conf");
for ([qr/listen                 554;/, "listen                 127.0.0.1:$rtsp_ports[0];"],
     [qr/192\.0\.2\.11:554/, "127.0.0.1:$cams[0]{rtsp}"],
     [qr/listen                 8554;/, "listen                 127.0.0.1:$rtsp_ports[1];"],
     [qr/192\.0\.2\.12:554/, "127.0.0.1:$cams[1]{rtsp}"]) {
    my ($re, $to) = @$_;
    ok($rtsp_conf =~ s/$re/$to/, "rtsp.conf has $re") or diag('conf/rtsp.conf changed?');
}

my $h = start_nginx(main_config => "load_module $STREAM;\n$rtsp_conf",
                    http_config => gateway_conf(%P), log_level => 'info');

# ------------------------------------------------------- an RTSP client

sub read_response {
    my ($sock) = @_;
    my $data = '';
    local $SIG{ALRM} = sub { die "timeout\n" };
    alarm 10;
    while ($data !~ /\r\n\r\n/) {
        my $n = sysread($sock, my $buf, 1) or last;
        $data .= $buf;
    }
    my ($len) = $data =~ /^Content-Length: (\d+)/mi;
    while (($len // 0) > 0) {
        my $n = sysread($sock, my $buf, $len) or last;
        $data .= $buf;
        $len -= $n;
    }
    alarm 0;
    return $data;
}

sub read_bytes {
    my ($sock, $n) = @_;
    my $data = '';
    local $SIG{ALRM} = sub { die "timeout\n" };
    alarm 10;
    while (length $data < $n) {
        sysread($sock, my $buf, $n - length $data) or last;
        $data .= $buf;
    }
    alarm 0;
    return $data;
}

sub digest {
    my ($challenge, $method, $uri) = @_;
    my ($realm) = $challenge =~ /realm="([^"]*)"/;
    my ($nonce) = $challenge =~ /nonce="([^"]*)"/;
    my $ha1 = md5_hex("root:$realm:pass");
    my $ha2 = md5_hex("$method:$uri");
    return qq{Digest username="root", realm="$realm", nonce="$nonce", uri="$uri", }
         . qq{response="} . md5_hex("$ha1:$nonce:$ha2") . '"';
}

# OPTIONS, DESCRIBE (401, then Digest), SETUP, PLAY and its packets over
# $send / $recv: what the client sent and what it got, byte for byte
sub session {
    my ($send, $recv, $url) = @_;
    my ($sent, $got, @answers) = ('', '');
    my $cseq = 0;
    my $ask = sub {
        my ($method, @headers) = @_;
        my $req = join("\r\n", "$method $url RTSP/1.0", 'CSeq: ' . ++$cseq,
                       'User-Agent: axis-mqtt-test', @headers) . "\r\n\r\n";
        $send->($req);
        $sent .= $req;
        my $res = $recv->();
        $got .= $res;
        push @answers, $res;
        return $res;
    };
    $ask->('OPTIONS');
    my $challenge = $ask->('DESCRIBE', 'Accept: application/sdp');
    $ask->('DESCRIBE', 'Accept: application/sdp',
           'Authorization: ' . digest($challenge, 'DESCRIBE', $url));
    $ask->('SETUP', 'Transport: RTP/AVP/TCP;unicast;interleaved=0-1');
    $ask->('PLAY', 'Session: 12345678', 'Range: npt=0.000-');
    return ($sent, $got, \@answers);
}

sub tcp_session {
    my ($port, $url) = @_;
    my $sock = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port", Timeout => 5)
        or return;
    binmode $sock;
    my ($sent, $got, $answers) = session(sub { print {$sock} $_[0] },
                                         sub { read_response($sock) }, $url);
    my $packets = read_bytes($sock, 3 * 20);
    close $sock;
    return ($sent, $got, $answers, $packets);
}

for my $i (0, 1) {
    my $cam = $cams[$i];
    my $url = "rtsp://127.0.0.1:$rtsp_ports[$i]/axis-media/media.amp";
    my ($sent, $got, $answers, $packets) = tcp_session($rtsp_ports[$i], $url);
    ok(defined $sent, "$cam->{name}: RTSP connects through the gateway") or next;
    like($answers->[0], qr{^RTSP/1\.0 200 OK\r\n.*^Public: OPTIONS, DESCRIBE}ms,
         "$cam->{name}: OPTIONS answered");
    like($answers->[1], qr{^RTSP/1\.0 401 Unauthorized\r\n.*^WWW-Authenticate: Digest realm=}ms,
         "$cam->{name}: DESCRIBE challenged with the camera's Digest");
    like($answers->[2], qr{^RTSP/1\.0 200 OK\r\n.*\r\n\r\nv=0\r\n.*^s=\Q$cam->{name}\E\r$}ms,
         "$cam->{name}: DESCRIBE with Digest: the camera's SDP (its own camera, by its port)");
    like($answers->[4], qr{^RTSP/1\.0 200 OK\r\n.*^Session: 12345678}ms, "$cam->{name}: PLAY");
    is(length $packets, 60, "$cam->{name}: the interleaved packets follow");
    is(camera_bytes($cam, 'tcp', 'in'), $sent,
       "$cam->{name}: the camera received every request byte as sent");
    is($got . $packets, camera_bytes($cam, 'tcp', 'out'),
       "$cam->{name}: the client received every byte the camera sent");
}

# ------------------------------------------------- RTSP over HTTP(S)

# the tunnel: a GET that stays open for the answers, a POST for the
# requests (base64), one session cookie; over $connect's sockets (the GET
# as HTTP/1.0, as live555's clients send it, or 1.1)
sub tunnel_session {
    my ($connect, $host, $cookie, $auth, $version) = @_;
    $auth = $auth ? "Authorization: $auth\r\n" : '';
    my $get = $connect->() or return;
    my $post = $connect->() or return;
    print {$get} "GET /axis-media/media.amp HTTP/$version\r\nHost: $host\r\n$auth"
        . "x-sessioncookie: $cookie\r\nAccept: application/x-rtsp-tunnelled\r\n"
        . "Pragma: no-cache\r\nCache-Control: no-cache\r\n\r\n";
    my $head = '';
    local $SIG{ALRM} = sub { die "timeout\n" };
    alarm 10;
    while ($head !~ /\r\n\r\n/) {
        sysread($get, my $c, 1) or last;
        $head .= $c;
    }
    alarm 0;
    print {$post} "POST /axis-media/media.amp HTTP/1.0\r\nHost: $host\r\n$auth"
        . "x-sessioncookie: $cookie\r\nContent-Type: application/x-rtsp-tunnelled\r\n"
        . "Pragma: no-cache\r\nCache-Control: no-cache\r\nContent-Length: 32767\r\n"
        . "Expires: Sun, 9 Jan 1972 00:00:00 GMT\r\n\r\n";
    my ($sent, $got, $answers) = session(
        sub { print {$post} encode_base64($_[0], '') },
        sub { read_response($get) },
        "rtsp://$host/axis-media/media.amp");
    my $packets = read_bytes($get, 3 * 20);
    close $get;
    close $post;
    return ($head, $sent, $got, $answers, $packets);
}

my %via = (
    http => sub { IO::Socket::INET->new(PeerAddr => "127.0.0.1:$P{http}", Timeout => 5) },
    https => sub { IO::Socket::SSL->new(PeerAddr => '127.0.0.1', PeerPort => $P{https},
                                        SSL_ca_file => "$dir/gateway.crt",
                                        SSL_verifycn_name => 'localhost') },
);
my $cam = $cams[0];
for my $scheme (qw(http https)) {
    my $before_in = camera_bytes($cam, 'http', 'in');
    my $before_out = camera_bytes($cam, 'http', 'out');
    # on HTTPS, the gateway's users as for everything there; the camera's
    # RTSP user is asked inside the tunnel
    my ($head, $sent, $got, $answers, $packets) =
        tunnel_session($via{$scheme}, "localhost:$P{$scheme}", "cookie-$scheme",
                       $scheme eq 'https' ? 'Basic ' . encode_base64('root:pass', '') : undef,
                       $scheme eq 'https' ? '1.1' : '1.0');
    like($head // '', qr{^HTTP/1\.[01] 200 OK\r\n.*^Content-Type: application/x-rtsp-tunnelled\r$}ms,
         "$scheme: the tunnel's GET is open, its type the camera's");
    unlike($head // '', qr/^Transfer-Encoding: chunked/mi, "$scheme: ... not chunked");
    like($answers->[2] // '', qr{\r\n\r\nv=0\r\n.*^s=camera-1\r$}ms,
         "$scheme: DESCRIBE with Digest through the tunnel: the SDP");
    is(length($packets // ''), 60, "$scheme: the interleaved packets follow on the GET");
    is(substr(camera_bytes($cam, 'http', 'in'), length $before_in), $sent // 'none',
       "$scheme: the camera decoded every request byte as sent");
    is(($got // '') . ($packets // ''), substr(camera_bytes($cam, 'http', 'out'), length $before_out),
       "$scheme: the client received every byte the camera sent");
}

unlike(error_log_text($h), qr/\[(alert|emerg|crit)\]/, 'no alert');

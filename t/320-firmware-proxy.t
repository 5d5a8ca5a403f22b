# Everything outside the module's locations goes to the camera firmware
# unchanged, through the shipped conf/gateway.conf (assembled as
# `./build.sh run` does, over HTTPS with the Admin's Basic credentials):
# method, request URI (query string, encoded characters), request headers
# (a custom one, Cookie, Authorization), request bodies (small, 200 KB,
# chunked), response status, headers and body, and a streamed response whose
# first part reaches the client before the firmware sends the rest.
# The firmware is a small HTTP/1.1 server written here (keepalive, chunked
# bodies both ways) that echoes what it was sent.
use strict;
use warnings;

use lib 't/lib';
use Test::AxisNginx;
use Test::AxisNginx::Gateway;    # gateway_conf, gateway_cert, apr1, slurp, spew
use Digest::MD5 qw(md5_hex);
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use HTTP::Request;
use IO::Socket::INET;
use JSON::PP ();
use LWP::UserAgent;
use LWP::Protocol::https ();    # Debian: liblwp-protocol-https-perl
use MIME::Base64 qw(encode_base64);
use POSIX ();
use Time::HiRes qw(sleep time);

BEGIN { *subtest = \&Test::More::subtest }    # Test::Base does not export it

plan('no_plan');

my $JSON = JSON::PP->new->canonical;

my $dir = tempdir('axis-fwproxy-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0700, $dir;
make_path("$dir/certs", "$dir/state", "$dir/fw");
chmod 0700, "$dir/state";

# ------------------------------------------------------------ the firmware

# Body bytes the firmware answers with: every byte value, deterministic.
my $PATTERN = join '', map { chr(($_ * 7 + 3) % 256) } 0 .. 255;
sub binary_body { my ($n) = @_; substr($PATTERN x (int($n / 256) + 1), 0, $n) }

# One connection, any number of requests on it.
sub fw_serve {
    my ($c, $fwdir) = @_;
    binmode $c;
    my $buf = '';
    my $fill = sub { my $n = sysread($c, $buf, 65536, length $buf); $n };
    my $line = sub {
        until ($buf =~ /\n/) { $fill->() or return undef }
        $buf =~ s/^([^\n]*)\n//;
        (my $l = $1) =~ s/\r$//;
        return $l;
    };
    my $bytes = sub {
        my ($n) = @_;
        while (length $buf < $n) { $fill->() or return undef }
        return substr($buf, 0, $n, '');
    };
    my $send = sub {
        my ($data) = @_;
        my $off = 0;
        while ($off < length $data) {
            my $w = syswrite($c, $data, length($data) - $off, $off);
            return 0 unless defined $w;
            $off += $w;
        }
        return 1;
    };

    while (defined(my $request_line = $line->())) {
        next if $request_line eq '';
        my ($method, $uri, $proto) = split ' ', $request_line;
        my @headers;
        while (defined(my $h = $line->())) {
            last if $h eq '';
            push @headers, [$1, $2] if $h =~ /^([^:]+):\s*(.*?)\s*$/;
        }
        my %h = map { lc($_->[0]) => $_->[1] } @headers;
        my ($body, $chunked) = ('', 0);
        if (lc($h{'transfer-encoding'} // '') eq 'chunked') {
            $chunked = 1;
            while (1) {
                my $size = hex(($line->() // return) =~ s/;.*//r);
                last if $size == 0;
                $body .= $bytes->($size) // return;
                $line->();
            }
            while (defined(my $t = $line->())) { last if $t eq '' }
        } elsif ($h{'content-length'}) {
            $body = $bytes->($h{'content-length'}) // return;
        }

        if ($uri =~ m{^/stream}) {
            # the first part, then (at least 1 s later, and only once the
            # client said it has the first part, or after 5 s) the rest
            $send->("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                    . "X-Stream: yes\r\nTransfer-Encoding: chunked\r\n\r\n") or return;
            my $first = "first part\n";
            $send->(sprintf("%x\r\n%s\r\n", length $first, $first)) or return;
            spew("$fwdir/first-sent", time);
            my $t0 = time;
            my $released = 0;
            while (time < $t0 + 5) {
                $released = 1, last if time >= $t0 + 1 && -e "$fwdir/go";
                sleep 0.01;
            }
            my $rest = 'rest: ' . ($released ? 'released' : 'timeout') . "\n";
            spew("$fwdir/rest-sent", time);
            $send->(sprintf("%x\r\n%s\r\n0\r\n\r\n", length $rest, $rest)) or return;
            next;
        }

        my ($status, @out, $out_body) = (200);
        if ($uri =~ m{^/status/(\d+)}) {
            $status = $1;
            @out = (['Content-Type', 'application/octet-stream'],
                    ['X-Fw-One', 'one value'],
                    ['X-Fw-Multi', 'first'], ['X-Fw-Multi', 'second'],
                    ['Set-Cookie', 'a=1; Path=/'], ['Set-Cookie', 'b=2; HttpOnly'],
                    ['Cache-Control', 'no-cache, private'],
                    ['ETag', '"fw-etag-77"'],
                    ['Last-Modified', 'Tue, 02 Jan 2018 03:04:05 GMT']);
            push @out, ['Location', 'http://camera.invalid/elsewhere?x=1'] if $status =~ /^30/;
            push @out, ['WWW-Authenticate', 'Digest realm="AXIS_CAM", nonce="n1", qop="auth"']
                if $status == 401;
            $out_body = $status =~ /^(204|304)$/ ? '' : binary_body(4096 + $status);
        } else {
            # echo: what the firmware was sent
            @out = (['Content-Type', 'application/json']);
            $out_body = JSON::PP->new->canonical->encode({
                method => $method, uri => $uri, protocol => $proto,
                headers => \@headers, chunked => $chunked ? JSON::PP::true : JSON::PP::false,
                body_length => length $body, body_md5 => md5_hex($body),
                body_head => substr($body, 0, 64) =~ s/[^\x20-\x7e]/./gr,
            });
        }
        my $head = "HTTP/1.1 $status X\r\n" . join('', map { "$_->[0]: $_->[1]\r\n" } @out);
        $head .= 'Content-Length: ' . length($out_body) . "\r\n"
            unless $status =~ /^(204|304)$/;
        $send->("$head\r\n" . ($method eq 'HEAD' ? '' : $out_body)) or return;
    }
}

my $fw_listen = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                      Proto => 'tcp', Listen => 64, ReuseAddr => 1)
    or die "listen: $!";
my $fw_port = $fw_listen->sockport;
my $fw_pid = fork // die "fork: $!";
if ($fw_pid == 0) {
    setpgrp(0, 0);
    $SIG{CHLD} = 'IGNORE';
    $SIG{TERM} = sub { POSIX::_exit(0) };
    while (1) {
        my $c = $fw_listen->accept or next;
        my $k = fork;
        if (defined $k && $k == 0) {
            close $fw_listen;
            fw_serve($c, "$dir/fw");
            POSIX::_exit(0);
        }
        close $c;
    }
}
close $fw_listen;
END { kill 'TERM', -$fw_pid if $fw_pid; }    # the server and its connections

# ------------------------------------------------------------ the gateway

gateway_cert($dir);
spew("$dir/htpasswd", 'root:' . apr1('pass') . "\n");

# conf/gateway.conf with build.sh run's substitutions
my %P = (firmware => $fw_port, http => free_port(), https => free_port());
my $conf = gateway_conf(%P, state => "$dir/state", etc => $dir);
my $nginx = start_nginx(http_config => $conf);
my $base = "https://127.0.0.1:$P{https}";
my $AUTH = 'Basic ' . encode_base64('root:pass', '');

my $UA = LWP::UserAgent->new(keep_alive => 1, timeout => 20, max_redirect => 0,
                             env_proxy => 0,
                             ssl_opts => { SSL_ca_file => "$dir/gateway.crt",
                                           verify_hostname => 1 });
$UA->proxy([qw(http https)], undef);

sub send_req {
    my ($method, $path, $body, @headers) = @_;
    my $req = HTTP::Request->new($method, "$base$path",
                                 [Authorization => $AUTH, @headers], $body);
    $req->content_length(length $body) if defined $body && !ref $body;
    my $res = $UA->request($req);
    diag('LWP: ' . $res->content)
        if ($res->header('Client-Warning') // '') eq 'Internal response';
    return $res;
}

# (what the firmware saw, response)
sub echo {
    my $res = send_req(@_);
    my $seen = eval { JSON::PP->new->decode($res->content) };
    return ($seen // {}, $res);
}

sub seen_header {
    my ($seen, $name) = @_;
    return [map { $_->[1] } grep { lc $_->[0] eq lc $name } @{ $seen->{headers} // [] }];
}

# ------------------------------------------------------------ requests

subtest 'methods and request URIs arrive unchanged' => sub {
    for my $m (qw(GET POST PUT DELETE PATCH OPTIONS)) {
        my $uri = "/axis-cgi/some.cgi?action=list&group=root.Brand&m=$m";
        my ($seen, $res) = echo($m, $uri, $m =~ /^(POST|PUT|PATCH)$/ ? "body of $m" : undef);
        is($res->code, 200, "$m: HTTP 200");
        is($seen->{method}, $m, "$m: the method");
        is($seen->{uri}, $uri, "$m: the request URI with its query string");
    }
    for my $uri ('/axis-cgi/a%20b/c%2Fd.cgi?x=%20y&z=%2F%3D&empty=&flag',
                 '/local/app/index.html?q=caf%C3%A9#not-sent',
                 '/axis-cgi/jpg/image.cgi?resolution=640x480&camera=1') {
        my ($seen) = echo('GET', $uri);
        (my $want = $uri) =~ s/#.*//;
        is($seen->{uri}, $want, "as sent: $want");
    }
    my $res = send_req('HEAD', '/status/200');
    is($res->code, 200, 'HEAD: 200');
    is($res->content, '', 'HEAD: no body');
};

subtest 'request headers arrive unchanged' => sub {
    my ($seen) = echo('POST', '/axis-cgi/param.cgi', 'action=update&x=1',
                      'X-Custom' => 'a value, with "quotes" and; semicolons',
                      'Content-Type' => 'application/x-www-form-urlencoded',
                      'Cookie' => 'session=abc; other=def',
                      'X-Dup' => 'one', 'X-Dup' => 'two',
                      'User-Agent' => 'python-httpx/0.27.0',
                      'Accept' => 'application/json');
    is_deeply(seen_header($seen, 'X-Custom'), ['a value, with "quotes" and; semicolons'], 'X-Custom');
    is_deeply(seen_header($seen, 'Authorization'), [$AUTH], 'Authorization (the client\'s)');
    is_deeply(seen_header($seen, 'Cookie'), ['session=abc; other=def'], 'Cookie');
    is_deeply(seen_header($seen, 'Content-Type'), ['application/x-www-form-urlencoded'],
              'Content-Type');
    is_deeply(seen_header($seen, 'X-Dup'), ['one', 'two'], 'a repeated header, both values in order');
    is_deeply(seen_header($seen, 'User-Agent'), ['python-httpx/0.27.0'], 'User-Agent');
    is_deeply(seen_header($seen, 'Accept'), ['application/json'], 'Accept');
    is($seen->{body_head}, 'action=update&x=1', 'the body');
};

subtest 'request bodies arrive unchanged' => sub {
    my $small = '{"apiVersion":"1.0","method":"getAllProperties"}';
    my ($seen) = echo('POST', '/axis-cgi/basicdeviceinfo.cgi', $small,
                      'Content-Type' => 'application/json');
    is($seen->{body_length}, length $small, 'small: length');
    is($seen->{body_md5}, md5_hex($small), 'small: bytes');

    my $big = binary_body(200 * 1024);
    ($seen) = echo('POST', '/axis-cgi/upload.cgi?big=1', $big,
                   'Content-Type' => 'application/octet-stream');
    is($seen->{body_length}, length $big, '200 KB: length');
    is($seen->{body_md5}, md5_hex($big), '200 KB: bytes');

    my $big2 = binary_body(3 * 1024 * 1024 + 17);
    ($seen) = echo('PUT', '/axis-cgi/firmwaremanagement.cgi', $big2,
                   'Content-Type' => 'application/octet-stream');
    is($seen->{body_length}, length $big2, '3 MB (over 1m, client_max_body_size 0): length');
    is($seen->{body_md5}, md5_hex($big2), '3 MB: bytes');

    # chunked upload: the body produced piece by piece, no Content-Length
    my @pieces = map { binary_body(1000 + $_ * 1500) . "piece $_" } 1 .. 200;
    my $i = 0;
    my $producer = sub { $i < @pieces ? $pieces[$i++] : '' };
    my $res = send_req('POST', '/axis-cgi/chunked.cgi', $producer,
                       'Content-Type' => 'application/octet-stream');
    my $s = eval { JSON::PP->new->decode($res->content) } // {};
    my $all = join '', @pieces;
    is($res->code, 200, 'chunked: 200');
    is($s->{body_length}, length $all, sprintf 'chunked (%d KB): length', length($all) / 1024);
    is($s->{body_md5}, md5_hex($all), 'chunked: bytes');

    ($seen) = echo('PUT', '/axis-cgi/empty.cgi', '');
    is($seen->{body_length}, 0, 'an empty PUT body');
};

# ------------------------------------------------------------ responses

subtest 'response status, headers and body arrive unchanged' => sub {
    for my $status (200, 201, 202, 204, 206, 301, 302, 304, 400, 401, 403, 404, 409, 500, 503) {
        my $res = send_req('GET', "/status/$status");
        is($res->code, $status, "$status: status");
        my $want = $status =~ /^(204|304)$/ ? '' : binary_body(4096 + $status);
        ok($res->content eq $want, "$status: body unchanged (" . length($want) . ' bytes)')
            or diag('got ' . length($res->content) . ' bytes');
        next if $status == 304;
        is($res->header('Content-Type'), 'application/octet-stream', "$status: Content-Type")
            unless $status == 204;
        is($res->header('X-Fw-One'), 'one value', "$status: a custom header");
        is_deeply([$res->header('X-Fw-Multi')], ['first', 'second'], "$status: a repeated header");
        is_deeply([$res->header('Set-Cookie')], ['a=1; Path=/', 'b=2; HttpOnly'],
                  "$status: both Set-Cookie");
        is($res->header('Cache-Control'), 'no-cache, private', "$status: Cache-Control");
        is($res->header('ETag'), '"fw-etag-77"', "$status: ETag");
        is($res->header('Last-Modified'), 'Tue, 02 Jan 2018 03:04:05 GMT', "$status: Last-Modified");
        is($res->header('Location'), 'http://camera.invalid/elsewhere?x=1', "$status: Location")
            if $status =~ /^30/;
        is($res->header('WWW-Authenticate'), 'Digest realm="AXIS_CAM", nonce="n1", qop="auth"',
           "$status: the firmware's own challenge") if $status == 401;
    }
};

# ------------------------------------------------------------ streaming

subtest 'a streamed response: the first part arrives before the rest is sent' => sub {
    unlink "$dir/fw/go", "$dir/fw/first-sent", "$dir/fw/rest-sent";
    my ($t0, $t_first, $t_end, $first, $body) = (time, undef, undef, undef, '');
    my $req = HTTP::Request->new(GET => "$base/stream", [Authorization => $AUTH]);
    my $res = $UA->request($req, sub {
        my ($data) = @_;
        unless (defined $t_first) {
            $t_first = time;
            $first = $data;
            spew("$dir/fw/go", '');    # tell the firmware we have it
        }
        $body .= $data;
    });
    $t_end = time;
    is($res->code, 200, 'HTTP 200');
    is($res->header('X-Stream'), 'yes', 'the firmware\'s header');
    is($body, "first part\nrest: released\n", 'the whole body; the firmware was released by '
       . 'the client having the first part (not by its 5 s timeout)');
    is($first, "first part\n", 'the first read is the first part alone');
    my $rest_sent = slurp("$dir/fw/rest-sent") // 0;
    ok(defined $t_first && $t_first < $rest_sent,
       'the first part was received before the firmware sent the rest')
        or diag(sprintf 'first at %.3f, rest sent at %.3f', ($t_first // 0) - $t0, $rest_sent - $t0);
    cmp_ok(($t_first // 99) - $t0, '<', 0.7, 'the first part arrived at once');
    cmp_ok($t_end - ($t_first // $t_end), '>=', 0.9, 'the end came about 1 s later');
    diag(sprintf 'first part after %.3f s, end after %.3f s', ($t_first // 0) - $t0, $t_end - $t0);
};

subtest 'the module\'s locations are not proxied' => sub {
    my $res = send_req('POST', '/axis-cgi/mqtt/client.cgi', '{"method":"getSupportedVersions"}',
                       'Content-Type' => 'application/json');
    my $d = eval { JSON::PP->new->decode($res->content) } // {};
    is_deeply($d->{data}, { apiVersions => ['1.0'] }, 'client.cgi is answered by the gateway');
    my ($seen) = echo('POST', '/axis-cgi/mqtt/client.cgix', 'x');
    is($seen->{uri}, '/axis-cgi/mqtt/client.cgix', 'a neighbour of client.cgi goes to the camera');
    $res = send_req('POST', '/axis-cgi/mqtt/event.cgi', '{"method":"getSupportedVersions"}',
                    'Content-Type' => 'application/json');
    $d = eval { JSON::PP->new->decode($res->content) } // {};
    is_deeply($d->{data}, { apiVersions => ['1.1'] }, 'event.cgi is answered by the gateway');
    ($seen) = echo('GET', '/axis-cgi/mqtt/other.cgi');
    is($seen->{uri}, '/axis-cgi/mqtt/other.cgi', 'other MQTT CGIs go to the camera');
};

unlike(error_log_text($nginx), qr/\[(alert|crit|emerg)\]/, 'no alert, crit or emerg');
is(stop_nginx($nginx), 0, 'nginx stops cleanly');

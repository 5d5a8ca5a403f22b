package Test::AxisNginx::Tls;

# Helpers for the transport tests (t/200-transports.t,
# t/201-transports-tls-proxy.t): certificates made with the openssl CLI, an
# nginx with the API and the certificate directory, API calls and
# configureClient params, polling the status, error.log excerpts, and
# background processes (killed at exit).

use strict;
use warnings;

use Test::AxisNginx;
use Exporter 'import';
use Cwd ();
use File::Basename ();
use File::Path qw(make_path remove_tree);
use JSON::PP ();
use POSIX ();
use Time::HiRes qw(sleep time);

our @EXPORT = qw(
    $SERIAL $TRUE $FALSE $PASSWORD $ROOT
    run_quiet make_certs gw_start call call_ok params status wait_status
    wait_for log_since log_mark log_tail axis_lines spawn_bg stop_bg slurp
);

our $SERIAL   = 'ACCC8E012345';
our $TRUE     = JSON::PP::true;
our $FALSE    = JSON::PP::false;
our $PASSWORD = 'broker-pw-Zq7xK2';    # must never reach error.log
our $ROOT     = Cwd::abs_path('.') . '/t/servroot/' . File::Basename::basename($0, '.t');
my $PARENT   = $$;
my %Mine;                              # pid => what: our own children

END {
    if ($$ == $PARENT) {
        local $?;
        for my $pid (keys %Mine) {
            kill 'TERM', $pid;
            waitpid($pid, 0);
        }
    }
}

sub run_quiet {
    my (@cmd) = @_;
    my $out = `@cmd 2>&1`;
    die "failed: @cmd\n$out" if $?;
    return $out;
}

# A CA, a second unrelated CA, server certificates (with and without the IP
# address) and a client certificate, all EC P-256 (fast), in $dir.
sub make_certs {
    my ($dir) = @_;
    remove_tree($dir);
    make_path($dir);
    my $key = '-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes';
    my $ca_ext = '-addext basicConstraints=critical,CA:TRUE'
               . ' -addext keyUsage=critical,keyCertSign,cRLSign';
    for my $ca (['ca', 'Axis Test CA'], ['wrong-ca', 'Unrelated Test CA']) {
        run_quiet("openssl req -x509 $key -days 2 -keyout $dir/$ca->[0].key"
                  . " -out $dir/$ca->[0].crt -subj '/CN=$ca->[1]' $ca_ext");
    }
    my %leaf = (
        server        => ['localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
                          'extendedKeyUsage=serverAuth'],
        'server-name' => ['localhost', 'subjectAltName=DNS:localhost',
                          'extendedKeyUsage=serverAuth'],
        client        => ['axis-gateway-client', 'extendedKeyUsage=clientAuth'],
    );
    for my $name (sort keys %leaf) {
        my ($cn, @ext) = @{ $leaf{$name} };
        open my $fh, '>', "$dir/$name.ext" or die $!;
        print {$fh} map { "$_\n" } 'basicConstraints=CA:FALSE', @ext;
        close $fh;
        run_quiet("openssl req $key -keyout $dir/$name.key -out $dir/$name.csr"
                  . " -subj '/CN=$cn'");
        run_quiet("openssl x509 -req -days 2 -in $dir/$name.csr -CA $dir/ca.crt"
                  . " -CAkey $dir/ca.key -CAcreateserial -out $dir/$name.crt"
                  . " -extfile $dir/$name.ext");
    }
    chmod 0644, glob("$dir/*");
    chmod 0755, $dir;
    return $dir;
}

# nginx with the API and the certificate directory; X-Worker: who answered
sub gw_start {
    my ($certs) = @_;
    return start_nginx(workers => 4,
        http_config => "axis_mqtt_serial $SERIAL;\naxis_mqtt_cert_dir $certs;",
        config => 'location = /axis-cgi/mqtt/client.cgi {'
                . ' axis_mqtt_client; add_header X-Worker $pid always; }');
}

sub call {
    my ($gw, $method, $params) = @_;
    my %req = (apiVersion => '1.0', context => 't', method => $method);
    $req{params} = $params if $params;
    return scalar api($gw->{port}, \%req);
}

sub call_ok {
    my ($gw, $method, $params, $label) = @_;
    my $data = call($gw, $method, $params);
    ok(ref $data->{data} eq 'HASH' && !$data->{error} && !$data->{_error},
       $label // "$method succeeds")
        or diag(Test::More::explain($data));
    return $data;
}

# configureClient params: protocol, host, port (undef: left out), extras
sub params {
    my ($protocol, $host, $port, %over) = @_;
    my %server = (protocol => $protocol, host => $host,
                  defined $port ? (port => $port) : (),
                  %{ delete $over{server} // {} });
    return { server => \%server, username => 'gw', password => $PASSWORD,
             connectTimeout => 5, keepAliveInterval => 30, %over };
}

# (connectionStatus, config) from one getClientStatus
sub status {
    my ($gw) = @_;
    my $data = call($gw, 'getClientStatus');
    my $d = ref $data->{data} eq 'HASH' ? $data->{data} : {};
    return (($d->{status} // {})->{connectionStatus} // '?', $d->{config} // {});
}

# Poll until the status is $want: true, or false after $timeout s.
sub wait_status {
    my ($gw, $want, $timeout) = @_;
    my $deadline = time + ($timeout // 5);
    my $st;
    while (1) {
        ($st) = status($gw);
        return 1 if $st eq $want;
        last if time > $deadline;
        sleep 0.02;
    }
    diag("status is $st, not $want, after " . ($timeout // 5) . ' s');
    return 0;
}

# Poll until $code returns true; its value, or undef after $timeout s.
sub wait_for {
    my ($code, $timeout) = @_;
    my $deadline = time + ($timeout // 5);
    while (1) {
        my $v = $code->();
        return $v if $v;
        return undef if time > $deadline;
        sleep 0.02;
    }
}

sub log_since { substr(error_log_text($_[0]), $_[1]) }

sub log_mark { length error_log_text($_[0]) }

# the last lines of error.log above debug level
sub log_tail {
    my @l = grep { m{^\d{4}/} && !/\[debug\]/ } split /\n/, error_log_text($_[0]);
    return join "\n", @l[(@l > 40 ? @l - 40 : 0) .. $#l];
}

sub axis_lines {
    my ($text) = @_;
    return join "\n", grep { /axis_mqtt:/ } split /\n/, $text;
}

# fork + exec; stdin from a pipe we keep open (openssl s_server quits on EOF)
sub spawn_bg {
    my ($what, $out, @cmd) = @_;
    pipe(my $r, my $w) or die "pipe: $!";
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        close $w;
        open STDIN, '<&', $r or POSIX::_exit(127);
        open STDOUT, '>>', $out or POSIX::_exit(127);
        open STDERR, '>&', \*STDOUT or POSIX::_exit(127);
        exec @cmd or POSIX::_exit(127);
    }
    close $r;
    $Mine{$pid} = { what => $what, stdin => $w };
    return $pid;
}

sub stop_bg {
    my ($pid) = @_;
    return unless delete $Mine{$pid};
    kill 'TERM', $pid;
    waitpid($pid, 0);
}

sub slurp { open my $fh, '<', $_[0] or return ''; local $/; return scalar <$fh> }

1;

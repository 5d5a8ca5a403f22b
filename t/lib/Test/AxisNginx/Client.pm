package Test::AxisNginx::Client;

# Helpers for the tests of the client API without a broker
# (t/030-configure.t, t/040-persistence.t, t/050-workers.t): request
# sections for the data blocks (main::configure(...), main::status(), ...),
# the replies getClientStatus gives for a configuration, a JSON call for the
# hand-written tests, and reading the state file.
# A file that defines its own status/configure/call imports a list:
#   use Test::AxisNginx::Client qw($CGI $JU cgi slurp);

use strict;
use warnings;

use Test::AxisNginx;
use Exporter 'import';
use Cwd qw(abs_path);
use File::Basename qw(basename dirname);
use File::Path qw(make_path);
use JSON::PP ();

our @EXPORT = qw(
    $CGI $JU $T $F
    defaults status_reply cgi configure status activate deactivate
    call slurp saved_config with_tmpfs
);

our $CGI = '/axis-cgi/mqtt/client.cgi';
our $JU  = JSON::PP->new->utf8->canonical;
our ($T, $F) = (JSON::PP::true, JSON::PP::false);

# The configuration getClientStatus shows after configuring only a broker.
sub defaults {
    my (%server) = @_;
    return {
        server => { protocol => 'tcp', host => '', port => 1883, basepath => '',
                    alpnProtocol => '', %server },
        httpProxy => '', httpsProxy => '', username => '', clientId => '',
        keepAliveInterval => 60, connectTimeout => 60, cleanSession => $T,
        autoReconnect => $T, activateOnReboot => $T,
        deviceTopicPrefix => 'axis/ACCC8E012345',
        ssl => { validateServerCert => $T, clientCertID => '', CACertID => '' },
    };
}

sub status_reply {
    my ($config, $state) = @_;
    return { apiVersion => '1.0', method => 'getClientStatus',
             data => { status => { state => $state // 'inactive',
                                   connectionStatus => 'disconnected' },
                       config => $config } };
}

# A --- request of a data block: POST to the API (a hashref is JSON-encoded).
sub cgi { "POST $CGI\n" . (ref $_[0] ? $JU->encode($_[0]) : $_[0]) }
sub configure { cgi({ apiVersion => '1.0', method => 'configureClient', params => $_[0] }) }
sub status { cgi({ apiVersion => '1.0', method => 'getClientStatus' }) }
sub activate { cgi({ apiVersion => '1.0', method => 'activateClient' }) }
sub deactivate { cgi({ apiVersion => '1.0', method => 'deactivateClient' }) }

# POST a request (hashref, or a raw string) to the API on $port.
# Scalar context: the decoded reply (undef if not JSON); list: (it, $res).
sub call {
    my ($port, $req) = @_;
    my $body = ref $req ? $JU->encode($req) : $req;
    my $res = http_post($port, $CGI, $body, { 'Content-Type' => 'application/json' });
    my $data = eval { $JU->decode($res->content) };
    return wantarray ? ($data, $res) : $data;
}

sub slurp {
    open my $fh, '<', $_[0] or return undef;
    local $/;
    return scalar <$fh>;
}

# The saved configuration, wherever the state file keeps it: the object
# that has a "clientId" key.
sub saved_config {
    my ($file) = @_;
    my $text = slurp($file) // return undef;
    my $root = eval { $JU->decode($text) } // return undef;
    my @todo = ($root);
    while (@todo) {
        my $n = shift @todo;
        next unless ref $n eq 'HASH';
        return $n if exists $n->{clientId};
        push @todo, values %$n;
    }
    return undef;
}

# Run $code->($mnt, $run) with a 16k tmpfs mounted on $mnt
# (t/servroot/<test>/tmpfs); skipped (one test) unless root can mount one.
# Afterwards the nginx the code left in $run->{nginx} is stopped if it still
# runs, the tmpfs is unmounted (a test), and a $code that died fails "$what died".
sub with_tmpfs {
    my ($what, $code) = @_;
  SKIP: {
    skip 'mount needs root', 1 if $>;
    my $mnt = abs_path(dirname(__FILE__) . '/../../..') . '/servroot/' . basename($0, '.t')
            . '/tmpfs';
    my $mounted = sub { (slurp('/proc/mounts') // '') =~ m{ \Q$mnt\E tmpfs } };
    system('umount', $mnt) if $mounted->();    # left by an interrupted run
    make_path($mnt);
    system("mount -t tmpfs -o size=16k,mode=0700 tmpfs '$mnt' 2>/dev/null") == 0
        && $mounted->()
        or skip 'cannot mount a tmpfs here', 1;

    my $run = {};
    my $ok = eval { $code->($mnt, $run); 1 };
    my $err = $@;
    my $h = $run->{nginx};
    stop_nginx($h) if $h && !defined $h->{exit_status};
    system('umount', $mnt) == 0 or diag("umount $mnt failed");
    ok(!$mounted->(), 'tmpfs unmounted');
    fail("$what died") or diag($err) unless $ok;
  }
}

1;

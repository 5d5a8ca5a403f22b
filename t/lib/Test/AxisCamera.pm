package Test::AxisCamera;

# The stand-in camera (t/lib/camera/camera.py) for the test files: started
# on a free port, stopped at exit, and what it was asked.

use strict;
use warnings;

use Exporter 'import';
use HTTP::Tiny;
use JSON::PP ();
use POSIX ();
use Time::HiRes qw(sleep time);

use Test::AxisNginx ();

our @EXPORT = qw(start_camera camera_event camera_post camera_calls wait_calls);

my $HTTP = HTTP::Tiny->new(timeout => 15);
my $JSON = JSON::PP->new->canonical;
my @Cameras;

# start_camera(dir => .., user => .., password => .., lifetime => s):
# {port, pid, url}, once it answers
sub start_camera {
    my (%a) = @_;
    my $port = Test::AxisNginx::free_port();
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open STDOUT, '>', "$a{dir}/camera-$port.log";
        open STDERR, '>&', \*STDOUT;
        { exec 'python3', 't/lib/camera/camera.py', '--port', $port,
             '--user', $a{user} // '', '--password', $a{password} // '',
             $a{lifetime} ? ('--lifetime', $a{lifetime}) : () };
        POSIX::_exit(127);
    }
    my $cam = { port => $port, pid => $pid, url => "http://127.0.0.1:$port" };
    push @Cameras, $cam;
    my $deadline = time + 10;
    until ($HTTP->get("$cam->{url}/test/calls")->{success}) {
        die "the stand-in camera did not start" if time > $deadline;
        sleep 0.05;
    }
    return $cam;
}
END { kill 'TERM', map { $_->{pid} } @Cameras }

# a test request to the camera (/test/event, /test/fault ...)
sub camera_post {
    my ($cam, $path, $body) = @_;
    my $r = $HTTP->post("$cam->{url}$path", { content => $JSON->encode($body) });
    die "camera: $r->{status}" unless $r->{success};
}

sub camera_event {
    my ($cam, %ev) = @_;
    camera_post($cam, '/test/event', \%ev);
}

sub camera_calls {
    my ($cam) = @_;
    return @{ JSON::PP->new->decode($HTTP->get("$cam->{url}/test/calls")->{content}) };
}

# until the camera saw n authorized requests of this action: their count
sub wait_calls {
    my ($cam, $action, $n, $timeout) = @_;
    my $deadline = time + ($timeout // 10);
    while (time < $deadline) {
        my $seen = grep { $_->{action} eq $action && $_->{auth} } camera_calls($cam);
        return $seen if $seen >= ($n // 1);
        sleep 0.05;
    }
    return 0;
}

1;

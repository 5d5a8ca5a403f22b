package Test::AxisNginx;

# A small data-driven test harness for the axis_mqtt nginx module.
#
# Each `=== TEST` block of a .t file's __DATA__ gets its own nginx (foreground
# master, started with fork/exec) in t/servroot/<test-basename>/; requests are
# sent with LWP and the responses, error log and state file are checked.
# The helpers exported below also serve hand-written tests (nginx, mosquitto,
# mosquitto_sub).  Section parsing comes from Test::Base.
#
# Block sections: http_config main_config config workers init state_file
# keep_state request (eval: arrayref) raw_request more_headers error_code
# response_headers response_headers_like response_body response_body_like
# response_json response_json_exact check error_log no_error_log must_die
# nginx_t state_file_like state_file_mode.  Placeholders $port $servroot
# $state_dir $repo $TEST_NGINX_* are replaced in configs, request, state_file.
# run_tests() sets plan('no_plan') unless the test file planned already.

# Lowercase -base: inherit from Test::Base without Spiffy's source filter.
use Test::Base -base;

use strict;
use warnings;
use B ();
use Cwd qw(abs_path);
use File::Basename qw(basename dirname);
use File::Path qw(make_path remove_tree);
use Fcntl qw(O_WRONLY O_CREAT O_TRUNC);
use IO::Select;
use IO::Socket::INET;
use JSON::PP ();
use LWP::UserAgent;
use HTTP::Request;
use HTTP::Response;
use POSIX qw(WNOHANG ceil);
use Time::HiRes qw(sleep time);

our @EXPORT = qw(
    run_tests repeat_each free_port
    start_nginx stop_nginx reload_nginx worker_pids error_log_text state_file_of
    http_post api
    start_mosquitto stop_mosquitto mosquitto_log
    sub_messages sub_start sub_collect
);

# Visible to --- init / --- check code (also as lexicals $port, $servroot, ...).
our ($Port, $Servroot, $StateDir, $Block, $Nginx);

my $Repo      = abs_path(dirname(__FILE__) . '/../../..');
my $TestName  = basename($0, '.t');
my $Root      = "$Repo/t/servroot/$TestName";
my $NginxBin  = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
my $ParentPid = $$;
my $RepeatEach = 1;
my $JSON = JSON::PP->new->canonical->pretty->allow_nonref;

my %Children;       # pid => 'nginx' | 'mosquitto' | 'sub': killed at END
my %Brokers;        # pid => mosquitto handle (sub_start looks up its log)
my %ServrootBusy;   # servroots of running nginx instances
my $Seq = 0;

my $UA = LWP::UserAgent->new(keep_alive => 0, timeout => 10, max_redirect => 0,
                             env_proxy => 0);
$UA->proxy([qw(http https)], undef);

# Let END blocks run (and kill our children) when prove or a user stops us.
$SIG{$_} ||= sub { exit 1 } for qw(INT TERM);

sub repeat_each { $RepeatEach = shift if @_; $RepeatEach }

sub _slurp {
    my ($file) = @_;
    open my $fh, '<', $file or return '';
    local $/;
    return scalar <$fh>;
}

sub _spew {
    my ($file, $text, $mode) = @_;
    sysopen my $fh, $file, O_WRONLY | O_CREAT | O_TRUNC, $mode // 0644
        or die "cannot write $file: $!";
    print {$fh} $text;
    close $fh;
    chmod $mode, $file if defined $mode;    # umask or an old file may differ
}

# ---------------------------------------------------------------- processes

sub _spawn {
    my ($kind, $cmd, $out, $err) = @_;
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDIN,  '<',  '/dev/null';
        open STDOUT, '>>', $out or POSIX::_exit(127);
        open STDERR, '>>', $err // $out or POSIX::_exit(127);
        exec @$cmd or print STDERR "exec $cmd->[0]: $!\n";
        POSIX::_exit(127);
    }
    $Children{$pid} = $kind;
    return $pid;
}

# Wait up to $timeout s for $pid to exit: its wait status, or undef if alive.
sub _wait_exit {
    my ($pid, $timeout) = @_;
    local $?;    # keep the caller's $? intact
    my $deadline = time + $timeout;
    while (1) {
        my $r = waitpid($pid, WNOHANG);
        if ($r != 0) {
            delete $Children{$pid};
            return $r == $pid ? $? : 0;
        }
        return undef if time >= $deadline;
        sleep 0.02;
    }
}

# Signal, wait, then SIGKILL (with any extra pids, e.g. orphaned workers).
sub _terminate {
    my ($pid, $signal, $timeout, @extra) = @_;
    kill $signal, $pid;
    my $status = _wait_exit($pid, $timeout);
    return ($status, 0) if defined $status;
    kill 'KILL', $pid, @extra;
    return (_wait_exit($pid, 5) // -1, 1);
}

sub free_port {
    while (1) {
        my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0,
                                      Proto => 'tcp', Listen => 1)
            or die "cannot bind 127.0.0.1:0: $!";
        my $port = $s->sockport;
        close $s;
        # mosquitto's clients switch to TLS on their own on 8883
        return $port unless $port == 8883 || $port == 1883;
    }
}

# Poll until 127.0.0.1:$port accepts; false if $h's process exits first.
sub _wait_port {
    my ($port, $h, $timeout) = @_;
    my $deadline = time + $timeout;
    while (time < $deadline) {
        if ($h) {
            my $status = _wait_exit($h->{pid}, 0);
            if (defined $status) { $h->{exit_status} = $status; return 0 }
        }
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                      Proto => 'tcp', Timeout => 1);
        if ($s) { close $s; return 1 }
        sleep 0.05;
    }
    return 0;
}

# ---------------------------------------------------------------- nginx

sub _module_path {
    my $path = $ENV{AXIS_MQTT_MODULE} // "$Repo/build/ngx_http_axis_mqtt_module.so";
    return -f $path ? abs_path($path) : undef;
}

sub _subst {
    my ($h, $text) = @_;
    return $text if !defined $text || ref $text;
    $text =~ s/\$port\b/$h->{port}/g;
    $text =~ s/\$servroot\b/$h->{servroot}/g;
    $text =~ s/\$state_dir\b/$h->{state_dir}/g;
    $text =~ s/\$repo\b/$Repo/g;
    $text =~ s{\$(TEST_NGINX_\w+)}{$ENV{$1} // "\$$1"}ge;
    return $text;
}

# Choose servroot + port, lay out fresh dirs, write the state file.
sub _prepare_nginx {
    my (%a) = @_;
    my $sr = $a{servroot};
    unless ($sr) {
        $sr = $Root;
        my $n = 1;
        $sr = "$Root/extra-" . ++$n while $ServrootBusy{$sr};
    }
    my $h = { servroot => $sr, state_dir => "$sr/state",
              port => $a{port} // free_port(), workers => $a{workers} || 2,
              args => {%a} };
    remove_tree("$sr/$_") for qw(conf logs tmp), $a{keep_state} ? () : 'state';
    make_path("$sr/conf", "$sr/logs", "$sr/tmp");
    make_path($h->{state_dir}, { mode => 0700 });
    chmod 0700, $h->{state_dir} unless $a{keep_state};
    # the single-device layout's file: the device of the http level's serial
    # takes it over (and the owner renames it)
    _spew("$h->{state_dir}/client.json", _subst($h, $a{state_file}), 0600)
        if defined $a{state_file};
    return $h;
}

sub _write_conf {
    my ($h) = @_;
    my %a = %{ $h->{args} };
    my ($sr, $module) = ($h->{servroot}, _module_path());
    my $http_config = _subst($h, $a{http_config} // '');
    my @temp = map { "${_}_temp_path $sr/tmp/$_;" }
        qw(client_body proxy fastcgi uwsgi scgi);
    my $conf = join "\n",
        'daemon off;', 'master_process on;', "worker_processes $h->{workers};",
        ($> == 0 ? 'user root;' : ()),    # workers must read 0700 dirs
        "error_log $sr/logs/error.log " . ($a{log_level} // 'debug') . ';',
        "pid $sr/logs/nginx.pid;",
        ($module ? "load_module $module;" : ()),
        _subst($h, $a{main_config} // ''),
        'events { worker_connections 1024; }',
        'http {', ($a{access_log} // 1 ? "access_log $sr/logs/access.log;" : 'access_log off;'),
        @temp,
        ($module && $http_config !~ /\baxis_mqtt_state_dir\b/
            ? "axis_mqtt_state_dir $h->{state_dir};" : ()),
        $http_config,
        'server {', "listen 127.0.0.1:$h->{port};", 'server_name localhost;',
        _subst($h, $a{config} // ''), '}', '}', '';
    $h->{conf} = "$sr/conf/nginx.conf";
    _spew($h->{conf}, $conf);
}

sub _nginx_cmd {
    my ($h, @extra) = @_;
    return [$NginxBin, '-p', "$h->{servroot}/", '-c', $h->{conf},
            '-e', "$h->{servroot}/logs/error.log", @extra];
}

sub _launch_nginx {
    my ($h) = @_;
    $h->{pid} = _spawn(nginx => _nginx_cmd($h), "$h->{servroot}/logs/stderr.log");
    $ServrootBusy{ $h->{servroot} } = 1;
    return $h;
}

sub _startup_logs {
    my ($h) = @_;
    return "error.log:\n" . _slurp("$h->{servroot}/logs/error.log")
         . "stderr.log:\n" . _slurp("$h->{servroot}/logs/stderr.log");
}

# start_nginx(config => .., http_config => .., main_config => .., workers => N,
#             keep_state => 1, state_file => .., port => .., servroot => ..,
#             log_level => 'info' (default debug), access_log => 0 (default 1))
sub start_nginx {
    my (%a) = @_;
    my $h = _prepare_nginx(%a);
    _write_conf($h);
    _launch_nginx($h);
    return $h if _wait_port($h->{port}, $h, 10);
    my $logs = _startup_logs($h);
    stop_nginx($h);
    die "nginx did not start on port $h->{port}\n$logs";
}

# Returns the master's wait status (0 after a clean graceful stop).
sub stop_nginx {
    my ($h, %a) = @_;
    delete $ServrootBusy{ $h->{servroot} };
    return $h->{exit_status} if defined $h->{exit_status};
    my @workers = worker_pids($h);
    my ($status, $killed) = _terminate($h->{pid}, $a{signal} // 'QUIT',
                                       $a{timeout} // 10, @workers);
    Test::More::diag("nginx $h->{pid} did not stop in time: killed") if $killed;
    $h->{killed} = $killed;
    return $h->{exit_status} = $status;
}

# Children of the master that are not zombies.
sub worker_pids {
    my ($h) = @_;
    my @pids;
    for my $stat (glob '/proc/[0-9]*/stat') {
        my ($pid, $state, $ppid) = _slurp($stat) =~ /^(\d+) \(.*\) (\S) (\d+)/s
            or next;
        push @pids, $pid if $ppid == $h->{pid} && $state ne 'Z';
    }
    @pids = sort { $a <=> $b } @pids;
    return wantarray ? @pids : scalar @pids;
}

# SIGHUP and wait (up to 5 s) until a full new generation of workers runs;
# wait_old => 1 also waits for the old workers to exit. Extra args (config,
# http_config, ...) replace the ones nginx was started with before the HUP.
sub reload_nginx {
    my ($h, %a) = @_;
    my $timeout = delete $a{timeout} // 5;
    my $wait_old = delete $a{wait_old};
    if (%a) {
        $h->{args} = { %{ $h->{args} }, %a };
        $h->{workers} = $a{workers} if $a{workers};
        _write_conf($h);
    }
    my %old = map { $_ => 1 } worker_pids($h);
    kill 'HUP', $h->{pid};
    my $deadline = time + $timeout;
    while (time < $deadline) {
        my @now = worker_pids($h);
        my $new = grep { !$old{$_} } @now;
        return 1 if $new >= $h->{workers} && (!$wait_old || $new == @now);
        sleep 0.05;
    }
    return 0;
}

sub error_log_text {
    my ($h) = @_;
    $h //= $Nginx;
    return _slurp("$h->{servroot}/logs/error.log");
}

# ---------------------------------------------------------------- HTTP

sub _http {
    my ($port, $method, $uri, $body, $headers) = @_;
    my $req = HTTP::Request->new($method, "http://127.0.0.1:$port$uri",
                                 $headers // [], $body);
    $req->content_length(length $body) if defined $body && length $body
                                         || $method =~ /^(POST|PUT|PATCH)$/;
    return $UA->request($req);
}

sub http_post {
    my ($port, $uri, $body, $headers) = @_;
    return _http($port, 'POST', $uri, $body // '', [%{ $headers // {} }]);
}

# POST a JSON request (hashref, or a raw string) to the module's CGI path.
# Scalar context: decoded reply (or {_error, _status, _body}); list: (it, $res).
sub api {
    my ($port, $req, $headers) = @_;
    my $body = ref $req ? JSON::PP->new->canonical->encode($req) : $req;
    my $res = http_post($port, '/axis-cgi/mqtt/client.cgi', $body,
                        { 'Content-Type' => 'application/json', %{ $headers // {} } });
    my $data = eval { JSON::PP->new->decode($res->content) }
        // { _error => $@ || 'not a JSON object', _status => $res->code,
             _body => $res->content };
    return wantarray ? ($data, $res) : $data;
}

# Send bytes as-is and parse whatever comes back before EOF (or 10 s).
sub _raw_http {
    my ($port, $bytes) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
                                  Proto => 'tcp', Timeout => 10)
        or return HTTP::Response->new(0, "connect: $!");
    print {$s} $bytes;
    my ($buf, $sel, $deadline) = ('', IO::Select->new($s), time + 10);
    while (time < $deadline && $sel->can_read($deadline - time)) {
        last unless sysread($s, $buf, 65536, length $buf);
    }
    return length $buf ? HTTP::Response->parse($buf)
                       : HTTP::Response->new(0, 'no response');
}

# ---------------------------------------------------------------- mosquitto

# Drop brokers' and subscribers' dirs left by earlier runs of this test file.
my $MqttDirsCleaned;
sub _clean_mqtt_dirs {
    return if $MqttDirsCleaned++;
    remove_tree(glob("$Root/mosquitto-*"), "$Root/sub");
}

# start_mosquitto(port => .., config => "extra lines"): handle {pid, port, dir, log}
sub start_mosquitto {
    my (%a) = @_;
    my $port = $a{port} // free_port();
    _clean_mqtt_dirs();
    my $dir = "$Root/mosquitto-$port-" . ++$Seq;
    make_path($dir);
    my $h = { port => $port, dir => $dir, log => "$dir/mosquitto.log",
              conf => "$dir/mosquitto.conf" };
    _spew($h->{conf}, join "\n", "listener $port 127.0.0.1", 'allow_anonymous true',
          'user root', "log_dest file $h->{log}", 'log_type all',
          'persistence false', $a{config} // '', '');
    $h->{pid} = _spawn(mosquitto => ['/usr/sbin/mosquitto', '-c', $h->{conf}],
                       "$dir/stderr.log");
    unless (_wait_port($port, $h, 10)) {
        _terminate($h->{pid}, 'KILL', 2) unless defined $h->{exit_status};
        die "mosquitto did not start on port $port\n" . _slurp($h->{log})
            . _slurp("$dir/stderr.log");
    }
    $Brokers{ $h->{pid} } = $h;
    return $h;
}

sub stop_mosquitto {
    my ($h) = @_;
    delete $Brokers{ $h->{pid} };
    return $h->{exit_status} //= (_terminate($h->{pid}, 'TERM', 5))[0];
}

sub mosquitto_log { _slurp($_[0]{log}) }

# sub_start(port => .., topic => 'a/#' or [..], count => N, timeout => s,
#           extra => [mosquitto_sub args]): runs mosquitto_sub in the
# background and returns once the broker has seen its SUBSCRIBE.
sub sub_start {
    my (%a) = @_;
    _clean_mqtt_dirs();
    my $n = ++$Seq;
    my $dir = "$Root/sub";
    make_path($dir);
    my $timeout = ceil($a{timeout} // 5);
    my $h = { id => "axis-test-sub-$$-$n", out => "$dir/sub-$$-$n.out",
              err => "$dir/sub-$$-$n.err", timeout => $timeout };
    unlink $h->{out}, $h->{err};
    my @topics = ref $a{topic} ? @{ $a{topic} } : ($a{topic});
    # %x (hex payload) keeps arbitrary bytes and newlines on one line
    my @cmd = ('mosquitto_sub', '-h', '127.0.0.1', '-p', $a{port}, '-i', $h->{id},
               (map { ('-t', $_) } @topics), '-F', '%r %q %x %t', '-W', $timeout,
               ($a{count} ? ('-C', $a{count}) : ()), @{ $a{extra} // [] });
    $h->{pid} = _spawn(sub => \@cmd, $h->{out}, $h->{err});
    my ($broker) = grep { $_->{port} == $a{port} } values %Brokers;
    if ($broker) {
        my $deadline = time + 5;
        sleep 0.02 until time > $deadline
            || mosquitto_log($broker) =~ /Received SUBSCRIBE from \Q$h->{id}\E\b/;
    } else {
        sleep 0.5;    # not our broker: no log to watch
    }
    return $h;
}

# Wait for the subscriber to finish; list of {topic, payload, retain, qos}.
sub sub_collect {
    my ($h) = @_;
    unless (defined $h->{exit_status}) {
        $h->{exit_status} = _wait_exit($h->{pid}, $h->{timeout} + 5)
            // (_terminate($h->{pid}, 'TERM', 2))[0];
    }
    my @msgs;
    for my $line (split /\n/, _slurp($h->{out})) {
        my ($retain, $qos, $hex, $topic) = split / /, $line, 4;
        next unless defined $topic;
        push @msgs, { retain => $retain + 0, qos => $qos + 0, topic => $topic,
                      payload => pack('H*', $hex) };
    }
    return @msgs;
}

sub sub_messages { sub_collect(sub_start(@_)) }

# ---------------------------------------------------------------- blocks

sub _has { exists $_[0]{ $_[1] } }

# The value of a section (always scalar context: see Test::Base accessors).
sub _sec { my ($block, $name) = @_; return scalar $block->$name }

# A per-request expectation: arrayref (from `eval`) or one value for all.
sub _nth { my ($v, $i) = @_; ref $v eq 'ARRAY' ? $v->[$i] : $v }

sub _lines {
    my ($v) = @_;
    return () unless defined $v;
    return grep { length } map { s/^\s+|\s+$//gr } ref $v ? @$v : split /\n/, $v;
}

sub _eval_code {
    my ($code, $label) = @_;
    my $ok = eval "package main;\n"
        . 'my ($block, $port, $servroot, $state_dir, $nginx) = ($Test::AxisNginx::Block,'
        . ' $Test::AxisNginx::Port, $Test::AxisNginx::Servroot,'
        . " \$Test::AxisNginx::StateDir, \$Test::AxisNginx::Nginx);\n"
        . "#line 1 \"$label\"\n$code\n;1";
    my $err = $@;
    fail("$label died") or diag($err) unless $ok;
    return $ok;
}

sub run_tests {
    plan('no_plan') unless Test::Builder->new->has_plan;
    for my $block (blocks()) {
        for (1 .. $RepeatEach) {
            local ($Block, $Nginx, $Port, $Servroot, $StateDir) = ($block);
            my $ok = eval { _run_block($block); 1 };
            my $err = $@;
            stop_nginx($Nginx) if $Nginx && $Nginx->{pid};
            fail($block->name . ' - harness error') or diag($err) unless $ok;
        }
    }
}

sub _run_block {
    my ($block) = @_;
    my $name = $block->name;
    my %args = map { $_ => _sec($block, $_) }
        qw(config http_config main_config workers state_file);
    my $h = $Nginx = _prepare_nginx(%args, keep_state => _has($block, 'keep_state'));
    ($Port, $Servroot, $StateDir) = @$h{qw(port servroot state_dir)};
    if (defined(my $init = _sec($block, 'init'))) {
        return unless _eval_code($init, "$name --- init");
    }
    _write_conf($h);
    return _run_nginx_t($block, $h) if _has($block, 'nginx_t');
    _launch_nginx($h);

    if (_has($block, 'must_die')) {
        my $status = _wait_exit($h->{pid}, 2);
        $h->{exit_status} = $status if defined $status;
        ok(defined $status && $status != 0, "$name - nginx failed to start")
            or diag(_startup_logs($h));
        stop_nginx($h);
        return _check_logs($block, _startup_logs($h));
    }
    unless (_wait_port($h->{port}, $h, 10)) {
        fail("$name - nginx started") or diag(_startup_logs($h));
        return;
    }

    my @reqs = _requests($block, $h);
    for my $i (0 .. $#reqs) {
        my $res = $reqs[$i]{raw} ? _raw_http($h->{port}, $reqs[$i]{raw})
                                 : _http($h->{port}, @{ $reqs[$i]{http} });
        _check_response($block, $res, $i, @reqs > 1 ? " (request $i)" : '');
    }
    sleep 0.15;    # let workers finish writing logs and state
    if (defined(my $check = _sec($block, 'check'))) {
        _eval_code($check, "$name --- check");
    }
    my $status = stop_nginx($h);
    fail("$name - nginx stopped cleanly (wait status $status)")
        if $status || $h->{killed};
    _check_logs($block, error_log_text($h));
    _check_state($block, $h);
}

sub _run_nginx_t {
    my ($block, $h) = @_;
    my $name = $block->name;
    my $out = "$h->{servroot}/logs/nginx-t.log";
    my $pid = _spawn(nginx => _nginx_cmd($h, '-t'), $out);
    my $status = _wait_exit($pid, 30) // (_terminate($pid, 'KILL', 2))[0];
    my $text = _slurp($out) . _slurp("$h->{servroot}/logs/error.log");
    if (_has($block, 'must_die')) {
        ok($status != 0, "$name - nginx -t fails") or diag($text);
    } else {
        is($status, 0, "$name - nginx -t succeeds") or diag($text);
    }
    _check_logs($block, $text);
}

# Normalise --- request / --- raw_request (maybe arrayrefs) to a list.
sub _requests {
    my ($block, $h) = @_;
    my @headers;
    for (_lines(_subst($h, _sec($block, 'more_headers')))) {
        push @headers, $1, $2 if /^([^:\s]+)\s*:\s*(.*)$/;
    }
    if (defined(my $raw = _sec($block, 'raw_request'))) {
        return map {
            my $r = _subst($h, $_);
            unless ($r =~ /\r/) {    # plain section: make it proper HTTP
                $r =~ s/\n/\r\n/g;
                $r .= "\r\n" unless $r =~ /\r\n\r\n/;
            }
            { raw => $r };
        } ref $raw ? @$raw : $raw;
    }
    my $req = _sec($block, 'request') // return ();
    return map {
        my ($line, $body) = split /\n/, _subst($h, $_), 2;
        my ($method, $uri) = split ' ', $line;
        chomp($body //= '');
        { http => [$method, $uri, $body, \@headers] };
    } ref $req ? @$req : $req;
}

sub _check_response {
    my ($block, $res, $i, $suffix) = @_;
    my $name = $block->name . ' -';
    my $lwp_error = ($res->header('Client-Warning') // '') eq 'Internal response';
    my $code = _nth(_sec($block, 'error_code'), $i) // 200;
    is($res->code, $code, "$name status code$suffix")
        or diag($lwp_error ? 'LWP: ' . $res->content : $res->as_string);

    for (_lines(_nth(_sec($block, 'response_headers'), $i))) {
        if (/^!\s*(\S+)/) {
            ok(!defined $res->header($1), "$name no header $1$suffix");
        } elsif (/^([^:\s]+)\s*:\s*(.*)$/) {
            is(scalar $res->header($1), $2, "$name header $1$suffix");
        }
    }
    for (_lines(_nth(_sec($block, 'response_headers_like'), $i))) {
        my ($hdr, $re) = /^([^:\s]+)\s*:\s*(.*)$/ or next;
        like(scalar($res->header($hdr)) // '', qr/$re/, "$name header $hdr like$suffix");
    }
    my $body = $res->content;
    if (defined(my $exp = _nth(_sec($block, 'response_body'), $i))) {
        is($body, $exp, "$name response body$suffix");
    }
    if (defined(my $re = _nth(_sec($block, 'response_body_like'), $i))) {
        chomp $re;
        like($body, qr/$re/s, "$name response body like$suffix");
    }
    for my $exact (0, 1) {
        my $sec = $exact ? 'response_json_exact' : 'response_json';
        my $exp = _nth(_sec($block, $sec), $i) // next;
        _check_json($body, $exp, $exact, "$name $sec$suffix");
    }
}

sub _check_json {
    my ($body, $exp, $exact, $label) = @_;
    my $got = eval { JSON::PP->new->allow_nonref->decode($body) };
    return fail("$label: body is not JSON") || diag("$@body: $body")
        if $@;
    $exp = JSON::PP->new->allow_nonref->decode($exp) unless ref $exp;
    return is($JSON->encode($got), $JSON->encode($exp), $label) if $exact;
    my @diffs;
    _json_diffs($exp, $got, '$', \@diffs);
    ok(!@diffs, $label)
        or diag(join("\n", @diffs) . "\nactual:\n" . $JSON->encode($got));
}

# JSON type of a freshly decoded value: numbers and strings differ in their
# flags only, so this must run before anything stringifies the value.
sub _kind {
    my ($v) = @_;
    return 'null' unless defined $v;
    return 'boolean' if JSON::PP::is_bool($v);
    return ref $v eq 'HASH' ? 'object' : 'array' if ref $v;
    my $f = B::svref_2object(\$v)->FLAGS;
    return ($f & (B::SVp_IOK | B::SVp_NOK)) && !($f & B::SVp_POK) ? 'number' : 'string';
}

# Collect where $got differs from $exp ($exp's object keys are a subset).
sub _json_diffs {
    my ($exp, $got, $path, $diffs) = @_;
    my ($ke, $kg) = (_kind($exp), _kind($got));
    my $show = sub { JSON::PP->new->canonical->allow_nonref->encode($_[0]) };
    my $bad = sub { push @$diffs, "$path: expected " . $show->($exp) . ', got '
                                  . $show->($got) };
    return $bad->() if $ke ne $kg;
    if ($ke eq 'object') {
        for my $k (sort keys %$exp) {
            if (exists $got->{$k}) { _json_diffs($exp->{$k}, $got->{$k}, "$path.$k", $diffs) }
            else { push @$diffs, "$path.$k: missing" }
        }
    } elsif ($ke eq 'array') {
        return $bad->() unless @$got == @$exp;
        _json_diffs($exp->[$_], $got->[$_], "$path\[$_]", $diffs) for 0 .. $#$exp;
    } elsif ($ke eq 'number') {
        $bad->() unless $exp == $got;
    } elsif ($ke ne 'null') {
        $bad->() unless $ke eq 'boolean' ? !$exp == !$got : $exp eq $got;
    }
}

# --- error_log / --- no_error_log: a substring per line, or qr/.../ lines.
sub _check_logs {
    my ($block, $text) = @_;
    my $name = $block->name;
    for my $want (0, 1) {
        my $sec = $want ? 'error_log' : 'no_error_log';
        for my $pat (_lines(_sec($block, $sec))) {
            my $found = $pat =~ m{^qr/(.*)/$} ? $text =~ /$1/m
                                               : index($text, $pat) >= 0;
            ok($want ? $found : !$found, "$name - $sec: $pat");
        }
    }
}

# The state file of the device with that serial, <state_dir>/client-<serial>.json;
# without a serial: the only device file there is, else a single-device
# layout's client.json not taken over (no device), else ACCC8E012345's.
sub state_file_of {
    my ($h, $serial) = @_;
    unless ($serial) {
        my @files = glob "$h->{state_dir}/client-*.json";
        return $files[0] if @files == 1;
        return "$h->{state_dir}/client.json" if !@files && -e "$h->{state_dir}/client.json";
        $serial = 'ACCC8E012345';
    }
    return "$h->{state_dir}/client-$serial.json";
}

sub _check_state {
    my ($block, $h) = @_;
    my $name = $block->name;
    my $file = state_file_of($h);
    if (defined(my $re = _sec($block, 'state_file_like'))) {
        chomp $re;
        ok(-f $file, "$name - state file exists")
            and like(_slurp($file), qr/$re/s, "$name - state file like");
    }
    if (defined(my $mode = _sec($block, 'state_file_mode'))) {
        my @st = stat $file;
        is(@st ? sprintf('%04o', $st[2] & 07777) : 'missing',
           sprintf('%04o', oct $mode), "$name - state file mode");
    }
}

# Kill whatever is still running, in the parent only (END also runs in forks).
END {
    if ($$ == $ParentPid) {
        local $?;
        for my $pid (keys %Children) {
            my $kind = $Children{$pid};
            my @workers = $kind eq 'nginx' ? worker_pids({ pid => $pid }) : ();
            _terminate($pid, $kind eq 'nginx' ? 'QUIT' : 'TERM', 3, @workers);
        }
    }
}

1;

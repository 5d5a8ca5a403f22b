#!/usr/bin/env bash
# The nginx test suite once with every nginx process under valgrind memcheck
# (issue 4), then a summary of what memcheck found that is ours.
#
#   bash bench/valgrind.sh [prove args / test files]
#
# Runs `prove` over t/*.t except t/340-demo.t (the demo starts nginx through
# ./build.sh run, not through the harness) with TEST_NGINX_BINARY pointing at
# bench/valgrind-nginx.sh; the C unit tests and the fuzz targets are not nginx
# and are not run.  Each nginx process (master, workers, `nginx -t`) writes
# bench/work-valgrind/logs/vg.<pid>.log; the summary reads them all and
# reports, deduplicated, every error whose stack passes through the module
# (ngx_http_axis_mqtt_* / axis_mqtt_* or the module's .so):
#   Invalid read/write/free, use of uninitialised values (conditional jumps,
#   syscall params), definitely lost blocks
# and, separately, the errors inside Paho or jansson with no module frame
# (their own threads) and the count of nginx's own (nginx leaks a few blocks
# at exit by design: environment, cycle and connection arrays).
#
# The suite runs in a copy of the checkout, bench/work-valgrind/repo/ (with
# REVISION: the commit and the uncommitted changes), with a copy of the
# module (AXIS_MQTT_MODULE): the servroots are private, and file:line in the
# summary refers to repo/src even if the checkout moves on during the run.
#
# Reading the leaks: a worker's exit destroys the cycle pool, and with it
# nginx dlclose()s the module (and libpaho, libjansson): a block that only
# the module's or those libraries' static data point to is then reported
# "definitely lost", even if it is freed when replaced at run time (a cache)
# or still in use by a thread that has not finished.  Those are ours all the
# same, listed with the rest.  Not covered: t/060-directives.t runs
# /usr/sbin/nginx -t itself, not $TEST_NGINX_BINARY.
#
# Exit status: 0 if nothing is ours, 1 if something is, 2 if the run itself
# failed (no logs).  Test failures under valgrind are reported, not fatal:
# the harness's deadlines (10 s start / stop, 10 s per HTTP request, 5 s
# reload, the tests' own 5-10 s polls) are not made for a 20-50x slower
# nginx; see the prove log for which tests ran out of time.
#
#   VG_JOBS=N                 prove -j N (default 1: timing is tight already)
#   AXIS_MQTT_VG_EXITCODE     passed on to the wrapper; default here 0, so an
#                             error found changes no test's outcome (nginx's own
#                             exit-time leaks would fail "stopped cleanly")
#   VG_SUMMARY_ONLY=1         only summarise the logs of an earlier run
#   VG_TOOL=drd|helgrind      a thread checker instead of memcheck (issue 8):
#                             races and lock misuse, summarised the same way
set -euo pipefail

bench=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$bench")
work=$bench/work-valgrind
logs=${AXIS_MQTT_VG_DIR:-$work/logs}

log() { printf '==> %s\n' "$*" >&2; }

command -v valgrind > /dev/null \
    || { echo "valgrind.sh: valgrind is missing (apt-get install valgrind)" >&2; exit 2; }

if [ -z "${VG_SUMMARY_ONLY:-}" ]; then
    # the module as built now (./build.sh build first after a change)
    [ -f "$repo/build/ngx_http_axis_mqtt_module.so" ] || "$repo/build.sh" build
    mkdir -p "$work" "$logs"
    rm -f "$logs"/vg.*.log "$work/prove.log" "$work/summary.txt"

    # A private copy of the checkout (tests, harness, conf, sources) and of
    # the module: the tests' servroots are then under the copy, away from
    # anyone running the suite in the checkout meanwhile, and file:line in
    # the stacks refers to sources that stay as they were.
    # a tmpfs a test mounted and did not unmount (an interrupted run)
    awk -v d="$work/repo/" 'index($2, d) == 1 { print $2 }' /proc/mounts \
        | xargs -r -n1 umount 2>/dev/null || true
    rm -rf "$work/repo"
    mkdir -p "$work/repo"
    tar -C "$repo" --exclude=./.git --exclude=./build --exclude=./run \
        --exclude='./bench/work*' --exclude=./t/servroot -cf - . \
        | tar -C "$work/repo" -xf -
    cp "$repo/build/ngx_http_axis_mqtt_module.so" "$work/ngx_http_axis_mqtt_module.so"
    (cd "$repo" && git rev-parse HEAD && git status --short) \
        > "$work/repo/REVISION" 2>&1 || true
    export AXIS_MQTT_MODULE=$work/ngx_http_axis_mqtt_module.so

    if [ $# -eq 0 ]; then
        set -- $(cd "$work/repo" && ls t/*.t | grep -v '^t/340-demo\.t$')
    fi

    export TEST_NGINX_BINARY=$bench/valgrind-nginx.sh
    export AXIS_MQTT_VG_DIR=$logs
    export AXIS_MQTT_VG_EXITCODE=${AXIS_MQTT_VG_EXITCODE:-0}
    export AXIS_MQTT_VG_TOOL=${VG_TOOL:-memcheck}

    log "prove -j${VG_JOBS:-1} $* with nginx under valgrind $AXIS_MQTT_VG_TOOL; logs in $logs"
    start=$(date +%s)
    (cd "$work/repo" && prove -j"${VG_JOBS:-1}" -v "$@") > "$work/prove.log" 2>&1 \
        && prove_status=0 || prove_status=$?
    log "prove finished in $(( $(date +%s) - start )) s with status $prove_status ($work/prove.log)"
    sed -n '/^Test Summary Report/,$p' "$work/prove.log" >&2
    grep -E '^(All tests successful|Result:)' "$work/prove.log" >&2 || true
fi

ls "$logs"/vg.*.log > /dev/null 2>&1 \
    || { echo "valgrind.sh: no valgrind logs in $logs" >&2; exit 2; }

mkdir -p "$work"
perl - "$logs" "$repo" > "$work/summary.txt" <<'PERL' || true
use strict;
use warnings;

my ($dir, $repo) = @ARGV;
my $OURS = qr/^(?:ngx_http_axis_mqtt|axis_mqtt_)|ngx_http_axis_mqtt_module\.so/;
my $LIBS = qr/libpaho-mqtt|libjansson|MQTTAsync|MQTTClient|json_/;
my $KIND = join '|', 'Invalid (?:read|write|free)', 'Conditional jump or move depends on uninitialised',
    # drd and helgrind (VG_TOOL)
    'Conflicting (?:load|store) by thread', 'Possible data race', 'Thread #\d+: lock order',
    'Thread #?\d+.* (?:unlocked|destroyed|deallocated) .*lock', 'Thread #\d+\'s call to',
    'Thread \d+: .*(?:mutex|lock|cond)', 'Destroying locked', 'Recursive locking',
    'Use of uninitialised value', 'Syscall param .* uninitialised', 'Mismatched free',
    'Source and destination overlap', '.*are definitely lost in loss record',
    'Argument .* of function .* has a fishy', '.*uninitialised byte';
$KIND = qr/^(?:$KIND)/;

my (%groups, %procs, @incomplete, %by_test, $nprocs, $nerrors);

for my $file (sort glob "$dir/vg.*.log") {
    open my $fh, '<', $file or next;
    my @lines = map { s/^==\d+== ?//r } map { s/\r?\n$//r } <$fh>;
    $nprocs++;
    my $text = join "\n", @lines;
    my ($test) = $text =~ m{t/servroot/([^/\s]+)/} ? $1 : ('?');
    my $role = $text =~ /^Parent PID: (\d+)/m && $text =~ /^Command: .* -t\b/m ? 'nginx -t' : 'nginx';
    $by_test{$test}{procs}++;
    push @incomplete, "$file ($test)" unless $text =~ /ERROR SUMMARY/;

    # paragraphs: an error is a kind line, its stack, maybe an address or
    # origin note with its own stack
    my @para;
    for (@lines, '') {
        if (/^\s*$/) {
            classify(\@para, $file, $test) if @para;
            @para = ();
        } else {
            push @para, $_;
        }
    }
}

sub frames {
    my @f;
    for (@_) {
        next unless /^\s+(?:at|by) 0x[0-9A-Fa-f]+: (.+?) \((?:in )?(.+)\)\s*$/;
        push @f, { fn => $1, where => $2 };
    }
    return @f;
}

sub classify {
    my ($para, $file, $test) = @_;
    my $head = $para->[0];
    return unless $head =~ $KIND;
    $nerrors++;
    my $kind = $head =~ /definitely lost/ ? 'definitely lost'
             : $head =~ /uninitialised|Uninitialised/ ? "uninitialised: $head"
             : $head;
    $kind =~ s/ of size \d+//;
    my @all = frames(@$para);
    # the main stack: up to the first note line
    my @main;
    for (@$para[1 .. $#$para]) {
        last if /^ (?:Address|Uninitialised value was created|Block was alloc)/;
        push @main, $_;
    }
    my @mf = frames(@main);
    my $class = (grep { $_->{fn} =~ $OURS || $_->{where} =~ $OURS } @all) ? 'ours'
              : (grep { $_->{fn} =~ $LIBS || $_->{where} =~ $LIBS } @all) ? 'libs'
              : 'nginx/other';
    # the signature: the kind and the frames that say something
    my @sig = map { $_->{fn} } grep { $_->{fn} !~ /^(?:malloc|calloc|realloc|ngx_alloc|ngx_calloc|ngx_palloc|ngx_pnalloc|ngx_pcalloc|\?\?\?)$/ } @mf;
    my $key = join ' | ', $class, $kind, @sig[0 .. ($#sig < 7 ? $#sig : 7)];
    my $g = $groups{$key} //= { class => $class, kind => $kind, count => 0, bytes => 0,
                                tests => {}, example => [@$para], file => $file };
    $g->{count}++;
    $g->{tests}{$test}++;
    $g->{bytes} += $1 =~ s/,//gr if $head =~ /^([\d,]+) (?:\([^)]*\) )?bytes/;
    $by_test{$test}{$class}++;
}

my @ours = grep { $_->{class} eq 'ours' } values %groups;
my @libs = grep { $_->{class} eq 'libs' } values %groups;
my @other = grep { $_->{class} eq 'nginx/other' } values %groups;
my $sum = sub { my $n = 0; $n += $_->{count} for @_; $n };

printf "valgrind logs: %d processes, %d error records\n", $nprocs // 0, $nerrors // 0;
printf "  ours (a stack through the module):        %d distinct, %d in all\n", scalar @ours, $sum->(@ours);
printf "  Paho / jansson without a module frame:    %d distinct, %d in all\n", scalar @libs, $sum->(@libs);
printf "  nginx's own / other:                      %d distinct, %d in all\n", scalar @other, $sum->(@other);
printf "  logs without a summary (killed, e.g. kill -9 / harness timeout): %d\n", scalar @incomplete;
print "\n";

for my $set (['OURS', \@ours, 40], ['PAHO / JANSSON (no module frame)', \@libs, 25],
             ['NGINX / OTHER (not ours, for reference)', \@other, 8]) {
    my ($title, $list, $max_lines) = @$set;
    next unless @$list;
    print "=== $title\n\n";
    for my $g (sort { $b->{count} <=> $a->{count} } @$list) {
        printf "[%s] x%d%s in %s\n  e.g. %s\n", $g->{kind}, $g->{count},
            $g->{bytes} ? ", $g->{bytes} bytes" : '',
            join(', ', map { "$_ ($g->{tests}{$_})" } sort keys %{ $g->{tests} }),
            $g->{file} =~ s{^\Q$repo\E/}{}r;
        my @ex = @{ $g->{example} };
        print map { "    $_\n" } @ex[0 .. ($#ex < $max_lines ? $#ex : $max_lines)];
        print "\n";
    }
}

if (@incomplete) {
    print "=== logs without an ERROR SUMMARY (the process was killed)\n";
    print "  $_\n" for @incomplete[0 .. ($#incomplete < 19 ? $#incomplete : 19)];
    print "  ...\n" if @incomplete > 20;
    print "\n";
}

print "=== per test: processes, errors ours / libs / nginx\n";
for my $t (sort keys %by_test) {
    my $b = $by_test{$t};
    printf "  %-28s %4d  %d / %d / %d\n", $t, $b->{procs} // 0, $b->{ours} // 0,
        $b->{libs} // 0, $b->{'nginx/other'} // 0;
}
exit(@ours ? 1 : 0);
PERL
cat "$work/summary.txt"
if grep -q '^  ours (a stack through the module): *0 distinct' "$work/summary.txt"; then
    log "valgrind: nothing of ours (full summary: $work/summary.txt)"
    exit 0
fi
log "valgrind: errors of ours found (full summary: $work/summary.txt)"
exit 1

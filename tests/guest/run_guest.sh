#!/usr/bin/env bash
# run_guest.sh: run one guest program natively on the host and under `simx run`, and
# compare. The host is the oracle: the same static binary, the same arguments, the same
# standard input and the same GUEST_* environment must give byte-identical stdout and the
# same exit status in both runs.
#
#   run_guest.sh --simx SIMX [--expect STATUS] [--stdin FILE] [--kind test|workload]
#                [--data DIR --initramfs CPIO] [--dynamic [--lib-path DIR]]
#                [--sim-opt OPT]... -- PROGRAM [ARGS...]
#       Fails unless both runs exit with STATUS (default 0; 128+N when killed by signal
#       N, as a shell reports it), their stdouts are identical, and — for --kind test —
#       stdout has at least one "PASS " line and no "FAIL " line. An argument "@DATA@..."
#       becomes DIR... on the host and /data... in the guest, and then simx also gets
#       `--initramfs CPIO` (the archive whose /data DIR is the staging copy of).
#       --dynamic: PROGRAM is dynamically linked; simx gets `--initramfs CPIO` (whose
#       /lib holds the loader and our libraries), and the host run uses the host's
#       loader with LD_LIBRARY_PATH=DIR (--lib-path) for our libraries.
#
#   run_guest.sh --simx SIMX --determinism [--seed N] [--stdin FILE] -- PROGRAM [ARGS...]
#       Runs `simx run --seed N --stats-json F` twice and fails unless the two JSON files
#       and the two stdouts are byte-identical.
#
# On failure it prints a unified diff of the two stdouts and simx's stderr (the counters
# report and any kernel messages). SIMX may be any command that accepts `run PROGRAM
# ARGS...`; a wrapper that just execs the program natively tests this script itself.
set -u

simx=
expect=0
stdin=/dev/null
kind="test"
data=
initramfs=
seed=1
determinism=0
dynamic=0
lib_path=
sim_opts=()
while [ $# -gt 0 ]; do
    case $1 in
        --simx) simx=$2; shift 2 ;;
        --expect) expect=$2; shift 2 ;;
        --stdin) stdin=$2; shift 2 ;;
        --kind) kind=$2; shift 2 ;;
        --data) data=$2; shift 2 ;;
        --initramfs) initramfs=$2; shift 2 ;;
        --seed) seed=$2; shift 2 ;;
        --sim-opt) sim_opts+=("$2"); shift 2 ;;
        --determinism) determinism=1; shift ;;
        --dynamic) dynamic=1; shift ;;
        --lib-path) lib_path=$2; shift 2 ;;
        --) shift; break ;;
        *) echo "run_guest.sh: unknown option '$1'" >&2; exit 2 ;;
    esac
done
if [ -z "$simx" ] || [ $# -lt 1 ]; then
    echo "usage: run_guest.sh --simx SIMX [options] -- PROGRAM [ARGS...]" >&2
    exit 2
fi
program=$1
shift
name=$(basename "$program")
if [ ! -x "$program" ]; then
    echo "run_guest.sh: $program is not an executable (build the guest_userland target)" >&2
    exit 1
fi

# Both runs see the GUEST_* variables the hello test prints: exported for the host run,
# passed with --env to the guest (simx does not forward the host environment). No core
# files from the SIGSEGV test; a fixed umask so created files get the same modes.
export LC_ALL=C
guest_env=("GUEST_GREETING=hello from the driver" "GUEST_SECOND=a=b c")
for kv in "${guest_env[@]}"; do
    export "${kv%%=*}=${kv#*=}"
    sim_opts+=(--env "$kv")
done
ulimit -c 0
umask 022

work=$(mktemp -d "${TMPDIR:-/tmp}/simx-guest-$name.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Runs simx with a time limit, so a hung guest fails the test instead of the CI job.
run_simx() {
    if command -v timeout >/dev/null 2>&1; then
        timeout --kill-after=5 100 "$simx" run "$@"
    else
        "$simx" run "$@"
    fi
}

show_file() {  # show_file TITLE FILE: at most 200 lines of FILE
    echo "---- $1 ----"
    if [ -s "$2" ]; then
        head -n 200 "$2"
        local lines
        lines=$(wc -l <"$2")
        [ "$lines" -gt 200 ] && echo "... ($lines lines, first 200 shown)"
    else
        echo "(empty)"
    fi
}

if [ "$determinism" = 1 ]; then
    run_simx --seed "$seed" --stats-json "$work/stats1.json" "${sim_opts[@]}" "$program" "$@" \
        <"$stdin" >"$work/out1" 2>"$work/err1"
    status1=$?
    run_simx --seed "$seed" --stats-json "$work/stats2.json" "${sim_opts[@]}" "$program" "$@" \
        <"$stdin" >"$work/out2" 2>"$work/err2"
    status2=$?
    ok=1
    if [ "$status1" != "$status2" ]; then
        echo "FAIL $name determinism: exit statuses differ ($status1, then $status2)"
        ok=0
    fi
    if [ ! -s "$work/stats1.json" ] || [ ! -s "$work/stats2.json" ]; then
        echo "FAIL $name determinism: --stats-json wrote no file (or an empty one)"
        ok=0
    elif ! cmp -s "$work/stats1.json" "$work/stats2.json"; then
        echo "FAIL $name determinism: the two --stats-json files differ (seed $seed)"
        diff -u "$work/stats1.json" "$work/stats2.json" | head -n 100
        ok=0
    fi
    if ! cmp -s "$work/out1" "$work/out2"; then
        echo "FAIL $name determinism: the two stdouts differ"
        diff -u "$work/out1" "$work/out2" | head -n 100
        ok=0
    fi
    if [ "$ok" = 1 ]; then
        echo "ok $name determinism: two runs with seed $seed gave identical stdout and counters (status $status1)"
        exit 0
    fi
    show_file "simx stderr (first run)" "$work/err1"
    exit 1
fi

# "@DATA@" stands for the initramfs's /data: its staging copy on the host.
native_args=()
guest_args=()
need_initramfs=0
for a in "$@"; do
    case $a in
        @DATA@*)
            if [ -z "$data" ]; then
                echo "run_guest.sh: argument '$a' needs --data DIR" >&2
                exit 2
            fi
            native_args+=("$data${a#@DATA@}")
            guest_args+=("/data${a#@DATA@}")
            need_initramfs=1
            ;;
        *)
            native_args+=("$a")
            guest_args+=("$a")
            ;;
    esac
done

[ "$dynamic" = 1 ] && need_initramfs=1
if [ "$need_initramfs" = 1 ]; then
    if [ -z "$initramfs" ]; then
        echo "run_guest.sh: an @DATA@ argument or --dynamic needs --initramfs CPIO" >&2
        exit 2
    fi
    sim_opts+=(--initramfs "$initramfs")
fi

# (The braces keep bash's "Segmentation fault" notice for the SIGSEGV test quiet.)
native_env=()
[ -n "$lib_path" ] && native_env=("LD_LIBRARY_PATH=$lib_path")
{ env "${native_env[@]}" "$program" "${native_args[@]}" <"$stdin" >"$work/native.out" 2>"$work/native.err"; } 2>/dev/null
native_status=$?
# --stats-json proves simx itself finished normally: a simx that crashed (say with a host
# SIGSEGV, status 139) writes no JSON and cannot pass for a guest killed by SIGSEGV.
run_simx --stats-json "$work/simx.json" "${sim_opts[@]}" "$program" "${guest_args[@]}" \
    <"$stdin" >"$work/simx.out" 2>"$work/simx.err"
simx_status=$?

problems=()
[ "$native_status" = "$expect" ] ||
    problems+=("native run exited with status $native_status, expected $expect (the test or the host is wrong)")
[ "$simx_status" = "$expect" ] || problems+=("simx run exited with status $simx_status, expected $expect")
[ -s "$work/simx.json" ] || problems+=("simx wrote no --stats-json file: simx itself failed or crashed")
cmp -s "$work/native.out" "$work/simx.out" || problems+=("stdout differs between the host and simx")
if [ "$kind" = test ]; then
    for who in native simx; do
        fails=$(grep -c '^FAIL ' "$work/$who.out")
        passes=$(grep -c '^PASS ' "$work/$who.out")
        [ "$fails" = 0 ] || problems+=("$who run printed $fails FAIL line(s)")
        [ "$passes" -gt 0 ] || problems+=("$who run printed no PASS line")
    done
fi

if [ ${#problems[@]} = 0 ]; then
    echo "ok $name: identical stdout ($(wc -c <"$work/native.out") bytes," \
        "$(grep -c '^PASS ' "$work/native.out") PASS lines), status $simx_status"
    exit 0
fi
echo "FAIL $name${native_args[*]:+ ${native_args[*]}}"
for p in "${problems[@]}"; do echo "  - $p"; done
if [ "$kind" = test ]; then
    echo "---- FAIL lines under simx ----"
    grep '^FAIL ' "$work/simx.out" || echo "(none)"
fi
echo "---- diff -u host simx (stdout) ----"
diff -u --label host --label simx "$work/native.out" "$work/simx.out" | head -n 200
show_file "simx stderr" "$work/simx.err"
[ -s "$work/native.err" ] && show_file "host stderr" "$work/native.err"
exit 1

#!/usr/bin/env bash
# The guest test suite's output is the same under QEMU as under simx (issue 7):
# runs guest_userland's `suite` (every test program, forked and exec'd from
# /bin) under `simx run` and as /init in QEMU with the same initramfs, and
# compares what the programs printed. Both sides drop what only the kernel
# says: the boot and exit lines, `counter ...` lines (the qemu build prints
# published counters at the end) and show_signal_msg lines (`prog[pid]: trap ...`, which
# simx prints after the run rather than inline).
#
#   same_as_simx.sh SIMX SUITE_BINARY INITRAMFS BOOT_TEST KERNEL CPU SMP
set -euo pipefail
simx=$1 suite=$2 initrd=$3 boot_test=$4 kernel=$5 cpu=$6 smp=$7

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

"$simx" run -q --cpus "$smp" --initramfs "$initrd" "$suite" /bin >"$work/simx.raw" 2>&1 </dev/null || true
if ! bash "$boot_test" --kernel "$kernel" --cpu "$cpu" --smp "$smp" --initrd "$initrd" --append "init=/bin/suite /bin" \
  --status 0 --log "$work/qemu.raw" >"$work/boot_test.out" 2>&1; then
  echo "FAIL: the QEMU boot did not end as expected:"; cat "$work/boot_test.out"
  echo "---- serial output (last 40 lines) ----"; tail -40 "$work/qemu.raw" 2>/dev/null
  exit 1
fi

program_lines() {
  tr -d '\r' | sed -E -e '/^[^ ]+\[[0-9]+\]: (segfault at|trap )/d' -e '/^counter /d'
}
program_lines <"$work/simx.raw" >"$work/simx.out"
# The serial log: what came between init's start and the kernel's line on its end.
tr -d '\r' <"$work/qemu.raw" | sed -n '/CPUs online$/,/^simx kernel: init exited/p' | sed '1d;$d' |
  program_lines >"$work/qemu.out"

if ! grep -qE "^suite: ([0-9]+) of \1 programs as expected$" "$work/simx.out"; then
  echo "FAIL: the suite did not pass under simx"; cat "$work/simx.out"; exit 1
fi
if ! diff -u "$work/simx.out" "$work/qemu.out"; then
  echo "FAIL: the suite's output differs between simx (-) and QEMU (+)"; exit 1
fi
echo "PASS: $(wc -l <"$work/simx.out") lines of guest test output identical under simx and QEMU ($cpu, $smp CPUs)"

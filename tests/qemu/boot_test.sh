#!/usr/bin/env bash
# Boots the qemu build's kernel image headless under QEMU (TCG) and checks how
# it ended: the exit status the kernel gave through isa-debug-exit
# (kernel/arch/x86_64/qemu_exit.h: 33 success, 35 boot_main failed, 37 panic)
# and text its serial console must (--expect) and must not (--reject) have printed.
#
# --smp N gives the machine N vCPUs, run in parallel host threads (MTTCG,
# -accel tcg,thread=multi), so the kernel's SMP code really runs concurrently.
#
# User programs: --initrd passes a cpio archive (the initramfs, a PVH module) and
# --append the command line, e.g. "init=/bin/files". --status N expects boot_main
# to return N (init's exit code, or 128 + the signal that killed it): the QEMU
# exit status qemu_exit.h gives N, and the console line saying N. --guest-test
# requires a guest test program's verdict: a "PASS " line and no "FAIL " line.
# --stdin FILE feeds FILE to the serial line (default: nothing). --log FILE keeps a
# copy of the serial output.
#
#   boot_test.sh --kernel ELF [--cpu MODEL] [--memory SIZE] [--smp N] [--append CMDLINE] \
#                [--initrd CPIO] [--stdin FILE] (--exit STATUS | --status N) [--guest-test] \
#                [--expect TEXT ...] [--reject TEXT ...] [--log FILE]
set -euo pipefail

kernel= cpu=max memory=512M smp=1 append= initrd= stdin=/dev/null want_exit= want_status= guest_test=0 keep_log=
expects=() rejects=()
while (($#)); do
  case $1 in
    --kernel) kernel=$2; shift 2 ;;
    --cpu) cpu=$2; shift 2 ;;
    --memory) memory=$2; shift 2 ;;
    --smp) smp=$2; shift 2 ;;
    --append) append=$2; shift 2 ;;
    --initrd) initrd=$2; shift 2 ;;
    --stdin) stdin=$2; shift 2 ;;
    --status) want_status=$2; shift 2 ;;
    --guest-test) guest_test=1; shift ;;
    --log) keep_log=$2; shift 2 ;;
    --exit) want_exit=$2; shift 2 ;;
    --expect) expects+=("$2"); shift 2 ;;
    --reject) rejects+=("$2"); shift 2 ;;
    *) echo "boot_test.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
# qemu_exit.h's encoding of boot_main's status.
exit_for_status() {
  local s=$1
  if ((s == 0)); then echo 33
  elif ((s >= 1 && s <= 63)); then echo $(((0x40 + s) * 2 + 1))
  elif ((s >= 129 && s <= 159)); then echo $(((0x20 + s - 128) * 2 + 1))
  else echo 35
  fi
}
if [[ -n $want_status ]]; then
  want_exit=$(exit_for_status "$want_status")
fi
[[ -n $kernel && -n $want_exit ]] || { echo "boot_test.sh: --kernel and --exit (or --status) are required" >&2; exit 2; }
[[ -z $initrd || -f $initrd ]] || { echo "FAIL: no initramfs $initrd (build the target that makes it)"; exit 1; }
command -v qemu-system-x86_64 >/dev/null ||
  { echo "FAIL: qemu-system-x86_64 not found (Debian package qemu-system-x86; scripts/deps.sh installs it)"; exit 1; }

args=(-machine q35 -accel tcg,thread=multi -cpu "$cpu" -m "$memory" -smp "$smp" -kernel "$kernel"
      -serial stdio -display none -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04)
[[ -n $append ]] && args+=(-append "$append")
[[ -n $initrd ]] && args+=(-initrd "$initrd")

log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "+ timeout 120 qemu-system-x86_64 ${args[*]}"
status=0
timeout 120 qemu-system-x86_64 "${args[@]}" <"$stdin" >"$log" 2>&1 || status=$?
[[ -n $keep_log ]] && cp "$log" "$keep_log"
tr -d '\r' <"$log"

fail=0
case $status in
  "$want_exit") ;;
  124) echo "FAIL: QEMU did not exit within 120 s (the kernel hung)"; fail=1 ;;
  0) echo "FAIL: QEMU exited with 0: the guest reset or shut down instead of reporting (a triple fault, with -no-reboot)"; fail=1 ;;
  33) echo "FAIL: the kernel reported success (33), expected $want_exit"; fail=1 ;;
  35) echo "FAIL: boot_main returned an error (35), expected $want_exit"; fail=1 ;;
  37) echo "FAIL: the kernel panicked (37), expected $want_exit"; fail=1 ;;
  *) echo "FAIL: QEMU exited with $status, expected $want_exit"; fail=1 ;;
esac
for text in "${expects[@]}"; do
  grep -qF -- "$text" "$log" || { echo "FAIL: the serial output lacks: $text"; fail=1; }
done
if [[ -n $want_status ]]; then
  grep -qxF "x86 boot: boot_main returned $want_status" <(tr -d '\r' <"$log") ||
    { echo "FAIL: the serial output lacks the line: x86 boot: boot_main returned $want_status"; fail=1; }
fi
if ((guest_test)); then
  grep -q '^PASS ' <(tr -d '\r' <"$log") || { echo "FAIL: the guest test printed no PASS line"; fail=1; }
  grep -q '^FAIL ' <(tr -d '\r' <"$log") && { echo "FAIL: the guest test printed a FAIL line"; fail=1; }
fi
for text in "${rejects[@]}"; do
  grep -qF -- "$text" "$log" && { echo "FAIL: the serial output has: $text"; fail=1; }
done
((fail == 0)) && echo "PASS: exit status $status; the serial output is as expected"
exit "$fail"

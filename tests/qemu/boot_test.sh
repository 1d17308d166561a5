#!/usr/bin/env bash
# Boots the qemu build's kernel image headless under QEMU (TCG) and checks how
# it ended: the exit status the kernel gave through isa-debug-exit
# (kernel/arch/x86_64/qemu_exit.h: 33 success, 35 boot_main failed, 37 panic)
# and text its serial console must (--expect) and must not (--reject) have printed.
#
# --smp N gives the machine N vCPUs, run in parallel host threads (MTTCG,
# -accel tcg,thread=multi), so the kernel's SMP code really runs concurrently.
#
#   boot_test.sh --kernel ELF [--cpu MODEL] [--memory SIZE] [--smp N] [--append CMDLINE] \
#                --exit STATUS --expect TEXT [--expect TEXT ...] [--reject TEXT ...]
set -euo pipefail

kernel= cpu=max memory=512M smp=1 append= want_exit= expects=() rejects=()
while (($#)); do
  case $1 in
    --kernel) kernel=$2; shift 2 ;;
    --cpu) cpu=$2; shift 2 ;;
    --memory) memory=$2; shift 2 ;;
    --smp) smp=$2; shift 2 ;;
    --append) append=$2; shift 2 ;;
    --exit) want_exit=$2; shift 2 ;;
    --expect) expects+=("$2"); shift 2 ;;
    --reject) rejects+=("$2"); shift 2 ;;
    *) echo "boot_test.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[[ -n $kernel && -n $want_exit ]] || { echo "boot_test.sh: --kernel and --exit are required" >&2; exit 2; }
command -v qemu-system-x86_64 >/dev/null ||
  { echo "FAIL: qemu-system-x86_64 not found (Debian package qemu-system-x86; scripts/deps.sh installs it)"; exit 1; }

args=(-machine q35 -accel tcg,thread=multi -cpu "$cpu" -m "$memory" -smp "$smp" -kernel "$kernel"
      -serial stdio -display none -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=0x04)
[[ -n $append ]] && args+=(-append "$append")

log=$(mktemp)
trap 'rm -f "$log"' EXIT
echo "+ timeout 120 qemu-system-x86_64 ${args[*]}"
status=0
timeout 120 qemu-system-x86_64 "${args[@]}" </dev/null >"$log" 2>&1 || status=$?
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
for text in "${rejects[@]}"; do
  grep -qF -- "$text" "$log" && { echo "FAIL: the serial output has: $text"; fail=1; }
done
((fail == 0)) && echo "PASS: exit status $status; the serial output is as expected"
exit "$fail"

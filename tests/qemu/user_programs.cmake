# User programs under QEMU (issue 7): the qemu build's kernel image runs guest
# programs from an initramfs (QEMU -initrd, a PVH module) as init, with the
# command line from -append. Included from tests/CMakeLists.txt (after
# guest_userland/, whose SIMX_GUEST_* variables it uses). Every test boots
# headless through boot_test.sh (label qemu), and each boot takes a second or two.
#
#   qemu_user_<prog>           -cpu max (SMEP, SMAP, XSAVE, 5-level paging), one CPU:
#                              guest_userland's test programs, each must print PASS lines
#                              and no FAIL, and boot_main must return its exit status
#                              (qemu_exit.h turns it into QEMU's);
#   qemu_user_hello            argv with quoted words and the environment from -append;
#   qemu_user_exit_status      exit(3) reaches QEMU's exit status;
#   qemu_user_segv*            SIGSEGV kills init: status 139;
#   qemu_user_mem_pie          a static-PIE program;
#   qemu_user_smp4_busybox     Debian's busybox-static runs a shell pipeline (when installed);
#   qemu_user_smp4_*           four vCPUs (MTTCG), the program on the boot CPU while
#                              the others idle; qemu_user_smp4_qemu64_uaccess on the
#                              minimal CPU;
#   qemu_user_qemu64_*         no SMAP (no STAC/CLAC), no XSAVE (FXSAVE), no SMEP;
#   qemu_user_4level_*         -cpu max,la57=off;
#   qemu_user_prot_none*       copies to and from a PROT_NONE page whose frame is
#                              still mapped must fail (uaccess.h's page-table check);
#   qemu_user_serial_read      read(2) from the console: COM1 polled, a line per read;
#   qemu_user_timer*           the local APIC timer: spin (tests/qemu/spin.c) computes in
#                              user mode for 150-200 ms, alone (1 and 4 CPUs) or as 2-3
#                              forked workers (max and qemu64, 1 CPU); the timer interrupts
#                              it (the kernel's final "counter x86 timer_interrupts N" is
#                              not 0), the workers are preempted for each other (their runs
#                              overlap) and no register changes across it;
#   qemu_smap_violation        the SMAP test: init calls the test-only syscall 0x51a7
#                              with a pointer to its own mapped memory; the kernel's
#                              load through it must end in a panic naming the
#                              SMAP violation.
# PCID: QEMU 7.2's TCG offers neither PCID nor INVPCID (even with -cpu max), so
# these runs all use CR3 reloads; the PCID paths need KVM on a CPU that has them.

if(NOT SIMX_MUSL_GCC OR NOT SIMX_GUEST_INITRAMFS OR NOT TARGET simx_kernel_image)
  return()
endif()

set(_qemu_test_dir ${CMAKE_BINARY_DIR}/tests/qemu)
set(_qemu_test_src ${PROJECT_SOURCE_DIR}/tests/qemu)
set(_qemu_test_programs smap_probe prot_none serial_read spin)
set(_qemu_test_outputs "")
foreach(prog IN LISTS _qemu_test_programs)
  add_custom_command(OUTPUT ${_qemu_test_dir}/bin/${prog}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${_qemu_test_dir}/bin
    COMMAND ${SIMX_MUSL_GCC} -static -std=c11 -O2 -g -Wall -Wextra -Wno-unused-parameter
            $<$<BOOL:${SIMX_WERROR}>:-Werror> -I${PROJECT_SOURCE_DIR}/guest_userland/tests
            -o ${_qemu_test_dir}/bin/${prog} ${_qemu_test_src}/${prog}.c
    DEPENDS ${_qemu_test_src}/${prog}.c ${PROJECT_SOURCE_DIR}/guest_userland/tests/guest_test.h
    COMMENT "musl-gcc -static qemu test program ${prog}" VERBATIM)
  list(APPEND _qemu_test_outputs ${_qemu_test_dir}/bin/${prog})
endforeach()
# Their own small initramfs (guest_userland's make_initramfs.sh: /bin/<prog>, /data).
set(SIMX_QEMU_TEST_INITRAMFS ${_qemu_test_dir}/initramfs.cpio)
add_custom_command(OUTPUT ${SIMX_QEMU_TEST_INITRAMFS}
  COMMAND sh ${PROJECT_SOURCE_DIR}/guest_userland/make_initramfs.sh ${_qemu_test_dir}/root
          ${SIMX_QEMU_TEST_INITRAMFS} ${_qemu_test_outputs}
  DEPENDS ${_qemu_test_outputs} ${PROJECT_SOURCE_DIR}/guest_userland/make_initramfs.sh
  COMMENT "qemu test initramfs (cpio newc)" VERBATIM)
add_custom_target(qemu_test_userland ALL DEPENDS ${SIMX_QEMU_TEST_INITRAMFS})

set(_qemu_boot ${_qemu_test_src}/boot_test.sh --kernel $<TARGET_FILE:simx_kernel_image>)
set(_qemu_user_tests "")

# simx_qemu_user_test(NAME CPU SMP INITRD STATUS APPEND [extra boot_test.sh arguments])
function(simx_qemu_user_test name cpu smp initrd status append)
  add_test(NAME ${name}
    COMMAND ${_qemu_boot} --cpu ${cpu} --smp ${smp} --initrd ${initrd} --append ${append} --status ${status} ${ARGN})
  set(_qemu_user_tests ${_qemu_user_tests} ${name} PARENT_SCOPE)
endfunction()

# guest_userland's test programs, as guest.cmake runs them under simx (fewer arguments
# where the simulator's are large: QEMU is fast, but each boot should stay short).
set(_qemu_guest_cpio ${SIMX_GUEST_INITRAMFS})
foreach(prog files mem strings float uaccess time random sysinfo auxv output)
  simx_qemu_user_test(qemu_user_${prog} max 1 ${_qemu_guest_cpio} 0 "init=/bin/${prog}" --guest-test)
endforeach()
simx_qemu_user_test(qemu_user_pages max 1 ${_qemu_guest_cpio} 0 "init=/bin/pages 2048" --guest-test)
# Processes (issue 6): fork/exec/wait, pipes, signals and dynamic linking on 1 and 4 CPUs.
simx_qemu_user_test(qemu_user_fork max 1 ${_qemu_guest_cpio} 0 "init=/bin/fork /bin/exit_status" --guest-test)
simx_qemu_user_test(qemu_user_smp4_fork max 4 ${_qemu_guest_cpio} 0 "init=/bin/fork /bin/exit_status" --guest-test)
simx_qemu_user_test(qemu_user_smp4_pipes max 4 ${_qemu_guest_cpio} 0 "init=/bin/pipes /bin/pipes" --guest-test)
simx_qemu_user_test(qemu_user_pipe_signals max 1 ${_qemu_guest_cpio} 0 "init=/bin/pipe_signals" --guest-test)
simx_qemu_user_test(qemu_user_signal_handlers max 1 ${_qemu_guest_cpio} 0 "init=/bin/signal_handlers" --guest-test)
simx_qemu_user_test(qemu_user_smp2_signal_children max 2 ${_qemu_guest_cpio} 0 "init=/bin/signal_children"
  --guest-test)
simx_qemu_user_test(qemu_user_shlib_dynamic max 1 ${_qemu_guest_cpio} 0 "init=/bin/shlib-dyn" --guest-test)
simx_qemu_user_test(qemu_user_stack max 1 ${_qemu_guest_cpio} 0 "init=/bin/stack 4096" --guest-test)
simx_qemu_user_test(qemu_user_initramfs max 1 ${_qemu_guest_cpio} 0 "init=/bin/initramfs /data" --guest-test)
simx_qemu_user_test(qemu_user_hello max 1 ${_qemu_guest_cpio} 0
  "init=/bin/hello \"GUEST_GREETING=hello from the driver\" \"GUEST_SECOND=a=b c\" -- one \"two words\" three"
  --guest-test --expect "argv[2]: \"two words\"" --expect "env: GUEST_SECOND=a=b c")
simx_qemu_user_test(qemu_user_exit_status max 1 ${_qemu_guest_cpio} 3 "init=/bin/exit_status")
simx_qemu_user_test(qemu_user_segv max 1 ${_qemu_guest_cpio} 139 "init=/bin/segv"
  --expect "simx kernel: init killed by SIGSEGV (signal 11)")
simx_qemu_user_test(qemu_user_segv_null max 1 ${_qemu_guest_cpio} 139 "init=/bin/segv null" --expect "segfault at 0 ")
simx_qemu_user_test(qemu_user_segv_noexec max 1 ${_qemu_guest_cpio} 139 "init=/bin/segv noexec")
simx_qemu_user_test(qemu_user_mem_pie max 1 ${_qemu_guest_cpio} 0 "init=/bin/mem-pie" --guest-test)
simx_qemu_user_test(qemu_user_smp4_files max 4 ${_qemu_guest_cpio} 0 "init=/bin/files" --guest-test
  --expect "simx kernel: 4 CPUs online")
simx_qemu_user_test(qemu_user_smp4_mem max 4 ${_qemu_guest_cpio} 0 "init=/bin/mem" --guest-test)
simx_qemu_user_test(qemu_user_smp4_segv max 4 ${_qemu_guest_cpio} 139 "init=/bin/segv")
simx_qemu_user_test(qemu_user_smp4_qemu64_uaccess qemu64 4 ${_qemu_guest_cpio} 0 "init=/bin/uaccess" --guest-test)
simx_qemu_user_test(qemu_user_qemu64_float qemu64 1 ${_qemu_guest_cpio} 0 "init=/bin/float" --guest-test)
simx_qemu_user_test(qemu_user_qemu64_strings qemu64 1 ${_qemu_guest_cpio} 0 "init=/bin/strings-pie" --guest-test)
simx_qemu_user_test(qemu_user_4level_files max,la57=off 1 ${_qemu_guest_cpio} 0 "init=/bin/files" --guest-test
  --expect "4-level paging")

# Debian's busybox-static (glibc) from the same initramfs, a shell pipeline on 4 vCPUs.
if(SIMX_GUEST_BUSYBOX)
  simx_qemu_user_test(qemu_user_smp4_busybox max 4 ${_qemu_guest_cpio} 0
    [=[init=/bin/busybox -- sh -c "cd /data && cat numbers.txt | sort -rn | head -3 | xargs echo && sha256sum hello.txt && echo pipeline-done"]=]
    --expect "999 998 997"
    --expect "ac8a8f39be3b6cb82d80190fc7af409834883afd1d2adc7c3b1cb0756c916555  hello.txt"
    --expect "pipeline-done")
endif()

# tests/qemu's own programs.
set(_qemu_own_cpio ${SIMX_QEMU_TEST_INITRAMFS})
simx_qemu_user_test(qemu_user_prot_none max 1 ${_qemu_own_cpio} 0 "init=/bin/prot_none" --guest-test)
simx_qemu_user_test(qemu_user_prot_none_qemu64 qemu64 1 ${_qemu_own_cpio} 0 "init=/bin/prot_none" --guest-test)
simx_qemu_user_test(qemu_user_serial_read max 1 ${_qemu_own_cpio} 0 "init=/bin/serial_read" --guest-test
  --stdin ${_qemu_test_src}/serial_input.txt)
# The local APIC timer (kernel/arch/x86_64/timer.cpp): user code that spins must be
# interrupted (the count of timer interrupts the kernel prints at the end is not 0),
# and workers that spin together on one CPU must be preempted for each other, with
# every register intact across the interrupt and the context switches in it.
set(_qemu_timer_checks --guest-test --expect "counter x86 timer_interrupts " --reject "counter x86 timer_interrupts 0")
simx_qemu_user_test(qemu_user_timer max 1 ${_qemu_own_cpio} 0 "init=/bin/spin" ${_qemu_timer_checks})
simx_qemu_user_test(qemu_user_timer_preempt max 1 ${_qemu_own_cpio} 0 "init=/bin/spin 2 200" ${_qemu_timer_checks})
simx_qemu_user_test(qemu_user_qemu64_timer_preempt qemu64 1 ${_qemu_own_cpio} 0 "init=/bin/spin 3 150"
  ${_qemu_timer_checks})
simx_qemu_user_test(qemu_user_smp4_timer max 4 ${_qemu_own_cpio} 0 "init=/bin/spin" ${_qemu_timer_checks})
# Forked workers on four CPUs: processes exit on one CPU while others go idle
# (idle runs on the kernel's tables, so none is left on a freed address space).
simx_qemu_user_test(qemu_user_smp4_timer_preempt max 4 ${_qemu_own_cpio} 0 "init=/bin/spin 6 200"
  ${_qemu_timer_checks})
add_test(NAME qemu_smap_violation
  COMMAND ${_qemu_boot} --cpu max --initrd ${_qemu_own_cpio} --append "init=/bin/smap_probe test_syscalls" --exit 37
          --expect "smap probe: kernel load of user address" --expect "sys_smap_probe"
          --expect "kernel panic on cpu 0: SMAP violation: kernel access to user address"
          --reject "FAIL smap_probe")
list(APPEND _qemu_user_tests qemu_smap_violation)

set_tests_properties(${_qemu_user_tests} PROPERTIES LABELS qemu TIMEOUT 150)

# The guest test suite as /init, its output compared with the same suite under simx.
foreach(smp 1 4)
  add_test(NAME qemu_suite_same_as_simx_smp${smp}
    COMMAND bash ${_qemu_test_src}/same_as_simx.sh $<TARGET_FILE:simx> ${SIMX_GUEST_BIN_DIR}/suite
            ${SIMX_GUEST_INITRAMFS} ${_qemu_test_src}/boot_test.sh $<TARGET_FILE:simx_kernel_image> max ${smp})
  set_tests_properties(qemu_suite_same_as_simx_smp${smp} PROPERTIES LABELS qemu TIMEOUT 300)
endforeach()

# Guest programs (issue 5, item 8): ordinary Linux x86-64 programs built with musl,
# each twice — static (musl-gcc -static) and static-PIE (linked by hand: Debian's
# musl-gcc -static-pie yields a dynamic PIE, see /work/shared/NOTES.md) — into
# ${SIMX_GUEST_BIN_DIR}/<name> and <name>-pie, and packed with a few data files into
# the initramfs ${SIMX_GUEST_INITRAMFS}. Some also dynamically linked (issue 6, item
# 5), as <name>-dyn: plain `musl-gcc` (a PIE whose PT_INTERP is musl's loader
# /lib/ld-musl-x86_64.so.1, which is musl's libc.so itself); the initramfs then holds
# that loader (the host's file, from Debian's musl package) and our shared libraries
# (${SIMX_GUEST_LIB_DIR}/lib<name>.so) in /lib, where musl's loader looks by default.
#
# tests/guest/guest.cmake turns every program into ctest tests (label "guest") that run
# it on the host and under `simx run` and compare. To add a program: write
# tests/<name>.c or workloads/<name>.c here and add one line to the list below.
#
# Exposed to the rest of the build (cache variables, visible everywhere):
#   SIMX_GUEST_BIN_DIR      folder of the built programs
#   SIMX_GUEST_ROOT_DIR     the initramfs staging tree (its data/ is the host copy of /data)
#   SIMX_GUEST_INITRAMFS    the cpio archive
#   SIMX_GUEST_TESTS        names of the test programs (print PASS/FAIL lines)
#   SIMX_GUEST_WORKLOADS    names of the workloads (print a checksum)
#   SIMX_GUEST_PROGRAMS     both lists
#   SIMX_GUEST_LIB_DIR      folder of our shared libraries (the host run's LD_LIBRARY_PATH)
#   SIMX_GUEST_<name>_ARGS / _EXPECT / _STDIN / _KIND   how the tests run <name>
#   SIMX_GUEST_<name>_VARIANTS   which builds exist: static, pie, dynamic
# and the target `guest_userland`, which builds all of it (part of ALL).

find_program(SIMX_MUSL_GCC musl-gcc REQUIRED)
find_program(SIMX_HOST_GCC gcc REQUIRED)
find_program(SIMX_CPIO cpio REQUIRED)
execute_process(COMMAND ${SIMX_HOST_GCC} -print-libgcc-file-name
  OUTPUT_VARIABLE _simx_guest_libgcc OUTPUT_STRIP_TRAILING_WHITESPACE)
get_filename_component(_simx_guest_gcc_dir ${_simx_guest_libgcc} DIRECTORY)
set(_simx_guest_musl_dir /usr/lib/x86_64-linux-musl)

set(SIMX_GUEST_BIN_DIR ${CMAKE_BINARY_DIR}/guest_userland/bin CACHE INTERNAL "guest programs")
set(SIMX_GUEST_ROOT_DIR ${CMAKE_BINARY_DIR}/guest_userland/root CACHE INTERNAL "initramfs staging tree")
set(SIMX_GUEST_INITRAMFS ${CMAKE_BINARY_DIR}/guest_userland/initramfs.cpio CACHE INTERNAL "guest initramfs")
set(SIMX_GUEST_LIB_DIR ${CMAKE_BINARY_DIR}/guest_userland/lib CACHE INTERNAL "guest shared libraries")
set(_simx_guest_libraries "" CACHE INTERNAL "")

# musl's dynamic loader, the PT_INTERP of every program musl-gcc links dynamically. On
# Debian it is a symlink to musl's libc.so; the initramfs gets the file itself.
set(SIMX_GUEST_INTERP /lib/ld-musl-x86_64.so.1)
get_filename_component(_simx_guest_interp_file ${SIMX_GUEST_INTERP} REALPATH)
if(NOT EXISTS ${_simx_guest_interp_file})
  message(FATAL_ERROR "${SIMX_GUEST_INTERP} not found: install Debian's musl package (musl-tools needs it)")
endif()
set(SIMX_GUEST_TESTS "" CACHE INTERNAL "guest test programs")
set(SIMX_GUEST_WORKLOADS "" CACHE INTERNAL "guest workloads")
set(SIMX_GUEST_PROGRAMS "" CACHE INTERNAL "all guest programs")
set(_simx_guest_outputs "" CACHE INTERNAL "")

set(_simx_guest_cflags -std=c11 -O2 -g -Wall -Wextra -Wno-unused-parameter)
if(SIMX_WERROR)
  list(APPEND _simx_guest_cflags -Werror)
endif()

# simx_guest_executable(NAME SOURCE DEPENDS...): NAME (static) and NAME-pie (static-PIE).
function(simx_guest_executable name source)
  set(out ${SIMX_GUEST_BIN_DIR}/${name})
  set(obj ${CMAKE_BINARY_DIR}/guest_userland/obj/${name}-pie.o)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${SIMX_GUEST_BIN_DIR}
    COMMAND ${SIMX_MUSL_GCC} -static ${_simx_guest_cflags} -o ${out} ${source}
    DEPENDS ${source} ${ARGN}
    COMMENT "musl-gcc -static guest ${name}" VERBATIM)
  add_custom_command(OUTPUT ${out}-pie
    COMMAND ${CMAKE_COMMAND} -E make_directory ${SIMX_GUEST_BIN_DIR} ${CMAKE_BINARY_DIR}/guest_userland/obj
    COMMAND ${SIMX_HOST_GCC} -fPIE ${_simx_guest_cflags} -nostdinc -isystem /usr/include/x86_64-linux-musl
            -isystem ${_simx_guest_gcc_dir}/include -c ${source} -o ${obj}
    COMMAND ${SIMX_HOST_GCC} -static-pie -nostdlib -nostartfiles -o ${out}-pie
            ${_simx_guest_musl_dir}/rcrt1.o ${_simx_guest_musl_dir}/crti.o ${_simx_guest_gcc_dir}/crtbeginS.o
            ${obj} -L${_simx_guest_musl_dir} -lc ${_simx_guest_libgcc} ${_simx_guest_gcc_dir}/crtendS.o
            ${_simx_guest_musl_dir}/crtn.o
    DEPENDS ${source} ${ARGN}
    COMMENT "static-PIE guest ${name}-pie (musl, linked by hand)" VERBATIM)
  set(_simx_guest_outputs ${_simx_guest_outputs} ${out} ${out}-pie CACHE INTERNAL "")
endfunction()

# simx_guest_glibc(NAME SOURCE DEPENDS...): NAME-glibc, a static glibc program (the
# host's gcc and libc.a, -pthread): another libc's start-up, clone3 and pthreads.
function(simx_guest_glibc name source)
  set(out ${SIMX_GUEST_BIN_DIR}/${name}-glibc)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${SIMX_GUEST_BIN_DIR}
    COMMAND ${SIMX_HOST_GCC} -static -pthread ${_simx_guest_cflags} -o ${out} ${source}
    DEPENDS ${source} ${ARGN}
    COMMENT "gcc -static (glibc) guest ${name}-glibc" VERBATIM)
  set(_simx_guest_outputs ${_simx_guest_outputs} ${out} CACHE INTERNAL "")
endfunction()

# simx_guest_dynamic(NAME SOURCE [LIBS LIB...] [DEPENDS FILE...]): NAME-dyn, linked
# dynamically (musl-gcc's default) against musl's libc.so and our lib<LIB>.so.
function(simx_guest_dynamic name source)
  cmake_parse_arguments(D "" "" "LIBS;DEPENDS" ${ARGN})
  set(out ${SIMX_GUEST_BIN_DIR}/${name}-dyn)
  set(link "")
  set(libs "")
  foreach(lib IN LISTS D_LIBS)
    list(APPEND link -l${lib})
    list(APPEND libs ${SIMX_GUEST_LIB_DIR}/lib${lib}.so)
  endforeach()
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${SIMX_GUEST_BIN_DIR}
    COMMAND ${SIMX_MUSL_GCC} ${_simx_guest_cflags} -o ${out} ${source} -L${SIMX_GUEST_LIB_DIR} ${link}
    DEPENDS ${source} ${D_DEPENDS} ${libs}
    COMMENT "musl-gcc (dynamic) guest ${name}-dyn" VERBATIM)
  set(_simx_guest_outputs ${_simx_guest_outputs} ${out} CACHE INTERNAL "")
endfunction()

# simx_guest_shared_library(NAME SOURCE DEPENDS...): lib/NAME.c -> lib<NAME>.so, for
# /lib of the initramfs.
function(simx_guest_shared_library name source)
  set(out ${SIMX_GUEST_LIB_DIR}/lib${name}.so)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${SIMX_GUEST_LIB_DIR}
    COMMAND ${SIMX_MUSL_GCC} -shared -fPIC ${_simx_guest_cflags} -o ${out} ${source}
    DEPENDS ${source} ${ARGN}
    COMMENT "musl-gcc -shared guest library lib${name}.so" VERBATIM)
  set(_simx_guest_libraries ${_simx_guest_libraries} ${out} CACHE INTERNAL "")
endfunction()

# simx_guest_program(TEST|WORKLOAD NAME [SOURCE S] [EXPECT STATUS] [STDIN FILE] [ARGS ARG...])
#   TEST      tests/NAME.c: prints PASS/FAIL lines, must print a PASS and no FAIL
#   WORKLOAD  workloads/NAME.c: prints a checksum
#   PROBE     tests/NAME.c: for tests that run it under simx only (its output
#             depends on the machine's configuration, so the host is no oracle)
#   SOURCE    build NAME from S.c instead (one source run in several ways)
#   DYNAMIC   also build NAME-dyn, dynamically linked (tests: guest.NAME.dynamic)
#   DYNAMIC_ONLY  only NAME-dyn (a program that needs a shared library)
#   GLIBC     also build NAME-glibc, static with glibc (tests: guest.NAME.glibc)
#   LIBS      our shared libraries NAME-dyn links against (lib/<LIB>.c)
#   EXPECT    the exit status both runs must give (default 0; 128+N for signal N)
#   STDIN     file fed to standard input (default /dev/null)
#   ARGS      arguments; "@DATA@" stands for the initramfs /data (its staging copy on
#             the host)
#   CPUS      run under simx once per CPU count listed (guest.NAME.VARIANT.Ncpu), each
#             compared with the same host run (default: one run on simx's default, 1 CPU)
function(simx_guest_program kind name)
  cmake_parse_arguments(G "DYNAMIC;DYNAMIC_ONLY;GLIBC" "SOURCE;EXPECT;STDIN" "ARGS;LIBS;CPUS" ${ARGN})
  if(NOT DEFINED G_SOURCE)
    set(G_SOURCE ${name})
  endif()
  if(kind STREQUAL "TEST")
    set(dir ${CMAKE_CURRENT_SOURCE_DIR}/tests)
    set(header ${dir}/guest_test.h ${dir}/guest_proc.h)
    set(SIMX_GUEST_TESTS ${SIMX_GUEST_TESTS} ${name} CACHE INTERNAL "")
  elseif(kind STREQUAL "PROBE")
    set(dir ${CMAKE_CURRENT_SOURCE_DIR}/tests)
    set(header ${dir}/guest_test.h)
  elseif(kind STREQUAL "WORKLOAD")
    set(dir ${CMAKE_CURRENT_SOURCE_DIR}/workloads)
    set(header ${dir}/workload.h)
    set(SIMX_GUEST_WORKLOADS ${SIMX_GUEST_WORKLOADS} ${name} CACHE INTERNAL "")
  else()
    message(FATAL_ERROR "simx_guest_program: kind must be TEST, WORKLOAD or PROBE, not '${kind}'")
  endif()
  if(NOT DEFINED G_EXPECT)
    set(G_EXPECT 0)
  endif()
  if(NOT DEFINED G_STDIN)
    set(G_STDIN /dev/null)
  endif()
  set(variants "")
  if(NOT G_DYNAMIC_ONLY)
    simx_guest_executable(${name} ${dir}/${G_SOURCE}.c ${header})
    set(variants static pie)
  endif()
  if(G_DYNAMIC OR G_DYNAMIC_ONLY)
    simx_guest_dynamic(${name} ${dir}/${G_SOURCE}.c LIBS ${G_LIBS} DEPENDS ${header})
    list(APPEND variants dynamic)
  endif()
  if(G_GLIBC)
    simx_guest_glibc(${name} ${dir}/${G_SOURCE}.c ${header})
    list(APPEND variants glibc)
  endif()
  set(SIMX_GUEST_${name}_VARIANTS "${variants}" CACHE INTERNAL "")
  set(SIMX_GUEST_PROGRAMS ${SIMX_GUEST_PROGRAMS} ${name} CACHE INTERNAL "")
  set(SIMX_GUEST_${name}_KIND ${kind} CACHE INTERNAL "")
  set(SIMX_GUEST_${name}_EXPECT ${G_EXPECT} CACHE INTERNAL "")
  set(SIMX_GUEST_${name}_STDIN ${G_STDIN} CACHE INTERNAL "")
  set(SIMX_GUEST_${name}_ARGS "${G_ARGS}" CACHE INTERNAL "")
  set(SIMX_GUEST_${name}_CPUS "${G_CPUS}" CACHE INTERNAL "")
endfunction()

# The programs. One line each; the arguments keep every run short under the simulator.
#                  kind     name         how it runs
simx_guest_program(TEST     hello        DYNAMIC ARGS one "two words" three)
simx_guest_program(TEST     exit_status  EXPECT 3)
simx_guest_program(TEST     segv         EXPECT 139)
simx_guest_program(TEST     segv_rodata  EXPECT 139 SOURCE segv ARGS rodata)
simx_guest_program(TEST     segv_null    EXPECT 139 SOURCE segv ARGS null)
simx_guest_program(TEST     segv_noexec  EXPECT 139 SOURCE segv ARGS noexec)
simx_guest_program(TEST     trap_ud      EXPECT 132 SOURCE traps ARGS ud)
simx_guest_program(TEST     trap_de      EXPECT 136 SOURCE traps ARGS de)
simx_guest_program(TEST     trap_int3    EXPECT 133 SOURCE traps ARGS int3)
simx_guest_program(TEST     trap_hlt     EXPECT 139 SOURCE traps ARGS hlt)
simx_guest_program(TEST     trap_gp      EXPECT 139 SOURCE traps ARGS gp)
simx_guest_program(TEST     mem          DYNAMIC)
simx_guest_program(PROBE    write_execute)
simx_guest_program(TEST     fork         ARGS @DATA@/../bin/exit_status)
simx_guest_program(TEST     limits)
simx_guest_program(TEST     sendfile)
simx_guest_program(WORKLOAD suite        SOURCE ../tests/suite ARGS @DATA@/../bin)
simx_guest_program(TEST     pages        ARGS 2048)
simx_guest_program(TEST     stack        ARGS 4096)
simx_guest_program(TEST     files        DYNAMIC)
simx_guest_program(TEST     uaccess)
simx_guest_program(TEST     stdin_sum    STDIN ${CMAKE_CURRENT_SOURCE_DIR}/tests/stdin_input.txt ARGS 120)
simx_guest_program(TEST     stdin_stdio  STDIN ${CMAKE_CURRENT_SOURCE_DIR}/tests/stdin_input.txt SOURCE stdin_sum
                   ARGS 120 stdio)
simx_guest_program(TEST     output)
simx_guest_program(TEST     time)
simx_guest_program(TEST     random)
simx_guest_program(TEST     sysinfo)
simx_guest_program(TEST     auxv)
simx_guest_program(TEST     float        DYNAMIC)
simx_guest_program(TEST     strings      DYNAMIC)
simx_guest_program(TEST     initramfs    ARGS @DATA@)
simx_guest_program(TEST     mmap_file    DYNAMIC)
simx_guest_program(TEST     signal_handlers DYNAMIC)
simx_guest_program(TEST     signal_children)
simx_guest_program(TEST     pipes        ARGS @DATA@/../bin/pipes)
simx_guest_program(TEST     pipe_signals)
# Threads (issue 6, item 4): musl pthreads and raw futexes, on 1, 2 and 4 CPUs.
simx_guest_program(TEST     threads      DYNAMIC GLIBC CPUS 1 2 4)
simx_guest_program(TEST     threads_signals CPUS 1 2 4)
simx_guest_program(TEST     threads_fork GLIBC CPUS 1 2 4)
simx_guest_program(TEST     threads_exit CPUS 1 2 4 ARGS @DATA@/../bin/threads_exit)
simx_guest_program(TEST     futex        CPUS 1 2 4)
simx_guest_program(TEST     shootdown    GLIBC CPUS 1 2 4)
simx_guest_program(TEST     itimer       CPUS 1 2)
simx_guest_program(TEST     affinity     CPUS 1 2 4)
simx_guest_program(TEST     poll_mask    CPUS 1 2)
# Dynamic linking with a shared library of our own (lib/guest.c -> /lib/libguest.so).
simx_guest_shared_library(guest ${CMAKE_CURRENT_SOURCE_DIR}/lib/guest.c ${CMAKE_CURRENT_SOURCE_DIR}/lib/guest.h)
simx_guest_program(TEST     shlib        DYNAMIC_ONLY LIBS guest)
simx_guest_program(WORKLOAD chase        ARGS 4 200000)
simx_guest_program(WORKLOAD gups         ARGS 4 100000)
simx_guest_program(WORKLOAD stream       ARGS 2 2)
simx_guest_program(WORKLOAD mmap_churn   ARGS 200 64)
simx_guest_program(WORKLOAD syscalls     ARGS 2000)
simx_guest_program(WORKLOAD forkwork     ARGS 4 200000)
simx_guest_program(WORKLOAD threads_work ARGS 4 20000 CPUS 1 2 4)

# The initramfs: /bin/<every program>, /lib/<the loader and our libraries> and /data,
# rebuilt when a program, a library or the host's loader changes.
set(_simx_guest_lib_args "")
foreach(lib IN LISTS _simx_guest_libraries)
  list(APPEND _simx_guest_lib_args --lib ${lib})
endforeach()
# Debian's busybox-static (scripts/deps.sh installs it when it can): a real
# third-party static glibc program in /bin with its applets, for the busybox tests.
find_program(SIMX_BUSYBOX NAMES busybox PATHS /bin /usr/bin)
if(SIMX_BUSYBOX)
  set(_simx_guest_busybox_args --busybox ${SIMX_BUSYBOX})
  set(SIMX_GUEST_BUSYBOX ${SIMX_BUSYBOX} CACHE INTERNAL "busybox in the guest initramfs")
else()
  message(STATUS "guest initramfs: no busybox (Debian's busybox-static); the busybox tests are left out")
  set(SIMX_GUEST_BUSYBOX "" CACHE INTERNAL "")
endif()
add_custom_command(OUTPUT ${SIMX_GUEST_INITRAMFS}
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/make_initramfs.sh ${SIMX_GUEST_ROOT_DIR} ${SIMX_GUEST_INITRAMFS}
          --interp ${_simx_guest_interp_file} ${SIMX_GUEST_INTERP} ${_simx_guest_lib_args}
          ${_simx_guest_busybox_args} ${_simx_guest_outputs}
  DEPENDS ${_simx_guest_outputs} ${_simx_guest_libraries} ${_simx_guest_interp_file}
          ${CMAKE_CURRENT_SOURCE_DIR}/make_initramfs.sh
  COMMENT "guest initramfs (cpio newc)" VERBATIM)
add_custom_target(guest_userland ALL DEPENDS ${_simx_guest_outputs} ${_simx_guest_libraries} ${SIMX_GUEST_INITRAMFS})

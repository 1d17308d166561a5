# Guest programs under `simx run`, compared with the same binary run on the host (issue
# 5, item 8). For every program of guest_userland/programs.cmake, static and static-PIE,
# one ctest test (label "guest"):
#   guest.<name>.static   guest.<name>.pie   (or guest.<name>.static.2cpu ..., one per CPUS entry)
# and for those built dynamically too (DYNAMIC in programs.cmake; issue 6, item 5)
#   guest.<name>.dynamic  (simx gets the initramfs: its /lib has musl's loader and our
#                          libraries; the host run its own loader and LD_LIBRARY_PATH)
#   guest.<name>.glibc    the same source linked statically with glibc (GLIBC)
# run by run_guest.sh, which runs the binary natively and under `simx run` with the same
# arguments, stdin and environment, and requires identical stdout, the expected exit
# status from both, and (test programs) PASS lines and no FAIL line. Plus
# guest.determinism.*: two `simx run --seed --stats-json` runs must agree byte for byte.
#
# Adding a program needs nothing here: add it to the list in guest_userland/programs.cmake.
#   ctest -L guest                 all of them
#   ctest -R 'guest\.mem\.'        one program, both builds

if(NOT DEFINED SIMX_GUEST_PROGRAMS OR NOT TARGET simx)
  message(STATUS "guest tests: no guest programs or no simx target, skipped")
  return()
endif()

set(_simx_guest_driver ${CMAKE_CURRENT_LIST_DIR}/run_guest.sh)

foreach(name IN LISTS SIMX_GUEST_PROGRAMS)
  if(SIMX_GUEST_${name}_KIND STREQUAL "PROBE")
    continue()  # run by tests of their own (tests/apps/run_job_test.cpp)
  elseif(SIMX_GUEST_${name}_KIND STREQUAL "TEST")
    set(kind test)
  else()
    set(kind workload)
  endif()
  foreach(variant IN LISTS SIMX_GUEST_${name}_VARIANTS)
    set(dynamic_options "")
    if(variant STREQUAL "pie")
      set(binary ${SIMX_GUEST_BIN_DIR}/${name}-pie)
    elseif(variant STREQUAL "glibc")
      set(binary ${SIMX_GUEST_BIN_DIR}/${name}-glibc)
    elseif(variant STREQUAL "dynamic")
      set(binary ${SIMX_GUEST_BIN_DIR}/${name}-dyn)
      set(dynamic_options --dynamic --lib-path ${SIMX_GUEST_LIB_DIR})
    else()
      set(binary ${SIMX_GUEST_BIN_DIR}/${name})
    endif()
    # One run per CPU count the program asks for (CPUS in programs.cmake), else one.
    set(runs "default")
    if(SIMX_GUEST_${name}_CPUS)
      set(runs ${SIMX_GUEST_${name}_CPUS})
    endif()
    foreach(cpus IN LISTS runs)
      set(test_name guest.${name}.${variant})
      set(cpu_options "")
      if(NOT cpus STREQUAL "default")
        set(test_name ${test_name}.${cpus}cpu)
        set(cpu_options --sim-opt --cpus --sim-opt ${cpus})
      endif()
      add_test(NAME ${test_name}
        COMMAND bash ${_simx_guest_driver}
                --simx $<TARGET_FILE:simx>
                --kind ${kind}
                --expect ${SIMX_GUEST_${name}_EXPECT}
                --stdin ${SIMX_GUEST_${name}_STDIN}
                --data ${SIMX_GUEST_ROOT_DIR}/data --initramfs ${SIMX_GUEST_INITRAMFS} ${dynamic_options} ${cpu_options}
                -- ${binary} ${SIMX_GUEST_${name}_ARGS})
      set_tests_properties(${test_name} PROPERTIES LABELS guest TIMEOUT 120)
    endforeach()
  endforeach()
endforeach()

# Same config and seed, same output and counters, bit for bit (DESIGN.md): a workload
# (user-mode TLB traffic, ASLR'd static-PIE) and a syscall-heavy test (files, time).
add_test(NAME guest.determinism.chase
  COMMAND bash ${_simx_guest_driver} --simx $<TARGET_FILE:simx> --determinism --seed 7
          -- ${SIMX_GUEST_BIN_DIR}/chase-pie 1 20000)
add_test(NAME guest.determinism.files
  COMMAND bash ${_simx_guest_driver} --simx $<TARGET_FILE:simx> --determinism --seed 3
          -- ${SIMX_GUEST_BIN_DIR}/files-pie)
# A dynamically linked program: the loader's and the library's places come from the seed too.
add_test(NAME guest.determinism.shlib
  COMMAND bash ${_simx_guest_driver} --simx $<TARGET_FILE:simx> --determinism --seed 5
          --sim-opt --initramfs --sim-opt ${SIMX_GUEST_INITRAMFS}
          -- ${SIMX_GUEST_BIN_DIR}/shlib-dyn)
# Threads on four CPUs: futexes, shootdowns and IPIs change nothing run to run.
add_test(NAME guest.determinism.threads
  COMMAND bash ${_simx_guest_driver} --simx $<TARGET_FILE:simx> --determinism --seed 11
          --sim-opt --cpus --sim-opt 4
          -- ${SIMX_GUEST_BIN_DIR}/threads_work-pie 4 5000)
set_tests_properties(guest.determinism.chase guest.determinism.files guest.determinism.shlib
  guest.determinism.threads PROPERTIES LABELS guest TIMEOUT 120)

# Debian's busybox-static (issue 6, item 7): a third-party static glibc program.
# Each test runs `busybox sh -c SCRIPT sh DATA` on the host and under simx; the
# script puts busybox's applets first in PATH (the staging tree's /bin on the
# host, the initramfs /bin in the guest) and works in DATA, so both runs use the
# same programs on the same files, and the outputs must be identical.
if(SIMX_GUEST_BUSYBOX)
  # Scripts use newlines, not semicolons, between commands: a semicolon would
  # split the CMake argument into a list.
  function(simx_busybox_test name expect script)
    add_test(NAME guest.busybox.${name}
      COMMAND bash ${_simx_guest_driver} --simx $<TARGET_FILE:simx> --kind workload --expect ${expect}
              --stdin /dev/null --data ${SIMX_GUEST_ROOT_DIR}/data --initramfs ${SIMX_GUEST_INITRAMFS}
              -- ${SIMX_GUEST_BUSYBOX} sh -c "export PATH=\"$1/../bin\"\ncd \"$1\" || exit 99\n${script}" sh @DATA@)
    set_tests_properties(guest.busybox.${name} PROPERTIES LABELS guest TIMEOUT 120)
  endfunction()
  simx_busybox_test(ls_cat 0 [[
ls -1
ls -1 sub
cat hello.txt sub/nested.txt
echo done]])
  simx_busybox_test(pipeline 0 [[
cat numbers.txt | sort -rn | head -5 | tr '\n' ' '
echo
seq 1 100 | wc -l
echo a b c | wc -w
grep -c 7 numbers.txt]])
  simx_busybox_test(checksums 0 [[
sha256sum hello.txt numbers.txt
md5sum sub/nested.txt
cat numbers.txt | sha1sum]])
  simx_busybox_test(shell 0 [[
i=0
while [ $i -lt 20 ]
do
  i=$((i+1))
  echo $i
done > /tmp/bb.out
wc -l < /tmp/bb.out
(echo sub
 exit 3)
echo status $?
for w in one two three
do
  echo $w
done | sort -r
rm /tmp/bb.out
test -e /tmp/bb.out || echo removed]])
  simx_busybox_test(text 0 [[
head -20 numbers.txt | tail -3
cut -c1-2 numbers.txt | sort -u | wc -l
awk '{s+=$1} END {print s}' numbers.txt
sed -n '5,7p' numbers.txt | tr 0-9 a-j
expr 6 \* 7]])
  simx_busybox_test(exit_status 7 [[exit 7]])
endif()

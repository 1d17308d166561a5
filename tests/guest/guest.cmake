# Guest programs under `simx run`, compared with the same binary run on the host (issue
# 5, item 8). For every program of guest_userland/programs.cmake, static and static-PIE,
# one ctest test (label "guest"):
#   guest.<name>.static   guest.<name>.pie
# and for those built dynamically too (DYNAMIC in programs.cmake; issue 6, item 5)
#   guest.<name>.dynamic  (simx gets the initramfs: its /lib has musl's loader and our
#                          libraries; the host run its own loader and LD_LIBRARY_PATH)
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
    elseif(variant STREQUAL "dynamic")
      set(binary ${SIMX_GUEST_BIN_DIR}/${name}-dyn)
      set(dynamic_options --dynamic --lib-path ${SIMX_GUEST_LIB_DIR})
    else()
      set(binary ${SIMX_GUEST_BIN_DIR}/${name})
    endif()
    add_test(NAME guest.${name}.${variant}
      COMMAND bash ${_simx_guest_driver}
              --simx $<TARGET_FILE:simx>
              --kind ${kind}
              --expect ${SIMX_GUEST_${name}_EXPECT}
              --stdin ${SIMX_GUEST_${name}_STDIN}
              --data ${SIMX_GUEST_ROOT_DIR}/data --initramfs ${SIMX_GUEST_INITRAMFS} ${dynamic_options}
              -- ${binary} ${SIMX_GUEST_${name}_ARGS})
    set_tests_properties(guest.${name}.${variant} PROPERTIES LABELS guest TIMEOUT 120)
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
set_tests_properties(guest.determinism.chase guest.determinism.files guest.determinism.shlib
  PROPERTIES LABELS guest TIMEOUT 120)

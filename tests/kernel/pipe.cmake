# Pipes (issue 6, item 6): the ring buffer and the semantics that need no
# second task (non-blocking paths, EOF, EPIPE, poll masks, release). The
# blocking paths, poll/select and the syscalls run end to end in the guest
# program guest_userland/tests/pipes.c. Included from tests/CMakeLists.txt.
simx_kernel_test(kernel_pipe_test unit
  kernel/pipe_test.cpp
)

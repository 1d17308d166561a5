# Fork with copy-on-write in the address space (issue 6, item 2): COW faults,
# the multi-space reverse map, pinned pages at fork, a randomized model test.
# Included from tests/CMakeLists.txt.
simx_kernel_test(kernel_fork_test unit kernel/fork_test.cpp)

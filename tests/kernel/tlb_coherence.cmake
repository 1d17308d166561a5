# TLB coherence (issue 6, items 1 and 2): the per-CPU ASID cache, shootdowns
# through the simulated MMUs of two CPUs, synchronous cross calls.
# Included from tests/CMakeLists.txt.
simx_kernel_test(kernel_tlb_coherence_test unit kernel/tlb_coherence_test.cpp)

#include "kernel/fs/poll_wait.h"

namespace kernel {
namespace {

u64 g_poll_generation = 0;  // atomic
WaitQueue g_poll_wait{"poll"};

}  // namespace

u64 poll_generation() { return __atomic_load_n(&g_poll_generation, __ATOMIC_ACQUIRE); }

WaitQueue& poll_wait_queue() { return g_poll_wait; }

void poll_notify() {
    __atomic_fetch_add(&g_poll_generation, 1, __ATOMIC_ACQ_REL);
    // Most changes have no poller: skip the wake-up's walk then. A poller
    // that reads the generation after the bump sees it moved and does not sleep.
    if (g_poll_wait.has_sleepers()) g_poll_wait.wake_all();
}

}  // namespace kernel

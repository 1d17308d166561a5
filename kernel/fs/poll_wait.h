// Poll wake-ups: how poll(2) and select(2) learn that some file's readiness
// may have changed (kernel/sys/sys_pipe.h says how they wait).
//
// Linux hangs a wait-queue entry of the poller on each file's own queue. Here
// there is one global generation counter and one wait queue: whatever changes
// a file's readiness (every pipe read, write and last close) calls
// poll_notify(), which bumps the generation and wakes every poller; each
// rescans its descriptors. Simple and never lost (the generation moves before
// the wake-up and the sleeper's condition is checked under the queue's lock),
// at the price of waking pollers for changes they do not watch — the thing to
// change when many processes poll many pipes.
#pragma once

#include "kernel/lib/types.h"
#include "kernel/sched/wait_queue.h"

namespace kernel {

// The current generation: a poller reads it before it scans, and sleeps until
// it moves.
u64 poll_generation();
// Where pollers without a timeout sleep.
WaitQueue& poll_wait_queue();
// Bumps the generation and wakes every poller; never called with a lock held
// that a poller's scan takes (pipe locks, fd tables).
void poll_notify();

}  // namespace kernel

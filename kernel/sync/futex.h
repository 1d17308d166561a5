// Futexes (Linux's kernel/futex): user-space words that threads sleep on
// and wake each other through, the base of every pthread mutex, condition
// variable, join and semaphore; and robust futex lists, by which a thread
// that dies holding a lock hands it on marked FUTEX_OWNER_DIED.
//
// Keys: a private futex (FUTEX_PRIVATE_FLAG) is its address in the caller's
// address space. A shared one is the same, marked shared, unless it lies in a
// MAP_SHARED mapping, where it is the physical address of the word, so
// processes sharing the memory meet on it (Linux keys those by inode or
// page). As on Linux, a private and a shared operation on one word never
// meet: musl's pthread_join waits privately and is woken by the exiting
// thread itself, glibc's waits shared for the kernel's clear_child_tid wake.
//
// Waiters sit on one of kFutexBuckets hash buckets, each a spinlock and a
// list. futex_wait checks the word under the bucket lock after queueing, and
// every wake takes that lock, so a wake between the user's check and the
// sleep is never lost (the futex contract). Waiters are woken in FIFO order.
//
// Invariants (check_futexes): every queued waiter is on the bucket its key
// hashes to, belongs to a sleeping-or-waking task, and has a non-zero bitset.
#pragma once

#include "kernel/lib/types.h"

namespace kernel {

struct Task;

inline constexpr u32 kFutexBitsetMatchAny = 0xffffffffu;

// FUTEX_WAIT(_BITSET): sleeps while *uaddr == val until a wake whose bitset
// meets `bitset`, the deadline (hal::cycles(), 0: none) or a signal.
// 0 when woken, -EAGAIN (the word differed), -ETIMEDOUT, -EFAULT, -EINTR
// (a signal, with a deadline) or -kErestartsys (a signal, without one).
i64 futex_wait(u64 uaddr, bool shared, u32 val, u64 deadline, u32 bitset);
// FUTEX_WAKE(_BITSET): wakes up to n waiters of uaddr whose bitset meets
// `bitset`; their number, or -EFAULT.
i64 futex_wake(u64 uaddr, bool shared, u32 n, u32 bitset);
// FUTEX_REQUEUE / FUTEX_CMP_REQUEUE: wakes up to nr_wake waiters of uaddr
// and moves up to nr_requeue of the rest to uaddr2; with `cmpval` the word
// at uaddr must still hold *cmpval (-EAGAIN otherwise). The number woken and
// requeued (what Linux returns), or -EFAULT.
i64 futex_requeue(u64 uaddr, u64 uaddr2, bool shared, u32 nr_wake, u32 nr_requeue, const u32* cmpval);
// FUTEX_WAKE_OP: atomically applies `op` to the word at uaddr2, wakes up to
// nr_wake waiters of uaddr and, if the old value passes op's comparison, up
// to nr_wake2 of uaddr2. The total woken, -EFAULT, or -ENOSYS for an
// unknown operation or comparison.
i64 futex_wake_op(u64 uaddr, u64 uaddr2, bool shared, u32 nr_wake, u32 nr_wake2, u32 op);

// A thread's goodbye to its user memory (Linux's mm_release), on exit and
// exec: every futex on its robust list it still owns is marked
// FUTEX_OWNER_DIED and one waiter woken; then its clear_child_tid word is
// zeroed and one waiter woken (pthread_join). Both are then forgotten.
void futex_release_thread(Task* task);
// struct robust_list_head's size: what set_robust_list accepts.
inline constexpr u64 kRobustListHeadBytes = 24;

struct FutexCounters {
    u64 waits = 0;       // waits that slept
    u64 wakes = 0;       // waiters woken by a wake, requeue or wake-op
    u64 timeouts = 0;
    u64 requeued = 0;
    u64 owner_died = 0;  // robust futexes released for dead owners
};
FutexCounters futex_counters();
// Each boot starts with empty buckets.
void futex_init();
// Panics unless the invariants above hold.
void check_futexes();

}  // namespace kernel

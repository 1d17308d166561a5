#include "kernel/sync/futex.h"

#include "kernel/hal/hal.h"
#include "kernel/lib/errno.h"
#include "kernel/lib/list.h"
#include "kernel/lib/new.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/spinlock.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal.h"
#include "kernel/sched/scheduler.h"
#include "kernel/sched/task.h"

namespace kernel {
namespace {

constexpr u32 kFutexBuckets = 64;

// (space, address, private or not) for words in private mappings; (0,
// physical address, shared) for words in shared mappings. A space's
// generation is never reused, so a key never names a word of a space that
// died. A private and a shared operation on the same private word do not
// meet, as on Linux (whose shared key of an anonymous page carries
// FUT_OFF_MMSHARED).
struct FutexKey {
    u64 space = 0;
    u64 address = 0;
    bool shared = false;
    bool operator==(const FutexKey&) const = default;
};

// A sleeping futex_wait, on its stack. `key` changes only under the locks of
// both its old and new buckets (requeue); `woken` under its bucket's lock.
struct Waiter {
    Task* task = nullptr;
    FutexKey key;
    u32 bitset = 0;
    bool woken = false;
    ListNode node;
};

struct Bucket {
    SpinLock lock{"futex_bucket"};
    IntrusiveList<Waiter, &Waiter::node> waiters;
};

Bucket g_buckets[kFutexBuckets];
FutexCounters g_counters;

Bucket& bucket_of(const FutexKey& k) {
    u64 h = (k.space * 0x9E3779B97F4A7C15ull) ^ (k.address >> 2) ^ (k.shared ? 0x5bd1e995u : 0);
    h ^= h >> 29;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 32;
    return g_buckets[h % kFutexBuckets];
}

// The key of the word at uaddr: -EINVAL (unaligned), -EFAULT, or 0.
i64 make_key(u64 uaddr, bool shared, FutexKey* key) {
    if (uaddr & 3) return -linux::kEinval;
    if (!user_range_ok(uaddr, 4)) return -linux::kEfault;
    AddressSpace* space = current_process()->space;
    *key = FutexKey{space->generation(), uaddr, shared};
    if (!shared) return 0;
    for (int attempt = 0; attempt < 4; ++attempt) {
        PhysAddr frame;
        const i64 r = space->shared_word_frame(uaddr, &frame);
        if (r == 0) return 0;
        if (r == 1) {
            *key = FutexKey{0, frame.value, true};
            return 0;
        }
        if (r != -linux::kEagain) return r;
        u32 word;
        if (get_user(word, uaddr) != 0) return -linux::kEfault;  // faults the shared page in
    }
    return -linux::kEfault;
}

// Bucket lock held: wakes up to n waiters of key whose bitset meets `bitset`.
u32 wake_locked(Bucket& b, const FutexKey& key, u32 n, u32 bitset) {
    u32 woken = 0;
    b.waiters.for_each([&](Waiter& w) {
        if (woken >= n || !(w.key == key) || !(w.bitset & bitset)) return;
        b.waiters.remove(w);
        w.woken = true;
        task_wake(w.task);  // before the unlock: the waiter (and its stack) stays until it gets the lock
        ++woken;
    });
    __atomic_fetch_add(&g_counters.wakes, woken, __ATOMIC_RELAXED);
    return woken;
}

// Locks the buckets of two keys (once if they share one), in address order.
void lock_pair(Bucket& a, Bucket& b) {
    if (&a == &b) {
        a.lock.lock();
    } else if (&a < &b) {
        a.lock.lock();
        b.lock.lock();
    } else {
        b.lock.lock();
        a.lock.lock();
    }
}

void unlock_pair(Bucket& a, Bucket& b) {
    a.lock.unlock();
    if (&a != &b) b.lock.unlock();
}

// The bucket the waiter is on now, locked (a requeue may move it meanwhile).
Bucket& lock_waiter_bucket(Waiter& w) {
    for (;;) {
        const FutexKey key = w.key;
        Bucket& b = bucket_of(key);
        b.lock.lock();
        if (w.key == key) return b;
        b.lock.unlock();
    }
}

// FUTEX_OP's operation on the old value (include/uapi/linux/futex.h).
bool apply_op(u32 op, u32 old, u32* out) {
    const u32 kind = (op >> 28) & 7;
    u32 arg = static_cast<u32>(static_cast<i32>(op << 8) >> 20);  // 12 bits, sign-extended
    if (op & (8u << 28)) {                                        // FUTEX_OP_OPARG_SHIFT
        if (arg > 31) return false;
        arg = 1u << arg;
    }
    switch (kind) {
        case 0: *out = arg; return true;          // SET
        case 1: *out = old + arg; return true;    // ADD
        case 2: *out = old | arg; return true;    // OR
        case 3: *out = old & ~arg; return true;   // ANDN
        case 4: *out = old ^ arg; return true;    // XOR
        default: return false;
    }
}

// FUTEX_OP's comparison: -1 when unknown.
int compare_op(u32 op, u32 old) {
    const i32 cmparg = static_cast<i32>(op << 20) >> 20;
    const i32 value = static_cast<i32>(old);
    switch ((op >> 24) & 15) {
        case 0: return value == cmparg;
        case 1: return value != cmparg;
        case 2: return value < cmparg;
        case 3: return value <= cmparg;
        case 4: return value > cmparg;
        case 5: return value >= cmparg;
        default: return -1;
    }
}

}  // namespace

void futex_init() {
    for (Bucket& b : g_buckets) {
        b.~Bucket();
        new (&b) Bucket();
    }
    g_counters = FutexCounters{};
}

i64 futex_wait(u64 uaddr, bool shared, u32 val, u64 deadline, u32 bitset) {
    FutexKey key;
    if (const i64 r = make_key(uaddr, shared, &key); r < 0) return r;
    u32 word;
    if (get_user(word, uaddr) != 0) return -linux::kEfault;  // faults it in before the lock
    Task* me = current_task();
    Waiter w;
    w.task = me;
    w.key = key;
    w.bitset = bitset;
    Bucket& b = bucket_of(key);
    b.lock.lock();
    // The check under the lock every waker takes: a wake after the user's
    // own check of the word finds this waiter queued.
    if (get_user(word, uaddr) != 0) {
        b.lock.unlock();
        return -linux::kEfault;
    }
    if (word != val) {
        b.lock.unlock();
        return -linux::kEagain;
    }
    b.waiters.push_back(w);
    __atomic_fetch_add(&g_counters.waits, 1, __ATOMIC_RELAXED);
    Bucket* held = &b;
    i64 result;
    for (;;) {
        // A signal already pending would wake nobody: look before sleeping.
        // One that comes after finds the task sleeping (or wake_pending).
        if (signal_pending(me)) {
            result = deadline ? -linux::kEintr : -kErestartsys;
            break;
        }
        if (deadline && hal::cycles() >= deadline) {
            __atomic_fetch_add(&g_counters.timeouts, 1, __ATOMIC_RELAXED);
            result = -linux::kEtimedout;
            break;
        }
        prepare_to_sleep();
        if (deadline) timer_arm(me, deadline);
        held->lock.unlock();
        schedule();
        if (deadline) timer_cancel(me);
        held = &lock_waiter_bucket(w);
        if (w.woken) {
            held->lock.unlock();
            return 0;
        }
        // A signal, the deadline, or a stale wake-up: the checks above decide.
    }
    held->waiters.remove(w);
    held->lock.unlock();
    return result;
}

i64 futex_wake(u64 uaddr, bool shared, u32 n, u32 bitset) {
    FutexKey key;
    if (const i64 r = make_key(uaddr, shared, &key); r < 0) return r;
    Bucket& b = bucket_of(key);
    b.lock.lock();
    const u32 woken = wake_locked(b, key, n, bitset);
    b.lock.unlock();
    return woken;
}

i64 futex_requeue(u64 uaddr, u64 uaddr2, bool shared, u32 nr_wake, u32 nr_requeue, const u32* cmpval) {
    FutexKey key, key2;
    if (const i64 r = make_key(uaddr, shared, &key); r < 0) return r;
    if (const i64 r = make_key(uaddr2, shared, &key2); r < 0) return r;
    u32 word = 0;
    if (cmpval && get_user(word, uaddr) != 0) return -linux::kEfault;
    Bucket& from = bucket_of(key);
    Bucket& to = bucket_of(key2);
    lock_pair(from, to);
    if (cmpval) {
        if (get_user(word, uaddr) != 0) {
            unlock_pair(from, to);
            return -linux::kEfault;
        }
        if (word != *cmpval) {
            unlock_pair(from, to);
            return -linux::kEagain;
        }
    }
    u32 done = wake_locked(from, key, nr_wake, kFutexBitsetMatchAny);
    u32 moved = 0;
    from.waiters.for_each([&](Waiter& w) {
        if (moved >= nr_requeue || !(w.key == key)) return;
        from.waiters.remove(w);
        w.key = key2;
        to.waiters.push_back(w);
        ++moved;
    });
    __atomic_fetch_add(&g_counters.requeued, moved, __ATOMIC_RELAXED);
    unlock_pair(from, to);
    return done + moved;
}

i64 futex_wake_op(u64 uaddr, u64 uaddr2, bool shared, u32 nr_wake, u32 nr_wake2, u32 op) {
    FutexKey key, key2;
    if (const i64 r = make_key(uaddr, shared, &key); r < 0) return r;
    if (const i64 r = make_key(uaddr2, shared, &key2); r < 0) return r;
    u32 probe;
    if (compare_op(op, 0) < 0 || !apply_op(op, 0, &probe)) return -linux::kEnosys;
    Bucket& b1 = bucket_of(key);
    Bucket& b2 = bucket_of(key2);
    lock_pair(b1, b2);
    // The operation, atomically on the user word (other CPUs' user code may
    // change it meanwhile: compare-exchange until it sticks).
    u32 old = 0;
    for (;;) {
        u32 seen, desired;
        if (get_user(old, uaddr2) != 0) {
            unlock_pair(b1, b2);
            return -linux::kEfault;
        }
        apply_op(op, old, &desired);
        if (user_cmpxchg_u32(uaddr2, old, desired, &seen) != 0) {
            unlock_pair(b1, b2);
            return -linux::kEfault;
        }
        if (seen == old) break;
    }
    u32 woken = wake_locked(b1, key, nr_wake, kFutexBitsetMatchAny);
    if (compare_op(op, old) == 1) woken += wake_locked(b2, key2, nr_wake2, kFutexBitsetMatchAny);
    unlock_pair(b1, b2);
    return woken;
}

FutexCounters futex_counters() {
    FutexCounters c;
    c.waits = __atomic_load_n(&g_counters.waits, __ATOMIC_RELAXED);
    c.wakes = __atomic_load_n(&g_counters.wakes, __ATOMIC_RELAXED);
    c.timeouts = __atomic_load_n(&g_counters.timeouts, __ATOMIC_RELAXED);
    c.requeued = __atomic_load_n(&g_counters.requeued, __ATOMIC_RELAXED);
    c.owner_died = __atomic_load_n(&g_counters.owner_died, __ATOMIC_RELAXED);
    return c;
}

void check_futexes() {
    for (Bucket& b : g_buckets) {
        SpinGuard guard(b.lock);
        b.waiters.for_each([&](Waiter& w) {
            KASSERT(&bucket_of(w.key) == &b, "a futex waiter of task %u on the wrong bucket", w.task->tid);
            KASSERT(w.bitset != 0, "a futex waiter of task %u with an empty bitset", w.task->tid);
            KASSERT(!w.woken, "a woken futex waiter of task %u still queued", w.task->tid);
        });
    }
}

// ---------------------------------------------------------------- robust lists

namespace {

constexpr u32 kFutexWaiters = 0x80000000u;
constexpr u32 kFutexOwnerDied = 0x40000000u;
constexpr u32 kFutexTidMask = 0x3fffffffu;
constexpr u32 kRobustListLimit = 2048;  // Linux's ROBUST_LIST_LIMIT: a cyclic list must end

// Linux's handle_futex_death: the word still names the dead owner: mark it
// OWNER_DIED (keeping WAITERS) and wake one waiter, who then gets EOWNERDEAD.
void release_dead_owner(u64 uaddr, u32 tid) {
    if (uaddr & 3) return;
    for (int attempt = 0; attempt < 16; ++attempt) {
        u32 word, seen;
        if (get_user(word, uaddr) != 0) return;
        if ((word & kFutexTidMask) != tid) return;
        const u32 died = (word & kFutexWaiters) | kFutexOwnerDied;
        if (user_cmpxchg_u32(uaddr, word, died, &seen) != 0) return;
        if (seen != word) continue;  // the word changed under us: look again
        __atomic_fetch_add(&g_counters.owner_died, 1, __ATOMIC_RELAXED);
        if (word & kFutexWaiters) futex_wake(uaddr, true, 1, kFutexBitsetMatchAny);
        return;
    }
}

// struct robust_list_head { robust_list list; long futex_offset; robust_list* list_op_pending; }.
// Entries' low bit marks PI futexes; the address of the lock word is entry + futex_offset.
void walk_robust_list(Task* t) {
    const u64 head = t->robust_list;
    u64 next = 0, pending = 0;
    i64 offset = 0;
    if (get_user(next, head) != 0 || get_user(offset, head + 8) != 0 || get_user(pending, head + 16) != 0) return;
    pending &= ~u64{1};
    for (u32 n = 0; n < kRobustListLimit && (next & ~u64{1}) != head; ++n) {
        const u64 entry = next & ~u64{1};
        if (get_user(next, entry) != 0) return;
        if (entry != pending) release_dead_owner(entry + static_cast<u64>(offset), t->tid);
    }
    if (pending) release_dead_owner(pending + static_cast<u64>(offset), t->tid);
}

}  // namespace

void futex_release_thread(Task* t) {
    if (t->robust_list) {
        walk_robust_list(t);
        t->robust_list = 0;
    }
    if (t->clear_child_tid) {
        const u64 at = t->clear_child_tid;
        t->clear_child_tid = 0;
        if (put_user(at, u32{0}) == 0) futex_wake(at, true, 1, kFutexBitsetMatchAny);
    }
}

}  // namespace kernel

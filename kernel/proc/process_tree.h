// The process tree: every process, parent and child links, re-parenting to
// init, zombies and their reaping (Linux's kernel/exit.c: exit_notify,
// forget_original_parent, do_wait). One lock guards it all (Linux's
// tasklist_lock); it is never held while taking a wait queue's lock, so a
// waiter may check the tree from inside its queue's lock.
#pragma once

#include "kernel/lib/spinlock.h"
#include "kernel/lib/types.h"

namespace kernel {

struct Process;

SpinLock& process_tree_lock();
// At boot, before init: an empty tree and pids from 1.
void process_tree_init();

// Makes `child` (new, not yet running) a child of `parent` (nullptr: a root, init).
void process_link(Process* child, Process* parent);
// The live or zombie process with this pid, or nullptr. Tree lock held by the caller.
Process* find_process_locked(u32 pid);
u32 process_count();
// Calls fn(process, context) for every live or zombie process. Tree lock held by the caller.
void for_each_process_locked(void (*fn)(Process*, void*), void* context);

// The calling process's end, after its threads and resources are gone: it
// becomes a zombie, its children go to init, its parent (and init, if a
// zombie came its way) is woken.
void make_zombie(Process* p);

// wait4(2)'s options and its search: pid > 0 that child, -1 any child, 0 or
// < -1 any child (process groups come later). WNOHANG returns 0 when children
// exist but none has ended. Returns the reaped pid (its wait status and CPU
// cycles in *status, *cycles) or -ECHILD. Sleeps otherwise.
// WUNTRACED / WCONTINUED report a child's stop / continue once each
// (status (sig << 8) | 0x7f, 0xffff). A signal ends the sleep: -kErestartsys.
inline constexpr u32 kWnohang = 1;
inline constexpr u32 kWuntraced = 2;
inline constexpr u32 kWcontinued = 8;
inline constexpr u32 kWexited = 4;          // waitid: report children that ended (wait4 always does)
inline constexpr u32 kWnowait = 0x01000000; // waitid: report, but leave the child waitable
i64 wait_for_child(Process* parent, i64 pid, u32 options, i32* status, u64* cycles);

}  // namespace kernel

#include "kernel/proc/process_tree.h"

#include "kernel/lib/errno.h"
#include "kernel/lib/list.h"
#include "kernel/lib/new.h"
#include "kernel/lib/panic.h"
#include "kernel/proc/process.h"
#include "kernel/proc/signal.h"
#include "kernel/proc/signal_numbers.h"

namespace kernel {
namespace {

SpinLock g_tree_lock{"process_tree"};
IntrusiveList<Process, &Process::all_node> g_all;
Process* g_init = nullptr;

bool matches(const Process& child, i64 pid) { return pid > 0 ? child.pid == static_cast<u64>(pid) : true; }

void unlink_child(Process* parent, Process* child) {
    Process** link = &parent->children_head;
    while (*link && *link != child) link = &(*link)->next_sibling;
    KASSERT(*link, "process %u is not a child of %u", child->pid, parent->pid);
    *link = child->next_sibling;
    child->next_sibling = nullptr;
}

void push_child(Process* parent, Process* child) {
    child->next_sibling = parent->children_head;
    parent->children_head = child;
}

// With the tree lock: a child matching pid with something to report — a
// zombie, or for WUNTRACED / WCONTINUED a stop or continue not yet
// reported — and whether any child matches.
Process* find_event_locked(Process* parent, i64 pid, u32 options, bool* any) {
    *any = false;
    for (Process* c = parent->children_head; c; c = c->next_sibling) {
        if (!matches(*c, pid)) continue;
        *any = true;
        if (c->state == ProcessState::kZombie) {
            if (options & kWexited) return c;
            continue;
        }
        if ((options & kWuntraced) && c->stop_report) return c;
        if ((options & kWcontinued) && c->continue_report) return c;
    }
    return nullptr;
}

}  // namespace

SpinLock& process_tree_lock() { return g_tree_lock; }

void process_tree_init() {
    g_all.~IntrusiveList();
    new (&g_all) IntrusiveList<Process, &Process::all_node>();
    g_init = nullptr;
    reset_pids_and_init_status();
}

void process_link(Process* child, Process* parent) {
    SpinGuard guard(g_tree_lock);
    g_all.push_back(*child);
    if (parent) push_child(parent, child);
    else if (!g_init) g_init = child;
}

Process* find_process_locked(u32 pid) {
    Process* found = nullptr;
    g_all.for_each([&](Process& p) {
        if (p.pid == pid) found = &p;
    });
    return found;
}

void for_each_process_locked(void (*fn)(Process*, void*), void* context) {
    g_tree_lock.assert_held();
    g_all.for_each([&](Process& p) { fn(&p, context); });
}

u32 process_count() {
    SpinGuard guard(g_tree_lock);
    return static_cast<u32>(g_all.size());
}

void make_zombie(Process* p) {
    Process* parent = nullptr;
    bool init_has_zombie = false;
    {
        SpinGuard guard(g_tree_lock);
        p->state = ProcessState::kZombie;
        // Orphans go to init (Linux's forget_original_parent without subreapers).
        while (Process* c = p->children_head) {
            p->children_head = c->next_sibling;
            c->next_sibling = nullptr;
            if (g_init && g_init != p) {
                c->parent = g_init;
                c->ppid = g_init->pid;
                push_child(g_init, c);
                init_has_zombie |= c->state == ProcessState::kZombie;
            } else {
                c->parent = nullptr;  // init itself is ending: nobody reaps them
                c->ppid = 0;
            }
        }
        parent = p->parent;
        // SIGCHLD (Linux's do_notify_parent), under the tree lock so the
        // parent cannot reap and free us before it is sent.
        if (parent) {
            SigInfo info;
            const bool signaled = (p->wait_status & 0x7f) != 0;
            info.code = signaled ? si::kCldKilled : si::kCldExited;
            info.pid = static_cast<i32>(p->pid);
            info.status = signaled ? (p->wait_status & 0x7f) : ((p->wait_status >> 8) & 0xff);
            signal_send(parent, signal::kSigchld, info);
        }
    }
    if (parent) parent->child_events.wake_all();
    if (init_has_zombie && g_init) g_init->child_events.wake_all();
}

i64 wait_for_child(Process* parent, i64 pid, u32 options, i32* status, u64* cycles) {
    for (;;) {
        Process* zombie = nullptr;
        bool any = false;
        {
            SpinGuard guard(g_tree_lock);
            Process* c = find_event_locked(parent, pid, options, &any);
            if (c && c->state != ProcessState::kZombie) {
                // A stop ((sig << 8) | 0x7f) or a continue (0xffff), reported once.
                const bool keep = (options & kWnowait) != 0;
                if ((options & kWuntraced) && c->stop_report) {
                    if (!keep) c->stop_report = false;
                    *status = (c->stop_signal << 8) | 0x7f;
                } else {
                    if (!keep) c->continue_report = false;
                    *status = 0xffff;
                }
                *cycles = 0;
                return c->pid;
            }
            if (c && (options & kWnowait)) {
                *status = c->wait_status;
                *cycles = c->counters.user_cycles + c->child_cycles;
                return c->pid;
            }
            if (c) {
                zombie = c;
                unlink_child(parent, zombie);
                g_all.remove(*zombie);
            }
        }
        if (zombie) {
            const i64 reaped = zombie->pid;
            *status = zombie->wait_status;
            *cycles = zombie->counters.user_cycles + zombie->child_cycles;
            parent->child_cycles += *cycles;
            process_destroy(zombie);
            return reaped;
        }
        if (!any) return -linux::kEchild;
        if (options & kWnohang) return 0;
        // Interruptible: a handler (SIGCHLD's, say) may cut the wait short.
        const bool event = parent->child_events.wait_interruptible([&] {
            SpinGuard guard(g_tree_lock);
            bool still_any = false;
            return find_event_locked(parent, pid, options, &still_any) != nullptr || !still_any;
        });
        if (!event) return -kErestartsys;
    }
}

}  // namespace kernel

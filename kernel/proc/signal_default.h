// Default actions (Linux's sig_kernel_ignore/stop/coredump sets in
// include/linux/signal.h): what a signal does to a process with no handler.
#pragma once

#include "kernel/lib/types.h"

namespace kernel {

struct Process;

enum class DefaultAction : u8 { kTerminate, kCore, kIgnore, kStop, kContinue };

DefaultAction default_action(i32 sig);
inline bool is_stop_signal(i32 sig) { return default_action(sig) == DefaultAction::kStop; }

// The current process stops (all its threads; one per process for now): the
// parent is told (SIGCHLD with CLD_STOPPED unless it asked SA_NOCLDSTOP, and
// wait4's WUNTRACED), then the calling thread sleeps until SIGCONT or
// SIGKILL. A SIGCONT sent since the stop signal was dequeued (when
// p->continue_count was `continues`) cancels the stop. Called without locks.
void stop_current_process(i32 sig, u32 continues);
// A SIGCONT resumed the current process: tell the parent (CLD_CONTINUED,
// WCONTINUED). Called without locks from the delivery loop.
void report_continued(Process* p);

}  // namespace kernel

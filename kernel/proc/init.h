// The first process: after the memory core is up, boot_main mounts the root
// file system, unpacks the initramfs (hal::BootInfo), and runs the program
// the command line names (init=, kernel/proc/command_line.h) as pid 1 with
// the console on fds 0, 1 and 2. Every CPU then schedules (the boot CPU from
// run_init, the others from secondary_main) until init exits; its end ends
// the run, whatever else is still running (as a machine whose init died).
#pragma once

#include "kernel/lib/types.h"
#include "kernel/proc/command_line.h"

namespace kernel {

// Runs init to its end. Returns the status the machine exits with, as a
// shell reports a child's: the exit code, or 128 + the signal that killed
// it; 127 when init cannot be started (the reason is logged).
int run_init(const CommandLine& command_line);

}  // namespace kernel

// `simx run PROGRAM [ARGS...]`: the main job. Boots the kernel on a fresh
// simulated machine with PROGRAM (an x86-64 Linux ELF on the host) in its
// initramfs at /host/<name> and runs it as init: its stdin, stdout and
// stderr are the host's, its exit status is simx's, and the counters of the
// run (per CPU and for the process) follow on stderr.
//
// A dynamically linked PROGRAM (one with a PT_INTERP) needs its interpreter
// in the guest's file system: given no --initramfs, the host's file at that
// path is packed there too (as qemu-user uses the host's loader); with one,
// the archive must hold it (the guest_userland initramfs has musl's).
#pragma once

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "sim/machine/config.h"

namespace simx {

struct RunJobOptions {
    std::string program;               // host path
    std::vector<std::string> args;     // argv[1...]
    std::vector<std::string> env;      // NAME=VALUE; empty: the kernel's default (HOME=/ TERM=linux)
    std::string initramfs;             // an extra cpio newc archive to unpack first ("" = none)
    bool randomize = true;             // ASLR (off: the kernel's norandmaps)
    bool test_syscalls = false;        // the SMAP probe syscall
};

struct RunJobResult {
    int exit_status = 0;               // as a shell reports it: code, or 128 + signal
    std::string report;                // the counters table
    std::string stats_json;            // {"machine": ..., "processes": ...}
    std::string kernel_log;            // what the kernel printed
    std::string program_messages;      // ... about the program (faults, a refused ELF), boot messages left out
};

// The kernel command line that runs the program (exposed for tests).
std::string run_command_line(const MachineConfig& config, const RunJobOptions& options);
// The initramfs: options.initramfs's bytes, then an archive with the program
// (and, without options.initramfs, the host's copy of its interpreter).
// Throws SimError when the program needs an interpreter the host lacks.
std::vector<uint8_t> run_initramfs(const RunJobOptions& options);

// Runs it. Program output goes to `out`/`err`, input comes from `in`. Throws
// SimError for a bad option, an unreadable file or a kernel panic.
RunJobResult run_program(const MachineConfig& config, const RunJobOptions& options, std::istream& in,
                         std::ostream& out, std::ostream& err);

}  // namespace simx

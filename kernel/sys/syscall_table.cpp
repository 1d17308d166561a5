// The syscall table: Linux x86-64 numbers to handlers, and every Linux name
// for the run report.
#include "kernel/sys/syscall.h"

#include "kernel/sys/sys_fs.h"
#include "kernel/sys/sys_futex.h"
#include "kernel/sys/sys_mm.h"
#include "kernel/sys/sys_pipe.h"
#include "kernel/sys/sys_proc.h"
#include "kernel/sys/sys_signal.h"
#include "kernel/sys/sys_time.h"

namespace kernel {
namespace {

struct Name {
    u32 number;
    const char* name;
};

constexpr Name kNames[] = {
#define X(number, name) {number, #name},
#include "kernel/sys/syscall_names.inc"
#undef X
};

constexpr SyscallEntry kTable[] = {
#define SYSCALL(number, name, handler) {number, #name, handler},
#include "kernel/sys/sys_fs_table.inc"
#include "kernel/sys/sys_futex_table.inc"
#include "kernel/sys/sys_mm_table.inc"
#include "kernel/sys/sys_proc_table.inc"
#include "kernel/sys/sys_signal_table.inc"
#include "kernel/sys/sys_time_table.inc"
#include "kernel/sys/sys_pipe_table.inc"
#undef SYSCALL
};

constexpr u32 kMaxNumber = 512;

// Number -> entry, built on first use (the table is small and sorted by topic).
struct Index {
    const SyscallEntry* by_number[kMaxNumber] = {};
    bool built = false;
};
Index g_index;

constexpr bool table_numbers_unique() {
    for (usize i = 0; i < sizeof kTable / sizeof kTable[0]; ++i) {
        if (kTable[i].number >= kMaxNumber) return false;
        for (usize j = i + 1; j < sizeof kTable / sizeof kTable[0]; ++j)
            if (kTable[i].number == kTable[j].number) return false;
    }
    return true;
}
static_assert(table_numbers_unique(), "a syscall number is listed twice or is out of range");

}  // namespace

constexpr SyscallEntry kSmapProbe{kSysSmapProbe, "simx_smap_probe", sys_smap_probe};

const SyscallEntry* find_syscall(u64 number) {
    if (number == kSysSmapProbe) return test_syscalls_enabled() ? &kSmapProbe : nullptr;
    if (!__atomic_load_n(&g_index.built, __ATOMIC_ACQUIRE)) {
        // Every CPU builds the same index; racing builders write the same values.
        for (const SyscallEntry& e : kTable) __atomic_store_n(&g_index.by_number[e.number], &e, __ATOMIC_RELAXED);
        __atomic_store_n(&g_index.built, true, __ATOMIC_RELEASE);
    }
    return number < kMaxNumber ? __atomic_load_n(&g_index.by_number[number], __ATOMIC_RELAXED) : nullptr;
}

const char* syscall_name(u64 number) {
    if (number == kSysSmapProbe) return kSmapProbe.name;
    for (const Name& n : kNames)
        if (n.number == number) return n.name;
    return nullptr;
}

}  // namespace kernel

// uaccess on the simulated machine: the kernel's only way through a user
// address (hal.h "uaccess"). Each user page is translated by the CPU's MMU and
// the bytes are copied in simulated RAM; translation and cache latencies and
// the copy are charged to the CPU.
//
// The translation is made as a user-mode access. Under SMAP with RFLAGS.AC
// set (what STAC gives the real copy routines) a supervisor access to a user
// page is allowed exactly when a user access is, except that a supervisor-only
// leaf in the user half would be allowed too; hal.h asks for that to fault
// (a PROT_NONE page keeps a supervisor leaf, address_space.h), and a user-mode
// check gives it. The fault reaches the kernel as a kernel-mode #PF (error
// code without U/S, RFLAGS.AC set in the frame), as it would from the copy
// loop of the qemu build.
#include <fmt/format.h>

#include <algorithm>
#include <cstring>

#include "sim/hal/sim_hal.h"
#include "sim/hal/sim_hal_cpu.h"
#include "sim/machine/sim_error.h"

namespace simx {
namespace {

// A kernel that answers "resolved" but leaves the page unreachable would make
// the copy retry for ever; this many faults in a row on one page is a bug.
constexpr int kMaxFaultsPerPage = 8;

}  // namespace

bool SimHal::kernel_mode_page_fault(uint64_t address, uint32_t error_code, bool ac) {
    kernel::TrapFrame frame{};
    frame.cs = kernel::selector::kKernelCode;
    frame.ss = kernel::selector::kKernelData;
    frame.rflags = rflags::kFixed1 | (ac ? rflags::kAC : 0);
    frame.vector = vector::kPageFault;
    frame.error_code = error_code;
    kernel::on_exception(frame, vector::kPageFault, error_code, address);
    return !me().uaccess_stopped;
}

size_t SimHal::user_copy(Copy kind, uint64_t user, uint8_t* kernel_buf, size_t n, int64_t* string_length) {
    Cpu& cpu = me();
    const KernelCostConfig& costs = machine_.config().costs;
    ++cpu.stats.uaccess_calls;
    charge(costs.uaccess);
    if (cpu.in_uaccess) panic_halt("a uaccess call inside another (the #PF handler must not copy user memory)");
    cpu.in_uaccess = true;
    cpu.uaccess_stopped = false;
    const AccessType type =
        kind == Copy::kToUser || kind == Copy::kClear || kind == Copy::kCmpxchg ? AccessType::kWrite : AccessType::kRead;
    size_t done = 0;
    int faults = 0;
    while (done < n) {
        const uint64_t va = user + done;
        const size_t chunk = std::min<size_t>(n - done, 4096 - (va & 4095));
        const Translation t = mmu().translate(VirtAddr{va}, Access::user(type));
        charge(t.cycles);
        if (!t.ok()) {
            ++me().stats.uaccess_faults;
            if (t.fault != FaultKind::kPageFault) break;  // non-canonical: the caller's range check lets none through
            if (++faults > kMaxFaultsPerPage)
                panic_halt(fmt::format("uaccess: the #PF at {:#x} is still there after {} faults the kernel resolved",
                                       t.fault_address, kMaxFaultsPerPage).c_str());
            if (!kernel_mode_page_fault(t.fault_address, t.error_code & ~pf::kUser, /*ac=*/true)) break;
            continue;
        }
        faults = 0;
        // The lines the copy touches, through the cache hierarchy.
        Mmu& m = mmu();
        for (uint64_t line = t.pa.value & ~uint64_t{63}; line < t.pa.value + chunk; line += 64)
            charge(m.data_access(PhysAddr{line}, t.mem_type));
        charge((chunk * costs.copy_4k + 4095) / 4096);
        uint8_t* host = machine_.memory().host_view(t.pa, chunk);
        size_t copied = chunk;
        switch (kind) {
            case Copy::kFromUser: std::memcpy(kernel_buf + done, host, chunk); break;
            case Copy::kToUser: std::memcpy(host, kernel_buf + done, chunk); break;
            case Copy::kClear: std::memset(host, 0, chunk); break;
            case Copy::kCmpxchg: {
                // kernel_buf: expected, desired in; the old value out. One
                // host thread runs every simulated CPU, so this is atomic.
                uint32_t io[2], current;
                std::memcpy(io, kernel_buf, sizeof io);
                std::memcpy(&current, host, 4);
                if (current == io[0]) std::memcpy(host, &io[1], 4);
                std::memcpy(kernel_buf, &current, 4);
                charge(machine_.config().cpu.locked);
                break;
            }
            case Copy::kString: {
                const auto* nul = static_cast<const uint8_t*>(std::memchr(host, 0, chunk));
                copied = nul ? static_cast<size_t>(nul - host) + 1 : chunk;
                std::memcpy(kernel_buf + done, host, copied);
                if (nul) *string_length = static_cast<int64_t>(done + copied - 1);
                break;
            }
        }
        if (type == AccessType::kWrite) invalidate_code(t.pa.value, chunk);
        done += copied;
        if (kind == Copy::kString && *string_length >= 0) break;
    }
    Cpu& after = me();
    after.in_uaccess = false;
    after.stats.uaccess_bytes += done;
    if (kind == Copy::kString && *string_length < 0 && done == n) *string_length = static_cast<int64_t>(n);
    return n - done;
}

size_t SimHal::copy_from_user(void* dst, uint64_t user_src, size_t n) {
    return user_copy(Copy::kFromUser, user_src, static_cast<uint8_t*>(dst), n, nullptr);
}

size_t SimHal::copy_to_user(uint64_t user_dst, const void* src, size_t n) {
    return user_copy(Copy::kToUser, user_dst, static_cast<uint8_t*>(const_cast<void*>(src)), n, nullptr);
}

size_t SimHal::clear_user(uint64_t user_dst, size_t n) { return user_copy(Copy::kClear, user_dst, nullptr, n, nullptr); }

int64_t SimHal::strncpy_from_user(char* dst, uint64_t user_src, size_t n) {
    int64_t length = -1;
    user_copy(Copy::kString, user_src, reinterpret_cast<uint8_t*>(dst), n, &length);
    return length;  // -1: a fault came before the NUL and before n bytes
}

bool SimHal::user_cmpxchg_u32(uint64_t user_address, uint32_t expected, uint32_t desired, uint32_t* old) {
    if (user_address & 3) panic_halt(fmt::format("user_cmpxchg_u32 of unaligned {:#x}", user_address).c_str());
    uint32_t io[2] = {expected, desired};
    if (user_copy(Copy::kCmpxchg, user_address, reinterpret_cast<uint8_t*>(io), 4, nullptr) != 0) return false;
    *old = io[0];
    return true;
}

bool SimHal::uaccess_fixup(kernel::TrapFrame& frame) {
    Cpu& cpu = me();
    if (!cpu.in_uaccess || frame.from_user()) return false;
    cpu.uaccess_stopped = true;
    return true;
}

uint8_t SimHal::smap_violation_probe(uint64_t user_address, const char* site) {
    console_ << fmt::format("smap probe: kernel load of user address {:#x} outside uaccess at {}\n", user_address, site);
    for (int attempt = 0; attempt < 2; ++attempt) {
        const Translation t = mmu().translate(VirtAddr{user_address}, Access::supervisor(AccessType::kRead, /*ac=*/false));
        charge(t.cycles);
        if (t.ok()) return *machine_.memory().host_view(t.pa, 1);
        if (t.fault != FaultKind::kPageFault)
            panic_halt(fmt::format("kernel load of non-canonical address {:#x} at {}", user_address, site).c_str());
        // The kernel's handler sees a supervisor access with AC clear: SMAP.
        kernel_mode_page_fault(t.fault_address, t.error_code, /*ac=*/false);
    }
    panic_halt(fmt::format("the kernel let a SMAP violation at {} ({:#x}) through twice", site, user_address).c_str());
}

}  // namespace simx

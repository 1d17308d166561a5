// hal's uaccess calls in the qemu build (uaccess.h says how they work).
#include "kernel/arch/x86_64/uaccess.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/hal/hal.h"
#include "kernel/lib/format.h"
#include "kernel/mm/layout.h"
#include "kernel/mm/pte.h"

extern "C" kernel::usize x86_copy_user(void* dst, const void* src, kernel::usize n);
extern "C" kernel::usize x86_clear_user(void* dst, kernel::usize n);
extern "C" kernel::i64 x86_strncpy_user(char* dst, const char* src, kernel::usize n);
extern "C" kernel::u8 x86_kernel_load_byte(const kernel::u8* address);
extern "C" int x86_user_cmpxchg32(kernel::u32* user, kernel::u32 expected, kernel::u32 desired, kernel::u32* old);

// kernel.ld gathers every uaccess.S EXTABLE entry between these.
struct ExceptionTableEntry {
    kernel::u64 instruction;
    kernel::u64 fixup;
};
extern "C" const ExceptionTableEntry __ex_table_start[], __ex_table_end[];

// Read by uaccess.S's USER_ACCESS_BEGIN/END.
extern "C" {
kernel::u8 x86_uaccess_smap = 0;
}

namespace kernel::x86 {
namespace {

const ExceptionTableEntry* find_entry(u64 rip) {
    for (const ExceptionTableEntry* e = __ex_table_start; e != __ex_table_end; ++e)
        if (e->instruction == rip) return e;
    return nullptr;
}

// Whether the user page at `va` may be touched by a copy: false when the
// current tables map it through a present entry with U/S = 0 at some level (a
// PROT_NONE page, address_space.h), true otherwise, including when an entry
// is not present, which the copy's own #PF then reports to the kernel. Walks
// CR3's tables through the direct map without the address space's lock: the
// answer may be stale by the time the copy runs, as with any racing mprotect.
bool user_page_accessible(u64 va) {
    PhysAddr table{read_cr3() & Pte::kAddressBits};
    for (unsigned level = layout().levels; level >= 1; --level) {
        const auto* entries = static_cast<const u64*>(hal::phys_to_virt(table));
        const Pte e{__atomic_load_n(&entries[table_index(va, level)], __ATOMIC_RELAXED)};
        if (!e.present()) return true;
        if (!e.user()) return false;
        if (e.is_leaf(level)) return true;
        table = e.table_address();
    }
    return true;
}

// Copies page by page: each page is checked, then copied by the routine.
// `copy` returns the bytes of its piece it did not do.
template <typename Copy>
usize copy_pages(u64 user, usize n, Copy copy) {
    usize done = 0;
    while (done < n) {
        const u64 va = user + done;
        const usize piece = n - done < kPageSize - (va & (kPageSize - 1)) ? n - done : kPageSize - (va & (kPageSize - 1));
        if (!user_page_accessible(va)) break;
        const usize left = copy(done, piece);
        done += piece - left;
        if (left) break;
    }
    return n - done;
}

}  // namespace

void set_uaccess_smap(bool on) { __atomic_store_n(&x86_uaccess_smap, on ? u8{1} : u8{0}, __ATOMIC_RELAXED); }

bool is_uaccess_instruction(u64 rip) { return find_entry(rip) != nullptr; }

}  // namespace kernel::x86

namespace hal {

namespace x86 = kernel::x86;

usize copy_from_user(void* dst, u64 user_src, usize n) {
    auto* out = static_cast<u8*>(dst);
    return x86::copy_pages(user_src, n, [&](usize done, usize piece) {
        return x86_copy_user(out + done, reinterpret_cast<const void*>(user_src + done), piece);
    });
}

usize copy_to_user(u64 user_dst, const void* src, usize n) {
    const auto* in = static_cast<const u8*>(src);
    return x86::copy_pages(user_dst, n, [&](usize done, usize piece) {
        return x86_copy_user(reinterpret_cast<void*>(user_dst + done), in + done, piece);
    });
}

usize clear_user(u64 user_dst, usize n) {
    return x86::copy_pages(user_dst, n, [&](usize done, usize piece) {
        return x86_clear_user(reinterpret_cast<void*>(user_dst + done), piece);
    });
}

i64 strncpy_from_user(char* dst, u64 user_src, usize n) {
    usize done = 0;
    while (done < n) {
        const u64 va = user_src + done;
        const usize room = kernel::kPageSize - (va & (kernel::kPageSize - 1));
        const usize piece = n - done < room ? n - done : room;
        if (!x86::user_page_accessible(va)) return -1;
        const i64 r = x86_strncpy_user(dst + done, reinterpret_cast<const char*>(va), piece);
        if (r < 0) return -1;
        if (static_cast<usize>(r) < piece) return static_cast<i64>(done) + r;  // the NUL came
        done += piece;
    }
    return static_cast<i64>(n);
}

bool user_cmpxchg_u32(u64 user_address, u32 expected, u32 desired, u32* old) {
    if (!x86::user_page_accessible(user_address)) return false;
    return x86_user_cmpxchg32(reinterpret_cast<u32*>(user_address), expected, desired, old) == 0;
}

// The copies' faults only: a kernel-mode #PF at a listed instruction.
bool uaccess_fixup(kernel::TrapFrame& frame) {
    if (frame.from_user()) return false;
    const ExceptionTableEntry* e = x86::find_entry(frame.rip);
    if (!e) return false;
    frame.rip = e->fixup;
    return true;
}

u8 smap_violation_probe(u64 user_address, const char* site) {
    kernel::kprintf("smap probe: kernel load of user address %#llx outside uaccess at %s\n",
                    static_cast<unsigned long long>(user_address), site);
    return x86_kernel_load_byte(reinterpret_cast<const u8*>(user_address));
}

}  // namespace hal

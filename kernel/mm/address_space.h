// A process's address space: its page table (the user half; the kernel half is
// shared, kernel_address_space.h), its VMAs in an AVL tree (vma.h), the heap
// break, and the counters of its page faults.
//
// The user half (4-level; 5-level is the same with a larger user_end):
//
//   user_end  0x0000_7fff_ffff_f000 ------------------------------------------
//             stack VMA (grows down on faults, up to options.stack_limit)
//             guard gap (options.stack_guard_gap, Linux's 256 pages): never
//                        chosen by mmap, never grown into
//   mmap_base ---------- mmap without MAP_FIXED picks the highest free range
//             mmaps      below here (top-down, Linux's legacy-free layout)
//             ...
//             heap VMA   [brk_start, brk) grown and shrunk by brk()
//             program    (ELF loader, later)
//   mmap_min_addr (64 KiB, Linux's vm.mmap_min_addr): nothing below
//
// System calls follow Linux: they return a value >= 0 or -errno (mman.h), with
// the checks in the order Linux makes them (mm/mmap.c, mm/mprotect.c,
// mm/madvise.c). Deliberate differences, each noted where it is made:
// mprotect over a hole changes nothing (Linux may have changed the VMAs before
// the hole); madvise(MADV_DONTNEED) keeps the pages of shared anonymous memory
// (Linux zaps the PTEs but the shmem object keeps the data, so a reader sees
// the same bytes either way).
//
// Rights in the page table: a PTE of a VMA with any right is user, read;
// writable iff PROT_WRITE, executable iff PROT_EXEC (x86 cannot express
// write-only or exec-only, so those read too, as on Linux without pkeys). A
// frame in a PROT_NONE VMA keeps its PTE as a supervisor, read-only, NX leaf:
// every user access faults as a protection violation (ACCERR) and the data
// survives until mprotect gives rights back. (Linux clears _PAGE_PRESENT and
// sets _PAGE_PROTNONE; our page-table editor has no not-present-but-kept
// entries. The uaccess layer must treat a supervisor leaf in the user half as
// a fault.) W^X: PROT_WRITE | PROT_EXEC is refused with EACCES unless the
// options allow it.
//
// Locking: one lock per address space serializes every call here and every
// page fault (Linux's mmap_lock, here a spinlock); it is taken before a
// reverse-map object's lock (rmap.h), which is taken before a page table's
// own lock; fork holds the parent's, then the new child's.
//
// TLB invalidations: every edit's record goes to flush_tlb
// (tlb_shootdown.h), which flushes it on every CPU that has this space loaded
// — the calling one and, by IPI, the others where its threads run — before
// the edit's frames and tables are freed (unhook -> invalidate -> free). So
// fork's read-only parent PTEs are stale nowhere once fork returns, as
// Linux's flush_tlb_mm in dup_mmap.
//
// Fork and copy-on-write (fork.cpp, cow.cpp; Linux's dup_mmap,
// copy_page_range, do_wp_page): the child gets a copy of every VMA, the heap
// break and the options. A private frame becomes shared by both, read-only in
// both; the first write in either copies it (cow_copy), or, when that space
// is by then its only mapper and no pin holds it, makes it writable again
// (cow_reuse). A pinned private frame is copied for the child at fork, so the
// pin's owner keeps the parent's page (Linux's page_needs_cow_for_dma). The
// zero page stays shared read-only. Shared anonymous frames are mapped by both
// with the VMA's rights; a later mmap in either is its own.
//
// Invariants (check_invariants): the VMA tree's and vma.h's; every present
// user PTE lies inside a VMA, is a 4 KiB leaf, and grants no right the VMA
// lacks; every mapped frame is anonymous, records an object this space links
// and its own address (rmap.h), and its mapcount equals the PTEs that map it
// in every address space, each of which rmap_walk finds (this one's among
// them); a writable PTE in a private VMA maps a frame no other PTE maps (the
// COW rule); refcount >= 1. The shared zero page (zero_page.h) is only ever
// mapped read-only in private VMAs and has no reverse map. The counts of
// resident frames and of zero-page PTEs match; this space links its own
// object; brk_start <= brk.
#pragma once

#include "kernel/lib/spinlock.h"
#include "kernel/lib/types.h"
#include "kernel/mm/page_table.h"
#include "kernel/mm/pmm.h"
#include "kernel/mm/rmap.h"
#include "kernel/mm/vma.h"

namespace kernel {

struct ZapBatch;

struct AddressSpaceOptions {
    u64 mmap_base = 0x0000'7f00'0000'0000ull;  // top of the top-down mmap area
    u64 brk_start = 0x0000'0000'0100'0000ull;  // where the heap begins (the ELF loader sets it)
    u64 mmap_min_addr = 0x10000;               // Linux's default vm.mmap_min_addr
    u64 stack_limit = u64{8} << 20;            // RLIMIT_STACK: the most a stack VMA grows to
    u64 stack_guard_gap = u64{256} << kPageShift;  // Linux's stack_guard_gap
    u64 brk_limit = ~u64{0};                   // RLIMIT_DATA for the heap (brk - brk_start)
    bool allow_write_execute = false;          // W^X off: PROT_WRITE | PROT_EXEC allowed
    // Read and fetch faults on private anonymous memory map the shared zero
    // page read-only (zero_page.h); a later write replaces it.
    bool zero_page_reads = false;
};

// Page faults resolved or refused, by kind (per address space). Each fault
// counts once among demand_zero, zero_page, permission, cow_copy, cow_reuse,
// maperr, accerr and oom; stack_growth counts the faults that also extended a
// stack.
struct FaultCounters {
    u64 demand_zero = 0;   // a fresh zeroed frame mapped where nothing was
    u64 zero_page = 0;     // the shared zero page mapped read-only where nothing was
    u64 permission = 0;    // a present PTE: refreshed to its VMA's rights (stale TLB), or the
                           // zero page replaced by a fresh frame on a write
    u64 cow_copy = 0;      // a write to a frame shared since fork (or pinned): copied into a fresh frame
    u64 cow_reuse = 0;     // a write to a read-only private frame now mapped only here: made writable
    u64 stack_growth = 0;  // a grows-down VMA extended down to the fault
    u64 maperr = 0;        // SIGSEGV/SEGV_MAPERR: no VMA there (or in a stack guard gap)
    u64 accerr = 0;        // SIGSEGV/SEGV_ACCERR: the VMA lacks the right
    u64 oom = 0;           // no frame or table could be had
};

enum class FaultAccess : u8 { kRead, kWrite, kExecute };

enum class FaultStatus : u8 {
    kRetry,        // handled: return to the faulting instruction
    kSignal,       // deliver `signal` with code and fault_address (a kernel-mode caller takes its uaccess fixup)
    kOutOfMemory,  // no memory: the caller runs the OOM path (or EFAULT/ENOMEM for uaccess)
};

struct FaultResult {
    FaultStatus status = FaultStatus::kRetry;
    i32 signal = 0;
    i32 code = 0;            // si_code: linux::kSegvMaperr or kSegvAccerr
    u64 fault_address = 0;   // si_addr: the faulting address itself, as Linux reports it
};

class AddressSpace {
public:
    // A new, empty address space sharing the kernel's half, or nullptr when
    // memory runs out. After init_kernel_address_space, vma_cache_init and
    // (for options.zero_page_reads) zero_page_init.
    static AddressSpace* create(const AddressSpaceOptions& options = {});
    // Unmaps everything, frees every frame, table and VMA, and the object.
    // It must not be loaded in any CPU's CR3.
    static void destroy(AddressSpace* space);
    // Users (processes sharing it through clone with CLONE_VM): a new space
    // has one; release drops one and destroys the space with the last.
    void get() { __atomic_fetch_add(&users_, 1u, __ATOMIC_RELAXED); }
    static void release(AddressSpace* space);
    u32 users() const { return __atomic_load_n(&users_, __ATOMIC_RELAXED); }
    // Linux's fork (dup_mmap): a new address space with a copy of every VMA,
    // the break and the options, sharing the frames copy-on-write (see
    // "Fork and copy-on-write" above); nullptr when memory runs out, with this
    // space unchanged but for PTEs made read-only (a later write reuses them)
    // and shared VMAs populated. fork.cpp.
    AddressSpace* fork();

    AddressSpace(const AddressSpace&) = delete;
    AddressSpace& operator=(const AddressSpace&) = delete;

    // ---- system calls (mmap.cpp); addresses are user addresses
    i64 mmap(u64 addr, u64 length, u32 prot, u32 flags, i32 fd = -1, u64 offset = 0);
    i64 munmap(u64 addr, u64 length);
    i64 mprotect(u64 addr, u64 length, u32 prot);
    // Linux's brk: the new break, or the current one when the request fails.
    u64 brk(u64 addr);
    i64 madvise(u64 addr, u64 length, i32 advice);
    // A grows-down read-write stack VMA [top - initial_bytes, top); returns its
    // start or -errno.
    i64 create_stack(u64 top, u64 initial_bytes);

    // ---- page faults (page_fault.cpp)
    // A fault on a user address (any address below the kernel half).
    // user_mode: the access came from user code; a kernel-mode one (uaccess)
    // on a bad address gets the same answer and takes its fixup.
    FaultResult handle_page_fault(u64 address, FaultAccess access, bool user_mode);

    // ---- pinned pages (pin.cpp): Linux's pin_user_pages / unpin_user_pages
    // Pins the n pages from `addr` (page-aligned) for the kernel's use: each is
    // faulted in as a kernel access (write: a private writable frame of its
    // own), its frame gains a reference, and pages[i] names it. A pinned frame
    // stays allocated with its contents while pinned, even if the range is
    // unmapped or the space destroyed meanwhile (the mapping goes; the frame
    // waits for its last unpin). All or nothing: 0, or -EFAULT (a page the
    // fault handler refused, e.g. no VMA or no right) / -ENOMEM with nothing
    // pinned. At most kMaxPinPages per call.
    static constexpr u32 kMaxPinPages = 1024;
    i64 pin_pages(u64 addr, u32 n, bool write, Page** pages);
    // Drops the pins; a frame whose mapping is gone is freed at its last unpin.
    static void unpin_pages(Page** pages, u32 n);
    u64 pins_taken() const { return pins_taken_; }  // pins ever taken in this space

    // Where the word at `addr` lives, for shared futex keys
    // (kernel/sync/futex.h): 1 with *frame its physical address when it lies
    // in a MAP_SHARED mapping, 0 in a private one, -EAGAIN when its shared
    // page is not present yet (fault it in and ask again), -EFAULT outside
    // every VMA.
    i64 shared_word_frame(u64 addr, PhysAddr* frame);

    // ---- inspection
    PageTable& page_table() { return pt_; }
    PhysAddr root() const { return pt_.root(); }
    // TLB coherence (tlb_context.h, tlb_shootdown.h): the CPUs whose CR3
    // holds this space, and the count of flush requests ever made for it
    // (sequentially consistent atomics; see tlb_context.h "Ordering").
    u64 loaded_cpu_bits() const { return __atomic_load_n(&loaded_cpus_, __ATOMIC_SEQ_CST); }
    void mark_loaded(u32 cpu) { __atomic_fetch_or(&loaded_cpus_, u64{1} << cpu, __ATOMIC_SEQ_CST); }
    void mark_unloaded(u32 cpu) { __atomic_fetch_and(&loaded_cpus_, ~(u64{1} << cpu), __ATOMIC_SEQ_CST); }
    u64 tlb_generation() const { return __atomic_load_n(&tlb_gen_, __ATOMIC_SEQ_CST); }
    u64 next_tlb_generation() { return __atomic_add_fetch(&tlb_gen_, 1, __ATOMIC_SEQ_CST); }
    // A number no other address space ever has (a root frame or the object's
    // memory may be reused after a destroy; this is not): what the scheduler
    // compares to know whether a CPU already has this space loaded.
    u64 generation() const { return generation_; }
    const AddressSpaceOptions& options() const { return options_; }
    const FaultCounters& fault_counters() const { return faults_; }
    u64 resident_pages() const { return resident_; }       // PTEs mapping frames (shared ones counted in each space)
    u64 zero_page_ptes() const { return zero_ptes_; }      // PTEs mapping the shared zero page
    // The reverse-map object of the frames this space creates (rmap.h).
    AnonObject* anon_object() const { return anon_; }
    // The ELF loader's layout (kernel/proc/aslr.h): where the heap begins and
    // the top of the mmap area. Only on a fresh space, before any brk.
    void set_program_layout(u64 brk_start, u64 mmap_base);
    u64 brk_start() const { return options_.brk_start; }
    u64 current_brk() const { return brk_; }
    // VMAs in address order; the VMA containing addr, or nullptr. Unlocked:
    // for tests and checkers while no other CPU edits this space.
    const Vma* first_vma() const { return vmas_.first(); }
    const Vma* next_vma(const Vma& v) const { return vmas_.next(v); }
    const Vma* find_vma(u64 addr) const;
    usize vma_count() const { return vmas_.size(); }

    // Panics, naming the VMA, address or frame, unless every invariant above holds.
    void check_invariants();

private:
    explicit AddressSpace(const AddressSpaceOptions& options);

    // VMA tree edits (address_space.cpp); lock held.
    Vma* vma_at(u64 addr) const;                  // the VMA containing addr
    Vma* first_ending_after(u64 addr) const;      // Linux's find_vma: lowest VMA with end > addr
    u64 start_gap(const Vma& v) const;            // start, less the guard gap of a stack
    void split(Vma& v, u64 at, Vma& spare);       // v becomes [start, at), spare [at, end)
    // VMAs that an edit will need, allocated before it changes anything, so
    // that running out of memory (ENOMEM) leaves the address space untouched.
    u32 splits_needed(u64 start, u64 end) const;
    // Splits so that no VMA straddles start or end, with VMAs from `spares`.
    void split_at_edges(u64 start, u64 end, VmaSpares& spares);
    void merge_around(u64 start, u64 end);        // merges mergeable neighbours touching [start, end]
    // Removes every VMA inside [start, end) (after split_at_edges) and zaps its pages.
    void remove_vmas(u64 start, u64 end, ZapBatch& zap);
    // Clears every PTE in [start, end), dropping the frames' reverse maps.
    void zap_range(u64 start, u64 end, ZapBatch& zap);
    // Performs the batch's invalidations, then frees its frames and tables.
    void finish(ZapBatch& zap);

    // mmap.cpp
    i64 map_anonymous_locked(u64 start, u64 length, u32 prot, u32 flags);
    u64 find_free_range(u64 length, u64 hint) const;
    bool range_is_free(u64 start, u64 end, bool respect_gaps) const;
    bool write_execute_refused(u32 prot) const;

    // page_fault.cpp
    bool grow_stack(Vma& stack, u64 address);
    bool map_fresh_frame(Vma& vma, u64 page);
    bool map_shared_zero_page(Vma& vma, u64 page);
    // After pt_.protect gave `vma` its rights `attrs`: in a private VMA, PTEs of
    // the zero page or of a frame another PTE maps stay read-only.
    void keep_shared_frames_read_only(const Vma& vma, const PageAttrs& attrs, TlbInvalidation& inv);

    // cow.cpp: a write fault on the present, read-only frame m of a writable
    // private VMA: reuse or copy it; counts the fault.
    void break_cow(Vma& vma, u64 page, const Mapping& m, FaultResult& r);

    // fork.cpp
    bool populate_shared(Vma& vma);
    bool copy_vma_pages(const Vma& vma, AddressSpace& child, ZapBatch& parent_zap);

    PageTable pt_;
    VmaTree vmas_;
    SpinLock lock_{"address_space"};
    AddressSpaceOptions options_;
    u64 generation_ = 0;
    u64 loaded_cpus_ = 0;
    u64 tlb_gen_ = 0;
    u32 users_ = 1;
    u64 brk_ = 0;
    u64 resident_ = 0;      // PTEs mapping reverse-mapped frames (not the zero page)
    u64 zero_ptes_ = 0;     // PTEs mapping the shared zero page
    u64 pins_taken_ = 0;
    FaultCounters faults_;
    AnonObject* anon_ = nullptr;  // its own reverse-map object
    AnonLinks anon_links_;        // the objects whose frames it may map, its own included
};

// PageTable attributes for a VMA's rights (see "Rights in the page table").
PageAttrs attrs_for_prot(u32 prot);

template <typename Fn>
u32 rmap_walk(const Page& page, Fn&& fn) {
    AnonObject* object = rmap_anon_object(page);
    if (!object) return 0;
    const u64 va = rmap_anon_address(page);
    const PhysAddr frame = pmm::page_to_phys(&page);
    u32 found = 0;
    SpinGuard guard(object->lock);
    object->links.for_each([&](AnonLink& link) {
        Mapping m;
        if (!link.space->page_table().lookup(VirtAddr{va}, &m) || !(m.frame == frame)) return;
        fn(*link.space, va);
        ++found;
    });
    return found;
}

}  // namespace kernel

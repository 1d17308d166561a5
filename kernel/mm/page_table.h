// The page-table editor: one PageTable per address space edits its tree of 4 or
// 5 levels (SDM Vol. 3A 4.5). Every edit reports, into a TlbInvalidation the
// caller owns, the TLB invalidations it requires and the table pages it
// unhooked; the caller performs the record (flush_tlb_local, later the
// shootdown layer) and only then are the tables freed.
//
// Two kinds of address space share the kernel half (kernel/mm/layout.h):
// - the kernel's (init_kernel): owns the kernel half. At creation it allocates
//   the next-level table of every top-level entry the layout's kernel regions
//   use, so those top-level entries never change again; copying them into a new
//   address space is then enough to share every later kernel mapping.
// - a process's (init_user): edits only the user half; its kernel half is a copy
//   of the kernel's top-level entries.
//
// Rules every edit keeps (and check_invariants() verifies):
// - Mapping over an existing mapping is an error, never a silent replace.
// - A kernel mapping is never both writable and executable (W^X), is global
//   when CR4.PGE is available, and is never user-accessible. User mappings are
//   never global (they must not outlive a CR3 switch).
// - No table is empty except the root and the kernel's pinned tables: unmap and
//   promote unhook a table as soon as its last present entry goes. A table's
//   Page descriptor counts its present entries (Page::owner.table.present).
// - Large leaves: a 2 MiB or 1 GiB leaf partly covered by unmap or protect is
//   first demoted (Linux's split_huge_pmd), so the edit keeps its exact range.
// - Edits are serialized by the address space's lock. The walkers of other CPUs
//   may read entries and set A/D bits concurrently (entries are stored whole).
#pragma once

#include "kernel/lib/spinlock.h"
#include "kernel/lib/types.h"
#include "kernel/mm/pat.h"
#include "kernel/mm/pte.h"
#include "kernel/mm/table_allocator.h"
#include "kernel/mm/tlb_invalidation.h"

namespace hal {
struct BootInfo;
}

namespace kernel {

// What the processor supports, from hal::boot_info() (tests choose their own).
struct PagingConfig {
    unsigned levels = 4;        // 5 with LA57
    bool nx = true;             // EFER.NXE: XD is a reserved bit without it
    bool pages_1g = true;       // CPUID.80000001H:EDX[26]
    bool pge = true;            // CR4.PGE: G is honoured
    u32 phys_addr_bits = 36;    // MAXPHYADDR: entry bits above it are reserved

    static PagingConfig from_boot_info(const hal::BootInfo& info);
};

// The rights and memory type of a mapping. G is not chosen: it follows the half.
struct PageAttrs {
    bool writable = false;
    bool executable = false;
    bool user = false;
    CachePolicy cache = CachePolicy::kWriteBack;
    constexpr bool operator==(const PageAttrs&) const = default;
};

// One leaf, as lookup() finds it.
struct Mapping {
    VirtAddr base;      // first address of the page
    PhysAddr frame;     // first address of the frame
    PageSize size = PageSize::k4K;
    PageAttrs attrs;
    bool global = false;
    bool accessed = false;
    bool dirty = false;
};

enum class PtStatus : u8 {
    kOk,
    kBadRange,          // empty, wrapping, non-canonical or outside this address space's half
    kMisaligned,        // address, frame or length not aligned to the page size
    kAlreadyMapped,     // map: part of the range is mapped
    kNoMemory,          // a table page could not be allocated
    kWriteExecute,      // W^X: a kernel mapping both writable and executable
    kUserInKernelHalf,  // a user-accessible mapping in the kernel half
    kFrameOutOfRange,   // frame above MAXPHYADDR
    kSizeUnsupported,   // a 1 GiB leaf without CPU support, or no such promotion
    kNotMapped,         // demote/promote: nothing mapped there
    kNotLarge,          // demote: mapped by a 4 KiB leaf
    kAlreadyLarge,      // promote: already mapped by a leaf that large or larger
    kNotAllPresent,     // promote: some of the 512 entries are not present
    kNotLeaf,           // promote to 1 GiB: some of the 512 entries reference tables
    kFrameMisaligned,   // promote: the first frame is not aligned to the large size
    kNotContiguous,     // promote: the frames are not physically contiguous
    kAttributesDiffer,  // promote: rights, memory type or G differ between entries
};
const char* describe(PtStatus status);

class PageTable {
public:
    PageTable() = default;
    PageTable(const PageTable&) = delete;
    PageTable& operator=(const PageTable&) = delete;

    // The kernel's address space: the root plus a pinned table under every
    // top-level entry of the layout's kernel regions, the direct map's limited
    // to its first direct_map_bytes. Kernel mappings must fall in those entries.
    PtStatus init_kernel(TableAllocator& tables, const PagingConfig& config, u64 direct_map_bytes);
    // A process address space; kernel == nullptr leaves the kernel half empty
    // (tests of the user half alone).
    PtStatus init_user(TableAllocator& tables, const PagingConfig& config, const PageTable* kernel);
    // Unmaps everything this address space owns and unhooks every table it
    // owns, the root included, into `inv`. Process address spaces go first:
    // they share the kernel's tables.
    void destroy(TlbInvalidation& inv);

    bool initialized() const { return tables_ != nullptr; }
    bool is_kernel() const { return kernel_; }
    PhysAddr root() const { return root_; }
    const PagingConfig& config() const { return config_; }
    // Table pages this address space owns (the root and, for the kernel, the
    // kernel half's tables; never the shared ones of a process address space).
    u64 table_pages() const { return table_pages_; }

    // Maps [va, va + bytes) to [frame, frame + bytes) with leaves of `size`;
    // va, frame and bytes must be multiples of it. All or nothing.
    PtStatus map(VirtAddr va, PhysAddr frame, u64 bytes, const PageAttrs& attrs, PageSize size,
                 TlbInvalidation& inv);
    // The same, choosing for each piece the largest leaf that va, frame and the
    // remaining length allow (1 GiB only with CPU support); 4 KiB alignment.
    PtStatus map_largest(VirtAddr va, PhysAddr frame, u64 bytes, const PageAttrs& attrs, TlbInvalidation& inv);
    // Removes every mapping in [va, va + bytes); holes are skipped. Fails only
    // when a large leaf straddling an end cannot be demoted (kNoMemory), before
    // any mapping is removed.
    PtStatus unmap(VirtAddr va, u64 bytes, TlbInvalidation& inv);
    // Gives every mapping in [va, va + bytes) the attributes `attrs`; holes are
    // skipped. The user bit must stay within its half as for map. Turning a
    // cacheable type into an uncacheable one also needs the frames' cache lines
    // written back (CLFLUSH, SDM 11.12.4), which is the caller's job.
    PtStatus protect(VirtAddr va, u64 bytes, const PageAttrs& attrs, TlbInvalidation& inv);
    // Replaces the 2 MiB or 1 GiB leaf that maps va by a table of 512 leaves of
    // the next size down with the same frames, rights, memory type, G, A and D.
    PtStatus demote_large_page(VirtAddr va, TlbInvalidation& inv);
    // Replaces the table of 512 entries at va (aligned to `size`, 2 MiB or
    // 1 GiB) by one leaf of `size`, when they are all present leaves, physically
    // contiguous from an aligned frame and identical in rights, memory type and
    // G. A and D of the large leaf are the OR of the small ones'. The caller must
    // make sure no CPU sets D through a stale small entry meanwhile (Linux's
    // collapse clears and flushes first); the table goes to `inv`.
    PtStatus promote_to_large_page(VirtAddr va, PageSize size, TlbInvalidation& inv);

    // Points the 4 KiB leaf that maps va at another frame, with `attrs`
    // (Linux's ptep_clear_flush + set_pte_at in wp_page_copy, the COW break):
    // the entry is rewritten in place, so its table stays and the edit cannot
    // fail for want of memory, as an unmap + map could. kNotMapped if nothing
    // maps va, kSizeUnsupported for a large leaf.
    PtStatus replace_frame(VirtAddr va, PhysAddr frame, const PageAttrs& attrs, TlbInvalidation& inv);

    // The leaf that maps va, if any.
    bool lookup(VirtAddr va, Mapping* out);

    // Walks the whole tree this address space owns and panics, naming the
    // table and entry, unless: every present count matches its table, no table
    // is reachable twice, no entry has a reserved bit set, table entries carry
    // exactly the table flags of their half, leaves keep the rules above, no
    // table but the root and pinned ones is empty, the owned table count
    // matches, and a process's kernel half equals the kernel's (A bits aside).
    void check_invariants();

private:
    // Where a descent stopped: `entry` is not present, a leaf, or the entry at
    // the requested level; `table` holds it and `level` is its level.
    struct Walk {
        PhysAddr table;
        unsigned level;
        Pte entry;
    };

    PtStatus init(TableAllocator& tables, const PagingConfig& config, bool kernel);
    PtStatus check_range(u64 va, u64 bytes, u64 align) const;
    PtStatus check_attrs(const PageAttrs& attrs) const;
    Pte make_leaf(PhysAddr frame, unsigned level, const PageAttrs& attrs) const;
    PageAttrs attrs_of(Pte leaf, unsigned level) const;
    bool kernel_pinned(unsigned parent_level) const { return kernel_ && parent_level == config_.levels; }

    TableView table(PhysAddr pa) const;
    Page& descriptor(PhysAddr pa) const { return tables_->descriptor(pa); }
    bool allocate_table(PhysAddr& out);
    void add_present(PhysAddr table, int delta);
    void unhook_table(PhysAddr table, VirtAddr covers, TlbInvalidation& inv);

    PtStatus map_locked(u64 va, u64 frame, u64 bytes, const PageAttrs& attrs, PageSize fixed, bool largest,
                        TlbInvalidation& inv);
    PtStatus map_page(u64 va, Pte leaf, unsigned level);
    PtStatus pin_kernel_region(u64 start, u64 bytes);
    void unmap_range(PhysAddr table, unsigned level, u64 first, u64 last, bool unpin, TlbInvalidation& inv);
    void protect_range(PhysAddr table, unsigned level, u64 first, u64 last, const PageAttrs& attrs,
                       TlbInvalidation& inv);
    PtStatus split_around(u64 addr, const PageAttrs* unless_already, TlbInvalidation& inv);
    PtStatus demote_entry(PhysAddr parent, unsigned level, u64 base, TlbInvalidation& inv);
    Walk walk_to(u64 va, unsigned stop_level);

    u64 check_table(PhysAddr table, unsigned level, u64 base, u32 epoch);
    void check_entry(Pte e, unsigned level, u64 va);

    TableAllocator* tables_ = nullptr;
    const PageTable* kernel_reference_ = nullptr;
    PagingConfig config_;
    PhysAddr root_;
    bool kernel_ = false;
    u64 table_pages_ = 0;
    SpinLock lock_{"page_table"};
};

}  // namespace kernel

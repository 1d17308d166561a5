#include "sim/mmu/page_table_builder.h"

#include <fmt/format.h>

#include "sim/machine/phys_mem.h"
#include "sim/machine/sim_error.h"

namespace simx {
namespace {

constexpr unsigned level_shift(int level) { return 12 + 9 * static_cast<unsigned>(level - 1); }

}  // namespace

FrameAllocator::FrameAllocator(PhysicalMemory& memory, PhysAddr base, PhysAddr limit)
    : memory_(memory), base_(base.value), next_(base.value), limit_(limit.value) {
    if (base.value % 4096 || limit.value < base.value || !memory.contains(base, limit.value - base.value))
        throw SimError(fmt::format("frame allocator range [{:#x}, {:#x}) is not inside RAM or not page aligned",
                                   base.value, limit.value));
}

PhysAddr FrameAllocator::allocate(uint64_t bytes, uint64_t align, bool zero) {
    if (bytes == 0 || bytes % 4096 || align == 0 || (align & (align - 1)))
        throw SimError(fmt::format("frame allocation of {} bytes aligned {} is malformed", bytes, align));
    const uint64_t start = (next_ + align - 1) & ~(align - 1);
    if (start < next_ || start > limit_ || bytes > limit_ - start)
        throw SimError(fmt::format("out of simulated frames: need {} bytes, {} left", bytes,
                                   limit_ > next_ ? limit_ - next_ : 0));
    next_ = start + bytes;
    if (zero) memory_.fill(PhysAddr{start}, 0, bytes);
    return PhysAddr{start};
}

PageTableBuilder::PageTableBuilder(PhysicalMemory& memory, FrameAllocator& frames, unsigned levels)
    : memory_(memory), frames_(frames), levels_(levels) {
    if (levels != 4 && levels != 5) throw SimError(fmt::format("paging levels must be 4 or 5, not {}", levels));
    root_ = frames_.allocate(4096);
    table_pages_ = 1;
}

void PageTableBuilder::map(VirtAddr va, PhysAddr pa, PageSize size, uint64_t leaf_flags, uint64_t table_flags) {
    if (va.value & page_mask(size) || pa.value & page_mask(size))
        throw SimError(fmt::format("map {:#x} -> {:#x}: not aligned to a {} page", va.value, pa.value,
                                   page_size_name(size)));
    const int leaf_level = size == PageSize::k4K ? 1 : size == PageSize::k2M ? 2 : 3;
    uint64_t table = root_.value;
    for (int level = static_cast<int>(levels_); level > leaf_level; --level) {
        const PhysAddr slot{table + ((va.value >> level_shift(level)) & 511) * 8};
        Pte e{memory_.read64(slot)};
        if (!e.present()) {
            const PhysAddr next = frames_.allocate(4096);
            ++table_pages_;
            e = Pte{next.value | table_flags | Pte::kPresent};
            memory_.write64(slot, e.raw);
        } else if (e.large() && level <= 3) {
            throw SimError(fmt::format("map {:#x}: the path goes through a large leaf", va.value));
        }
        table = e.address();
    }
    const PhysAddr slot{table + ((va.value >> level_shift(leaf_level)) & 511) * 8};
    if (Pte{memory_.read64(slot)}.present())
        throw SimError(fmt::format("map {:#x}: already mapped", va.value));
    uint64_t raw = pa.value | leaf_flags | Pte::kPresent;
    if (size != PageSize::k4K) raw |= Pte::kPageSize;
    memory_.write64(slot, raw);
}

PhysAddr PageTableBuilder::entry_address(VirtAddr va, int level) const {
    uint64_t table = root_.value;
    for (int l = static_cast<int>(levels_);; --l) {
        const PhysAddr slot{table + ((va.value >> level_shift(l)) & 511) * 8};
        if (l == level) return slot;
        Pte e{memory_.read64(slot)};
        if (!e.present() || (e.large() && l <= 3) || l == 1) return slot;
        table = e.address();
    }
}

}  // namespace simx

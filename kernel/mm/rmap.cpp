#include "kernel/mm/rmap.h"

#include "kernel/lib/panic.h"

namespace kernel {

void rmap_add_anon(Page& page, AddressSpace& space, u64 va) {
    KASSERT(!page.has(page_flag::kAnon) && page.mapcount == 0, "frame already mapped (flags %#x, mapcount %d)",
            page.flags, page.mapcount);
    page.flags |= page_flag::kAnon;
    page.owner.anon.mapping = reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(&space) | kAnonMappingTag);
    page.owner.anon.index = va >> kPageShift;
    page.mapcount = 1;
}

bool rmap_remove(Page& page) {
    KASSERT(page.has(page_flag::kAnon) && page.mapcount > 0, "unmapping a frame with mapcount %d (flags %#x)",
            page.mapcount, page.flags);
    return --page.mapcount == 0;
}

AddressSpace* rmap_anon_space(const Page& page) {
    if (!page.has(page_flag::kAnon)) return nullptr;
    const auto tagged = reinterpret_cast<uintptr_t>(page.owner.anon.mapping);
    KASSERT(tagged & kAnonMappingTag, "anonymous frame without the anon tag");
    return reinterpret_cast<AddressSpace*>(tagged & ~kAnonMappingTag);
}

u64 rmap_anon_address(const Page& page) { return page.owner.anon.index << kPageShift; }

}  // namespace kernel

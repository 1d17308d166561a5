// What an unmap gathers before it can free anything: the TLB invalidations of
// the cleared PTEs (and the tables they unhooked) and the frames whose last
// mapping went. AddressSpace::finish performs the invalidations first and
// frees the frames after (Linux's mmu_gather batches pages the same way:
// a frame reused while a stale TLB entry still maps it would leak data).
#pragma once

#include "kernel/lib/list.h"
#include "kernel/mm/page.h"
#include "kernel/mm/tlb_invalidation.h"

namespace kernel {

struct ZapBatch {
    TlbInvalidation inv;
    IntrusiveList<Page, &Page::list> frames;  // chained through Page::list until freed

    ZapBatch() = default;
    ZapBatch(const ZapBatch&) = delete;
    ZapBatch& operator=(const ZapBatch&) = delete;
};

}  // namespace kernel

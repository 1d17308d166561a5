#include "kernel/mm/pcp_list.h"

#include "kernel/lib/new.h"
#include "kernel/lib/panic.h"

namespace kernel::pmm {

u32 PcpList::batch_for(u64 zone_frames) {
    u64 batch = zone_frames / 1024;
    if (batch > 256) batch = 256;  // 1 MiB of frames
    batch /= 4;
    if (batch < 1) batch = 1;
    // rounddown_pow_of_two(batch * 1.5) - 1
    const u64 scaled = batch + batch / 2;
    const u64 pow2 = u64{1} << (63 - __builtin_clzll(scaled));
    return static_cast<u32>(pow2 > 1 ? pow2 - 1 : 1);
}

void PcpList::init(u32 batch, u32 high) {
    KASSERT(batch >= 1 && high >= batch, "batch %u high %u", batch, high);
    new (&frames_) PageList();
    batch_ = batch;
    high_ = high;
    refills_ = 0;
    drains_ = 0;
}

bool PcpList::refill(PhysicalZone& zone) {
    if (batch_ == 0) return false;
    u32 n = 0;
    zone.lock().lock();  // interrupts are already off (the list's rule)
    for (; n < batch_; ++n) {
        Page* p = zone.alloc_block(0);
        if (!p) break;
        p->flags = page_flag::kPerCpu;
        frames_.push_back(*p);  // in address order: the first taken is the lowest
    }
    zone.lock().unlock();
    if (n) ++refills_;
    return n != 0;
}

void PcpList::drain(PhysicalZone& zone, u64 count) {
    if (frames_.empty() || count == 0) return;
    zone.lock().lock();
    for (u64 i = 0; i < count && !frames_.empty(); ++i) {
        Page* p = frames_.pop_back();  // the coldest
        p->flags = 0;
        zone.free_block(p, 0);
    }
    zone.lock().unlock();
    ++drains_;
}

u64 PcpList::check_invariants(const PhysicalZone& zone, u32 cpu) const {
    u64 seen = 0;
    frames_.for_each([&](const Page& p) {
        if (!zone.holds(&p))
            panic("cpu %u: per-CPU list of zone %s node %u holds %p, not a frame of that zone", cpu,
                  zone_name(zone.kind()), zone.node(), static_cast<const void*>(&p));
        const unsigned long long pa = static_cast<unsigned long long>(zone.pfn(&p) << kPageShift);
        if (p.list.next->prev != &p.list || p.list.prev->next != &p.list)
            panic("cpu %u: frame %#llx has broken links on its per-CPU list", cpu, pa);
        if (p.flags != page_flag::kPerCpu || p.refcount != 0 || p.mapcount != 0)
            panic("cpu %u: frame %#llx on the per-CPU list has flags %#x refcount %d mapcount %d", cpu, pa, p.flags,
                  p.refcount, p.mapcount);
        // Bounded: a corrupted list may cycle without coming back to its head.
        if (++seen > frames_.size())
            panic("cpu %u: per-CPU list of zone %s node %u is longer than its count %zu (corrupted links)", cpu,
                  zone_name(zone.kind()), zone.node(), frames_.size());
    });
    if (seen != frames_.size())
        panic("cpu %u: per-CPU list of zone %s node %u has %llu frames but counts %zu", cpu, zone_name(zone.kind()),
              zone.node(), static_cast<unsigned long long>(seen), frames_.size());
    return seen;
}

}  // namespace kernel::pmm

#include "kernel/mm/zone.h"

#include "kernel/lib/panic.h"

namespace kernel::pmm {
namespace {

// Panic messages name a frame by its physical address.
unsigned long long frame_pa(u64 pfn) { return static_cast<unsigned long long>(pfn << kPageShift); }
unsigned long long ull(u64 v) { return static_cast<unsigned long long>(v); }

}  // namespace

void PhysicalZone::init(u32 node, Zone kind, FrameRange span, Page* first) {
    for (u32 k = 0; k <= kMaxOrder; ++k) KASSERT(lists_[k].empty(), "init of a zone in use");
    node_ = node;
    kind_ = kind;
    span_ = span;
    first_ = first;
    nonempty_ = 0;
    free_ = 0;
    managed_ = 0;
}

void PhysicalZone::add_free_run(FrameRange run) {
    lock_.assert_held();
    KASSERT(run.start >= span_.start && run.end <= span_.end, "run [%#llx, %#llx) outside zone %s of node %u",
            frame_pa(run.start), frame_pa(run.end), zone_name(kind_), node_);
    managed_ += run.frames();
    for (u64 pfn = run.start; pfn < run.end;) {
        // The largest block that starts here (aligned) and fits in the run.
        u32 order = pfn ? static_cast<u32>(__builtin_ctzll(pfn)) : kMaxOrder;
        if (order > kMaxOrder) order = kMaxOrder;
        while ((u64{1} << order) > run.end - pfn) --order;
        free_block(page(pfn), order);
        pfn += u64{1} << order;
    }
}

bool PhysicalZone::is_free_block(const Page* p, u32 order) const {
    return (__atomic_load_n(&p->flags, __ATOMIC_RELAXED) & page_flag::kBuddy) && p->order == order;
}

void PhysicalZone::push(Page* head, u32 order) {
    head->flags = page_flag::kBuddy;
    head->order = static_cast<u8>(order);
    // LIFO: the block freed last is the one most likely still in the caches.
    lists_[order].push_front(*head);
    nonempty_ |= 1u << order;
    free_ += u64{1} << order;
}

void PhysicalZone::remove(Page* head, u32 order) {
    lists_[order].remove(*head);
    if (lists_[order].empty()) nonempty_ &= ~(1u << order);
    head->flags = 0;
    head->order = 0;
    free_ -= u64{1} << order;
}

Page* PhysicalZone::alloc_block(u32 order) {
    lock_.assert_held();
    KASSERT(order <= kMaxOrder, "order %u", order);
    // The smallest non-empty order that can hold the request.
    const u32 candidates = nonempty_ & ~((1u << order) - 1);
    if (!candidates) return nullptr;
    u32 k = static_cast<u32>(__builtin_ctz(candidates));
    Page* head = lists_[k].front();
    remove(head, k);
    // Split: keep the lower half, free the upper half one order down, until the
    // block is the size asked for (Knuth's algorithm R, step R4).
    const u64 pfn = this->pfn(head);
    while (k > order) {
        --k;
        push(page(pfn + (u64{1} << k)), k);
    }
    return head;
}

void PhysicalZone::free_block(Page* head, u32 order) {
    lock_.assert_held();
    KASSERT(holds(head), "%p is not a frame of zone %s of node %u", static_cast<void*>(head), zone_name(kind_), node_);
    u64 pfn = this->pfn(head);
    KASSERT(order <= kMaxOrder && is_aligned(pfn, u64{1} << order) && pfn + (u64{1} << order) <= span_.end,
            "frame %#llx: bad order-%u block for zone %s of node %u", frame_pa(pfn), order, zone_name(kind_), node_);
    KASSERT(head->flags == 0 && head->refcount == 0, "frame %#llx freed in state flags %#x refcount %d", frame_pa(pfn),
            head->flags, head->refcount);
    // Merge with the buddy while it is free and whole at this order (Knuth's
    // algorithm S). A buddy outside the zone is never merged: blocks do not
    // cross zones, nodes or holes (those frames are never kBuddy).
    while (order < kMaxOrder) {
        const u64 buddy = pfn ^ (u64{1} << order);
        if (!span_.contains(buddy)) break;
        Page* b = page(buddy);
        if (!is_free_block(b, order)) break;
        remove(b, order);
        pfn &= ~(u64{1} << order);
        ++order;
    }
    push(page(pfn), order);
}

// ---------------------------------------------------------------- invariants

void PhysicalZone::check_list(u32 order) const {
    const PageList& list = lists_[order];
    u64 seen = 0;
    list.for_each([&](const Page& p) {
        if (!holds(&p))
            panic("zone %s of node %u: order-%u list holds %p, which is not a frame of this zone", zone_name(kind_),
                  node_, order, static_cast<const void*>(&p));
        const u64 pfn = this->pfn(&p);
        if (p.list.next->prev != &p.list || p.list.prev->next != &p.list)
            panic("frame %#llx: broken links on the order-%u list of zone %s", frame_pa(pfn), order, zone_name(kind_));
        if (!(p.flags & page_flag::kBuddy))
            panic("frame %#llx is on the order-%u free list but not marked free (flags %#x)", frame_pa(pfn), order,
                  p.flags);
        if (p.order != order)
            panic("frame %#llx is on the order-%u free list but heads an order-%u block", frame_pa(pfn), order,
                  p.order);
        if (!is_aligned(pfn, u64{1} << order) || pfn + (u64{1} << order) > span_.end)
            panic("frame %#llx: order-%u free block misaligned or past the end of zone %s", frame_pa(pfn), order,
                  zone_name(kind_));
        // A bounded walk: a corrupted list may cycle without coming back to its head.
        if (++seen > list.size())
            panic("zone %s of node %u: order-%u list is longer than its count %zu (corrupted links)", zone_name(kind_),
                  node_, order, list.size());
    });
    if (seen != list.size())
        panic("zone %s of node %u: order-%u list has %llu frames but counts %zu (corrupted links)", zone_name(kind_),
              node_, order, ull(seen), list.size());
    if (((nonempty_ >> order) & 1) != (list.empty() ? 0u : 1u))
        panic("zone %s of node %u: non-empty mask disagrees with the order-%u list", zone_name(kind_), node_, order);
}

// Only on the failure path: which marked block is on no list (quadratic).
void PhysicalZone::find_unlisted_block() const {
    for (u64 pfn = span_.start; pfn < span_.end; ++pfn) {
        const Page* p = page(pfn);
        if (!(p->flags & page_flag::kBuddy)) continue;
        if (!lists_[p->order].contains(*p))
            panic("frame %#llx is marked as a free order-%u block but is not on the order-%u list", frame_pa(pfn),
                  p->order, p->order);
    }
}

void PhysicalZone::check_invariants(u64 percpu_frames) const {
    lock_.assert_held();
    u64 listed = 0;
    for (u32 k = 0; k <= kMaxOrder; ++k) {
        check_list(k);
        listed += lists_[k].size() << k;
    }

    // One pass over every descriptor of the zone, stepping over free blocks whole.
    u64 heads[kMaxOrder + 1] = {};
    u64 free = 0, percpu = 0, reserved = 0;
    for (u64 pfn = span_.start; pfn < span_.end;) {
        const Page* p = page(pfn);
        if (p->node != node_ || p->zone != kind_)
            panic("frame %#llx says node %u zone %s but lies in zone %s of node %u", frame_pa(pfn), p->node,
                  zone_name(p->zone), zone_name(kind_), node_);
        if (p->flags & page_flag::kBuddy) {
            const u32 order = p->order;
            if (order > kMaxOrder || !is_aligned(pfn, u64{1} << order) || pfn + (u64{1} << order) > span_.end)
                panic("frame %#llx heads a free order-%u block that is misaligned or leaves zone %s", frame_pa(pfn),
                      order, zone_name(kind_));
            if (p->flags != page_flag::kBuddy || p->refcount != 0 || p->mapcount != 0)
                panic("frame %#llx heads a free block but has flags %#x refcount %d mapcount %d", frame_pa(pfn),
                      p->flags, p->refcount, p->mapcount);
            const u64 buddy = pfn ^ (u64{1} << order);
            if (order < kMaxOrder && span_.contains(buddy) && is_free_block(page(buddy), order))
                panic("frames %#llx and %#llx are free order-%u buddies that were not merged", frame_pa(pfn),
                      frame_pa(buddy), order);
            for (u64 t = pfn + 1; t < pfn + (u64{1} << order); ++t) {
                const Page* q = page(t);
                if (q->flags != 0 || q->refcount != 0 || q->mapcount != 0 || q->list.linked())
                    panic("frame %#llx inside the free order-%u block at %#llx is in use or overlaps another block "
                          "(flags %#x refcount %d)",
                          frame_pa(t), order, frame_pa(pfn), q->flags, q->refcount);
                if (q->node != node_ || q->zone != kind_)
                    panic("frame %#llx says node %u zone %s but lies in zone %s of node %u", frame_pa(t), q->node,
                          zone_name(q->zone), zone_name(kind_), node_);
            }
            ++heads[order];
            free += u64{1} << order;
            pfn += u64{1} << order;
            continue;
        }
        if (p->flags & page_flag::kPerCpu) {
            if (p->flags != page_flag::kPerCpu || p->refcount != 0 || p->mapcount != 0)
                panic("frame %#llx on a per-CPU list has flags %#x refcount %d mapcount %d", frame_pa(pfn), p->flags,
                      p->refcount, p->mapcount);
            ++percpu;
        } else if (p->flags & page_flag::kReserved) {
            ++reserved;
        }
        ++pfn;
    }

    for (u32 k = 0; k <= kMaxOrder; ++k)
        if (heads[k] != lists_[k].size()) {
            find_unlisted_block();
            panic("zone %s of node %u: %llu order-%u blocks are marked free but %zu are listed", zone_name(kind_),
                  node_, ull(heads[k]), k, lists_[k].size());
        }
    if (free != free_ || listed != free_)
        panic("zone %s of node %u: free count %llu, but the lists hold %llu frames and the descriptors %llu",
              zone_name(kind_), node_, ull(free_), ull(listed), ull(free));
    if (percpu != percpu_frames)
        panic("zone %s of node %u: %llu frames are marked per-CPU but the per-CPU lists hold %llu", zone_name(kind_),
              node_, ull(percpu), ull(percpu_frames));
    if (managed_ != span_.frames() - reserved)
        panic("zone %s of node %u: manages %llu frames but %llu of its %llu are not reserved", zone_name(kind_), node_,
              ull(managed_), ull(span_.frames() - reserved), ull(span_.frames()));
}

}  // namespace kernel::pmm

// The physical memory manager: builds the nodes and zones from the boot memory
// map, and routes each request through the per-CPU lists and the zones in the
// fallback order pmm.h documents. The parts live in their own files:
// boot_memory (the map in frames), page_array (descriptors), zone (the buddy
// allocator), pcp_list (per-CPU lists).
#include "kernel/mm/pmm.h"

#include "kernel/hal/hal.h"
#include "kernel/lib/format.h"
#include "kernel/lib/new.h"
#include "kernel/lib/panic.h"
#include "kernel/lib/percpu.h"
#include "kernel/lib/spinlock.h"
#include "kernel/mm/boot_memory.h"
#include "kernel/mm/page_array.h"
#include "kernel/mm/pcp_list.h"
#include "kernel/mm/zone.h"

namespace kernel::pmm {
namespace {

struct NumaNode {
    PhysicalZone zones[kZoneCount];
    PhysicalZone& zone(Zone z) { return zones[static_cast<u32>(z)]; }
};

// What a CPU owns: its node, and a list per zone of every node (a CPU that falls
// back to a remote zone caches that zone's frames too, as Linux's pagesets do).
struct CpuLists {
    bool ready = false;  // init_cpu has run: the lists may be used
    u32 node = 0;
    PcpList lists[kMaxNodes][kZoneCount];
    PcpList& list(u32 n, Zone z) { return lists[n][static_cast<u32>(z)]; }
};

constexpr const char* kZoneLockNames[kZoneCount] = {"zone DMA", "zone DMA32", "zone Normal"};

// All allocator state. init() rebuilds every piece of it.
BootMemory g_boot_memory;
PageArray g_pages;
NumaNode g_nodes[kMaxNodes];
u32 g_node_count = 0;
PerCpu<CpuLists> g_cpus;

unsigned long long ull(u64 v) { return static_cast<unsigned long long>(v); }
unsigned long long frame_pa(u64 pfn) { return ull(pfn << kPageShift); }

PhysicalZone& zone_of(const Page* page) { return g_nodes[page->node].zone(page->zone); }

// Tries fn(zone) on each zone a request may use, in the fallback order: the
// preferred node's zones from the highest allowed down to DMA, then the next
// nodes in increasing number (wrapping), same zone order. Empty zones are skipped.
template <typename Fn>
Page* for_each_allowed_zone(u32 preferred, const AllocFlags& flags, Fn&& fn) {
    u32 node = preferred;
    for (u32 i = 0; i < g_node_count; ++i) {
        for (i32 z = static_cast<i32>(flags.highest_zone); z >= 0; --z) {
            PhysicalZone& zone = g_nodes[node].zones[z];
            if (zone.empty()) continue;
            if (Page* p = fn(zone)) return p;
        }
        if (flags.this_node_only) break;
        if (++node == g_node_count) node = 0;
    }
    return nullptr;
}

Page* alloc_from_zones(u32 order, u32 preferred, const AllocFlags& flags) {
    return for_each_allowed_zone(preferred, flags, [order](PhysicalZone& zone) {
        zone.lock().lock();  // interrupts are off (alloc_pages)
        Page* p = zone.alloc_block(order);
        zone.lock().unlock();
        return p;
    });
}

// Every list of `cpu` back to its zone. Interrupts off; `cpu` is the caller or
// a CPU that is not allocating.
void drain_lists(CpuLists& lists) {
    for (u32 n = 0; n < g_node_count; ++n)
        for (u32 z = 0; z < kZoneCount; ++z) {
            PhysicalZone& zone = g_nodes[n].zones[z];
            if (!zone.empty()) lists.lists[n][z].drain(zone, ~u64{0});
        }
}

// The frame must be one the allocator handed out, and be returned as it was
// given: anything else is a caller's bug, caught here rather than as corruption
// of the free lists later.
void check_freeable(const Page* head, u64 pfn, u32 order) {
    KASSERT(order <= kMaxOrder, "frame %#llx freed at order %u", frame_pa(pfn), order);
    if (head->flags & (page_flag::kBuddy | page_flag::kPerCpu))
        panic("double free of frame %#llx (order %u)", frame_pa(pfn), order);
    if (head->flags & page_flag::kReserved) panic("free of reserved frame %#llx", frame_pa(pfn));
    if (head->refcount != 1)
        panic("frame %#llx freed with refcount %d (free_pages drops the last reference)", frame_pa(pfn),
              head->refcount);
    if (head->mapcount != 0) panic("frame %#llx freed while mapped %d times", frame_pa(pfn), head->mapcount);
    const bool is_head = head->flags & page_flag::kHead;
    if (order ? !is_head || head->order != order : is_head)
        panic("frame %#llx freed as order %u but allocated as order %u", frame_pa(pfn), order,
              is_head ? head->order : 0u);
    if (!is_aligned(pfn, u64{1} << order))
        panic("frame %#llx freed as a misaligned order-%u block", frame_pa(pfn), order);
    if (head->list.linked()) panic("frame %#llx freed while still on its owner's list", frame_pa(pfn));
}

void print_zones() {
    for (u32 n = 0; n < g_node_count; ++n) {
        const NodePageArray& a = g_pages.node(n);
        kprintf("pmm: node %u frames [%#llx, %#llx), descriptors in [%#llx, %#llx)\n", n, frame_pa(a.span.start),
                frame_pa(a.span.end), frame_pa(a.storage.start), frame_pa(a.storage.end));
        for (u32 z = 0; z < kZoneCount; ++z) {
            const PhysicalZone& zone = g_nodes[n].zones[z];
            if (zone.span().empty()) continue;
            kprintf("pmm: node %u %-6s [%#llx, %#llx) %llu frames managed, %llu free\n", n,
                    zone_name(static_cast<Zone>(z)), frame_pa(zone.span().start), frame_pa(zone.span().end),
                    ull(zone.managed()), ull(zone.free()));
        }
    }
}

}  // namespace

void init() {
    const hal::BootInfo& info = hal::boot_info();
    g_boot_memory.load(info);
    g_pages.init(g_boot_memory);
    g_node_count = info.node_count;

    for (u32 n = 0; n < kMaxNodes; ++n)
        for (u32 z = 0; z < kZoneCount; ++z) new (&g_nodes[n].zones[z]) PhysicalZone(kZoneLockNames[z]);
    for (u32 n = 0; n < g_node_count; ++n) {
        const NodePageArray& a = g_pages.node(n);
        for (u32 z = 0; z < kZoneCount; ++z) {
            const FrameRange part = zone_part(a.span, static_cast<Zone>(z));
            g_nodes[n].zones[z].init(n, static_cast<Zone>(z), part, part.empty() ? nullptr : a.page(part.start));
        }
    }
    // What is left of the usable runs (the descriptor arrays are out) is free.
    for (u32 n = 0; n < g_node_count; ++n)
        g_boot_memory.for_each_usable(n, [n](FrameRange run) {
            PhysicalZone& zone = g_nodes[n].zone(zone_of_pfn(run.start));
            SpinGuard guard(zone.lock());
            zone.add_free_run(run);
        });

    for (u32 c = 0; c < kMaxCpus; ++c) {
        CpuLists* lists = new (&g_cpus.on(c)) CpuLists();
        if (c < info.cpu_count) {
            KASSERT(info.cpu_node[c] < g_node_count, "cpu %u on node %u of %u", c, info.cpu_node[c], g_node_count);
            lists->node = info.cpu_node[c];
        }
    }
    print_zones();
}

void init_cpu() {
    const u64 irq = hal::irq_save();
    const u32 cpu = hal::current_cpu();
    CpuLists& me = g_cpus.on(cpu);
    KASSERT(!me.ready, "pmm::init_cpu twice on cpu %u", cpu);
    for (u32 n = 0; n < g_node_count; ++n)
        for (u32 z = 0; z < kZoneCount; ++z) {
            const PhysicalZone& zone = g_nodes[n].zones[z];
            if (zone.empty()) continue;
            const u32 batch = PcpList::batch_for(zone.managed());
            me.lists[n][z].init(batch, 6 * batch);
        }
    me.ready = true;
    hal::irq_restore(irq);
}

Page* alloc_pages(u32 order, const AllocFlags& flags) {
    KASSERT(order <= kMaxOrder, "order %u", order);
    KASSERT(static_cast<u32>(flags.highest_zone) < kZoneCount, "bad zone %u", static_cast<u32>(flags.highest_zone));
    // Interrupts off before reading the CPU number: from here to irq_restore this
    // code cannot move to another CPU, so its lists are its own.
    const u64 irq = hal::irq_save();
    CpuLists& me = g_cpus.on(hal::current_cpu());
    const u32 preferred = flags.node < 0 ? me.node : static_cast<u32>(flags.node);
    KASSERT(preferred < g_node_count, "node %u of %u", preferred, g_node_count);
    Page* page;
    if (order == 0 && me.ready) {
        page = for_each_allowed_zone(preferred, flags, [&me](PhysicalZone& zone) {
            return me.list(zone.node(), zone.kind()).take(zone);
        });
    } else {
        page = alloc_from_zones(order, preferred, flags);
        if (!page && me.ready) {
            // This CPU's cached frames may complete a block: give them back and
            // try once more (Linux drains the pagesets before giving up).
            drain_lists(me);
            page = alloc_from_zones(order, preferred, flags);
        }
    }
    hal::irq_restore(irq);
    if (!page) return nullptr;

    page->refcount = 1;
    if (order) {
        page->flags = page_flag::kHead;
        page->order = static_cast<u8>(order);
    }
    if (flags.zero) hal::zero_frames(page_to_phys(page), kPageSize << order);
    return page;
}

void free_pages(Page* head, u32 order) {
    const u64 pfn = g_pages.pfn_of(head);
    check_freeable(head, pfn, order);
    head->flags = 0;  // the owner's marks (kSlab, kPageTable, kHead) go with it
    head->refcount = 0;
    head->order = 0;
    head->owner = Page::Owner{};
    PhysicalZone& zone = zone_of(head);

    const u64 irq = hal::irq_save();
    if (order == 0) {
        CpuLists& me = g_cpus.on(hal::current_cpu());
        if (me.ready) {
            me.list(head->node, head->zone).give(head, zone);
            hal::irq_restore(irq);
            return;
        }
    }
    zone.lock().lock();
    zone.free_block(head, order);
    zone.lock().unlock();
    hal::irq_restore(irq);
}

PhysAddr page_to_phys(const Page* page) { return PhysAddr::from_pfn(g_pages.pfn_of(page)); }

Page* phys_to_page(PhysAddr pa) {
    Page* p = g_pages.find(pa.pfn());
    if (!p) panic("phys_to_page: %#llx is not in RAM", ull(pa.value));
    return p;
}

void* page_to_virt(const Page* page) { return hal::phys_to_virt(page_to_phys(page)); }

void drain_cpu(u32 cpu) {
    KASSERT(cpu < kMaxCpus, "cpu %u", cpu);
    const u64 irq = hal::irq_save();
    drain_lists(g_cpus.on(cpu));
    hal::irq_restore(irq);
}

ZoneStats zone_stats(u32 node, Zone zone) {
    KASSERT(node < g_node_count && static_cast<u32>(zone) < kZoneCount, "node %u zone %u", node,
            static_cast<u32>(zone));
    PhysicalZone& z = g_nodes[node].zone(zone);
    ZoneStats s{};
    s.start = PhysAddr::from_pfn(z.span().start);
    s.end = PhysAddr::from_pfn(z.span().end);
    SpinGuard guard(z.lock());
    s.managed = z.managed();
    s.free = z.free();
    for (u32 k = 0; k <= kMaxOrder; ++k) s.free_blocks[k] = z.free_blocks(k);
    return s;
}

CpuListStats cpu_list_stats(u32 cpu, u32 node, Zone zone) {
    KASSERT(cpu < kMaxCpus && node < g_node_count, "cpu %u node %u", cpu, node);
    const PcpList& l = g_cpus.on(cpu).list(node, zone);
    return CpuListStats{l.count(), l.batch(), l.high(), l.refills(), l.drains()};
}

u64 free_frames() {
    u64 total = 0;
    for (u32 n = 0; n < g_node_count; ++n)
        for (u32 z = 0; z < kZoneCount; ++z) {
            PhysicalZone& zone = g_nodes[n].zones[z];
            SpinGuard guard(zone.lock());
            total += zone.free();
        }
    for (u32 c = 0; c < kMaxCpus; ++c)
        for (u32 n = 0; n < g_node_count; ++n)
            for (u32 z = 0; z < kZoneCount; ++z) total += g_cpus.on(c).lists[n][z].count();
    return total;
}

void check_invariants() {
    for (u32 n = 0; n < g_node_count; ++n) {
        // The descriptor arrays' own frames are never allocatable.
        const NodePageArray& a = g_pages.node(n);
        for (u64 pfn = a.storage.start; pfn < a.storage.end; ++pfn) {
            const Page* p = g_pages.find(pfn);
            if (!p || !p->has(page_flag::kReserved))
                panic("frame %#llx holds page descriptors but is not reserved", frame_pa(pfn));
        }
        for (u32 z = 0; z < kZoneCount; ++z) {
            PhysicalZone& zone = g_nodes[n].zones[z];
            if (zone.span().empty()) continue;
            u64 percpu = 0;
            for (u32 c = 0; c < kMaxCpus; ++c) percpu += g_cpus.on(c).lists[n][z].check_invariants(zone, c);
            SpinGuard guard(zone.lock());
            zone.check_invariants(percpu);
        }
    }
}

}  // namespace kernel::pmm

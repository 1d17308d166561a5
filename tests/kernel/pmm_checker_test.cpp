// The pmm's invariant checker catches deliberately corrupted state, naming the
// frame; misuse of free_pages (double free, wrong order, reserved or foreign
// frames) panics at the call.
#include <gtest/gtest.h>

#include <string>

#include "kernel/hal/hal.h"
#include "kernel/mm/pmm.h"
#include "tests/kernel/pmm_fixture.h"

using namespace simx;
using namespace simx::testing;
using kernel::Page;
using kernel::Zone;
namespace pmm = kernel::pmm;
namespace page_flag = kernel::page_flag;

TEST(PmmChecker, CatchesABlockMarkedFreeButNotListed) {
    KernelMachine m(small_machine(1, {32 * MiB}));
    boot_pmm(m);
    uint64_t pa = 0;
    m.on_cpu(0, [&] {
        Page* p = pmm::alloc_pages(2);
        Page* buddy = pmm::alloc_pages(2);  // keep its buddy allocated, so only the listing is wrong
        ASSERT_NE(buddy, nullptr);
        pa = pa_of(p);
        pmm::check_invariants();
        p->flags = page_flag::kBuddy;
        p->refcount = 0;
    });
    expect_panic(m, [] { pmm::check_invariants(); },
                 "frame " + kernel_hex(pa) + " is marked as a free order-2 block but is not on the order-2 list");
}

TEST(PmmChecker, CatchesAFreeBlockWithTheWrongOrder) {
    KernelMachine m(small_machine(1, {32 * MiB}));
    boot_pmm(m);
    uint64_t pa = 0;
    m.on_cpu(0, [&] {
        Page* p = pmm::alloc_pages(3);
        Page* buddy = pmm::alloc_pages(3);
        ASSERT_NE(buddy, nullptr);
        pmm::free_pages(p, 3);  // a free order-3 head whose buddy is in use
        pa = pa_of(p);
        pmm::check_invariants();
        p->order = 4;
    });
    expect_panic(m, [] { pmm::check_invariants(); },
                 "frame " + kernel_hex(pa) + " is on the order-3 free list but heads an order-4 block");
}

TEST(PmmChecker, CatchesAnAllocatedFrameLinkedIntoAFreeList) {
    KernelMachine m(small_machine(1, {32 * MiB}));
    boot_pmm(m);
    uint64_t pa = 0;
    m.on_cpu(0, [&] {
        Page* p = pmm::alloc_pages(3);
        Page* buddy = pmm::alloc_pages(3);
        pmm::free_pages(p, 3);
        pa = pa_of(buddy);
        // Splice the allocated buddy in after p, behind the list's back.
        kernel::ListNode& at = p->list;
        kernel::ListNode& in = buddy->list;
        in.prev = &at;
        in.next = at.next;
        at.next->prev = &in;
        at.next = &in;
    });
    expect_panic(m, [] { pmm::check_invariants(); },
                 "frame " + kernel_hex(pa) + " is on the order-3 free list but not marked free");
}

TEST(PmmChecker, CatchesAReferencedFrameOnAPerCpuList) {
    KernelMachine m(small_machine(1, {32 * MiB}));
    boot_pmm(m);
    uint64_t pa = 0;
    m.on_cpu(0, [&] {
        Page* p = pmm::alloc_page();
        pmm::free_page(p);
        pa = pa_of(p);
        p->refcount = 1;
    });
    expect_panic(m, [] { pmm::check_invariants(); },
                 "frame " + kernel_hex(pa) + " on the per-CPU list has flags 0x2 refcount 1");
}

TEST(PmmChecker, CatchesAFreeFrameInsideAFreeBlock) {
    KernelMachine m(small_machine(1, {32 * MiB}));
    boot_pmm(m);
    uint64_t pa = 0;
    m.on_cpu(0, [&] {
        Page* p = pmm::alloc_pages(3);
        Page* buddy = pmm::alloc_pages(3);
        ASSERT_NE(buddy, nullptr);
        pmm::free_pages(p, 3);
        pa = pa_of(p) + 2 * 4096;
        pmm::phys_to_page(kernel::PhysAddr{pa})->refcount = 1;  // a tail of a free block in use
    });
    expect_panic(m, [] { pmm::check_invariants(); }, "frame " + kernel_hex(pa) + " inside the free order-3 block");
}

TEST(PmmMisuse, DoubleFreeWrongOrderAndForeignPointersPanic) {
    {
        KernelMachine m(small_machine(1, {32 * MiB}));
        boot_pmm(m);
        expect_panic(m, [] {
            Page* p = pmm::alloc_page();
            pmm::free_page(p);
            pmm::free_page(p);
        }, "double free of frame");
    }
    {
        KernelMachine m(small_machine(1, {32 * MiB}));
        boot_pmm(m);
        expect_panic(m, [] { pmm::free_pages(pmm::alloc_pages(3), 2); }, "freed as order 2 but allocated as order 3");
    }
    {
        KernelMachine m(small_machine(1, {32 * MiB}));
        boot_pmm(m);
        expect_panic(m, [] { pmm::free_page(pmm::phys_to_page(kernel::PhysAddr{0})); }, "free of reserved frame 0x0");
    }
    {
        KernelMachine m(small_machine(1, {32 * MiB}));
        boot_pmm(m);
        static Page outsider;
        expect_panic(m, [] { pmm::free_page(&outsider); }, "is not a page descriptor");
    }
}

#include "kernel/mm/zero_page.h"

#include "kernel/lib/panic.h"
#include "kernel/mm/pmm.h"

namespace kernel {
namespace {

bool g_ready = false;
u64 g_zero_page = 0;

}  // namespace

void zero_page_init() {
    pmm::AllocFlags flags;
    flags.zero = true;
    Page* page = pmm::alloc_page(flags);
    if (!page) panic("zero_page_init: no memory for the zero page");
    g_zero_page = pmm::page_to_phys(page).value;
    g_ready = true;
}

PhysAddr zero_page() {
    KASSERT(g_ready, "zero_page_init was not called");
    return PhysAddr{g_zero_page};
}

bool is_zero_page(PhysAddr frame) { return g_ready && frame.value == g_zero_page; }

}  // namespace kernel

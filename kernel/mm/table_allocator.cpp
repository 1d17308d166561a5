#include "kernel/mm/table_allocator.h"

#include "kernel/mm/pmm.h"

namespace kernel {
namespace {

class PmmTableAllocator final : public TableAllocator {
public:
    constexpr PmmTableAllocator() = default;

    bool allocate(PhysAddr& table) override {
        pmm::AllocFlags flags;
        flags.zero = true;  // a zeroed table is 512 not-present entries
        Page* page = pmm::alloc_page(flags);
        if (!page) return false;
        table = pmm::page_to_phys(page);
        return true;
    }
    void release(PhysAddr table) override { pmm::free_page(pmm::phys_to_page(table)); }
    Page& descriptor(PhysAddr table) override { return *pmm::phys_to_page(table); }
    PhysAddr address_of(const Page& descriptor) override { return pmm::page_to_phys(&descriptor); }
};

// Constant-initialised: no constructor has to run before boot_main.
constinit PmmTableAllocator g_pmm_tables;

}  // namespace

TableAllocator& pmm_table_allocator() { return g_pmm_tables; }

}  // namespace kernel

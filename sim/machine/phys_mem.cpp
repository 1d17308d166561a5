#include "sim/machine/phys_mem.h"

#include <fmt/format.h>
#include <sys/mman.h>

#include <cerrno>

#include "sim/machine/sim_error.h"

namespace simx {

PhysicalMemory::PhysicalMemory(const std::vector<uint64_t>& node_bytes) {
    if (node_bytes.empty()) throw SimError("physical memory needs at least one NUMA node");
    for (uint64_t bytes : node_bytes) {
        if (bytes == 0 || bytes % 4096 != 0)
            throw SimError(fmt::format("NUMA node size {} is not a non-zero multiple of 4096", bytes));
        node_base_.push_back(size_);
        node_size_.push_back(bytes);
        size_ += bytes;
    }
    void* p = mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        throw SimError(fmt::format("cannot reserve {} bytes of host memory for simulated RAM (errno {})", size_, errno));
    base_ = static_cast<uint8_t*>(p);
}

PhysicalMemory::~PhysicalMemory() {
    if (base_) munmap(base_, size_);
}

uint32_t PhysicalMemory::node_of(PhysAddr pa) const {
    if (!contains(pa, 1)) out_of_range(pa, 1);
    for (uint32_t n = 0; n + 1 < node_count(); ++n)
        if (pa.value < node_base_[n + 1]) return n;
    return node_count() - 1;
}

void PhysicalMemory::out_of_range(PhysAddr pa, uint64_t len) const {
    throw SimError(fmt::format("physical access outside RAM: address {:#x}, {} bytes (RAM is [0, {:#x}))",
                               pa.value, len, size_));
}

}  // namespace simx

// Simulated physical memory: RAM split into NUMA nodes laid out back to back
// from physical address 0 (node 0 first). The RAM is one host mapping reserved
// lazily (MAP_NORESERVE), so a large simulated machine costs host memory only
// for the frames it touches.
//
// Invariant: every access is bounds-checked; an access outside RAM throws
// SimError naming the address and size, never touches host memory.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "sim/machine/types.h"

namespace simx {

class PhysicalMemory {
public:
    explicit PhysicalMemory(const std::vector<uint64_t>& node_bytes);
    ~PhysicalMemory();
    PhysicalMemory(const PhysicalMemory&) = delete;
    PhysicalMemory& operator=(const PhysicalMemory&) = delete;

    uint64_t size() const { return size_; }
    uint32_t node_count() const { return static_cast<uint32_t>(node_base_.size()); }
    PhysAddr node_base(uint32_t node) const { return PhysAddr{node_base_.at(node)}; }
    uint64_t node_size(uint32_t node) const { return node_size_.at(node); }
    // NUMA node holding pa; throws SimError if pa is outside RAM.
    uint32_t node_of(PhysAddr pa) const;

    bool contains(PhysAddr pa, uint64_t len) const {
        return pa.value < size_ && len <= size_ - pa.value;
    }

    uint64_t read64(PhysAddr pa) const {
        uint64_t v;
        std::memcpy(&v, checked(pa, 8), 8);
        return v;
    }
    void write64(PhysAddr pa, uint64_t v) { std::memcpy(checked(pa, 8), &v, 8); }
    void read(PhysAddr pa, void* dst, uint64_t len) const { std::memcpy(dst, checked(pa, len), len); }
    void write(PhysAddr pa, const void* src, uint64_t len) { std::memcpy(checked(pa, len), src, len); }
    void fill(PhysAddr pa, uint8_t byte, uint64_t len) { std::memset(checked(pa, len), byte, len); }

    // Host view of [pa, pa+len): how the kernel's direct map reaches RAM in the
    // sim build. Checked like every other access.
    uint8_t* host_view(PhysAddr pa, uint64_t len) { return checked(pa, len); }

private:
    uint8_t* checked(PhysAddr pa, uint64_t len) const {
        if (!contains(pa, len)) [[unlikely]]
            out_of_range(pa, len);
        return base_ + pa.value;
    }
    [[noreturn]] void out_of_range(PhysAddr pa, uint64_t len) const;

    uint8_t* base_ = nullptr;
    uint64_t size_ = 0;
    std::vector<uint64_t> node_base_;
    std::vector<uint64_t> node_size_;
};

}  // namespace simx

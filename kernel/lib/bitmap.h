// Fixed-size bitmaps: a Bitmap over caller-provided words, and CpuMask for sets
// of CPUs.
#pragma once

#include "kernel/lib/panic.h"
#include "kernel/lib/types.h"

namespace kernel {

// A view over `bits` bits stored in caller-owned u64 words.
class Bitmap {
public:
    Bitmap() = default;
    Bitmap(u64* words, usize bits) : words_(words), bits_(bits) {}
    static constexpr usize words_for(usize bits) { return (bits + 63) / 64; }

    usize size() const { return bits_; }
    bool test(usize i) const {
        KASSERT(i < bits_, "bit %zu out of %zu", i, bits_);
        return (words_[i / 64] >> (i % 64)) & 1;
    }
    void set(usize i) {
        KASSERT(i < bits_, "bit %zu out of %zu", i, bits_);
        words_[i / 64] |= u64{1} << (i % 64);
    }
    void clear(usize i) {
        KASSERT(i < bits_, "bit %zu out of %zu", i, bits_);
        words_[i / 64] &= ~(u64{1} << (i % 64));
    }
    void clear_all() {
        for (usize w = 0; w < words_for(bits_); ++w) words_[w] = 0;
    }
    // Index of the first set bit at or after `from`, or size() if none.
    usize find_next_set(usize from) const {
        for (usize i = from; i < bits_;) {
            const u64 w = words_[i / 64] >> (i % 64);
            if (w) {
                const usize found = i + static_cast<usize>(__builtin_ctzll(w));
                return found < bits_ ? found : bits_;
            }
            i = (i / 64 + 1) * 64;
        }
        return bits_;
    }
    usize count() const {
        usize n = 0;
        for (usize w = 0; w < words_for(bits_); ++w) n += static_cast<usize>(__builtin_popcountll(words_[w]));
        return n;
    }

private:
    u64* words_ = nullptr;
    usize bits_ = 0;
};

// A set of CPUs (kMaxCpus <= 64, one word).
class CpuMask {
public:
    static_assert(kMaxCpus <= 64);
    constexpr CpuMask() = default;
    constexpr explicit CpuMask(u64 bits) : bits_(bits) {}
    static constexpr CpuMask all(u32 cpus) { return CpuMask(cpus >= 64 ? ~u64{0} : (u64{1} << cpus) - 1); }

    void set(u32 cpu) { bits_ |= u64{1} << cpu; }
    void clear(u32 cpu) { bits_ &= ~(u64{1} << cpu); }
    bool test(u32 cpu) const { return (bits_ >> cpu) & 1; }
    bool empty() const { return bits_ == 0; }
    // Counted by hand: __builtin_popcountll needs libgcc without POPCNT (the qemu build links none).
    u32 count() const {
        u32 n = 0;
        for (u64 b = bits_; b; b &= b - 1) ++n;
        return n;
    }
    u64 bits() const { return bits_; }

    template <typename Fn>
    void for_each(Fn&& fn) const {
        for (u64 b = bits_; b; b &= b - 1) fn(static_cast<u32>(__builtin_ctzll(b)));
    }

private:
    u64 bits_ = 0;
};

}  // namespace kernel

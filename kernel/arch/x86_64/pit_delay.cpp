#include "kernel/arch/x86_64/pit_delay.h"

#include "kernel/arch/x86_64/cpu.h"

namespace kernel::x86 {
namespace {

constexpr u64 kPitHz = 1'193'182;
constexpr u16 kChannel2Data = 0x42;
constexpr u16 kPitCommand = 0x43;
constexpr u16 kPortB = 0x61;             // bit 0 gate of channel 2, bit 1 speaker, bit 5 OUT2
constexpr u8 kChannel2Mode0 = 0xb0;      // channel 2, lobyte/hibyte, mode 0 (interrupt on terminal count), binary
constexpr u64 kMaxTicks = 0xffff;

// Mode 0 (Intel 8254 data sheet): OUT goes low when the count is written and
// high when it reaches zero; the gate must be high for it to count. The
// speaker stays off (bit 1 clear).
void wait_ticks(u16 ticks) {
    const u8 port_b = static_cast<u8>(in8(kPortB) & ~0x02);
    out8(kPortB, static_cast<u8>(port_b & ~0x01));  // gate low: hold the counter
    out8(kPitCommand, kChannel2Mode0);
    out8(kChannel2Data, static_cast<u8>(ticks));
    out8(kChannel2Data, static_cast<u8>(ticks >> 8));
    out8(kPortB, static_cast<u8>(port_b | 0x01));   // gate high: count
    while ((in8(kPortB) & 0x20) == 0) pause();
}

}  // namespace

void pit_delay_us(u64 microseconds) {
    u64 ticks = (microseconds * kPitHz + 999'999) / 1'000'000 + 1;  // round up, plus the partial first tick
    while (ticks > 0) {
        const u64 n = ticks < kMaxTicks ? ticks : kMaxTicks;
        wait_ticks(static_cast<u16>(n));
        ticks -= n;
    }
}

}  // namespace kernel::x86

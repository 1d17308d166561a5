#include "kernel/arch/x86_64/serial.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/hal/hal.h"

namespace kernel::x86::serial {
namespace {

// 16550 registers, as offsets from the base port (PC16550D datasheet).
constexpr u16 kCom1 = 0x3f8;
constexpr u16 kData = 0;          // THR/RBR; divisor low byte when DLAB=1
constexpr u16 kInterrupts = 1;    // IER; divisor high byte when DLAB=1
constexpr u16 kFifo = 2;          // FCR
constexpr u16 kLineControl = 3;   // LCR
constexpr u16 kModemControl = 4;  // MCR
constexpr u16 kLineStatus = 5;    // LSR
constexpr u8 kLcrDlab = 0x80;
constexpr u8 kLcr8N1 = 0x03;
constexpr u8 kLsrTransmitEmpty = 0x20;
constexpr u8 kLsrDataReady = 0x01;      // RBR holds a received byte  // THR empty: the next byte may be written

// The writer's CPU + 1, 0 when free. Not kernel::SpinLock: a fault inside a
// write must still be able to print (the lock is then simply taken over), and
// SpinLock's recursion check would panic, which prints, which recurses.
u32 g_writer = 0;

void put(char c) {
    // Bounded: with no UART behind the port, LSR reads 0xff and never blocks.
    for (u32 spins = 0; !(in8(kCom1 + kLineStatus) & kLsrTransmitEmpty) && spins < 100000; ++spins) pause();
    out8(kCom1 + kData, static_cast<u8>(c));
}

}  // namespace

void init() {
    out8(kCom1 + kInterrupts, 0x00);
    out8(kCom1 + kLineControl, kLcrDlab);
    out8(kCom1 + kData, 1);  // divisor 1: 115200 baud
    out8(kCom1 + kInterrupts, 0);
    out8(kCom1 + kLineControl, kLcr8N1);
    // FIFOs off, as at reset. Turning them on clears them (16550 FCR bit 0),
    // dropping terminal input that came before the kernel, and gains nothing
    // here: output waits for an empty transmitter byte by byte anyway, and
    // QEMU hands the UART a received byte only when RBR is free, so polled
    // input is never lost.
    out8(kCom1 + kFifo, 0x00);
    out8(kCom1 + kModemControl, 0x03);   // DTR, RTS
}

void write(const char* text, usize length) {
    const u64 irq = hal::irq_save();
    const u32 me = hal::current_cpu() + 1;
    const bool nested = __atomic_load_n(&g_writer, __ATOMIC_RELAXED) == me;
    if (!nested) {
        u32 expected = 0;
        while (!__atomic_compare_exchange_n(&g_writer, &expected, me, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)) {
            expected = 0;
            pause();
        }
    }
    for (usize i = 0; i < length; ++i) {
        if (text[i] == '\n') put('\r');
        put(text[i]);
    }
    if (!nested) __atomic_store_n(&g_writer, 0u, __ATOMIC_RELEASE);
    hal::irq_restore(irq);
}

bool can_read() { return in8(kCom1 + kLineStatus) & kLsrDataReady; }

char read_byte() {
    while (!can_read()) pause();
    return static_cast<char>(in8(kCom1 + kData));
}

}  // namespace kernel::x86::serial

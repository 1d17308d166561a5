// The console of the qemu build: the 16550 UART at COM1 (I/O port 0x3f8),
// which QEMU connects to -serial (stdio in the README command and the tests).
// Polled, no interrupts: output must work before the IDT exists and inside a
// panic. Lines end in "\r\n" on the wire, as a terminal expects.
#pragma once

#include "kernel/lib/types.h"

namespace kernel::x86::serial {

// 115200 baud, 8N1, FIFOs off (serial.cpp says why), UART interrupts off.
void init();
// Writes `length` bytes. Safe from several CPUs (one writer at a time) and
// from a fault or panic taken while this CPU was already writing.
void write(const char* text, usize length);
// Whether a received byte waits (LSR data ready), and the next one (blocks,
// polling, until a byte comes).
bool can_read();
char read_byte();

}  // namespace kernel::x86::serial

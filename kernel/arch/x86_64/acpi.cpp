#include "kernel/arch/x86_64/acpi.h"

#include "kernel/hal/hal.h"
#include "kernel/lib/format.h"
#include "kernel/lib/string.h"

namespace kernel::x86 {
namespace {

constexpr u64 kLowMemoryEnd = u64{4} << 30;  // what the boot direct map surely covers

const u8* phys(u64 pa) { return static_cast<const u8*>(hal::phys_to_virt(PhysAddr{pa})); }

u32 read32(const u8* p) {
    u32 v;
    mem_copy(&v, p, 4);
    return v;
}
u64 read64(const u8* p) {
    u64 v;
    mem_copy(&v, p, 8);
    return v;
}

// Every ACPI checksum: all bytes sum to zero modulo 256.
bool checksum_ok(const u8* p, u64 bytes) {
    u8 sum = 0;
    for (u64 i = 0; i < bytes; ++i) sum = static_cast<u8>(sum + p[i]);
    return sum == 0;
}

bool is_rsdp(const u8* p) { return mem_compare(p, "RSD PTR ", 8) == 0 && checksum_ok(p, 20); }

// ACPI 6.4 5.2.5.1: the RSDP is on a 16-byte boundary in the first KiB of the
// EBDA (segment at 0x40E) or in [0xE0000, 0x100000).
u64 search_rsdp() {
    const u64 ebda = u64{*reinterpret_cast<const u16*>(phys(0x40e))} << 4;
    if (ebda >= 0x80000 && ebda < 0xa0000)
        for (u64 pa = ebda; pa < ebda + 1024; pa += 16)
            if (is_rsdp(phys(pa))) return pa;
    for (u64 pa = 0xe0000; pa < 0x100000; pa += 16)
        if (is_rsdp(phys(pa))) return pa;
    return 0;
}

// A system description table at pa (ACPI 6.4 5.2.6 header: signature, length
// at 4), if it lies in low memory and its checksum holds.
const u8* table_at(u64 pa) {
    if (pa == 0 || pa + 36 > kLowMemoryEnd) return nullptr;
    const u8* t = phys(pa);
    const u32 length = read32(t + 4);
    if (length < 36 || pa + length > kLowMemoryEnd || !checksum_ok(t, length)) return nullptr;
    return t;
}

const u8* find_madt(u64 rsdp_pa) {
    const u8* rsdp = phys(rsdp_pa);
    // Revision 2+ has the XSDT (64-bit entries, ACPI 6.4 5.2.5.3); prefer it.
    if (rsdp[15] >= 2 && read32(rsdp + 20) >= 36 && read32(rsdp + 20) <= 4096 && checksum_ok(rsdp, read32(rsdp + 20))) {
        if (const u8* xsdt = table_at(read64(rsdp + 24)); xsdt && mem_compare(xsdt, "XSDT", 4) == 0) {
            const u32 n = (read32(xsdt + 4) - 36) / 8;
            for (u32 i = 0; i < n; ++i)
                if (const u8* t = table_at(read64(xsdt + 36 + 8 * i)); t && mem_compare(t, "APIC", 4) == 0) return t;
        }
    }
    if (const u8* rsdt = table_at(read32(rsdp + 16)); rsdt && mem_compare(rsdt, "RSDT", 4) == 0) {
        const u32 n = (read32(rsdt + 4) - 36) / 4;
        for (u32 i = 0; i < n; ++i)
            if (const u8* t = table_at(read32(rsdt + 36 + 4 * i)); t && mem_compare(t, "APIC", 4) == 0) return t;
    }
    return nullptr;
}

void add_cpu(MadtCpus& out, u32 apic_id, u32 flags) {
    // Flags bit 0 Enabled, bit 1 Online Capable (ACPI 6.4 table 5.23): a CPU
    // that is neither is absent and must not be started.
    if ((flags & 3) == 0) return;
    if (out.count == kMaxCpus) {
        ++out.ignored;
        return;
    }
    out.apic_ids[out.count++] = apic_id;
}

}  // namespace

bool read_madt_cpus(u64 rsdp_pa, MadtCpus& out) {
    out = MadtCpus{};
    if (rsdp_pa == 0 || rsdp_pa + 36 > kLowMemoryEnd || !is_rsdp(phys(rsdp_pa))) rsdp_pa = search_rsdp();
    if (rsdp_pa == 0) return false;
    const u8* madt = find_madt(rsdp_pa);
    if (!madt) return false;
    out.lapic_address = read32(madt + 36);
    // Interrupt controller structures follow the 44-byte fixed part
    // (ACPI 6.4 5.2.12): type, length, then the body.
    const u32 length = read32(madt + 4);
    for (u32 at = 44; at + 2 <= length;) {
        const u8 type = madt[at], size = madt[at + 1];
        if (size < 2 || at + size > length) break;
        const u8* e = madt + at;
        if (type == 0 && size >= 8) add_cpu(out, e[3], read32(e + 4));               // Processor Local APIC
        else if (type == 5 && size >= 12) out.lapic_address = read64(e + 4);         // Local APIC Address Override
        else if (type == 9 && size >= 16) add_cpu(out, read32(e + 4), read32(e + 8));  // Processor Local x2APIC
        at += size;
    }
    return out.count > 0;
}

}  // namespace kernel::x86

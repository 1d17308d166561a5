#include "kernel/arch/x86_64/clock.h"

#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/pit_delay.h"
#include "kernel/hal/hal.h"
#include "kernel/lib/format.h"

namespace kernel::x86 {
namespace {

u64 g_tsc_hz = 0;
u64 g_boot_epoch = 0;

constexpr u64 kCalibrationUs = 20'000;

// The TSC's rate. CPUID 15H gives it exactly: crystal Hz * EBX / EAX (SDM Vol.
// 3B 18.7.3); some CPUs report the ratio without the crystal. CPUID 16H gives
// the base frequency in MHz, which is the TSC's on the CPUs that lack 15H's
// crystal. Failing both (QEMU's TCG models report neither), the TSC is counted
// across a PIT delay, whose 1.193182 MHz input is fixed (pit_delay.h); under
// TCG the guest TSC follows the host's, so only the measurement is right.
u64 measure_tsc_hz(const char** how) {
    const u32 max_leaf = cpuid(0).eax;
    if (max_leaf >= 0x15) {
        const CpuidResult r = cpuid(0x15);
        if (r.eax && r.ebx && r.ecx) {
            *how = "CPUID 15H";
            return u64{r.ecx} * r.ebx / r.eax;
        }
    }
    if (max_leaf >= 0x16) {
        const u32 mhz = cpuid(0x16).eax & 0xffff;
        if (mhz) {
            *how = "CPUID 16H";
            return u64{mhz} * 1'000'000;
        }
    }
    *how = "PIT calibration";
    const u64 start = rdtsc();
    pit_delay_us(kCalibrationUs);
    const u64 ticks = rdtsc() - start;
    return ticks * (1'000'000 / kCalibrationUs);
}

// ---------------------------------------------------------------- CMOS RTC
// The MC146818 registers behind ports 70H (index; bit 7 masks NMI) and 71H.
constexpr u16 kCmosIndex = 0x70;
constexpr u16 kCmosData = 0x71;
constexpr u8 kNmiDisable = 0x80;
constexpr u8 kStatusA = 0x0a;   // bit 7: update in progress
constexpr u8 kStatusB = 0x0b;   // bit 1: 24-hour clock, bit 2: binary (else BCD)
constexpr u8 kCentury = 0x32;   // the ACPI FADT's default century register, which QEMU fills

u8 cmos_read(u8 index) {
    out8(kCmosIndex, static_cast<u8>(kNmiDisable | index));
    return in8(kCmosData);
}

struct RtcTime {
    u8 second, minute, hour, day, month, year, century;
    bool operator==(const RtcTime&) const = default;
};

RtcTime rtc_read_raw() {
    for (u32 spins = 0; (cmos_read(kStatusA) & 0x80) && spins < 1'000'000; ++spins) pause();
    return RtcTime{cmos_read(0x00), cmos_read(0x02), cmos_read(0x04), cmos_read(0x07),
                   cmos_read(0x08), cmos_read(0x09), cmos_read(kCentury)};
}

u32 from_bcd(u8 v) { return (v >> 4) * 10u + (v & 0x0f); }

// Reads until two reads agree, so no update fell between the registers.
u64 rtc_epoch_seconds() {
    RtcTime t = rtc_read_raw();
    for (int i = 0; i < 5; ++i) {
        const RtcTime again = rtc_read_raw();
        if (again == t) break;
        t = again;
    }
    const u8 status_b = cmos_read(kStatusB);
    const bool binary = status_b & 0x04;
    const bool hour24 = status_b & 0x02;
    const bool pm = !hour24 && (t.hour & 0x80);
    auto value = [binary](u8 v) { return binary ? u32{v} : from_bcd(v); };
    u32 hour = value(static_cast<u8>(t.hour & 0x7f));
    if (!hour24) hour = (hour % 12) + (pm ? 12 : 0);  // 12 AM is 0, 12 PM is 12
    const u32 century = t.century ? value(t.century) : 20;
    const u32 year = (century >= 19 && century <= 30 ? century : 20) * 100 + value(t.year);
    return unix_seconds(year, value(t.month), value(t.day), hour, value(t.minute), value(t.second));
}

}  // namespace

// Days since 1970-01-01 in the proleptic Gregorian calendar: count years from
// March, so the leap day is the last day of its year; then an era of 400
// years is 146097 days and the day of the year follows from the month by
// (153 * m + 2) / 5 (the lengths 31, 30, 31, 30, 31 repeat from March).
u64 unix_seconds(u32 year, u32 month, u32 day, u32 hour, u32 minute, u32 second) {
    const i64 y = static_cast<i64>(year) - (month <= 2 ? 1 : 0);
    const i64 era = y / 400;
    const i64 year_of_era = y - era * 400;
    const i64 m = month > 2 ? month - 3 : month + 9;
    const i64 day_of_year = (153 * m + 2) / 5 + day - 1;
    const i64 day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    const i64 days = era * 146097 + day_of_era - 719468;  // 719468: 0000-03-01 to 1970-01-01
    if (days < 0) return 0;
    return static_cast<u64>(days) * 86400 + hour * 3600u + minute * 60u + second;
}

void init_clock() {
    const char* how = "";
    g_tsc_hz = measure_tsc_hz(&how);
    if (g_tsc_hz == 0) g_tsc_hz = 1;  // never divide by zero
    const u64 now = rtc_epoch_seconds();
    const u64 since_reset = rdtsc() / g_tsc_hz;
    g_boot_epoch = now > since_reset ? now - since_reset : 0;
    kprintf("x86 clock: TSC %llu.%03llu MHz (%s), RTC %llu s since the epoch\n",
            static_cast<unsigned long long>(g_tsc_hz / 1'000'000),
            static_cast<unsigned long long>(g_tsc_hz / 1'000 % 1'000), how, static_cast<unsigned long long>(now));
}

}  // namespace kernel::x86

namespace hal {

u64 cycles_per_second() { return kernel::x86::g_tsc_hz; }

// The epoch second at which the TSC read 0 (hal.h): the RTC time at boot
// minus the TSC's count since reset.
u64 boot_epoch_seconds() { return kernel::x86::g_boot_epoch; }

}  // namespace hal

#include "kernel/arch/x86_64/boot_info.h"

#include "kernel/arch/x86_64/boot_constants.h"
#include "kernel/arch/x86_64/boot_page_tables.h"
#include "kernel/arch/x86_64/cpu.h"
#include "kernel/arch/x86_64/lapic.h"
#include "kernel/arch/x86_64/memory_map.h"
#include "kernel/arch/x86_64/smp.h"
#include "kernel/lib/format.h"
#include "kernel/lib/panic.h"

// The image's bounds (kernel.ld), page aligned.
extern "C" char __image_start[], __text_end[], __rodata_end[], __image_end[];

namespace kernel::x86 {
namespace {

using hal::MemoryKind;

constexpr u64 kFirstMiB = u64{1} << 20;
constexpr u64 kLowMemoryEnd = u64{4} << 30;  // where the firmware's tables must lie: boot.S maps only this yet

constinit hal::BootInfo g_boot_info{};
constinit MemoryMap g_map;  // too large for the boot stack

u64 image_phys(const char* symbol) { return reinterpret_cast<u64>(symbol) - KERNEL_VIRT_BASE; }

template <typename T>
const T* low_memory(u64 pa, u64 bytes) {
    if (pa + bytes > kLowMemoryEnd || pa + bytes < pa)
        panic("init_boot_info: boot data at %#llx is outside the boot direct map", static_cast<unsigned long long>(pa));
    return static_cast<const T*>(hal::phys_to_virt(PhysAddr{pa}));
}

// QEMU's -append, NUL-terminated at start.cmdline; cut at the BootInfo's size.
void copy_command_line(const pvh::HvmStartInfo& start, hal::BootInfo& info) {
    info.command_line[0] = '\0';
    if (!start.cmdline) return;
    const char* line = low_memory<char>(start.cmdline, 1);
    u32 n = 0;
    while (n + 1 < hal::BootInfo::kMaxCommandLine && line[n]) {
        info.command_line[n] = line[n];
        ++n;
    }
    info.command_line[n] = '\0';
    if (line[n]) kprintf("x86 boot: the command line is cut at %u bytes\n", n);
}

}  // namespace

PhysAddr image_phys_start() { return PhysAddr{image_phys(__image_start)}; }
PhysAddr image_phys_end() { return PhysAddr{image_phys(__image_end)}; }

void init_boot_info(const pvh::HvmStartInfo& start, const CpuFeatures& cpu) {
    if (start.magic != pvh::kStartMagic) panic("init_boot_info: bad PVH start info magic %#x", start.magic);
    hal::BootInfo& info = g_boot_info;  // runs once: both start constant-initialised
    MemoryMap& map = g_map;
    if (start.version < 1 || start.memmap_entries == 0)
        panic("init_boot_info: the PVH start info (version %u) has no memory map", start.version);
    map.add_firmware_map(low_memory<pvh::HvmMemoryMapEntry>(start.memmap, u64{start.memmap_entries} *
                                                                              sizeof(pvh::HvmMemoryMapEntry)),
                         start.memmap_entries);
    const u64 ram_end = map.end();
    const u64 mapped = extend_boot_direct_map(ram_end, cpu.pages_1g);
    const u64 addressable = cpu.phys_addr_bits >= 64 ? ~u64{0} : u64{1} << cpu.phys_addr_bits;
    const u64 limit = mapped < addressable ? mapped : addressable;
    if (ram_end > limit)
        kprintf("x86 boot: RAM above %#llx is not used (no 1 GiB pages for the boot direct map)\n",
                static_cast<unsigned long long>(limit));
    map.clip(limit);

    map.paint(0, kFirstMiB, MemoryKind::kReserved, false);
    map.paint(image_phys(__image_start), image_phys(__image_end), MemoryKind::kReserved, false);
    if (start.module_count) {
        const auto* modules = low_memory<pvh::HvmModule>(start.module_list, u64{start.module_count} * sizeof(pvh::HvmModule));
        for (u32 i = 0; i < start.module_count; ++i)
            map.paint(align_down(modules[i].address, kPageSize), align_up(modules[i].address + modules[i].size, kPageSize),
                      MemoryKind::kReserved, false);
        // QEMU's -initrd is the one module PVH passes (hw/i386/x86.c): the
        // initramfs. Its frames are reserved above, so the pmm never hands
        // them out and the kernel may read the archive whenever it likes.
        if (start.module_count > 1)
            kprintf("x86 boot: %u PVH modules; the first is the initramfs, the others are ignored\n",
                    start.module_count);
        info.initrd_base = PhysAddr{modules[0].address};
        info.initrd_size = modules[0].size;
        kprintf("x86 boot: initramfs [%#llx, %#llx)\n", static_cast<unsigned long long>(modules[0].address),
                static_cast<unsigned long long>(modules[0].address + modules[0].size));
    }
    copy_command_line(start, info);
    if (const u32 dropped = map.export_to(info))
        kprintf("x86 boot: the %u highest memory regions are not used (BootInfo holds %u)\n", dropped,
                hal::BootInfo::kMaxRegions);

    // The image's three segments (kernel.ld), at their offsets in the image
    // window; the window's base is the link base, so offset = physical address.
    const u64 text = image_phys(__image_start), rodata = image_phys(__text_end), data = image_phys(__rodata_end),
              end = image_phys(__image_end);
    info.image_sections[0] = hal::ImageSection{text, PhysAddr{text}, rodata - text, false, true};
    info.image_sections[1] = hal::ImageSection{rodata, PhysAddr{rodata}, data - rodata, false, false};
    info.image_sections[2] = hal::ImageSection{data, PhysAddr{data}, end - data, true, false};
    info.image_section_count = 3;

    // One NUMA node: QEMU's -numa would add an ACPI SRAT, which is not read yet.
    info.cpu_count = discover_cpus(start.rsdp);
    // The local APIC's registers (lapic.h): every CPU's timer, and the IPIs of SMP bring-up.
    info.device_windows[0] = hal::DeviceWindow{lapic::registers_base(), kPageSize};
    info.device_window_count = 1;
    info.node_count = 1;
    for (u32 i = 0; i < info.cpu_count; ++i) info.cpu_node[i] = 0;
    info.phys_addr_bits = cpu.phys_addr_bits;
    info.la57 = (read_cr4() & cr4::kLa57) != 0;  // the mode boot.S chose, not merely offered
    info.pages_1g = cpu.pages_1g;
    info.pcid = cpu.pcid && cpu.invpcid;  // hal.h: PCIDs are used with INVPCID
    info.pge = cpu.pge;
    info.nx = cpu.nx;
    info.smep = cpu.smep;
    info.smap = cpu.smap;
}

}  // namespace kernel::x86

const hal::BootInfo& hal::boot_info() { return kernel::x86::g_boot_info; }

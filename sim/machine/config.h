// The machine description: every modeled structure is built from this, and its
// defaults live in one place (machines/skylake-client.ini mirrors them, with a
// source cited for each figure). A user compares two machines by changing a
// file or a --set override, not code.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace simx {

// One set-associative TLB array. entries == ways means fully associative.
struct TlbArrayConfig {
    uint32_t entries = 0;       // 0 disables the array
    uint32_t ways = 1;
    uint32_t hit_latency = 0;   // cycles added when the lookup hits here
    std::string policy = "lru"; // see sim/tlb/replacement.h
};

// Defaults: Intel Skylake client (see machines/skylake-client.ini for sources).
// Latencies are cycles *added* to the access: an L1 TLB hit overlaps the L1D
// lookup (VIPT), so it adds nothing; an STLB hit adds its own latency.
struct TlbConfig {
    TlbArrayConfig itlb_4k{128, 8, 0, "lru"};
    TlbArrayConfig itlb_2m{8, 8, 0, "lru"};
    TlbArrayConfig dtlb_4k{64, 4, 0, "lru"};
    TlbArrayConfig dtlb_2m{32, 4, 0, "lru"};
    TlbArrayConfig dtlb_1g{4, 4, 0, "lru"};
    TlbArrayConfig stlb{1536, 12, 9, "lru"};     // 4 KiB and 2 MiB entries
    TlbArrayConfig stlb_1g{16, 4, 9, "lru"};
    std::string prefetcher = "none";             // none | next-page
    uint32_t prefetch_degree = 1;
};

// Paging-structure caches (SDM 4.10.3). Entries/ways per level.
struct PscConfig {
    TlbArrayConfig pml5{2, 2, 0, "lru"};
    TlbArrayConfig pml4{4, 4, 0, "lru"};
    TlbArrayConfig pdpt{8, 4, 0, "lru"};
    TlbArrayConfig pd{32, 8, 0, "lru"};
};

struct CacheLevelConfig {
    uint64_t size_bytes = 0;
    uint32_t ways = 1;
    uint32_t latency = 1;       // load-to-use cycles on a hit at this level
    std::string policy = "lru";
};

struct CacheConfig {
    CacheLevelConfig l1d{32 * 1024, 8, 4, "lru"};
    CacheLevelConfig l2{256 * 1024, 4, 12, "lru"};
    CacheLevelConfig llc{8 * 1024 * 1024, 16, 44, "lru"};  // shared by all CPUs
    uint32_t dram_latency = 246;
    uint32_t remote_dram_extra = 160;  // extra cycles when the line's node != the CPU's node
};

struct MmuConfig {
    uint32_t phys_addr_bits = 39;   // MAXPHYADDR, CPUID.80000008H:EAX[7:0]
    bool la57_supported = false;    // CPUID.(7,0):ECX[16]
    bool pages_1g_supported = true; // CPUID.80000001H:EDX[26]
    bool pcid_supported = true;     // CPUID.01H:ECX[17]
    uint32_t walk_base_latency = 1; // fixed cycles to start a walk, beyond its loads
    uint32_t fault_latency = 0;     // extra cycles to deliver a fault from a walk
};

// What native kernel work costs, charged per HAL operation (DESIGN.md "Cycle
// model"). Sources in machines/skylake-client.ini.
struct KernelCostConfig {
    uint32_t cr3_write = 200;   // MOV to CR3 (serializing)
    uint32_t invlpg = 400;      // one INVLPG
    uint32_t invpcid = 400;     // one INVPCID
    uint32_t cr4_write = 200;   // MOV to CR4 / WRMSR EFER
    uint32_t zero_4k = 256;     // zeroing one 4 KiB frame
    uint32_t copy_4k = 512;     // copying one 4 KiB frame
    uint32_t pause = 140;       // one spin-wait iteration (PAUSE)
    uint32_t syscall = 150;     // SYSCALL + SYSRET and the kernel's entry/exit path
    uint32_t exception = 400;   // exception delivery from ring 3 + IRET back
    uint32_t context_switch = 600;  // switching kernel stacks and callee-saved registers
    uint32_t xsave = 100;       // XSAVE of the x87+SSE state (576 bytes); XRSTOR the same
    uint32_t uaccess = 20;      // STAC/CLAC and the range check of one uaccess call
    uint32_t ipi_send = 300;    // writing the APIC's interrupt command register (sender)
    uint32_t ipi_latency = 2000;  // from the ICR write to the target's instruction boundary
};

// Cycles each retired instruction costs by class (sim/cpu/insn.h), before its
// memory accesses add their translation and cache latencies. Sources in
// machines/skylake-client.ini.
struct CpuConfig {
    uint32_t alu = 1;           // integer ALU ops, moves, LEA, SETcc, CMOVcc
    uint32_t branch = 1;        // JMP, Jcc, CALL, RET
    uint32_t stack = 1;         // PUSH, POP, ENTER, LEAVE, PUSHF, POPF
    uint32_t mul = 3;           // MUL/IMUL
    uint32_t div32 = 26;        // DIV/IDIV up to 32 bits
    uint32_t div64 = 35;        // DIV/IDIV r/m64
    uint32_t rotate_carry = 6;  // RCL/RCR
    uint32_t shift_double = 3;  // SHLD/SHRD
    uint32_t bit_scan = 3;      // BSF/BSR/POPCNT/LZCNT
    uint32_t locked = 18;       // LOCK RMW, XCHG with memory, CMPXCHG8B/16B
    uint32_t string_line = 1;   // one cache line (or element) of a string instruction
    uint32_t cpuid = 100;
    uint32_t rdtsc = 25;
    uint32_t system = 1;        // SYSCALL, HLT, UD2, INT3 (kernel entry is charged by the kernel model)
    // The interpreter's translation fast path (sim/cpu/micro_tlb.h): replays
    // repeated L1 TLB hits without a lookup. Counters and cycles are identical
    // either way; off only to check that or to profile the slow path.
    bool fast_path = true;
};

struct MemoryConfig {
    // Bytes per NUMA node; node i's RAM follows node i-1's in the physical map.
    std::vector<uint64_t> node_bytes{uint64_t{512} << 20, uint64_t{512} << 20};
};

// Policies of the kernel the machine boots, passed on its command line.
struct KernelPolicyConfig {
    bool allow_write_execute = false;  // W^X off: user mappings may be writable and executable at once
};

struct MachineConfig {
    std::string name = "skylake-client";
    uint32_t cpus = 2;
    std::vector<uint32_t> cpu_node;  // NUMA node of each CPU; empty = round robin
    uint64_t seed = 1;
    uint64_t frequency_mhz = 4000;            // the cycle clock's rate (modeled time = cycles / rate)
    uint64_t epoch_seconds = 1767225600;      // wall-clock time at cycle 0 (2026-01-01T00:00:00Z): CLOCK_REALTIME
    // How far (cycles) a CPU runs user code ahead of the others before the
    // scheduler of simulated CPUs lets them catch up: the bound on their clock
    // skew, so on how late an IPI may find its target (smaller: more accurate
    // cross-CPU timing, more host-side switching).
    uint64_t quantum_cycles = 5000;
    TlbConfig tlb;
    PscConfig psc;
    CacheConfig cache;
    MmuConfig mmu;
    MemoryConfig memory;
    KernelCostConfig costs;
    CpuConfig cpu;
    KernelPolicyConfig kernel;

    uint32_t node_of_cpu(uint32_t index) const;
    uint64_t total_ram() const;
    // Throws SimError naming the inconsistent setting (e.g. ways not dividing entries).
    void validate() const;
};

// Loads a machine: defaults, then the INI file (if any), then each "key=value"
// override (later wins). A bad or unknown key throws SimError naming the key and,
// for the file, its line.
MachineConfig load_machine_config(const std::string& ini_path,
                                  const std::vector<std::string>& overrides);

// Every recognised key with its current value, "key = value" lines in INI order.
std::string describe_machine_config(const MachineConfig& config);

// Parses "512M", "1G", "4096", "64K" into bytes; throws SimError on bad input.
uint64_t parse_byte_size(const std::string& text);

}  // namespace simx

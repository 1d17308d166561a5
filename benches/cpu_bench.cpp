// Interpreted instructions per second with the full TLB and cache model on
// (issue 4; goal: 100 MIPS on the compute-bound loop on one host core).
//
//   BM_ComputeLoop  register-only integer loop (ALU, IMUL, shifts, LEA, Jcc)
//   BM_MemoryLoop   one load per 5 instructions, a new 4 KiB page each time,
//                   over a 64 MiB footprint: DTLB/STLB misses, walks, cache misses
//   BM_Memcpy       REP MOVSB of 4 KiB blocks over a 1 MiB area (libc memcpy)
//   BM_Strlen       a byte loop over a 64 KiB string (libc strlen's fallback)
//   BM_SseMemcpy    MOVDQA load/store of 16 bytes per iteration over 512 KiB
//   BM_SseStrlen    PCMPEQB/PMOVMSKB over a 64 KiB string (glibc's SSE2 strlen)
//
// "insn/s" is the interpreted rate; "sim_CPI" the modeled cycles per instruction.
// Each runs with the translation fast path on (/fast_path:1, the default) and
// off (/fast_path:0); the modeled counters are the same either way
// (tests/cpu/fast_path_test.cpp), only the host time differs.
#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

#include "sim/cpu/code_cache.h"
#include "sim/cpu/cpu_state.h"
#include "sim/cpu/interpreter.h"
#include "sim/machine/machine.h"
#include "sim/mmu/control_regs.h"
#include "sim/mmu/page_table_builder.h"
#include "sim/mmu/pte.h"

using namespace simx;

namespace {

constexpr uint64_t kCode = 0x0000'0000'0040'0000;
constexpr uint64_t kData = 0x0000'0000'1000'0000;
constexpr uint64_t kDataBytes = uint64_t{64} << 20;
constexpr uint64_t kStack = 0x0000'7FFF'F000'0000;

// A one-CPU Skylake-client machine (default config: full TLB, PSC and cache
// model) with one code page, 64 MiB of data and a stack page mapped.
struct Bench {
    Bench(bool fast_path, const std::vector<uint8_t>& code) {
        MachineConfig config;
        config.cpus = 1;
        config.cpu.fast_path = fast_path;
        config.memory.node_bytes = {uint64_t{256} << 20};
        machine = std::make_unique<Machine>(config);
        frames = std::make_unique<FrameAllocator>(machine->memory(), PhysAddr{1 << 20}, PhysAddr{uint64_t{256} << 20});
        tables = std::make_unique<PageTableBuilder>(machine->memory(), *frames, 4);
        const PhysAddr text = frames->allocate(4096);
        tables->map(VirtAddr{kCode}, text, PageSize::k4K, Pte::kUser);
        const PhysAddr data = frames->allocate(kDataBytes, 4096, /*zero=*/false);
        for (uint64_t off = 0; off < kDataBytes; off += 4096)
            tables->map(VirtAddr{kData + off}, data + off, PageSize::k4K, Pte::kUser | Pte::kWritable);
        tables->map(VirtAddr{kStack - 4096}, frames->allocate(4096), PageSize::k4K, Pte::kUser | Pte::kWritable);
        Mmu& mmu = machine->mmu(0);
        mmu.write_efer(mmu.regs().efer | efer::kNxe);
        mmu.write_cr4(mmu.regs().cr4 | cr4::kPge | cr4::kPcide);
        mmu.write_cr3(tables->root().value | 1);
        machine->memory().write(text, code.data(), code.size());
        cache = std::make_unique<CodeCache>(machine->memory());
        cpu = std::make_unique<Interpreter>(*machine, 0, *cache);
        state.rip = kCode;
        state.gpr[kRsp] = kStack - 64;
    }

    void run(benchmark::State& st, uint64_t per_iteration = 1'000'000) {
        const uint64_t insns0 = cpu->counters().instructions, cycles0 = cpu->cycles();
        for (auto _ : st) {
            const Exit e = cpu->run(state, per_iteration);
            if (e.reason != ExitReason::kBudget) {
                st.SkipWithError(describe(e).c_str());
                break;
            }
        }
        const double insns = static_cast<double>(cpu->counters().instructions - insns0);
        st.counters["insn/s"] = benchmark::Counter(insns, benchmark::Counter::kIsRate);
        st.counters["sim_CPI"] = static_cast<double>(cpu->cycles() - cycles0) / (insns > 0 ? insns : 1);
    }

    std::unique_ptr<Machine> machine;
    std::unique_ptr<FrameAllocator> frames;
    std::unique_ptr<PageTableBuilder> tables;
    std::unique_ptr<CodeCache> cache;
    std::unique_ptr<Interpreter> cpu;
    CpuState state;
};

void BM_ComputeLoop(benchmark::State& st) {
    Bench b(st.range(0) != 0, {
        0x48, 0x01, 0xD8,              // loop: add rax, rbx
        0x48, 0x31, 0xC1,              //       xor rcx, rax
        0x48, 0x0F, 0xAF, 0xD1,        //       imul rdx, rcx
        0x48, 0xC1, 0xC3, 0x07,        //       rol rbx, 7
        0x48, 0x8D, 0x34, 0x46,        //       lea rsi, [rsi+rax*2]
        0x48, 0x83, 0xEF, 0x01,        //       sub rdi, 1
        0x75, 0xE8,                    //       jnz loop
        0xF4,
    });
    b.state.gpr[kRdi] = ~uint64_t{0} >> 1;
    b.state.gpr[kRbx] = 0x9E37'79B9'7F4A'7C15;
    b.run(st);
}
BENCHMARK(BM_ComputeLoop)->ArgName("fast_path")->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);

void BM_MemoryLoop(benchmark::State& st) {
    Bench b(st.range(0) != 0, {
        0x48, 0x8B, 0x04, 0x0B,                    // loop: mov rax, [rbx+rcx]
        0x48, 0x01, 0xC2,                          //       add rdx, rax
        0x48, 0x81, 0xC1, 0x40, 0x10, 0x00, 0x00,  //       add rcx, 4160 (a page and a line)
        0x48, 0x21, 0xF1,                          //       and rcx, rsi (footprint - 1)
        0xEB, 0xEE,                                //       jmp loop
    });
    b.state.gpr[kRbx] = kData;
    b.state.gpr[kRsi] = kDataBytes - 1;
    b.run(st);
}
BENCHMARK(BM_MemoryLoop)->ArgName("fast_path")->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);

void BM_Memcpy(benchmark::State& st) {
    Bench b(st.range(0) != 0, {
        0x48, 0x89, 0xDE,                          // loop: mov rsi, rbx
        0x48, 0x8D, 0xBB, 0x00, 0x00, 0x08, 0x00,  //       lea rdi, [rbx+0x80000]
        0xB9, 0x00, 0x10, 0x00, 0x00,              //       mov ecx, 4096
        0xF3, 0xA4,                                //       rep movsb
        0x48, 0x81, 0xC3, 0x00, 0x10, 0x00, 0x00,  //       add rbx, 4096
        0x48, 0x81, 0xE3, 0xFF, 0xFF, 0x07, 0x10,  //       and rbx, kData | 0x7FFFF
        0xEB, 0xDF,                                //       jmp loop
    });
    b.state.gpr[kRbx] = kData;
    b.run(st, 100'000);
    st.counters["bytes/s"] = benchmark::Counter(static_cast<double>(st.iterations()) * 100'000 / 6 * 4096,
                                                benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Memcpy)->ArgName("fast_path")->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);

void BM_Strlen(benchmark::State& st) {
    Bench b(st.range(0) != 0, {
        0x48, 0x89, 0xDF,              // outer: mov rdi, rbx
        0x8A, 0x07,                    // inner: mov al, [rdi]
        0x48, 0xFF, 0xC7,              //        inc rdi
        0x84, 0xC0,                    //        test al, al
        0x75, 0xF7,                    //        jnz inner
        0xEB, 0xF2,                    //        jmp outer
    });
    // A 64 KiB string of 'a'. The data frames are contiguous, so the first
    // frame (found by a supervisor translation) locates all of it.
    std::vector<uint8_t> s(65536, 'a');
    s.back() = 0;
    const Translation t = b.machine->mmu(0).translate(VirtAddr{kData}, Access::supervisor(AccessType::kWrite));
    b.machine->memory().write(t.pa, s.data(), s.size());
    b.state.gpr[kRbx] = kData;
    b.run(st);
}
BENCHMARK(BM_Strlen)->ArgName("fast_path")->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);

void BM_SseMemcpy(benchmark::State& st) {
    Bench b(st.range(0) != 0, {
        0x66, 0x0F, 0x6F, 0x06,                          // loop: movdqa xmm0, [rsi]
        0x66, 0x0F, 0x7F, 0x86, 0x00, 0x00, 0x08, 0x00,  //       movdqa [rsi+0x80000], xmm0
        0x48, 0x83, 0xC6, 0x10,                          //       add rsi, 16
        0x48, 0x21, 0xDE,                                //       and rsi, rbx (kData | 0x7FFFF)
        0xEB, 0xEB,                                      //       jmp loop
    });
    b.state.gpr[kRsi] = kData;
    b.state.gpr[kRbx] = kData | 0x7FFFF;
    b.run(st);
    st.counters["bytes/s"] = benchmark::Counter(static_cast<double>(st.iterations()) * 1'000'000 / 5 * 16,
                                                benchmark::Counter::kIsRate);
}
BENCHMARK(BM_SseMemcpy)->ArgName("fast_path")->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);

void BM_SseStrlen(benchmark::State& st) {
    Bench b(st.range(0) != 0, {
        0x48, 0x89, 0xDF,              // outer: mov rdi, rbx
        0x66, 0x0F, 0xEF, 0xC0,        //        pxor xmm0, xmm0
        0x66, 0x0F, 0x6F, 0x0F,        // inner: movdqa xmm1, [rdi]
        0x66, 0x0F, 0x74, 0xC8,        //        pcmpeqb xmm1, xmm0
        0x66, 0x0F, 0xD7, 0xC1,        //        pmovmskb eax, xmm1
        0x48, 0x83, 0xC7, 0x10,        //        add rdi, 16
        0x85, 0xC0,                    //        test eax, eax
        0x74, 0xEC,                    //        jz inner
        0xEB, 0xE3,                    //        jmp outer
    });
    std::vector<uint8_t> s(65536, 'a');
    s.back() = 0;
    const Translation t = b.machine->mmu(0).translate(VirtAddr{kData}, Access::supervisor(AccessType::kWrite));
    b.machine->memory().write(t.pa, s.data(), s.size());
    b.state.gpr[kRbx] = kData;
    b.run(st);
}
BENCHMARK(BM_SseStrlen)->ArgName("fast_path")->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond);

}  // namespace

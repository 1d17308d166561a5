// The ELF loader (kernel/proc) on real musl binaries built at test build time
// (a static non-PIE and a true static-PIE, tests/kernel/elf_fixtures): every
// byte, right and stack word is checked through CPU 0's simulated MMU and the
// simulated RAM; malformed images (truncated anywhere in the headers, inside
// segments, or with one field broken) give ENOEXEC with a reason.
#include <gtest/gtest.h>

#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "kernel/proc/aslr.h"
#include "kernel/proc/elf.h"
#include "kernel/proc/elf_loader.h"
#include "tests/kernel/address_space_fixture.h"

using namespace simx;
using namespace simx::testing;
namespace k = kernel;
namespace elf = kernel::elf;
namespace lx = kernel::linux;

namespace {

std::vector<uint8_t> read_file(const char* path) {
    std::ifstream in(path, std::ios::binary);
    EXPECT_TRUE(in.good()) << path;
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

elf::Ehdr ehdr_of(const std::vector<uint8_t>& f) {
    elf::Ehdr e;
    std::memcpy(&e, f.data(), sizeof e);
    return e;
}
std::vector<elf::Phdr> phdrs_of(const std::vector<uint8_t>& f) {
    const elf::Ehdr e = ehdr_of(f);
    std::vector<elf::Phdr> v(e.e_phnum);
    std::memcpy(v.data(), f.data() + e.e_phoff, v.size() * sizeof(elf::Phdr));
    return v;
}
void put_ehdr(std::vector<uint8_t>& f, const elf::Ehdr& e) { std::memcpy(f.data(), &e, sizeof e); }
void put_phdr(std::vector<uint8_t>& f, size_t i, const elf::Phdr& p) {
    std::memcpy(f.data() + ehdr_of(f).e_phoff + i * sizeof p, &p, sizeof p);
}
std::vector<size_t> load_indices(const std::vector<uint8_t>& f) {
    std::vector<size_t> v;
    const auto ph = phdrs_of(f);
    for (size_t i = 0; i < ph.size(); ++i)
        if (ph[i].p_type == elf::kPtLoad) v.push_back(i);
    return v;
}

struct Loaded {
    int64_t rc = 0;
    std::string reason;
    k::LoadedProgram prog;
    k::AddressSpace* as = nullptr;
};

MachineConfig config_with_seed(uint64_t seed) {
    MachineConfig c = AddressSpaceEnv::default_config();
    c.seed = seed;
    return c;
}

const std::vector<std::string> kArgv = {"hello", "first-arg", "x"};
const std::vector<std::string> kEnvp = {"HOME=/root", "PATH=/bin:/usr/bin", "EMPTY="};

class ElfLoaderTest : public ::testing::Test {
protected:
    explicit ElfLoaderTest(uint64_t seed = 1) : env(config_with_seed(seed)) {}
    void TearDown() override {
        for (k::AddressSpace* as : spaces) env.destroy(as);
        EXPECT_EQ(env.settled_free_frames(), env.baseline()) << "frames leaked";
    }

    Loaded load(const std::vector<uint8_t>& file, bool randomize = true, k::AddressSpaceOptions opts = {}) {
        Loaded l;
        l.as = env.create(opts);
        EXPECT_NE(l.as, nullptr);
        spaces.push_back(l.as);
        env.load(l.as);
        std::vector<const char*> argv, envp;
        for (const auto& s : kArgv) argv.push_back(s.c_str());
        for (const auto& s : kEnvp) envp.push_back(s.c_str());
        k::ExecArgs args;
        args.argv = argv.data();
        args.argc = static_cast<uint32_t>(argv.size());
        args.envp = envp.data();
        args.envc = static_cast<uint32_t>(envp.size());
        args.randomize = randomize;
        args.hwcap = 0x178bfbff;
        args.uid = 1000;
        args.euid = 1001;
        args.gid = 100;
        args.egid = 101;
        const char* reason = nullptr;
        l.rc = env.run([&] { return k::elf_load(*l.as, file.data(), file.size(), args, &l.prog, &reason); });
        if (reason) l.reason = reason;
        return l;
    }

    int64_t validate(const std::vector<uint8_t>& file, size_t size, std::string* reason = nullptr,
                     k::ElfInfo* info_out = nullptr) {
        k::ElfInfo info;
        const char* why = nullptr;
        // An exact-size heap copy, so that ASan catches any read past the end;
        // kept until the next call, as info.interp points into it.
        validated_ = std::vector<uint8_t>(file.begin(), file.begin() + static_cast<std::ptrdiff_t>(size));
        std::vector<uint8_t>& copy = validated_;
        const int64_t rc = env.run([&] { return k::elf_validate(copy.empty() ? nullptr : copy.data(), copy.size(), &info, &why); });
        if (reason) *reason = why ? why : "";
        if (info_out) *info_out = info;
        if (rc < 0) {
            EXPECT_NE(why, nullptr);
        }
        return rc;
    }

    // User memory through the MMU (faults handled as the trap path will).
    std::vector<uint8_t> read_user(k::AddressSpace* as, uint64_t va, size_t n) { return env.read_user(as, va, n); }
    uint64_t user64(k::AddressSpace* as, uint64_t va) { return env.user64(as, va); }
    std::string user_string(k::AddressSpace* as, uint64_t va) {
        std::string s;
        for (;; ++va) {
            const uint8_t c = read_user(as, va, 1)[0];
            if (!c) return s;
            s.push_back(static_cast<char>(c));
        }
    }

    void expect_image_matches(const std::vector<uint8_t>& file, const Loaded& l) {
        for (const elf::Phdr& p : phdrs_of(file)) {
            if (p.p_type != elf::kPtLoad) continue;
            const uint64_t va = p.p_vaddr + l.prog.load_bias;
            SCOPED_TRACE(::testing::Message() << "segment at " << std::hex << va);
            const auto bytes = read_user(l.as, va, p.p_filesz);
            EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), file.begin() + static_cast<std::ptrdiff_t>(p.p_offset)))
                << "segment bytes differ from the file";
            // bss and the rest of the last page: zero.
            const uint64_t zero_end = (va + p.p_memsz + kPage - 1) & ~(kPage - 1);
            const auto bss = read_user(l.as, va + p.p_filesz, zero_end - (va + p.p_filesz));
            EXPECT_TRUE(std::all_of(bss.begin(), bss.end(), [](uint8_t b) { return b == 0; })) << "bss not zero";
            // Rights: the VMA's and the MMU's.
            const k::Vma* v = l.as->find_vma(va);
            ASSERT_NE(v, nullptr);
            uint32_t want = 0;
            if (p.p_flags & elf::kPfR) want |= lx::kProtRead;
            if (p.p_flags & elf::kPfW) want |= lx::kProtWrite;
            if (p.p_flags & elf::kPfX) want |= lx::kProtExec;
            EXPECT_EQ(v->prot, want);
            const Touch w = env.touch(l.as, va, AccessType::kWrite);
            EXPECT_EQ(w.ok, (p.p_flags & elf::kPfW) != 0);
            if (!w.ok) {
                EXPECT_EQ(w.refused.code, lx::kSegvAccerr);
            }
            const Touch x = env.touch(l.as, va, AccessType::kFetch);
            EXPECT_EQ(x.ok, (p.p_flags & elf::kPfX) != 0) << "NX must stop fetches from non-executable segments";
            if (!x.ok) {
                EXPECT_EQ(x.refused.code, lx::kSegvAccerr);
            }
        }
    }

    void expect_stack_abi(const std::vector<uint8_t>& file, const Loaded& l) {
        k::AddressSpace* as = l.as;
        const uint64_t rsp = l.prog.rsp;
        EXPECT_EQ(rsp % 16, 0u) << "psABI: RSP 16-byte aligned at entry";
        EXPECT_LT(rsp, l.prog.stack_top);
        const k::Vma* sv = as->find_vma(rsp);
        ASSERT_NE(sv, nullptr);
        EXPECT_TRUE(sv->has(k::vma_flag::kGrowsDown));
        EXPECT_EQ(sv->end, l.prog.stack_top);
        EXPECT_EQ(sv->prot, lx::kProtRead | lx::kProtWrite) << "NX stack";
        uint64_t at = rsp;
        EXPECT_EQ(user64(as, at), kArgv.size());
        at += 8;
        for (const auto& s : kArgv) {
            EXPECT_EQ(user_string(as, user64(as, at)), s);
            at += 8;
        }
        EXPECT_EQ(user64(as, at), 0u);
        at += 8;
        for (const auto& s : kEnvp) {
            EXPECT_EQ(user_string(as, user64(as, at)), s);
            at += 8;
        }
        EXPECT_EQ(user64(as, at), 0u);
        at += 8;
        std::map<uint64_t, uint64_t> aux;
        std::vector<uint64_t> order;
        for (int i = 0; i < 64; ++i, at += 16) {
            const uint64_t type = user64(as, at), value = user64(as, at + 8);
            order.push_back(type);
            if (type == elf::kAtNull) break;
            EXPECT_EQ(aux.count(type), 0u) << "duplicate auxv " << type;
            aux[type] = value;
        }
        ASSERT_EQ(order.back(), elf::kAtNull);
        const elf::Ehdr eh = ehdr_of(file);
        EXPECT_EQ(aux[elf::kAtPhdr], l.prog.phdr);
        EXPECT_NE(l.prog.phdr, 0u);
        EXPECT_EQ(aux[elf::kAtPhent], 56u);
        EXPECT_EQ(aux[elf::kAtPhnum], eh.e_phnum);
        EXPECT_EQ(aux[elf::kAtPagesz], 4096u);
        EXPECT_EQ(aux[elf::kAtBase], 0u);
        EXPECT_EQ(aux[elf::kAtFlags], 0u);
        EXPECT_EQ(aux[elf::kAtEntry], eh.e_entry + l.prog.load_bias);
        EXPECT_EQ(aux[elf::kAtUid], 1000u);
        EXPECT_EQ(aux[elf::kAtEuid], 1001u);
        EXPECT_EQ(aux[elf::kAtGid], 100u);
        EXPECT_EQ(aux[elf::kAtEgid], 101u);
        EXPECT_EQ(aux[elf::kAtSecure], 0u);
        EXPECT_EQ(aux[elf::kAtHwcap], 0x178bfbffu);
        EXPECT_EQ(aux[elf::kAtClktck], 100u);
        ASSERT_EQ(aux.count(elf::kAtRandom), 1u);
        ASSERT_EQ(aux.count(elf::kAtExecfn), 1u);
        EXPECT_EQ(user_string(as, aux[elf::kAtExecfn]), kArgv[0]);
        ASSERT_EQ(aux.count(elf::kAtPlatform), 1u);
        EXPECT_EQ(user_string(as, aux[elf::kAtPlatform]), "x86_64");
        // The program headers as the program sees them through AT_PHDR.
        const auto table = read_user(as, aux[elf::kAtPhdr], eh.e_phnum * sizeof(elf::Phdr));
        EXPECT_TRUE(std::equal(table.begin(), table.end(), file.begin() + static_cast<std::ptrdiff_t>(eh.e_phoff)));
        // AT_RANDOM: 16 bytes on the stack, above the vector, not all zero.
        const uint64_t rnd = aux[elf::kAtRandom];
        EXPECT_EQ(rnd, l.prog.random_bytes);
        EXPECT_GT(rnd, at);
        EXPECT_LE(rnd + 16, l.prog.stack_top);
        const auto rb = read_user(as, rnd, 16);
        EXPECT_FALSE(std::all_of(rb.begin(), rb.end(), [](uint8_t b) { return b == 0; }));
        // Every string lies between the random bytes and the top.
        EXPECT_GT(aux[elf::kAtExecfn], rnd);
        EXPECT_LT(aux[elf::kAtExecfn], l.prog.stack_top);
    }

    AddressSpaceEnv env;
    std::vector<k::AddressSpace*> spaces;
    std::vector<uint8_t> validated_;
};

const std::vector<uint8_t>& static_file() {
    static const std::vector<uint8_t> f = read_file(SIMX_ELF_STATIC);
    return f;
}
const std::vector<uint8_t>& pie_file() {
    static const std::vector<uint8_t> f = read_file(SIMX_ELF_PIE);
    return f;
}

TEST_F(ElfLoaderTest, FixturesAreWhatTheTestsAssume) {
    ASSERT_GT(static_file().size(), 4096u);
    ASSERT_GT(pie_file().size(), 4096u);
    EXPECT_EQ(ehdr_of(static_file()).e_type, elf::kEtExec);
    EXPECT_EQ(ehdr_of(pie_file()).e_type, elf::kEtDyn);
    for (const auto* f : {&static_file(), &pie_file()}) {
        std::string why;
        k::ElfInfo info;
        EXPECT_EQ(validate(*f, f->size(), &why, &info), 0) << why;
        EXPECT_EQ(info.interp, nullptr) << "a true static binary has no PT_INTERP";
        EXPECT_GE(info.load_count, 2u);
        EXPECT_FALSE(info.exec_stack);
        EXPECT_FALSE(info.write_execute);
    }
}

TEST_F(ElfLoaderTest, StaticExecutableLoadsAtItsAddresses) {
    const Loaded l = load(static_file());
    ASSERT_EQ(l.rc, 0) << l.reason;
    EXPECT_EQ(l.prog.load_bias, 0u);
    EXPECT_EQ(l.prog.entry, ehdr_of(static_file()).e_entry);
    expect_image_matches(static_file(), l);
    expect_stack_abi(static_file(), l);
    // The heap begins after the highest segment, within the brk randomization range.
    uint64_t highest = 0;
    for (const auto& p : phdrs_of(static_file()))
        if (p.p_type == elf::kPtLoad) highest = std::max(highest, p.p_vaddr + p.p_memsz);
    const uint64_t after = (highest + kPage - 1) & ~(kPage - 1);
    EXPECT_GE(l.prog.brk_start, after);
    EXPECT_LT(l.prog.brk_start, after + k::aslr::kBrkRange);
    EXPECT_EQ(l.as->brk_start(), l.prog.brk_start);
    EXPECT_EQ(l.as->current_brk(), l.prog.brk_start);
    EXPECT_EQ(l.as->options().mmap_base, l.prog.mmap_base);
    EXPECT_LT(l.prog.mmap_base, l.prog.stack_top);
    // brk works from there; mmap places below the mmap base.
    const uint64_t grown = env.run([&] { return l.as->brk(l.prog.brk_start + 3 * kPage); });
    EXPECT_EQ(grown, l.prog.brk_start + 3 * kPage);
    const int64_t m = env.run([&] {
        return l.as->mmap(0, kPage, lx::kProtRead | lx::kProtWrite, lx::kMapPrivate | lx::kMapAnonymous);
    });
    ASSERT_GT(m, 0);
    EXPECT_LT(static_cast<uint64_t>(m), l.prog.mmap_base);
    // The entry point can be fetched; the stack cannot.
    EXPECT_TRUE(env.touch(l.as, l.prog.entry, AccessType::kFetch).ok);
    EXPECT_FALSE(env.touch(l.as, l.prog.rsp, AccessType::kFetch).ok);
    env.check(l.as);
}

TEST_F(ElfLoaderTest, StaticPieLoadsAtARandomPageAlignedBase) {
    const Loaded l = load(pie_file());
    ASSERT_EQ(l.rc, 0) << l.reason;
    const uint64_t base = env.run([] { return k::aslr::et_dyn_base(); });
    EXPECT_EQ(l.prog.load_bias % kPage, 0u);
    EXPECT_GE(l.prog.load_bias, base);
    EXPECT_LT(l.prog.load_bias, base + (k::aslr::kMmapRndPages << 12) + kPage);
    EXPECT_EQ(l.prog.entry, ehdr_of(pie_file()).e_entry + l.prog.load_bias);
    expect_image_matches(pie_file(), l);
    expect_stack_abi(pie_file(), l);
    env.check(l.as);
}

TEST_F(ElfLoaderTest, AslrOffGivesTheFixedLayout) {
    const Loaded l = load(pie_file(), /*randomize=*/false);
    ASSERT_EQ(l.rc, 0) << l.reason;
    const uint64_t user_end = env.run([] { return k::layout().user_end; });
    const uint64_t base = env.run([] { return k::aslr::et_dyn_base(); });
    if (user_end == 0x0000'7fff'ffff'f000ull) {
        EXPECT_EQ(base, 0x5555'5555'4000ull) << "Linux's ELF_ET_DYN_BASE";
    }
    EXPECT_EQ(l.prog.load_bias, base);
    EXPECT_EQ(l.prog.stack_top, user_end);
    uint64_t highest = 0;
    for (const auto& p : phdrs_of(pie_file()))
        if (p.p_type == elf::kPtLoad) highest = std::max(highest, p.p_vaddr + p.p_memsz);
    EXPECT_EQ(l.prog.brk_start, (base + highest + kPage - 1) & ~(kPage - 1));
    expect_image_matches(pie_file(), l);
    // Twice the same without ASLR.
    const Loaded again = load(pie_file(), false);
    ASSERT_EQ(again.rc, 0);
    EXPECT_EQ(again.prog.load_bias, l.prog.load_bias);
    EXPECT_EQ(again.prog.rsp, l.prog.rsp);
    EXPECT_EQ(again.prog.mmap_base, l.prog.mmap_base);
}

struct Layout {
    uint64_t bias, stack_top, mmap_base, brk_start;
    bool operator==(const Layout&) const = default;
};
Layout layout_with_seed(uint64_t seed) {
    AddressSpaceEnv env(config_with_seed(seed));
    k::AddressSpace* as = env.create();
    env.load(as);
    const char* argv[] = {"pie"};
    k::ExecArgs args;
    args.argv = argv;
    args.argc = 1;
    k::LoadedProgram prog;
    const char* reason = nullptr;
    const auto& f = pie_file();
    const int64_t rc = env.run([&] { return k::elf_load(*as, f.data(), f.size(), args, &prog, &reason); });
    EXPECT_EQ(rc, 0) << (reason ? reason : "");
    env.destroy(as);
    return {prog.load_bias, prog.stack_top, prog.mmap_base, prog.brk_start};
}

TEST(ElfLoaderAslrTest, TheSeedDecidesTheLayout) {
    const Layout a = layout_with_seed(1), a2 = layout_with_seed(1), b = layout_with_seed(2);
    EXPECT_EQ(a, a2) << "same seed, same layout";
    EXPECT_NE(a.bias, b.bias);
    EXPECT_NE(a.stack_top, b.stack_top);
    EXPECT_NE(a.mmap_base, b.mmap_base);
    for (const Layout& l : {a, b}) {
        EXPECT_EQ(l.bias % kPage, 0u);
        EXPECT_EQ(l.stack_top % kPage, 0u);
        EXPECT_EQ(l.mmap_base % kPage, 0u);
        EXPECT_LT(l.mmap_base, l.stack_top);
    }
}

// ---------------------------------------------------------------- malformed images

TEST_F(ElfLoaderTest, TruncatedAnywhereInTheHeadersGivesEnoexec) {
    for (const auto* f : {&static_file(), &pie_file()}) {
        const elf::Ehdr eh = ehdr_of(*f);
        const size_t headers_end = eh.e_phoff + size_t{eh.e_phnum} * sizeof(elf::Phdr);
        for (size_t len = 0; len <= headers_end; ++len) {
            std::string why;
            ASSERT_EQ(validate(*f, len, &why), -lx::kEnoexec) << "truncated at " << len;
            EXPECT_FALSE(why.empty());
        }
    }
}

TEST_F(ElfLoaderTest, TruncatedInsideASegmentGivesEnoexec) {
    for (const auto* f : {&static_file(), &pie_file()}) {
        for (size_t i : load_indices(*f)) {
            const elf::Phdr p = phdrs_of(*f)[i];
            if (p.p_filesz == 0) continue;
            for (uint64_t cut : {p.p_offset + p.p_filesz - 1, p.p_offset + p.p_filesz / 2}) {
                if (cut < ehdr_of(*f).e_phoff + ehdr_of(*f).e_phnum * sizeof(elf::Phdr)) continue;
                std::string why;
                EXPECT_EQ(validate(*f, cut, &why), -lx::kEnoexec) << "cut at " << cut;
                EXPECT_EQ(why, "PT_LOAD bytes outside the file");
            }
        }
    }
    // And through elf_load: nothing is mapped.
    std::vector<uint8_t> cut(static_file().begin(), static_file().begin() + 0x1800);
    const Loaded l = load(cut);
    EXPECT_EQ(l.rc, -lx::kEnoexec);
    EXPECT_EQ(l.reason, "PT_LOAD bytes outside the file");
    EXPECT_EQ(l.as->vma_count(), 0u);
}

struct Mutation {
    const char* name;
    void (*apply)(std::vector<uint8_t>&);
    const char* reason;
};

void set_load(std::vector<uint8_t>& f, size_t nth, void (*edit)(elf::Phdr&, const std::vector<elf::Phdr>&, size_t)) {
    const auto loads = load_indices(f);
    auto ph = phdrs_of(f);
    edit(ph[loads[nth]], ph, loads[nth]);
    put_phdr(f, loads[nth], ph[loads[nth]]);
}

const Mutation kMutations[] = {
    {"bad magic", [](auto& f) { f[1] = 'X'; }, "bad ELF magic"},
    {"ELFCLASS32", [](auto& f) { f[elf::kEiClass] = 1; }, "not ELFCLASS64"},
    {"big-endian", [](auto& f) { f[elf::kEiData] = 2; }, "not little-endian"},
    {"ident version", [](auto& f) { f[elf::kEiVersion] = 0; }, "bad ELF version"},
    {"OS ABI", [](auto& f) { f[elf::kEiOsabi] = 9; }, "OS ABI not SYSV or GNU"},
    {"aarch64", [](auto& f) { auto e = ehdr_of(f); e.e_machine = 183; put_ehdr(f, e); }, "machine is not x86-64"},
    {"ET_REL", [](auto& f) { auto e = ehdr_of(f); e.e_type = 1; put_ehdr(f, e); }, "not ET_EXEC or ET_DYN"},
    {"e_ehsize", [](auto& f) { auto e = ehdr_of(f); e.e_ehsize = 52; put_ehdr(f, e); }, "bad e_ehsize"},
    {"e_phentsize", [](auto& f) { auto e = ehdr_of(f); e.e_phentsize = 32; put_ehdr(f, e); }, "bad e_phentsize"},
    {"e_phnum 0", [](auto& f) { auto e = ehdr_of(f); e.e_phnum = 0; put_ehdr(f, e); }, "bad e_phnum"},
    {"e_phnum PN_XNUM", [](auto& f) { auto e = ehdr_of(f); e.e_phnum = 0xffff; put_ehdr(f, e); }, "bad e_phnum"},
    {"e_phnum absurd", [](auto& f) { auto e = ehdr_of(f); e.e_phnum = 5000; put_ehdr(f, e); },
     "program header table too large"},
    {"e_phnum past the file", [](auto& f) { auto e = ehdr_of(f); e.e_phnum = 1100; put_ehdr(f, e); },
     "program header table outside the file"},
    {"phdrs beyond the file", [](auto& f) { auto e = ehdr_of(f); e.e_phoff = f.size() - 10; put_ehdr(f, e); },
     "program header table outside the file"},
    {"phoff wraps", [](auto& f) { auto e = ehdr_of(f); e.e_phoff = ~uint64_t{0} - 8; put_ehdr(f, e); },
     "program header table outside the file"},
    {"entry outside text",
     [](auto& f) { auto e = ehdr_of(f); e.e_entry = phdrs_of(f)[load_indices(f).back()].p_vaddr; put_ehdr(f, e); },
     "entry point outside every executable PT_LOAD"},
    {"filesz > memsz",
     [](auto& f) { set_load(f, 1, [](elf::Phdr& p, const auto&, size_t) { p.p_memsz = p.p_filesz - 1; }); },
     "PT_LOAD p_filesz > p_memsz"},
    {"offset past the file",
     [](auto& f) { set_load(f, 1, [](elf::Phdr& p, const auto&, size_t) { p.p_offset = ~uint64_t{0} - 0xfff; }); },
     "PT_LOAD bytes outside the file"},
    {"misaligned vaddr",
     [](auto& f) { set_load(f, 1, [](elf::Phdr& p, const auto&, size_t) { p.p_vaddr += 8; }); },
     "PT_LOAD p_vaddr != p_offset mod p_align"},
    {"p_align 3",
     [](auto& f) { set_load(f, 1, [](elf::Phdr& p, const auto&, size_t) { p.p_align = 3; }); },
     "PT_LOAD p_align not a power of two >= 4096"},
    {"p_align 16",
     [](auto& f) { set_load(f, 1, [](elf::Phdr& p, const auto&, size_t) { p.p_align = 16; }); },
     "PT_LOAD p_align not a power of two >= 4096"},
    {"overlapping segments",
     [](auto& f) {
         // The second PT_LOAD moved down a page (still congruent): onto the first one's bytes.
         set_load(f, 1, [](elf::Phdr& p, const auto&, size_t) { p.p_vaddr -= 0x1000; });
     },
     "PT_LOADs overlap or are not sorted"},
    {"segments sharing a page",
     [](auto& f) {
         // The second PT_LOAD starts mid-page (congruent), the first ends before it in that page.
         set_load(f, 1, [](elf::Phdr& p, const auto&, size_t) {
             p.p_vaddr += 0x800;
             p.p_offset += 0x800;
             p.p_filesz -= 0x800;
             p.p_memsz -= 0x800;
         });
         set_load(f, 0, [](elf::Phdr& p, const auto&, size_t) {
             p.p_memsz = (p.p_vaddr & ~uint64_t{0xfff}) + 0x1400 - p.p_vaddr;
         });
     },
     "PT_LOADs share a page"},
    {"unsorted segments",
     [](auto& f) {
         const auto loads = load_indices(f);
         auto ph = phdrs_of(f);
         put_phdr(f, loads[0], ph[loads[1]]);
         put_phdr(f, loads[1], ph[loads[0]]);
     },
     "PT_LOADs overlap or are not sorted"},
    {"segment past the user half",
     [](auto& f) {
         set_load(f, 1, [](elf::Phdr& p, const auto&, size_t) { p.p_vaddr = 0x0000'8000'0000'0000ull + (p.p_offset & 0xfff); });
     },
     "PT_LOAD outside the user half"},
    {"segment wraps",
     [](auto& f) { set_load(f, 1, [](elf::Phdr& p, const auto&, size_t) { p.p_memsz = ~uint64_t{0} - 0x100; }); },
     "PT_LOAD outside the user half"},
    {"no PT_LOAD",
     [](auto& f) {
         auto ph = phdrs_of(f);
         for (size_t i = 0; i < ph.size(); ++i)
             if (ph[i].p_type == elf::kPtLoad) {
                 ph[i].p_type = elf::kPtNote;
                 put_phdr(f, i, ph[i]);
             }
     },
     "no PT_LOAD"},
    {"two PT_INTERP",
     [](auto& f) {
         auto ph = phdrs_of(f);
         for (size_t i = 0, n = 0; i < ph.size() && n < 2; ++i)
             if (ph[i].p_type != elf::kPtLoad) {
                 ph[i].p_type = elf::kPtInterp;
                 ph[i].p_offset = 1;  // "ELF" is not NUL-terminated, but the second one is refused first
                 ph[i].p_filesz = 3;
                 put_phdr(f, i, ph[i]);
                 ++n;
             }
         // Make the first one valid: "LF\0"? Use e_ident padding (zeros) after "F".
         for (size_t i = 0; i < ph.size(); ++i)
             if (ph[i].p_type == elf::kPtInterp) {
                 ph[i].p_offset = 2;  // "LF" + EI_CLASS(2)... not NUL: set it to the zero padding
                 ph[i].p_offset = 9;
                 ph[i].p_filesz = 2;
                 put_phdr(f, i, ph[i]);
             }
     },
     "more than one PT_INTERP"},
    {"PT_INTERP not NUL-terminated",
     [](auto& f) {
         auto ph = phdrs_of(f);
         for (size_t i = 0; i < ph.size(); ++i)
             if (ph[i].p_type == elf::kPtGnuStack) {
                 ph[i].p_type = elf::kPtInterp;
                 ph[i].p_offset = 0;
                 ph[i].p_filesz = 4;  // "\x7f" "ELF"
                 put_phdr(f, i, ph[i]);
             }
     },
     "PT_INTERP not NUL-terminated"},
    {"PT_PHDR not the table",
     [](auto& f) {
         auto ph = phdrs_of(f);
         // Turn the first program header (a PT_LOAD or PT_PHDR) into a broken PT_PHDR? Use PT_GNU_STACK.
         for (size_t i = 0; i < ph.size(); ++i)
             if (ph[i].p_type == elf::kPtGnuStack) {
                 ph[i].p_type = elf::kPtPhdr;
                 ph[i].p_offset = ehdr_of(f).e_phoff + 8;
                 put_phdr(f, i, ph[i]);
             }
     },
     "PT_PHDR after a PT_LOAD"},
};

TEST_F(ElfLoaderTest, EachBrokenFieldGivesEnoexecAndItsReason) {
    for (const auto* f : {&static_file(), &pie_file()}) {
        for (const Mutation& m : kMutations) {
            SCOPED_TRACE(m.name);
            std::vector<uint8_t> bad = *f;
            m.apply(bad);
            std::string why;
            EXPECT_EQ(validate(bad, bad.size(), &why), -lx::kEnoexec);
            EXPECT_EQ(why, m.reason);
        }
    }
    // Through elf_load too, for one of them.
    std::vector<uint8_t> bad = static_file();
    kMutations[5].apply(bad);
    const Loaded l = load(bad);
    EXPECT_EQ(l.rc, -lx::kEnoexec);
    EXPECT_EQ(l.reason, "machine is not x86-64");
}

TEST_F(ElfLoaderTest, PtInterpIsRecordedAndItsPathReturned) {
    std::vector<uint8_t> f = static_file();
    const char* path = "hello from simx";  // the fixture's const greeting[], NUL-terminated in .rodata
    const auto it = std::search(f.begin(), f.end(), path, path + std::strlen(path) + 1);
    ASSERT_NE(it, f.end());
    auto ph = phdrs_of(f);
    for (size_t i = 0; i < ph.size(); ++i)
        if (ph[i].p_type == elf::kPtGnuStack) {
            ph[i].p_type = elf::kPtInterp;
            ph[i].p_offset = static_cast<uint64_t>(it - f.begin());
            ph[i].p_filesz = std::strlen(path) + 1;
            put_phdr(f, i, ph[i]);
        }
    k::ElfInfo info;
    std::string why;
    ASSERT_EQ(validate(f, f.size(), &why, &info), 0) << why;
    ASSERT_NE(info.interp, nullptr);
    EXPECT_STREQ(info.interp, path);
}

TEST_F(ElfLoaderTest, WriteExecuteSegmentsNeedTheSpaceToAllowThem) {
    std::vector<uint8_t> f = static_file();
    set_load(f, load_indices(f).size() - 1, [](elf::Phdr& p, const auto&, size_t) { p.p_flags |= elf::kPfX; });
    const Loaded refused = load(f);
    EXPECT_EQ(refused.rc, -lx::kEnoexec);
    EXPECT_EQ(refused.reason, "PT_LOAD both writable and executable (W^X)");
    EXPECT_EQ(refused.as->vma_count(), 0u);
    k::AddressSpaceOptions opts;
    opts.allow_write_execute = true;
    const Loaded allowed = load(f, true, opts);
    ASSERT_EQ(allowed.rc, 0) << allowed.reason;
    expect_image_matches(f, allowed);
}

TEST_F(ElfLoaderTest, ExecutableStackOnlyWhereWriteExecuteIsAllowed) {
    std::vector<uint8_t> f = static_file();
    auto ph = phdrs_of(f);
    for (size_t i = 0; i < ph.size(); ++i)
        if (ph[i].p_type == elf::kPtGnuStack) {
            ph[i].p_flags |= elf::kPfX;
            put_phdr(f, i, ph[i]);
        }
    const Loaded nx = load(f);
    ASSERT_EQ(nx.rc, 0) << nx.reason;
    EXPECT_TRUE(nx.prog.info.exec_stack);
    EXPECT_FALSE(env.touch(nx.as, nx.prog.rsp, AccessType::kFetch).ok);
    k::AddressSpaceOptions opts;
    opts.allow_write_execute = true;
    const Loaded x = load(f, true, opts);
    ASSERT_EQ(x.rc, 0) << x.reason;
    EXPECT_TRUE(env.touch(x.as, x.prog.rsp, AccessType::kFetch).ok);
}

// A PT_PHDR (first, as the gABI wants) naming the table where the first
// PT_LOAD maps it; then broken in each way.
std::vector<uint8_t> with_pt_phdr(const std::vector<uint8_t>& file, int64_t vaddr_delta, int64_t offset_delta) {
    std::vector<uint8_t> f = file;
    auto ph = phdrs_of(f);
    const elf::Ehdr eh = ehdr_of(f);
    size_t stack = ph.size();
    for (size_t i = 0; i < ph.size(); ++i)
        if (ph[i].p_type == elf::kPtGnuStack) stack = i;
    EXPECT_LT(stack, ph.size());
    elf::Phdr phdr{};
    phdr.p_type = elf::kPtPhdr;
    phdr.p_flags = elf::kPfR;
    phdr.p_offset = eh.e_phoff + static_cast<uint64_t>(offset_delta);
    const elf::Phdr& first = ph[load_indices(f)[0]];
    phdr.p_vaddr = first.p_vaddr + (eh.e_phoff - first.p_offset) + static_cast<uint64_t>(vaddr_delta);
    phdr.p_paddr = phdr.p_vaddr;
    phdr.p_filesz = phdr.p_memsz = ph.size() * sizeof(elf::Phdr);
    phdr.p_align = 8;
    ph.erase(ph.begin() + static_cast<std::ptrdiff_t>(stack));
    ph.insert(ph.begin(), phdr);
    for (size_t i = 0; i < ph.size(); ++i) put_phdr(f, i, ph[i]);
    return f;
}

TEST_F(ElfLoaderTest, PtPhdrMustDescribeTheMappedTable) {
    for (const auto* file : {&static_file(), &pie_file()}) {
        const std::vector<uint8_t> good = with_pt_phdr(*file, 0, 0);
        k::ElfInfo info;
        std::string why;
        ASSERT_EQ(validate(good, good.size(), &why, &info), 0) << why;
        EXPECT_EQ(info.phdr_vaddr, phdrs_of(good)[0].p_vaddr);
        const std::vector<uint8_t> moved = with_pt_phdr(*file, 0x10, 0);
        EXPECT_EQ(validate(moved, moved.size(), &why), -lx::kEnoexec);
        EXPECT_EQ(why, "PT_PHDR not inside a PT_LOAD");
        const std::vector<uint8_t> other = with_pt_phdr(*file, 0, 8);
        EXPECT_EQ(validate(other, other.size(), &why), -lx::kEnoexec);
        EXPECT_EQ(why, "PT_PHDR does not describe the table");
    }
    const Loaded l = load(with_pt_phdr(pie_file(), 0, 0));
    ASSERT_EQ(l.rc, 0) << l.reason;
    EXPECT_EQ(l.prog.phdr, phdrs_of(with_pt_phdr(pie_file(), 0, 0))[0].p_vaddr + l.prog.load_bias);
}

// Random corruption of the headers: ENOEXEC or success, never a crash (ASan
// checks the reads stay in the buffer).
TEST_F(ElfLoaderTest, RandomHeaderCorruptionNeverCrashes) {
    std::mt19937_64 rng(5);
    for (const auto* f : {&static_file(), &pie_file()}) {
        const elf::Ehdr eh = ehdr_of(*f);
        const size_t headers_end = eh.e_phoff + size_t{eh.e_phnum} * sizeof(elf::Phdr);
        for (int round = 0; round < 3000; ++round) {
            std::vector<uint8_t> bad = *f;
            const int flips = 1 + static_cast<int>(rng() % 4);
            for (int i = 0; i < flips; ++i) bad[rng() % headers_end] ^= static_cast<uint8_t>(1u << (rng() % 8));
            const size_t len = rng() % 4 ? bad.size() : rng() % bad.size();
            const int64_t rc = validate(bad, len);
            EXPECT_TRUE(rc == 0 || rc == -lx::kEnoexec) << rc;
        }
    }
}

}  // namespace

namespace {

// The same corruption through elf_load on fresh spaces: whatever the image
// says, the loader answers with 0 or -errno and leaves a consistent space.
TEST_F(ElfLoaderTest, RandomHeaderCorruptionThroughTheLoaderNeverCrashes) {
    std::mt19937_64 rng(11);
    int loaded = 0;
    for (const auto* f : {&static_file(), &pie_file()}) {
        const elf::Ehdr eh = ehdr_of(*f);
        const size_t headers_end = eh.e_phoff + size_t{eh.e_phnum} * sizeof(elf::Phdr);
        for (int round = 0; round < 150; ++round) {
            std::vector<uint8_t> bad = *f;
            for (int i = 0; i < 2; ++i) bad[rng() % headers_end] ^= static_cast<uint8_t>(1u << (rng() % 8));
            k::AddressSpace* as = env.create();
            ASSERT_NE(as, nullptr);
            env.load(as);
            const char* argv[] = {"fuzz"};
            k::ExecArgs args;
            args.argv = argv;
            args.argc = 1;
            k::LoadedProgram prog;
            const char* reason = nullptr;
            const int64_t rc = env.run([&] { return k::elf_load(*as, bad.data(), bad.size(), args, &prog, &reason); });
            EXPECT_LE(rc, 0);
            if (rc < 0) {
                EXPECT_NE(reason, nullptr);
            } else {
                ++loaded;
            }
            env.destroy(as);  // checks the space's invariants
        }
    }
    EXPECT_GT(loaded, 0) << "some corruptions are harmless (ignored fields)";
}

}  // namespace

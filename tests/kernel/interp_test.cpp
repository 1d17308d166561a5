// Dynamic linking in the ELF loader and exec (issue 6, item 5): a program
// with a PT_INTERP is loaded with its interpreter, musl's real loader
// (/lib/ld-musl-x86_64.so.1, the host's file from Debian's musl package, as
// the guest initramfs holds it), and a dynamically linked musl program
// (guest_userland's hello-dyn). Checked through CPU 0's simulated MMU: where
// the interpreter goes with and without ASLR, its bytes and rights, AT_BASE,
// AT_ENTRY and the entry point; and that a bad interpreter (missing, not
// executable, not ET_DYN, with a PT_INTERP of its own, truncated anywhere) is
// refused with the errno Linux gives and a reason that names it, never a crash.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "kernel/fs/file.h"
#include "kernel/fs/fs_abi.h"
#include "kernel/fs/vfs.h"
#include "kernel/lib/errno.h"
#include "kernel/mm/kernel_address_space.h"
#include "kernel/mm/layout.h"
#include "kernel/proc/aslr.h"
#include "kernel/proc/elf.h"
#include "kernel/proc/elf_loader.h"
#include "kernel/proc/exec.h"
#include "tests/kernel/address_space_fixture.h"
#include "tests/kernel/process_fixture.h"

using namespace simx;
using namespace simx::testing;
namespace k = kernel;
namespace elf = kernel::elf;
namespace lx = kernel::linux;

namespace {

constexpr const char* kInterpPath = "/lib/ld-musl-x86_64.so.1";

std::vector<uint8_t> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    EXPECT_TRUE(in.good()) << path;
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

const std::vector<uint8_t>& interp_file() {
    static const std::vector<uint8_t> f = read_file(std::string(SIMX_GUEST_ROOT_DIR) + kInterpPath);
    return f;
}
const std::vector<uint8_t>& dynamic_file() {
    static const std::vector<uint8_t> f = read_file(std::string(SIMX_GUEST_BIN_DIR) + "/hello-dyn");
    return f;
}
const std::vector<uint8_t>& static_file() {
    static const std::vector<uint8_t> f = read_file(SIMX_ELF_STATIC);
    return f;
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
void put_phdr(std::vector<uint8_t>& f, size_t i, const elf::Phdr& p) {
    std::memcpy(f.data() + ehdr_of(f).e_phoff + i * sizeof p, &p, sizeof p);
}
// [lowest page, end of the highest PT_LOAD rounded up to a page) of an image.
std::pair<uint64_t, uint64_t> span_of(const std::vector<uint8_t>& f) {
    uint64_t lo = ~uint64_t{0}, hi = 0;
    for (const elf::Phdr& p : phdrs_of(f))
        if (p.p_type == elf::kPtLoad && p.p_memsz) {
            lo = std::min(lo, p.p_vaddr & ~(kPage - 1));
            hi = std::max(hi, (p.p_vaddr + p.p_memsz + kPage - 1) & ~(kPage - 1));
        }
    return {lo, hi};
}

// The static fixture given a PT_INTERP (its PT_GNU_STACK turned into one)
// naming a NUL-terminated string already in the file: an ET_EXEC program
// with an interpreter, as `gcc -no-pie` links one.
std::vector<uint8_t> static_with_interp() {
    std::vector<uint8_t> f = static_file();
    const char* path = "hello from simx";
    const auto it = std::search(f.begin(), f.end(), path, path + std::strlen(path) + 1);
    EXPECT_NE(it, f.end());
    auto ph = phdrs_of(f);
    for (size_t i = 0; i < ph.size(); ++i)
        if (ph[i].p_type == elf::kPtGnuStack) {
            ph[i].p_type = elf::kPtInterp;
            ph[i].p_offset = static_cast<uint64_t>(it - f.begin());
            ph[i].p_filesz = std::strlen(path) + 1;
            put_phdr(f, i, ph[i]);
        }
    return f;
}

MachineConfig config_with_seed(uint64_t seed) {
    MachineConfig c = AddressSpaceEnv::default_config();
    c.seed = seed;
    return c;
}

struct Loaded {
    int64_t rc = 0;
    std::string reason;
    k::LoadedProgram prog;
    k::AddressSpace* as = nullptr;
};

class InterpTest : public ::testing::Test {
protected:
    explicit InterpTest(uint64_t seed = 1) : env(config_with_seed(seed)) {}
    void TearDown() override {
        for (k::AddressSpace* as : spaces) env.destroy(as);
        EXPECT_EQ(env.settled_free_frames(), env.baseline()) << "frames leaked";
    }

    // elf_load of `program` with `interp` (nullptr: none given), on a fresh space.
    Loaded load(const std::vector<uint8_t>& program, const std::vector<uint8_t>* interp, bool randomize = true,
                size_t interp_size = ~size_t{0}) {
        Loaded l;
        l.as = env.create();
        EXPECT_NE(l.as, nullptr);
        spaces.push_back(l.as);
        env.load(l.as);
        const char* argv[] = {"hello-dyn", "arg"};
        const char* envp[] = {"HOME=/"};
        k::ExecArgs args;
        args.argv = argv;
        args.argc = 2;
        args.envp = envp;
        args.envc = 1;
        args.randomize = randomize;
        // An exact-size copy, so ASan sees any read past a truncated end.
        std::vector<uint8_t> copy;
        k::ElfImage image;
        if (interp) {
            copy.assign(interp->begin(), interp->begin() + static_cast<std::ptrdiff_t>(std::min(interp_size, interp->size())));
            image.data = copy.data();
            image.size = copy.size();
        }
        const char* reason = nullptr;
        l.rc = env.run([&] {
            return k::elf_load(*l.as, program.data(), program.size(), args, &l.prog, &reason, interp ? &image : nullptr);
        });
        if (reason) l.reason = reason;
        if (l.rc < 0) {
            EXPECT_NE(reason, nullptr);
        }
        return l;
    }

    std::vector<uint8_t> read_user(k::AddressSpace* as, uint64_t va, size_t n) { return env.read_user(as, va, n); }
    uint64_t user64(k::AddressSpace* as, uint64_t va) { return env.user64(as, va); }

    // The auxiliary vector of a loaded program's initial stack.
    std::map<uint64_t, uint64_t> auxv(const Loaded& l) {
        uint64_t at = l.prog.rsp;
        const uint64_t argc = user64(l.as, at);
        at += 8 * (argc + 2);
        while (user64(l.as, at)) at += 8;  // envp
        at += 8;
        std::map<uint64_t, uint64_t> aux;
        for (int i = 0; i < 64; ++i, at += 16) {
            const uint64_t type = user64(l.as, at);
            if (type == elf::kAtNull) break;
            aux[type] = user64(l.as, at + 8);
        }
        return aux;
    }

    // Each PT_LOAD of `file` at bias: its bytes and its rights through the MMU.
    void expect_segments(const std::vector<uint8_t>& file, const Loaded& l, uint64_t bias) {
        for (const elf::Phdr& p : phdrs_of(file)) {
            if (p.p_type != elf::kPtLoad) continue;
            const uint64_t va = p.p_vaddr + bias;
            SCOPED_TRACE(::testing::Message() << "segment at " << std::hex << va);
            const auto bytes = read_user(l.as, va, p.p_filesz);
            EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), file.begin() + static_cast<std::ptrdiff_t>(p.p_offset)));
            const k::Vma* v = l.as->find_vma(va);
            ASSERT_NE(v, nullptr);
            uint32_t want = 0;
            if (p.p_flags & elf::kPfR) want |= lx::kProtRead;
            if (p.p_flags & elf::kPfW) want |= lx::kProtWrite;
            if (p.p_flags & elf::kPfX) want |= lx::kProtExec;
            EXPECT_EQ(v->prot, want);
            EXPECT_EQ(env.touch(l.as, va, AccessType::kFetch).ok, (p.p_flags & elf::kPfX) != 0);
            EXPECT_EQ(env.touch(l.as, va, AccessType::kWrite).ok, (p.p_flags & elf::kPfW) != 0);
        }
    }

    AddressSpaceEnv env;
    std::vector<k::AddressSpace*> spaces;
};

TEST_F(InterpTest, FixturesAreWhatTheTestsAssume) {
    ASSERT_GT(interp_file().size(), 100000u);
    ASSERT_GT(dynamic_file().size(), 4096u);
    EXPECT_EQ(ehdr_of(interp_file()).e_type, elf::kEtDyn);
    EXPECT_EQ(ehdr_of(dynamic_file()).e_type, elf::kEtDyn) << "musl-gcc links a PIE";
    k::ElfInfo info;
    const char* why = nullptr;
    ASSERT_EQ(env.run([&] { return k::elf_validate(dynamic_file().data(), dynamic_file().size(), &info, &why); }), 0);
    ASSERT_NE(info.interp, nullptr);
    EXPECT_STREQ(info.interp, kInterpPath);
    ASSERT_EQ(env.run([&] { return k::elf_validate(interp_file().data(), interp_file().size(), &info, &why); }), 0);
    EXPECT_EQ(info.interp, nullptr) << "musl's loader has no interpreter";
    EXPECT_EQ(span_of(interp_file()).first, 0u);
}

TEST_F(InterpTest, TheInterpreterGoesToTheTopOfTheMmapAreaAndRunsFirst) {
    const Loaded l = load(dynamic_file(), &interp_file());
    ASSERT_EQ(l.rc, 0) << l.reason;
    // The program: a PIE at ELF_ET_DYN_BASE + random, as Linux places one with an interpreter.
    const uint64_t dyn_base = env.run([] { return k::aslr::et_dyn_base(); });
    EXPECT_GE(l.prog.load_bias, dyn_base);
    EXPECT_LT(l.prog.load_bias, dyn_base + (k::aslr::kMmapRndPages << 12) + kPage);
    EXPECT_EQ(l.prog.program_entry, ehdr_of(dynamic_file()).e_entry + l.prog.load_bias);
    // The interpreter: right below the mmap base (its span reserved top-down).
    const auto [lo, hi] = span_of(interp_file());
    EXPECT_EQ(l.prog.interp_base % kPage, 0u);
    EXPECT_EQ(l.prog.interp_base + hi, l.prog.mmap_base);
    EXPECT_EQ(l.prog.entry, ehdr_of(interp_file()).e_entry + l.prog.interp_base) << "user code starts in the loader";
    EXPECT_FALSE(l.prog.interp_failed);
    EXPECT_EQ(l.prog.interp_info.type, elf::kEtDyn);
    expect_segments(dynamic_file(), l, l.prog.load_bias);
    expect_segments(interp_file(), l, l.prog.interp_base);
    EXPECT_TRUE(env.touch(l.as, l.prog.entry, AccessType::kFetch).ok);
    // The auxiliary vector: the program's headers and entry, the loader's base.
    const auto aux = auxv(l);
    EXPECT_EQ(aux.at(elf::kAtBase), l.prog.interp_base);
    EXPECT_EQ(aux.at(elf::kAtEntry), l.prog.program_entry);
    EXPECT_EQ(aux.at(elf::kAtPhdr), l.prog.phdr);
    EXPECT_EQ(aux.at(elf::kAtPhnum), ehdr_of(dynamic_file()).e_phnum);
    const auto table = read_user(l.as, aux.at(elf::kAtPhdr), ehdr_of(dynamic_file()).e_phnum * sizeof(elf::Phdr));
    EXPECT_TRUE(std::equal(table.begin(), table.end(),
                           dynamic_file().begin() + static_cast<std::ptrdiff_t>(ehdr_of(dynamic_file()).e_phoff)));
    // The heap follows the program, not the interpreter.
    EXPECT_LT(l.prog.brk_start, l.prog.interp_base);
    EXPECT_GE(l.prog.brk_start, l.prog.load_bias + span_of(dynamic_file()).second);
    // Nothing between the interpreter and the mmap base; mmap still finds room below it.
    const int64_t m = env.run([&] {
        return l.as->mmap(0, kPage, lx::kProtRead | lx::kProtWrite, lx::kMapPrivate | lx::kMapAnonymous);
    });
    EXPECT_EQ(static_cast<uint64_t>(m), l.prog.interp_base - kPage);
    env.check(l.as);
}

TEST_F(InterpTest, WithoutAslrTheLayoutIsFixed) {
    const Loaded a = load(dynamic_file(), &interp_file(), false);
    const Loaded b = load(dynamic_file(), &interp_file(), false);
    ASSERT_EQ(a.rc, 0) << a.reason;
    ASSERT_EQ(b.rc, 0) << b.reason;
    const uint64_t dyn_base = env.run([] { return k::aslr::et_dyn_base(); });
    const uint64_t user_end = env.run([] { return k::layout().user_end; });
    EXPECT_EQ(a.prog.load_bias, dyn_base);
    const uint64_t mmap_base = env.run([] {
        const k::AddressSpaceOptions o;
        return k::aslr::mmap_base(false, o.stack_limit, o.stack_guard_gap);
    });
    EXPECT_EQ(a.prog.mmap_base, mmap_base);
    EXPECT_EQ(a.prog.interp_base, mmap_base - span_of(interp_file()).second);
    if (user_end == 0x0000'7fff'ffff'f000ull) {
        // With the default 8 MiB stack limit: 128 MiB gap + 16 GiB stack randomization + 1 MiB guard.
        EXPECT_EQ(mmap_base, 0x7fff'ffff'f000ull - (uint64_t{128} << 20) - (uint64_t{16} << 30) - (uint64_t{1} << 20));
    }
    EXPECT_EQ(a.prog.interp_base, b.prog.interp_base);
    EXPECT_EQ(a.prog.entry, b.prog.entry);
    EXPECT_EQ(a.prog.rsp, b.prog.rsp);
}

uint64_t interp_base_with_seed(uint64_t seed) {
    AddressSpaceEnv env(config_with_seed(seed));
    k::AddressSpace* as = env.create();
    env.load(as);
    const char* argv[] = {"hello-dyn"};
    k::ExecArgs args;
    args.argv = argv;
    args.argc = 1;
    k::LoadedProgram prog;
    const char* reason = nullptr;
    const k::ElfImage image{interp_file().data(), interp_file().size()};
    const int64_t rc = env.run([&] {
        return k::elf_load(*as, dynamic_file().data(), dynamic_file().size(), args, &prog, &reason, &image);
    });
    EXPECT_EQ(rc, 0) << (reason ? reason : "");
    EXPECT_EQ(prog.interp_base + span_of(interp_file()).second, prog.mmap_base);
    env.destroy(as);
    return prog.interp_base;
}

TEST(InterpAslrTest, TheSeedDecidesWhereTheInterpreterGoes) {
    EXPECT_EQ(interp_base_with_seed(3), interp_base_with_seed(3));
    EXPECT_NE(interp_base_with_seed(3), interp_base_with_seed(4));
}

TEST_F(InterpTest, AnEtExecProgramWithAnInterpreterKeepsItsAddresses) {
    const std::vector<uint8_t> program = static_with_interp();
    const Loaded l = load(program, &interp_file());
    ASSERT_EQ(l.rc, 0) << l.reason;
    EXPECT_EQ(l.prog.load_bias, 0u);
    EXPECT_EQ(l.prog.program_entry, ehdr_of(program).e_entry);
    EXPECT_EQ(l.prog.entry, ehdr_of(interp_file()).e_entry + l.prog.interp_base);
    const auto aux = auxv(l);
    EXPECT_EQ(aux.at(elf::kAtEntry), ehdr_of(program).e_entry);
    EXPECT_EQ(aux.at(elf::kAtBase), l.prog.interp_base);
    expect_segments(program, l, 0);
    expect_segments(interp_file(), l, l.prog.interp_base);
}

TEST_F(InterpTest, WithoutAnInterpreterAtBaseIsZero) {
    const Loaded l = load(static_file(), nullptr);
    ASSERT_EQ(l.rc, 0) << l.reason;
    EXPECT_EQ(l.prog.interp_base, 0u);
    EXPECT_EQ(auxv(l).at(elf::kAtBase), 0u);
    EXPECT_EQ(l.prog.entry, l.prog.program_entry);
}

TEST_F(InterpTest, BadInterpretersAreRefusedWithAReason) {
    struct Case {
        const char* name;
        const std::vector<uint8_t>* interp;
        const char* reason;
    };
    std::vector<uint8_t> text(5000, 'x');
    std::vector<uint8_t> write_execute = interp_file();
    {
        auto ph = phdrs_of(write_execute);
        for (size_t i = 0; i < ph.size(); ++i)
            if (ph[i].p_type == elf::kPtLoad && (ph[i].p_flags & elf::kPfW)) {
                ph[i].p_flags |= elf::kPfX;
                put_phdr(write_execute, i, ph[i]);
            }
    }
    const Case cases[] = {
        {"an ET_EXEC", &static_file(), "not ET_DYN"},
        {"a program with its own PT_INTERP", &dynamic_file(), "has a PT_INTERP of its own"},
        {"a text file", &text, "bad ELF magic"},
        {"W+X", &write_execute, "PT_LOAD both writable and executable (W^X)"},
    };
    for (const Case& c : cases) {
        SCOPED_TRACE(c.name);
        const Loaded l = load(dynamic_file(), c.interp);
        EXPECT_EQ(l.rc, -lx::kEnoexec);
        EXPECT_EQ(l.reason, c.reason);
        EXPECT_TRUE(l.prog.interp_failed);
    }
    const Loaded none = load(dynamic_file(), nullptr);
    EXPECT_EQ(none.rc, -lx::kEnoexec);
    EXPECT_EQ(none.reason, "PT_INTERP but no interpreter image given");
    EXPECT_EQ(none.as->vma_count(), 0u) << "refused before anything was mapped";
}

TEST_F(InterpTest, ATruncatedInterpreterIsRefusedWhereverItIsCut) {
    const elf::Ehdr eh = ehdr_of(interp_file());
    const size_t headers_end = eh.e_phoff + size_t{eh.e_phnum} * sizeof(elf::Phdr);
    std::vector<size_t> cuts;
    for (size_t len = 0; len <= headers_end; len += 7) cuts.push_back(len);
    for (const elf::Phdr& p : phdrs_of(interp_file()))
        if (p.p_type == elf::kPtLoad && p.p_filesz) cuts.push_back(p.p_offset + p.p_filesz - 1);
    for (size_t cut : cuts) {
        SCOPED_TRACE(::testing::Message() << "cut at " << cut);
        const Loaded l = load(dynamic_file(), &interp_file(), true, cut);
        EXPECT_EQ(l.rc, -lx::kEnoexec);
        EXPECT_FALSE(l.reason.empty());
        EXPECT_TRUE(l.prog.interp_failed);
        env.check(l.as);
    }
}

// ---------------------------------------------------------------- through exec and the VFS

class InterpExecTest : public ::testing::Test {
protected:
    // A file in the VFS with `mode`, its parents made as needed.
    void put(const std::string& path, const std::vector<uint8_t>& data, uint32_t mode) {
        const int64_t rc = pe.run([&] {
            for (size_t slash = path.find('/', 1); slash != std::string::npos; slash = path.find('/', slash + 1)) {
                const int64_t r = k::vfs_mkdir(nullptr, path.substr(0, slash).c_str(), 0755);
                if (r < 0 && r != -lx::kEexist) return r;
            }
            k::File* f = nullptr;
            int64_t r = k::vfs_open(nullptr, path.c_str(), lx::kOWronly | lx::kOCreat | lx::kOTrunc, mode, &f);
            if (r < 0) return r;
            r = k::file_write(*f, data.data(), data.size());
            k::file_put(f);
            return r < 0 ? r : int64_t{0};
        });
        ASSERT_EQ(rc, 0) << path;
    }
    struct Result {
        int64_t rc;
        std::string reason;
    };
    Result exec(const std::string& path) {
        const char* argv[] = {path.c_str()};
        k::ExecArgs args;
        args.argv = argv;
        args.argc = 1;
        args.execfn = path.c_str();
        const char* reason = "";
        const int64_t rc = pe.run([&] {
            // The old space goes at the point of no return (exec leaves it there).
            return k::exec_file(*pe.process(), path.c_str(), args, &reason);
        });
        return {rc, reason ? reason : ""};
    }

    ProcessEnv pe;
};

TEST_F(InterpExecTest, ExecStartsADynamicProgramInItsInterpreter) {
    put(kInterpPath, interp_file(), 0755);
    put("/bin/hello-dyn", dynamic_file(), 0755);
    const Result r = exec("/bin/hello-dyn");
    ASSERT_EQ(r.rc, 0) << r.reason;
    k::AddressSpace* as = pe.process()->space;
    const uint64_t rip = pe.process()->entry_rip;
    const k::Vma* v = as->find_vma(rip);
    ASSERT_NE(v, nullptr);
    EXPECT_TRUE(v->prot & lx::kProtExec);
    EXPECT_GT(rip, as->options().mmap_base - span_of(interp_file()).second) << "in the loader, below the mmap base";
    EXPECT_LT(rip, as->options().mmap_base);
    EXPECT_EQ((rip - ehdr_of(interp_file()).e_entry) % kPage, 0u);
}

TEST_F(InterpExecTest, AMissingInterpreterIsEnoentNamingIt) {
    put("/bin/hello-dyn", dynamic_file(), 0755);
    k::AddressSpace* before = pe.process()->space;
    const Result r = exec("/bin/hello-dyn");
    EXPECT_EQ(r.rc, -lx::kEnoent);
    EXPECT_EQ(r.reason, std::string("cannot find the interpreter ") + kInterpPath);
    EXPECT_EQ(pe.process()->space, before) << "nothing changed before the point of no return";
}

TEST_F(InterpExecTest, ANonExecutableInterpreterIsEacces) {
    put(kInterpPath, interp_file(), 0644);
    put("/bin/hello-dyn", dynamic_file(), 0755);
    const Result r = exec("/bin/hello-dyn");
    EXPECT_EQ(r.rc, -lx::kEacces);
    EXPECT_EQ(r.reason, std::string("the interpreter ") + kInterpPath + ": not executable");
}

TEST_F(InterpExecTest, ABadInterpreterIsEnoexecNamingIt) {
    put(kInterpPath, static_file(), 0755);
    put("/bin/hello-dyn", dynamic_file(), 0755);
    k::AddressSpace* before = pe.process()->space;
    const Result r = exec("/bin/hello-dyn");
    EXPECT_EQ(r.rc, -lx::kEnoexec);
    EXPECT_EQ(r.reason, std::string("bad interpreter ") + kInterpPath + ": not ET_DYN");
    EXPECT_EQ(pe.process()->space, before);
    // A directory where the interpreter should be.
    pe.run([] { k::vfs_unlink(nullptr, kInterpPath); });
    pe.run([] { k::vfs_mkdir(nullptr, kInterpPath, 0755); });
    const Result d = exec("/bin/hello-dyn");
    EXPECT_EQ(d.rc, -lx::kEacces);
    EXPECT_EQ(d.reason, std::string("cannot read the interpreter ") + kInterpPath);
}

}  // namespace

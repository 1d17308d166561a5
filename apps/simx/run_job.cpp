#include "apps/simx/run_job.h"

#include <elf.h>
#include <fmt/format.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>

#include "apps/simx/cpio_writer.h"
#include "sim/hal/sim_hal.h"
#include "sim/machine/machine.h"
#include "sim/machine/sim_error.h"

namespace simx {
namespace {

std::vector<uint8_t> read_file(const std::string& path, const char* what) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw SimError(fmt::format("cannot open {} '{}'", what, path));
    std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw SimError(fmt::format("cannot read {} '{}'", what, path));
    return bytes;
}

// The PT_INTERP path of an ELF64 image, or "" when it has none. Anything
// malformed also gives "": the kernel's loader refuses it with the reason.
std::string interpreter_of(const std::vector<uint8_t>& image) {
    Elf64_Ehdr eh;
    if (image.size() < sizeof eh) return "";
    std::memcpy(&eh, image.data(), sizeof eh);
    if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
        eh.e_phentsize != sizeof(Elf64_Phdr))
        return "";
    for (uint32_t i = 0; i < eh.e_phnum; ++i) {
        const uint64_t at = eh.e_phoff + uint64_t{i} * sizeof(Elf64_Phdr);
        if (eh.e_phoff > image.size() || at > image.size() || image.size() - at < sizeof(Elf64_Phdr)) return "";
        Elf64_Phdr ph;
        std::memcpy(&ph, image.data() + at, sizeof ph);
        if (ph.p_type != PT_INTERP) continue;
        if (ph.p_offset > image.size() || ph.p_filesz > image.size() - ph.p_offset || ph.p_filesz < 2) return "";
        const char* path = reinterpret_cast<const char*>(image.data() + ph.p_offset);
        return std::string(path, strnlen(path, ph.p_filesz));
    }
    return "";
}

// One word of the kernel command line, quoted so spaces, quotes and
// backslashes survive (kernel/proc/command_line.h).
std::string quote(const std::string& word) {
    std::string out = "\"";
    for (char c : word) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

std::string program_name(const std::string& path) {
    std::string name = std::filesystem::path(path).filename().string();
    return name.empty() ? "program" : name;
}

uint64_t get(const StatsRegistry& s, const std::string& scope, const std::string& name) {
    return s.has(scope, name) ? s.value(scope, name) : 0;
}

// The counters a user reads first, one column per CPU and one for the process.
std::string report_table(const MachineConfig& config, const StatsRegistry& machine, const StatsRegistry& processes) {
    struct Column {
        std::string title;
        const StatsRegistry* registry;
        std::string scope;
    };
    std::vector<Column> columns;
    for (uint32_t c = 0; c < config.cpus; ++c) columns.push_back({fmt::format("cpu{}", c), &machine, fmt::format("cpu{}", c)});
    for (const std::string& scope : processes.scopes())
        if (scope != "kernel") columns.push_back({scope, &processes, scope});

    struct Row {
        const char* label;
        std::vector<std::string> names;  // summed
    };
    const std::vector<Row> rows = {
        {"instructions", {"cpu.instructions"}},
        {"cycles, user", {"cpu.cycles"}},
        {"cycles, kernel", {"kernel.cycles"}},
        {"  of which idle", {"kernel.idle_cycles"}},
        {"loads", {"cpu.loads"}},
        {"stores", {"cpu.stores", "cpu.rmws"}},
        {"iTLB accesses", {"tlb.itlb.accesses"}},
        {"iTLB misses", {"tlb.itlb.misses"}},
        {"dTLB accesses", {"tlb.dtlb.accesses"}},
        {"dTLB misses", {"tlb.dtlb.misses"}},
        {"STLB misses", {"tlb.stlb.misses"}},
        {"page walks", {"mmu.walks"}},
        {"walk cycles", {"mmu.walk_cycles"}},
        {"page faults (#PF)", {"mmu.page_faults"}},
        {"syscalls", {"kernel.syscalls"}},
        {"exceptions", {"kernel.exceptions"}},
        {"uaccess bytes", {"kernel.uaccess_bytes"}},
        {"context switches", {"kernel.context_switches"}},
        {"timer interrupts", {"kernel.timer_interrupts"}},
        {"IPIs sent", {"kernel.ipis_sent"}},
        {"IPIs received", {"kernel.ipis_received"}},
        {"CR3 writes", {"kernel.cr3_writes"}},
        {"INVLPG", {"kernel.invlpg"}},
        {"frames zeroed", {"kernel.frames_zeroed"}},
    };
    std::vector<std::vector<std::string>> cells;
    auto sum = [](const Column& c, const Row& r) {
        uint64_t v = 0;
        for (const std::string& n : r.names) v += get(*c.registry, c.scope, n);
        return v;
    };
    for (const Row& r : rows) {
        std::vector<std::string> line{r.label};
        for (const Column& c : columns) line.push_back(fmt::format("{}", sum(c, r)));
        cells.push_back(std::move(line));
    }
    // IPC over all cycles, user and kernel.
    {
        std::vector<std::string> line{"IPC"};
        for (const Column& c : columns) {
            const uint64_t insns = get(*c.registry, c.scope, "cpu.instructions");
            const uint64_t cycles = get(*c.registry, c.scope, "cpu.cycles") + get(*c.registry, c.scope, "kernel.cycles");
            line.push_back(cycles ? fmt::format("{:.3f}", static_cast<double>(insns) / static_cast<double>(cycles)) : "-");
        }
        cells.insert(cells.begin() + 4, std::move(line));
    }
    size_t label_width = 0;
    for (const auto& line : cells) label_width = std::max(label_width, line[0].size());
    std::vector<size_t> widths(columns.size(), 0);
    for (size_t i = 0; i < columns.size(); ++i) {
        widths[i] = columns[i].title.size();
        for (const auto& line : cells) widths[i] = std::max(widths[i], line[i + 1].size());
    }
    std::string out = fmt::format("{:<{}}", "", label_width);
    for (size_t i = 0; i < columns.size(); ++i) out += fmt::format("  {:>{}}", columns[i].title, widths[i]);
    out += "\n";
    for (const auto& line : cells) {
        out += fmt::format("{:<{}}", line[0], label_width);
        for (size_t i = 0; i < columns.size(); ++i) out += fmt::format("  {:>{}}", line[i + 1], widths[i]);
        out += "\n";
    }
    return out;
}

// The kernel's own counters of each process: faults by kind, syscalls by name;
// then the kernel's totals (TLB coherence, scheduling, futexes).
std::string report_process(const StatsRegistry& processes) {
    std::string out;
    for (const std::string& scope : processes.scopes()) {
        if (scope == "kernel") continue;
        std::string faults, calls, enosys;
        for (const auto& [name, counter] : processes.counters_of(scope)) {
            if (!*counter) continue;
            if (name.rfind("faults.", 0) == 0) faults += fmt::format(" {}={}", name.substr(7), *counter);
            else if (name.rfind("enosys.", 0) == 0) enosys += fmt::format(" {}x{}", name.substr(7), *counter);
            else if (name.rfind("syscalls.", 0) == 0 && name != "syscalls.total" && name != "syscalls.enosys")
                calls += fmt::format(" {}={}", name.substr(9), *counter);
        }
        out += fmt::format("{}: page faults:{}\n", scope, faults.empty() ? " none" : faults);
        out += fmt::format("{}: syscalls ({}):{}\n", scope, get(processes, scope, "syscalls.total"), calls.empty() ? " none" : calls);
        if (!enosys.empty()) out += fmt::format("{}: unimplemented syscalls (ENOSYS):{}\n", scope, enosys);
    }
    if (processes.has("kernel", "shootdown.requests")) {
        auto k = [&](const char* name) { return get(processes, "kernel", name); };
        out += fmt::format("kernel: TLB shootdowns {} ({} to other CPUs, {} CPUs interrupted), "
                           "CR3 loads {} ({} kept their PCID, {} flushed a stale one)\n",
                           k("shootdown.requests"), k("shootdown.remote_requests"), k("shootdown.remote_cpus"),
                           k("tlb.user_space_loads"), k("tlb.loads_kept_pcid"), k("tlb.loads_stale_flush"));
        out += fmt::format("kernel: context switches {}, preemptions {}, steals {}; futex waits {}, wakes {}, timeouts {}\n",
                           k("sched.switches"), k("sched.preemptions"), k("sched.steals"), k("futex.waits"),
                           k("futex.wakes"), k("futex.timeouts"));
    }
    return out;
}

}  // namespace

std::string run_command_line(const MachineConfig& config, const RunJobOptions& o) {
    std::string line = fmt::format("init=/host/{} initargv0={}", program_name(o.program), quote(o.program));
    if (config.kernel.allow_write_execute) line += " allow_write_execute";
    if (!o.randomize) line += " norandmaps";
    if (o.test_syscalls) line += " test_syscalls";
    for (const std::string& e : o.env) {
        if (e.find('=') == std::string::npos || e.front() == '=')
            throw SimError(fmt::format("--env '{}': expected NAME=VALUE", e));
        line += " " + quote(e);
    }
    line += " --";
    for (const std::string& a : o.args) line += " " + quote(a);
    if (line.size() >= hal::BootInfo::kMaxCommandLine)
        throw SimError(fmt::format("the program's arguments and environment take {} bytes of the kernel command line; "
                                   "at most {} fit",
                                   line.size(), hal::BootInfo::kMaxCommandLine - 1));
    return line;
}

std::vector<uint8_t> run_initramfs(const RunJobOptions& o) {
    std::vector<uint8_t> archive;
    if (!o.initramfs.empty()) archive = read_file(o.initramfs, "initramfs");
    const std::vector<uint8_t> program = read_file(o.program, "program");
    CpioWriter w;
    w.add_directory("host");
    w.add_file("host/" + program_name(o.program), program);
    // A dynamically linked program without an initramfs of the user's: the
    // host's interpreter at the same path, as qemu-user runs a program with the
    // host's loader (and the libraries it needs from the same place: only
    // musl's libc.so, which is its loader, for musl-gcc's programs).
    const std::string interp = interpreter_of(program);
    if (!interp.empty() && o.initramfs.empty()) {
        if (interp.front() != '/' || interp.find("/../") != std::string::npos)
            throw SimError(fmt::format("'{}' names the interpreter '{}', not an absolute path", o.program, interp));
        std::error_code ec;
        if (!std::filesystem::is_regular_file(interp, ec))
            throw SimError(fmt::format("'{}' is dynamically linked and needs the interpreter {}, which this host does "
                                       "not have (install it, or give --initramfs with it)",
                                       o.program, interp));
        const std::string relative = interp.substr(1);
        for (size_t slash = relative.find('/'); slash != std::string::npos; slash = relative.find('/', slash + 1))
            w.add_directory(relative.substr(0, slash));  // the kernel keeps an existing one
        w.add_file(relative, read_file(interp, "interpreter"));
    }
    const std::vector<uint8_t> ours = w.finish();
    archive.insert(archive.end(), ours.begin(), ours.end());
    return archive;
}

RunJobResult run_program(const MachineConfig& config, const RunJobOptions& options, std::istream& in,
                         std::ostream& out, std::ostream& err) {
    const std::string command_line = run_command_line(config, options);
    const std::vector<uint8_t> initramfs = run_initramfs(options);
    Machine machine(config);
    std::ostringstream kernel_log;
    SimHal hal(machine, kernel_log);
    hal.set_initrd(initramfs);
    hal.set_command_line(command_line);
    hal.set_terminal({&in, &out, &err});
    RunJobResult result;
    try {
        result.exit_status = hal.boot();
    } catch (const SimError& e) {
        throw SimError(fmt::format("{}\nkernel log:\n{}", e.what(), kernel_log.str()));
    }
    result.kernel_log = kernel_log.str();
    // What the kernel said about the program (a fault, a refused ELF): the
    // lines after boot that are not the kernel's own status lines.
    const std::string online = " CPUs online\n";
    const size_t booted = result.kernel_log.find(online);
    std::istringstream lines(booted == std::string::npos ? "" : result.kernel_log.substr(booted + online.size()));
    for (std::string line; std::getline(lines, line);)
        if (line.rfind("simx kernel:", 0) != 0) result.program_messages += line + "\n";
    result.report = report_table(config, machine.stats(), hal.process_stats()) + report_process(hal.process_stats());
    result.stats_json = fmt::format("{{\"machine\": {}, \"processes\": {}}}\n", machine.stats().json(),
                                    hal.process_stats().json());
    return result;
}

}  // namespace simx

// simx: the command-line program.
//
//   simx run     [machine options] [run options] PROGRAM [ARGS...]
//                                                      run an x86-64 Linux program
//   simx pattern [machine options] [pattern options]   drive the modeled MMU
//   simx boot    [machine options]                     boot the kernel and run its self-test
//   simx config  [machine options]                     print the effective machine
//
// Machine options (every command): --config FILE (INI machine file), --set KEY=VALUE
// (repeatable, wins over the file), --seed N, --cpus N, --stats-json FILE.
#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "apps/simx/pattern_job.h"
#include "apps/simx/run_job.h"
#include "sim/machine/config.h"
#include "sim/machine/machine.h"
#include "sim/machine/sim_error.h"
#include "sim/hal/sim_hal.h"

namespace po = boost::program_options;
using namespace simx;

namespace {

constexpr const char* kUsage =
    "usage: simx COMMAND [OPTIONS]\n"
    "\n"
    "commands:\n"
    "  run       run an x86-64 Linux program on the simulated machine, then print the counters\n"
    "  pattern   run a built-in access pattern on every CPU's MMU and print the counters\n"
    "  boot      boot the kernel on the simulated machine (it runs its self-test) and print the counters\n"
    "  config    print every machine key with its effective value\n"
    "\n"
    "Run 'simx COMMAND --help' for the options of a command.\n";

po::options_description machine_options() {
    po::options_description d("machine options");
    d.add_options()
        ("help,h", "show this help")
        ("config,c", po::value<std::string>()->default_value(""), "machine file (INI), e.g. machines/skylake-client.ini")
        ("set,s", po::value<std::vector<std::string>>()->composing(), "override one machine key: --set tlb.stlb.ways=16")
        ("seed", po::value<uint64_t>(), "random seed (machine.seed)")
        ("cpus", po::value<uint32_t>(), "number of CPUs (machine.cpus)")
        ("stats-json", po::value<std::string>(), "also write the counters as JSON to this file");
    return d;
}

MachineConfig machine_from(const po::variables_map& vm) {
    std::vector<std::string> sets;
    if (vm.count("set")) sets = vm["set"].as<std::vector<std::string>>();
    if (vm.count("seed")) sets.push_back(fmt::format("machine.seed={}", vm["seed"].as<uint64_t>()));
    if (vm.count("cpus")) {
        sets.push_back(fmt::format("machine.cpus={}", vm["cpus"].as<uint32_t>()));
        sets.push_back("machine.cpu_nodes=");  // a CPU-count change re-spreads CPUs over nodes
    }
    return load_machine_config(vm["config"].as<std::string>(), sets);
}

po::variables_map parse(const po::options_description& desc, int argc, char** argv) {
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv).options(desc).run(), vm);
    po::notify(vm);
    return vm;
}

void write_json(const po::variables_map& vm, Machine& machine) {
    if (!vm.count("stats-json")) return;
    const std::string path = vm["stats-json"].as<std::string>();
    std::ofstream out(path);
    out << machine.stats().json();
    if (!out) throw SimError(fmt::format("cannot write stats to '{}'", path));
}

int cmd_config(int argc, char** argv) {
    po::options_description desc = machine_options();
    po::variables_map vm = parse(desc, argc, argv);
    if (vm.count("help")) {
        std::cout << "usage: simx config [OPTIONS]\n\n" << desc;
        return 0;
    }
    std::cout << describe_machine_config(machine_from(vm));
    return 0;
}

int cmd_boot(int argc, char** argv) {
    po::options_description desc = machine_options();
    po::variables_map vm = parse(desc, argc, argv);
    if (vm.count("help")) {
        std::cout << "usage: simx boot [OPTIONS]\n\n" << desc;
        return 0;
    }
    Machine machine(machine_from(vm));
    SimHal hal(machine, std::cout);
    const int status = hal.boot();
    std::cout << "\nkernel exited with status " << status << "\n\n" << machine.stats().table();
    write_json(vm, machine);
    return status;
}

// Where simx's own options end and PROGRAM begins: the first word that is not
// an option or an option's value (or the word after "--").
int program_index(int argc, char** argv, const po::options_description& desc) {
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "--") return i + 1;
        if (a.empty() || a[0] != '-' || a == "-") return i;
        if (a.find('=') != std::string::npos) continue;
        const bool long_form = a.rfind("--", 0) == 0;
        const std::string name = long_form ? a.substr(2) : a.substr(1);
        const po::option_description* o = desc.find_nothrow(name, false, false, !long_form);
        if (o && o->semantic()->max_tokens() > 0 && !(!long_form && a.size() > 2)) ++i;  // its value
    }
    return argc;
}

int cmd_run(int argc, char** argv) {
    po::options_description desc = machine_options();
    po::options_description run("run options");
    run.add_options()
        ("env,e", po::value<std::vector<std::string>>()->composing(),
         "NAME=VALUE for the program's environment (repeatable; default HOME=/ TERM=linux)")
        ("initramfs", po::value<std::string>(), "a cpio newc archive unpacked into the root file system first")
        ("no-aslr", "turn address-space randomization off (the kernel's norandmaps)")
        ("kernel-log", "print the kernel's log to stderr after the run")
        ("quiet,q", "no counters report (the JSON file is still written)")
        ("test-syscalls", "enable the kernel's test-only syscalls (the SMAP probe)");
    desc.add(run);
    const int first = program_index(argc, argv, desc);
    po::variables_map vm = parse(desc, first, argv);
    if (vm.count("help") || first >= argc) {
        std::cout << "usage: simx run [OPTIONS] PROGRAM [ARGS...]\n\n"
                     "Boots the kernel on a fresh simulated machine and runs PROGRAM, an x86-64 Linux\n"
                     "ELF (static, static-PIE, or dynamically linked against musl: the host's loader\n"
                     "is packed with it), as pid 1 with this terminal's stdin, stdout and stderr. It\n"
                     "may fork, exec and wait; --cpus N runs its processes on N CPUs. Exits with the\n"
                     "program's status (128 + N if signal N killed it) and prints the counters of the\n"
                     "run to stderr.\n\n"
                  << desc;
        return vm.count("help") ? 0 : 2;
    }
    RunJobOptions o;
    o.program = argv[first];
    for (int i = first + 1; i < argc; ++i) o.args.push_back(argv[i]);
    if (vm.count("env")) o.env = vm["env"].as<std::vector<std::string>>();
    if (vm.count("initramfs")) o.initramfs = vm["initramfs"].as<std::string>();
    o.randomize = !vm.count("no-aslr");
    o.test_syscalls = vm.count("test-syscalls") != 0;
    const MachineConfig config = machine_from(vm);
    std::cout.flush();
    const RunJobResult r = run_program(config, o, std::cin, std::cout, std::cerr);
    std::cout.flush();
    std::cerr << (vm.count("kernel-log") ? r.kernel_log : r.program_messages);
    if (!vm.count("quiet")) {
        std::cerr << fmt::format("\nsimx run: {} exited with status {} ({}, {} CPUs, seed {})\n\n", o.program,
                                 r.exit_status, config.name, config.cpus, config.seed)
                  << r.report;
    }
    if (vm.count("stats-json")) {
        const std::string path = vm["stats-json"].as<std::string>();
        std::ofstream out(path);
        out << r.stats_json;
        if (!out) throw SimError(fmt::format("cannot write stats to '{}'", path));
    }
    return r.exit_status;
}

int cmd_pattern(int argc, char** argv) {
    po::options_description desc = machine_options();
    po::options_description job("pattern options");
    job.add_options()
        ("pattern,p", po::value<std::string>()->default_value("random"), "seq | stride | random | chase")
        ("footprint,f", po::value<std::string>()->default_value("64M"), "bytes touched per CPU (e.g. 64M, 1G)")
        ("page-size", po::value<std::string>()->default_value("4k"), "page size of the mapping: 4k | 2m | 1g")
        ("stride", po::value<std::string>()->default_value("4096"), "bytes between accesses for --pattern stride")
        ("accesses,n", po::value<uint64_t>()->default_value(1'000'000), "accesses per CPU")
        ("writes", po::value<unsigned>()->default_value(0), "percentage of accesses that are stores")
        ("levels", po::value<unsigned>()->default_value(4), "paging levels: 4 or 5 (LA57)")
        ("pcid", po::value<bool>()->default_value(true), "enable CR4.PCIDE, one PCID per CPU")
        ("data-cache", po::value<bool>()->default_value(true), "charge data loads through the cache hierarchy");
    desc.add(job);
    po::variables_map vm = parse(desc, argc, argv);
    if (vm.count("help")) {
        std::cout << "usage: simx pattern [OPTIONS]\n\n" << desc;
        return 0;
    }
    PatternJobOptions o;
    o.pattern = parse_pattern(vm["pattern"].as<std::string>());
    o.footprint = parse_byte_size(vm["footprint"].as<std::string>());
    o.page_size = parse_page_size(vm["page-size"].as<std::string>());
    o.stride = parse_byte_size(vm["stride"].as<std::string>());
    o.accesses = vm["accesses"].as<uint64_t>();
    o.write_percent = vm["writes"].as<unsigned>();
    o.levels = vm["levels"].as<unsigned>();
    o.pcid = vm["pcid"].as<bool>();
    o.data_cache = vm["data-cache"].as<bool>();

    Machine machine(machine_from(vm));
    PatternJobResult result = run_pattern_job(machine, o);
    std::cout << pattern_job_report(machine, o, result);
    write_json(vm, machine);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
        std::cout << kUsage;
        return argc < 2 ? 2 : 0;
    }
    const std::string command = argv[1];
    try {
        if (command == "run") return cmd_run(argc - 1, argv + 1);
        if (command == "pattern") return cmd_pattern(argc - 1, argv + 1);
        if (command == "config") return cmd_config(argc - 1, argv + 1);
        if (command == "boot") return cmd_boot(argc - 1, argv + 1);
        std::cerr << fmt::format("simx: unknown command '{}'\n\n{}", command, kUsage);
        return 2;
    } catch (const po::error& e) {
        std::cerr << fmt::format("simx {}: {}\n", command, e.what());
        return 2;
    } catch (const SimError& e) {
        std::cerr << fmt::format("simx {}: {}\n", command, e.what());
        return 1;
    }
}

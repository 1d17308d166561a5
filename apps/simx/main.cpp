// simx: the command-line program.
//
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

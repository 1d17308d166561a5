#include "sim/machine/config.h"

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>

#include "sim/machine/sim_error.h"

namespace po = boost::program_options;

namespace simx {

uint32_t MachineConfig::node_of_cpu(uint32_t index) const {
    if (index < cpu_node.size()) return cpu_node[index];
    return index % static_cast<uint32_t>(memory.node_bytes.size());
}

uint64_t MachineConfig::total_ram() const {
    uint64_t total = 0;
    for (uint64_t b : memory.node_bytes) total += b;
    return total;
}

namespace {

std::string trim(std::string s) {
    size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return s.substr(b, e - b);
}

std::vector<std::string> split_commas(const std::string& s) {
    std::vector<std::string> parts;
    std::string cur;
    for (char c : s) {
        if (c == ',') { parts.push_back(trim(cur)); cur.clear(); }
        else cur += c;
    }
    parts.push_back(trim(cur));
    return parts;
}

uint64_t parse_u64(const std::string& text) {
    std::string t = trim(text);
    uint64_t v = 0;
    int base = 10;
    const char* b = t.data();
    const char* e = t.data() + t.size();
    if (t.size() > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X')) { base = 16; b += 2; }
    auto [p, ec] = std::from_chars(b, e, v, base);
    if (t.empty() || ec != std::errc() || p != e) throw SimError(fmt::format("'{}' is not an unsigned integer", text));
    return v;
}

bool parse_bool(const std::string& text) {
    std::string t = trim(text);
    if (t == "1" || t == "true" || t == "on" || t == "yes") return true;
    if (t == "0" || t == "false" || t == "off" || t == "no") return false;
    throw SimError(fmt::format("'{}' is not a boolean (true/false/on/off/1/0)", text));
}

// One recognised key: how to read it into the config and how to print it back.
struct Binding {
    std::string key;
    std::function<void(MachineConfig&, const std::string&)> set;
    std::function<std::string(const MachineConfig&)> get;
};

template <typename T, typename Member>
Binding number_key(std::string key, Member member) {
    return {std::move(key),
            [member](MachineConfig& c, const std::string& v) {
                uint64_t n = parse_u64(v);
                if (n > std::numeric_limits<T>::max()) throw SimError(fmt::format("{} is too large", n));
                member(c) = static_cast<T>(n);
            },
            [member](const MachineConfig& c) { return fmt::format("{}", member(const_cast<MachineConfig&>(c))); }};
}

template <typename Member>
Binding string_key(std::string key, Member member) {
    return {std::move(key), [member](MachineConfig& c, const std::string& v) { member(c) = trim(v); },
            [member](const MachineConfig& c) { return member(const_cast<MachineConfig&>(c)); }};
}

template <typename Member>
Binding bool_key(std::string key, Member member) {
    return {std::move(key), [member](MachineConfig& c, const std::string& v) { member(c) = parse_bool(v); },
            [member](const MachineConfig& c) { return std::string(member(const_cast<MachineConfig&>(c)) ? "true" : "false"); }};
}

template <typename Member>
Binding size_key(std::string key, Member member) {
    return {std::move(key), [member](MachineConfig& c, const std::string& v) { member(c) = parse_byte_size(v); },
            [member](const MachineConfig& c) { return fmt::format("{}", member(const_cast<MachineConfig&>(c))); }};
}

void add_array_keys(std::vector<Binding>& out, const std::string& prefix,
                    std::function<TlbArrayConfig&(MachineConfig&)> arr) {
    out.push_back(number_key<uint32_t>(prefix + ".entries", [arr](MachineConfig& c) -> uint32_t& { return arr(c).entries; }));
    out.push_back(number_key<uint32_t>(prefix + ".ways", [arr](MachineConfig& c) -> uint32_t& { return arr(c).ways; }));
    out.push_back(number_key<uint32_t>(prefix + ".latency", [arr](MachineConfig& c) -> uint32_t& { return arr(c).hit_latency; }));
    out.push_back(string_key(prefix + ".policy", [arr](MachineConfig& c) -> std::string& { return arr(c).policy; }));
}

void add_cache_keys(std::vector<Binding>& out, const std::string& prefix,
                    std::function<CacheLevelConfig&(MachineConfig&)> lvl) {
    out.push_back(size_key(prefix + ".size", [lvl](MachineConfig& c) -> uint64_t& { return lvl(c).size_bytes; }));
    out.push_back(number_key<uint32_t>(prefix + ".ways", [lvl](MachineConfig& c) -> uint32_t& { return lvl(c).ways; }));
    out.push_back(number_key<uint32_t>(prefix + ".latency", [lvl](MachineConfig& c) -> uint32_t& { return lvl(c).latency; }));
    out.push_back(string_key(prefix + ".policy", [lvl](MachineConfig& c) -> std::string& { return lvl(c).policy; }));
}

const std::vector<Binding>& bindings() {
    static const std::vector<Binding> table = [] {
        std::vector<Binding> b;
        b.push_back(string_key("machine.name", [](MachineConfig& c) -> std::string& { return c.name; }));
        b.push_back(number_key<uint32_t>("machine.cpus", [](MachineConfig& c) -> uint32_t& { return c.cpus; }));
        b.push_back({"machine.cpu_nodes",
                     [](MachineConfig& c, const std::string& v) {
                         c.cpu_node.clear();
                         if (trim(v).empty()) return;
                         for (const auto& p : split_commas(v)) c.cpu_node.push_back(static_cast<uint32_t>(parse_u64(p)));
                     },
                     [](const MachineConfig& c) { return fmt::format("{}", fmt::join(c.cpu_node, ",")); }});
        b.push_back(number_key<uint64_t>("machine.seed", [](MachineConfig& c) -> uint64_t& { return c.seed; }));
        b.push_back(number_key<uint64_t>("machine.frequency_mhz", [](MachineConfig& c) -> uint64_t& { return c.frequency_mhz; }));
        b.push_back(number_key<uint64_t>("machine.epoch_seconds", [](MachineConfig& c) -> uint64_t& { return c.epoch_seconds; }));
        b.push_back(number_key<uint64_t>("machine.quantum_cycles", [](MachineConfig& c) -> uint64_t& { return c.quantum_cycles; }));
        b.push_back({"memory.nodes",
                     [](MachineConfig& c, const std::string& v) {
                         c.memory.node_bytes.clear();
                         for (const auto& p : split_commas(v)) c.memory.node_bytes.push_back(parse_byte_size(p));
                     },
                     [](const MachineConfig& c) {
                         std::vector<std::string> parts;
                         for (uint64_t n : c.memory.node_bytes) parts.push_back(fmt::format("{}M", n >> 20));
                         return fmt::format("{}", fmt::join(parts, ","));
                     }});
        add_array_keys(b, "tlb.itlb_4k", [](MachineConfig& c) -> TlbArrayConfig& { return c.tlb.itlb_4k; });
        add_array_keys(b, "tlb.itlb_2m", [](MachineConfig& c) -> TlbArrayConfig& { return c.tlb.itlb_2m; });
        add_array_keys(b, "tlb.dtlb_4k", [](MachineConfig& c) -> TlbArrayConfig& { return c.tlb.dtlb_4k; });
        add_array_keys(b, "tlb.dtlb_2m", [](MachineConfig& c) -> TlbArrayConfig& { return c.tlb.dtlb_2m; });
        add_array_keys(b, "tlb.dtlb_1g", [](MachineConfig& c) -> TlbArrayConfig& { return c.tlb.dtlb_1g; });
        add_array_keys(b, "tlb.stlb", [](MachineConfig& c) -> TlbArrayConfig& { return c.tlb.stlb; });
        add_array_keys(b, "tlb.stlb_1g", [](MachineConfig& c) -> TlbArrayConfig& { return c.tlb.stlb_1g; });
        b.push_back(string_key("tlb.prefetcher", [](MachineConfig& c) -> std::string& { return c.tlb.prefetcher; }));
        b.push_back(number_key<uint32_t>("tlb.prefetch_degree", [](MachineConfig& c) -> uint32_t& { return c.tlb.prefetch_degree; }));
        add_array_keys(b, "psc.pml5", [](MachineConfig& c) -> TlbArrayConfig& { return c.psc.pml5; });
        add_array_keys(b, "psc.pml4", [](MachineConfig& c) -> TlbArrayConfig& { return c.psc.pml4; });
        add_array_keys(b, "psc.pdpt", [](MachineConfig& c) -> TlbArrayConfig& { return c.psc.pdpt; });
        add_array_keys(b, "psc.pd", [](MachineConfig& c) -> TlbArrayConfig& { return c.psc.pd; });
        add_cache_keys(b, "cache.l1d", [](MachineConfig& c) -> CacheLevelConfig& { return c.cache.l1d; });
        add_cache_keys(b, "cache.l2", [](MachineConfig& c) -> CacheLevelConfig& { return c.cache.l2; });
        add_cache_keys(b, "cache.llc", [](MachineConfig& c) -> CacheLevelConfig& { return c.cache.llc; });
        b.push_back(number_key<uint32_t>("cache.dram_latency", [](MachineConfig& c) -> uint32_t& { return c.cache.dram_latency; }));
        b.push_back(number_key<uint32_t>("cache.remote_dram_extra", [](MachineConfig& c) -> uint32_t& { return c.cache.remote_dram_extra; }));
        b.push_back(number_key<uint32_t>("mmu.phys_addr_bits", [](MachineConfig& c) -> uint32_t& { return c.mmu.phys_addr_bits; }));
        b.push_back(bool_key("mmu.la57", [](MachineConfig& c) -> bool& { return c.mmu.la57_supported; }));
        b.push_back(bool_key("mmu.pages_1g", [](MachineConfig& c) -> bool& { return c.mmu.pages_1g_supported; }));
        b.push_back(bool_key("mmu.pcid", [](MachineConfig& c) -> bool& { return c.mmu.pcid_supported; }));
        b.push_back(number_key<uint32_t>("mmu.walk_base_latency", [](MachineConfig& c) -> uint32_t& { return c.mmu.walk_base_latency; }));
        b.push_back(number_key<uint32_t>("mmu.fault_latency", [](MachineConfig& c) -> uint32_t& { return c.mmu.fault_latency; }));
        b.push_back(number_key<uint32_t>("costs.cr3_write", [](MachineConfig& c) -> uint32_t& { return c.costs.cr3_write; }));
        b.push_back(number_key<uint32_t>("costs.invlpg", [](MachineConfig& c) -> uint32_t& { return c.costs.invlpg; }));
        b.push_back(number_key<uint32_t>("costs.invpcid", [](MachineConfig& c) -> uint32_t& { return c.costs.invpcid; }));
        b.push_back(number_key<uint32_t>("costs.cr4_write", [](MachineConfig& c) -> uint32_t& { return c.costs.cr4_write; }));
        b.push_back(number_key<uint32_t>("costs.zero_4k", [](MachineConfig& c) -> uint32_t& { return c.costs.zero_4k; }));
        b.push_back(number_key<uint32_t>("costs.copy_4k", [](MachineConfig& c) -> uint32_t& { return c.costs.copy_4k; }));
        b.push_back(number_key<uint32_t>("costs.pause", [](MachineConfig& c) -> uint32_t& { return c.costs.pause; }));
        b.push_back(number_key<uint32_t>("costs.syscall", [](MachineConfig& c) -> uint32_t& { return c.costs.syscall; }));
        b.push_back(number_key<uint32_t>("costs.exception", [](MachineConfig& c) -> uint32_t& { return c.costs.exception; }));
        b.push_back(number_key<uint32_t>("costs.context_switch", [](MachineConfig& c) -> uint32_t& { return c.costs.context_switch; }));
        b.push_back(number_key<uint32_t>("costs.xsave", [](MachineConfig& c) -> uint32_t& { return c.costs.xsave; }));
        b.push_back(number_key<uint32_t>("costs.uaccess", [](MachineConfig& c) -> uint32_t& { return c.costs.uaccess; }));
        b.push_back(number_key<uint32_t>("costs.ipi_send", [](MachineConfig& c) -> uint32_t& { return c.costs.ipi_send; }));
        b.push_back(number_key<uint32_t>("costs.ipi_latency", [](MachineConfig& c) -> uint32_t& { return c.costs.ipi_latency; }));
        b.push_back(number_key<uint32_t>("cpu.alu", [](MachineConfig& c) -> uint32_t& { return c.cpu.alu; }));
        b.push_back(number_key<uint32_t>("cpu.branch", [](MachineConfig& c) -> uint32_t& { return c.cpu.branch; }));
        b.push_back(number_key<uint32_t>("cpu.stack", [](MachineConfig& c) -> uint32_t& { return c.cpu.stack; }));
        b.push_back(number_key<uint32_t>("cpu.mul", [](MachineConfig& c) -> uint32_t& { return c.cpu.mul; }));
        b.push_back(number_key<uint32_t>("cpu.div32", [](MachineConfig& c) -> uint32_t& { return c.cpu.div32; }));
        b.push_back(number_key<uint32_t>("cpu.div64", [](MachineConfig& c) -> uint32_t& { return c.cpu.div64; }));
        b.push_back(number_key<uint32_t>("cpu.rotate_carry", [](MachineConfig& c) -> uint32_t& { return c.cpu.rotate_carry; }));
        b.push_back(number_key<uint32_t>("cpu.shift_double", [](MachineConfig& c) -> uint32_t& { return c.cpu.shift_double; }));
        b.push_back(number_key<uint32_t>("cpu.bit_scan", [](MachineConfig& c) -> uint32_t& { return c.cpu.bit_scan; }));
        b.push_back(number_key<uint32_t>("cpu.locked", [](MachineConfig& c) -> uint32_t& { return c.cpu.locked; }));
        b.push_back(number_key<uint32_t>("cpu.string_line", [](MachineConfig& c) -> uint32_t& { return c.cpu.string_line; }));
        b.push_back(number_key<uint32_t>("cpu.cpuid", [](MachineConfig& c) -> uint32_t& { return c.cpu.cpuid; }));
        b.push_back(number_key<uint32_t>("cpu.rdtsc", [](MachineConfig& c) -> uint32_t& { return c.cpu.rdtsc; }));
        b.push_back(number_key<uint32_t>("cpu.system", [](MachineConfig& c) -> uint32_t& { return c.cpu.system; }));
        b.push_back(bool_key("cpu.fast_path", [](MachineConfig& c) -> bool& { return c.cpu.fast_path; }));
        b.push_back(bool_key("kernel.allow_write_execute",
                             [](MachineConfig& c) -> bool& { return c.kernel.allow_write_execute; }));
        return b;
    }();
    return table;
}

po::options_description make_description() {
    po::options_description desc("machine");
    for (const Binding& b : bindings()) desc.add_options()(b.key.c_str(), po::value<std::string>());
    return desc;
}

// What program_options reads of one line: the text before any '#', trimmed. It
// knows no other comment character, so ';' starts no comment.
std::string significant(const std::string& line) { return trim(line.substr(0, line.find('#'))); }

// Lines of each key in the file, in order (more than one when it repeats).
using KeyLines = std::map<std::string, std::vector<int>>;

// program_options reports keys but not lines; this maps each "section.key" of the
// file to the lines it was written on so every error can name both. Keys are
// built as program_options builds them: the section name exactly as written
// between the brackets, then a '.', then the trimmed key.
KeyLines key_lines(const std::string& text) {
    KeyLines lines;
    std::istringstream in(text);
    std::string line, prefix;
    for (int n = 1; std::getline(in, line); ++n) {
        std::string t = significant(line);
        if (t.empty()) continue;
        if (t.front() == '[' && t.back() == ']') {
            prefix = t.substr(1, t.size() - 2);
            if (!prefix.empty() && prefix.back() != '.') prefix += '.';
            continue;
        }
        auto eq = t.find('=');
        lines[prefix + trim(eq == std::string::npos ? t : t.substr(0, eq))].push_back(n);
    }
    return lines;
}

// First line of the file that program_options would reject as malformed: neither
// a [section] nor a key=value line.
int first_malformed_line(const std::string& text) {
    std::istringstream in(text);
    std::string line;
    for (int n = 1; std::getline(in, line); ++n) {
        std::string t = significant(line);
        if (t.empty() || (t.front() == '[' && t.back() == ']')) continue;
        if (t.find('=') == std::string::npos) return n;
    }
    return 0;
}

using Values = std::map<std::string, std::string>;

Values parse_ini(std::istream& in, const std::string& where, const KeyLines& lines,
                 const std::string& raw_text) {
    auto line_of = [&](const std::string& key) {
        auto it = lines.find(key);
        return it == lines.end() ? std::string(where) : fmt::format("{}:{}", where, it->second.front());
    };
    po::variables_map vm;
    try {
        po::store(po::parse_config_file(in, make_description(), /*allow_unregistered=*/false), vm);
    } catch (const po::unknown_option& e) {
        throw SimError(fmt::format("{}: unknown key '{}'", line_of(e.get_option_name()), e.get_option_name()));
    } catch (const po::multiple_occurrences& e) {
        // Name the line that repeats the key, and where it was first given.
        auto it = lines.find(e.get_option_name());
        if (it != lines.end() && it->second.size() > 1)
            throw SimError(fmt::format("{}:{}: key '{}' given more than once (first at line {})", where,
                                       it->second[1], e.get_option_name(), it->second[0]));
        throw SimError(fmt::format("{}: key '{}' given more than once", line_of(e.get_option_name()), e.get_option_name()));
    } catch (const po::invalid_syntax& e) {
        int n = first_malformed_line(raw_text);
        throw SimError(fmt::format("{}{}: malformed line ({})", where, n ? fmt::format(":{}", n) : "", e.what()));
    } catch (const po::error& e) {
        throw SimError(fmt::format("{}: {}", where, e.what()));
    }
    Values out;
    for (const auto& [k, v] : vm) out[k] = v.as<std::string>();
    return out;
}

void apply(MachineConfig& config, const Values& values, const std::string& where,
           const KeyLines& lines) {
    for (const Binding& b : bindings()) {
        auto it = values.find(b.key);
        if (it == values.end()) continue;
        try {
            b.set(config, it->second);
        } catch (const SimError& e) {
            auto ln = lines.find(b.key);
            std::string loc = ln == lines.end() ? where : fmt::format("{}:{}", where, ln->second.front());
            throw SimError(fmt::format("{}: bad value for key '{}': {}", loc, b.key, e.what()));
        }
    }
}

bool is_power_of_two(uint64_t v) { return v && !(v & (v - 1)); }

void check_array(const std::string& name, const TlbArrayConfig& a, bool may_be_empty) {
    if (a.entries == 0) {
        if (may_be_empty) return;
        throw SimError(fmt::format("{}.entries must be at least 1", name));
    }
    if (a.ways == 0 || a.entries % a.ways != 0)
        throw SimError(fmt::format("{}: ways ({}) must divide entries ({})", name, a.ways, a.entries));
    if (!is_power_of_two(a.entries / a.ways))
        throw SimError(fmt::format("{}: sets (entries/ways = {}) must be a power of two", name, a.entries / a.ways));
}

void check_cache(const std::string& name, const CacheLevelConfig& c) {
    if (c.ways == 0 || c.size_bytes == 0 || c.size_bytes % (64ull * c.ways) != 0)
        throw SimError(fmt::format("{}: size ({}) must be a non-zero multiple of 64 * ways ({})", name, c.size_bytes, c.ways));
    if (!is_power_of_two(c.size_bytes / 64 / c.ways))
        throw SimError(fmt::format("{}: sets (size/64/ways = {}) must be a power of two", name, c.size_bytes / 64 / c.ways));
}

}  // namespace

uint64_t parse_byte_size(const std::string& text) {
    std::string t = trim(text);
    if (t.empty()) throw SimError("empty size");
    uint64_t mult = 1;
    char last = static_cast<char>(std::toupper(static_cast<unsigned char>(t.back())));
    if (last == 'K' || last == 'M' || last == 'G' || last == 'T') {
        mult = last == 'K' ? 1ull << 10 : last == 'M' ? 1ull << 20 : last == 'G' ? 1ull << 30 : 1ull << 40;
        t.pop_back();
    }
    uint64_t n = 0;
    try {
        n = parse_u64(t);
    } catch (const SimError&) {
        throw SimError(fmt::format("'{}' is not a size (e.g. 4096, 64K, 512M, 2G)", text));
    }
    if (n != 0 && mult > UINT64_MAX / n) throw SimError(fmt::format("size '{}' overflows", text));
    return n * mult;
}

void MachineConfig::validate() const {
    if (cpus == 0 || cpus > 256) throw SimError(fmt::format("machine.cpus must be 1..256 (got {})", cpus));
    if (frequency_mhz == 0 || frequency_mhz > 100000)
        throw SimError(fmt::format("machine.frequency_mhz must be 1..100000 (got {})", frequency_mhz));
    if (quantum_cycles < 100 || quantum_cycles > 100'000'000)
        throw SimError(fmt::format("machine.quantum_cycles must be 100..100000000 (got {})", quantum_cycles));
    if (memory.node_bytes.empty() || memory.node_bytes.size() > 64)
        throw SimError("memory.nodes must list 1..64 node sizes");
    for (size_t i = 0; i < memory.node_bytes.size(); ++i)
        if (memory.node_bytes[i] == 0 || memory.node_bytes[i] % (2ull << 20) != 0)
            throw SimError(fmt::format("memory.nodes: node {} size must be a non-zero multiple of 2M", i));
    for (size_t i = 0; i < cpu_node.size(); ++i)
        if (cpu_node[i] >= memory.node_bytes.size())
            throw SimError(fmt::format("machine.cpu_nodes: cpu {} names node {}, but there are {} nodes", i,
                                       cpu_node[i], memory.node_bytes.size()));
    if (!cpu_node.empty() && cpu_node.size() != cpus)
        throw SimError(fmt::format("machine.cpu_nodes lists {} CPUs but machine.cpus is {}", cpu_node.size(), cpus));
    if (mmu.phys_addr_bits < 32 || mmu.phys_addr_bits > 52)
        throw SimError(fmt::format("mmu.phys_addr_bits must be 32..52 (got {})", mmu.phys_addr_bits));
    if (total_ram() > (uint64_t{1} << mmu.phys_addr_bits))
        throw SimError(fmt::format("memory.nodes total {} bytes exceeds 2^mmu.phys_addr_bits", total_ram()));
    check_array("tlb.itlb_4k", tlb.itlb_4k, false);
    check_array("tlb.itlb_2m", tlb.itlb_2m, true);
    check_array("tlb.dtlb_4k", tlb.dtlb_4k, false);
    check_array("tlb.dtlb_2m", tlb.dtlb_2m, true);
    check_array("tlb.dtlb_1g", tlb.dtlb_1g, true);
    check_array("tlb.stlb", tlb.stlb, true);
    check_array("tlb.stlb_1g", tlb.stlb_1g, true);
    check_array("psc.pml5", psc.pml5, true);
    check_array("psc.pml4", psc.pml4, true);
    check_array("psc.pdpt", psc.pdpt, true);
    check_array("psc.pd", psc.pd, true);
    check_cache("cache.l1d", cache.l1d);
    check_cache("cache.l2", cache.l2);
    check_cache("cache.llc", cache.llc);
    if (tlb.prefetcher != "none" && tlb.prefetcher != "next-page")
        throw SimError(fmt::format("tlb.prefetcher: unknown prefetcher '{}' (none, next-page)", tlb.prefetcher));
    // Policy names are checked where the arrays are built (sim/tlb/replacement.h).
}

MachineConfig load_machine_config(const std::string& ini_path, const std::vector<std::string>& overrides) {
    MachineConfig config;
    if (!ini_path.empty()) {
        std::ifstream file(ini_path);
        if (!file) throw SimError(fmt::format("cannot open machine file '{}'", ini_path));
        std::stringstream buf;
        buf << file.rdbuf();
        std::string text = buf.str();
        auto lines = key_lines(text);
        std::istringstream in(text);
        apply(config, parse_ini(in, ini_path, lines, text), ini_path, lines);
    }
    for (const std::string& ov : overrides) {
        auto eq = ov.find('=');
        if (eq == std::string::npos || trim(ov.substr(0, eq)).empty())
            throw SimError(fmt::format("--set '{}': expected KEY=VALUE", ov));
        std::string key = trim(ov.substr(0, eq));
        std::string text = key + "=" + ov.substr(eq + 1) + "\n";
        std::istringstream in(text);
        KeyLines none;
        apply(config, parse_ini(in, fmt::format("--set {}", key), none, text), fmt::format("--set {}", key), none);
    }
    config.validate();
    return config;
}

std::string describe_machine_config(const MachineConfig& config) {
    std::string out;
    for (const Binding& b : bindings()) out += fmt::format("{} = {}\n", b.key, b.get(config));
    return out;
}

}  // namespace simx

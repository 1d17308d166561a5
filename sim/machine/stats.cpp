#include "sim/machine/stats.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>

#include "sim/machine/sim_error.h"

namespace simx {

void StatsRegistry::add(const std::string& scope, const std::string& name, const uint64_t* counter) {
    if (has(scope, name)) throw SimError(fmt::format("stats: counter {}.{} registered twice", scope, name));
    entries_.push_back({scope, name, counter});
}

void StatsRegistry::add_value(const std::string& scope, const std::string& name, uint64_t value) {
    owned_.push_back(value);
    add(scope, name, &owned_.back());
}

bool StatsRegistry::has(const std::string& scope, const std::string& name) const {
    return std::any_of(entries_.begin(), entries_.end(),
                       [&](const Entry& e) { return e.scope == scope && e.name == name; });
}

uint64_t StatsRegistry::value(const std::string& scope, const std::string& name) const {
    for (const Entry& e : entries_)
        if (e.scope == scope && e.name == name) return *e.counter;
    throw SimError(fmt::format("stats: no counter {}.{}", scope, name));
}

uint64_t StatsRegistry::total(const std::string& name) const {
    uint64_t sum = 0;
    for (const Entry& e : entries_)
        if (e.name == name) sum += *e.counter;
    return sum;
}

std::vector<std::string> StatsRegistry::scopes() const {
    std::vector<std::string> out;
    for (const Entry& e : entries_)
        if (std::find(out.begin(), out.end(), e.scope) == out.end()) out.push_back(e.scope);
    return out;
}

std::vector<std::pair<std::string, const uint64_t*>> StatsRegistry::counters_of(const std::string& scope) const {
    std::vector<std::pair<std::string, const uint64_t*>> out;
    for (const Entry& e : entries_)
        if (e.scope == scope) out.emplace_back(e.name, e.counter);
    return out;
}

std::string StatsRegistry::table(bool keep_zero) const {
    std::vector<std::string> scope_list = scopes();
    // Names in first-registration order, each with its value per scope.
    std::vector<std::string> names;
    std::map<std::string, std::map<std::string, uint64_t>> cells;
    for (const Entry& e : entries_) {
        if (!cells.count(e.name)) names.push_back(e.name);
        cells[e.name][e.scope] = *e.counter;
    }
    // Group rows by the set of scopes they appear in, so per-CPU counters form one
    // table (cpu0 .. cpuN, total) and machine-wide ones another.
    std::vector<std::vector<std::string>> groups_scopes;
    std::vector<std::vector<std::string>> groups_rows;
    for (const std::string& n : names) {
        std::vector<std::string> s;
        for (const std::string& sc : scope_list)
            if (cells[n].count(sc)) s.push_back(sc);
        auto it = std::find(groups_scopes.begin(), groups_scopes.end(), s);
        if (it == groups_scopes.end()) {
            groups_scopes.push_back(s);
            groups_rows.push_back({n});
        } else {
            groups_rows[static_cast<size_t>(it - groups_scopes.begin())].push_back(n);
        }
    }
    std::string out;
    for (size_t g = 0; g < groups_scopes.size(); ++g) {
        const auto& cols = groups_scopes[g];
        bool with_total = cols.size() > 1;
        std::vector<std::string> rows;
        for (const std::string& n : groups_rows[g]) {
            bool nonzero = false;
            for (const auto& sc : cols) nonzero |= cells[n][sc] != 0;
            if (nonzero || keep_zero) rows.push_back(n);
        }
        if (rows.empty()) continue;
        size_t name_w = 7;
        for (const auto& n : rows) name_w = std::max(name_w, n.size());
        std::vector<size_t> col_w;
        for (const auto& sc : cols) {
            size_t w = sc.size();
            for (const auto& n : rows) w = std::max(w, fmt::format("{}", cells[n][sc]).size());
            col_w.push_back(w);
        }
        size_t total_w = 5;
        if (with_total)
            for (const auto& n : rows) {
                uint64_t t = 0;
                for (const auto& sc : cols) t += cells[n][sc];
                total_w = std::max(total_w, fmt::format("{}", t).size());
            }
        if (!out.empty()) out += "\n";
        out += fmt::format("{:<{}}", "counter", name_w);
        for (size_t i = 0; i < cols.size(); ++i) out += fmt::format("  {:>{}}", cols[i], col_w[i]);
        if (with_total) out += fmt::format("  {:>{}}", "total", total_w);
        out += "\n";
        for (const auto& n : rows) {
            out += fmt::format("{:<{}}", n, name_w);
            uint64_t t = 0;
            for (size_t i = 0; i < cols.size(); ++i) {
                out += fmt::format("  {:>{}}", cells[n][cols[i]], col_w[i]);
                t += cells[n][cols[i]];
            }
            if (with_total) out += fmt::format("  {:>{}}", t, total_w);
            out += "\n";
        }
    }
    return out;
}

namespace {

// An ordered tree of JSON objects built from dotted names.
struct JsonNode {
    std::vector<std::pair<std::string, JsonNode>> children;
    bool leaf = false;
    uint64_t value = 0;

    JsonNode& child(const std::string& key) {
        for (auto& [k, n] : children)
            if (k == key) return n;
        children.emplace_back(key, JsonNode{});
        return children.back().second;
    }

    void insert(const std::string& dotted, uint64_t v) {
        JsonNode* node = this;
        size_t start = 0;
        while (true) {
            size_t dot = dotted.find('.', start);
            std::string part = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
            node = &node->child(part);
            if (dot == std::string::npos) break;
            // A counter registered earlier under this prefix cannot also be a group.
            if (node->leaf)
                throw SimError(fmt::format("stats: '{}' is both a counter and a group", dotted.substr(0, dot)));
            start = dot + 1;
        }
        if (!node->children.empty())
            throw SimError(fmt::format("stats: '{}' is both a counter and a group", dotted));
        node->leaf = true;
        node->value = v;
    }

    void write(std::string& out, int indent) const {
        if (leaf) {
            out += fmt::format("{}", value);
            return;
        }
        out += "{\n";
        for (size_t i = 0; i < children.size(); ++i) {
            out += fmt::format("{:{}}\"{}\": ", "", indent + 2, children[i].first);
            children[i].second.write(out, indent + 2);
            out += i + 1 < children.size() ? ",\n" : "\n";
        }
        out += fmt::format("{:{}}}}", "", indent);
    }
};

}  // namespace

std::string StatsRegistry::json() const {
    JsonNode root;
    for (const Entry& e : entries_) root.insert(e.scope + "." + e.name, *e.counter);
    std::string out;
    root.write(out, 0);
    out += "\n";
    return out;
}

}  // namespace simx

// The stats registry (DESIGN.md "Counters").
//
// Components keep their counters as plain uint64_t fields, so the hot paths pay
// one increment and nothing else; each component registers the address of every
// counter once, under a scope ("cpu0", "cpu1", "machine") and a dotted name
// ("tlb.dtlb_4k.hits"). The registry only reads them when asked for a report.
// Invariant: a registered counter outlives the registry's last report.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <utility>
#include <vector>

namespace simx {

class StatsRegistry {
public:
    void add(const std::string& scope, const std::string& name, const uint64_t* counter);
    // A counter whose value the registry itself keeps (a job's summary figures).
    void add_value(const std::string& scope, const std::string& name, uint64_t value);

    // Value of one counter; throws SimError if it was never registered.
    uint64_t value(const std::string& scope, const std::string& name) const;
    bool has(const std::string& scope, const std::string& name) const;

    // Sum of a counter over every scope that has it.
    uint64_t total(const std::string& name) const;

    // Aligned table: one row per counter name, one column per scope, and a
    // "total" column when more than one scope holds the name. Zero rows are
    // kept when keep_zero, else dropped for readability.
    std::string table(bool keep_zero = false) const;

    // {"cpu0": {"tlb": {"dtlb_4k": {"hits": 12, ...}}}, ...}, keys in
    // registration order, so the output is byte-for-byte reproducible.
    std::string json() const;

    std::vector<std::string> scopes() const;
    // The counters registered under `scope`, in registration order.
    std::vector<std::pair<std::string, const uint64_t*>> counters_of(const std::string& scope) const;

private:
    struct Entry {
        std::string scope;
        std::string name;
        const uint64_t* counter;
    };
    std::vector<Entry> entries_;
    std::deque<uint64_t> owned_;  // deque: element addresses stay valid as it grows
};

}  // namespace simx

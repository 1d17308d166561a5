// The gtest fixture and generator helpers shared by the differential tests.
#pragma once

#include <gtest/gtest.h>
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "sim/cpu/cpu_state.h"
#include "tests/cpu/differential.h"

namespace simx::test {

using Make = std::function<std::optional<Case>(Generator&)>;

// Every family runs twice: against writable data pages (results), and against
// a layout with a read-only and a not-present page (faults: vector, error
// code, CR2, RIP and the registers at the fault, compared with the host).
class Differential : public ::testing::Test {
public:
    static void SetUpTestSuite() { harness_ = std::make_unique<Harness>(); }
    static void TearDownTestSuite() { harness_.reset(); }

    // Runs one form and reports its failures under `name`.
    void form(const std::string& name, const Make& make, unsigned default_cases = 2000) {
        Generator g(std::hash<std::string>{}(name), harness_->data_base());
        const unsigned cases = std::max(1u, cases_per_form(default_cases) / divisor_);
        const RunStats s = run_form(*harness_, g, cases, make);
        total_cases_ += s.cases;
        ++forms_;
        if (!s.failures.empty()) {
            ADD_FAILURE() << name << ": " << s.failures.size() << "+ failing cases of " << s.cases << "\n" << s.failures[0];
        }
    }
    static Harness& h() { return *harness_; }

protected:
    void TearDown() override {
        RecordProperty("forms", static_cast<int>(forms_));
        RecordProperty("cases", static_cast<int>(total_cases_));
        std::printf("[ harness  ] %u forms, %llu cases\n", forms_, static_cast<unsigned long long>(total_cases_));
    }

    unsigned forms_ = 0;
    uint64_t total_cases_ = 0;
    unsigned divisor_ = 1;
    static inline std::unique_ptr<Harness> harness_;
};

class DifferentialFaults : public Differential {
public:
    static void SetUpTestSuite() {
        harness_ = std::make_unique<Harness>(
            DataLayout{PageProtection::kReadWrite, PageProtection::kReadOnly, PageProtection::kNone});
    }
    DifferentialFaults() { divisor_ = 4; }
};

// Defines a family of forms run by both fixtures.
#define DIFFERENTIAL_FAMILY(Name)                                     \
    void family_##Name(Differential& t);                              \
    TEST_F(Differential, Name) { family_##Name(*this); }              \
    TEST_F(DifferentialFaults, Name) { family_##Name(*this); }        \
    void family_##Name(Differential& t)

constexpr unsigned kSizes[] = {1, 2, 4, 8};
inline const char* size_name(unsigned s) { return s == 1 ? "8" : s == 2 ? "16" : s == 4 ? "32" : "64"; }

inline uint64_t sext(uint64_t v, unsigned bytes) {
    if (bytes >= 8) return v;
    const unsigned sh = 64 - 8 * bytes;
    return static_cast<uint64_t>(static_cast<int64_t>(v << sh) >> sh);
}

// A register operand of `size`: for bytes, sometimes AH..BH.
inline ZydisRegister pick_reg(Generator& g, unsigned size, unsigned& id, uint32_t avoid = 0) {
    if (size == 1 && g.chance(20)) {
        id = static_cast<unsigned>(g.below(4));
        return high_byte(id);
    }
    id = g.reg_id(avoid);
    return gpr(id, size);
}

inline std::optional<Case> finish(Case c, const EncodeRequest& r) {
    auto bytes = encode(r);
    if (!bytes) return std::nullopt;
    c.code = *bytes;
    return c;
}

inline uint64_t size_mask(unsigned bytes) { return bytes >= 8 ? ~uint64_t{0} : (uint64_t{1} << (8 * bytes)) - 1; }

}  // namespace simx::test

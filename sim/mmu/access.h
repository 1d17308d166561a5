// What an access asks of the MMU and what it gets back: the access type and
// privilege (SDM 4.6: user-mode, explicit supervisor-mode, implicit
// supervisor-mode), the #PF error code bits (SDM 4.7), and the rights check that
// walks and TLB hits share.
#pragma once

#include <cstdint>

#include "sim/machine/types.h"
#include "sim/mmu/control_regs.h"

namespace simx {

enum class AccessType : uint8_t { kRead, kWrite, kFetch };

enum class Privilege : uint8_t {
    kUser,                // CPL = 3
    kSupervisor,          // CPL < 3, explicit access
    kImplicitSupervisor,  // e.g. a descriptor-table read, at any CPL: never AC-overridable
};

struct Access {
    AccessType type = AccessType::kRead;
    Privilege privilege = Privilege::kUser;
    bool ac = false;  // RFLAGS.AC at the time of the access

    static constexpr Access user(AccessType t) { return {t, Privilege::kUser, false}; }
    static constexpr Access supervisor(AccessType t, bool ac = false) { return {t, Privilege::kSupervisor, ac}; }
};

// #PF error code bits (SDM 4.7).
namespace pf {
inline constexpr uint32_t kPresent = 1u << 0;
inline constexpr uint32_t kWrite = 1u << 1;
inline constexpr uint32_t kUser = 1u << 2;
inline constexpr uint32_t kReserved = 1u << 3;
inline constexpr uint32_t kFetch = 1u << 4;
inline constexpr uint32_t kProtectionKey = 1u << 5;
}  // namespace pf

enum class FaultKind : uint8_t {
    kNone,
    kPageFault,          // #PF: error_code and cr2 are set
    kGeneralProtection,  // #GP(0): a non-canonical address, a bad CR or INVPCID operand
    kInvalidOpcode,      // #UD: e.g. INVPCID on a CPU without PCID support
};

// SDM 4.6: may this access use a translation with these combined rights?
constexpr bool access_allowed(const Rights& r, const Access& a, const ControlRegisters& cr) {
    const bool user_access = a.privilege == Privilege::kUser;
    // SMAP lets an explicit supervisor access with AC=1 touch user pages; never an implicit one.
    const bool smap_blocks = cr.smap() && !(a.privilege == Privilege::kSupervisor && a.ac);
    switch (a.type) {
        case AccessType::kFetch:
            if (cr.nxe() && r.no_exec) return false;
            if (user_access) return r.user;
            return !(r.user && cr.smep());
        case AccessType::kRead:
            if (user_access) return r.user;
            return !(r.user && smap_blocks);
        case AccessType::kWrite:
            if (user_access) return r.user && r.writable;
            if (r.user && smap_blocks) return false;
            return r.writable || !cr.wp();
    }
    return false;
}

// The error code of a #PF for this access (SDM 4.7). I/D is reported only when
// SMEP or NXE is on, as the SDM specifies.
constexpr uint32_t page_fault_error_code(const Access& a, const ControlRegisters& cr, bool present,
                                         bool reserved) {
    uint32_t ec = 0;
    if (present || reserved) ec |= pf::kPresent;
    if (a.type == AccessType::kWrite) ec |= pf::kWrite;
    if (a.privilege == Privilege::kUser) ec |= pf::kUser;
    if (reserved) ec |= pf::kReserved;
    if (a.type == AccessType::kFetch && (cr.smep() || cr.nxe())) ec |= pf::kFetch;
    return ec;
}

}  // namespace simx

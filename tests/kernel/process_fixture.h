// A booted memory core (address_space_fixture.h) plus a mounted root file
// system and a process whose address space is loaded on CPU 0 and current
// there: what the kernel's syscall and uaccess paths expect to find.
#pragma once

#include "kernel/fs/vfs.h"
#include "kernel/mm/kernel_address_space.h"
#include "kernel/proc/process.h"
#include "sim/machine/sim_error.h"
#include "tests/kernel/address_space_fixture.h"

namespace simx::testing {

class ProcessEnv {
public:
    explicit ProcessEnv(const MachineConfig& config = AddressSpaceEnv::default_config()) : env_(config) {
        process_ = env_.run([] {
            if (kernel::vfs_init() < 0) return static_cast<kernel::Process*>(nullptr);
            kernel::Process* p = kernel::process_create("test", 1, 0);
            if (!p) return p;
            p->space = kernel::AddressSpace::create({});
            kernel::set_current_process(p);
            kernel::activate_address_space(p->space);
            return p;
        });
    }
    ~ProcessEnv() {
        if (!process_) return;
        try {
            env_.run([&] {
                process_->space->check_invariants();
                kernel::set_current_process(nullptr);
                kernel::activate_address_space(nullptr);
                kernel::process_destroy(process_);
            });
        } catch (const SimError&) {
            // A test that made the kernel panic on purpose: the machine is stopped.
        }
    }
    ProcessEnv(const ProcessEnv&) = delete;
    ProcessEnv& operator=(const ProcessEnv&) = delete;

    AddressSpaceEnv& env() { return env_; }
    KernelMachine& km() { return env_.km(); }
    kernel::Process* process() { return process_; }
    kernel::AddressSpace& space() { return *process_->space; }

    template <typename Fn>
    auto run(Fn&& fn) {
        return env_.run(std::forward<Fn>(fn));
    }
    // mmap in the process's space (on CPU 0); the address or -errno.
    int64_t mmap(uint64_t length, uint32_t prot, uint32_t flags = kernel::linux::kMapPrivate | kernel::linux::kMapAnonymous) {
        return run([&] { return space().mmap(0, length, prot, flags); });
    }

private:
    AddressSpaceEnv env_;
    kernel::Process* process_ = nullptr;
};

}  // namespace simx::testing

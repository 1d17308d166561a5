// The thread of control of one simulated CPU's kernel code: a Boost.Context
// fiber with its own stack, resumed by the SimHal scheduler and yielding back
// to it at spin points.
//
// Two things plain fibers do not give us:
// - AddressSanitizer must be told about every stack switch, or a C++ exception
//   thrown on a fiber stack (a GuestFault, a SimError turned into a panic) makes
//   it report false stack errors; switches are annotated with
//   __sanitizer_start/finish_switch_fiber when ASan is on.
// - A fiber is never destroyed while suspended (that would force-unwind it
//   inside Boost, unannotated): a CPU that must stop (after a panic, or left
//   spinning when the run ends) is resumed once with abort() set, and the
//   yield point throws Abort, which unwinds to the fiber's top and ends it.
#pragma once

#include <boost/context/fiber.hpp>
#include <boost/context/fixedsize_stack.hpp>
#include <functional>
#include <optional>

namespace simx {

class CpuFiber {
public:
    static constexpr size_t kStackBytes = 512 * 1024;

    // Thrown at a yield point when the fiber is being stopped; caught at its top.
    struct Abort {};

    CpuFiber() = default;
    ~CpuFiber();
    CpuFiber(const CpuFiber&) = delete;
    CpuFiber& operator=(const CpuFiber&) = delete;

    // Prepares the fiber to run body; it starts at the first resume().
    void start(std::function<void()> body);
    // From the scheduler: runs the fiber until it yields or ends.
    void resume();
    // From inside the fiber: back to the scheduler until resumed. Throws Abort if
    // the fiber is resumed to be stopped.
    void yield();
    // From inside the fiber: back to the scheduler for good (after a panic). The
    // fiber is later stopped with abort(), which unwinds it from here.
    [[noreturn]] void leave();
    // From the scheduler: stops a suspended fiber by unwinding it.
    void abort();

    bool running() const { return started_ && !finished_; }
    bool finished() const { return finished_; }

private:
    void switch_to_scheduler(bool final);

    std::optional<boost::context::fiber> self_;       // the suspended fiber
    std::optional<boost::context::fiber> scheduler_;  // the suspended scheduler
    boost::context::stack_context stack_{};
    std::function<void()> body_;
    bool started_ = false;
    bool finished_ = false;
    bool abort_requested_ = false;
    // ASan bookkeeping: the scheduler's stack bounds and the fake stacks.
    const void* scheduler_stack_bottom_ = nullptr;
    size_t scheduler_stack_size_ = 0;
    void* scheduler_fake_stack_ = nullptr;
    void* fiber_fake_stack_ = nullptr;
};

}  // namespace simx

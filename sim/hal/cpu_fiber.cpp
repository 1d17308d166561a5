#include "sim/hal/cpu_fiber.h"

#include "sim/machine/sim_error.h"

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define SIMX_ASAN 1
#else
#define SIMX_ASAN 0
#endif

namespace ctx = boost::context;

namespace simx {
namespace {

// A stack allocator that tells the fiber where its stack is, for ASan.
struct RecordingStack {
    ctx::stack_context* out;
    ctx::fixedsize_stack inner{CpuFiber::kStackBytes};
    ctx::stack_context allocate() {
        ctx::stack_context s = inner.allocate();
        *out = s;
        return s;
    }
    void deallocate(ctx::stack_context& s) noexcept { inner.deallocate(s); }
};

}  // namespace

CpuFiber::~CpuFiber() {
    // A suspended fiber would be force-unwound by Boost; the owner stops fibers
    // with abort() first. If that did not happen, stop it here.
    if (running() && self_) abort();
}

void CpuFiber::start(std::function<void()> body) {
    if (running()) throw SimError("CpuFiber::start on a running fiber");
    body_ = std::move(body);
    started_ = true;
    finished_ = false;
    abort_requested_ = false;
    self_.emplace(std::allocator_arg, RecordingStack{&stack_}, [this](ctx::fiber&& scheduler) {
#if SIMX_ASAN
        __sanitizer_finish_switch_fiber(nullptr, &scheduler_stack_bottom_, &scheduler_stack_size_);
#endif
        scheduler_.emplace(std::move(scheduler));
        try {
            if (!abort_requested_) body_();
        } catch (const Abort&) {
        }
        finished_ = true;
        switch_to_scheduler(/*final=*/true);
        return std::move(*scheduler_);
    });
}

void CpuFiber::resume() {
    if (!running() || !self_) throw SimError("CpuFiber::resume of a fiber that is not suspended");
    ctx::fiber f = std::move(*self_);
    self_.reset();
#if SIMX_ASAN
    __sanitizer_start_switch_fiber(&scheduler_fake_stack_,
                                   static_cast<char*>(stack_.sp) - stack_.size, stack_.size);
#endif
    ctx::fiber back = std::move(f).resume();
#if SIMX_ASAN
    __sanitizer_finish_switch_fiber(scheduler_fake_stack_, nullptr, nullptr);
#endif
    if (back) self_.emplace(std::move(back));
}

void CpuFiber::switch_to_scheduler(bool final) {
#if SIMX_ASAN
    // A null save slot tells ASan this stack is finished with.
    __sanitizer_start_switch_fiber(final ? nullptr : &fiber_fake_stack_, scheduler_stack_bottom_,
                                   scheduler_stack_size_);
#else
    (void)final;
#endif
}

void CpuFiber::yield() {
    switch_to_scheduler(false);
    ctx::fiber s = std::move(*scheduler_);
    scheduler_.reset();
    ctx::fiber resumed_by = std::move(s).resume();
#if SIMX_ASAN
    __sanitizer_finish_switch_fiber(fiber_fake_stack_, &scheduler_stack_bottom_, &scheduler_stack_size_);
#endif
    scheduler_.emplace(std::move(resumed_by));
    if (abort_requested_) throw Abort{};
}

void CpuFiber::leave() {
    yield();
    // Only an abort resumes a fiber that left; yield() threw. Anything else is a
    // scheduler bug.
    throw Abort{};
}

void CpuFiber::abort() {
    if (!running()) return;
    abort_requested_ = true;
    resume();
    if (!finished_) throw SimError("a simulated CPU did not stop when aborted");
}

}  // namespace simx

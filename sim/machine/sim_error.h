// The one exception type the simulator throws for a condition it cannot model:
// a bad machine file, a physical access outside RAM, a broken guest page table
// that points outside RAM. The command-line program catches it, prints the
// message and exits non-zero; it is never a host crash.
#pragma once

#include <stdexcept>
#include <string>

namespace simx {

class SimError : public std::runtime_error {
public:
    explicit SimError(const std::string& what) : std::runtime_error(what) {}
};

}  // namespace simx

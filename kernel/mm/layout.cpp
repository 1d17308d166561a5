#include "kernel/mm/layout.h"

namespace kernel {
namespace {
const AddressSpaceLayout* g_layout = &kLayout4Level;
}

const AddressSpaceLayout& layout() { return *g_layout; }
void select_layout(bool five_level) { g_layout = five_level ? &kLayout5Level : &kLayout4Level; }

}  // namespace kernel

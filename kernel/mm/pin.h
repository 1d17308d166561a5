// Pinned user pages (Linux's pin_user_pages): the reference counting behind
// AddressSpace::pin_pages / unpin_pages.
//
// Invariant: an anonymous user frame's refcount is 1 for its mapping (while
// some PTE maps it) plus 1 per pin. Whoever drops the last reference frees it:
// the address space's unmap path (page_release_mapping) or the last unpin.
#pragma once

#include "kernel/mm/page.h"

namespace kernel {

// The unmap path drops the mapping's reference: true when that was the last
// and the caller must free the frame (refcount is then 1, as free_pages wants).
bool page_release_mapping(Page* page);

}  // namespace kernel

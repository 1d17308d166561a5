// Pinned user pages (Linux's pin_user_pages): the reference counting behind
// AddressSpace::pin_pages / unpin_pages.
//
// Invariant: an anonymous user frame's refcount is 1 for its mappings (while
// some PTE maps it: one reference however many PTEs, in however many address
// spaces since fork; mapcount counts those) plus 1 per pin. Whoever drops the
// last reference frees it: the unmap path of the space whose PTE was the last
// (page_release_mapping) or the last unpin. So refcount > 1 means pinned: fork
// copies such a frame for the child and a COW fault never reuses it.
#pragma once

#include "kernel/mm/page.h"

namespace kernel {

// The unmap path drops the mapping's reference: true when that was the last
// and the caller must free the frame (refcount is then 1, as free_pages wants).
bool page_release_mapping(Page* page);

}  // namespace kernel

#include "kernel/mm/rmap.h"

#include "kernel/lib/new.h"
#include "kernel/lib/panic.h"
#include "kernel/mm/address_space.h"
#include "kernel/mm/kmalloc.h"

namespace kernel {
namespace {

void* tagged(AnonObject* object) {
    return reinterpret_cast<void*>(reinterpret_cast<uintptr_t>(object) | kAnonMappingTag);
}

}  // namespace

AnonObject* anon_object_create() {
    void* memory = kmalloc(sizeof(AnonObject));
    return memory ? new (memory) AnonObject() : nullptr;
}

bool anon_link(AnonObject& object, AddressSpace& space, AnonLinks& links) {
    // Most frames of a space come from few objects: the list is short.
    bool linked = false;
    links.for_each([&](AnonLink& l) { linked |= l.object == &object; });
    if (linked) return true;
    void* memory = kmalloc(sizeof(AnonLink));
    if (!memory) return false;
    auto* link = new (memory) AnonLink();
    link->object = &object;
    link->space = &space;
    {
        SpinGuard guard(object.lock);
        object.links.push_back(*link);
    }
    links.push_back(*link);
    return true;
}

void anon_unlink_all(AnonLinks& links) {
    while (AnonLink* link = links.pop_front()) {
        AnonObject* object = link->object;
        bool last;
        {
            SpinGuard guard(object->lock);
            object->links.remove(*link);
            last = object->links.empty();
        }
        link->~AnonLink();
        kfree(link);
        if (!last) continue;
        // No space links it, so no PTE maps a frame recording it.
        KASSERT(__atomic_load_n(&object->pages, __ATOMIC_ACQUIRE) == 0, "anon object %p freed with %llu frames",
                static_cast<void*>(object), static_cast<unsigned long long>(object->pages));
        object->~AnonObject();
        kfree(object);
    }
}

void rmap_add_anon(Page& page, AddressSpace& space, u64 va) {
    KASSERT(!page.has(page_flag::kAnon) && page.mapcount == 0, "frame already mapped (flags %#x, mapcount %d)",
            page.flags, page.mapcount);
    AnonObject* object = space.anon_object();
    page.flags |= page_flag::kAnon;
    page.owner.anon.mapping = tagged(object);
    page.owner.anon.index = va >> kPageShift;
    __atomic_store_n(&page.mapcount, 1, __ATOMIC_RELEASE);
    __atomic_add_fetch(&object->pages, 1, __ATOMIC_ACQ_REL);
}

void rmap_add_mapping(Page& page) {
    const i32 before = __atomic_fetch_add(&page.mapcount, 1, __ATOMIC_ACQ_REL);
    KASSERT(page.has(page_flag::kAnon) && before > 0, "sharing a frame with mapcount %d (flags %#x)", before,
            page.flags);
}

bool rmap_remove(Page& page) {
    KASSERT(page.has(page_flag::kAnon), "unmapping a frame that is not anonymous (flags %#x)", page.flags);
    const i32 left = __atomic_sub_fetch(&page.mapcount, 1, __ATOMIC_ACQ_REL);
    KASSERT(left >= 0, "unmapping a frame with mapcount %d", left + 1);
    if (left > 0) return false;
    // The last PTE went: no other space can reach the frame to change it.
    AnonObject* object = rmap_anon_object(page);
    __atomic_sub_fetch(&object->pages, 1, __ATOMIC_ACQ_REL);
    page.flags &= ~page_flag::kAnon;
    page.owner = Page::Owner{};
    return true;
}

void rmap_move_anon(Page& page, AnonObject& object) {
    KASSERT(page.has(page_flag::kAnon) && page.mapcount == 1, "moving a frame with mapcount %d", page.mapcount);
    AnonObject* from = rmap_anon_object(page);
    if (from == &object) return;
    __atomic_sub_fetch(&from->pages, 1, __ATOMIC_ACQ_REL);
    __atomic_add_fetch(&object.pages, 1, __ATOMIC_ACQ_REL);
    page.owner.anon.mapping = tagged(&object);
}

AnonObject* rmap_anon_object(const Page& page) {
    if (!page.has(page_flag::kAnon)) return nullptr;
    const auto t = reinterpret_cast<uintptr_t>(page.owner.anon.mapping);
    KASSERT(t & kAnonMappingTag, "anonymous frame without the anon tag");
    return reinterpret_cast<AnonObject*>(t & ~kAnonMappingTag);
}

u64 rmap_anon_address(const Page& page) { return page.owner.anon.index << kPageShift; }

}  // namespace kernel

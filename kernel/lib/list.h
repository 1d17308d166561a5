// An intrusive, circular, doubly linked list (the Linux list_head shape): the
// node lives inside the object, so linking never allocates. A ListNode that is
// not on a list points at itself.
#pragma once

#include "kernel/lib/panic.h"
#include "kernel/lib/types.h"

namespace kernel {

struct ListNode {
    ListNode* prev = this;
    ListNode* next = this;

    ListNode() = default;
    ListNode(const ListNode&) = delete;
    ListNode& operator=(const ListNode&) = delete;

    bool linked() const { return next != this; }
    void unlink() {
        prev->next = next;
        next->prev = prev;
        prev = next = this;
    }
};

// A list of T linked through the member T::*Node.
template <typename T, ListNode T::*Node>
class IntrusiveList {
public:
    IntrusiveList() = default;
    IntrusiveList(const IntrusiveList&) = delete;
    IntrusiveList& operator=(const IntrusiveList&) = delete;

    bool empty() const { return head_.next == &head_; }
    usize size() const { return size_; }

    void push_front(T& item) { insert_after(head_, item); }
    void push_back(T& item) { insert_after(*head_.prev, item); }

    T* front() { return empty() ? nullptr : owner(head_.next); }
    T* back() { return empty() ? nullptr : owner(head_.prev); }

    T* pop_front() {
        T* t = front();
        if (t) remove(*t);
        return t;
    }
    T* pop_back() {
        T* t = back();
        if (t) remove(*t);
        return t;
    }

    void remove(T& item) {
        ListNode& n = item.*Node;
        KASSERT(n.linked(), "removing an unlinked node");
        n.unlink();
        --size_;
    }

    // Walks the list; fn may not unlink other nodes than the one it is given.
    template <typename Fn>
    void for_each(Fn&& fn) {
        for (ListNode* n = head_.next; n != &head_;) {
            ListNode* next = n->next;
            fn(*owner(n));
            n = next;
        }
    }
    template <typename Fn>
    void for_each(Fn&& fn) const {
        for (const ListNode* n = head_.next; n != &head_; n = n->next) fn(*owner(const_cast<ListNode*>(n)));
    }

    // True if item is on this list (a linear walk: for checkers).
    bool contains(const T& item) const {
        for (const ListNode* n = head_.next; n != &head_; n = n->next)
            if (n == &(item.*Node)) return true;
        return false;
    }

private:
    static T* owner(ListNode* n) {
        // offsetof for a pointer to member, computed on a fake object address.
        const auto offset = reinterpret_cast<uintptr_t>(&(reinterpret_cast<T*>(uintptr_t{4096})->*Node)) - 4096;
        return reinterpret_cast<T*>(reinterpret_cast<uintptr_t>(n) - offset);
    }
    void insert_after(ListNode& where, T& item) {
        ListNode& n = item.*Node;
        KASSERT(!n.linked(), "inserting a node that is already on a list");
        n.prev = &where;
        n.next = where.next;
        where.next->prev = &n;
        where.next = &n;
        ++size_;
    }

    ListNode head_;
    usize size_ = 0;
};

}  // namespace kernel

// An intrusive AVL tree (Adelson-Velsky and Landis 1962): the node lives in the
// object, the tree allocates nothing, and lookups, inserts and removals are
// O(log n) worst case. Keys are unique; KeyOf(const T&) gives an object's key,
// compared with <. floor/ceiling serve interval lookups such as "the VMA that
// contains this address" (floor of the address, then a bounds check).
//
// Invariants (check_invariants): in-order keys strictly increase; each node's
// height is 1 + the larger child height and the two differ by at most one;
// parent pointers agree with child pointers; size() counts the nodes.
#pragma once

#include "kernel/lib/panic.h"
#include "kernel/lib/types.h"

namespace kernel {

struct AvlNode {
    AvlNode* left = nullptr;
    AvlNode* right = nullptr;
    AvlNode* parent = nullptr;
    i32 height = 0;  // 0 = not in a tree; a leaf has height 1
};

template <typename T, AvlNode T::*Node, typename KeyOf>
class AvlTree {
public:
    using Key = decltype(KeyOf{}(*static_cast<const T*>(nullptr)));

    AvlTree() = default;
    AvlTree(const AvlTree&) = delete;
    AvlTree& operator=(const AvlTree&) = delete;

    bool empty() const { return root_ == nullptr; }
    usize size() const { return size_; }

    // Inserts item; returns false (and changes nothing) if its key is present.
    bool insert(T& item) {
        AvlNode* n = &(item.*Node);
        KASSERT(n->height == 0, "inserting a node that is already in a tree");
        const Key key = KeyOf{}(item);
        AvlNode* parent = nullptr;
        AvlNode** link = &root_;
        while (*link) {
            parent = *link;
            const Key k = key_of(parent);
            if (key < k) link = &parent->left;
            else if (k < key) link = &parent->right;
            else return false;
        }
        n->left = n->right = nullptr;
        n->parent = parent;
        n->height = 1;
        *link = n;
        ++size_;
        rebalance_upwards(parent);
        return true;
    }

    void remove(T& item) {
        AvlNode* n = &(item.*Node);
        KASSERT(n->height != 0, "removing a node that is not in a tree");
        AvlNode* fix_from;
        if (n->left && n->right) {
            // Replace n by its in-order successor s (leftmost of the right subtree).
            AvlNode* s = n->right;
            while (s->left) s = s->left;
            fix_from = s->parent == n ? s : s->parent;
            if (s->parent != n) {
                replace_child(s->parent, s, s->right);
                if (s->right) s->right->parent = s->parent;
                s->right = n->right;
                s->right->parent = s;
            }
            s->left = n->left;
            s->left->parent = s;
            replace_child(n->parent, n, s);
            s->parent = n->parent;
            s->height = n->height;
        } else {
            AvlNode* child = n->left ? n->left : n->right;
            replace_child(n->parent, n, child);
            if (child) child->parent = n->parent;
            fix_from = n->parent;
        }
        n->left = n->right = n->parent = nullptr;
        n->height = 0;
        --size_;
        rebalance_upwards(fix_from);
    }

    T* find(const Key& key) const {
        AvlNode* n = root_;
        while (n) {
            const Key k = key_of(n);
            if (key < k) n = n->left;
            else if (k < key) n = n->right;
            else return owner(n);
        }
        return nullptr;
    }
    // The item with the greatest key <= key, or nullptr.
    T* floor(const Key& key) const {
        AvlNode* n = root_;
        AvlNode* best = nullptr;
        while (n) {
            if (key < key_of(n)) {
                n = n->left;
            } else {
                best = n;
                n = n->right;
            }
        }
        return best ? owner(best) : nullptr;
    }
    // The item with the smallest key >= key, or nullptr.
    T* ceiling(const Key& key) const {
        AvlNode* n = root_;
        AvlNode* best = nullptr;
        while (n) {
            if (key_of(n) < key) {
                n = n->right;
            } else {
                best = n;
                n = n->left;
            }
        }
        return best ? owner(best) : nullptr;
    }

    T* first() const { return root_ ? owner(leftmost(root_)) : nullptr; }
    T* last() const {
        AvlNode* n = root_;
        if (!n) return nullptr;
        while (n->right) n = n->right;
        return owner(n);
    }
    T* next(const T& item) const {
        const AvlNode* n = &(item.*Node);
        if (n->right) return owner(leftmost(n->right));
        while (n->parent && n->parent->right == n) n = n->parent;
        return n->parent ? owner(n->parent) : nullptr;
    }
    T* prev(const T& item) const {
        const AvlNode* n = &(item.*Node);
        if (n->left) {
            const AvlNode* m = n->left;
            while (m->right) m = m->right;
            return owner(m);
        }
        while (n->parent && n->parent->left == n) n = n->parent;
        return n->parent ? owner(n->parent) : nullptr;
    }

    void check_invariants() const {
        usize counted = 0;
        check_subtree(root_, nullptr, &counted);
        KASSERT(counted == size_, "avl: %zu nodes reachable, size says %zu", counted, size_);
        for (T* t = first(); t; t = next(*t)) {
            T* n = next(*t);
            KASSERT(!n || KeyOf{}(*t) < KeyOf{}(*n), "avl: keys out of order");
        }
    }

private:
    static i32 height(const AvlNode* n) { return n ? n->height : 0; }
    static void update_height(AvlNode* n) {
        const i32 l = height(n->left), r = height(n->right);
        n->height = 1 + (l > r ? l : r);
    }
    static AvlNode* leftmost(AvlNode* n) {
        while (n->left) n = n->left;
        return n;
    }
    static const AvlNode* leftmost(const AvlNode* n) {
        while (n->left) n = n->left;
        return n;
    }
    static T* owner(const AvlNode* n) {
        const auto offset = reinterpret_cast<uintptr_t>(&(reinterpret_cast<T*>(uintptr_t{4096})->*Node)) - 4096;
        return reinterpret_cast<T*>(reinterpret_cast<uintptr_t>(n) - offset);
    }
    static Key key_of(const AvlNode* n) { return KeyOf{}(*owner(n)); }

    void replace_child(AvlNode* parent, AvlNode* old_child, AvlNode* new_child) {
        if (!parent) root_ = new_child;
        else if (parent->left == old_child) parent->left = new_child;
        else parent->right = new_child;
    }

    // Rotates x's right child up into x's place; returns the new subtree root.
    AvlNode* rotate_left(AvlNode* x) {
        AvlNode* y = x->right;
        x->right = y->left;
        if (y->left) y->left->parent = x;
        replace_child(x->parent, x, y);
        y->parent = x->parent;
        y->left = x;
        x->parent = y;
        update_height(x);
        update_height(y);
        return y;
    }
    AvlNode* rotate_right(AvlNode* x) {
        AvlNode* y = x->left;
        x->left = y->right;
        if (y->right) y->right->parent = x;
        replace_child(x->parent, x, y);
        y->parent = x->parent;
        y->right = x;
        x->parent = y;
        update_height(x);
        update_height(y);
        return y;
    }

    // Restores heights and balance from n to the root (after an insert or a
    // removal below n); single or double rotations as the imbalance requires.
    void rebalance_upwards(AvlNode* n) {
        while (n) {
            update_height(n);
            const i32 balance = height(n->left) - height(n->right);
            if (balance > 1) {
                if (height(n->left->left) < height(n->left->right)) rotate_left(n->left);
                n = rotate_right(n);
            } else if (balance < -1) {
                if (height(n->right->right) < height(n->right->left)) rotate_right(n->right);
                n = rotate_left(n);
            }
            n = n->parent;
        }
    }

    i32 check_subtree(const AvlNode* n, const AvlNode* parent, usize* count) const {
        if (!n) return 0;
        ++*count;
        KASSERT(n->parent == parent, "avl: parent pointer mismatch");
        const i32 l = check_subtree(n->left, n, count);
        const i32 r = check_subtree(n->right, n, count);
        KASSERT(l - r <= 1 && r - l <= 1, "avl: unbalanced node (heights %d, %d)", l, r);
        KASSERT(n->height == 1 + (l > r ? l : r), "avl: stale height");
        return n->height;
    }

    AvlNode* root_ = nullptr;
    usize size_ = 0;
};

}  // namespace kernel

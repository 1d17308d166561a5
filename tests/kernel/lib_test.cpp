// kernel/lib containers against the standard library as a reference.
#include <gtest/gtest.h>

#include <map>
#include <random>
#include <vector>

#include "kernel/lib/avl_tree.h"
#include "kernel/lib/bitmap.h"
#include "kernel/lib/list.h"
#include "sim/machine/sim_error.h"
#include "tests/kernel/kernel_fixture.h"

namespace {

struct Item {
    uint64_t key = 0;
    kernel::AvlNode node;
    kernel::ListNode link;
};
struct KeyOfItem {
    uint64_t operator()(const Item& i) const { return i.key; }
};
using Tree = kernel::AvlTree<Item, &Item::node, KeyOfItem>;
using List = kernel::IntrusiveList<Item, &Item::link>;

TEST(AvlTree, RandomInsertRemoveMatchesStdMap) {
    std::mt19937_64 rng(7);
    std::vector<Item> items(2000);
    for (size_t i = 0; i < items.size(); ++i) items[i].key = i * 3;  // distinct keys
    Tree tree;
    std::map<uint64_t, Item*> ref;
    for (int step = 0; step < 20000; ++step) {
        Item& it = items[rng() % items.size()];
        if (it.node.height == 0) {
            ASSERT_TRUE(tree.insert(it));
            ref[it.key] = &it;
        } else {
            tree.remove(it);
            ref.erase(it.key);
        }
        if (step % 500 == 0) tree.check_invariants();
        const uint64_t probe = rng() % (items.size() * 3 + 10);
        auto fl = ref.upper_bound(probe);
        Item* expect_floor = fl == ref.begin() ? nullptr : std::prev(fl)->second;
        auto ce = ref.lower_bound(probe);
        Item* expect_ceiling = ce == ref.end() ? nullptr : ce->second;
        ASSERT_EQ(tree.floor(probe), expect_floor) << "step " << step;
        ASSERT_EQ(tree.ceiling(probe), expect_ceiling) << "step " << step;
        ASSERT_EQ(tree.find(probe), ref.count(probe) ? ref[probe] : nullptr);
    }
    tree.check_invariants();
    ASSERT_EQ(tree.size(), ref.size());
    // In-order walk both ways equals the map.
    auto it = ref.begin();
    for (Item* i = tree.first(); i; i = tree.next(*i), ++it) ASSERT_EQ(i, it->second);
    EXPECT_EQ(it, ref.end());
    auto rit = ref.rbegin();
    for (Item* i = tree.last(); i; i = tree.prev(*i), ++rit) ASSERT_EQ(i, rit->second);
}

TEST(AvlTree, HeightStaysLogarithmicOnSortedInsertion) {
    std::vector<Item> items(4095);
    Tree tree;
    for (size_t i = 0; i < items.size(); ++i) {
        items[i].key = i;
        ASSERT_TRUE(tree.insert(items[i]));
    }
    tree.check_invariants();
    // A perfectly balanced tree of 4095 nodes has height 12; AVL allows 1.44 log2 n.
    int height = 0;
    for (const Item& i : items) height = std::max(height, static_cast<int>(i.node.height));
    EXPECT_LE(height, 18);
}

TEST(AvlTree, DuplicateKeysAreRefused) {
    Item a, b;
    a.key = b.key = 5;
    Tree tree;
    EXPECT_TRUE(tree.insert(a));
    EXPECT_FALSE(tree.insert(b));
    EXPECT_EQ(tree.size(), 1u);
    EXPECT_EQ(b.node.height, 0);
}

TEST(IntrusiveList, PushPopRemoveInOrder) {
    Item items[5];
    List list;
    for (int i = 0; i < 5; ++i) {
        items[i].key = static_cast<uint64_t>(i);
        list.push_back(items[i]);
    }
    list.remove(items[2]);
    EXPECT_EQ(list.size(), 4u);
    EXPECT_FALSE(items[2].link.linked());
    std::vector<uint64_t> keys;
    list.for_each([&](Item& i) { keys.push_back(i.key); });
    EXPECT_EQ(keys, (std::vector<uint64_t>{0, 1, 3, 4}));
    EXPECT_EQ(list.pop_front()->key, 0u);
    EXPECT_EQ(list.pop_back()->key, 4u);
    EXPECT_TRUE(list.contains(items[3]));
    EXPECT_FALSE(list.contains(items[0]));
}

TEST(IntrusiveList, DoubleInsertPanics) {
    simx::testing::KernelMachine m;
    EXPECT_THROW(m.on_cpu(0,
                          [] {
                              Item it;
                              List a, b;
                              a.push_back(it);
                              b.push_back(it);
                          }),
                 simx::SimError);
}

TEST(Bitmap, SetClearFindCount) {
    uint64_t words[kernel::Bitmap::words_for(200)] = {};
    kernel::Bitmap bits(words, 200);
    bits.set(3);
    bits.set(64);
    bits.set(199);
    EXPECT_EQ(bits.count(), 3u);
    EXPECT_EQ(bits.find_next_set(0), 3u);
    EXPECT_EQ(bits.find_next_set(4), 64u);
    EXPECT_EQ(bits.find_next_set(65), 199u);
    bits.clear(199);
    EXPECT_EQ(bits.find_next_set(65), 200u);
    kernel::CpuMask mask = kernel::CpuMask::all(5);
    mask.clear(2);
    std::vector<uint32_t> cpus;
    mask.for_each([&](uint32_t c) { cpus.push_back(c); });
    EXPECT_EQ(cpus, (std::vector<uint32_t>{0, 1, 3, 4}));
}

}  // namespace

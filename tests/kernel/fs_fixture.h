// A booted memory core (address_space_fixture.h) with the VFS mounted
// (vfs_init), and helpers to call the file layer's kernel API on CPU 0.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "kernel/fs/char_device.h"
#include "kernel/fs/fd_table.h"
#include "kernel/fs/file.h"
#include "kernel/fs/fs_abi.h"
#include "kernel/fs/fs_context.h"
#include "kernel/fs/inode.h"
#include "kernel/fs/initramfs.h"
#include "kernel/fs/namei.h"
#include "kernel/fs/vfs.h"
#include "kernel/lib/errno.h"
#include "kernel/mm/kmalloc.h"
#include "sim/machine/sim_error.h"
#include "tests/kernel/address_space_fixture.h"

namespace simx::testing {

namespace k = ::kernel;
namespace lx = ::kernel::linux;

class FsTest : public ::testing::Test {
public:
    void SetUp() override {
        ASSERT_EQ(env.run([] { return k::vfs_init(); }), 0);
        inodes_after_init = inode_count();
    }
    void TearDown() override {
        if (!skip_invariants) env.run([] { k::vfs_check_invariants(); });
    }

    template <typename Fn>
    auto run(Fn&& fn) {
        return env.run(std::forward<Fn>(fn));
    }

    uint64_t inode_count() {
        return run([] { return k::inode_count(); });
    }

    // open(2) on the kernel side: the description, or nullptr with *rc set.
    k::File* open(const std::string& path, uint32_t flags, uint32_t mode = 0644, int64_t* rc = nullptr,
                  k::Inode* base = nullptr) {
        k::File* f = nullptr;
        const int64_t r = run([&] { return k::vfs_open(base, path.c_str(), flags, mode, &f); });
        if (rc) *rc = r;
        return r == 0 ? f : nullptr;
    }
    int64_t open_rc(const std::string& path, uint32_t flags, uint32_t mode = 0644) {
        int64_t rc = 0;
        k::File* f = open(path, flags, mode, &rc);
        if (f) close(f);
        return rc;
    }
    void close(k::File* f) {
        run([&] { k::file_put(f); });
    }
    int64_t write(k::File* f, const std::string& data) {
        return run([&] { return k::file_write(*f, reinterpret_cast<const uint8_t*>(data.data()), data.size()); });
    }
    std::string read(k::File* f, size_t n, int64_t* rc = nullptr) {
        std::string out(n, '\0');
        const int64_t r = run([&] { return k::file_read(*f, reinterpret_cast<uint8_t*>(out.data()), n); });
        if (rc) *rc = r;
        out.resize(r > 0 ? static_cast<size_t>(r) : 0);
        return out;
    }
    std::string pread(k::File* f, size_t n, uint64_t offset) {
        std::string out(n, '\0');
        const int64_t r = run([&] { return k::file_pread(*f, reinterpret_cast<uint8_t*>(out.data()), n, offset); });
        EXPECT_GE(r, 0);
        out.resize(r > 0 ? static_cast<size_t>(r) : 0);
        return out;
    }
    int64_t lseek(k::File* f, int64_t offset, uint32_t whence) {
        return run([&] { return k::file_lseek(*f, offset, whence); });
    }
    // Creates (or replaces) a regular file with `data`.
    void put_file(const std::string& path, const std::string& data) {
        int64_t rc = 0;
        k::File* f = open(path, lx::kOWronly | lx::kOCreat | lx::kOTrunc, 0644, &rc);
        ASSERT_NE(f, nullptr) << path << ": " << rc;
        EXPECT_EQ(write(f, data), static_cast<int64_t>(data.size()));
        close(f);
    }
    // The whole file through vfs_read_file, or the errno.
    std::string get_file(const std::string& path, int64_t* rc = nullptr) {
        std::string out;
        const int64_t r = run([&] {
            uint8_t* data = nullptr;
            size_t size = 0;
            const int64_t x = k::vfs_read_file(path.c_str(), &data, &size);
            if (x == 0) {
                out.assign(reinterpret_cast<char*>(data), size);
                k::kfree(data);
            }
            return x;
        });
        if (rc) *rc = r;
        else EXPECT_EQ(r, 0) << path;
        return out;
    }
    int64_t mkdir(const std::string& path, uint32_t mode = 0755) {
        return run([&] { return k::vfs_mkdir(nullptr, path.c_str(), mode); });
    }
    int64_t symlink(const std::string& target, const std::string& path) {
        return run([&] { return k::vfs_symlink(target.c_str(), nullptr, path.c_str()); });
    }
    int64_t unlink(const std::string& path) {
        return run([&] { return k::vfs_unlink(nullptr, path.c_str()); });
    }
    int64_t rmdir(const std::string& path) {
        return run([&] { return k::vfs_rmdir(nullptr, path.c_str()); });
    }
    int64_t rename(const std::string& from, const std::string& to) {
        return run([&] { return k::vfs_rename(nullptr, from.c_str(), nullptr, to.c_str()); });
    }
    // stat(2) (follow) or lstat(2): the errno, st filled on success.
    int64_t stat(const std::string& path, lx::Stat* st, bool follow = true, k::Inode* base = nullptr) {
        return run([&] {
            k::Inode* inode = nullptr;
            const int64_t rc = k::vfs_lookup(base, path.c_str(), follow, &inode);
            if (rc == 0) {
                k::vfs_stat(*inode, st);
                k::inode_put(inode);
            }
            return rc;
        });
    }
    // The inode number a path names (follow), or the negative errno.
    int64_t ino(const std::string& path, bool follow = true, k::Inode* base = nullptr) {
        lx::Stat st{};
        const int64_t rc = stat(path, &st, follow, base);
        return rc < 0 ? rc : static_cast<int64_t>(st.st_ino);
    }
    k::Inode* lookup(const std::string& path) {
        k::Inode* inode = nullptr;
        EXPECT_EQ(run([&] { return k::vfs_lookup(nullptr, path.c_str(), true, &inode); }), 0) << path;
        return inode;
    }
    void put(k::Inode* inode) {
        run([&] { k::inode_put(inode); });
    }

    AddressSpaceEnv env;
    uint64_t inodes_after_init = 0;
    bool skip_invariants = false;
};

}  // namespace simx::testing

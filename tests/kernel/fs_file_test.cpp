// tmpfs file data (read, write, seek, sparse files, truncate, append),
// getdents64 positions, the fd table and fs context, the memory devices and
// the console against the sim's terminal.
#include <algorithm>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "kernel/mm/pmm.h"
#include "tests/kernel/fs_fixture.h"

using namespace simx;
using namespace simx::testing;

namespace {

class FsFileTest : public FsTest {
protected:
    uint64_t free_frames() { return env.settled_free_frames(); }
};

TEST_F(FsFileTest, WriteReadSeek) {
    k::File* f = open("/tmp/f", lx::kORdwr | lx::kOCreat);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(write(f, "hello, "), 7);
    EXPECT_EQ(write(f, "world"), 5);
    EXPECT_EQ(read(f, 10), "");  // at the end
    EXPECT_EQ(lseek(f, 0, lx::kSeekSet), 0);
    EXPECT_EQ(read(f, 5), "hello");
    EXPECT_EQ(lseek(f, 2, lx::kSeekCur), 7);
    EXPECT_EQ(read(f, 100), "world");
    EXPECT_EQ(lseek(f, -5, lx::kSeekEnd), 7);
    EXPECT_EQ(write(f, "WORLD!"), 6);
    EXPECT_EQ(pread(f, 100, 0), "hello, WORLD!");
    EXPECT_EQ(pread(f, 3, 11), "D!");
    EXPECT_EQ(pread(f, 3, 1000), "");
    EXPECT_EQ(lseek(f, -1, lx::kSeekSet), -lx::kEinval);
    EXPECT_EQ(lseek(f, -100, lx::kSeekEnd), -lx::kEinval);
    EXPECT_EQ(lseek(f, 0, 7), -lx::kEinval);
    EXPECT_EQ(lseek(f, INT64_MAX, lx::kSeekSet), INT64_MAX);
    EXPECT_EQ(lseek(f, 1, lx::kSeekCur), -lx::kEinval);  // overflow
    EXPECT_EQ(lseek(f, 3, lx::kSeekData), 3);
    EXPECT_EQ(lseek(f, 3, lx::kSeekHole), 13);
    EXPECT_EQ(lseek(f, 13, lx::kSeekData), -lx::kEnxio);
    lx::Stat st{};
    ASSERT_EQ(stat("/tmp/f", &st), 0);
    EXPECT_EQ(st.st_size, 13);
    EXPECT_EQ(st.st_blocks, 8);
    EXPECT_EQ(st.st_nlink, 1u);
    close(f);
}

TEST_F(FsFileTest, ReadAndWriteNeedTheRightAccessMode) {
    put_file("/tmp/f", "abc");
    k::File* r = open("/tmp/f", lx::kORdonly);
    k::File* w = open("/tmp/f", lx::kOWronly);
    k::File* p = open("/tmp/f", lx::kOPath);
    k::File* d = open("/tmp", lx::kORdonly);
    int64_t rc = 0;
    EXPECT_EQ(write(r, "x"), -lx::kEbadf);
    read(w, 1, &rc);
    EXPECT_EQ(rc, -lx::kEbadf);
    read(p, 1, &rc);
    EXPECT_EQ(rc, -lx::kEbadf);
    EXPECT_EQ(write(p, "x"), -lx::kEbadf);
    read(d, 1, &rc);
    EXPECT_EQ(rc, -lx::kEisdir);
    for (k::File* f : {r, w, p, d}) close(f);
}

TEST_F(FsFileTest, SparseFilesReadZerosAndCostOnlyWrittenPages) {
    const uint64_t frames = free_frames();
    k::File* f = open("/tmp/sparse", lx::kORdwr | lx::kOCreat);
    ASSERT_NE(f, nullptr);
    const uint64_t far = uint64_t{1} << 30;  // 1 GiB in: crosses the radix tree's top level
    EXPECT_EQ(lseek(f, static_cast<int64_t>(far), lx::kSeekSet), static_cast<int64_t>(far));
    EXPECT_EQ(write(f, "end"), 3);
    EXPECT_EQ(pread(f, 8, 100), std::string(8, '\0'));
    EXPECT_EQ(pread(f, 6, far - 3), std::string("\0\0\0end", 6));
    lx::Stat st{};
    ASSERT_EQ(stat("/tmp/sparse", &st), 0);
    EXPECT_EQ(st.st_size, static_cast<int64_t>(far + 3));
    EXPECT_EQ(st.st_blocks, 8);  // one page
    // A write across a page boundary into a hole.
    EXPECT_EQ(lseek(f, 4096 * 3 - 2, lx::kSeekSet), 4096 * 3 - 2);
    EXPECT_EQ(write(f, "abcd"), 4);
    EXPECT_EQ(pread(f, 6, 4096 * 3 - 3), std::string("\0abcd\0", 6));
    ASSERT_EQ(stat("/tmp/sparse", &st), 0);
    EXPECT_EQ(st.st_blocks, 24);
    run([] { k::vfs_check_invariants(); });
    close(f);
    ASSERT_EQ(unlink("/tmp/sparse"), 0);
    EXPECT_EQ(free_frames(), frames) << "file pages or radix nodes leaked";
}

TEST_F(FsFileTest, TruncateShrinksAndGrowsWithZeros) {
    std::string data(10000, 'x');
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<char>('a' + i % 26);
    put_file("/tmp/t", data);
    k::Inode* inode = lookup("/tmp/t");
    EXPECT_EQ(run([&] { return k::vfs_truncate(*inode, 5000); }), 0);
    run([] { k::vfs_check_invariants(); });  // the tail of the last page is zero
    EXPECT_EQ(run([&] { return k::vfs_truncate(*inode, 9000); }), 0);
    const std::string back = get_file("/tmp/t");
    ASSERT_EQ(back.size(), 9000u);
    EXPECT_EQ(back.substr(0, 5000), data.substr(0, 5000));
    EXPECT_EQ(back.substr(5000), std::string(4000, '\0'));
    lx::Stat st{};
    ASSERT_EQ(stat("/tmp/t", &st), 0);
    EXPECT_EQ(st.st_blocks, 16);  // pages 0 and 1; page 2 was freed and stays a hole
    EXPECT_EQ(run([&] { return k::vfs_truncate(*inode, 0); }), 0);
    EXPECT_EQ(get_file("/tmp/t"), "");
    EXPECT_EQ(run([&] { return k::vfs_truncate(*inode, uint64_t{1} << 50); }), -lx::kEfbig);
    k::Inode* dir = lookup("/tmp");
    EXPECT_EQ(run([&] { return k::vfs_truncate(*dir, 0); }), -lx::kEisdir);
    put(dir);
    put(inode);
}

TEST_F(FsFileTest, AppendWritesAtTheEnd) {
    put_file("/tmp/log", "one\n");
    k::File* a = open("/tmp/log", lx::kOWronly | lx::kOAppend);
    k::File* b = open("/tmp/log", lx::kORdwr);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(write(b, "ONE\n"), 4);  // at offset 0
    EXPECT_EQ(lseek(a, 0, lx::kSeekSet), 0);
    EXPECT_EQ(write(a, "two\n"), 4);  // still at the end
    EXPECT_EQ(a->offset, 8u);
    EXPECT_EQ(run([&] { return k::file_pwrite(*a, reinterpret_cast<const uint8_t*>("3\n"), 2, 0); }), 2);
    EXPECT_EQ(get_file("/tmp/log"), "ONE\ntwo\n3\n");
    close(a);
    close(b);
}

TEST_F(FsFileTest, FileSizeLimit) {
    k::File* f = open("/tmp/big", lx::kOWronly | lx::kOCreat);
    const int64_t max = static_cast<int64_t>(k::TmpfsPages::kMaxBytes);
    EXPECT_EQ(lseek(f, max, lx::kSeekSet), max);
    EXPECT_EQ(write(f, "x"), -lx::kEfbig);
    EXPECT_EQ(lseek(f, max - 1, lx::kSeekSet), max - 1);
    EXPECT_EQ(write(f, "xy"), 1);  // what fits
    close(f);
    ASSERT_EQ(unlink("/tmp/big"), 0);
}

TEST_F(FsFileTest, ReadFileWholeAndItsErrors) {
    std::string big(3 * 4096 + 17, '\0');
    for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 7);
    put_file("/tmp/big", big);
    EXPECT_EQ(get_file("/tmp/big"), big);
    put_file("/tmp/empty", "");
    EXPECT_EQ(get_file("/tmp/empty"), "");
    ASSERT_EQ(symlink("/tmp/big", "/tmp/link"), 0);
    EXPECT_EQ(get_file("/tmp/link"), big);
    int64_t rc = 0;
    get_file("/tmp/none", &rc);
    EXPECT_EQ(rc, -lx::kEnoent);
    get_file("/tmp", &rc);
    EXPECT_EQ(rc, -lx::kEacces);
    get_file("/dev/null", &rc);
    EXPECT_EQ(rc, -lx::kEacces);
    get_file("/tmp/big/x", &rc);
    EXPECT_EQ(rc, -lx::kEnotdir);
    // Relative to a base directory.
    k::Inode* tmp = lookup("/tmp");
    size_t size = 0;
    EXPECT_EQ(run([&] {
        uint8_t* data = nullptr;
        const int64_t r = k::vfs_read_file_at(tmp, "link", &data, &size);
        k::kfree(data);
        return r;
    }), 0);
    EXPECT_EQ(size, big.size());
    put(tmp);
}

// All names getdents64 gives for a directory, reading `buffer` bytes at a time.
std::vector<std::string> list(FsFileTest& t, k::File* dir, size_t buffer, int* calls = nullptr) {
    std::vector<std::string> names;
    std::vector<uint8_t> buf(buffer);
    for (int i = 0; i < 100000; ++i) {
        const int64_t n = t.env.run([&] { return k::file_getdents(*dir, buf.data(), buf.size()); });
        EXPECT_GE(n, 0);
        if (n <= 0) break;
        if (calls) ++*calls;
        for (int64_t pos = 0; pos < n;) {
            lx::Dirent64 d;
            std::memcpy(&d, buf.data() + pos, lx::kDirent64NameOffset);
            EXPECT_EQ(d.d_reclen % 8, 0);
            names.emplace_back(reinterpret_cast<const char*>(buf.data() + pos + lx::kDirent64NameOffset));
            pos += d.d_reclen;
        }
    }
    return names;
}

TEST_F(FsFileTest, GetdentsOverADirectoryLargerThanOneBuffer) {
    ASSERT_EQ(mkdir("/tmp/big"), 0);
    std::set<std::string> expected = {".", ".."};
    for (int i = 0; i < 300; ++i) {
        const std::string name = "entry-with-a-longish-name-" + std::to_string(i);
        put_file("/tmp/big/" + name, "");
        expected.insert(name);
    }
    k::File* dir = open("/tmp/big", lx::kORdonly | lx::kODirectory);
    ASSERT_NE(dir, nullptr);
    int calls = 0;
    const std::vector<std::string> names = list(*this, dir, 512, &calls);
    EXPECT_GT(calls, 20);
    EXPECT_EQ(names.size(), expected.size());
    EXPECT_EQ(std::set<std::string>(names.begin(), names.end()), expected);
    EXPECT_EQ(names[0], ".");
    EXPECT_EQ(names[1], "..");

    // Rewind; remove entries behind and ahead of the position mid-way: no
    // name is given twice, none that remains is skipped.
    EXPECT_EQ(lseek(dir, 0, lx::kSeekSet), 0);
    std::vector<uint8_t> buf(512);
    ASSERT_GT(run([&] { return k::file_getdents(*dir, buf.data(), buf.size()); }), 0);
    ASSERT_EQ(unlink("/tmp/big/entry-with-a-longish-name-0"), 0);
    ASSERT_EQ(unlink("/tmp/big/entry-with-a-longish-name-299"), 0);
    put_file("/tmp/big/late", "");
    const std::vector<std::string> rest = list(*this, dir, 512);
    std::set<std::string> seen(rest.begin(), rest.end());
    EXPECT_EQ(seen.size(), rest.size());
    EXPECT_FALSE(seen.count("entry-with-a-longish-name-299"));
    EXPECT_TRUE(seen.count("late"));
    EXPECT_TRUE(seen.count("entry-with-a-longish-name-298"));

    // A buffer too small for one record.
    EXPECT_EQ(lseek(dir, 0, lx::kSeekSet), 0);
    EXPECT_EQ(run([&] { return k::file_getdents(*dir, buf.data(), 20); }), -lx::kEinval);
    EXPECT_EQ(run([&] { return k::file_getdents(*dir, buf.data(), 24); }), 24);  // "." fits exactly
    close(dir);
    k::File* file = open("/tmp/big/late", lx::kORdonly);
    EXPECT_EQ(run([&] { return k::file_getdents(*file, buf.data(), buf.size()); }), -lx::kEnotdir);
    close(file);
}

TEST_F(FsFileTest, GetdentsTypesAndInodes) {
    ASSERT_EQ(mkdir("/tmp/d"), 0);
    ASSERT_EQ(mkdir("/tmp/d/sub"), 0);
    put_file("/tmp/d/file", "");
    ASSERT_EQ(symlink("file", "/tmp/d/link"), 0);
    ASSERT_EQ(run([] { return k::vfs_mknod_char(nullptr, "/tmp/d/null", 0666, 1, 3); }), 0);
    k::File* dir = open("/tmp/d", lx::kORdonly);
    std::vector<uint8_t> buf(4096);
    const int64_t n = run([&] { return k::file_getdents(*dir, buf.data(), buf.size()); });
    std::map<std::string, std::pair<uint64_t, uint8_t>> got;
    for (int64_t pos = 0; pos < n;) {
        lx::Dirent64 d;
        std::memcpy(&d, buf.data() + pos, lx::kDirent64NameOffset);
        got[reinterpret_cast<const char*>(buf.data() + pos + lx::kDirent64NameOffset)] = {d.d_ino, d.d_type};
        pos += d.d_reclen;
    }
    ASSERT_EQ(got.size(), 6u);
    EXPECT_EQ(got["."].first, static_cast<uint64_t>(ino("/tmp/d")));
    EXPECT_EQ(got[".."].first, static_cast<uint64_t>(ino("/tmp")));
    EXPECT_EQ(got["sub"].second, lx::kDtDir);
    EXPECT_EQ(got["file"].second, lx::kDtReg);
    EXPECT_EQ(got["link"].second, lx::kDtLnk);
    EXPECT_EQ(got["null"].second, lx::kDtChr);
    EXPECT_EQ(got["file"].first, static_cast<uint64_t>(ino("/tmp/d/file")));
    EXPECT_EQ(run([&] { return k::file_getdents(*dir, buf.data(), buf.size()); }), 0);
    close(dir);
}

TEST_F(FsFileTest, FdTableAllocatesLowestFreeUpToTheLimit) {
    k::File* f = open("/tmp", lx::kORdonly);
    k::FdTable* t = run([] { return k::FdTable::create(); });
    ASSERT_NE(t, nullptr);
    EXPECT_EQ(run([&] { return t->allocate(f, 0, false); }), 0);
    EXPECT_EQ(run([&] { return t->allocate(f, 0, true); }), 1);
    EXPECT_EQ(run([&] { return t->allocate(f, 0, false); }), 2);
    EXPECT_EQ(run([&] { return t->close(1); }), 0);
    EXPECT_EQ(run([&] { return t->close(1); }), -lx::kEbadf);
    EXPECT_EQ(run([&] { return t->close(-1); }), -lx::kEbadf);
    EXPECT_EQ(run([&] { return t->cloexec(1); }), -lx::kEbadf);
    EXPECT_EQ(run([&] { return t->allocate(f, 0, false); }), 1);  // the lowest free
    EXPECT_EQ(run([&] { return t->cloexec(1); }), 0);            // the flag went with the old fd
    EXPECT_EQ(run([&] { return t->allocate(f, 100, true); }), 100);  // grows past the first slots
    EXPECT_EQ(run([&] { return t->cloexec(100); }), 1);
    EXPECT_EQ(run([&] { return t->allocate(f, 1024, false); }), -lx::kEinval);
    for (uint32_t i = 3; i < 1024; ++i)
        if (i != 100) {
            ASSERT_EQ(run([&] { return t->allocate(f, 0, false); }), static_cast<int64_t>(i));
        }
    EXPECT_EQ(t->used(), 1024u);
    EXPECT_EQ(run([&] { return t->allocate(f, 0, false); }), -lx::kEmfile);
    EXPECT_EQ(run([&] { return t->replace(1024, f, false); }), -lx::kEbadf);
    EXPECT_EQ(run([&] { return t->install(5, f, false); }), -lx::kEbusy);
    EXPECT_EQ(f->refs, 1025u);
    run([&] { t->check_invariants(); });
    k::FdTable* copy = run([&] { return t->clone(); });
    ASSERT_NE(copy, nullptr);
    EXPECT_EQ(f->refs, 2049u);
    EXPECT_EQ(run([&] { return copy->cloexec(100); }), 1);
    run([&] { copy->close_on_exec(); });
    EXPECT_EQ(copy->used(), 1023u);  // only fd 100: fd 1 was reopened without the flag
    EXPECT_EQ(run([&] { return copy->cloexec(100); }), -lx::kEbadf);
    run([&] { copy->check_invariants(); });
    run([&] {
        k::FdTable::destroy(copy);
        k::FdTable::destroy(t);
    });
    EXPECT_EQ(f->refs, 1u);
    close(f);
}

TEST_F(FsFileTest, FdTableReplaceSharesTheDescription) {
    put_file("/tmp/f", "0123456789");
    k::File* f = open("/tmp/f", lx::kORdonly);
    k::FdTable* t = run([] { return k::FdTable::create(); });
    ASSERT_EQ(run([&] { return t->allocate(f, 0, false); }), 0);
    ASSERT_EQ(run([&] { return t->replace(7, f, true); }), 7);
    k::File* a = run([&] { return t->get(0); });
    k::File* b = run([&] { return t->get(7); });
    EXPECT_EQ(a, b);
    EXPECT_EQ(read(a, 3), "012");
    EXPECT_EQ(read(b, 3), "345");  // one offset
    EXPECT_EQ(run([&] { return t->get(8); }), nullptr);
    EXPECT_EQ(run([&] { return t->get(-1); }), nullptr);
    close(a);
    close(b);
    close(f);
    const uint64_t count = inode_count();
    ASSERT_EQ(unlink("/tmp/f"), 0);
    EXPECT_EQ(inode_count(), count);  // the table still holds it open
    run([&] { k::FdTable::destroy(t); });
    EXPECT_EQ(inode_count(), count - 1);
}

TEST_F(FsFileTest, FsContextCwdAndUmask) {
    ASSERT_EQ(mkdir("/tmp/w"), 0);
    k::FsContext* c = run([] { return k::FsContext::create(); });
    ASSERT_NE(c, nullptr);
    k::Inode* cwd = run([&] { return c->cwd(); });
    EXPECT_EQ(cwd, run([] { return k::vfs_root(); }));
    put(cwd);
    EXPECT_EQ(run([&] { return c->umask(); }), 022u);
    EXPECT_EQ(run([&] { return c->exchange_umask(07777); }), 022u);
    EXPECT_EQ(run([&] { return c->umask(); }), 0777u);
    k::Inode* w = lookup("/tmp/w");
    run([&] { c->set_cwd(w); });
    put(w);
    k::FsContext* copy = run([&] { return c->clone(); });
    ASSERT_NE(copy, nullptr);
    EXPECT_EQ(run([&] { return copy->umask(); }), 0777u);
    // The cwd keeps a removed directory alive.
    const uint64_t count = inode_count();
    ASSERT_EQ(rmdir("/tmp/w"), 0);
    EXPECT_EQ(inode_count(), count);
    run([&] {
        c->check_invariants();
        copy->check_invariants();
        k::FsContext::destroy(c);
    });
    EXPECT_EQ(inode_count(), count);
    run([&] { k::FsContext::destroy(copy); });
    EXPECT_EQ(inode_count(), count - 1);
}

TEST_F(FsFileTest, MemoryDevices) {
    k::File* null = open("/dev/null", lx::kORdwr);
    k::File* zero = open("/dev/zero", lx::kORdwr);
    k::File* urandom = open("/dev/urandom", lx::kORdonly);
    ASSERT_TRUE(null && zero && urandom);
    EXPECT_EQ(read(null, 10), "");
    EXPECT_EQ(write(null, "discarded"), 9);
    EXPECT_EQ(read(zero, 10), std::string(10, '\0'));
    EXPECT_EQ(write(zero, "x"), 1);
    const std::string r1 = read(urandom, 37), r2 = read(urandom, 37);
    EXPECT_EQ(r1.size(), 37u);
    EXPECT_NE(r1, r2);
    EXPECT_NE(r1, std::string(37, '\0'));
    EXPECT_EQ(lseek(null, 100, lx::kSeekSet), 0);
    EXPECT_EQ(lseek(urandom, 5, lx::kSeekCur), 0);
    for (k::File* f : {null, zero, urandom}) close(f);
}

TEST_F(FsFileTest, ConsoleReadsAndWritesTheTerminal) {
    std::istringstream in("first line\nsecond\npartial");
    std::ostringstream out, err;
    env.km().hal().set_terminal({&in, &out, &err});
    k::FdTable* t = run([] { return k::FdTable::create(); });
    ASSERT_EQ(run([&] { return k::open_console_fds(*t); }), 0);
    EXPECT_EQ(t->used(), 3u);
    k::File* fd0 = run([&] { return t->get(0); });
    k::File* fd1 = run([&] { return t->get(1); });
    k::File* fd2 = run([&] { return t->get(2); });
    EXPECT_NE(fd0, fd1);
    EXPECT_EQ(fd0->flags & lx::kOAccmode, lx::kORdwr);
    EXPECT_EQ(read(fd0, 100), "first line\n");  // a terminal gives a line per read
    EXPECT_EQ(read(fd0, 3), "sec");
    EXPECT_EQ(read(fd0, 100), "ond\n");
    EXPECT_EQ(read(fd0, 100), "partial");
    EXPECT_EQ(read(fd0, 100), "");               // end of input
    EXPECT_EQ(write(fd1, "to stdout\n"), 10);
    EXPECT_EQ(write(fd2, "to stderr\n"), 10);
    EXPECT_EQ(write(fd0, "fd 0 writes output\n"), 19);
    EXPECT_EQ(out.str(), "to stdout\nfd 0 writes output\n");
    EXPECT_EQ(err.str(), "to stderr\n");
    EXPECT_EQ(lseek(fd1, 0, lx::kSeekSet), -lx::kEspipe);
    uint8_t byte = 0;
    EXPECT_EQ(run([&] { return k::file_pread(*fd0, &byte, 1, 0); }), -lx::kEspipe);
    EXPECT_EQ(run([&] { return k::open_console_fds(*t); }), -lx::kEbusy);
    for (k::File* f : {fd0, fd1, fd2}) close(f);
    run([&] { k::FdTable::destroy(t); });
}

}  // namespace

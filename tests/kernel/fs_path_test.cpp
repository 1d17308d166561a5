// Path lookup (kernel/fs/namei) and the namespace operations (kernel/fs/vfs):
// ".", "..", repeated and trailing slashes, symlinks and their depth limit,
// the name-length limits, and the errno of each mistake, as Linux gives them.
#include <string>

#include "tests/kernel/fs_fixture.h"

using namespace simx;
using namespace simx::testing;

namespace {

class FsPathTest : public FsTest {};

TEST_F(FsPathTest, InitMakesDevAndTmp) {
    lx::Stat st{};
    ASSERT_EQ(stat("/tmp", &st), 0);
    EXPECT_EQ(st.st_mode, lx::kSIfdir | 01777);
    ASSERT_EQ(stat("/dev/console", &st), 0);
    EXPECT_EQ(st.st_mode, lx::kSIfchr | 0600);
    EXPECT_EQ(st.st_rdev, 0x501u);
    ASSERT_EQ(stat("/dev/null", &st), 0);
    EXPECT_EQ(st.st_rdev, 0x103u);
    ASSERT_EQ(stat("/dev/urandom", &st), 0);
    EXPECT_EQ(st.st_rdev, 0x109u);
    ASSERT_EQ(stat("/", &st), 0);
    EXPECT_EQ(st.st_nlink, 4u);  // ".", "..", and /dev's and /tmp's ".."
    EXPECT_EQ(st.st_ino, 1u);
}

TEST_F(FsPathTest, DotsAndSlashes) {
    const int64_t root = ino("/");
    const int64_t tmp = ino("/tmp");
    ASSERT_GT(tmp, 0);
    for (const char* p : {"//", "/.", "/./", "/..", "/../..", "///.//..//", "/tmp/..", "/dev/../tmp/.."})
        EXPECT_EQ(ino(p), root) << p;
    for (const char* p : {"/tmp", "/tmp/", "//tmp//", "/tmp/.", "/./tmp/./", "/../tmp", "/dev/../tmp", "/tmp/../tmp///"})
        EXPECT_EQ(ino(p), tmp) << p;
    EXPECT_EQ(ino(""), -lx::kEnoent);
    EXPECT_EQ(ino("/nonexistent"), -lx::kEnoent);
    EXPECT_EQ(ino("/nonexistent/.."), -lx::kEnoent);  // no lexical shortcut past a missing name
}

TEST_F(FsPathTest, RelativePathsStartAtTheBase) {
    ASSERT_EQ(mkdir("/tmp/a"), 0);
    ASSERT_EQ(mkdir("/tmp/a/b"), 0);
    k::Inode* a = lookup("/tmp/a");
    EXPECT_EQ(ino("b", true, a), ino("/tmp/a/b"));
    EXPECT_EQ(ino(".", true, a), ino("/tmp/a"));
    EXPECT_EQ(ino("..", true, a), ino("/tmp"));
    EXPECT_EQ(ino("b/../..", true, a), ino("/tmp"));
    EXPECT_EQ(ino("/dev", true, a), ino("/dev"));  // absolute ignores the base
    EXPECT_EQ(ino("c", true, a), -lx::kEnoent);
    // A base that is not a directory: ENOTDIR for a relative path.
    put_file("/tmp/f", "x");
    k::Inode* f = lookup("/tmp/f");
    EXPECT_EQ(ino("x", true, f), -lx::kEnotdir);
    put(f);
    put(a);
}

TEST_F(FsPathTest, NotADirectory) {
    put_file("/tmp/file", "data");
    EXPECT_EQ(ino("/tmp/file/x"), -lx::kEnotdir);
    EXPECT_EQ(ino("/tmp/file/"), -lx::kEnotdir);
    EXPECT_EQ(ino("/tmp/file/."), -lx::kEnotdir);
    EXPECT_EQ(ino("/tmp/file/.."), -lx::kEnotdir);
    EXPECT_EQ(ino("/tmp/file//"), -lx::kEnotdir);
    EXPECT_GT(ino("/tmp/file"), 0);
    EXPECT_EQ(ino("/tmp/missing/x"), -lx::kEnoent);
}

TEST_F(FsPathTest, NameLengthLimits) {
    const std::string name255(255, 'n'), name256(256, 'n');
    EXPECT_EQ(ino("/tmp/" + name255), -lx::kEnoent);
    EXPECT_EQ(ino("/tmp/" + name256), -lx::kEnametoolong);
    EXPECT_EQ(ino("/tmp/" + name256 + "/x"), -lx::kEnametoolong);
    put_file("/tmp/" + name255, "ok");
    EXPECT_GT(ino("/tmp/" + name255), 0);
    int64_t rc = 0;
    EXPECT_EQ(open("/tmp/" + name256, lx::kOWronly | lx::kOCreat, 0644, &rc), nullptr);
    EXPECT_EQ(rc, -lx::kEnametoolong);
    EXPECT_EQ(mkdir("/tmp/" + name256), -lx::kEnametoolong);

    // PATH_MAX counts the NUL: 4095 bytes are a path, 4096 are too long.
    std::string p4095 = "/tmp";
    while (p4095.size() < 4095) p4095 += "/";
    p4095.back() = 'x';
    ASSERT_EQ(p4095.size(), 4095u);
    EXPECT_EQ(ino(p4095), -lx::kEnoent);
    EXPECT_EQ(ino(p4095 + "y"), -lx::kEnametoolong);
    std::string dots = "/";
    while (dots.size() + 2 <= 4095) dots += "./";
    EXPECT_EQ(ino(dots), ino("/"));
}

TEST_F(FsPathTest, SymlinksAreFollowed) {
    ASSERT_EQ(mkdir("/tmp/d"), 0);
    put_file("/tmp/d/f", "payload");
    ASSERT_EQ(symlink("d", "/tmp/rel"), 0);          // relative to the link's directory
    ASSERT_EQ(symlink("/tmp/d/f", "/tmp/abs"), 0);
    ASSERT_EQ(symlink("../../tmp/d", "/tmp/d/up"), 0);  // from /tmp/d: /tmp/d/../../tmp/d
    ASSERT_EQ(symlink("rel/f", "/tmp/chain"), 0);
    ASSERT_EQ(symlink("/", "/tmp/root"), 0);
    EXPECT_EQ(ino("/tmp/rel/f"), ino("/tmp/d/f"));
    EXPECT_EQ(ino("/tmp/abs"), ino("/tmp/d/f"));
    EXPECT_EQ(ino("/tmp/d/up/f"), ino("/tmp/d/f"));
    EXPECT_EQ(ino("/tmp/chain"), ino("/tmp/d/f"));
    EXPECT_EQ(ino("/tmp/root"), ino("/"));
    EXPECT_EQ(ino("/tmp/root/tmp/rel/.."), ino("/tmp"));  // ".." after a link is the target's parent
    EXPECT_EQ(get_file("/tmp/chain"), "payload");

    // lstat does not follow the last component, but does follow the ones before it.
    lx::Stat st{};
    ASSERT_EQ(stat("/tmp/abs", &st, false), 0);
    EXPECT_EQ(st.st_mode, lx::kSIflnk | 0777);
    EXPECT_EQ(st.st_size, 8);
    EXPECT_EQ(ino("/tmp/rel/f", false), ino("/tmp/d/f"));
    // A trailing slash follows even for lstat, and needs a directory.
    EXPECT_EQ(ino("/tmp/rel/", false), ino("/tmp/d"));
    EXPECT_EQ(ino("/tmp/abs/", false), -lx::kEnotdir);
    // A dangling link: ENOENT when followed, a link when not.
    ASSERT_EQ(symlink("/tmp/nowhere", "/tmp/dangling"), 0);
    EXPECT_EQ(ino("/tmp/dangling"), -lx::kEnoent);
    EXPECT_GT(ino("/tmp/dangling", false), 0);
    EXPECT_EQ(symlink("", "/tmp/empty"), -lx::kEnoent);
    EXPECT_EQ(symlink("x", "/tmp/abs"), -lx::kEexist);

    char buf[64] = {};
    EXPECT_EQ(run([&] { return k::vfs_readlink(nullptr, "/tmp/abs", buf, sizeof buf); }), 8);
    EXPECT_EQ(std::string(buf, 8), "/tmp/d/f");
    EXPECT_EQ(run([&] { return k::vfs_readlink(nullptr, "/tmp/abs", buf, 3); }), 3);  // truncated, no NUL
    EXPECT_EQ(run([&] { return k::vfs_readlink(nullptr, "/tmp/d", buf, sizeof buf); }), -lx::kEinval);
}

TEST_F(FsPathTest, SymlinkLoopsAndTheDepthLimit) {
    ASSERT_EQ(symlink("self", "/tmp/self"), 0);
    ASSERT_EQ(symlink("b", "/tmp/a"), 0);
    ASSERT_EQ(symlink("a", "/tmp/b"), 0);
    EXPECT_EQ(ino("/tmp/self"), -lx::kEloop);
    EXPECT_EQ(ino("/tmp/a"), -lx::kEloop);
    EXPECT_EQ(ino("/tmp/a/x"), -lx::kEloop);
    EXPECT_GT(ino("/tmp/a", false), 0);  // not followed: no loop

    // A chain of links l0 -> l1 -> ... -> l40 -> target: 40 links followed is
    // the most Linux allows (MAXSYMLINKS), 41 is ELOOP.
    put_file("/tmp/target", "t");
    ASSERT_EQ(symlink("target", "/tmp/l41"), 0);
    for (int i = 40; i >= 0; --i)
        ASSERT_EQ(symlink("l" + std::to_string(i + 1), "/tmp/l" + std::to_string(i)), 0);
    EXPECT_EQ(ino("/tmp/l2"), ino("/tmp/target"));  // l2 .. l41: 40 links
    EXPECT_EQ(ino("/tmp/l1"), -lx::kEloop);          // l1 .. l41: 41 links
    EXPECT_EQ(ino("/tmp/l2/"), -lx::kEnotdir);
}

TEST_F(FsPathTest, RemovedDirectoryHoldsNothing) {
    ASSERT_EQ(mkdir("/tmp/gone"), 0);
    k::Inode* gone = lookup("/tmp/gone");
    ASSERT_EQ(rmdir("/tmp/gone"), 0);
    EXPECT_EQ(ino(".", true, gone), static_cast<int64_t>(gone->ino));
    EXPECT_EQ(ino("x", true, gone), -lx::kEnoent);
    EXPECT_EQ(run([&] { return k::vfs_mkdir(gone, "new", 0755); }), -lx::kEnoent);
    int64_t rc = 0;
    EXPECT_EQ(open("new", lx::kOCreat | lx::kOWronly, 0644, &rc, gone), nullptr);
    EXPECT_EQ(rc, -lx::kEnoent);
    lx::Stat st{};
    ASSERT_EQ(stat(".", &st, true, gone), 0);
    EXPECT_EQ(st.st_nlink, 0u);
    char path[64];
    EXPECT_EQ(run([&] { return k::vfs_path_of(gone, path, sizeof path); }), -lx::kEnoent);
    const uint64_t before = inode_count();
    put(gone);  // the last reference frees it
    EXPECT_EQ(inode_count(), before - 1);
}

TEST_F(FsPathTest, MkdirAndRmdirErrors) {
    EXPECT_EQ(mkdir("/tmp/x"), 0);
    EXPECT_EQ(mkdir("/tmp/x"), -lx::kEexist);
    EXPECT_EQ(mkdir("/tmp/y/"), 0);      // mkdir takes a trailing slash
    EXPECT_EQ(mkdir("/"), -lx::kEexist);
    EXPECT_EQ(mkdir("/tmp/."), -lx::kEexist);
    EXPECT_EQ(mkdir("/tmp/.."), -lx::kEexist);
    EXPECT_EQ(mkdir("/tmp/missing/z"), -lx::kEnoent);
    put_file("/tmp/f", "");
    EXPECT_EQ(mkdir("/tmp/f"), -lx::kEexist);
    EXPECT_EQ(mkdir("/tmp/f/z"), -lx::kEnotdir);
    ASSERT_EQ(symlink("/tmp/nowhere", "/tmp/dangling"), 0);
    EXPECT_EQ(mkdir("/tmp/dangling"), -lx::kEexist);  // mkdir never follows

    lx::Stat st{};
    ASSERT_EQ(stat("/tmp", &st), 0);
    EXPECT_EQ(st.st_nlink, 4u);  // 2 + x + y
    ASSERT_EQ(mkdir("/tmp/x/sub"), 0);
    EXPECT_EQ(rmdir("/tmp/x"), -lx::kEnotempty);
    EXPECT_EQ(rmdir("/tmp/x/sub/."), -lx::kEinval);
    EXPECT_EQ(rmdir("/tmp/x/sub/.."), -lx::kEnotempty);
    EXPECT_EQ(rmdir("/"), -lx::kEbusy);
    EXPECT_EQ(rmdir("/tmp/f"), -lx::kEnotdir);
    EXPECT_EQ(rmdir("/tmp/nothing"), -lx::kEnoent);
    ASSERT_EQ(symlink("x", "/tmp/xlink"), 0);
    EXPECT_EQ(rmdir("/tmp/xlink"), -lx::kEnotdir);
    EXPECT_EQ(rmdir("/tmp/x/sub/"), 0);
    EXPECT_EQ(rmdir("/tmp/x"), 0);
    ASSERT_EQ(stat("/tmp", &st), 0);
    EXPECT_EQ(st.st_nlink, 3u);
}

TEST_F(FsPathTest, UnlinkErrorsAndLastReference) {
    put_file("/tmp/f", "contents");
    EXPECT_EQ(unlink("/tmp"), -lx::kEisdir);
    EXPECT_EQ(unlink("/tmp/."), -lx::kEisdir);
    EXPECT_EQ(unlink("/"), -lx::kEisdir);
    EXPECT_EQ(unlink("/tmp/f/"), -lx::kEnotdir);
    EXPECT_EQ(unlink("/tmp/none"), -lx::kEnoent);
    // An open file outlives its name.
    k::File* f = open("/tmp/f", lx::kORdonly);
    ASSERT_NE(f, nullptr);
    const uint64_t before = inode_count();
    EXPECT_EQ(unlink("/tmp/f"), 0);
    EXPECT_EQ(ino("/tmp/f"), -lx::kEnoent);
    EXPECT_EQ(inode_count(), before);
    EXPECT_EQ(read(f, 100), "contents");
    close(f);
    EXPECT_EQ(inode_count(), before - 1);
    // Unlinking a symlink removes the link, not the target.
    put_file("/tmp/t", "x");
    ASSERT_EQ(symlink("t", "/tmp/l"), 0);
    EXPECT_EQ(unlink("/tmp/l"), 0);
    EXPECT_GT(ino("/tmp/t"), 0);
}

TEST_F(FsPathTest, Rename) {
    put_file("/tmp/a", "A");
    put_file("/tmp/b", "B");
    ASSERT_EQ(mkdir("/tmp/d"), 0);
    ASSERT_EQ(mkdir("/tmp/d/sub"), 0);
    ASSERT_EQ(mkdir("/tmp/e"), 0);
    ASSERT_EQ(mkdir("/tmp/full"), 0);
    put_file("/tmp/full/x", "");

    const uint64_t before = inode_count();
    EXPECT_EQ(rename("/tmp/a", "/tmp/b"), 0);  // replaces b, which is freed
    EXPECT_EQ(inode_count(), before - 1);
    EXPECT_EQ(get_file("/tmp/b"), "A");
    EXPECT_EQ(ino("/tmp/a"), -lx::kEnoent);
    EXPECT_EQ(rename("/tmp/b", "/tmp/b"), 0);
    EXPECT_EQ(rename("/tmp/none", "/tmp/z"), -lx::kEnoent);
    EXPECT_EQ(rename("/tmp/b", "/tmp/d"), -lx::kEisdir);
    EXPECT_EQ(rename("/tmp/d", "/tmp/b"), -lx::kEnotdir);
    EXPECT_EQ(rename("/tmp/d", "/tmp/full"), -lx::kEnotempty);
    EXPECT_EQ(rename("/tmp/d", "/tmp/d/sub/in"), -lx::kEinval);
    EXPECT_EQ(rename("/tmp/d", "/tmp/d/in"), -lx::kEinval);
    EXPECT_EQ(rename("/tmp/.", "/tmp/z"), -lx::kEbusy);
    EXPECT_EQ(rename("/tmp/b", "/tmp/.."), -lx::kEbusy);
    EXPECT_EQ(rename("/tmp/b/", "/tmp/c"), -lx::kEnotdir);
    EXPECT_EQ(rename("/tmp/b", "/tmp/nodir/c"), -lx::kEnoent);

    // A directory moves with its subtree; nlink and ".." follow it.
    EXPECT_EQ(rename("/tmp/d", "/tmp/e/moved/"), 0);
    EXPECT_EQ(ino("/tmp/e/moved/sub/../.."), ino("/tmp/e"));
    lx::Stat st{};
    ASSERT_EQ(stat("/tmp/e", &st), 0);
    EXPECT_EQ(st.st_nlink, 3u);
    // Over an empty directory.
    ASSERT_EQ(mkdir("/tmp/empty"), 0);
    EXPECT_EQ(rename("/tmp/e/moved", "/tmp/empty"), 0);
    EXPECT_GT(ino("/tmp/empty/sub"), 0);
    ASSERT_EQ(stat("/tmp/e", &st), 0);
    EXPECT_EQ(st.st_nlink, 2u);
    char path[64];
    k::Inode* sub = lookup("/tmp/empty/sub");
    EXPECT_EQ(run([&] { return k::vfs_path_of(sub, path, sizeof path); }), 15);
    EXPECT_STREQ(path, "/tmp/empty/sub");
    EXPECT_EQ(run([&] { return k::vfs_path_of(sub, path, 14); }), -lx::kErange);
    put(sub);
}

TEST_F(FsPathTest, OpenFlags) {
    int64_t rc = 0;
    EXPECT_EQ(open_rc("/tmp/new", lx::kORdonly), -lx::kEnoent);
    EXPECT_EQ(open_rc("/tmp/new", lx::kOWronly | lx::kOCreat, 0640), 0);
    lx::Stat st{};
    ASSERT_EQ(stat("/tmp/new", &st), 0);
    EXPECT_EQ(st.st_mode, lx::kSIfreg | 0640);
    EXPECT_EQ(open_rc("/tmp/new", lx::kOWronly | lx::kOCreat | lx::kOExcl), -lx::kEexist);
    EXPECT_EQ(open_rc("/tmp", lx::kOWronly), -lx::kEisdir);
    EXPECT_EQ(open_rc("/tmp", lx::kORdwr), -lx::kEisdir);
    EXPECT_EQ(open_rc("/tmp", lx::kORdonly | lx::kOCreat), -lx::kEisdir);
    EXPECT_EQ(open_rc("/", lx::kORdonly | lx::kOCreat), -lx::kEisdir);
    EXPECT_EQ(open_rc("/tmp", lx::kORdonly | lx::kODirectory), 0);
    EXPECT_EQ(open_rc("/tmp/new", lx::kORdonly | lx::kODirectory), -lx::kEnotdir);
    EXPECT_EQ(open_rc("/tmp/new/", lx::kORdonly), -lx::kEnotdir);
    EXPECT_EQ(open_rc("/tmp/other/", lx::kOWronly | lx::kOCreat), -lx::kEisdir);
    ASSERT_EQ(symlink("new", "/tmp/link"), 0);
    EXPECT_EQ(open_rc("/tmp/link", lx::kORdonly | lx::kONofollow), -lx::kEloop);
    EXPECT_EQ(open_rc("/tmp/link", lx::kOPath | lx::kONofollow), 0);
    EXPECT_EQ(open_rc("/tmp/link", lx::kORdonly), 0);
    EXPECT_EQ(open_rc("/tmp/link", lx::kOWronly | lx::kOCreat | lx::kOExcl), -lx::kEexist);
    // O_CREAT through a dangling link creates its target (Linux does).
    ASSERT_EQ(symlink("created", "/tmp/dangling"), 0);
    EXPECT_EQ(open_rc("/tmp/dangling", lx::kOWronly | lx::kOCreat), 0);
    EXPECT_GT(ino("/tmp/created"), 0);
    // O_TRUNC.
    put_file("/tmp/t", "0123456789");
    EXPECT_EQ(open_rc("/tmp/t", lx::kOWronly | lx::kOTrunc), 0);
    EXPECT_EQ(get_file("/tmp/t"), "");
    // Devices.
    ASSERT_EQ(run([] { return k::vfs_mknod_char(nullptr, "/tmp/nodev", 0600, 42, 42); }), 0);
    EXPECT_EQ(open_rc("/tmp/nodev", lx::kORdonly), -lx::kEnxio);
    k::File* f = open("/tmp/new", lx::kORdonly | lx::kOCloexec | lx::kOCreat, 0644, &rc);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(f->flags, lx::kORdonly | lx::kOLargefile);  // creation flags and O_CLOEXEC are not kept
    close(f);
}

TEST_F(FsPathTest, InvariantCheckerCatchesCorruption) {
    ASSERT_EQ(mkdir("/tmp/a"), 0);
    k::Inode* a = lookup("/tmp/a");
    run([&] { k::vfs_check_invariants(); });
    a->nlink = 3;  // as if a subdirectory were counted that does not exist
    EXPECT_THROW(run([] { k::vfs_check_invariants(); }), SimError);
    // The panic left the namespace lock held on the abandoned fiber: this
    // machine's VFS is done.
    skip_invariants = true;
}

}  // namespace

// The file system calls (kernel/sys/sys_fs) with real user memory: a Process
// whose address space is loaded on CPU 0 and is current there, its buffers
// and paths in user pages that the sim's uaccess reaches through the MMU
// (and the kernel's fault handler). Errno values and their order are Linux's.
#include <cstring>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "kernel/mm/kernel_address_space.h"
#include "kernel/mm/uaccess.h"
#include "kernel/proc/process.h"
#include "kernel/sys/sys_fs.h"
#include "tests/kernel/fs_fixture.h"

using namespace simx;
using namespace simx::testing;

namespace {

using Handler = k::i64 (*)(const k::SyscallArgs&);
constexpr uint64_t kUserBytes = 1 << 20;
constexpr uint64_t kFdcwd = static_cast<uint64_t>(int64_t{-100});

class FsSyscallTest : public FsTest {
public:
    void SetUp() override {
        FsTest::SetUp();
        env.km().hal().set_terminal({&in, &out, &err});
        proc = run([] { return k::process_create("fs-test", 7, nullptr); });
        ASSERT_NE(proc, nullptr);
        proc->space = env.create();
        env.load(proc->space);
        run([&] { k::set_current_process(proc); });
        const int64_t base = run([&] {
            return proc->space->mmap(0, kUserBytes, lx::kProtRead | lx::kProtWrite, lx::kMapPrivate | lx::kMapAnonymous);
        });
        ASSERT_GT(base, 0);
        user = next = static_cast<uint64_t>(base);
    }
    void TearDown() override {
        run([&] {
            k::set_current_process(nullptr);
            k::activate_address_space(nullptr);
            proc->space->check_invariants();
            k::process_destroy(proc);
        });
        FsTest::TearDown();
    }

    int64_t sys(Handler h, uint64_t a0 = 0, uint64_t a1 = 0, uint64_t a2 = 0, uint64_t a3 = 0, uint64_t a4 = 0,
                uint64_t a5 = 0) {
        k::SyscallArgs args{{a0, a1, a2, a3, a4, a5}, nullptr};
        return run([&] { return h(args); });
    }
    // User memory for n bytes (8-byte aligned, from the mapping).
    uint64_t alloc(size_t n) {
        const uint64_t at = next;
        next += (n + 7) & ~size_t{7};
        EXPECT_LE(next, user + kUserBytes);
        return at;
    }
    void poke(uint64_t at, const void* data, size_t n) {
        ASSERT_EQ(run([&] { return k::copy_to_user(at, data, n); }), 0);
    }
    std::string peek(uint64_t at, size_t n) {
        std::string s(n, '\0');
        EXPECT_EQ(run([&] { return k::copy_from_user(s.data(), at, n); }), 0);
        return s;
    }
    // A NUL-terminated string in user memory.
    uint64_t str(const std::string& s) {
        const uint64_t at = alloc(s.size() + 1);
        poke(at, s.c_str(), s.size() + 1);
        return at;
    }
    template <typename T>
    T get(uint64_t at) {
        T v;
        const std::string s = peek(at, sizeof v);
        std::memcpy(&v, s.data(), sizeof v);
        return v;
    }
    int64_t open(const std::string& path, uint64_t flags, uint64_t mode = 0644) {
        return sys(k::sys_open, str(path), flags, mode);
    }
    int64_t write_fd(int64_t fd, const std::string& data) {
        const uint64_t b = alloc(data.size() + 1);
        poke(b, data.data(), data.size());
        return sys(k::sys_write, static_cast<uint64_t>(fd), b, data.size());
    }
    std::string read_fd(int64_t fd, size_t n, int64_t* rc = nullptr) {
        const uint64_t b = alloc(n + 1);
        const int64_t r = sys(k::sys_read, static_cast<uint64_t>(fd), b, n);
        if (rc) *rc = r;
        return r > 0 ? peek(b, static_cast<size_t>(r)) : std::string();
    }
    lx::Stat stat_at(uint64_t dirfd, const std::string& path, uint64_t flags, int64_t* rc) {
        const uint64_t b = alloc(sizeof(lx::Stat));
        *rc = sys(k::sys_newfstatat, dirfd, str(path), b, flags);
        return *rc == 0 ? get<lx::Stat>(b) : lx::Stat{};
    }
    k::u64 rlen(const std::string& s) { return s.size(); }

    std::istringstream in{"typed line\nmore\n"};
    std::ostringstream out, err;
    k::Process* proc = nullptr;
    uint64_t user = 0, next = 0;
};

TEST_F(FsSyscallTest, OpenWriteReadCloseAndCounters) {
    const int64_t fd = open("/tmp/file", lx::kOCreat | lx::kORdwr, 0666);
    EXPECT_EQ(fd, 0);  // the lowest free fd: this process has no console fds
    EXPECT_EQ(write_fd(fd, "hello world"), 11);
    EXPECT_EQ(sys(k::sys_lseek, 0, 6, lx::kSeekSet), 6);
    EXPECT_EQ(read_fd(fd, 100), "world");
    EXPECT_EQ(proc->counters.bytes_written, 11u);
    EXPECT_EQ(proc->counters.bytes_read, 5u);
    lx::Stat st{};
    ASSERT_EQ(stat("/tmp/file", &st), 0);
    EXPECT_EQ(st.st_mode, lx::kSIfreg | 0644);  // umask 022
    EXPECT_EQ(sys(k::sys_close, 0), 0);
    EXPECT_EQ(sys(k::sys_close, 0), -lx::kEbadf);
    EXPECT_EQ(sys(k::sys_read, 0, alloc(8), 8), -lx::kEbadf);
    EXPECT_EQ(sys(k::sys_write, static_cast<uint64_t>(-1), alloc(8), 8), -lx::kEbadf);
    // Only the low 32 bits of an fd count.
    const int64_t fd2 = open("/tmp/file", lx::kORdonly);
    EXPECT_EQ(sys(k::sys_lseek, (uint64_t{1} << 32) | static_cast<uint64_t>(fd2), 0, lx::kSeekEnd), 11);
}

TEST_F(FsSyscallTest, ArgumentErrorsInLinuxOrder) {
    const int64_t ro = open("/dev/null", lx::kORdonly);
    ASSERT_GE(ro, 0);
    const uint64_t kernel_address = 0xffff'8000'0000'0000ull;
    // Not open for writing: EBADF before the buffer is looked at.
    EXPECT_EQ(sys(k::sys_write, static_cast<uint64_t>(ro), kernel_address, 8), -lx::kEbadf);
    EXPECT_EQ(sys(k::sys_read, static_cast<uint64_t>(ro), kernel_address, 8), -lx::kEfault);
    const int64_t dir = open("/tmp", lx::kORdonly);
    EXPECT_EQ(sys(k::sys_read, static_cast<uint64_t>(dir), kernel_address, 8), -lx::kEfault);
    EXPECT_EQ(sys(k::sys_read, static_cast<uint64_t>(dir), alloc(8), 8), -lx::kEisdir);
    EXPECT_EQ(sys(k::sys_open, kernel_address, 0, 0), -lx::kEfault);
    EXPECT_EQ(sys(k::sys_open, 0, 0, 0), -lx::kEfault);
    EXPECT_EQ(open("", lx::kORdonly), -lx::kEnoent);
    EXPECT_EQ(sys(k::sys_pread64, static_cast<uint64_t>(ro), alloc(8), 8, static_cast<uint64_t>(-1)), -lx::kEinval);
    EXPECT_EQ(sys(k::sys_pread64, 99, alloc(8), 8, 0), -lx::kEbadf);
    EXPECT_EQ(sys(k::sys_lseek, static_cast<uint64_t>(ro), 0, 5), -lx::kEinval);
    // A path with no NUL in PATH_MAX bytes: ENAMETOOLONG; one that runs off mapped memory: EFAULT.
    const uint64_t long_path = alloc(8192);
    poke(long_path, std::string(8192, 'a').data(), 8192);
    EXPECT_EQ(sys(k::sys_open, long_path, 0, 0), -lx::kEnametoolong);
    const uint64_t at_end = user + kUserBytes - 4;
    poke(at_end, "abcd", 4);
    EXPECT_EQ(sys(k::sys_open, at_end, 0, 0), -lx::kEfault);
}

TEST_F(FsSyscallTest, PartialTransfersStopAtAnUnmappedPage) {
    std::string data(8192, 'z');
    put_file("/tmp/f", data);
    const int64_t fd = open("/tmp/f", lx::kORdwr);
    // Two pages of which the second is unmapped.
    const uint64_t page = (user + kUserBytes - 2 * 4096) & ~uint64_t{4095};
    ASSERT_EQ(run([&] { return proc->space->munmap(page + 4096, 4096); }), 0);
    EXPECT_EQ(sys(k::sys_read, static_cast<uint64_t>(fd), page, 8192), 4096);
    EXPECT_EQ(peek(page, 4096), std::string(4096, 'z'));
    EXPECT_EQ(sys(k::sys_read, static_cast<uint64_t>(fd), page + 4096, 10), -lx::kEfault);
    EXPECT_EQ(sys(k::sys_lseek, static_cast<uint64_t>(fd), 0, lx::kSeekSet), 0);
    poke(page, std::string(4096, 'w').data(), 4096);
    EXPECT_EQ(sys(k::sys_write, static_cast<uint64_t>(fd), page, 8192), 4096);
    EXPECT_EQ(get_file("/tmp/f"), std::string(4096, 'w') + std::string(4096, 'z'));
}

TEST_F(FsSyscallTest, PreadPwriteAndVectors) {
    const int64_t fd = open("/tmp/v", lx::kOCreat | lx::kORdwr);
    const uint64_t b = str("0123456789");
    EXPECT_EQ(sys(k::sys_pwrite64, static_cast<uint64_t>(fd), b, 10, 100), 10);
    EXPECT_EQ(sys(k::sys_lseek, static_cast<uint64_t>(fd), 0, lx::kSeekCur), 0);  // offset untouched
    const uint64_t r = alloc(16);
    EXPECT_EQ(sys(k::sys_pread64, static_cast<uint64_t>(fd), r, 16, 98), 12);
    EXPECT_EQ(peek(r, 12), std::string("\0\0" "0123456789", 12));

    // writev of three segments (one empty), readv back into two.
    const uint64_t a1 = str("abc"), a2 = str("defgh");
    lx::Iovec iov[3] = {{a1, 3}, {a2, 0}, {a2, 5}};
    const uint64_t iovp = alloc(sizeof iov);
    poke(iovp, iov, sizeof iov);
    EXPECT_EQ(sys(k::sys_writev, static_cast<uint64_t>(fd), iovp, 3), 8);
    EXPECT_EQ(sys(k::sys_lseek, static_cast<uint64_t>(fd), 0, lx::kSeekSet), 0);
    const uint64_t d1 = alloc(2), d2 = alloc(100);
    lx::Iovec riov[2] = {{d1, 2}, {d2, 100}};
    poke(iovp, riov, sizeof riov);
    EXPECT_EQ(sys(k::sys_readv, static_cast<uint64_t>(fd), iovp, 2), 102);  // both segments filled
    EXPECT_EQ(peek(d1, 2), "ab");
    EXPECT_EQ(peek(d2, 6), "cdefgh");
    EXPECT_EQ(peek(d2 + 98, 2), "01");
    EXPECT_EQ(proc->counters.bytes_read, 12u + 102u);
    EXPECT_EQ(sys(k::sys_readv, static_cast<uint64_t>(fd), iovp, 1025), -lx::kEinval);
    EXPECT_EQ(sys(k::sys_readv, static_cast<uint64_t>(fd), iovp, static_cast<uint64_t>(-1)), -lx::kEinval);
    EXPECT_EQ(sys(k::sys_readv, static_cast<uint64_t>(fd), iovp, 0), 0);
    lx::Iovec neg[1] = {{d1, static_cast<uint64_t>(-1)}};
    poke(iovp, neg, sizeof neg);
    EXPECT_EQ(sys(k::sys_writev, static_cast<uint64_t>(fd), iovp, 1), -lx::kEinval);
    lx::Iovec bad[1] = {{0xffff'8000'0000'0000ull, 4}};
    poke(iovp, bad, sizeof bad);
    EXPECT_EQ(sys(k::sys_writev, static_cast<uint64_t>(fd), iovp, 1), -lx::kEfault);
    EXPECT_EQ(sys(k::sys_writev, static_cast<uint64_t>(fd), 0, 1), -lx::kEfault);
    EXPECT_EQ(sys(k::sys_writev, 77, iovp, 1), -lx::kEbadf);
}

TEST_F(FsSyscallTest, ConsoleFdsTerminalIoctlsAndTerminalIo) {
    ASSERT_EQ(run([&] { return k::open_console_fds(*proc->files); }), 0);
    EXPECT_EQ(write_fd(1, "out\n"), 4);
    EXPECT_EQ(write_fd(2, "err\n"), 4);
    const uint64_t iovp = alloc(32);
    const uint64_t s1 = str("wri"), s2 = str("tev\n");
    lx::Iovec iov[2] = {{s1, 3}, {s2, 4}};
    poke(iovp, iov, sizeof iov);
    EXPECT_EQ(sys(k::sys_writev, 1, iovp, 2), 7);
    EXPECT_EQ(out.str(), "out\nwritev\n");
    EXPECT_EQ(err.str(), "err\n");
    EXPECT_EQ(read_fd(0, 100), "typed line\n");
    EXPECT_EQ(read_fd(0, 100), "more\n");
    int64_t rc = 0;
    EXPECT_EQ(read_fd(0, 100, &rc), "");
    EXPECT_EQ(rc, 0);

    const uint64_t t = alloc(sizeof(lx::Termios));
    EXPECT_EQ(sys(k::sys_ioctl, 0, lx::kTcgets, t), 0);
    const lx::Termios tio = get<lx::Termios>(t);
    EXPECT_TRUE(tio.c_lflag & lx::kIcanon);
    EXPECT_TRUE(tio.c_lflag & lx::kEcho);
    EXPECT_TRUE(tio.c_oflag & lx::kOnlcr);
    EXPECT_EQ(tio.c_cc[0], 3);  // VINTR ^C
    EXPECT_EQ(tio.c_cc[6], 1);  // VMIN
    EXPECT_EQ(sys(k::sys_ioctl, 0, lx::kTcsets, t), 0);
    const uint64_t w = alloc(sizeof(lx::Winsize));
    EXPECT_EQ(sys(k::sys_ioctl, 1, lx::kTiocgwinsz, w), 0);
    const lx::Winsize ws = get<lx::Winsize>(w);
    EXPECT_EQ(ws.ws_row, 24);
    EXPECT_EQ(ws.ws_col, 80);
    EXPECT_EQ(sys(k::sys_ioctl, 1, lx::kTiocgwinsz, 0xffff'8000'0000'0000ull), -lx::kEfault);
    EXPECT_EQ(sys(k::sys_ioctl, 1, 0x12345678, w), -lx::kEnotty);
    EXPECT_EQ(sys(k::sys_ioctl, 9, lx::kTcgets, t), -lx::kEbadf);
    const int64_t file = open("/tmp/notatty", lx::kOCreat | lx::kORdwr);
    EXPECT_EQ(sys(k::sys_ioctl, static_cast<uint64_t>(file), lx::kTcgets, t), -lx::kEnotty);
    EXPECT_EQ(sys(k::sys_ioctl, static_cast<uint64_t>(file), lx::kTiocgwinsz, w), -lx::kEnotty);
    EXPECT_EQ(sys(k::sys_ioctl, static_cast<uint64_t>(file), lx::kFioclex, 0), 0);
    EXPECT_EQ(sys(k::sys_fcntl, static_cast<uint64_t>(file), lx::kFGetfd), 1);
    EXPECT_EQ(sys(k::sys_lseek, 1, 0, lx::kSeekCur), -lx::kEspipe);
    EXPECT_EQ(sys(k::sys_pwrite64, 1, s1, 3, 0), -lx::kEspipe);
}

TEST_F(FsSyscallTest, DupFamilyAndFcntl) {
    const int64_t fd = open("/tmp/d", lx::kOCreat | lx::kORdwr | lx::kOAppend);
    ASSERT_EQ(fd, 0);
    EXPECT_EQ(sys(k::sys_dup, 0), 1);
    EXPECT_EQ(sys(k::sys_dup, 5), -lx::kEbadf);
    EXPECT_EQ(sys(k::sys_dup2, 0, 10), 10);
    EXPECT_EQ(sys(k::sys_dup2, 10, 10), 10);
    EXPECT_EQ(sys(k::sys_dup2, 11, 11), -lx::kEbadf);
    EXPECT_EQ(sys(k::sys_dup2, 0, 1024), -lx::kEbadf);
    EXPECT_EQ(sys(k::sys_dup3, 0, 0, 0), -lx::kEinval);
    EXPECT_EQ(sys(k::sys_dup3, 0, 12, 1), -lx::kEinval);
    EXPECT_EQ(sys(k::sys_dup3, 0, 12, lx::kOCloexec), 12);
    EXPECT_EQ(sys(k::sys_fcntl, 12, lx::kFGetfd), 1);
    EXPECT_EQ(sys(k::sys_fcntl, 10, lx::kFGetfd), 0);
    EXPECT_EQ(sys(k::sys_fcntl, 10, lx::kFSetfd, 1), 0);
    EXPECT_EQ(sys(k::sys_fcntl, 10, lx::kFGetfd), 1);
    EXPECT_EQ(sys(k::sys_fcntl, 0, lx::kFDupfd, 5), 5);
    EXPECT_EQ(sys(k::sys_fcntl, 0, lx::kFDupfd, 5), 6);
    EXPECT_EQ(sys(k::sys_fcntl, 0, lx::kFDupfdCloexec, 0), 2);
    EXPECT_EQ(sys(k::sys_fcntl, 2, lx::kFGetfd), 1);
    EXPECT_EQ(sys(k::sys_fcntl, 0, lx::kFDupfd, 1024), -lx::kEinval);
    // Status flags live in the shared description.
    EXPECT_EQ(sys(k::sys_fcntl, 1, lx::kFGetfl), lx::kORdwr | lx::kOAppend | lx::kOLargefile);
    EXPECT_EQ(sys(k::sys_fcntl, 1, lx::kFSetfl, lx::kONonblock | lx::kORdonly | lx::kOCreat), 0);
    EXPECT_EQ(sys(k::sys_fcntl, 0, lx::kFGetfl), lx::kORdwr | lx::kONonblock | lx::kOLargefile);
    EXPECT_EQ(sys(k::sys_fcntl, 0, 9999), -lx::kEinval);
    EXPECT_EQ(sys(k::sys_fcntl, 99, lx::kFGetfl), -lx::kEbadf);
    // dup2 over an open fd closes it; the offset is shared.
    EXPECT_EQ(write_fd(0, "abc"), 3);
    EXPECT_EQ(sys(k::sys_lseek, 5, 0, lx::kSeekCur), 3);
    const int64_t other = open("/dev/null", lx::kORdonly);
    EXPECT_EQ(sys(k::sys_dup2, 0, static_cast<uint64_t>(other)), other);
    EXPECT_EQ(sys(k::sys_lseek, static_cast<uint64_t>(other), 0, lx::kSeekCur), 3);
    run([&] { proc->files->check_invariants(); });
}

TEST_F(FsSyscallTest, TooManyOpenFiles) {
    for (int i = 0; i < 1024; ++i) ASSERT_EQ(open("/dev/null", lx::kORdonly), i);
    EXPECT_EQ(open("/dev/null", lx::kORdonly), -lx::kEmfile);
    EXPECT_EQ(open("/nonexistent", lx::kORdonly), -lx::kEmfile);  // the fd is reserved before the lookup
    EXPECT_EQ(sys(k::sys_dup, 0), -lx::kEmfile);
    EXPECT_EQ(sys(k::sys_close, 500), 0);
    EXPECT_EQ(sys(k::sys_dup, 0), 500);
}

TEST_F(FsSyscallTest, StatFamily) {
    put_file("/tmp/f", "12345");
    ASSERT_EQ(symlink("f", "/tmp/l"), 0);
    const uint64_t b = alloc(sizeof(lx::Stat));
    EXPECT_EQ(sys(k::sys_stat, str("/tmp/l"), b), 0);
    lx::Stat st = get<lx::Stat>(b);
    EXPECT_EQ(st.st_size, 5);
    EXPECT_EQ(st.st_mode, lx::kSIfreg | 0644);
    EXPECT_EQ(st.st_blksize, 4096);
    EXPECT_EQ(st.st_dev, k::kTmpfsDevice);
    // The raw bytes: st_size at offset 48, st_mode at 24 (x86-64 struct stat).
    const std::string raw = peek(b, 144);
    int64_t size = 0;
    uint32_t mode = 0;
    std::memcpy(&size, raw.data() + 48, 8);
    std::memcpy(&mode, raw.data() + 24, 4);
    EXPECT_EQ(size, 5);
    EXPECT_EQ(mode, lx::kSIfreg | 0644);
    EXPECT_EQ(sys(k::sys_lstat, str("/tmp/l"), b), 0);
    EXPECT_EQ(get<lx::Stat>(b).st_mode, lx::kSIflnk | 0777);
    EXPECT_EQ(sys(k::sys_stat, str("/tmp/none"), b), -lx::kEnoent);
    EXPECT_EQ(sys(k::sys_stat, str("/tmp/f"), 0xffff'8000'0000'0000ull), -lx::kEfault);

    const int64_t fd = open("/tmp/f", lx::kORdonly);
    EXPECT_EQ(sys(k::sys_fstat, static_cast<uint64_t>(fd), b), 0);
    EXPECT_EQ(get<lx::Stat>(b).st_ino, st.st_ino);
    EXPECT_EQ(sys(k::sys_fstat, 50, b), -lx::kEbadf);

    int64_t rc = 0;
    const int64_t tmp = open("/tmp", lx::kORdonly | lx::kODirectory);
    lx::Stat s2 = stat_at(static_cast<uint64_t>(tmp), "l", 0, &rc);
    EXPECT_EQ(rc, 0);
    EXPECT_EQ(s2.st_ino, st.st_ino);
    s2 = stat_at(static_cast<uint64_t>(tmp), "l", lx::kAtSymlinkNofollow, &rc);
    EXPECT_EQ(s2.st_mode, lx::kSIflnk | 0777);
    s2 = stat_at(static_cast<uint64_t>(fd), "", lx::kAtEmptyPath, &rc);
    EXPECT_EQ(rc, 0);
    EXPECT_EQ(s2.st_ino, st.st_ino);
    s2 = stat_at(kFdcwd, "", lx::kAtEmptyPath, &rc);
    EXPECT_EQ(s2.st_ino, 1u);  // the cwd is "/"
    stat_at(static_cast<uint64_t>(fd), "", 0, &rc);
    EXPECT_EQ(rc, -lx::kEnoent);
    EXPECT_EQ(sys(k::sys_newfstatat, static_cast<uint64_t>(fd), 0, b, 0), -lx::kEfault);
    EXPECT_EQ(sys(k::sys_newfstatat, static_cast<uint64_t>(fd), 0, b, lx::kAtEmptyPath), 0);  // NULL with AT_EMPTY_PATH
    stat_at(static_cast<uint64_t>(fd), "x", 0, &rc);
    EXPECT_EQ(rc, -lx::kEnotdir);
    stat_at(77, "x", 0, &rc);
    EXPECT_EQ(rc, -lx::kEbadf);
    stat_at(77, "/tmp/f", 0, &rc);
    EXPECT_EQ(rc, 0);  // an absolute path ignores dirfd
    stat_at(kFdcwd, "/tmp/f", 0x4, &rc);
    EXPECT_EQ(rc, -lx::kEinval);
}

TEST_F(FsSyscallTest, StatxAndFsync) {
    put_file("/tmp/f", "123456789");
    const uint64_t b = alloc(sizeof(lx::Statx));
    EXPECT_EQ(sys(k::sys_statx, kFdcwd, str("/tmp/f"), 0, lx::kStatxBasicStats, b), 0);
    lx::Statx sx = get<lx::Statx>(b);
    EXPECT_EQ(sx.stx_size, 9u);
    EXPECT_EQ(sx.stx_mode, lx::kSIfreg | 0644);
    EXPECT_EQ(sx.stx_ino, static_cast<uint64_t>(ino("/tmp/f")));
    EXPECT_EQ(sx.stx_nlink, 1u);
    EXPECT_EQ(sx.stx_mask & lx::kStatxBasicStats, lx::kStatxBasicStats);
    EXPECT_EQ(sys(k::sys_statx, kFdcwd, str("/dev/console"), 0, lx::kStatxBasicStats, b), 0);
    sx = get<lx::Statx>(b);
    EXPECT_EQ(sx.stx_rdev_major, 5u);
    EXPECT_EQ(sx.stx_rdev_minor, 1u);
    const int64_t fd = open("/tmp/f", lx::kORdonly);
    EXPECT_EQ(sys(k::sys_statx, static_cast<uint64_t>(fd), str(""), lx::kAtEmptyPath, 0, b), 0);
    EXPECT_EQ(get<lx::Statx>(b).stx_size, 9u);
    EXPECT_EQ(sys(k::sys_statx, kFdcwd, str("/tmp/f"), 0x6000, 0, b), -lx::kEinval);
    EXPECT_EQ(sys(k::sys_statx, kFdcwd, str("/tmp/f"), 0, 0x80000000u, b), -lx::kEinval);
    EXPECT_EQ(sys(k::sys_statx, kFdcwd, str("/tmp/none"), 0, 0, b), -lx::kEnoent);
    EXPECT_EQ(sys(k::sys_fsync, static_cast<uint64_t>(fd)), 0);
    EXPECT_EQ(sys(k::sys_fdatasync, 99), -lx::kEbadf);
}

TEST_F(FsSyscallTest, Access) {
    put_file("/tmp/f", "");
    EXPECT_EQ(sys(k::sys_access, str("/tmp/f"), lx::kROk | lx::kWOk), 0);
    EXPECT_EQ(sys(k::sys_access, str("/tmp/f"), lx::kXOk), -lx::kEacces);
    EXPECT_EQ(sys(k::sys_access, str("/tmp"), lx::kXOk), 0);
    EXPECT_EQ(sys(k::sys_access, str("/tmp/none"), lx::kFOk), -lx::kEnoent);
    EXPECT_EQ(sys(k::sys_access, str("/tmp/f"), 8), -lx::kEinval);
    const int64_t tmp = open("/tmp", lx::kORdonly);
    EXPECT_EQ(sys(k::sys_faccessat, static_cast<uint64_t>(tmp), str("f"), lx::kFOk), 0);
    EXPECT_EQ(sys(k::sys_faccessat2, static_cast<uint64_t>(tmp), str("f"), lx::kFOk, 0x8000), -lx::kEinval);
    ASSERT_EQ(run([] { return k::vfs_mknod_char(nullptr, "/tmp/x", 0755, 1, 3); }), 0);
    EXPECT_EQ(sys(k::sys_access, str("/tmp/x"), lx::kXOk), 0);
}

TEST_F(FsSyscallTest, CwdChdirAndRelativePaths) {
    const uint64_t b = alloc(256);
    EXPECT_EQ(sys(k::sys_getcwd, b, 256), 2);
    EXPECT_EQ(peek(b, 2), std::string("/\0", 2));
    ASSERT_EQ(sys(k::sys_mkdir, str("/tmp/work"), 0777), 0);
    lx::Stat st{};
    ASSERT_EQ(stat("/tmp/work", &st), 0);
    EXPECT_EQ(st.st_mode, lx::kSIfdir | 0755);  // umask 022
    EXPECT_EQ(sys(k::sys_chdir, str("/tmp/work")), 0);
    EXPECT_EQ(sys(k::sys_getcwd, b, 256), 10);
    EXPECT_EQ(peek(b, 10), std::string("/tmp/work\0", 10));
    EXPECT_EQ(sys(k::sys_getcwd, b, 9), -lx::kErange);
    EXPECT_EQ(sys(k::sys_getcwd, 0xffff'8000'0000'0000ull, 256), -lx::kEfault);
    EXPECT_EQ(open("rel", lx::kOCreat | lx::kOWronly), 0);
    EXPECT_GT(ino("/tmp/work/rel"), 0);
    EXPECT_EQ(sys(k::sys_chdir, str("..")), 0);
    EXPECT_EQ(sys(k::sys_getcwd, b, 256), 5);
    EXPECT_EQ(sys(k::sys_chdir, str("work/rel")), -lx::kEnotdir);
    EXPECT_EQ(sys(k::sys_chdir, str("nowhere")), -lx::kEnoent);
    EXPECT_EQ(sys(k::sys_fchdir, 0), -lx::kEnotdir);
    const int64_t dev = open("/dev", lx::kORdonly | lx::kODirectory);
    EXPECT_EQ(sys(k::sys_fchdir, static_cast<uint64_t>(dev)), 0);
    EXPECT_EQ(sys(k::sys_getcwd, b, 256), 5);
    EXPECT_EQ(peek(b, 5), std::string("/dev\0", 5));
    EXPECT_EQ(sys(k::sys_fchdir, 99), -lx::kEbadf);
    // A removed cwd: getcwd is ENOENT.
    EXPECT_EQ(sys(k::sys_chdir, str("/tmp/work")), 0);
    EXPECT_EQ(sys(k::sys_unlink, str("rel")), 0);
    EXPECT_EQ(sys(k::sys_rmdir, str("/tmp/work")), 0);
    EXPECT_EQ(sys(k::sys_getcwd, b, 256), -lx::kEnoent);
    EXPECT_EQ(open("new", lx::kOCreat | lx::kOWronly), -lx::kEnoent);
    EXPECT_EQ(sys(k::sys_umask, 077), 022);
    EXPECT_EQ(sys(k::sys_umask, 0), 077);
}

TEST_F(FsSyscallTest, NamesThroughTheAtCalls) {
    const int64_t tmp = open("/tmp", lx::kORdonly | lx::kODirectory);
    EXPECT_EQ(sys(k::sys_umask, 0), 022);
    EXPECT_EQ(sys(k::sys_mkdirat, static_cast<uint64_t>(tmp), str("d"), 01777), 0);
    lx::Stat st{};
    ASSERT_EQ(stat("/tmp/d", &st), 0);
    EXPECT_EQ(st.st_mode, lx::kSIfdir | 01777);
    const int64_t fd = sys(k::sys_openat, static_cast<uint64_t>(tmp), str("d/f"), lx::kOCreat | lx::kOWronly | lx::kOCloexec, 0600);
    EXPECT_GE(fd, 0);
    EXPECT_EQ(sys(k::sys_fcntl, static_cast<uint64_t>(fd), lx::kFGetfd), 1);
    EXPECT_EQ(sys(k::sys_openat, static_cast<uint64_t>(fd), str("x"), lx::kORdonly), -lx::kEnotdir);
    EXPECT_EQ(sys(k::sys_openat, 200, str("x"), lx::kORdonly), -lx::kEbadf);
    EXPECT_EQ(sys(k::sys_openat, kFdcwd, str("/tmp/d/f"), lx::kORdonly | lx::kOCreat | lx::kODirectory), -lx::kEinval);
    EXPECT_EQ(sys(k::sys_openat, kFdcwd, str("/tmp/d/g"), lx::kOWronly | 020200000), -lx::kEopnotsupp);
    EXPECT_EQ(sys(k::sys_symlinkat, str("f"), static_cast<uint64_t>(tmp), str("d/l")), 0);
    EXPECT_EQ(sys(k::sys_symlink, str(""), str("/tmp/empty")), -lx::kEnoent);
    const uint64_t b = alloc(64);
    EXPECT_EQ(sys(k::sys_readlinkat, static_cast<uint64_t>(tmp), str("d/l"), b, 64), 1);
    EXPECT_EQ(peek(b, 1), "f");
    EXPECT_EQ(sys(k::sys_readlink, str("/tmp/d/l"), b, 0), -lx::kEinval);
    EXPECT_EQ(sys(k::sys_readlink, str("/tmp/d/f"), b, 64), -lx::kEinval);
    EXPECT_EQ(sys(k::sys_readlink, str("/tmp/d/none"), b, 64), -lx::kEnoent);
    // O_PATH | O_NOFOLLOW on the link, then readlinkat with an empty path.
    const int64_t lfd = sys(k::sys_open, str("/tmp/d/l"), lx::kOPath | lx::kONofollow, 0);
    ASSERT_GE(lfd, 0);
    EXPECT_EQ(sys(k::sys_readlinkat, static_cast<uint64_t>(lfd), str(""), b, 64), 1);
    EXPECT_EQ(sys(k::sys_read, static_cast<uint64_t>(lfd), b, 1), -lx::kEbadf);
    EXPECT_EQ(sys(k::sys_renameat, static_cast<uint64_t>(tmp), str("d/f"), kFdcwd, str("/tmp/g")), 0);
    EXPECT_EQ(sys(k::sys_rename, str("/tmp/g"), str("/tmp/d/f")), 0);
    EXPECT_EQ(sys(k::sys_renameat2, kFdcwd, str("/tmp/d/f"), kFdcwd, str("/tmp/g"), 1), -lx::kEinval);
    EXPECT_EQ(sys(k::sys_unlinkat, static_cast<uint64_t>(tmp), str("d"), 0), -lx::kEisdir);
    EXPECT_EQ(sys(k::sys_unlinkat, static_cast<uint64_t>(tmp), str("d"), lx::kAtRemovedir), -lx::kEnotempty);
    EXPECT_EQ(sys(k::sys_unlinkat, static_cast<uint64_t>(tmp), str("d/f"), 0x1), -lx::kEinval);
    EXPECT_EQ(sys(k::sys_unlinkat, static_cast<uint64_t>(tmp), str("d/f"), 0), 0);
    EXPECT_EQ(sys(k::sys_unlink, str("/tmp/d/l")), 0);
    EXPECT_EQ(sys(k::sys_rmdir, str("/tmp/d")), 0);
    EXPECT_EQ(sys(k::sys_rmdir, str("/tmp/d")), -lx::kEnoent);
    EXPECT_EQ(sys(k::sys_mkdir, str("/tmp/d/e")), -lx::kEnoent);
}

TEST_F(FsSyscallTest, TruncateCalls) {
    put_file("/tmp/f", "0123456789");
    EXPECT_EQ(sys(k::sys_truncate, str("/tmp/f"), 4), 0);
    EXPECT_EQ(get_file("/tmp/f"), "0123");
    EXPECT_EQ(sys(k::sys_truncate, str("/tmp/f"), static_cast<uint64_t>(-1)), -lx::kEinval);
    EXPECT_EQ(sys(k::sys_truncate, str("/tmp"), 0), -lx::kEisdir);
    const int64_t ro = open("/tmp/f", lx::kORdonly);
    EXPECT_EQ(sys(k::sys_ftruncate, static_cast<uint64_t>(ro), 0), -lx::kEinval);
    const int64_t rw = open("/tmp/f", lx::kORdwr);
    EXPECT_EQ(sys(k::sys_ftruncate, static_cast<uint64_t>(rw), 6), 0);
    EXPECT_EQ(get_file("/tmp/f"), std::string("0123\0\0", 6));
}

TEST_F(FsSyscallTest, Getdents64ThroughUserMemory) {
    ASSERT_EQ(mkdir("/tmp/many"), 0);
    std::set<std::string> expected = {".", ".."};
    for (int i = 0; i < 200; ++i) {
        const std::string name = "f" + std::to_string(i) + std::string(static_cast<size_t>(i % 40), 'x');
        put_file("/tmp/many/" + name, "");
        expected.insert(name);
    }
    const int64_t fd = open("/tmp/many", lx::kORdonly | lx::kODirectory);
    const uint64_t b = alloc(300);
    EXPECT_EQ(sys(k::sys_getdents64, static_cast<uint64_t>(fd), b, 10), -lx::kEinval);
    EXPECT_EQ(sys(k::sys_getdents64, static_cast<uint64_t>(fd), 0xffff'8000'0000'0000ull, 300), -lx::kEfault);
    // An unmapped buffer: EFAULT, and the entries are not lost.
    const uint64_t hole = (user + kUserBytes - 4096) & ~uint64_t{4095};
    ASSERT_EQ(run([&] { return proc->space->munmap(hole, 4096); }), 0);
    EXPECT_EQ(sys(k::sys_getdents64, static_cast<uint64_t>(fd), hole, 300), -lx::kEfault);
    std::multiset<std::string> got;
    for (int calls = 0; calls < 1000; ++calls) {
        const int64_t n = sys(k::sys_getdents64, static_cast<uint64_t>(fd), b, 300);
        ASSERT_GE(n, 0);
        if (n == 0) break;
        const std::string raw = peek(b, static_cast<size_t>(n));
        for (size_t pos = 0; pos < raw.size();) {
            lx::Dirent64 d;
            std::memcpy(&d, raw.data() + pos, lx::kDirent64NameOffset);
            ASSERT_GT(d.d_reclen, 0);
            got.insert(std::string(raw.data() + pos + lx::kDirent64NameOffset));
            pos += d.d_reclen;
        }
    }
    EXPECT_EQ(got.size(), expected.size());
    EXPECT_EQ(std::set<std::string>(got.begin(), got.end()), expected);
    const int64_t file = open("/tmp/many/f1x", lx::kORdonly);
    EXPECT_EQ(sys(k::sys_getdents64, static_cast<uint64_t>(file), b, 300), -lx::kEnotdir);
}

}  // namespace

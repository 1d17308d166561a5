// The initramfs unpacker (kernel/fs/initramfs): archives written here by
// hand and by the host's `cpio -o -H newc`, unpacked into the VFS and read
// back; every truncation and a set of broken fields give an error with a
// reason, never a crash or a read outside the buffer (run under ASan: each
// archive is an exact-size heap copy).
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "tests/kernel/fs_fixture.h"

using namespace simx;
using namespace simx::testing;

namespace {

// A newc archive writer for the tests.
class Cpio {
public:
    explicit Cpio(const char* magic = "070701") : magic_(magic) {}
    Cpio& dir(const std::string& name, uint32_t mode = 0755) { return add(name, lx::kSIfdir | mode, ""); }
    Cpio& file(const std::string& name, const std::string& data, uint32_t mode = 0644) {
        return add(name, lx::kSIfreg | mode, data);
    }
    Cpio& link(const std::string& name, const std::string& target) { return add(name, lx::kSIflnk | 0777, target); }
    Cpio& chr(const std::string& name, uint32_t major, uint32_t minor) {
        return add(name, lx::kSIfchr | 0600, "", major, minor);
    }
    Cpio& add(const std::string& name, uint32_t mode, const std::string& data, uint32_t rmajor = 0, uint32_t rminor = 0) {
        char h[111];
        std::snprintf(h, sizeof h, "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", magic_.c_str(), ++ino_, mode,
                      0u, 0u, 1u, 0u, static_cast<uint32_t>(data.size()), 0u, 0u, rmajor, rminor,
                      static_cast<uint32_t>(name.size() + 1), 0u);
        out_.insert(out_.end(), h, h + 110);
        out_.insert(out_.end(), name.begin(), name.end());
        out_.push_back('\0');
        pad();
        out_.insert(out_.end(), data.begin(), data.end());
        pad();
        return *this;
    }
    std::vector<uint8_t> finish() {
        add("TRAILER!!!", 0, "");
        return out_;
    }

private:
    void pad() {
        while (out_.size() % 4) out_.push_back(0);
    }
    std::string magic_;
    std::vector<uint8_t> out_;
    uint32_t ino_ = 0;
};

class FsInitramfsTest : public FsTest {
public:
    // Unpacks an exact-size heap copy of the first `size` bytes.
    int64_t unpack(const std::vector<uint8_t>& archive, size_t size, std::string* reason = nullptr) {
        std::vector<uint8_t> copy(archive.begin(), archive.begin() + static_cast<std::ptrdiff_t>(size));
        const char* why = nullptr;
        const int64_t rc = run([&] { return k::initramfs_unpack(copy.empty() ? nullptr : copy.data(), copy.size(), &why); });
        if (rc < 0) {
            EXPECT_NE(why, nullptr) << "an error without a reason";
        }
        if (reason) *reason = why ? why : "";
        return rc;
    }
    int64_t unpack(const std::vector<uint8_t>& archive, std::string* reason = nullptr) {
        return unpack(archive, archive.size(), reason);
    }
    uint32_t mode_of(const std::string& path) {
        lx::Stat st{};
        EXPECT_EQ(stat(path, &st, false), 0) << path;
        return st.st_mode;
    }
};

std::vector<uint8_t> sample() {
    return Cpio()
        .dir(".")
        .dir("bin")
        .file("bin/prog", std::string("\x7f" "ELF and some bytes", 19), 0755)
        .link("bin/sh", "prog")
        .dir("etc", 0700)
        .file("etc/motd", "hello\n")
        .file("empty", "")
        .finish();
}

TEST_F(FsInitramfsTest, UnpacksAValidArchive) {
    std::string reason;
    ASSERT_EQ(unpack(sample(), &reason), 0) << reason;
    EXPECT_EQ(get_file("/bin/prog"), std::string("\x7f" "ELF and some bytes", 19));
    EXPECT_EQ(get_file("/bin/sh"), get_file("/bin/prog"));
    EXPECT_EQ(get_file("/etc/motd"), "hello\n");
    EXPECT_EQ(get_file("/empty"), "");
    EXPECT_EQ(mode_of("/bin/prog"), lx::kSIfreg | 0755);
    EXPECT_EQ(mode_of("/bin/sh"), lx::kSIflnk | 0777);
    EXPECT_EQ(mode_of("/etc"), lx::kSIfdir | 0700);
    EXPECT_EQ(mode_of("/etc/motd"), lx::kSIfreg | 0644);
    char target[16] = {};
    EXPECT_EQ(run([&] { return k::vfs_readlink(nullptr, "/bin/sh", target, sizeof target); }), 4);
    EXPECT_EQ(std::string(target), "prog");
}

TEST_F(FsInitramfsTest, NamesParentsReplacementsAndOtherKinds) {
    const auto archive = Cpio()
                             .file("./a/b/c/deep", "deep")       // parents made
                             .file("/abs", "absolute")           // leading slash
                             .file("abs", "replaced")            // same name again: replaced
                             .chr("dev/mine", 1, 3)
                             .add("fifo", lx::kSIfifo | 0644, "")  // skipped
                             .dir("a", 0700)                     // an existing directory is kept
                             .finish();
    std::string reason;
    ASSERT_EQ(unpack(archive, &reason), 0) << reason;
    EXPECT_EQ(get_file("/a/b/c/deep"), "deep");
    EXPECT_EQ(get_file("/abs"), "replaced");
    EXPECT_EQ(mode_of("/dev/mine"), lx::kSIfchr | 0600);
    k::File* f = open("/dev/mine", lx::kORdwr);
    ASSERT_NE(f, nullptr);
    EXPECT_EQ(write(f, "x"), 1);  // it is /dev/null
    close(f);
    EXPECT_EQ(ino("/fifo"), -lx::kEnoent);
    EXPECT_EQ(mode_of("/a/b/c"), lx::kSIfdir | 0755);
    // A file member where a non-empty directory stands is an error.
    std::string why;
    EXPECT_EQ(unpack(Cpio().file("a", "x").finish(), &why), -lx::kEnotempty);
    EXPECT_FALSE(why.empty());
}

TEST_F(FsInitramfsTest, CrcMagicConcatenationAndPadding) {
    auto first = Cpio("070702").file("one", "1").finish();
    const auto second = Cpio().file("two", "2").finish();
    first.insert(first.end(), 512, 0);  // cpio pads to blocks; bootloaders append archives
    first.insert(first.end(), second.begin(), second.end());
    first.insert(first.end(), 100, 0);
    std::string reason;
    ASSERT_EQ(unpack(first, &reason), 0) << reason;
    EXPECT_EQ(get_file("/one"), "1");
    EXPECT_EQ(get_file("/two"), "2");
    EXPECT_EQ(unpack(std::vector<uint8_t>{}, size_t{0}), 0);  // no archive at all
}

TEST_F(FsInitramfsTest, EveryTruncationIsAnError) {
    const std::vector<uint8_t> archive = sample();
    for (size_t size = 1; size < archive.size(); ++size) {
        std::string reason;
        EXPECT_EQ(unpack(archive, size, &reason), -lx::kEinval) << "truncated to " << size << " bytes";
    }
    // The full one still unpacks over whatever the prefixes left.
    EXPECT_EQ(unpack(archive), 0);
}

TEST_F(FsInitramfsTest, BrokenFieldsGiveReasons) {
    const std::vector<uint8_t> good = Cpio().file("f", "data").finish();
    struct Case {
        const char* what;
        size_t offset;
        std::string bytes;
        const char* reason_part;
    };
    // Header field offsets: magic 0, ino 6, mode 14, ..., filesize 54, namesize 94, check 102.
    const Case cases[] = {
        {"magic", 0, "070707", "magic"},
        {"magic digit", 5, "3", "magic"},
        {"mode not hex", 14, "0000g1A4", "hexadecimal"},
        {"space in a field", 54, " 0000004", "hexadecimal"},
        {"filesize huge", 54, "FFFFFFFF", "data runs past"},
        {"filesize one past the end", 54, "00000081", "data runs past"},  // 240-byte archive, data at 112
        {"namesize zero", 94, "00000000", "empty member name"},
        {"namesize huge", 94, "7FFFFFFF", "PATH_MAX"},
        {"namesize past end", 94, "00000FFF", "past the end"},
        {"name without NUL", 94, "00000001", "NUL-terminated"},
        {"NUL inside name", 94, "00000003", ""},
        {"unknown type", 14, "0000F1A4", "unknown file type"},
        {"directory with data", 14, "000041ED", "directory member with data"},
    };
    for (const Case& c : cases) {
        std::vector<uint8_t> bad = good;
        std::copy(c.bytes.begin(), c.bytes.end(), bad.begin() + static_cast<std::ptrdiff_t>(c.offset));
        std::string reason;
        EXPECT_EQ(unpack(bad, &reason), -lx::kEinval) << c.what;
        EXPECT_NE(reason.find(c.reason_part), std::string::npos) << c.what << ": " << reason;
    }
    std::string reason;
    EXPECT_EQ(unpack(Cpio().link("l", std::string("a\0b", 3)).finish(), &reason), -lx::kEinval);
    EXPECT_NE(reason.find("NUL"), std::string::npos);
    EXPECT_EQ(unpack(Cpio().link("l", "").finish(), &reason), -lx::kEinval);
    EXPECT_EQ(unpack(Cpio().link("l", std::string(4096, 'x')).finish(), &reason), -lx::kEinval);
    EXPECT_EQ(unpack(Cpio().chr("c", 1, 3).add("d", lx::kSIfchr | 0600, "data").finish(), &reason), -lx::kEinval);
    std::vector<uint8_t> trailer_with_data = Cpio().add("TRAILER!!!", 0, "xx").finish();
    EXPECT_EQ(unpack(trailer_with_data, &reason), -lx::kEinval);
    std::vector<uint8_t> junk = Cpio().file("f", "x").finish();
    junk.push_back('J');
    EXPECT_EQ(unpack(junk, &reason), -lx::kEinval);
    EXPECT_NE(reason.find("header"), std::string::npos) << reason;
}

TEST_F(FsInitramfsTest, RandomCorruptionNeverCrashes) {
    const std::vector<uint8_t> archive = sample();
    std::mt19937 rng(42);
    int accepted = 0;
    for (int i = 0; i < 3000; ++i) {
        std::vector<uint8_t> bad = archive;
        const int flips = 1 + static_cast<int>(rng() % 3);
        for (int j = 0; j < flips; ++j) {
            const size_t at = rng() % bad.size();
            // Mostly hex digits, so corrupted numbers get past the syntax checks.
            bad[at] = (rng() % 2) ? static_cast<uint8_t>("0123456789ABCDEF"[rng() % 16]) : static_cast<uint8_t>(rng());
        }
        if (unpack(bad) == 0) ++accepted;
    }
    EXPECT_GT(accepted, 0);  // some flips land in data and are harmless
    run([] { k::vfs_check_invariants(); });
}

// The host's cpio tool: a tree in a temporary directory, archived with
// `find . | cpio -o -H newc`, unpacked and compared.
TEST_F(FsInitramfsTest, ArchiveFromTheCpioTool) {
    if (std::system("command -v cpio > /dev/null 2>&1") != 0) GTEST_SKIP() << "no cpio tool on this host";
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("simx_fs_cpio_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir / "usr/share");
    std::ofstream(dir / "usr/share/text") << "some text\n";
    std::string binary(70000, '\0');
    for (size_t i = 0; i < binary.size(); ++i) binary[i] = static_cast<char>(i * 31 + 7);
    std::ofstream(dir / "blob", std::ios::binary).write(binary.data(), static_cast<std::streamsize>(binary.size()));
    fs::create_symlink("usr/share/text", dir / "textlink");
    fs::permissions(dir / "blob", fs::perms::owner_read | fs::perms::owner_exec);
    const fs::path out = dir.string() + ".cpio";
    const std::string cmd = "cd '" + dir.string() + "' && find . | cpio --quiet -o -H newc > '" + out.string() + "'";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    std::ifstream in(out, std::ios::binary);
    const std::vector<uint8_t> archive{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    fs::remove_all(dir);
    fs::remove(out);
    ASSERT_GT(archive.size(), 70000u);

    std::string reason;
    ASSERT_EQ(unpack(archive, &reason), 0) << reason;
    EXPECT_EQ(get_file("/usr/share/text"), "some text\n");
    EXPECT_EQ(get_file("/textlink"), "some text\n");
    EXPECT_EQ(get_file("/blob"), binary);
    EXPECT_EQ(mode_of("/blob"), lx::kSIfreg | 0500);
    EXPECT_EQ(mode_of("/textlink"), lx::kSIflnk | 0777);
    // Cut inside the members (not in the zero padding after the trailer).
    for (size_t size : {size_t{1}, size_t{109}, size_t{110}, size_t{200}, size_t{5000}, size_t{70100}})
        EXPECT_EQ(unpack(archive, size, &reason), -lx::kEinval) << size;
}

}  // namespace

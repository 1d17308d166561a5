// A cpio "newc" archive writer (the format Linux's initramfs takes,
// Documentation/driver-api/early-userspace/buffer-format.rst): what `simx run`
// packs the host program into so the kernel finds it in its root file system.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace simx {

class CpioWriter {
public:
    // Paths are relative to the root ("host/prog"); parents before children.
    void add_directory(const std::string& path, uint32_t mode = 0755);
    void add_file(const std::string& path, const std::vector<uint8_t>& data, uint32_t mode = 0755);
    // The archive with its TRAILER!!! entry.
    std::vector<uint8_t> finish();

private:
    void add(const std::string& path, uint32_t mode, const uint8_t* data, size_t size);
    std::vector<uint8_t> out_;
    uint32_t next_inode_ = 1;
};

}  // namespace simx

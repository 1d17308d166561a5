#include "apps/simx/cpio_writer.h"

#include <fmt/format.h>

#include "sim/machine/sim_error.h"

namespace simx {
namespace {

void pad4(std::vector<uint8_t>& out) {
    while (out.size() % 4) out.push_back(0);
}

}  // namespace

void CpioWriter::add(const std::string& path, uint32_t mode, const uint8_t* data, size_t size) {
    if (size > 0xFFFFFFFFull) throw SimError(fmt::format("'{}' is too large for a cpio newc archive", path));
    // Header fields: 8 hex digits each, no checksum (magic 070701); mtime 0 so
    // the archive is the same on every run.
    const std::string header = fmt::format(
        "070701{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}{:08X}", next_inode_++, mode,
        0, 0, 1, 0, size, 0, 0, 0, 0, path.size() + 1, 0);
    out_.insert(out_.end(), header.begin(), header.end());
    out_.insert(out_.end(), path.begin(), path.end());
    out_.push_back(0);
    pad4(out_);
    out_.insert(out_.end(), data, data + size);
    pad4(out_);
}

void CpioWriter::add_directory(const std::string& path, uint32_t mode) { add(path, 0040000 | mode, nullptr, 0); }

void CpioWriter::add_file(const std::string& path, const std::vector<uint8_t>& data, uint32_t mode) {
    add(path, 0100000 | mode, data.data(), data.size());
}

std::vector<uint8_t> CpioWriter::finish() {
    add("TRAILER!!!", 0, nullptr, 0);
    next_inode_ = 1;
    return std::move(out_);
}

}  // namespace simx

#include "platform/pci/pci_region.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <utility>

#include "platform/error_detail.h"

namespace periscope::platform {
namespace {

constexpr size_t MAX_LISTED_DEVICES = 16;
constexpr size_t MAX_ID_FILE_BYTES = 4096;
constexpr size_t BAR_INDEX = 2;
constexpr const char* ADD_DEVICE_HINT =
    "add one to the VM: `-object memory-backend-file,id=periscope,share=on,"
    "mem-path=/dev/shm/periscope,size=64M -device ivshmem-plain,memdev=periscope` (libvirt: "
    "`<shmem name='periscope'><model type='ivshmem-plain'/><size unit='M'>64</size></shmem>`)";

std::optional<std::string> read_small_file(const std::string& path) {
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return std::nullopt;
    }
    std::string text(MAX_ID_FILE_BYTES, '\0');
    size_t used = 0;
    while (used < text.size()) {
        const ssize_t n = read(fd, text.data() + used, text.size() - used);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        used += static_cast<size_t>(n);
    }
    close(fd);
    text.resize(used);
    return text;
}

// sysfs id files hold "0x1af4\n".
std::optional<uint64_t> parse_hex(std::string_view text) {
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) {
        text.remove_suffix(1);
    }
    while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) {
        text.remove_prefix(1);
    }
    if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
        text.remove_prefix(2);
    }
    uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value, 16);
    if (ec != std::errc() || end != text.data() + text.size() || text.empty()) {
        return std::nullopt;
    }
    return value;
}

bool id_file_is(const std::string& path, uint64_t expected) {
    const auto text = read_small_file(path);
    if (!text) {
        return false;
    }
    const auto value = parse_hex(*text);
    return value && *value == expected;
}

bool all_hex(std::string_view text) {
    return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
        return std::isxdigit(static_cast<unsigned char>(c)) != 0;
    });
}

// "0000:00:05.0" (or "00:05.0", domain 0) to sysfs's lower-case form; nullopt if malformed.
std::optional<std::string> normalize_address(std::string_view text) {
    std::string address(text);
    std::transform(address.begin(), address.end(), address.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (std::count(address.begin(), address.end(), ':') == 1) {
        address = "0000:" + address;
    }
    const size_t first = address.find(':');
    const size_t second = address.find(':', first + 1);
    const size_t dot = address.find('.', second == std::string::npos ? 0 : second);
    if (first == std::string::npos || second == std::string::npos || dot == std::string::npos) {
        return std::nullopt;
    }
    const std::string_view view(address);
    const auto domain = view.substr(0, first);
    const auto bus = view.substr(first + 1, second - first - 1);
    const auto slot = view.substr(second + 1, dot - second - 1);
    const auto function = view.substr(dot + 1);
    if (domain.size() < 4 || domain.size() > 8 || !all_hex(domain) || bus.size() != 2 ||
        !all_hex(bus) || slot.size() != 2 || !all_hex(slot) || function.size() != 1 ||
        function[0] < '0' || function[0] > '7') {
        return std::nullopt;
    }
    return address;
}

std::string join(const std::vector<std::string>& items, size_t limit) {
    std::string text;
    for (size_t i = 0; i < items.size() && i < limit; ++i) {
        text += (i == 0 ? "" : ", ") + items[i];
    }
    if (items.size() > limit) {
        text += format_text(", ... (%zu more)", items.size() - limit);
    }
    return text.empty() ? "none" : text;
}

std::string scanned_text(const PciScan& scan) {
    return format_text("%zu other PCI device(s) in %s: %s", scan.others.size(), scan.root.c_str(),
                       join(scan.others, MAX_LISTED_DEVICES).c_str());
}

// BAR2's size from the `resource` file ("start end flags" per BAR, hex), for sysfs versions
// whose resourceN files report no size.
uint64_t bar_size_from_resource_file(const std::string& device_dir) {
    const auto text = read_small_file(device_dir + "/resource");
    if (!text) {
        return 0;
    }
    size_t line_start = 0;
    for (size_t i = 0; i < BAR_INDEX; ++i) {
        line_start = text->find('\n', line_start);
        if (line_start == std::string::npos) {
            return 0;
        }
        ++line_start;
    }
    const std::string line = text->substr(line_start, text->find('\n', line_start) - line_start);
    char* end = nullptr;
    const unsigned long long start = std::strtoull(line.c_str(), &end, 16);
    const unsigned long long last = std::strtoull(end, nullptr, 16);
    return last > start ? static_cast<uint64_t>(last - start + 1) : 0;
}

struct Selector {
    enum class Kind { First, Index, Address };
    Kind kind = Kind::First;
    size_t index = 0;
    std::string address;
};

// Checked before the scan, so a typo is reported as such whatever devices the machine has.
Result<Selector, RegionError> parse_selector(std::string_view text, std::string* detail) {
    Selector selector;
    if (text.empty()) {
        return selector;
    }
    if (text.front() == '#') {
        const auto digits = text.substr(1);
        const auto [end, ec] =
            std::from_chars(digits.data(), digits.data() + digits.size(), selector.index);
        if (digits.empty() || ec != std::errc() || end != digits.data() + digits.size()) {
            return report(RegionError::InvalidSpec,
                          format_text("'pci:%.*s': expected pci:#N with N a device index from 0",
                                      static_cast<int>(text.size()), text.data()),
                          detail);
        }
        selector.kind = Selector::Kind::Index;
        return selector;
    }
    auto address = normalize_address(text);
    if (!address) {
        return report(RegionError::InvalidSpec,
                      format_text("'pci:%.*s': expected pci, pci:DDDD:BB:DD.F (e.g. "
                                  "pci:0000:00:05.0) or pci:#N",
                                  static_cast<int>(text.size()), text.data()),
                      detail);
    }
    selector.kind = Selector::Kind::Address;
    selector.address = std::move(*address);
    return selector;
}

Result<std::string, RegionError> select_device(const Selector& selector, const PciScan& scan,
                                               std::string* detail) {
    if (scan.error != 0) {
        return report(
            RegionError::NotFound,
            format_text("cannot list PCI devices in %s: %s (is this a VM guest with "
                        "sysfs mounted? %s overrides the path)",
                        scan.root.c_str(), errno_text(scan.error).c_str(), SYSFS_PCI_ROOT_ENV),
            detail);
    }
    if (scan.ivshmem.empty()) {
        return report(RegionError::NotFound,
                      format_text("no ivshmem-plain device (PCI %04x:%04x) found among the %s; %s",
                                  IVSHMEM_VENDOR_ID, IVSHMEM_DEVICE_ID, scanned_text(scan).c_str(),
                                  ADD_DEVICE_HINT),
                      detail);
    }
    const std::string found = join(scan.ivshmem, MAX_LISTED_DEVICES);
    switch (selector.kind) {
        case Selector::Kind::First:
            return scan.ivshmem.front();
        case Selector::Kind::Index:
            if (selector.index >= scan.ivshmem.size()) {
                return report(RegionError::NotFound,
                              format_text("pci:#%zu asks for ivshmem device %zu (from 0) but %s "
                                          "has %zu: %s",
                                          selector.index, selector.index, scan.root.c_str(),
                                          scan.ivshmem.size(), found.c_str()),
                              detail);
            }
            return scan.ivshmem[selector.index];
        case Selector::Kind::Address:
            break;
    }
    const std::string& address = selector.address;
    if (std::find(scan.ivshmem.begin(), scan.ivshmem.end(), address) == scan.ivshmem.end()) {
        const bool exists =
            std::find(scan.others.begin(), scan.others.end(), address) != scan.others.end();
        return report(RegionError::NotFound,
                      format_text("%s %s in %s; ivshmem devices there: %s", address.c_str(),
                                  exists ? "is not an ivshmem device" : "does not exist",
                                  scan.root.c_str(), found.c_str()),
                      detail);
    }
    return address;
}

Result<std::unique_ptr<PciRegion>, RegionError> map_bar(
    const std::string& address, const std::string& device_dir, const std::string& path,
    bool write_combined, int fd, const RegionOptions& options, std::string* detail) {
    struct stat st {};
    if (fstat(fd, &st) != 0) {
        const int error = errno;
        return report(RegionError::IoError,
                      format_text("cannot stat %s: %s", path.c_str(), errno_text(error).c_str()),
                      detail);
    }
    if (!S_ISREG(st.st_mode)) {
        return report(RegionError::NotRegularFile,
                      format_text("%s is not a sysfs resource file (mode %06o)", path.c_str(),
                                  static_cast<unsigned>(st.st_mode)),
                      detail);
    }
    uint64_t size = static_cast<uint64_t>(st.st_size);
    if (size == 0) {
        size = bar_size_from_resource_file(device_dir);
    }
    if (size == 0 || size < options.min_size) {
        const uint64_t needed = std::max<uint64_t>(options.min_size, 1);
        return report(RegionError::TooSmall,
                      too_small_text("BAR2 of ivshmem device " + address + " (" + path + ")", size,
                                     needed, true),
                      detail);
    }
    if (size > SIZE_MAX) {
        return report(RegionError::MapFailed,
                      format_text("cannot map %s: %s does not fit the address space", path.c_str(),
                                  format_bytes_and_mib(size).c_str()),
                      detail);
    }
    const auto length = static_cast<size_t>(size);
    void* base = mmap(nullptr, length, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (base == MAP_FAILED) {
        const int error = errno;
        if (error == EACCES || error == EPERM) {
            return report(
                RegionError::PermissionDenied,
                permission_text("map", path, error,
                                "mapping a PCI BAR needs root; EPERM as root means kernel "
                                "lockdown (Secure Boot) forbids it: boot with lockdown=none or "
                                "use a kernel driver"),
                detail);
        }
        return report(RegionError::MapFailed,
                      format_text("cannot map %s (%s): %s", path.c_str(),
                                  format_bytes_and_mib(size).c_str(), errno_text(error).c_str()),
                      detail);
    }
    std::string description =
        format_text("ivshmem %s BAR2 (%s, %s)", address.c_str(), format_size(size).c_str(),
                    write_combined ? "write-combined" : "uncached");
    return std::make_unique<PciRegion>(address, path, write_combined, fd, base, length,
                                       std::move(description));
}

}  // namespace

std::string sysfs_pci_root() {
    const char* root = std::getenv(SYSFS_PCI_ROOT_ENV);
    return (root != nullptr && root[0] != '\0') ? std::string(root) : DEFAULT_SYSFS_PCI_ROOT;
}

PciScan scan_pci_devices(const std::string& root) {
    PciScan scan;
    scan.root = root;
    DIR* dir = opendir(root.c_str());
    if (dir == nullptr) {
        scan.error = errno;
        return scan;
    }
    while (const dirent* entry = readdir(dir)) {
        const std::string name = entry->d_name;
        if (name == "." || name == "..") {
            continue;
        }
        const std::string device_dir = root + "/" + name;
        if (!read_small_file(device_dir + "/vendor")) {
            continue;  // not a device directory
        }
        if (id_file_is(device_dir + "/vendor", IVSHMEM_VENDOR_ID) &&
            id_file_is(device_dir + "/device", IVSHMEM_DEVICE_ID)) {
            scan.ivshmem.push_back(name);
        } else {
            scan.others.push_back(name);
        }
    }
    closedir(dir);
    std::sort(scan.ivshmem.begin(), scan.ivshmem.end());
    std::sort(scan.others.begin(), scan.others.end());
    return scan;
}

PciRegion::PciRegion(std::string address, std::string resource_path, bool write_combined, int fd,
                     void* base, size_t size, std::string description)
    : MappedRegion(base, size, size, std::move(description), duplicate_fd(fd)),
      m_address(std::move(address)),
      m_resource_path(std::move(resource_path)),
      m_write_combined(write_combined) {}

Result<std::unique_ptr<PciRegion>, RegionError> open_pci_region(std::string_view selector,
                                                                const RegionOptions& options,
                                                                std::string* detail) {
    const auto parsed = parse_selector(selector, detail);
    if (!parsed) {
        return fail(parsed.error());
    }
    const PciScan scan = scan_pci_devices(sysfs_pci_root());
    auto address = select_device(*parsed, scan, detail);
    if (!address) {
        return fail(address.error());
    }
    const std::string device_dir = scan.root + "/" + *address;
    const std::string wc_path = device_dir + "/resource2_wc";
    // resource2_wc exists only for prefetchable BARs on CPUs that can write-combine.
    const bool write_combined = options.write_combining && access(wc_path.c_str(), F_OK) == 0;
    const std::string path = write_combined ? wc_path : device_dir + "/resource2";
    const int fd = open(path.c_str(), O_RDWR | O_SYNC | O_CLOEXEC);
    if (fd < 0) {
        const int error = errno;
        if (error == ENOENT) {
            return report(RegionError::NotFound,
                          format_text("ivshmem device %s has no BAR2 (%s: %s); was it added "
                                      "with memdev= (ivshmem-plain) or chardev= (doorbell)?",
                                      address->c_str(), path.c_str(), errno_text(error).c_str()),
                          detail);
        }
        if (error == EACCES || error == EPERM) {
            return report(RegionError::PermissionDenied,
                          permission_text("open", path, error,
                                          "sysfs resource files are root's: run the agent as "
                                          "root (or as a service with CAP_DAC_OVERRIDE)"),
                          detail);
        }
        return report(RegionError::IoError,
                      format_text("cannot open %s: %s", path.c_str(), errno_text(error).c_str()),
                      detail);
    }
    auto region = map_bar(*address, device_dir, path, write_combined, fd, options, detail);
    close(fd);
    return region;
}

}  // namespace periscope::platform

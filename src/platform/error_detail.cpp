#include "platform/error_detail.h"

#if !defined(_WIN32)
#include <grp.h>
#include <sys/stat.h>
#include <unistd.h>
#endif

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <vector>

#include "core/align.h"
#include "core/log.h"

namespace periscope::platform {
namespace {

constexpr const char* MODULE = "region";
// What to suggest to QEMU when nothing says how much is needed.
constexpr uint64_t DEFAULT_SUGGESTED_MIB = 64;

double to_mib(uint64_t bytes) {
    return static_cast<double>(bytes) / static_cast<double>(MIB);
}

#if !defined(_WIN32)
std::string group_name(gid_t gid) {
    std::vector<char> buffer(4096);
    group entry{};
    group* found = nullptr;
    if (getgrgid_r(gid, &entry, buffer.data(), buffer.size(), &found) == 0 && found != nullptr) {
        return found->gr_name;
    }
    return std::to_string(gid);
}

// Whether the permission bits alone would let this process read and write the file.
bool mode_allows_rw(const struct stat& st) {
    const uid_t uid = geteuid();
    if (uid == 0) {
        return true;
    }
    if (st.st_uid == uid) {
        return (st.st_mode & (S_IRUSR | S_IWUSR)) == (S_IRUSR | S_IWUSR);
    }
    bool in_group = st.st_gid == getegid();
    if (!in_group) {
        std::vector<gid_t> groups(256);
        const int count = getgroups(static_cast<int>(groups.size()), groups.data());
        for (int i = 0; i < count && !in_group; ++i) {
            in_group = groups[static_cast<size_t>(i)] == st.st_gid;
        }
    }
    if (in_group) {
        return (st.st_mode & (S_IRGRP | S_IWGRP)) == (S_IRGRP | S_IWGRP);
    }
    return (st.st_mode & (S_IROTH | S_IWOTH)) == (S_IROTH | S_IWOTH);
}
#endif

}  // namespace

std::string format_size(uint64_t bytes) {
    const auto n = static_cast<unsigned long long>(bytes);
    if (bytes >= MIB && bytes % MIB == 0) {
        return format_text("%llu MiB", n / MIB);
    }
    if (bytes >= MIB) {
        return format_text("%.1f MiB", to_mib(bytes));
    }
    if (bytes >= 1024 && bytes % 1024 == 0) {
        return format_text("%llu KiB", n / 1024);
    }
    return format_text("%llu bytes", n);
}

std::string format_bytes_and_mib(uint64_t bytes) {
    return format_text("%llu bytes (%.2f MiB)", static_cast<unsigned long long>(bytes),
                       to_mib(bytes));
}

namespace {
thread_local bool t_quiet = false;
}  // namespace

QuietReports::QuietReports(bool quiet) : m_previous(t_quiet) {
    t_quiet = quiet;
}

QuietReports::~QuietReports() {
    t_quiet = m_previous;
}

Unexpected<RegionError> report(RegionError error, std::string message, std::string* detail) {
    if (!t_quiet) {
        PERISCOPE_LOG_ERROR(MODULE, "%s: %s", to_string(error), message.c_str());
    }
    if (detail != nullptr) {
        *detail = std::move(message);
    }
    return fail(error);
}

std::string too_small_text(const std::string& what, uint64_t actual, uint64_t needed,
                           bool qemu_hint) {
    std::string text;
    if (actual == 0 && needed <= 1) {
        // Nothing says how much is needed, only that an empty region is useless.
        text = format_text("%s is empty (0 bytes, 0.00 MiB)", what.c_str());
    } else {
        text =
            format_text("%s is %s but at least %s are needed", what.c_str(),
                        format_bytes_and_mib(actual).c_str(), format_bytes_and_mib(needed).c_str());
    }
    if (!qemu_hint) {
        return text;
    }
    // PCI BARs are powers of two, so QEMU refuses any other ivshmem size: suggest one it takes.
    const uint64_t needed_mib = needed <= 1 ? DEFAULT_SUGGESTED_MIB : align_up(needed, MIB) / MIB;
    const auto suggest = static_cast<unsigned long long>(next_power_of_two(needed_mib));
    return text + format_text(
                      "; give QEMU a larger size= on `-object memory-backend-file,...,size=%lluM` "
                      "(libvirt: `<shmem><size unit='M'>%llu</size>`); it must be a power of two",
                      suggest, suggest);
}

#if !defined(_WIN32)
std::string permission_text(const char* action, const std::string& path, int error,
                            const std::string& fix) {
    std::string text =
        format_text("cannot %s %s: %s", action, path.c_str(), errno_text(error).c_str());
    struct stat st {};
    if (stat(path.c_str(), &st) != 0) {
        const int stat_error = errno;
        text += format_text(
            " (stat fails too: %s; every directory on the path must be searchable by uid %u)",
            errno_text(stat_error).c_str(), static_cast<unsigned>(geteuid()));
        return text;
    }
    text += format_text(" (owner uid %u gid %u, mode %04o; this process runs as uid %u gid %u)",
                        static_cast<unsigned>(st.st_uid), static_cast<unsigned>(st.st_gid),
                        static_cast<unsigned>(st.st_mode & 07777), static_cast<unsigned>(geteuid()),
                        static_cast<unsigned>(getegid()));
    if (mode_allows_rw(st)) {
        text +=
            "; the mode allows access, so a security module (SELinux, AppArmor), a seal or "
            "a mount option is refusing it";
    }
    if (!fix.empty()) {
        text += "; " + fix;
        return text;
    }
    const char* p = path.c_str();
    if (st.st_gid == 0) {
        // Never advise joining group root: move the file to the user's group instead.
        text += format_text(
            "; fix: `sudo chown $USER %s`, or `sudo chgrp $(id -gn) %s && sudo "
            "chmod 0660 %s`",
            p, p, p);
    } else {
        const std::string group = group_name(st.st_gid);
        text += format_text(
            "; fix: `sudo chown $USER %s`, or `sudo chmod 0660 %s` and `sudo "
            "usermod -aG %s $USER` (then log in again)",
            p, p, group.c_str());
    }
    text += format_text(
        "; to make it stick, pre-create it with a tmpfiles.d line `f %s 0660 "
        "USER GROUP -`",
        p);
    return text;
}

#endif

}  // namespace periscope::platform

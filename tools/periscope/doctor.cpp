#include "doctor.h"

#include <grp.h>
#include <pwd.h>
#include <spice/enums.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <fstream>
#include <iterator>
#include <memory>
#include <thread>

#include "core/clock.h"
#include "core/format.h"
#include "inspect.h"
#include "json_writer.h"
#include "platform/region.h"
#include "protocol/layout.h"
#include "spice_probe.h"
#include "text_util.h"

namespace periscope::doctor {
namespace {

constexpr const char* AGENT_DOC = "docs/agent.md";
constexpr const char* SETUP_DOC = "docs/setup.md";
constexpr const char* APPARMOR_LOCAL = "/etc/apparmor.d/local/abstractions/libvirt-qemu";
constexpr const char* APPARMOR_ABSTRACTION = "/etc/apparmor.d/abstractions/libvirt-qemu";
constexpr const char* SELINUX_ENFORCE = "/sys/fs/selinux/enforce";
constexpr const char* APPARMOR_ENABLED = "/sys/module/apparmor/parameters/enabled";
constexpr const char* SELINUX_TYPE = "svirt_tmpfs_t";
// How often the heartbeat is re-read while waiting for it to advance.
constexpr uint64_t HEARTBEAT_POLL_MS = 20;
// The longest heartbeat wait, for an agent that promises a slow beat.
constexpr uint32_t MAX_HEARTBEAT_WAIT_MS = 5000;

Finding finding(Level level, const char* check, std::string what, std::string fix = {}) {
    return Finding{level, check, std::move(what), std::move(fix)};
}

std::string user_name(uid_t uid) {
    const passwd* pw = getpwuid(uid);
    return pw != nullptr ? pw->pw_name : std::to_string(uid);
}

std::string group_name(gid_t gid) {
    const group* gr = getgrgid(gid);
    return gr != nullptr ? gr->gr_name : std::to_string(gid);
}

bool in_group(gid_t gid) {
    if (getegid() == gid) {
        return true;
    }
    const int count = getgroups(0, nullptr);
    if (count <= 0) {
        return false;
    }
    std::vector<gid_t> groups(static_cast<size_t>(count));
    const int got = getgroups(count, groups.data());
    for (int i = 0; i < got; ++i) {
        if (groups[static_cast<size_t>(i)] == gid) {
            return true;
        }
    }
    return false;
}

// The account QEMU runs as when libvirt starts it: Debian and Ubuntu create libvirt-qemu (primary
// group kvm), Fedora and Arch create qemu. Found by name so the advice can use the real names.
struct QemuAccount {
    std::string user;   // empty: none of the usual accounts exists
    std::string group;  // its primary group
};

QemuAccount qemu_account() {
    for (const char* name : {"libvirt-qemu", "qemu"}) {
        if (const passwd* pw = getpwnam(name)) {
            return {pw->pw_name, group_name(pw->pw_gid)};
        }
    }
    return {};
}

std::string owner_text(const struct stat& st) {
    return format_text("owner %s:%s, mode %04o", user_name(st.st_uid).c_str(),
                       group_name(st.st_gid).c_str(), static_cast<unsigned>(st.st_mode & 07777));
}

std::string file_kind(mode_t mode) {
    if (S_ISDIR(mode)) {
        return "a directory";
    }
    if (S_ISSOCK(mode)) {
        return "a socket";
    }
    if (S_ISFIFO(mode)) {
        return "a FIFO";
    }
    if (S_ISCHR(mode) || S_ISBLK(mode)) {
        return "a device node";
    }
    if (S_ISLNK(mode)) {
        return "a symbolic link";
    }
    return "not a regular file";
}

std::string resolution_text(uint32_t width, uint32_t height, protocol::Format format) {
    return format_text("%ux%u %s", width, height, protocol::to_string(format));
}

std::string read_first_line(const char* path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
}

bool file_contains(const char* path, const std::string& text) {
    std::ifstream in(path);
    const std::string content((std::istreambuf_iterator<char>(in)),
                              std::istreambuf_iterator<char>());
    return content.find(text) != std::string::npos;
}

// The QEMU and libvirt settings for a region of `ivshmem` bytes at the doctor's path.
std::string qemu_settings(const DoctorOptions& options, uint64_t ivshmem) {
    tools::SizeReport report = tools::compute_size(options.resolution, options.shm_path);
    // compute_size sizes for the resolution; a larger size (a file that is only misaligned)
    // keeps what the user has.
    if (ivshmem > report.ivshmem) {
        const std::string from =
            format_text("size=%lluM", static_cast<unsigned long long>(report.ivshmem / tools::MIB));
        const std::string to =
            format_text("size=%lluM", static_cast<unsigned long long>(ivshmem / tools::MIB));
        const std::string from_xml =
            format_text(">%llu<", static_cast<unsigned long long>(report.ivshmem / tools::MIB));
        const std::string to_xml =
            format_text(">%llu<", static_cast<unsigned long long>(ivshmem / tools::MIB));
        if (const size_t at = report.qemu.find(from); at != std::string::npos) {
            report.qemu.replace(at, from.size(), to);
        }
        if (const size_t at = report.libvirt.find(from_xml); at != std::string::npos) {
            report.libvirt.replace(at, from_xml.size(), to_xml);
        }
    }
    std::string text = "QEMU: `" + report.qemu + "`";
    if (!report.libvirt.empty()) {
        text += "; libvirt: `" + report.libvirt + "`";
    }
    return text;
}

// ---- the shm file ------------------------------------------------------------------------------

struct FileFacts {
    bool present = false;  // stat() succeeded and it is a regular file
    struct stat st {};
};

Finding check_file(const DoctorOptions& options, FileFacts* facts) {
    const std::string& path = options.shm_path;
    if (stat(path.c_str(), &facts->st) != 0) {
        const int error = errno;
        if (error == ENOENT) {
            const tools::SizeReport size = tools::compute_size(options.resolution, path);
            return finding(
                Level::Fail, "shm-file", format_text("shm file %s does not exist", path.c_str()),
                format_text("start the VM: QEMU creates it from its ivshmem device (%s); or give "
                            "--shm the path your VM uses (%s)",
                            qemu_settings(options, size.ivshmem).c_str(), SETUP_DOC));
        }
        return finding(
            Level::Fail, "shm-file",
            format_text("cannot look at shm file %s: %s", path.c_str(), errno_text(error).c_str()),
            error == EACCES ? "a directory on the way is not searchable by you: "
                              "check its permissions with `namei -l " +
                                  path + "`"
                            : std::string());
    }
    if (!S_ISREG(facts->st.st_mode)) {
        return finding(
            Level::Fail, "shm-file",
            format_text("shm file %s is %s", path.c_str(), file_kind(facts->st.st_mode).c_str()),
            "give --shm the file QEMU was given as mem-path= (libvirt: /dev/shm/NAME for "
            "<shmem name='NAME'>)");
    }
    facts->present = true;
    return finding(Level::Ok, "shm-file",
                   format_text("shm file %s: regular file, %s, %s", path.c_str(),
                               tools::format_size(static_cast<uint64_t>(facts->st.st_size)).c_str(),
                               owner_text(facts->st).c_str()));
}

Finding check_size(const DoctorOptions& options, const FileFacts& facts) {
    const auto size = static_cast<uint64_t>(facts.st.st_size);
    const tools::SizeReport need = tools::compute_size(options.resolution, options.shm_path);
    const std::string res = resolution_text(need.query.width, need.query.height, need.query.format);
    if (size == 0) {
        return finding(Level::Fail, "shm-size",
                       format_text("shm size: %s is empty", options.shm_path.c_str()),
                       "QEMU sizes it when the VM starts: is the VM running? " +
                           qemu_settings(options, need.ivshmem));
    }
    const bool power_of_two = (size & (size - 1)) == 0;
    const uint64_t fixed = protocol::required_region_size(need.frame_bytes, 0);
    const uint64_t fit = size > fixed ? (size - fixed) / need.frame_bytes : 0;
    const std::string size_text = tools::format_size(size);
    if (size < need.required) {
        return finding(
            Level::Fail, "shm-size",
            format_text("shm size: %s is too small for %s: it holds %llu buffer%s, the agent "
                        "needs %u (%s)%s",
                        size_text.c_str(), res.c_str(), static_cast<unsigned long long>(fit),
                        fit == 1 ? "" : "s", need.query.buffers,
                        tools::format_size(need.required).c_str(),
                        power_of_two ? "" : ", and it is not a power of two"),
            format_text("give the ivshmem device %s and restart the VM: %s (`periscope-shm "
                        "--size WxH` computes other resolutions)",
                        tools::format_size(need.ivshmem).c_str(),
                        qemu_settings(options, need.ivshmem).c_str()));
    }
    if (!power_of_two) {
        const uint64_t rounded = protocol::recommended_ivshmem_size(size);
        return finding(Level::Fail, "shm-size",
                       format_text("shm size: %s (%llu bytes) is not a power of two, which an "
                                   "ivshmem device's memory must be",
                                   size_text.c_str(), static_cast<unsigned long long>(size)),
                       format_text("a file QEMU did not size? Remove it while the VM is off and "
                                   "let QEMU create it: %s",
                                   qemu_settings(options, rounded).c_str()));
    }
    return finding(Level::Ok, "shm-size",
                   format_text("shm size: %s, a power of two; room for %llu buffers of %s (the "
                               "agent needs %u: %s)",
                               size_text.c_str(), static_cast<unsigned long long>(fit), res.c_str(),
                               need.query.buffers, tools::format_size(need.required).c_str()));
}

Finding permission_finding(const DoctorOptions& options, const FileFacts& facts) {
    const std::string& path = options.shm_path;
    const QemuAccount qemu = qemu_account();
    const std::string me = user_name(geteuid());
    // The group QEMU runs in keeps its access; without a known QEMU account, the file's group.
    const std::string group = qemu.user.empty() ? group_name(facts.st.st_gid) : qemu.group;
    const std::string qemu_text =
        qemu.user.empty() ? format_text("QEMU keeps access if it runs in group %s", group.c_str())
                          : format_text("QEMU (user %s, group %s) keeps access through the group",
                                        qemu.user.c_str(), qemu.group.c_str());
    return finding(
        Level::Fail, "shm-access",
        format_text("shm access: you (%s, uid %u) cannot open %s read-write: %s", me.c_str(),
                    static_cast<unsigned>(geteuid()), path.c_str(), owner_text(facts.st).c_str()),
        format_text("sudo chown %s:%s %s && sudo chmod 0660 %s (%s). That lasts until the file "
                    "is recreated: to keep it, add `f %s 0660 %s %s -` to "
                    "/etc/tmpfiles.d/periscope.conf (%s)",
                    me.c_str(), group.c_str(), path.c_str(), path.c_str(), qemu_text.c_str(),
                    path.c_str(), me.c_str(), group.c_str(), SETUP_DOC));
}

Finding check_access(const DoctorOptions& options, const FileFacts& facts,
                     std::unique_ptr<platform::Region>* region) {
    const std::string& path = options.shm_path;
    if (facts.st.st_size == 0) {
        return finding(Level::Skip, "shm-access",
                       "shm access: not checked (the file is empty: nothing to map)");
    }
    platform::RegionOptions region_options;
    region_options.quiet = true;  // the finding reports it
    std::string detail;
    auto opened = platform::open_region(path, region_options, &detail);
    if (!opened) {
        if (opened.error() == platform::RegionError::PermissionDenied) {
            return permission_finding(options, facts);
        }
        return finding(Level::Fail, "shm-access",
                       format_text("shm access: cannot map %s: %s", path.c_str(),
                                   platform::to_string(opened.error())),
                       detail);
    }
    *region = std::move(opened).value();
    const mode_t mode = facts.st.st_mode;
    if (geteuid() == 0) {
        return finding(Level::Warn, "shm-access",
                       format_text("shm access: opened as root, who can open any file (%s): "
                                   "this says nothing about the viewer's user",
                                   owner_text(facts.st).c_str()),
                       "run `periscope doctor` as the user who runs periscope-viewer");
    }
    const bool own_access = facts.st.st_uid == geteuid() || in_group(facts.st.st_gid);
    if ((mode & 0006) != 0) {
        // Anyone on the host can then watch the guest's screen or write into the region.
        return finding(Level::Warn, "shm-access",
                       format_text("shm access: readable and writable, but %s lets every local "
                                   "user read the guest's screen%s",
                                   owner_text(facts.st).c_str(),
                                   (mode & 0002) != 0 ? " and write into the region" : ""),
                       own_access ? format_text("sudo chmod o-rwx %s", path.c_str())
                                  : permission_finding(options, facts).fix);
    }
    return finding(Level::Ok, "shm-access",
                   format_text("shm access: %s can read and write it (%s)",
                               user_name(geteuid()).c_str(), owner_text(facts.st).c_str()));
}

// ---- the agent's session -----------------------------------------------------------------------

struct AgentFacts {
    bool alive = false;  // a live session: QEMU evidently shares the file with the guest
};

tools::Report inspect_once(platform::Region& region, const std::string& path) {
    tools::InspectOptions options;
    options.sample_heartbeat = false;  // the doctor samples it itself, for longer
    return tools::inspect_mapping(region.bytes(), path, options);
}

std::string session_text(const tools::Report& report) {
    return format_text("session 0x%016llX, producer pid %u",
                       static_cast<unsigned long long>(report.header.session_id),
                       report.header.producer_pid);
}

// The frame the agent could not post because the region's buffers are too small for it, if the
// header names one consistently (the fields are written without a lock: check them together).
std::string refused_frame(const protocol::RegionHeader& h) {
    const auto format = static_cast<protocol::Format>(h.refused_format);
    if (h.refused_frame_bytes == 0 || h.refused_width == 0 || h.refused_height == 0 ||
        h.refused_width > protocol::MAX_DIMENSION || h.refused_height > protocol::MAX_DIMENSION ||
        protocol::bytes_per_pixel(format) == 0 ||
        protocol::frame_bytes(h.refused_width, h.refused_height, format) != h.refused_frame_bytes) {
        return {};
    }
    return resolution_text(h.refused_width, h.refused_height, format);
}

Finding check_agent(const DoctorOptions& options, platform::Region* region, AgentFacts* facts) {
    const std::string& path = options.shm_path;
    if (region == nullptr) {
        return finding(Level::Skip, "agent",
                       "agent: not checked (the shm file cannot be opened: see above)");
    }
    const std::string start = format_text(
        "start periscope-agent in the guest, as root or with access to the ivshmem device (%s)",
        AGENT_DOC);
    tools::Report report = inspect_once(*region, path);
    switch (report.outcome) {
        case tools::Outcome::Ok:
        case tools::Outcome::ProducerNotRunning:
            break;
        case tools::Outcome::NotPeriscope:
            if (report.magic == 0) {
                return finding(Level::Fail, "agent",
                               "agent: no session in the shm file (nothing has initialised it: "
                               "the agent has not run since the VM started)",
                               start +
                                   "; inside the guest, `periscope-shm pci` shows whether "
                                   "it sees the ivshmem device");
            }
            return finding(Level::Fail, "agent", "agent: " + report.message,
                           "is another program using this file? Give Periscope its own "
                           "(`<shmem name='periscope'>`) and " +
                               start);
        case tools::Outcome::TooSmall:
            return finding(Level::Fail, "agent", "agent: " + report.message,
                           "see the shm size above");
        case tools::Outcome::Unsupported:
            return finding(Level::Fail, "agent", "agent: " + report.message,
                           "run the same Periscope version in the guest and on the host");
        case tools::Outcome::BadLayout:
            return finding(Level::Fail, "agent", "agent: " + report.message,
                           format_text("restart the agent; if that does not help, report it "
                                       "with the output of `periscope-shm --json %s`",
                                       path.c_str()));
        case tools::Outcome::Unstable:
            return finding(Level::Warn, "agent",
                           "agent: the session changed while it was read (the agent is "
                           "restarting?)",
                           "run `periscope doctor` again");
        case tools::Outcome::ProducerStopped:
            return finding(Level::Fail, "agent",
                           format_text("agent: stopped (it ended its session cleanly; last %s)",
                                       session_text(report).c_str()),
                           start + "; the systemd user unit in dist/systemd restarts it");
        default:
            return finding(Level::Fail, "agent", "agent: " + report.message, start);
    }
    const auto state = static_cast<protocol::ProducerState>(report.header.producer_state);
    if (state != protocol::ProducerState::Running) {
        return finding(
            Level::Fail, "agent",
            format_text("agent: the session is %s, not running (%s)",
                        state == protocol::ProducerState::Initialising ? "still initialising"
                                                                       : "in an unknown state",
                        session_text(report).c_str()),
            "if this persists, the agent died while starting: " + start);
    }

    // Alive means the heartbeat moves. Wait for it as long as the agent promises to take, within
    // bounds: ~1.5 s covers the default 100 ms beat many times over.
    const uint32_t period = report.header.heartbeat_period_ms;
    const uint32_t wait_ms =
        std::min(std::max(options.heartbeat_wait_ms, 2 * period + 100), MAX_HEARTBEAT_WAIT_MS);
    const uint64_t first = report.header.producer_heartbeat;
    const uint64_t session = report.header.session_id;
    const uint64_t start_ns = monotonic_ns();
    const uint64_t deadline = start_ns + uint64_t{wait_ms} * NS_PER_MS;
    bool advanced = false;
    while (!advanced && monotonic_ns() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(HEARTBEAT_POLL_MS));
        tools::Report again = inspect_once(*region, path);
        if (!again.header_copied) {
            continue;
        }
        if (again.header.session_id != session) {
            report = std::move(again);  // a new session started meanwhile: that agent is alive
            advanced = report.outcome == tools::Outcome::Ok;
            break;
        }
        if (again.header.producer_heartbeat != first) {
            advanced = true;
            report = std::move(again);
        }
    }
    const uint64_t waited_ms = (monotonic_ns() - start_ns) / NS_PER_MS;
    if (!advanced) {
        return finding(
            Level::Fail, "agent",
            format_text("agent: not responding: its heartbeat stayed at %llu for %llu ms (stale "
                        "%s; it promises a beat every %u ms)",
                        static_cast<unsigned long long>(first),
                        static_cast<unsigned long long>(waited_ms), session_text(report).c_str(),
                        period),
            "the guest is paused, or the agent hung or was killed: resume the VM, or restart "
            "periscope-agent in the guest (" +
                std::string(AGENT_DOC) + ")");
    }
    facts->alive = true;

    const std::string refused = refused_frame(report.header);
    if (!refused.empty()) {
        const tools::SizeQuery query{report.header.refused_width, report.header.refused_height,
                                     static_cast<protocol::Format>(report.header.refused_format),
                                     tools::DEFAULT_SIZE_BUFFERS};
        const tools::SizeReport need = tools::compute_size(query, path);
        return finding(Level::Fail, "agent",
                       format_text("agent: running (%s), but the guest screen %s does not fit "
                                   "the region's buffers, so no frames are sent",
                                   session_text(report).c_str(), refused.c_str()),
                       format_text("give the ivshmem device %s (QEMU: `%s`) and restart the VM, "
                                   "or lower the guest's resolution",
                                   tools::format_size(need.ivshmem).c_str(), need.qemu.c_str()));
    }
    std::string screen;
    const tools::FrameReport& frame = report.frame;
    if (report.layout_valid && frame.latest_serial != 0 && frame.copied && frame.problem.empty()) {
        screen = format_text("guest screen %s (frame %llu)",
                             resolution_text(frame.record.width, frame.record.height,
                                             static_cast<protocol::Format>(frame.record.format))
                                 .c_str(),
                             static_cast<unsigned long long>(frame.latest_serial));
    } else {
        screen = "no frame yet (the agent captures only while a viewer is attached)";
    }
    return finding(Level::Ok, "agent",
                   format_text("agent: running, heartbeat advancing (%s); %s",
                               session_text(report).c_str(), screen.c_str()));
}

// ---- SELinux and AppArmor ----------------------------------------------------------------------

std::vector<Finding> check_confinement(const DoctorOptions& options, const FileFacts& facts,
                                       const AgentFacts& agent) {
    const std::string& path = options.shm_path;
    std::vector<Finding> out;
    const std::string evident = "; QEMU evidently maps the file (the agent's session is live)";
    if (read_first_line(SELINUX_ENFORCE) == "1") {
        std::string label;
        if (facts.present) {
            char buffer[256] = "";
            const ssize_t n =
                getxattr(path.c_str(), "security.selinux", buffer, sizeof(buffer) - 1);
            if (n > 0) {
                label.assign(buffer, static_cast<size_t>(n));
                while (!label.empty() && label.back() == '\0') {
                    label.pop_back();
                }
            }
        }
        const std::string fix =
            format_text("sudo semanage fcontext -a -t %s %s && sudo restorecon -v %s", SELINUX_TYPE,
                        path.c_str(), path.c_str());
        if (label.find(SELINUX_TYPE) != std::string::npos) {
            out.push_back(finding(
                Level::Ok, "selinux",
                format_text("SELinux: enforcing; %s is labelled %s", path.c_str(), label.c_str())));
        } else if (agent.alive) {
            out.push_back(
                finding(Level::Ok, "selinux",
                        format_text("SELinux: enforcing; %s is labelled %s%s", path.c_str(),
                                    label.empty() ? "(unknown)" : label.c_str(), evident.c_str())));
        } else {
            out.push_back(finding(
                Level::Warn, "selinux",
                format_text("SELinux: enforcing, and %s is labelled %s: QEMU (svirt_t) may be "
                            "refused it",
                            path.c_str(), label.empty() ? "(unknown or missing)" : label.c_str()),
                fix));
        }
    }
    if (read_first_line(APPARMOR_ENABLED) == "Y" && access(APPARMOR_ABSTRACTION, F_OK) == 0) {
        if (file_contains(APPARMOR_LOCAL, path)) {
            out.push_back(
                finding(Level::Ok, "apparmor",
                        format_text("AppArmor: %s names %s", APPARMOR_LOCAL, path.c_str())));
        } else if (agent.alive) {
            out.push_back(
                finding(Level::Ok, "apparmor",
                        format_text("AppArmor: confines libvirt's QEMU%s", evident.c_str())));
        } else {
            out.push_back(finding(
                Level::Warn, "apparmor",
                format_text("AppArmor: confines libvirt's QEMU, and %s does not name %s; QEMU "
                            "may be refused it (`sudo journalctl -k | grep DENIED` shows it)",
                            APPARMOR_LOCAL, path.c_str()),
                format_text("add the line `%s rw,` to %s, then `sudo systemctl restart libvirtd`",
                            path.c_str(), APPARMOR_LOCAL)));
        }
    }
    if (out.empty()) {
        out.push_back(finding(Level::Ok, "confinement",
                              "SELinux/AppArmor: neither confines QEMU's access to the file here "
                              "(SELinux not enforcing, no AppArmor libvirt-qemu profile)"));
    }
    return out;
}

// ---- SPICE and the display ---------------------------------------------------------------------

Finding check_spice(const DoctorOptions& options) {
    if (options.spice.kind == viewer::SpiceTarget::Kind::None) {
        return finding(Level::Skip, "spice",
                       "spice: skipped (no --spice): keyboard, mouse and clipboard are not "
                       "checked");
    }
    const std::string target = options.spice.describe();
    std::string detail;
    auto probe = probe_spice(options.spice, options.spice_timeout_ms, &detail);
    if (!probe) {
        std::string fix;
        switch (probe.error()) {
            case SpiceProbeError::NotFound:
            case SpiceProbeError::Refused:
            case SpiceProbeError::Unreachable:
                fix = options.spice.kind == viewer::SpiceTarget::Kind::Unix
                          ? format_text(
                                "is the VM running with `-spice unix=on,addr=%s,"
                                "disable-ticketing=on`? (libvirt: `<graphics "
                                "type='spice'><listen type='socket' socket='%s'/>"
                                "</graphics>`; %s)",
                                options.spice.path.c_str(), options.spice.path.c_str(), SETUP_DOC)
                          : format_text(
                                "is the VM running with a SPICE server on that port "
                                "(`-spice port=N,...`)? (%s)",
                                SETUP_DOC);
                break;
            case SpiceProbeError::PermissionDenied:
                fix =
                    "the socket's directory or file does not let you in: run the VM as your "
                    "user, or put the socket where you may connect (e.g. /run/user/UID/)";
                break;
            case SpiceProbeError::NoReply:
            case SpiceProbeError::NotSpice:
                fix =
                    "this is not QEMU's SPICE server: check the --spice target against the "
                    "VM's -spice option";
                break;
            case SpiceProbeError::NoTarget:
                break;
        }
        return finding(Level::Fail, "spice", "spice: " + detail, fix);
    }
    if (!probe->link_checked) {
        return finding(Level::Warn, "spice",
                       format_text("spice: %s accepts connections (a TLS port: only the "
                                   "connection was checked, not the SPICE handshake)",
                                   probe->address.c_str()));
    }
    const std::string version = format_text("protocol %u.%u", probe->major, probe->minor);
    switch (probe->link_error) {
        case SPICE_LINK_ERR_OK:
            return finding(Level::Ok, "spice",
                           format_text("spice: %s answers as a SPICE server (%s, main channel "
                                       "link accepted)",
                                       probe->address.c_str(), version.c_str()));
        case SPICE_LINK_ERR_NEED_SECURED:
            return finding(Level::Warn, "spice",
                           format_text("spice: %s is a SPICE server (%s) that wants TLS for the "
                                       "main channel",
                                       probe->address.c_str(), version.c_str()),
                           "give the viewer the TLS port too: --spice "
                           "\"spice://HOST?port=P&tls-port=T\" (docs/input.md)");
        default:
            return finding(Level::Fail, "spice",
                           format_text("spice: %s is a SPICE server (%s) but refused the link: %s",
                                       probe->address.c_str(), version.c_str(),
                                       link_error_name(probe->link_error).c_str()),
                           "check the VM's -spice options against docs/setup.md");
    }
}

std::vector<Finding> check_display(const DoctorOptions& options) {
    std::vector<Finding> out;
    if (!options.wayland_display.empty() || !options.display.empty()) {
        std::string what = "display:";
        if (!options.wayland_display.empty()) {
            what += " WAYLAND_DISPLAY=" + options.wayland_display;
        }
        if (!options.display.empty()) {
            what += " DISPLAY=" + options.display;
        }
        out.push_back(finding(Level::Ok, "display", what));
    } else {
        out.push_back(finding(Level::Warn, "display",
                              "display: neither DISPLAY nor WAYLAND_DISPLAY is set: the viewer "
                              "cannot open a window from this shell",
                              "run the viewer (and this check) from a terminal in your desktop "
                              "session"));
    }
    out.push_back(finding(Level::Skip, "opengl",
                          "opengl: not checked (the viewer needs OpenGL 3.3 core and says so at "
                          "start if it is missing; Mesa's llvmpipe will do)"));
    return out;
}

}  // namespace

const char* to_string(Level level) {
    switch (level) {
        case Level::Ok:
            return "ok";
        case Level::Warn:
            return "warn";
        case Level::Fail:
            return "FAIL";
        case Level::Skip:
            return "skip";
    }
    return "?";
}

std::vector<Finding> run_checks(const DoctorOptions& options) {
    std::vector<Finding> out;
    FileFacts facts;
    out.push_back(check_file(options, &facts));
    std::unique_ptr<platform::Region> region;
    if (facts.present) {
        out.push_back(check_size(options, facts));
        out.push_back(check_access(options, facts, &region));
    } else {
        out.push_back(finding(Level::Skip, "shm-size", "shm size: not checked (no file)"));
        out.push_back(finding(Level::Skip, "shm-access", "shm access: not checked (no file)"));
    }
    AgentFacts agent;
    Finding agent_finding = check_agent(options, region.get(), &agent);
    for (Finding& f : check_confinement(options, facts, agent)) {
        out.push_back(std::move(f));
    }
    out.push_back(std::move(agent_finding));
    out.push_back(check_spice(options));
    for (Finding& f : check_display(options)) {
        out.push_back(std::move(f));
    }
    return out;
}

int exit_status(const std::vector<Finding>& findings) {
    for (const Finding& f : findings) {
        if (f.level == Level::Fail) {
            return 1;
        }
    }
    return 0;
}

std::string render_text(const std::vector<Finding>& findings) {
    std::string out;
    int fails = 0;
    int warns = 0;
    for (const Finding& f : findings) {
        fails += f.level == Level::Fail ? 1 : 0;
        warns += f.level == Level::Warn ? 1 : 0;
        out += format_text("%-4s  %s", to_string(f.level), f.what.c_str());
        if (!f.fix.empty()) {
            out += " \u2014 " + f.fix;
        }
        out += '\n';
    }
    if (fails == 0 && warns == 0) {
        out += "all good\n";
    } else {
        out += format_text("%d problem%s, %d warning%s\n", fails, fails == 1 ? "" : "s", warns,
                           warns == 1 ? "" : "s");
    }
    return out;
}

std::string render_json(const std::vector<Finding>& findings) {
    tools::JsonWriter json;
    json.begin_object();
    json.field_string("tool", "periscope doctor");
    json.field_sint("exit_code", exit_status(findings));
    json.key("checks");
    json.begin_array();
    for (const Finding& f : findings) {
        json.begin_object();
        json.field_string("check", f.check);
        json.field_string("level", f.level == Level::Fail ? "fail" : to_string(f.level));
        json.field_string("what", f.what);
        json.field_problem("fix", f.fix);
        json.end_object();
    }
    json.end_array();
    json.end_object();
    return json.take();
}

}  // namespace periscope::doctor

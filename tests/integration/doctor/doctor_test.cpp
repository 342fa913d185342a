// `periscope doctor` as a user runs it: the binary, its lines and its exit status, against shm
// files in every state the checks tell apart and against SPICE targets from the real
// libspice-server (tests/support/spice_harness) to sockets that are not SPICE at all.
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "platform/region.h"
#include "protocol/consumer.h"
#include "support/agent_process.h"
#include "support/spice_harness/harness_process.h"
#include "support/temp_dir.h"

namespace periscope {
namespace {

constexpr uint64_t MIB = uint64_t{1024} * 1024;
constexpr uid_t NOBODY = 65534;

struct DoctorRun {
    int status = -1;  // exit status; 128 + signal if killed
    std::string out;
    std::string err;
    // The output line of one check: the first line that starts with `level` and contains `what`.
    std::string line(const std::string& level, const std::string& what) const {
        size_t start = 0;
        while (start < out.size()) {
            size_t end = out.find('\n', start);
            if (end == std::string::npos) {
                end = out.size();
            }
            const std::string l = out.substr(start, end - start);
            if (l.rfind(level, 0) == 0 && l.find(what) != std::string::npos) {
                return l;
            }
            start = end + 1;
        }
        return {};
    }
};

std::string read_all(int fd) {
    std::string text;
    char buffer[4096];
    for (;;) {
        const ssize_t n = read(fd, buffer, sizeof(buffer));
        if (n <= 0) {
            return text;
        }
        text.append(buffer, static_cast<size_t>(n));
    }
}

// Runs `periscope ARGS`; with `as_user`, the child drops to that uid/gid first (root only).
DoctorRun run_periscope(const std::vector<std::string>& args, uid_t as_user = 0) {
    int out_pipe[2];
    int err_pipe[2];
    if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
        ADD_FAILURE() << "pipe2 failed";
        return {};
    }
    std::fflush(nullptr);
    const pid_t pid = fork();
    if (pid == 0) {
        dup2(out_pipe[1], 1);
        dup2(err_pipe[1], 2);
        if (as_user != 0) {
            if (setgroups(0, nullptr) != 0 || setgid(as_user) != 0 || setuid(as_user) != 0) {
                _exit(126);
            }
        }
        std::vector<char*> argv{const_cast<char*>(PERISCOPE_DOCTOR)};
        for (const std::string& a : args) {
            argv.push_back(const_cast<char*>(a.c_str()));
        }
        argv.push_back(nullptr);
        execv(PERISCOPE_DOCTOR, argv.data());
        _exit(127);
    }
    close(out_pipe[1]);
    close(err_pipe[1]);
    DoctorRun run;
    run.out = read_all(out_pipe[0]);
    run.err = read_all(err_pipe[0]);
    close(out_pipe[0]);
    close(err_pipe[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    run.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return run;
}

DoctorRun doctor(const std::string& shm, std::vector<std::string> more = {}) {
    std::vector<std::string> args{"doctor", "--shm", shm};
    args.insert(args.end(), more.begin(), more.end());
    return run_periscope(args);
}

// A file in /dev/shm (where QEMU's files live, and which every user may traverse), removed
// however the test ends.
class ShmFile {
  public:
    explicit ShmFile(const std::string& tag)
        : m_path("/dev/shm/periscope-doctor-" + tag + "-" + std::to_string(getpid())) {
        ::unlink(m_path.c_str());
    }
    ~ShmFile() { ::unlink(m_path.c_str()); }
    const std::string& path() const { return m_path; }
    void create(uint64_t size, mode_t mode = 0660) const {
        const int fd = open(m_path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        ASSERT_GE(fd, 0);
        ASSERT_EQ(ftruncate(fd, static_cast<off_t>(size)), 0);
        ASSERT_EQ(fchmod(fd, mode), 0);
        close(fd);
    }

  private:
    std::string m_path;
};

// ---- the shm file ------------------------------------------------------------------------------

TEST(Doctor, MissingFileFailsWithTheQemuSettings) {
    const ShmFile shm("missing");
    const DoctorRun run = doctor(shm.path());
    EXPECT_EQ(run.status, 1) << run.out << run.err;
    const std::string line = run.line("FAIL", "does not exist");
    ASSERT_FALSE(line.empty()) << run.out;
    EXPECT_NE(line.find(shm.path()), std::string::npos) << line;
    EXPECT_NE(line.find("mem-path=" + shm.path() + ",size=32M"), std::string::npos) << line;
    EXPECT_NE(line.find("ivshmem-plain"), std::string::npos) << line;
    EXPECT_FALSE(run.line("skip", "agent: not checked").empty()) << run.out;
}

TEST(Doctor, SizeNotAPowerOfTwoFails) {
    const ShmFile shm("pow2");
    shm.create(24 * MIB);  // enough bytes for 1080p, but no ivshmem device has this size
    const DoctorRun run = doctor(shm.path());
    EXPECT_EQ(run.status, 1) << run.out;
    const std::string line = run.line("FAIL", "shm size:");
    ASSERT_FALSE(line.empty()) << run.out;
    EXPECT_NE(line.find("not a power of two"), std::string::npos) << line;
    EXPECT_NE(line.find("size=32M"), std::string::npos) << line;
}

TEST(Doctor, SizeTooSmallForTheResolutionFails) {
    const ShmFile shm("small");
    shm.create(16 * MIB);
    // 1080p BGRA8 with two buffers needs 17.13 MB: 32 MiB.
    DoctorRun run = doctor(shm.path());
    EXPECT_EQ(run.status, 1) << run.out;
    std::string line = run.line("FAIL", "shm size:");
    ASSERT_FALSE(line.empty()) << run.out;
    EXPECT_NE(line.find("too small for 1920x1080 BGRA8"), std::string::npos) << line;
    EXPECT_NE(line.find("size=32M"), std::string::npos) << line;
    EXPECT_NE(line.find("<size unit='M'>32</size>"), std::string::npos) << line;

    // 720p fits the same file.
    run = doctor(shm.path(), {"--resolution", "1280x720"});
    EXPECT_FALSE(run.line("ok", "shm size: 16 MiB, a power of two").empty()) << run.out;

    // 4K HDR (RGBA16F, two buffers): 133.3 MB = 127.1 MiB, so 128 MiB.
    run = doctor(shm.path(), {"--resolution", "3840x2160:RGBA16F"});
    line = run.line("FAIL", "shm size:");
    EXPECT_NE(line.find("3840x2160 RGBA16F"), std::string::npos) << run.out;
    EXPECT_NE(line.find("size=128M"), std::string::npos) << line;
}

TEST(Doctor, EmptyFileFails) {
    const ShmFile shm("empty");
    shm.create(0);
    const DoctorRun run = doctor(shm.path());
    EXPECT_EQ(run.status, 1);
    EXPECT_FALSE(run.line("FAIL", "is empty").empty()) << run.out;
    EXPECT_FALSE(run.line("skip", "shm access: not checked").empty()) << run.out;
}

TEST(Doctor, NotARegularFileFails) {
    const test::TempDir dir("periscope-doctor");
    ASSERT_TRUE(dir.ok());
    const DoctorRun run = doctor(dir.path());
    EXPECT_EQ(run.status, 1);
    EXPECT_FALSE(run.line("FAIL", "is a directory").empty()) << run.out;
}

// Root opens any file whatever its mode, so the refusal is only observable as another user: as
// root the test runs the doctor as `nobody`; otherwise the test's own user meets mode 0000.
TEST(Doctor, NoPermissionSaysWhoOwnsItAndTheChownToRun) {
    const ShmFile shm("perm");
    shm.create(32 * MIB, 0000);
    const bool root = geteuid() == 0;
    const DoctorRun run =
        root ? run_periscope({"doctor", "--shm", shm.path()}, NOBODY) : doctor(shm.path());
    if (root && (run.status == 126 || run.status == 127)) {
        GTEST_SKIP() << "cannot run the doctor as nobody here (setuid or exec refused: the "
                        "build tree must be reachable by other users)";
    }
    EXPECT_EQ(run.status, 1) << run.out << run.err;
    const std::string line = run.line("FAIL", "shm access:");
    ASSERT_FALSE(line.empty()) << run.out;
    const std::string me = root ? "nobody" : getpwuid(geteuid())->pw_name;
    EXPECT_NE(line.find("cannot open " + shm.path() + " read-write"), std::string::npos) << line;
    EXPECT_NE(line.find("mode 0000"), std::string::npos) << line;
    EXPECT_NE(line.find("sudo chown " + me + ":"), std::string::npos) << line;
    EXPECT_NE(line.find("sudo chmod 0660 " + shm.path()), std::string::npos) << line;
    EXPECT_NE(line.find("/etc/tmpfiles.d/periscope.conf"), std::string::npos) << line;
    EXPECT_FALSE(run.line("skip", "agent: not checked").empty()) << run.out;
}

TEST(Doctor, RootIsToldThatItsAccessProvesNothing) {
    if (geteuid() != 0) {
        GTEST_SKIP() << "only meaningful as root";
    }
    const ShmFile shm("root");
    shm.create(32 * MIB, 0000);
    const DoctorRun run = doctor(shm.path());
    EXPECT_FALSE(run.line("warn", "shm access: opened as root").empty()) << run.out;
}

TEST(Doctor, WorldReadableFileIsAWarning) {
    if (geteuid() == 0) {
        GTEST_SKIP() << "as root the access line is the root warning";
    }
    const ShmFile shm("world");
    shm.create(32 * MIB, 0666);
    const DoctorRun run = doctor(shm.path());
    EXPECT_FALSE(run.line("warn", "every local user").empty()) << run.out;
}

TEST(Doctor, ZeroedFileHasNoSession) {
    const ShmFile shm("zeros");
    shm.create(32 * MIB);
    const DoctorRun run = doctor(shm.path());
    EXPECT_EQ(run.status, 1);
    const std::string line = run.line("FAIL", "agent: no session");
    ASSERT_FALSE(line.empty()) << run.out;
    EXPECT_NE(line.find("start periscope-agent in the guest"), std::string::npos) << line;
    EXPECT_NE(line.find("docs/agent.md"), std::string::npos) << line;
}

// ---- the agent ---------------------------------------------------------------------------------

// A viewer stand-in: the agent captures only while a consumer is attached.
class Watcher {
  public:
    explicit Watcher(const std::string& path) {
        const uint64_t deadline = monotonic_ns() + 5000 * NS_PER_MS;
        platform::RegionOptions options;
        options.quiet = true;  // until the agent has created it, the file is missing: expected
        while (!m_region && monotonic_ns() < deadline) {
            auto region = platform::open_region(path, options, nullptr);
            if (region && region.value()->bytes().size() >= protocol::HEADER_SIZE) {
                m_region = std::move(region).value();
            } else {
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            }
        }
        if (m_region) {
            m_thread = std::thread([this] { loop(); });
        }
    }
    ~Watcher() {
        m_stop = true;
        if (m_thread.joinable()) {
            m_thread.join();
        }
    }
    bool wait_frames(uint64_t count) {
        const uint64_t deadline = monotonic_ns() + 10000 * NS_PER_MS;
        while (m_frames < count && monotonic_ns() < deadline) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return m_frames >= count;
    }

  private:
    void loop() {
        protocol::ConsumerConfig config;
        config.kind = protocol::ConsumerKind::Viewer;
        config.name = "doctor-test";
        protocol::Consumer consumer(m_region->bytes(), config);
        while (!m_stop) {
            consumer.poll(monotonic_ns());
            if (consumer.wait_new_frame(monotonic_ns() + 20 * NS_PER_MS,
                                        protocol::PollMode::LowCpu)) {
                if (consumer.acquire()) {
                    (void)consumer.release();
                    ++m_frames;
                }
            }
        }
    }

    std::unique_ptr<platform::Region> m_region;
    std::thread m_thread;
    std::atomic<bool> m_stop{false};
    std::atomic<uint64_t> m_frames{0};
};

TEST(Doctor, LiveAgentIsOkWithTheGuestResolution) {
    const ShmFile shm("live");
    test::AgentProcess agent;
    agent.start({"--capture", "synthetic", "--shm", shm.path(), "--shm-size", "32M",
                 "--synthetic-size", "1280x720", "--synthetic-fps", "30"});
    Watcher watcher(shm.path());
    ASSERT_TRUE(watcher.wait_frames(2)) << agent.output();
    const DoctorRun run = doctor(shm.path(), {"--resolution", "1280x720"});
    EXPECT_EQ(run.status, 0) << run.out;
    const std::string line = run.line("ok", "agent: running, heartbeat advancing");
    ASSERT_FALSE(line.empty()) << run.out;
    EXPECT_NE(line.find("guest screen 1280x720 BGRA8"), std::string::npos) << line;
    EXPECT_NE(line.find("producer pid " + std::to_string(agent.pid)), std::string::npos) << line;
    EXPECT_FALSE(run.line("ok", "shm size: 32 MiB").empty()) << run.out;
    EXPECT_EQ(run.line("FAIL", ""), "") << run.out;
}

// The agent runs, but its screen needs larger buffers than the region holds: it posts nothing.
TEST(Doctor, AgentWhoseScreenDoesNotFitFails) {
    const ShmFile shm("nofit");
    test::AgentProcess agent;
    agent.start({"--capture", "synthetic", "--shm", shm.path(), "--shm-size", "8M",
                 "--synthetic-size", "1920x1080"});
    Watcher watcher(shm.path());
    DoctorRun run;
    const uint64_t deadline = monotonic_ns() + 10000 * NS_PER_MS;
    do {  // the agent names the refused frame once a viewer asked for one
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        run = doctor(shm.path(), {"--resolution", "640x480"});
    } while (run.line("FAIL", "does not fit").empty() && monotonic_ns() < deadline);
    EXPECT_EQ(run.status, 1) << run.out;
    const std::string line = run.line("FAIL", "agent: running");
    ASSERT_FALSE(line.empty()) << run.out << agent.output();
    EXPECT_NE(line.find("the guest screen 1920x1080 BGRA8 does not fit"), std::string::npos)
        << line;
    EXPECT_NE(line.find("size=32M"), std::string::npos) << line;
}

TEST(Doctor, KilledAgentIsStale) {
    const ShmFile shm("killed");
    test::AgentProcess agent;
    agent.start({"--capture", "synthetic", "--shm", shm.path(), "--shm-size", "32M",
                 "--synthetic-size", "640x480"});
    {
        Watcher watcher(shm.path());
        ASSERT_TRUE(watcher.wait_frames(1)) << agent.output();
    }
    kill(agent.pid, SIGKILL);
    EXPECT_EQ(agent.wait_exit(5000), 128 + SIGKILL);
    const auto started = std::chrono::steady_clock::now();
    const DoctorRun run = doctor(shm.path());
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_EQ(run.status, 1) << run.out;
    const std::string line = run.line("FAIL", "agent: not responding");
    ASSERT_FALSE(line.empty()) << run.out;
    EXPECT_NE(line.find("stale session"), std::string::npos) << line;
    EXPECT_NE(line.find("restart periscope-agent"), std::string::npos) << line;
    // It waited for the heartbeat (~1.5 s), but not much longer.
    EXPECT_GE(took, std::chrono::milliseconds(1400));
    EXPECT_LT(took, std::chrono::milliseconds(6000));
}

TEST(Doctor, CleanlyStoppedAgentSaysStopped) {
    const ShmFile shm("stopped");
    test::AgentProcess agent;
    agent.start({"--capture", "synthetic", "--shm", shm.path(), "--shm-size", "32M",
                 "--synthetic-size", "640x480"});
    {
        Watcher watcher(shm.path());
        ASSERT_TRUE(watcher.wait_frames(1)) << agent.output();
    }
    kill(agent.pid, SIGTERM);
    EXPECT_EQ(agent.wait_exit(5000), 0) << agent.output();
    const DoctorRun run = doctor(shm.path());
    EXPECT_EQ(run.status, 1) << run.out;
    EXPECT_FALSE(run.line("FAIL", "agent: stopped").empty()) << run.out;
}

// ---- SPICE -------------------------------------------------------------------------------------

class SocketPath {
  public:
    explicit SocketPath(const std::string& tag)
        : m_path("/tmp/periscope-doctor-" + tag + "-" + std::to_string(getpid()) + ".sock") {
        ::unlink(m_path.c_str());
    }
    ~SocketPath() { ::unlink(m_path.c_str()); }
    const std::string& path() const { return m_path; }

  private:
    std::string m_path;
};

int bound_unix_socket(const std::string& path) {
    const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof(address.sun_path), "%s", path.c_str());
    if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
        ADD_FAILURE() << "bind " << path;
        return -1;
    }
    return fd;
}

// A listener that answers every connection with `reply` (nothing if empty) and keeps it open
// until the test ends: a peer that is not a SPICE server.
class OtherServer {
  public:
    OtherServer(const std::string& path, std::string reply) : m_reply(std::move(reply)) {
        m_fd = bound_unix_socket(path);
        EXPECT_EQ(listen(m_fd, 4), 0);
        m_thread = std::thread([this] { serve(); });
    }
    ~OtherServer() {
        m_stop = true;
        m_thread.join();
        for (int fd : m_clients) {
            close(fd);
        }
        close(m_fd);
    }

  private:
    void serve() {
        while (!m_stop) {
            pollfd p{m_fd, POLLIN, 0};
            if (poll(&p, 1, 20) != 1) {
                continue;
            }
            const int client = accept4(m_fd, nullptr, nullptr, SOCK_CLOEXEC);
            if (client < 0) {
                continue;
            }
            if (!m_reply.empty()) {
                (void)!write(client, m_reply.data(), m_reply.size());
            }
            m_clients.push_back(client);
        }
    }

    std::string m_reply;
    int m_fd = -1;
    std::thread m_thread;
    std::atomic<bool> m_stop{false};
    std::vector<int> m_clients;
};

DoctorRun doctor_spice(const std::string& target) {
    const ShmFile shm("spice");  // missing on purpose: only the spice line matters here
    return doctor(shm.path(), {"--spice", target});
}

TEST(Doctor, SpiceSkippedWithoutTarget) {
    const ShmFile shm("nospice");
    const DoctorRun run = doctor(shm.path());
    EXPECT_FALSE(run.line("skip", "spice: skipped (no --spice)").empty()) << run.out;
}

TEST(Doctor, SpiceHarnessOnUnixSocketAnswers) {
    const SocketPath socket("harness");
    spice_harness::HarnessProcess harness(PERISCOPE_SPICE_HARNESS);
    ASSERT_TRUE(harness.start({"--unix", socket.path()}));
    const DoctorRun run = doctor_spice("unix:" + socket.path());
    const std::string line = run.line("ok", "spice:");
    ASSERT_FALSE(line.empty()) << run.out;
    EXPECT_NE(line.find("unix:" + socket.path() + " answers as a SPICE server (protocol 2.2"),
              std::string::npos)
        << line;
    // The same target in URI form.
    EXPECT_FALSE(doctor_spice("spice+unix://" + socket.path()).line("ok", "spice:").empty());
    EXPECT_EQ(harness.quit_and_wait(), 0);
}

uint16_t free_tcp_port() {
    const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof(address);
    if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
        getsockname(fd, reinterpret_cast<sockaddr*>(&address), &size) != 0) {
        close(fd);
        return 0;
    }
    close(fd);
    return ntohs(address.sin_port);
}

TEST(Doctor, SpiceHarnessOnTcpAnswers) {
    const uint16_t port = free_tcp_port();
    ASSERT_NE(port, 0);
    spice_harness::HarnessProcess harness(PERISCOPE_SPICE_HARNESS);
    ASSERT_TRUE(harness.start({"--port", std::to_string(port)}));
    const DoctorRun run = doctor_spice("127.0.0.1:" + std::to_string(port));
    EXPECT_FALSE(run.line("ok", "answers as a SPICE server").empty()) << run.out;
    EXPECT_EQ(harness.quit_and_wait(), 0);
}

TEST(Doctor, SpiceNoSocketFails) {
    const SocketPath socket("absent");
    const DoctorRun run = doctor_spice("unix:" + socket.path());
    const std::string line = run.line("FAIL", "spice:");
    ASSERT_FALSE(line.empty()) << run.out;
    EXPECT_NE(line.find("no such socket"), std::string::npos) << line;
    EXPECT_NE(line.find("-spice unix=on,addr=" + socket.path()), std::string::npos) << line;
}

TEST(Doctor, SpiceSocketNobodyListensOnFails) {
    const SocketPath socket("stale");
    const int fd = bound_unix_socket(socket.path());  // bound, never listened on: a stale file
    const DoctorRun run = doctor_spice("unix:" + socket.path());
    close(fd);
    const std::string line = run.line("FAIL", "spice:");
    ASSERT_FALSE(line.empty()) << run.out;
    EXPECT_NE(line.find("Connection refused"), std::string::npos) << line;
}

TEST(Doctor, SpiceTcpPortNobodyListensOnFails) {
    const uint16_t port = free_tcp_port();
    ASSERT_NE(port, 0);
    const DoctorRun run = doctor_spice("127.0.0.1:" + std::to_string(port));
    EXPECT_FALSE(run.line("FAIL", "nothing listens on that port").empty()) << run.out;
}

TEST(Doctor, SpiceSocketSpeakingSomethingElseFails) {
    const SocketPath socket("ssh");
    OtherServer server(socket.path(), "SSH-2.0-OpenSSH_9.2\r\n");
    const DoctorRun run = doctor_spice("unix:" + socket.path());
    const std::string line = run.line("FAIL", "spice:");
    ASSERT_FALSE(line.empty()) << run.out;
    EXPECT_NE(line.find("answered \"SSH-2.0-"), std::string::npos) << line;
    EXPECT_NE(line.find("not QEMU's SPICE server"), std::string::npos) << line;
}

TEST(Doctor, SpiceSilentPeerFails) {
    const SocketPath socket("silent");
    OtherServer server(socket.path(), "");
    const DoctorRun run = doctor_spice("unix:" + socket.path());
    const std::string line = run.line("FAIL", "spice:");
    ASSERT_FALSE(line.empty()) << run.out;
    EXPECT_NE(line.find("no reply to a SPICE link message"), std::string::npos) << line;
}

// ---- command line ------------------------------------------------------------------------------

TEST(Doctor, UsageErrorsExitTwo) {
    DoctorRun run = run_periscope({"doctor", "--resolution", "1920by1080"});
    EXPECT_EQ(run.status, 2);
    EXPECT_NE(run.err.find("--resolution '1920by1080'"), std::string::npos) << run.err;
    run = run_periscope({"doctor", "--spice", "ftp://x"});
    EXPECT_EQ(run.status, 2) << run.err;
    run = run_periscope({"doctor", "--frobnicate"});
    EXPECT_EQ(run.status, 2);
    EXPECT_NE(run.err.find("'--frobnicate'"), std::string::npos) << run.err;
    run = run_periscope({"doctor", "--shm"});
    EXPECT_EQ(run.status, 2);
    run = run_periscope({"nonsense"});
    EXPECT_EQ(run.status, 2);
    run = run_periscope({});
    EXPECT_EQ(run.status, 2);
}

TEST(Doctor, HelpAndVersion) {
    DoctorRun run = run_periscope({"--help"});
    EXPECT_EQ(run.status, 0);
    EXPECT_NE(run.out.find("doctor"), std::string::npos);
    run = run_periscope({"doctor", "--help"});
    EXPECT_EQ(run.status, 0);
    EXPECT_NE(run.out.find("Exit status"), std::string::npos);
    run = run_periscope({"--version"});
    EXPECT_EQ(run.status, 0);
    EXPECT_EQ(run.out.rfind("periscope ", 0), 0u) << run.out;
}

TEST(Doctor, JsonHasOneEntryPerCheck) {
    const ShmFile shm("json");
    const DoctorRun run = doctor(shm.path(), {"--json"});
    EXPECT_EQ(run.status, 1);
    EXPECT_NE(run.out.find("\"tool\": \"periscope doctor\""), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("\"exit_code\": 1"), std::string::npos) << run.out;
    for (const char* check :
         {"shm-file", "shm-size", "shm-access", "agent", "spice", "display", "opengl"}) {
        EXPECT_NE(run.out.find("\"check\": \"" + std::string(check) + "\""), std::string::npos)
            << check << "\n"
            << run.out;
    }
    EXPECT_NE(run.out.find("\"level\": \"fail\""), std::string::npos) << run.out;
}

}  // namespace
}  // namespace periscope

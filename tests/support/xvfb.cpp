#include "support/xvfb.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xcb/xcb.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace periscope::test {
namespace {

constexpr int FIRST_DISPLAY = 90;
constexpr int DISPLAYS_TRIED = 100;
constexpr auto START_DEADLINE = std::chrono::seconds(10);
constexpr auto STOP_DEADLINE = std::chrono::seconds(5);

using Clock = std::chrono::steady_clock;

bool exists(const std::string& path) {
    struct stat st {};
    return lstat(path.c_str(), &st) == 0;
}

// The pid in a lock file, 0 if none can be read.
long lock_pid(const std::string& path) {
    std::ifstream in(path);
    long pid = 0;
    return in >> pid ? pid : 0;
}

// A lock file names the server's pid; one whose process is gone is stale and Xvfb replaces it.
bool lock_is_live(const std::string& path) {
    const long pid = lock_pid(path);
    if (pid <= 0) {
        return true;  // being written right now, or unreadable: assume taken
    }
    return kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

bool display_free(int number) {
    const std::string lock = "/tmp/.X" + std::to_string(number) + "-lock";
    const std::string socket = "/tmp/.X11-unix/X" + std::to_string(number);
    if (exists(lock)) {
        return !lock_is_live(lock);
    }
    return !exists(socket);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

// The environment with DISPLAY replaced, for posix_spawn (no setenv between fork and exec).
std::vector<std::string> environment_with_display(const std::string& display) {
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
        if (std::strncmp(*e, "DISPLAY=", 8) != 0) {
            env.emplace_back(*e);
        }
    }
    env.push_back("DISPLAY=" + display);
    return env;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
    std::vector<char*> out;
    for (std::string& s : strings) {
        out.push_back(s.data());
    }
    out.push_back(nullptr);
    return out;
}

// Spawns argv with stdout to /dev/null and stderr to `stderr_path` (or /dev/null).
pid_t spawn(std::vector<std::string> argv, std::vector<std::string> env,
            const std::string& stderr_path) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2,
                                     stderr_path.empty() ? "/dev/null" : stderr_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0600);
    std::vector<char*> args = pointers(argv);
    std::vector<char*> envp = pointers(env);
    pid_t pid = -1;
    const int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    return rc == 0 ? pid : -1;
}

// Waits for `pid` until `deadline`; its wait status, or -1 if it is still running.
int wait_until(pid_t pid, Clock::time_point deadline) {
    for (;;) {
        int status = 0;
        const pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) {
            return status;
        }
        if (r < 0 && errno != EINTR) {
            return 0;  // not our child any more: nothing to wait for
        }
        if (Clock::now() >= deadline) {
            return -1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

bool accepts_connections(const std::string& display) {
    xcb_connection_t* c = xcb_connect(display.c_str(), nullptr);
    const bool ok = xcb_connection_has_error(c) == 0;
    xcb_disconnect(c);
    return ok;
}

}  // namespace

std::unique_ptr<Xvfb> Xvfb::start(const XvfbConfig& config, std::string* error) {
    std::string last_log;
    for (int number = FIRST_DISPLAY; number < FIRST_DISPLAY + DISPLAYS_TRIED; ++number) {
        if (!display_free(number)) {
            continue;
        }
        std::unique_ptr<Xvfb> server(new Xvfb());
        server->m_number = number;
        server->m_display = ":" + std::to_string(number);
        server->m_log_path = "/tmp/periscope-xvfb-" + std::to_string(getpid()) + "-" +
                             std::to_string(number) + ".log";
        std::vector<std::string> argv = {"Xvfb", server->m_display, "-screen", "0",
                                         std::to_string(config.width) + "x" +
                                             std::to_string(config.height) + "x" +
                                             std::to_string(config.depth),
                                         "-nolisten", "tcp", "+extension", "RANDR",
                                         // No reset when the last client leaves: the probe
                                         // connection below would otherwise reset the server.
                                         "-noreset"};
        argv.insert(argv.end(), config.extra_args.begin(), config.extra_args.end());
        server->m_pid =
            spawn(argv, environment_with_display(server->m_display), server->m_log_path);
        if (server->m_pid <= 0) {
            *error = "cannot start Xvfb (is it installed?)";
            return nullptr;
        }
        const std::string socket = "/tmp/.X11-unix/X" + std::to_string(number);
        const std::string lock = "/tmp/.X" + std::to_string(number) + "-lock";
        const auto deadline = Clock::now() + START_DEADLINE;
        bool exited = false;
        while (Clock::now() < deadline) {
            int status = 0;
            if (waitpid(server->m_pid, &status, WNOHANG) == server->m_pid) {
                exited = true;
                server->m_pid = -1;
                break;
            }
            // The lock must name our child: when another test's server won this number, its
            // socket answers too, while ours is about to exit.
            if (lock_pid(lock) == server->m_pid && exists(socket) &&
                accepts_connections(server->m_display)) {
                return server;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        last_log = read_file(server->m_log_path);
        if (!exited) {
            *error = "Xvfb " + server->m_display +
                     " did not accept connections within 10 s: " + last_log;
            return nullptr;  // the destructor kills it
        }
        // Another server took this number between our check and Xvfb's: try the next one.
        if (last_log.find("already active") == std::string::npos &&
            last_log.find("already running") == std::string::npos) {
            *error = "Xvfb " + server->m_display + " exited: " + last_log;
            return nullptr;
        }
    }
    *error = "no free X display number in :90..:189 (last Xvfb said: " + last_log + ")";
    return nullptr;
}

Xvfb::~Xvfb() {
    stop();
    if (!m_log_path.empty()) {
        unlink(m_log_path.c_str());
    }
}

void Xvfb::stop(int signal) {
    if (m_pid <= 0) {
        return;
    }
    kill(m_pid, signal);
    if (wait_until(m_pid, Clock::now() + STOP_DEADLINE) == -1) {
        kill(m_pid, SIGKILL);
        (void)wait_until(m_pid, Clock::now() + STOP_DEADLINE);
    }
    m_pid = -1;
}

int Xvfb::run(const std::vector<std::string>& argv, int timeout_ms) const {
    const pid_t pid = spawn(argv, environment_with_display(m_display), "");
    if (pid <= 0) {
        return -1;
    }
    const int status = wait_until(pid, Clock::now() + std::chrono::milliseconds(timeout_ms));
    if (status == -1) {
        kill(pid, SIGKILL);
        (void)wait_until(pid, Clock::now() + STOP_DEADLINE);
        return -1;
    }
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int Xvfb::set_size(uint32_t width, uint32_t height) const {
    const std::string size = std::to_string(width) + "x" + std::to_string(height);
    if (run({"xrandr", "-s", size}) == 0) {
        return 0;
    }
    const std::string w = std::to_string(width);
    const std::string h = std::to_string(height);
    (void)run({"xrandr", "--newmode", size, "0", w, "0", "0", "0", h, "0", "0", "0"});
    (void)run({"xrandr", "--addmode", "screen", size});
    return run({"xrandr", "-s", size});
}

}  // namespace periscope::test

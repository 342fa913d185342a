// A private X server for tests: starts Xvfb on a free display (from :90 up), waits until it
// accepts connections, and stops it when destroyed. Tests that run in parallel each get their
// own display: a number another server grabbed first makes Xvfb exit, and we try the next one.
#pragma once

#include <sys/types.h>

#include <csignal>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace periscope::test {

struct XvfbConfig {
    uint32_t width = 1280;
    uint32_t height = 1024;
    uint32_t depth = 24;
    std::vector<std::string> extra_args;  // appended to the Xvfb command line
};

class Xvfb {
  public:
    // nullptr with `error` set (including Xvfb's own last words) if no server came up within
    // 10 s, e.g. Xvfb is not installed or refuses the configuration.
    static std::unique_ptr<Xvfb> start(const XvfbConfig& config, std::string* error);
    ~Xvfb();
    Xvfb(const Xvfb&) = delete;
    Xvfb& operator=(const Xvfb&) = delete;

    int number() const { return m_number; }
    const std::string& display() const { return m_display; }  // ":90"
    pid_t pid() const { return m_pid; }
    bool running() const { return m_pid > 0; }

    // Sends `signal` (SIGTERM: a clean exit that closes every client's connection), waits for
    // the server to exit, SIGKILL after 5 s. Idempotent.
    void stop(int signal = SIGTERM);

    // Runs a client program (searched in $PATH) with DISPLAY set to this server, its output
    // discarded; its exit status, or -1 if it could not start, died of a signal or overran
    // `timeout_ms` (then it is killed).
    int run(const std::vector<std::string>& argv, int timeout_ms = 30000) const;

    // Switches the screen to width x height with xrandr; 0 on success. Xvfb's RandR lists only its
    // start-up size as a mode (xorg-server 21.1): another size is added as a mode of its single
    // output, "screen", first.
    int set_size(uint32_t width, uint32_t height) const;

  private:
    Xvfb() = default;
    int m_number = -1;
    std::string m_display;
    std::string m_log_path;
    pid_t m_pid = -1;
};

}  // namespace periscope::test

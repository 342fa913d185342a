// periscope-spice-harness as a child process for tests: its stdin for commands, its stdout read
// by a thread into lines, and waits for a named event. Header-only test support.
//
// Threads: a reader thread appends lines under m_lock; every other method is for the test's
// thread.
#pragma once

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace periscope::spice_harness {

using Clock = std::chrono::steady_clock;
constexpr auto HARNESS_TIMEOUT = std::chrono::seconds(10);

// ---- tiny JSON field access (the harness writes flat objects) ----------------------------------

inline std::optional<std::string> json_str(const std::string& line, const std::string& key) {
    const std::string tag = "\"" + key + "\":\"";
    const size_t at = line.find(tag);
    if (at == std::string::npos) {
        return std::nullopt;
    }
    const size_t start = at + tag.size();
    const size_t end = line.find('"', start);
    return line.substr(start, end - start);
}

inline std::optional<int64_t> json_int(const std::string& line, const std::string& key) {
    const std::string tag = "\"" + key + "\":";
    const size_t at = line.find(tag);
    if (at == std::string::npos) {
        return std::nullopt;
    }
    return std::strtoll(line.c_str() + at + tag.size(), nullptr, 10);
}

class HarnessProcess {
  public:
    explicit HarnessProcess(std::string program) : m_program(std::move(program)) {}
    ~HarnessProcess() { kill_now(); }
    HarnessProcess(const HarnessProcess&) = delete;
    HarnessProcess& operator=(const HarnessProcess&) = delete;

    // True once the harness printed "ready"; `report` = a missing "ready" is a test failure.
    bool start(const std::vector<std::string>& args, bool report = true) {
        int in_pipe[2];
        int out_pipe[2];
        if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0) {
            return false;
        }
        {
            std::lock_guard<std::mutex> lock(m_lock);  // a restarted harness starts afresh
            m_lines.clear();
            m_cursor = 0;
            m_eof = false;
        }
        std::fflush(nullptr);
        m_pid = fork();
        if (m_pid == 0) {
            dup2(in_pipe[0], 0);
            dup2(out_pipe[1], 1);
            std::vector<char*> argv{const_cast<char*>(m_program.c_str())};
            for (const std::string& a : args) {
                argv.push_back(const_cast<char*>(a.c_str()));
            }
            argv.push_back(nullptr);
            execv(m_program.c_str(), argv.data());
            _exit(127);
        }
        close(in_pipe[0]);
        close(out_pipe[1]);
        m_stdin = in_pipe[1];
        m_stdout = out_pipe[0];
        m_reader = std::thread([this] { read_lines(); });
        return wait_event("ready", nullptr, report).has_value();
    }

    void command(const std::string& line) {
        const std::string text = line + "\n";
        size_t done = 0;
        while (done < text.size()) {
            const ssize_t n = write(m_stdin, text.data() + done, text.size() - done);
            if (n <= 0) {
                return;
            }
            done += static_cast<size_t>(n);
        }
    }

    // The next event named `ev` (after those already returned) for which `match` holds; the
    // GLib default context is pumped meanwhile so the client keeps running.
    std::optional<std::string> wait_event(
        const std::string& ev, const std::function<bool(const std::string&)>& match = nullptr,
        bool report = true, Clock::duration timeout = HARNESS_TIMEOUT) {
        const auto deadline = Clock::now() + timeout;
        for (;;) {  // looks at least once, so a zero timeout checks what already arrived
            {
                std::lock_guard<std::mutex> lock(m_lock);
                for (; m_cursor < m_lines.size(); ++m_cursor) {
                    const std::string& line = m_lines[m_cursor];
                    if (json_str(line, "ev") == ev && (!match || match(line))) {
                        return m_lines[m_cursor++];
                    }
                }
                if (m_eof) {
                    break;  // the harness exited: nothing more will come
                }
            }
            if (Clock::now() >= deadline) {
                break;
            }
            pump();
        }
        if (!report) {
            return std::nullopt;
        }
        ADD_FAILURE() << "no '" << ev << "' event within the timeout; last lines:\n" << tail();
        return std::nullopt;
    }

    // Searches from the first event again (for events that came while connecting).
    void rewind() {
        std::lock_guard<std::mutex> lock(m_lock);
        m_cursor = 0;
    }

    // Every "kbd" byte from now until none arrives for `quiet` — once `expected` bytes came, a
    // shorter quiet time (30 ms) suffices: that is only a check that nothing more follows.
    std::vector<int> collect_kbd_bytes(
        size_t expected = SIZE_MAX,
        std::chrono::milliseconds quiet = std::chrono::milliseconds(300)) {
        std::vector<int> bytes;
        auto quiet_since = Clock::now();
        for (;;) {
            const auto wait = bytes.size() >= expected ? std::chrono::milliseconds(30) : quiet;
            if (Clock::now() - quiet_since >= wait) {
                break;
            }
            {
                std::lock_guard<std::mutex> lock(m_lock);
                for (; m_cursor < m_lines.size(); ++m_cursor) {
                    if (json_str(m_lines[m_cursor], "ev") == "kbd") {
                        bytes.push_back(static_cast<int>(*json_int(m_lines[m_cursor], "byte")));
                        quiet_since = Clock::now();
                    }
                }
            }
            pump();
        }
        return bytes;
    }
    int quit_and_wait() {
        command("quit");
        return wait_exit();
    }

    void kill_now() {
        if (m_pid > 0) {
            kill(m_pid, SIGKILL);
        }
        wait_exit();
    }

    int wait_exit() {
        int status = 0;
        if (m_pid > 0) {
            const auto deadline = Clock::now() + HARNESS_TIMEOUT;
            while (waitpid(m_pid, &status, WNOHANG) == 0) {
                if (Clock::now() > deadline) {
                    kill(m_pid, SIGKILL);
                }
                pump();
            }
            m_pid = -1;
        }
        if (m_stdin >= 0) {
            close(m_stdin);
            m_stdin = -1;
        }
        if (m_reader.joinable()) {
            m_reader.join();
        }
        if (m_stdout >= 0) {
            close(m_stdout);
            m_stdout = -1;
        }
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }

    // Runs while waiting for events: a test that drives a GLib client in-process pumps its main
    // context here; the default just sleeps 1 ms.
    std::function<void()> idle = [] { std::this_thread::sleep_for(std::chrono::milliseconds(1)); };
    void pump() { idle(); }

  private:
    void read_lines() {
        std::string pending;
        char buffer[65536];
        for (;;) {
            const ssize_t n = read(m_stdout, buffer, sizeof(buffer));
            if (n <= 0) {
                std::lock_guard<std::mutex> lock(m_lock);
                m_eof = true;
                return;
            }
            pending.append(buffer, static_cast<size_t>(n));
            size_t start = 0;
            std::lock_guard<std::mutex> lock(m_lock);
            for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
                m_lines.push_back(pending.substr(start, nl - start));
            }
            pending.erase(0, start);
        }
    }

  public:
    // The last 10 lines, for failure messages.
    std::string tail() {
        std::lock_guard<std::mutex> lock(m_lock);
        std::string out;
        for (size_t i = m_lines.size() > 10 ? m_lines.size() - 10 : 0; i < m_lines.size(); ++i) {
            out += m_lines[i].substr(0, 200) + "\n";
        }
        return out;
    }

    std::string m_program;
    pid_t m_pid = -1;
    int m_stdin = -1;
    int m_stdout = -1;
    std::thread m_reader;
    std::mutex m_lock;
    std::vector<std::string> m_lines;
    size_t m_cursor = 0;
    bool m_eof = false;
};

}  // namespace periscope::spice_harness

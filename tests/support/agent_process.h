// A periscope-agent child process for the integration tests: started with arguments, its stdout
// and stderr in a log file, its exit status with a timeout, killed if the test ends first.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"

namespace periscope::test {

struct AgentProcess {
    pid_t pid = -1;
    std::string log;
    ~AgentProcess() {
        if (pid > 0) {
            kill(pid, SIGKILL);
            waitpid(pid, nullptr, 0);
        }
        ::unlink(log.c_str());
    }
    // Runs the agent with `args`, stderr into a log file.
    void start(const std::vector<std::string>& args, const char* program = PERISCOPE_AGENT) {
        log = "/tmp/periscope-agent-test-" + std::to_string(getpid()) + "-" +
              std::to_string(monotonic_ns()) + ".log";
        std::fflush(nullptr);
        pid = fork();
        if (pid == 0) {
            const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            dup2(fd, 2);
            dup2(fd, 1);
            std::vector<char*> argv;
            argv.push_back(const_cast<char*>(program));
            for (const std::string& a : args) {
                argv.push_back(const_cast<char*>(a.c_str()));
            }
            argv.push_back(nullptr);
            execv(program, argv.data());
            _exit(127);
        }
    }
    // Exit status, or -1 if still running after the timeout.
    int wait_exit(uint64_t timeout_ms) {
        const uint64_t deadline = monotonic_ns() + timeout_ms * NS_PER_MS;
        int status = 0;
        while (monotonic_ns() < deadline) {
            if (waitpid(pid, &status, WNOHANG) == pid) {
                pid = -1;
                return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        return -1;
    }
    std::string output() const {
        std::ifstream in(log);
        std::stringstream s;
        s << in.rdbuf();
        return s.str();
    }
};

}  // namespace periscope::test

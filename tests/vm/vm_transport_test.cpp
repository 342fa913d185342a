// The transport across a real VM boundary: a producer inside a QEMU guest maps the ivshmem-plain
// device's BAR2 (found by vendor/device under /sys/bus/pci/devices, write-combined mapping); this
// test, on the host, maps the /dev/shm file behind it with a Consumer. Frames arrive with valid
// checksums, the cursor shape arrives, messages go back to the guest, the clean stop is seen.
#include <gtest/gtest.h>
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
#include "core/hash.h"
#include "platform/region.h"
#include "protocol/consumer.h"

namespace periscope::protocol {
namespace {

constexpr uint64_t MS = NS_PER_MS;
constexpr uint64_t REGION_SIZE = 8 * 1024 * 1024;  // a power of two, as QEMU's ivshmem wants

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

bool have_vm_tools(std::string* why) {
    if (system("command -v qemu-system-x86_64 >/dev/null && command -v busybox >/dev/null && "
               "ls /boot/vmlinuz-* >/dev/null 2>&1") != 0) {
        *why =
            "needs qemu-system-x86, busybox-static and linux-image-amd64 (./x deps installs them)";
        return false;
    }
    return true;
}

TEST(Vm, GuestProducerOnIvshmemBarToHostConsumer) {
    std::string why;
    if (!have_vm_tools(&why)) {
        GTEST_SKIP() << why;
    }
    const std::string work = PERISCOPE_VM_WORK_DIR;
    const std::string shm = "/dev/shm/periscope-vmtest-" + std::to_string(getpid());
    const std::string script = work + "/guest-" + std::to_string(getpid()) + ".sh";
    const std::string log = work + "/serial-" + std::to_string(getpid()) + ".log";
    ::unlink(shm.c_str());
    platform::RegionOptions options;
    options.create = true;
    options.size = REGION_SIZE;
    std::string detail;
    auto region = platform::open_region(shm, options, &detail);
    ASSERT_TRUE(region) << detail;
    {
        std::ofstream out(script);
        out << "exec " << PERISCOPE_GUEST_PRODUCER << " pci 40\n";
    }
    std::fflush(nullptr);
    const pid_t qemu = fork();
    if (qemu == 0) {
        execl(PERISCOPE_RUN_GUEST, PERISCOPE_RUN_GUEST, "--shm", shm.c_str(), "--script",
              script.c_str(), "--log", log.c_str(), "--timeout", "240", "--initrd-dir",
              (work + "/initrd").c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }

    ConsumerConfig config;
    config.kind = ConsumerKind::Test;
    config.name = "vm-test-host";
    config.agent_timeout_ms = 3000;  // a TCG guest is slow; this test is about correctness
    Consumer consumer((*region)->bytes(), config);
    std::vector<std::byte> frame(size_t{640} * 480 * 4);
    int verified = 0, mismatched = 0;
    bool messages_sent = false, cursor_seen = false, stopped = false;
    uint64_t session = 0;
    int status = 0;
    bool qemu_exited = false;
    const uint64_t deadline = monotonic_ns() + 240000 * MS;
    while (monotonic_ns() < deadline && !stopped) {
        // A guest that failed early powers off: stop waiting for frames that cannot come.
        if (waitpid(qemu, &status, WNOHANG) == qemu) {
            qemu_exited = true;
            consumer.poll(monotonic_ns());
            stopped = consumer.state() == ConsumerState::Stopped;
            break;
        }
        const ConsumerState state = consumer.poll(monotonic_ns());
        if (state == ConsumerState::Stopped) {
            stopped = true;
            break;
        }
        if (state != ConsumerState::Attached) {
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            continue;
        }
        session = consumer.session_id();
        if (consumer.cursor_changed()) {
            auto position = consumer.read_cursor();
            if (position && position->shape_serial != 0) {
                auto shape = consumer.read_cursor_shape(*position);
                if (shape && shape->info.width == 32 && shape->info.hotspot_x == 3 &&
                    shape->info.hotspot_y == 4) {
                    cursor_seen = true;
                }
            }
        }
        if (!consumer.wait_new_frame(monotonic_ns() + 100 * MS, PollMode::LowCpu)) {
            continue;
        }
        auto info =
            consumer.read_frame(frame.data(), frame.size(), 640 * 4, monotonic_ns() + 5000 * MS);
        if (!info) {
            continue;
        }
        if (info->checksum == hash64(frame.data(), frame.size())) {
            ++verified;
        } else {
            ++mismatched;
        }
        if (verified >= 10 && !messages_sent) {
            messages_sent = consumer.request_full_frame().has_value() &&
                            consumer.send_window_size(1280, 720).has_value();
        }
    }
    const uint64_t wait_deadline = monotonic_ns() + 60000 * MS;
    while (!qemu_exited && waitpid(qemu, &status, WNOHANG) == 0) {
        if (monotonic_ns() > wait_deadline) {
            kill(qemu, SIGKILL);
            waitpid(qemu, &status, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const std::string serial = read_file(log);
    std::printf("---- guest serial console ----\n%s\n------------------------------\n",
                serial.c_str());
    std::printf("host: %d frames verified, %d mismatched, session %016llx\n", verified, mismatched,
                static_cast<unsigned long long>(session));
    EXPECT_NE(serial.find("guest: region ivshmem 0000:"), std::string::npos)
        << "the guest found the device by vendor/device";
    EXPECT_NE(serial.find("write-combin"), std::string::npos) << "resource2_wc was mapped";
    EXPECT_NE(serial.find("guest: consumer joined"), std::string::npos);
    EXPECT_NE(serial.find("guest: message full-frame"), std::string::npos);
    EXPECT_NE(serial.find("guest: message window-size 1280x720"), std::string::npos);
    EXPECT_NE(serial.find("guest: done"), std::string::npos);
    EXPECT_GE(verified, 10);
    EXPECT_EQ(mismatched, 0);
    EXPECT_TRUE(cursor_seen) << "the cursor shape crossed the boundary";
    EXPECT_TRUE(stopped) << "the guest's clean stop was seen";
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "QEMU powered off by itself";
    ::unlink(shm.c_str());
    ::unlink(script.c_str());
    ::unlink(log.c_str());
}

}  // namespace
}  // namespace periscope::protocol

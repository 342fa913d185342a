// periscope-shm end to end: the real binary against shm files a live Producer/Consumer pair
// writes (and against broken ones), plus the inspection library in-process against regions made
// hostile on purpose.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/log.h"
#include "inspect.h"
#include "json_check.h"
#include "json_writer.h"
#include "platform/region.h"
#include "protocol/consumer.h"
#include "protocol/producer.h"
#include "protocol/shm_word.h"
#include "render.h"
#include "size_query.h"
#include "text_util.h"

#ifndef PERISCOPE_SHM_TOOL
#error "PERISCOPE_SHM_TOOL (the path of the periscope-shm binary) must be defined"
#endif

namespace periscope::tools {
namespace {

using test::Json;
using test::JsonParser;

constexpr uint32_t WIDTH = 640;
constexpr uint32_t HEIGHT = 480;
constexpr uint32_t BUFFERS = 3;
constexpr uint64_t REGION_BYTES = 8 * MIB;
constexpr protocol::Rect DAMAGE{10, 20, 100, 50};
constexpr const char* CONSUMER_NAME = "shm-tool-test";
constexpr int32_t CURSOR_X = 123;
constexpr int32_t CURSOR_Y = 45;

std::string unique_shm_path(const char* what) {
    static std::atomic<int> counter{0};
    return format_text("/dev/shm/periscope-shmtool-%d-%d-%s", static_cast<int>(getpid()),
                       counter.fetch_add(1), what);
}

struct ToolRun {
    int exit_code = -1;
    std::string out;
    std::string err;
};

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

// Runs the periscope-shm binary with `args` (already shell-quoted where needed), behind the
// command `prefix` if given.
ToolRun run_tool(const std::string& args, const std::string& prefix = "") {
    const std::string err_path = unique_shm_path("stderr");
    const std::string command =
        prefix + "'" + PERISCOPE_SHM_TOOL + "' " + args + " 2>'" + err_path + "'";
    ToolRun run;
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) {
        ADD_FAILURE() << "popen failed: " << command;
        return run;
    }
    char buffer[4096];
    size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) {
        run.out.append(buffer, n);
    }
    const int status = pclose(pipe);
    run.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    run.err = read_file(err_path);
    std::remove(err_path.c_str());
    return run;
}

Json parse_json(const std::string& text) {
    Json json;
    std::string error;
    EXPECT_TRUE(JsonParser::parse(text, &json, &error)) << error << "\n" << text;
    return json;
}

// A second opinion from Python's parser, where one is installed.
void expect_python_parses(const std::string& text) {
    if (std::system("command -v python3 >/dev/null 2>&1") != 0) {
        return;
    }
    FILE* pipe = popen("python3 -c 'import json,sys; json.load(sys.stdin)'", "w");
    ASSERT_NE(pipe, nullptr);
    std::fwrite(text.data(), 1, text.size(), pipe);
    EXPECT_EQ(pclose(pipe), 0) << "python3 json.load rejected:\n" << text;
}

void write_file(const std::string& path, const std::vector<unsigned char>& bytes) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
}

// Removes a file on scope exit, so a failing test leaves nothing in /dev/shm.
class FileGuard {
  public:
    explicit FileGuard(std::string path) : m_path(std::move(path)) {}
    ~FileGuard() { std::remove(m_path.c_str()); }
    FileGuard(const FileGuard&) = delete;
    FileGuard& operator=(const FileGuard&) = delete;
    const std::string& path() const { return m_path; }

  private:
    std::string m_path;
};

std::string session_hex(uint64_t session) {
    return format_text("0x%016llX", static_cast<unsigned long long>(session));
}

// A producer with three frames posted (the last with one damage rect), a cursor shape and
// position, and a viewer consumer that accepted frame 2 and holds frame 3's buffer. In
// Mode::Serviced a thread keeps both heartbeats going as a real agent and viewer would.
class LiveRegion {
  public:
    enum class Mode { Serviced, Unserviced, Stopped };

    LiveRegion(std::string path, Mode mode) : m_file(std::move(path)) {
        platform::RegionOptions options;
        options.create = true;
        options.size = REGION_BYTES;
        std::string detail;
        auto region = platform::open_region(m_file.path(), options, &detail);
        if (!region) {
            ADD_FAILURE() << "open_region: " << detail;
            return;
        }
        m_region = std::move(region).value();
        protocol::ProducerConfig config;
        config.buffer_count = BUFFERS;
        config.expected_frame_bytes = protocol::frame_bytes(WIDTH, HEIGHT, protocol::Format::BGRA8);
        config.pid = static_cast<uint32_t>(getpid());
        const char* why = nullptr;
        auto producer = protocol::Producer::create(m_region->bytes(), config, &why);
        if (!producer) {
            ADD_FAILURE() << "Producer::create: " << why;
            return;
        }
        m_producer = std::move(producer).value();
        post_frames();
        set_cursor();
        attach_consumer();
        if (mode == Mode::Stopped) {
            m_producer->stop();
        }
        if (mode == Mode::Serviced) {
            m_running = true;
            m_thread = std::thread([this] { service_loop(); });
        }
    }

    ~LiveRegion() {
        m_running = false;
        if (m_thread.joinable()) {
            m_thread.join();
        }
        m_consumer.reset();
        m_producer.reset();
        m_region.reset();
    }

    bool ok() const { return m_producer != nullptr && m_consumer != nullptr; }
    const std::string& path() const { return m_file.path(); }
    uint64_t session() const { return m_session; }
    uint32_t held_buffer() const { return m_held_buffer; }
    std::span<std::byte> bytes() { return m_region->bytes(); }

  private:
    void post_frames() {
        const uint32_t stride = WIDTH * 4;
        std::vector<std::byte> image(uint64_t{stride} * HEIGHT, std::byte{0x40});
        const protocol::FrameDesc desc{protocol::Format::BGRA8, WIDTH, HEIGHT, 1000};
        protocol::DamageList damage;
        damage.set_full();
        ASSERT_TRUE(m_producer->publish(desc, image.data(), stride, damage));
        ASSERT_TRUE(m_producer->publish(desc, image.data(), stride, damage));
        m_session = m_producer->session_id();
    }

    void set_cursor() {
        std::vector<std::byte> pixels(16 * 16 * 4, std::byte{0xFF});
        protocol::CursorImage image;
        image.width = 16;
        image.height = 16;
        image.hotspot_x = 1;
        image.hotspot_y = 2;
        image.pixels = pixels.data();
        image.stride = 16 * 4;
        ASSERT_TRUE(m_producer->set_cursor_shape(image));
        m_producer->set_cursor_position(CURSOR_X, CURSOR_Y, true, 2000);
    }

    void attach_consumer() {
        protocol::ConsumerConfig config;
        config.kind = protocol::ConsumerKind::Viewer;
        config.name = CONSUMER_NAME;
        config.pid = static_cast<uint32_t>(getpid());
        m_consumer = std::make_unique<protocol::Consumer>(m_region->bytes(), config);
        ASSERT_EQ(m_consumer->poll(monotonic_ns()), protocol::ConsumerState::Attached);
        ASSERT_TRUE(m_consumer->has_slot());
        // Accept frame 2 (sets last_serial), then hold frame 3 (sets held_buffer).
        std::vector<std::byte> copy(uint64_t{WIDTH} * 4 * HEIGHT);
        ASSERT_TRUE(m_consumer->read_frame(copy.data(), copy.size(), WIDTH * 4,
                                           monotonic_ns() + 1000 * NS_PER_MS));
        std::vector<std::byte> image(uint64_t{WIDTH} * 4 * HEIGHT, std::byte{0x41});
        protocol::DamageList damage;
        damage.add(DAMAGE);
        ASSERT_TRUE(m_producer->publish({protocol::Format::BGRA8, WIDTH, HEIGHT, 3000},
                                        image.data(), WIDTH * 4, damage));
        auto held = m_consumer->acquire();
        ASSERT_TRUE(held);
        ASSERT_EQ(held->serial, 3u);
        m_held_buffer = held->buffer_index;
    }

    void service_loop() {
        while (m_running) {
            const uint64_t now = monotonic_ns();
            m_producer->service(now);
            m_consumer->poll(now);
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
    }

    FileGuard m_file;
    std::unique_ptr<platform::Region> m_region;
    std::unique_ptr<protocol::Producer> m_producer;
    std::unique_ptr<protocol::Consumer> m_consumer;
    uint64_t m_session = 0;
    uint32_t m_held_buffer = 0;
    std::atomic<bool> m_running{false};
    std::thread m_thread;
};

class ShmToolTest : public ::testing::Test {
  protected:
    void SetUp() override { set_log_level(LogLevel::Warn); }
};

// ---- a live region, through the binary ----

TEST_F(ShmToolTest, TextReportOfLiveRegion) {
    LiveRegion live(unique_shm_path("live-text"), LiveRegion::Mode::Serviced);
    ASSERT_TRUE(live.ok());
    const ToolRun run = run_tool("'" + live.path() + "'");
    EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
    EXPECT_EQ(run.err, "");
    const std::string& out = run.out;
    EXPECT_NE(out.find("0x504F435349524550 \"PERISCOP\" (Periscope)"), std::string::npos) << out;
    EXPECT_NE(out.find("version         1.0"), std::string::npos) << out;
    EXPECT_NE(out.find(session_hex(live.session())), std::string::npos) << out;
    EXPECT_NE(out.find(format_text("running, pid %d", static_cast<int>(getpid()))),
              std::string::npos)
        << out;
    EXPECT_NE(out.find(": alive"), std::string::npos) << out;
    EXPECT_NE(out.find(format_text("%u x 1228800 bytes", BUFFERS)), std::string::npos) << out;
    EXPECT_NE(out.find("serial 3"), std::string::npos) << out;
    EXPECT_NE(out.find("640x480 BGRA8, stride 2560"), std::string::npos) << out;
    EXPECT_NE(out.find("1 rect: 10,20 100x50"), std::string::npos) << out;
    EXPECT_NE(out.find("rows_ready 480/480 (complete)"), std::string::npos) << out;
    EXPECT_NE(out.find("1 of 16 slots in use"), std::string::npos) << out;
    EXPECT_NE(out.find("slot 0        viewer \"shm-tool-test\""), std::string::npos) << out;
    EXPECT_NE(out.find(format_text("holds buffer %u, last serial 2", live.held_buffer())),
              std::string::npos)
        << out;
    EXPECT_NE(out.find("(alive)"), std::string::npos) << out;  // the consumer's heartbeat
    EXPECT_NE(out.find("at 123,45, visible, shape 1 in slot 0"), std::string::npos) << out;
    EXPECT_NE(out.find("16x16 BGRA8, hotspot 1,2"), std::string::npos) << out;
    EXPECT_NE(out.find("frames posted 3, frames dropped 0"), std::string::npos) << out;
    EXPECT_NE(out.find("status          ok (exit 0)"), std::string::npos) << out;
    EXPECT_EQ(out.find("INVALID"), std::string::npos) << out;
}

TEST_F(ShmToolTest, JsonReportOfLiveRegion) {
    LiveRegion live(unique_shm_path("live-json"), LiveRegion::Mode::Serviced);
    ASSERT_TRUE(live.ok());
    const ToolRun run = run_tool("--json 'shm:" + live.path() + "'");
    EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
    const Json json = parse_json(run.out);
    expect_python_parses(run.out);
    EXPECT_EQ(json["status"].str(), "ok");
    EXPECT_EQ(json["exit_code"].u64(), 0u);
    EXPECT_TRUE(json["message"].is_null());
    EXPECT_EQ(json["region"]["mapping_size"].u64(), REGION_BYTES);
    EXPECT_TRUE(json["magic_valid"].boolean);
    EXPECT_EQ(json["header"]["session_id"].str(), session_hex(live.session()));
    EXPECT_EQ(json["header"]["version_major"].u64(), 1u);
    EXPECT_EQ(json["producer"]["state"].str(), "running");
    EXPECT_EQ(json["producer"]["pid"].u64(), static_cast<uint64_t>(getpid()));
    EXPECT_TRUE(json["producer"]["heartbeat"]["alive"].boolean);
    EXPECT_EQ(json["layout"]["buffers"]["count"].u64(), BUFFERS);
    EXPECT_EQ(json["layout"]["buffers"]["capacity"].u64(), 1228800u);
    const Json& record = json["frame"]["record"];
    EXPECT_EQ(json["frame"]["latest_serial"].u64(), 3u);
    EXPECT_TRUE(record["valid"].boolean);
    EXPECT_EQ(record["width"].u64(), WIDTH);
    EXPECT_EQ(record["height"].u64(), HEIGHT);
    EXPECT_EQ(record["format"].str(), "BGRA8");
    EXPECT_EQ(record["damage"].items.size(), 1u);
    EXPECT_EQ(record["damage"][0]["x"].u64(), DAMAGE.x);
    EXPECT_EQ(record["damage"][0]["height"].u64(), DAMAGE.height);
    EXPECT_EQ(json["buffers"].items.size(), BUFFERS);
    EXPECT_EQ(json["consumers"]["in_use"].u64(), 1u);
    const Json& consumer = json["consumers"]["list"][0];
    EXPECT_EQ(consumer["slot"].u64(), 0u);
    EXPECT_EQ(consumer["kind"].str(), "viewer");
    EXPECT_EQ(consumer["name"].str(), CONSUMER_NAME);
    EXPECT_EQ(consumer["held_buffer"].u64(), live.held_buffer());
    EXPECT_EQ(consumer["last_serial"].u64(), 2u);
    EXPECT_TRUE(consumer["alive"].boolean);
    EXPECT_EQ(json["cursor"]["x"].i64(), CURSOR_X);
    EXPECT_EQ(json["cursor"]["y"].i64(), CURSOR_Y);
    EXPECT_TRUE(json["cursor"]["visible"].boolean);
    EXPECT_EQ(json["cursor"]["shapes"][0]["width"].u64(), 16u);
    EXPECT_TRUE(json["cursor"]["shapes"][1]["empty"].boolean);
    EXPECT_EQ(json["statistics"]["frames_posted"].u64(), 3u);
}

TEST_F(ShmToolTest, NoWaitSkipsTheHeartbeatSample) {
    LiveRegion live(unique_shm_path("nowait"), LiveRegion::Mode::Unserviced);
    ASSERT_TRUE(live.ok());
    const ToolRun run = run_tool("--no-wait '" + live.path() + "'");
    // Unserviced, so with the wait this would be exit 11.
    EXPECT_EQ(run.exit_code, 0) << run.out << run.err;
    EXPECT_NE(run.out.find("not sampled twice: --no-wait"), std::string::npos) << run.out;
}

// ---- refusals, through the binary ----

TEST_F(ShmToolTest, StoppedProducer) {
    LiveRegion live(unique_shm_path("stopped"), LiveRegion::Mode::Stopped);
    ASSERT_TRUE(live.ok());
    const ToolRun run = run_tool("'" + live.path() + "'");
    EXPECT_EQ(run.exit_code, 10) << run.out << run.err;
    EXPECT_NE(run.err.find("the producer stopped its session"), std::string::npos) << run.err;
    // The report is still printed: a stopped session is worth looking at.
    EXPECT_NE(run.out.find("stopped, pid"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find(session_hex(live.session())), std::string::npos) << run.out;
    const ToolRun json_run = run_tool("--json '" + live.path() + "'");
    EXPECT_EQ(json_run.exit_code, 10);
    const Json json = parse_json(json_run.out);
    EXPECT_EQ(json["status"].str(), "producer-stopped");
    EXPECT_EQ(json["producer"]["state"].str(), "stopped");
}

TEST_F(ShmToolTest, ProducerWhoseHeartbeatStopped) {
    LiveRegion live(unique_shm_path("hung"), LiveRegion::Mode::Unserviced);
    ASSERT_TRUE(live.ok());
    const ToolRun run = run_tool("'" + live.path() + "'");
    EXPECT_EQ(run.exit_code, 11) << run.out << run.err;
    EXPECT_NE(run.err.find("heartbeat did not advance"), std::string::npos) << run.err;
    EXPECT_NE(run.out.find("NOT ADVANCING"), std::string::npos) << run.out;
}

TEST_F(ShmToolTest, FileTooSmallForTheHeader) {
    FileGuard file(unique_shm_path("small"));
    write_file(file.path(), std::vector<unsigned char>(100, 0xAB));
    const ToolRun run = run_tool("'" + file.path() + "'");
    EXPECT_EQ(run.exit_code, 5) << run.out << run.err;
    EXPECT_NE(run.err.find("too small to hold the 4096-byte Periscope region header"),
              std::string::npos)
        << run.err;
    EXPECT_NE(run.err.find(file.path()), std::string::npos) << run.err;
    const ToolRun json_run = run_tool("--json '" + file.path() + "'");
    EXPECT_EQ(json_run.exit_code, 5);
    EXPECT_EQ(parse_json(json_run.out)["status"].str(), "too-small");
}

TEST_F(ShmToolTest, EmptyFile) {
    FileGuard file(unique_shm_path("empty"));
    write_file(file.path(), {});
    const ToolRun run = run_tool("'" + file.path() + "'");
    EXPECT_EQ(run.exit_code, 5) << run.out << run.err;
}

TEST_F(ShmToolTest, RandomBytes) {
    FileGuard file(unique_shm_path("random"));
    std::vector<unsigned char> bytes(64 * 1024);
    std::mt19937_64 rng(42);
    for (auto& b : bytes) {
        b = static_cast<unsigned char>(rng());
    }
    write_file(file.path(), bytes);
    uint64_t magic = 0;
    std::memcpy(&magic, bytes.data(), 8);
    const ToolRun run = run_tool("'" + file.path() + "'");
    EXPECT_EQ(run.exit_code, 6) << run.out << run.err;
    EXPECT_NE(run.err.find("not a Periscope region (magic " + session_hex(magic)),
              std::string::npos)
        << run.err;
    EXPECT_NE(run.err.find("has the agent started?"), std::string::npos) << run.err;
    EXPECT_NE(run.out.find("(NOT Periscope)"), std::string::npos) << run.out;
}

TEST_F(ShmToolTest, ZeroFilledFile) {
    FileGuard file(unique_shm_path("zero"));
    write_file(file.path(), std::vector<unsigned char>(64 * 1024, 0));
    const ToolRun run = run_tool("'" + file.path() + "'");
    EXPECT_EQ(run.exit_code, 6) << run.out << run.err;
    EXPECT_NE(run.err.find("not a Periscope region (magic 0x0000000000000000"), std::string::npos)
        << run.err;
    EXPECT_NE(run.err.find("has the agent started?"), std::string::npos) << run.err;
    const ToolRun json_run = run_tool("--json '" + file.path() + "'");
    const Json json = parse_json(json_run.out);
    EXPECT_EQ(json["status"].str(), "not-periscope");
    EXPECT_EQ(json["magic"].str(), "0x0000000000000000");
    EXPECT_FALSE(json["magic_valid"].boolean);
}

TEST_F(ShmToolTest, WrongVersion) {
    LiveRegion live(unique_shm_path("version"), LiveRegion::Mode::Unserviced);
    ASSERT_TRUE(live.ok());
    auto* header = reinterpret_cast<protocol::RegionHeader*>(live.bytes().data());
    protocol::store(header->version_major, uint16_t{2});
    const ToolRun run = run_tool("'" + live.path() + "'");
    EXPECT_EQ(run.exit_code, 7) << run.out << run.err;
    EXPECT_NE(run.err.find("unsupported protocol version 2.0"), std::string::npos) << run.err;
}

TEST_F(ShmToolTest, LayoutThatDoesNotValidateNamesTheField) {
    LiveRegion live(unique_shm_path("layout"), LiveRegion::Mode::Unserviced);
    ASSERT_TRUE(live.ok());
    auto* header = reinterpret_cast<protocol::RegionHeader*>(live.bytes().data());
    protocol::store(header->buffer_count, uint32_t{9});
    const ToolRun run = run_tool("'" + live.path() + "'");
    EXPECT_EQ(run.exit_code, 8) << run.out << run.err;
    EXPECT_NE(run.err.find("field buffer_count"), std::string::npos) << run.err;
}

TEST_F(ShmToolTest, MissingFileGivesOpenRegionsDetail) {
    const std::string path = unique_shm_path("missing");
    std::string detail;
    ASSERT_FALSE(platform::open_region(path, {}, &detail));
    ASSERT_FALSE(detail.empty());
    const ToolRun run = run_tool("'" + path + "'");
    EXPECT_EQ(run.exit_code, 3) << run.out << run.err;
    EXPECT_NE(run.err.find(detail), std::string::npos) << run.err;
    EXPECT_EQ(run.out, "");  // nothing was opened, so no report
    const ToolRun json_run = run_tool("--json '" + path + "'");
    EXPECT_EQ(json_run.exit_code, 3);
    const Json json = parse_json(json_run.out);
    EXPECT_EQ(json["status"].str(), "not-found");
    EXPECT_EQ(json["message"].str(), detail);
}

TEST_F(ShmToolTest, PermissionDenied) {
    FileGuard file(unique_shm_path("noperm"));
    write_file(file.path(), std::vector<unsigned char>(8192, 0));
    ASSERT_EQ(chmod(file.path().c_str(), 0600), 0);
    // File modes do not stop root: run the tool as nobody instead, where that is possible.
    std::string prefix;
    if (geteuid() == 0) {
        prefix = "setpriv --reuid=65534 --regid=65534 --clear-groups ";
        if (run_tool("--version", prefix).exit_code != 0) {
            GTEST_SKIP() << "running as root and cannot run the tool as nobody with setpriv";
        }
    } else {
        ASSERT_EQ(chmod(file.path().c_str(), 0), 0);
    }
    const ToolRun run = run_tool("'" + file.path() + "'", prefix);
    EXPECT_EQ(run.exit_code, 4) << run.out << run.err;
    EXPECT_NE(run.err.find("Permission denied"), std::string::npos) << run.err;
    EXPECT_NE(run.err.find("chown"), std::string::npos) << run.err;  // open_region's fix
}

TEST_F(ShmToolTest, UsageErrors) {
    EXPECT_EQ(run_tool("--bogus").exit_code, 2);
    EXPECT_EQ(run_tool("a b").exit_code, 2);
    EXPECT_EQ(run_tool("--size").exit_code, 2);
    const ToolRun spec = run_tool("nosuchbackend:x");
    EXPECT_EQ(spec.exit_code, 2);
    EXPECT_NE(spec.err.find("unknown region spec"), std::string::npos) << spec.err;
}

TEST_F(ShmToolTest, HelpAndVersion) {
    const ToolRun help = run_tool("--help");
    EXPECT_EQ(help.exit_code, 0);
    for (const char* needle : {"--json", "--no-wait", "--size WxH[:FORMAT][:BUFFERS]", "--version",
                               "/dev/shm/periscope", "RGBA16F", "  11  ", "shm:"}) {
        EXPECT_NE(help.out.find(needle), std::string::npos) << needle;
    }
    const ToolRun version = run_tool("--version");
    EXPECT_EQ(version.exit_code, 0);
    EXPECT_EQ(version.out.rfind("periscope-shm ", 0), 0u) << version.out;
    EXPECT_NE(version.out.find("protocol 1.0"), std::string::npos) << version.out;
}

// ---- --size ----

TEST_F(ShmToolTest, SizeFor1080p) {
    const ToolRun run = run_tool("--size 1920x1080");
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_NE(run.out.find("required        17133568 bytes (17.13 MB"), std::string::npos)
        << run.out;
    EXPECT_NE(run.out.find("ivshmem size    32 MiB"), std::string::npos) << run.out;
    EXPECT_NE(run.out.find("-object memory-backend-file,id=periscope,share=on,mem-path=/dev/shm/"
                           "periscope,size=32M -device ivshmem-plain,memdev=periscope"),
              std::string::npos)
        << run.out;
    EXPECT_NE(run.out.find("<shmem name='periscope'><model type='ivshmem-plain'/><size "
                           "unit='M'>32</size></shmem>"),
              std::string::npos)
        << run.out;
}

// The design doc's §8 table lists 128 MiB for 3840x2160 BGRA8 x2 (and 256 MiB with RGBA16F),
// but its own formula, "next power of two >= required", gives 64 MiB (128 MiB): 66 899 968
// bytes are 63.8 MiB. The table compared decimal MB with MiB; the tool follows the formula
// (protocol::recommended_ivshmem_size), which is what Producer::create needs.
TEST_F(ShmToolTest, SizeFor4k) {
    const ToolRun run = run_tool("--size 3840x2160");
    EXPECT_EQ(run.exit_code, 0) << run.err;
    EXPECT_NE(run.out.find("required        66899968 bytes (66.90 MB"), std::string::npos)
        << run.out;
    EXPECT_NE(run.out.find("ivshmem size    64 MiB"), std::string::npos) << run.out;
    const uint64_t required = protocol::required_region_size(
        protocol::frame_bytes(3840, 2160, protocol::Format::BGRA8), 2);
    EXPECT_EQ(protocol::recommended_ivshmem_size(required), 64 * MIB);

    const ToolRun hdr = run_tool("--json --size 3840x2160:rgba16f:2");
    EXPECT_EQ(hdr.exit_code, 0) << hdr.err;
    const Json json = parse_json(hdr.out);
    EXPECT_EQ(json["format"].str(), "RGBA16F");
    EXPECT_EQ(json["required_bytes"].u64(), 133255168u);
    EXPECT_EQ(json["ivshmem_mib"].u64(), 128u);
}

TEST_F(ShmToolTest, SizeVariantsAndErrors) {
    auto parsed = parse_size_query("2560x1440:3");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->buffers, 3u);
    EXPECT_EQ(parsed->format, protocol::Format::BGRA8);
    parsed = parse_size_query("2560X1440:RGB10A2");
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->format, protocol::Format::RGB10A2);
    EXPECT_EQ(parsed->buffers, 2u);
    for (const char* bad : {"", "1920", "1920x", "x1080", "0x1080", "16385x1",
                            "1920x1080:", "1920x1080:XYZ", "1920x1080:BGRA8:0", "1920x1080:BGRA8:9",
                            "1920x1080:BGRA8:2:1", "-1x5", "1e3x5", "99999999999x1"}) {
        EXPECT_FALSE(parse_size_query(bad)) << bad;
    }
    const ToolRun run = run_tool("--size 1920x1080:NOPE");
    EXPECT_EQ(run.exit_code, 2);
    EXPECT_NE(run.err.find("unknown format 'NOPE'"), std::string::npos) << run.err;
    // A shm region names the file in the snippets; QEMU's commas are doubled, the shell quoted.
    const ToolRun named = run_tool("--size=1280x720 'shm:my vm,2'");
    EXPECT_EQ(named.exit_code, 0);
    EXPECT_NE(named.out.find("-object 'memory-backend-file,id=periscope,share=on,mem-path=/dev/"
                             "shm/my vm,,2,size=8M' -device"),
              std::string::npos)
        << named.out;
    EXPECT_NE(named.out.find("<shmem name='my vm,2'>"), std::string::npos) << named.out;
}

// ---- in-process: hostile regions ----

// A region in private memory with the same contents a LiveRegion writes, for tampering with.
class TamperedRegion {
  public:
    TamperedRegion() {
        platform::RegionOptions options;
        options.size = REGION_BYTES;
        auto region = platform::open_region("mem:", options);
        EXPECT_TRUE(region);
        m_region = std::move(region).value();
        protocol::ProducerConfig config;
        config.buffer_count = 2;
        config.expected_frame_bytes = protocol::frame_bytes(WIDTH, HEIGHT, protocol::Format::BGRA8);
        auto producer = protocol::Producer::create(m_region->bytes(), config);
        EXPECT_TRUE(producer);
        m_producer = std::move(producer).value();
        std::vector<std::byte> image(uint64_t{WIDTH} * 4 * HEIGHT);
        protocol::DamageList damage;
        damage.add(DAMAGE);
        EXPECT_TRUE(m_producer->publish({protocol::Format::BGRA8, WIDTH, HEIGHT, 1}, image.data(),
                                        WIDTH * 4, damage));
        m_producer->set_cursor_position(5, 6, true, 1);
        {
            protocol::ConsumerConfig consumer_config;
            consumer_config.name = "tamper";
            protocol::Consumer consumer(m_region->bytes(), consumer_config);
            consumer.poll(monotonic_ns());
            m_saved_slot = protocol::copy_out(slot(0));
        }
        // The Consumer freed its slot on destruction; put the slot back as it was while joined.
        restore_slot();
    }

    std::span<const std::byte> bytes() const {
        const auto span = m_region->bytes();
        return {span.data(), span.size()};
    }
    protocol::RegionHeader& header() {
        return *reinterpret_cast<protocol::RegionHeader*>(m_region->bytes().data());
    }
    protocol::Layout layout() { return m_producer->layout(); }
    template <class T>
    T& at(uint64_t offset, uint64_t index = 0) {
        return reinterpret_cast<T*>(m_region->bytes().data() + offset)[index];
    }
    protocol::ConsumerSlot& slot(uint32_t index) {
        return at<protocol::ConsumerSlot>(layout().consumer_offset, index);
    }
    void restore_slot() { protocol::copy_in(slot(0), m_saved_slot); }

    Report inspect() {
        InspectOptions options;
        options.sample_heartbeat = false;
        return inspect_mapping(bytes(), "tampered", options);
    }

  private:
    std::unique_ptr<platform::Region> m_region;
    std::unique_ptr<protocol::Producer> m_producer;
    protocol::ConsumerSlot m_saved_slot{};
};

TEST_F(ShmToolTest, InProcessReportOfATidyRegion) {
    TamperedRegion region;
    region.restore_slot();
    const Report report = region.inspect();
    EXPECT_EQ(report.outcome, Outcome::Ok) << report.message;
    EXPECT_TRUE(report.layout_valid);
    EXPECT_EQ(report.frame.latest_serial, 1u);
    EXPECT_TRUE(report.frame.problem.empty()) << report.frame.problem;
    EXPECT_EQ(report.frame.record.width, WIDTH);
    ASSERT_EQ(report.consumers.size(), 1u);
    EXPECT_EQ(report.consumers[0].name, "tamper");
    EXPECT_TRUE(report.cursor.problem.empty());
    EXPECT_EQ(report.cursor.state.x, 5);
    EXPECT_FALSE(report.heartbeat.sampled);
    parse_json(render_json(report));
}

TEST_F(ShmToolTest, InvalidFieldsAreShownAsInvalidWithTheReason) {
    TamperedRegion region;
    const protocol::Layout layout = region.layout();
    // A consumer name made to attack a terminal and a JSON encoder.
    char name[protocol::CONSUMER_NAME_SIZE];
    std::memcpy(name, "\x1b[2J\"q\\\n\xff\xc2\x9b", 11);
    std::memset(name + 11, 'z', sizeof name - 11);  // and no NUL at all
    protocol::copy_words_in(region.slot(0).name, name, sizeof name);
    protocol::store(region.slot(0).held_buffer, uint32_t{77});
    protocol::store(region.slot(0).msg_write, uint32_t{1000});
    protocol::store(region.slot(0).kind, uint32_t{99});
    auto& record = region.at<protocol::FrameRecord>(layout.ring_offset, 1);
    protocol::store(record.stride, uint32_t{7});
    auto& cursor = region.at<protocol::CursorState>(layout.cursor_offset);
    protocol::store(cursor.shape_slot, uint32_t{7});
    auto& shape = region.at<protocol::CursorShapeDesc>(layout.shape_desc_offset, 1);
    protocol::store(shape.serial, uint64_t{9});
    protocol::store(shape.width, uint32_t{5000});
    protocol::store(shape.height, uint32_t{1});

    const Report report = region.inspect();
    EXPECT_EQ(report.outcome, Outcome::Ok);  // invalid details do not make the region unusable
    EXPECT_EQ(report.frame.problem, "stride: invalid frame record");
    ASSERT_EQ(report.consumers.size(), 1u);
    const ConsumerReport& c = report.consumers[0];
    EXPECT_FALSE(c.name_terminated);
    EXPECT_NE(c.held_problem.find("held_buffer 77 is out of range"), std::string::npos);
    EXPECT_NE(c.mailbox_problem.find("exceeds the mailbox size"), std::string::npos);
    EXPECT_NE(report.cursor.problem.find("shape_slot"), std::string::npos);
    EXPECT_NE(report.cursor.shapes[1].problem.find("width/height"), std::string::npos);

    const std::string text = render_text(report);
    EXPECT_NE(text.find("INVALID (stride: invalid frame record): raw 640x480"), std::string::npos)
        << text;
    EXPECT_NE(text.find("unknown kind 99 \"\\x1B[2J\\\"q\\\\\\x0A\\xFF\\xC2\\x9Bzzzzzzzzzzzzz\" "
                        "(not NUL-terminated)"),
              std::string::npos)
        << text;
    EXPECT_EQ(text.find('\x1b'), std::string::npos);
    EXPECT_NE(text.find("held buffer INVALID"), std::string::npos) << text;
    EXPECT_NE(text.find("mailbox write 1000, read 0; INVALID"), std::string::npos) << text;

    const std::string json_text = render_json(report);
    const Json json = parse_json(json_text);
    expect_python_parses(json_text);
    const Json& consumer = json["consumers"]["list"][0];
    EXPECT_EQ(consumer["name"].str(),
              std::string("\x1b[2J\"q\\\n\xef\xbf\xbd\xc2\x9bzzzzzzzzzzzzz"));
    EXPECT_TRUE(consumer["held_buffer"].is_null());
    EXPECT_EQ(consumer["held_buffer_value"].u64(), 77u);
    EXPECT_FALSE(json["frame"]["record"]["valid"].boolean);
    EXPECT_TRUE(json["frame"]["record"]["damage"].is_null());
    EXPECT_FALSE(json["cursor"]["valid"].boolean);
}

TEST_F(ShmToolTest, RowsReadyAboveTheHeightIsInvalid) {
    TamperedRegion region;
    const protocol::Layout layout = region.layout();
    const Report before = region.inspect();
    const uint32_t buffer = before.frame.record.buffer_index;
    protocol::store(region.at<protocol::BufferDesc>(layout.bufdesc_offset, buffer).rows_ready,
                    uint32_t{5000});
    const Report report = region.inspect();
    ASSERT_LT(buffer, report.buffers.size());
    EXPECT_EQ(report.buffers[buffer].problem, "rows_ready 5000 is above the frame's height 480");
}

TEST_F(ShmToolTest, RegionSizeBeyondTheMapping) {
    TamperedRegion region;
    protocol::store(region.header().region_size, REGION_BYTES + 4096);
    const Report report = region.inspect();
    EXPECT_EQ(report.outcome, Outcome::BadLayout);
    EXPECT_NE(report.message.find("must be at least as large"), std::string::npos)
        << report.message;
}

TEST_F(ShmToolTest, EscapingHelpers) {
    std::string out;
    const char raw[] = "a\"b\\c\n\t\x01\x7f\xc3\xa9\xed\xa0\x80\xf4\x90\x80\x80";
    append_json_string(out, std::string_view(raw, sizeof raw - 1));
    EXPECT_EQ(out,
              "\"a\\\"b\\\\c\\n\\t\\u0001\x7f\xc3\xa9\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd"
              "\\ufffd\\ufffd\"");
    EXPECT_EQ(terminal_safe("ok \xc3\xa9 \x1b[0m\x7f"), "ok \xc3\xa9 \\x1B[0m\\x7F");
    EXPECT_EQ(terminal_safe("a\"b", true), "a\\\"b");
    EXPECT_EQ(magic_ascii(protocol::MAGIC), "PERISCOP");
    EXPECT_EQ(magic_ascii(0), "");
}

// Random corruption anywhere in the control area: the inspection never crashes (ASan/UBSan
// builds check "never reads outside"), and both renderings stay well-formed.
TEST_F(ShmToolTest, RandomCorruptionNeverBreaksTheReport) {
    TamperedRegion region;
    const uint64_t control = region.layout().shape_data_offset;
    std::vector<std::byte> pristine(control);
    std::memcpy(pristine.data(), region.bytes().data(), control);
    auto* base = const_cast<std::byte*>(region.bytes().data());
    std::mt19937_64 rng(7);
    int outcomes[12] = {};
    for (int iteration = 0; iteration < 3000; ++iteration) {
        std::memcpy(base, pristine.data(), control);
        const int flips = 1 + static_cast<int>(rng() % 8);
        for (int k = 0; k < flips; ++k) {
            // Mostly the header's first lines (where the layout lives), sometimes anywhere.
            const uint64_t limit = rng() % 2 == 0 ? 384 : control;
            const uint64_t at = 8 + rng() % (limit - 8);  // keep the magic: test the rest
            base[at] = static_cast<std::byte>(rng());
        }
        const Report report = region.inspect();
        ++outcomes[exit_code(report.outcome)];
        const std::string json = render_json(report);
        Json parsed;
        std::string error;
        ASSERT_TRUE(JsonParser::parse(json, &parsed, &error)) << error << "\n" << json;
        const std::string text = render_text(report);
        ASSERT_EQ(text.find('\x1b'), std::string::npos);
    }
    std::memcpy(base, pristine.data(), control);
    // Both ends of the spectrum were exercised.
    EXPECT_GT(outcomes[0], 0);
    EXPECT_GT(outcomes[exit_code(Outcome::BadLayout)], 0);
}

}  // namespace
}  // namespace periscope::tools

// X11Clipboard on a private Xvfb: xclip plays the host application that copies and pastes; a raw
// xcb client plays owners that misbehave (answer half an INCR transfer, then vanish).
#include "viewer/input/x11/x11_clipboard.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#include <xcb/xcb.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/log.h"
#include "support/temp_dir.h"
#include "support/xvfb.h"

extern char** environ;

namespace periscope::viewer {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr auto WAIT = seconds(10);  // bound for anything that should happen "soon"

std::vector<uint8_t> bytes_of(const std::string& text) {
    return std::vector<uint8_t>(text.begin(), text.end());
}

std::vector<uint8_t> random_bytes(size_t size, uint32_t seed) {
    std::mt19937 generator(seed);
    std::vector<uint8_t> out(size);
    for (uint8_t& b : out) {
        b = static_cast<uint8_t>(generator());
    }
    // A PNG signature in front, for whoever looks at it; the content does not matter.
    const uint8_t signature[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    std::memcpy(out.data(), signature, sizeof(signature));
    return out;
}

bool write_file(const std::string& path, const std::vector<uint8_t>& data) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(data.data()),
              static_cast<std::streamsize>(data.size()));
    return static_cast<bool>(out);
}

std::vector<uint8_t> read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

// A client program on the test's display, killed (and reaped) when the object goes, so that a
// failed test leaves no xclip behind.
class Child {
  public:
    Child(const std::string& display, std::vector<std::string> argv,
          const std::string& stdout_path = "") {
        std::vector<std::string> env;
        for (char** e = environ; *e != nullptr; ++e) {
            if (std::strncmp(*e, "DISPLAY=", 8) != 0) {
                env.emplace_back(*e);
            }
        }
        env.push_back("DISPLAY=" + display);
        posix_spawn_file_actions_t actions;
        posix_spawn_file_actions_init(&actions);
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&actions, 1,
                                         stdout_path.empty() ? "/dev/null" : stdout_path.c_str(),
                                         O_WRONLY | O_CREAT | O_TRUNC, 0600);
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
        std::vector<char*> args;
        for (std::string& a : argv) {
            args.push_back(a.data());
        }
        args.push_back(nullptr);
        std::vector<char*> envp;
        for (std::string& e : env) {
            envp.push_back(e.data());
        }
        envp.push_back(nullptr);
        if (posix_spawnp(&m_pid, args[0], &actions, nullptr, args.data(), envp.data()) != 0) {
            m_pid = -1;
        }
        posix_spawn_file_actions_destroy(&actions);
    }
    ~Child() {
        if (m_pid > 0) {
            kill(m_pid, SIGKILL);
            waitpid(m_pid, nullptr, 0);
        }
    }
    Child(const Child&) = delete;
    Child& operator=(const Child&) = delete;

    bool started() const { return m_pid > 0; }

    // The exit code, or nullopt if it did not exit normally within `timeout`.
    std::optional<int> wait_exit(std::chrono::milliseconds timeout) {
        const auto deadline = Clock::now() + timeout;
        while (m_pid > 0) {
            int status = 0;
            const pid_t r = waitpid(m_pid, &status, WNOHANG);
            if (r == m_pid) {
                m_pid = -1;
                if (WIFEXITED(status)) {
                    return WEXITSTATUS(status);
                }
                return std::nullopt;
            }
            if (Clock::now() >= deadline) {
                return std::nullopt;
            }
            std::this_thread::sleep_for(milliseconds(5));
        }
        return std::nullopt;
    }

  private:
    pid_t m_pid = -1;
};

// Everything the clipboard tells us, for the test thread to wait on.
class Recorder {
  public:
    struct Data {
        ClipboardType type;
        bool ok;
        std::vector<uint8_t> bytes;
    };
    struct Demand {
        uint64_t id;
        ClipboardType type;
    };

    void attach(HostClipboard& clipboard) {
        clipboard.set_callbacks(
            [this](std::vector<ClipboardType> types) {
                std::lock_guard<std::mutex> lock(m_mutex);
                m_offers.push_back(std::move(types));
                m_changed.notify_all();
            },
            [this](uint64_t id, ClipboardType type) {
                std::lock_guard<std::mutex> lock(m_mutex);
                m_demands.push_back({id, type});
                m_changed.notify_all();
            },
            [this](ClipboardType type, bool ok, std::vector<uint8_t> data) {
                std::lock_guard<std::mutex> lock(m_mutex);
                m_data.push_back({type, ok, std::move(data)});
                m_changed.notify_all();
            });
    }

    // The offers received so far, the latest last.
    std::vector<std::vector<ClipboardType>> offers() {
        std::lock_guard<std::mutex> lock(m_mutex);
        return m_offers;
    }

    // Waits for an offer (past the first `seen`) that satisfies `match`.
    bool wait_offer(const std::function<bool(const std::vector<ClipboardType>&)>& match,
                    size_t seen = 0) {
        std::unique_lock<std::mutex> lock(m_mutex);
        return m_changed.wait_for(lock, WAIT, [&] {
            for (size_t i = seen; i < m_offers.size(); ++i) {
                if (match(m_offers[i])) {
                    return true;
                }
            }
            return false;
        });
    }

    std::optional<Data> wait_data(std::chrono::milliseconds timeout = WAIT) {
        std::unique_lock<std::mutex> lock(m_mutex);
        if (!m_changed.wait_for(lock, timeout, [&] { return !m_data.empty(); })) {
            return std::nullopt;
        }
        Data data = std::move(m_data.front());
        m_data.erase(m_data.begin());
        return data;
    }

    std::optional<Demand> wait_demand() {
        std::unique_lock<std::mutex> lock(m_mutex);
        if (!m_changed.wait_for(lock, WAIT, [&] { return !m_demands.empty(); })) {
            return std::nullopt;
        }
        Demand demand = m_demands.front();
        m_demands.erase(m_demands.begin());
        return demand;
    }

  private:
    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::vector<std::vector<ClipboardType>> m_offers;
    std::vector<Demand> m_demands;
    std::vector<Data> m_data;
};

// Counts log lines that contain `needle` (debug ones included), to show which path a transfer
// took; installed for one test's lifetime.
class LogCounter {
  public:
    explicit LogCounter(std::string needle) : m_needle(std::move(needle)) {
        set_log_sink(&LogCounter::sink, this);
    }
    ~LogCounter() { set_log_sink(nullptr, nullptr); }
    LogCounter(const LogCounter&) = delete;
    LogCounter& operator=(const LogCounter&) = delete;
    int count() const { return m_count.load(); }

  private:
    static void sink(LogLevel, const char*, const char* text, void* context) {
        auto* self = static_cast<LogCounter*>(context);
        if (std::strstr(text, self->m_needle.c_str()) != nullptr) {
            ++self->m_count;
        }
    }
    std::string m_needle;
    std::atomic<int> m_count{0};
};

bool contains(const std::vector<ClipboardType>& types, ClipboardType type) {
    return std::find(types.begin(), types.end(), type) != types.end();
}

// A plain xcb client of the test's own: looks at the selection, or plays a misbehaving owner.
class RawClient {
  public:
    explicit RawClient(const std::string& display) {
        m_connection = xcb_connect(display.c_str(), nullptr);
        if (xcb_connection_has_error(m_connection) != 0) {
            return;
        }
        xcb_screen_t* screen = xcb_setup_roots_iterator(xcb_get_setup(m_connection)).data;
        m_window = xcb_generate_id(m_connection);
        xcb_create_window(m_connection, 0, m_window, screen->root, 0, 0, 1, 1, 0,
                          XCB_WINDOW_CLASS_INPUT_ONLY, XCB_COPY_FROM_PARENT, 0, nullptr);
        m_clipboard = atom("CLIPBOARD");
        xcb_flush(m_connection);
    }
    ~RawClient() { disconnect(); }
    RawClient(const RawClient&) = delete;
    RawClient& operator=(const RawClient&) = delete;

    bool ok() const {
        return m_connection != nullptr && xcb_connection_has_error(m_connection) == 0;
    }
    void disconnect() {
        if (m_connection != nullptr) {
            xcb_disconnect(m_connection);
            m_connection = nullptr;
        }
    }

    xcb_atom_t atom(const char* name) {
        xcb_intern_atom_reply_t* reply = xcb_intern_atom_reply(
            m_connection,
            xcb_intern_atom(m_connection, 0, static_cast<uint16_t>(std::strlen(name)), name),
            nullptr);
        const xcb_atom_t out = reply != nullptr ? reply->atom : xcb_atom_t{XCB_ATOM_NONE};
        std::free(reply);
        return out;
    }

    xcb_window_t owner() {
        xcb_get_selection_owner_reply_t* reply = xcb_get_selection_owner_reply(
            m_connection, xcb_get_selection_owner(m_connection, m_clipboard), nullptr);
        const xcb_window_t out = reply != nullptr ? reply->owner : xcb_window_t{XCB_WINDOW_NONE};
        std::free(reply);
        return out;
    }

    // Polls the owner until `match` (bounded): the clipboard's own changes have no callback.
    bool wait_owner(const std::function<bool(xcb_window_t)>& match) {
        const auto deadline = Clock::now() + WAIT;
        while (Clock::now() < deadline) {
            if (match(owner())) {
                return true;
            }
            std::this_thread::sleep_for(milliseconds(5));
        }
        return false;
    }

    bool take_selection() {
        xcb_set_selection_owner(m_connection, m_window, m_clipboard, XCB_CURRENT_TIME);
        return owner() == m_window;
    }

    // Waits (bounded) for a SelectionRequest for `target`, refusing any other on the way.
    std::optional<xcb_selection_request_event_t> wait_request(xcb_atom_t target) {
        const auto deadline = Clock::now() + WAIT;
        while (Clock::now() < deadline) {
            xcb_generic_event_t* event = xcb_poll_for_event(m_connection);
            if (event == nullptr) {
                pollfd fd = {xcb_get_file_descriptor(m_connection), POLLIN, 0};
                poll(&fd, 1, 50);
                continue;
            }
            std::optional<xcb_selection_request_event_t> found;
            if ((event->response_type & 0x7f) == XCB_SELECTION_REQUEST) {
                const auto* request = reinterpret_cast<xcb_selection_request_event_t*>(event);
                if (request->target == target) {
                    found = *request;
                } else {
                    notify(*request, XCB_ATOM_NONE);
                }
            }
            std::free(event);
            if (found) {
                return found;
            }
        }
        return std::nullopt;
    }

    void notify(const xcb_selection_request_event_t& request, xcb_atom_t property) {
        xcb_selection_notify_event_t notify{};
        notify.response_type = XCB_SELECTION_NOTIFY;
        notify.time = request.time;
        notify.requestor = request.requestor;
        notify.selection = request.selection;
        notify.target = request.target;
        notify.property = property;
        char buffer[32] = {};
        std::memcpy(buffer, &notify, sizeof(notify));
        xcb_send_event(m_connection, 0, request.requestor, XCB_EVENT_MASK_NO_EVENT, buffer);
        xcb_flush(m_connection);
    }

    void start_incr(const xcb_selection_request_event_t& request, uint32_t size) {
        xcb_change_property(m_connection, XCB_PROP_MODE_REPLACE, request.requestor,
                            request.property, atom("INCR"), 32, 1, &size);
        notify(request, request.property);
    }

  private:
    xcb_connection_t* m_connection = nullptr;
    xcb_window_t m_window = XCB_WINDOW_NONE;
    xcb_atom_t m_clipboard = XCB_ATOM_NONE;
};

class X11ClipboardTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string error;
        m_xvfb = test::Xvfb::start({}, &error);
        ASSERT_NE(m_xvfb, nullptr) << error;
        ASSERT_TRUE(m_dir.ok());
    }

    // Waits until the host's owner offers `type`, fetches it, and returns what arrived.
    std::optional<Recorder::Data> fetch_when_offered(HostClipboard& clipboard, ClipboardType type) {
        if (!m_recorder.wait_offer([type](const auto& types) { return contains(types, type); })) {
            ADD_FAILURE() << "the host's owner never offered " << to_string(type);
            return std::nullopt;
        }
        clipboard.fetch(type);
        return m_recorder.wait_data();
    }
    // Offers `types` and waits until the X server names an owner of CLIPBOARD.
    void offer_and_wait(HostClipboard& clipboard, std::vector<ClipboardType> types) {
        RawClient observer(m_xvfb->display());
        ASSERT_TRUE(observer.ok());
        clipboard.offer(std::move(types));
        ASSERT_TRUE(observer.wait_owner([](xcb_window_t w) { return w != XCB_WINDOW_NONE; }));
    }
    std::unique_ptr<HostClipboard> make(const X11ClipboardOptions& options = {}) {
        std::string error;
        std::unique_ptr<HostClipboard> clipboard =
            make_x11_clipboard(m_xvfb->display(), options, &error);
        EXPECT_NE(clipboard, nullptr) << error;
        if (clipboard) {
            m_recorder.attach(*clipboard);
        }
        return clipboard;
    }

    // xclip owning the clipboard with `data` as `target`, in the foreground (-quiet), so the
    // Child can end it.
    std::unique_ptr<Child> copy_with_xclip(const std::vector<uint8_t>& data, const char* target) {
        const std::string path = m_dir.file("copy-" + std::to_string(m_files++));
        EXPECT_TRUE(write_file(path, data));
        auto child = std::make_unique<Child>(
            m_xvfb->display(), std::vector<std::string>{"xclip", "-quiet", "-selection",
                                                        "clipboard", "-t", target, "-i", path});
        EXPECT_TRUE(child->started());
        return child;
    }

    // `xclip -o -t target` in the background, its output to a file.
    std::unique_ptr<Child> paste_with_xclip(const char* target, std::string* output_path) {
        *output_path = m_dir.file("paste-" + std::to_string(m_files++));
        auto child = std::make_unique<Child>(
            m_xvfb->display(),
            std::vector<std::string>{"xclip", "-o", "-selection", "clipboard", "-t", target},
            *output_path);
        EXPECT_TRUE(child->started());
        return child;
    }

    std::unique_ptr<test::Xvfb> m_xvfb;
    test::TempDir m_dir{"periscope-clip"};
    Recorder m_recorder;
    int m_files = 0;
};

TEST(X11ClipboardFactory, FailsClearlyWithoutDisplay) {
    std::string error;
    // Display 1999 is far above the test servers' range (:90 and up) and nothing listens there.
    std::unique_ptr<HostClipboard> clipboard = make_x11_clipboard(":1999", &error);
    EXPECT_EQ(clipboard, nullptr);
    EXPECT_NE(error.find(":1999"), std::string::npos) << error;
}

TEST(X11ClipboardFactory, FailsClearlyWithoutXFixes) {
    std::string error;
    test::XvfbConfig config;
    config.extra_args = {"-extension", "XFIXES"};
    std::unique_ptr<test::Xvfb> xvfb = test::Xvfb::start(config, &error);
    ASSERT_NE(xvfb, nullptr) << error;
    std::unique_ptr<HostClipboard> clipboard = make_x11_clipboard(xvfb->display(), &error);
    EXPECT_EQ(clipboard, nullptr);
    EXPECT_NE(error.find("XFixes"), std::string::npos) << error;
}

TEST_F(X11ClipboardTest, DescribesItsDisplay) {
    auto clipboard = make();
    ASSERT_NE(clipboard, nullptr);
    EXPECT_EQ(clipboard->describe(), "x11: " + m_xvfb->display());
}

TEST_F(X11ClipboardTest, HostTextIsOfferedAndFetchedExactly) {
    auto clipboard = make();
    ASSERT_NE(clipboard, nullptr);
    const std::vector<uint8_t> text = bytes_of("héllo wörld — ✓ 日本語 🎉\nline two\ttab\n");
    auto xclip = copy_with_xclip(text, "UTF8_STRING");

    std::optional<Recorder::Data> data = fetch_when_offered(*clipboard, ClipboardType::Utf8Text);
    ASSERT_TRUE(data);
    EXPECT_TRUE(data->ok);
    EXPECT_EQ(data->type, ClipboardType::Utf8Text);
    EXPECT_EQ(data->bytes, text);
}

TEST_F(X11ClipboardTest, OwnerPresentAtStartIsReported) {
    const std::vector<uint8_t> text = bytes_of("already there");
    auto xclip = copy_with_xclip(text, "UTF8_STRING");
    RawClient observer(m_xvfb->display());
    ASSERT_TRUE(observer.ok());
    ASSERT_TRUE(observer.wait_owner([](xcb_window_t w) { return w != XCB_WINDOW_NONE; }));

    auto clipboard = make();  // set_callbacks reports the owner found at start
    ASSERT_NE(clipboard, nullptr);
    ASSERT_TRUE(m_recorder.wait_offer(
        [](const auto& types) { return contains(types, ClipboardType::Utf8Text); }));
}

TEST_F(X11ClipboardTest, Latin1StringOnlyOwnerBecomesUtf8) {
    auto clipboard = make();
    ASSERT_NE(clipboard, nullptr);
    const std::vector<uint8_t> latin1 = {'c', 'a', 'f', 0xE9, ' ', 0xFC, 'b', 'e', 'r'};
    auto xclip = copy_with_xclip(latin1, "STRING");

    std::optional<Recorder::Data> data = fetch_when_offered(*clipboard, ClipboardType::Utf8Text);
    ASSERT_TRUE(data);
    EXPECT_TRUE(data->ok);
    EXPECT_EQ(data->bytes, bytes_of("café über"));
}

TEST_F(X11ClipboardTest, LargeHostPngArrivesByIncr) {
    LogCounter incr("receiving png by INCR");
    auto clipboard = make();
    ASSERT_NE(clipboard, nullptr);
    // xclip sends anything above about 1 MiB (its chunk size on Xvfb) by INCR.
    const std::vector<uint8_t> png = random_bytes(3 * 1024 * 1024 + 12345, 1);
    auto xclip = copy_with_xclip(png, "image/png");

    ASSERT_TRUE(m_recorder.wait_offer(
        [](const auto& types) { return contains(types, ClipboardType::Png); }));
    EXPECT_FALSE(contains(m_recorder.offers().back(), ClipboardType::Utf8Text));
    clipboard->fetch(ClipboardType::Png);
    std::optional<Recorder::Data> data = m_recorder.wait_data();
    ASSERT_TRUE(data);
    EXPECT_TRUE(data->ok);
    EXPECT_EQ(data->type, ClipboardType::Png);
    EXPECT_TRUE(data->bytes == png) << "got " << data->bytes.size() << " bytes of " << png.size();
    EXPECT_EQ(incr.count(), 1);
}

TEST_F(X11ClipboardTest, OfferListsTargetsAndServesLargePngByIncr) {
    LogCounter incr("by INCR in chunks");
    auto clipboard = make();
    ASSERT_NE(clipboard, nullptr);
    ASSERT_NO_FATAL_FAILURE(
        offer_and_wait(*clipboard, {ClipboardType::Utf8Text, ClipboardType::Png}));

    std::string targets_path;
    auto targets = paste_with_xclip("TARGETS", &targets_path);
    ASSERT_EQ(targets->wait_exit(WAIT), 0);
    const std::vector<uint8_t> listed = read_file(targets_path);
    const std::string list(listed.begin(), listed.end());
    EXPECT_NE(list.find("UTF8_STRING"), std::string::npos) << list;
    EXPECT_NE(list.find("text/plain;charset=utf-8"), std::string::npos) << list;
    EXPECT_NE(list.find("image/png"), std::string::npos) << list;

    std::string png_path;
    auto paste = paste_with_xclip("image/png", &png_path);
    std::optional<Recorder::Demand> demand = m_recorder.wait_demand();
    ASSERT_TRUE(demand);
    EXPECT_EQ(demand->type, ClipboardType::Png);
    const std::vector<uint8_t> png = random_bytes(5 * 1024 * 1024 + 777, 2);
    clipboard->provide(demand->id, true, png);
    ASSERT_EQ(paste->wait_exit(WAIT), 0);
    const std::vector<uint8_t> pasted = read_file(png_path);
    EXPECT_TRUE(pasted == png) << "got " << pasted.size() << " bytes of " << png.size();
    EXPECT_EQ(incr.count(), 1);

    // Text too, through the same offer.
    std::string text_path;
    auto text_paste = paste_with_xclip("UTF8_STRING", &text_path);
    demand = m_recorder.wait_demand();
    ASSERT_TRUE(demand);
    EXPECT_EQ(demand->type, ClipboardType::Utf8Text);
    const std::vector<uint8_t> text = bytes_of("gäst → höst ✓");
    clipboard->provide(demand->id, true, text);
    ASSERT_EQ(text_paste->wait_exit(WAIT), 0);
    EXPECT_EQ(read_file(text_path), text);

    // Our own ownership changes are not reported back.
    EXPECT_TRUE(m_recorder.offers().empty());
}

TEST_F(X11ClipboardTest, RefusedDemandMakesPasteFail) {
    auto clipboard = make();
    ASSERT_NE(clipboard, nullptr);
    ASSERT_NO_FATAL_FAILURE(offer_and_wait(*clipboard, {ClipboardType::Utf8Text}));

    std::string path;
    auto paste = paste_with_xclip("UTF8_STRING", &path);
    std::optional<Recorder::Demand> demand = m_recorder.wait_demand();
    ASSERT_TRUE(demand);
    clipboard->provide(demand->id, false, {});
    std::optional<int> code = paste->wait_exit(WAIT);
    ASSERT_TRUE(code.has_value()) << "xclip hung after a refusal";
    EXPECT_NE(*code, 0);

    // A type we do not offer is refused without asking the bridge.
    auto png_paste = paste_with_xclip("image/png", &path);
    code = png_paste->wait_exit(WAIT);
    ASSERT_TRUE(code.has_value());
    EXPECT_NE(*code, 0);
}

TEST_F(X11ClipboardTest, DemandWithoutProvideTimesOut) {
    X11ClipboardOptions options;
    options.request_timeout = milliseconds(1000);
    auto clipboard = make(options);
    ASSERT_NE(clipboard, nullptr);
    ASSERT_NO_FATAL_FAILURE(offer_and_wait(*clipboard, {ClipboardType::Utf8Text}));

    std::string path;
    auto paste = paste_with_xclip("UTF8_STRING", &path);
    std::optional<Recorder::Demand> demand = m_recorder.wait_demand();
    ASSERT_TRUE(demand);
    const auto asked = Clock::now();
    std::optional<int> code = paste->wait_exit(WAIT);
    ASSERT_TRUE(code.has_value()) << "xclip still waiting after the timeout";
    EXPECT_NE(*code, 0);
    EXPECT_GE(Clock::now() - asked, milliseconds(900));
    // A late answer is dropped quietly.
    clipboard->provide(demand->id, true, bytes_of("too late"));
}

TEST_F(X11ClipboardTest, WithdrawLeavesNoOwner) {
    auto clipboard = make();
    ASSERT_NE(clipboard, nullptr);
    ASSERT_NO_FATAL_FAILURE(offer_and_wait(*clipboard, {ClipboardType::Utf8Text}));
    RawClient observer(m_xvfb->display());
    ASSERT_TRUE(observer.ok());
    clipboard->withdraw();
    ASSERT_TRUE(observer.wait_owner([](xcb_window_t w) { return w == XCB_WINDOW_NONE; }));

    // Offer again after a withdraw, then another application copies: it is reported.
    clipboard->offer({ClipboardType::Png});
    ASSERT_TRUE(observer.wait_owner([](xcb_window_t w) { return w != XCB_WINDOW_NONE; }));
    EXPECT_TRUE(m_recorder.offers().empty());
}

TEST_F(X11ClipboardTest, AnotherOwnerAfterOurOfferIsReported) {
    auto clipboard = make();
    ASSERT_NE(clipboard, nullptr);
    RawClient observer(m_xvfb->display());
    ASSERT_TRUE(observer.ok());
    clipboard->offer({ClipboardType::Png});
    xcb_window_t ours = XCB_WINDOW_NONE;
    ASSERT_TRUE(observer.wait_owner([&](xcb_window_t w) {
        ours = w;
        return w != XCB_WINDOW_NONE;
    }));

    const std::vector<uint8_t> text = bytes_of("taken over");
    auto xclip = copy_with_xclip(text, "UTF8_STRING");
    ASSERT_TRUE(m_recorder.wait_offer([](const auto& types) {
        return types == std::vector<ClipboardType>{ClipboardType::Utf8Text};
    }));
    EXPECT_NE(observer.owner(), ours);
    // We lost ownership: a withdraw now must not clear the new owner's selection.
    clipboard->withdraw();
    clipboard->fetch(ClipboardType::Utf8Text);
    std::optional<Recorder::Data> data = m_recorder.wait_data();
    ASSERT_TRUE(data);
    EXPECT_TRUE(data->ok);
    EXPECT_EQ(data->bytes, text);

    // The owner quits: the bridge hears that its offer is gone.
    const size_t seen = m_recorder.offers().size();
    xclip.reset();
    ASSERT_TRUE(m_recorder.wait_offer([](const auto& types) { return types.empty(); }, seen));
}

TEST_F(X11ClipboardTest, OwnerVanishingMidIncrFailsFetchQuickly) {
    auto clipboard = make();  // default 5 s timeout: the failure must come well before it
    ASSERT_NE(clipboard, nullptr);
    RawClient owner(m_xvfb->display());
    ASSERT_TRUE(owner.ok());
    ASSERT_TRUE(owner.take_selection());
    const xcb_atom_t utf8 = owner.atom("UTF8_STRING");

    clipboard->fetch(ClipboardType::Utf8Text);
    std::optional<xcb_selection_request_event_t> request = owner.wait_request(utf8);
    ASSERT_TRUE(request);
    owner.start_incr(*request, 10 * 1024 * 1024);
    const auto vanished = Clock::now();
    owner.disconnect();

    std::optional<Recorder::Data> data = m_recorder.wait_data();
    ASSERT_TRUE(data);
    EXPECT_FALSE(data->ok);
    EXPECT_TRUE(data->bytes.empty());
    EXPECT_LT(Clock::now() - vanished, milliseconds(3000));
}

TEST_F(X11ClipboardTest, OwnerVanishingBeforeAnswerFailsFetchQuickly) {
    auto clipboard = make();
    ASSERT_NE(clipboard, nullptr);
    RawClient owner(m_xvfb->display());
    ASSERT_TRUE(owner.ok());
    ASSERT_TRUE(owner.take_selection());

    clipboard->fetch(ClipboardType::Png);
    ASSERT_TRUE(owner.wait_request(owner.atom("image/png")));
    const auto vanished = Clock::now();
    owner.disconnect();

    std::optional<Recorder::Data> data = m_recorder.wait_data();
    ASSERT_TRUE(data);
    EXPECT_FALSE(data->ok);
    EXPECT_LT(Clock::now() - vanished, milliseconds(3000));
}

TEST_F(X11ClipboardTest, SilentOwnerTimesOut) {
    X11ClipboardOptions options;
    options.request_timeout = milliseconds(500);
    auto clipboard = make(options);
    ASSERT_NE(clipboard, nullptr);
    RawClient owner(m_xvfb->display());
    ASSERT_TRUE(owner.ok());
    ASSERT_TRUE(owner.take_selection());

    clipboard->fetch(ClipboardType::Utf8Text);
    ASSERT_TRUE(owner.wait_request(owner.atom("UTF8_STRING")));  // and never answered
    std::optional<Recorder::Data> data = m_recorder.wait_data();
    ASSERT_TRUE(data);
    EXPECT_FALSE(data->ok);
}

TEST_F(X11ClipboardTest, FetchWithoutOwnerFails) {
    auto clipboard = make();
    ASSERT_NE(clipboard, nullptr);
    clipboard->fetch(ClipboardType::Utf8Text);
    std::optional<Recorder::Data> data = m_recorder.wait_data();
    ASSERT_TRUE(data);
    EXPECT_FALSE(data->ok);
}

TEST_F(X11ClipboardTest, OversizedHostDataIsRefused) {
    X11ClipboardOptions options;
    options.max_payload = 64 * 1024;
    auto clipboard = make(options);
    ASSERT_NE(clipboard, nullptr);
    auto xclip = copy_with_xclip(random_bytes(200 * 1024, 3), "image/png");
    std::optional<Recorder::Data> data = fetch_when_offered(*clipboard, ClipboardType::Png);
    ASSERT_TRUE(data);
    EXPECT_FALSE(data->ok);
}

TEST_F(X11ClipboardTest, SurvivesTheServerGoingAway) {
    auto clipboard = make();
    ASSERT_NE(clipboard, nullptr);
    auto xclip = copy_with_xclip(bytes_of("soon gone"), "UTF8_STRING");
    ASSERT_TRUE(m_recorder.wait_offer(
        [](const auto& types) { return contains(types, ClipboardType::Utf8Text); }));
    const size_t seen = m_recorder.offers().size();
    m_xvfb->stop();
    // The foreign offer is gone with the server; fetches fail at once; destruction does not hang.
    ASSERT_TRUE(m_recorder.wait_offer([](const auto& types) { return types.empty(); }, seen));
    clipboard->fetch(ClipboardType::Utf8Text);
    std::optional<Recorder::Data> data = m_recorder.wait_data();
    ASSERT_TRUE(data);
    EXPECT_FALSE(data->ok);
    clipboard->offer({ClipboardType::Utf8Text});
    clipboard.reset();
}

}  // namespace
}  // namespace periscope::viewer

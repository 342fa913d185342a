// periscope-test-client: the X client the desktop VM runs for host tests. It shows a window with
// a known picture (test_pattern.h) at a known place, and writes every key and button event it
// receives to a log, one line each, which the guest's control loop hands to the host ("events").
// The host test then checks that what it sent through SPICE arrived as the right X events at the
// right window coordinates, and that the picture arrived through shared memory bit-for-bit.
//
// Log lines (window coordinates; text escaped: printable ASCII as is except '"' and '\', anything
// else as \xNN):
//   key press keycode=38 keysym=a text="a" state=0x0
//   key release keycode=38 keysym=a state=0x0
//   button press 1 x=10 y=20 state=0x0
//   button release 1 x=10 y=20 state=0x100
#include <X11/Xlib.h>
#include <X11/Xutil.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include "test_pattern.h"

namespace {

using periscope::vm::WINDOW_HEIGHT;
using periscope::vm::WINDOW_WIDTH;
using periscope::vm::WINDOW_X;
using periscope::vm::WINDOW_Y;

struct Options {
    std::string display;  // empty: $DISPLAY
    std::string log = "/tmp/test-client.log";
};

void usage(FILE* out) {
    std::fprintf(out,
                 "usage: periscope-test-client [--display NAME] [--log FILE]\n"
                 "Shows the test pattern (tools/vm/guest/test_pattern.h) in a %dx%d window at "
                 "%d,%d and appends every key and button event to FILE (default "
                 "/tmp/test-client.log).\n",
                 WINDOW_WIDTH, WINDOW_HEIGHT, WINDOW_X, WINDOW_Y);
}

// Scales an 8-bit channel into a visual's mask (e.g. 0x00FF0000), so the picture is right on any
// TrueColor visual, not only the usual 24-bit one.
unsigned long to_mask(uint8_t value, unsigned long mask) {
    if (mask == 0) {
        return 0;
    }
    int shift = 0;
    while (((mask >> shift) & 1) == 0) {
        ++shift;
    }
    const unsigned long max = mask >> shift;
    return ((value * max + 127) / 255) << shift;
}

std::string escape(std::string_view bytes) {
    std::string out;
    for (const unsigned char c : bytes) {
        if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
            out += static_cast<char>(c);
        } else {
            char hex[8];
            std::snprintf(hex, sizeof hex, "\\x%02X", c);
            out += hex;
        }
    }
    return out;
}

std::string keysym_name(KeySym keysym) {
    if (keysym == NoSymbol) {
        return "NoSymbol";
    }
    if (const char* name = XKeysymToString(keysym)) {
        return name;
    }
    char hex[24];
    std::snprintf(hex, sizeof hex, "0x%lX", keysym);
    return hex;
}

class EventLog {
  public:
    explicit EventLog(const std::string& path)
        : fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644)) {}
    ~EventLog() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    EventLog(const EventLog&) = delete;
    EventLog& operator=(const EventLog&) = delete;

    bool ok() const { return fd_ >= 0; }

    // One write per line: the control loop reads the file while we append, and must never see
    // half a line.
    void line(std::string text) {
        text += '\n';
        if (::write(fd_, text.data(), text.size()) != static_cast<ssize_t>(text.size())) {
            std::perror("test-client: writing the event log");
        }
    }

  private:
    int fd_;
};

XImage* make_pattern(Display* display, Visual* visual, int depth) {
    XImage* image = XCreateImage(display, visual, static_cast<unsigned>(depth), ZPixmap, 0, nullptr,
                                 WINDOW_WIDTH, WINDOW_HEIGHT, 32, 0);
    if (image == nullptr) {
        return nullptr;
    }
    image->data =
        static_cast<char*>(std::malloc(static_cast<size_t>(image->bytes_per_line) * WINDOW_HEIGHT));
    if (image->data == nullptr) {
        XDestroyImage(image);
        return nullptr;
    }
    for (int y = 0; y < WINDOW_HEIGHT; ++y) {
        for (int x = 0; x < WINDOW_WIDTH; ++x) {
            const auto c = periscope::vm::test_pattern_pixel(x, y);
            XPutPixel(image, x, y,
                      to_mask(c.r, visual->red_mask) | to_mask(c.g, visual->green_mask) |
                          to_mask(c.b, visual->blue_mask));
        }
    }
    return image;
}

}  // namespace

int main(int argc, char** argv) {
    Options options;
    for (int i = 1; i < argc; ++i) {
        const std::string_view arg = argv[i];
        if ((arg == "--display" || arg == "--log") && i + 1 < argc) {
            (arg == "--display" ? options.display : options.log) = argv[++i];
        } else if (arg == "-h" || arg == "--help") {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }

    EventLog log(options.log);
    if (!log.ok()) {
        std::fprintf(stderr, "test-client: cannot open %s: %s\n", options.log.c_str(),
                     std::strerror(errno));
        return 1;
    }
    Display* display = XOpenDisplay(options.display.empty() ? nullptr : options.display.c_str());
    if (display == nullptr) {
        std::fprintf(stderr, "test-client: cannot open the X display %s\n",
                     options.display.empty() ? "$DISPLAY" : options.display.c_str());
        return 1;
    }
    const int screen = DefaultScreen(display);
    Visual* visual = DefaultVisual(display, screen);
    const int depth = DefaultDepth(display, screen);
    if (visual->c_class != TrueColor) {
        std::fprintf(stderr, "test-client: the default visual is not TrueColor\n");
        return 1;
    }

    // Override-redirect: no window manager may move, resize or decorate it, so the pattern is at
    // exactly WINDOW_X, WINDOW_Y whatever else runs in the guest.
    XSetWindowAttributes attributes{};
    attributes.override_redirect = True;
    attributes.background_pixel = BlackPixel(display, screen);
    attributes.event_mask = KeyPressMask | KeyReleaseMask | ButtonPressMask | ButtonReleaseMask |
                            ExposureMask | StructureNotifyMask | EnterWindowMask | LeaveWindowMask;
    const Window window = XCreateWindow(
        display, RootWindow(display, screen), WINDOW_X, WINDOW_Y, WINDOW_WIDTH, WINDOW_HEIGHT, 0,
        depth, InputOutput, visual, CWOverrideRedirect | CWBackPixel | CWEventMask, &attributes);
    XStoreName(display, window, "periscope-test-client");
    XImage* image = make_pattern(display, visual, depth);
    if (image == nullptr) {
        std::fprintf(stderr, "test-client: cannot create the picture\n");
        return 1;
    }
    GC gc = XCreateGC(display, window, 0, nullptr);
    XMapRaised(display, window);

    for (;;) {
        XEvent event;
        XNextEvent(display, &event);
        switch (event.type) {
            case MapNotify:
                // The keys the host sends must reach this window, with no window manager to
                // give it the focus.
                XSetInputFocus(display, window, RevertToPointerRoot, CurrentTime);
                std::fprintf(stderr, "test-client: mapped %dx%d+%d+%d\n", WINDOW_WIDTH,
                             WINDOW_HEIGHT, WINDOW_X, WINDOW_Y);
                break;
            case Expose:
                XPutImage(display, window, gc, image, event.xexpose.x, event.xexpose.y,
                          event.xexpose.x, event.xexpose.y,
                          static_cast<unsigned>(event.xexpose.width),
                          static_cast<unsigned>(event.xexpose.height));
                if (event.xexpose.count == 0) {
                    XFlush(display);
                }
                break;
            case EnterNotify:
                // Back in the window: take the keyboard again (see LeaveNotify).
                if (event.xcrossing.mode == NotifyNormal) {
                    XSetInputFocus(display, window, RevertToPointerRoot, CurrentTime);
                }
                break;
            case LeaveNotify:
                // Without a window manager nothing would ever move the focus to the xterm of the
                // demo: while the pointer is elsewhere, keys go to the window under it.
                if (event.xcrossing.mode == NotifyNormal &&
                    event.xcrossing.detail != NotifyInferior) {
                    XSetInputFocus(display, PointerRoot, RevertToPointerRoot, CurrentTime);
                }
                break;
            case KeyPress:
            case KeyRelease: {
                char text[64];
                KeySym keysym = NoSymbol;
                const int n = XLookupString(&event.xkey, text, sizeof text, &keysym, nullptr);
                std::string line = event.type == KeyPress ? "key press" : "key release";
                line += " keycode=" + std::to_string(event.xkey.keycode);
                line += " keysym=" + keysym_name(keysym);
                if (event.type == KeyPress) {
                    line += " text=\"" + escape(std::string_view(text, n > 0 ? n : 0)) + "\"";
                }
                char state[24];
                std::snprintf(state, sizeof state, " state=0x%X", event.xkey.state);
                log.line(line + state);
                break;
            }
            case ButtonPress:
            case ButtonRelease: {
                char line[128];
                std::snprintf(line, sizeof line, "button %s %u x=%d y=%d state=0x%X",
                              event.type == ButtonPress ? "press" : "release", event.xbutton.button,
                              event.xbutton.x, event.xbutton.y, event.xbutton.state);
                log.line(line);
                break;
            }
            default:
                break;
        }
    }
}

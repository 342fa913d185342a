#include "commands.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib.h>
#include <unistd.h>

#include <sstream>
#include <vector>

#include "json_out.h"
#include "vdagent_device.h"
#include "vdagent_wire.h"

namespace periscope::spice_harness {

namespace {

std::vector<std::string> split_words(const std::string& line) {
    std::istringstream in(line);
    std::vector<std::string> words;
    std::string word;
    while (in >> word) {
        words.push_back(word);
    }
    return words;
}

bool parse_type(const std::string& name, uint32_t* type) {
    const auto parsed = clipboard_type_from_name(name);
    if (!parsed) {
        emit_error("unknown clipboard type '" + name + "' (utf8, png, bmp, tiff, jpg)");
        return false;
    }
    *type = *parsed;
    return true;
}

struct StdinState {
    CommandContext* context = nullptr;
    std::string pending;  // bytes of a line not yet complete
};

// Runs every complete line in `pending` and keeps the incomplete rest.
void run_complete_lines(StdinState* state) {
    size_t start = 0;
    for (size_t nl; (nl = state->pending.find('\n', start)) != std::string::npos; start = nl + 1) {
        run_command(state->pending.substr(start, nl - start), *state->context);
    }
    state->pending.erase(0, start);
}

gboolean stdin_ready(gint fd, GIOCondition, gpointer data) {
    auto* state = static_cast<StdinState*>(data);
    char buffer[65536];
    for (;;) {
        const ssize_t n = read(fd, buffer, sizeof(buffer));
        if (n > 0) {
            state->pending.append(buffer, static_cast<size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        }
        // EOF (or a broken stdin): the test is gone, so are we. A last unterminated line runs.
        run_complete_lines(state);
        if (!state->pending.empty()) {
            run_command(state->pending, *state->context);
            state->pending.clear();
        }
        log_line("stdin closed; quitting");
        state->context->quit();
        return G_SOURCE_REMOVE;
    }
    run_complete_lines(state);
    return G_SOURCE_CONTINUE;
}

}  // namespace

void run_command(const std::string& line, CommandContext& context) {
    const std::vector<std::string> words = split_words(line);
    if (words.empty()) {
        return;
    }
    const std::string& cmd = words[0];
    VdagentDevice* agent = context.agent;
    if (cmd == "quit") {
        JsonLine("ok").str("cmd", cmd).emit();
        context.quit();
        return;
    }
    if (cmd == "agent" && words.size() == 2 && (words[1] == "on" || words[1] == "off")) {
        if (words[1] == "on") {
            agent->attach(context.server);
        } else {
            agent->detach();
        }
        JsonLine("ok").str("cmd", cmd).emit();
        return;
    }
    if (cmd == "set" && (words.size() == 2 || words.size() == 3)) {
        uint32_t type = 0;
        if (!parse_type(words[1], &type)) {
            return;
        }
        auto data = base64_decode(words.size() == 3 ? words[2] : std::string());
        if (!data) {
            emit_error("set: the data is not valid base64");
            return;
        }
        const size_t size = data->size();
        agent->set_content(type, std::move(*data));
        JsonLine("ok").str("cmd", cmd).num("size", static_cast<int64_t>(size)).emit();
        return;
    }
    if (cmd == "grab" && words.size() >= 2) {
        std::vector<uint32_t> types;
        for (size_t i = 1; i < words.size(); ++i) {
            uint32_t type = 0;
            if (!parse_type(words[i], &type)) {
                return;
            }
            types.push_back(type);
        }
        agent->guest_grab(types);
        JsonLine("ok").str("cmd", cmd).emit();
        return;
    }
    if (cmd == "request" && words.size() == 2) {
        uint32_t type = 0;
        if (!parse_type(words[1], &type)) {
            return;
        }
        agent->guest_request(type);
        JsonLine("ok").str("cmd", cmd).emit();
        return;
    }
    if (cmd == "release" && words.size() == 1) {
        agent->guest_release();
        JsonLine("ok").str("cmd", cmd).emit();
        return;
    }
    emit_error("unknown command '" + line.substr(0, 80) +
               "' (set TYPE BASE64, grab TYPE..., request TYPE, release, agent on|off, quit)");
}

void watch_stdin(CommandContext* context) {
    const int flags = fcntl(STDIN_FILENO, F_GETFL);
    fcntl(STDIN_FILENO, F_SETFL, flags | O_NONBLOCK);
    auto* state = new StdinState;  // lives as long as the process
    state->context = context;
    g_unix_fd_add(STDIN_FILENO, static_cast<GIOCondition>(G_IO_IN | G_IO_HUP | G_IO_ERR),
                  stdin_ready, state);
}

}  // namespace periscope::spice_harness

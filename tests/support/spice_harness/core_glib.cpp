#include "core_glib.h"

#include <glib-unix.h>
#include <glib.h>
#include <spice.h>
#include <spice/enums.h>

#include <string>

#include "json_out.h"

struct SpiceTimer {
    SpiceTimerFunc func = nullptr;
    void* opaque = nullptr;
    GSource* source = nullptr;
};

struct SpiceWatch {
    int fd = -1;
    int mask = 0;
    SpiceWatchFunc func = nullptr;
    void* opaque = nullptr;
    guint source_id = 0;
};

namespace periscope::spice_harness {

namespace {

// ---- timers: one-shot, re-armed by timer_start -------------------------------------------------

gboolean timer_fired(gpointer data) {
    auto* timer = static_cast<SpiceTimer*>(data);
    // Forget the source before the callback: it may re-arm (timer_start) or free the timer
    // (timer_remove), and neither may touch a source that is being dispatched and returns REMOVE.
    g_source_unref(timer->source);
    timer->source = nullptr;
    timer->func(timer->opaque);
    return G_SOURCE_REMOVE;
}

void timer_cancel(SpiceTimer* timer) {
    if (timer->source != nullptr) {
        g_source_destroy(timer->source);
        g_source_unref(timer->source);
        timer->source = nullptr;
    }
}

SpiceTimer* timer_add(SpiceTimerFunc func, void* opaque) {
    auto* timer = new SpiceTimer;
    timer->func = func;
    timer->opaque = opaque;
    return timer;
}

void timer_start(SpiceTimer* timer, uint32_t ms) {
    timer_cancel(timer);
    timer->source = g_timeout_source_new(ms);
    g_source_set_callback(timer->source, timer_fired, timer, nullptr);
    g_source_attach(timer->source, nullptr);
}

void timer_remove(SpiceTimer* timer) {
    timer_cancel(timer);
    delete timer;
}

// ---- fd watches --------------------------------------------------------------------------------

gboolean watch_ready(gint fd, GIOCondition condition, gpointer data) {
    auto* watch = static_cast<SpiceWatch*>(data);
    int events = 0;
    // Hang-up and errors count as readable (the read then sees EOF or the error) and, for a
    // write-only watch, as writable, so spice-server notices a dead peer either way.
    if ((condition & (G_IO_IN | G_IO_HUP | G_IO_ERR)) != 0) {
        events |= SPICE_WATCH_EVENT_READ;
    }
    if ((condition & (G_IO_OUT | G_IO_HUP | G_IO_ERR)) != 0) {
        events |= SPICE_WATCH_EVENT_WRITE;
    }
    events &= watch->mask;
    if (events != 0) {
        // The callback may remove or update this watch; nothing touches `watch` afterwards.
        watch->func(fd, events, watch->opaque);
    }
    return G_SOURCE_CONTINUE;
}

void watch_update_mask(SpiceWatch* watch, int event_mask) {
    if (watch->source_id != 0) {
        g_source_remove(watch->source_id);
        watch->source_id = 0;
    }
    watch->mask = event_mask;
    int condition = 0;
    if ((event_mask & SPICE_WATCH_EVENT_READ) != 0) {
        condition |= G_IO_IN | G_IO_HUP | G_IO_ERR;
    }
    if ((event_mask & SPICE_WATCH_EVENT_WRITE) != 0) {
        condition |= G_IO_OUT | G_IO_HUP | G_IO_ERR;
    }
    if (condition != 0) {
        watch->source_id =
            g_unix_fd_add(watch->fd, static_cast<GIOCondition>(condition), watch_ready, watch);
    }
}

SpiceWatch* watch_add(int fd, int event_mask, SpiceWatchFunc func, void* opaque) {
    auto* watch = new SpiceWatch;
    watch->fd = fd;
    watch->func = func;
    watch->opaque = opaque;
    watch_update_mask(watch, event_mask);
    return watch;
}

void watch_remove(SpiceWatch* watch) {
    if (watch->source_id != 0) {
        g_source_remove(watch->source_id);
    }
    delete watch;
}

// ---- channel events ----------------------------------------------------------------------------

std::string channel_type_name(int type) {
    switch (type) {
        case SPICE_CHANNEL_MAIN:
            return "main";
        case SPICE_CHANNEL_DISPLAY:
            return "display";
        case SPICE_CHANNEL_INPUTS:
            return "inputs";
        case SPICE_CHANNEL_CURSOR:
            return "cursor";
        case SPICE_CHANNEL_PLAYBACK:
            return "playback";
        case SPICE_CHANNEL_RECORD:
            return "record";
        case SPICE_CHANNEL_SMARTCARD:
            return "smartcard";
        case SPICE_CHANNEL_USBREDIR:
            return "usbredir";
        case SPICE_CHANNEL_PORT:
            return "port";
        case SPICE_CHANNEL_WEBDAV:
            return "webdav";
        default:
            return "type" + std::to_string(type);
    }
}

void channel_event(int event, SpiceChannelEventInfo* info) {
    const std::string type = channel_type_name(info->type);
    switch (event) {
        case SPICE_CHANNEL_EVENT_CONNECTED:
            // The socket was accepted; the channel type is not known yet (link not read).
            log_line("connection %d accepted", info->connection_id);
            break;
        case SPICE_CHANNEL_EVENT_INITIALIZED:
            // Link and authentication done: from here the channel carries messages.
            JsonLine("channel")
                .str("type", type)
                .num("id", info->id)
                .str("event", "connected")
                .emit();
            break;
        case SPICE_CHANNEL_EVENT_DISCONNECTED:
            JsonLine("channel")
                .str("type", type)
                .num("id", info->id)
                .str("event", "disconnected")
                .emit();
            break;
        default:
            log_line("channel %s: event %d", type.c_str(), event);
    }
}

SpiceCoreInterface make_core_interface() {
    SpiceCoreInterface core{};
    core.base.type = SPICE_INTERFACE_CORE;
    core.base.description = "periscope spice harness (GLib)";
    core.base.major_version = SPICE_INTERFACE_CORE_MAJOR;
    core.base.minor_version = SPICE_INTERFACE_CORE_MINOR;
    core.timer_add = timer_add;
    core.timer_start = timer_start;
    core.timer_cancel = timer_cancel;
    core.timer_remove = timer_remove;
    core.watch_add = watch_add;
    core.watch_update_mask = watch_update_mask;
    core.watch_remove = watch_remove;
    core.channel_event = channel_event;
    return core;
}

}  // namespace

SpiceCoreInterface* glib_core_interface() {
    static SpiceCoreInterface core = make_core_interface();
    return &core;
}

}  // namespace periscope::spice_harness

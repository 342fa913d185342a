#include "agent/capture/dxgi/dxgi_output.h"

#include <algorithm>
#include <cctype>

#include "core/format.h"

namespace periscope::agent::dxgi {
namespace {

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// "\\.\DISPLAY2" -> "display2"; "DISPLAY2" -> "display2".
std::string bare_name(std::string_view name) {
    constexpr std::string_view PREFIX = "\\\\.\\";
    if (name.substr(0, PREFIX.size()) == PREFIX) {
        name.remove_prefix(PREFIX.size());
    }
    return lower(name);
}

bool all_digits(std::string_view text) {
    return !text.empty() && text.size() <= 9 &&
           std::all_of(text.begin(), text.end(), [](unsigned char c) { return std::isdigit(c); });
}

// Lower is better: a real GPU first, then the primary monitor, then enumeration order.
bool better(const OutputInfo& a, size_t ia, const OutputInfo& b, size_t ib) {
    const bool va = is_virtual_display_vendor(a.vendor_id);
    const bool vb = is_virtual_display_vendor(b.vendor_id);
    if (va != vb) {
        return !va;
    }
    if (a.primary != b.primary) {
        return a.primary;
    }
    return ia < ib;
}

}  // namespace

bool is_virtual_display_vendor(uint32_t vendor_id) {
    switch (vendor_id) {
        case VENDOR_MICROSOFT:
        case VENDOR_REDHAT_QXL:
        case VENDOR_REDHAT_VIRTIO:
        case VENDOR_QEMU_VGA:
        case VENDOR_CIRRUS:
        case VENDOR_VMWARE:
            return true;
        default:
            return false;
    }
}

std::string describe_output(const OutputInfo& o) {
    return format_text("%s %lldx%lld at %d,%d%s%s on %s [%04x:%04x]", o.name.c_str(),
                       static_cast<long long>(o.right) - o.left,
                       static_cast<long long>(o.bottom) - o.top, o.left, o.top,
                       o.primary ? " (primary)" : "", o.attached ? "" : " (not on the desktop)",
                       o.adapter_description.c_str(), o.vendor_id, o.device_id);
}

Result<size_t, SelectError> select_output(std::span<const OutputInfo> outputs,
                                          std::string_view selector, std::string* why) {
    auto chosen = [&](size_t index, const char* because) -> Result<size_t, SelectError> {
        *why = format_text("%s: %s", because, describe_output(outputs[index]).c_str());
        return index;
    };
    auto refuse_detached = [&](size_t index) -> Result<size_t, SelectError> {
        *why = format_text("output %s is not attached to the desktop: nothing to duplicate",
                           describe_output(outputs[index]).c_str());
        return fail(SelectError::NotAttached);
    };

    if (selector.empty() || lower(selector) == "auto") {
        size_t best = outputs.size();
        for (size_t i = 0; i < outputs.size(); ++i) {
            if (outputs[i].attached &&
                (best == outputs.size() || better(outputs[i], i, outputs[best], best))) {
                best = i;
            }
        }
        if (best == outputs.size()) {
            *why = outputs.empty() ? "no display output found (no adapter has one)"
                                   : "no display output is attached to the desktop";
            return fail(SelectError::NoOutputs);
        }
        if (is_virtual_display_vendor(outputs[best].vendor_id)) {
            return chosen(best,
                          "no output of a passed-through GPU is attached to the desktop (does the "
                          "GPU have a monitor or a dummy plug?); falling back to an emulated "
                          "adapter's output");
        }
        return chosen(best, outputs[best].primary ? "the primary output of a passed-through GPU"
                                                  : "an output of a passed-through GPU");
    }

    if (all_digits(selector)) {
        const size_t index = std::stoul(std::string(selector));
        if (index >= outputs.size()) {
            *why = format_text("output %zu asked for, there are %zu", index, outputs.size());
            return fail(SelectError::NoMatch);
        }
        if (!outputs[index].attached) {
            return refuse_detached(index);
        }
        return chosen(index, "selected by index");
    }

    const std::string wanted = bare_name(selector);
    for (size_t i = 0; i < outputs.size(); ++i) {
        if (bare_name(outputs[i].name) == wanted) {
            return outputs[i].attached ? chosen(i, "selected by name") : refuse_detached(i);
        }
    }
    const std::string needle = lower(selector);
    for (size_t i = 0; i < outputs.size(); ++i) {
        if (lower(outputs[i].adapter_description).find(needle) == std::string::npos) {
            continue;
        }
        // The first adapter that matches: its attached outputs, primary first.
        size_t best = outputs.size();
        for (size_t j = i; j < outputs.size(); ++j) {
            if (outputs[j].adapter_index != outputs[i].adapter_index || !outputs[j].attached) {
                continue;
            }
            if (best == outputs.size() || (outputs[j].primary && !outputs[best].primary)) {
                best = j;
            }
        }
        if (best == outputs.size()) {
            *why = format_text("adapter '%s' has no output attached to the desktop",
                               outputs[i].adapter_description.c_str());
            return fail(SelectError::NotAttached);
        }
        return chosen(best, "selected by adapter");
    }
    *why = format_text("no output or adapter matches '%.*s'", static_cast<int>(selector.size()),
                       selector.data());
    return fail(SelectError::NoMatch);
}

protocol::Format format_from_dxgi(uint32_t dxgi_format) {
    switch (dxgi_format) {
        case DXGI_FORMAT_VALUE_B8G8R8A8_UNORM:
        case DXGI_FORMAT_VALUE_B8G8R8A8_UNORM_SRGB:
            return protocol::Format::BGRA8;
        case DXGI_FORMAT_VALUE_R8G8B8A8_UNORM:
        case DXGI_FORMAT_VALUE_R8G8B8A8_UNORM_SRGB:
            return protocol::Format::RGBA8;
        case DXGI_FORMAT_VALUE_R10G10B10A2_UNORM:
            return protocol::Format::RGB10A2;
        case DXGI_FORMAT_VALUE_R16G16B16A16_FLOAT:
            return protocol::Format::RGBA16F;
        default:
            return protocol::Format::Invalid;
    }
}

}  // namespace periscope::agent::dxgi

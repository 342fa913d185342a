#include "size_query.h"

#include <cinttypes>

#include "inspect.h"
#include "json_writer.h"
#include "text_util.h"

namespace periscope::tools {
namespace {

constexpr std::string_view SHM_DIRECTORY = "/dev/shm/";

Unexpected<SizeQueryError> reject(SizeQueryError error, std::string message, std::string* why) {
    if (why != nullptr) {
        *why = std::move(message);
    }
    return fail(error);
}

// Digits only, no sign, no overflow: "1e3" or "-1" are typos to report, not numbers to guess.
bool parse_u32(std::string_view text, uint32_t* out) {
    if (text.empty() || text.size() > 9) {
        return false;
    }
    uint32_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') {
            return false;
        }
        value = value * 10 + static_cast<uint32_t>(c - '0');
    }
    *out = value;
    return true;
}

bool all_digits(std::string_view text) {
    return !text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos;
}

// QEMU's option syntax splits on commas; a literal comma is written twice.
std::string qemu_escape(std::string_view text) {
    std::string out;
    for (char c : text) {
        out += c;
        if (c == ',') {
            out += ',';
        }
    }
    return out;
}

// Single-quotes a shell word unless it is made of characters no shell treats specially.
std::string shell_word(std::string_view text) {
    if (!text.empty() &&
        text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                               "_-.,/=:+@%") == std::string_view::npos) {
        return std::string(text);
    }
    std::string out = "'";
    for (char c : text) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out += c;
        }
    }
    return out + "'";
}

std::string xml_escape(std::string_view text) {
    std::string out;
    for (char c : text) {
        switch (c) {
            case '&':
                out += "&amp;";
                break;
            case '<':
                out += "&lt;";
                break;
            case '>':
                out += "&gt;";
                break;
            case '\'':
                out += "&apos;";
                break;
            case '"':
                out += "&quot;";
                break;
            default:
                out += c;
        }
    }
    return out;
}

// The file a shm spec names ("shm:/dev/shm/x", "shm:x", "/path"), or empty for other back-ends.
std::string shm_path(std::string_view spec) {
    if (!spec.empty() && spec.front() == '/') {
        return std::string(spec);
    }
    constexpr std::string_view PREFIX = "shm:";
    if (spec.substr(0, PREFIX.size()) != PREFIX || spec.size() == PREFIX.size()) {
        return {};
    }
    const std::string_view argument = spec.substr(PREFIX.size());
    if (argument.find('/') == std::string_view::npos) {
        return std::string(SHM_DIRECTORY) + std::string(argument);
    }
    return std::string(argument);
}

}  // namespace

Result<SizeQuery, SizeQueryError> parse_size_query(std::string_view text, std::string* why) {
    SizeQuery query;
    const size_t colon = text.find(':');
    const std::string_view dims = text.substr(0, colon);
    const std::string_view rest =
        colon == std::string_view::npos ? std::string_view() : text.substr(colon + 1);
    const size_t x = dims.find_first_of("xX");
    if (x == std::string_view::npos || !parse_u32(dims.substr(0, x), &query.width) ||
        !parse_u32(dims.substr(x + 1), &query.height)) {
        return reject(SizeQueryError::Syntax,
                      format_text("--size '%.*s': expected WIDTHxHEIGHT[:FORMAT][:BUFFERS], e.g. "
                                  "1920x1080 or 3840x2160:RGBA16F:3",
                                  static_cast<int>(text.size()), text.data()),
                      why);
    }
    if (query.width < 1 || query.width > protocol::MAX_DIMENSION || query.height < 1 ||
        query.height > protocol::MAX_DIMENSION) {
        return reject(
            SizeQueryError::Dimension,
            format_text("--size: width and height must be 1..%u", protocol::MAX_DIMENSION), why);
    }
    if (colon == std::string_view::npos) {
        return query;
    }
    const size_t second = rest.find(':');
    // A lone number is the buffer count: formats are names.
    const bool has_format = second != std::string_view::npos || !all_digits(rest);
    const bool has_buffers = second != std::string_view::npos || all_digits(rest);
    std::string_view format_field;
    std::string_view buffers_field;
    if (second != std::string_view::npos) {
        format_field = rest.substr(0, second);
        buffers_field = rest.substr(second + 1);
    } else if (has_buffers) {
        buffers_field = rest;
    } else {
        format_field = rest;
    }
    if (has_format) {
        const std::string name(format_field);
        query.format = protocol::parse_format(name.c_str());
        if (query.format == protocol::Format::Invalid) {
            return reject(SizeQueryError::Format,
                          format_text("--size: unknown format '%.*s' (BGRA8, RGBA8, RGB10A2, "
                                      "BGR10A2 or RGBA16F)",
                                      static_cast<int>(format_field.size()), format_field.data()),
                          why);
        }
    }
    if (has_buffers) {
        if (!parse_u32(buffers_field, &query.buffers) || query.buffers < 1 ||
            query.buffers > protocol::MAX_BUFFERS) {
            return reject(SizeQueryError::Buffers,
                          format_text("--size: the buffer count must be 1..%u, not '%.*s'",
                                      protocol::MAX_BUFFERS, static_cast<int>(buffers_field.size()),
                                      buffers_field.data()),
                          why);
        }
    }
    return query;
}

SizeReport compute_size(const SizeQuery& query, std::string_view region_spec) {
    SizeReport r;
    r.query = query;
    r.frame_bytes = protocol::frame_bytes(query.width, query.height, query.format);
    r.required = protocol::required_region_size(r.frame_bytes, query.buffers);
    r.ivshmem = protocol::recommended_ivshmem_size(r.required);
    r.mem_path = shm_path(region_spec);
    if (r.mem_path.empty()) {
        r.mem_path = DEFAULT_REGION;
    }
    // libvirt's <shmem name='N'> is always /dev/shm/N on the host.
    if (r.mem_path.substr(0, SHM_DIRECTORY.size()) == SHM_DIRECTORY &&
        r.mem_path.size() > SHM_DIRECTORY.size() &&
        r.mem_path.find('/', SHM_DIRECTORY.size()) == std::string::npos) {
        r.libvirt_name = r.mem_path.substr(SHM_DIRECTORY.size());
    }
    const unsigned long long mib = r.ivshmem / MIB;
    r.qemu = format_text("-object %s -device ivshmem-plain,memdev=periscope",
                         shell_word(format_text("memory-backend-file,id=periscope,share=on,"
                                                "mem-path=%s,size=%lluM",
                                                qemu_escape(r.mem_path).c_str(), mib))
                             .c_str());
    if (!r.libvirt_name.empty()) {
        r.libvirt = format_text(
            "<shmem name='%s'><model type='ivshmem-plain'/><size "
            "unit='M'>%llu</size></shmem>",
            xml_escape(r.libvirt_name).c_str(), mib);
    }
    return r;
}

std::string render_size_text(const SizeReport& r) {
    const SizeQuery& q = r.query;
    std::string out =
        format_text("%ux%u %s, %u buffer%s:\n", q.width, q.height, protocol::to_string(q.format),
                    q.buffers, q.buffers == 1 ? "" : "s");
    out += format_text("  frame buffer    %" PRIu64 " bytes each (stride %" PRIu64 ")\n",
                       r.frame_bytes, uint64_t{q.width} * protocol::bytes_per_pixel(q.format));
    out += format_text("  required        %" PRIu64 " bytes (%s)\n", r.required,
                       format_size(r.required).c_str());
    out += format_text("  ivshmem size    %s\n", format_size(r.ivshmem).c_str());
    out += "\nQEMU:\n  " + terminal_safe(r.qemu) + "\n";
    if (!r.libvirt.empty()) {
        out += "libvirt (in <devices>):\n  " + terminal_safe(r.libvirt) + "\n";
    } else {
        out +=
            "libvirt: <shmem name='NAME'> always shares /dev/shm/NAME; put the region there "
            "to use it\n";
    }
    return out;
}

std::string render_size_json(const SizeReport& r) {
    JsonWriter w;
    w.begin_object();
    w.field_string("tool", "periscope-shm");
    w.field_uint("width", r.query.width);
    w.field_uint("height", r.query.height);
    w.field_string("format", protocol::to_string(r.query.format));
    w.field_uint("buffers", r.query.buffers);
    w.field_uint("frame_bytes", r.frame_bytes);
    w.field_uint("required_bytes", r.required);
    w.field_uint("ivshmem_bytes", r.ivshmem);
    w.field_uint("ivshmem_mib", r.ivshmem / MIB);
    w.field_string("mem_path", r.mem_path);
    w.field_string("qemu", r.qemu);
    w.field_problem("libvirt", r.libvirt);
    w.end_object();
    return w.take();
}

}  // namespace periscope::tools

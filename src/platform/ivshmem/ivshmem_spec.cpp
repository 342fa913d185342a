#include "platform/ivshmem/ivshmem_spec.h"

#include <charconv>
#include <utility>

#include "core/format.h"

namespace periscope::platform {
namespace {

std::optional<uint64_t> parse_u64(std::string_view text) {
    uint64_t value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (text.empty() || error != std::errc() || end != text.data() + text.size()) {
        return std::nullopt;
    }
    return value;
}

std::string size_list(std::span<const uint64_t> sizes) {
    std::string text;
    for (size_t i = 0; i < sizes.size(); ++i) {
        text += format_text("%s#%zu: %llu MiB", i == 0 ? "" : ", ", i,
                            static_cast<unsigned long long>(sizes[i] / (1024 * 1024)));
    }
    return text;
}

Unexpected<RegionError> reject(RegionError error, std::string text, std::string* message) {
    if (message != nullptr) {
        *message = std::move(text);
    }
    return fail(error);
}

}  // namespace

const char* to_string(IvshmemCache cache) {
    switch (cache) {
        case IvshmemCache::Uncached:
            return "uncached";
        case IvshmemCache::Cached:
            return "cached";
        case IvshmemCache::WriteCombined:
            return "write-combined";
    }
    return "?";
}

std::optional<uint64_t> parse_ivshmem_size(std::string_view text) {
    size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
        ++digits;
    }
    const auto number = parse_u64(text.substr(0, digits));
    std::string_view unit = text.substr(digits);
    if (!number || unit.empty()) {
        return std::nullopt;
    }
    if (unit.size() == 3 && (unit.substr(1) == "iB" || unit.substr(1) == "ib")) {
        unit = unit.substr(0, 1);
    }
    if (unit.size() != 1) {
        return std::nullopt;
    }
    unsigned shift = 0;
    switch (unit[0]) {
        case 'K':
        case 'k':
            shift = 10;
            break;
        case 'M':
        case 'm':
            shift = 20;
            break;
        case 'G':
        case 'g':
            shift = 30;
            break;
        default:
            return std::nullopt;
    }
    if (*number == 0 || *number > (UINT64_MAX >> shift)) {
        return std::nullopt;
    }
    return *number << shift;
}

Result<IvshmemSpec, RegionError> parse_ivshmem_spec(std::string_view argument,
                                                    std::string* message) {
    IvshmemSpec spec;
    std::string_view selector = argument;
    const size_t comma = argument.find(',');
    if (comma != std::string_view::npos) {
        selector = argument.substr(0, comma);
        const std::string_view option = argument.substr(comma + 1);
        constexpr std::string_view CACHE = "cache=";
        if (option.substr(0, CACHE.size()) != CACHE) {
            return reject(
                RegionError::InvalidSpec,
                format_text("unknown ivshmem option '%.*s' (known: cache=wc|cached|uncached)",
                            static_cast<int>(option.size()), option.data()),
                message);
        }
        const std::string_view mode = option.substr(CACHE.size());
        if (mode == "wc" || mode == "write-combined") {
            spec.cache = IvshmemCache::WriteCombined;
        } else if (mode == "cached") {
            spec.cache = IvshmemCache::Cached;
        } else if (mode == "uncached") {
            spec.cache = IvshmemCache::Uncached;
        } else {
            return reject(RegionError::InvalidSpec,
                          format_text("unknown cache mode '%.*s' (known: wc, cached, uncached)",
                                      static_cast<int>(mode.size()), mode.data()),
                          message);
        }
    }
    if (selector.empty()) {
        return spec;
    }
    const std::string_view number = selector.front() == '#' ? selector.substr(1) : selector;
    if (const auto index = parse_u64(number); index && *index <= UINT32_MAX) {
        spec.index = static_cast<uint32_t>(*index);
        return spec;
    }
    if (selector.front() != '#') {
        if (const auto size = parse_ivshmem_size(selector)) {
            spec.size = *size;
            return spec;
        }
    }
    return reject(
        RegionError::InvalidSpec,
        format_text("'%.*s' is neither a device index (0, #1) nor a size with a unit (64M, 1G)",
                    static_cast<int>(selector.size()), selector.data()),
        message);
}

Result<size_t, RegionError> choose_ivshmem_device(const IvshmemSpec& spec,
                                                  std::span<const uint64_t> device_sizes,
                                                  std::string* message) {
    if (device_sizes.empty()) {
        return reject(RegionError::NotFound, std::string("no IVSHMEM device"), message);
    }
    if (spec.index) {
        if (*spec.index >= device_sizes.size()) {
            return reject(RegionError::NotFound,
                          format_text("there is no IVSHMEM device #%u: %zu found (%s)", *spec.index,
                                      device_sizes.size(), size_list(device_sizes).c_str()),
                          message);
        }
        return static_cast<size_t>(*spec.index);
    }
    if (spec.size) {
        size_t found = device_sizes.size();
        for (size_t i = 0; i < device_sizes.size(); ++i) {
            if (device_sizes[i] == *spec.size) {
                if (found != device_sizes.size()) {
                    return reject(
                        RegionError::NotFound,
                        format_text(
                            "several IVSHMEM devices have %llu MiB (%s): pick one by index (#N)",
                            static_cast<unsigned long long>(*spec.size / (1024 * 1024)),
                            size_list(device_sizes).c_str()),
                        message);
                }
                found = i;
            }
        }
        if (found == device_sizes.size()) {
            return reject(RegionError::NotFound,
                          format_text("no IVSHMEM device has %llu MiB (%s)",
                                      static_cast<unsigned long long>(*spec.size / (1024 * 1024)),
                                      size_list(device_sizes).c_str()),
                          message);
        }
        return found;
    }
    return size_t{0};
}

}  // namespace periscope::platform

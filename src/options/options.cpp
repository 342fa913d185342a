#include "options/options.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/format.h"

// Header-only and without exceptions: parse errors come back as values.
#define TOML_HEADER_ONLY 1
#define TOML_EXCEPTIONS 0
#include <toml++/toml.h>

namespace periscope::options {
namespace {

constexpr const char* NOT_AN_OPTION = "is not an option";

bool contains(std::span<const std::string_view> list, std::string_view name) {
    return std::find(list.begin(), list.end(), name) != list.end();
}

std::string node_text(const toml::node& node) {
    // value_exact: no conversions between TOML types (value<bool> would accept an integer).
    if (auto s = node.value_exact<std::string>()) {
        return *s;
    }
    if (auto b = node.value_exact<bool>()) {
        return *b ? "true" : "false";
    }
    if (auto i = node.value_exact<int64_t>()) {
        return std::to_string(*i);
    }
    if (auto d = node.value_exact<double>()) {
        return format_text("%.17g", *d);
    }
    return "\x01";  // not a scalar: every setter rejects it
}

bool read_file(const std::string& path, std::string* text) {
    std::ifstream in(path);
    if (!in) {
        return false;
    }
    std::stringstream s;
    s << in.rdbuf();
    *text = s.str();
    return true;
}

std::vector<std::string> config_candidates(const Environment& env, std::string_view name) {
    const std::string file = "/periscope/" + std::string(name) + ".toml";
    std::vector<std::string> paths;
    if (!env.xdg_config_home.empty()) {
        paths.push_back(env.xdg_config_home + file);
    } else if (!env.home.empty()) {
        paths.push_back(env.home + "/.config" + file);
    }
#if defined(_WIN32)
    // "C:\ProgramData" has a colon of its own: Windows lists directories with ';'.
    constexpr char SEPARATOR = ';';
#else
    constexpr char SEPARATOR = ':';
#endif
    std::string dirs = env.xdg_config_dirs.empty() ? "/etc/xdg" : env.xdg_config_dirs;
    std::stringstream s(dirs);
    std::string dir;
    while (std::getline(s, dir, SEPARATOR)) {
        if (!dir.empty()) {
            paths.push_back(dir + file);
        }
    }
    return paths;
}

}  // namespace

Environment Environment::from_process() {
    Environment env;
#if defined(_WIN32)
    // Windows has no XDG directories: the user's %APPDATA% stands for $XDG_CONFIG_HOME and
    // %ProgramData% (where the service's files live) for $XDG_CONFIG_DIRS, so the files are
    // %APPDATA%\periscope\NAME.toml, then %ProgramData%\periscope\NAME.toml (names are
    // case-insensitive, and Windows takes '/' as a separator too).
    if (const char* v = std::getenv("APPDATA")) {  // NOLINT(concurrency-mt-unsafe)
        env.xdg_config_home = v;
    }
    if (const char* v = std::getenv("ProgramData")) {  // NOLINT(concurrency-mt-unsafe)
        env.xdg_config_dirs = v;
    }
    if (const char* v = std::getenv("USERPROFILE")) {  // NOLINT(concurrency-mt-unsafe)
        env.home = v;
    }
#else
    // Read once at start-up, before any thread exists.
    if (const char* v = std::getenv("XDG_CONFIG_HOME")) {  // NOLINT(concurrency-mt-unsafe)
        env.xdg_config_home = v;
    }
    if (const char* v = std::getenv("XDG_CONFIG_DIRS")) {  // NOLINT(concurrency-mt-unsafe)
        env.xdg_config_dirs = v;
    }
    if (const char* v = std::getenv("HOME")) {  // NOLINT(concurrency-mt-unsafe)
        env.home = v;
    }
#endif
    return env;
}

bool parse_double(const std::string& text, double* out) {
    char* end = nullptr;
    const double v = std::strtod(text.c_str(), &end);
    if (text.empty() || end == nullptr || *end != '\0') {
        return false;
    }
    *out = v;
    return true;
}

bool parse_u32(const std::string& text, uint32_t* out) {
    char* end = nullptr;
    const unsigned long v = std::strtoul(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || v > UINT32_MAX || text[0] == '-') {
        return false;
    }
    *out = static_cast<uint32_t>(v);
    return true;
}

bool parse_bool(const std::string& text, bool* out) {
    if (text != "true" && text != "false") {
        return false;
    }
    *out = text == "true";
    return true;
}

bool parse_resolution(const std::string& text, uint32_t* width, uint32_t* height) {
    const auto x = text.find('x');
    return x != std::string::npos && parse_u32(text.substr(0, x), width) &&
           parse_u32(text.substr(x + 1), height) && *width > 0 && *height > 0;
}

bool parse_size(const std::string& text, uint64_t* bytes) {
    size_t digits = 0;
    while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') {
        ++digits;
    }
    if (digits == 0 || digits > 12) {  // keeps value << 30 in range
        return false;
    }
    uint64_t value = std::stoull(text.substr(0, digits));
    const std::string unit = text.substr(digits);
    if (unit.empty()) {
    } else if (unit == "K" || unit == "KiB") {
        value <<= 10;
    } else if (unit == "M" || unit == "MiB") {
        value <<= 20;
    } else if (unit == "G" || unit == "GiB") {
        value <<= 30;
    } else {
        return false;
    }
    *bytes = value;
    return true;
}

Result<void, OptionsError> apply_config(const std::string& toml_text, const std::string& name,
                                        const OptionSet& set, std::string* message) {
    toml::parse_result parsed = toml::parse(toml_text, name);
    if (!parsed) {
        const auto& error = parsed.error();
        *message =
            format_text("%s:%u:%u: %s", name.c_str(), error.source().begin.line,
                        error.source().begin.column, std::string(error.description()).c_str());
        return fail(OptionsError::Config);
    }
    for (const auto& [key, node] : parsed.table()) {
        const std::string k(key.str());
        const auto table = std::find_if(set.tables.begin(), set.tables.end(),
                                        [&](const auto& t) { return t.first == k; });
        if (table != set.tables.end() && node.is_table()) {
            for (const auto& [sub_key, sub_node] : *node.as_table()) {
                const std::string sub(sub_key.str());
                const std::string why =
                    set.set(std::string(table->second) + sub, node_text(sub_node));
                if (!why.empty()) {
                    *message = format_text("%s: [%s] %s %s", name.c_str(), k.c_str(), sub.c_str(),
                                           why.c_str());
                    return fail(OptionsError::Config);
                }
            }
            continue;
        }
        // A negation is a command-line spelling only: the file says `X = false`.
        const std::string why = k.rfind("no-", 0) == 0 && contains(set.switches, k.substr(3))
                                    ? std::string(NOT_AN_OPTION)
                                    : set.set(k, node_text(node));
        if (!why.empty()) {
            *message = format_text("%s: %s %s", name.c_str(), k.c_str(), why.c_str());
            return fail(OptionsError::Config);
        }
    }
    return {};
}

Result<std::string, OptionsError> parse(const std::vector<std::string>& args,
                                        const Environment& environment, const OptionSet& set,
                                        std::string* message) {
    // First pass: --help, --version and --config, which decide what happens before the rest.
    std::string config_path;
    bool explicit_config = false;
    for (size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "-h" || args[i] == "--help") {
            *message = set.help();
            return fail(OptionsError::Help);
        }
        if (args[i] == "--version") {
            *message = std::string(set.version);
            return fail(OptionsError::Version);
        }
        if (args[i] == "--config") {
            if (i + 1 >= args.size()) {
                *message = "--config needs a file";
                return fail(OptionsError::Usage);
            }
            config_path = args[++i];
            explicit_config = true;
        }
    }
    if (!explicit_config) {
        for (const std::string& candidate : config_candidates(environment, set.config_name)) {
            if (std::ifstream(candidate)) {
                config_path = candidate;
                break;
            }
        }
    }
    if (!config_path.empty()) {
        std::string text;
        if (!read_file(config_path, &text)) {
            *message = format_text("cannot read the config file %s", config_path.c_str());
            return fail(OptionsError::Config);
        }
        if (auto applied = apply_config(text, config_path, set, message); !applied) {
            return fail(applied.error());
        }
    }
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& arg = args[i];
        if (arg == "--config") {
            ++i;
            continue;
        }
        if (arg.rfind("--", 0) != 0) {
            *message = format_text("unexpected argument '%s' (see --help)", arg.c_str());
            return fail(OptionsError::Usage);
        }
        std::string key = arg.substr(2);
        std::string value;
        if (const auto bare = key.substr(0, key.find('=')); !contains(set.names, bare)) {
            *message = format_text("unknown option --%s (see --help)", bare.c_str());
            return fail(OptionsError::Usage);
        }
        if (const auto eq = key.find('='); eq != std::string::npos) {
            value = key.substr(eq + 1);
            key = key.substr(0, eq);
        } else if (key.rfind("no-", 0) == 0 && contains(set.switches, key.substr(3))) {
            key = key.substr(3);
            value = "false";
        } else if (contains(set.switches, key)) {
            value = "true";
        } else {
            if (i + 1 >= args.size()) {
                *message = format_text("--%s needs a value (see --help)", key.c_str());
                return fail(OptionsError::Usage);
            }
            value = args[++i];
        }
        const std::string why = set.set(key, value);
        if (!why.empty()) {
            *message =
                why == NOT_AN_OPTION
                    ? format_text("unknown option --%s (see --help)", key.c_str())
                    : format_text("--%s %s (got '%s')", key.c_str(), why.c_str(), value.c_str());
            return fail(OptionsError::Usage);
        }
    }
    return config_path;
}

}  // namespace periscope::options

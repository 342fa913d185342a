// Command line + TOML config file, the same keys in both, for each Periscope program. A program
// describes its options (names, which take no value, how to apply one) in an OptionSet; this module
// finds the config file (XDG paths), applies it, then the command line (which wins), and turns
// every problem into one sentence that names the option, the file and what is wanted.
//
// Config file: --config FILE, else the first existing of $XDG_CONFIG_HOME/periscope/NAME.toml
// (default ~/.config/periscope/NAME.toml), then each of $XDG_CONFIG_DIRS (default /etc/xdg) +
// /periscope/NAME.toml.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace periscope::options {

enum class OptionsError {
    Usage,    // bad command line: the message says what
    Config,   // bad config file: the message names file, key and problem
    Help,     // --help: the message is the help text (exit 0)
    Version,  // --version: the message is the version line (exit 0)
};

// `from_process()` reads getenv; tests pass their own values.
struct Environment {
    std::string xdg_config_home;  // empty = unset
    std::string xdg_config_dirs;
    std::string home;
    static Environment from_process();
};

struct OptionSet {
    std::string_view config_name;  // "agent" -> periscope/agent.toml
    std::string_view version;      // the --version line
    std::function<std::string()> help;
    // Every option name (without "--"), including "no-X" negations.
    std::span<const std::string_view> names;
    // Options that take no value: "X" means X=true, "no-X" means X=false.
    std::span<const std::string_view> switches;
    // TOML tables whose keys are options with a prefix: {"synthetic", "synthetic-"}.
    std::span<const std::pair<std::string_view, std::string_view>> tables;
    // Applies one value; returns an empty string, or what is wrong ("wants a number ...", or
    // "is not an option" for a key it does not know).
    std::function<std::string(const std::string& key, const std::string& value)> set;
};

// Applies the config file and the command line through `set`. Returns the config file that was
// read ("" if none).
Result<std::string, OptionsError> parse(const std::vector<std::string>& args,
                                        const Environment& environment, const OptionSet& set,
                                        std::string* message);

// Applies one TOML document (for tests and for parse()).
Result<void, OptionsError> apply_config(const std::string& toml_text, const std::string& name,
                                        const OptionSet& set, std::string* message);

// Value parsers shared by the programs' `set` functions.
bool parse_double(const std::string& text, double* out);
bool parse_u32(const std::string& text, uint32_t* out);
bool parse_bool(const std::string& text, bool* out);  // "true" / "false"
bool parse_resolution(const std::string& text, uint32_t* width, uint32_t* height);  // "WxH"
// "64M", "64MiB", "1G", "67108864" -> bytes.
bool parse_size(const std::string& text, uint64_t* bytes);

}  // namespace periscope::options

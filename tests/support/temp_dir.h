// A private directory under /tmp for one test, removed with everything in it however the test
// ends (a failed ASSERT returns early).
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>

namespace periscope::test {

class TempDir {
  public:
    explicit TempDir(const std::string& prefix = "periscope-test") {
        std::string pattern = "/tmp/" + prefix + "-XXXXXX";  // mkdtemp replaces the X's
        if (mkdtemp(pattern.data()) != nullptr) {
            m_path = pattern;
        }
    }
    ~TempDir() {
        if (!m_path.empty()) {
            std::error_code ignored;
            std::filesystem::remove_all(m_path, ignored);
        }
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;

    bool ok() const { return !m_path.empty(); }
    const std::string& path() const { return m_path; }
    std::string file(const std::string& name) const { return m_path + "/" + name; }

  private:
    std::string m_path;
};

}  // namespace periscope::test

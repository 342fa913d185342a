// Keeps the Mesa DRI driver a test's GL context loaded until the process exits.
//
// Why: SDL unloads libGL when its window closes, and libGL unloads the driver. Whatever the
// driver keeps in its globals until exit (llvmpipe's draw state: a plain glDrawArrays in a
// program without any of our code shows it) then looks leaked to LeakSanitizer, and its
// allocation stack points into an unmapped library, so tests/sanitizers/lsan.supp (swrast_dri,
// libgallium, ...) cannot match it. With the driver pinned, those blocks stay reachable from its
// globals and nothing of ours is hidden: our own leaks are still reported.
#pragma once

#include <dlfcn.h>
#include <link.h>

#include <cstring>

namespace periscope::viewer::test {

// Call with a GL context current (the driver is loaded by then).
inline void pin_gl_driver() {
    dl_iterate_phdr(
        [](dl_phdr_info* info, size_t, void*) {
            if (info->dlpi_name != nullptr && std::strstr(info->dlpi_name, "_dri.so") != nullptr) {
                // RTLD_NOLOAD: only a library already loaded; RTLD_NODELETE: never unload it.
                dlopen(info->dlpi_name, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
            }
            return 0;
        },
        nullptr);
}

}  // namespace periscope::viewer::test

// What a GL test process needs besides its X server and window, because of the driver (Mesa
// llvmpipe) rather than our code.
#pragma once

#include <dlfcn.h>
#include <link.h>

#include <cstdlib>
#include <cstring>

namespace periscope::viewer::test {

// Call before the GL context is made. llvmpipe rasterises on the calling thread with
// LP_NUM_THREADS=0 (tests are about pixels, not speed), so ThreadSanitizer sees no threads of the
// uninstrumented driver: with its own threads it reports races inside Mesa's fence code. ctest
// is meant to set this (tests/CMakeLists.txt) but a value the user set is kept.
inline void single_threaded_gl_driver() {
    setenv("LP_NUM_THREADS", "0", 0);
}

// Keeps the Mesa DRI driver loaded until the process exits; call with a GL context current.
//
// Why: SDL unloads libGL when its window closes, and libGL unloads the driver. Whatever the
// driver keeps in its globals until exit (llvmpipe's draw state: a plain glDrawArrays in a
// program without any of our code shows it) then looks leaked to LeakSanitizer, and its
// allocation stack points into an unmapped library, so tests/sanitizers/lsan.supp (swrast_dri,
// libgallium, ...) cannot match it. With the driver pinned, those blocks stay reachable from its
// globals and nothing of ours is hidden: our own leaks are still reported.
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

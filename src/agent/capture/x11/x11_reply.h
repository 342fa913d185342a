// Ownership of XCB replies (malloc'ed by libxcb, released with free()).
#pragma once

#include <cstdlib>
#include <memory>

namespace periscope::agent {

struct XcbFree {
    void operator()(void* p) const { std::free(p); }
};

template <class T>
using XcbReply = std::unique_ptr<T, XcbFree>;

}  // namespace periscope::agent

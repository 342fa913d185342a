// One MIT-SHM segment shared with the X server: the server writes images into it (ShmGetImage),
// we read them. Created from a memfd passed over the socket (MIT-SHM 1.2, works across
// namespaces and needs no SysV IPC), falling back to a SysV segment.
#pragma once

#include <xcb/shm.h>
#include <xcb/xcb.h>

#include <cstddef>
#include <memory>
#include <string>

#include "agent/capture/capture_backend.h"

namespace periscope::agent {

class X11ShmSegment {
  public:
    // `size` bytes, attached read-write by the server (it writes into it). `try_fd` = the server
    // speaks MIT-SHM 1.2. Failures set `detail` and return Failed (or ConnectionLost).
    static Result<std::unique_ptr<X11ShmSegment>, CaptureError> create(xcb_connection_t* connection,
                                                                       size_t size, bool try_fd,
                                                                       std::string* detail);
    // Lends memory the caller already mapped from `fd` (the shared region) to the server:
    // MIT-SHM 1.2 only. The server maps the whole file read-write; the segment does not own the
    // memory (no unmap) and passes the server a duplicate of `fd`.
    static Result<std::unique_ptr<X11ShmSegment>, CaptureError> lend(xcb_connection_t* connection,
                                                                     int fd, std::byte* data,
                                                                     size_t size,
                                                                     std::string* detail);
    ~X11ShmSegment();
    X11ShmSegment(const X11ShmSegment&) = delete;
    X11ShmSegment& operator=(const X11ShmSegment&) = delete;

    xcb_shm_seg_t id() const { return m_id; }
    std::byte* data() const { return m_data; }
    size_t size() const { return m_size; }
    bool fd_passing() const { return m_sysv_id < 0; }

  private:
    X11ShmSegment(xcb_connection_t* connection, size_t size)
        : m_connection(connection), m_size(size) {}
    bool attach_memfd(std::string* detail);
    bool attach_sysv(std::string* detail);

    xcb_connection_t* m_connection;
    size_t m_size;
    xcb_shm_seg_t m_id = 0;
    std::byte* m_data = nullptr;
    int m_sysv_id = -1;  // >= 0: a SysV segment (shmat'ed), else an mmap'ed memfd
    bool m_attached = false;
    bool m_owns_memory = true;  // false: lent memory, the lender unmaps it
};

}  // namespace periscope::agent

#include "agent/capture/x11/x11_shm.h"

#include <fcntl.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <unistd.h>

#include <cerrno>

#include "agent/capture/x11/x11_reply.h"
#include "core/format.h"
#include "core/log.h"

namespace periscope::agent {

Result<std::unique_ptr<X11ShmSegment>, CaptureError> X11ShmSegment::create(
    xcb_connection_t* connection, size_t size, bool try_fd, std::string* detail) {
    std::unique_ptr<X11ShmSegment> segment(new X11ShmSegment(connection, size));
    segment->m_id = xcb_generate_id(connection);
    std::string fd_detail;
    if (try_fd && segment->attach_memfd(&fd_detail)) {
        return segment;
    }
    if (xcb_connection_has_error(connection) != 0) {
        *detail = "the X server connection broke while attaching a shared memory segment";
        return fail(CaptureError::ConnectionLost);
    }
    if (!fd_detail.empty()) {
        PERISCOPE_LOG_INFO("x11", "MIT-SHM fd passing failed (%s), using a SysV segment",
                           fd_detail.c_str());
    }
    if (segment->attach_sysv(detail)) {
        return segment;
    }
    if (xcb_connection_has_error(connection) != 0) {
        *detail = "the X server connection broke while attaching a shared memory segment";
        return fail(CaptureError::ConnectionLost);
    }
    if (!fd_detail.empty()) {
        *detail += "; fd passing: " + fd_detail;
    }
    return fail(CaptureError::Failed);
}

Result<std::unique_ptr<X11ShmSegment>, CaptureError> X11ShmSegment::lend(
    xcb_connection_t* connection, int fd, std::byte* data, size_t size, std::string* detail) {
    std::unique_ptr<X11ShmSegment> segment(new X11ShmSegment(connection, size));
    segment->m_owns_memory = false;
    segment->m_id = xcb_generate_id(connection);
    // libxcb closes the descriptor it sends; the lender keeps its own.
    const int copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (copy < 0) {
        *detail = "duplicating the region's descriptor: " + errno_text(errno);
        return fail(CaptureError::Failed);
    }
    const xcb_void_cookie_t cookie = xcb_shm_attach_fd_checked(connection, segment->m_id, copy, 0);
    XcbReply<xcb_generic_error_t> error(xcb_request_check(connection, cookie));
    if (xcb_connection_has_error(connection) != 0) {
        *detail = "the X server connection broke while lending it the region";
        return fail(CaptureError::ConnectionLost);
    }
    if (error) {
        // BadAccess: the server could not fstat or mmap it (another machine, a sandbox).
        *detail = format_text("the X server refused to map the region (ShmAttachFd: X error %u)",
                              error->error_code);
        return fail(CaptureError::Failed);
    }
    segment->m_data = data;
    segment->m_attached = true;
    return segment;
}

bool X11ShmSegment::attach_memfd(std::string* detail) {
    const int fd = memfd_create("periscope-x11", MFD_CLOEXEC);
    if (fd < 0) {
        *detail = "memfd_create: " + errno_text(errno);
        return false;
    }
    if (ftruncate(fd, static_cast<off_t>(m_size)) != 0) {
        *detail = format_text("ftruncate to %zu bytes: %s", m_size, errno_text(errno).c_str());
        close(fd);
        return false;
    }
    void* data = mmap(nullptr, m_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (data == MAP_FAILED) {
        *detail = format_text("mmap of %zu bytes: %s", m_size, errno_text(errno).c_str());
        close(fd);
        return false;
    }
    // libxcb takes the fd and closes it once sent; our mapping keeps the memory alive.
    const xcb_void_cookie_t cookie = xcb_shm_attach_fd_checked(m_connection, m_id, fd, 0);
    XcbReply<xcb_generic_error_t> error(xcb_request_check(m_connection, cookie));
    if (error || xcb_connection_has_error(m_connection) != 0) {
        *detail = error ? format_text("ShmAttachFd refused (X error %u)", error->error_code)
                        : "connection error";
        munmap(data, m_size);
        return false;
    }
    m_data = static_cast<std::byte*>(data);
    m_attached = true;
    return true;
}

bool X11ShmSegment::attach_sysv(std::string* detail) {
    m_sysv_id = shmget(IPC_PRIVATE, m_size, IPC_CREAT | 0600);
    if (m_sysv_id < 0) {
        *detail = format_text("shmget of %zu bytes: %s", m_size, errno_text(errno).c_str());
        return false;
    }
    void* data = shmat(m_sysv_id, nullptr, 0);
    if (data == reinterpret_cast<void*>(-1)) {
        *detail = "shmat: " + errno_text(errno);
        shmctl(m_sysv_id, IPC_RMID, nullptr);
        m_sysv_id = -1;
        return false;
    }
    m_data = static_cast<std::byte*>(data);
    const xcb_void_cookie_t cookie =
        xcb_shm_attach_checked(m_connection, m_id, static_cast<uint32_t>(m_sysv_id), 0);
    XcbReply<xcb_generic_error_t> error(xcb_request_check(m_connection, cookie));
    // Marked for removal now: it disappears when both we and the server have detached, even if
    // we crash.
    shmctl(m_sysv_id, IPC_RMID, nullptr);
    if (error || xcb_connection_has_error(m_connection) != 0) {
        *detail = error ? format_text(
                              "ShmAttach refused (X error %u): is the X server on another "
                              "machine or in another IPC namespace?",
                              error->error_code)
                        : "connection error";
        return false;
    }
    m_attached = true;
    return true;
}

X11ShmSegment::~X11ShmSegment() {
    if (m_attached && xcb_connection_has_error(m_connection) == 0) {
        xcb_shm_detach(m_connection, m_id);
        xcb_flush(m_connection);
    }
    if (m_data != nullptr && m_owns_memory) {
        if (m_sysv_id >= 0) {
            shmdt(m_data);
        } else {
            munmap(m_data, m_size);
        }
    }
}

}  // namespace periscope::agent

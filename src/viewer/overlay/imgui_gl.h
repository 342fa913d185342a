// Our own Dear ImGui renderer for OpenGL 3.3 core (through libepoxy): turns ImDrawData into GL
// draw calls on top of whatever the viewer's frame renderer drew, and leaves the GL state it
// touched as it found it, so the two renderers never need to know about each other.
//
// Threads: everything here runs on the viewer's main thread with the window's GL context
// current (creation, render, destruction).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/result.h"

struct ImDrawData;

namespace periscope::viewer {

enum class ImGuiGlError { ShaderCompileFailed, ProgramLinkFailed };
const char* to_string(ImGuiGlError error);

class ImGuiGl {
  public:
    // Compiles the program, creates the buffers and uploads the font atlas of the current ImGui
    // context (which must exist). On failure `detail` gets the driver's info log.
    static Result<std::unique_ptr<ImGuiGl>, ImGuiGlError> create(std::string* detail);
    ~ImGuiGl();
    ImGuiGl(const ImGuiGl&) = delete;
    ImGuiGl& operator=(const ImGuiGl&) = delete;

    // Draws into the currently bound draw framebuffer, whose size is `framebuffer_width` x
    // `framebuffer_height` pixels. Saves and restores every piece of GL state it changes.
    void render(const ImDrawData& draw_data, uint32_t framebuffer_width,
                uint32_t framebuffer_height);

  private:
    ImGuiGl() = default;
    Result<void, ImGuiGlError> build_program(std::string* detail);
    void create_buffers();
    void upload_font_atlas();
    void setup_state(const ImDrawData& draw_data, uint32_t framebuffer_width,
                     uint32_t framebuffer_height);

    uint32_t m_program = 0;
    int32_t m_projection_location = -1;
    int32_t m_texture_location = -1;
    uint32_t m_vao = 0;
    uint32_t m_vbo = 0;
    uint32_t m_ebo = 0;
    uint32_t m_font_texture = 0;
};

}  // namespace periscope::viewer

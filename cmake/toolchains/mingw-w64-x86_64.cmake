# Cross-compiling periscope-agent.exe for 64-bit Windows with Debian's mingw-w64
# (g++-mingw-w64-x86-64-posix). The posix flavour has std::thread/std::mutex (winpthreads); the
# runtime (libgcc, libstdc++, winpthread) is linked statically so the .exe runs on a bare Windows
# without any MinGW DLL next to it.
set(CMAKE_SYSTEM_NAME Windows)
set(CMAKE_SYSTEM_PROCESSOR x86_64)

set(PERISCOPE_MINGW_TRIPLE x86_64-w64-mingw32)
set(CMAKE_C_COMPILER ${PERISCOPE_MINGW_TRIPLE}-gcc-posix)
set(CMAKE_CXX_COMPILER ${PERISCOPE_MINGW_TRIPLE}-g++-posix)
set(CMAKE_RC_COMPILER ${PERISCOPE_MINGW_TRIPLE}-windres)

set(CMAKE_FIND_ROOT_PATH /usr/${PERISCOPE_MINGW_TRIPLE})
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# -static pulls libwinpthread in statically too (-static-libstdc++ alone leaves it a DLL).
set(CMAKE_EXE_LINKER_FLAGS_INIT "-static -static-libgcc -static-libstdc++")
# Unicode Win32 API (the W functions), no min/max macros from windows.h, Windows 10 API level
# (DXGI 1.5+ declarations in the headers).
set(CMAKE_CXX_FLAGS_INIT "-DUNICODE -D_UNICODE -DNOMINMAX -D_WIN32_WINNT=0x0A00")

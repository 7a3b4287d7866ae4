// The files of web/dist, compiled into the binary by the build (embed_tool.cc
// writes the definitions; CMake compiles them into tv_webapp). Empty when the
// build was configured with -DTRACEVAULT_WEBAPP=OFF.
#pragma once

#include <cstddef>

namespace tv::webapp {

struct EmbeddedFile {
  const char* path;  // relative to web/dist, '/'-separated, e.g. "assets/index-3f2a.js"
  const unsigned char* data;
  size_t size;
};

extern const EmbeddedFile kEmbeddedFiles[];
extern const size_t kEmbeddedFileCount;

}  // namespace tv::webapp

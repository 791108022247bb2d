// The web page's files (web/), embedded into the binary at build time by
// cmake/embed-files.cmake, so the page works offline and needs no files beside the binary.
#pragma once
#include <string_view>

namespace senti::serve {

struct Asset {
  std::string_view path;          // URL path, e.g. "/app.js"
  std::string_view content_type;
  std::string_view data;
};

// The asset served at `path` ("/" is index.html), or nullptr.
const Asset* find_asset(std::string_view path);

}  // namespace senti::serve

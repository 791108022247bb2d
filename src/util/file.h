// Whole-file reads and atomic writes (temp file in the same folder, fsync, rename), with
// errors that name the path and the OS reason. No parsing here.
#pragma once
#include <string>
#include <string_view>

namespace senti {

std::string read_file(const std::string& path);
void write_file_atomic(const std::string& path, std::string_view data);
bool file_exists(const std::string& path);
bool is_directory(const std::string& path);

}  // namespace senti

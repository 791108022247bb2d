// Unlabelled text sources for vocabulary training and pretraining: a folder of .txt files
// (one text per file, recursively, in sorted order, as aclImdb lays reviews out), a .jsonl
// file (objects with a "text" field), or a plain text file (one text per line). HTML line
// breaks ("<br />") become spaces. Labelled datasets are a separate reader.
#pragma once
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace senti::data {

// Replaces "<br />", "<br/>" and "<br>" (any case) with a space.
std::string clean_html_breaks(std::string_view text);

// Every regular file under `dir` whose name ends in `suffix`, sorted by path.
std::vector<std::string> list_files(const std::string& dir, const std::string& suffix);

// Calls fn(line, line_number) for each line of data (1-based; "\r\n" endings trimmed, empty
// lines skipped).
void for_each_line(std::string_view data, const std::function<void(std::string_view line, size_t line_no)>& fn);

// Calls fn(text, origin) for each text; origin is "file" or "file:line". Returns the count.
size_t for_each_text(const std::string& path,
                     const std::function<void(std::string_view text, const std::string& origin)>& fn);

}  // namespace senti::data

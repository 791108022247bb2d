// Reading texts for the CLI: from arguments, a file or stdin, one text per line; a line that
// parses as a JSON object with a string "text" field is taken as JSONL. Streams in chunks so
// memory stays constant on files of any length.
#pragma once
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace senti::cli {

class TextReader {
 public:
  // path "-" or empty: stdin. Errors name the file.
  explicit TextReader(const std::string& path);
  ~TextReader();
  TextReader(const TextReader&) = delete;
  TextReader& operator=(const TextReader&) = delete;

  // Appends up to max_texts texts; false when the input is exhausted and nothing was read.
  // A line that starts like JSON ('{') but is not an object with a string "text" (a malformed
  // or cut-off JSONL line) is an error: with `errors`, its text is left empty and errors[i] says
  // why (one entry per text, empty when fine), so the caller answers it in its place; without,
  // the line is taken as plain text (tokenize, explain).
  bool next_chunk(std::vector<std::string>& out, size_t max_texts, std::vector<std::string>* errors = nullptr);
  // Byte position (for progress) and size (0 if unknown, e.g. a pipe).
  uint64_t bytes_read() const { return bytes_read_; }
  uint64_t total_bytes() const { return total_bytes_; }
  // Lines read so far (the line number of the last text returned).
  uint64_t lines_read() const { return line_no_; }
  // The file's line count, for a progress bar: one pass over a regular file, made on the first
  // call and only before anything was read (0 if unknown: a pipe, or called too late). A caller
  // that shows no progress does not call it, and the file is read once.
  uint64_t total_lines();
  // Reading from a terminal (a person typing).
  bool interactive() const;

 private:
  std::FILE* file_ = nullptr;
  bool owned_ = false;
  std::string name_;
  uint64_t bytes_read_ = 0, total_bytes_ = 0, line_no_ = 0, total_lines_ = 0;
  bool counted_ = false;
};

// The text of one input line: the "text" field of a JSON object line, else the line itself;
// nullopt for a line that starts with '{' but is not a JSON object with a string "text".
std::optional<std::string> text_of_line(const std::string& line);

// True when `text` holds nothing but whitespace (or nothing at all): not a text to classify.
bool is_blank(std::string_view text);

}  // namespace senti::cli

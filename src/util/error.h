// senti::Error: the one exception type every module throws for bad input or failed I/O.
// It carries an ErrorCode the caller can branch on and a message that names the file, field and
// what was expected. It does not log anything; callers decide how to report.
#pragma once
#include <stdexcept>
#include <string>

namespace senti {

enum class ErrorCode {
  kInvalidArgument,  // the caller passed something unusable (flag value, empty text, ...)
  kNotFound,         // a file, tensor or token that must exist does not
  kIo,               // the operating system refused a read or write
  kParse,            // outside bytes (JSON, safetensors, text) are malformed
  kUnsupported,      // well-formed, but a feature senti does not implement
  kInternal,         // a broken invariant: a bug in senti
};

const char* error_code_name(ErrorCode code);

class Error : public std::runtime_error {
 public:
  Error(ErrorCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ErrorCode code() const { return code_; }

 private:
  ErrorCode code_;
};

[[noreturn]] void fail(ErrorCode code, const std::string& message);

}  // namespace senti

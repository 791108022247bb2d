// The safetensors format (https://github.com/huggingface/safetensors): an 8-byte little-endian
// header length, a JSON header {name: {dtype, shape, data_offsets}, "__metadata__": {...}},
// then the raw tensor bytes. The reader memory-maps the file and validates every field before
// any tensor is used; the writer produces files that Hugging Face's loaders read. Knows
// nothing of models.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "tensor/tensor.h"
#include "util/mapped_file.h"

namespace senti::io {

enum class SafeDType { kBool, kU8, kI8, kI16, kU16, kF16, kBF16, kI32, kU32, kF32, kF64, kI64, kU64, kF8E4M3, kF8E5M2 };

const char* dtype_name(SafeDType t);
size_t dtype_size(SafeDType t);

struct TensorEntry {
  std::string name;
  SafeDType dtype;
  std::vector<int64_t> shape;
  size_t begin = 0, end = 0;  // byte offsets into the data section
};

// Largest header accepted (the reference implementation uses 100 MB).
constexpr size_t kMaxHeaderBytes = 100u << 20;

// Parses and validates a complete safetensors byte image (header + data); `origin` names it in
// errors. Used by the reader and directly by the fuzz target.
struct ParsedHeader {
  std::map<std::string, TensorEntry> tensors;
  std::map<std::string, std::string> metadata;
  size_t data_offset = 0;  // where the data section starts in the file
};
ParsedHeader parse_safetensors(const uint8_t* bytes, size_t size, const std::string& origin);

class SafetensorsFile {
 public:
  static std::shared_ptr<SafetensorsFile> open(const std::string& path);

  const std::string& path() const { return file_->path(); }
  const std::map<std::string, TensorEntry>& tensors() const { return header_.tensors; }
  const std::map<std::string, std::string>& metadata() const { return header_.metadata; }
  const TensorEntry* find(const std::string& name) const;
  const uint8_t* bytes(const TensorEntry& e) const { return file_->data() + header_.data_offset + e.begin; }

  // A float32 tensor: borrowed from the map when stored as F32 (and aligned), else converted
  // from F16/BF16/F64. Errors name the tensor and the expected shape.
  // Non-finite values (NaN, infinity) are an error naming the tensor.
  Tensor load_f32(const std::string& name, const std::vector<int64_t>& expected_shape) const;
  // The tensors no load_f32 has read so far, by name (a loader checks that the file holds
  // nothing its config does not account for).
  std::vector<std::string> unused() const;

 private:
  SafetensorsFile(std::unique_ptr<MappedFile> file, ParsedHeader header);
  std::shared_ptr<MappedFile> file_;
  ParsedHeader header_;
  mutable std::mutex used_mutex_;
  mutable std::set<std::string> used_;
};

struct NamedTensor {
  std::string name;
  const Tensor* tensor;
};

// Writes tensors (float32 in memory) as `dtype` (F32, F16 or BF16), atomically.
void write_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors, SafeDType dtype,
                       const std::map<std::string, std::string>& metadata = {{"format", "pt"}});

}  // namespace senti::io

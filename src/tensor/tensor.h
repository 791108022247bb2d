// Tensor: a float32 array with a shape, owning its storage (64-byte aligned) or borrowing
// it (e.g. from a memory-mapped weight file, kept alive by a shared owner). Row-major,
// contiguous. Also the 16-bit float conversions. Knows nothing of models or files.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace senti {

class Tensor {
 public:
  Tensor() = default;
  // Owned, zero-initialized.
  explicit Tensor(std::vector<int64_t> shape);
  // Borrowed: `data` stays valid while `owner` lives.
  Tensor(std::vector<int64_t> shape, const float* data, std::shared_ptr<const void> owner);

  const std::vector<int64_t>& shape() const { return shape_; }
  int64_t dim(size_t i) const { return shape_.at(i); }
  size_t rank() const { return shape_.size(); }
  int64_t numel() const;
  bool empty() const { return data_ == nullptr; }
  bool owned() const { return owned_; }
  const float* data() const { return data_; }
  // Writable access; a borrowed tensor is copied into owned storage first.
  float* mutable_data();
  std::string shape_string() const;

 private:
  std::vector<int64_t> shape_;
  float* data_ = nullptr;
  std::shared_ptr<const void> owner_;
  bool owned_ = false;
};

float bf16_to_f32(uint16_t v);
float f16_to_f32(uint16_t v);
uint16_t f32_to_bf16(float v);  // round to nearest even, NaN kept
uint16_t f32_to_f16(float v);   // round to nearest even, overflow to inf

// A 64-byte-aligned float buffer that grows and is reused (activations, scratch).
class FloatBuffer {
 public:
  float* get(size_t n);  // at least n floats; contents undefined after growth
  size_t capacity() const { return capacity_; }

 private:
  std::unique_ptr<float, void (*)(void*)> data_{nullptr, nullptr};
  size_t capacity_ = 0;
};

}  // namespace senti

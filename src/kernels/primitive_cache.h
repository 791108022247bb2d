// A bounded cache of oneDNN primitives (or small structs of them) by shape, for the kernels that
// build one primitive per matrix size (dense.cpp, linear.cpp, attention_bf16.cpp). When full, the
// least recently used entry is dropped: a long run whose sizes change from call to call keeps a
// fixed amount of compiled code instead of growing without end. Not thread-safe: keep one per
// thread, or lock around it. Internal to src/kernels.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <utility>

namespace senti::kernels {

template <class Key, class Value>
class PrimitiveCache {
 public:
  explicit PrimitiveCache(size_t capacity) : capacity_(capacity < 1 ? 1 : capacity) {}

  // The value for key, made by make() on a miss. Values are oneDNN handles (reference counted),
  // so the copy returned stays valid after the entry is evicted.
  template <class Make>
  Value get(const Key& key, Make&& make) {
    auto it = entries_.find(key);
    if (it == entries_.end()) {
      if (entries_.size() >= capacity_) evict_least_recent();
      it = entries_.emplace(key, Entry{make(), 0}).first;
      ++created_;
    }
    it->second.last_use = ++clock_;
    return it->second.value;
  }

  size_t size() const { return entries_.size(); }
  size_t capacity() const { return capacity_; }
  uint64_t created() const { return created_; }

 private:
  struct Entry {
    Value value;
    uint64_t last_use;
  };
  void evict_least_recent() {
    auto oldest = entries_.begin();
    for (auto it = entries_.begin(); it != entries_.end(); ++it)
      if (it->second.last_use < oldest->second.last_use) oldest = it;
    entries_.erase(oldest);
  }

  size_t capacity_;
  uint64_t clock_ = 0, created_ = 0;
  std::map<Key, Entry> entries_;
};

}  // namespace senti::kernels

#include "io/safetensors.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <set>
#include <nlohmann/json.hpp>

#include "util/error.h"
#include "util/file.h"

namespace senti::io {

namespace {
struct DTypeInfo {
  const char* name;
  SafeDType type;
  size_t size;
};
constexpr DTypeInfo kDTypes[] = {
    {"BOOL", SafeDType::kBool, 1}, {"U8", SafeDType::kU8, 1},     {"I8", SafeDType::kI8, 1},
    {"I16", SafeDType::kI16, 2},   {"U16", SafeDType::kU16, 2},   {"F16", SafeDType::kF16, 2},
    {"BF16", SafeDType::kBF16, 2}, {"I32", SafeDType::kI32, 4},   {"U32", SafeDType::kU32, 4},
    {"F32", SafeDType::kF32, 4},   {"F64", SafeDType::kF64, 8},   {"I64", SafeDType::kI64, 8},
    {"U64", SafeDType::kU64, 8},   {"F8_E4M3", SafeDType::kF8E4M3, 1}, {"F8_E5M2", SafeDType::kF8E5M2, 1},
};

[[noreturn]] void bad(const std::string& origin, const std::string& what) {
  fail(ErrorCode::kParse, origin + ": invalid safetensors file: " + what);
}
}  // namespace

const char* dtype_name(SafeDType t) {
  for (const auto& d : kDTypes)
    if (d.type == t) return d.name;
  return "?";
}

size_t dtype_size(SafeDType t) {
  for (const auto& d : kDTypes)
    if (d.type == t) return d.size;
  return 0;
}

ParsedHeader parse_safetensors(const uint8_t* bytes, size_t size, const std::string& origin) {
  if (size < 8) bad(origin, "shorter than the 8-byte header length (" + std::to_string(size) + " bytes)");
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[i];
  if (n > kMaxHeaderBytes) bad(origin, "header length " + std::to_string(n) + " exceeds the 100 MB cap");
  if (n > size - 8) bad(origin, "header length " + std::to_string(n) + " runs past the end of the file");
  if (n < 2) bad(origin, "header is too short to be a JSON object");
  const char* h = reinterpret_cast<const char*>(bytes + 8);
  // nlohmann keeps the last of duplicate keys silently; the callback sees every top-level key.
  std::set<std::string> seen;
  bool duplicate = false;
  std::string duplicate_name;
  auto on_event = [&](int depth, nlohmann::json::parse_event_t event, nlohmann::json& parsed) {
    if (depth == 1 && event == nlohmann::json::parse_event_t::key && parsed.is_string()) {
      if (!seen.insert(parsed.get<std::string>()).second && !duplicate) {
        duplicate = true;
        duplicate_name = parsed.get<std::string>();
      }
    }
    return true;
  };
  auto j = nlohmann::json::parse(h, h + n, on_event, /*allow_exceptions=*/false);
  if (j.is_discarded()) bad(origin, "header is not valid JSON");
  if (!j.is_object()) bad(origin, "header is not a JSON object");
  if (duplicate) bad(origin, "duplicate tensor '" + duplicate_name + "' in the header");

  ParsedHeader out;
  out.data_offset = 8 + static_cast<size_t>(n);
  const size_t data_size = size - out.data_offset;
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& name = it.key();
    const auto& v = it.value();
    if (name == "__metadata__") {
      if (!v.is_object()) bad(origin, "__metadata__ must be an object of strings");
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (!m.value().is_string()) bad(origin, "__metadata__[\"" + m.key() + "\"] must be a string");
        out.metadata[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    const std::string where = "tensor '" + name + "'";
    if (!v.is_object()) bad(origin, where + ": expected an object");
    TensorEntry e;
    e.name = name;
    auto dt = v.find("dtype");
    if (dt == v.end() || !dt->is_string()) bad(origin, where + ": missing string 'dtype'");
    const std::string dts = dt->get<std::string>();
    const DTypeInfo* info = nullptr;
    for (const auto& d : kDTypes)
      if (dts == d.name) info = &d;
    if (!info) bad(origin, where + ": unknown dtype '" + dts + "'");
    e.dtype = info->type;
    auto sh = v.find("shape");
    if (sh == v.end() || !sh->is_array()) bad(origin, where + ": missing array 'shape'");
    uint64_t elems = 1;
    for (const auto& d : *sh) {
      if (!d.is_number_unsigned()) bad(origin, where + ": shape entries must be non-negative integers");
      uint64_t x = d.get<uint64_t>();
      if (x != 0 && elems > (uint64_t{1} << 62) / x) bad(origin, where + ": shape overflows");
      elems *= x;
      e.shape.push_back(static_cast<int64_t>(x));
    }
    auto off = v.find("data_offsets");
    if (off == v.end() || !off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
        !(*off)[1].is_number_unsigned())
      bad(origin, where + ": 'data_offsets' must be [begin, end]");
    uint64_t b = (*off)[0].get<uint64_t>(), en = (*off)[1].get<uint64_t>();
    if (b > en || en > data_size)
      bad(origin, where + ": data_offsets [" + std::to_string(b) + ", " + std::to_string(en) +
                      "] outside the " + std::to_string(data_size) + "-byte data section");
    if (elems > (uint64_t{1} << 62) / info->size || en - b != elems * info->size)
      bad(origin, where + ": " + std::to_string(en - b) + " bytes for " + std::to_string(elems) + " " + dts +
                      " elements");
    e.begin = static_cast<size_t>(b);
    e.end = static_cast<size_t>(en);
    out.tensors.emplace(name, std::move(e));
  }
  // The data section must be covered exactly: contiguous, starting at 0, ending at the file's end.
  std::vector<const TensorEntry*> order;
  for (const auto& [k, e] : out.tensors) order.push_back(&e);
  std::sort(order.begin(), order.end(), [](auto* a, auto* b) { return a->begin < b->begin || (a->begin == b->begin && a->end < b->end); });
  size_t pos = 0;
  for (const TensorEntry* e : order) {
    if (e->begin != pos)
      bad(origin, "tensor '" + e->name + "' starts at byte " + std::to_string(e->begin) + ", expected " +
                      std::to_string(pos) + " (tensors must be contiguous and not overlap)");
    pos = e->end;
  }
  if (pos != data_size)
    bad(origin, "tensors end at byte " + std::to_string(pos) + " of a " + std::to_string(data_size) +
                    "-byte data section (the buffer must end exactly at the end of the file)");
  return out;
}

SafetensorsFile::SafetensorsFile(std::unique_ptr<MappedFile> file, ParsedHeader header)
    : file_(std::move(file)), header_(std::move(header)) {}

std::shared_ptr<SafetensorsFile> SafetensorsFile::open(const std::string& path) {
  auto file = std::make_unique<MappedFile>(path);
  ParsedHeader header = parse_safetensors(file->data(), file->size(), path);
  return std::shared_ptr<SafetensorsFile>(new SafetensorsFile(std::move(file), std::move(header)));
}

const TensorEntry* SafetensorsFile::find(const std::string& name) const {
  auto it = header_.tensors.find(name);
  return it == header_.tensors.end() ? nullptr : &it->second;
}

Tensor SafetensorsFile::load_f32(const std::string& name, const std::vector<int64_t>& expected) const {
  const TensorEntry* e = find(name);
  if (!e) fail(ErrorCode::kNotFound, path() + ": missing tensor '" + name + "'");
  if (e->shape != expected) {
    std::string ws = "[", gs = "[";
    for (size_t i = 0; i < expected.size(); ++i) ws += (i ? ", " : "") + std::to_string(expected[i]);
    for (size_t i = 0; i < e->shape.size(); ++i) gs += (i ? ", " : "") + std::to_string(e->shape[i]);
    fail(ErrorCode::kParse, path() + ": tensor '" + name + "' has shape " + gs + "], expected " + ws + "]");
  }
  {
    std::lock_guard<std::mutex> lock(used_mutex_);
    used_.insert(name);
  }
  const uint8_t* src = bytes(*e);
  const size_t n = (e->end - e->begin) / dtype_size(e->dtype);
  // NaN or infinite weights would give finite-looking answers (a score of 0.50, say): refuse them.
  auto check_finite = [&](const float* v) {
    for (size_t i = 0; i < n; ++i)
      if (!std::isfinite(v[i]))
        fail(ErrorCode::kParse, path() + ": tensor '" + name + "' holds a non-finite value (" + std::to_string(v[i]) +
                                    " at element " + std::to_string(i) + ")");
  };
  if (e->dtype == SafeDType::kF32 && reinterpret_cast<uintptr_t>(src) % alignof(float) == 0) {
    check_finite(reinterpret_cast<const float*>(src));
    return Tensor(expected, reinterpret_cast<const float*>(src), file_);
  }
  Tensor t(expected);
  float* dst = t.mutable_data();
  switch (e->dtype) {
    case SafeDType::kF32:
      std::memcpy(dst, src, n * 4);
      break;
    case SafeDType::kBF16:
      for (size_t i = 0; i < n; ++i) {
        uint16_t v;
        std::memcpy(&v, src + 2 * i, 2);
        dst[i] = bf16_to_f32(v);
      }
      break;
    case SafeDType::kF16:
      for (size_t i = 0; i < n; ++i) {
        uint16_t v;
        std::memcpy(&v, src + 2 * i, 2);
        dst[i] = f16_to_f32(v);
      }
      break;
    case SafeDType::kF64:
      for (size_t i = 0; i < n; ++i) {
        double v;
        std::memcpy(&v, src + 8 * i, 8);
        dst[i] = static_cast<float>(v);
      }
      break;
    default:
      fail(ErrorCode::kUnsupported, path() + ": tensor '" + name + "' has dtype " + dtype_name(e->dtype) +
                                        "; weights must be F32, F16, BF16 or F64");
  }
  check_finite(t.data());
  return t;
}

std::vector<std::string> SafetensorsFile::unused() const {
  std::lock_guard<std::mutex> lock(used_mutex_);
  std::vector<std::string> out;
  for (const auto& [name, entry] : header_.tensors)
    if (!used_.count(name)) out.push_back(name);
  return out;
}

void write_safetensors(const std::string& path, const std::vector<NamedTensor>& tensors, SafeDType dtype,
                       const std::map<std::string, std::string>& metadata) {
  if (dtype != SafeDType::kF32 && dtype != SafeDType::kF16 && dtype != SafeDType::kBF16)
    fail(ErrorCode::kInvalidArgument, "safetensors writer: dtype must be F32, F16 or BF16");
  const size_t es = dtype_size(dtype);
  nlohmann::ordered_json header;
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::vector<const NamedTensor*> sorted;
  for (const auto& t : tensors) sorted.push_back(&t);
  std::sort(sorted.begin(), sorted.end(), [](auto* a, auto* b) { return a->name < b->name; });
  size_t offset = 0;
  for (const NamedTensor* t : sorted) {
    size_t bytes = static_cast<size_t>(t->tensor->numel()) * es;
    header[t->name] = {{"dtype", dtype_name(dtype)}, {"shape", t->tensor->shape()}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  std::string h = header.dump();
  h.append((8 - h.size() % 8) % 8, ' ');  // align the data section to 8 bytes, as the reference does
  std::string out;
  out.reserve(8 + h.size() + offset);
  uint64_t n = h.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  out += h;
  for (const NamedTensor* t : sorted) {
    const float* p = t->tensor->data();
    const size_t count = static_cast<size_t>(t->tensor->numel());
    if (dtype == SafeDType::kF32) {
      out.append(reinterpret_cast<const char*>(p), count * 4);
    } else {
      for (size_t i = 0; i < count; ++i) {
        uint16_t v = dtype == SafeDType::kBF16 ? f32_to_bf16(p[i]) : f32_to_f16(p[i]);
        out.push_back(static_cast<char>(v & 0xff));
        out.push_back(static_cast<char>(v >> 8));
      }
    }
  }
  write_file_atomic(path, out);
}

}  // namespace senti::io

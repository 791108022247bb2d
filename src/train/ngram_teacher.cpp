#include "train/ngram_teacher.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <numeric>
#include <random>

#include "util/error.h"

namespace senti::train {

namespace {
uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Word tokens as scikit-learn's token_pattern r"(?u)\b\w+\b|[!?]" on lower-cased text finds
// them (bytes >= 0x80 count as word characters: UTF-8 letters), each as a 64-bit FNV-1a hash.
std::vector<uint64_t> token_hashes(std::string_view text) {
  std::vector<uint64_t> out;
  uint64_t h = 0;
  bool in_word = false;
  auto word_char = [](unsigned char c) { return std::isalnum(c) || c == '_' || c >= 0x80; };
  for (size_t i = 0; i <= text.size(); ++i) {
    const unsigned char c = i < text.size() ? static_cast<unsigned char>(text[i]) : ' ';
    if (word_char(c)) {
      if (!in_word) h = 0xcbf29ce484222325ull;
      in_word = true;
      h = (h ^ static_cast<unsigned char>(std::tolower(c))) * 0x100000001b3ull;
      continue;
    }
    if (in_word) out.push_back(h);
    in_word = false;
    if (c == '!' || c == '?') out.push_back(mix64(c));
  }
  return out;
}

double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }
}  // namespace

std::vector<uint32_t> NgramTeacher::features(std::string_view text, int max_n, int hash_bits) {
  const std::vector<uint64_t> tokens = token_hashes(text);
  std::vector<uint32_t> f;
  f.reserve(tokens.size() * static_cast<size_t>(max_n));
  for (size_t i = 0; i < tokens.size(); ++i) {
    uint64_t g = 0;
    for (int n = 1; n <= max_n && i + static_cast<size_t>(n) <= tokens.size(); ++n) {
      g = mix64(g * 0x9e3779b97f4a7c15ull + tokens[i + static_cast<size_t>(n) - 1] + static_cast<uint64_t>(n));
      f.push_back(static_cast<uint32_t>(g >> (64 - hash_bits)));
    }
  }
  std::sort(f.begin(), f.end());
  f.erase(std::unique(f.begin(), f.end()), f.end());
  return f;
}

NgramTeacher NgramTeacher::train(const std::vector<std::string_view>& texts, const std::vector<int>& labels,
                                 const NgramTeacherOptions& o) {
  if (texts.size() != labels.size() || texts.empty()) fail(ErrorCode::kInvalidArgument, "n-gram teacher: no training texts");
  if (o.max_n < 1 || o.hash_bits < 8 || o.hash_bits > 30) fail(ErrorCode::kInvalidArgument, "n-gram teacher: bad options");
  NgramTeacher t;
  t.max_n_ = o.max_n;
  t.hash_bits_ = o.hash_bits;
  const size_t B = size_t{1} << o.hash_bits;
  std::vector<std::vector<uint32_t>> x(texts.size());
  std::vector<float> pos(B, 0.f), neg(B, 0.f);
  for (size_t i = 0; i < texts.size(); ++i) {
    if (labels[i] != 0 && labels[i] != 1) fail(ErrorCode::kInvalidArgument, "n-gram teacher: labels must be 0 or 1");
    x[i] = features(texts[i], o.max_n, o.hash_bits);
    for (uint32_t j : x[i]) (labels[i] ? pos : neg)[j] += 1.f;
  }
  // Naive-Bayes log-count ratios over the buckets seen in training (unseen ones stay 0).
  double psum = 0, qsum = 0;
  for (size_t j = 0; j < B; ++j)
    if (pos[j] + neg[j] > 0) {
      psum += o.alpha + pos[j];
      qsum += o.alpha + neg[j];
    }
  t.ratio_.assign(B, 0.f);
  for (size_t j = 0; j < B; ++j)
    if (pos[j] + neg[j] > 0)
      t.ratio_[j] = static_cast<float>(std::log(((o.alpha + pos[j]) / psum) / ((o.alpha + neg[j]) / qsum)));
  pos = {};
  neg = {};

  // SGD on mean log-loss + λ/2 |w|², w = scale · v (the L2 shrink is one multiplication);
  // step η_t = η0 / (1 + λ η0 t) with η0 from the mean squared feature norm.
  double sq = 0;
  for (const auto& f : x)
    for (uint32_t j : f) sq += static_cast<double>(t.ratio_[j]) * t.ratio_[j];
  const double eta0 = 0.5 / std::max(1.0, sq / static_cast<double>(x.size()));
  std::vector<float> v(B, 0.f);
  double scale = 1;
  std::vector<size_t> order(x.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(o.seed);
  int64_t step = 0;
  for (int e = 0; e < o.epochs; ++e) {
    std::shuffle(order.begin(), order.end(), rng);
    for (size_t i : order) {
      const double eta = eta0 / (1 + o.l2 * eta0 * static_cast<double>(step++));
      double margin = 0;
      for (uint32_t j : x[i]) margin += static_cast<double>(v[j]) * t.ratio_[j];
      margin *= scale;
      const double y = labels[i] ? 1.0 : -1.0;
      const double g = -y * sigmoid(-y * margin);  // d(log-loss)/d(margin)
      scale *= 1 - eta * o.l2;
      for (uint32_t j : x[i]) v[j] -= static_cast<float>(eta * g * t.ratio_[j] / scale);
      if (scale < 1e-6) {
        for (float& w : v) w = static_cast<float>(w * scale);
        scale = 1;
      }
    }
  }
  t.weight_.resize(B);
  for (size_t j = 0; j < B; ++j) t.weight_[j] = static_cast<float>(v[j] * scale);
  return t;
}

double NgramTeacher::raw_logit(std::string_view text) const {
  double z = 0;
  for (uint32_t j : features(text, max_n_, hash_bits_)) z += static_cast<double>(weight_[j]) * ratio_[j];
  return z;
}

double NgramTeacher::logit(std::string_view text) const { return platt_(raw_logit(text)); }

namespace {
// The summed log-loss of sigmoid(offset + a z + b), computed without overflow.
double platt_loss(const Platt& p, const std::vector<double>& z, const std::vector<int>& y,
                  const std::vector<double>& offset) {
  double loss = 0;
  for (size_t i = 0; i < z.size(); ++i) {
    const double m = (y[i] ? -1.0 : 1.0) * ((offset.empty() ? 0.0 : offset[i]) + p(z[i]));  // log(1 + e^m)
    loss += m > 0 ? m + std::log1p(std::exp(-m)) : std::log1p(std::exp(m));
  }
  return loss;
}
}  // namespace

Platt fit_platt(const std::vector<double>& z, const std::vector<int>& y, const std::vector<double>& offset) {
  if (!offset.empty() && offset.size() != z.size()) fail(ErrorCode::kInvalidArgument, "fit_platt: one offset per score");
  Platt p;
  double loss = platt_loss(p, z, y, offset);
  for (int it = 0; it < 100; ++it) {
    // Gradient and Hessian of the summed log-loss in (a, b).
    double ga = 0, gb = 0, haa = 0, hab = 0, hbb = 0;
    for (size_t i = 0; i < z.size(); ++i) {
      const double q = 1.0 / (1.0 + std::exp(-((offset.empty() ? 0.0 : offset[i]) + p(z[i])))),
                   r = q - (y[i] ? 1.0 : 0.0), w = q * (1 - q);
      ga += r * z[i];
      gb += r;
      haa += w * z[i] * z[i];
      hab += w * z[i];
      hbb += w;
    }
    haa += 1e-9;
    hbb += 1e-9;
    const double det = haa * hbb - hab * hab;
    if (!(det > 0)) break;
    const double da = (hbb * ga - hab * gb) / det, db = (haa * gb - hab * ga) / det;
    // Newton's step, halved until the loss goes down: a full step from confident, often wrong
    // scores (a teacher's log-odds on spans, say) lands where the Hessian vanishes and diverges.
    double step = 1;
    Platt next;
    double next_loss = loss;
    for (int halving = 0; halving < 40; ++halving, step /= 2) {
      next = {p.a - step * da, p.b - step * db};
      next_loss = platt_loss(next, z, y, offset);
      if (next_loss <= loss) break;
    }
    if (!(next_loss <= loss)) break;
    const bool converged = std::fabs(step * da) + std::fabs(step * db) < 1e-10;
    p = next;
    loss = next_loss;
    if (converged) break;
  }
  return p;
}

void NgramTeacher::calibrate(const std::vector<std::string_view>& texts, const std::vector<int>& labels) {
  std::vector<double> z(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) z[i] = raw_logit(texts[i]);
  platt_ = fit_platt(z, labels);
}

}  // namespace senti::train

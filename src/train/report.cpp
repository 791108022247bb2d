#include "train/report.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace senti::train {

namespace {
std::string esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '<') o += "&lt;";
    else if (c == '>') o += "&gt;";
    else if (c == '&') o += "&amp;";
    else if (c == '"') o += "&quot;";
    else o += c;
  }
  return o;
}

std::string num(double v, const char* fmt = "%.4g") {
  char b[64];
  std::snprintf(b, sizeof b, fmt, v);
  return b;
}

struct Series {
  std::string name, color;
  std::vector<std::pair<double, double>> points;
};

// A line chart with labelled axes, ticks at the extremes, and a legend below the plot (never
// over the curves).
std::string line_chart(const std::string& title, const std::string& xlabel, const std::string& ylabel,
                       const std::vector<Series>& series, bool zero_based = false, double fixed_min = NAN,
                       double fixed_max = NAN) {
  const double W = 520, L = 64, R = 16, T = 28, B = 40, plot_h = 260;
  const double H = plot_h + 8 + 16 * static_cast<double>(series.size());
  double x0 = 1e300, x1 = -1e300, y0 = 1e300, y1 = -1e300;
  for (const auto& s : series)
    for (auto [x, y] : s.points) {
      x0 = std::min(x0, x);
      x1 = std::max(x1, x);
      y0 = std::min(y0, y);
      y1 = std::max(y1, y);
    }
  if (x0 > x1) return "<p>" + esc(title) + ": no data</p>";
  if (zero_based) y0 = std::min(y0, 0.0);
  if (!std::isnan(fixed_min)) y0 = fixed_min;
  if (!std::isnan(fixed_max)) y1 = fixed_max;
  if (x1 == x0) x1 = x0 + 1;
  if (y1 == y0) y1 = y0 + 1;
  auto px = [&](double x) { return L + (x - x0) / (x1 - x0) * (W - L - R); };
  auto py = [&](double y) { return plot_h - B - (y - y0) / (y1 - y0) * (plot_h - T - B); };
  std::string s = "<svg viewBox=\"0 0 " + num(W) + " " + num(H) + "\" role=\"img\" aria-label=\"" + esc(title) + "\">";
  s += "<text x=\"" + num(L) + "\" y=\"18\" class=\"t\">" + esc(title) + "</text>";
  const double base = plot_h - B;
  s += "<line x1=\"" + num(L) + "\" y1=\"" + num(base) + "\" x2=\"" + num(W - R) + "\" y2=\"" + num(base) + "\" class=\"ax\"/>";
  s += "<line x1=\"" + num(L) + "\" y1=\"" + num(T) + "\" x2=\"" + num(L) + "\" y2=\"" + num(base) + "\" class=\"ax\"/>";
  for (double y : {y0, (y0 + y1) / 2, y1})
    s += "<text x=\"" + num(L - 4) + "\" y=\"" + num(py(y) + 4) + "\" text-anchor=\"end\">" + num(y, "%.3g") + "</text>";
  for (double x : {x0, x1})
    s += "<text x=\"" + num(px(x)) + "\" y=\"" + num(base + 16) + "\" text-anchor=\"middle\">" + num(x, "%.4g") + "</text>";
  s += "<text x=\"" + num((L + W - R) / 2) + "\" y=\"" + num(plot_h - 6) + "\" text-anchor=\"middle\">" + esc(xlabel) + "</text>";
  const double ymid = (T + base) / 2;
  s += "<text x=\"14\" y=\"" + num(ymid) + "\" text-anchor=\"middle\" transform=\"rotate(-90 14 " + num(ymid) + ")\">" +
       esc(ylabel) + "</text>";
  const double lx = L;
  int li = 0;
  for (const auto& se : series) {
    std::string pts;
    for (auto [x, y] : se.points) pts += num(px(x), "%.1f") + "," + num(py(y), "%.1f") + " ";
    s += "<polyline fill=\"none\" stroke=\"" + se.color + "\" stroke-width=\"2\" points=\"" + pts + "\"/>";
    if (se.points.size() <= 30)
      for (auto [x, y] : se.points)
        s += "<circle cx=\"" + num(px(x), "%.1f") + "\" cy=\"" + num(py(y), "%.1f") + "\" r=\"3\" fill=\"" + se.color + "\"/>";
    const double ly = plot_h + 4 + li * 16;
    s += "<rect x=\"" + num(lx) + "\" y=\"" + num(ly) + "\" width=\"10\" height=\"10\" fill=\"" + se.color + "\"/>";
    s += "<text x=\"" + num(lx + 14) + "\" y=\"" + num(ly + 9) + "\">" + esc(se.name) + "</text>";
    ++li;
  }
  return s + "</svg>";
}

std::string confusion_table(const Metrics& m, const std::vector<std::string>& labels) {
  int64_t mx = 1;
  for (const auto& r : m.confusion)
    for (int64_t v : r) mx = std::max(mx, v);
  std::string s = "<table class=\"cm\"><caption>Confusion matrix (rows: true label, columns: predicted)</caption><tr><th></th>";
  for (const auto& l : labels) s += "<th>" + esc(l) + "</th>";
  s += "</tr>";
  for (size_t i = 0; i < m.confusion.size(); ++i) {
    s += "<tr><th>" + esc(labels[i]) + "</th>";
    for (size_t j = 0; j < m.confusion[i].size(); ++j) {
      const double a = 0.1 + 0.8 * static_cast<double>(m.confusion[i][j]) / mx;
      s += "<td style=\"background:rgba(" + std::string(i == j ? "34,139,34" : "200,60,60") + "," + num(a, "%.2f") + ")\">" +
           std::to_string(m.confusion[i][j]) + "</td>";
    }
    s += "</tr>";
  }
  return s + "</table>";
}

std::string page_head(const std::string& title) {
  return "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
                  "content=\"width=device-width, initial-scale=1\"><title>" + esc(title) + "</title><style>"
                  "body{font:15px/1.5 system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
                  "svg{width:100%;max-width:540px;background:#fafafa;border:1px solid #ddd;margin:.5em}"
                  "svg text{font-size:11px;fill:#333}svg .t{font-size:13px;font-weight:600}.ax{stroke:#999}"
                  ".grid{display:flex;flex-wrap:wrap}table{border-collapse:collapse;margin:1em 0}"
                  "td,th{border:1px solid #ccc;padding:.3em .7em;text-align:right}caption{text-align:left;font-weight:600}"
                  ".cm td{min-width:5em;text-align:center}</style></head><body><h1>" + esc(title) + "</h1>";
}

// ROC curve and reliability diagram (accuracy against confidence per bin, with the diagonal).
std::string curves(const Metrics& m, const std::string& which) {
  std::string h;
  if (!m.roc.empty()) {
    Series roc{"ROC" + which, "#17becf", m.roc};
    Series diag{"chance", "#bbbbbb", {{0, 0}, {1, 1}}};
    h += line_chart("ROC curve", "false positive rate", "true positive rate", {roc, diag}, true, 0.0, 1.0);
  }
  if (!m.calibration.empty()) {
    Series rel{"accuracy per bin" + which, "#e377c2", {}};
    for (const auto& b : m.calibration) rel.points.push_back({b.confidence, b.accuracy});
    Series diag{"perfect calibration", "#bbbbbb", {{0.5, 0.5}, {1, 1}}};
    h += line_chart("Reliability diagram (ECE " + num(m.ece, "%.4f") + ")", "confidence (top probability)",
                    "accuracy", {rel, diag}, false, 0.0, 1.0);
  }
  return h;
}

std::string metrics_row(const Metrics& m) {
  return "<td>" + num(m.loss, "%.4f") + "</td><td>" + num(m.accuracy, "%.4f") + "</td><td>" + num(m.precision, "%.4f") +
         "</td><td>" + num(m.recall, "%.4f") + "</td><td>" + num(m.f1, "%.4f") + "</td><td>" +
         (m.roc.empty() ? "" : num(m.roc_auc, "%.4f")) + "</td><td>" + num(m.ece, "%.4f") + "</td>";
}

std::string settings_table(const std::vector<std::pair<std::string, std::string>>& settings) {
  std::string h = "<table><caption>Settings</caption>";
  for (const auto& [k, v] : settings) h += "<tr><th>" + esc(k) + "</th><td style=\"text-align:left\">" + esc(v) + "</td></tr>";
  return h + "</table>";
}
}  // namespace

std::string render_eval_report(const std::string& title, const std::vector<std::string>& labels, const Metrics& m,
                               const std::vector<std::pair<std::string, std::string>>& settings,
                               const std::vector<Mistake>& mistakes) {
  std::string h = page_head(title);
  h += "<p>Accuracy <b>" + num(100 * m.accuracy, "%.2f") + " %</b> on " + std::to_string(m.n) + " examples.</p>";
  h += "<table><tr><th>loss</th><th>accuracy</th><th>precision</th><th>recall</th><th>F1</th><th>ROC-AUC</th><th>ECE</th></tr><tr>" +
       metrics_row(m) + "</tr></table>";
  h += "<div class=\"grid\">" + curves(m, "") + "</div>";
  h += confusion_table(m, labels);
  h += "<table><caption>Calibration bins</caption><tr><th>mean confidence</th><th>accuracy</th><th>examples</th></tr>";
  for (const auto& b : m.calibration)
    h += "<tr><td>" + num(b.confidence, "%.4f") + "</td><td>" + num(b.accuracy, "%.4f") + "</td><td>" + std::to_string(b.count) + "</td></tr>";
  h += "</table>";
  if (!mistakes.empty()) {
    h += "<table class=\"wrong\"><caption>The " + std::to_string(mistakes.size()) +
         " most confident mistakes</caption><tr><th>#</th><th>true label</th><th>predicted</th><th>confidence</th>"
         "<th style=\"text-align:left\">text</th></tr>";
    for (size_t i = 0; i < mistakes.size(); ++i)
      h += "<tr><td>" + std::to_string(i + 1) + "</td><td>" + esc(mistakes[i].label) + "</td><td>" +
           esc(mistakes[i].predicted) + "</td><td>" + num(mistakes[i].confidence, "%.4f") +
           "</td><td style=\"text-align:left\">" + esc(mistakes[i].text) + "</td></tr>";
    h += "</table>";
  }
  h += settings_table(settings);
  return h + "</body></html>\n";
}

std::string render_report(const RunSummary& run) {
  std::string h = page_head(run.title);
  if (run.best_epoch >= 0 && run.best_epoch < static_cast<int>(run.epochs.size())) {
    const Metrics& b = run.epochs[run.best_epoch].validation;
    h += "<p>Best epoch: <b>" + std::to_string(run.epochs[run.best_epoch].epoch) + "</b> by " + esc(run.metric) +
         ". Validation accuracy <b>" + num(100 * b.accuracy, "%.2f") + " %</b>, F1 " + num(b.f1, "%.4f") +
         (b.roc.empty() ? "" : ", ROC-AUC " + num(b.roc_auc, "%.4f")) + ", ECE " + num(b.ece, "%.4f") + " (" +
         std::to_string(b.n) + " examples).</p>";
  }
  Series loss{"training loss", "#1f77b4", {}}, lr{"learning rate", "#ff7f0e", {}};
  // Smooth the loss over a window so the trend is readable at thousands of steps.
  const size_t win = std::max<size_t>(1, run.steps.size() / 100);
  for (size_t i = 0; i < run.steps.size(); i += win) {
    double sum = 0;
    size_t k = 0;
    for (; k < win && i + k < run.steps.size(); ++k) sum += run.steps[i + k].loss;
    loss.points.push_back({static_cast<double>(run.steps[i].step), sum / k});
    lr.points.push_back({static_cast<double>(run.steps[i].step), run.steps[i].lr});
  }
  Series acc{"accuracy", "#2ca02c", {}}, f1{"F1", "#9467bd", {}}, auc{"ROC-AUC", "#8c564b", {}}, vloss{"loss", "#d62728", {}};
  for (const auto& e : run.epochs) {
    acc.points.push_back({static_cast<double>(e.epoch), e.validation.accuracy});
    f1.points.push_back({static_cast<double>(e.epoch), e.validation.f1});
    if (!e.validation.roc.empty()) auc.points.push_back({static_cast<double>(e.epoch), e.validation.roc_auc});
    vloss.points.push_back({static_cast<double>(e.epoch), e.validation.loss});
  }
  h += "<div class=\"grid\">";
  h += line_chart("Training loss" + std::string(win > 1 ? " (mean of " + std::to_string(win) + " steps)" : ""), "step",
                  "loss", {loss});
  h += line_chart("Learning rate", "step", "learning rate", {lr}, true);
  // Per-epoch charts only when there is a trend to draw: one epoch is one point (the table below).
  if (run.epochs.size() >= 2) {
    std::vector<Series> vm = {acc, f1};
    if (!auc.points.empty()) vm.push_back(auc);
    h += line_chart("Validation metrics per epoch", "epoch", "metric", vm);
    h += line_chart("Validation loss per epoch", "epoch", "loss", {vloss});
  }
  if (run.best_epoch >= 0) h += curves(run.epochs[run.best_epoch].validation, " (best epoch)");
  h += "</div>";
  if (run.best_epoch >= 0) h += confusion_table(run.epochs[run.best_epoch].validation, run.labels);
  h += "<table><caption>Epochs</caption><tr><th>epoch</th><th>step</th><th>seconds</th><th>loss</th><th>accuracy</th>"
       "<th>precision</th><th>recall</th><th>F1</th><th>ROC-AUC</th><th>ECE</th></tr>";
  for (const auto& e : run.epochs) {
    h += "<tr><td>" + std::to_string(e.epoch) + "</td><td>" + std::to_string(e.step) + "</td><td>" + num(e.seconds, "%.0f") +
         "</td>" + metrics_row(e.validation) + "</tr>";
  }
  h += "</table>" + settings_table(run.settings);
  return h + "</body></html>\n";
}

}  // namespace senti::train

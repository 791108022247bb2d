// _senti: the compiled half of the Python package. Binds the same objects the CLI uses
// (Classifier, Explainer, the tokenizer) with the GIL released around native work, and turns
// senti::Error into Python exceptions (FileNotFoundError, ValueError, OSError, RuntimeError)
// with the same messages as the CLI. Argument shapes for people live in python/senti/*.py;
// this file only converts.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "model/truncation.h"
#include "senti/classifier.h"
#include "senti/explainer.h"
#include "serve/api.h"
#include "text/tokenizer.h"
#include "train/metrics.h"
#include "train/trainer.h"
#include "util/error.h"

namespace py = pybind11;
using namespace senti;

namespace {

std::string default_model_dir() {
  if (const char* env = std::getenv("SENTI_MODEL"); env && *env) return env;
  return SENTI_DEFAULT_MODEL_DIR;
}

std::string model_or_default(const std::string& dir) {
  if (!dir.empty()) return dir;
  const std::string d = default_model_dir();
  if (!std::filesystem::exists(d + "/config.json"))
    fail(ErrorCode::kNotFound, "no model given and no default model at " + d +
                                   ": pass model=\"path/to/folder\" (a Hugging Face DistilBERT folder) or set SENTI_MODEL");
  return d;
}

ReadOptions read_options(const std::string& truncation, size_t max_length, size_t head_tokens, size_t window,
                         size_t stride) {
  ReadOptions r;
  const auto t = model::parse_truncation(truncation);
  if (!t) fail(ErrorCode::kInvalidArgument, "truncation must be \"head\", \"tail\" or \"head+tail\", got \"" + truncation + "\"");
  r.truncation = *t;
  r.max_length = max_length;
  r.head_tokens = head_tokens;
  r.window = window;
  r.stride = stride;
  return r;
}

ScoreOptions score_options(int top_k, const std::string& function) {
  ScoreOptions s;
  s.top_k = top_k;
  if (function == "default") s.function = ScoreFunction::kDefault;
  else if (function == "softmax") s.function = ScoreFunction::kSoftmax;
  else if (function == "sigmoid") s.function = ScoreFunction::kSigmoid;
  else if (function == "none") s.function = ScoreFunction::kNone;
  else fail(ErrorCode::kInvalidArgument, "function_to_apply must be \"default\", \"softmax\", \"sigmoid\" or \"none\", got \"" + function + "\"");
  return s;
}

void check_texts(const std::vector<std::string>& texts) {
  for (size_t i = 0; i < texts.size(); ++i)
    if (texts[i].find_first_not_of(" \t\n\r\f\v") == std::string::npos)
      fail(ErrorCode::kInvalidArgument, "text " + std::to_string(i) + " is empty or only whitespace: there is nothing to classify");
}

// senti train's options from keyword arguments named as its flags (with underscores).
train::TrainOptions train_options(const py::dict& kw) {
  train::TrainOptions o;
  std::string freeze = "none";
  int64_t train_top = -1;
  for (const auto& [k, v] : kw) {
    const std::string key = py::cast<std::string>(k);
    try {
      if (key == "model") o.base_model = py::cast<std::string>(v);
      else if (key == "data") o.data = py::cast<std::string>(v);
      else if (key == "eval_data") o.eval_data = py::cast<std::string>(v);
      else if (key == "validation_fraction") o.validation_fraction = py::cast<double>(v);
      else if (key == "limit") o.limit = py::cast<size_t>(v);
      else if (key == "out") o.out_dir = py::cast<std::string>(v);
      else if (key == "epochs") o.epochs = py::cast<int>(v);
      else if (key == "batch_size") o.batch_size = py::cast<size_t>(v);
      else if (key == "grad_accum") o.grad_accum = py::cast<int>(v);
      else if (key == "max_length") o.max_length = py::cast<size_t>(v);
      else if (key == "truncation") {
        const auto t = model::parse_truncation(py::cast<std::string>(v));
        if (!t) fail(ErrorCode::kInvalidArgument, "truncation must be \"head\", \"tail\" or \"head+tail\"");
        o.truncation = *t;
      } else if (key == "lr") o.adam.lr = py::cast<double>(v);
      else if (key == "weight_decay") o.adam.weight_decay = py::cast<double>(v);
      else if (key == "warmup_ratio") o.warmup_ratio = py::cast<double>(v);
      else if (key == "max_grad_norm") o.max_grad_norm = py::cast<double>(v);
      else if (key == "freeze") freeze = py::cast<std::string>(v);
      else if (key == "train_top") train_top = py::cast<int64_t>(v);
      else if (key == "frozen_cache") o.cache_frozen = py::cast<bool>(v);
      else if (key == "cache_max_gb") o.cache_max_gb = py::cast<double>(v);
      else if (key == "early_stopping") o.early_stopping = py::cast<int>(v);
      else if (key == "metric") {
        const auto m = train::parse_metric(py::cast<std::string>(v));
        if (!m) fail(ErrorCode::kInvalidArgument, "metric must be accuracy, f1, precision, recall, roc_auc or loss");
        o.metric = *m;
      } else if (key == "seed") o.seed = py::cast<uint64_t>(v);
      else if (key == "save_steps") o.save_steps = py::cast<int64_t>(v);
      else if (key == "max_steps") o.max_steps = py::cast<int64_t>(v);
      else if (key == "max_time") o.max_seconds = py::cast<double>(v);
      else if (key == "bf16") o.bf16 = py::cast<bool>(v);
      else if (key == "resume") o.resume = py::cast<bool>(v);
      else if (key == "overwrite") o.overwrite = py::cast<bool>(v);
      else if (key == "labels") o.labels = py::cast<std::vector<std::string>>(v);
      else if (key == "threads") o.threads = py::cast<int>(v);
      else if (key == "skip_bad_rows") o.bad_rows = py::cast<bool>(v) ? data::BadRows::kSkip : data::BadRows::kFail;
      else if (key == "progress") o.progress = py::cast<bool>(v);
      else
        fail(ErrorCode::kInvalidArgument,
             "train() got an unexpected option '" + key + "' (the options are senti train's flags with underscores: "
             "model, data, out, eval_data, epochs, batch_size, lr, max_length, truncation, freeze, train_top, ...)");
    } catch (const py::cast_error&) {
      fail(ErrorCode::kInvalidArgument, "train(): option '" + key + "' has the wrong type");
    }
  }
  const auto f = train::parse_freeze_spec(freeze);
  if (!f) fail(ErrorCode::kInvalidArgument, "freeze '" + freeze + "' is not none, all, embeddings, a layer or a range of layers");
  o.freeze = *f;
  o.freeze.train_top = train_top;
  return o;
}

// senti::Error as Python exceptions: FileNotFoundError, ValueError, OSError, RuntimeError, by code.
void bind_errors() {
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Error& e) {
      switch (e.code()) {
        case ErrorCode::kNotFound: PyErr_SetString(PyExc_FileNotFoundError, e.what()); break;
        case ErrorCode::kInvalidArgument:
        case ErrorCode::kParse:
        case ErrorCode::kUnsupported: PyErr_SetString(PyExc_ValueError, e.what()); break;
        case ErrorCode::kIo: PyErr_SetString(PyExc_OSError, e.what()); break;
        default: PyErr_SetString(PyExc_RuntimeError, e.what());
      }
    }
  });
}

// default_model_dir, train and evaluate.
void bind_functions(py::module_& m) {
  m.def("default_model_dir", &default_model_dir, "$SENTI_MODEL, else the model senti ships (models/default)");
  m.def(
      "train",
      [](const py::dict& kw) {
        const train::TrainOptions o = train_options(kw);
        py::gil_scoped_release release;
        return train::train(o).to_json();
      },
      "senti train with its flags as a dict; returns the result as JSON text");
  m.def(
      "evaluate",
      [](const std::string& model, const std::string& data, const std::string& truncation, size_t max_length,
         size_t head_tokens, size_t window, size_t stride, size_t batch_size, int threads, bool skip_bad_rows,
         bool progress, const std::string& report) {
        const std::string dir = model_or_default(model);
        const ReadOptions r = read_options(truncation, max_length, head_tokens, window, stride);
        py::gil_scoped_release release;
        return train::evaluate(dir, data, r, batch_size, {.threads = threads},
                               skip_bad_rows ? data::BadRows::kSkip : data::BadRows::kFail, progress, report)
            .to_json();
      },
      py::arg("model"), py::arg("data"), py::arg("truncation") = "head+tail", py::arg("max_length") = 0,
      py::arg("head_tokens") = 0, py::arg("window") = 0, py::arg("stride") = 0, py::arg("batch_size") = 32,
      py::arg("threads") = 0, py::arg("skip_bad_rows") = false, py::arg("progress") = false, py::arg("report") = "");
}

// Classifier: logits (NumPy), classify, info.
void bind_classifier(py::module_& m) {
  py::class_<Classifier>(m, "Classifier")
      .def(py::init([](const std::string& model, const std::string& dtype, int threads) {
             const std::string dir = model_or_default(model);
             py::gil_scoped_release release;
             return Classifier::load(dir, {.threads = threads, .dtype = dtype});
           }),
           py::arg("model") = "", py::arg("dtype") = "f32", py::arg("threads") = 0)
      .def_property_readonly("labels", [](const Classifier& c) { return c.info().labels; })
      .def_property_readonly("max_length", [](const Classifier& c) { return c.info().max_length; })
      .def_property_readonly("info", [](const Classifier& c) {
        const ModelInfo& i = c.info();
        py::dict d;
        d["path"] = i.path;
        d["labels"] = i.labels;
        d["max_length"] = i.max_length;
        d["dim"] = i.dim;
        d["layers"] = i.layers;
        d["heads"] = i.heads;
        d["vocab_size"] = i.vocab_size;
        d["parameters"] = i.parameters;
        d["dtype"] = i.weights_dtype;
        d["compute_dtype"] = i.compute_dtype;
        d["weight_bytes"] = i.weight_bytes;
        d["problem_type"] = i.problem_type;
        return d;
      })
      .def(
          "logits",
          [](const Classifier& c, const std::vector<std::string>& texts, const std::string& truncation, size_t max_length,
             size_t head_tokens, size_t window, size_t stride) {
            check_texts(texts);
            const ReadOptions r = read_options(truncation, max_length, head_tokens, window, stride);
            std::vector<std::vector<float>> lg;
            {
              py::gil_scoped_release release;
              std::vector<std::string_view> views(texts.begin(), texts.end());
              lg = c.logits(views, r);
            }
            const size_t L = c.info().labels.size();
            py::array_t<float> out({texts.size(), L});
            auto w = out.mutable_unchecked<2>();
            for (size_t i = 0; i < lg.size(); ++i)
              for (size_t l = 0; l < L; ++l) w(static_cast<py::ssize_t>(i), static_cast<py::ssize_t>(l)) = lg[i][l];
            return out;
          },
          py::arg("texts"), py::arg("truncation") = "head+tail", py::arg("max_length") = 0, py::arg("head_tokens") = 0,
          py::arg("window") = 0, py::arg("stride") = 0)
      .def(
          "classify",
          [](const Classifier& c, const std::vector<std::string>& texts, int top_k, const std::string& function,
             const std::string& truncation, size_t max_length, size_t head_tokens, size_t window, size_t stride) {
            check_texts(texts);
            const ClassifyOptions o(read_options(truncation, max_length, head_tokens, window, stride),
                                    score_options(top_k, function));
            std::vector<std::vector<LabelScore>> r;
            {
              py::gil_scoped_release release;
              std::vector<std::string_view> views(texts.begin(), texts.end());
              r = c.classify(views, o);
            }
            std::vector<std::vector<std::pair<std::string, double>>> out;
            for (const auto& one : r) {
              std::vector<std::pair<std::string, double>> v;
              for (const auto& ls : one) v.emplace_back(ls.label, static_cast<double>(ls.score));
              out.push_back(std::move(v));
            }
            return out;
          },
          py::arg("texts"), py::arg("top_k") = 1, py::arg("function_to_apply") = "default",
          py::arg("truncation") = "head+tail", py::arg("max_length") = 0, py::arg("head_tokens") = 0,
          py::arg("window") = 0, py::arg("stride") = 0);
}

// Explainer: explain_json (= senti explain --json).
void bind_explainer(py::module_& m) {
  py::class_<Explainer>(m, "Explainer")
      .def(py::init([](const std::string& model, int threads) {
             const std::string dir = model_or_default(model);
             py::gil_scoped_release release;
             return Explainer::load(dir, {.threads = threads});
           }),
           py::arg("model") = "", py::arg("threads") = 0)
      .def_property_readonly("labels", &Explainer::labels)
      .def(
          "explain_json",
          [](const Explainer& ex, const std::string& text, const std::string& method, int steps, double tolerance,
             int max_steps, const std::string& label, const std::string& truncation, size_t max_length, size_t head_tokens) {
            check_texts({text});
            ExplainOptions o;
            static_cast<ReadOptions&>(o) = read_options(truncation, max_length, head_tokens, 0, 0);
            const auto m = parse_explain_method(method);
            if (!m) fail(ErrorCode::kInvalidArgument, "method must be \"ig\", \"gxi\" or \"occlusion\", got \"" + method + "\"");
            o.method = *m;
            o.steps = steps;
            o.tolerance = tolerance;
            o.max_steps = max_steps;
            o.label = label;
            py::gil_scoped_release release;
            return serve::explanation_json(ex.explain(text, o));
          },
          py::arg("text"), py::arg("method") = "ig", py::arg("steps") = 32, py::arg("tolerance") = 0.02,
          py::arg("max_steps") = 256, py::arg("label") = "", py::arg("truncation") = "head+tail",
          py::arg("max_length") = 0, py::arg("head_tokens") = 0);
}

// Tokenizer: encode_batch with ids, tokens, offsets and masks.
void bind_tokenizer(py::module_& m) {
  py::class_<text::Tokenizer>(m, "Tokenizer")
      .def(py::init([](const std::string& path) {
             py::gil_scoped_release release;
             return std::make_unique<text::Tokenizer>(text::Tokenizer::from_path(path));
           }),
           py::arg("path"))
      .def_property_readonly("vocab_size", [](const text::Tokenizer& t) { return t.vocab().size(); })
      .def(
          "encode_batch",
          [](const text::Tokenizer& t, const std::vector<std::string>& texts, bool add_special_tokens, size_t max_length,
             const std::string& truncation) {
            text::EncodeOptions eo;
            eo.add_special_tokens = add_special_tokens;
            eo.truncation.max_length = max_length;
            const auto strategy = text::parse_truncation(truncation);
            if (!strategy) fail(ErrorCode::kInvalidArgument, "truncation must be \"head\", \"tail\" or \"head+tail\", got \"" + truncation + "\"");
            eo.truncation.strategy = *strategy;
            std::vector<text::Encoding> enc;
            {
              py::gil_scoped_release release;
              for (const auto& s : texts) enc.push_back(t.encode(s, eo));
            }
            py::list out;
            for (const auto& e : enc) {
              py::dict d;
              std::vector<std::string> tokens;
              for (int32_t id : e.ids) tokens.push_back(t.id_to_token(id));
              std::vector<std::pair<size_t, size_t>> offsets;
              for (const auto& o : e.offsets) offsets.emplace_back(o.first, o.second);
              d["ids"] = e.ids;
              d["tokens"] = tokens;
              d["offsets"] = offsets;
              d["type_ids"] = e.type_ids;
              d["attention_mask"] = std::vector<int>(e.attention_mask.begin(), e.attention_mask.end());
              d["special_tokens_mask"] = std::vector<int>(e.special_tokens_mask.begin(), e.special_tokens_mask.end());
              d["num_truncated"] = e.num_truncated;  // content tokens truncation dropped
              out.append(d);
            }
            return out;
          },
          py::arg("texts"), py::arg("add_special_tokens") = true, py::arg("max_length") = 0,
          py::arg("truncation") = "head");
}

}  // namespace

PYBIND11_MODULE(_senti, m) {
  m.doc() = "senti's native core (use the `senti` package, not this module)";
  bind_errors();
  bind_functions(m);
  bind_classifier(m);
  bind_explainer(m);
  bind_tokenizer(m);
}

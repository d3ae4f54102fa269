// The mapping between the typed training config and events and the ABI's JSON (rlab/train_json.h).
// Each key of the training core is spelled here and nowhere else on the way to the optimiser.
#include "rlab/train_json.h"

#include <climits>
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <utility>

namespace rlab::train {

using nlohmann::json;

namespace {

const char* const kConfig = "training config";
const char* const kEvent = "training event";
const std::string kEventWhat = kEvent;

// Each key of the training core, declared once: its name, its field and, for a word, the words
// allowed. `io` is a Writer (to JSON) or a Reader (from JSON, checking types and words).
template <typename Io>
void fields(Io& io, ModelConfig& m) {
  io("type", m.type, {"autoencoder", "classifier", "torchscript"});
  io("task", m.task, {"reconstruction", "classification"});
  io.sparse("channels", m.channels);  // sparse: written only when set
  io.sparse("hidden", m.hidden);
  io.sparse("file", m.file);
  io.sparse("where", m.where);
}

template <typename Io>
void fields(Io& io, OptimizerConfig& o) {
  io("name", o.name, {"adam", "adamw", "sgd", "layerwise-adam"});
  io("lr", o.lr);
  io("weight_decay", o.weight_decay);
  io("momentum", o.momentum);
  io("nesterov", o.nesterov);
  io("beta1", o.beta1);
  io("beta2", o.beta2);
  io("clip_grad_norm", o.clip_grad_norm);
}

template <typename Io>
void fields(Io& io, ScheduleConfig& s) {
  io("name", s.name, {"constant", "cosine", "step"});
  io("step_size", s.step_size);
  io("gamma", s.gamma);
  io("min_factor", s.min_factor);
  io("warmup_steps", s.warmup_steps);
}

template <typename Io>
void fields(Io& io, EarlyStoppingConfig& e) {
  io("metric", e.metric, {"val_loss", "val_accuracy", "val_mse", "val_psnr"});
  io("patience", e.patience);
  io("min_delta", e.min_delta);
  io("mode", e.mode, {"min", "max"});
}

template <typename Io>
void fields(Io& io, ChecksConfig& c) {
  io("no_progress_steps", c.no_progress_steps);
  io("exploding_grad_norm", c.exploding_grad_norm);
  io("vanishing_grad_norm", c.vanishing_grad_norm);
  io("overfit_gap", c.overfit_gap);
}

template <typename Io>
void fields(Io& io, NormalizeConfig& n) {
  io("mean", n.mean);
  io("std", n.std);
}

template <typename Io>
void fields(Io& io, DistributedConfig& d) {
  io("rank", d.rank);
  io("world_size", d.world_size);
  io("local_rank", d.local_rank);
  io("master_addr", d.master_addr);
  io("master_port", d.master_port);
  io("timeout_s", d.timeout_s);
}

template <typename Io>
void fields(Io& io, TrainConfig& c) {
  io.object("model", c.model);
  io.object("optimizer", c.optimizer);
  io.object("schedule", c.schedule);
  io.object("early_stopping", c.early_stopping);  // optional parts: null when absent
  io.object("checks", c.checks);
  io.object("normalize", c.normalize);
  io.object("distributed", c.distributed);
  io("device", c.device);
  io("amp", c.amp);
  io("threads", c.threads);
  io("seed", c.seed);
  io("diagnose", c.diagnose);
  io("batch_size", c.batch_size);
  io("max_steps", c.max_steps);
  io("minutes", c.minutes);
  io("log_every", c.log_every);
  io("eval_every", c.eval_every);
  io("checkpoint_every", c.checkpoint_every);
  io("stop_at_step", c.stop_at_step);
  io("run_dir", c.run_dir);
  io("resume", c.resume);
}

template <typename Io>
void fields(Io& io, ProgressEvent& e) {
  io("step", e.step);
  io("total", e.total);
  io("epoch", e.epoch);
  io("loss", e.loss);
  io("images_per_s", e.images_per_s);
  io("eta_s", e.eta_s);
}

template <typename Io>
void fields(Io& io, MetricsEvent& e) {
  io("step", e.step);
  io("epoch", e.epoch);
  io("lr", e.lr);
  io("train_loss", e.train_loss);
  io("grad_norm", e.grad_norm);
  io("images_per_s", e.images_per_s);
  io("data_share", e.data_share);
  io("time_s", e.time_s);
  io.evaluation("val_", e.evaluation);  // val_loss, val_accuracy, val_mse, val_psnr
  io.layers("layers", e.layers);
}

template <typename Io>
void fields(Io& io, WarningEvent& e) {
  io("code", e.code);
  io("step", e.step);
  io("message", e.message);
  io("causes", e.causes);
  io("try", e.tries);
}

template <typename Io>
void fields(Io& io, LogEvent& e) {
  io("message", e.message);
}

template <typename Io>
void fields(Io& io, ResumedEvent& e) {
  io("step", e.step);
}

// The names of TrainEvent's alternatives, in order.
const char* const kEventTypes[] = {"progress", "metrics", "warning", "log", "resumed"};

template <typename S>
S read_struct(const json& j, const std::string& what, const std::string& path);

// Reads one JSON object member by member; finish() rejects the members nobody asked for.
class Reader {
 public:
  Reader(const json& j, std::string what, std::string path)
      : j_(j), what_(std::move(what)), path_(std::move(path)) {
    if (!j_.is_object()) {
      throw SchemaError(what_ + (path_.empty() ? "" : ": '" + path_ + "'") +
                        " must be an object, got " + j_.type_name());
    }
  }

  [[nodiscard]] std::string key(const std::string& k) const {
    return path_.empty() ? k : path_ + "." + k;
  }

  [[noreturn]] void bad(const std::string& k, const std::string& want, const json& v) const {
    throw SchemaError(what_ + ": '" + key(k) + "' must be " + want + ", got " +
                      (v.is_number() ? v.dump() : std::string(v.type_name())));
  }

  // The member `k`, or nullptr when absent (then the field keeps its default).
  const json* find(const std::string& k) {
    seen_.insert(k);
    const auto it = j_.find(k);
    return it == j_.end() ? nullptr : &*it;
  }

  void read(const std::string& k, double& v) {
    if (const json* x = find(k)) v = number(k, *x);
  }
  void read(const std::string& k, long long& v) {
    if (const json* x = find(k)) v = integer(k, *x, LLONG_MIN, LLONG_MAX);
  }
  void read(const std::string& k, int& v) {
    if (const json* x = find(k)) v = static_cast<int>(integer(k, *x, INT_MIN, INT_MAX));
  }
  void read(const std::string& k, std::uint64_t& v) {
    if (const json* x = find(k)) {
      if (x->is_number_unsigned()) {
        v = x->get<std::uint64_t>();
      } else {
        v = static_cast<std::uint64_t>(integer(k, *x, 0, LLONG_MAX));
      }
    }
  }
  void read(const std::string& k, bool& v) {
    if (const json* x = find(k)) {
      if (!x->is_boolean()) bad(k, "true or false", *x);
      v = x->get<bool>();
    }
  }
  void read(const std::string& k, std::string& v) {
    if (const json* x = find(k)) v = text(k, *x);
  }
  void read(const std::string& k, std::optional<double>& v) {
    if (const json* x = find(k)) {
      v = x->is_null() ? std::nullopt : std::optional<double>(number(k, *x));
    }
  }
  void read(const std::string& k, std::vector<int>& v) {
    if (const json* x = find(k)) {
      v.clear();
      for (const json& e : list(k, *x))
        v.push_back(static_cast<int>(integer(k, e, INT_MIN, INT_MAX)));
    }
  }
  void read(const std::string& k, std::vector<double>& v) {
    if (const json* x = find(k)) {
      v.clear();
      for (const json& e : list(k, *x)) v.push_back(number(k, e));
    }
  }
  void read(const std::string& k, std::vector<std::string>& v) {
    if (const json* x = find(k)) {
      v.clear();
      for (const json& e : list(k, *x)) v.push_back(text(k, e));
    }
  }
  void choice(const std::string& k, std::string& v, std::initializer_list<const char*> allowed) {
    read(k, v);
    std::string names;
    for (const char* a : allowed) {
      if (v == a) return;
      names += (names.empty() ? "" : ", ") + std::string(a);
    }
    throw SchemaError(what_ + ": '" + key(k) + "' is '" + v + "', must be one of " + names);
  }
  // The field interface of fields() below.
  template <typename T>
  void operator()(const std::string& k, T& v) {
    read(k, v);
  }
  void operator()(const std::string& k, std::string& v,
                  std::initializer_list<const char*> allowed) {
    choice(k, v, allowed);
  }
  template <typename T>
  void sparse(const std::string& k, T& v) {
    read(k, v);
  }
  template <typename S>
  void object(const std::string& k, S& s) {
    const json* x = find(k);
    if (x != nullptr && !x->is_null()) s = read_struct<S>(*x, what_, key(k));
  }
  template <typename S>
  void object(const std::string& k, std::optional<S>& s) {
    const json* x = find(k);
    s = x == nullptr || x->is_null() ? std::nullopt
                                     : std::optional<S>(read_struct<S>(*x, what_, key(k)));
  }
  void evaluation(const std::string& prefix, std::map<std::string, double>& values) {
    for (auto it = j_.begin(); it != j_.end(); ++it) {
      if (it.key().rfind(prefix, 0) == 0) values[it.key()] = number(it.key(), *find(it.key()));
    }
  }
  void layers(const std::string& k, std::optional<std::vector<LayerStats>>& v);

  // Events may carry nan and inf (a diverging loss, an exploding gradient), which JSON writes as
  // null: read back as nan. A config has no such values.
  double number(const std::string& k, const json& x) const {
    if (x.is_null() && what_ == kEventWhat) return std::nan("");
    if (!x.is_number()) bad(k, "a number", x);
    return x.get<double>();
  }

  void finish() const {
    for (auto it = j_.begin(); it != j_.end(); ++it) {
      if (seen_.count(it.key()) == 0)
        throw SchemaError(what_ + ": unknown key '" + key(it.key()) + "'");
    }
  }

 private:
  long long integer(const std::string& k, const json& x, long long lo, long long hi) const {
    if (!x.is_number_integer()) bad(k, "an integer", x);
    if (x.is_number_unsigned() && x.get<std::uint64_t>() > static_cast<std::uint64_t>(LLONG_MAX))
      bad(k, "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]", x);
    const long long v = x.get<long long>();
    if (v < lo || v > hi)
      bad(k, "an integer in [" + std::to_string(lo) + ", " + std::to_string(hi) + "]", x);
    return v;
  }
  std::string text(const std::string& k, const json& x) const {
    if (!x.is_string()) bad(k, "a string", x);
    return x.get<std::string>();
  }
  const json& list(const std::string& k, const json& x) const {
    if (!x.is_array()) bad(k, "a list", x);
    return x;
  }

  const json& j_;
  std::string what_;
  std::string path_;
  std::set<std::string> seen_;
};

// A struct from the JSON object `j` found at `path`.
template <typename S>
S read_struct(const json& j, const std::string& what, const std::string& path) {
  Reader r(j, what, path);
  S s;
  fields(r, s);
  r.finish();
  return s;
}

// Writes the fields of a struct into a JSON object.
class Writer {
 public:
  json j = json::object();

  template <typename T>
  void operator()(const std::string& k, const T& v) {
    j[k] = v;
  }
  void operator()(const std::string& k, const std::string& v, std::initializer_list<const char*>) {
    j[k] = v;
  }
  template <typename T>
  void sparse(const std::string& k, const T& v) {
    if (!(v == T{})) j[k] = v;
  }
  template <typename S>
  void object(const std::string& k, const S& s) {
    j[k] = write(s);
  }
  template <typename S>
  void object(const std::string& k, const std::optional<S>& s) {
    j[k] = s ? write(*s) : json(nullptr);
  }
  void evaluation(const std::string& /*prefix*/, const std::map<std::string, double>& values) {
    for (const auto& [k, v] : values) j[k] = v;
  }
  void layers(const std::string& k, const std::optional<std::vector<LayerStats>>& v) {
    if (v) j[k] = to_json(*v);
  }

  template <typename S>
  static json write(const S& s) {
    Writer w;
    fields(w, const_cast<S&>(s));  // a Writer only reads the fields
    return w.j;
  }
};

// One layer of a metrics event: the gradient norm (absent for a TorchScript module's output)
// and, with diagnose, the activation statistics.
LayerStats layer_from(const json& j) {
  Reader r(j, kEvent, "layers[]");
  LayerStats l;
  r.read("layer", l.layer);
  if (const json* g = r.find("grad_norm")) l.grad_norm = r.number("grad_norm", *g);
  if (j.contains("act_mean")) {
    l.has_activations = true;
    r.read("act_mean", l.act_mean);
    r.read("act_std", l.act_std);
    r.read("act_min", l.act_min);
    r.read("act_max", l.act_max);
    r.read("dead_relu", l.dead_relu);
  }
  r.finish();
  return l;
}

void Reader::layers(const std::string& k, std::optional<std::vector<LayerStats>>& v) {
  const json* x = find(k);
  if (x == nullptr) return;
  if (!x->is_array()) bad(k, "a list", *x);
  v.emplace();
  for (const json& l : *x) v->push_back(layer_from(l));
}

template <typename E>
E read_event(Reader& r) {
  E e;
  fields(r, e);
  return e;
}

}  // namespace

json to_json(const ModelConfig& model) { return Writer::write(model); }

json to_json(const TrainConfig& config) { return Writer::write(config); }

TrainConfig config_from_json(const json& j) { return read_struct<TrainConfig>(j, kConfig, ""); }

json to_json(const std::vector<LayerStats>& layers) {
  json out = json::array();
  for (const LayerStats& l : layers) {
    json j = {{"layer", l.layer}};
    if (l.grad_norm) j["grad_norm"] = *l.grad_norm;
    if (l.has_activations) {
      j["act_mean"] = l.act_mean;
      j["act_std"] = l.act_std;
      j["act_min"] = l.act_min;
      j["act_max"] = l.act_max;
      j["dead_relu"] = l.dead_relu ? json(*l.dead_relu) : json(nullptr);
    }
    out.push_back(j);
  }
  return out;
}

json warning_json(const WarningEvent& warning) { return Writer::write(warning); }

json to_json(const TrainEvent& event) {
  json j = std::visit([](const auto& e) { return Writer::write(e); }, event);
  j["type"] = kEventTypes[event.index()];
  return j;
}

TrainEvent event_from_json(const json& j) {
  Reader r(j, kEvent, "");
  std::string type;
  r.choice("type", type, {"progress", "metrics", "warning", "log", "resumed"});
  TrainEvent out;
  if (type == "progress") {
    out = read_event<ProgressEvent>(r);
  } else if (type == "metrics") {
    out = read_event<MetricsEvent>(r);
  } else if (type == "warning") {
    out = read_event<WarningEvent>(r);
  } else if (type == "log") {
    out = read_event<LogEvent>(r);
  } else {
    out = read_event<ResumedEvent>(r);
  }
  r.finish();
  return out;
}

}  // namespace rlab::train

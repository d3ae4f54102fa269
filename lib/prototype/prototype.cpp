// Experiment records without libtorch: expectations, run ids, YAML, SVG curves, the lab's log
// template.
#include "rlab/prototype.h"

#include "rlab/chart.h"
#include "rlab/error.h"
#include "rlab/slurm.h"
#include "rlab/text.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <optional>

namespace rlab::prototype {

using nlohmann::json;

Expectation parse_expectation(const std::string& text, const std::string& where) {
  Expectation e;
  e.text = text;
  std::size_t i = 0;
  auto skip = [&] {
    while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])) != 0) ++i;
  };
  skip();
  const std::size_t start = i;
  while (i < text.size() &&
         (std::isalnum(static_cast<unsigned char>(text[i])) != 0 || text[i] == '_'))
    ++i;
  e.metric = text.substr(start, i - start);
  skip();
  for (const char* op : {">=", "<=", "==", ">", "<"}) {
    if (text.compare(i, std::char_traits<char>::length(op), op) == 0) {
      e.op = op;
      i += e.op.size();
      break;
    }
  }
  skip();
  const std::string rest = text.substr(i);
  char* end = nullptr;
  const double v = rest.empty() ? 0 : std::strtod(rest.c_str(), &end);
  bool ok = !e.metric.empty() && !e.op.empty() && !rest.empty() && end != nullptr;
  if (ok) {
    std::string tail(end);
    tail.erase(std::remove_if(tail.begin(), tail.end(),
                              [](unsigned char c) { return std::isspace(c) != 0; }),
               tail.end());
    ok = tail.empty() && std::isfinite(v);
  }
  if (!ok) {
    throw InputError(
        where + ": expected result '" + text +
        "' must be METRIC OP NUMBER, e.g. 'psnr>=20' or 'val_accuracy > 0.9' (OP: >= > <= < ==)");
  }
  e.value = v;
  return e;
}

std::string resolve_metric(const Expectation& e, const json& metrics) {
  for (const std::string& name : {e.metric, "test_" + e.metric, "val_" + e.metric}) {
    if (metrics.contains(name) && metrics[name].is_number()) return name;
  }
  return "";
}

bool expectation_met(const Expectation& e, double actual) {
  if (!std::isfinite(actual)) return false;
  if (e.op == ">=") return actual >= e.value;
  if (e.op == ">") return actual > e.value;
  if (e.op == "<=") return actual <= e.value;
  if (e.op == "<") return actual < e.value;
  return actual == e.value;
}

std::string next_run_id(const std::vector<std::string>& existing, const std::string& date) {
  const std::string prefix = "EXP-" + date + "-";
  int best = 0;
  for (const auto& name : existing) {
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string num = name.substr(prefix.size());
    if (num.empty() || num.size() > 6 || !std::all_of(num.begin(), num.end(), [](unsigned char c) {
          return std::isdigit(c) != 0;
        })) {
      continue;
    }
    best = std::max(best, std::atoi(num.c_str()));
  }
  char buf[16];
  std::snprintf(buf, sizeof buf, "%03d", best + 1);
  return prefix + buf;
}

namespace {

std::string scalar_yaml(const json& v) {
  if (v.is_string()) return v.dump();  // a JSON string is a valid YAML double-quoted scalar
  if (v.is_null()) return "null";
  if (v.is_number_float()) {
    const double d = v.get<double>();
    if (std::isnan(d)) return ".nan";
    if (std::isinf(d)) return d > 0 ? ".inf" : "-.inf";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.17g", d);
    std::string s = buf;
    if (s.find_first_of(".eE") == std::string::npos) s += ".0";
    return s;
  }
  return v.dump();
}

void yaml_into(const json& v, int indent, std::string& out) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  if (v.is_object()) {
    for (auto it = v.begin(); it != v.end(); ++it) {
      const json& c = it.value();
      out += pad + json(it.key()).dump() + ":";
      if ((c.is_object() || c.is_array()) && !c.empty()) {
        out += "\n";
        yaml_into(c, indent + 2, out);
      } else if (c.is_object()) {
        out += " {}\n";
      } else if (c.is_array()) {
        out += " []\n";
      } else {
        out += " " + scalar_yaml(c) + "\n";
      }
    }
  } else if (v.is_array()) {
    for (const json& c : v) {
      if ((c.is_object() || c.is_array()) && !c.empty()) {
        std::string inner;
        yaml_into(c, indent + 2, inner);
        // "- " replaces the first two spaces of the first line.
        out += pad + "- " + inner.substr(static_cast<std::size_t>(indent) + 2);
      } else {
        out += pad + "- " + (c.is_object() ? "{}" : c.is_array() ? "[]" : scalar_yaml(c)) + "\n";
      }
    }
  } else {
    out += pad + scalar_yaml(v) + "\n";
  }
}

std::string fmt(double v, int digits = 4) { return format_number(v, digits); }

}  // namespace

std::string to_yaml(const json& value) {
  std::string out;
  yaml_into(value, 0, out);
  return out;
}

std::string render_svg(const std::vector<json>& rows, const std::string& title,
                       const json& results) {
  const json metrics = results.is_object() ? results.value("metrics", json::object()) : json();
  double last_step = 0;
  for (const json& r : rows)
    if (r.contains("step") && r["step"].is_number())
      last_step = std::max(last_step, r["step"].get<double>());
  if (results.is_object() && results.contains("steps") && results["steps"].is_number())
    last_step = std::max(last_step, results["steps"].get<double>());
  auto final_value = [&](const std::string& key) -> std::optional<double> {
    if (!metrics.is_object() || !metrics.contains(key) || !metrics[key].is_number())
      return std::nullopt;
    return metrics[key].get<double>();
  };
  // The task metric: accuracy for classifiers, PSNR for reconstruction.
  std::string task;
  for (const char* m : {"accuracy", "psnr"}) {
    for (const json& r : rows)
      if (r.contains(std::string("val_") + m)) task = m;
    if (final_value(std::string("val_") + m) || final_value(std::string("test_") + m)) task = m;
    if (!task.empty()) break;
  }
  auto curve = [&](const std::string& name, const std::string& key, const std::string& color) {
    chart::Series s{name, {}, {}};
    s.color = color;
    for (const json& r : rows) {
      if (!r.contains("step") || !r["step"].is_number() || !r.contains(key) || !r[key].is_number())
        continue;
      s.x.push_back(r["step"].get<double>());
      s.y.push_back(r[key].get<double>());
    }
    return s;
  };
  auto final_point = [&](const std::string& name, const std::string& key,
                         const std::string& color) {
    chart::Series s{name, {}, {}};
    s.style = chart::Style::kPoints;
    s.color = color;
    if (const auto v = final_value(key)) {
      s.x.push_back(last_step);
      s.y.push_back(*v);
    }
    return s;
  };
  auto panel = [&](chart::Chart c) {
    c.x.title = "training step";
    c.x.integer = true;
    c.x.min = 0;
    if (last_step > 0) c.x.max = last_step;
    c.plot_width = 380;
    c.plot_height = 240;
    // Series without points stay out of the legend.
    c.series.erase(std::remove_if(c.series.begin(), c.series.end(),
                                  [](const chart::Series& s) { return s.x.empty(); }),
                   c.series.end());
    return c;
  };
  std::vector<chart::Chart> panels;
  chart::Chart loss;
  loss.title = "loss";
  loss.y.title = task == "psnr" ? "loss (mean squared error)" : "loss (cross-entropy)";
  loss.y.scale = chart::Scale::kAuto;
  loss.series = {curve("train loss", "train_loss", "#2563eb"),
                 curve("validation loss", "val_loss", "#ea580c"),
                 final_point("final validation loss", "val_loss", "#ea580c"),
                 final_point("test loss", "test_loss", "#111827")};
  loss.empty_note = "no loss recorded";
  panels.push_back(panel(loss));
  std::string final_line;
  if (!task.empty()) {
    chart::Chart m;
    const bool acc = task == "accuracy";
    m.title = acc ? "accuracy" : "PSNR";
    m.y.title = acc ? "accuracy (%)" : "PSNR (dB)";
    m.y.percent = acc;
    m.series = {curve("validation " + task, "val_" + task, "#16a34a"),
                final_point("final validation " + task, "val_" + task, "#16a34a"),
                final_point("test " + task, "test_" + task, "#111827")};
    if (const auto t = final_value("test_" + task)) {
      final_line = "test " + task + " " +
                   (acc ? format_fixed(100 * *t, 2) + " %" : format_fixed(*t, 2) + " dB");
      m.series.back().labels = {acc ? format_fixed(100 * *t, 1) + "%" : format_fixed(*t, 1)};
    }
    panels.push_back(panel(m));
  }
  if (const auto t = final_value("test_loss"))
    final_line += (final_line.empty() ? "test loss " : ", test loss ") + fmt(*t);
  if (!final_line.empty()) panels.front().notes.push_back("after training: " + final_line);
  return chart::render_grid(title, panels, 2);
}

namespace {

std::string str(const json& j, const char* key, const std::string& fallback = "") {
  if (!j.is_object() || !j.contains(key) || j[key].is_null()) return fallback;
  return j[key].is_string() ? j[key].get<std::string>() : j[key].dump();
}

std::string value_text(const json& v) {
  if (v.is_number_float()) return fmt(v.get<double>(), 5);
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

}  // namespace

std::string verdict(const json& rec) {
  const std::string status = str(rec, "status");
  if (status == "diverged")
    return "hypothesis not supported yet: training diverged (non-finite loss)";
  if (status == "interrupted") return "inconclusive: the run was interrupted; resume it";
  if (status == "failed") return "inconclusive: the run failed";
  const json& ex = rec.contains("expectation") ? rec["expectation"] : json();
  if (ex.is_object() && ex.contains("met")) {
    const std::string where = str(ex, "metric") + " = " + value_text(ex.value("actual", json()));
    if (ex["met"].is_boolean() && ex["met"].get<bool>()) {
      return "hypothesis feasible: expected " + str(ex, "text") + ", got " + where;
    }
    if (ex["met"].is_null())
      return "inconclusive: the run has no metric '" + str(ex, "text") + "' names";
    return "hypothesis not supported: expected " + str(ex, "text") + ", got " + where;
  }
  const json& res = rec.value("results", json::object());
  const json& m = res.value("metrics", json::object());
  bool no_progress = false;
  for (const auto& w : rec.value("warnings", json::array())) {
    if (str(w, "code") == "no_progress") no_progress = true;
  }
  if (res.contains("first_loss") && m.contains("train_loss") && !no_progress &&
      m["train_loss"].get<double>() < res["first_loss"].get<double>()) {
    return "hypothesis feasible: the training loss fell from " +
           fmt(res["first_loss"].get<double>()) + " to " + fmt(m["train_loss"].get<double>()) +
           " in " + str(res, "steps") + " steps";
  }
  return "hypothesis not supported as set up: the training loss did not decrease";
}

std::string record_markdown(const json& rec) {
  std::string s;
  const json& cfg = rec.value("config", json::object());
  const json& res = rec.value("results", json::object());
  s += "# " + str(rec, "id") +
       (rec.contains("name") && rec["name"].is_string() ? " — " + str(rec, "name") : "") + "\n\n";
  s += "- created: " + str(rec, "created") + "\n- status: " + str(rec, "status") + "\n";
  const std::string error = str(rec, "error");
  if (!error.empty()) s += "- error: " + error + "\n";
  s += "- conclusion: " + str(rec, "conclusion") + "\n\n";
  s += "## Goal\n\n" + str(rec, "hypothesis", "(no hypothesis given; use --hypothesis)") + "\n\n";
  s += "## Parameters\n\n| parameter | value |\n|---|---|\n";
  const json& model = cfg.value("model", json::object());
  const json& opt = cfg.value("optimizer", json::object());
  const json& data = rec.value("data", json::object());
  auto row = [&](const std::string& k, const std::string& v) {
    s += "| " + k + " | " + v + " |\n";
  };
  row("model", str(model, "type") +
                   (model.contains("channels") ? " channels " + model["channels"].dump() : "") +
                   (model.contains("file") ? " " + str(model, "file") : ""));
  row("data", str(data, "dataset") + " (" + str(data, "train") + " train / " +
                  str(data, "validation") + " validation / " + str(data, "test") + " test, " +
                  str(data, "shape") + ")");
  row("optimizer",
      str(opt, "name") + ", lr " + str(opt, "lr") + ", weight decay " + str(opt, "weight_decay") +
          (opt.value("clip_grad_norm", 0.0) > 0 ? ", clip " + str(opt, "clip_grad_norm") : ""));
  row("schedule", str(cfg.value("schedule", json::object()), "name"));
  row("batch size", str(cfg, "batch_size"));
  row("budget", str(res, "max_steps", "?") + " steps" +
                    (cfg.value("minutes", 0.0) > 0 ? ", " + str(cfg, "minutes") + " min" : ""));
  row("seed", str(cfg, "seed"));
  row("device", str(rec.value("environment", json::object()), "device"));
  s += "\n## Expected\n\n";
  const json& ex = rec.value("expectation", json());
  s += (ex.is_object() ? str(ex, "text")
                       : std::string("(no expected result given; use --expect \"psnr>=20\")")) +
       "\n\n";
  s += "## Actual\n\n| metric | value |\n|---|---|\n";
  const json metrics = res.value("metrics", json::object());
  for (const auto& [k, v] : metrics.items()) row(k, value_text(v));
  row("steps", str(res, "steps") + " (" + fmt(res.value("epochs", 0.0), 3) + " epochs)");
  row("throughput", fmt(res.value("images_per_s", 0.0), 4) + " images/s");
  row("wall time", fmt(res.value("wall_s", 0.0), 3) + " s");
  if (ex.is_object() && ex.contains("met")) {
    s += "\nExpectation " + str(ex, "text") + ": " +
         (ex["met"].is_boolean() ? (ex["met"].get<bool>() ? "met" : "not met")
                                 : std::string("metric not found")) +
         " (" + str(ex, "metric") + " = " + value_text(ex.value("actual", json())) + ").\n";
  }
  s += "\n## Failure analysis\n\n";
  const json& warnings = rec.value("warnings", json::array());
  if (!error.empty()) {
    s += "The run failed: " + error + "\n";
  } else if (warnings.empty()) {
    s += "No failure mode detected (checked: loss progress, non-finite loss, exploding and "
         "vanishing "
         "gradients, train/validation gap" +
         std::string(cfg.value("diagnose", false) ? ", dead ReLUs" : "") + ").\n";
  }
  for (const auto& w : warnings) {
    s += "- **" + str(w, "code") + "**: " + str(w, "message") + "\n";
    std::string causes, tries;
    for (const auto& c : w.value("causes", json::array()))
      causes += (causes.empty() ? "" : "; ") + c.get<std::string>();
    for (const auto& t : w.value("try", json::array()))
      tries += (tries.empty() ? "" : "; ") + t.get<std::string>();
    s += "  - likely causes: " + causes + "\n  - try: " + tries + "\n";
  }
  if (res.contains("layers") && res["layers"].is_array() && !res["layers"].empty()) {
    s += "\nLast diagnostics per layer:\n\n| layer | grad norm | act mean | act std | dead ReLU "
         "|\n|---|---|---|---|---|\n";
    for (const auto& l : res["layers"]) {
      s += "| " + str(l, "layer") + " | " + value_text(l.value("grad_norm", json())) + " | " +
           (l.contains("act_mean") ? value_text(l["act_mean"]) : "-") + " | " +
           (l.contains("act_std") ? value_text(l["act_std"]) : "-") + " | " +
           (l.contains("dead_relu") && !l["dead_relu"].is_null() ? value_text(l["dead_relu"])
                                                                 : "-") +
           " |\n";
    }
  }
  s += "\n## Next steps\n\n";
  for (const auto& n : rec.value("next_steps", json::array()))
    s += "- " + n.get<std::string>() + "\n";
  return s;
}

}  // namespace rlab::prototype

namespace rlab::prototype {

namespace {

// A whole number in [min, max] from an environment variable, or InputError "NAME=value: ...".
long long env_int(const std::string& name, const std::string& value, long long min, long long max,
                  const std::string& what) {
  const std::string where = name + "=" + (value.empty() ? "''" : value);
  if (value.empty() || value.size() > 18 ||
      !std::all_of(value.begin(), value.end(),
                   [](unsigned char c) { return std::isdigit(c) != 0; })) {
    throw InputError(where + ": must be " + what);
  }
  const long long v = std::stoll(value);
  if (v < min || v > max) throw InputError(where + ": must be " + what);
  return v;
}

}  // namespace

Distributed parse_distributed(const std::map<std::string, std::string>& env) {
  auto get = [&env](const char* k) -> const std::string* {
    const auto it = env.find(k);
    return it == env.end() ? nullptr : &it->second;
  };
  Distributed d;
  const std::string* world = get("WORLD_SIZE");
  const std::string* rank = get("RANK");
  if (world == nullptr) {
    if (rank != nullptr && *rank != "0") {
      throw InputError("RANK=" + *rank +
                       ": set without WORLD_SIZE (set both, as torchrun does, or neither)");
    }
    return d;
  }
  d.world_size = static_cast<int>(
      env_int("WORLD_SIZE", *world, 1, 65536, "a whole number from 1 to 65536 (the ranks)"));
  if (rank == nullptr) {
    if (d.world_size > 1) {
      throw InputError("WORLD_SIZE=" + *world + ": needs RANK (0.." +
                       std::to_string(d.world_size - 1) + ") for this process");
    }
  } else {
    d.rank =
        static_cast<int>(env_int("RANK", *rank, 0, d.world_size - 1,
                                 "a whole number from 0 to " + std::to_string(d.world_size - 1) +
                                     " (WORLD_SIZE=" + *world + ")"));
  }
  d.local_rank = d.rank;
  if (const std::string* local = get("LOCAL_RANK")) {
    d.local_rank = static_cast<int>(env_int("LOCAL_RANK", *local, 0, 65535, "a whole number >= 0"));
  }
  if (!d.active()) return d;
  const std::string* addr = get("MASTER_ADDR");
  const std::string* port = get("MASTER_PORT");
  if (addr == nullptr || addr->empty()) {
    throw InputError("WORLD_SIZE=" + *world +
                     ": needs MASTER_ADDR (the host of rank 0) and MASTER_PORT");
  }
  if (port == nullptr) {
    throw InputError("WORLD_SIZE=" + *world + ": needs MASTER_PORT (a free TCP port on " + *addr +
                     ")");
  }
  d.master_addr = *addr;
  d.master_port =
      static_cast<int>(env_int("MASTER_PORT", *port, 1, 65535, "a TCP port from 1 to 65535"));
  return d;
}

std::string compact_ranges(std::vector<long long> values) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  std::string out;
  for (std::size_t i = 0; i < values.size();) {
    std::size_t j = i;
    while (j + 1 < values.size() && values[j + 1] == values[j] + 1) ++j;
    if (!out.empty()) out += ",";
    out += std::to_string(values[i]);
    if (j > i) out += "-" + std::to_string(values[j]);
    i = j + 1;
  }
  return out;
}

std::string shell_quote(const std::string& word) {
  if (!word.empty() && std::all_of(word.begin(), word.end(), [](unsigned char c) {
        return std::isalnum(c) != 0 || std::strchr("@%+=:,./_-", c) != nullptr;
      })) {
    return word;
  }
  std::string q = "'";
  for (char c : word) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q += c;
    }
  }
  return q + "'";
}

std::string sbatch_script(const SbatchSpec& s) {
  if (s.seeds.empty()) throw InputError("slurm: no seeds to run (the array would be empty)");
  for (long long seed : s.seeds) {
    if (seed < 0) {
      throw InputError("slurm: seed " + std::to_string(seed) +
                       " cannot be a Slurm array index (must be >= 0)");
    }
  }
  const int tasks_per_node =
      s.ranks_per_node > 0 ? s.ranks_per_node : (s.gpus_per_node > 1 ? s.gpus_per_node : 1);
  const int world = s.nodes * tasks_per_node;
  std::string o = "#!/bin/bash\n";
  o += "# rlab prototype as a Slurm array job: one task per seed, run with --seed "
       "$SLURM_ARRAY_TASK_ID.\n";
  o += "# Submit with: sbatch THIS_FILE   (RLAB=/path/to/rlab overrides the binary)\n";
  o += sbatch_directives(
      {{"job-name", s.job_name},
       {"array", compact_ranges(s.seeds)},
       {"time", s.time},
       {"nodes", std::to_string(s.nodes)},
       {"ntasks-per-node", std::to_string(tasks_per_node)},
       {"cpus-per-task", std::to_string(s.cpus_per_task)},
       {"gres", s.gpus_per_node > 0 ? "gpu:" + std::to_string(s.gpus_per_node) : ""},
       {"mem", s.mem},
       {"partition", s.partition},
       {"account", s.account},
       {"qos", s.qos},
       {"output", s.output},
       {"chdir", s.workdir}},
      s.extra);
  o += "set -euo pipefail\n";
  for (const auto& line : s.setup) o += line + "\n";
  o += "export OMP_NUM_THREADS=\"${SLURM_CPUS_PER_TASK:-1}\"\n";
  o += "RLAB=\"${RLAB:-" + shell_quote(s.rlab) + "}\"\n";
  o += "ARGS=(";
  for (std::size_t i = 0; i < s.arguments.size(); ++i)
    o += (i > 0 ? " " : "") + shell_quote(s.arguments[i]);
  o += ")\n";
  if (world > 1) {
    o += "# Data-parallel: one rank per task (" + std::to_string(world) +
         " in all), torchrun's variables from Slurm's.\n";
    // sed reads every line: `head -n 1` would leave scontrol writing into a closed pipe, and
    // under pipefail its SIGPIPE (exit 141) would end the job on a multi-node allocation.
    o += "MASTER_ADDR=\"$(scontrol show hostnames \"$SLURM_JOB_NODELIST\" | sed -n 1p)\"\n";
    o += "export MASTER_ADDR\n";
    o += "export MASTER_PORT=$((20000 + SLURM_JOB_ID % 20000))\n";
    o += "export WORLD_SIZE=\"$SLURM_NTASKS\"\n";
    o += "srun --kill-on-bad-exit=1 bash -c 'export RANK=\"$SLURM_PROCID\" "
         "LOCAL_RANK=\"$SLURM_LOCALID\"; exec \"$0\" prototype \"$@\"' \\\n";
    o += "  \"$RLAB\" \"${ARGS[@]}\" --seed \"$SLURM_ARRAY_TASK_ID\"\n";
  } else {
    o += "exec \"$RLAB\" prototype \"${ARGS[@]}\" --seed \"$SLURM_ARRAY_TASK_ID\"\n";
  }
  return o;
}

}  // namespace rlab::prototype

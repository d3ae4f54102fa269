// `rlab bayesopt`: evaluating the objective at a batch of points (a builtin, a command per
// point with its placeholders, or a `rlab prototype` run per point).
#include "rlab/config.h"
#include "rlab/error.h"
#include "rlab/text.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <sstream>

#include "command_parts.h"
#include "process.h"
#include "slurm.h"

namespace rlab::bayesopt_cmd {

// Placeholders in an argv template: {name} for a parameter, {trial}, {config_dir}; "{{" and
// "}}" are literal braces. `names` empty = only collect errors.
std::string expand(const std::string& tmpl, const std::map<std::string, std::string>& values,
                   const std::string& where) {
  std::string out;
  for (std::size_t i = 0; i < tmpl.size(); ++i) {
    const char c = tmpl[i];
    if (c == '{' && i + 1 < tmpl.size() && tmpl[i + 1] == '{') {
      out += '{';
      ++i;
    } else if (c == '}' && i + 1 < tmpl.size() && tmpl[i + 1] == '}') {
      out += '}';
      ++i;
    } else if (c == '{') {
      const std::size_t close = tmpl.find('}', i);
      if (close == std::string::npos) throw InputError(where + ": unclosed '{' in '" + tmpl + "'");
      const std::string key = tmpl.substr(i + 1, close - i - 1);
      const auto it = values.find(key);
      if (it == values.end()) {
        std::vector<std::string> names;
        for (const auto& kv : values) names.push_back(kv.first);
        std::string list;
        for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
        throw InputError(where + ": unknown placeholder '{" + key + "}'" +
                         did_you_mean(key, names) + " (known: " + list + ")");
      }
      out += it->second;
      i = close;
    } else {
      out += c;
    }
  }
  return out;
}

namespace {

std::string shortest(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return {buf, r.ptr};
}

}  // namespace

std::map<std::string, std::string> placeholder_values(const bo::Space& space, const bo::Point& x,
                                                      long long trial, const Objective& obj) {
  std::map<std::string, std::string> v;
  for (std::size_t i = 0; i < space.dims.size(); ++i) {
    const bo::Dimension& d = space.dims[i];
    if (d.kind == bo::Dimension::Kind::kCategorical) {
      v[d.name] = d.categories[static_cast<std::size_t>(x[i])];
    } else if (d.kind == bo::Dimension::Kind::kInteger) {
      v[d.name] = std::to_string(static_cast<long long>(x[i]));
    } else {
      v[d.name] = shortest(x[i]);
    }
  }
  v["trial"] = std::to_string(trial);
  v["config_dir"] = obj.config_dir;
  return v;
}

namespace {

std::string tail_of(const std::string& out, const std::string& err) {
  std::string both = out;
  if (!err.empty()) both += (both.empty() || both.back() == '\n' ? "" : "\n") + err;
  if (both.size() > 500) both = "..." + both.substr(both.size() - 500);
  return both;
}

// The last number written on stdout ("loss=0.25" -> 0.25, "1e-3" -> 0.001).
std::optional<double> last_number(const std::string& s) {
  std::optional<double> found;
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    const bool starts =
        std::isdigit(static_cast<unsigned char>(c)) != 0 ||
        ((c == '-' || c == '+' || c == '.') && i + 1 < s.size() &&
         (std::isdigit(static_cast<unsigned char>(s[i + 1])) != 0 || s[i + 1] == '.'));
    const bool boundary = i == 0 || (std::isalnum(static_cast<unsigned char>(s[i - 1])) == 0 &&
                                     s[i - 1] != '.' && s[i - 1] != '_');
    if (starts && boundary) {
      const char* b = s.c_str() + i;
      char* e = nullptr;
      const double v = std::strtod(b, &e);
      if (e != b) {
        if (std::isfinite(v)) found = v;
        i += static_cast<std::size_t>(e - b);
        continue;
      }
    }
    ++i;
  }
  return found;
}

std::optional<double> json_value(const std::string& s, const std::string& key, std::string* why) {
  // The last line that is a JSON object holding `key` (or the whole output as one document).
  std::vector<std::string> docs;
  std::istringstream in(s);
  for (std::string line; std::getline(in, line);) docs.push_back(line);
  docs.push_back(s);
  for (auto it = docs.rbegin(); it != docs.rend(); ++it) {
    const json j = json::parse(*it, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains(key)) continue;
    if (!j[key].is_number()) {
      *why = "JSON key '" + key + "' is not a number: " + j[key].dump();
      return std::nullopt;
    }
    return j[key].get<double>();
  }
  *why = "printed no JSON object with key '" + key + "'";
  return std::nullopt;
}

// The last line of a child rlab's stderr that starts with "rlab: error: " (without it).
std::string child_error(const std::string& err) {
  std::string found;
  std::istringstream in(err);
  const std::string tag = "rlab: error: ";
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(tag, 0) == 0) found = line.substr(tag.size());
  }
  return found;
}

// One `rlab prototype` run per point, as child processes of this same binary (in parallel
// with --jobs, each with the timeout); the value is the metric in each run's record.yaml.
std::vector<Outcome> evaluate_prototype(const Job& job, const std::vector<bo::Point>& xs) {
  const Objective& ob = job.objective;
  std::error_code ec;
  std::string self = std::filesystem::read_symlink("/proc/self/exe", ec).string();
  if (ec || self.empty()) self = "rlab";
  std::vector<std::vector<std::string>> argvs;
  for (const bo::Point& x : xs) {
    std::vector<std::string> argv = {self, "--format", "json", "-q"};
    for (std::size_t i = 0; i < job.space.dims.size(); ++i) {
      const bo::Dimension& d = job.space.dims[i];
      std::string v;
      if (d.kind == bo::Dimension::Kind::kCategorical) {
        v = d.categories[static_cast<std::size_t>(x[i])];
      } else if (d.kind == bo::Dimension::Kind::kInteger) {
        v = std::to_string(static_cast<long long>(x[i]));
      } else {
        v = shortest(x[i]);
      }
      argv.insert(argv.end(), {"--set", "prototype." + d.name + "=" + v});
    }
    argv.insert(argv.end(), {"prototype", ob.proto_config});
    if (!ob.runs.empty()) argv.insert(argv.end(), {"--out", ob.runs});
    argv.insert(argv.end(), ob.proto_args.begin(), ob.proto_args.end());
    argvs.push_back(std::move(argv));
  }
  const auto results = bo::run_processes(argvs, ob.timeout_s);
  std::vector<Outcome> out(xs.size());
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const bo::ProcessResult& r = results[i];
    Outcome& o = out[i];
    o.seconds = r.seconds;
    if (!r.started) {
      throw EnvironmentError(ob.argv_where[0] + ": cannot start '" + self +
                             " prototype': " + r.start_error);
    }
    o.tail = tail_of(r.out, r.err);
    const std::string why = child_error(r.err);
    if (r.timed_out) {
      o.error = "timed out after " + format_number(ob.timeout_s, 6) + " s";
      continue;
    }
    if (r.signal != 0) {
      o.error = std::string("killed by signal ") + std::to_string(r.signal) + " (" +
                strsignal(r.signal) + ")";
      continue;
    }
    if (r.exit_code == 2) {  // the --set paths or the extra flags: the same for every trial
      InputError e(ob.argv_where[0] + ": rlab prototype rejects the trial's arguments: " + why);
      e.add_note(
          "each space name is a dotted key of the prototype config section (e.g. "
          "optimizer.lr, batch_size, model.channels.1)");
      throw e;
    }
    if (r.exit_code == 4) {  // training core missing, CUDA absent, run folder not writable
      throw EnvironmentError(ob.argv_where[0] + ": rlab prototype cannot run: " + why);
    }
    if (r.exit_code == 3 && why.find("unknown key") != std::string::npos) {
      // A space name that is no key of the prototype section: no trial can succeed.
      InputError e(ob.argv_where[0] + ": rlab prototype rejects the trial's config: " + why);
      e.add_note(
          "each space name is a dotted key of the prototype config section (e.g. "
          "optimizer.lr, batch_size, model.channels.1)");
      throw e;
    }
    if (r.exit_code != 0 && r.exit_code != 1) {  // 3: this point makes an invalid config
      o.error = "rlab prototype exited with status " + std::to_string(r.exit_code) +
                (why.empty() ? std::string() : ": " + why);
      continue;
    }
    // 0, or 1 (an `expect` not met, or a diverged loss): the record tells which.
    const json res = json::parse(r.out, nullptr, false);
    if (res.is_discarded() || !res.is_object() || !res.contains("record") ||
        !res["record"].is_string()) {
      o.error = "rlab prototype printed no JSON result with a 'record'";
      continue;
    }
    const std::string record = res["record"].get<std::string>();
    o.run = res.value("run_dir", std::filesystem::path(record).parent_path().string());
    try {
      const ConfigNode rec = load_config_file(record);
      const std::string status = rec.get("status", std::string("?"));
      if (status != "completed" && status != "early_stopped" && status != "time_budget") {
        o.error = "the run ended with status '" + status + "' (" + record + ")";
        continue;
      }
      const ConfigNode metrics = rec["results"]["metrics"];
      if (!metrics.is_map() || !metrics.has(ob.metric)) {
        std::string names;
        if (metrics.is_map()) {
          for (const auto& k : metrics.keys()) names += (names.empty() ? "" : ", ") + k;
        }
        o.error = "the run's record has no metric '" + ob.metric + "' (it has: " + names + ")";
        continue;
      }
      o.value = metrics[ob.metric].as_double();
      if (!std::isfinite(o.value)) {
        o.error = "metric '" + ob.metric + "' is not finite";
        continue;
      }
      o.ok = true;
      o.tail.clear();
    } catch (const Error& e) {
      o.error = std::string("cannot read the run's record: ") + e.what();
    }
  }
  return out;
}

}  // namespace

std::vector<Outcome> evaluate(const Job& job, const std::vector<bo::Point>& xs,
                              long long first_trial) {
  if (job.objective.type == "prototype") return evaluate_prototype(job, xs);
  std::vector<Outcome> out(xs.size());
  if (job.objective.type == "builtin") {
    for (std::size_t i = 0; i < xs.size(); ++i) {
      const auto t0 = Clock::now();
      out[i].value = bo::builtin_value(job.objective.builtin, xs[i]);
      out[i].seconds = std::chrono::duration<double>(Clock::now() - t0).count();
      out[i].ok = true;
    }
    return out;
  }
  std::vector<std::vector<std::string>> argvs;
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const auto vals = placeholder_values(job.space, xs[i], first_trial + static_cast<long long>(i),
                                         job.objective);
    std::vector<std::string> argv;
    for (std::size_t k = 0; k < job.objective.argv.size(); ++k) {
      argv.push_back(expand(job.objective.argv[k], vals, job.objective.argv_where[k]));
    }
    argvs.push_back(std::move(argv));
  }
  const auto results = job.slurm
                           ? bo::run_slurm(argvs, *job.slurm, job.objective.timeout_s, first_trial)
                           : bo::run_processes(argvs, job.objective.timeout_s);
  for (std::size_t i = 0; i < xs.size(); ++i) {
    const bo::ProcessResult& r = results[i];
    Outcome& o = out[i];
    o.seconds = r.seconds;
    if (!r.started) {
      throw EnvironmentError(job.objective.argv_where[0] + ": objective command '" + argvs[i][0] +
                             "' cannot run: " + r.start_error);
    }
    o.tail = tail_of(r.out, r.err);
    if (r.timed_out) {
      o.error = "timed out after " + format_number(job.objective.timeout_s, 6) + " s";
    } else if (r.signal != 0) {
      o.error = std::string("killed by signal ") + std::to_string(r.signal) + " (" +
                strsignal(r.signal) + ")";
    } else if (r.exit_code == 127 && r.out.empty()) {
      throw EnvironmentError(job.objective.argv_where[0] + ": objective command '" + argvs[i][0] +
                             "' cannot run (exit 127): " + tail_of("", r.err));
    } else if (r.exit_code != 0) {
      o.error = "exited with status " + std::to_string(r.exit_code);
    } else if (job.objective.json_key.empty()) {
      const auto v = last_number(r.out);
      if (v) {
        o.ok = true;
        o.value = *v;
      } else {
        o.error = "printed no number on stdout";
      }
    } else {
      std::string why;
      const auto v = json_value(r.out, job.objective.json_key, &why);
      if (v) {
        o.ok = true;
        o.value = *v;
      } else {
        o.error = why;
      }
    }
    if (o.ok) o.tail.clear();
  }
  return out;
}

}  // namespace rlab::bayesopt_cmd

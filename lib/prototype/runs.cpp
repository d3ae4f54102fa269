// Run folders and their records: ids, record.yaml, metrics.jsonl, the environment.
#include "rlab/environment.h"
#include "rlab/files.h"
#include "rlab/text.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>

#include "command_parts.h"

namespace rlab::prototype {

std::vector<std::string> list_names(const std::string& dir) {
  std::vector<std::string> names;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (const dirent* e = ::readdir(d)) {
      const std::string n = e->d_name;
      if (n != "." && n != "..") names.push_back(n);
    }
    ::closedir(d);
  }
  std::sort(names.begin(), names.end());
  return names;
}

namespace {

nlohmann::json node_to_json(const ConfigNode& n) {
  if (n.is_map()) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& k : n.keys()) j[k] = node_to_json(n[k]);
    return j;
  }
  if (n.is_sequence()) {
    nlohmann::json j = nlohmann::json::array();
    for (std::size_t i = 0; i < n.size(); ++i) j.push_back(node_to_json(n.at(i)));
    return j;
  }
  const std::string kind = n.kind();
  if (kind == "null") return nullptr;
  if (kind == "boolean") return n.as_bool();
  if (kind == "number") {
    const std::string text = n.as_string();
    if (text.find_first_of(".eEn") == std::string::npos) return n.as_int();
    return n.as_double();
  }
  return n.as_string();
}

}  // namespace

nlohmann::json read_record(const std::string& dir) {
  const std::string path = dir + "/record.yaml";
  if (!path_exists(path)) throw InputError(dir + ": not a run folder (no record.yaml)");
  return node_to_json(load_config_file(path));
}

std::string format_metric(double v) { return format_number(v, 5); }

}  // namespace rlab::prototype

namespace rlab::prototype_cmd {

std::string utc_now(const char* format) {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, format, &tm);
  return buf;
}

// A new run folder EXP-YYYYMMDD-NNN under `out` (mkdir is the lock: two runs never share one).
std::pair<std::string, std::string> new_run_dir(const std::string& out) {
  make_dirs(out);
  const std::string date = utc_now("%Y%m%d");
  for (int attempt = 0; attempt < 1000; ++attempt) {
    const std::string id = prototype::next_run_id(list_names(out), date);
    const std::string dir = out + "/" + id;
    if (::mkdir(dir.c_str(), 0755) == 0) return {id, dir};
    if (errno != EEXIST)
      throw EnvironmentError(dir + ": cannot create run folder: " + std::strerror(errno));
  }
  throw EnvironmentError(out + ": cannot allocate a run id");
}

std::vector<json> read_metrics(const std::string& path) {
  std::vector<json> rows;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    const json j = json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.is_object()) rows.push_back(j);
  }
  return rows;
}

namespace {

std::string git_commit_of_cwd() {
  // The working directory's commit, when it is a git checkout (read from .git, no process).
  std::string dir = absolute_path(".");
  for (int up = 0; up < 32 && !dir.empty(); ++up) {
    const std::string head_path = dir + "/.git/HEAD";
    if (path_exists(head_path)) {
      std::ifstream in(head_path);
      std::string head;
      std::getline(in, head);
      if (head.rfind("ref: ", 0) == 0) {
        std::ifstream ref(dir + "/.git/" + head.substr(5));
        std::string sha;
        if (std::getline(ref, sha)) return sha;
        return "";
      }
      return head;
    }
    const auto slash = dir.rfind('/');
    if (slash == std::string::npos || slash == 0) break;
    dir = dir.substr(0, slash);
  }
  return "";
}

}  // namespace

// A string member, "" when absent or null.
std::string text_of(const json& j, const char* key) {
  return j.is_object() && j.contains(key) && j[key].is_string() ? j[key].get<std::string>() : "";
}

json make_analysis(const json& record) {
  json next = json::array();
  const std::string status = record.value("status", "");
  const std::string id = record.value("id", "");
  if (status == "interrupted")
    next.push_back("resume: rlab prototype --resume " + record.value("run_dir", "runs/" + id));
  for (const auto& w : record.value("warnings", json::array())) {
    const auto tries = w.value("try", json::array());
    if (!tries.empty()) next.push_back(w.value("code", "") + ": " + tries[0].get<std::string>());
  }
  const json ex = record.value("expectation", json());
  const bool met = ex.is_object() && ex.value("met", json()).is_boolean() && ex["met"].get<bool>();
  if (status == "completed" || status == "early_stopped" || status == "time_budget") {
    if (met || (!ex.is_object() && record.value("warnings", json::array()).empty())) {
      next.push_back("scale up: the full profile (--profile full) or more epochs on all the data");
      next.push_back("check that the result holds across seeds: rlab validate");
    } else {
      next.push_back("train longer (--epochs N) or tune the learning rate (rlab bayesopt)");
    }
  }
  return next;
}

nlohmann::json environment_json(const json& result, const std::string& device) {
  const Environment env = collect_environment();
  return {{"rlab_version", env.rlab_version},
          {"rlab_commit", env.git_commit},
          {"git_commit", git_commit_of_cwd()},
          {"compiler", env.compiler},
          {"libtorch", result.value("torch_version", "")},
          {"device", device},
          {"threads", result.value("threads", 0)},
          {"cpu", env.cpu_model},
          {"cpu_count", env.cpu_count},
          {"os", env.os},
          {"hostname", env.hostname}};
}

std::map<std::string, std::string> environment_map() {
  std::map<std::string, std::string> env;
  for (const char* k : {"RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"}) {
    if (const char* v = std::getenv(k)) env[k] = v;
  }
  return env;
}

}  // namespace rlab::prototype_cmd

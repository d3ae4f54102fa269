// `rlab exp`: list and show the experiment records `rlab prototype` writes
// (runs/<id>/record.yaml).
#include "rlab/commands.h"
#include "rlab/error.h"
#include "rlab/files.h"
#include "rlab/output.h"
#include "rlab/prototype.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <memory>
#include <string>
#include <vector>

namespace rlab {

namespace {

using nlohmann::json;
using prototype::format_metric;
using prototype::list_names;
using prototype::read_record;

bool is_dir(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string find_run(const std::string& runs, const std::string& id) {
  if (is_dir(id) && path_exists(id + "/record.yaml")) return id;
  const std::string dir = runs + "/" + id;
  if (is_dir(dir)) return dir;
  std::vector<std::string> matches;
  for (const auto& n : list_names(runs)) {
    if (n.size() >= id.size() && n.compare(n.size() - id.size(), id.size(), id) == 0)
      matches.push_back(n);
  }
  if (matches.size() == 1) return runs + "/" + matches[0];
  InputError e("no run '" + id + "' in " + runs);
  if (matches.size() > 1)
    e.add_note("ambiguous: " + std::to_string(matches.size()) + " runs end with '" + id + "'");
  throw e;
}

std::string main_metric(const json& rec) {
  const json m = rec.value("results", json::object()).value("metrics", json::object());
  for (const char* k :
       {"test_accuracy", "val_accuracy", "test_psnr", "val_psnr", "val_loss", "train_loss"}) {
    if (m.contains(k) && m[k].is_number())
      return std::string(k) + " " + format_metric(m[k].get<double>());
  }
  return "-";
}

// The --runs folder must exist: a mistyped path is no empty list of runs.
void require_runs_folder(const std::string& runs) {
  if (is_dir(runs)) return;
  if (path_exists(runs)) throw InputError("--runs " + runs + ": not a folder");
  InputError e("--runs " + runs + ": no such folder");
  e.add_note("rlab prototype records each run in <folder>/<id>/record.yaml (--out, default runs)");
  throw e;
}

ExitCode run_exp(Context& ctx, const std::string& runs, const std::string& show_id, bool list) {
  if (list) require_runs_folder(runs);
  if (list) {
    require_format(ctx.options.format, {Format::kTable, Format::kJson, Format::kCsv, Format::kMd},
                   "exp list");
    json all = json::array();
    Table t;
    t.headers = {"id", "created", "status", "model", "data", "result", "expected", "hypothesis"};
    for (const auto& n : list_names(runs)) {
      const std::string dir = runs + "/" + n;
      if (!path_exists(dir + "/record.yaml")) continue;
      json rec;
      try {
        rec = read_record(dir);
        if (!rec.is_object()) {
          throw InputError(dir + "/record.yaml: a run record must be a map, got " +
                           std::string(rec.type_name()));
        }
      } catch (const Error& e) {
        ctx.log.warn(std::string(e.what()) + " (skipped)");
        continue;
      }
      for (const char* k : {"config", "results", "data"}) {
        if (rec.contains(k) && rec[k].is_null()) rec.erase(k);
      }
      // One row, built whole before it is added: a field of the wrong type skips the record.
      std::vector<std::string> row;
      json entry;
      try {
        const json ex = rec.value("expectation", json());
        std::string expected = "-";
        if (ex.is_object()) {
          expected = ex.value("text", "") + (ex.contains("met") && ex["met"].is_boolean()
                                                 ? (ex["met"].get<bool>() ? " (met)" : " (not met)")
                                                 : "");
        }
        const json cfg = rec.value("config", json::object());
        row = {rec.value("id", n),
               rec.value("created", ""),
               rec.value("status", ""),
               cfg.value("model", json::object()).value("type", ""),
               rec.value("data", json::object()).value("dataset", ""),
               main_metric(rec),
               expected,
               rec.contains("hypothesis") && rec["hypothesis"].is_string()
                   ? rec["hypothesis"].get<std::string>()
                   : ""};
        entry = {
            {"id", rec.value("id", n)},
            {"dir", dir},
            {"created", rec.value("created", "")},
            {"status", rec.value("status", "")},
            {"hypothesis", rec.value("hypothesis", json())},
            {"expectation", ex},
            {"metrics", rec.value("results", json::object()).value("metrics", json::object())}};
        if (rec.contains("error")) entry["error"] = rec["error"];
      } catch (const json::exception&) {
        ctx.log.warn(dir + "/record.yaml: a field has the wrong type (not a record rlab wrote; " +
                     "skipped)");
        continue;
      }
      t.rows.push_back(std::move(row));
      all.push_back(std::move(entry));
    }
    if (ctx.options.format == Format::kJson) {
      ctx.out << json{{"runs", all}}.dump(2) << "\n";
    } else {
      ctx.out << render(t, ctx.options.format);
    }
    return ExitCode::kSuccess;
  }
  require_format(ctx.options.format, {Format::kTable, Format::kJson, Format::kMd}, "exp show");
  const std::string dir = find_run(runs, show_id);
  const json rec = read_record(dir);
  if (ctx.options.format == Format::kJson) {
    ctx.out << rec.dump(2) << "\n";
  } else {
    std::string text;
    try {
      if (rec.is_object()) text = prototype::record_markdown(rec);
    } catch (const json::exception&) {
      text.clear();
    }
    if (text.empty()) {
      throw InputError(dir + "/record.yaml: not a run record rlab can show (a field has the " +
                       "wrong type); rlab exp show --format json prints it as it is");
    }
    ctx.out << text;
  }
  return ExitCode::kSuccess;
}

}  // namespace

Command exp_command() {
  return {
      "exp", "list and show experiment records (runs/<id>/record.yaml)",
      [](CLI::App& app, Context& ctx) -> Runner {
        auto runs = std::make_shared<std::string>("runs");
        auto id = std::make_shared<std::string>();
        app.require_subcommand(1);
        CLI::App* list = app.add_subcommand("list", "one line per recorded run");
        list->add_option("--runs", *runs, "Folder of run records (default runs)")->type_name("DIR");
        CLI::App* show = app.add_subcommand("show", "a run's record in the lab's log template");
        show->add_option("id", *id, "Run id (EXP-YYYYMMDD-NNN, a unique suffix, or a folder)")
            ->required();
        show->add_option("--runs", *runs, "Folder of run records (default runs)")->type_name("DIR");
        return [runs, id, list, &ctx]() { return run_exp(ctx, *runs, *id, list->parsed()); };
      }};
}

}  // namespace rlab

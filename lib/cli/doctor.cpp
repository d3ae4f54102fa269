// `rlab doctor`: the environment a run would record. The only non-training command that loads
// the training core, to report libtorch and CUDA.
#include "rlab/commands.h"
#include "rlab/environment.h"
#include "rlab/error.h"
#include "rlab/train.h"

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <optional>

namespace rlab {

namespace {

ExitCode run_doctor(Context& ctx, bool no_train) {
  require_format(ctx.options.format, {Format::kTable, Format::kJson, Format::kCsv, Format::kMd},
                 "doctor");
  const Environment env = collect_environment();
  std::optional<train::CoreInfo> core;
  std::string core_error;
  if (!no_train) {
    try {
      core = train::core_info();
    } catch (const Error& e) {
      core_error = e.what();
      for (const auto& n : e.notes()) core_error += "; " + n;
    }
  }
  std::string devices;
  if (core) {
    for (const auto& d : core->devices) devices += (devices.empty() ? "" : ", ") + d;
  }
  if (ctx.options.format == Format::kJson) {
    nlohmann::json j = {{"rlab",
                         {{"version", env.rlab_version},
                          {"git_commit", env.git_commit},
                          {"compiler", env.compiler}}},
                        {"os", env.os},
                        {"kernel", env.kernel},
                        {"arch", env.arch},
                        {"cpu", {{"model", env.cpu_model}, {"count", env.cpu_count}}},
                        {"memory_mb", env.memory_mb},
                        {"hostname", env.hostname}};
    if (core) {
      j["libtorch"] = {{"version", core->torch_version},
                       {"plugin", core->plugin_path},
                       {"cuda_built", core->cuda_built},
                       {"cuda_devices", core->devices},
                       {"device", std::string(core->cuda_device_count > 0 ? "cuda" : "cpu")}};
    } else {
      j["libtorch"] = nullptr;
      if (!core_error.empty()) j["libtorch_error"] = core_error;
    }
    ctx.out << j.dump(2) << '\n';
  } else {
    Table t;
    t.headers = {"item", "value"};
    t.rows = {{"rlab", env.rlab_version},
              {"git commit", env.git_commit},
              {"compiler", env.compiler},
              {"os", env.os},
              {"kernel", env.kernel + " " + env.arch},
              {"cpu", env.cpu_model + " (" + std::to_string(env.cpu_count) + " logical)"},
              {"memory", std::to_string(env.memory_mb) + " MiB"},
              {"hostname", env.hostname}};
    if (core) {
      t.rows.push_back({"libtorch", core->torch_version});
      t.rows.push_back({"training core", core->plugin_path});
      t.rows.push_back(
          {"cuda", std::string(core->cuda_built ? "built in" : "not built in (cpu only)")});
      t.rows.push_back({"devices", core->cuda_device_count > 0 ? devices : std::string("cpu")});
    } else if (no_train) {
      t.rows.push_back({"libtorch", "not checked (--no-train)"});
    } else {
      t.rows.push_back({"libtorch", "unavailable"});
    }
    ctx.out << render(t, ctx.options.format);
  }
  if (!core_error.empty()) {
    ctx.log.error(core_error);
    return ExitCode::kEnvironment;
  }
  return ExitCode::kSuccess;
}

}  // namespace

Command doctor_command() {
  return {"doctor", "print the environment a run records (compiler, OS, CPU, libtorch, CUDA)",
          [](CLI::App& sub, Context& ctx) -> Runner {
            auto no_train = std::make_shared<bool>(false);
            sub.add_flag("--no-train", *no_train, "Do not load the training core");
            sub.footer("Exit 4 when the training core cannot be loaded.");
            return [no_train, &ctx] { return run_doctor(ctx, *no_train); };
          }};
}

}  // namespace rlab

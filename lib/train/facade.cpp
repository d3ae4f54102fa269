// Loads the training core on demand (ARCHITECTURE.md §2): libtorch costs ~0.9 s and ~160 MB to
// load, so only commands that train pay for it.
#include "rlab/error.h"
#include "rlab/files.h"
#include "rlab/train.h"
#include "rlab/train_json.h"

#include <nlohmann/json.hpp>

#include <dlfcn.h>

#include <cstdlib>
#include <mutex>

#include "plugin_api.h"

namespace rlab::train {

namespace {

struct Loaded {
  const RlabTrainApi* api = nullptr;
  std::string path;
};

Loaded load_core() {
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("RLAB_TRAIN_CORE"); env != nullptr && *env != '\0') {
    candidates.emplace_back(env);
  } else {
    const std::string dir = executable_dir();
    candidates.push_back(dir + "/librlab_train_core.so");
    candidates.push_back(dir + "/../lib/rlab/librlab_train_core.so");
  }
  std::string tried;
  for (const auto& path : candidates) {
    void* handle = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) {
      const char* why = ::dlerror();
      tried += "\n  " + path + ": " + (why != nullptr ? why : "cannot load");
      continue;
    }
    using Entry = const RlabTrainApi* (*)();
    auto entry = reinterpret_cast<Entry>(::dlsym(handle, "rlab_train_api"));
    if (entry == nullptr) {
      tried += "\n  " + path + ": no rlab_train_api symbol";
      continue;
    }
    const RlabTrainApi* api = entry();
    if (api == nullptr || api->abi != kRlabTrainAbi) {
      tried += "\n  " + path + ": incompatible training core (abi " +
               std::to_string(api != nullptr ? api->abi : -1) + ", need " +
               std::to_string(kRlabTrainAbi) + ")";
      continue;
    }
    return {api, path};  // the handle stays open for the life of the process
  }
  EnvironmentError e("training core not available (set RLAB_TRAIN_CORE or rebuild with libtorch)");
  e.add_note("tried:" + tried);
  throw e;
}

std::mutex g_mutex;
Loaded g_loaded;  // guarded by g_mutex; set once

const Loaded& loaded() {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_loaded.api == nullptr) g_loaded = load_core();
  return g_loaded;
}

}  // namespace

CoreInfo core_info() {
  const Loaded& l = loaded();
  CoreInfo info;
  info.plugin_path = l.path;
  info.torch_version = l.api->torch_version();
  info.cuda_built = l.api->cuda_built() != 0;
  info.cuda_device_count = l.api->cuda_device_count();
  for (int i = 0; i < info.cuda_device_count; ++i) {
    info.devices.emplace_back(l.api->cuda_device_name(i));
  }
  return info;
}

namespace {

// What the core's event callback reaches: the adapter's function, and the first event the
// mapping could not read (nothing is thrown through the plugin's frames; run_training reports
// it when the core returns).
struct EventSink {
  const TrainEventFn* fn = nullptr;
  std::string bad_event;
};

void forward_event(void* user, const char* text) {
  auto* sink = static_cast<EventSink*>(user);
  if (sink == nullptr) return;
  TrainEvent event;
  try {
    event = event_from_json(nlohmann::json::parse(text));
  } catch (const std::exception& e) {
    if (sink->bad_event.empty()) sink->bad_event = std::string(e.what()) + ": " + text;
    return;
  }
  if (*sink->fn) (*sink->fn)(event);
}

RlabTrainSplit to_c(const TrainSplit& s) { return {s.images, s.labels, s.count}; }

}  // namespace

std::string run_training(const TrainConfig& config, const TrainData& data,
                         const TrainEventFn& on_event, const volatile int* cancel) {
  const std::string config_json = to_json(config).dump();
  const Loaded& l = loaded();
  RlabTrainData d{data.channels,    data.height,           data.width,     data.classes,
                  to_c(data.train), to_c(data.validation), to_c(data.test)};
  EventSink sink{&on_event, {}};
  RlabTrainCallbacks cb{&sink, forward_event, cancel};
  char* raw = l.api->train(config_json.c_str(), &d, &cb);
  if (raw == nullptr)
    throw Error("training core returned nothing (out of memory?)", ExitCode::kInternal);
  std::string text(raw);
  l.api->free_string(raw);
  const auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded()) throw Error("training core returned invalid JSON", ExitCode::kInternal);
  if (j.contains("error")) {
    const std::string kind = j["error"].value("kind", "internal");
    const std::string message = j["error"].value("message", "unknown error");
    if (kind == "input") throw InputError(message);
    if (kind == "environment") throw EnvironmentError(message);
    throw Error("training core: " + message, ExitCode::kInternal);
  }
  if (!sink.bad_event.empty())
    throw Error("training core sent an unreadable event: " + sink.bad_event, ExitCode::kInternal);
  return text;
}

bool core_loaded() {
  std::lock_guard<std::mutex> lock(g_mutex);
  return g_loaded.api != nullptr;
}

}  // namespace rlab::train

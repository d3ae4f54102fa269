// The dataset files of a run: synthetic, CIFAR-10 binary batches or IDX (Fashion-MNIST).
#include "rlab/files.h"

#include <algorithm>

#include "command_parts.h"

namespace rlab::prototype_cmd {

namespace {

std::string find_idx(const std::string& dir, const std::string& base, const std::string& where) {
  for (const std::string& name : {base + ".gz", base}) {
    if (path_exists(dir + "/" + name)) return dir + "/" + name;
  }
  throw InputError(where + ": '" + dir + "' has no " + base + "[.gz]");
}

}  // namespace

Loaded load_data(const DataConfig& d, const json& where) {
  Loaded l;
  const std::string& ds = d.dataset;
  const std::string w = where.value("data.path", where.value("data", std::string("data")));
  if (ds == "synthetic") {
    prototype::SyntheticSpec spec = d.synthetic;
    l.train = prototype::synthetic(spec);
    spec.samples = std::max<long long>(8, spec.samples / 4);
    spec.seed = spec.seed + 1;
    l.test = prototype::synthetic(spec);
    l.description = "synthetic";
    return l;
  }
  const std::string& path = d.path;
  if (!path.empty() && !path_exists(path)) {
    InputError e(w + ": dataset path '" + path + "' does not exist");
    if (ds == "fashion-mnist")
      e.add_note("install Debian's dataset-fashion-mnist (scripts/setup.sh does)");
    throw e;
  }
  if (ds == "cifar10") {
    if (!is_dir(path))
      throw InputError(w + ": '" + path + "' must be a directory with data_batch_*.bin");
    std::vector<std::pair<std::string, std::string>> files;
    for (int i = 1; i <= 5; ++i) {
      const std::string f = path + "/data_batch_" + std::to_string(i) + ".bin";
      if (path_exists(f)) files.emplace_back(f, read_file(f));
    }
    if (files.empty())
      throw InputError(w + ": '" + path + "' has no data_batch_*.bin (CIFAR-10 binary version)");
    l.train = prototype::parse_cifar10(files);
    const std::string t = path + "/test_batch.bin";
    if (path_exists(t)) l.test = prototype::parse_cifar10({{t, read_file(t)}});
    l.description = "cifar10 " + path;
    return l;
  }
  // IDX: explicit files, else the standard names in the directory.
  auto file_of = [&](const char* key, const std::string& base, bool required) -> std::string {
    const auto given = d.files.find(key);
    if (given != d.files.end()) {
      const std::string& f = given->second;
      const std::string kw = where.value(std::string("data.") + key, w);
      if (!path_exists(f)) throw InputError(kw + ": file '" + f + "' does not exist");
      return f;
    }
    if (path.empty()) {
      if (required) throw InputError(w + ": no 'path' and no 'data." + std::string(key) + "'");
      return "";
    }
    if (!is_dir(path)) throw InputError(w + ": '" + path + "' is not a directory");
    if (!required) {
      for (const std::string& name : {base + ".gz", base}) {
        if (path_exists(path + "/" + name)) return path + "/" + name;
      }
      return "";
    }
    return find_idx(path, base, w);
  };
  const std::string ti = file_of("train_images", "train-images-idx3-ubyte", true);
  const std::string tl = file_of("train_labels", "train-labels-idx1-ubyte", false);
  l.train = prototype::parse_idx(read_file(ti), ti, tl.empty() ? "" : read_file(tl), tl);
  const std::string vi = file_of("test_images", "t10k-images-idx3-ubyte", false);
  if (!vi.empty()) {
    const std::string vl = file_of("test_labels", "t10k-labels-idx1-ubyte", false);
    l.test = prototype::parse_idx(read_file(vi), vi, vl.empty() ? "" : read_file(vl), vl);
    if (l.test.height != l.train.height || l.test.width != l.train.width) {
      throw InputError(vi + ": test images are " + std::to_string(l.test.height) + "x" +
                       std::to_string(l.test.width) + ", training images " +
                       std::to_string(l.train.height) + "x" + std::to_string(l.train.width));
    }
    l.test.classes = std::max(l.test.classes, l.train.classes);
    l.train.classes = l.test.classes;
    if (l.train.labels.empty() != l.test.labels.empty()) {
      throw InputError(vi + ": training and test data must both have labels or both have none");
    }
  }
  if (ds == "fashion-mnist") {
    l.train.classes = l.test.classes = 10;
  }
  l.description = ds + " " + (path.empty() ? ti : path);
  return l;
}

}  // namespace rlab::prototype_cmd

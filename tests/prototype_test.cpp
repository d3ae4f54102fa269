// rlab prototype without libtorch: datasets (against numpy's reading of the same bytes, see
// tests/reference/prototype_reference.py), splits, expectations, records, and every bad input
// that is caught before the training core is loaded.
#include "rlab/prototype.h"

#include "rlab/config.h"
#include "rlab/error.h"
#include "rlab/files.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>

#include <cmath>
#include <fstream>
#include <functional>
#include <set>

#include "support/run.h"
#include "support/svg.h"

namespace rlab::test {
namespace {

using nlohmann::json;
namespace p = rlab::prototype;

json reference() {
  return json::parse(read_file(source_path("tests/reference/prototype_reference.json")));
}

std::string data(const std::string& name) { return source_path("tests/data/prototype/" + name); }

std::string be32(std::uint32_t v) {
  return std::string{static_cast<char>(v >> 24), static_cast<char>(v >> 16),
                     static_cast<char>(v >> 8), static_cast<char>(v)};
}

// Checks each channel's mean and standard deviation against the reference values.
void expect_channel_stats(const p::Images& im, const std::vector<double>& want_mean,
                          const std::vector<double>& want_sd, double tol) {
  std::vector<double> mean;
  std::vector<double> sd;
  p::channel_stats(im, mean, sd);
  ASSERT_GE(mean.size(), want_mean.size());
  ASSERT_GE(sd.size(), want_sd.size());
  for (std::size_t c = 0; c < want_mean.size(); ++c) EXPECT_NEAR(mean[c], want_mean[c], tol) << c;
  for (std::size_t c = 0; c < want_sd.size(); ++c) EXPECT_NEAR(sd[c], want_sd[c], tol) << c;
}

TEST(PrototypeIdx, MatchesNumpyRawAndGzip) {
  const json ref = reference()["small_idx"];
  for (const std::string suffix : {"", ".gz"}) {
    const std::string fi = data("small-images-idx3-ubyte" + suffix);
    const std::string fl = data("small-labels-idx1-ubyte" + suffix);
    const p::Images im = p::parse_idx(read_file(fi), fi, read_file(fl), fl);
    EXPECT_EQ(im.count(), ref["count"].get<long long>());
    EXPECT_EQ(im.height, ref["height"].get<int>());
    EXPECT_EQ(im.width, ref["width"].get<int>());
    EXPECT_EQ(im.channels, 1);
    EXPECT_EQ(im.classes, ref["classes"].get<int>());
    long long sum = 0;
    for (auto v : im.pixels) sum += v;
    EXPECT_EQ(sum, ref["pixel_sum"].get<long long>());
    const auto image7 = ref["image7"].get<std::vector<int>>();
    for (std::size_t k = 0; k < image7.size(); ++k) {
      EXPECT_EQ(im.pixels[7 * image7.size() + k], image7[k]) << k;
    }
    EXPECT_EQ(std::vector<int>(im.labels.begin(), im.labels.end()),
              ref["labels"].get<std::vector<int>>());
    expect_channel_stats(im, {ref["mean"].get<double>()}, {ref["std"].get<double>()}, 1e-12);
  }
}

TEST(PrototypeIdx, DebianFashionMnistMatchesNumpy) {
  const json all = reference();
  const std::string dir = "/usr/share/datasets/fashion-mnist/";
  if (!all.contains("fashion_mnist") || !std::ifstream(dir + "train-labels-idx1-ubyte.gz")) {
    GTEST_SKIP() << "dataset-fashion-mnist not installed";
  }
  const json ref = all["fashion_mnist"];
  const p::Images tr = p::parse_idx(read_file(dir + "train-images-idx3-ubyte.gz"), "train",
                                    read_file(dir + "train-labels-idx1-ubyte.gz"), "labels");
  const p::Images te = p::parse_idx(read_file(dir + "t10k-images-idx3-ubyte.gz"), "test",
                                    read_file(dir + "t10k-labels-idx1-ubyte.gz"), "labels");
  EXPECT_EQ(tr.count(), ref["train_count"].get<long long>());
  EXPECT_EQ(te.count(), ref["test_count"].get<long long>());
  std::vector<int> counts(10, 0);
  for (int l : tr.labels) counts[static_cast<std::size_t>(l)]++;
  EXPECT_EQ(counts, ref["train_label_counts"].get<std::vector<int>>());
  long long s0 = 0;
  for (int k = 0; k < 784; ++k) s0 += tr.pixels[static_cast<std::size_t>(k)];
  EXPECT_EQ(s0, ref["train_image0_sum"].get<long long>());
  long long s_last = 0;
  for (int k = 0; k < 784; ++k) s_last += te.pixels[static_cast<std::size_t>(9999 * 784 + k)];
  EXPECT_EQ(s_last, ref["test_image9999_sum"].get<long long>());
  expect_channel_stats(tr, {ref["train_mean"].get<double>()}, {ref["train_std"].get<double>()},
                       1e-9);
}

TEST(PrototypeIdx, CorruptFilesGiveClearErrors) {
  const std::string good = read_file(data("small-images-idx3-ubyte"));
  const std::string labels = read_file(data("small-labels-idx1-ubyte"));
  auto message = [](const std::function<void()>& f) {
    try {
      f();
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(message([&] { p::parse_idx(be32(0x801) + good.substr(4), "x", "", ""); }),
            "x: not an IDX image file (magic 0x00000801, expected 0x00000803: unsigned bytes, 3 "
            "dimensions)");
  EXPECT_EQ(message([&] { p::parse_idx(good.substr(0, good.size() - 7), "x", "", ""); }),
            "x: truncated: the header says 20 images of 6x5 (600 bytes), the file holds 593");
  EXPECT_EQ(message([&] { p::parse_idx(good + "zz", "x", "", ""); }),
            "x: 2 bytes after the 20 images the header announces");
  EXPECT_EQ(message([&] { p::parse_idx(good.substr(0, 9), "x", "", ""); }),
            "x: too short for an IDX image header (9 bytes, need 16)");
  EXPECT_EQ(message([&] { p::parse_idx(good, "x", labels.substr(0, labels.size() - 1), "y"); }),
            "y: truncated: the header says 20 labels, the file holds 19");
  EXPECT_EQ(message([&] { p::parse_idx(good, "x", be32(0x803) + labels.substr(4), "y"); }),
            "y: not an IDX label file (magic 0x00000803, expected 0x00000801: unsigned bytes, 1 "
            "dimension)");
  const std::string gz = read_file(data("small-images-idx3-ubyte.gz"));
  EXPECT_EQ(message([&] {
              p::parse_idx(gz.substr(0, gz.size() / 2), "z", "", "");
            }).rfind("z: truncated gzip data", 0),
            0U);
}

TEST(PrototypeCifar, MatchesNumpyAndRejectsTruncated) {
  const json ref = reference()["cifar"];
  const std::string f = data("cifar_batch.bin");
  const std::string bytes = read_file(f);
  const p::Images im = p::parse_cifar10({{f, bytes}});
  EXPECT_EQ(im.count(), 5);
  EXPECT_EQ(im.channels, 3);
  EXPECT_EQ(std::vector<int>(im.labels.begin(), im.labels.end()),
            ref["labels"].get<std::vector<int>>());
  long long sum = 0;
  for (auto v : im.pixels) sum += v;
  EXPECT_EQ(sum, ref["pixel_sum"].get<long long>());
  expect_channel_stats(im, ref["channel_mean"].get<std::vector<double>>(),
                       ref["channel_std"].get<std::vector<double>>(), 1e-12);
  try {
    p::parse_cifar10({{"b.bin", bytes.substr(0, 3073 * 2 + 100)}});
    FAIL();
  } catch (const InputError& e) {
    EXPECT_STREQ(
        e.what(),
        "b.bin: truncated: 6246 bytes is not a whole number of 3073-byte CIFAR-10 records (2 "
        "records and 100 bytes)");
  }
}

TEST(PrototypeSplit, SeededDisjointAndComplete) {
  const p::Split a = p::split_indices(1000, 0.1, 42);
  const p::Split b = p::split_indices(1000, 0.1, 42);
  const p::Split c = p::split_indices(1000, 0.1, 43);
  EXPECT_EQ(a.validation.size(), 100U);
  EXPECT_EQ(a.train.size(), 900U);
  EXPECT_EQ(a.validation, b.validation);
  EXPECT_NE(a.validation, c.validation);
  std::set<long long> all(a.train.begin(), a.train.end());
  all.insert(a.validation.begin(), a.validation.end());
  EXPECT_EQ(all.size(), 1000U);
  EXPECT_TRUE(p::split_indices(10, 0.0, 1).validation.empty());
}

TEST(PrototypeSynthetic, DeterministicAndLabelled) {
  p::SyntheticSpec s;
  s.samples = 64;
  s.classes = 4;
  const p::Images a = p::synthetic(s);
  const p::Images b = p::synthetic(s);
  EXPECT_EQ(a.pixels, b.pixels);
  EXPECT_EQ(a.count(), 64);
  std::set<int> seen(a.labels.begin(), a.labels.end());
  EXPECT_EQ(seen.size(), 4U);
}

TEST(PrototypeExpect, ParsesAndEvaluates) {
  const p::Expectation e = p::parse_expectation("psnr >= 20", "--expect");
  EXPECT_EQ(e.metric, "psnr");
  EXPECT_EQ(e.op, ">=");
  EXPECT_EQ(e.value, 20);
  EXPECT_TRUE(p::expectation_met(e, 20));
  EXPECT_FALSE(p::expectation_met(e, 19.99));
  EXPECT_FALSE(p::expectation_met(e, std::nan("")));
  const json m = {{"val_psnr", 18.0}, {"test_psnr", 21.0}};
  EXPECT_EQ(p::resolve_metric(e, m), "test_psnr");
  EXPECT_EQ(p::resolve_metric(p::parse_expectation("val_psnr<30", "x"), m), "val_psnr");
  EXPECT_EQ(p::resolve_metric(p::parse_expectation("accuracy>0.5", "x"), m), "");
  for (const char* bad : {"psnr", ">= 20", "psnr >= ", "psnr => 20", "psnr >= 20x"}) {
    EXPECT_THROW(p::parse_expectation(bad, "x"), InputError) << bad;
  }
}

TEST(PrototypeRecord, RunIdsCountPerDay) {
  EXPECT_EQ(p::next_run_id({}, "20250101"), "EXP-20250101-001");
  EXPECT_EQ(p::next_run_id({"EXP-20250101-001", "EXP-20250101-009", "EXP-20241231-050", "notes"},
                           "20250101"),
            "EXP-20250101-010");
}

TEST(PrototypeRecord, YamlReadsBackAsTheSameValues) {
  const json v = {
      {"id", "EXP-1"},
      {"text", "a: b # not a comment\nsecond line \"quoted\""},
      {"numbers", {1, 2.5, 1e-7, -3}},
      {"empty", json::array()},
      {"nested", {{"x", nullptr}, {"flag", true}, {"list", {{{"k", "v"}}, {{"k", "w"}}}}}}};
  const ConfigNode n = parse_config(p::to_yaml(v), "record.yaml");
  EXPECT_EQ(n["text"].as_string(), v["text"].get<std::string>());
  EXPECT_EQ(n["numbers"].at(2).as_double(), 1e-7);
  EXPECT_EQ(n["numbers"].at(3).as_int(), -3);
  EXPECT_EQ(n["empty"].size(), 0U);
  EXPECT_TRUE(n["nested"]["x"].is_null());
  EXPECT_TRUE(n["nested"]["flag"].as_bool());
  EXPECT_EQ(n["nested"]["list"].at(1)["k"].as_string(), "w");
}

TEST(PrototypeRecord, SvgHasBothCurves) {
  std::vector<json> rows;
  for (int s = 1; s <= 5; ++s)
    rows.push_back(
        {{"step", s}, {"train_loss", 1.0 / s}, {"val_loss", 1.2 / s}, {"val_accuracy", 0.1 * s}});
  const std::string svg = p::render_svg(rows, "EXP <1>");
  EXPECT_EQ(svg.rfind("<svg", 0), 0U);
  EXPECT_NE(svg.find("EXP &lt;1&gt;"), std::string::npos);
  std::size_t lines = 0;
  for (auto pos = svg.find("<polyline"); pos != std::string::npos;
       pos = svg.find("<polyline", pos + 1))
    ++lines;
  EXPECT_EQ(lines, 3U);
}

TEST(PrototypeRecord, SvgShowsValidationAndTheFinalTestMetric) {
  // The default profile evaluates only at the end: metrics.jsonl holds training loss only, the
  // record's results hold the final validation and test values.
  std::vector<json> rows;
  for (int s = 50; s <= 500; s += 50)
    rows.push_back({{"step", s}, {"train_loss", 2.3 / (1 + s / 60.0)}});
  const json results = {{"steps", 500},
                        {"metrics",
                         {{"train_loss", 0.25},
                          {"val_loss", 0.41},
                          {"val_accuracy", 0.861},
                          {"test_loss", 0.44},
                          {"test_accuracy", 0.853}}}};
  const std::string svg = p::render_svg(rows, "EXP-1 run", results);
  TempDir d;
  EXPECT_EQ(render_png(svg, d.path() + "/curve.png"), "");
  EXPECT_EQ(markers_outside_frames(svg), std::vector<std::string>{});
  EXPECT_EQ(svg_texts(svg, "legend"),
            (std::vector<std::string>{"train loss", "final validation loss", "test loss",
                                      "final validation accuracy", "test accuracy"}));
  // Both panels share the step axis, 0 to the last step.
  const auto x = svg_texts(svg, "xtick");
  ASSERT_EQ(x.size() % 2, 0U);
  const std::vector<std::string> x1(x.begin(), x.begin() + static_cast<long>(x.size() / 2));
  EXPECT_EQ(std::vector<std::string>(x.begin() + static_cast<long>(x.size() / 2), x.end()), x1);
  EXPECT_EQ(tick_problem(x1), "");
  EXPECT_EQ(x1.front(), "0");
  EXPECT_EQ(x1.back(), "500");
  // Loss ticks, then accuracy ticks in per cent (the accuracy panel's end in "%").
  const auto y = svg_texts(svg, "ytick");
  std::vector<std::string> loss_ticks;
  std::vector<std::string> acc_ticks;
  for (const auto& t : y) (t.back() == '%' ? acc_ticks : loss_ticks).push_back(t);
  EXPECT_EQ(tick_problem(loss_ticks), "");
  EXPECT_EQ(tick_problem(acc_ticks), "");
  const auto titles = svg_texts(svg, "ytitle");
  EXPECT_EQ(titles, (std::vector<std::string>{"loss (cross-entropy)", "accuracy (%)"}));
  const auto notes = svg_texts(svg, "note");
  ASSERT_EQ(notes.size(), 1U);
  EXPECT_EQ(notes[0], "after training: test accuracy 85.30 %, test loss 0.44");
  const auto texts = svg_texts(svg);
  EXPECT_NE(std::find(texts.begin(), texts.end(), "85.3%"), texts.end());
  // No rows and no results: a sentence.
  const std::string empty = p::render_svg({}, "nothing");
  EXPECT_EQ(render_png(empty, d.path() + "/empty.png"), "");
  EXPECT_NE(empty.find("no loss recorded"), std::string::npos);
}

TEST(PrototypeRecord, MarkdownFollowsTheLabTemplate) {
  const json rec = {
      {"id", "EXP-20250101-001"},
      {"status", "completed"},
      {"hypothesis", "it learns"},
      {"expectation",
       {{"text", "psnr>=20"}, {"metric", "test_psnr"}, {"actual", 18.5}, {"met", false}}},
      {"warnings",
       {{{"code", "no_progress"},
         {"message", "loss flat"},
         {"causes", {"lr"}},
         {"try", {"lr x10"}}}}},
      {"results", {{"metrics", {{"test_psnr", 18.5}}}}},
      {"next_steps", {"train longer"}}};
  const std::string md = p::record_markdown(rec);
  for (const char* h : {"## Goal", "## Parameters", "## Expected", "## Actual",
                        "## Failure analysis", "## Next steps"}) {
    EXPECT_NE(md.find(h), std::string::npos) << h;
  }
  EXPECT_NE(md.find("Expectation psnr>=20: not met (test_psnr = 18.5)"), std::string::npos) << md;
  EXPECT_NE(md.find("- **no_progress**: loss flat"), std::string::npos);
  EXPECT_EQ(p::verdict(rec), "hypothesis not supported: expected psnr>=20, got test_psnr = 18.5");
}

// Bad input: each is caught before libtorch is loaded, exit 3 with one clear line.
class PrototypeBadInput : public ::testing::Test {
 protected:
  TempDir dir;
  RunResult run(const std::string& yaml, std::vector<std::string> extra = {}) {
    const std::string f = dir.write("p.yaml", yaml);
    std::vector<std::string> args = {"prototype", f, "--out", dir.path() + "/runs"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run_inprocess(args);
  }
  std::string f() const { return dir.path() + "/p.yaml"; }
  // The message of a run refused as invalid input (exit code 3).
  std::string refusal(const std::string& yaml, std::vector<std::string> extra = {}) {
    const RunResult r = run(yaml, std::move(extra));
    EXPECT_EQ(r.code, 3);
    return r.err;
  }
};

const std::string kSynthetic = "prototype:\n  data: {dataset: synthetic, samples: 64}\n";

TEST_F(PrototypeBadInput, UnknownModel) {
  EXPECT_EQ(refusal(kSynthetic + "  model: {type: resnet}\n"),
            "rlab: error: " + f() +
                ":3:17: 'prototype.model.type' is 'resnet', must be one of autoencoder, "
                "classifier, torchscript\n");
}

TEST_F(PrototypeBadInput, UnknownOptimizer) {
  EXPECT_EQ(refusal(kSynthetic + "  optimizer: {name: adagrad}\n"),
            "rlab: error: " + f() +
                ":3:21: 'prototype.optimizer.name' is 'adagrad', must be one of adam, "
                "adamw, sgd, layerwise-adam\n");
}

TEST_F(PrototypeBadInput, NegativeLearningRate) {
  EXPECT_EQ(refusal(kSynthetic + "  optimizer: {lr: -0.1}\n"),
            "rlab: error: " + f() + ":3:19: 'prototype.optimizer.lr' is -0.1, must be > 0\n");
}

TEST_F(PrototypeBadInput, BatchSizeZero) {
  const std::string err = refusal(kSynthetic + "  batch_size: 0\n");
  EXPECT_EQ(
      err.substr(0, err.find('\n')),
      "rlab: error: " + f() + ":3:15: 'prototype.batch_size' is 0, must be between 1 and 65536");
}

TEST_F(PrototypeBadInput, DatasetPathMissing) {
  EXPECT_EQ(refusal("prototype:\n  data: {dataset: idx, path: /nonexistent/fmnist}\n"),
            "rlab: error: " + f() + ":2:30: dataset path '/nonexistent/fmnist' does not exist\n");
}

TEST_F(PrototypeBadInput, IdxWithWrongMagic) {
  std::string bytes = read_file(data("small-images-idx3-ubyte"));
  bytes[3] = 0x04;
  const std::string img = dir.write("bad-images", bytes);
  EXPECT_EQ(refusal("prototype:\n  data: {dataset: idx, train_images: bad-images}\n"),
            "rlab: error: " + img +
                ": not an IDX image file (magic 0x00000804, expected 0x00000803: unsigned bytes, 3 "
                "dimensions)\n");
}

TEST_F(PrototypeBadInput, CifarTruncated) {
  const std::string bytes = read_file(data("cifar_batch.bin"));
  ::mkdir((dir.path() + "/cifar").c_str(), 0755);
  const std::string b = dir.write("cifar/data_batch_1.bin", bytes.substr(0, 3073 + 10));
  EXPECT_EQ(
      refusal("prototype:\n  data: {dataset: cifar10, path: cifar}\n"),
      "rlab: error: " + b +
          ": truncated: 3083 bytes is not a whole number of 3073-byte CIFAR-10 records (1 records "
          "and 10 bytes)\n");
}

TEST_F(PrototypeBadInput, TorchScriptFileMissing) {
  EXPECT_EQ(refusal(kSynthetic + "  model: {torchscript: none.pt}\n"),
            "rlab: error: " + f() + ":3:24: TorchScript file '" + dir.path() +
                "/none.pt' does not exist\n");
}

TEST_F(PrototypeBadInput, ResumeFromARunWithAnotherModel) {
  ::mkdir((dir.path() + "/old").c_str(), 0755);
  dir.write("old/checkpoint.pt", "x");
  dir.write(
      "old/record.yaml",
      "\"id\": \"EXP-20250101-001\"\n\"config\":\n  \"model\":\n    \"type\": \"classifier\"\n");
  EXPECT_EQ(
      refusal(kSynthetic + "  model: {type: autoencoder}\n", {"--resume", dir.path() + "/old"}),
      "rlab: error: " + f() + ":3:10: --resume " + dir.path() +
          "/old trained model {\"type\":\"classifier\"}, this config asks for "
          "{\"channels\":[16,32],\"task\":\"reconstruction\",\"type\":\"autoencoder\"}\n");
}

TEST_F(PrototypeBadInput, BadDeviceAndExpectation) {
  EXPECT_EQ(refusal(kSynthetic + "  device: gpu\n"),
            "rlab: error: " + f() + ":3:11: device 'gpu' must be auto, cpu, cuda or cuda:N\n");
  EXPECT_EQ(refusal(kSynthetic, {"--expect", "psnr ~ 3"}),
            "rlab: error: --expect: expected result 'psnr ~ 3' must be METRIC OP NUMBER, e.g. "
            "'psnr>=20' or 'val_accuracy > 0.9' (OP: >= > <= < ==)\n");
}

TEST(PrototypeExp, ShowUnknownRunAndEmptyList) {
  TempDir dir;
  const RunResult r = run_inprocess({"exp", "show", "EXP-1", "--runs", dir.path()});
  EXPECT_EQ(r.code, 3);
  EXPECT_EQ(r.err, "rlab: error: no run 'EXP-1' in " + dir.path() + "\n");
  const RunResult l = run_inprocess({"exp", "list", "--runs", dir.path(), "--format", "json"});
  EXPECT_EQ(l.code, 0);
  EXPECT_EQ(json::parse(l.out), json::parse(R"({"runs": []})"));
}

}  // namespace
}  // namespace rlab::test

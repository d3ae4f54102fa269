// The typed training config and events (rlab/train.h) and their one mapping to the plugin ABI's
// JSON (rlab/train_json.h): every key survives a round trip, what does not fit is refused with
// a message naming the key, and the JSON written is the one metrics.jsonl has always held.
#include "rlab/train_json.h"

#include "rlab/error.h"
#include "rlab/train.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <limits>
#include <string>

#include "../lib/prototype/command_parts.h"

namespace {

using nlohmann::json;
using rlab::train::SchemaError;
using rlab::train::TrainConfig;

// A config with every field away from its default.
TrainConfig full_config() {
  TrainConfig c;
  c.model = {"torchscript", "classification", {3, 5}, 7, "/m.pt", "p.yaml:3:4"};
  c.optimizer = {"sgd", 0.05, 0.001, 0.8, true, 0.7, 0.95, 1.5};
  c.schedule = {"step", 10, 0.5, 0.2, 5};
  c.early_stopping = rlab::train::EarlyStoppingConfig{"val_accuracy", 2, 0.01, "max"};
  c.checks = {6, 0.01, 0.5, 0.1};
  c.normalize = rlab::train::NormalizeConfig{{0.25, 0.5}, {0.125, 2.0}};
  c.distributed = rlab::train::DistributedConfig{1, 2, 1, "127.0.0.1", 29500, 60.0};
  c.device = "cuda:1";
  c.amp = true;
  c.threads = 3;
  c.seed = 18446744073709551615ULL;
  c.diagnose = true;
  c.batch_size = 16;
  c.max_steps = 30;
  c.minutes = 2.5;
  c.log_every = 4;
  c.eval_every = 10;
  c.checkpoint_every = 7;
  c.stop_at_step = 17;
  c.run_dir = "runs/EXP-1";
  c.resume = true;
  return c;
}

// The message `read` refuses `j` with, or "accepted".
template <class Read>
std::string refusal_by(Read read, const json& j) {
  try {
    read(j);
  } catch (const SchemaError& e) {
    return e.what();
  }
  return "accepted";
}

std::string refusal(const json& j) {
  return refusal_by([](const json& v) { rlab::train::config_from_json(v); }, j);
}

TEST(TrainJson, EveryConfigKeySurvivesTheRoundTrip) {
  const TrainConfig c = full_config();
  const json j = rlab::train::to_json(c);
  const TrainConfig r = rlab::train::config_from_json(json::parse(j.dump()));
  EXPECT_EQ(r.model.type, "torchscript");
  EXPECT_EQ(r.model.task, "classification");
  EXPECT_EQ(r.model.channels, (std::vector<int>{3, 5}));
  EXPECT_EQ(r.model.hidden, 7);
  EXPECT_EQ(r.model.file, "/m.pt");
  EXPECT_EQ(r.model.where, "p.yaml:3:4");
  EXPECT_EQ(r.optimizer.name, "sgd");
  EXPECT_EQ(r.optimizer.lr, 0.05);
  EXPECT_EQ(r.optimizer.weight_decay, 0.001);
  EXPECT_EQ(r.optimizer.momentum, 0.8);
  EXPECT_TRUE(r.optimizer.nesterov);
  EXPECT_EQ(r.optimizer.beta1, 0.7);
  EXPECT_EQ(r.optimizer.beta2, 0.95);
  EXPECT_EQ(r.optimizer.clip_grad_norm, 1.5);
  EXPECT_EQ(r.schedule.name, "step");
  EXPECT_EQ(r.schedule.step_size, 10);
  EXPECT_EQ(r.schedule.gamma, 0.5);
  EXPECT_EQ(r.schedule.min_factor, 0.2);
  EXPECT_EQ(r.schedule.warmup_steps, 5);
  ASSERT_TRUE(r.early_stopping);
  EXPECT_EQ(r.early_stopping->metric, "val_accuracy");
  EXPECT_EQ(r.early_stopping->patience, 2);
  EXPECT_EQ(r.early_stopping->min_delta, 0.01);
  EXPECT_EQ(r.early_stopping->mode, "max");
  EXPECT_EQ(r.checks.no_progress_steps, 6);
  EXPECT_EQ(r.checks.exploding_grad_norm, 0.01);
  EXPECT_EQ(r.checks.vanishing_grad_norm, 0.5);
  EXPECT_EQ(r.checks.overfit_gap, 0.1);
  ASSERT_TRUE(r.normalize);
  EXPECT_EQ(r.normalize->mean, (std::vector<double>{0.25, 0.5}));
  EXPECT_EQ(r.normalize->std, (std::vector<double>{0.125, 2.0}));
  ASSERT_TRUE(r.distributed);
  EXPECT_EQ(r.distributed->rank, 1);
  EXPECT_EQ(r.distributed->world_size, 2);
  EXPECT_EQ(r.distributed->local_rank, 1);
  EXPECT_EQ(r.distributed->master_addr, "127.0.0.1");
  EXPECT_EQ(r.distributed->master_port, 29500);
  EXPECT_EQ(r.distributed->timeout_s, 60.0);
  EXPECT_EQ(r.device, "cuda:1");
  EXPECT_TRUE(r.amp);
  EXPECT_EQ(r.threads, 3);
  EXPECT_EQ(r.seed, 18446744073709551615ULL);
  EXPECT_TRUE(r.diagnose);
  EXPECT_EQ(r.batch_size, 16);
  EXPECT_EQ(r.max_steps, 30);
  EXPECT_EQ(r.minutes, 2.5);
  EXPECT_EQ(r.log_every, 4);
  EXPECT_EQ(r.eval_every, 10);
  EXPECT_EQ(r.checkpoint_every, 7);
  EXPECT_EQ(r.stop_at_step, 17);
  EXPECT_EQ(r.run_dir, "runs/EXP-1");
  EXPECT_TRUE(r.resume);
  EXPECT_EQ(rlab::train::to_json(r), j);
  // Every key is written, optional parts as null.
  EXPECT_EQ(j.size(), 21U);
  const json d = rlab::train::to_json(TrainConfig{});
  EXPECT_TRUE(d.at("early_stopping").is_null());
  EXPECT_TRUE(d.at("normalize").is_null());
  EXPECT_TRUE(d.at("distributed").is_null());
}

TEST(TrainJson, MissingKeysTakeTheDefaults) {
  EXPECT_EQ(rlab::train::to_json(rlab::train::config_from_json(json::object())),
            rlab::train::to_json(TrainConfig{}));
  const TrainConfig c = rlab::train::config_from_json({{"optimizer", {{"lr", 0.5}}}});
  EXPECT_EQ(c.optimizer.lr, 0.5);
  EXPECT_EQ(c.optimizer.name, "adam");
  EXPECT_EQ(c.optimizer.beta2, 0.999);
  EXPECT_EQ(c.batch_size, 64);
}

// The model JSON a checkpoint keeps: the keys of the model's kind only.
TEST(TrainJson, ModelJsonHasTheKeysOfItsKind) {
  rlab::train::ModelConfig ae;
  ae.channels = {16, 32};
  EXPECT_EQ(rlab::train::to_json(ae).dump(),
            R"({"channels":[16,32],"task":"reconstruction","type":"autoencoder"})");
  rlab::train::ModelConfig ts;
  ts.type = "torchscript";
  ts.file = "/a.pt";
  ts.where = "f.yaml:1:2";
  EXPECT_EQ(
      rlab::train::to_json(ts).dump(),
      R"({"file":"/a.pt","task":"reconstruction","type":"torchscript","where":"f.yaml:1:2"})");
}

TEST(TrainJson, UnknownAndIllTypedValuesAreRefused) {
  EXPECT_EQ(refusal({{"lr", 0.1}}), "training config: unknown key 'lr'");
  EXPECT_EQ(refusal({{"optimizer", {{"clip_grad_nrom", 1}}}}),
            "training config: unknown key 'optimizer.clip_grad_nrom'");
  EXPECT_EQ(refusal({{"optimizer", {{"lr", "0.1"}}}}),
            "training config: 'optimizer.lr' must be a number, got string");
  EXPECT_EQ(refusal({{"optimizer", {{"lr", nullptr}}}}),
            "training config: 'optimizer.lr' must be a number, got null");
  EXPECT_EQ(refusal({{"optimizer", json::array()}}),
            "training config: 'optimizer' must be an object, got array");
  EXPECT_EQ(refusal(json::array()), "training config must be an object, got array");
  EXPECT_EQ(refusal({{"batch_size", 1.5}}),
            "training config: 'batch_size' must be an integer, got 1.5");
  EXPECT_EQ(refusal({{"amp", 1}}), "training config: 'amp' must be true or false, got 1");
  EXPECT_EQ(refusal({{"device", nullptr}}), "training config: 'device' must be a string, got null");
  EXPECT_EQ(refusal({{"model", {{"channels", {8, "x"}}}}}),
            "training config: 'model.channels' must be an integer, got string");
  EXPECT_EQ(refusal({{"model", {{"channels", 8}}}}),
            "training config: 'model.channels' must be a list, got 8");
  EXPECT_EQ(refusal({{"seed", -1}}),
            "training config: 'seed' must be an integer in [0, 9223372036854775807], got -1");
  EXPECT_EQ(refusal({{"threads", 4294967296LL}}),
            "training config: 'threads' must be an integer in [-2147483648, 2147483647], got "
            "4294967296");
  EXPECT_EQ(refusal({{"optimizer", {{"name", "adagrad"}}}}),
            "training config: 'optimizer.name' is 'adagrad', must be one of adam, adamw, sgd, "
            "layerwise-adam");
  EXPECT_EQ(refusal({{"schedule", {{"name", "linear"}}}}),
            "training config: 'schedule.name' is 'linear', must be one of constant, cosine, step");
  EXPECT_EQ(refusal({{"early_stopping", {{"mode", "auto"}}}}),
            "training config: 'early_stopping.mode' is 'auto', must be one of min, max");
  EXPECT_EQ(refusal({{"distributed", {{"master_port", "29500"}}}}),
            "training config: 'distributed.master_port' must be an integer, got string");
}

rlab::train::MetricsEvent metrics_event() {
  rlab::train::MetricsEvent m;
  m.step = 20;
  m.epoch = 2.5;
  m.lr = 0.001;
  m.train_loss = 0.125;
  m.grad_norm = 0.0;
  m.images_per_s = 1000.5;
  m.data_share = 0.25;
  m.time_s = 3.0;
  m.evaluation = {{"val_loss", 0.5}, {"val_accuracy", 1.0}};
  rlab::train::LayerStats conv;
  conv.layer = "conv0";
  conv.grad_norm = 0.75;
  conv.has_activations = true;
  conv.act_mean = 0.5;
  conv.act_std = 0.25;
  conv.act_min = 0.0;
  conv.act_max = 2.0;
  conv.dead_relu = 0.125;
  rlab::train::LayerStats fc;
  fc.layer = "fc2";
  fc.grad_norm = 0.5;
  fc.has_activations = true;
  rlab::train::LayerStats out;  // a TorchScript module's output: no gradient norm
  out.layer = "output";
  out.has_activations = true;
  rlab::train::LayerStats plain;  // without --diagnose: the gradient norm only
  plain.layer = "enc0";
  plain.grad_norm = 1.0;
  m.layers = std::vector<rlab::train::LayerStats>{conv, fc, out, plain};
  return m;
}

TEST(TrainJson, MetricsEventIsTheMetricsLine) {
  const rlab::train::TrainEvent e = metrics_event();
  const json j = rlab::train::to_json(e);
  EXPECT_EQ(
      j.dump(),
      R"({"data_share":0.25,"epoch":2.5,"grad_norm":0.0,"images_per_s":1000.5,"layers":[)"
      R"({"act_max":2.0,"act_mean":0.5,"act_min":0.0,"act_std":0.25,"dead_relu":0.125,"grad_norm":0.75,"layer":"conv0"},)"
      R"({"act_max":0.0,"act_mean":0.0,"act_min":0.0,"act_std":0.0,"dead_relu":null,"grad_norm":0.5,"layer":"fc2"},)"
      R"({"act_max":0.0,"act_mean":0.0,"act_min":0.0,"act_std":0.0,"dead_relu":null,"layer":"output"},)"
      R"({"grad_norm":1.0,"layer":"enc0"}],)"
      R"("lr":0.001,"step":20,"time_s":3.0,"train_loss":0.125,"type":"metrics",)"
      R"("val_accuracy":1.0,"val_loss":0.5})");
  EXPECT_EQ(rlab::train::to_json(rlab::train::event_from_json(json::parse(j.dump()))), j);
}

TEST(TrainJson, EveryEventSurvivesTheRoundTrip) {
  const std::vector<rlab::train::TrainEvent> events = {
      rlab::train::ProgressEvent{3, 40, 0.375, 1.25, 512.0, 7.5},
      metrics_event(),
      rlab::train::MetricsEvent{},
      rlab::train::WarningEvent{"no_progress", 25, "loss has not decreased", {"a", "b"}, {"c"}},
      rlab::train::LogEvent{"early stopping at step 6"},
      rlab::train::ResumedEvent{17}};
  for (const auto& e : events) {
    const json j = rlab::train::to_json(e);
    const rlab::train::TrainEvent back = rlab::train::event_from_json(json::parse(j.dump()));
    EXPECT_EQ(back.index(), e.index());
    EXPECT_EQ(rlab::train::to_json(back), j) << j.dump();
  }
  // A gradient that overflowed: JSON writes nan and inf as null, which reads back as nan (and
  // writes as null again), in the metrics and in a layer.
  rlab::train::MetricsEvent nan = metrics_event();
  nan.grad_norm = std::numeric_limits<double>::infinity();
  (*nan.layers)[0].grad_norm = std::nan("");
  const std::string text = rlab::train::to_json(nan).dump();
  EXPECT_NE(text.find(R"("grad_norm":null,"images_per_s")"), std::string::npos) << text;
  EXPECT_NE(text.find(R"("grad_norm":null,"layer":"conv0")"), std::string::npos) << text;
  const auto back =
      std::get<rlab::train::MetricsEvent>(rlab::train::event_from_json(json::parse(text)));
  EXPECT_TRUE(std::isnan(back.grad_norm));
  ASSERT_TRUE((*back.layers)[0].grad_norm);
  EXPECT_TRUE(std::isnan(*(*back.layers)[0].grad_norm));
  EXPECT_EQ(rlab::train::to_json(back).dump(), text);
  EXPECT_EQ(rlab::train::to_json(events[0]).dump(),
            R"({"epoch":0.375,"eta_s":7.5,"images_per_s":512.0,"loss":1.25,"step":3,)"
            R"("total":40,"type":"progress"})");
  EXPECT_EQ(rlab::train::to_json(events[3]).dump(),
            R"({"causes":["a","b"],"code":"no_progress","message":"loss has not decreased",)"
            R"("step":25,"try":["c"],"type":"warning"})");
  // The result lists warnings without their type.
  EXPECT_FALSE(
      rlab::train::warning_json(std::get<rlab::train::WarningEvent>(events[3])).contains("type"));
}

std::string event_refusal(const json& j) {
  return refusal_by([](const json& v) { rlab::train::event_from_json(v); }, j);
}

TEST(TrainJson, EventsThatDoNotFitAreRefused) {
  EXPECT_EQ(event_refusal({{"type", "epoch"}}),
            "training event: 'type' is 'epoch', must be one of progress, metrics, warning, log, "
            "resumed");
  EXPECT_EQ(event_refusal(json::object()),
            "training event: 'type' is '', must be one of progress, metrics, warning, log, "
            "resumed");
  EXPECT_EQ(event_refusal({{"type", "progress"}, {"step", "3"}}),
            "training event: 'step' must be an integer, got string");
  EXPECT_EQ(event_refusal({{"type", "log"}, {"message", "m"}, {"level", "info"}}),
            "training event: unknown key 'level'");
  EXPECT_EQ(event_refusal({{"type", "metrics"}, {"test_loss", 1.0}}),
            "training event: unknown key 'test_loss'");
  EXPECT_EQ(event_refusal({{"type", "metrics"}, {"val_loss", "low"}}),
            "training event: 'val_loss' must be a number, got string");
  EXPECT_EQ(event_refusal({{"type", "metrics"}, {"layers", {{{"layer", "a"}, {"norm", 1}}}}}),
            "training event: unknown key 'layers[].norm'");
}

// A record's `config` (what `--resume` reads back) through the same mapping as the plugin ABI,
// and written again from the typed config key for key, number for number.
TEST(TrainJson, PrototypeRecordConfigReadsBackAndWritesTheSameJson) {
  const json cfg = {
      {"data",
       {{"dataset", "synthetic"},
        {"validation", 0.1},
        {"normalize", true},
        {"limit", 0},
        {"test_limit", 0},
        {"split_seed", 4},
        {"samples", 64},
        {"size", 16},
        {"channels", 1},
        {"classes", 4},
        {"seed", 0}}},
      {"budget", {{"profile", "quick"}, {"max_batches", 2}}},
      {"model",
       {{"type", "classifier"}, {"channels", {8}}, {"hidden", 16}, {"task", "classification"}}},
      {"optimizer",
       {{"name", "adamw"},
        {"lr", 0.005},
        {"momentum", 0.9},
        {"nesterov", false},
        {"beta1", 0.9},
        {"beta2", 0.999},
        {"clip_grad_norm", 0.0},
        {"weight_decay", 0.01}}},
      {"schedule",
       {{"name", "cosine"},
        {"step_size", 100},
        {"gamma", 0.1},
        {"min_factor", 0.0},
        {"warmup_steps", 0}}},
      {"early_stopping", nullptr},
      {"checks",
       {{"no_progress_steps", 25},
        {"exploding_grad_norm", 1000.0},
        {"vanishing_grad_norm", 1e-7},
        {"overfit_gap", 0.25}}},
      {"batch_size", 32},
      {"eval_every", 0},
      {"log_every", 10},
      {"checkpoint_every", 0},
      {"seed", 3},
      {"device", "auto"},
      {"amp", false},
      {"threads", 0},
      {"diagnose", false}};
  const rlab::prototype_cmd::RunConfig c =
      rlab::prototype_cmd::config_from_record(cfg, "runs/x/record.yaml");
  EXPECT_EQ(c.train.optimizer.lr, 0.005);
  EXPECT_EQ(c.train.optimizer.name, "adamw");
  EXPECT_EQ(c.train.schedule.name, "cosine");
  EXPECT_EQ(c.train.model.hidden, 16);
  EXPECT_EQ(c.train.batch_size, 32);
  EXPECT_EQ(c.train.seed, 3U);
  EXPECT_EQ(c.data.synthetic.samples, 64);
  EXPECT_EQ(*c.data.split_seed, 4);
  EXPECT_EQ(*c.budget.max_batches, 2);
  EXPECT_FALSE(c.train.distributed);
  EXPECT_EQ(rlab::prototype_cmd::config_json(c).dump(), cfg.dump());
  // A schedule given by name only is resolved to a map before a record keeps it.
  json named = cfg;
  named["schedule"] = "cosine";
  EXPECT_THROW(rlab::prototype_cmd::config_from_record(named, "p.yaml"), rlab::InputError);
  // An edited record is refused with the record's name.
  json edited = cfg;
  edited["optimizer"]["lr"] = "fast";
  try {
    rlab::prototype_cmd::config_from_record(edited, "runs/x/record.yaml");
    FAIL() << "accepted";
  } catch (const rlab::InputError& e) {
    EXPECT_STREQ(
        e.what(),
        "runs/x/record.yaml: training config: 'optimizer.lr' must be a number, got string");
  }
}

}  // namespace

// The core of `rlab bayesopt` (lib/bayesopt/bayesopt.cpp: the same ask/tell optimiser, same
// settings and seeds) on the suite's functions in one process, for quick comparisons of the
// model while the rlab binary is not at hand:
//   bo_driver FUNCTION SEED N_CALLS N_INITIAL OUT SPACE_JSON
// writes OUT in the harness's trial format. A builtin name evaluates rlab's builtin; any other
// goes to bo_eval (bo_functions.c). Proposals equal those of `rlab bayesopt` with a command
// objective on the same space and seed; timings exclude process start-up and the study write.
#include "rlab/bayesopt.h"

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

extern "C" double bo_eval(const char* f, int n, char** values);

namespace bo = rlab::bayesopt;
using nlohmann::json;

int main(int argc, char** argv) {
  if (argc != 7) {
    std::cerr << "usage: bo_driver FUNCTION SEED N_CALLS N_INITIAL OUT SPACE_JSON\n";
    return 2;
  }
  const std::string f = argv[1];
  bo::Space space;
  space.where = "space";
  for (const json& d : json::parse(argv[6])) {
    bo::Dimension dim;
    dim.name = d["name"];
    const std::string type = d["type"];
    if (type == "categorical") {
      dim.kind = bo::Dimension::Kind::kCategorical;
      dim.categories = d["categories"].get<std::vector<std::string>>();
    } else {
      dim.kind = type == "real" ? bo::Dimension::Kind::kReal : bo::Dimension::Kind::kInteger;
      dim.low = d["low"].get<double>();
      dim.high = d["high"].get<double>();
      dim.log = d.value("prior", "uniform") == "log-uniform";
    }
    space.dims.push_back(dim);
  }
  const bool builtin = bo::builtin(f).has_value();
  bo::Settings st;
  // Settings to compare, from RLAB_BO_SETTINGS, e.g. "warp=none", "warp=power", "warp=auto",
  // "xi=0.001", "kappa=1", "noise=1e-4", "minlen=0.1", "acq=EI", "logacq", "nologacq",
  // "ncand=2000", "nrefine=10", "restarts=1", "hedgepi" (PI among gp_hedge's arms),
  // "local=0.6" (the local phase from 60 % of the budget on; 1: none), "radius=0.05",
  // "slices=0" (no one-dimensional slices in the local phase),
  // "init=sobol" (comma-separated).
  if (const char* e = std::getenv("RLAB_BO_SETTINGS")) {
    const std::string ex = e;
    if (ex.find("warp=none") != std::string::npos) st.output_warp = bo::OutputWarp::kNone;
    if (ex.find("warp=power") != std::string::npos) st.output_warp = bo::OutputWarp::kPower;
    if (ex.find("warp=auto") != std::string::npos) st.output_warp = bo::OutputWarp::kAuto;
    for (const char* a : {"EI", "PI", "LCB", "gp_hedge"})
      if (ex.find(std::string("acq=") + a) != std::string::npos)
        st.acquisition = bo::parse_acquisition(a);
    if (ex.find("logacq") != std::string::npos) st.log_acquisition = true;
    if (ex.find("nologacq") != std::string::npos) st.log_acquisition = false;
    if (ex.find("hedgepi") != std::string::npos) st.hedge_pi = true;
    if (ex.find("init=sobol") != std::string::npos) st.initial_design = bo::InitialDesign::kSobol;
    if (ex.find("init=lhs") != std::string::npos) st.initial_design = bo::InitialDesign::kLhs;
    for (const auto& [key, into] : {std::pair<std::string, int*>{"ncand=", &st.n_candidates},
                                    {"nrefine=", &st.n_refine},
                                    {"restarts=", &st.hp_restarts},
                                    {"slices=", &st.local_slices}}) {
      const auto at = ex.find(key);
      if (at != std::string::npos) *into = std::stoi(ex.substr(at + key.size()));
    }
    for (const auto& [key, into] : {std::pair<std::string, double*>{"xi=", &st.xi},
                                    {"kappa=", &st.kappa},
                                    {"local=", &st.local_phase},
                                    {"radius=", &st.local_radius},
                                    {"noise=", &st.gp_bounds.noise_floor},
                                    {"minlen=", &st.gp_bounds.min_lengthscale}}) {
      const auto at = ex.find(key);
      if (at != std::string::npos) *into = std::stod(ex.substr(at + key.size()));
    }
  }
  st.random_state = std::stoull(argv[2]);
  st.budget = std::stoi(argv[3]);  // as the command's n_calls
  st.n_initial_points = std::stoi(argv[4]);
  const int n_calls = std::stoi(argv[3]);
  bo::Optimizer opt(space, st);
  std::ofstream out(argv[5]);
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  for (int i = 0; i < n_calls; ++i) {
    const auto a = Clock::now();
    const bo::Proposal p = opt.ask();
    if (p.exhausted) break;
    const auto b = Clock::now();
    double v = 0;
    if (builtin) {
      v = bo::builtin_value(f, p.x);
    } else {
      std::vector<std::string> words;
      for (std::size_t k = 0; k < space.dims.size(); ++k) {
        const bo::Dimension& d = space.dims[k];
        char buf[64];
        if (d.kind == bo::Dimension::Kind::kCategorical) {
          words.push_back(d.categories[static_cast<std::size_t>(p.x[k])]);
          continue;
        }
        std::snprintf(buf, sizeof buf, "%.17g", p.x[k]);
        words.emplace_back(buf);
      }
      std::vector<char*> ptrs;
      for (auto& w : words) ptrs.push_back(w.data());
      v = bo_eval(f.c_str(), static_cast<int>(ptrs.size()), ptrs.data());
    }
    const auto c = Clock::now();
    opt.tell(p.x, v);
    json line = {{"trial", i},
                 {"params", bo::point_to_json(space, p.x)},
                 {"value", v},
                 {"elapsed_s", std::chrono::duration<double>(Clock::now() - t0).count()},
                 {"objective_s", std::chrono::duration<double>(c - b).count()},
                 {"suggest_s", std::chrono::duration<double>(b - a).count()},
                 {"acq", p.acquisition}};
    out << line.dump() << "\n";
  }
  return 0;
}

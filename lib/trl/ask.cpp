// `rlab trl ask`: the questionnaire that writes an answers file after each question.
#include "rlab/config.h"
#include "rlab/error.h"
#include "rlab/files.h"
#include "rlab/text.h"
#include "rlab/trl.h"

#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>

#include "command_parts.h"
#include "read.h"

namespace rlab::trl_cmd {

// ---- ask (questionnaire) ----------------------------------------------------------------------

ExitCode run_ask(const Options& o, Context& ctx) {
  if (o.file.empty()) throw UsageError("trl ask needs an answers file to write: rlab trl ask FILE");
  if (::isatty(0) == 0) {
    throw UsageError(
        "trl ask is interactive and needs a terminal on stdin; for scripts and CI "
        "write an answers file and run 'rlab trl assess FILE'");
  }
  Loaded l;
  if (path_exists(o.file)) {
    l = load_assessment(o.file, o, ctx, true);
  } else {
    l.file.path = o.file;
    l.scale_spec = o.scale.empty() ? "nasa" : o.scale;
    l.scale = trl::load_scale(l.scale_spec, ".", "");
    l.file.scale = l.scale_spec;
    trl::Assessment& a = l.file.assessment;
    a.technology = o.technology;
    a.date = ctx.clock.utc_date();
    a.assessor = o.assessor;
    if (a.assessor.empty()) {
      if (const char* u = std::getenv("USER"); u != nullptr) a.assessor = u;
    }
  }
  trl::Assessment& a = l.file.assessment;
  std::size_t ei = 0;
  if (!o.element.empty()) {
    while (ei < a.elements.size() && a.elements[ei].id != o.element) ++ei;
    if (ei == a.elements.size()) {
      trl::Element e;
      e.id = e.name = o.element;
      a.elements.push_back(e);
      l.file.multi = true;
    }
  } else if (a.elements.empty()) {
    trl::Element e;
    e.id = e.name = a.technology.empty() ? "technology" : a.technology;
    a.elements.push_back(e);
  }
  trl::Element& el = a.elements[ei];
  if (!o.kind.empty()) {
    el.kind = o.kind == "hardware" ? trl::Kind::kHardware : trl::Kind::kSoftware;
  }
  std::ostream& tty = ctx.err;
  const auto [total, done] = trl::progress(l.scale, el);
  tty << "rlab trl ask: " << l.scale.name << " (" << l.scale.version << "), element '" << el.id
      << "' (" << trl::kind_name(el.kind) << "), " << done << "/" << total << " answered"
      << (done > 0 ? " - resuming" : "") << "\n"
      << "answers are saved to " << o.file << " after each question; q quits, Ctrl-C is safe\n";
  int last_level = 0;
  while (const trl::Criterion* c = trl::next_question(l.scale, el)) {
    const trl::Level* level = nullptr;
    for (const auto& lv : l.scale.levels) {
      for (const auto& cc : lv.criteria) {
        if (&cc == c) level = &lv;
      }
    }
    if (level->level != last_level) {
      last_level = level->level;
      tty << "\nTRL " << level->level << ": " << level->definition << "\n";
      if (!level->success_criteria.empty())
        tty << "  success criteria: " << level->success_criteria << "\n";
    }
    const auto [t2, d2] = trl::progress(l.scale, el);
    tty << "\n[" << d2 + 1 << "/" << t2 << "] " << c->id << (c->required ? "" : " (optional)")
        << ": " << c->text << "\n";
    trl::TypedAnswer typed;
    std::string line;
    for (;;) {
      tty << "  percent complete (0-100, y = 100, n = 0" << (c->required ? "" : ", na")
          << "; q to quit): " << std::flush;
      if (!std::getline(std::cin, line)) {
        tty << "\n";
        throw InterruptedError("questionnaire ended (end of input); " + std::to_string(d2) +
                               " answers are saved in " + o.file + "; run 'rlab trl ask " + o.file +
                               "' to resume");
      }
      if (line == "q" || line == "quit") {
        tty << "saved " << d2 << "/" << t2 << " answers in " << o.file << "; run 'rlab trl ask "
            << o.file << "' to resume\n";
        return ExitCode::kSuccess;
      }
      if (trl::parse_typed_answer(line, typed) && !(typed.not_applicable && c->required)) break;
      tty << "  please type a number 0-100, y or n" << (c->required ? "" : ", or na") << "\n";
    }
    trl::Answer ans;
    ans.criterion = c->id;
    ans.percent = typed.percent;
    ans.not_applicable = typed.not_applicable;
    if (!typed.not_applicable) {
      tty << "  evidence (paths, URLs, DOIs; separated by spaces or commas; empty for none): "
          << std::flush;
      if (std::getline(std::cin, line)) ans.evidence = trl::split_evidence(line);
      tty << "  note (empty for none): " << std::flush;
      if (std::getline(std::cin, line)) {
        const auto b = line.find_first_not_of(" \t");
        ans.note = b == std::string::npos ? "" : line.substr(b);
      }
    }
    el.answers.push_back(ans);
    write_file_atomic(o.file, trl::answers_yaml(l.file, l.scale));
  }
  tty << "\nall " << total << " criteria answered; saved in " << o.file << "\n\n";
  trl::validate_answers(l.scale, a, l.file.where);
  const Result r = trl::assess(l.scale, a);
  const auto inv = evidence_inventory(l);
  if (ctx.options.format == Format::kJson) {
    emit(o, ctx, assess_json(l, r, inv, o).dump(2) + "\n");
  } else {
    emit(o, ctx, assess_text(l, r, inv, ctx.options.format == Format::kMd));
  }
  return gate(o, r, a, ctx);
}

}  // namespace rlab::trl_cmd

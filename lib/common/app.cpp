// The rlab command line: global flags, the command table, and the one place where errors
// become exit codes and "rlab: error: ..." lines.
#include "rlab/cli_checks.h"
#include "rlab/command.h"
#include "rlab/config_schema.h"
#include "rlab/error.h"
#include "rlab/text.h"
#include "rlab/version.h"

#include <CLI/CLI.hpp>

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <sstream>

namespace rlab {

namespace {

constexpr const char* kFooter =
    "Run 'rlab <command> --help' for a command's options.\n"
    "Exit codes: 0 success, 1 answer is no (gate failed), 2 usage error, 3 invalid input,\n"
    "4 environment or external failure, 5 internal error, 130 interrupted.";

struct Globals {
  int verbose = 0;
  bool quiet = false;
  std::string format = "table";
  std::string config;
  std::vector<std::string> sets;
  bool no_color = false;
  bool version = false;
};

void add_globals(CLI::App& app, Globals& g) {
  app.add_flag("-v,--verbose", g.verbose, "More diagnostics on stderr (-vv for debug)");
  app.add_flag("-q,--quiet", g.quiet, "Errors only on stderr");
  app.add_option("--format", g.format,
                 "Output format: table, json, csv, md (dot, mermaid where meaningful)")
      ->type_name("FORMAT")
      ->check(cli::values({"table", "json", "csv", "md", "dot", "mermaid"}));
  app.add_option("--config", g.config, "Experiment or command config file (YAML)")
      ->type_name("FILE");
  app.add_option("--set", g.sets, "Override a config value: key.path=value (repeatable)")
      ->type_name("KEY=VALUE")
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  app.add_flag("--no-color", g.no_color, "No colour (also when NO_COLOR is set)");
  app.add_flag("--version", g.version, "Print version and git commit, then exit");
}

std::string lower_first(std::string s) {
  if (!s.empty() && s[0] >= 'A' && s[0] <= 'Z' && (s.size() < 2 || !(s[1] >= 'A' && s[1] <= 'Z'))) {
    s[0] = static_cast<char>(s[0] - 'A' + 'a');
  }
  return s;
}

// Every option that names a file or a folder (type FILE or DIR) refuses an empty name at the
// door: "" would otherwise read as "not given" (`--emit-sbatch ""` would train instead of
// writing the job script).
void require_path_names(CLI::App& app) {
  for (CLI::Option* opt : app.get_options()) {
    const std::string type = opt->get_type_name();
    if (type != "FILE" && type != "DIR") continue;
    const std::string what = type == "FILE" ? "a file name" : "a folder name";
    opt->check(CLI::Validator(
        [what](std::string& text) { return text.empty() ? "needs " + what + ", got ''" : ""; }, "",
        "rlab-path"));
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) {
    require_path_names(*sub);
  }
}

struct Built {
  std::unique_ptr<CLI::App> app;
  std::map<std::string, Runner> runners;
};

Built build_app(const std::vector<Command>& table, Context& ctx, Globals& g) {
  Built b;
  b.app = std::make_unique<CLI::App>("rlab: a research lab's method as command-line tools", "rlab");
  CLI::App& app = *b.app;
  app.footer(kFooter);
  app.fallthrough();  // global flags may follow the command
  app.require_subcommand(0, 1);
  add_globals(app, g);
  for (const auto& cmd : table) {
    CLI::App* sub = app.add_subcommand(cmd.name, cmd.summary);
    b.runners[cmd.name] = cmd.setup(*sub, ctx);
  }
  require_path_names(app);
  return b;
}

std::vector<std::string> command_names(const std::vector<Command>& table) {
  std::vector<std::string> names;
  names.reserve(table.size());
  for (const auto& c : table) names.push_back(c.name);
  return names;
}

// Results that never reached stdout are no answer: a gate in CI that wrote nothing to a full
// disk or a closed pipe must not pass. Flushes `out` and throws EnvironmentError (exit 4) when
// any write to it failed.
void check_output(std::ostream& out) {
  const int before = errno;
  errno = 0;
  out.flush();
  if (out.good()) return;
  // The reason, when the failing write left one (a write that failed earlier, into a full
  // buffer, may have been followed by calls that set errno to something unrelated).
  int why = errno != 0 ? errno : before;
  if (why != ENOSPC && why != EIO && why != EPIPE && why != EFBIG && why != EDQUOT &&
      why != EBADF) {
    why = 0;
  }
  throw EnvironmentError(std::string("stdout: cannot write the results") +
                         (why != 0 ? std::string(": ") + std::strerror(why) : std::string()));
}

std::vector<std::string> child_names(CLI::App& app) {
  std::vector<std::string> names;
  for (CLI::App* c : app.get_subcommands([](CLI::App*) { return true; })) {
    names.push_back(c->get_name());
  }
  return names;
}

CLI::App* find_child(CLI::App& app, const std::string& name) {
  for (CLI::App* c : app.get_subcommands([](CLI::App*) { return true; })) {
    if (c->check_name(name)) return c;
  }
  return nullptr;
}

bool has_positionals(const CLI::App& app) {
  for (const CLI::Option* o : app.get_options()) {
    if (!o->nonpositional()) return true;
  }
  return false;
}

bool path_exists(const std::string& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0;
}

// A mistyped sub-command at any level: the word right after a command that has sub-commands,
// when it names none of them. CLI11 would take it for a positional ("strat: cannot read") or
// say "a subcommand is required"; here it is a usage error with the nearest name.
void check_subcommand_words(CLI::App& root, const std::vector<std::string>& args) {
  std::size_t i = 1;
  while (i < args.size() && find_child(root, args[i]) == nullptr) {
    if (args[i] == "--") return;
    ++i;
  }
  if (i >= args.size()) return;
  CLI::App* cur = find_child(root, args[i]);
  std::string where = "rlab " + args[i];
  while (cur != nullptr && i + 1 < args.size()) {
    const std::string& word = args[i + 1];
    const std::vector<std::string> names = child_names(*cur);
    if (names.empty() || word.empty() || word[0] == '-') return;
    if (CLI::App* next = find_child(*cur, word)) {
      cur = next;
      where += " " + word;
      ++i;
      continue;
    }
    if (path_exists(word)) return;
    const std::string hint = did_you_mean(word, names);
    if (!hint.empty() || !has_positionals(*cur)) {
      std::string list;
      for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
      throw UsageError("unknown command '" + where + " " + word + "'" + hint +
                       "; the commands of '" + where + "' are " + list);
    }
    return;
  }
}

}  // namespace

std::vector<std::string> config_section_names(const std::vector<Command>& table) {
  std::vector<std::string> names;
  for (const Command& c : table) {
    if (c.config) names.push_back(c.config().name);
  }
  return names;
}

int run_app(const std::vector<std::string>& args, const std::vector<Command>& table,
            std::ostream& out, std::ostream& err, bool stdout_is_tty, bool stderr_is_tty) {
  return run_app(args, table, out, err, Clock::from_environment(), stdout_is_tty, stderr_is_tty);
}

int run_app(const std::vector<std::string>& args, const std::vector<Command>& table,
            std::ostream& out, std::ostream& err, const Clock& clock, bool stdout_is_tty,
            bool stderr_is_tty) {
  (void)stdout_is_tty;
  Context ctx{out,
              err,
              GlobalOptions{},
              Logger(err, LogLevel::kNormal, false),
              args,
              clock,
              SectionNames([&table] { return config_section_names(table); })};
  Globals g;
  try {
    Built built = build_app(table, ctx, g);
    CLI::App& app = *built.app;
    std::vector<std::string> rev(args.rbegin(), args.rend() - 1);  // CLI11 wants reversed argv
    check_subcommand_words(app, args);
    try {
      app.parse(rev);
    } catch (const CLI::CallForHelp&) {
      out << app.help();
      check_output(out);
      return 0;
    } catch (const CLI::CallForAllHelp&) {
      out << app.help("", CLI::AppFormatMode::All);
      check_output(out);
      return 0;
    } catch (const CLI::ExtrasError& e) {
      if (app.get_subcommands().empty()) {
        for (std::size_t i = 1; i < args.size(); ++i) {
          if (!args[i].empty() && args[i][0] != '-') {
            throw UsageError("unknown command '" + args[i] + "'" +
                             did_you_mean(args[i], command_names(table)) +
                             "; run 'rlab --help' for the list");
          }
        }
      }
      throw UsageError(lower_first(e.what()));
    } catch (const CLI::ParseError& e) {
      std::string where;
      for (CLI::App* s : app.get_subcommands()) where = "rlab " + s->get_name() + " ";
      throw UsageError(lower_first(e.what()) + "; run '" + (where.empty() ? "rlab " : where) +
                       "--help' for usage");
    }

    GlobalOptions& o = ctx.options;
    o.format_given = app.count("--format") > 0;
    o.format = parse_format(g.format);
    o.config_path = g.config;
    o.sets = g.sets;
    o.log_level = g.quiet          ? LogLevel::kQuiet
                  : g.verbose >= 2 ? LogLevel::kDebug
                  : g.verbose == 1 ? LogLevel::kInfo
                                   : LogLevel::kNormal;
    const char* no_color_env = std::getenv("NO_COLOR");
    o.color = stderr_is_tty && !g.no_color && (no_color_env == nullptr || *no_color_env == '\0');
    ctx.log = Logger(err, o.log_level, o.color);

    if (g.version) {
      out << version_line() << '\n';
      check_output(out);
      return 0;
    }
    const auto subs = app.get_subcommands();
    if (subs.empty()) {
      err << app.help();
      return static_cast<int>(ExitCode::kUsage);
    }
    const ExitCode code = built.runners.at(subs.front()->get_name())();
    check_output(out);
    return static_cast<int>(code);
  } catch (const Error& e) {
    Logger log(err, LogLevel::kNormal, ctx.options.color);
    log.error(e.what());
    for (const auto& line : e.more()) log.error(line);
    for (const auto& line : e.notes()) log.note(line);
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    Logger(err, LogLevel::kNormal, ctx.options.color)
        .error(std::string("internal error: ") + e.what() + " (this is a bug; please report it)");
    return static_cast<int>(ExitCode::kInternal);
  }
}

void walk_cli_tree(
    const std::vector<Command>& table,
    const std::function<void(const std::vector<std::string>& path, const CLI::App& app)>& visit) {
  std::ostringstream sink;
  Context ctx{sink,
              sink,
              GlobalOptions{},
              Logger(sink, LogLevel::kQuiet, false),
              {},
              Clock(),
              SectionNames([&table] { return config_section_names(table); })};
  Globals g;
  Built built = build_app(table, ctx, g);
  std::vector<std::string> path = {"rlab"};
  std::function<void(CLI::App&)> walk = [&](CLI::App& app) {
    visit(path, app);
    for (CLI::App* c : app.get_subcommands([](CLI::App*) { return true; })) {
      path.push_back(c->get_name());
      walk(*c);
      path.pop_back();
    }
  };
  walk(*built.app);
}

namespace {

// What completion offers after an option that takes a value.
enum class ValueKind { kNone, kWords, kFiles, kDirs };

struct ValueOption {
  std::vector<std::string> names;  // "--out", "-o"
  ValueKind kind = ValueKind::kNone;
  std::vector<std::string> words;
};

struct Node {
  std::string path;                                       // "rlab pomodoro journal"
  std::vector<std::pair<std::string, std::string>> subs;  // name, summary
  std::vector<std::string> flags;                         // every option name
  std::vector<ValueOption> values;                        // options that take a value
  std::vector<std::string> words;                         // what a positional of this command takes
  bool files = false;                                     // a positional (file) may follow
};

std::vector<std::string> names_of(const CLI::Option& opt) {
  std::vector<std::string> n;
  for (const auto& l : opt.get_lnames()) n.push_back("--" + l);
  for (const auto& s : opt.get_snames()) n.push_back("-" + s);
  return n;
}

ValueKind kind_of(const CLI::Option& opt, const std::vector<std::string>& words) {
  if (!words.empty()) return ValueKind::kWords;
  const std::string t = opt.get_type_name();
  if (t == "FILE") return ValueKind::kFiles;
  if (t == "DIR") return ValueKind::kDirs;
  return ValueKind::kNone;
}

// Every command node of the tree with what completion needs, taken from the CLI11 options:
// names, whether they take a value, their words (cli::one_of / cli::values) or FILE/DIR type.
std::vector<Node> describe(const std::vector<Command>& table) {
  std::vector<Node> nodes;
  std::vector<const CLI::App*> chain;
  walk_cli_tree(table, [&](const std::vector<std::string>& path, const CLI::App& app) {
    chain.resize(path.size() - 1);
    chain.push_back(&app);
    Node n;
    for (std::size_t i = 0; i < path.size(); ++i) n.path += (i > 0 ? " " : "") + path[i];
    for (const CLI::App* c :
         const_cast<CLI::App&>(app).get_subcommands([](CLI::App*) { return true; })) {
      n.subs.emplace_back(c->get_name(), c->get_description());
    }
    // Options of this command and of the commands above it (not the root: the globals are
    // offered everywhere on their own).
    for (std::size_t depth = chain.size(); depth-- > (chain.size() > 1 ? 1 : 0);) {
      for (const CLI::Option* opt : chain[depth]->get_options()) {
        if (!opt->nonpositional()) {
          if (depth + 1 == chain.size()) {
            const auto w = cli::option_values(*opt);
            n.words.insert(n.words.end(), w.begin(), w.end());
            n.files = n.files || w.empty();
          }
          continue;
        }
        if (depth == 0 && chain.size() > 1) continue;
        const auto names = names_of(*opt);
        n.flags.insert(n.flags.end(), names.begin(), names.end());
        if (opt->get_expected_max() > 0 && opt->get_type_size_max() > 0) {
          ValueOption v;
          v.names = names;
          v.words = cli::option_values(*opt);
          v.kind = kind_of(*opt, v.words);
          n.values.push_back(v);
        }
      }
    }
    if (n.subs.empty() && n.words.empty() && path.size() > 1) n.files = true;
    nodes.push_back(std::move(n));
  });
  return nodes;
}

std::string zsh_escape(const std::string& s) {
  std::string r;
  for (char c : s) {
    if (c == '\'') {
      r += "'\\''";
    } else if (c == ':') {
      r += "\\:";
    } else {
      r += c;
    }
  }
  return r;
}

// The case patterns for "<path> <option>" of every value option, one line each.
template <typename Emit>
void value_cases(const std::vector<Node>& nodes, const Emit& emit) {
  for (const Node& n : nodes) {
    if (n.path == "rlab") continue;
    for (const ValueOption& v : n.values) {
      std::string pattern;
      for (const auto& name : v.names)
        pattern += (pattern.empty() ? "" : "|") + ("\"" + n.path + " " + name + "\"");
      emit(pattern, v);
    }
  }
  // The globals, after every command's own (pomodoro status has a --format of its own).
  for (const ValueOption& v : nodes.front().values) {
    std::string pattern;
    for (const auto& name : v.names)
      pattern += (pattern.empty() ? "" : "|") + ("*\" " + name + "\"");
    emit(pattern, v);
  }
}

std::string bash_script(const std::vector<Node>& nodes) {
  std::string s;
  s += "# bash completion for rlab; generated by 'rlab completion bash'\n";
  s += "# Load with:  source <(rlab completion bash)\n";
  s += "_rlab() {\n";
  s += "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"\" cpath=\"rlab\" i\n";
  s += "  [[ $COMP_CWORD -gt 0 ]] && prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n";
  s += "  for ((i = 1; i < COMP_CWORD; i++)); do\n";
  s += "    case \"$cpath ${COMP_WORDS[i]}\" in\n";
  std::string paths;
  for (const Node& n : nodes) {
    if (n.path != "rlab") paths += (paths.empty() ? "" : "|") + ("\"" + n.path + "\"");
  }
  s += "      " + paths + ") cpath=\"$cpath ${COMP_WORDS[i]}\" ;;\n";
  s += "    esac\n";
  s += "  done\n";
  s += "  case \"$cpath $prev\" in\n";
  value_cases(nodes, [&](const std::string& pattern, const ValueOption& v) {
    s += "    " + pattern + ") ";
    switch (v.kind) {
      case ValueKind::kWords:
        s += "COMPREPLY=($(compgen -W \"" + join(v.words, " ") + "\" -- \"$cur\"))";
        break;
      case ValueKind::kFiles:
        s += "COMPREPLY=($(compgen -f -- \"$cur\"))";
        break;
      case ValueKind::kDirs:
        s += "COMPREPLY=($(compgen -d -- \"$cur\"))";
        break;
      case ValueKind::kNone:
        s += "COMPREPLY=()";
        break;
    }
    s += "; return ;;\n";
  });
  s += "  esac\n";
  s += "  local subs=\"\" opts=\"" + join(nodes.front().flags, " ") + "\" files=0\n";
  s += "  case \"$cpath\" in\n";
  for (const Node& n : nodes) {
    std::vector<std::string> subs;
    for (const auto& sub : n.subs) subs.push_back(sub.first);
    subs.insert(subs.end(), n.words.begin(), n.words.end());
    s += "    \"" + n.path + "\") subs=\"" + join(subs, " ") + "\"";
    if (n.path != "rlab") s += "; opts=\"$opts " + join(n.flags, " ") + "\"";
    s += "; files=" + std::string(n.files ? "1" : "0") + " ;;\n";
  }
  s += "  esac\n";
  s += "  if [[ \"$cur\" == -* ]]; then\n";
  s += "    COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n";
  s += "  else\n";
  s += "    COMPREPLY=($(compgen -W \"$subs\" -- \"$cur\"))\n";
  s += "    [[ $files == 1 ]] && COMPREPLY+=($(compgen -f -- \"$cur\"))\n";
  s += "  fi\n";
  s += "  return 0\n";
  s += "}\n";
  s += "complete -o filenames -F _rlab rlab\n";
  return s;
}

std::string zsh_script(const std::vector<Node>& nodes) {
  std::string s;
  s += "#compdef rlab\n";
  s += "# zsh completion for rlab; generated by 'rlab completion zsh'\n";
  s += "# Load with:  source <(rlab completion zsh)   (or save as _rlab in $fpath)\n";
  s += "_rlab() {\n";
  s += "  local cpath=\"rlab\" cur=\"${words[CURRENT]}\" prev=\"${words[CURRENT-1]}\" i\n";
  s += "  for ((i = 2; i < CURRENT; i++)); do\n";
  s += "    case \"$cpath ${words[i]}\" in\n";
  std::string paths;
  for (const Node& n : nodes) {
    if (n.path != "rlab") paths += (paths.empty() ? "" : "|") + ("\"" + n.path + "\"");
  }
  s += "      (" + paths + ") cpath=\"$cpath ${words[i]}\" ;;\n";
  s += "    esac\n";
  s += "  done\n";
  s += "  case \"$cpath $prev\" in\n";
  value_cases(nodes, [&](const std::string& pattern, const ValueOption& v) {
    s += "    (" + pattern + ") ";
    switch (v.kind) {
      case ValueKind::kWords:
        s += "compadd -- " + join(v.words, " ");
        break;
      case ValueKind::kFiles:
        s += "_files";
        break;
      case ValueKind::kDirs:
        s += "_files -/";
        break;
      case ValueKind::kNone:
        s += ":";
        break;
    }
    s += "; return ;;\n";
  });
  s += "  esac\n";
  s += "  local -a subs opts vals\n";
  s += "  local files=0\n";
  s += "  opts=(" + join(nodes.front().flags, " ") + ")\n";
  s += "  case \"$cpath\" in\n";
  for (const Node& n : nodes) {
    s += "    (\"" + n.path + "\") subs=(";
    std::vector<std::string> subs;
    for (const auto& sub : n.subs)
      subs.push_back("'" + zsh_escape(sub.first) + ":" + zsh_escape(sub.second) + "'");
    s += join(subs, " ") + ")";
    if (!n.words.empty()) s += "; vals=(" + join(n.words, " ") + ")";
    if (n.path != "rlab") s += "; opts+=(" + join(n.flags, " ") + ")";
    s += "; files=" + std::string(n.files ? "1" : "0") + " ;;\n";
  }
  s += "  esac\n";
  s += "  if [[ $cur == -* ]]; then compadd -- $opts; return; fi\n";
  s += "  (( ${#subs} )) && _describe 'rlab command' subs\n";
  s += "  (( ${#vals} )) && compadd -- $vals\n";
  s += "  (( files )) && _files\n";
  s += "  return 0\n";
  s += "}\n";
  s += "if [[ $zsh_eval_context[-1] == loadautofunc ]]; then _rlab \"$@\"; else compdef _rlab "
       "rlab; fi\n";
  return s;
}

}  // namespace

std::string completion_script(const std::string& shell, const std::vector<Command>& table) {
  if (shell == "bash") return bash_script(describe(table));
  if (shell == "zsh") return zsh_script(describe(table));
  throw UsageError("unknown shell '" + shell + "' (use bash or zsh)" +
                   did_you_mean(shell, {"bash", "zsh"}));
}

}  // namespace rlab

// The rlab command line: global flags, the command table, and the one place where errors
// become exit codes and "rlab: error: ..." lines.
#include "rlab/command.h"
#include "rlab/error.h"
#include "rlab/text.h"
#include "rlab/version.h"

#include <CLI/CLI.hpp>

#include <cstdlib>
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
      ->type_name("FORMAT");
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
  return b;
}

std::vector<std::string> command_names(const std::vector<Command>& table) {
  std::vector<std::string> names;
  names.reserve(table.size());
  for (const auto& c : table) names.push_back(c.name);
  return names;
}

}  // namespace

int run_app(const std::vector<std::string>& args, const std::vector<Command>& table,
            std::ostream& out, std::ostream& err, bool stdout_is_tty, bool stderr_is_tty) {
  (void)stdout_is_tty;
  Context ctx{out, err, GlobalOptions{}, Logger(err, LogLevel::kNormal, false), args};
  Globals g;
  try {
    Built built = build_app(table, ctx, g);
    CLI::App& app = *built.app;
    std::vector<std::string> rev(args.rbegin(), args.rend() - 1);  // CLI11 wants reversed argv
    try {
      app.parse(rev);
    } catch (const CLI::CallForHelp&) {
      out << app.help();
      return 0;
    } catch (const CLI::CallForAllHelp&) {
      out << app.help("", CLI::AppFormatMode::All);
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
      return 0;
    }
    const auto subs = app.get_subcommands();
    if (subs.empty()) {
      err << app.help();
      return static_cast<int>(ExitCode::kUsage);
    }
    return static_cast<int>(built.runners.at(subs.front()->get_name())());
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

namespace {

struct CommandOptions {
  std::string name;
  std::string summary;
  std::vector<std::string> flags;
};

std::vector<CommandOptions> describe(const std::vector<Command>& table,
                                     std::vector<std::string>& globals) {
  std::ostringstream sink;
  Context ctx{sink, sink, GlobalOptions{}, Logger(sink, LogLevel::kQuiet, false), {}};
  Globals g;
  Built built = build_app(table, ctx, g);
  auto flags_of = [](const CLI::App& a) {
    std::vector<std::string> flags;
    for (const CLI::Option* opt : a.get_options()) {
      if (!opt->nonpositional()) continue;
      for (const auto& l : opt->get_lnames()) flags.push_back("--" + l);
      for (const auto& s : opt->get_snames()) flags.push_back("-" + s);
    }
    return flags;
  };
  globals = flags_of(*built.app);
  std::vector<CommandOptions> out;
  for (const auto& cmd : table) {
    const CLI::App* sub = built.app->get_subcommand(cmd.name);
    out.push_back({cmd.name, cmd.summary, flags_of(*sub)});
  }
  return out;
}

std::string join(const std::vector<std::string>& v, const char* sep = " ") {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
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

}  // namespace

std::string completion_script(const std::string& shell, const std::vector<Command>& table) {
  std::vector<std::string> globals;
  const auto cmds = describe(table, globals);
  const std::string formats = "table json csv md dot mermaid";
  std::string s;
  if (shell == "bash") {
    s += "# bash completion for rlab; generated by 'rlab completion bash'\n";
    s += "# Load with:  source <(rlab completion bash)\n";
    s += "_rlab() {\n";
    s += "  local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"\" cmd=\"\" i\n";
    s += "  [[ $COMP_CWORD -gt 0 ]] && prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n";
    s += "  local cmds=\"" + join(command_names(table)) + "\"\n";
    s += "  local globals=\"" + join(globals) + "\"\n";
    s += "  for ((i = 1; i < COMP_CWORD; i++)); do\n";
    s += "    if [[ \" $cmds \" == *\" ${COMP_WORDS[i]} \"* ]]; then cmd=\"${COMP_WORDS[i]}\"; "
         "break; fi\n";
    s += "  done\n";
    s += "  case \"$prev\" in\n";
    s += "    --format) COMPREPLY=($(compgen -W \"" + formats + "\" -- \"$cur\")); return ;;\n";
    s += "    --config) COMPREPLY=($(compgen -f -- \"$cur\")); return ;;\n";
    s += "  esac\n";
    s += "  local opts=\"$globals\"\n";
    s += "  case \"$cmd\" in\n";
    for (const auto& c : cmds) {
      s += "    " + c.name + ") opts=\"$opts " + join(c.flags) + "\" ;;\n";
    }
    s += "    \"\") if [[ \"$cur\" != -* ]]; then COMPREPLY=($(compgen -W \"$cmds\" -- \"$cur\")); "
         "return; fi ;;\n";
    s += "  esac\n";
    s += "  if [[ \"$cur\" == -* ]]; then\n";
    s += "    COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n";
    s += "  else\n";
    s += "    COMPREPLY=($(compgen -f -- \"$cur\"))\n";
    s += "  fi\n";
    s += "}\n";
    s += "complete -o filenames -F _rlab rlab\n";
    return s;
  }
  if (shell == "zsh") {
    s += "#compdef rlab\n";
    s += "# zsh completion for rlab; generated by 'rlab completion zsh'\n";
    s += "# Load with:  source <(rlab completion zsh)   (or save as _rlab in $fpath)\n";
    s += "_rlab() {\n";
    s += "  local -a commands globals\n";
    s += "  commands=(\n";
    for (const auto& c : cmds)
      s += "    '" + zsh_escape(c.name) + ":" + zsh_escape(c.summary) + "'\n";
    s += "  )\n";
    s += "  globals=(" + join(globals) + ")\n";
    s += "  local cmd=\"\" w\n";
    s += "  for w in ${words[2,CURRENT-1]}; do\n";
    s += "    if (( ${commands[(I)${w}:*]} )); then cmd=$w; break; fi\n";
    s += "  done\n";
    s +=
        "  if [[ ${words[CURRENT-1]} == --format ]]; then compadd -- " + formats + "; return; fi\n";
    s += "  if [[ -z $cmd && ${words[CURRENT]} != -* ]]; then _describe 'rlab command' commands; "
         "return; fi\n";
    s += "  local -a opts; opts=($globals)\n";
    s += "  case $cmd in\n";
    for (const auto& c : cmds) s += "    " + c.name + ") opts+=(" + join(c.flags) + ") ;;\n";
    s += "  esac\n";
    s += "  if [[ ${words[CURRENT]} == -* ]]; then compadd -- $opts; else _files; fi\n";
    s += "}\n";
    s += "if [[ $zsh_eval_context[-1] == loadautofunc ]]; then _rlab \"$@\"; else compdef _rlab "
         "rlab; fi\n";
    return s;
  }
  throw UsageError("unknown shell '" + shell + "' (use bash or zsh)" +
                   did_you_mean(shell, {"bash", "zsh"}));
}

}  // namespace rlab

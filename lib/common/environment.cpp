#include "rlab/environment.h"

#include "rlab/version.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <string>

namespace rlab {

namespace {
std::string unquote(std::string s) {
  if (s.size() >= 2 && (s.front() == '"' || s.front() == '\'') && s.back() == s.front()) {
    return s.substr(1, s.size() - 2);
  }
  return s;
}

std::string read_key(const char* file, const std::string& key, char sep) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    const auto pos = line.find(sep);
    if (pos == std::string::npos) continue;
    std::string k = line.substr(0, pos);
    while (!k.empty() && (k.back() == ' ' || k.back() == '\t')) k.pop_back();
    if (k != key) continue;
    std::string v = line.substr(pos + 1);
    const auto first = v.find_first_not_of(" \t");
    return first == std::string::npos ? "" : unquote(v.substr(first));
  }
  return "";
}
}  // namespace

Environment collect_environment() {
  Environment env;
  env.rlab_version = version();
  env.git_commit = git_commit();
  env.compiler = compiler();
  struct utsname u {};
  if (::uname(&u) == 0) {
    env.os = u.sysname;
    env.kernel = u.release;
    env.arch = u.machine;
  }
  const std::string pretty = read_key("/etc/os-release", "PRETTY_NAME", '=');
  if (!pretty.empty()) env.os = pretty;
  env.cpu_model = read_key("/proc/cpuinfo", "model name", ':');
  env.cpu_count = static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN));
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGE_SIZE);
  if (pages > 0 && page_size > 0) {
    env.memory_mb = static_cast<long long>(pages) * page_size / (1024 * 1024);
  }
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) == 0) env.hostname = host;
  return env;
}

}  // namespace rlab

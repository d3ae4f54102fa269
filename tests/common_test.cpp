#include "rlab/error.h"
#include "rlab/files.h"
#include "rlab/huge_pages.h"
#include "rlab/output.h"
#include "rlab/text.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <thread>
#include <vector>

#include "support/run.h"

namespace rlab {
namespace {

TEST(TextEditDistance, CountsInsertDeleteSubstitute) {
  EXPECT_EQ(edit_distance("", ""), 0U);
  EXPECT_EQ(edit_distance("abc", ""), 3U);
  EXPECT_EQ(edit_distance("kitten", "sitting"), 3U);
  EXPECT_EQ(edit_distance("prioritze", "prioritize"), 1U);
  EXPECT_EQ(edit_distance("modle", "model"), 1U);  // adjacent swap
  EXPECT_EQ(edit_distance("ca", "abc"), 3U);       // OSA, not unrestricted Damerau (2)
}

TEST(TextDidYouMean, SuggestsOnlyCloseCandidates) {
  EXPECT_EQ(did_you_mean("prioritze", {"prioritize", "doctor"}), " (did you mean 'prioritize'?)");
  EXPECT_EQ(did_you_mean("xyz", {"prioritize", "doctor"}), "");
  EXPECT_EQ(closest_match("impct", {"impact", "input"}).value_or(""), "impact");
}

TEST(TextFormat, NumbersWithoutNoise) {
  EXPECT_EQ(format_number(1.125), "1.125");
  EXPECT_EQ(format_number(12.0), "12");
  EXPECT_EQ(format_fixed(8.0 / 7.0, 3), "1.143");
  EXPECT_EQ(format_fixed(-0.0001, 2), "0.00");
}

TEST(OutputCsv, QuotesOnlyWhenNeeded) {
  Table t;
  t.headers = {"a", "b"};
  t.rows = {{"plain", "with,comma"}, {"say \"hi\"", "two\nlines"}};
  EXPECT_EQ(render_csv(t), "a,b\nplain,\"with,comma\"\n\"say \"\"hi\"\"\",\"two\nlines\"\n");
}

TEST(OutputMarkdown, EscapesPipesAndAlignsNumbers) {
  Table t;
  t.headers = {"name", "n"};
  t.numeric_columns = {1};
  t.rows = {{"a|b", "1"}};
  EXPECT_EQ(render_markdown(t), "| name | n |\n|---|---:|\n| a\\|b | 1 |\n");
}

TEST(OutputPlain, AlignsColumnsByCodePoints) {
  Table t;
  t.headers = {"id", "n"};
  t.numeric_columns = {1};
  t.rows = {{"é", "10"}, {"ab", "2"}};
  EXPECT_EQ(render_plain(t), "id   n\n--  --\né   10\nab   2\n");
}

TEST(OutputFormat, ParsesAndRejects) {
  EXPECT_EQ(parse_format("markdown"), Format::kMd);
  EXPECT_THROW(parse_format("xml"), UsageError);
  EXPECT_THROW(require_format(Format::kDot, {Format::kTable, Format::kJson}, "x"), UsageError);
}

TEST(FilesAtomicWrite, ReplacesWholeFileAndLeavesNoTemp) {
  test::TempDir dir;
  const std::string p = dir.path() + "/out.txt";
  write_file_atomic(p, "first\n");
  write_file_atomic(p, "second\n");
  EXPECT_EQ(read_file(p), "second\n");
  EXPECT_EQ(test::list_dir(dir.path()), std::vector<std::string>{"out.txt"});
}

TEST(FilesAtomicWrite, KeepsPermissionsOfReplacedFile) {
  test::TempDir dir;
  const std::string p = dir.write("f", "x");
  ASSERT_EQ(::chmod(p.c_str(), 0600), 0);
  write_file_atomic(p, "y");
  struct stat st {};
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600U);
}

// What a rename would replace is written in place instead: a device node (here a private copy
// of /dev/null's, so that a failure cannot break the machine's), a FIFO, a symbolic link.
TEST(FilesAtomicWrite, DevicesFifosAndLinksAreWrittenThroughNotReplaced) {
  test::TempDir dir;
  const std::string dev = dir.path() + "/null";
  if (::mknod(dev.c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0) {
    write_file_atomic(dev, "gone\n");
    struct stat st {};
    ASSERT_EQ(::stat(dev.c_str(), &st), 0);
    EXPECT_TRUE(S_ISCHR(st.st_mode)) << "the device node was replaced";
    ASSERT_EQ(::unlink(dev.c_str()), 0);
  }
  const std::string fifo = dir.path() + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  // The test holds both ends open first, so a regression (a rename over the FIFO) shows as
  // missing data instead of a reader blocked for ever.
  const int rfd = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
  ASSERT_GE(rfd, 0);
  const int keep = ::open(fifo.c_str(), O_WRONLY);
  ASSERT_GE(keep, 0);
  ASSERT_EQ(::fcntl(rfd, F_SETFL, 0), 0);
  std::string got;
  std::thread reader([&] {
    char chunk[4096];
    for (ssize_t n; (n = ::read(rfd, chunk, sizeof chunk)) > 0;)
      got.append(chunk, static_cast<std::size_t>(n));
  });
  write_file_atomic(fifo, std::string(200000, 'f'));  // more than a pipe holds
  ::close(keep);
  reader.join();
  ::close(rfd);
  EXPECT_EQ(got, std::string(200000, 'f'));
  struct stat st {};
  ASSERT_EQ(::stat(fifo.c_str(), &st), 0);
  EXPECT_TRUE(S_ISFIFO(st.st_mode));
  // A link to a file: the file gets the new text, the link stays a link.
  const std::string target = dir.write("target.txt", "old");
  const std::string link = dir.path() + "/link.txt";
  ASSERT_EQ(::symlink("target.txt", link.c_str()), 0);
  write_file_atomic(link, "new");
  EXPECT_EQ(read_file(target), "new");
  ASSERT_EQ(::lstat(link.c_str(), &st), 0);
  EXPECT_TRUE(S_ISLNK(st.st_mode));
  // /proc/self/fd/N of a pipe (what /dev/stdout is under `| cmd`) is written, not replaced.
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  write_file_atomic("/proc/self/fd/" + std::to_string(fds[1]), "through the pipe");
  ::close(fds[1]);
  char buf[64] = {};
  EXPECT_EQ(::read(fds[0], buf, sizeof buf), 16);
  EXPECT_EQ(std::string(buf), "through the pipe");
  ::close(fds[0]);
  EXPECT_EQ(test::list_dir(dir.path()),
            (std::vector<std::string>{"fifo", "link.txt", "target.txt"}));
}

TEST(FilesAtomicWrite, FailureLeavesOldFileIntact) {
  test::TempDir dir;
  const std::string p = dir.write("keep.txt", "old");
  // A directory cannot be renamed over by a file: the write fails after the temp file was
  // written, and neither the directory nor a temp file may remain changed.
  const std::string sub = dir.path() + "/sub";
  ASSERT_EQ(::mkdir(sub.c_str(), 0755), 0);
  // A folder named as the file to write is the caller's mistake (exit 3), not the machine's.
  EXPECT_THROW(write_file_atomic(sub, "new"), InputError);
  EXPECT_THROW(write_file_atomic(dir.path() + "/missing/x", "new"), EnvironmentError);
  EXPECT_EQ(read_file(p), "old");
  EXPECT_EQ(test::list_dir(dir.path()), (std::vector<std::string>{"keep.txt", "sub"}));
}

TEST(FilesRead, MissingFileIsInputError) {
  try {
    (void)read_file("/nonexistent/rlab.yaml");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(std::string(e.what()),
              "/nonexistent/rlab.yaml: cannot read: No such file or directory");
    EXPECT_EQ(e.code(), ExitCode::kInvalidInput);
  }
}

TEST(FilesDataDirs, RlabHomeWinsOverXdg) {
  ::setenv("RLAB_HOME", "/tmp/rh", 1);
  EXPECT_EQ(data_dirs().cache, "/tmp/rh/cache");
  ::unsetenv("RLAB_HOME");
  ::setenv("XDG_CACHE_HOME", "/tmp/xc", 1);
  ::setenv("HOME", "/home/u", 1);
  EXPECT_EQ(data_dirs().cache, "/tmp/xc/rlab");
  EXPECT_EQ(data_dirs().data, ::getenv("XDG_DATA_HOME") != nullptr
                                  ? std::string(::getenv("XDG_DATA_HOME")) + "/rlab"
                                  : std::string("/home/u/.local/share/rlab"));
  ::unsetenv("XDG_CACHE_HOME");
}

}  // namespace
}  // namespace rlab

// ---- Huge pages -------------------------------------------------------------------------

TEST(HugePages, LargeBlocksAreAlignedAndHoldTheirData) {
  // Small vectors come from operator new; large ones from a 2 MiB-aligned mapping.
  rlab::HugeVector<std::uint32_t> small(1000, 7);
  EXPECT_EQ(small[999], 7u);
  for (std::size_t n : {std::size_t{1} << 20, (std::size_t{3} << 20) + 5}) {
    rlab::HugeVector<std::uint32_t> v(n);
    EXPECT_EQ(reinterpret_cast<std::uintptr_t>(v.data()) % (std::size_t{2} << 20), 0u) << n;
    for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint32_t>(i * 2654435761u);
    v.push_back(1);  // grows: copies into a new mapping and frees the old one
    for (std::size_t i = 0; i < n; i += 4097)
      ASSERT_EQ(v[i], static_cast<std::uint32_t>(i * 2654435761u)) << i;
    EXPECT_EQ(v.back(), 1u);
  }
  // Advice on a block from another allocator is harmless, aligned or not.
  std::vector<char> other(std::size_t{5} << 20, 'x');
  rlab::advise_huge_pages(other.data() + 1, other.size() - 1);
  rlab::advise_huge_pages(other.data(), 10);
  EXPECT_EQ(other[other.size() / 2], 'x');
}

#include "rlab/error.h"
#include "rlab/files.h"
#include "rlab/huge_pages.h"
#include "rlab/output.h"
#include "rlab/text.h"

#include <gtest/gtest.h>

#include <sys/stat.h>

#include <cstdint>
#include <cstdlib>
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

TEST(FilesAtomicWrite, FailureLeavesOldFileIntact) {
  test::TempDir dir;
  const std::string p = dir.write("keep.txt", "old");
  // A directory cannot be renamed over by a file: the write fails after the temp file was
  // written, and neither the directory nor a temp file may remain changed.
  const std::string sub = dir.path() + "/sub";
  ASSERT_EQ(::mkdir(sub.c_str(), 0755), 0);
  EXPECT_THROW(write_file_atomic(sub, "new"), EnvironmentError);
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

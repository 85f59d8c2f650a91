// Atomic output: a target appears only complete, a failed write leaves nothing behind, and
// devices or pipes are written in place rather than replaced.

#include "clvkit/output/output_file.hpp"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "../cli/cli_runner.hpp"
#include "clvkit/error.hpp"

namespace {
using clvkit::OutputFile;
using clvkit::test::read_text;
using clvkit::test::TempDir;

std::size_t entries(const std::filesystem::path& dir) {
  return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(dir),
                                                std::filesystem::directory_iterator()));
}
}  // namespace

TEST_CASE("output appears under its name only on commit", "[io][output]") {
  TempDir dir;
  const std::string path = dir.file("out.json");
  clvkit::test::write_text(path, "old");
  {
    OutputFile out(path);
    out.write("new ");
    out.write(std::string(3 << 20, 'x'));  // larger than the buffer: reaches the temp file
    CHECK(read_text(path) == "old");       // readers still see the previous version
    out.commit();
  }
  CHECK(read_text(path).size() == 4 + (3u << 20));
  CHECK(entries(dir.path()) == 1);  // no temporary left
}

TEST_CASE("an uncommitted output leaves neither a file nor a temporary", "[io][output]") {
  TempDir dir;
  {
    OutputFile out(dir.file("out.csv"));
    out.write("half a file");
  }
  CHECK(entries(dir.path()) == 0);
}

TEST_CASE("a pipe is written in place, not replaced by a regular file", "[io][output]") {
  TempDir dir;
  const std::string fifo = dir.file("pipe");
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  std::string received;
  std::thread reader([&] {
    std::ifstream in(fifo, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    received = text.str();
  });
  {
    OutputFile out(fifo);
    out.write("through the pipe");
    out.commit();
  }
  reader.join();
  CHECK(received == "through the pipe");
  CHECK(std::filesystem::is_fifo(fifo));
}

TEST_CASE("unwritable targets are IO errors naming the path", "[io][output][inputcheck]") {
  TempDir dir;
  CHECK_THROWS_AS(OutputFile(dir.file("no/such/dir/out.json")), clvkit::IoError);
  CHECK_THROWS_WITH(OutputFile(dir.path().string()), Catch::Contains("is a directory"));
}

TEST_CASE("a file larger than the writeback pieces lands whole and in order", "[io][output]") {
  // 70 MiB: more than one 64 MiB piece is handed to the disk before commit.
  TempDir dir;
  const std::string path = dir.file("large.txt");
  std::string line(1023, 'x');
  line += '\n';
  constexpr int kLines = 70 * 1024;
  {
    OutputFile out(path);
    for (int i = 0; i < kLines; ++i) {
      line[0] = static_cast<char>('a' + i % 26);
      out.write(line);
    }
    out.commit();
  }
  REQUIRE(std::filesystem::file_size(path) == std::uintmax_t{kLines} * 1024);
  std::ifstream in(path, std::ios::binary);
  for (const int i : {0, 1, 65535, 65536, 65537, kLines - 1}) {
    in.seekg(std::streamoff{i} * 1024);
    CHECK(static_cast<char>(in.get()) == static_cast<char>('a' + i % 26));
  }
}

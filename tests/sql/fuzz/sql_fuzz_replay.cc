// sql_fuzz_replay: runs sql_fuzz.cc's LLVMFuzzerTestOneInput over files
// without libFuzzer, so that the committed corpus and every crash found stay
// tested in the ordinary builds (ctest runs it over corpus/ and
// regressions/). Arguments are files or directories (every regular file in
// them, in name order; names starting with '.' are skipped). A broken
// invariant aborts; a file that cannot be read exits 1.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace {

// The inputs named by `arg`; false (after saying why) if it cannot be read.
bool CollectInputs(const std::filesystem::path& arg,
                   std::vector<std::filesystem::path>* inputs) {
  std::error_code ec;
  if (std::filesystem::is_regular_file(arg, ec)) {
    inputs->push_back(arg);
    return true;
  }
  if (!std::filesystem::is_directory(arg, ec)) {
    std::fprintf(stderr, "sql_fuzz_replay: %s: not a file or directory\n",
                 arg.c_str());
    return false;
  }
  std::vector<std::filesystem::path> found;
  for (const auto& entry : std::filesystem::directory_iterator(arg, ec)) {
    if (!entry.is_regular_file(ec)) continue;
    if (entry.path().filename().string().starts_with(".")) continue;
    found.push_back(entry.path());
  }
  if (ec) {
    std::fprintf(stderr, "sql_fuzz_replay: %s: %s\n", arg.c_str(),
                 ec.message().c_str());
    return false;
  }
  std::sort(found.begin(), found.end());
  inputs->insert(inputs->end(), found.begin(), found.end());
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: sql_fuzz_replay FILE_OR_DIR...\n");
    return 2;
  }
  std::vector<std::filesystem::path> inputs;
  for (int i = 1; i < argc; ++i) {
    if (!CollectInputs(argv[i], &inputs)) return 1;
  }
  for (const std::filesystem::path& path : inputs) {
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)),
                      std::istreambuf_iterator<char>());
    if (in.bad()) {
      std::fprintf(stderr, "sql_fuzz_replay: cannot read %s\n", path.c_str());
      return 1;
    }
    // Printed first, so that a crash names its input.
    std::fprintf(stderr, "sql_fuzz_replay: %s\n", path.c_str());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()),
                           bytes.size());
  }
  std::printf("sql_fuzz_replay: %zu inputs, no failure\n", inputs.size());
  return 0;
}

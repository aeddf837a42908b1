// Runs a libFuzzer-style target without libFuzzer (non-clang builds): feeds it a bounded
// number of seeded pseudo-random inputs of random lengths, so the `fuzz` label still
// exercises every parser. Usage: TARGET [RUNS]
#include <cstdint>
#include <cstdlib>
#include <random>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

int main(int argc, char** argv) {
  long runs = argc > 1 ? std::atol(argv[1]) : 10000;
  std::mt19937_64 rng(1);
  std::vector<uint8_t> input;
  for (long i = 0; i < runs; ++i) {
    input.resize(rng() % 1500);
    for (auto& byte : input) byte = static_cast<uint8_t>(rng());
    LLVMFuzzerTestOneInput(input.data(), input.size());
  }
  return 0;
}

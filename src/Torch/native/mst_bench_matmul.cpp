// Reference timing of libtorch matmul without the C# binding, for bench/TorchBench.
// Usage: mst_bench_matmul SIZE THREADS ITERATIONS  -> prints "size threads ms_per_op"
#include <torch/torch.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <dlfcn.h>

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s SIZE THREADS ITERATIONS\n", argv[0]);
    return 2;
  }
  const int64_t n = std::atoll(argv[1]);
  const int threads = std::atoi(argv[2]);
  const int iters = std::atoi(argv[3]);
  torch::set_num_threads(threads);
  // Same thread policy as the shim's mst_set_num_threads.
  using fn_t = void (*)(int);
  if (auto fn = reinterpret_cast<fn_t>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) fn(threads);
  torch::manual_seed(1);
  auto a = torch::randn({n, n});
  auto b = torch::randn({n, n});
  for (int i = 0; i < 3; ++i) a.matmul(b);  // warm-up
  auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < iters; ++i) {
    auto c = a.matmul(b);
  }
  auto t1 = std::chrono::steady_clock::now();
  double ms = std::chrono::duration<double, std::milli>(t1 - t0).count() / iters;
  std::printf("%lld %d %.6f\n", static_cast<long long>(n), threads, ms);
  return 0;
}

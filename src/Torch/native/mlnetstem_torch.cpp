// The whole shim is one translation unit: <torch/torch.h> costs ~40 s per unit to compile.
#include "mlnetstem_torch.h"

#include <torch/torch.h>
#include <ATen/CPUGeneratorImpl.h>

#include <dlfcn.h>
#include <string>
#include <vector>

struct mst_tensor {
  torch::Tensor t;
};
struct mst_generator {
  at::Generator g;
};

namespace {

thread_local std::string g_last_error;

void set_error(const char* msg) { g_last_error = msg ? msg : "(no message)"; }

// Every export funnels through this so that no C++ exception ever crosses the C ABI.
template <typename F>
int guarded(F&& body) {
  try {
    body();
    return 0;
  } catch (const c10::Error& e) {
    // what() carries a C++ backtrace; the caller wants the sentence.
    set_error(e.what_without_backtrace());
  } catch (const std::exception& e) {
    set_error(e.what());
  } catch (...) {
    set_error("unknown C++ exception");
  }
  return 1;
}

void require(bool ok, const char* msg) {
  if (!ok) throw std::invalid_argument(msg);
}

const torch::Tensor& T(const mst_tensor* p) {
  require(p != nullptr, "null tensor handle");
  require(p->t.defined(), "undefined tensor");
  return p->t;
}

mst_tensor* wrap(torch::Tensor t) { return new mst_tensor{std::move(t)}; }

torch::Dtype to_dtype(int32_t d) {
  switch (d) {
    case MST_FLOAT32: return torch::kFloat32;
    case MST_FLOAT64: return torch::kFloat64;
    case MST_INT64: return torch::kInt64;
    case MST_BOOL: return torch::kBool;
  }
  throw std::invalid_argument("unknown dtype code " + std::to_string(d));
}

int32_t from_dtype(torch::Dtype d) {
  switch (d) {
    case torch::kFloat32: return MST_FLOAT32;
    case torch::kFloat64: return MST_FLOAT64;
    case torch::kInt64: return MST_INT64;
    case torch::kBool: return MST_BOOL;
    default: break;
  }
  throw std::invalid_argument(std::string("unsupported dtype ") + c10::toString(d));
}

torch::Device to_device(int32_t kind, int32_t index) {
  if (kind == MST_CPU) return torch::Device(torch::kCPU);
  if (kind == MST_CUDA) {
    require(torch::cuda::is_available(), "CUDA requested but the linked libtorch has no CUDA device");
    return torch::Device(torch::kCUDA, static_cast<c10::DeviceIndex>(index));
  }
  throw std::invalid_argument("unknown device kind " + std::to_string(kind));
}

std::vector<int64_t> dims(const int64_t* p, int32_t n) {
  require(n >= 0 && (n == 0 || p != nullptr), "bad shape array");
  return std::vector<int64_t>(p, p + n);
}

void set_out(mst_tensor** out, torch::Tensor t) {
  require(out != nullptr, "null output pointer");
  *out = wrap(std::move(t));
}

// OpenBLAS keeps a pool of its own that torch::set_num_threads does not reach; it is
// looked up at run time so the shim still loads against MKL or reference BLAS.
void set_blas_threads(int n) {
  using fn_t = void (*)(int);
  if (auto fn = reinterpret_cast<fn_t>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) fn(n);
}

}  // namespace

extern "C" {

const char* mst_last_error(void) { return g_last_error.c_str(); }

int mst_version(int32_t* major, int32_t* minor, int32_t* patch) {
  return guarded([&] {
    require(major && minor && patch, "null output pointer");
    *major = TORCH_VERSION_MAJOR;
    *minor = TORCH_VERSION_MINOR;
    *patch = TORCH_VERSION_PATCH;
  });
}

int mst_set_num_threads(int32_t n) {
  return guarded([&] {
    require(n >= 1, "thread count must be >= 1");
    torch::set_num_threads(n);
    set_blas_threads(n);
  });
}

int mst_get_num_threads(int32_t* n) {
  return guarded([&] {
    require(n != nullptr, "null output pointer");
    *n = torch::get_num_threads();
  });
}

int mst_cuda_device_count(int32_t* count) {
  return guarded([&] {
    require(count != nullptr, "null output pointer");
    *count = torch::cuda::is_available() ? static_cast<int32_t>(torch::cuda::device_count()) : 0;
  });
}

int mst_manual_seed(uint64_t seed) { return guarded([&] { torch::manual_seed(seed); }); }

void mst_tensor_free(mst_tensor* t) { delete t; }

int mst_from_data(const void* data, int64_t nbytes, int32_t dtype, const int64_t* shape,
                  int32_t ndim, int32_t device, int32_t device_index, mst_tensor** out) {
  return guarded([&] {
    auto sizes = dims(shape, ndim);
    auto opts = torch::TensorOptions().dtype(to_dtype(dtype));
    auto t = torch::empty(sizes, opts);
    require(static_cast<int64_t>(t.nbytes()) == nbytes, "byte count does not match shape and dtype");
    require(nbytes == 0 || data != nullptr, "null data pointer");
    if (nbytes > 0) std::memcpy(t.data_ptr(), data, static_cast<size_t>(nbytes));
    set_out(out, device == MST_CPU ? t : t.to(to_device(device, device_index)));
  });
}

int mst_to_data(const mst_tensor* t, void* dst, int64_t nbytes) {
  return guarded([&] {
    auto c = T(t).detach().to(torch::kCPU).contiguous();
    require(static_cast<int64_t>(c.nbytes()) == nbytes, "destination size does not match tensor size");
    require(nbytes == 0 || dst != nullptr, "null destination pointer");
    if (nbytes > 0) std::memcpy(dst, c.data_ptr(), static_cast<size_t>(nbytes));
  });
}

int mst_ndim(const mst_tensor* t, int32_t* ndim) {
  return guarded([&] {
    require(ndim != nullptr, "null output pointer");
    *ndim = static_cast<int32_t>(T(t).dim());
  });
}

int mst_shape(const mst_tensor* t, int64_t* out, int32_t capacity) {
  return guarded([&] {
    const auto& x = T(t);
    require(capacity >= x.dim() && (x.dim() == 0 || out != nullptr), "shape buffer too small");
    for (int64_t i = 0; i < x.dim(); ++i) out[i] = x.size(i);
  });
}

int mst_dtype(const mst_tensor* t, int32_t* dtype) {
  return guarded([&] {
    require(dtype != nullptr, "null output pointer");
    *dtype = from_dtype(T(t).scalar_type());
  });
}

int mst_device(const mst_tensor* t, int32_t* device, int32_t* device_index) {
  return guarded([&] {
    require(device && device_index, "null output pointer");
    auto d = T(t).device();
    *device = d.is_cuda() ? MST_CUDA : MST_CPU;
    *device_index = d.has_index() ? d.index() : 0;
  });
}

int mst_item(const mst_tensor* t, double* value) {
  return guarded([&] {
    require(value != nullptr, "null output pointer");
    *value = T(t).item<double>();
  });
}

int mst_full(const int64_t* shape, int32_t ndim, double value, int32_t dtype, int32_t device,
             int32_t device_index, mst_tensor** out) {
  return guarded([&] {
    auto opts = torch::TensorOptions().dtype(to_dtype(dtype)).device(to_device(device, device_index));
    set_out(out, torch::full(dims(shape, ndim), value, opts));
  });
}

int mst_arange(double start, double end, double step, int32_t dtype, int32_t device,
               int32_t device_index, mst_tensor** out) {
  return guarded([&] {
    auto opts = torch::TensorOptions().dtype(to_dtype(dtype)).device(to_device(device, device_index));
    set_out(out, torch::arange(start, end, step, opts));
  });
}

int mst_to(const mst_tensor* t, int32_t dtype, int32_t device, int32_t device_index, mst_tensor** out) {
  return guarded([&] { set_out(out, T(t).to(to_device(device, device_index), to_dtype(dtype))); });
}

int mst_copy_(mst_tensor* dst, const mst_tensor* src) {
  return guarded([&] {
    torch::NoGradGuard no_grad;
    require(dst != nullptr, "null tensor handle");
    T(dst).copy_(T(src));
  });
}

int mst_move_(mst_tensor* t, int32_t device, int32_t device_index) {
  return guarded([&] {
    require(t != nullptr, "null tensor handle");
    const bool requires_grad = T(t).requires_grad();
    auto moved = T(t).detach().to(to_device(device, device_index));
    if (requires_grad) moved.set_requires_grad(true);
    t->t = std::move(moved);
  });
}

int mst_generator_new(uint64_t seed, mst_generator** out) {
  return guarded([&] {
    require(out != nullptr, "null output pointer");
    *out = new mst_generator{at::make_generator<at::CPUGeneratorImpl>(seed)};
  });
}

void mst_generator_free(mst_generator* g) { delete g; }

int mst_generator_set_seed(mst_generator* g, uint64_t seed) {
  return guarded([&] {
    require(g != nullptr, "null generator handle");
    std::lock_guard<std::mutex> lock(g->g.mutex());
    g->g.set_current_seed(seed);
  });
}

int mst_random(mst_generator* g, int32_t kind, const int64_t* shape, int32_t ndim, int64_t low,
               int64_t high, int32_t dtype, int32_t device, int32_t device_index, mst_tensor** out) {
  return guarded([&] {
    require(g != nullptr, "null generator handle");
    auto sizes = dims(shape, ndim);
    auto opts = torch::TensorOptions().dtype(to_dtype(dtype));
    torch::Tensor t;
    switch (kind) {
      case 0: t = torch::randn(sizes, g->g, opts); break;
      case 1: t = torch::rand(sizes, g->g, opts); break;
      case 2: t = torch::randint(low, high, sizes, g->g, opts); break;
      default: throw std::invalid_argument("unknown random kind");
    }
    set_out(out, device == MST_CPU ? t : t.to(to_device(device, device_index)));
  });
}

int mst_unary(int32_t op, const mst_tensor* a, mst_tensor** out) {
  return guarded([&] {
    const auto& x = T(a);
    torch::Tensor r;
    switch (op) {
      case MST_NEG: r = -x; break;
      case MST_EXP: r = x.exp(); break;
      case MST_LOG: r = x.log(); break;
      case MST_SIN: r = x.sin(); break;
      case MST_COS: r = x.cos(); break;
      case MST_SQRT: r = x.sqrt(); break;
      case MST_SILU: r = torch::silu(x); break;
      case MST_GELU_TANH: r = torch::gelu(x, "tanh"); break;
      case MST_GELU: r = torch::gelu(x); break;
      case MST_RELU: r = torch::relu(x); break;
      case MST_TANH: r = x.tanh(); break;
      case MST_SIGMOID: r = x.sigmoid(); break;
      case MST_ABS: r = x.abs(); break;
      case MST_DETACH: r = x.detach(); break;
      case MST_CLONE: r = x.clone(); break;
      case MST_CONTIGUOUS: r = x.contiguous(); break;
      case MST_RSQRT: r = x.rsqrt(); break;
      case MST_SQUARE: r = x.square(); break;
      default: throw std::invalid_argument("unknown unary op " + std::to_string(op));
    }
    set_out(out, std::move(r));
  });
}

int mst_binary(int32_t op, const mst_tensor* a, const mst_tensor* b, mst_tensor** out) {
  return guarded([&] {
    const auto& x = T(a);
    const auto& y = T(b);
    torch::Tensor r;
    switch (op) {
      case MST_ADD: r = x + y; break;
      case MST_SUB: r = x - y; break;
      case MST_MUL: r = x * y; break;
      case MST_DIV: r = x / y; break;
      case MST_POW: r = x.pow(y); break;
      case MST_MATMUL: r = x.matmul(y); break;
      case MST_MSE_LOSS: r = torch::mse_loss(x, y); break;
      case MST_GT: r = x.gt(y); break;
      case MST_LT: r = x.lt(y); break;
      case MST_GE: r = x.ge(y); break;
      case MST_LE: r = x.le(y); break;
      case MST_EQ: r = x.eq(y); break;
      case MST_MAXIMUM: r = torch::maximum(x, y); break;
      case MST_MINIMUM: r = torch::minimum(x, y); break;
      default: throw std::invalid_argument("unknown binary op " + std::to_string(op));
    }
    set_out(out, std::move(r));
  });
}

int mst_scalar(int32_t op, const mst_tensor* a, double s, mst_tensor** out) {
  return guarded([&] {
    const auto& x = T(a);
    torch::Tensor r;
    switch (op) {
      case MST_ADD_S: r = x + s; break;
      case MST_SUB_S: r = x - s; break;
      case MST_MUL_S: r = x * s; break;
      case MST_DIV_S: r = x / s; break;
      case MST_POW_S: r = x.pow(s); break;
      case MST_RSUB_S: r = s - x; break;
      case MST_RDIV_S: r = s / x; break;
      default: throw std::invalid_argument("unknown scalar op " + std::to_string(op));
    }
    set_out(out, std::move(r));
  });
}

int mst_linear(const mst_tensor* x, const mst_tensor* w, const mst_tensor* b, mst_tensor** out) {
  return guarded([&] {
    set_out(out, b ? torch::linear(T(x), T(w), T(b)) : torch::linear(T(x), T(w)));
  });
}

int mst_layer_norm(const mst_tensor* x, const int64_t* normalized_shape, int32_t ndim,
                   const mst_tensor* w, const mst_tensor* b, double eps, mst_tensor** out) {
  return guarded([&] {
    c10::optional<torch::Tensor> wt, bt;
    if (w) wt = T(w);
    if (b) bt = T(b);
    set_out(out, torch::layer_norm(T(x), dims(normalized_shape, ndim), wt, bt, eps));
  });
}

int mst_softmax(const mst_tensor* x, int64_t dim, int32_t log, mst_tensor** out) {
  return guarded([&] { set_out(out, log ? torch::log_softmax(T(x), dim) : torch::softmax(T(x), dim)); });
}

int mst_clamp(const mst_tensor* x, int32_t has_min, double min, int32_t has_max, double max,
              mst_tensor** out) {
  return guarded([&] {
    c10::optional<c10::Scalar> lo, hi;
    if (has_min) lo = min;
    if (has_max) hi = max;
    set_out(out, torch::clamp(T(x), lo, hi));
  });
}

int mst_reduce_all(int32_t op, const mst_tensor* x, mst_tensor** out) {
  return guarded([&] {
    require(op == MST_SUM || op == MST_MEAN, "unknown reduction");
    set_out(out, op == MST_SUM ? T(x).sum() : T(x).mean());
  });
}

int mst_reduce_dims(int32_t op, const mst_tensor* x, const int64_t* d, int32_t ndims, int32_t keepdim,
                    mst_tensor** out) {
  return guarded([&] {
    require(op == MST_SUM || op == MST_MEAN, "unknown reduction");
    auto ds = dims(d, ndims);
    set_out(out, op == MST_SUM ? T(x).sum(ds, keepdim != 0) : T(x).mean(ds, keepdim != 0));
  });
}

int mst_reshape(const mst_tensor* x, const int64_t* shape, int32_t ndim, int32_t view, mst_tensor** out) {
  return guarded([&] {
    auto s = dims(shape, ndim);
    set_out(out, view ? T(x).view(s) : T(x).reshape(s));
  });
}

int mst_permute(const mst_tensor* x, const int64_t* d, int32_t ndim, mst_tensor** out) {
  return guarded([&] { set_out(out, T(x).permute(dims(d, ndim))); });
}

int mst_transpose(const mst_tensor* x, int64_t d0, int64_t d1, mst_tensor** out) {
  return guarded([&] { set_out(out, T(x).transpose(d0, d1)); });
}

int mst_cat(const mst_tensor* const* xs, int32_t n, int64_t dim, mst_tensor** out) {
  return guarded([&] {
    require(n > 0 && xs != nullptr, "cat needs at least one tensor");
    std::vector<torch::Tensor> v;
    v.reserve(n);
    for (int32_t i = 0; i < n; ++i) v.push_back(T(xs[i]));
    set_out(out, torch::cat(v, dim));
  });
}

int mst_narrow(const mst_tensor* x, int64_t dim, int64_t start, int64_t length, mst_tensor** out) {
  return guarded([&] { set_out(out, T(x).narrow(dim, start, length)); });
}

int mst_index_select(const mst_tensor* x, int64_t dim, const mst_tensor* index, mst_tensor** out) {
  return guarded([&] { set_out(out, T(x).index_select(dim, T(index))); });
}

int mst_gather(const mst_tensor* x, int64_t dim, const mst_tensor* index, mst_tensor** out) {
  return guarded([&] { set_out(out, T(x).gather(dim, T(index))); });
}

int mst_unsqueeze(const mst_tensor* x, int64_t dim, mst_tensor** out) {
  return guarded([&] { set_out(out, T(x).unsqueeze(dim)); });
}

int mst_squeeze(const mst_tensor* x, int64_t dim, mst_tensor** out) {
  return guarded([&] { set_out(out, T(x).squeeze(dim)); });
}

int mst_expand(const mst_tensor* x, const int64_t* shape, int32_t ndim, mst_tensor** out) {
  return guarded([&] { set_out(out, T(x).expand(dims(shape, ndim))); });
}

int mst_where(const mst_tensor* cond, const mst_tensor* a, const mst_tensor* b, mst_tensor** out) {
  return guarded([&] { set_out(out, torch::where(T(cond), T(a), T(b))); });
}

int mst_set_requires_grad(mst_tensor* t, int32_t requires_grad) {
  return guarded([&] {
    require(t != nullptr, "null tensor handle");
    T(t);
    t->t.set_requires_grad(requires_grad != 0);
  });
}

int mst_requires_grad(const mst_tensor* t, int32_t* requires_grad) {
  return guarded([&] {
    require(requires_grad != nullptr, "null output pointer");
    *requires_grad = T(t).requires_grad() ? 1 : 0;
  });
}

int mst_backward(const mst_tensor* t, const mst_tensor* grad) {
  return guarded([&] {
    if (grad)
      T(t).backward(T(grad));
    else
      T(t).backward();
  });
}

int mst_grad(const mst_tensor* t, mst_tensor** out) {
  return guarded([&] {
    require(out != nullptr, "null output pointer");
    const auto& g = T(t).grad();
    *out = g.defined() ? wrap(g) : nullptr;
  });
}

int mst_autograd_grad(const mst_tensor* output, const mst_tensor* const* inputs, int32_t n, mst_tensor** outs) {
  return guarded([&] {
    require(n > 0 && inputs != nullptr && outs != nullptr, "autograd_grad needs at least one input and an output array");
    std::vector<torch::Tensor> v;
    v.reserve(n);
    for (int32_t i = 0; i < n; ++i) v.push_back(T(inputs[i]));
    auto grads = torch::autograd::grad({T(output)}, v, {}, /*retain_graph=*/false, /*create_graph=*/false, /*allow_unused=*/true);
    for (int32_t i = 0; i < n; ++i) outs[i] = nullptr;
    for (int32_t i = 0; i < n; ++i) outs[i] = grads[i].defined() ? wrap(grads[i]) : nullptr;
  });
}

int mst_set_grad(mst_tensor* t, const mst_tensor* grad) {
  return guarded([&] {
    require(t != nullptr, "null tensor handle");
    auto& target = t->t;
    if (grad == nullptr) {
      target.mutable_grad().reset();
      return;
    }
    const auto& g = T(grad);
    require(g.sizes() == target.sizes(), "set_grad: gradient shape differs from the tensor's");
    target.mutable_grad() = g;
  });
}

int mst_zero_grad(mst_tensor* t) {
  return guarded([&] {
    require(t != nullptr, "null tensor handle");
    T(t);
    t->t.mutable_grad().reset();
  });
}

int mst_set_grad_enabled(int32_t enabled, int32_t* previous) {
  return guarded([&] {
    if (previous) *previous = torch::GradMode::is_enabled() ? 1 : 0;
    torch::GradMode::set_enabled(enabled != 0);
  });
}

int mst_adamw_step(mst_tensor* const* params, mst_tensor* const* exp_avg, mst_tensor* const* exp_avg_sq,
                   int32_t n, double lr, double beta1, double beta2, double eps, double weight_decay,
                   int64_t step) {
  return guarded([&] {
    require(n >= 0 && (n == 0 || (params && exp_avg && exp_avg_sq)), "bad parameter arrays");
    require(step >= 1, "step must be >= 1");
    torch::NoGradGuard no_grad;
    const double bc1 = 1.0 - std::pow(beta1, static_cast<double>(step));
    const double bc2 = 1.0 - std::pow(beta2, static_cast<double>(step));
    const double step_size = lr / bc1;
    const double bc2_sqrt = std::sqrt(bc2);
    for (int32_t i = 0; i < n; ++i) {
      auto& p = params[i]->t;
      const auto& g = p.grad();
      if (!g.defined()) continue;
      auto& m = exp_avg[i]->t;
      auto& v = exp_avg_sq[i]->t;
      // Same order of operations as torch.optim.AdamW's single-tensor path.
      p.mul_(1.0 - lr * weight_decay);
      m.lerp_(g, 1.0 - beta1);
      v.mul_(beta2).addcmul_(g, g, 1.0 - beta2);
      auto denom = (v.sqrt() / bc2_sqrt).add_(eps);
      p.addcdiv_(m, denom, -step_size);
    }
  });
}

int mst_ema_update(mst_tensor* const* shadow, const mst_tensor* const* params, int32_t n, double decay) {
  return guarded([&] {
    require(n >= 0 && (n == 0 || (shadow && params)), "bad parameter arrays");
    torch::NoGradGuard no_grad;
    for (int32_t i = 0; i < n; ++i) shadow[i]->t.lerp_(T(params[i]).detach(), 1.0 - decay);
  });
}

}  // extern "C"

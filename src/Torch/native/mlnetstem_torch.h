/*
 * mlnetstem_torch.h: C ABI over libtorch for the MlNetStem.Torch binding.
 *
 * Free of torch includes on purpose: the C# side P/Invokes these signatures and the
 * header must stay readable without libtorch. Every function returns 0 on success and a
 * non-zero status on failure; the failure's message is then readable from
 * mst_last_error() on the same thread until the next failing call on that thread.
 * Returned tensors are new heap handles owned by the caller (free with mst_tensor_free).
 */
#ifndef MLNETSTEM_TORCH_H
#define MLNETSTEM_TORCH_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define MST_API __declspec(dllexport)
#else
#define MST_API __attribute__((visibility("default")))
#endif

typedef struct mst_tensor mst_tensor;
typedef struct mst_generator mst_generator;

/* Element types (values are part of the ABI and of the state-dict format). */
enum mst_dtype { MST_FLOAT32 = 0, MST_FLOAT64 = 1, MST_INT64 = 2, MST_BOOL = 3 };
/* Device kinds. */
enum mst_device { MST_CPU = 0, MST_CUDA = 1 };

/* Elementwise / shape-preserving unary operations. */
enum mst_unary_op {
  MST_NEG = 0, MST_EXP = 1, MST_LOG = 2, MST_SIN = 3, MST_COS = 4, MST_SQRT = 5,
  MST_SILU = 6, MST_GELU_TANH = 7, MST_RELU = 8, MST_TANH = 9, MST_SIGMOID = 10,
  MST_ABS = 11, MST_DETACH = 12, MST_CLONE = 13, MST_CONTIGUOUS = 14, MST_GELU = 15,
  MST_RSQRT = 16, MST_SQUARE = 17
};
/* Broadcasting binary operations. */
enum mst_binary_op {
  MST_ADD = 0, MST_SUB = 1, MST_MUL = 2, MST_DIV = 3, MST_POW = 4, MST_MATMUL = 5,
  MST_MSE_LOSS = 6, MST_GT = 7, MST_LT = 8, MST_GE = 9, MST_LE = 10, MST_EQ = 11,
  MST_MAXIMUM = 12, MST_MINIMUM = 13
};
/* Tensor-scalar operations (tensor on the left unless named R*). */
enum mst_scalar_op {
  MST_ADD_S = 0, MST_SUB_S = 1, MST_MUL_S = 2, MST_DIV_S = 3, MST_POW_S = 4,
  MST_RSUB_S = 5, MST_RDIV_S = 6
};
/* Reductions. */
enum mst_reduce_op { MST_SUM = 0, MST_MEAN = 1 };

/* ---- errors, library ---- */
MST_API const char* mst_last_error(void);
MST_API int mst_version(int32_t* major, int32_t* minor, int32_t* patch);
MST_API int mst_set_num_threads(int32_t n);
MST_API int mst_get_num_threads(int32_t* n);
MST_API int mst_cuda_device_count(int32_t* count);
MST_API int mst_manual_seed(uint64_t seed);

/* ---- tensor lifetime and data ---- */
MST_API void mst_tensor_free(mst_tensor* t);
MST_API int mst_from_data(const void* data, int64_t nbytes, int32_t dtype, const int64_t* shape,
                          int32_t ndim, int32_t device, int32_t device_index, mst_tensor** out);
MST_API int mst_to_data(const mst_tensor* t, void* dst, int64_t nbytes);
MST_API int mst_ndim(const mst_tensor* t, int32_t* ndim);
MST_API int mst_shape(const mst_tensor* t, int64_t* dims, int32_t capacity);
MST_API int mst_dtype(const mst_tensor* t, int32_t* dtype);
MST_API int mst_device(const mst_tensor* t, int32_t* device, int32_t* device_index);
MST_API int mst_item(const mst_tensor* t, double* value);
MST_API int mst_full(const int64_t* shape, int32_t ndim, double value, int32_t dtype, int32_t device,
                     int32_t device_index, mst_tensor** out);
MST_API int mst_arange(double start, double end, double step, int32_t dtype, int32_t device,
                       int32_t device_index, mst_tensor** out);
MST_API int mst_to(const mst_tensor* t, int32_t dtype, int32_t device, int32_t device_index,
                   mst_tensor** out);
MST_API int mst_copy_(mst_tensor* dst, const mst_tensor* src);
/* Replaces the handle's tensor with a copy on another device, keeping requires_grad; for moving
   module parameters (leaves) so that existing handles stay valid. */
MST_API int mst_move_(mst_tensor* t, int32_t device, int32_t device_index);

/* ---- random ---- */
MST_API int mst_generator_new(uint64_t seed, mst_generator** out);
MST_API void mst_generator_free(mst_generator* g);
MST_API int mst_generator_set_seed(mst_generator* g, uint64_t seed);
/* kind: 0 normal(0,1), 1 uniform[0,1), 2 randint[low, high). Drawn on the CPU generator,
   then moved, so a seed gives the same numbers on every device. */
MST_API int mst_random(mst_generator* g, int32_t kind, const int64_t* shape, int32_t ndim,
                       int64_t low, int64_t high, int32_t dtype, int32_t device,
                       int32_t device_index, mst_tensor** out);

/* ---- operations ---- */
MST_API int mst_unary(int32_t op, const mst_tensor* a, mst_tensor** out);
MST_API int mst_binary(int32_t op, const mst_tensor* a, const mst_tensor* b, mst_tensor** out);
MST_API int mst_scalar(int32_t op, const mst_tensor* a, double s, mst_tensor** out);
MST_API int mst_linear(const mst_tensor* x, const mst_tensor* w, const mst_tensor* b /*nullable*/,
                       mst_tensor** out);
MST_API int mst_layer_norm(const mst_tensor* x, const int64_t* normalized_shape, int32_t ndim,
                           const mst_tensor* w /*nullable*/, const mst_tensor* b /*nullable*/,
                           double eps, mst_tensor** out);
MST_API int mst_softmax(const mst_tensor* x, int64_t dim, int32_t log, mst_tensor** out);
MST_API int mst_clamp(const mst_tensor* x, int32_t has_min, double min, int32_t has_max,
                      double max, mst_tensor** out);
MST_API int mst_reduce_all(int32_t op, const mst_tensor* x, mst_tensor** out);
MST_API int mst_reduce_dims(int32_t op, const mst_tensor* x, const int64_t* dims, int32_t ndims,
                            int32_t keepdim, mst_tensor** out);
MST_API int mst_reshape(const mst_tensor* x, const int64_t* shape, int32_t ndim, int32_t view,
                        mst_tensor** out);
MST_API int mst_permute(const mst_tensor* x, const int64_t* dims, int32_t ndim, mst_tensor** out);
MST_API int mst_transpose(const mst_tensor* x, int64_t d0, int64_t d1, mst_tensor** out);
MST_API int mst_cat(const mst_tensor* const* xs, int32_t n, int64_t dim, mst_tensor** out);
MST_API int mst_narrow(const mst_tensor* x, int64_t dim, int64_t start, int64_t length,
                       mst_tensor** out);
MST_API int mst_index_select(const mst_tensor* x, int64_t dim, const mst_tensor* index,
                             mst_tensor** out);
MST_API int mst_gather(const mst_tensor* x, int64_t dim, const mst_tensor* index, mst_tensor** out);
MST_API int mst_unsqueeze(const mst_tensor* x, int64_t dim, mst_tensor** out);
MST_API int mst_squeeze(const mst_tensor* x, int64_t dim, mst_tensor** out);
MST_API int mst_expand(const mst_tensor* x, const int64_t* shape, int32_t ndim, mst_tensor** out);
MST_API int mst_where(const mst_tensor* cond, const mst_tensor* a, const mst_tensor* b,
                      mst_tensor** out);

/* ---- autograd ---- */
MST_API int mst_set_requires_grad(mst_tensor* t, int32_t requires_grad);
MST_API int mst_requires_grad(const mst_tensor* t, int32_t* requires_grad);
MST_API int mst_backward(const mst_tensor* t, const mst_tensor* grad /*nullable*/);
/* *out is NULL when the tensor has no gradient. */
MST_API int mst_grad(const mst_tensor* t, mst_tensor** out);
/* Gradients of the one-element `output` with respect to each of `inputs` (torch::autograd::grad),
   without touching their .grad fields; outs[i] is NULL when inputs[i] does not take part in the graph.
   The graph is freed afterwards. Lets several threads differentiate shards of a batch independently. */
MST_API int mst_autograd_grad(const mst_tensor* output, const mst_tensor* const* inputs, int32_t n, mst_tensor** outs);
/* Sets t's .grad to `grad` (NULL drops it); shapes must match. */
MST_API int mst_set_grad(mst_tensor* t, const mst_tensor* grad /*nullable*/);
/* Drops the gradient (like PyTorch's zero_grad(set_to_none=True)). */
MST_API int mst_zero_grad(mst_tensor* t);
/* Thread-local grad mode; *previous receives the mode before the call. */
MST_API int mst_set_grad_enabled(int32_t enabled, int32_t* previous);

/* ---- optimisation (in place, without autograd) ---- */
/* One AdamW step (decoupled weight decay, bias-corrected, as torch.optim.AdamW).
   Parameters whose gradient is undefined are skipped. step is 1-based. */
MST_API int mst_adamw_step(mst_tensor* const* params, mst_tensor* const* exp_avg,
                           mst_tensor* const* exp_avg_sq, int32_t n, double lr, double beta1,
                           double beta2, double eps, double weight_decay, int64_t step);
/* shadow = decay * shadow + (1 - decay) * param, for each pair. */
MST_API int mst_ema_update(mst_tensor* const* shadow, const mst_tensor* const* params, int32_t n,
                           double decay);

#ifdef __cplusplus
}
#endif
#endif

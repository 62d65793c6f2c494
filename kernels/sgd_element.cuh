// One element of PyTorch's SGD (dampening 0, no Nesterov), shared by sgd_kernel (optim.cu) and
// sgd_by_kernel (step_scalars.cu) so that a step with the learning rate in device memory is the
// same arithmetic, bit for bit, as one with it as an argument.
#pragma once

namespace pvll_cuda {
/** d = grad + weight_decay * param; buf = momentum * buf + d (when buf); param -= lr * (buf or d). */
__device__ __forceinline__ void sgd_element(float* __restrict__ param, const float* __restrict__ grad,
                                            float* __restrict__ buf, long long i, float lr, float momentum,
                                            float weight_decay) {
  const float d = grad[i] + weight_decay * param[i];
  if (buf) {
    const float m = momentum * buf[i] + d;
    buf[i] = m;
    param[i] -= lr * m;
  } else {
    param[i] -= lr * d;
  }
}
}  // namespace pvll_cuda

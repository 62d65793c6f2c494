// Kernel launches under the emulated CUDA runtime. transform.cpp rewrites
//   kernel<<<grid, block, shared, stream>>>(args)
// into
//   ::emu::Launch(grid, block, shared, stream).at("kernel", __FILE__, __LINE__).run(kernel, args)
// which binds copies of the arguments, converted to the kernel's parameter types as a real launch
// does, and hands the call to the runtime (runtime/launch.cpp): checked against the real launch
// limits, enqueued on its stream (or captured into a graph), and run there block by block.
// Kernels named through a void pointer (cudaGraphAddKernelNode) are found in a registry that
// transform.cpp fills with one KernelRegistration after every non-template __global__ function.
#pragma once

#include <cstring>
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "emu_types.h"

namespace emu {
/** A pointer a kernel receives: a parameter, or a word inside a structure parameter. */
struct PointerArg {
  const void* ptr;
  bool write;   // a pointer to non-const: the kernel may write through it
  bool direct;  // the parameter itself (not a word inside a structure)
  int index;    // parameter position
};

/** One kernel with its arguments bound, runnable as any CUDA thread of any launch. */
class KernelCall {
 public:
  explicit KernelCall(const void* function) : function_(function) {}
  virtual ~KernelCall() = default;
  /** Runs the kernel body as the calling CUDA thread. */
  virtual void invoke() const = 0;
  /** The pointers among the arguments. */
  virtual void pointers(std::vector<PointerArg>* out) const = 0;
  const void* function() const { return function_; }

 private:
  const void* function_;
};

template <class T>
void collect_pointers(const T& value, int index, std::vector<PointerArg>* out) {
  if constexpr (std::is_pointer<T>::value) {
    out->push_back({(const void*)value, !std::is_const<typename std::remove_pointer<T>::type>::value, true, index});
  } else if constexpr (std::is_class<T>::value) {
    // a structure: any aligned word may be a pointer; the runtime keeps those inside allocations
    const unsigned char* bytes = reinterpret_cast<const unsigned char*>(&value);
    for (size_t off = 0; off + sizeof(void*) <= sizeof(T); off += sizeof(void*)) {
      const void* word;
      std::memcpy(&word, bytes + off, sizeof word);
      if (word) out->push_back({word, false, false, index});
    }
  }
}

template <class... P>
class BoundKernel final : public KernelCall {
 public:
  template <class... A>
  explicit BoundKernel(void (*fn)(P...), A&&... args)
      : KernelCall(reinterpret_cast<const void*>(fn)), fn_(fn), args_(std::forward<A>(args)...) {}
  void invoke() const override { std::apply(fn_, args_); }
  void pointers(std::vector<PointerArg>* out) const override {
    collect(out, std::index_sequence_for<P...>{});
  }

 private:
  template <size_t... I>
  void collect(std::vector<PointerArg>* out, std::index_sequence<I...>) const {
    (collect_pointers(std::get<I>(args_), (int)I, out), ...);
  }
  void (*fn_)(P...);
  std::tuple<typename std::decay<P>::type...> args_;
};

/** A kernel launch being written; run() submits it. */
class Launch {
 public:
  Launch(dim3 grid, dim3 block, size_t shared = 0, cudaStream_t stream = nullptr)
      : grid_(grid), block_(block), shared_(shared), stream_(stream) {}
  Launch& at(const char* kernel, const char* file, int line) {
    name_ = kernel;
    file_ = file;
    line_ = line;
    return *this;
  }
  template <class... P, class... A>
  void run(void (*kernel)(P...), A&&... args) {
    static_assert(sizeof...(P) == sizeof...(A), "wrong number of kernel arguments");
    submit(std::make_shared<BoundKernel<P...>>(kernel, std::forward<A>(args)...));
  }

 private:
  void submit(std::shared_ptr<const KernelCall> call) const;  // runtime/launch.cpp
  dim3 grid_, block_;
  size_t shared_;
  cudaStream_t stream_;
  const char* name_ = "kernel";
  const char* file_ = "";
  int line_ = 0;
};

using KernelFactory = std::shared_ptr<const KernelCall> (*)(const void* function, void** params);
void register_kernel(const void* function, const char* name, KernelFactory factory);

/** Registers a __global__ function so that graph kernel nodes can name it by its address. */
template <class... P>
struct KernelRegistration {
  KernelRegistration(void (*fn)(P...), const char* name) {
    register_kernel(reinterpret_cast<const void*>(fn), name, &make);
  }
  static std::shared_ptr<const KernelCall> make(const void* function, void** params) {
    return bind(reinterpret_cast<void (*)(P...)>(const_cast<void*>(function)), params,
                std::index_sequence_for<P...>{});
  }
  template <size_t... I>
  static std::shared_ptr<const KernelCall> bind(void (*fn)(P...), void** params, std::index_sequence<I...>) {
    return std::make_shared<BoundKernel<P...>>(fn, *static_cast<typename std::decay<P>::type*>(params[I])...);
  }
};
}  // namespace emu

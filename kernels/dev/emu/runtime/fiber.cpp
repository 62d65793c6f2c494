// Fiber stacks and context switches for the emulated CUDA threads (fiber.h). The x86-64 switch
// saves the callee-saved registers rbp, rbx, r12-r15 on the old stack and restores them from the
// new one (not MXCSR and the x87 control word: every fiber of a worker shares one floating-point
// environment, and restoring them costs more than the rest of the switch); a new fiber starts in a
// trampoline that calls entry(arg) with a 16-byte aligned stack. Checked by kernels/dev/emu/tests/emu_kernel_test.cpp (barriers and shuffles
// over thousands of fibers).
#include "fiber.h"

#include <sys/mman.h>

#include <atomic>
#include <cstdint>
#include <cstdlib>

#if !defined(__x86_64__)
#include <ucontext.h>
#endif

namespace emu {
Stack new_stack(size_t usable) {
  const size_t page = 4096;
  usable = (usable + page - 1) & ~(page - 1);
  void* base = mmap(nullptr, usable + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (base == MAP_FAILED) return {};
  mprotect(base, page, PROT_NONE);  // the guard page: an overflow faults here
  // Stacks are 64 KiB apart: their tops would all fall into the same cache sets and evict each
  // other at every switch. A different offset per stack spreads them over the sets.
  static std::atomic<size_t> count{0};
  return {base, usable, (count++ * 320) % 4096};
}
}  // namespace emu

#if defined(__x86_64__)
extern "C" void emu_switch_context(void** save_sp, void* load_sp);
extern "C" void emu_fiber_trampoline();
asm(R"(
  .text
  .globl emu_switch_context
  .hidden emu_switch_context
  .type emu_switch_context,@function
emu_switch_context:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size emu_switch_context, .-emu_switch_context

  .globl emu_fiber_trampoline
  .hidden emu_fiber_trampoline
  .type emu_fiber_trampoline,@function
emu_fiber_trampoline:
  movq %r12, %rdi
  callq *%r13
  ud2
  .size emu_fiber_trampoline, .-emu_fiber_trampoline
)");

namespace emu {
void make_context(Context* ctx, const Stack& stack, void (*entry)(void*), void* arg) {
  uintptr_t top = ((uintptr_t)stack.base + 4096 + stack.size - stack.color) & ~(uintptr_t)15;
  auto* ret_slot = reinterpret_cast<uint64_t*>(top - 8);  // ret leaves rsp 16-byte aligned
  uint64_t* frame = ret_slot - 6;
  frame[0] = 0;                  // r15
  frame[1] = 0;                  // r14
  frame[2] = (uint64_t)entry;    // r13
  frame[3] = (uint64_t)arg;      // r12
  frame[4] = 0;                  // rbx
  frame[5] = 0;                  // rbp
  *ret_slot = (uint64_t)&emu_fiber_trampoline;
  ctx->sp = frame;
}

void switch_context(Context* from, Context* to) { emu_switch_context(&from->sp, to->sp); }
}  // namespace emu

#else  // ucontext: portable, slower (a signal-mask system call per switch)

namespace emu {
namespace {
struct Start {
  void (*entry)(void*);
  void* arg;
};
void start(unsigned hi, unsigned lo) {
  auto* s = reinterpret_cast<Start*>(((uintptr_t)hi << 32) | lo);
  s->entry(s->arg);
}
ucontext_t* uc(Context* c) {
  if (c->impl == nullptr) c->impl = new ucontext_t();
  return static_cast<ucontext_t*>(c->impl);
}
}  // namespace

void make_context(Context* ctx, const Stack& stack, void (*entry)(void*), void* arg) {
  ucontext_t* u = uc(ctx);
  getcontext(u);
  u->uc_stack.ss_sp = static_cast<char*>(stack.base) + 4096;
  u->uc_stack.ss_size = stack.size;
  u->uc_link = nullptr;
  static thread_local Start s;
  s = {entry, arg};
  const uintptr_t p = (uintptr_t)&s;
  makecontext(u, (void (*)())start, 2, (unsigned)(p >> 32), (unsigned)p);
}

void switch_context(Context* from, Context* to) { swapcontext(uc(from), uc(to)); }
}  // namespace emu
#endif

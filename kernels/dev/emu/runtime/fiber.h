// User-level fibers for the CUDA threads of an emulated block: each runs on its own small stack
// and gives control back to the block's scheduler when it waits (a barrier, a warp intrinsic) or
// ends. x86-64: a hand-written switch of the callee-saved registers (no system call per switch);
// elsewhere: ucontext. Stacks are guarded by a PROT_NONE page, so an overflow faults at once.
#pragma once

#include <cstddef>

namespace emu {
/** A saved execution point: where to resume a fiber or the scheduler. */
struct Context {
  void* sp = nullptr;
  void* impl = nullptr;  // ucontext fallback
};

/** A stack for fibers, reused from fiber to fiber. */
struct Stack {
  void* base = nullptr;  // lowest address (the guard page)
  size_t size = 0;       // usable bytes above the guard page
  size_t color = 0;      // bytes left unused at the top, different per stack
};

Stack new_stack(size_t usable);
/** Prepares ctx to run entry(arg) on stack when first switched to; entry must never return. */
void make_context(Context* ctx, const Stack& stack, void (*entry)(void*), void* arg);
/** Saves the running point in from and resumes to. */
void switch_context(Context* from, Context* to);
}  // namespace emu

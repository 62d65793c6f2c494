// Between grid.cpp (a launch, its blocks shared out over worker threads) and block.cpp (one block
// at a time on the calling OS thread, its CUDA threads as fibers).
#pragma once

#include "internal.h"

namespace emu {
/** A launch being run: what the OS threads running its blocks share. grid.cpp. */
struct Grid;

/** Readies the calling OS thread to run blocks of k. */
void begin_blocks(const KernelLaunch& k, Grid* grid);
/** Runs block number linear (x fastest); false when it faulted (the fault is in the grid). */
bool run_one_block(unsigned long long linear);
void end_blocks();

/** Records a block's fault in the grid (the first one is kept). */
void grid_fault(Grid* grid, cudaError_t code, const std::string& message);
/** Whether who (block * threads + thread) is the only CUDA thread of the launch to set conditionals. */
bool grid_claim_setter(Grid* grid, long long who);
}  // namespace emu

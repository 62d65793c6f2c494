/* pvll.h - the whole flat C API of the pvll CPU kernels. */
#ifndef PVLL_H
#define PVLL_H
#include "pvll_common.h"
#include "pvll_elementwise.h"
#include "pvll_spatial.h"
#include "pvll_gumbel.h"
#include "pvll_conv.h"
#include "pvll_linear.h"
#include "pvll_loss.h"
#include "pvll_norm.h"
#include "pvll_optim.h"
#include "pvll_pool.h"
#include "pvll_tensor_ops.h"
#include "pvll_step.h"
#endif

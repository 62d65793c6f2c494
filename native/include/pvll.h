/* pvll.h - the whole flat C API of the pvll CPU kernels. */
#ifndef PVLL_H
#define PVLL_H
#include "pvll_common.h"
#include "pvll_elementwise.h"
#include "pvll_conv.h"
#endif

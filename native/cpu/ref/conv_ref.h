// Naive grouped conv2d (NCHW), forward and both backward passes, templated on the scalar type:
// float for the references the fast kernels are tested against, double for the finite
// difference checks. Every sum is accumulated in double and rounded once at the end.
// Obviously correct, not fast: the loops follow the definition y = sum w * x.
#pragma once
#include <cstddef>
#include <vector>

#include "../conv_shape.h"

namespace pvll::ref {

using std::size_t;

/** Calls f(n, co, ci_abs, oy, ox, iy, ix, weight_index) for every in-bounds term of the conv. */
template <typename F>
void for_each_term(const ConvShape& s, F&& f) {
  const int oh = s.oh(), ow = s.ow(), cin_g = s.cin / s.groups, cout_g = s.cout / s.groups;
  for (int n = 0; n < s.n; ++n)
    for (int co = 0; co < s.cout; ++co) {
      const int group = co / cout_g;
      for (int oy = 0; oy < oh; ++oy)
        for (int ox = 0; ox < ow; ++ox)
          for (int ci = 0; ci < cin_g; ++ci)
            for (int ky = 0; ky < s.kh; ++ky) {
              const int iy = oy * s.stride - s.padding + ky * s.dilation;
              if (iy < 0 || iy >= s.h) continue;
              for (int kx = 0; kx < s.kw; ++kx) {
                const int ix = ox * s.stride - s.padding + kx * s.dilation;
                if (ix < 0 || ix >= s.w) continue;
                const long wi = (((long)co * cin_g + ci) * s.kh + ky) * s.kw + kx;
                f(n, co, group * cin_g + ci, oy, ox, iy, ix, wi);
              }
            }
    }
}

template <typename T>
void conv_forward(const ConvShape& s, const T* x, const T* w, const T* bias, T* y) {
  const int oh = s.oh(), ow = s.ow();
  std::vector<double> acc((size_t)s.y_size(), 0.0);
  auto yi = [&](int n, int co, int oy, int ox) { return (((size_t)n * s.cout + co) * oh + oy) * ow + ox; };
  for_each_term(s, [&](int n, int co, int ci, int oy, int ox, int iy, int ix, long wi) {
    acc[yi(n, co, oy, ox)] += (double)w[wi] * x[(((size_t)n * s.cin + ci) * s.h + iy) * s.w + ix];
  });
  for (int n = 0; n < s.n; ++n)
    for (int co = 0; co < s.cout; ++co)
      for (int p = 0; p < oh * ow; ++p) {
        const size_t i = yi(n, co, 0, 0) + p;
        y[i] = (T)(acc[i] + (bias ? (double)bias[co] : 0.0));
      }
}

template <typename T>
void conv_backward_input(const ConvShape& s, const T* dy, const T* w, T* dx, bool accumulate) {
  const int oh = s.oh(), ow = s.ow();
  std::vector<double> acc((size_t)s.x_size(), 0.0);
  for_each_term(s, [&](int n, int co, int ci, int oy, int ox, int iy, int ix, long wi) {
    acc[(((size_t)n * s.cin + ci) * s.h + iy) * s.w + ix] +=
        (double)w[wi] * dy[(((size_t)n * s.cout + co) * oh + oy) * ow + ox];
  });
  for (size_t i = 0; i < acc.size(); ++i) dx[i] = (T)((accumulate ? (double)dx[i] : 0.0) + acc[i]);
}

template <typename T>
void conv_backward_weight(const ConvShape& s, const T* x, const T* dy, T* dw, T* dbias,
                          bool accumulate) {
  const int oh = s.oh(), ow = s.ow();
  std::vector<double> acc((size_t)s.w_size(), 0.0), bacc((size_t)s.cout, 0.0);
  for_each_term(s, [&](int n, int co, int ci, int oy, int ox, int iy, int ix, long wi) {
    acc[wi] += (double)dy[(((size_t)n * s.cout + co) * oh + oy) * ow + ox] *
               x[(((size_t)n * s.cin + ci) * s.h + iy) * s.w + ix];
  });
  for (size_t i = 0; i < acc.size(); ++i) dw[i] = (T)((accumulate ? (double)dw[i] : 0.0) + acc[i]);
  if (!dbias) return;
  for (int n = 0; n < s.n; ++n)
    for (int co = 0; co < s.cout; ++co)
      for (int p = 0; p < oh * ow; ++p) bacc[co] += dy[(((size_t)n * s.cout + co) * oh * ow) + p];
  for (int co = 0; co < s.cout; ++co)
    dbias[co] = (T)((accumulate ? (double)dbias[co] : 0.0) + bacc[co]);
}

}  // namespace pvll::ref

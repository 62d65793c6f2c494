// Internal to the depthwise kernels (depthwise.cpp): the padded, phase-split scratch plane that
// every tap of a strided or dilated window reads contiguously, and the list of taps into it.
#pragma once
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "avx2.h"

namespace pvll::depthwise {

inline int round8(int v) { return (v + 7) / 8 * 8; }

// Geometry of one padded, phase-split scratch plane: source column stride*j + ph of source row
// r - pad_top sits at buf[r*pitch + ph*half + lead + j]; everything else is zero. Padding is in
// the tap offsets (column_offset), so every source row is copied whole, 8 floats at a time.
struct PlaneLayout {
  int src_h, src_w, rows, stride, half, pitch, pad_top, lead;
  int row_lo, row_hi;  // rows holding source data
  // Stride 2 with an even dilation (and padding) reads only even rows and columns: fill only
  // those (the rest stays zero and is never read).
  bool even_only = false;
  size_t size() const { return (size_t)rows * pitch + 8; }
  /** Buffer offset, within a row, of source column stride*q + cx (cx may be negative). */
  int column_offset(int cx) const {
    const int ph = ((cx % stride) + stride) % stride;
    return ph * half + lead + (cx - ph) / stride;
  }
};

// lead: zero columns before the source; reach: columns read past lead + the output width.
inline PlaneLayout make_layout(int src_h, int src_w, int rows, int stride, int out_w, int lead, int reach, int pad_top) {
  PlaneLayout L{};
  L.src_h = src_h;
  L.src_w = src_w;
  L.rows = rows;
  L.stride = stride;
  L.lead = lead;
  const int src_cols = (src_w + stride - 1) / stride;
  L.half = round8(lead + std::max(round8(out_w) + std::max(reach, 0), round8(src_cols)));
  L.pitch = stride * L.half;
  L.pad_top = pad_top;
  L.row_lo = std::min(pad_top, rows);
  L.row_hi = std::clamp(src_h + pad_top, L.row_lo, rows);
  return L;
}

// dst[0, round8(n)) = src[0, n) then zeros, reading only src[0, n).
inline void copy_row(float* dst, const float* src, int n) {
  int i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(dst + i, _mm256_loadu_ps(src + i));
  if (i < n) _mm256_storeu_ps(dst + i, avx2::load(src + i, n - i));
}

// even[j] = src[2j], odd[j] = src[2j+1] for 2j(+1) < n, zeros after, in whole vectors.
inline void deinterleave_row(float* even, float* odd, const float* src, int n) {
  for (int j = 0; 2 * j < n; j += 8) {
    const int left = n - 2 * j;
    const __m256 a = avx2::load(src + 2 * j, left);
    const __m256 b = left > 8 ? avx2::load(src + 2 * j + 8, left - 8) : _mm256_setzero_ps();
    // per 128-bit lane: a0 a2 b0 b2 | a4 a6 b4 b6, then the 64-bit quarters put in order
    const __m256 e = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
    const __m256 o = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
    _mm256_storeu_ps(even + j, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), 0xD8)));
    _mm256_storeu_ps(odd + j, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o), 0xD8)));
  }
}

// even[j] = src[2j] for 2j < n, zeros after, in whole vectors.
inline void even_row(float* even, const float* src, int n) {
  for (int j = 0; 2 * j < n; j += 8) {
    const int left = n - 2 * j;
    const __m256 a = avx2::load(src + 2 * j, left);
    const __m256 b = left > 8 ? avx2::load(src + 2 * j + 8, left - 8) : _mm256_setzero_ps();
    const __m256 e = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
    _mm256_storeu_ps(even + j, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), 0xD8)));
  }
}

// u[2j] = src[j], u[2j+1] = 0 for j < n, zeros on to 2*round8(n): one even row of a plane
// upsampled with zeros (the stride-2 input gradient). Whole vectors: u needs that room.
inline void upsample_row(float* u, const float* src, int n) {
  const __m256 z = _mm256_setzero_ps();
  for (int j = 0; j < n; j += 8) {
    const __m256 v = avx2::load(src + j, n - j);
    const __m256 lo = _mm256_unpacklo_ps(v, z), hi = _mm256_unpackhi_ps(v, z);
    _mm256_storeu_ps(u + 2 * j, _mm256_permute2f128_ps(lo, hi, 0x20));
    _mm256_storeu_ps(u + 2 * j + 8, _mm256_permute2f128_ps(lo, hi, 0x31));
  }
}

// Copies one source plane in. Positions outside the source are never written, so a buffer
// zeroed once serves every plane of the same layout.
inline void fill_plane(const float* src, const PlaneLayout& L, float* buf) {
  const int step = L.even_only ? 2 : 1;
  const int first = L.even_only ? L.row_lo + ((L.row_lo - L.pad_top) & 1) : L.row_lo;  // even source rows
  for (int r = first; r < L.row_hi; r += step) {
    const float* s = src + (int64_t)(r - L.pad_top) * L.src_w;
    float* d = buf + (size_t)r * L.pitch + L.lead;
    if (L.stride == 1) copy_row(d, s, L.src_w);
    else if (L.even_only) even_row(d, s, L.src_w);
    else deinterleave_row(d, d + L.half, s, L.src_w);
  }
}

// Fills the plane U upsampled with zeros from an h x w source (U[2i][2j] = src[i][j]) into a
// stride-1 layout whose rows have 2*round8(w) floats of room after lead. Only the even rows are
// written: the odd ones stay zero from the buffer's first zeroing.
inline void fill_upsampled(const float* src, int h, int w, const PlaneLayout& L, float* buf) {
  for (int i = 0; i < h; ++i) upsample_row(buf + (size_t)(2 * i + L.pad_top) * L.pitch + L.lead, src + (int64_t)i * w, w);
}

// A list of taps: buffer offsets and their weights.
struct Taps {
  int count = 0;
  int offset[15 * 15];
  float weight[15 * 15];
  int index[15 * 15];  // which weight (ky*k + kx) each tap uses
  void add(int off, int idx) {
    offset[count] = off;
    index[count] = idx;
    ++count;
  }
  void load_weights(const float* w) {
    for (int t = 0; t < count; ++t) weight[t] = w[index[t]];
  }
};

}  // namespace pvll::depthwise

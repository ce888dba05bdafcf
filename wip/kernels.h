/* rm.h section (work in progress, inlined into rm.h when done): fast matrix kernels. */

/* Y[t*ldy + j] = sum_i W[j][i] * X[t*ldx + i] for j < W->n_out, t < T. Returns 1 when it
   computed the product, 0 to let the scalar reference (rm__matmul_ref) do it. */
static int rm__gemm_fast(const rm__mat *W, const float *X, int64_t T, int64_t ldx, float *Y, int64_t ldy, int nth) {
    RM__UNUSED(W); RM__UNUSED(X); RM__UNUSED(T); RM__UNUSED(ldx); RM__UNUSED(Y); RM__UNUSED(ldy); RM__UNUSED(nth);
    return 0;
}

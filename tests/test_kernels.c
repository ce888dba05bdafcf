/* The fast matrix kernels (rm__gemm_fast) of every instruction set this build has and this CPU
   runs (rm_isa_available), each against the scalar reference rm__matmul_ref, for every weight
   type rm.h decodes: random weights encoded with rm_quantize_row (IQ4_NL and
   IQ4_XS, which rm.h does not encode, as random blocks with a sane scale), random
   activations, T in {1, 3, 17, 64}, odd n_out, row strides wider than the rows.

   Tolerance, per output y[t][j] (S = sum_i |w_ji x_ti| with the decoded weights):
   - F32, F16, BF16: |fast - ref| <= 1e-5 * S (only the order of float additions differs);
   - quantized types: |fast - ref| <= 1e-5 * S + sum_i |w_ji| * dx(t, i) / 2, where dx is the
     int16 step of the activation block of 32 holding i (amax / 32767): the worst case of
     rounding each activation to its nearest level.
   At RM_PRECISION_BF16 (rm__gemm_fast with rnd = 1 against rm__matmul_ref with bf16 = 1, which
   rounds F16/BF16 weights and the activations to bfloat16 first) the same 1e-5 * S, S from the
   rounded operands: bf16 dot products where the CPU has them, and the float kernel on rounded
   operands that a CPU without them takes (the table with bf16dot cleared).
   A case the kernels of an instruction set do not handle returns 0 and falls to the reference
   (the test says so). The element-wise kernels of each instruction set are checked too, and
   RM_ISA / rm_ctx_params.isa naming an unknown or missing instruction set must fail at
   rm_ctx_new with RM_ERR_ISA. */
#define RM_IMPLEMENTATION
#include "rm.h"
#include "test.h"

/* the kernels under test */
static rm__kernels K;

static uint64_t rng_state = 88172645463325252ull;
static double rng_u(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (double)(rng_state >> 11) / 9007199254740992.0;
}
static float rng_n(void) { return (float)((rng_u() + rng_u() + rng_u() + rng_u() - 2.0) * 1.7320508); }

static const int types[] = {RM_TYPE_F32,  RM_TYPE_F16,  RM_TYPE_BF16, RM_TYPE_Q4_0, RM_TYPE_Q4_1,
                            RM_TYPE_Q5_0, RM_TYPE_Q5_1, RM_TYPE_Q8_0, RM_TYPE_Q2_K, RM_TYPE_Q3_K,
                            RM_TYPE_Q4_K, RM_TYPE_Q5_K, RM_TYPE_Q6_K, RM_TYPE_IQ4_NL, RM_TYPE_IQ4_XS};

/* Random rows of a type; the IQ4 types get random quant bytes and a small positive scale. */
static void make_weights(int type, int64_t n_in, int64_t n_out, uint8_t *dst, size_t row_bytes, float *tmp) {
    int64_t j, i;
    for (j = 0; j < n_out; j++) {
        uint8_t *row = dst + (size_t)j * row_bytes;
        if (type == RM_TYPE_IQ4_NL || type == RM_TYPE_IQ4_XS) {
            size_t b, bb = rm_type_block_bytes(type), nb = row_bytes / bb;
            for (i = 0; i < (int64_t)row_bytes; i++) row[i] = (uint8_t)(rng_u() * 256.0);
            for (b = 0; b < nb; b++) {
                uint16_t h = rm__fp32_to_fp16((float)(0.001 + 0.01 * rng_u()));
                row[b * bb] = (uint8_t)(h & 0xff);
                row[b * bb + 1] = (uint8_t)(h >> 8);
            }
        } else {
            for (i = 0; i < n_in; i++) tmp[i] = 0.05f * rng_n() + (j % 3 == 0 ? 0.02f : 0.0f);
            CHECK(rm_quantize_row(type, tmp, row, n_in) == row_bytes, "%s: quantize_row failed", rm_type_name(type));
        }
    }
}

/* bf: 0 float precision, 1 bf16 precision, 2 bf16 precision as on a CPU without bf16 dot products,
   3 float precision with the table's own integer kernel where the pick replaced it for this CPU
   (x86: AVX2 where AVX-VNNI runs). */
static int check_case_bf(int type, int64_t n_in, int64_t n_out, int64_t T, int nth, int bf) {
    const int mode = bf;
    const size_t rb = rm__row_bytes(type, n_in);
    const int64_t ldx = n_in + 3, ldy = n_out + 5;
    const int quant = type != RM_TYPE_F32 && type != RM_TYPE_F16 && type != RM_TYPE_BF16;
    uint8_t *w = (uint8_t *)malloc(rb * (size_t)n_out);
    float *wf = (float *)malloc(sizeof(float) * (size_t)(n_in * n_out));
    float *x = (float *)malloc(sizeof(float) * (size_t)(ldx * T));
    float *y0 = (float *)malloc(sizeof(float) * (size_t)(ldy * T));
    float *y1 = (float *)malloc(sizeof(float) * (size_t)(ldy * T));
    float *wbuf = (float *)malloc(sizeof(float) * (size_t)(n_in * 64));
    float *dx = (float *)malloc(sizeof(float) * (size_t)(n_in / 32 + 1));
    rm__pool *tp = nth > 1 ? rm__pool_new(nth) : NULL; /* NULL: the calling thread alone */
    rm__mat W;
    int64_t t, j, i, bad = 0;
    int did = 0;
    double worst = 0;
    if (!w || !wf || !x || !y0 || !y1 || !wbuf || !dx || (nth > 1 && !tp)) {
        CHECK(0, "out of memory");
        goto done;
    }
    make_weights(type, n_in, n_out, w, rb, wf);
    for (j = 0; j < n_out; j++) rm_dequantize_row(type, w + (size_t)j * rb, wf + j * n_in, n_in);
    for (i = 0; i < ldx * T; i++) x[i] = rng_n() * (i % 97 == 0 ? 8.0f : 1.0f);
    for (i = 0; i < ldy * T; i++) y0[i] = y1[i] = -12345.0f; /* the gaps between rows must stay */
    W.data = w;
    W.type = type;
    W.n_in = n_in;
    W.n_out = n_out;
    W.row_bytes = rb;
    rm__matmul_ref(&W, x, T, ldx, y0, ldy, wbuf, NULL, bf != 0);
    if (bf == 2) {
        rm__kernels k2 = K;
        if (!K.bf16dot) goto done; /* bf 1 ran this very path already */
        k2.bf16dot = 0;
        did = rm__gemm_fast(&k2, &W, x, T, ldx, y1, ldy, tp, 1);
    } else if (bf == 3) {
        rm__kernels k2 = K;
        bf = 0;
        k2.q_kernel = rm__kernel_tables[K.isa].q_kernel;
        if (k2.q_kernel == K.q_kernel) goto done; /* bf 0 ran this very path already */
        did = rm__gemm_fast(&k2, &W, x, T, ldx, y1, ldy, tp, 0);
    } else {
        did = rm__gemm_fast(&K, &W, x, T, ldx, y1, ldy, tp, bf);
    }
    if (!did) goto done;
    if (bf && !quant) {
        for (i = 0; i < n_in * n_out; i++) wf[i] = rm__round_bf16(wf[i]);
        for (i = 0; i < ldx * T; i++) x[i] = rm__round_bf16(x[i]);
    }
    for (t = 0; t < T; t++) {
        const float *xt = x + t * ldx;
        for (i = 0; quant && i < n_in / 32; i++) {
            float a = 0;
            int k;
            for (k = 0; k < 32; k++) a = fabsf(xt[32 * i + k]) > a ? fabsf(xt[32 * i + k]) : a;
            dx[i] = a / 32767.0f;
        }
        for (j = 0; j < ldy; j++) {
            double S = 0, B = 0, err, tol;
            if (j >= n_out) {
                if (y1[t * ldy + j] != -12345.0f) bad++;
                continue;
            }
            for (i = 0; i < n_in; i++) {
                S += fabs((double)wf[j * n_in + i] * xt[i]);
                if (quant) B += fabs((double)wf[j * n_in + i]) * dx[i / 32] * 0.5;
            }
            err = fabs((double)y1[t * ldy + j] - (double)y0[t * ldy + j]);
            tol = 1e-5 * S + B + 1e-30;
            if (err / tol > worst) worst = err / tol;
            if (!(err <= tol)) {
                if (bad++ < 3)
                    CHECK(0, "%s n_in %lld n_out %lld T %lld: y[%lld][%lld] = %.7g, reference %.7g (tolerance %.3g)",
                          rm_type_name(type), (long long)n_in, (long long)n_out, (long long)T, (long long)t, (long long)j,
                          y1[t * ldy + j], y0[t * ldy + j], tol);
            }
        }
    }
    CHECK(bad == 0, "%s %s T %lld bf %d: %lld outputs out of tolerance", rm_isa_name(K.isa), rm_type_name(type), (long long)T, bf,
          (long long)bad);
    if (T == 64 && n_out == 37)
        printf("  %-6s %s worst error / tolerance %.3f\n", rm_type_name(type),
               mode == 3 ? "f32 (no dot products)" : bf == 0 ? "f32 " : bf == 1 ? "bf16" : "bf16 (no bf16 dot products)", worst);
done:
    free(w); free(wf); free(x); free(y0); free(y1); free(wbuf); free(dx);
    rm__pool_free(tp);
    return did;
}

static int check_case(int type, int64_t n_in, int64_t n_out, int64_t T, int nth) {
    int did = check_case_bf(type, n_in, n_out, T, nth, 0);
    if (type == RM_TYPE_F16 || type == RM_TYPE_BF16) {
        did |= check_case_bf(type, n_in, n_out, T, nth, 1);
        did |= check_case_bf(type, n_in, n_out, T, nth, 2);
    } else if (type != RM_TYPE_F32) {
        did |= check_case_bf(type, n_in, n_out, T, nth, 3);
    }
    return did;
}

static void test_all_types(void) {
    static const int64_t Ts[] = {1, 3, 17, 64};
    size_t ti, k;
    for (ti = 0; ti < sizeof(types) / sizeof(types[0]); ti++) {
        int handled = 0;
        for (k = 0; k < sizeof(Ts) / sizeof(Ts[0]); k++) {
            handled |= check_case(types[ti], 512, 37, Ts[k], 2);
            handled |= check_case(types[ti], 256, 67, Ts[k], 1);
        }
        if (!handled) printf("  %-6s not handled by the %s kernels (reference used)\n", rm_type_name(types[ti]), rm_isa_name(K.isa));
    }
}

/* Rows that are not a multiple of 16 (F16/BF16 tails) and a single output row. */
static void test_odd_shapes(void) {
    check_case(RM_TYPE_F16, 40, 1, 5, 2);
    check_case(RM_TYPE_BF16, 19, 33, 13, 2);
    check_case(RM_TYPE_F32, 7, 65, 25, 2);
    check_case(RM_TYPE_Q8_0, 32, 1, 7, 2);
    check_case(RM_TYPE_Q6_K, 256, 31, 2, 2);
    /* row lengths a multiple of 128 but not of 256 (Qwen2.5-0.5B's 896), and of 32 only */
    check_case(RM_TYPE_Q5_0, 384, 37, 13, 2);
    check_case(RM_TYPE_Q8_0, 896, 33, 7, 2);
    check_case(RM_TYPE_IQ4_NL, 384, 40, 5, 1);
    check_case(RM_TYPE_Q4_1, 96, 40, 5, 2);
}

/* The bf16 precision changes F16/BF16 products only: F32 and quantized weights give the very
   same numbers as at float precision. */
static void test_bf16_scope(void) {
    static const int ts[] = {RM_TYPE_F32, RM_TYPE_Q8_0, RM_TYPE_Q4_K};
    size_t ti;
    for (ti = 0; ti < sizeof(ts) / sizeof(ts[0]); ti++) {
        const int64_t Kn = 256, N = 40, T = 13;
        const size_t rb = rm__row_bytes(ts[ti], Kn);
        uint8_t *w = (uint8_t *)malloc(rb * (size_t)N);
        float *tmp = (float *)malloc(sizeof(float) * (size_t)Kn), *x = (float *)malloc(sizeof(float) * (size_t)(Kn * T));
        float *y0 = (float *)malloc(sizeof(float) * (size_t)(N * T)), *y1 = (float *)malloc(sizeof(float) * (size_t)(N * T));
        rm__mat W;
        int64_t i, a, b;
        if (!w || !tmp || !x || !y0 || !y1) {
            CHECK(0, "out of memory");
        } else {
            make_weights(ts[ti], Kn, N, w, rb, tmp);
            for (i = 0; i < Kn * T; i++) x[i] = rng_n();
            W.data = w, W.type = ts[ti], W.n_in = Kn, W.n_out = N, W.row_bytes = rb;
            a = rm__gemm_fast(&K, &W, x, T, Kn, y0, N, NULL, 0);
            b = rm__gemm_fast(&K, &W, x, T, Kn, y1, N, NULL, 1);
            CHECK(a == b, "%s: one precision took the fast path and the other not", rm_type_name(ts[ti]));
            if (a && b) CHECK(memcmp(y0, y1, sizeof(float) * (size_t)(N * T)) == 0, "%s: the bf16 precision changed the result", rm_type_name(ts[ti]));
        }
        free(w); free(tmp); free(x); free(y0); free(y1);
    }
}

/* A matrix the fast path may not handle leaves it to the reference: it must say so. */
static void test_fallback(void) {
    rm__mat W;
    float x[32], y[4];
    uint8_t w[64];
    memset(&W, 0, sizeof(W));
    memset(w, 0, sizeof(w));
    memset(x, 0, sizeof(x));
    W.data = w;
    W.type = RM_TYPE_Q8_1; /* not a weight type rm.h reads */
    W.n_in = 32;
    W.n_out = 1;
    W.row_bytes = 36;
    CHECK(rm__gemm_fast(&K, &W, x, 1, 32, y, 4, NULL, 0) == 0, "Q8_1 must fall back to the reference");
}

/* The element-wise kernels (SiLU gate, masked softmax, sum of exponentials) of the instruction
   set under test against double-precision libm: the relative error of
   each value within a few float ulps. Lengths around the vector width, inputs from -100 to
   100 (exp saturates, underflows), masked cells, a row with nothing visible. */
static void test_elementwise(void) {
    static const int64_t ns[] = {1, 15, 16, 17, 100, 1000};
    size_t ni;
    double worst_silu = 0, worst_sm = 0, worst_se = 0;
    for (ni = 0; ni < sizeof(ns) / sizeof(ns[0]); ni++) {
        const int64_t n = ns[ni];
        float a[1000], g[1000], s[1000], bias[1000], l[1000];
        double ref[1000], mx = -INFINITY, sum = 0, se, got;
        int64_t i;
        for (i = 0; i < n; i++) {
            g[i] = (float)(rng_n() * (i % 7 == 0 ? 30.0 : 3.0));
            a[i] = rng_n();
            s[i] = (float)(rng_n() * 4.0);
            bias[i] = (i % 5 == 3 && n > 1) ? -INFINITY : 0.0f;
            l[i] = (float)(rng_n() * 10.0);
        }
        if (n > 2) g[1] = -100.0f, g[2] = 100.0f;
        for (i = 0; i < n; i++) ref[i] = (double)a[i] * ((double)g[i] / (1.0 + exp(-(double)g[i])));
        rm__silu_mul(&K, a, g, n);
        for (i = 0; i < n; i++) {
            const double e = fabs(a[i] - ref[i]) / (fabs(ref[i]) + 1e-30);
            if (e > worst_silu) worst_silu = e;
            CHECK(e <= 1e-6 || fabs(a[i] - ref[i]) < 1e-37, "silu n %lld [%lld]: %.9g vs %.9g", (long long)n, (long long)i, a[i], ref[i]);
        }
        for (i = 0; i < n; i++)
            if (bias[i] == 0 && s[i] * 0.125 > mx) mx = s[i] * 0.125;
        for (i = 0; i < n; i++) sum += bias[i] == 0 ? exp(s[i] * 0.125 - mx) : 0.0;
        for (i = 0; i < n; i++) ref[i] = bias[i] == 0 ? exp(s[i] * 0.125 - mx) / sum : 0.0;
        rm__softmax_row(&K, s, bias, n, 0.125f);
        for (i = 0; i < n; i++) {
            const double e = fabs(s[i] - ref[i]);
            if (e / (ref[i] + 1e-30) > worst_sm && ref[i] > 0) worst_sm = e / ref[i];
            CHECK(e <= 1e-6 * ref[i] + 1e-38, "softmax n %lld [%lld]: %.9g vs %.9g", (long long)n, (long long)i, s[i], ref[i]);
        }
        for (i = 0, mx = -INFINITY; i < n; i++) mx = l[i] > mx ? l[i] : mx;
        for (i = 0, se = 0; i < n; i++) se += exp((double)l[i] - (float)mx);
        got = rm__sumexp(&K, l, n, (float)mx);
        if (fabs(got - se) / se > worst_se) worst_se = fabs(got - se) / se;
        CHECK(fabs(got - se) <= 1e-6 * se, "sumexp n %lld: %.12g vs %.12g", (long long)n, got, se);
    }
    {
        float s[20], bias[20];
        int i, zero = 1;
        for (i = 0; i < 20; i++) s[i] = 1.0f, bias[i] = -INFINITY;
        rm__softmax_row(&K, s, bias, 20, 1.0f);
        for (i = 0; i < 20; i++) zero &= s[i] == 0.0f;
        CHECK(zero, "a row with nothing visible must be zeros");
    }
    printf("  worst relative error: silu %.2g, softmax %.2g, sum of exp %.2g\n", worst_silu, worst_sm, worst_se);
}

static void set_env_isa(const char *v) {
#ifdef _WIN32
    _putenv_s("RM_ISA", v ? v : "");
#else
    if (v) setenv("RM_ISA", v, 1);
    else unsetenv("RM_ISA");
#endif
}

/* RM_ISA and rm_ctx_params.isa: an unknown name, an id out of range, or an instruction set the
   CPU lacks is RM_ERR_ISA at rm_ctx_new with a message naming it; every available one runs. */
static void test_isa_choice(void) {
    rm_model *m = NULL;
    rm_ctx *c = NULL;
    rm_ctx_params p;
    const char *saved = getenv("RM_ISA");
    char keep[64] = "";
    int i, missing = -1;
    if (saved) snprintf(keep, sizeof(keep), "%s", saved);
    CHECK(rm_model_open("tests/data/models/stories260K.gguf", &m) == RM_OK, "open: %s", rm_model_error(m));
    memset(&p, 0, sizeof(p));
    set_env_isa("avx3000");
    CHECK(rm_ctx_new(m, NULL, &c) == RM_ERR_ISA, "RM_ISA=avx3000 must fail");
    CHECK(strstr(rm_ctx_error(c), "avx3000") != NULL, "message names the value: %s", rm_ctx_error(c));
    rm_ctx_free(c);
    for (i = RM_ISA_SCALAR; i < RM_ISA_COUNT; i++) {
        set_env_isa(rm_isa_name(i));
        if (rm_isa_available(i)) {
            CHECK(rm_ctx_new(m, NULL, &c) == RM_OK && rm_ctx_isa(c) == i, "RM_ISA=%s: %s", rm_isa_name(i), rm_ctx_error(c));
        } else {
            missing = i;
            CHECK(rm_ctx_new(m, NULL, &c) == RM_ERR_ISA, "RM_ISA=%s is missing here and must fail", rm_isa_name(i));
            CHECK(strstr(rm_ctx_error(c), rm_isa_name(i)) != NULL, "message names it: %s", rm_ctx_error(c));
        }
        rm_ctx_free(c);
        c = NULL;
    }
    set_env_isa(NULL);
    CHECK(rm_ctx_new(m, NULL, &c) == RM_OK && rm_ctx_isa(c) > RM_ISA_AUTO, "no RM_ISA: %s", rm_ctx_error(c));
    printf("  default instruction set here: %s; missing here: %s\n", rm_isa_name(rm_ctx_isa(c)), missing >= 0 ? rm_isa_name(missing) : "none");
    rm_ctx_free(c);
    p.isa = RM_ISA_SCALAR;
    set_env_isa("avx3000"); /* the parameter wins over the environment */
    CHECK(rm_ctx_new(m, &p, &c) == RM_OK && rm_ctx_isa(c) == RM_ISA_SCALAR, "isa scalar: %s", rm_ctx_error(c));
    rm_ctx_free(c);
    p.isa = 99;
    CHECK(rm_ctx_new(m, &p, &c) == RM_ERR_ISA, "isa 99 must fail");
    rm_ctx_free(c);
    CHECK(rm_isa_name(RM_ISA_COUNT) == NULL && rm_isa_available(RM_ISA_SCALAR), "rm_isa_name / rm_isa_available");
    set_env_isa(saved ? keep : NULL);
    rm_model_close(m);
}

int main(void) {
    int isa, n = 0;
    char err[200];
    RUN(test_isa_choice);
    for (isa = RM_ISA_SCALAR + 1; isa < RM_ISA_COUNT; isa++) {
        if (!rm_isa_available(isa)) {
            printf("  %s: not available in this build or on this CPU\n", rm_isa_name(isa));
            continue;
        }
        if (rm__kernels_pick(isa, &K, err, sizeof(err)) != RM_OK) {
            printf("  NOT OK %s: %s\n", rm_isa_name(isa), err);
            return 1;
        }
        printf("  instruction set %s%s\n", rm_isa_name(isa), K.bf16dot ? " (with bf16 dot products)" : "");
#if RM__KERNELS_NEON
        if (isa == RM_ISA_NEON)
            printf("  optional features of this CPU: dotprod %s, bf16 %s, i8mm %s\n", rm__neon_caps() & RM__NEON_DOT ? "yes" : "no",
                   rm__neon_caps() & RM__NEON_BF16 ? "yes" : "no", rm__neon_caps() & RM__NEON_I8MM ? "yes" : "no");
#endif
        n++;
        RUN(test_elementwise);
        RUN(test_all_types);
        RUN(test_odd_shapes);
        RUN(test_bf16_scope);
        RUN(test_fallback);
#if RM__KERNELS_X86
        if (K.q_kernel == rm__q_kernel_avxvnni) { /* the vpmaddwd kernel that CPUs without AVX-VNNI run */
            K.q_kernel = rm__q_kernel_avx2;
            printf("  %s without AVX-VNNI\n", rm_isa_name(isa));
            RUN(test_all_types);
            RUN(test_odd_shapes);
        }
#endif
    }
    if (!n) printf("  no SIMD instruction set here: only the reference runs\n");
    return rmt_summary("test_kernels");
}

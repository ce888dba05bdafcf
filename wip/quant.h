/* rm.h section 6 (work in progress, inlined into rm.h when done): tensor decoding and encoding. */
/* ---------------------------------------------------------------------------------------- */
/* 6. Tensor decoding (dequantization)                                                      */
/* ---------------------------------------------------------------------------------------- */

RMDEF void rm_dequantize_row(int type, const void *src, float *dst, int64_t n) {
    const uint8_t *p = (const uint8_t *)src;
    int64_t i;
    switch (type) {
    case RM_TYPE_F32: memcpy(dst, src, (size_t)n * 4); break;
    case RM_TYPE_F16: for (i = 0; i < n; i++) dst[i] = rm__fp16_to_fp32(rm__rd16(p + 2 * i)); break;
    case RM_TYPE_BF16: for (i = 0; i < n; i++) dst[i] = rm__bf16_to_fp32(rm__rd16(p + 2 * i)); break;
    default: for (i = 0; i < n; i++) dst[i] = 0.0f; break; /* TODO quant */
    }
}

RMDEF size_t rm_quantize_row(int type, const float *src, void *dst, int64_t n) {
    uint8_t *p = (uint8_t *)dst;
    int64_t i;
    switch (type) {
    case RM_TYPE_F32: memcpy(dst, src, (size_t)n * 4); return (size_t)n * 4;
    case RM_TYPE_F16:
        for (i = 0; i < n; i++) { uint16_t h = rm__fp32_to_fp16(src[i]); memcpy(p + 2 * i, &h, 2); }
        return (size_t)n * 2;
    case RM_TYPE_BF16:
        for (i = 0; i < n; i++) { uint16_t h = rm__fp32_to_bf16(src[i]); memcpy(p + 2 * i, &h, 2); }
        return (size_t)n * 2;
    default: return 0;
    }
}


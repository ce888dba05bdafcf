/* libFuzzer target for rm_chat_template_detect and rm_chat_render: the first byte picks a
   template, the second the flags, the rest splits at 0x00 / 0x01 into role and content
   fields of up to 16 messages. The whole input is also run through detection.
   clang -g -O1 -fsanitize=fuzzer,address,undefined -I. tests/fuzz_chat.c -o /tmp/fuzz_chat */
#define RM_IMPLEMENTATION
#include "rm.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    rm_chat_msg m[16];
    size_t n = 0, i, need = 0, got = 0;
    const char *p, *end;
    char small[7], *buf;
    int t, flags, detected = -1;
    rm_result r;
    char err[256];
    rm_chat_template_detect((const char *)data, size, &detected, err, sizeof(err));
    if (size < 2) return 0;
    t = data[0] % (RM_CHAT_COUNT + 1); /* one past the end: must be refused */
    flags = data[1];
    p = (const char *)data + 2;
    end = (const char *)data + size;
    while (p < end && n < 16) {
        const char *f = p;
        while (p < end && *p != 0 && *p != 1) p++;
        m[n].role = f;
        m[n].role_len = (size_t)(p - f);
        if (p < end) p++;
        f = p;
        while (p < end && *p != 0 && *p != 1) p++;
        m[n].content = f;
        m[n].content_len = (size_t)(p - f);
        if (p < end) p++;
        n++;
    }
    r = rm_chat_render(t, m, n, flags & 1, (flags & 2) ? "<s>" : NULL, (flags & 4) ? "</s>" : NULL, NULL, 0, &need);
    if (r != RM_OK && r != RM_ERR_LIMIT) return 0;
    /* a too small buffer must hold exactly the prefix and report the same length */
    rm_chat_render(t, m, n, flags & 1, (flags & 2) ? "<s>" : NULL, (flags & 4) ? "</s>" : NULL, small, sizeof(small), &got);
    if (got != need) __builtin_trap();
    buf = (char *)malloc(need ? need : 1);
    if (!buf) return 0;
    r = rm_chat_render(t, m, n, flags & 1, (flags & 2) ? "<s>" : NULL, (flags & 4) ? "</s>" : NULL, buf, need, &got);
    if (r != RM_OK || got != need) __builtin_trap();
    for (i = 0; i < sizeof(small) && i < need; i++)
        if (small[i] != buf[i]) __builtin_trap();
    free(buf);
    return 0;
}

/* quickstart: score prompt/response pairs with both reward models (the README's program). */
#define RM_IMPLEMENTATION
#include "rm.h"
#include <stdio.h>

int main(void) {
    static const char *pairs[][2] = {
        {"Once upon a time, there was a little girl named Lily.", " She loved to play in the park with her dog."},
        {"Once upon a time, there was a little girl named Lily.", " park the with dog her in play loved She."},
        {"Tom had a big red ball.", " He threw the ball to his friend and they laughed."},
        {"Tom had a big red ball.", " The stock market closed higher on Tuesday."}};
    rm_model *policy, *ref;
    rm_head *head;
    rm_scorer *ex, *im;
    rm_scorer_desc d = {0};
    rm_score s;
    size_t i;
    if (rm_model_open("models/stories260K-policy.gguf", &policy) || rm_model_open("models/stories260K.gguf", &ref) ||
        rm_head_open("models/stories260K-head.gguf", &head)) return fprintf(stderr, "cannot open the models\n"), 1;
    d.model = policy, d.head = head, d.mode = RM_MODE_EXPLICIT;            /* EX-RM: w . h_last + b */
    if (rm_scorer_new(&d, &ex)) return fprintf(stderr, "%s\n", rm_scorer_error(ex)), 1;
    d.ref = ref, d.mode = RM_MODE_IMPLICIT, d.beta = 0.1;                  /* IM-RM: beta * log ratio */
    if (rm_scorer_new(&d, &im)) return fprintf(stderr, "%s\n", rm_scorer_error(im)), 1;
    printf("%9s %9s  response\n", "EX", "IM");
    for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
        double r_ex, r_im;
        if (rm_score_pair(ex, pairs[i][0], pairs[i][1], &s)) return fprintf(stderr, "%s\n", rm_scorer_error(ex)), 1;
        r_ex = s.reward;
        if (rm_score_pair(im, pairs[i][0], pairs[i][1], &s)) return fprintf(stderr, "%s\n", rm_scorer_error(im)), 1;
        r_im = s.reward;
        printf("%9.3f %9.3f  %s |%s\n", r_ex, r_im, pairs[i][0], pairs[i][1]);
    }
    rm_scorer_free(ex), rm_scorer_free(im), rm_head_close(head), rm_model_close(policy), rm_model_close(ref);
    return 0;
}

/* rm.h section (work in progress, inlined into rm.h when done). */

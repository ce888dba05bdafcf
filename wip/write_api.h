/* rm.h declarations (work in progress, inlined into rm.h when done). */

/* The translation unit of librm.so (`make lib`): rm.h's implementation with only the public
   API exported (RM_SHARED marks rm_* visible; the Makefile hides everything else). */
#define RM_IMPLEMENTATION
#define RM_SHARED
#include "rm.h"

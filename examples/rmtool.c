/* rmtool: command-line front end of rm.h. */
#define RM_IMPLEMENTATION
#include "rm.h"

int main(int argc, char **argv) {
    (void)argc; (void)argv;
    return 0;
}

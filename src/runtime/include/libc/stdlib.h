/* Freestanding stand-in for <stdlib.h>: the runtime has no libc; everything lives in dsim.h.
 * Lets portable C (and host-gcc reference builds of the same source) include the usual header. */
#include "../dsim.h"

/* The processor's wide forms, found once per file that uses them (see internal.h). */
#include "internal.h"

int baraza_has_wide(void) { return wide(); }

int baraza_has_compress(void) { return compressing(); }

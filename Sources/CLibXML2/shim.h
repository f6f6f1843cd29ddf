#ifndef BARAZA_CLIBXML2_SHIM_H
#define BARAZA_CLIBXML2_SHIM_H
// Debian builds libxml2 with ICU, and its encoding.h then includes <unicode/ucnv.h>, whose
// UErrorCode clashes with the ICU copy inside Swift's Foundation. Baraza never uses libxml2's ICU
// converters, so the headers are read as if ICU were off; the library's ABI is unaffected.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/xmlreader.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/SAX2.h>
#include <libxml/xmlerror.h>
#endif

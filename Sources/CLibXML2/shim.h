// libxml2's headers pull in the system ICU headers when libxml2 was built with ICU, and those clash
// with the ICU copy inside Swift's Foundation in any file that imports both. The gateway never touches
// libxml2's ICU-specific struct fields, so the ICU part of the headers is left out.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/xmlreader.h>
#include <libxml/xmlwriter.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <libxml/xmlschemas.h>

# INTERFACE target carrying rlab's warning flags. Linked PRIVATE by every rlab target and never
# by third-party code, so no global compile flags are touched.
add_library(rlab_warnings INTERFACE)
add_library(rlab::warnings ALIAS rlab_warnings)
target_compile_options(rlab_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wimplicit-fallthrough
  $<$<BOOL:${RLAB_WARNINGS_AS_ERRORS}>:-Werror>)

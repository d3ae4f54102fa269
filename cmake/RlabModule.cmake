# rlab_add_module(<name> SOURCES ... [DEPS ...])
# One static library per module: rlab_<name> with ALIAS rlab::<name>, public headers from
# include/, warnings from rlab::warnings.
function(rlab_add_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(rlab_${name} STATIC ${ARG_SOURCES})
  add_library(rlab::${name} ALIAS rlab_${name})
  target_include_directories(rlab_${name} PUBLIC ${PROJECT_SOURCE_DIR}/include)
  target_link_libraries(rlab_${name} PUBLIC ${ARG_DEPS} PRIVATE rlab::warnings)
  target_compile_features(rlab_${name} PUBLIC cxx_std_17)
endfunction()

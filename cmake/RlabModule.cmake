# rlab_add_module(<name> SOURCES <core>... [COMMAND <adapter>...] [DEPS <dep>...])
#
# Two static libraries per module, public headers from include/, warnings from rlab::warnings:
#
#   rlab_<name>      ALIAS rlab::<name>       the core: SOURCES, linked to DEPS. It never sees
#                                             CLI11: it may not link it (rlab_check_cores) and a
#                                             CLI11 header included by one of its sources, even
#                                             through another header, stops the compile.
#   rlab_<name>_cli  ALIAS rlab::<name>_cli   the adapter: COMMAND sources (the command table's
#                                             row and its CLI11 options), linked to the core and
#                                             to rlab::common_cli (run_app, the CLI11 checks).
#
# rlab::<name> is the module as other modules and the tests use it (exp reads prototype's run
# records, the tests call the cores); `_cli` is the CLI11 side, as lib/cli and rlab::cli::
# (cli_checks.h) already are. A core file split out later is one line,
# `target_sources(rlab_<name> PRIVATE file.cpp)`, and gets the same checks.
function(rlab_add_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;COMMAND;DEPS" ${ARGN})
  if(ARG_SOURCES)
    add_library(rlab_${name} STATIC ${ARG_SOURCES})
    target_include_directories(rlab_${name} PUBLIC ${PROJECT_SOURCE_DIR}/include)
    target_link_libraries(rlab_${name} PUBLIC ${ARG_DEPS} PRIVATE rlab::warnings)
    target_compile_features(rlab_${name} PUBLIC cxx_std_17)
    rlab_forbid_cli11_headers(rlab_${name})
  else()
    # A command without a core of its own (rlab exp reads what prototype writes).
    add_library(rlab_${name} INTERFACE)
    target_link_libraries(rlab_${name} INTERFACE ${ARG_DEPS})
  endif()
  add_library(rlab::${name} ALIAS rlab_${name})
  set_property(GLOBAL APPEND PROPERTY RLAB_CORE_TARGETS rlab_${name})
  if(ARG_COMMAND)
    rlab_add_adapter(${name}_cli SOURCES ${ARG_COMMAND} DEPS rlab::${name})
  endif()
endfunction()

# rlab_add_adapter(<name> SOURCES <source>... [DEPS <dep>...]): rlab_<name> (rlab::<name>), a
# static library of CLI11 code, linked to DEPS and rlab::common_cli (which is one itself).
function(rlab_add_adapter name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(rlab_${name} STATIC ${ARG_SOURCES})
  add_library(rlab::${name} ALIAS rlab_${name})
  target_include_directories(rlab_${name} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  if(NOT name STREQUAL "common_cli")
    list(APPEND ARG_DEPS rlab::common_cli)
  endif()
  target_link_libraries(rlab_${name} PUBLIC ${ARG_DEPS} PRIVATE rlab::warnings)
  target_compile_features(rlab_${name} PUBLIC cxx_std_17)
endfunction()

# Every CLI11 header, shadowed for core targets by one that stops the compile: an include path
# placed before the system's, holding CLI/<header> with an #error.
function(rlab_forbid_cli11_headers target)
  set(dir ${PROJECT_BINARY_DIR}/generated/no_cli11)
  if(NOT EXISTS ${dir}/CLI/CLI.hpp)
    get_target_property(cli11_includes CLI11::CLI11 INTERFACE_INCLUDE_DIRECTORIES)
    set(headers CLI.hpp)
    foreach(inc IN LISTS cli11_includes)
      file(GLOB found RELATIVE ${inc}/CLI ${inc}/CLI/*.hpp ${inc}/CLI/*/*.hpp)
      list(APPEND headers ${found})
    endforeach()
    list(REMOVE_DUPLICATES headers)
    foreach(h IN LISTS headers)
      file(WRITE ${dir}/CLI/${h}
        "#error \"a core target includes <CLI/${h}>: CLI11 belongs to the adapter "
        "(command.cpp, target rlab_<module>_cli; cmake/RlabModule.cmake)\"\n")
    endforeach()
  endif()
  target_include_directories(${target} BEFORE PRIVATE ${dir})
endfunction()

# Fails the configure when a core target (rlab_add_module's rlab_<name>) links CLI11 or an
# adapter, directly or through another target. Deferred to the end of the top-level directory
# so that links added anywhere after the module was declared count too.
function(rlab_check_cores)
  get_property(cores GLOBAL PROPERTY RLAB_CORE_TARGETS)
  foreach(core IN LISTS cores)
    set(seen "")
    set(queue ${core})
    while(queue)
      list(POP_FRONT queue t)
      if(t IN_LIST seen)
        continue()
      endif()
      list(APPEND seen ${t})
      if(NOT TARGET ${t})
        continue()
      endif()
      get_target_property(aliased ${t} ALIASED_TARGET)
      if(aliased)
        set(t ${aliased})
      endif()
      if(t STREQUAL "CLI11::CLI11" OR t MATCHES "^rlab_(.*_)?cli$")
        message(FATAL_ERROR "rlab: core target ${core} links ${t} (CLI11); the CLI belongs to "
                            "the module's adapter, rlab_<module>_cli (cmake/RlabModule.cmake)")
      endif()
      get_target_property(type ${t} TYPE)
      set(links "")
      if(NOT type STREQUAL "INTERFACE_LIBRARY")
        get_target_property(direct ${t} LINK_LIBRARIES)
        if(direct)
          list(APPEND links ${direct})
        endif()
      endif()
      get_target_property(iface ${t} INTERFACE_LINK_LIBRARIES)
      if(iface)
        list(APPEND links ${iface})
      endif()
      foreach(l IN LISTS links)
        string(REGEX REPLACE "^\\$<LINK_ONLY:(.*)>$" "\\1" l "${l}")
        if(NOT l MATCHES "^\\$<" AND TARGET ${l})
          list(APPEND queue ${l})
        endif()
      endforeach()
    endwhile()
  endforeach()
endfunction()

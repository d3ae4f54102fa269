# Reliability and security tests (docs/reliability.md): the plain ones join rlab_tests, the ones
# that train join rlab_torch_tests (ctest label `torch`).
target_sources(rlab_tests PRIVATE ${CMAKE_CURRENT_LIST_DIR}/reliability_test.cpp)
if(TARGET rlab_torch_tests)
  target_sources(rlab_torch_tests PRIVATE ${CMAKE_CURRENT_LIST_DIR}/reliability_torch_test.cpp)
endif()

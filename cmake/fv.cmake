# Helpers shared by every subsystem's CMakeLists.txt.

# fv_unit_test(NAME SOURCES... LIBS lib...)
# A cmocka unit test registered with CTest under the label "unit".
function(fv_unit_test name)
  cmake_parse_arguments(T "" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${T_SOURCES})
  target_link_libraries(${name} PRIVATE ${T_LIBS} PkgConfig::CMOCKA)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES LABELS unit)
endfunction()

# fv_fuzz_target(NAME SOURCE CORPUS_DIR LIBS lib...)
# Without FV_FUZZ: a replay driver that runs every file of the corpus through
# the target once (a CTest test, label "fuzz"). With FV_FUZZ: a libFuzzer binary.
# `make fuzz` (and CI) build this target: every fuzz binary, and only what
# they need.
if(FV_FUZZ AND NOT TARGET fuzz-targets)
  add_custom_target(fuzz-targets)
endif()
function(fv_fuzz_target name)
  cmake_parse_arguments(T "" "SOURCE;CORPUS" "LIBS" ${ARGN})
  if(FV_FUZZ)
    add_executable(${name} ${T_SOURCE})
    target_link_libraries(${name} PRIVATE ${T_LIBS})
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    add_dependencies(fuzz-targets ${name})
  else()
    add_executable(${name} ${T_SOURCE} ${PROJECT_SOURCE_DIR}/fuzz/replay_main.c)
    target_link_libraries(${name} PRIVATE ${T_LIBS})
    add_test(NAME ${name} COMMAND ${name} ${T_CORPUS})
    set_tests_properties(${name} PROPERTIES LABELS fuzz)
  endif()
endfunction()

pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)

# fv_embed(OUT_C SYMBOL FILES...): compiles the files into a C table
# `const struct fv_embedded SYMBOL[]` ({name, text}, NULL-terminated).
function(fv_embed out symbol)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DNAME=${symbol} "-DINPUTS=${ARGN}"
            -P ${PROJECT_SOURCE_DIR}/cmake/embed.cmake
    DEPENDS ${ARGN} ${PROJECT_SOURCE_DIR}/cmake/embed.cmake
    VERBATIM)
endfunction()

# The tests of the PostgreSQL backend share one throw-away cluster per test
# run (scripts/pg-test-cluster, unix socket in FV_PG_TEST_DIR, no TCP),
# started and stopped by the CTest fixture "pg" (tests/unit/store).
set(FV_PG_TEST_DIR ${CMAKE_BINARY_DIR}/pgtest)

# fv_unit_test_pg(NAME): the unit test NAME once more, as NAME_pg, on
# PostgreSQL (FV_TEST_PG; tests/unit/common/test_db.h gives each store a
# database of its own). Label "pg" besides "unit".
function(fv_unit_test_pg name)
  add_test(NAME ${name}_pg COMMAND ${name})
  set_tests_properties(${name}_pg PROPERTIES LABELS "unit;pg" FIXTURES_REQUIRED pg
    ENVIRONMENT "FV_TEST_PG=${FV_PG_TEST_DIR}")
endfunction()

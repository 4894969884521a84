# The `file` output module, loaded from the build's plugin directory and
# driven through the real host (lr_instance_deliver_sync).
logrelay_unit_test(test_out_file)
target_link_libraries(test_out_file PRIVATE PkgConfig::ZLIB)
add_dependencies(test_out_file lr_out_file)
set_tests_properties(unit.test_out_file PROPERTIES
  ENVIRONMENT "LR_TEST_DATA=${CMAKE_CURRENT_SOURCE_DIR}/data;LR_TEST_PLUGIN_DIR=${LOGRELAY_BUILD_PLUGIN_DIR};LR_SRC=${PROJECT_SOURCE_DIR}"
  TIMEOUT 300)

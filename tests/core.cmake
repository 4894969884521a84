logrelay_unit_test(test_plugin_loader)
add_dependencies(test_plugin_loader test_plugins)
set_tests_properties(unit.test_plugin_loader PROPERTIES ENVIRONMENT "LR_BUILD=${CMAKE_BINARY_DIR}")

# End-to-end tests driving the real binary.
logrelay_script_test(cli.example_module ${CMAKE_CURRENT_SOURCE_DIR}/cli/test_example_module.sh)
logrelay_script_test(cli.commands ${CMAKE_CURRENT_SOURCE_DIR}/cli/test_cli.py)
logrelay_script_test(source.banned_calls ${CMAKE_CURRENT_SOURCE_DIR}/cli/test_source_rules.sh)
logrelay_script_test(source.format ${CMAKE_CURRENT_SOURCE_DIR}/cli/test_format.sh)

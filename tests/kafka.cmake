# Kafka input: offset tracker unit tests; end-to-end tests against librdkafka's
# mock cluster run in its own process (tests/helpers/mockcluster.c).
logrelay_unit_test(test_kafka_offsets)
logrelay_unit_test(test_demo_gen)
logrelay_unit_test(test_kafka_conf)

# The mock cluster helper: $LR_BUILD/tests/mockcluster (serve | produce | offsets).
add_executable(mockcluster ${CMAKE_CURRENT_SOURCE_DIR}/helpers/mockcluster.c)
target_link_libraries(mockcluster PRIVATE lrcore)
set_target_properties(mockcluster PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)

# End to end against the mock cluster in its own process (tests/kafka/*.sh).
logrelay_script_test(kafka.clean_run ${CMAKE_CURRENT_SOURCE_DIR}/kafka/clean_run.sh)
logrelay_script_test(kafka.crash_restart ${CMAKE_CURRENT_SOURCE_DIR}/kafka/crash_restart.sh)
logrelay_script_test(kafka.group_failover ${CMAKE_CURRENT_SOURCE_DIR}/kafka/group_failover.sh)
# Needs root and `ip netns` (skips with a message otherwise), stunnel4, socat.
logrelay_script_test(kafka.mtls ${CMAKE_CURRENT_SOURCE_DIR}/kafka/mtls.sh)
logrelay_script_test(kafka.sink_down ${CMAKE_CURRENT_SOURCE_DIR}/kafka/sink_down.sh)
logrelay_script_test(kafka.demo ${CMAKE_CURRENT_SOURCE_DIR}/kafka/demo.sh)
logrelay_script_test(kafka.trickle ${CMAKE_CURRENT_SOURCE_DIR}/kafka/trickle.sh)
logrelay_script_test(kafka.group_failover_cooperative ${CMAKE_CURRENT_SOURCE_DIR}/kafka/group_failover.sh cooperative)
logrelay_script_test(kafka.http_watermark ${CMAKE_CURRENT_SOURCE_DIR}/kafka/http_watermark.py)

# Disk spool (queue.type: disk): the segment store and event codec, the
# queue on top of it, and the kill -9 / damaged segment end-to-end test.
logrelay_unit_test(test_spool)
logrelay_unit_test(test_queue_disk)
add_dependencies(test_queue_disk test_plugins)
set_tests_properties(unit.test_queue_disk PROPERTIES ENVIRONMENT "LR_BUILD=${CMAKE_BINARY_DIR}")
logrelay_script_test(spool.kill_and_damage ${CMAKE_CURRENT_SOURCE_DIR}/spool/test_spool_kill.sh)
logrelay_script_test(spool.kafka_sink_down ${CMAKE_CURRENT_SOURCE_DIR}/spool/test_spool_kafka.sh)

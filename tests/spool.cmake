# Disk spool (queue.type: disk): the segment store and event codec, the
# queue on top of it, and the kill -9 / damaged segment end-to-end test.
# lsan.supp: see the file (a parser scratch buffer not released at thread exit).
set(LR_SPOOL_LSAN "LSAN_OPTIONS=suppressions=${CMAKE_CURRENT_SOURCE_DIR}/data/spool/lsan.supp")
logrelay_unit_test(test_spool)
logrelay_unit_test(test_queue_disk)
add_dependencies(test_queue_disk test_plugins)
set_tests_properties(unit.test_queue_disk PROPERTIES ENVIRONMENT "LR_BUILD=${CMAKE_BINARY_DIR};${LR_SPOOL_LSAN}")
logrelay_script_test(spool.kill_and_damage ${CMAKE_CURRENT_SOURCE_DIR}/spool/test_spool_kill.sh)
set_property(TEST spool.kill_and_damage APPEND PROPERTY ENVIRONMENT "${LR_SPOOL_LSAN}")
logrelay_script_test(spool.kafka_sink_down ${CMAKE_CURRENT_SOURCE_DIR}/spool/test_spool_kafka.sh)
set_property(TEST spool.kafka_sink_down APPEND PROPERTY ENVIRONMENT "${LR_SPOOL_LSAN}")

# Kafka input: offset tracker unit tests; end-to-end tests against librdkafka's
# mock cluster run in its own process (tests/helpers/mockcluster.c).
logrelay_unit_test(test_kafka_offsets)

# Disk spool (queue.type: disk): the segment store and event codec, the
# queue on top of it, and the kill -9 / damaged segment end-to-end test.
logrelay_unit_test(test_spool)

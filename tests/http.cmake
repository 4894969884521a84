# HTTP output (outputs/http) and the shared HTTP pieces (outputs/common,
# lrhttp): serialise-only and classification unit tests.
logrelay_unit_test(test_http_serialize)
target_link_libraries(test_http_serialize PRIVATE lrhttp)
logrelay_unit_test(test_http_status)
target_link_libraries(test_http_status PRIVATE lrhttp)
# Runtime: the real agent (`logrelay replay`) against a scripted receiver on
# 127.0.0.1 (tests/http/receiver.py).
logrelay_script_test(http.output ${CMAKE_CURRENT_SOURCE_DIR}/http/test_http_output.py)

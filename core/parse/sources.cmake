list(APPEND LR_CORE_SOURCES parse/parse.c parse/cdn_access.c parse/waf_json.c parse/json_parse.c
     parse/numparse.c parse/timeparse.c)

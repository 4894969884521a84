list(APPEND LR_CORE_SOURCES config/config.c config/options.c config/errors.c config/yaml_tree.c
     config/substitute.c config/setters.c config/suggest.c config/option_values.c config/options_describe.c)

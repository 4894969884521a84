/* cli_util.h: small helpers shared by the subcommands. */
#ifndef LR_CLI_UTIL_H
#define LR_CLI_UTIL_H

#include "config/config.h"

#define LR_DEFAULT_CONFIG "/etc/logrelay"

/* Print collected configuration errors to stderr, with a count line. */
void lr_cli_print_errors(const lr_errors *errs, const char *config_path);

#endif

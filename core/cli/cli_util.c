/* cli_util.c: see cli_util.h. */
#include "cli/cli_util.h"

#include <stdio.h>

void lr_cli_print_errors(const lr_errors *errs, const char *config_path)
{
    if (errs->text.len)
        fwrite(errs->text.data, 1, errs->text.len, stderr);
    if (errs->text.len && errs->text.data[errs->text.len - 1] != '\n')
        fputc('\n', stderr);
    fprintf(stderr, "%s: %d error%s\n", config_path, errs->count, errs->count == 1 ? "" : "s");
}
